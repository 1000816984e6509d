"""Grades out of the gradebook, read at the moment of export: the one source of truth.

The gradebook (``grading/gradebook.db``) holds every score: the grader's automatic ones
and any manual grade or correction given in Formgrader (a manual score replaces the
automatic one, as in nbgrader). So an export made after a Formgrader edit shows it. The
grader's statuses (``timeout``, ``forbidden``...) come from ``grading/results/``.

Formats:
    long    ``student_id, assignment, score, max_score, percent, status, graded_by``,
            one row per student and assignment (``grading/export/grades.csv``)
    canvas  Canvas's gradebook import: ``Student, ID, SIS User ID, SIS Login ID, Section``
            and one column per assignment, a ``Points Possible`` row first, one row per student
    moodle  Moodle's "Import grades from CSV": an identifier column (``Username``; map it to
            *username*), names, ``Email address`` and one column per assignment
"""

from __future__ import annotations

import csv
import json
import os
import warnings
from dataclasses import dataclass

from .progress import Progress

COURSE_ID = "rnn-course"
FORMATS = ("long", "canvas", "moodle")


@dataclass
class Row:
    """One student's result on one assignment, as the gradebook has it now."""

    student: str
    first_name: str
    last_name: str
    email: str
    assignment: str
    score: float
    max_score: float
    status: str       # "ok", the grader's failure statuses joined by ",", or "not graded"
    graded_by: str    # "auto", "auto+manual" (a manual score given), or "manual"

    @property
    def percent(self) -> float:
        return 100.0 * self.score / self.max_score if self.max_score else 0.0


def db_url(root: str) -> str:
    return "sqlite:///" + os.path.join(root, "grading", "gradebook.db")


def _statuses(root: str, assignment: str, student: str) -> str:
    path = os.path.join(root, "grading", "results", assignment, f"{student}.json")
    try:
        with open(path) as f:
            record = json.load(f)
    except (OSError, ValueError):
        return "ok"  # graded by stock nbgrader or by hand: no grader statuses
    found = sorted({r.get("status", "ok") for r in record.get("notebooks", {}).values()})
    bad = [s for s in found if s != "ok"]
    return ",".join(bad) if bad else "ok"


def gradebook_rows(root: str, *, progress: bool | None = None) -> list[Row]:
    """Every submission in the gradebook, with its score as it stands now.

    Assignments nobody has submitted are left out; a student in the gradebook without a
    submission of an assignment that others submitted gets score 0 and status ``missing``.
    """
    from nbgrader.api import Grade, Gradebook
    from sqlalchemy.exc import SAWarning

    warnings.filterwarnings("ignore", category=SAWarning)
    if not os.path.exists(os.path.join(root, "grading", "gradebook.db")):
        raise ValueError(f"root: expected a course with a gradebook (grading/gradebook.db), got {root!r}; "
                         "grade something first")
    rows: list[Row] = []
    with Gradebook(db_url(root), course_id=COURSE_ID) as gb:
        students = {s.id: s for s in gb.students}
        manual: set[tuple[str, str]] = set()
        for grade in gb.db.query(Grade).filter(Grade.manual_score.isnot(None)):
            manual.add((grade.student.id, grade.assignment.name))
        assignments = sorted(a.name for a in gb.assignments)
        with Progress("export", len(assignments), show=progress) as bar:
            for name in assignments:
                subs = {d["student"]: d for d in gb.submission_dicts(name)}
                bar.step(name)
                if not subs:
                    continue
                for sid in sorted(students):
                    s = students[sid]
                    d = subs.get(sid)
                    if d is None:
                        max_score = max(x["max_score"] for x in subs.values())
                        rows.append(Row(sid, s.first_name or "", s.last_name or "", s.email or "", name,
                                        0.0, float(max_score), "missing", "auto"))
                        continue
                    by = "auto+manual" if (sid, name) in manual else "auto"
                    rows.append(Row(sid, s.first_name or "", s.last_name or "", s.email or "", name,
                                    float(d["score"]), float(d["max_score"]), _statuses(root, name, sid), by))
    return rows


def _write(path: str, header: list[str], rows: list[list]) -> str:
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    os.replace(tmp, path)
    return path


def _num(x: float) -> str:
    return f"{x:g}"


def write_long(rows: list[Row], path: str) -> str:
    return _write(path, ["student_id", "assignment", "score", "max_score", "percent", "status", "graded_by"],
                  [[r.student, r.assignment, _num(r.score), _num(r.max_score), f"{r.percent:.1f}", r.status,
                    r.graded_by] for r in rows])


def _wide(rows: list[Row]) -> tuple[list[str], dict[str, float], dict[str, dict[str, Row]]]:
    assignments = sorted({r.assignment for r in rows})
    points = {a: max(r.max_score for r in rows if r.assignment == a) for a in assignments}
    table: dict[str, dict[str, Row]] = {}
    for r in rows:
        table.setdefault(r.student, {})[r.assignment] = r
    return assignments, points, table


def write_canvas(rows: list[Row], path: str) -> str:
    """Canvas's gradebook CSV: the five identity columns, then one column per assignment;
    the second row gives each assignment's points. Canvas matches students by
    ``SIS User ID`` (put the nbgrader student ids = the LMS's SIS ids) and an assignment
    column by its name (a new name makes a new assignment)."""
    assignments, points, table = _wide(rows)
    body = [["Points Possible", "", "", "", ""] + [_num(points[a]) for a in assignments]]
    for sid in sorted(table):
        any_row = next(iter(table[sid].values()))
        name = ", ".join(p for p in (any_row.last_name, any_row.first_name) if p) or sid
        body.append([name, "", sid, sid, ""] + [_num(table[sid][a].score) if a in table[sid] else ""
                                                 for a in assignments])
    return _write(path, ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"] + assignments, body)


def write_moodle(rows: list[Row], path: str) -> str:
    """Moodle's grade import: map ``Username`` to the user field *username* and each
    assignment column to its grade item on the import form."""
    assignments, _, table = _wide(rows)
    body = []
    for sid in sorted(table):
        any_row = next(iter(table[sid].values()))
        body.append([sid, any_row.first_name, any_row.last_name, any_row.email]
                    + [_num(table[sid][a].score) if a in table[sid] else "" for a in assignments])
    return _write(path, ["Username", "First name", "Last name", "Email address"] + assignments, body)


WRITERS = {"long": write_long, "canvas": write_canvas, "moodle": write_moodle}
DEFAULT_NAMES = {"long": "grades.csv", "canvas": "canvas_grades.csv", "moodle": "moodle_grades.csv"}


def export(root: str, path: str | None = None, fmt: str = "long", *, progress: bool | None = None) -> str:
    """Write the grades in format ``fmt`` (one of :data:`FORMATS`) and return the path."""
    if fmt not in WRITERS:
        raise ValueError(f"lms: expected one of {', '.join(FORMATS)}, got {fmt!r}")
    path = path or os.path.join(root, "grading", "export", DEFAULT_NAMES[fmt])
    return WRITERS[fmt](gradebook_rows(root, progress=progress), path)
