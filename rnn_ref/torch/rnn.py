"""Vanilla (Elman) RNN with a tanh recurrence, forward and explicit backward, in Torch.

    h_t = tanh(x_t @ W_xh + h_{t-1} @ W_hh + b_h)

The same functions, names and argument order as :mod:`rnn_ref.numpy.rnn`, on
``torch.Tensor``s (CPU or CUDA); results are on the inputs' device, in their
(promoted) dtype. Shapes (batch-first): x (N, T, D), h0 (N, H) or None, W_xh (D, H),
W_hh (H, H), b_h (H,), all hidden states h (N, T, H).

The backward is explicit (no autograd inside; it runs under ``torch.no_grad()``) and
cache-free. The forward is differentiable by ``torch.autograd`` when an input requires
grad (a functional loop); otherwise it runs the fast loop.

Speed (every kernel launch counts on a GPU): the input projection of all steps is one
``addmm`` before the loop, the weight gradients are one matmul each after it, and one
step costs one ``addmm_`` and one ``tanh_`` forward, one ``mul_`` and one ``addmm_``
backward, on preallocated time-major buffers.
"""

from __future__ import annotations

import torch

from ._seq import recording, states_before, time_major, upstream
from ._validate import Dims, cast, common, floats, require_steps

__all__ = ["rnn_step_forward", "rnn_step_backward", "rnn_forward", "rnn_backward"]


def _check_weights(dims, W_xh, W_hh, b_h=None):
    dims.check("W_hh", W_hh.shape, ("H", "H"))   # H from the square matrix first, so that a
    dims.check("W_xh", W_xh.shape, ("D", "H"))   # transposed W_xh is reported against it
    if b_h is not None:
        dims.check("b_h", b_h.shape, ("H",))


def rnn_step_forward(x_t, h_prev, W_xh, W_hh, b_h):
    """One time step of the tanh RNN (differentiable by autograd).

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
    _, dtype = common(x_t=x_t, h_prev=h_prev, W_xh=W_xh, W_hh=W_hh, b_h=b_h)
    dims = Dims()
    dims.check("x_t", x_t.shape, ("N", "D"))
    dims.check("h_prev", h_prev.shape, ("N", "H"))
    _check_weights(dims, W_xh, W_hh, b_h)
    x_t, h_prev, W_xh, W_hh, b_h = cast(dtype, x_t, h_prev, W_xh, W_hh, b_h)
    return torch.tanh(torch.addmm(torch.addmm(b_h, x_t, W_xh), h_prev, W_hh))  # (N, H)


def rnn_step_backward(dh_next, x_t, h_prev, h_next, W_xh, W_hh):
    """Backward of :func:`rnn_step_forward` (explicit, no autograd).

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
    _, dtype = common(dh_next=dh_next, x_t=x_t, h_prev=h_prev, h_next=h_next, W_xh=W_xh, W_hh=W_hh)
    dims = Dims()
    dims.check("x_t", x_t.shape, ("N", "D"))
    dims.check("h_prev", h_prev.shape, ("N", "H"))
    dims.check("h_next", h_next.shape, ("N", "H"))
    dims.check("dh_next", dh_next.shape, ("N", "H"))
    _check_weights(dims, W_xh, W_hh)
    dh_next, x_t, h_prev, h_next, W_xh, W_hh = cast(dtype, dh_next, x_t, h_prev, h_next, W_xh, W_hh)
    dx, dh_prev, dW_xh, dW_hh, db_h = _backward(dh_next[:, None], x_t[:, None], h_prev,   # T = 1
                                                h_next[:, None], W_xh, W_hh)
    return dx[:, 0], dh_prev, dW_xh, dW_hh, db_h


def _check_sequence_args(x, h0, W_xh, W_hh, b_h=None, **more):
    x = floats("x", x)
    h0 = floats("h0", h0, optional=True)
    W_xh, W_hh = floats("W_xh", W_xh, finite=True), floats("W_hh", W_hh, finite=True)
    b_h = floats("b_h", b_h, finite=True, optional=True)
    more = {name: floats(name, value) for name, value in more.items()}
    _, dtype = common(x=x, h0=h0, W_xh=W_xh, W_hh=W_hh, b_h=b_h, **more)
    dims = Dims()
    dims.check("x", x.shape, ("N", "T", "D"))
    require_steps("x", x.shape)
    _check_weights(dims, W_xh, W_hh, b_h)
    if h0 is not None:
        dims.check("h0", h0.shape, ("N", "H"))
    for name, value in more.items():
        dims.check(name, value.shape, ("N", "T", "H"))
    return cast(dtype, x, h0, W_xh, W_hh, b_h, *more.values()), dims


