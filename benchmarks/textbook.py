"""BENCHMARK BASELINE ONLY -- not part of the reference API, not for teaching from.

A "textbook" RNN / LSTM / GRU in NumPy, written the way typical course notebooks write
them: one weight matrix per gate, the input and recurrent matmuls of every gate done per
time step, a list of per-step caches kept by the forward, per-step weight-gradient
accumulation in the backward. It computes the same function as :mod:`rnn_ref.numpy`
(tests/test_bench.py checks that) and exists only so that ``python -m benchmarks.cpu``
can show how much the fused, time-major implementation gains over it.

Parameters come in the reference layout (fused columns, torch's gate order) and are split
into per-gate matrices by :func:`split`; that split is setup, not timed. Every function
here is (N, T, D) batch-first like the reference.
"""

from __future__ import annotations

import numpy as np

__all__ = ["split", "textbook_forward_backward"]

GATES = {"rnn": ("h",), "lstm": ("i", "f", "g", "o"), "gru": ("r", "z", "n")}


def sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def split(kind, params):
    """Reference parameter dict -> per-gate dict {"Wx_i": (D, H), "Wh_i": (H, H), "b_i": (H,), ...}."""
    if kind == "rnn":
        return {"Wx_h": params["W_xh"], "Wh_h": params["W_hh"], "b_h": params["b_h"]}
    W_x, W_h = params["W_x"], params["W_h"]
    H = W_h.shape[0]
    out = {}
    for k, gate in enumerate(GATES[kind]):
        cols = slice(k * H, (k + 1) * H)
        out[f"Wx_{gate}"] = W_x[:, cols].copy()
        out[f"Wh_{gate}"] = W_h[:, cols].copy()
        if kind == "lstm":
            out[f"b_{gate}"] = params["b"][cols].copy()
        else:
            out[f"bx_{gate}"] = params["b_x"][cols].copy()
            out[f"bh_{gate}"] = params["b_h"][cols].copy()
    return out


# ----------------------------------------------------------------------------- vanilla RNN

def rnn_step_forward(x, prev_h, p):
    next_h = np.tanh(x @ p["Wx_h"] + prev_h @ p["Wh_h"] + p["b_h"])
    return next_h, (x, prev_h, next_h)


def rnn_step_backward(dnext_h, cache, p, grads):
    x, prev_h, next_h = cache
    da = dnext_h * (1 - next_h ** 2)
    grads["Wx_h"] += x.T @ da
    grads["Wh_h"] += prev_h.T @ da
    grads["b_h"] += da.sum(axis=0)
    return da @ p["Wx_h"].T, da @ p["Wh_h"].T


# ----------------------------------------------------------------------------- LSTM

def lstm_step_forward(x, prev_h, prev_c, p):
    i = sigmoid(x @ p["Wx_i"] + prev_h @ p["Wh_i"] + p["b_i"])
    f = sigmoid(x @ p["Wx_f"] + prev_h @ p["Wh_f"] + p["b_f"])
    g = np.tanh(x @ p["Wx_g"] + prev_h @ p["Wh_g"] + p["b_g"])
    o = sigmoid(x @ p["Wx_o"] + prev_h @ p["Wh_o"] + p["b_o"])
    next_c = f * prev_c + i * g
    next_h = o * np.tanh(next_c)
    return next_h, next_c, (x, prev_h, prev_c, i, f, g, o, next_c)


def lstm_step_backward(dnext_h, dnext_c, cache, p, grads):
    x, prev_h, prev_c, i, f, g, o, next_c = cache
    tc = np.tanh(next_c)
    do = dnext_h * tc
    dc = dnext_c + dnext_h * o * (1 - tc ** 2)
    di, df, dg = dc * g, dc * prev_c, dc * i
    dprev_c = dc * f
    das = {"i": di * i * (1 - i), "f": df * f * (1 - f), "g": dg * (1 - g ** 2), "o": do * o * (1 - o)}
    dx = np.zeros_like(x)
    dprev_h = np.zeros_like(prev_h)
    for gate, da in das.items():
        grads[f"Wx_{gate}"] += x.T @ da
        grads[f"Wh_{gate}"] += prev_h.T @ da
        grads[f"b_{gate}"] += da.sum(axis=0)
        dx += da @ p[f"Wx_{gate}"].T
        dprev_h += da @ p[f"Wh_{gate}"].T
    return dx, dprev_h, dprev_c


