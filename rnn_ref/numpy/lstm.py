"""Long short-term memory (LSTM), forward and backward, in NumPy.

    a_t = x_t @ W_x + h_{t-1} @ W_h + b            # (N, 4H), fused columns [i | f | g | o]
    i, f, o = sigmoid(a_i), sigmoid(a_f), sigmoid(a_o)
    g = tanh(a_g)
    c_t = f * c_{t-1} + i * g
    h_t = o * tanh(c_t)

Shapes (batch-first): x (N, T, D), h0 and c0 (N, H), W_x (D, 4H), W_h (H, 4H), b (4H,),
all hidden and cell states h, c (N, T, H). The gates are fused in torch's order i, f, g, o,
so ``W_x = weight_ih_l0.T``, ``W_h = weight_hh_l0.T`` and ``b = bias_ih_l0 + bias_hh_l0``
(see :mod:`rnn_ref.torch.convert`). ``h0=None`` / ``c0=None`` mean zero initial states.

The functions are cache-free: :func:`lstm_backward` takes the forward's inputs and outputs
as plain arrays and recomputes the gates from them (two GEMMs for all time steps). For
speed, :func:`lstm_forward` can also fill a ``cache`` dict that :func:`lstm_backward`
accepts instead of recomputing; the result is the same (up to the rounding of a GEMM).

Speed (the sequence functions; the step functions are written for reading):
  * the input projection of every time step is one GEMM before the loop (a column of ones
    in the inputs carries the bias), and the weight gradients are one GEMM each after it;
    the loops hold one small matmul per step, on preallocated time-major buffers;
  * internally the gate columns are rotated once per call to [o | i | f | g], so that the
    three sigmoid gates are one contiguous slice, and the sigmoid columns of the weights are
    negated (exact), so that one exp serves the three: sigmoid(a) = 1 / (1 + exp(-a));
    g goes through np.tanh itself (the shortcut tanh(a) = 2 sigmoid(2a) - 1 cancels for
    small a: inputs near 1e-7 lost 3 digits against torch.nn; a forward + backward with
    np.tanh took 0.96x to 1.09x the shortcut's time, median 0.98x);
  * every derivative factor of the backward that does not depend on the recurrence is
    computed a block of steps at a time (by the forward when it fills a cache, while the
    activations are still in cache); a backward step is then six in-place ufuncs and
    one small matmul.
"""

from __future__ import annotations

import numpy as np

from ._fused import block_steps, inputs_with_ones, sigmoid
from ._validate import Dims, floats, require_steps, result_dtype

__all__ = ["lstm_step_forward", "lstm_step_backward", "lstm_forward", "lstm_backward"]


def _check_weights(dims, W_x, W_h, b):
    """Validate the parameters. H is bound from the recurrent matrix W_h (H, 4H) before W_x
    is checked, so that a transposed W_x is reported against the right H; when W_h itself
    does not have that form (transposed, say), H is bound from b (4H,) first, so that the
    error names W_h with the expected numbers."""
    W_x, W_h, b = (floats(n, v, finite=True) for n, v in (("W_x", W_x), ("W_h", W_h), ("b", b)))
    checks = [("W_h", W_h.shape, ("H", "4H")), ("b", b.shape, ("4H",))]
    if not (W_h.ndim == 2 and W_h.shape[1] == 4 * W_h.shape[0]):
        checks.reverse()
    for name, shape, contract in checks + [("W_x", W_x.shape, ("D", "4H"))]:
        dims.check(name, shape, contract)
    return W_x, W_h, b


# --------------------------------------------------------------------------- one step

def lstm_step_forward(x_t, h_prev, c_prev, W_x, W_h, b):
    """One time step of the LSTM.

    Args:
        x_t: (N, D) inputs at this step.
        h_prev: (N, H) previous hidden state.
        c_prev: (N, H) previous cell state.
        W_x: (D, 4H) input-to-gates weights, columns [i | f | g | o].
        W_h: (H, 4H) hidden-to-gates weights, columns [i | f | g | o].
        b: (4H,) gate bias (torch's bias_ih + bias_hh).

    Returns:
        (h_next (N, H), c_next (N, H)).
    """
    x_t, h_prev, c_prev = floats("x_t", x_t), floats("h_prev", h_prev), floats("c_prev", c_prev)
    dims = Dims()
    dims.check("x_t", x_t.shape, ("N", "D"))
    W_x, W_h, b = _check_weights(dims, W_x, W_h, b)
    dims.check("h_prev", h_prev.shape, ("N", "H"))
    dims.check("c_prev", c_prev.shape, ("N", "H"))
    H = dims["H"]
    a = x_t @ W_x + h_prev @ W_h + b                       # (N, 4H)
    i, f, o = sigmoid(a[:, :H]), sigmoid(a[:, H:2 * H]), sigmoid(a[:, 3 * H:])  # (N, H) each
    g = np.tanh(a[:, 2 * H:3 * H])                         # (N, H)
    c_next = f * c_prev + i * g                            # (N, H)
    h_next = o * np.tanh(c_next)                           # (N, H)
    return h_next, c_next


