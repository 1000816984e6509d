"""Gradient clipping of trees of NumPy arrays; ``clip_grad_norm``'s total norm is a Python float.

Bound from :mod:`rnn_ref._common.clip` to :data:`rnn_ref.numpy._backend.NUMPY`.
"""

from .._common import clip as _shared
from ._backend import NUMPY

__all__ = ["clip_grad_norm", "clip_grad_value"]

clip_grad_norm, clip_grad_value = NUMPY.bind(_shared, __name__, __all__)
