"""The definition: each sequence function as a plain loop over its step function.

    rnn_forward(x, h0, W_xh, W_hh, b_h) -> h                        # (N, T, H)
    rnn_backward(dh, x, h0, h, W_xh, W_hh) -> (dx, dh0, dW_xh, dW_hh, db_h)
    lstm_forward(x, h0, c0, W_x, W_h, b) -> (h, c)                  # (N, T, H) each
    lstm_backward(dh, dc_last, x, h0, c0, h, c, W_x, W_h, b) -> (dx, dh0, dc0, dW_x, dW_h, db)
    gru_forward(x, h0, W_x, W_h, b_x, b_h) -> h                     # (N, T, H)
    gru_backward(dh, x, h0, h, W_x, W_h, b_x, b_h) -> (dx, dh0, dW_x, dW_h, db_x, db_h)

Same names, arguments, shapes and results as the fast kernels of :mod:`rnn_ref.numpy`
(``rnn.py``, ``lstm.py``, ``gru.py``), written as the chapters write them: the forward
applies the step function to ``x[:, t]`` for ``t = 0 .. T-1``; the backward walks back from
``t = T-1``, adds the gradient arriving from step ``t+1`` to the loss's own ``dh[:, t]``,
calls the step's backward and sums the weight gradients over time. Nothing here is tuned
for speed: these functions are what the fast kernels are tested against (to 1e-12), and
the step functions are checked against ``torch.nn`` and numeric gradients.

Shapes (batch-first): x (N, T, D) with T >= 1, h0 and c0 (N, H) or None (zeros), states
h and c (N, T, H), upstream gradients dh (N, T, H) and dc_last (N, H) or None.
"""

from __future__ import annotations

import numpy as np

from .gru import _check_sequence_args as _gru_args
from .gru import gru_step_backward, gru_step_forward
from .lstm import _check_sequence_args as _lstm_args
from .lstm import lstm_step_backward, lstm_step_forward
from .rnn import _check_sequence_args as _rnn_args
from .rnn import rnn_step_backward, rnn_step_forward
from ._validate import floats, result_dtype

__all__ = ["rnn_forward", "rnn_backward", "lstm_forward", "lstm_backward", "gru_forward", "gru_backward"]


def _upstream(dims, dh, dc_last=None, **states):
    """Check the backward's extra arguments: dh and the states (N, T, H), dc_last (N, H) or None."""
    dh = floats("dh", dh)
    states = {name: floats(name, value) for name, value in states.items()}
    for name, value in (*states.items(), ("dh", dh)):
        dims.check(name, value.shape, ("N", "T", "H"))
    dc_last = floats("dc_last", dc_last, optional=True)
    if dc_last is not None:
        dims.check("dc_last", dc_last.shape, ("N", "H"))
    return dh, dc_last, *states.values()


def _zeros_if_none(state, N, H, dtype):
    """The initial state, or zeros (N, H) for None."""
    return np.zeros((N, H), dtype=dtype) if state is None else state.astype(dtype)


# --------------------------------------------------------------------------- vanilla RNN

def rnn_forward(x, h0, W_xh, W_hh, b_h):
    """h_t = tanh(x_t @ W_xh + h_{t-1} @ W_hh + b_h) for every t; returns h (N, T, H)."""
    x, h0, W_xh, W_hh, b_h, dims = _rnn_args(x, h0, W_xh, W_hh, b_h)
    N, T, H = dims["N"], dims["T"], dims["H"]
    dtype = result_dtype(x, h0, W_xh, W_hh, b_h)
    h = np.empty((N, T, H), dtype=dtype)                   # (N, T, H)
    h_prev = _zeros_if_none(h0, N, H, dtype)               # (N, H)
    for t in range(T):
        h_prev = rnn_step_forward(x[:, t], h_prev, W_xh, W_hh, b_h)  # (N, H)
        h[:, t] = h_prev
    return h


def rnn_backward(dh, x, h0, h, W_xh, W_hh):
    """Backpropagation through time for :func:`rnn_forward`, one step at a time."""
    x, h0, W_xh, W_hh, _, dims = _rnn_args(x, h0, W_xh, W_hh)
    N, T, H = dims["N"], dims["T"], dims["H"]
    dh, _, h = _upstream(dims, dh, h=h)
    dtype = result_dtype(dh, x, h0, h, W_xh, W_hh)
    h_prev = [_zeros_if_none(h0, N, H, dtype)] + [h[:, t] for t in range(T - 1)]  # T x (N, H)
    dx = np.empty(x.shape, dtype=dtype)                    # (N, T, D)
    dW_xh, dW_hh, db_h = np.zeros(W_xh.shape, dtype), np.zeros(W_hh.shape, dtype), np.zeros(H, dtype)
    dh_next = np.zeros((N, H), dtype=dtype)                # (N, H) gradient from step t+1
    for t in reversed(range(T)):
        dx[:, t], dh_next, dWx_t, dWh_t, db_t = rnn_step_backward(
            dh[:, t] + dh_next, x[:, t], h_prev[t], h[:, t], W_xh, W_hh)
        dW_xh, dW_hh, db_h = dW_xh + dWx_t, dW_hh + dWh_t, db_h + db_t
    return dx, dh_next, dW_xh, dW_hh, db_h


