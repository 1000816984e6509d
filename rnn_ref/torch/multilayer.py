"""Stacked and bidirectional recurrent layers on tensors; the forward is differentiable by
autograd, the backward explicit (under ``torch.no_grad()``).

Bound from :mod:`rnn_ref._common.multilayer` to :data:`rnn_ref.torch._backend.TORCH`.
"""

from .._common import multilayer as _shared
from ._backend import TORCH

__all__ = ["stacked_forward", "stacked_backward"]

stacked_forward, stacked_backward = TORCH.bind(_shared, __name__, __all__)
