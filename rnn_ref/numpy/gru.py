"""Gated recurrent unit (GRU), forward and backward, in NumPy, with torch's equations.

    r = sigmoid(x_t @ W_xr + b_xr + h_{t-1} @ W_hr + b_hr)          # reset gate
    z = sigmoid(x_t @ W_xz + b_xz + h_{t-1} @ W_hz + b_hz)          # update gate
    n = tanh(x_t @ W_xn + b_xn + r * (h_{t-1} @ W_hn + b_hn))       # candidate
    h_t = (1 - z) * n + z * h_{t-1}

Shapes (batch-first): x (N, T, D), h0 (N, H), W_x (D, 3H), W_h (H, 3H), b_x and b_h (3H,),
all hidden states h (N, T, H). The gates are fused in torch's order r, z, n, so
``W_x = weight_ih_l0.T``, ``W_h = weight_hh_l0.T``, ``b_x = bias_ih_l0``, ``b_h = bias_hh_l0``
(two biases: b_hn sits inside the reset product). ``h0=None`` means a zero initial state.

The functions are cache-free: :func:`gru_backward` takes the forward's inputs and outputs as
plain arrays and recomputes the gates from them (two GEMMs for all time steps). For speed,
:func:`gru_forward` can also fill a ``cache`` dict that :func:`gru_backward` accepts instead
of recomputing; the result is the same (up to the rounding of a GEMM).

Speed (the sequence functions; the step functions are written for reading):
  * the input projection of every step is one GEMM before the loop (a column of ones in
    the inputs carries the bias) and the weight gradients are one GEMM each after it; the
    loops hold one small matmul per step, on preallocated time-major buffers;
  * internally the input-side columns are rotated once per call to [n | r | z], and the
    sigmoid columns of the weights are negated (exact), so that the contiguous [r | z]
    slice goes through sigmoid(a) = 1 / (1 + exp(-a)) as three in-place calls;
  * every backward quantity of a step is the total dL/dh_t times a factor that does not
    depend on the recurrence; the factors are computed a block of steps at a time (by the
    forward when it fills a cache, while the activations are still in cache), so that a
    backward step is four NumPy calls.
"""

from __future__ import annotations

import numpy as np

from ._fused import block_steps, inputs_with_ones, sigmoid
from ._validate import Dims, floats, require_steps, result_dtype

__all__ = ["gru_step_forward", "gru_step_backward", "gru_forward", "gru_backward"]


def _check_weights(dims, W_x, W_h, b_x, b_h):
    """Validate the parameters. H is bound from the recurrent matrix W_h (H, 3H) before W_x
    is checked, so that a transposed W_x is reported against the right H; when W_h itself
    does not have that form (transposed, say), H is bound from b_x (3H,) first, so that the
    error names W_h with the expected numbers."""
    W_x, W_h, b_x, b_h = (floats(n, v, finite=True) for n, v in
                          (("W_x", W_x), ("W_h", W_h), ("b_x", b_x), ("b_h", b_h)))
    checks = [("W_h", W_h.shape, ("H", "3H")), ("b_x", b_x.shape, ("3H",))]
    if not (W_h.ndim == 2 and W_h.shape[1] == 3 * W_h.shape[0]):
        checks.reverse()
    for name, shape, contract in checks + [("b_h", b_h.shape, ("3H",)), ("W_x", W_x.shape, ("D", "3H"))]:
        dims.check(name, shape, contract)
    return W_x, W_h, b_x, b_h


# --------------------------------------------------------------------------- one step

