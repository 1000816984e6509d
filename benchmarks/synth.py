"""Build synthetic submissions from the released notebook (demo class, benchmarks, tests).

A submission is the release notebook with some answer cells replaced; optional edits
then tamper with it the way students do (delete or edit a test cell, duplicate one,
change the kernelspec, add cells). Solutions come from :mod:`autograder.sources`, so
nothing is written twice.
"""

from __future__ import annotations

import copy
import os
import secrets

import nbformat



def make_submission(release_path: str, answers: dict[str, str] | None = None) -> nbformat.NotebookNode:
    """The release notebook with ``answers[grade_id]`` put into the answer cells."""
    nb = nbformat.read(release_path, as_version=4)
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if answers and gid in answers:
            cell.source = answers[gid]
    return nb


def find_cell(nb, grade_id: str) -> int:
    for i, cell in enumerate(nb.cells):
        if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id:
            return i
    raise KeyError(f"grade_id: no cell {grade_id!r} in the notebook")


def duplicate_cell(nb, grade_id: str) -> None:
    i = find_cell(nb, grade_id)
    twin = copy.deepcopy(nb.cells[i])
    twin["id"] = secrets.token_hex(4)  # cell ids must stay unique, as Jupyter makes them
    nb.cells.insert(i + 1, twin)


def write(nb, folder: str, name: str) -> str:
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, name + ".ipynb")
    nbformat.write(nb, path)
    return path
