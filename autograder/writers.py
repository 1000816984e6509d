"""Where a graded class goes: one writer per destination, each doing one job.

All of them take the typed reports the workers built (:class:`~autograder.result.NotebookReport`)
and write under the grading workspace; none reads a submission again. Files are written
to a temporary name and renamed, so a reader never sees half a file and a link planted
at the destination is replaced, not followed.
"""

from __future__ import annotations

import json
import os

import nbformat

from .result import NotebookReport


def _atomic_write(path: str, text: str) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = f"{path}.{os.getpid()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def results_record(student: str, assignment: str, reports: dict[str, NotebookReport]) -> dict:
    """The results file's content: totals and every notebook's report."""
    return {"student": student, "assignment": assignment,
            "score": sum(r.score for r in reports.values()),
            "max_score": sum(r.max_score for r in reports.values()),
            "notebooks": {nb: r.to_dict() for nb, r in reports.items()}}


def write_results(folder: str, student: str, assignment: str, reports: dict[str, NotebookReport]) -> str:
    """``<folder>/<student>.json``: per test score, max, status, message, mistakes, checks."""
    path = os.path.join(folder, f"{student}.json")
    _atomic_write(path, json.dumps(results_record(student, assignment, reports), indent=2))
    return path


def write_autograded(folder: str, notebook: str, report: NotebookReport) -> str:
    """``<folder>/<notebook>.ipynb``: the notebook the worker built, verdicts in the test cells."""
    path = os.path.join(folder, notebook + ".ipynb")
    _atomic_write(path, nbformat.writes(nbformat.from_dict(report.autograded)))
    return path


def write_gradebook(db_url: str, assignment: str, results: dict[str, dict[str, NotebookReport]]) -> None:
    """nbgrader's gradebook: every test cell's auto score, so formgrader, ``nbgrader
    export`` and feedback agree with the results files."""
    import warnings

    from nbgrader.api import Gradebook
    from sqlalchemy.exc import SAWarning

    # nbgrader's update_or_create_submission trips SQLAlchemy's autoflush warning; harmless
    warnings.filterwarnings("ignore", category=SAWarning)
    with Gradebook(db_url, course_id="rnn-course") as gb:
        for student, reports in sorted(results.items()):
            gb.update_or_create_student(student)
            gb.update_or_create_submission(assignment, student)
            for nb, report in reports.items():
                for test in report.tests:
                    grade = gb.find_grade(test.grade_id, nb, assignment, student)
                    grade.auto_score = float(test.score)
                    # as stock autograde: a scored test needs review only if a person graded it before
                    grade.needs_manual_grade = grade.manual_score is not None
                gb.db.commit()
