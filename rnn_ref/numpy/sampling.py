"""Sampling tokens from logits or a recurrent language model with a ``np.random.Generator``.

Bound from :mod:`rnn_ref._common.sampling` to :data:`rnn_ref.numpy._backend.NUMPY`.
"""

from .._common import sampling as _shared
from ._backend import NUMPY

__all__ = ["sample_logits", "sample_sequence"]

sample_logits, sample_sequence = NUMPY.bind(_shared, __name__, __all__)
