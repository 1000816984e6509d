"""GRU with fused gates, forward and explicit backward, in Torch.

    a_x = x_t @ W_x + b_x;  a_h = h_{t-1} @ W_h + b_h        # (N, 3H), columns [r | z | n]
    r = sigmoid(a_x_r + a_h_r);  z = sigmoid(a_x_z + a_h_z)
    n = tanh(a_x_n + r * a_h_n)                              # b_hn inside the reset product
    h_t = (1 - z) * n + z * h_{t-1}

The gate order is torch's (r, z, n), with both biases kept (``b_x = b_ih``, ``b_h = b_hh``).
The same functions, names and argument order as :mod:`rnn_ref.numpy.gru`, on
``torch.Tensor``s. Shapes (batch-first): x (N, T, D), h0 (N, H) or None, W_x (D, 3H),
W_h (H, 3H), b_x, b_h (3H,), states h (N, T, H).

The backward is explicit (no autograd, under ``torch.no_grad()``) and cache-free: it
recomputes every gate with two matmuls over all steps (or takes them from the optional
``cache=`` dict that the forward filled) and precomputes, for all steps at
once, the coefficients that turn dL/dh_t into the gate gradients, so one reverse step
costs one ``mul``, one ``addcmul_`` and one ``addmm_``; the gate gradients on the input
side are one batched product after the loop. One forward step costs one ``addmm`` and
five pointwise kernels (``lerp`` computes ``(1 - z) * n + z * h`` in one). The pointwise
parts are :func:`_cell` and :func:`_step_grads`; ``python -m benchmarks.gpu`` swaps in
``torch.compile``-d versions of :func:`_cell_fused` and :func:`_step_grads_fused`.
"""

from __future__ import annotations

import torch

from ._seq import recording, states_before, time_major, upstream
from ._validate import Dims, cast, common, floats, require_steps

__all__ = ["gru_step_forward", "gru_step_backward", "gru_forward", "gru_backward"]


def _cell_functional(a_x, a_h, h_prev):
    """One GRU cell from ``a_x = x W_x + b_x`` and ``a_h = h_prev W_h + b_h`` (N, 3H): h (N, H).

    Out of place, so differentiable by autograd.
    """
    xr, xz, xn = a_x.chunk(3, dim=1)                         # (N, H) each
    hr, hz, hn = a_h.chunk(3, dim=1)
    r, z = torch.sigmoid(xr + hr), torch.sigmoid(xz + hz)
    n = torch.tanh(xn + r * hn)
    return (1 - z) * n + z * h_prev                          # (N, H)


def _cell(a_x, a_h, h_prev, h_out):
    """In-place cell: overwrites ``a_x (N, 3H)`` with r, z, n and writes ``h_out (N, H)``."""
    H = h_out.shape[1]
    a_x[:, :2 * H].add_(a_h[:, :2 * H]).sigmoid_()           # r, z
    r, z, n = a_x[:, :H], a_x[:, H:2 * H], a_x[:, 2 * H:]
    n.addcmul_(r, a_h[:, 2 * H:]).tanh_()                    # n
    torch.lerp(n, h_prev, z, out=h_out)                      # n + z*(h_prev - n)


def _cell_fused(a_x, a_h, h_prev, h_out):
    """The same as :func:`_cell` written for ``torch.compile`` (one fused kernel)."""
    H = h_out.shape[1]
    r = torch.sigmoid(a_x[:, :H] + a_h[:, :H])               # (N, H)
    z = torch.sigmoid(a_x[:, H:2 * H] + a_h[:, H:2 * H])     # (N, H)
    n = torch.tanh(a_x[:, 2 * H:] + r * a_h[:, 2 * H:])      # (N, H)
    h_out.copy_(n + z * (h_prev - n))
    a_x.copy_(torch.cat((r, z, n), dim=1))                   # (N, 3H) activations


