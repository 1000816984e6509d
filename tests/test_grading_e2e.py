"""The instructor's pipeline end to end on a temporary copy of the course and the demo class:
exact scores read from the gradebook, feedback without hidden tests, CSV export, class
report, the CLI from another directory, and parallel == sequential."""

import csv
import os
import shutil
import subprocess
import sys

import pytest

from autograder import pipeline

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
A = "ch02_tanh_recurrence"
EXPECTED = {"alice_correct": 15.0, "bob_partial": 11.0, "carol_untouched": 0.0}

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = tmp_path_factory.mktemp("course")
    for part in ("solutions", "course"):
        shutil.copytree(os.path.join(ROOT, part), root / part)
    return root


def _cli(root, *args):
    # from a different working directory, to show the tool does not depend on it
    return subprocess.run([sys.executable, "-m", "autograder", "--root", str(root), *args],
                          cwd="/", capture_output=True, text=True, check=True)


@pytest.fixture(scope="module")
def graded(course):
    out = _cli(course, "grade", A, "--submissions", os.path.join(ROOT, "demo", "submissions"), "--jobs", "2")
    return course, out.stdout


def test_demo_scores_in_the_gradebook_are_exact(graded):
    from nbgrader.api import Gradebook

    root, stdout = graded
    with Gradebook("sqlite:///" + str(root / "grading" / "gradebook.db"), course_id="rnn-course") as gb:
        scores = {s: gb.find_submission(A, s).score for s in EXPECTED}
    assert scores == EXPECTED
    for student, score in EXPECTED.items():
        assert student in stdout and f"{score:g} / 15" in stdout


def test_partial_credit_comes_from_separate_test_cells(graded):
    root, _ = graded
    rec = pipeline.load_results(str(root), A)
    bob = next(r for r in rec if r["student"] == "bob_partial")["notebooks"][A]["tests"]
    by_id = {t["grade_id"]: t for t in bob}
    assert by_id["test_rnn_forward_shape"]["score"] == 1
    assert by_id["test_rnn_forward_values"]["score"] == 0
    assert "off by one in time" in by_id["test_rnn_forward_values"]["message"]


def test_feedback_is_written_and_shows_no_hidden_test(graded):
    root, _ = graded
    _cli(root, "feedback", A)
    html_path = root / "grading" / "feedback" / "bob_partial" / A / f"{A}.html"
    text = html_path.read_text()
    assert "off by one in time" in text
    assert "hidden=True" not in text and "BEGIN HIDDEN TESTS" not in text


def test_export_writes_one_row_per_student(graded):
    root, _ = graded
    _cli(root, "export")
    with open(root / "grading" / "export" / "grades.csv") as f:
        rows = list(csv.DictReader(f))
    assert {r["student_id"]: float(r["score"]) for r in rows} == EXPECTED
    assert all(r["max_score"] == "15" for r in rows)
    assert (root / "grading" / "export" / "nbgrader_grades.csv").exists()


def test_class_report_has_the_distribution_and_the_mistakes(graded):
    root, _ = graded
    _cli(root, "report", A)
    text = (root / "grading" / "report" / f"{A}.html").read_text()
    # one histogram of scores, then one bar chart per exercise with a matched mistake
    assert text.count("data:image/png;base64,") >= 2
    assert "off by one in time" in text  # bob's mistake, drawn as a bar label and listed
    assert "3 students" in text


def test_parallel_and_sequential_give_the_same_scores(course, tmp_path):
    subs = os.path.join(ROOT, "demo", "submissions")
    seq = pipeline.grade(str(course), A, subs, jobs=1, progress=False)
    par = pipeline.grade(str(course), A, subs, jobs=2, progress=False)
    flat = lambda res: {(s, t["grade_id"]): (t["score"], t["status"])  # noqa: E731
                        for s, nbs in res.items() for t in nbs[A]["tests"]}
    assert flat(seq) == flat(par)


def test_bad_arguments_get_clear_errors(course):
    proc = subprocess.run([sys.executable, "-m", "autograder", "--root", str(course), "grade", "ch99_nothing"],
                          capture_output=True, text=True)
    assert proc.returncode != 0 and "assignment: expected one of" in proc.stderr
    assert "ch02_tanh_recurrence" in proc.stderr and "got 'ch99_nothing'" in proc.stderr
    proc = subprocess.run([sys.executable, "-m", "autograder", "--root", str(course), "grade", A,
                           "--submissions", "/nonexistent"], capture_output=True, text=True)
    assert proc.returncode != 0 and "submissions: expected a folder" in proc.stderr


def test_the_notebook_time_limit_stops_a_slow_notebook(course, tmp_path):
    """Each cell stays under the cell limit, but together they exceed the notebook's:
    the exercises whose cells never ran score zero with status timeout, the earlier
    ones keep their points."""
    from autograder.sandbox import Limits
    from autograder.synth import find_cell, make_submission, solution_sources, write

    answers = solution_sources(os.path.join(ROOT, "solutions", A, A + ".ipynb"))
    nb = make_submission(os.path.join(ROOT, "course", A, A + ".ipynb"), answers)
    import nbformat
    for _ in range(3):  # after rnn_step_forward's answer: 3 x 1.5 s, each under the 4 s cell limit
        nb.cells.insert(find_cell(nb, "rnn_step_forward") + 1, nbformat.v4.new_code_cell("import time\ntime.sleep(1.5)"))
    write(nb, str(tmp_path / "subs" / "slow" / A), A)
    res = pipeline.grade(str(course), A, str(tmp_path / "subs"), jobs=1, progress=False,
                         limits=Limits(cell_seconds=4, call_seconds=3, notebook_seconds=3.5))
    report = res["slow"][A]
    by_id = {t["grade_id"]: t for t in report["tests"]}
    assert report["status"] == "timeout"
    assert by_id["test_rnn_step_forward_values"]["score"] == 2
    assert by_id["test_output_layer_values"]["status"] == "timeout"
    assert by_id["test_output_layer_values"]["score"] == 0