# --------------------------------------------------------------------------- LSTM

def lstm_forward(x, h0, c0, W_x, W_h, b):
    """(h_t, c_t) = lstm_step_forward(x_t, h_{t-1}, c_{t-1}) for every t; returns (h, c)."""
    x, h0, c0, W_x, W_h, b, dims = _lstm_args(x, h0, c0, W_x, W_h, b)
    N, T, H = dims["N"], dims["T"], dims["H"]
    dtype = result_dtype(x, h0, c0, W_x, W_h, b)
    h, c = np.empty((N, T, H), dtype=dtype), np.empty((N, T, H), dtype=dtype)  # (N, T, H) each
    h_prev, c_prev = _zeros_if_none(h0, N, H, dtype), _zeros_if_none(c0, N, H, dtype)
    for t in range(T):
        h_prev, c_prev = lstm_step_forward(x[:, t], h_prev, c_prev, W_x, W_h, b)  # (N, H) each
        h[:, t], c[:, t] = h_prev, c_prev
    return h, c


def lstm_backward(dh, dc_last, x, h0, c0, h, c, W_x, W_h, b):
    """Backpropagation through time for :func:`lstm_forward`, one step at a time."""
    x, h0, c0, W_x, W_h, b, dims = _lstm_args(x, h0, c0, W_x, W_h, b)
    N, T, H = dims["N"], dims["T"], dims["H"]
    dh, dc_last, h, c = _upstream(dims, dh, dc_last, h=h, c=c)
    dtype = result_dtype(dh, dc_last, x, h0, c0, h, c, W_x, W_h, b)
    h_prev = [_zeros_if_none(h0, N, H, dtype)] + [h[:, t] for t in range(T - 1)]  # T x (N, H)
    c_prev = [_zeros_if_none(c0, N, H, dtype)] + [c[:, t] for t in range(T - 1)]  # T x (N, H)
    dx = np.empty(x.shape, dtype=dtype)                    # (N, T, D)
    dW_x, dW_h, db = np.zeros(W_x.shape, dtype), np.zeros(W_h.shape, dtype), np.zeros(4 * H, dtype)
    dh_next = np.zeros((N, H), dtype=dtype)                # (N, H) gradient from step t+1
    dc_next = np.zeros((N, H), dtype=dtype) if dc_last is None else dc_last.astype(dtype)
    for t in reversed(range(T)):
        dx[:, t], dh_next, dc_next, dWx_t, dWh_t, db_t = lstm_step_backward(
            dh[:, t] + dh_next, dc_next, x[:, t], h_prev[t], c_prev[t], W_x, W_h, b)
        dW_x, dW_h, db = dW_x + dWx_t, dW_h + dWh_t, db + db_t
    return dx, dh_next, dc_next, dW_x, dW_h, db


# --------------------------------------------------------------------------- GRU

def gru_forward(x, h0, W_x, W_h, b_x, b_h):
    """h_t = gru_step_forward(x_t, h_{t-1}) for every t; returns h (N, T, H)."""
    x, h0, W_x, W_h, b_x, b_h, dims = _gru_args(x, h0, W_x, W_h, b_x, b_h)
    N, T, H = dims["N"], dims["T"], dims["H"]
    dtype = result_dtype(x, h0, W_x, W_h, b_x, b_h)
    h = np.empty((N, T, H), dtype=dtype)                   # (N, T, H)
    h_prev = _zeros_if_none(h0, N, H, dtype)               # (N, H)
    for t in range(T):
        h_prev = gru_step_forward(x[:, t], h_prev, W_x, W_h, b_x, b_h)  # (N, H)
        h[:, t] = h_prev
    return h


def gru_backward(dh, x, h0, h, W_x, W_h, b_x, b_h):
    """Backpropagation through time for :func:`gru_forward`, one step at a time."""
    x, h0, W_x, W_h, b_x, b_h, dims = _gru_args(x, h0, W_x, W_h, b_x, b_h)
    N, T, H = dims["N"], dims["T"], dims["H"]
    dh, _, h = _upstream(dims, dh, h=h)
    dtype = result_dtype(dh, x, h0, h, W_x, W_h, b_x, b_h)
    h_prev = [_zeros_if_none(h0, N, H, dtype)] + [h[:, t] for t in range(T - 1)]  # T x (N, H)
    dx = np.empty(x.shape, dtype=dtype)                    # (N, T, D)
    dW_x, dW_h = np.zeros(W_x.shape, dtype), np.zeros(W_h.shape, dtype)
    db_x, db_h = np.zeros(3 * H, dtype), np.zeros(3 * H, dtype)
    dh_next = np.zeros((N, H), dtype=dtype)                # (N, H) gradient from step t+1
    for t in reversed(range(T)):
        dx[:, t], dh_next, dWx_t, dWh_t, dbx_t, dbh_t = gru_step_backward(
            dh[:, t] + dh_next, x[:, t], h_prev[t], W_x, W_h, b_x, b_h)
        dW_x, dW_h, db_x, db_h = dW_x + dWx_t, dW_h + dWh_t, db_x + dbx_t, db_h + dbh_t
    return dx, dh_next, dW_x, dW_h, db_x, db_h
