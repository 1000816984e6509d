"""LSTM with fused gates, forward and explicit backward, in Torch.

    a_t = x_t @ W_x + h_{t-1} @ W_h + b            # (N, 4H), columns [i | f | g | o]
    i, f, o = sigmoid(a_i), sigmoid(a_f), sigmoid(a_o);  g = tanh(a_g)
    c_t = f * c_{t-1} + i * g;   h_t = o * tanh(c_t)

The gate order is torch's (i, f, g, o) and ``b = b_ih + b_hh``, so
:mod:`rnn_ref.torch.convert` is a transpose. The same functions, names and argument
order as :mod:`rnn_ref.numpy.lstm`, on ``torch.Tensor``s. Shapes (batch-first): x (N, T, D),
h0, c0 (N, H) or None, W_x (D, 4H), W_h (H, 4H), b (4H,), states h, c (N, T, H).

The backward is explicit (no autograd, under ``torch.no_grad()``) and cache-free: it
recomputes every gate from ``x`` and the states ``h`` with two matmuls over all steps
(or takes them from the optional ``cache=`` dict that the forward filled), then turns
the gate derivatives into per-step coefficients, all steps at once, so that
one step of the reverse loop costs four pointwise kernels and one ``addmm_``. The forward
step costs one ``addmm_`` and seven pointwise kernels on preallocated time-major buffers.
The pointwise parts are the functions :func:`_cell` and :func:`_step_grads`;
``python -m benchmarks.gpu`` swaps in ``torch.compile``-d versions of :func:`_cell_fused`
and :func:`_step_grads_fused` (one fused kernel each instead of seven and four).
"""

from __future__ import annotations

import torch

from ._seq import recording, states_before, time_major, upstream
from ._validate import Dims, cast, common, floats, require_steps

__all__ = ["lstm_step_forward", "lstm_step_backward", "lstm_forward", "lstm_backward"]


def _gates(a):
    """The four gate blocks of a fused ``(..., 4H)`` tensor, as views: i, f, g, o."""
    return a.chunk(4, dim=-1)


def _cell_functional(a, c_prev):
    """One LSTM cell from pre-activations ``a (N, 4H)`` and ``c_prev (N, H)``: (h, c).

    Out of place, so differentiable by autograd (and fusable by ``torch.compile``).
    """
    i, f, g, o = _gates(a)
    i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
    c = f * c_prev + i * g                                   # (N, H)
    return o * torch.tanh(c), c                              # (N, H) each


def _cell(a, c_prev, h_out, c_out):
    """In-place cell: activates ``a (N, 4H)`` and writes ``h_out``, ``c_out (N, H)``."""
    H = h_out.shape[1]
    a[:, :2 * H].sigmoid_()                                  # i, f
    a[:, 2 * H:3 * H].tanh_()                                # g
    a[:, 3 * H:].sigmoid_()                                  # o
    i, f, g, o = _gates(a)
    torch.mul(f, c_prev, out=c_out)
    c_out.addcmul_(i, g)                                     # c = f*c_prev + i*g
    torch.tanh(c_out, out=h_out)
    h_out.mul_(o)                                            # h = o*tanh(c)


def _cell_fused(a, c_prev, h_out, c_out):
    """The same as :func:`_cell` written for ``torch.compile`` (one fused kernel): it also
    leaves the activations [i | f | g | o] in ``a``, so that a cache works with it."""
    i, f, g, o = _gates(a)
    i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
    c = f * c_prev + i * g                                   # (N, H)
    h_out.copy_(o * torch.tanh(c))
    c_out.copy_(c)
    a.copy_(torch.cat((i, f, g, o), dim=1))                  # (N, 4H) activations


def _step_grads(dh_t, dc, K_c, K_o, K_ifg, f, da):
    """One reverse step, pointwise part, in place.

    ``dh_t (N, H)`` is dL/dh_t (recurrence included); ``dc (N, H)`` enters as the gradient
    from step t+1 on c_t and leaves as dL/dc_{t-1}; ``K_c, K_o (N, H)``, ``K_ifg (N, 3, H)``
    are the step's coefficients and ``f (N, H)`` its forget gate; writes ``da (N, 4, H)``.
    """
    dc.addcmul_(dh_t, K_c)                                   # dL/dc_t
    torch.mul(dh_t, K_o, out=da[:, 3])                       # dL/da_o
    torch.mul(K_ifg, dc.unsqueeze(1), out=da[:, :3])         # dL/da_i, da_f, da_g
    dc.mul_(f)                                               # dL/dc_{t-1}


