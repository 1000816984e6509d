"""autograder: named checks for the course notebooks and the instructor's grading pipeline.

In a notebook::

    from autograder import check
    check("ch02.rnn_step_forward.values", rnn_step_forward)

runs the named check on the function with inputs the check draws from its own seed,
prints a confirmation, or raises ``AssertionError`` with feedback that names the
mistake. The instructor's pipeline (``python -m autograder``) runs the same checks
outside the student's kernel. Importing this package imports neither nbgrader nor torch.
"""

from .registry import run_check, seed_for
from .result import CheckFailed, CheckResult

__all__ = ["check", "run_check", "seed_for", "CheckResult", "CheckFailed"]


def check(name: str, fn, *, hidden: bool = False, points: float = 1.0) -> None:
    """Run the named check on ``fn``; print success or raise :class:`CheckFailed` (an
    ``AssertionError``) whose message, shown first and without a traceback, is the feedback.

    Args:
        name: ``"<chapter>.<exercise>.<kind>"``, e.g. ``"ch02.rnn_forward.shape"``.
        fn: the student's function.
        hidden: draw the inputs from the hidden seed (used by hidden test cells).
        points: the points shown in the message (the grader reads them from the cell).
    """
    result = run_check(name, fn, seed_for(name, hidden), points)
    if not result.passed:
        raise CheckFailed(f"{name}: {result.message}") from None
    print(f"\u2713 {name}: {result.message}")
