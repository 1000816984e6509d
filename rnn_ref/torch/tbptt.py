"""Truncated BPTT for one recurrent layer on tensors, with an explicit backward per chunk
(the carried state is a constant, as ``h.detach()`` in a torch training loop).

Bound from :mod:`rnn_ref._common.tbptt` to :data:`rnn_ref.torch._backend.TORCH`.
"""

from .._common import tbptt as _shared
from ._backend import TORCH

__all__ = ["tbptt_forward_backward"]

tbptt_forward_backward, = TORCH.bind(_shared, __name__, __all__)
