"""Checks of scalar arguments (counts, sizes, tokens), the same for every backend.

A boolean is never a number here (``True`` is refused where an integer is expected);
NumPy's ``np.bool_`` is not a :class:`numbers.Real`, so it is refused as well.
"""

from __future__ import annotations

import numbers

__all__ = ["is_real", "integer"]


def is_real(value) -> bool:
    """Whether ``value`` is a real number and not a boolean."""
    return not isinstance(value, bool) and isinstance(value, numbers.Real)


def integer(name: str, value, low: int = 0, high: int | None = None, what: str | None = None) -> int:
    """``value`` as an int if it is an integer in ``[low, high)``, else a ValueError naming ``name``.

    The message says ``what`` was expected: by default "a positive integer" (low 1),
    "an integer >= 0" (low 0), or "an integer in [low, high)" (high given).
    """
    if (isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low
            or (high is not None and value >= high)):
        if what is None:
            what = (f"an integer in [{low}, {high})" if high is not None
                    else "a positive integer" if low == 1 else f"an integer >= {low}")
        raise ValueError(f"{name}: expected {what}, got {value!r}")
    return int(value)
