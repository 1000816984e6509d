"""Stacked and bidirectional recurrent layers on NumPy arrays, comparable with torch.nn.RNN/LSTM/GRU.

Bound from :mod:`rnn_ref._common.multilayer` to :data:`rnn_ref.numpy._backend.NUMPY`.
"""

from .._common import multilayer as _shared
from ._backend import NUMPY

__all__ = ["stacked_forward", "stacked_backward"]

stacked_forward, stacked_backward = NUMPY.bind(_shared, __name__, __all__)
