"""SGD and Adam updating trees of NumPy arrays in place, with torch.optim's semantics.

Bound from :mod:`rnn_ref._common.optim` to :data:`rnn_ref.numpy._backend.NUMPY`.
"""

from .._common import optim as _shared
from ._backend import NUMPY

__all__ = ["SGD", "Adam"]

SGD, Adam = NUMPY.bind(_shared, __name__, __all__)
