"""An encoder-decoder (seq2seq) of one recurrent kind on NumPy arrays; the loss is a Python float.

Bound from :mod:`rnn_ref._common.seq2seq` to :data:`rnn_ref.numpy._backend.NUMPY`.
"""

from .._common import seq2seq as _shared
from ._backend import NUMPY

__all__ = ["seq2seq_init", "seq2seq_loss", "greedy_decode", "beam_search"]

seq2seq_init, seq2seq_loss, greedy_decode, beam_search = NUMPY.bind(_shared, __name__, __all__)