def lstm_step_backward(dh_next, dc_next, x_t, h_prev, c_prev, W_x, W_h, b):
    """Backward of :func:`lstm_step_forward` (recomputes the gates from the inputs).

    Args:
        dh_next: (N, H) gradient of the loss with respect to h_next.
        dc_next: (N, H) gradient with respect to c_next, or None for zeros.
        x_t: (N, D), h_prev: (N, H), c_prev: (N, H) the step's inputs.
        W_x: (D, 4H), W_h: (H, 4H), b: (4H,) the parameters.

    Returns:
        (dx_t (N, D), dh_prev (N, H), dc_prev (N, H), dW_x (D, 4H), dW_h (H, 4H), db (4H,)).
    """
    dh_next = floats("dh_next", dh_next)
    dc_next = floats("dc_next", dc_next, optional=True)
    x_t, h_prev, c_prev = floats("x_t", x_t), floats("h_prev", h_prev), floats("c_prev", c_prev)
    dims = Dims()
    dims.check("x_t", x_t.shape, ("N", "D"))
    W_x, W_h, b = _check_weights(dims, W_x, W_h, b)
    dims.check("h_prev", h_prev.shape, ("N", "H"))
    dims.check("c_prev", c_prev.shape, ("N", "H"))
    dims.check("dh_next", dh_next.shape, ("N", "H"))
    if dc_next is not None:
        dims.check("dc_next", dc_next.shape, ("N", "H"))
    H = dims["H"]
    a = x_t @ W_x + h_prev @ W_h + b                       # (N, 4H)
    i, f, o = sigmoid(a[:, :H]), sigmoid(a[:, H:2 * H]), sigmoid(a[:, 3 * H:])  # (N, H) each
    g = np.tanh(a[:, 2 * H:3 * H])                         # (N, H)
    c_next = f * c_prev + i * g                            # (N, H)
    tc = np.tanh(c_next)                                   # (N, H)
    dc = dh_next * o * (1.0 - tc * tc)                     # (N, H) through h_next = o * tanh(c_next)
    if dc_next is not None:
        dc = dc + dc_next
    da = np.concatenate([
        dc * g * i * (1.0 - i),                            # (N, H) d a_i
        dc * c_prev * f * (1.0 - f),                       # (N, H) d a_f
        dc * i * (1.0 - g * g),                            # (N, H) d a_g
        dh_next * tc * o * (1.0 - o),                      # (N, H) d a_o
    ], axis=1)                                             # (N, 4H)
    return da @ W_x.T, da @ W_h.T, dc * f, x_t.T @ da, h_prev.T @ da, da.sum(axis=0)


# --------------------------------------------------------------------------- whole sequence

def _check_sequence_args(x, h0, c0, W_x, W_h, b):
    x = floats("x", x)
    h0, c0 = floats("h0", h0, optional=True), floats("c0", c0, optional=True)
    dims = Dims()
    dims.check("x", x.shape, ("N", "T", "D"))
    require_steps("x", x.shape)
    W_x, W_h, b = _check_weights(dims, W_x, W_h, b)
    if h0 is not None:
        dims.check("h0", h0.shape, ("N", "H"))
    if c0 is not None:
        dims.check("c0", c0.shape, ("N", "H"))
    return x, h0, c0, W_x, W_h, b, dims


def _internal(W, H, dtype, scale=True):
    """Public gate columns [i | f | g | o] -> internal [o | i | f | g] (a rotation by H), a new
    array; with ``scale`` the sigmoid columns are negated (exact), so that exp of a
    pre-activation computed with them is exp(-a)."""
    W = np.roll(W.astype(dtype, copy=False), H, axis=-1)   # (..., 4H) new array
    if scale:
        W[..., :3 * H] *= -1.0
    return W


