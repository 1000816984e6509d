"""Compare a student's arrays with the reference and describe the first difference.

Everything here works on plain NumPy float arrays that the grader's own process made,
so nothing a student does inside their kernel can change the verdict.
"""

from __future__ import annotations

import numpy as np

RTOL = 1e-6
ATOL = 1e-8


def to_plain_array(value, what: str) -> np.ndarray:
    """``value`` as a float64 ndarray, or raise TypeError explaining what came back."""
    if isinstance(value, np.ndarray) and value.dtype.kind in "fiub":
        return np.array(value, dtype=np.float64, copy=True)
    if type(value) in (list, tuple, float, int) or hasattr(value, "__array__"):
        try:
            arr = np.array(value, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"{what} should be an array of numbers, got {type(value).__name__} ({exc})")
        if arr.dtype.kind == "f":
            return arr
    raise TypeError(f"{what} should be a NumPy array of numbers, got {type(value).__name__}")


def fmt_shape(shape) -> str:
    shape = tuple(shape)
    return "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"


def close(got: np.ndarray, want: np.ndarray, rtol=RTOL, atol=ATOL) -> bool:
    """True when shapes agree and every entry is within atol + rtol*|want| (NaN never passes)."""
    if got.shape != want.shape:
        return False
    with np.errstate(invalid="ignore"):
        ok = np.abs(got - want) <= atol + rtol * np.abs(want)
    return bool(ok.all())


def first_difference(got: np.ndarray, want: np.ndarray, rtol=RTOL, atol=ATOL) -> str:
    """A sentence naming the first differing entry, its two values and the largest error."""
    with np.errstate(invalid="ignore"):
        bad = ~(np.abs(got - want) <= atol + rtol * np.abs(want))
    index = tuple(int(i) for i in np.argwhere(bad)[0])
    err = np.abs(got - want)
    worst = float(np.nanmax(err)) if np.isfinite(err).any() else float("nan")
    count = int(bad.sum())
    return (
        f"first difference at index {list(index)}: got {got[index]:.6g}, expected {want[index]:.6g} "
        f"({count} of {got.size} entries differ; largest absolute error {worst:.3g})"
    )


def fmt_shapes(inputs: dict) -> str:
    """``"x(4, 3), h_prev(4, 5)"``: the shapes of the array-valued inputs, for messages."""
    return ", ".join(f"{k}{fmt_shape(v.shape)}" for k, v in inputs.items() if isinstance(v, np.ndarray))


def overflows_alike(outs, wrong, rtol=RTOL, atol=ATOL) -> bool:
    """True when ``wrong`` (a mistake's outputs) is non-finite, ``outs`` is non-finite in the
    same outputs, and the entries finite in both are equal: the same cause (an exp overflowing
    may give inf in one spelling and NaN in another), not merely any NaN."""
    def same_cause(o, w):
        both = np.isfinite(o) & np.isfinite(w)
        return (o.shape == w.shape and np.isfinite(o).all() == np.isfinite(w).all()
                and close(o[both], w[both], rtol, atol))
    return (len(wrong) == len(outs) and all(same_cause(o, w) for o, w in zip(outs, wrong))
            and not all(np.isfinite(w).all() for w in wrong))
