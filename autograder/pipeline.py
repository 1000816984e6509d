"""The instructor's pipeline: release, grade, feedback, export, report.

Layout (nbgrader's, configured in ``nbgrader_config.py``; ``root`` is the course root):

    solutions/<assignment>/<nb>.ipynb       source (instructor only)
    course/<assignment>/<nb>.ipynb          release (generated; committed)
    grading/gradebook.db                    nbgrader's gradebook
    grading/submitted/<student>/<a>/        copies of what was graded (originals untouched)
    grading/autograded/<student>/<a>/       notebooks with the grader's verdicts
    grading/feedback/<student>/<a>/         HTML feedback (no hidden tests)
    grading/results/<a>/<student>.json      per student and per test: score, max, status, message
    grading/export/grades.csv               one row per student and assignment, from the gradebook
    grading/export/{canvas,moodle}_grades.csv   one row per student, one column per assignment
    grading/exchange/                       nbgrader's exchange (unless RNN_COURSE_EXCHANGE is set)
    grading/report/<a>.html                 class report: score distribution, common mistakes
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time

from . import registry
from . import submissions as submissions_io
from .grading import grade_submission
from .notebooks import autograded_notebook, build_program, load_blueprint
from .result import NotebookReport, TestReport
from .sandbox import Limits, hidden_paths
from .sandbox import method as sandbox_method
from .submissions import find_notebook
from .workers import run_isolated
from .writers import write_autograded, write_gradebook, write_results

HERE = os.path.dirname(os.path.abspath(__file__))
# nbgrader's gradebook runs the `alembic` script of this environment: make sure it is
# found even when the interpreter was started by path without activating the venv.
_BIN = os.path.dirname(sys.executable)
if _BIN not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = _BIN + os.pathsep + os.environ.get("PATH", "")


def default_root() -> str:
    return os.environ.get("RNN_COURSE_ROOT") or os.path.dirname(HERE)


def workspace(root: str) -> str:
    return os.path.join(root, "grading")


#: the folder holding the course's nbgrader_config.py (the repository root)
CONFIG_DIR = os.path.dirname(HERE)


def nbgrader(root: str, *args: str, quiet: bool = True, on_line=None) -> subprocess.CompletedProcess:
    """Run ``nbgrader <args>`` on the course at ``root`` with the course's config.

    nbgrader reads ``nbgrader_config.py`` from its working directory; ``root`` may be a
    copy of the course without one (the tests grade such copies), so the repository's
    config folder also goes first on the Jupyter config path, and ``RNN_COURSE_ROOT``
    tells that config where the course is. ``on_line(text)`` sees each line nbgrader logs
    as it comes (progress on long runs).
    """
    paths = [CONFIG_DIR] + [p for p in os.environ.get("JUPYTER_CONFIG_PATH", "").split(os.pathsep)
                            if p and os.path.abspath(p) != CONFIG_DIR]
    env = dict(os.environ, RNN_COURSE_ROOT=os.path.abspath(root), JUPYTER_CONFIG_PATH=os.pathsep.join(paths))
    cmd = [sys.executable, "-m", "nbgrader", *args]
    with subprocess.Popen(cmd, cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True) as child:
        lines = []
        for line in child.stdout:
            lines.append(line)
            if on_line:
                on_line(line)
        code = child.wait()
    log = "".join(lines)
    if code != 0:
        raise RuntimeError(f"nbgrader {' '.join(args)} failed (exit {code}):\n{log[-3000:]}")
    if not quiet:
        sys.stderr.write(log)
    return subprocess.CompletedProcess(cmd, code, log, log)


def assignments(root: str) -> list[str]:
    src = os.path.join(root, "solutions")
    return sorted(d for d in os.listdir(src) if os.path.isdir(os.path.join(src, d)) and not d.startswith("."))


def _check_assignment(root: str, assignment: str) -> None:
    known = assignments(root)
    if assignment not in known:
        raise ValueError(f"assignment: expected one of {', '.join(known)}, got {assignment!r}")


def notebook_names(root: str, assignment: str) -> list[str]:
    folder = os.path.join(root, "solutions", assignment)
    return sorted(f[:-6] for f in os.listdir(folder) if f.endswith(".ipynb"))


# -- release ---------------------------------------------------------------------------

def _refuse_working_copy(into: str) -> None:
    """A learner's working copy (a folder with a workcopy manifest, or inside one) is never a
    release target: a release there could overwrite a learner's notebook."""
    from .workcopy import MANIFEST

    path = os.path.abspath(into)
    while True:
        if os.path.isfile(os.path.join(path, MANIFEST)):
            raise ValueError(f"into: expected a folder outside a learner's working copy, got {into!r} "
                             f"(inside {path}; learners' notebooks are never written over)")
        parent = os.path.dirname(path)
        if parent == path:
            return
        path = parent


