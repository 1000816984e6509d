"""Vanilla (Elman) RNN with a tanh recurrence, forward and backward, in NumPy.

    h_t = tanh(x_t @ W_xh + h_{t-1} @ W_hh + b_h)

Shapes (batch-first): x (N, T, D), h0 (N, H), W_xh (D, H), W_hh (H, H), b_h (H,),
all hidden states h (N, T, H). The functions are cache-free: a backward takes the
forward's inputs and outputs as plain arrays, so a grader can call them across a
process boundary. ``h0=None`` means a zero initial state.

Speed: the input projection of every time step is one GEMM before the loop, the weight
gradients are one GEMM each after it, and each step costs one matmul and two in-place
ufuncs on preallocated, time-major buffers (the backward computes tanh' = 1 - h^2 for a
block of steps at once).
"""

from __future__ import annotations

import numpy as np

from ._validate import Dims, floats, require_steps, result_dtype

__all__ = ["rnn_step_forward", "rnn_step_backward", "rnn_forward", "rnn_backward"]


def rnn_step_forward(x_t, h_prev, W_xh, W_hh, b_h):
    """One time step of the tanh RNN.

    Args:
        x_t: (N, D) inputs at this step.
        h_prev: (N, H) previous hidden state.
        W_xh: (D, H) input-to-hidden weights.
        W_hh: (H, H) hidden-to-hidden weights.
        b_h: (H,) hidden bias.

    Returns:
        h_next: (N, H) ``tanh(x_t @ W_xh + h_prev @ W_hh + b_h)``.
    """
    x_t, h_prev = floats("x_t", x_t), floats("h_prev", h_prev)
    W_xh, W_hh, b_h = (floats(n, v, finite=True) for n, v in
                       (("W_xh", W_xh), ("W_hh", W_hh), ("b_h", b_h)))
    dims = Dims()
    dims.check("x_t", x_t.shape, ("N", "D"))
    dims.check("h_prev", h_prev.shape, ("N", "H"))
    dims.check("W_xh", W_xh.shape, ("D", "H"))
    dims.check("W_hh", W_hh.shape, ("H", "H"))
    dims.check("b_h", b_h.shape, ("H",))
    return np.tanh(x_t @ W_xh + h_prev @ W_hh + b_h)


def rnn_step_backward(dh_next, x_t, h_prev, h_next, W_xh, W_hh):
    """Backward of :func:`rnn_step_forward`.

    Args:
        dh_next: (N, H) gradient of the loss with respect to h_next.
        x_t: (N, D), h_prev: (N, H), h_next: (N, H) the step's inputs and output.
        W_xh: (D, H), W_hh: (H, H) the weights.

    Returns:
        (dx_t (N, D), dh_prev (N, H), dW_xh (D, H), dW_hh (H, H), db_h (H,)).
    """
    dh_next, x_t, h_prev, h_next = (floats(n, v) for n, v in (
        ("dh_next", dh_next), ("x_t", x_t), ("h_prev", h_prev), ("h_next", h_next)))
    W_xh, W_hh = floats("W_xh", W_xh, finite=True), floats("W_hh", W_hh, finite=True)
    dims = Dims()
    dims.check("x_t", x_t.shape, ("N", "D"))
    dims.check("h_prev", h_prev.shape, ("N", "H"))
    dims.check("h_next", h_next.shape, ("N", "H"))
    dims.check("dh_next", dh_next.shape, ("N", "H"))
    dims.check("W_xh", W_xh.shape, ("D", "H"))
    dims.check("W_hh", W_hh.shape, ("H", "H"))
    da = dh_next * (1.0 - h_next * h_next)  # (N, H) gradient at the tanh input
    return da @ W_xh.T, da @ W_hh.T, x_t.T @ da, h_prev.T @ da, da.sum(axis=0)


def _check_sequence_args(x, h0, W_xh, W_hh, b_h=None):
    x = floats("x", x)
    h0 = floats("h0", h0, optional=True)
    W_xh, W_hh = floats("W_xh", W_xh, finite=True), floats("W_hh", W_hh, finite=True)
    dims = Dims()
    dims.check("x", x.shape, ("N", "T", "D"))
    require_steps("x", x.shape)
    dims.check("W_hh", W_hh.shape, ("H", "H"))   # H from the square matrix first, so that a
    dims.check("W_xh", W_xh.shape, ("D", "H"))   # transposed W_xh is reported against it
    if h0 is not None:
        dims.check("h0", h0.shape, ("N", "H"))
    if b_h is not None:
        b_h = floats("b_h", b_h, finite=True)
        dims.check("b_h", b_h.shape, ("H",))
    return x, h0, W_xh, W_hh, b_h, dims


