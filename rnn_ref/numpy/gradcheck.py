"""Central-difference gradient checking, the one checker used everywhere.

    numeric_gradient(f, x, df)   ~  d/dx sum(f(x) * df)
    rel_error(a, b)              =  max|a - b| / max(|a| + |b|)
"""

from __future__ import annotations

import numpy as np

__all__ = ["numeric_gradient", "rel_error"]


def numeric_gradient(f, x, df=None, eps=1e-6):
    """Gradient of ``sum(f(x) * df)`` with respect to ``x`` by central differences.

    ``x`` is perturbed in place, one entry at a time, and restored exactly; ``f`` is
    called as ``f(x)`` and may return a scalar or an array (then ``df``, of the same
    shape as the output, weights it; ``None`` means all ones). Use float64: the error
    is O(eps^2) in theory and about 1e-10 relative in practice for smooth ``f``.

    Args:
        f: callable taking ``x`` and returning a scalar or an array.
        x: float ndarray of any shape, modified during the call and restored.
        df: array shaped like ``f(x)``, or None.
        eps: the step.

    Returns:
        grad: array shaped like ``x``.
    """
    if not isinstance(x, np.ndarray) or x.dtype.kind != "f":
        raise ValueError(f"x: expected a float ndarray, got {type(x).__name__}"
                         f"{'' if not hasattr(x, 'dtype') else ' of dtype ' + str(x.dtype)}")
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = x[i].copy()
        x[i] = old + eps
        plus = np.asarray(f(x), dtype=np.float64)
        x[i] = old - eps
        minus = np.asarray(f(x), dtype=np.float64)
        x[i] = old
        weight = 1.0 if df is None else np.asarray(df)
        grad[i] = np.sum((plus - minus) * weight) / (2 * eps)
    return grad


def rel_error(a, b):
    """Largest absolute difference relative to the largest magnitude (0 when both are 0)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"b: expected shape {a.shape} (the shape of a), got {b.shape}")
    scale = np.max(np.abs(a) + np.abs(b)) if a.size else 0.0
    return 0.0 if scale == 0 else float(np.max(np.abs(a - b)) / scale)