def _step_grads(g, K_h, z, dAh, into):
    """One reverse step, pointwise part: ``g (N, H)`` is dL/dh_t (recurrence included),
    ``K_h (N, 3, H)`` the step's coefficients, ``z (N, H)`` its update gate; writes
    ``dAh (N, 3, H)`` = dL/d(a_h) and adds the direct path ``g * z`` to ``into`` (dL/dh_{t-1})."""
    torch.mul(K_h, g.unsqueeze(1), out=dAh)
    into.addcmul_(g, z)


def _step_grads_fused(g, K_h, z, dAh, into):
    """The same as :func:`_step_grads`, written for ``torch.compile``."""
    dAh.copy_(K_h * g.unsqueeze(1))
    into.copy_(into + g * z)


def _check(names, x, h0, W_x, W_h, b_x=None, b_h=None, **more):
    """Checks under ``names`` = (x's name, h0's name, x's contract); returns tensors cast."""
    x_name, h0_name, x_contract = names
    x = floats(x_name, x)
    h0 = floats(h0_name, h0, optional=h0_name == "h0")
    W_x, W_h = floats("W_x", W_x, finite=True), floats("W_h", W_h, finite=True)
    b_x = floats("b_x", b_x, finite=True, optional=True)
    b_h = floats("b_h", b_h, finite=True, optional=True)
    more = {n: floats(n, v) for n, v in more.items()}
    _, dtype = common(**{x_name: x, h0_name: h0}, W_x=W_x, W_h=W_h, b_x=b_x, b_h=b_h, **more)
    dims = Dims()
    dims.check(x_name, x.shape, x_contract)
    if len(x_contract) == 3:                                 # a sequence (N, T, D)
        require_steps(x_name, x.shape)
    dims.check("W_h", W_h.shape, ("H", "3H"))
    dims.check("W_x", W_x.shape, ("D", "3H"))
    for name, value in (("b_x", b_x), ("b_h", b_h)):
        if value is None:
            raise ValueError(f"{name}: expected a tensor of shape {dims.expected(('3H',))}, got None")
        dims.check(name, value.shape, ("3H",))
    if h0 is not None:
        dims.check(h0_name, h0.shape, ("N", "H"))
    for name, value in more.items():
        dims.check(name, value.shape, x_contract[:-1] + ("H",))
    return cast(dtype, x, h0, W_x, W_h, b_x, b_h, *more.values())


_STEP = ("x_t", "h_prev", ("N", "D"))
_SEQ = ("x", "h0", ("N", "T", "D"))


def gru_step_forward(x_t, h_prev, W_x, W_h, b_x, b_h):
    """One GRU step (differentiable by autograd).

    Args:
        x_t: (N, D) inputs; h_prev: (N, H) previous state.
        W_x: (D, 3H), W_h: (H, 3H), b_x, b_h: (3H,) fused parameters, gate order r, z, n.

    Returns:
        h_next: (N, H).
    """
    x_t, h_prev, W_x, W_h, b_x, b_h = _check(_STEP, x_t, h_prev, W_x, W_h, b_x, b_h)
    return _cell_functional(torch.addmm(b_x, x_t, W_x), torch.addmm(b_h, h_prev, W_h), h_prev)


def gru_step_backward(dh_next, x_t, h_prev, W_x, W_h, b_x, b_h):
    """Backward of :func:`gru_step_forward` (explicit; recomputes the step's gates).

    Args:
        dh_next: (N, H) gradient on h_next.
        x_t: (N, D), h_prev: (N, H) the step's inputs.
        W_x: (D, 3H), W_h: (H, 3H), b_x, b_h: (3H,) the parameters.

    Returns:
        (dx_t (N, D), dh_prev (N, H), dW_x (D, 3H), dW_h (H, 3H), db_x (3H,), db_h (3H,)).
    """
    x_t, h_prev, W_x, W_h, b_x, b_h, dh_next = _check(_STEP, x_t, h_prev, W_x, W_h, b_x, b_h,
                                                      dh_next=dh_next)
    dx, dh_prev, dW_x, dW_h, db_x, db_h = _backward(dh_next[:, None], x_t[:, None], h_prev,  # T = 1
                                                    W_x, W_h, b_x, b_h)
    return dx[:, 0], dh_prev, dW_x, dW_h, db_x, db_h


