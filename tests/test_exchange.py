"""The whole exchange cycle with stock nbgrader commands and the project's grader:
release_assignment -> a student's fetch_assignment and submit -> collect -> `python -m
autograder grade` on the collected submissions -> generate_feedback -> release_feedback ->
the student's fetch_feedback. One OS user plays both parts (the student with a student id
of their own), the exchange is a temporary folder, nothing course-specific is in the
environment, and the student works in a folder without the course's config."""

import os
import shutil
import subprocess
import sys

import pytest

from test_nbgrader_native import DEMO, course_copy, stock_env

A = "ch02_tanh_recurrence"
COURSE = "rnn-course"

pytestmark = pytest.mark.slow


def run(cwd, *args):
    proc = subprocess.run([sys.executable, "-m", *args], cwd=cwd, env=stock_env(), capture_output=True, text=True)
    assert proc.returncode == 0, f"{' '.join(args)}:\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"
    return proc.stdout + proc.stderr


def test_release_fetch_submit_collect_grade_feedback(tmp_path):
    root = course_copy(tmp_path / "course")
    exchange = str(tmp_path / "exchange")
    home = tmp_path / "bob_home"
    home.mkdir()
    # the student's submission cache lives in their home; keep it in the test's folder
    ex = f"--Exchange.root={exchange}"
    cache = f"--Exchange.cache={tmp_path / 'bob_cache'}"

    # instructor: record the assignment and release it into the exchange
    run(root, "nbgrader", "generate_assignment", A, "--force")
    run(root, "nbgrader", "release_assignment", A, ex, "--force")
    listed = run(root, "nbgrader", "list", ex)
    assert A in listed and COURSE in listed

    # student: fetch, work, submit (the course id on the command line; no course config here)
    run(home, "nbgrader", "fetch_assignment", A, f"--course={COURSE}", ex, cache)
    fetched = home / A / f"{A}.ipynb"
    assert fetched.read_bytes() == open(os.path.join(root, "course", A, f"{A}.ipynb"), "rb").read()
    shutil.copy(os.path.join(DEMO, "bob_partial", A, f"{A}.ipynb"), fetched)  # bob's answers
    run(home, "nbgrader", "submit", A, f"--course={COURSE}", ex, cache, "--student=bob")

    # instructor: collect, grade with the project's grader, feedback, release it
    collected = run(root, "nbgrader", "collect", A, ex)
    assert "bob" in collected
    submitted = os.path.join(root, "grading", "submitted")
    assert os.path.exists(os.path.join(submitted, "bob", A, f"{A}.ipynb"))
    graded = run("/", "autograder", "--root", root, "grade", A, "--submissions", submitted, "--jobs", "1", "--quiet")
    assert "11 / 15" in graded, graded
    assert os.path.exists(os.path.join(submitted, "bob", A, f"{A}.ipynb")), "grading removed the submission"
    for receipt in ("timestamp.txt", "submission_secret.txt"):  # what release_feedback needs
        assert os.path.exists(os.path.join(root, "grading", "autograded", "bob", A, receipt)), receipt
    run(root, "nbgrader", "generate_feedback", A)
    run(root, "nbgrader", "release_feedback", A, ex)

    # student: fetch the feedback
    run(home, "nbgrader", "fetch_feedback", A, f"--course={COURSE}", ex, cache, "--student=bob")
    pages = [os.path.join(folder, f) for folder, _, files in os.walk(home / A / "feedback") for f in files
             if f.endswith(".html")]
    assert len(pages) == 1, pages
    page = open(pages[0]).read()
    assert "off by one in time" in page and "<math" in page
    assert "BEGIN HIDDEN TESTS" not in page and "hidden=True" not in page
