"""Stock nbgrader from the course root, with no environment variable and without the
virtual environment's scripts on PATH: generate_assignment, db, validate, autograde (no
false checksum warnings; a real change to a test cell still warned about), generate_feedback
(offline math, wrapping) and export. A copy of the course is used; nothing is written to
this repository."""

import csv
import os
import shutil
import subprocess
import sys

import nbformat
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
A = "ch02_tanh_recurrence"
DEMO = os.path.join(ROOT, "demo", "submissions")
# two of the demo class (each notebook stock nbgrader executes costs a kernel: keep it short)
EXPECTED = {"alice_correct": 15.0, "bob_partial": 11.0}

pytestmark = pytest.mark.slow


def course_copy(dest) -> str:
    """A course root as an instructor has it: the config at the top, sources, release."""
    os.makedirs(dest, exist_ok=True)
    shutil.copy2(os.path.join(ROOT, "nbgrader_config.py"), dest)
    for part in ("solutions", "course"):
        shutil.copytree(os.path.join(ROOT, part, A), os.path.join(dest, part, A))
    return str(dest)


def stock_env() -> dict:
    """The environment of a shell where nothing course-specific is set and the virtual
    environment is not activated (its scripts, alembic included, are not on PATH)."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("RNN_COURSE_ROOT", "RNN_COURSE_EXCHANGE", "JUPYTER_CONFIG_PATH")}
    bindir = os.path.dirname(sys.executable)
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p and p != bindir)
    return env


def nbgrader(root, *args, check=True):
    proc = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=root, env=stock_env(),
                          capture_output=True, text=True)
    if check:
        assert proc.returncode == 0, f"nbgrader {' '.join(args)}:\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"
    return proc


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The demo class plus one student who edited a test cell, autograded by stock nbgrader."""
    root = course_copy(tmp_path_factory.mktemp("native") / "course")
    nbgrader(root, "generate_assignment", A, "--force")
    for student in EXPECTED:
        shutil.copytree(os.path.join(DEMO, student, A), os.path.join(root, "grading", "submitted", student, A))
    # mallory: alice's answers, and one visible test cell replaced by `pass`
    path = os.path.join(root, "grading", "submitted", "mallory", A, f"{A}.ipynb")
    shutil.copytree(os.path.join(DEMO, "alice_correct", A), os.path.dirname(path))
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "test_rnn_forward_values")
    cell.source = "pass"
    nbformat.write(nb, path)
    log = nbgrader(root, "autograde", A, "--force")
    return root, log.stdout + log.stderr


def test_the_config_is_found_from_the_course_root_without_any_variable(graded):
    root, _ = graded
    out = nbgrader(root, "db", "assignment", "list")
    assert "There are 1 assignments in the database" in out.stdout + out.stderr
    assert A in out.stdout + out.stderr
    assert os.path.exists(os.path.join(root, "grading", "gradebook.db"))
    assert not os.path.exists(os.path.join(root, "gradebook.db")), "a stray gradebook at the root"
    assert os.path.exists(os.path.join(root, "course", A, f"{A}.ipynb"))


def test_validate_passes_a_solved_notebook(graded):
    root, _ = graded
    solved = nbgrader(root, "validate", os.path.join(DEMO, "alice_correct", A, f"{A}.ipynb"))
    assert "Success! Your notebook passes all the tests." in solved.stdout, solved.stdout[-1500:]


def test_stock_autograde_scores_and_warns_only_about_a_real_change(graded):
    from nbgrader.api import Gradebook

    root, log = graded
    warnings = [line for line in log.splitlines() if "has changed" in line]
    assert warnings, "the edited test cell must be reported"
    assert all("test_rnn_forward_values" in w for w in warnings), warnings
    assert len(warnings) == 1, warnings  # mallory only: untouched hidden-test cells raise nothing
    with Gradebook("sqlite:///" + os.path.join(root, "grading", "gradebook.db"), course_id="rnn-course") as gb:
        scores = {s: gb.find_submission(A, s).score for s in [*EXPECTED, "mallory"]}
    assert scores == {**EXPECTED, "mallory": 15.0}  # the original test ran in place of `pass`


def test_feedback_renders_math_offline_and_wraps(graded):
    root, _ = graded
    nbgrader(root, "generate_feedback", A, "--force")
    html = open(os.path.join(root, "grading", "feedback", "bob_partial", A, f"{A}.html")).read()
    assert html.count("<math") > 10 and 'alttext="h_t"' in html
    assert "MathJax.Hub" not in html and "cdnjs" not in html
    assert 'src="http' not in html and "src='http" not in html  # nothing fetched when opened
    assert "white-space: pre-wrap" in html
    assert "off by one in time" in html
    assert "BEGIN HIDDEN TESTS" not in html and "hidden=True" not in html


def test_stock_export(graded):
    root, _ = graded
    nbgrader(root, "export", "--to=stock.csv")
    with open(os.path.join(root, "stock.csv")) as f:
        rows = {r["student_id"]: float(r["score"]) for r in csv.DictReader(f)}
    assert rows == {**EXPECTED, "mallory": 15.0}
