"""Helpers shared by the chapter tests: student-style code from source text, the reference
called as a student's function, and the solution notebook's own answers."""

import functools
import os

import nbformat
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def compile_function(source: str, function: str, namespace: dict | None = None):
    """Run ``source`` (a student's cell) in a fresh namespace and return ``function`` from it."""
    namespace = dict(namespace or {})
    with np.errstate(all="ignore"):
        exec(compile(source, f"<student code: {function}>", "exec"), namespace)
    return namespace[function]


def as_student(ex):
    """The exercise's reference, called the way a student's function is (one array or a tuple)."""
    if len(ex.outputs) == 1:
        return lambda *args: ex.reference(**dict(zip(ex.args, args)))[0]
    return lambda *args: ex.reference(**dict(zip(ex.args, args)))


@functools.lru_cache(maxsize=None)
def _solution_namespace(assignment: str) -> dict:
    """The source notebook's trusted code run in notebook order in one namespace: the setup,
    the read-only given cells and the answers (markers removed), not the test cells and not
    the unlabelled demo cells. An answer may call an earlier one or a given helper."""
    from autograder.sources import strip_markers

    nb = nbformat.read(os.path.join(ROOT, "solutions", assignment, assignment + ".ipynb"), as_version=4)
    namespace = {}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code" or not meta.get("grade_id") or (meta.get("grade") and not meta.get("solution")):
            continue
        exec(compile(strip_markers(cell.source), f"<{assignment}: {meta['grade_id']}>", "exec"), namespace)
    return namespace


def solution_function(assignment: str, function: str):
    """The function ``function`` as the solution notebook defines it."""
    return _solution_namespace(assignment)[function]


def named(result, expected) -> bool:
    """A seeded mistake is named correctly when the check reports the expected name and the
    message shows it, or, for an uncatalogued mistake (None), when it names nothing."""
    if expected is None:
        return result.mistake == ""
    return result.mistake == expected and expected in result.message


def grade(assignment: str, path: str) -> dict:
    """Grade one notebook of ``assignment`` as the pipeline does (checks outside the
    sandboxed student process), with default limits; returns the report dict."""
    from autograder.grading import grade_notebook
    from autograder.notebooks import load_blueprint
    from autograder.sandbox import Limits, hidden_paths

    blueprint = load_blueprint(os.path.join(ROOT, "solutions", assignment, assignment + ".ipynb"),
                               os.path.join(ROOT, "course", assignment, assignment + ".ipynb"), assignment)
    return grade_notebook(blueprint, path, limits=Limits(), hide=hidden_paths(ROOT, []))
