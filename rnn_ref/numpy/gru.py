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
  * the input projection of every step is one GEMM before the loop and the weight
    gradients are one GEMM each after it; the loops hold one small matmul per step;
  * internally the input-side columns are rotated once per call to [n | r | z], and the
    sigmoid columns of the weights are halved (exact), so sigmoid(a) = 0.5 tanh(a/2) + 0.5
    is one tanh plus one affine map over the contiguous [r | z] slice;
  * every backward quantity of a step is the total dL/dh_t times a factor that does not
    depend on the recurrence; the factors are computed for all steps at once, so that a
    backward step is four NumPy calls.
"""

from __future__ import annotations

import numpy as np

from ._validate import Dims, floats, result_dtype

__all__ = ["gru_step_forward", "gru_step_backward", "gru_forward", "gru_backward"]


def _sigmoid(a):
    """Logistic function, written through tanh (no overflow for large |a|)."""
    return 0.5 * np.tanh(0.5 * a) + 0.5


def _check_weights(dims, W_x, W_h, b_x, b_h):
    """Validate the parameters; H is bound from the biases, then W_h, before W_x."""
    W_x, W_h, b_x, b_h = (floats(n, v, finite=True) for n, v in
                          (("W_x", W_x), ("W_h", W_h), ("b_x", b_x), ("b_h", b_h)))
    dims.check("b_x", b_x.shape, ("3H",))
    dims.check("b_h", b_h.shape, ("3H",))
    dims.check("W_h", W_h.shape, ("H", "3H"))   # H known before W_x, so that a transposed
    dims.check("W_x", W_x.shape, ("D", "3H"))   # W_x is reported against the right H
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
    r = _sigmoid(ax[:, :H] + ah[:, :H])                    # (N, H)
    z = _sigmoid(ax[:, H:2 * H] + ah[:, H:2 * H])          # (N, H)
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
    r = _sigmoid(ax[:, :H] + ah[:, :H])                    # (N, H)
    z = _sigmoid(ax[:, H:2 * H] + ah[:, H:2 * H])          # (N, H)
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
    W_x, W_h, b_x, b_h = _check_weights(dims, W_x, W_h, b_x, b_h)
    if h0 is not None:
        dims.check("h0", h0.shape, ("N", "H"))
    return x, h0, W_x, W_h, b_x, b_h, dims


def _time_major(a, dtype):
    """(N, T, K) -> a new C-contiguous (T, N, K) array in ``dtype``."""
    return np.array(a.transpose(1, 0, 2), dtype=dtype, order="C", copy=True)


def _forward_weights(W_x, W_h, b_x, b_h, H, dtype):
    """The weights as the loops use them (new arrays): the input side rotated from
    [r | z | n] to [n | r | z] with b_h's r, z part folded into its bias, the sigmoid
    columns halved (exact), and b_hn on its own."""
    Wx_s = np.roll(W_x.astype(dtype, copy=False), H, axis=1)  # (D, 3H) [n | r | z]
    bx_s = np.roll(b_x.astype(dtype, copy=False), H)          # (3H,)   [n | r | z]
    bx_s[H:] += b_h[:2 * H]                                    # b_xr + b_hr, b_xz + b_hz
    Wx_s[:, H:] *= 0.5
    bx_s[H:] *= 0.5
    Wh_s = np.array(W_h, dtype=dtype, copy=True)               # (H, 3H) [r | z | n]
    Wh_s[:, :2 * H] *= 0.5
    b_hn = np.array(b_h[2 * H:], dtype=dtype, copy=True)       # (H,)
    return Wx_s, bx_s, Wh_s, b_hn


def gru_forward(x, h0, W_x, W_h, b_x, b_h, *, cache=None):
    """Run the GRU over a whole sequence.

    Args:
        x: (N, T, D) inputs, batch-first.
        h0: (N, H) initial hidden state, or None for zeros.
        W_x: (D, 3H), W_h: (H, 3H), b_x: (3H,), b_h: (3H,) parameters, columns [r | z | n].
        cache: optional dict; when given, it is cleared and filled with the forward's
            activations, and may be passed to :func:`gru_backward` with the returned
            ``h`` (and unmodified inputs) to skip the recomputation.

    Returns:
        h: (N, T, H) the hidden state after every step; ``h[:, -1]`` is the final state.
    """
    x, h0, W_x, W_h, b_x, b_h, dims = _check_sequence_args(x, h0, W_x, W_h, b_x, b_h)
    if cache is not None and not isinstance(cache, dict):
        raise ValueError(f"cache: expected a dict or None, got {type(cache).__name__}")
    N, T, D, H = dims["N"], dims["T"], dims["D"], dims["H"]
    dtype = result_dtype(x, h0, W_x, W_h, b_x, b_h)
    Wx_s, bx_s, Wh_s, b_hn = _forward_weights(W_x, W_h, b_x, b_h, H, dtype)
    xs = _time_major(x, dtype).reshape(T * N, D)           # (T*N, D)
    X = np.matmul(xs, Wx_s).reshape(T, N, 3 * H)           # (T, N, 3H) input projections
    X += bx_s                                              # becomes the activations [n | r | z]
    Hb = np.empty((T + 1, N, H), dtype=dtype)              # (T+1, N, H) Hb[t] = h_{t-1}, Hb[0] = h0
    Hb[0] = 0.0 if h0 is None else h0
    HN = np.empty((T, N, H), dtype=dtype)                  # (T, N, H) h_{t-1} @ W_hn + b_hn
    Nn, RZ, R, Z = X[:, :, :H], X[:, :, H:], X[:, :, H:2 * H], X[:, :, 2 * H:]  # (T, N, H|2H)
    mm = np.empty((N, 3 * H), dtype=dtype)                 # (N, 3H) scratch: h_{t-1} @ W_h
    mm_rz, mm_n = mm[:, :2 * H], mm[:, 2 * H:]             # (N, 2H), (N, H)
    tmp = np.empty((N, H), dtype=dtype)                    # (N, H) scratch
    for t in range(T):
        np.dot(Hb[t], Wh_s, out=mm)                        # (N, 3H)
        rz = RZ[t]                                         # (N, 2H)
        np.add(rz, mm_rz, out=rz)
        np.tanh(rz, out=rz)
        np.multiply(rz, 0.5, out=rz)
        np.add(rz, 0.5, out=rz)                            # r, z
        np.add(mm_n, b_hn, out=HN[t])
        n = Nn[t]                                          # (N, H)
        np.multiply(HN[t], R[t], out=tmp)
        np.add(n, tmp, out=n)
        np.tanh(n, out=n)                                  # n
        np.subtract(Hb[t], n, out=tmp)
        np.multiply(tmp, Z[t], out=tmp)
        np.add(tmp, n, out=Hb[t + 1])                      # h_t = n + z * (h_{t-1} - n)
    h = Hb[1:].transpose(1, 0, 2)                          # (N, T, H) view
    if cache is not None:
        cache.clear()
        cache.update(kind="gru", h=h, xs=xs, X=X, HN=HN, Hb=Hb)
    return h


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

    if cache is not None:
        if not (isinstance(cache, dict) and cache.get("kind") == "gru"
                and cache.get("h") is h and cache["X"].dtype == dtype):
            raise ValueError("cache: expected the dict that gru_forward filled when it returned "
                             "this h (or None to recompute)")
        xs, X, HN, Hb = cache["xs"], cache["X"], cache["HN"], cache["Hb"]
    else:
        Wx_s, bx_s, Wh_s, b_hn = _forward_weights(W_x, W_h, b_x, b_h, H, dtype)
        xs = _time_major(x, dtype).reshape(T * N, D)       # (T*N, D)
        Hb = np.empty((T + 1, N, H), dtype=dtype)          # (T+1, N, H) Hb[t] = h_{t-1}
        Hb[0] = 0.0 if h0 is None else h0
        Hb[1:] = h.transpose(1, 0, 2)
        # Recompute the gates of every step at once: two GEMMs.
        X = np.matmul(xs, Wx_s).reshape(T, N, 3 * H)       # (T, N, 3H) [n | r | z]
        X += bx_s
        Ah = np.matmul(Hb[:-1].reshape(T * N, H), Wh_s).reshape(T, N, 3 * H)  # (T, N, 3H) [r | z | n]
        RZ = X[:, :, H:]                                   # (T, N, 2H)
        RZ += Ah[:, :, :2 * H]
        np.tanh(RZ, out=RZ)
        RZ *= 0.5
        RZ += 0.5                                          # r, z
        HN = Ah[:, :, 2 * H:]                              # (T, N, H) view
        HN += b_hn
        Nn = X[:, :, :H]                                   # (T, N, H)
        Nn += HN * X[:, :, H:2 * H]
        np.tanh(Nn, out=Nn)                                # n

    # Factors Q (T, N, 5H) = [Q_n | Q_r | Q_z | Q_hn | z], so that dh_t * Q[t] =
    # [da_n | da_r | da_z | dL/d(h W_hn + b_hn) | dh_t z]: E[:, :, :3H] is the gradient at the
    # input projection ([n | r | z]), E[:, :, H:4H] the one at h_{t-1} @ W_h + b_h ([r | z | n]).
    Nn, R, Z = X[:, :, :H], X[:, :, H:2 * H], X[:, :, 2 * H:]
    Q = np.empty((T, N, 5 * H), dtype=dtype)               # (T, N, 5H)
    Qn, Qr, Qz, Qhn = (Q[:, :, k * H:(k + 1) * H] for k in range(4))
    np.multiply(Nn, Nn, out=Qn)
    np.subtract(1.0, Qn, out=Qn)
    np.subtract(1.0, Z, out=Qz)                            # scratch: 1 - z
    Qn *= Qz                                               # Q_n = (1 - z)(1 - n^2)
    np.multiply(Qn, R, out=Qhn)                            # Q_hn = Q_n r
    np.subtract(1.0, R, out=Qr)
    Qr *= Qhn
    Qr *= HN                                               # Q_r = Q_n HN r (1 - r)
    np.subtract(Hb[:-1], Nn, out=Qz)
    Qz *= Z
    np.subtract(1.0, Z, out=Q[:, :, 4 * H:])               # scratch: 1 - z
    Qz *= Q[:, :, 4 * H:]                                  # Q_z = (h_{t-1} - n) z (1 - z)
    Q[:, :, 4 * H:] = Z                                    # z

    E = np.empty((T, N, 5 * H), dtype=dtype)               # (T, N, 5H)
    Q5, E5 = Q.reshape(T, N, 5, H), E.reshape(T, N, 5, H)  # (T, N, 5, H) views
    dAh = E[:, :, H:4 * H]                                 # (T, N, 3H) at h_{t-1} @ W_h + b_h
    Edirect = E[:, :, 4 * H:]                              # (T, N, H) dh_t * z
    dH = dh.transpose(1, 0, 2)                             # (T, N, H) view
    WhT = np.ascontiguousarray(W_h.T, dtype=dtype)         # (3H, H)
    carry = np.zeros((N, H), dtype=dtype)                  # (N, H) dL/dh_t from step t+1
    dht = np.empty((N, 1, H), dtype=dtype)                 # (N, 1, H) total dL/dh_t
    dht2 = dht.reshape(N, H)                               # (N, H) view
    mm = np.empty((N, H), dtype=dtype)                     # (N, H) scratch
    for t in range(T - 1, -1, -1):
        np.add(dH[t], carry, out=dht2)
        np.multiply(dht, Q5[t], out=E5[t])                 # (N, 5, H)
        np.dot(dAh[t], WhT, out=mm)
        np.add(mm, Edirect[t], out=carry)                  # (N, H) dL/dh_{t-1}
    dAx2 = E[:, :, :3 * H].reshape(T * N, 3 * H)           # (T*N, 3H) view [n | r | z]
    dAh2 = dAh.reshape(T * N, 3 * H)                       # (T*N, 3H) view [r | z | n]
    Wx_i = np.roll(W_x.astype(dtype, copy=False), H, axis=1)  # (D, 3H) [n | r | z]
    dx = (dAx2 @ Wx_i.T).reshape(T, N, D).transpose(1, 0, 2)  # (N, T, D)
    dW_x = np.roll(xs.T @ dAx2, -H, axis=1)                # (D, 3H) [r | z | n]
    db_x = np.roll(dAx2.sum(axis=0), -H)                   # (3H,)
    dW_h = Hb[:-1].reshape(T * N, H).T @ dAh2              # (H, 3H)
    db_h = dAh2.sum(axis=0)                                # (3H,)
    return dx, carry, dW_x, dW_h, db_x, db_h