def gru_step_forward(x_t, h_prev, W_x, W_h, b_x, b_h):
    """One time step of the GRU.

    Args:
        x_t: (N, D) inputs at this step.
        h_prev: (N, H) previous hidden state.
        W_x: (D, 3H) input-to-gates weights, columns [r | z | n].
        W_h: (H, 3H) hidden-to-gates weights, columns [r | z | n].
        b_x: (3H,) input-side bias (torch's bias_ih).
        b_h: (3H,) hidden-side bias (torch's bias_hh).

    Returns:
        h_next: (N, H).
    """
    x_t, h_prev = floats("x_t", x_t), floats("h_prev", h_prev)
    dims = Dims()
    dims.check("x_t", x_t.shape, ("N", "D"))
    W_x, W_h, b_x, b_h = _check_weights(dims, W_x, W_h, b_x, b_h)
    dims.check("h_prev", h_prev.shape, ("N", "H"))
    H = dims["H"]
    ax = x_t @ W_x + b_x                                   # (N, 3H)
    ah = h_prev @ W_h + b_h                                # (N, 3H)
    r = sigmoid(ax[:, :H] + ah[:, :H])                    # (N, H)
    z = sigmoid(ax[:, H:2 * H] + ah[:, H:2 * H])          # (N, H)
    n = np.tanh(ax[:, 2 * H:] + r * ah[:, 2 * H:])         # (N, H)
    return (1.0 - z) * n + z * h_prev


def gru_step_backward(dh_next, x_t, h_prev, W_x, W_h, b_x, b_h):
    """Backward of :func:`gru_step_forward` (recomputes the gates from the inputs).

    Args:
        dh_next: (N, H) gradient of the loss with respect to h_next.
        x_t: (N, D), h_prev: (N, H) the step's inputs.
        W_x: (D, 3H), W_h: (H, 3H), b_x: (3H,), b_h: (3H,) the parameters.

    Returns:
        (dx_t (N, D), dh_prev (N, H), dW_x (D, 3H), dW_h (H, 3H), db_x (3H,), db_h (3H,)).
    """
    dh_next, x_t, h_prev = floats("dh_next", dh_next), floats("x_t", x_t), floats("h_prev", h_prev)
    dims = Dims()
    dims.check("x_t", x_t.shape, ("N", "D"))
    W_x, W_h, b_x, b_h = _check_weights(dims, W_x, W_h, b_x, b_h)
    dims.check("h_prev", h_prev.shape, ("N", "H"))
    dims.check("dh_next", dh_next.shape, ("N", "H"))
    H = dims["H"]
    ax = x_t @ W_x + b_x                                   # (N, 3H)
    ah = h_prev @ W_h + b_h                                # (N, 3H)
    r = sigmoid(ax[:, :H] + ah[:, :H])                    # (N, H)
    z = sigmoid(ax[:, H:2 * H] + ah[:, H:2 * H])          # (N, H)
    hn = ah[:, 2 * H:]                                     # (N, H) h_prev @ W_hn + b_hn
    n = np.tanh(ax[:, 2 * H:] + r * hn)                    # (N, H)
    da_n = dh_next * (1.0 - z) * (1.0 - n * n)             # (N, H) at n's tanh input
    da_r = da_n * hn * r * (1.0 - r)                       # (N, H)
    da_z = dh_next * (h_prev - n) * z * (1.0 - z)          # (N, H)
    dax = np.concatenate([da_r, da_z, da_n], axis=1)       # (N, 3H) at x_t @ W_x + b_x
    dah = np.concatenate([da_r, da_z, da_n * r], axis=1)   # (N, 3H) at h_prev @ W_h + b_h
    dx_t = dax @ W_x.T                                     # (N, D)
    dh_prev = dh_next * z + dah @ W_h.T                    # (N, H)
    return dx_t, dh_prev, x_t.T @ dax, h_prev.T @ dah, dax.sum(axis=0), dah.sum(axis=0)


# --------------------------------------------------------------------------- whole sequence

def _check_sequence_args(x, h0, W_x, W_h, b_x, b_h):
    x, h0 = floats("x", x), floats("h0", h0, optional=True)
    dims = Dims()
    dims.check("x", x.shape, ("N", "T", "D"))
    require_steps("x", x.shape)
    W_x, W_h, b_x, b_h = _check_weights(dims, W_x, W_h, b_x, b_h)
    if h0 is not None:
        dims.check("h0", h0.shape, ("N", "H"))
    return x, h0, W_x, W_h, b_x, b_h, dims


def _sigmoid_(s, one):
    """In place: s holds -a on entry and sigmoid(a) = 1 / (1 + exp(-a)) on return."""
    np.exp(s, out=s)
    np.add(s, one, out=s)
    np.divide(one, s, out=s)


