"""Truncated backpropagation through time for one recurrent layer ("rnn", "lstm", "gru").

The forward runs over the whole sequence in chunks of ``k`` steps, carrying the state
from one chunk to the next; each chunk is backpropagated on its own, with the carried
state a constant (``h.detach()`` in torch): no gradient crosses a chunk boundary.
"""

from __future__ import annotations

import numbers

import numpy as np

from . import _kinds
from ._validate import Dims, floats

__all__ = ["tbptt_forward_backward"]


def tbptt_forward_backward(kind, x, dh, params, k, h0=None, c0=None):
    """Forward over ``x`` and truncated backward in chunks of ``k`` steps.

    Args:
        kind: "rnn", "lstm" or "gru".
        x: (N, T, D) inputs.
        dh: (N, T, H) upstream gradient on every hidden state.
        params: the layer's parameter dict (RNN {W_xh, W_hh, b_h}, LSTM {W_x, W_h, b},
            GRU {W_x, W_h, b_x, b_h}).
        k: positive int, the chunk length; ``k >= T`` is full BPTT.
        h0: (N, H) initial hidden state, or None for zeros.
        c0: (N, H) initial cell state ("lstm" only), or None for zeros.

    Returns:
        (h (N, T, H) every hidden state,
         grads: dict with the keys of ``params`` (same shapes), summed over chunks, and
             "x": (N, T, D),
         h_last (N, H) the final hidden state,
         c_last (N, H) the final cell state for "lstm", else None).
    """
    spec = _kinds.get(kind)
    x = floats("x", x)
    dims = Dims()
    dims.check("x", x.shape, ("N", "T", "D"))
    _kinds.check_params(spec, params, "params", dims)
    dh = floats("dh", dh)
    dims.check("dh", dh.shape, ("N", "T", "H"))
    if isinstance(k, (bool, np.bool_)) or not isinstance(k, numbers.Integral) or k < 1:
        raise ValueError(f"k: expected a positive integer chunk length, got {k!r}")
    if dims["T"] == 0:
        raise ValueError("x: expected at least one time step, got shape "
                         f"{tuple(x.shape)}")
    h_prev = floats("h0", h0, optional=True)
    if h_prev is not None:
        dims.check("h0", h_prev.shape, ("N", "H"))
    _kinds.refuse_cell(spec, "c0", c0)
    c_prev = floats("c0", c0, optional=True)
    if c_prev is not None:
        dims.check("c0", c_prev.shape, ("N", "H"))

    T = dims["T"]
    hs, dxs, grads = [], [], None
    for s in range(0, T, k):                                    # chunk [s, s+k)
        xc, dhc = x[:, s:s + k], dh[:, s:s + k]                 # (N, K, D), (N, K, H) with K <= k
        h, c = _kinds.forward(spec, xc, params, h_prev, c_prev)  # (N, K, H) each
        dxc, _, _, dparams = _kinds.backward(spec, dhc, None, xc, params, h_prev, c_prev, h, c)
        grads = dparams if grads is None else {n: grads[n] + dparams[n] for n in spec.names}
        hs.append(h)
        dxs.append(dxc)
        h_prev = h[:, -1]                                       # (N, H), a constant to the next chunk
        c_prev = None if c is None else c[:, -1]                # (N, H)
    grads["x"] = np.concatenate(dxs, axis=1)                    # (N, T, D)
    return np.concatenate(hs, axis=1), grads, h_prev, c_prev    # h: (N, T, H)
