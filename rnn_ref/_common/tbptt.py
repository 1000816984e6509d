"""Truncated backpropagation through time for one recurrent layer ("rnn", "lstm", "gru").

The forward runs over the whole sequence in chunks of ``k`` steps, carrying the state
from one chunk to the next; each chunk is backpropagated on its own (explicitly), with the
carried state a constant (``h.detach()`` in a torch training loop): no gradient crosses a
chunk boundary.
"""

from __future__ import annotations

from .._shapes import Dims, require_steps
from . import kinds
from .args import integer
from .backend import explicit

__all__ = ["tbptt_forward_backward"]


@explicit
def tbptt_forward_backward(B, kind, x, dh, params, k, h0=None, c0=None):
    """Forward over ``x`` and truncated backward in chunks of ``k`` steps.

    Args:
        kind: "rnn", "lstm" or "gru".
        x: (N, T, D) inputs.
        dh: (N, T, H) upstream gradient on every hidden state.
        params: the layer's parameter dict of ${arrays} (RNN {W_xh, W_hh, b_h},
            LSTM {W_x, W_h, b}, GRU {W_x, W_h, b_x, b_h}).
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
    spec = kinds.get(kind)
    x = B.floats("x", x)
    dims = Dims()
    dims.check("x", x.shape, ("N", "T", "D"))
    require_steps("x", x.shape)
    kinds.check_params(B, spec, params, "params", dims)
    dh = B.floats("dh", dh)
    dims.check("dh", dh.shape, ("N", "T", "H"))
    k = integer("k", k, low=1, what="a positive integer chunk length")
    h_prev, c_prev = kinds.check_states(B, spec, dims, ("N", "H"), "h0", h0, "c0", c0)
    B.common(x=x, dh=dh, h0=h_prev, c0=c_prev, params=params[spec.names[0]])

    T = dims["T"]
    hs, dxs, grads = [], [], None
    for s in range(0, T, k):                                    # chunk [s, s+k)
        xc, dhc = x[:, s:s + k], dh[:, s:s + k]                 # (N, K, D), (N, K, H) with K <= k
        h, c = kinds.forward(B, spec, xc, params, h_prev, c_prev)  # (N, K, H) each
        dxc, _, _, dparams = kinds.backward(B, spec, dhc, None, xc, params, h_prev, c_prev, h, c)
        grads = dparams if grads is None else {n: grads[n] + dparams[n] for n in spec.names}
        hs.append(h)
        dxs.append(dxc)
        h_prev = h[:, -1]                                       # (N, H), a constant to the next chunk
        c_prev = None if c is None else c[:, -1]                # (N, H)
    grads["x"] = B.concat(dxs, 1)                               # (N, T, D)
    return B.concat(hs, 1), grads, h_prev, c_prev               # h: (N, T, H)