def _forward_weights(W_x, W_h, b_x, b_h, H, dtype):
    """The weights as the loops use them (new arrays): the input side [W_x; b_x] (D+1, 3H)
    rotated from [r | z | n] to [n | r | z], with b_h's r, z part folded into its bias;
    W_h (H, 3H) in its own order [r | z | n]; the sigmoid columns negated (exact); b_hn."""
    Wxb = np.concatenate([W_x, b_x[None]]).astype(dtype)  # (D+1, 3H)
    Wxb[-1, :2 * H] += b_h[:2 * H]                         # b_xr + b_hr, b_xz + b_hz
    Wxb = np.roll(Wxb, H, axis=1)                          # [n | r | z]
    Wxb[:, H:] *= -1.0
    Wh_s = np.array(W_h, dtype=dtype, copy=True)           # (H, 3H) [r | z | n]
    Wh_s[:, :2 * H] *= -1.0
    b_hn = np.array(b_h[2 * H:], dtype=dtype, copy=True)   # (H,)
    return Wxb, Wh_s, b_hn


def gru_forward(x, h0, W_x, W_h, b_x, b_h, *, cache=None):
    """Run the GRU over a whole sequence.

    Args:
        x: (N, T, D) inputs, batch-first.
        h0: (N, H) initial hidden state, or None for zeros.
        W_x: (D, 3H), W_h: (H, 3H), b_x: (3H,), b_h: (3H,) parameters, columns [r | z | n].
        cache: optional dict; when given, it is cleared and filled with what the backward
            needs (the derivative factors of every step), and may be passed to
            :func:`gru_backward` with the returned ``h`` (and unmodified inputs) to skip
            the recomputation.

    Returns:
        h: (N, T, H) the hidden state after every step; ``h[:, -1]`` is the final state.
    """
    x, h0, W_x, W_h, b_x, b_h, dims = _check_sequence_args(x, h0, W_x, W_h, b_x, b_h)
    if cache is not None and not isinstance(cache, dict):
        raise ValueError(f"cache: expected a dict or None, got {type(cache).__name__}")
    N, T, H = dims["N"], dims["T"], dims["H"]
    dtype = result_dtype(x, h0, W_x, W_h, b_x, b_h)
    one = np.ones((), dtype=dtype)                         # 0-d: no scalar conversion per call
    Wxb, Wh_s, b_hn = _forward_weights(W_x, W_h, b_x, b_h, H, dtype)
    xs1 = inputs_with_ones(x, dtype)                      # (T*N, D+1)
    # X: the input projections (+ biases) of every step, turned into [n | r | z] in place.
    X = np.matmul(xs1, Wxb).reshape(T, N, 3 * H)           # (T, N, 3H)
    Hb = np.empty((T + 1, N, H), dtype=dtype)              # (T+1, N, H) Hb[t] = h_{t-1}, Hb[0] = h0
    Hb[0] = 0.0 if h0 is None else h0
    HN = np.empty((T, N, H), dtype=dtype)                  # (T, N, H) h_{t-1} @ W_hn + b_hn
    Nn, RZ, R, Z = X[:, :, :H], X[:, :, H:], X[:, :, H:2 * H], X[:, :, 2 * H:]  # (T, N, H|2H)
    mm = np.empty((N, 3 * H), dtype=dtype)                 # (N, 3H) scratch: h_{t-1} @ W_h
    mm_rz, mm_n = mm[:, :2 * H], mm[:, 2 * H:]             # (N, 2H), (N, H)
    tmp = np.empty((N, H), dtype=dtype)                    # (N, H) scratch
    k = block_steps(N, H, T)
    Q = None if cache is None else np.empty((T, N, 5 * H), dtype=dtype)  # (T, N, 5H) factors
    with np.errstate(over="ignore"):                       # exp(-a) = inf gives sigmoid 0, rightly
        for t in range(T):
            rz, n, hn = RZ[t], Nn[t], HN[t]                # (N, 2H), (N, H), (N, H)
            np.dot(Hb[t], Wh_s, out=mm)                    # (N, 3H)
            np.add(rz, mm_rz, out=rz)
            _sigmoid_(rz, one)                             # r, z
            np.add(mm_n, b_hn, out=hn)
            np.multiply(hn, R[t], out=tmp)
            np.add(n, tmp, out=n)
            np.tanh(n, out=n)                              # n
            np.subtract(Hb[t], n, out=tmp)
            np.multiply(tmp, Z[t], out=tmp)
            np.add(tmp, n, out=Hb[t + 1])                  # h_t = n + z * (h_{t-1} - n)
            if Q is not None and ((t + 1) % k == 0 or t == T - 1):  # block [t0, t] done
                t0 = t - t % k
                _backward_factors(X[t0:t + 1], HN[t0:t + 1], Hb[t0:t + 1], Q[t0:t + 1], one)
    h = Hb[1:].transpose(1, 0, 2)                          # (N, T, H) view
    if cache is not None:
        cache.clear()
        cache.update(kind="gru", h=h, xs1=xs1, Q=Q, Hb=Hb)
    return h