def _activate_(a, H, one):
    """In place, on pre-activations a (..., 4H) = [-a_o | -a_i | -a_f | a_g] (the sigmoid
    columns negated): the gate activations [o | i | f | g]."""
    s, g = a[..., :3 * H], a[..., 3 * H:]
    np.exp(s, out=s)
    np.add(s, one, out=s)                                  # 1 + exp(-a)
    np.divide(one, s, out=s)                               # sigmoid(a)
    np.tanh(g, out=g)                                      # tanh(a_g), exact near 0


def _backward_factors(A, TC, C_prev, P, one):
    """The derivative factors of the backward that do not depend on the recurrence, for a
    block of steps: A (k, N, 4H) the activations [o | i | f | g], TC (k, N, H) tanh(c_t),
    C_prev (k, N, H) c_{t-1}; fills P (k, N, 6H) = [K | P_o | P_i | P_f | P_g | f] with
    K = o (1 - tanh(c)^2), P_o = tanh(c) o (1 - o), P_i = g i (1 - i),
    P_f = c_{t-1} f (1 - f), P_g = i (1 - g^2)."""
    H = TC.shape[-1]
    S, O, I, F, G = A[..., :3 * H], A[..., :H], A[..., H:2 * H], A[..., 2 * H:3 * H], A[..., 3 * H:]
    K, dS, Pg = P[..., :H], P[..., H:4 * H], P[..., 4 * H:5 * H]
    np.subtract(one, S, out=dS)
    np.multiply(dS, S, out=dS)                             # s (1 - s) for o, i, f
    dS[..., :H] *= TC                                      # P_o
    dS[..., H:2 * H] *= G                                  # P_i
    dS[..., 2 * H:] *= C_prev                              # P_f
    np.multiply(TC, TC, out=K)
    np.subtract(one, K, out=K)
    K *= O                                                 # K
    np.multiply(G, G, out=Pg)
    np.subtract(one, Pg, out=Pg)
    Pg *= I                                                # P_g
    P[..., 5 * H:] = F                                     # f


def lstm_forward(x, h0, c0, W_x, W_h, b, *, cache=None):
    """Run the LSTM over a whole sequence.

    Args:
        x: (N, T, D) inputs, batch-first.
        h0: (N, H) initial hidden state, or None for zeros.
        c0: (N, H) initial cell state, or None for zeros.
        W_x: (D, 4H), W_h: (H, 4H), b: (4H,) parameters, gate columns [i | f | g | o].
        cache: optional dict; when given, it is cleared and filled with what the backward
            needs (the derivative factors of every step), and may be passed to
            :func:`lstm_backward` with the returned ``h`` and ``c`` (and unmodified
            inputs) to skip the recomputation.

    Returns:
        (h, c): both (N, T, H), the hidden and cell state after every step;
        ``h[:, -1]`` and ``c[:, -1]`` are the final states.
    """
    x, h0, c0, W_x, W_h, b, dims = _check_sequence_args(x, h0, c0, W_x, W_h, b)
    if cache is not None and not isinstance(cache, dict):
        raise ValueError(f"cache: expected a dict or None, got {type(cache).__name__}")
    N, T, H = dims["N"], dims["T"], dims["H"]
    dtype = result_dtype(x, h0, c0, W_x, W_h, b)
    one = np.ones((), dtype=dtype)                         # 0-d: no conversion per call
    xs1 = inputs_with_ones(x, dtype)                      # (T*N, D+1)
    Wxb = _internal(np.concatenate([W_x, b[None]]), H, dtype)  # (D+1, 4H) [W_x; b], [o|i|f|g] scaled
    Wh_s = _internal(W_h, H, dtype)                        # (H, 4H)
    # A: the input projections (+ b) of every step, turned into the gate activations in place.
    A = np.matmul(xs1, Wxb).reshape(T, N, 4 * H)           # (T, N, 4H)
    Hb = np.empty((T + 1, N, H), dtype=dtype)              # (T+1, N, H) Hb[t] = h_{t-1}, Hb[0] = h0
    Cb = np.empty((T + 1, N, H), dtype=dtype)              # (T+1, N, H) Cb[t] = c_{t-1}, Cb[0] = c0
    Hb[0] = 0.0 if h0 is None else h0
    Cb[0] = 0.0 if c0 is None else c0
    O, I, F, G = (A[:, :, k * H:(k + 1) * H] for k in range(4))  # (T, N, H) each
    mm = np.empty((N, 4 * H), dtype=dtype)                 # (N, 4H) scratch: h_{t-1} @ W_h
    ig = np.empty((N, H), dtype=dtype)                     # (N, H) scratch: i * g
    k = block_steps(N, H, T)
    TC = np.empty((k, N, H), dtype=dtype)                  # (k, N, H) tanh(c_t) of the current block
    P = None if cache is None else np.empty((T, N, 6 * H), dtype=dtype)  # (T, N, 6H) factors
    with np.errstate(over="ignore"):                       # exp(-a) = inf gives sigmoid 0, rightly
        for t in range(T):
            a, g, c, tc = A[t], G[t], Cb[t + 1], TC[t % k]  # (N, 4H), (N, H) x 3
            np.dot(Hb[t], Wh_s, out=mm)                    # (N, 4H)
            np.add(a, mm, out=a)
            _activate_(a, H, one)                          # o, i, f, g
            np.multiply(F[t], Cb[t], out=c)
            np.multiply(I[t], g, out=ig)
            np.add(c, ig, out=c)                           # c_t = f * c_{t-1} + i * g
            np.tanh(c, out=tc)
            np.multiply(O[t], tc, out=Hb[t + 1])           # h_t = o * tanh(c_t)
            if P is not None and ((t + 1) % k == 0 or t == T - 1):  # block [t0, t] done
                t0 = t - t % k
                _backward_factors(A[t0:t + 1], TC[:t + 1 - t0], Cb[t0:t + 1], P[t0:t + 1], one)
    h = Hb[1:].transpose(1, 0, 2)                          # (N, T, H) view
    c = Cb[1:].transpose(1, 0, 2)                          # (N, T, H) view
    if cache is not None:
        cache.clear()
        cache.update(kind="lstm", h=h, c=c, xs1=xs1, P=P, Hb=Hb)
    return h, c