def _step_grads_fused(dh_t, dc, K_c, K_o, K_ifg, f, da):
    """The same as :func:`_step_grads`, written for ``torch.compile``."""
    dct = dc + dh_t * K_c
    da[:, 3].copy_(dh_t * K_o)
    da[:, :3].copy_(K_ifg * dct.unsqueeze(1))
    dc.copy_(dct * f)


def _check(x, h0, c0, W_x, W_h, b=None, *, states=None, grads=None):
    x = floats("x", x)
    h0, c0 = floats("h0", h0, optional=True), floats("c0", c0, optional=True)
    W_x, W_h = floats("W_x", W_x, finite=True), floats("W_h", W_h, finite=True)
    b = floats("b", b, finite=True, optional=True)
    states = {n: floats(n, v) for n, v in (states or {}).items()}
    grads = {n: floats(n, v, optional=True) for n, v in (grads or {}).items()}
    _, dtype = common(x=x, h0=h0, c0=c0, W_x=W_x, W_h=W_h, b=b, **states, **grads)
    dims = Dims()
    dims.check("x", x.shape, ("N", "T", "D"))
    require_steps("x", x.shape)
    dims.check("W_h", W_h.shape, ("H", "4H"))
    dims.check("W_x", W_x.shape, ("D", "4H"))
    if b is not None:
        dims.check("b", b.shape, ("4H",))
    for name, value in (("h0", h0), ("c0", c0)):
        if value is not None:
            dims.check(name, value.shape, ("N", "H"))
    for name, value in {**states, **grads}.items():
        if value is not None:
            dims.check(name, value.shape, ("N", "H") if name.startswith("dc") else ("N", "T", "H"))
    return cast(dtype, x, h0, c0, W_x, W_h, b, *states.values(), *grads.values())


def lstm_step_forward(x_t, h_prev, c_prev, W_x, W_h, b):
    """One LSTM step (differentiable by autograd).

    Args:
        x_t: (N, D) inputs; h_prev, c_prev: (N, H) previous states.
        W_x: (D, 4H), W_h: (H, 4H), b: (4H,) fused parameters, gate order i, f, g, o.

    Returns:
        (h_next (N, H), c_next (N, H)).
    """
    if b is None:
        raise ValueError("b: expected a tensor of shape (4H,), got None")
    x, h_prev, c_prev, W_x, W_h, b = _check_step(x_t, h_prev, c_prev, W_x, W_h, b)
    return _cell_functional(torch.addmm(torch.addmm(b, x, W_x), h_prev, W_h), c_prev)


def _check_step(x_t, h_prev, c_prev, W_x, W_h, b=None, **grads):
    """Step arguments checked under their own names; returns x_t, ... cast to one dtype."""
    x_t, h_prev, c_prev = floats("x_t", x_t), floats("h_prev", h_prev), floats("c_prev", c_prev)
    W_x, W_h = floats("W_x", W_x, finite=True), floats("W_h", W_h, finite=True)
    b = floats("b", b, finite=True, optional=True)
    grads = {n: floats(n, v, optional=True) for n, v in grads.items()}
    _, dtype = common(x_t=x_t, h_prev=h_prev, c_prev=c_prev, W_x=W_x, W_h=W_h, b=b, **grads)
    dims = Dims()
    dims.check("x_t", x_t.shape, ("N", "D"))
    dims.check("h_prev", h_prev.shape, ("N", "H"))
    dims.check("c_prev", c_prev.shape, ("N", "H"))
    dims.check("W_h", W_h.shape, ("H", "4H"))
    dims.check("W_x", W_x.shape, ("D", "4H"))
    if b is not None:
        dims.check("b", b.shape, ("4H",))
    for name, value in grads.items():
        if value is not None:
            dims.check(name, value.shape, ("N", "H"))
    return cast(dtype, x_t, h_prev, c_prev, W_x, W_h, b, *grads.values())


def lstm_step_backward(dh_next, dc_next, x_t, h_prev, c_prev, W_x, W_h, b):
    """Backward of :func:`lstm_step_forward` (explicit; recomputes the step's gates).

    Args:
        dh_next, dc_next: (N, H) gradients on h_next and c_next (dc_next may be None: zeros).
        x_t: (N, D), h_prev, c_prev: (N, H) the step's inputs.
        W_x: (D, 4H), W_h: (H, 4H), b: (4H,) the parameters.

    Returns:
        (dx_t (N, D), dh_prev (N, H), dc_prev (N, H), dW_x (D, 4H), dW_h (H, 4H), db (4H,)).
    """
    if b is None:
        raise ValueError("b: expected a tensor of shape (4H,), got None")
    x_t, h_prev, c_prev, W_x, W_h, b, dh_next, dc_next = _check_step(
        x_t, h_prev, c_prev, W_x, W_h, b, dh_next=dh_next, dc_next=dc_next)
    if dh_next is None:
        raise ValueError("dh_next: expected a tensor of shape (N, H), got None")
    with torch.no_grad():
        h_next, c_next = _cell_functional(torch.addmm(torch.addmm(b, x_t, W_x), h_prev, W_h), c_prev)
    dx, dh_prev, dc_prev, dW_x, dW_h, db = _backward(                 # T = 1
        dh_next[:, None], dc_next, x_t[:, None], h_prev, c_prev, h_next[:, None], c_next[:, None], W_x, W_h, b)
    return dx[:, 0], dh_prev, dc_prev, dW_x, dW_h, db


