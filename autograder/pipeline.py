"""The instructor's pipeline: release, grade, feedback, export, report.

Layout (nbgrader's, configured in ``nbgrader_config.py``; ``root`` is the course root):

    solutions/<assignment>/<nb>.ipynb       source (instructor only)
    course/<assignment>/<nb>.ipynb          release (generated; committed)
    grading/gradebook.db                    nbgrader's gradebook
    grading/submitted/<student>/<a>/        copies of what was graded (originals untouched)
    grading/autograded/<student>/<a>/       notebooks with the grader's verdicts
    grading/feedback/<student>/<a>/         HTML feedback (no hidden tests)
    grading/results/<a>/<student>.json      per student and per test: score, max, status, message
    grading/export/grades.csv               one row per student and assignment (LMS import)
    grading/report/<a>.html                 class report: score distribution, common mistakes
"""

from __future__ import annotations

import concurrent.futures as cf
import csv
import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import time

import nbformat

from .grading import grade_notebook, submission_path
from .notebooks import autograded_notebook, build_program, load_blueprint, read_submission
from .sandbox import Limits, hidden_paths

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


def nbgrader(root: str, *args: str, quiet: bool = True) -> subprocess.CompletedProcess:
    """Run ``nbgrader <args>`` on the course at ``root`` with the course's config."""
    # nbgrader reads nbgrader_config.py from the Jupyter config path: put ours first
    paths = [HERE] + [p for p in os.environ.get("JUPYTER_CONFIG_PATH", "").split(os.pathsep) if p]
    env = dict(os.environ, RNN_COURSE_ROOT=os.path.abspath(root), JUPYTER_CONFIG_PATH=os.pathsep.join(paths))
    cmd = [sys.executable, "-m", "nbgrader", *args]
    proc = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"nbgrader {' '.join(args)} failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
    if not quiet:
        sys.stderr.write(proc.stderr)
    return proc


def assignments(root: str) -> list[str]:
    src = os.path.join(root, "solutions")
    return sorted(d for d in os.listdir(src) if os.path.isdir(os.path.join(src, d)) and not d.startswith("."))


def _check_assignment(root: str, assignment: str) -> None:
    known = assignments(root)
    if assignment not in known:
        raise SystemExit(f"assignment: expected one of {', '.join(known)}, got {assignment!r}")


def notebook_names(root: str, assignment: str) -> list[str]:
    folder = os.path.join(root, "solutions", assignment)
    return sorted(f[:-6] for f in os.listdir(folder) if f.endswith(".ipynb"))


# -- release ---------------------------------------------------------------------------

def release(root: str, assignment: str | None = None, into: str | None = None) -> list[str]:
    """Regenerate the student version(s) from ``solutions/`` into ``course/`` (or ``into``)."""
    done = []
    for a in [assignment] if assignment else assignments(root):
        _check_assignment(root, a)
        args = ["generate_assignment", a, "--force", "--no-db"]
        if into:
            args.append(f"--CourseDirectory.release_directory={os.path.abspath(into)}")
        nbgrader(root, *args)
        done.append(a)
    return done


def _prepare_gradebook(root: str, assignment: str) -> None:
    """Record the assignment's cells in the gradebook (a release into the workspace)."""
    os.makedirs(workspace(root), exist_ok=True)
    nbgrader(root, "generate_assignment", assignment, "--force",
             f"--CourseDirectory.release_directory={os.path.join(workspace(root), 'release')}")


# -- grade -----------------------------------------------------------------------------

def _task(job):
    blueprint, student, path, note, limits, hide = job
    report = grade_notebook(blueprint, path, limits=limits, hide=hide)
    if note:
        report["notes"].insert(0, note)
    return student, report


def _progress(done: int, total: int, started: float) -> None:
    width = 30
    filled = int(width * done / max(total, 1))
    rate = done / max(time.monotonic() - started, 1e-9)
    line = f"\rgrading [{'#' * filled}{'.' * (width - filled)}] {done}/{total} ({rate:.1f}/s)"
    sys.stderr.write(line + ("\n" if done == total else ""))
    sys.stderr.flush()


def students_in(submissions: str) -> list[str]:
    if not os.path.isdir(submissions):
        raise SystemExit(f"submissions: expected a folder <student>/<assignment>/<notebook>.ipynb, "
                         f"got {submissions!r} (not a folder)")
    return sorted(d for d in os.listdir(submissions)
                  if os.path.isdir(os.path.join(submissions, d)) and not d.startswith("."))