def _backward_factors(X, HN, H_prev, Q, one):
    """The derivative factors of the backward for a block of k steps: X (k, N, 3H) the
    activations [n | r | z], HN (k, N, H) h_{t-1} @ W_hn + b_hn, H_prev (k, N, H) h_{t-1};
    fills Q (k, N, 5H) = [Q_n | Q_r | Q_z | Q_hn | z] with Q_n = (1 - z)(1 - n^2),
    Q_r = Q_n HN r (1 - r), Q_z = (h_{t-1} - n) z (1 - z), Q_hn = Q_n r, so that
    dh_t * Q[t] = [da_n | da_r | da_z | dL/dHN | dh_t z]."""
    H = HN.shape[-1]
    Nn, R, Z = X[..., :H], X[..., H:2 * H], X[..., 2 * H:]
    Qn, Qr, Qz, Qhn, Qzz = (Q[..., k * H:(k + 1) * H] for k in range(5))
    np.subtract(one, Z, out=Qzz)                           # scratch: 1 - z
    np.multiply(Nn, Nn, out=Qn)
    np.subtract(one, Qn, out=Qn)
    Qn *= Qzz                                              # Q_n
    np.multiply(Qn, R, out=Qhn)                            # Q_hn
    np.subtract(one, R, out=Qr)
    Qr *= Qhn
    Qr *= HN                                               # Q_r
    np.subtract(H_prev, Nn, out=Qz)
    Qz *= Z
    Qz *= Qzz                                              # Q_z
    Qzz[...] = Z                                           # z


