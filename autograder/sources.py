"""The source notebook's answers: solution cells with nbgrader's markers removed.

Used wherever the reference solution of an exercise is needed as code (the mutation
analysis, the demo class, tests), so that no solution is ever written twice.
"""

from __future__ import annotations

import re

import nbformat

_MARKERS = re.compile(r"^[ \t]*### (BEGIN|END) (SOLUTION|HIDDEN TESTS)[^\n]*\n?", re.M)


def strip_markers(source: str) -> str:
    """A source cell's code without nbgrader's solution and hidden-test marker lines."""
    return _MARKERS.sub("", source)


def solution_sources(source_path: str) -> dict[str, str]:
    """``{grade_id: code}`` of the source notebook's answer cells, markers removed."""
    nb = nbformat.read(source_path, as_version=4)
    out = {}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution") and cell.cell_type == "code":
            out[meta["grade_id"]] = strip_markers(cell.source)
    return out
