"""An encoder-decoder (seq2seq) of one recurrent kind on tensors, with an explicit gradient;
the loss is a 0-d tensor.

Bound from :mod:`rnn_ref._common.seq2seq` to :data:`rnn_ref.torch._backend.TORCH`.
"""

from .._common import seq2seq as _shared
from ._backend import TORCH

__all__ = ["seq2seq_init", "seq2seq_loss", "greedy_decode", "beam_search"]

seq2seq_init, seq2seq_loss, greedy_decode, beam_search = TORCH.bind(_shared, __name__, __all__)
