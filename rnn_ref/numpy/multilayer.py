"""Stacked and bidirectional recurrent layers of one kind ("rnn", "lstm", "gru"), as torch.nn.

``layers`` lists one parameter dict per layer and direction, in the converter's order
``[l0, l0_reverse, l1, l1_reverse, ...]``. Layer ``l > 0`` reads the previous layer's
output ``(N, T, dirs*H)``. The reverse direction reads the sequence from ``T - 1`` to ``0``;
its outputs are stored at their own time index and the layer's output is
``concat([forward, reverse], axis=2)``. Initial and final states use torch's layout
``(L*dirs, N, H)`` (entry ``l*dirs + d``), so results compare directly with
``torch.nn.RNN/LSTM/GRU(num_layers=L, bidirectional=..., batch_first=True)``.
"""

from __future__ import annotations

import numpy as np

from . import _kinds
from ._validate import Dims, floats

__all__ = ["stacked_forward", "stacked_backward"]


def _check(kind, x, layers, h0, c0, bidirectional):
    """Validate the arguments shared by forward and backward; return them as arrays."""
    spec = _kinds.get(kind)
    if not isinstance(bidirectional, (bool, np.bool_)):
        raise ValueError(f"bidirectional: expected True or False, got {bidirectional!r}")
    dirs = 2 if bidirectional else 1
    x = floats("x", x)
    dims = Dims()
    dims.check("x", x.shape, ("N", "T", "D"))
    if not isinstance(layers, (list, tuple)) or len(layers) == 0 or len(layers) % dirs:
        got = f"{len(layers)} entries" if isinstance(layers, (list, tuple)) else type(layers).__name__
        raise ValueError(f"layers: expected a non-empty list of L*{dirs} parameter dicts "
                         f"(bidirectional={bool(bidirectional)}), got {got}")
    H = None
    for i, params in enumerate(layers):        # layer i = l*dirs + d
        known = {"D": dims["D"] if i < dirs else dirs * H}
        if H is not None:
            known["H"] = H
        H = _kinds.check_params(spec, params, f"layers[{i}]", Dims(**known))["H"]
    dims.sizes["H"] = H
    LD = len(layers)
    h0 = floats("h0", h0, optional=True)
    if h0 is not None:
        dims.check("h0", h0.shape, (LD, "N", "H"))
    _kinds.refuse_cell(spec, "c0", c0)
    c0 = floats("c0", c0, optional=True)
    if c0 is not None:
        dims.check("c0", c0.shape, (LD, "N", "H"))
    return spec, dirs, x, h0, c0, dims


def _run(spec, dirs, x, layers, h0, c0):
    """Forward through every layer and direction, keeping what backward needs.

    Returns (y (N, T, dirs*H), runs: per layer and direction (seq, h, c) in processing
    order: the layer's input seq (N, T, D_l) and its states h, c (N, T, H)).
    """
    runs = []
    inp = x                                                     # (N, T, D)
    for l in range(len(layers) // dirs):
        outs = []
        for d in range(dirs):
            i = l * dirs + d
            seq = inp if d == 0 else inp[:, ::-1]               # (N, T, D_l) processing order
            h, c = _kinds.forward(spec, seq, layers[i],
                                  None if h0 is None else h0[i], None if c0 is None else c0[i])
            runs.append((seq, h, c))                            # h, c: (N, T, H)
            outs.append(h if d == 0 else h[:, ::-1])            # (N, T, H) at its own time index
        inp = outs[0] if dirs == 1 else np.concatenate(outs, axis=2)  # (N, T, dirs*H)
    return inp, runs


def stacked_forward(kind, x, layers, h0=None, c0=None, bidirectional=False):
    """Run ``L`` stacked layers (each one or two directions) of ``kind`` over ``x``.

    Args:
        kind: "rnn", "lstm" or "gru".
        x: (N, T, D) inputs.
        layers: list of L*dirs parameter dicts, order [l0, l0_reverse, l1, ...];
            layer 0 has input size D, the others dirs*H.
        h0: (L*dirs, N, H) initial hidden states, or None for zeros.
        c0: (L*dirs, N, H) initial cell states ("lstm" only), or None for zeros.
        bidirectional: whether every layer also runs in reverse.

    Returns:
        (y (N, T, dirs*H) the last layer's output,
         h_n (L*dirs, N, H) final hidden states (the reverse direction's is at time 0),
         c_n (L*dirs, N, H) final cell states for "lstm", else None).
    """
    spec, dirs, x, h0, c0, _ = _check(kind, x, layers, h0, c0, bidirectional)
    y, runs = _run(spec, dirs, x, layers, h0, c0)
    h_n = np.stack([h[:, -1] for _, h, _ in runs])              # (L*dirs, N, H)
    c_n = np.stack([c[:, -1] for _, _, c in runs]) if spec.has_cell else None  # (L*dirs, N, H)
    return y, h_n, c_n


def stacked_backward(kind, dy, dh_n, dc_n, x, layers, h0=None, c0=None, bidirectional=False):
    """Backward of :func:`stacked_forward` (cache-free: it recomputes the forward).

    Args:
        dy: (N, T, dirs*H) upstream gradient on the last layer's output.
        dh_n: (L*dirs, N, H) upstream gradient on the final hidden states, or None (zeros).
        dc_n: (L*dirs, N, H) upstream gradient on the final cell states ("lstm" only), or None.
        x, layers, h0, c0, bidirectional: as for :func:`stacked_forward`.

    Returns:
        (dx (N, T, D), dh0 (L*dirs, N, H), dc0 (L*dirs, N, H) for "lstm" else None,
         dlayers: list of dicts with the same keys and shapes as ``layers``).
    """
    spec, dirs, x, h0, c0, dims = _check(kind, x, layers, h0, c0, bidirectional)
    LD, H = len(layers), dims["H"]
    dy = floats("dy", dy)
    dims.check("dy", dy.shape, ("N", "T", "H" if dirs == 1 else "2H"))
    dh_n = floats("dh_n", dh_n, optional=True)
    if dh_n is not None:
        dims.check("dh_n", dh_n.shape, (LD, "N", "H"))
    _kinds.refuse_cell(spec, "dc_n", dc_n)
    dc_n = floats("dc_n", dc_n, optional=True)
    if dc_n is not None:
        dims.check("dc_n", dc_n.shape, (LD, "N", "H"))

    _, runs = _run(spec, dirs, x, layers, h0, c0)
    dh0, dc0, dlayers = [None] * LD, [None] * LD, [None] * LD
    d_out = dy                                                  # (N, T, dirs*H)
    for l in range(LD // dirs - 1, -1, -1):
        d_in = None                                             # (N, T, D_l)
        for d in range(dirs):
            i = l * dirs + d
            seq, h, c = runs[i]
            g = d_out[:, :, d * H:(d + 1) * H]                  # (N, T, H) at own time index
            g = np.array(g if d == 0 else g[:, ::-1])           # (N, T, H) processing order, a copy
            if dh_n is not None:
                g[:, -1] += dh_n[i]                             # the final state is the last processed
            dseq, dh0[i], dc0[i], dlayers[i] = _kinds.backward(
                spec, g, None if dc_n is None else dc_n[i], seq, layers[i],
                None if h0 is None else h0[i], None if c0 is None else c0[i], h, c)
            dseq = dseq if d == 0 else dseq[:, ::-1]            # (N, T, D_l) back to time order
            d_in = dseq if d_in is None else d_in + dseq
        d_out = d_in
    dc0 = np.stack(dc0) if spec.has_cell else None              # (L*dirs, N, H)
    return d_out, np.stack(dh0), dc0, dlayers
