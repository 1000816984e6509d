"""Gradient clipping by global norm and by value, as torch.nn.utils.clip_grad_norm_ / _value_.

``grads`` is a dict name -> array, a list of arrays, or a nesting of both (a model's
gradient tree, e.g. seq2seq's). The clippers return new arrays in the same structure and
never modify their input; a NaN or infinite gradient is refused with a ValueError naming it.
"""

from __future__ import annotations

import math

from .args import is_real
from .backend import explicit
from .tree import label, leaves, rebuild

__all__ = ["clip_grad_norm", "clip_grad_value"]


def _limit(name: str, value) -> float:
    if not is_real(value) or math.isnan(value) or value < 0:
        raise ValueError(f"{name}: expected a number >= 0, got {value!r}")
    return float(value)


def _arrays(B, grads) -> dict:
    """path -> validated array, for every leaf of ``grads`` (all on one device)."""
    if not isinstance(grads, (dict, list, tuple)):
        raise ValueError(f"grads: expected a dict or a list of {B.doc['arrays']}, got {type(grads).__name__}")
    out = {path: B.floats(label("grads", path), g, finite=True) for path, g in leaves(grads)}
    B.common(**{label("grads", path): g for path, g in out.items()})
    return out


@explicit
def clip_grad_norm(B, grads, max_norm):
    """Scale all gradients together so that their global L2 norm is at most ``max_norm``.

    ``total_norm = sqrt(sum of squares of every entry of every ${array})`` (accumulated in
    float64). As ``torch.nn.utils.clip_grad_norm_``, every ${array} is multiplied by
    ``min(1, max_norm / (total_norm + 1e-6))``: so a norm above ``max_norm`` ends just
    below it, one below ``max_norm - 1e-6`` is untouched.

    Args:
        grads: dict name -> ${array}, list of ${arrays}, or a nesting of both; floats, finite.
        max_norm: number >= 0 (``inf`` never clips).

    Returns:
        (clipped: new ${arrays} in the structure of ``grads``,
         total_norm: ${norm}, before clipping).
    """
    max_norm = _limit("max_norm", max_norm)
    arrays = _arrays(B, grads)
    total = B.global_norm(list(arrays.values()))
    coef = B.clip(max_norm / (total + 1e-6), None, 1.0)
    return rebuild(grads, lambda path, _: B.mul_scalar(arrays[path], coef)), total


@explicit
def clip_grad_value(B, grads, clip_value):
    """Clamp every gradient entry to ``[-clip_value, clip_value]``.

    Args:
        grads: dict name -> ${array}, list of ${arrays}, or a nesting of both; floats, finite.
        clip_value: number >= 0.

    Returns:
        clipped: new ${arrays} in the structure of ``grads``.
    """
    clip_value = _limit("clip_value", clip_value)
    arrays = _arrays(B, grads)
    return rebuild(grads, lambda path, _: B.clip(arrays[path], -clip_value, clip_value))