def lstm_forward(x, h0, c0, W_x, W_h, b, *, cache=None):
    """Run the LSTM over a whole sequence.

    Args:
        x: (N, T, D) inputs, batch-first.
        h0, c0: (N, H) initial states, or None for zeros.
        W_x: (D, 4H), W_h: (H, 4H), b: (4H,) fused parameters, gate order i, f, g, o.
        cache: optional dict; when given, it is cleared and filled with the forward's gate
            activations, and may be passed to :func:`lstm_backward` with the returned ``h``
            and ``c`` (and unmodified inputs) to skip the recomputation.

    Returns:
        (h, c): (N, T, H) each, the hidden and cell states after every step. Without
        autograd recording they are transposed views of time-major buffers.
    """
    if b is None:
        raise ValueError("b: expected a tensor of shape (4H,), got None")
    if cache is not None and not isinstance(cache, dict):
        raise ValueError(f"cache: expected a dict or None, got {type(cache).__name__}")
    return _forward(*_check(x, h0, c0, W_x, W_h, b), cache=cache)


def _forward(x, h0, c0, W_x, W_h, b, cell=_cell, cache=None):
    """:func:`lstm_forward` on checked tensors of one dtype and device; ``cell`` as :func:`_cell`.

    ``cache`` (a dict) receives ``h``, ``c`` and the gate activations ``A (T, N, 4H)`` that
    :func:`_backward` takes as ``gates`` (any ``cell`` leaves them in its ``a``).
    """
    N, T, _ = x.shape
    H = W_h.shape[0]
    xs = time_major(x)                                       # (T*N, D)
    if recording(x, h0, c0, W_x, W_h, b):                    # differentiable path
        proj = torch.addmm(b, xs, W_x).view(T, N, 4 * H)     # (T, N, 4H)
        h = x.new_zeros((N, H)) if h0 is None else h0        # (N, H)
        c = x.new_zeros((N, H)) if c0 is None else c0        # (N, H)
        hs, cs = [], []
        for t in range(T):
            h, c = _cell_functional(torch.addmm(proj[t], h, W_h), c)
            hs.append(h)
            cs.append(c)
        h, c = ((torch.stack(hs, dim=1), torch.stack(cs, dim=1)) if hs   # (N, T, H) each
                else (x.new_zeros((N, 0, H)), x.new_zeros((N, 0, H))))
        if cache is not None:                                # no activations kept: recomputed
            cache.clear()
            cache.update(kind="lstm", h=h, c=c)
        return h, c
    with torch.no_grad():
        A = torch.addmm(b, xs, W_x).view(T, N, 4 * H)        # (T, N, 4H) pre-activations
        hs = torch.empty((T, N, H), dtype=x.dtype, device=x.device)
        cs = torch.empty((T, N, H), dtype=x.dtype, device=x.device)
        h_prev = h0                                          # None: h_{-1} @ W_h is 0, skipped
        c_prev = x.new_zeros((N, H)) if c0 is None else c0   # (N, H)
        for t in range(T):                                   # A[t]: (N, 4H)
            if h_prev is not None:
                A[t].addmm_(h_prev, W_h)
            cell(A[t], c_prev, hs[t], cs[t])
            h_prev, c_prev = hs[t], cs[t]
        h, c = hs.transpose(0, 1), cs.transpose(0, 1)        # (N, T, H) views
        if cache is not None:
            cache.clear()
            cache.update(kind="lstm", h=h, c=c, A=A)
        return h, c


