"""Gradient clipping of trees of tensors, as ``torch.nn.utils.clip_grad_norm_`` / ``_value_``;
``clip_grad_norm``'s total norm is a 0-d float64 tensor.

Bound from :mod:`rnn_ref._common.clip` to :data:`rnn_ref.torch._backend.TORCH`.
"""

from .._common import clip as _shared
from ._backend import TORCH

__all__ = ["clip_grad_norm", "clip_grad_value"]

clip_grad_norm, clip_grad_value = TORCH.bind(_shared, __name__, __all__)
