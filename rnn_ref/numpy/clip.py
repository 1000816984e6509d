"""Gradient clipping by global norm and by value, as torch.nn.utils.clip_grad_norm_ / _value_.

``grads`` is a dict name -> array, a list of arrays, or a nesting of both (a model's
gradient tree, e.g. seq2seq's). The clippers return new arrays in the same structure and
never modify their input; a NaN or infinite gradient is refused with a ValueError naming it.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from ._tree import label, leaves, rebuild
from ._validate import floats

__all__ = ["clip_grad_norm", "clip_grad_value"]


def _limit(name: str, value) -> float:
    if (isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real)
            or math.isnan(value) or value < 0):
        raise ValueError(f"{name}: expected a number >= 0, got {value!r}")
    return float(value)


def _arrays(grads) -> dict:
    """path -> validated array, for every leaf of ``grads``."""
    if not isinstance(grads, (dict, list, tuple)):
        raise ValueError(f"grads: expected a dict or a list of arrays, got {type(grads).__name__}")
    return {path: floats(label("grads", path), g, finite=True) for path, g in leaves(grads)}


def clip_grad_norm(grads, max_norm):
    """Scale all gradients together so that their global L2 norm is at most ``max_norm``.

    ``total_norm = sqrt(sum of squares of every entry of every array)``. As
    ``torch.nn.utils.clip_grad_norm_``, every array is multiplied by
    ``min(1, max_norm / (total_norm + 1e-6))``: so a norm above ``max_norm`` ends just
    below it, one below ``max_norm - 1e-6`` is untouched.

    Args:
        grads: dict name -> array, list of arrays, or a nesting of both; floats, finite.
        max_norm: number >= 0 (``inf`` never clips).

    Returns:
        (clipped: new arrays in the structure of ``grads``, total_norm: float, before clipping).
    """
    max_norm = _limit("max_norm", max_norm)
    arrays = _arrays(grads)
    total = math.sqrt(sum(float(np.sum(np.square(g, dtype=np.float64))) for g in arrays.values()))
    coef = min(1.0, max_norm / (total + 1e-6))
    return rebuild(grads, lambda path, _: arrays[path] * arrays[path].dtype.type(coef)), total


def clip_grad_value(grads, clip_value):
    """Clamp every gradient entry to ``[-clip_value, clip_value]``.

    Args:
        grads: dict name -> array, list of arrays, or a nesting of both; floats, finite.
        clip_value: number >= 0.

    Returns:
        clipped: new arrays in the structure of ``grads``.
    """
    clip_value = _limit("clip_value", clip_value)
    arrays = _arrays(grads)
    return rebuild(grads, lambda path, _: np.clip(arrays[path], -clip_value, clip_value))
