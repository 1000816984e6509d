"""No student can affect another's grade (class 4 of the hardening issue).

One batch mixes controls with students whose grading goes wrong in every way the
grader's side can: the worker is killed, the grader raises an exception that could not
be pickled, the sandbox will not start, the worker runs out of memory, the notebook
sleeps forever. A second batch grades the controls alone. Every control's result must be
exactly the same in both, and each broken student must get their own status."""

import os
import signal

import pytest

from autograder import grading, pipeline
from autograder.sandbox import Limits, SandboxStartError
from autograder.sources import solution_sources
from benchmarks.synth import find_cell, make_submission, write

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
A = "ch02_tanh_recurrence"
SOURCE = os.path.join(ROOT, "solutions", A, A + ".ipynb")
RELEASE = os.path.join(ROOT, "course", A, A + ".ipynb")
LIMITS = Limits(cell_seconds=3, call_seconds=3, wall_factor=2, wall_grace=10, grader_memory_bytes=512 << 20)

pytestmark = pytest.mark.slow


def _faulty_task(real):
    def task(blueprint, submissions, student, assignment, limits, hide):
        if student.startswith("x1"):
            os.kill(os.getpid(), signal.SIGKILL)
        if student.startswith("x2"):
            class Unpicklable(Exception):
                pass
            raise Unpicklable(lambda: "a lambda cannot be pickled")
        if student.startswith("x3"):
            def refuse(*args, **kwargs):
                raise SandboxStartError("bwrap: the test says no")
            grading.Sandbox = refuse   # in this worker only (a forked process of its own)
        if student.startswith("x4"):
            hog = bytearray(limits.grader_memory_bytes * 2)   # past the worker's memory limit
            del hog
        return real(blueprint, submissions, student, assignment, limits, hide)
    return task


@pytest.fixture(scope="module")
def batches(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("isolation")
    root = tmp / "course_root"
    import shutil
    for part in ("solutions", "course"):
        shutil.copytree(os.path.join(ROOT, part), root / part)
    answers = solution_sources(SOURCE)
    partial = dict(answers, output_layer=answers["output_layer"].replace("+ b_y", "+ 0 * b_y"))
    sleeper = make_submission(RELEASE, answers)
    sleeper.cells[find_cell(sleeper, "output_layer")].source = answers["output_layer"] + "\nimport time\ntime.sleep(3600)\n"
    controls = {"c1_correct": make_submission(RELEASE, answers), "c2_partial": make_submission(RELEASE, partial),
                "c3_untouched": make_submission(RELEASE, {}), "c4_correct": make_submission(RELEASE, answers)}
    broken = {"x1_worker_killed": controls["c1_correct"], "x2_unpicklable_error": controls["c1_correct"],
              "x3_sandbox_will_not_start": controls["c1_correct"], "x4_worker_out_of_memory": controls["c1_correct"],
              "x5_sleeps_forever": sleeper}
    order = ["x1_worker_killed", "c1_correct", "x2_unpicklable_error", "c2_partial", "x3_sandbox_will_not_start",
             "c3_untouched", "x4_worker_out_of_memory", "x5_sleeps_forever", "c4_correct"]
    mixed, alone = tmp / "mixed", tmp / "alone"
    for name in order:   # names sort in this order too, so the broken ones run between controls
        write({**controls, **broken}[name], str(mixed / name / A), A)
        if name in controls:
            write(controls[name], str(alone / name / A), A)
    real = pipeline._task
    pipeline._task = _faulty_task(real)
    try:
        with_broken = pipeline.grade(str(root), A, str(mixed), jobs=2, progress=False, limits=LIMITS)
    finally:
        pipeline._task = real
    without = pipeline.grade(str(root), A, str(alone), jobs=2, progress=False, limits=LIMITS)
    return with_broken, without, controls


def _essence(report):
    return [(t["grade_id"], t["score"], t["status"], t["message"]) for t in report["tests"]]


def test_every_control_gets_exactly_what_it_gets_without_the_broken_students(batches):
    with_broken, without, controls = batches
    assert set(without) == set(controls)
    for student in controls:
        assert _essence(with_broken[student][A]) == _essence(without[student][A]), student
    assert [without[s][A]["score"] for s in sorted(controls)] == [15, 11, 0, 15]


@pytest.mark.parametrize("student, status, words", [
    ("x1_worker_killed", "crash", "SIGKILL"),
    ("x2_unpicklable_error", "crash", "Unpicklable"),
    ("x3_sandbox_will_not_start", "crash", "could not start a sandbox"),
    ("x4_worker_out_of_memory", "crash", "MemoryError"),
    ("x5_sleeps_forever", "timeout", "wall-clock"),
])
def test_each_broken_student_costs_only_themselves(batches, student, status, words):
    with_broken, _, _ = batches
    report = with_broken[student][A]
    assert report["status"] == status
    assert any(words in t["message"] for t in report["tests"]) or any(words in n for n in report["notes"]), report


def test_a_notebook_stopped_by_the_wall_clock_is_graded_twice_and_keeps_the_rest(batches):
    with_broken, _, _ = batches
    report = with_broken["x5_sleeps_forever"][A]
    assert report["attempts"] == 2
    assert report["score"] == 10   # the two exercises defined before the sleeping cell
