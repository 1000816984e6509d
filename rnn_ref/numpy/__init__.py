"""NumPy reference implementation (float64 by default, float32 supported).

Batch-first shapes throughout: x (N, T, D), hidden (N, H), outputs (N, T, V).
Weights multiply from the right: ``x @ W_xh + h @ W_hh + b``. This package never
imports torch.
"""

from .gradcheck import numeric_gradient, rel_error
from .layers import mse_loss, softmax_cross_entropy, temporal_affine_backward, temporal_affine_forward
from .rnn import rnn_backward, rnn_forward, rnn_step_backward, rnn_step_forward

__all__ = [
    "rnn_step_forward", "rnn_step_backward", "rnn_forward", "rnn_backward",
    "temporal_affine_forward", "temporal_affine_backward",
    "softmax_cross_entropy", "mse_loss",
    "numeric_gradient", "rel_error",
]
