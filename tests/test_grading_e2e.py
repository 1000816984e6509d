"""The instructor's pipeline end to end on a temporary copy of the course and the demo class:
exact scores read from the gradebook, feedback without hidden tests, CSV export, class
report, the CLI from another directory, and parallel == sequential."""

import csv
import os
import re
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
    # readable offline: formulas as MathML (no MathJax from a CDN), long messages wrap
    assert text.count("<math") > 10 and "cdnjs" not in text and 'src="http' not in text
    assert "white-space: pre-wrap" in text


def test_export_writes_one_row_per_student(graded):
    root, _ = graded
    _cli(root, "export")
    with open(root / "grading" / "export" / "grades.csv") as f:
        rows = list(csv.DictReader(f))
    assert {r["student_id"]: float(r["score"]) for r in rows} == EXPECTED
    assert all(r["max_score"] == "15" and r["graded_by"] == "auto" for r in rows)
    assert (root / "grading" / "export" / "nbgrader_grades.csv").exists()
    _cli(root, "export", "--lms", "moodle")
    with open(root / "grading" / "export" / "moodle_grades.csv") as f:
        table = list(csv.reader(f))
    assert table[0] == ["Username", "First name", "Last name", "Email address", A]
    assert {r[0]: float(r[4]) for r in table[1:]} == EXPECTED


def test_a_manual_grade_reaches_export_and_report(graded, tmp_path):
    """A grade given by hand (as Formgrader stores it) replaces the automatic one in the
    CSV, the LMS file and the class report, made after it; the gradebook is the one source."""
    from nbgrader.api import Gradebook

    root, _ = graded
    copy = tmp_path / "course"
    shutil.copytree(root, copy)
    with Gradebook("sqlite:///" + str(copy / "grading" / "gradebook.db"), course_id="rnn-course") as gb:
        gb.find_grade("test_rnn_forward_values", A, A, "bob_partial").manual_score = 2.0
        gb.db.commit()
    _cli(copy, "export")
    with open(copy / "grading" / "export" / "grades.csv") as f:
        rows = {r["student_id"]: r for r in csv.DictReader(f)}
    assert float(rows["bob_partial"]["score"]) == EXPECTED["bob_partial"] + 2
    assert rows["bob_partial"]["graded_by"] == "auto+manual"
    _cli(copy, "export", "--lms", "canvas")
    with open(copy / "grading" / "export" / "canvas_grades.csv") as f:
        table = list(csv.reader(f))
    assert table[1][:1] == ["Points Possible"] and ["bob_partial", "", "bob_partial", "bob_partial", "",
                                                    f"{EXPECTED['bob_partial'] + 2:g}"] in table
    _cli(copy, "report", A)
    text = (copy / "grading" / "report" / f"{A}.html").read_text()
    assert "1 with a manual grade" in text
    assert f"mean {(15 + 13 + 0) / 3:.2f} of 15" in text


def test_class_report_has_the_distribution_and_the_mistakes(graded):
    root, _ = graded
    _cli(root, "report", A)
    text = (root / "grading" / "report" / f"{A}.html").read_text()
    # one histogram of scores, then one bar chart per exercise with a matched mistake
    assert text.count("data:image/png;base64,") >= 2
    assert "off by one in time" in text  # bob's mistake, drawn as a bar label and listed
    assert "3 students" in text
    # every figure has alt text that gives its numbers in words
    images = re.findall(r"<img [^>]*>", text)
    assert images and all('alt="' in img for img in images)
    assert 'alt="Histogram of scores: 1 student from 0 to' in text


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
    """Each cell stays under the cell limit, but together they exceed the notebook's: the
    exercises whose cells never ran score zero with status timeout, the earlier ones keep
    their points. The limits are CPU time and the cells burn CPU (a sleep would cost none),
    so a loaded machine changes how long this takes, never what it finds."""
    from autograder.sandbox import Limits
    from autograder.sources import solution_sources
    from benchmarks.synth import find_cell, make_submission, write

    answers = solution_sources(os.path.join(ROOT, "solutions", A, A + ".ipynb"))
    nb = make_submission(os.path.join(ROOT, "course", A, A + ".ipynb"), answers)
    import nbformat
    burn = "import time\nt0 = time.process_time()\nwhile time.process_time() - t0 < 1.5:\n    pass"
    for _ in range(3):  # after rnn_step_forward's answer: 3 x 1.5 CPU s, each under the 4 s cell limit
        nb.cells.insert(find_cell(nb, "rnn_step_forward") + 1, nbformat.v4.new_code_cell(burn))
    write(nb, str(tmp_path / "subs" / "slow" / A), A)
    res = pipeline.grade(str(course), A, str(tmp_path / "subs"), jobs=1, progress=False,
                         limits=Limits(cell_seconds=4, call_seconds=3, notebook_seconds=3.5))
    report = res["slow"][A]
    by_id = {t["grade_id"]: t for t in report["tests"]}
    assert report["status"] == "timeout"
    assert by_id["test_rnn_step_forward_values"]["score"] == 2
    assert by_id["test_output_layer_values"]["status"] == "timeout"
    assert by_id["test_output_layer_values"]["score"] == 0
    assert "CPU time ran out" in by_id["test_output_layer_values"]["message"]


def test_long_runs_show_progress_on_one_line():
    """release, feedback and export count what they have done on one rewritten line,
    shown for long runs (or a terminal) and silent for short ones."""
    import io

    from autograder.progress import Progress

    out = io.StringIO()
    with Progress("feedback", 30, stream=out) as bar:  # 30 items: long enough to show
        for k in range(30):
            bar.step(f"student{k}")
    text = out.getvalue()
    assert text.count("\r") == 30 and text.endswith("\n")
    assert "feedback 1/30" in text and "feedback 30/30" in text
    quiet = io.StringIO()
    with Progress("export", 3, stream=quiet) as bar:
        bar.step()
    assert quiet.getvalue() == ""
    with pytest.raises(ValueError, match="total: expected a count >= 0"):
        Progress("x", -1)
