"""Torch implementation of rnn_ref: the functions of :mod:`rnn_ref.numpy` on torch tensors.

Same names, same argument order, same math (fused gates in torch's order i, f, g, o and
r, z, n), on ``torch.Tensor``s on any device; results are on the inputs' device, in their
(promoted) dtype: float32/float64, and float16/bfloat16 on CUDA. Backward functions are
explicit (no autograd inside) and cache-free, so they can be checked against autograd;
the forwards are differentiable by autograd when an input requires grad.

Also: stacked/bidirectional layers, truncated BPTT, gradient clipping, initializers,
SGD/Adam, sampling and seq2seq (generators are ``torch.Generator``s); :func:`pick_device`;
the ``torch.nn.Module`` layers :class:`RNN`, :class:`LSTM`, :class:`GRU` (gradients
through the explicit backward); and the converters of :mod:`rnn_ref.torch.convert`.
"""

from .._common import API
from .clip import clip_grad_norm, clip_grad_value
from .device import pick_device
from .gradcheck import numeric_gradient, rel_error
from .gru import gru_backward, gru_forward, gru_step_backward, gru_step_forward
from .init import identity, init_params, orthogonal, set_forget_bias, uniform_init, xavier_uniform
from .layers import (embedding_backward, embedding_forward, mse_loss, softmax_cross_entropy,
                     temporal_affine_backward, temporal_affine_forward)
from .lstm import lstm_backward, lstm_forward, lstm_step_backward, lstm_step_forward
from .modules import GRU, LSTM, RNN
from .multilayer import stacked_backward, stacked_forward
from .optim import SGD, Adam
from .rnn import rnn_backward, rnn_forward, rnn_step_backward, rnn_step_forward
from .sampling import sample_logits, sample_sequence
from .seq2seq import beam_search, greedy_decode, seq2seq_init, seq2seq_loss
from .tbptt import tbptt_forward_backward

__all__ = list(API) + ["pick_device", "RNN", "LSTM", "GRU"]
