"""Stock ``nbgrader autograde``, sequential, in the student's kernel: the baseline that
the hardened grader is measured against (and that it replaces; see README)."""

from __future__ import annotations

import os
import shutil

from . import pipeline


def nbgrader_autograde(root: str, assignment: str, submissions: str) -> None:
    """Copy each student's ``<submissions>/<student>/<assignment>`` into nbgrader's
    submitted folder (unless it already is that folder, as after ``nbgrader collect``)
    and run stock ``nbgrader autograde`` on the course at ``root``."""
    pipeline._check_assignment(root, assignment)
    pipeline._prepare_gradebook(root, assignment)
    inbox = os.path.join(pipeline.workspace(root), "submitted")
    if os.path.realpath(submissions) != os.path.realpath(inbox):
        for student in pipeline.students_in(submissions):
            src = os.path.join(submissions, student, assignment)
            dst = os.path.join(inbox, student, assignment)
            if os.path.isdir(dst):
                shutil.rmtree(dst)
            if os.path.isdir(src):
                shutil.copytree(src, dst)
    pipeline.nbgrader(root, "autograde", assignment, "--force")