def gru_forward(x, h0, W_x, W_h, b_x, b_h, *, cache=None):
    """Run the GRU over a whole sequence.

    Args:
        x: (N, T, D) inputs, batch-first.
        h0: (N, H) initial state, or None for zeros.
        W_x: (D, 3H), W_h: (H, 3H), b_x, b_h: (3H,) fused parameters, gate order r, z, n.
        cache: optional dict; when given, it is cleared and filled with the forward's gate
            activations, and may be passed to :func:`gru_backward` with the returned ``h``
            (and unmodified inputs) to skip the recomputation.

    Returns:
        h: (N, T, H) the state after every step. Without autograd recording it is a
        transposed view of a time-major buffer.
    """
    if cache is not None and not isinstance(cache, dict):
        raise ValueError(f"cache: expected a dict or None, got {type(cache).__name__}")
    return _forward(*_check(_SEQ, x, h0, W_x, W_h, b_x, b_h), cache=cache)


def _forward(x, h0, W_x, W_h, b_x, b_h, cache=None, cell=_cell):
    """:func:`gru_forward` on checked tensors of one dtype and device; ``cell`` as :func:`_cell`.

    ``cache`` (a dict) receives ``h`` and, on the fast path, the gates ``A (T, N, 3H)``
    (r, z, n) and ``Ah (T, N, 3H)`` (``h_{t-1} @ W_h + b_h``) that :func:`_backward` takes.
    """
    N, T, _ = x.shape
    H = W_h.shape[0]
    xs = time_major(x)                                       # (T*N, D)
    prev = x.new_zeros((N, H)) if h0 is None else h0         # (N, H)
    if recording(x, h0, W_x, W_h, b_x, b_h):                 # differentiable path
        proj = torch.addmm(b_x, xs, W_x).view(T, N, 3 * H)   # (T, N, 3H)
        out = []
        for t in range(T):
            prev = _cell_functional(proj[t], torch.addmm(b_h, prev, W_h), prev)  # (N, H)
            out.append(prev)
        h = torch.stack(out, dim=1) if out else x.new_zeros((N, 0, H))  # (N, T, H)
        if cache is not None:                                # no activations kept: recomputed
            cache.clear()
            cache.update(kind="gru", h=h)
        return h
    with torch.no_grad():
        A = torch.addmm(b_x, xs, W_x).view(T, N, 3 * H)      # (T, N, 3H) input projections
        keep = cache is not None                             # all steps' a_h, or one scratch
        Ah = torch.empty((T if keep else 1, N, 3 * H), dtype=x.dtype, device=x.device)  # (T or 1, N, 3H)
        hs = torch.empty((T, N, H), dtype=x.dtype, device=x.device)
        for t in range(T):                                   # A[t]: (N, 3H)
            a_h = Ah[t if keep else 0]                       # (N, 3H)
            torch.addmm(b_h, prev, W_h, out=a_h)
            cell(A[t], a_h, prev, hs[t])
            prev = hs[t]
        h = hs.transpose(0, 1)                               # (N, T, H) view
        if keep:
            cache.clear()
            cache.update(kind="gru", h=h, A=A, Ah=Ah)
        return h


def gru_backward(dh, x, h0, h, W_x, W_h, b_x, b_h, *, cache=None):
    """Backpropagation through time for :func:`gru_forward` (explicit, no autograd).

    Args:
        dh: (N, T, H) upstream gradient on every hidden state (not yet including the
            recurrence).
        x: (N, T, D), h0: (N, H) or None, h: (N, T, H) the forward's inputs and output.
        W_x: (D, 3H), W_h: (H, 3H), b_x, b_h: (3H,) the parameters.
        cache: optional dict filled by :func:`gru_forward` for this ``h``; without it the
            gates are recomputed from the inputs (same result).

    Returns:
        (dx (N, T, D), dh0 (N, H), dW_x (D, 3H), dW_h (H, 3H), db_x (3H,), db_h (3H,)).
    """
    h_given = h
    x, h0, W_x, W_h, b_x, b_h, h, dh = _check(_SEQ, x, h0, W_x, W_h, b_x, b_h, h=h, dh=dh)
    gates = None
    if cache is not None:
        if not (isinstance(cache, dict) and cache.get("kind") == "gru" and cache.get("h") is h_given
                and cache.get("A", h).dtype == h.dtype):
            raise ValueError("cache: expected the dict that gru_forward filled when it returned "
                             "this h (or None to recompute)")
        gates = (cache["A"], cache["Ah"]) if "A" in cache else None
    return _backward(dh, x, h0, W_x, W_h, b_x, b_h, h=h, gates=gates)