def rnn_forward(x, h0, W_xh, W_hh, b_h):
    """Run the tanh RNN over a whole sequence.

    Args:
        x: (N, T, D) inputs, batch-first.
        h0: (N, H) initial hidden state, or None for zeros.
        W_xh: (D, H), W_hh: (H, H), b_h: (H,) parameters.

    Returns:
        h: (N, T, H) the hidden state after every step; ``h[:, -1]`` is the final state.
        Without autograd recording it is a transposed view of a time-major buffer.
    """
    if b_h is None:
        raise ValueError("b_h: expected a tensor of shape (H,), got None")
    (x, h0, W_xh, W_hh, b_h), _ = _check_sequence_args(x, h0, W_xh, W_hh, b_h)
    return _forward(x, h0, W_xh, W_hh, b_h)


def _forward(x, h0, W_xh, W_hh, b_h):
    """:func:`rnn_forward` on checked tensors of one dtype and device."""
    N, T, _ = x.shape
    H = W_hh.shape[0]
    xs = time_major(x)                                       # (T*N, D)
    if recording(x, h0, W_xh, W_hh, b_h):                    # differentiable path
        proj = torch.addmm(b_h, xs, W_xh).view(T, N, H)      # (T, N, H)
        prev = x.new_zeros((N, H)) if h0 is None else h0     # (N, H)
        out = []
        for t in range(T):
            prev = torch.tanh(torch.addmm(proj[t], prev, W_hh))  # (N, H)
            out.append(prev)
        return torch.stack(out, dim=1) if out else x.new_zeros((N, 0, H))  # (N, T, H)
    with torch.no_grad():
        hs = torch.addmm(b_h, xs, W_xh).view(T, N, H)        # (T, N, H) input projections
        prev = h0                                            # None: h_{-1} @ W_hh is 0, skipped
        for t in range(T):                                   # hs[t]: (N, H)
            if prev is not None:
                hs[t].addmm_(prev, W_hh)
            hs[t].tanh_()
            prev = hs[t]
        return hs.transpose(0, 1)                            # (N, T, H) view


def rnn_backward(dh, x, h0, h, W_xh, W_hh):
    """Backpropagation through time for :func:`rnn_forward` (explicit, no autograd).

    Args:
        dh: (N, T, H) gradient of the loss with respect to every hidden state (the
            upstream gradient only, not yet including the recurrence).
        x: (N, T, D), h0: (N, H) or None, h: (N, T, H) the forward's inputs and output.
        W_xh: (D, H), W_hh: (H, H) the weights.

    Returns:
        (dx (N, T, D), dh0 (N, H), dW_xh (D, H), dW_hh (H, H), db_h (H,)).
        dh0 is returned (zeros-initial included) so that truncated BPTT can chain it.
    """
    (x, h0, W_xh, W_hh, _, h, dh), _ = _check_sequence_args(x, h0, W_xh, W_hh, h=h, dh=dh)
    return _backward(dh, x, h0, h, W_xh, W_hh)


@torch.no_grad()
def _backward(dh, x, h0, h, W_xh, W_hh):
    """:func:`rnn_backward` on checked tensors of one dtype and device."""
    N, T, D = x.shape
    H = W_hh.shape[0]
    hs = h.transpose(0, 1)                                   # (T, N, H) view
    da = upstream(dh, h.dtype)                               # (T, N, H), becomes dL/da
    deriv = torch.empty_like(da)                             # (T, N, H) 1 - h^2, all steps at once
    torch.addcmul(torch.ones((), dtype=h.dtype, device=h.device), hs, hs, value=-1, out=deriv)
    W_hh_T = W_hh.t()                                        # (H, H) view
    dh0 = torch.zeros((N, H), dtype=h.dtype, device=h.device)
    for t in range(T - 1, -1, -1):                           # da[t]: (N, H), holds dL/dh_t
        g = da[t].mul_(deriv[t])                             # (N, H) dL/da_t
        if t:
            da[t - 1].addmm_(g, W_hh_T)                      # recurrence into dL/dh_{t-1}
        else:
            torch.mm(g, W_hh_T, out=dh0)
    da2 = da.view(T * N, H)                                  # (T*N, H)
    h_prev = states_before(h0, hs).view(T * N, H)            # (T*N, H)
    dW_hh = h_prev.t() @ da2                                 # (H, H)
    dW_xh = time_major(x).t() @ da2                          # (D, H)
    db_h = da2.sum(dim=0)                                    # (H,)
    dx = (da2 @ W_xh.t()).view(T, N, D).transpose(0, 1)      # (N, T, D) view
    return dx, dh0, dW_xh, dW_hh, db_h
