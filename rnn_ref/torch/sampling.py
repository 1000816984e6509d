"""Sampling tokens from logits or a recurrent language model with a ``torch.Generator`` on the
logits' device (a seed reproduces the draw, though not NumPy's: the random streams differ).

Bound from :mod:`rnn_ref._common.sampling` to :data:`rnn_ref.torch._backend.TORCH`.
"""

from .._common import sampling as _shared
from ._backend import TORCH

__all__ = ["sample_logits", "sample_sequence"]

sample_logits, sample_sequence = TORCH.bind(_shared, __name__, __all__)