@torch.no_grad()
def _backward(dh, x, h0, W_x, W_h, b_x, b_h, h=None, gates=None, step=_step_grads):
    """:func:`gru_backward` on checked tensors. ``h=None`` (T = 1 only) recomputes it;
    ``gates``: ``(A, Ah)`` kept by :func:`_forward` (read only), or None to recompute them;
    ``step`` as :func:`_step_grads`."""
    N, T, D = x.shape
    H = W_h.shape[0]
    xs = time_major(x)                                       # (T*N, D)
    hs = x.new_empty((T, N, H)) if h is None else h.transpose(0, 1)  # (T, N, H); T = 1: unread
    h_prev = states_before(h0, hs)                           # (T, N, H)
    hp2 = h_prev.view(T * N, H)                              # (T*N, H)
    if gates is None:
        A = torch.addmm(b_x, xs, W_x).view(T, N, 3 * H)      # (T, N, 3H) recomputed a_x
        Ah = torch.addmm(b_h, hp2, W_h).view(T, N, 3 * H)    # (T, N, 3H) recomputed a_h
        A[..., :2 * H].add_(Ah[..., :2 * H]).sigmoid_()      # r, z
        A[..., 2 * H:].addcmul_(A[..., :H], Ah[..., 2 * H:]).tanh_()  # n
    else:
        A, Ah = gates                                        # (T, N, 3H) each, from the forward
    r, z, n = A[..., :H], A[..., H:2 * H], A[..., 2 * H:]    # (T, N, H) views
    K_n = (1 - z) * (1 - n * n)                              # (T, N, H) dh -> da_n
    K = torch.stack((K_n * Ah[..., 2 * H:] * r * (1 - r),    # (T, N, 3, H) dh -> da_r,
                     (h_prev - n) * z * (1 - z),             #              da_z,
                     K_n), dim=2)                            #              da_n (input side)
    K_h = K.clone()                                          # (T, N, 3, H) dh -> d(a_h)
    K_h[:, :, 2] *= r                                        # d(a_h_n) = r * da_n
    dAh = torch.empty((T, N, 3, H), dtype=x.dtype, device=x.device)  # (T, N, 3, H)
    dhb = upstream(dh, x.dtype)                              # (T, N, H), becomes dL/dh_t
    dh0 = x.new_zeros((N, H))
    W_h_T = W_h.t()                                          # (3H, H) view
    for t in range(T - 1, -1, -1):
        into = dhb[t - 1] if t else dh0                      # dL/dh_{t-1}
        step(dhb[t], K_h[t], z[t], dAh[t], into)             # dhb[t]: (N, H) dL/dh_t
        into.addmm_(dAh[t].view(N, 3 * H), W_h_T)
    dA2 = (K * dhb.unsqueeze(2)).reshape(T * N, 3 * H)          # (T*N, 3H) dL/da_x, all steps
    dAh2 = dAh.view(T * N, 3 * H)                            # (T*N, 3H)
    dW_x = xs.t() @ dA2                                      # (D, 3H)
    dW_h = hp2.t() @ dAh2                                    # (H, 3H)
    dx = (dA2 @ W_x.t()).view(T, N, D).transpose(0, 1)       # (N, T, D) view
    return dx, dh0, dW_x, dW_h, dA2.sum(dim=0), dAh2.sum(dim=0)