def lstm_backward(dh, dc_last, x, h0, c0, h, c, W_x, W_h, b, *, cache=None):
    """Backpropagation through time for :func:`lstm_forward`.

    Args:
        dh: (N, T, H) gradient of the loss with respect to every hidden state (the
            upstream gradient only, not yet including the recurrence).
        dc_last: (N, H) gradient with respect to the final cell state ``c[:, -1]``, or None.
        x: (N, T, D), h0: (N, H) or None, c0: (N, H) or None the forward's inputs.
        h: (N, T, H), c: (N, T, H) the forward's outputs.
        W_x: (D, 4H), W_h: (H, 4H), b: (4H,) the parameters.
        cache: optional dict filled by :func:`lstm_forward` for these ``h`` and ``c``;
            without it the gates are recomputed from the inputs (same result).

    Returns:
        (dx (N, T, D), dh0 (N, H), dc0 (N, H), dW_x (D, 4H), dW_h (H, 4H), db (4H,)).
        dh0 and dc0 are returned even for zero initial states.
    """
    x, h0, c0, W_x, W_h, b, dims = _check_sequence_args(x, h0, c0, W_x, W_h, b)
    dh, h, c = floats("dh", dh), floats("h", h), floats("c", c)
    dc_last = floats("dc_last", dc_last, optional=True)
    dims.check("h", h.shape, ("N", "T", "H"))
    dims.check("c", c.shape, ("N", "T", "H"))
    dims.check("dh", dh.shape, ("N", "T", "H"))
    if dc_last is not None:
        dims.check("dc_last", dc_last.shape, ("N", "H"))
    N, T, D, H = dims["N"], dims["T"], dims["D"], dims["H"]
    dtype = result_dtype(dh, dc_last, x, h0, c0, h, c, W_x, W_h, b)
    one = np.ones((), dtype=dtype)

    if cache is not None:
        if not (isinstance(cache, dict) and cache.get("kind") == "lstm"
                and cache.get("h") is h and cache.get("c") is c and cache["P"].dtype == dtype):
            raise ValueError("cache: expected the dict that lstm_forward filled when it returned "
                             "these h and c, in the dtype of this call (or None to recompute)")
        xs1, P, Hb = cache["xs1"], cache["P"], cache["Hb"]  # P (T, N, 6H): all steps' factors
        k = max(T, 1)
    else:
        xs1 = inputs_with_ones(x, dtype)                  # (T*N, D+1)
        Hb = np.empty((T + 1, N, H), dtype=dtype)          # (T+1, N, H) Hb[t] = h_{t-1}
        Cb = np.empty((T + 1, N, H), dtype=dtype)          # (T+1, N, H) Cb[t] = c_{t-1}
        Hb[0] = 0.0 if h0 is None else h0
        Cb[0] = 0.0 if c0 is None else c0
        Hb[1:] = h.transpose(1, 0, 2)
        Cb[1:] = c.transpose(1, 0, 2)
        # Recompute the gates of every step at once: two GEMMs and the activations.
        Wxb = _internal(np.concatenate([W_x, b[None]]), H, dtype)  # (D+1, 4H)
        A = np.matmul(xs1, Wxb).reshape(T, N, 4 * H)       # (T, N, 4H)
        A += np.matmul(Hb[:-1].reshape(T * N, H), _internal(W_h, H, dtype)).reshape(T, N, 4 * H)
        with np.errstate(over="ignore"):
            _activate_(A, H, one)                          # o, i, f, g
        k = block_steps(N, H, T)
        P = np.empty((k, N, 6 * H), dtype=dtype)           # (k, N, 6H) factors of one block
        TC = np.empty((k, N, H), dtype=dtype)              # (k, N, H) tanh(c_t) of one block

    # P[j] = [K | P_o | P_i | P_f | P_g | f] of step t = t0 + j; dA (T, N, 4H) in [o|i|f|g].
    P6 = P.reshape(P.shape[0], N, 6, H)                    # (k, N, 6, H) view
    K, P_o, P_ifg, F = P[:, :, :H], P[:, :, H:2 * H], P6[:, :, 2:5], P[:, :, 5 * H:]
    dA = np.empty((T, N, 4 * H), dtype=dtype)              # (T, N, 4H) dL/da, every step
    dA_o, dA_ifg = dA[:, :, :H], dA.reshape(T, N, 4, H)[:, :, 1:]  # (T, N, H), (T, N, 3, H)
    dH = dh.transpose(1, 0, 2)                             # (T, N, H) view, read only
    WhT = np.ascontiguousarray(_internal(W_h, H, dtype, scale=False).T)  # (4H, H)
    carry = np.zeros((N, H), dtype=dtype)                  # (N, H) dL/dh_t from step t+1
    dcc = np.zeros((N, H), dtype=dtype)                    # (N, H) dL/dc_t from step t+1
    if dc_last is not None:
        dcc[...] = dc_last
    dht = np.empty((N, H), dtype=dtype)                    # (N, H) total dL/dh_t
    dct = np.empty((N, 1, H), dtype=dtype)                 # (N, 1, H) total dL/dc_t
    dct2 = dct.reshape(N, H)                               # (N, H) view
    kdh = np.empty((N, H), dtype=dtype)                    # (N, H) scratch
    for t1 in range(T, 0, -k):                             # blocks of steps [t0, t1)
        t0 = max(0, t1 - k)
        if cache is None:
            np.tanh(Cb[t0 + 1:t1 + 1], out=TC[:t1 - t0])
            _backward_factors(A[t0:t1], TC[:t1 - t0], Cb[t0:t1], P[:t1 - t0], one)
        for t in range(t1 - 1, t0 - 1, -1):
            j = t - t0                                     # the step's row of P
            np.add(dH[t], carry, out=dht)
            np.multiply(dht, P_o[j], out=dA_o[t])          # da_o
            np.multiply(dht, K[j], out=kdh)
            np.add(kdh, dcc, out=dct2)                     # dc_t
            np.multiply(dct, P_ifg[j], out=dA_ifg[t])      # da_i, da_f, da_g
            np.multiply(dct2, F[j], out=dcc)               # dL/dc_{t-1}
            np.dot(dA[t], WhT, out=carry)                  # dL/dh_{t-1}
    dA2 = dA.reshape(T * N, 4 * H)                         # (T*N, 4H)
    dWb = xs1.T @ dA2                                      # (D+1, 4H) [dW_x; db]
    dW_h = Hb[:-1].reshape(T * N, H).T @ dA2               # (H, 4H)
    dx = (dA2 @ _internal(W_x, H, dtype, scale=False).T).reshape(T, N, D).transpose(1, 0, 2)  # (N, T, D)
    to_public = lambda g: np.roll(g, -H, axis=-1)          # noqa: E731  [o|i|f|g] -> [i|f|g|o]
    return dx, carry, dcc, to_public(dWb[:D]), to_public(dW_h), to_public(dWb[D])