def rnn_forward(x, h0, W_xh, W_hh, b_h):
    """Run the tanh RNN over a whole sequence.

    Args:
        x: (N, T, D) inputs, batch-first.
        h0: (N, H) initial hidden state, or None for zeros.
        W_xh: (D, H), W_hh: (H, H), b_h: (H,) parameters.

    Returns:
        h: (N, T, H) the hidden state after every step; ``h[:, -1]`` is the final state.
    """
    if b_h is None:
        raise ValueError("b_h: expected an array of shape (H,), got None")
    x, h0, W_xh, W_hh, b_h, dims = _check_sequence_args(x, h0, W_xh, W_hh, b_h)
    N, T, D, H = dims["N"], dims["T"], dims["D"], dims["H"]
    dtype = result_dtype(x, h0, W_xh, W_hh, b_h)
    xs = x.transpose(1, 0, 2).reshape(T * N, D)             # (T*N, D) time-major
    hs = np.matmul(xs, W_xh, dtype=dtype).reshape(T, N, H)  # (T, N, H) input projections
    hs += b_h
    step = np.empty((N, H), dtype=dtype)                     # (N, H) scratch
    prev = np.zeros((N, H), dtype=dtype) if h0 is None else h0
    W_hh = W_hh.astype(dtype, copy=False)                    # (H, H) np.dot needs one dtype
    for t in range(T):
        a = hs[t]                                            # (N, H)
        np.dot(prev, W_hh, out=step)
        np.add(a, step, out=a)
        np.tanh(a, out=a)
        prev = a
    return hs.transpose(1, 0, 2)                             # (N, T, H) view


def rnn_backward(dh, x, h0, h, W_xh, W_hh):
    """Backpropagation through time for :func:`rnn_forward`.

    Args:
        dh: (N, T, H) gradient of the loss with respect to every hidden state (the
            upstream gradient only, not yet including the recurrence).
        x: (N, T, D), h0: (N, H) or None, h: (N, T, H) the forward's inputs and output.
        W_xh: (D, H), W_hh: (H, H) the weights.

    Returns:
        (dx (N, T, D), dh0 (N, H), dW_xh (D, H), dW_hh (H, H), db_h (H,)).
        dh0 is returned (zeros-initial included) so that truncated BPTT can chain it.
    """
    x, h0, W_xh, W_hh, _, dims = _check_sequence_args(x, h0, W_xh, W_hh)
    dh, h = floats("dh", dh), floats("h", h)
    dims.check("h", h.shape, ("N", "T", "H"))
    dims.check("dh", dh.shape, ("N", "T", "H"))
    N, T, D, H = dims["N"], dims["T"], dims["D"], dims["H"]
    dtype = result_dtype(dh, x, h0, h, W_xh, W_hh)
    one = np.ones((), dtype=dtype)                           # 0-d: no scalar conversion per call
    Hb = np.empty((T + 1, N, H), dtype=dtype)                # (T+1, N, H) Hb[t] = h_{t-1}, Hb[0] = h0
    Hb[0] = 0.0 if h0 is None else h0
    Hb[1:] = h.transpose(1, 0, 2)
    hs = Hb[1:]                                              # (T, N, H) h_t
    dH = dh.transpose(1, 0, 2)                               # (T, N, H) view, read only
    da = np.empty((T, N, H), dtype=dtype)                    # (T, N, H) dL/da, a new array
    carry = np.zeros((N, H), dtype=dtype)                    # (N, H) dL/dh_t from step t+1
    W_hh_T = np.ascontiguousarray(W_hh.T, dtype=dtype)       # (H, H)
    # tanh'(a_t) = 1 - h_t^2 is computed k steps at a time, just before those steps
    # (a block of at most 64K numbers stays in cache); a step is then three NumPy calls.
    k = max(1, min(T, 65536 // max(1, N * H)))
    deriv = np.empty((k, N, H), dtype=dtype)                 # (k, N, H)
    for t1 in range(T, 0, -k):                               # block of steps [t0, t1)
        t0 = max(0, t1 - k)
        d = deriv[:t1 - t0]                                  # (t1-t0, N, H)
        np.multiply(hs[t0:t1], hs[t0:t1], out=d)
        np.subtract(one, d, out=d)
        for t in range(t1 - 1, t0 - 1, -1):                  # da[t]: (N, H)
            g = da[t]
            np.add(dH[t], carry, out=g)
            np.multiply(g, d[t - t0], out=g)
            np.dot(g, W_hh_T, out=carry)
    da2 = da.reshape(T * N, H)                               # (T*N, H)
    dW_hh = Hb[:-1].reshape(T * N, H).T @ da2                # (H, H)
    xs = x.transpose(1, 0, 2).reshape(T * N, D)              # (T*N, D)
    dW_xh = np.matmul(xs.T, da2, dtype=dtype)                # (D, H)
    db_h = da2.sum(axis=0)                                   # (H,)
    dx = (da2 @ W_xh.T).reshape(T, N, D).transpose(1, 0, 2)  # (N, T, D)
    return dx, carry, dW_xh, dW_hh, db_h
