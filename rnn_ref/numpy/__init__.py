"""NumPy reference implementation (float64 by default, float32 supported).

Batch-first shapes throughout: x (N, T, D), hidden (N, H), outputs (N, T, V).
Weights multiply from the right: ``x @ W_xh + h @ W_hh + b``. This package never
imports torch.

The sequence functions here are the fast kernels; :mod:`rnn_ref.numpy.plain` holds the
definition they are tested against (the same functions as loops over the step functions).
"""

from .._common import API
from . import plain
from .gradcheck import numeric_gradient, rel_error
from .gru import gru_backward, gru_forward, gru_step_backward, gru_step_forward
from .clip import clip_grad_norm, clip_grad_value
from .init import identity, init_params, orthogonal, set_forget_bias, uniform_init, xavier_uniform
from .layers import (embedding_backward, embedding_forward, mse_loss, softmax_cross_entropy,
                     temporal_affine_backward, temporal_affine_forward)
from .lstm import lstm_backward, lstm_forward, lstm_step_backward, lstm_step_forward
from .multilayer import stacked_backward, stacked_forward
from .optim import SGD, Adam
from .rnn import rnn_backward, rnn_forward, rnn_step_backward, rnn_step_forward
from .sampling import sample_logits, sample_sequence
from .seq2seq import beam_search, greedy_decode, seq2seq_init, seq2seq_loss
from .tbptt import tbptt_forward_backward

__all__ = list(API)
