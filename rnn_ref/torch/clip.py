"""Gradient clipping by global norm and by value, in Torch (as :mod:`rnn_ref.numpy.clip`).

``grads`` is a dict name -> tensor, a list of tensors, or a nesting of both (a model's
gradient tree, e.g. seq2seq's). The clippers return new tensors in the same structure and
never modify their input; a NaN or infinite gradient is refused with a ValueError naming
it. The semantics are ``torch.nn.utils.clip_grad_norm_`` / ``clip_grad_value_``'s.
"""

from __future__ import annotations

import math
import numbers

import torch

from ..numpy._tree import label, leaves, rebuild
from ._validate import common, floats

__all__ = ["clip_grad_norm", "clip_grad_value"]


def _limit(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or math.isnan(value) or value < 0:
        raise ValueError(f"{name}: expected a number >= 0, got {value!r}")
    return float(value)


def _tensors(grads) -> dict:
    """path -> validated tensor, for every leaf of ``grads`` (all on one device)."""
    if not isinstance(grads, (dict, list, tuple)):
        raise ValueError(f"grads: expected a dict or a list of tensors, got {type(grads).__name__}")
    out = {path: floats(label("grads", path), g, finite=True) for path, g in leaves(grads)}
    common(**{label("grads", path): g for path, g in out.items()})
    return out


@torch.no_grad()
def clip_grad_norm(grads, max_norm):
    """Scale all gradients together so that their global L2 norm is at most ``max_norm``.

    ``total_norm = sqrt(sum of squares of every entry of every tensor)`` (accumulated in
    float64). As ``torch.nn.utils.clip_grad_norm_``, every tensor is multiplied by
    ``min(1, max_norm / (total_norm + 1e-6))``.

    Args:
        grads: dict name -> tensor, list of tensors, or a nesting of both; floats, finite.
        max_norm: number >= 0 (``inf`` never clips).

    Returns:
        (clipped: new tensors in the structure of ``grads``,
         total_norm: 0-d float64 tensor on the gradients' device, before clipping).
    """
    max_norm = _limit("max_norm", max_norm)
    tensors = _tensors(grads)
    if not tensors:
        return rebuild(grads, lambda path, g: g), torch.zeros((), dtype=torch.float64)
    total = torch.stack([g.double().square().sum() for g in tensors.values()]).sum().sqrt()  # 0-d
    coef = (max_norm / (total + 1e-6)).clamp(max=1.0)                                    # 0-d
    return rebuild(grads, lambda path, _: tensors[path] * coef.to(tensors[path].dtype)), total


@torch.no_grad()
def clip_grad_value(grads, clip_value):
    """Clamp every gradient entry to ``[-clip_value, clip_value]``.

    Args:
        grads: dict name -> tensor, list of tensors, or a nesting of both; floats, finite.
        clip_value: number >= 0.

    Returns:
        clipped: new tensors in the structure of ``grads``.
    """
    clip_value = _limit("clip_value", clip_value)
    tensors = _tensors(grads)
    return rebuild(grads, lambda path, _: tensors[path].clamp(-clip_value, clip_value))
