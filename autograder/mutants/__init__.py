"""Mutation analysis of the exercises' checks: ``python -m autograder.mutants ch05``.

:mod:`.operators` makes every single-edit variant (mutant) of a function's source; it is
used twice: by :mod:`.analysis`, which grades each mutant of a reference answer with the
exercise's checks and sorts the feedback (named / misnamed / localised / raised / bare,
and the survivors into equivalent or not), and by :func:`autograder.diagnosis.one_edit`,
which names a wrong answer by the edit of the textbook formula it equals.
"""

from .operators import Mutant, mutants

__all__ = ["Mutant", "mutants"]