def release(root: str, assignment: str | None = None, into: str | None = None, *,
            progress: bool | None = None) -> list[str]:
    """Regenerate the student version(s) from ``solutions/`` into ``course/`` (or ``into``)."""
    from .progress import Progress

    if into:
        _refuse_working_copy(into)
    todo = [assignment] if assignment else assignments(root)
    done = []
    with Progress("release", len(todo), show=progress if progress is not None else len(todo) > 1) as bar:
        for a in todo:
            _check_assignment(root, a)
            args = ["generate_assignment", a, "--force", "--no-db"]
            if into:
                args.append(f"--CourseDirectory.release_directory={os.path.abspath(into)}")
            nbgrader(root, *args)
            done.append(a)
            bar.step(a)
    return done


def _prepare_gradebook(root: str, assignment: str) -> None:
    """Record the assignment's cells in the gradebook (a release into the workspace)."""
    os.makedirs(workspace(root), exist_ok=True)
    nbgrader(root, "generate_assignment", assignment, "--force",
             f"--CourseDirectory.release_directory={os.path.join(workspace(root), 'release')}")


def record_assignments(root: str, *, force: bool = False, progress: bool | None = None) -> list[str]:
    """Make sure the gradebook knows every assignment (so Formgrader lists each chapter,
    submitted or not); returns those recorded now. ``force`` records them all again."""
    from nbgrader.api import Gradebook

    from .progress import Progress

    os.makedirs(workspace(root), exist_ok=True)
    with Gradebook("sqlite:///" + os.path.join(workspace(root), "gradebook.db"), course_id="rnn-course") as gb:
        known = {a.name for a in gb.assignments}
    todo = [a for a in assignments(root) if force or a not in known]
    with Progress("gradebook", len(todo), show=progress if progress is not None else len(todo) > 1) as bar:
        for a in todo:
            _prepare_gradebook(root, a)
            bar.step(a)
    return todo


# -- grade -----------------------------------------------------------------------------

def _task(blueprint, submissions: str, student: str, assignment: str, limits: Limits, hide: list) -> NotebookReport:
    """Grade one student's notebook (runs in a worker process of its own)."""
    found = find_notebook(submissions, student, assignment, blueprint.notebook, limits.notebook_bytes)
    report = grade_submission(blueprint, found.raw, limits=limits, hide=hide, problem=found.problem,
                              missing_note=found.note or "the notebook was not submitted")
    if found.note and not found.missing:
        report.notes.insert(0, found.note)
    return report


def _progress(done: int, total: int, started: float) -> None:
    width = 30
    filled = int(width * done / max(total, 1))
    rate = done / max(time.monotonic() - started, 1e-9)
    line = f"\rgrading [{'#' * filled}{'.' * (width - filled)}] {done}/{total} ({rate:.1f}/s)"
    sys.stderr.write(line + ("\n" if done == total else ""))
    sys.stderr.flush()


def students_in(submissions: str) -> list[str]:
    """The students of a submissions folder (ValueError when it is not a folder)."""
    return submissions_io.students_in(submissions)


def grade(root: str, assignment: str, submissions: str, *, jobs: int | None = None,
          limits: Limits | None = None, progress: bool = True) -> dict:
    """Grade every student's submission of ``assignment``, each notebook in a worker
    process of its own (at most ``jobs`` at a time).

    Returns ``{student: {notebook: report dict}}`` and writes results JSON, autograded
    notebooks, copies of what was graded and the gradebook. The submissions folder is only
    read, never through a link. A worker that dies is replaced and its notebook graded
    again once; if it dies again only that notebook gets status "crash"."""
    _check_assignment(root, assignment)
    limits = limits or Limits()
    jobs = jobs or os.cpu_count() or 1
    submissions = os.path.abspath(submissions)
    students = students_in(submissions)
    ws = workspace(root)
    _prepare_gradebook(root, assignment)
    hide = hidden_paths(root, [submissions, ws])
    blueprints = {nb: load_blueprint(os.path.join(root, "solutions", assignment, nb + ".ipynb"),
                                     os.path.join(root, "course", assignment, nb + ".ipynb"), assignment)
                  for nb in notebook_names(root, assignment)}
    registry.all_exercises(assignment.split("_")[0])   # imported once, shared by the workers
    sandbox_method()                                    # probed once, inherited by the workers
    tasks = [(student, nb) for student in students for nb in blueprints]
    started = time.monotonic()

    def on_done(done):
        if progress:
            _progress(done, len(tasks), started)

    reports = run_isolated(
        tasks, lambda t: _task(blueprints[t[1]], submissions, t[0], assignment, limits, hide),
        lambda t, why: _crash_report(blueprints[t[1]], why), jobs=jobs, limits=limits, on_done=on_done)
    results: dict[str, dict] = {s: {} for s in students}
    for (student, nb), report in zip(tasks, reports):
        results[student][nb] = report
    _write_results(root, assignment, results, submissions, limits)
    return {s: {nb: r.to_dict() for nb, r in reports.items()} for s, reports in results.items()}