# ----------------------------------------------------------------------------- GRU

def gru_step_forward(x, prev_h, p):
    r = sigmoid(x @ p["Wx_r"] + p["bx_r"] + prev_h @ p["Wh_r"] + p["bh_r"])
    z = sigmoid(x @ p["Wx_z"] + p["bx_z"] + prev_h @ p["Wh_z"] + p["bh_z"])
    hn = prev_h @ p["Wh_n"] + p["bh_n"]
    n = np.tanh(x @ p["Wx_n"] + p["bx_n"] + r * hn)
    next_h = (1 - z) * n + z * prev_h
    return next_h, (x, prev_h, r, z, n, hn)


def gru_step_backward(dnext_h, cache, p, grads):
    x, prev_h, r, z, n, hn = cache
    dn = dnext_h * (1 - z)
    dz = dnext_h * (prev_h - n)
    dprev_h = dnext_h * z
    da_n = dn * (1 - n ** 2)
    dr = da_n * hn
    da_r = dr * r * (1 - r)
    da_z = dz * z * (1 - z)
    dhn = da_n * r
    dx = np.zeros_like(x)
    for gate, dax, dah in (("r", da_r, da_r), ("z", da_z, da_z), ("n", da_n, dhn)):
        grads[f"Wx_{gate}"] += x.T @ dax
        grads[f"bx_{gate}"] += dax.sum(axis=0)
        grads[f"Wh_{gate}"] += prev_h.T @ dah
        grads[f"bh_{gate}"] += dah.sum(axis=0)
        dx += dax @ p[f"Wx_{gate}"].T
        dprev_h = dprev_h + dah @ p[f"Wh_{gate}"].T
    return dx, dprev_h


# ----------------------------------------------------------------------------- sequences

def textbook_forward_backward(kind, x, h0, c0, p, dh):
    """Forward over the sequence keeping a list of per-step caches, then backward.

    Args: kind "rnn" | "lstm" | "gru"; x (N, T, D); h0, c0 (N, H) (c0 only for "lstm");
    p the per-gate dict from :func:`split`; dh (N, T, H) upstream gradient on every h.
    Returns: (h (N, T, H), dx (N, T, D), dh0 (N, H), grads dict shaped like p).
    """
    N, T, _ = x.shape
    H = h0.shape[1]
    h = np.zeros((N, T, H), dtype=x.dtype)
    caches = []
    prev_h, prev_c = h0, c0
    for t in range(T):
        if kind == "rnn":
            prev_h, cache = rnn_step_forward(x[:, t, :], prev_h, p)
        elif kind == "lstm":
            prev_h, prev_c, cache = lstm_step_forward(x[:, t, :], prev_h, prev_c, p)
        else:
            prev_h, cache = gru_step_forward(x[:, t, :], prev_h, p)
        h[:, t, :] = prev_h
        caches.append(cache)

    grads = {k: np.zeros_like(v) for k, v in p.items()}
    dx = np.zeros_like(x)
    dprev_h = np.zeros_like(h0)
    dprev_c = np.zeros_like(h0)
    for t in reversed(range(T)):
        dcur = dh[:, t, :] + dprev_h
        if kind == "rnn":
            dx[:, t, :], dprev_h = rnn_step_backward(dcur, caches[t], p, grads)
        elif kind == "lstm":
            dx[:, t, :], dprev_h, dprev_c = lstm_step_backward(dcur, dprev_c, caches[t], p, grads)
        else:
            dx[:, t, :], dprev_h = gru_step_backward(dcur, caches[t], p, grads)
    return h, dx, dprev_h, grads