def grade(root: str, assignment: str, submissions: str, *, jobs: int | None = None,
          limits: Limits | None = None, progress: bool = True) -> dict:
    """Grade every student's submission of ``assignment`` in a worker pool.

    Returns ``{student: report}`` and writes results JSON, autograded notebooks and the
    gradebook. The submissions folder is only read.
    """
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
    jobs_list = []
    for student in students:
        src = os.path.join(submissions, student, assignment)
        dst = os.path.join(ws, "submitted", student, assignment)
        if os.path.isdir(dst):
            shutil.rmtree(dst)
        if os.path.isdir(src):
            shutil.copytree(src, dst, symlinks=True)
        for nb, bp in blueprints.items():
            path, note = submission_path(submissions, student, assignment, nb)
            jobs_list.append((bp, student, path, note, limits, hide))
    results: dict[str, dict] = {s: {} for s in students}
    started = time.monotonic()
    ctx = multiprocessing.get_context("fork")
    with cf.ProcessPoolExecutor(max_workers=jobs, mp_context=ctx) as pool:
        futures = {pool.submit(_task, job): job for job in jobs_list}
        for done, future in enumerate(cf.as_completed(futures), 1):
            job = futures[future]
            try:
                student, report = future.result()
            except Exception as exc:  # a worker died: that notebook gets a crash status
                student, report = job[1], _crash_report(job[0], f"the grader's worker failed: {exc}")
            results[student][report["notebook"]] = report
            if progress:
                _progress(done, len(jobs_list), started)
    _write_results(root, assignment, blueprints, results, submissions)
    return results


def _crash_report(blueprint, message: str) -> dict:
    return {"notebook": blueprint.notebook, "status": "crash", "notes": [message], "score": 0.0,
            "max_score": blueprint.max_score, "tests": [
                dict(grade_id=t.grade_id, score=0.0, max_score=t.points, status="crash", message=message,
                     mistakes=[], checks=[]) for t in blueprint.tests]}


def _write_results(root, assignment, blueprints, results, submissions) -> None:
    import warnings

    from nbgrader.api import Gradebook
    from sqlalchemy.exc import SAWarning

    # nbgrader's update_or_create_submission trips SQLAlchemy's autoflush warning; harmless
    warnings.filterwarnings("ignore", category=SAWarning)
    ws = workspace(root)
    out = os.path.join(ws, "results", assignment)
    os.makedirs(out, exist_ok=True)
    db_url = "sqlite:///" + os.path.join(ws, "gradebook.db")
    with Gradebook(db_url, course_id="rnn-course") as gb:
        for student, reports in sorted(results.items()):
            gb.update_or_create_student(student)
            gb.update_or_create_submission(assignment, student)
            for nb, report in reports.items():
                for test in report["tests"]:
                    grade = gb.find_grade(test["grade_id"], nb, assignment, student)
                    grade.auto_score = float(test["score"])
                gb.db.commit()
                bp = blueprints[nb]
                path, _ = submission_path(submissions, student, assignment, nb)
                sub, _ = read_submission(path) if path else (None, None)
                program = build_program(bp, sub) if sub else build_program(bp, {"cells": []})
                outputs = {t["grade_id"]: (t["status"] == "ok", t["message"]) for t in report["tests"]}
                graded = autograded_notebook(bp, program, outputs)
                dest = os.path.join(ws, "autograded", student, assignment)
                os.makedirs(dest, exist_ok=True)
                nbformat.write(graded, os.path.join(dest, nb + ".ipynb"))
            record = {"student": student, "assignment": assignment,
                      "score": sum(r["score"] for r in reports.values()),
                      "max_score": sum(r["max_score"] for r in reports.values()),
                      "notebooks": reports}
            with open(os.path.join(out, f"{student}.json"), "w") as f:
                json.dump(record, f, indent=2)


# -- feedback, export, report ------------------------------------------------------------

def feedback(root: str, assignment: str) -> str:
    _check_assignment(root, assignment)
    nbgrader(root, "generate_feedback", assignment, "--force")
    return os.path.join(workspace(root), "feedback")


def load_results(root: str, assignment: str) -> list[dict]:
    folder = os.path.join(workspace(root), "results", assignment)
    if not os.path.isdir(folder):
        raise SystemExit(f"no results for {assignment!r}: run `python -m autograder grade {assignment}` first")
    return [json.load(open(os.path.join(folder, f))) for f in sorted(os.listdir(folder)) if f.endswith(".json")]


def export(root: str, path: str | None = None) -> str:
    """One CSV row per student and assignment: student_id, assignment, score, max_score,
    percent, status. Also runs nbgrader's own export (``grading/export/nbgrader_grades.csv``)."""
    path = path or os.path.join(workspace(root), "export", "grades.csv")
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    rows = []
    results_dir = os.path.join(workspace(root), "results")
    for a in sorted(os.listdir(results_dir)) if os.path.isdir(results_dir) else []:
        for rec in load_results(root, a):
            statuses = sorted({r["status"] for r in rec["notebooks"].values()})
            pct = 100.0 * rec["score"] / rec["max_score"] if rec["max_score"] else 0.0
            rows.append([rec["student"], a, f"{rec['score']:g}", f"{rec['max_score']:g}", f"{pct:.1f}",
                         "ok" if statuses == ["ok"] else ",".join(s for s in statuses if s != "ok")])
    tmp = path + ".tmp"
    with open(tmp, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["student_id", "assignment", "score", "max_score", "percent", "status"])
        writer.writerows(rows)
    os.replace(tmp, path)
    nbgrader(root, "export", f"--to={os.path.join(os.path.dirname(os.path.abspath(path)), 'nbgrader_grades.csv')}")
    return path