def gru_backward(dh, x, h0, h, W_x, W_h, b_x, b_h, *, cache=None):
    """Backpropagation through time for :func:`gru_forward`.

    Args:
        dh: (N, T, H) gradient of the loss with respect to every hidden state (the
            upstream gradient only, not yet including the recurrence).
        x: (N, T, D), h0: (N, H) or None the forward's inputs; h: (N, T, H) its output.
        W_x: (D, 3H), W_h: (H, 3H), b_x: (3H,), b_h: (3H,) the parameters.
        cache: optional dict filled by :func:`gru_forward` for this ``h``; without it
            the gates are recomputed from the inputs (same result).

    Returns:
        (dx (N, T, D), dh0 (N, H), dW_x (D, 3H), dW_h (H, 3H), db_x (3H,), db_h (3H,)).
        dh0 is returned even for a zero initial state.
    """
    x, h0, W_x, W_h, b_x, b_h, dims = _check_sequence_args(x, h0, W_x, W_h, b_x, b_h)
    dh, h = floats("dh", dh), floats("h", h)
    dims.check("h", h.shape, ("N", "T", "H"))
    dims.check("dh", dh.shape, ("N", "T", "H"))
    N, T, D, H = dims["N"], dims["T"], dims["D"], dims["H"]
    dtype = result_dtype(dh, x, h0, h, W_x, W_h, b_x, b_h)
    one = np.ones((), dtype=dtype)

    if cache is not None:
        if not (isinstance(cache, dict) and cache.get("kind") == "gru"
                and cache.get("h") is h and cache["Q"].dtype == dtype):
            raise ValueError("cache: expected the dict that gru_forward filled when it returned "
                             "this h, in the dtype of this call (or None to recompute)")
        xs1, Q, Hb = cache["xs1"], cache["Q"], cache["Hb"]  # Q (T, N, 5H): all steps' factors
        k = max(T, 1)
    else:
        Wxb, Wh_s, b_hn = _forward_weights(W_x, W_h, b_x, b_h, H, dtype)
        xs1 = inputs_with_ones(x, dtype)                  # (T*N, D+1)
        Hb = np.empty((T + 1, N, H), dtype=dtype)          # (T+1, N, H) Hb[t] = h_{t-1}
        Hb[0] = 0.0 if h0 is None else h0
        Hb[1:] = h.transpose(1, 0, 2)
        # Recompute the gates of every step at once: two GEMMs and the activations.
        X = np.matmul(xs1, Wxb).reshape(T, N, 3 * H)       # (T, N, 3H) [n | r | z]
        Ah = np.matmul(Hb[:-1].reshape(T * N, H), Wh_s).reshape(T, N, 3 * H)  # (T, N, 3H) [r | z | n]
        RZ = X[:, :, H:]                                   # (T, N, 2H)
        RZ += Ah[:, :, :2 * H]
        with np.errstate(over="ignore"):
            _sigmoid_(RZ, one)                             # r, z
        HN = Ah[:, :, 2 * H:]                              # (T, N, H) view
        HN += b_hn
        Nn = X[:, :, :H]                                   # (T, N, H)
        Nn += HN * X[:, :, H:2 * H]
        np.tanh(Nn, out=Nn)                                # n
        k = block_steps(N, H, T)
        Q = np.empty((k, N, 5 * H), dtype=dtype)           # (k, N, 5H) factors of one block

    E = np.empty((T, N, 5 * H), dtype=dtype)               # (T, N, 5H) dh_t * Q[t]
    E5 = E.reshape(T, N, 5, H)                             # (T, N, 5, H) view
    dAh = E[:, :, H:4 * H]                                 # (T, N, 3H) at h_{t-1} @ W_h + b_h, [r|z|n]
    Edirect = E[:, :, 4 * H:]                              # (T, N, H) dh_t * z
    dH = dh.transpose(1, 0, 2)                             # (T, N, H) view
    WhT = np.ascontiguousarray(W_h.T, dtype=dtype)         # (3H, H)
    carry = np.zeros((N, H), dtype=dtype)                  # (N, H) dL/dh_t from step t+1
    dht = np.empty((N, 1, H), dtype=dtype)                 # (N, 1, H) total dL/dh_t
    dht2 = dht.reshape(N, H)                               # (N, H) view
    mm = np.empty((N, H), dtype=dtype)                     # (N, H) scratch
    Q5 = Q.reshape(Q.shape[0], N, 5, H)                    # (k, N, 5, H) view
    for t1 in range(T, 0, -k):                             # blocks of steps [t0, t1)
        t0 = max(0, t1 - k)
        if cache is None:
            _backward_factors(X[t0:t1], HN[t0:t1], Hb[t0:t1], Q[:t1 - t0], one)
        for t in range(t1 - 1, t0 - 1, -1):
            np.add(dH[t], carry, out=dht2)
            np.multiply(dht, Q5[t - t0], out=E5[t])        # (N, 5, H)
            np.dot(dAh[t], WhT, out=mm)
            np.add(mm, Edirect[t], out=carry)              # (N, H) dL/dh_{t-1}
    dAx2 = E[:, :, :3 * H].reshape(T * N, 3 * H)           # (T*N, 3H) view [n | r | z]
    dAh2 = dAh.reshape(T * N, 3 * H)                       # (T*N, 3H) view [r | z | n]
    Wx_i = np.roll(W_x.astype(dtype, copy=False), H, axis=1)  # (D, 3H) [n | r | z]
    dx = (dAx2 @ Wx_i.T).reshape(T, N, D).transpose(1, 0, 2)  # (N, T, D)
    dWb = np.roll(xs1.T @ dAx2, -H, axis=1)                # (D+1, 3H) [dW_x; db_x], [r | z | n]
    dW_h = Hb[:-1].reshape(T * N, H).T @ dAh2              # (H, 3H)
    db_h = dAh2.sum(axis=0)                                # (3H,)
    return dx, carry, dWb[:D], dW_h, dWb[D], db_h