def lstm_backward(dh, dc_last, x, h0, c0, h, c, W_x, W_h, b, *, cache=None):
    """Backpropagation through time for :func:`lstm_forward` (explicit, no autograd).

    Args:
        dh: (N, T, H) upstream gradient on every hidden state (not yet including the
            recurrence).
        dc_last: (N, H) upstream gradient on the final cell state, or None (zeros).
        x: (N, T, D), h0, c0: (N, H) or None, h, c: (N, T, H) the forward's inputs and outputs.
        W_x: (D, 4H), W_h: (H, 4H), b: (4H,) the parameters (b is needed: the gates are
            recomputed).
        cache: optional dict filled by :func:`lstm_forward` for these ``h`` and ``c``;
            without it the gates are recomputed from the inputs (same result).

    Returns:
        (dx (N, T, D), dh0 (N, H), dc0 (N, H), dW_x (D, 4H), dW_h (H, 4H), db (4H,)).
    """
    if b is None:
        raise ValueError("b: expected a tensor of shape (4H,), got None")
    h_given, c_given = h, c
    x, h0, c0, W_x, W_h, b, h, c, dh, dc_last = _check(
        x, h0, c0, W_x, W_h, b, states=dict(h=h, c=c), grads=dict(dh=dh, dc_last=dc_last))
    if dh is None:
        raise ValueError("dh: expected a tensor of shape (N, T, H), got None")
    gates = None
    if cache is not None:
        if not (isinstance(cache, dict) and cache.get("kind") == "lstm"
                and cache.get("h") is h_given and cache.get("c") is c_given
                and cache.get("A", h).dtype == h.dtype):
            raise ValueError("cache: expected the dict that lstm_forward filled when it returned "
                             "these h and c (or None to recompute)")
        gates = cache.get("A")
    return _backward(dh, dc_last, x, h0, c0, h, c, W_x, W_h, b, gates=gates)


@torch.no_grad()
def _backward(dh, dc_last, x, h0, c0, h, c, W_x, W_h, b, step=_step_grads, gates=None):
    """:func:`lstm_backward` on checked tensors; ``step`` as :func:`_step_grads`.

    ``gates``: the activations ``A (T, N, 4H)`` kept by :func:`_forward` (read only), or
    None to recompute them.
    """
    N, T, D = x.shape
    H = W_h.shape[0]
    hs, cs = h.transpose(0, 1), c.transpose(0, 1)            # (T, N, H) views
    xs = time_major(x)                                       # (T*N, D)
    h_prev = states_before(h0, hs)                           # (T, N, H)
    c_prev = states_before(c0, cs)                           # (T, N, H)
    if gates is None:
        A = torch.addmm(b, xs, W_x)                          # (T*N, 4H) recomputed pre-activations
        A.addmm_(h_prev.view(T * N, H), W_h)
        A = A.view(T, N, 4 * H)                              # (T, N, 4H)
        A[..., :2 * H].sigmoid_()
        A[..., 2 * H:3 * H].tanh_()
        A[..., 3 * H:].sigmoid_()
    else:
        A = gates                                            # (T, N, 4H) from the forward
    i, f, g, o = _gates(A)                                   # (T, N, H) views
    tc = torch.tanh(cs)                                      # (T, N, H)
    K_c = o * (1 - tc * tc)                                  # (T, N, H)  dh -> dc
    K_o = tc * o * (1 - o)                                   # (T, N, H)  dh -> da_o
    K_ifg = torch.stack((g * i * (1 - i),                    # (T, N, 3, H) dc -> da_i,
                         c_prev * f * (1 - f),               #              da_f,
                         i * (1 - g * g)), dim=2)            #              da_g
    dA = torch.empty((T, N, 4, H), dtype=x.dtype, device=x.device)  # (T, N, 4, H) dL/da
    dhb = upstream(dh, x.dtype)                              # (T, N, H), becomes dL/dh_t
    dc = x.new_zeros((N, H)) if dc_last is None else dc_last.clone()  # (N, H) carry on c
    dh0 = x.new_zeros((N, H))
    W_h_T = W_h.t()                                          # (4H, H) view
    for t in range(T - 1, -1, -1):
        step(dhb[t], dc, K_c[t], K_o[t], K_ifg[t], f[t], dA[t])
        da = dA[t].view(N, 4 * H)                            # (N, 4H)
        if t:
            dhb[t - 1].addmm_(da, W_h_T)                     # recurrence into dL/dh_{t-1}
        else:
            torch.mm(da, W_h_T, out=dh0)
    dA2 = dA.view(T * N, 4 * H)                              # (T*N, 4H)
    dW_x = xs.t() @ dA2                                      # (D, 4H)
    dW_h = h_prev.view(T * N, H).t() @ dA2                   # (H, 4H)
    db = dA2.sum(dim=0)                                      # (4H,)
    dx = (dA2 @ W_x.t()).view(T, N, D).transpose(0, 1)       # (N, T, D) view
    return dx, dh0, dc, dW_x, dW_h, db