def _crash_report(blueprint, message: str) -> NotebookReport:
    report = NotebookReport(blueprint.notebook, blueprint.max_score, notes=[message])
    report.tests = [TestReport(t.grade_id, 0.0, t.points, "crash", message) for t in blueprint.tests]
    report.autograded = autograded_notebook(blueprint, build_program(blueprint, {"cells": []}),
                                            {t.grade_id: (False, message) for t in blueprint.tests})
    return report


def _write_results(root, assignment, results, submissions, limits) -> None:
    ws = workspace(root)
    out = os.path.join(ws, "results", assignment)
    # `nbgrader collect` puts submissions in grading/submitted itself: then there is nothing to copy
    in_place = os.path.realpath(submissions) == os.path.realpath(os.path.join(ws, "submitted"))
    for student, reports in sorted(results.items()):
        dst = os.path.join(ws, "submitted", student, assignment)
        if not in_place:
            if os.path.isdir(dst):
                shutil.rmtree(dst)
            submissions_io.copy_tree(submissions, student, assignment, dst, limits.notebook_bytes)
        graded = os.path.join(ws, "autograded", student, assignment)
        for nb, report in reports.items():
            write_autograded(graded, nb, report)
        submissions_io.copy_exchange_files(dst, graded)
        write_results(out, student, assignment, reports)
    write_gradebook("sqlite:///" + os.path.join(ws, "gradebook.db"), assignment, results)


# -- feedback, export, report ------------------------------------------------------------

def feedback(root: str, assignment: str, *, progress: bool | None = None) -> str:
    """HTML feedback for every graded student of ``assignment`` (stock ``generate_feedback``
    with the course's config: no hidden tests, formulas as MathML, messages wrapped)."""
    from .progress import Progress

    _check_assignment(root, assignment)
    graded = os.path.join(workspace(root), "autograded")
    total = sum(os.path.isdir(os.path.join(graded, s, assignment)) for s in os.listdir(graded)) \
        if os.path.isdir(graded) else 0
    total *= len(notebook_names(root, assignment))
    with Progress("feedback", total, show=progress) as bar:
        def seen(line: str) -> None:
            if "Converting notebook" in line:
                bar.step(line.rstrip().rsplit("/", 3)[-3] if line.count("/") >= 3 else "")
        nbgrader(root, "generate_feedback", assignment, "--force", on_line=seen)
    return os.path.join(workspace(root), "feedback")


def load_results(root: str, assignment: str) -> list[dict]:
    folder = os.path.join(workspace(root), "results", assignment)
    if not os.path.isdir(folder):
        raise ValueError(f"assignment: expected one with results, got {assignment!r} (no results yet: "
                         f"run `python -m autograder grade {assignment}` first)")
    return [json.load(open(os.path.join(folder, f))) for f in sorted(os.listdir(folder)) if f.endswith(".json")]


def export(root: str, path: str | None = None, lms: str | None = None) -> str:
    """Grades as the gradebook has them now (manual grades and Formgrader edits included).

    Without ``lms``: the long CSV, one row per student and assignment (student_id,
    assignment, score, max_score, percent, status, graded_by), and nbgrader's own export
    beside it (``nbgrader_grades.csv``). With ``lms="canvas"`` or ``"moodle"``: the wide
    file that system imports. See :mod:`autograder.export`.
    """
    from . import export as exporter

    written = exporter.export(root, path, lms or "long")
    if not lms:
        nbgrader(root, "export", f"--to={os.path.join(os.path.dirname(os.path.abspath(written)), 'nbgrader_grades.csv')}")
    return written
