"""Argument checks for the NumPy backend: dtype, shape contract, finiteness.

Every public function of :mod:`rnn_ref.numpy` calls :func:`floats` on its array
arguments and :meth:`rnn_ref._shapes.Dims.check` on their shapes, so that bad input
raises a ``ValueError`` naming the argument, what was expected and what came.
"""

from __future__ import annotations

import numpy as np

from .._shapes import Dims, require_steps

__all__ = ["Dims", "require_steps", "floats", "result_dtype", "integers"]


def floats(name: str, value, *, finite: bool = False, optional: bool = False):
    """Return ``value`` as a float32/float64 ndarray, or raise ValueError naming ``name``.

    Lists and scalars are converted; integer, boolean, complex and object arrays are
    refused (a silent cast would hide a bug). With ``finite=True`` NaN/inf are refused.
    With ``optional=True`` a ``None`` passes through as ``None``.
    """
    if value is None:
        if optional:
            return None
        raise ValueError(f"{name}: expected an array of floats, got None")
    arr = value if isinstance(value, np.ndarray) else np.asarray(value)
    if arr.dtype not in (np.float32, np.float64):
        raise ValueError(
            f"{name}: expected a float32 or float64 array, got dtype {arr.dtype}"
        )
    if finite and not np.isfinite(arr).all():
        bad = np.argwhere(~np.isfinite(arr))[0]
        raise ValueError(
            f"{name}: expected finite values, got {arr[tuple(bad)]} at index {tuple(int(i) for i in bad)}"
        )
    return arr


def integers(name: str, value, *, low: int, high: int):
    """Return ``value`` as an integer ndarray with entries in [low, high), or raise ValueError."""
    arr = np.asarray(value)
    if arr.dtype.kind not in "iu":
        raise ValueError(f"{name}: expected an integer array, got dtype {arr.dtype}")
    if arr.size and (arr.min() < low or arr.max() >= high):
        raise ValueError(
            f"{name}: expected integers in [{low}, {high}), got values from {arr.min()} to {arr.max()}"
        )
    return arr


def result_dtype(*arrays) -> np.dtype:
    """The float dtype a computation on ``arrays`` runs in (float64 if any is float64)."""
    return np.result_type(*[a.dtype for a in arrays if a is not None])
