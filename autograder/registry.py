"""The registry of named checks: ``"<chapter>.<exercise>.<kind>"`` -> a check.

A chapter's exercises live in ``autograder/checks/<chapter>.py`` and are imported on
first use, so a notebook pays only for its own chapter. A check is called as
``run_check(name, student_fn, seed, points)`` and returns a :class:`CheckResult`;
it never raises for a student's mistake.
"""

from __future__ import annotations

import importlib
import os
import zlib

from .exercise import Exercise
from .result import CheckResult

_EXERCISES: dict[str, Exercise] = {}
KINDS = ("shape", "values")


def register(*exercises: Exercise) -> None:
    """Add exercises to the registry (called by each chapter module at import)."""
    for ex in exercises:
        if ex.name in _EXERCISES and _EXERCISES[ex.name] is not ex:
            raise ValueError(f"exercise name {ex.name!r} is registered twice")
        _EXERCISES[ex.name] = ex


def split_name(check_name: str) -> tuple[str, str]:
    """``"ch02.rnn_forward.values"`` -> (``"ch02.rnn_forward"``, ``"values"``)."""
    if not isinstance(check_name, str) or check_name.count(".") != 2:
        raise ValueError(f"check name: expected '<chapter>.<exercise>.<kind>', got {check_name!r}")
    prefix, kind = check_name.rsplit(".", 1)
    if kind not in KINDS:
        raise ValueError(f"check name {check_name!r}: expected a kind in {KINDS}, got {kind!r}")
    return prefix, kind


def exercise(prefix: str) -> Exercise:
    """The exercise registered under ``prefix`` (its chapter module is imported on demand)."""
    if prefix not in _EXERCISES:
        chapter = prefix.split(".", 1)[0]
        try:
            importlib.import_module(f"autograder.checks.{chapter}")
        except ModuleNotFoundError as exc:
            raise ValueError(f"check name: no chapter module for {chapter!r} ({exc})") from None
    if prefix not in _EXERCISES:
        known = ", ".join(sorted(n for n in _EXERCISES if n.startswith(prefix.split('.')[0])))
        raise ValueError(f"check name: unknown exercise {prefix!r}; known: {known or 'none'}")
    return _EXERCISES[prefix]


def exercise_for_function(chapter: str, function: str) -> Exercise | None:
    """The exercise of ``chapter`` whose learner's function is called ``function``, or None."""
    for ex in all_exercises(chapter):
        if ex.function == function:
            return ex
    return None


def all_exercises(chapter: str) -> list[Exercise]:
    importlib.import_module(f"autograder.checks.{chapter}")
    return [ex for name, ex in sorted(_EXERCISES.items()) if name.startswith(chapter + ".")]


def seed_for(check_name: str, hidden: bool = False) -> int:
    """The check's own seed: fixed for visible tests; for hidden tests it also mixes in
    the instructor's secret (environment variable ``AUTOGRADER_SECRET``), so hidden
    inputs differ from anything a student could reproduce from the released notebook."""
    text = check_name if not hidden else f"{check_name}|hidden|{os.environ.get('AUTOGRADER_SECRET', 'rnn-course')}"
    return zlib.crc32(text.encode())


def run_check(check_name: str, student_fn, seed: int, points: float = 1.0, lookup=None) -> CheckResult:
    """Run the named check on ``student_fn`` with inputs drawn from ``seed``.

    ``lookup(name)`` (optional) returns another of the learner's functions by name, or
    None: an exercise that ``depends_on`` a function checks it first, so that a wrong step
    is blamed on the step and not on the loop that calls it (see :class:`Exercise`)."""
    prefix, kind = split_name(check_name)
    ex = exercise(prefix)
    if not callable(student_fn):
        return CheckResult(check_name, False, 0.0, float(points), "failed",
                           f"expected the function {ex.function}, got {type(student_fn).__name__}")
    method = ex.check_shape if kind == "shape" else ex.check_values
    return method(student_fn, seed, points, lookup=lookup)
