"""Formgrader over HTTP, as `make instructor` serves it: a Jupyter server started from the
course root on a free loopback port with a token, without the virtual environment's
scripts on PATH (the 'alembic' failure) and without any course variable. Lists the
assignment and its submissions, takes a manual grade, and the export shows it."""

import csv
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from test_nbgrader_native import DEMO, course_copy, stock_env

A = "ch02_tanh_recurrence"
TOKEN = "formgrader-test-token"

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _call(port, path, method="GET", body=None):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method,
                                 data=None if body is None else json.dumps(body).encode(),
                                 headers={"Authorization": f"token {TOKEN}", "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as resp:
        return json.loads(resp.read().decode() or "null")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from nbgrader.api import Gradebook

    root = course_copy(tmp_path_factory.mktemp("formgrader") / "course")
    out = subprocess.run([sys.executable, "-m", "autograder", "--root", root, "gradebook"],
                         capture_output=True, text=True, env=stock_env())
    assert out.returncode == 0 and f"recorded {A}" in out.stdout, out.stderr
    # two graded students, as the grader leaves them: their notebooks under grading/submitted
    # and grading/autograded (what Formgrader lists) and every test cell's automatic score in
    # the gradebook
    for student in ("alice_correct", "bob_partial"):
        for step in ("submitted", "autograded"):
            shutil.copytree(os.path.join(DEMO, student, A), os.path.join(root, "grading", step, student, A))
    with Gradebook("sqlite:///" + os.path.join(root, "grading", "gradebook.db"), course_id="rnn-course") as gb:
        for student, failed in (("alice_correct", ()), ("bob_partial", ("test_rnn_forward_values",))):
            gb.update_or_create_student(student, first_name=student.split("_")[0].title(), last_name="Demo")
            gb.update_or_create_submission(A, student)
            for cell in gb.find_notebook(A, A).grade_cells:
                grade = gb.find_grade(cell.name, A, A, student)
                grade.auto_score = 0.0 if cell.name in failed else cell.max_score
                grade.needs_manual_grade = False
            gb.db.commit()
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "server", f"--ServerApp.root_dir={root}", f"--ServerApp.port={port}",
         "--ServerApp.port_retries=0", "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={TOKEN}",
         "--ServerApp.open_browser=False", "--allow-root"],
        cwd=root, env=stock_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True)
    try:
        deadline = time.monotonic() + 180  # a loaded CI machine starts Jupyter slowly
        while True:
            try:
                _call(port, "/api/status")
                break
            except (urllib.error.URLError, ConnectionError, OSError):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError("the Jupyter server did not start:\n" + (proc.stdout.read() or "")[-3000:])
                time.sleep(1)
        yield root, port, proc
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def test_formgrader_lists_the_assignment_and_its_submissions(server):
    root, port, _ = server
    assignments = {a["name"]: a for a in _call(port, "/formgrader/api/assignments")}
    assert assignments[A]["num_submissions"] == 2
    assert assignments[A]["max_score"] == 15
    subs = {s["student"]: s for s in _call(port, f"/formgrader/api/submissions/{A}")}
    assert subs["alice_correct"]["score"] == 15
    assert subs["bob_partial"]["score"] == 13  # test_rnn_forward_values is worth 2
    assert not os.path.exists(os.path.join(root, "gradebook.db")), "a stray gradebook at the root"


def test_a_manual_grade_given_in_formgrader_reaches_the_export(server):
    root, port, proc = server
    notebooks = _call(port, f"/formgrader/api/submitted_notebooks/{A}/{A}")
    bob = next(n for n in notebooks if n["student"] == "bob_partial")
    grades = {g["name"]: g for g in _call(port, f"/formgrader/api/grades?submission_id={bob['id']}")}
    target = grades["test_rnn_forward_values"]
    assert target["auto_score"] == 0 and target["max_score"] == 2
    updated = _call(port, f"/formgrader/api/grade/{target['id']}", "PUT", {"manual_score": 1.5})
    assert updated["manual_score"] == 1.5 and updated["auto_score"] == 0
    subs = {s["student"]: s for s in _call(port, f"/formgrader/api/submissions/{A}")}
    assert subs["bob_partial"]["score"] == 14.5

    run = lambda *a: subprocess.run([sys.executable, "-m", "autograder", "--root", root, *a],  # noqa: E731
                                    capture_output=True, text=True, env=stock_env())
    assert run("export").returncode == 0
    with open(os.path.join(root, "grading", "export", "grades.csv")) as f:
        rows = {r["student_id"]: r for r in csv.DictReader(f)}
    assert float(rows["bob_partial"]["score"]) == 14.5 and rows["bob_partial"]["graded_by"] == "auto+manual"
    assert float(rows["alice_correct"]["score"]) == 15 and rows["alice_correct"]["graded_by"] == "auto"
    with open(os.path.join(root, "grading", "export", "nbgrader_grades.csv")) as f:
        stock = {r["student_id"]: float(r["score"]) for r in csv.DictReader(f)}
    assert stock == {"alice_correct": 15.0, "bob_partial": 14.5}  # one source of truth
    assert run("export", "--lms", "canvas").returncode == 0
    with open(os.path.join(root, "grading", "export", "canvas_grades.csv")) as f:
        table = list(csv.reader(f))
    assert table[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", A]
    assert table[1][0] == "Points Possible" and table[1][5] == "15"
    assert ["Demo, Bob", "", "bob_partial", "bob_partial", "", "14.5"] in table
    assert proc.poll() is None
