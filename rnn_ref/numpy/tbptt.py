"""Truncated BPTT for one recurrent layer on NumPy arrays.

Bound from :mod:`rnn_ref._common.tbptt` to :data:`rnn_ref.numpy._backend.NUMPY`.
"""

from .._common import tbptt as _shared
from ._backend import NUMPY

__all__ = ["tbptt_forward_backward"]

tbptt_forward_backward, = NUMPY.bind(_shared, __name__, __all__)
