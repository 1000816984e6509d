"""Stock ``nbgrader autograde``, sequential, in the student's kernel: the baseline that
the hardened grader is measured against (and that it replaces; see README)."""

from __future__ import annotations

import os
import shutil

from . import pipeline


def nbgrader_autograde(root: str, assignment: str, submissions: str) -> None:
    pipeline._check_assignment(root, assignment)
    pipeline._prepare_gradebook(root, assignment)
    for student in pipeline.students_in(submissions):
        src = os.path.join(submissions, student, assignment)
        dst = os.path.join(pipeline.workspace(root), "submitted", student, assignment)
        if os.path.isdir(dst):
            shutil.rmtree(dst)
        if os.path.isdir(src):
            shutil.copytree(src, dst)
    pipeline.nbgrader(root, "autograde", assignment, "--force")
