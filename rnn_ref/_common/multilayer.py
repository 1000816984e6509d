"""Stacked and bidirectional recurrent layers of one kind ("rnn", "lstm", "gru"), as torch.nn.

``layers`` lists one parameter dict per layer and direction, in the converter's order
``[l0, l0_reverse, l1, l1_reverse, ...]``. Layer ``l > 0`` reads the previous layer's
output ``(N, T, dirs*H)``. The reverse direction reads the sequence from ``T - 1`` to ``0``;
its outputs are stored at their own time index and the layer's output is
``concat([forward, reverse], axis=2)``. Initial and final states use torch's layout
``(L*dirs, N, H)`` (entry ``l*dirs + d``), so results compare directly with
``torch.nn.RNN/LSTM/GRU(num_layers=L, bidirectional=..., batch_first=True)``. The backward
is explicit: each layer and direction through its kind's explicit backward.
"""

from __future__ import annotations

from .._shapes import Dims, require_steps
from . import kinds
from .backend import explicit

__all__ = ["stacked_forward", "stacked_backward"]


def _check(B, kind, x, layers, h0, c0, bidirectional):
    """Validate the arguments shared by forward and backward; return them as arrays."""
    spec = kinds.get(kind)
    if not isinstance(bidirectional, B.bools):
        raise ValueError(f"bidirectional: expected True or False, got {bidirectional!r}")
    dirs = 2 if bidirectional else 1
    x = B.floats("x", x)
    dims = Dims()
    dims.check("x", x.shape, ("N", "T", "D"))
    require_steps("x", x.shape)
    if not isinstance(layers, (list, tuple)) or len(layers) == 0 or len(layers) % dirs:
        got = f"{len(layers)} entries" if isinstance(layers, (list, tuple)) else type(layers).__name__
        raise ValueError(f"layers: expected a non-empty list of L*{dirs} parameter dicts "
                         f"(bidirectional={bool(bidirectional)}), got {got}")
    H = None
    for i, params in enumerate(layers):        # layer i = l*dirs + d
        known = {"D": dims["D"] if i < dirs else dirs * H}
        if H is not None:
            known["H"] = H
        H = kinds.check_params(B, spec, params, f"layers[{i}]", Dims(**known))["H"]
    dims.sizes["H"] = H
    h0, c0 = kinds.check_states(B, spec, dims, (len(layers), "N", "H"), "h0", h0, "c0", c0)
    B.common(x=x, h0=h0, c0=c0, **{f"layers[{i}]": next(iter(p.values())) for i, p in enumerate(layers)})
    return spec, dirs, x, h0, c0, dims


def _run(B, spec, dirs, x, layers, h0, c0):
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
            seq = inp if d == 0 else B.flip_time(inp)           # (N, T, D_l) processing order
            h, c = kinds.forward(B, spec, seq, layers[i],
                                 None if h0 is None else h0[i], None if c0 is None else c0[i])
            runs.append((seq, h, c))                            # h, c: (N, T, H)
            outs.append(h if d == 0 else B.flip_time(h))        # (N, T, H) at its own time index
        inp = outs[0] if dirs == 1 else B.concat(outs, 2)       # (N, T, dirs*H)
    return inp, runs


def stacked_forward(B, kind, x, layers, h0=None, c0=None, bidirectional=False):
    """Run ``L`` stacked layers (each one or two directions) of ``kind`` over ``x``.

    Args:
        kind: "rnn", "lstm" or "gru".
        x: (N, T, D) inputs.
        layers: list of L*dirs parameter dicts of ${arrays}, order [l0, l0_reverse, l1, ...];
            layer 0 has input size D, the others dirs*H.
        h0: (L*dirs, N, H) initial hidden states, or None for zeros.
        c0: (L*dirs, N, H) initial cell states ("lstm" only), or None for zeros.
        bidirectional: whether every layer also runs in reverse.

    Returns:
        (y (N, T, dirs*H) the last layer's output,
         h_n (L*dirs, N, H) final hidden states (the reverse direction's is at time 0),
         c_n (L*dirs, N, H) final cell states for "lstm", else None).
    """
    spec, dirs, x, h0, c0, _ = _check(B, kind, x, layers, h0, c0, bidirectional)
    y, runs = _run(B, spec, dirs, x, layers, h0, c0)
    h_n = B.stack([h[:, -1] for _, h, _ in runs])               # (L*dirs, N, H)
    c_n = B.stack([c[:, -1] for _, _, c in runs]) if spec.has_cell else None  # (L*dirs, N, H)
    return y, h_n, c_n


@explicit
def stacked_backward(B, kind, dy, dh_n, dc_n, x, layers, h0=None, c0=None, bidirectional=False):
    """Backward of :func:`stacked_forward` (explicit and cache-free: it recomputes the forward).

    Args:
        dy: (N, T, dirs*H) upstream gradient on the last layer's output.
        dh_n: (L*dirs, N, H) upstream gradient on the final hidden states, or None (zeros).
        dc_n: (L*dirs, N, H) upstream gradient on the final cell states ("lstm" only), or None.
        x, layers, h0, c0, bidirectional: as for :func:`stacked_forward`.

    Returns:
        (dx (N, T, D), dh0 (L*dirs, N, H), dc0 (L*dirs, N, H) for "lstm" else None,
         dlayers: list of dicts with the same keys and shapes as ``layers``).
    """
    spec, dirs, x, h0, c0, dims = _check(B, kind, x, layers, h0, c0, bidirectional)
    LD, H = len(layers), dims["H"]
    dy = B.floats("dy", dy)
    dims.check("dy", dy.shape, ("N", "T", "H" if dirs == 1 else "2H"))
    dh_n, dc_n = kinds.check_states(B, spec, dims, (LD, "N", "H"), "dh_n", dh_n, "dc_n", dc_n)
    B.common(x=x, dy=dy, dh_n=dh_n, dc_n=dc_n)

    _, runs = _run(B, spec, dirs, x, layers, h0, c0)
    dh0, dc0, dlayers = [None] * LD, [None] * LD, [None] * LD
    d_out = dy                                                  # (N, T, dirs*H)
    for l in range(LD // dirs - 1, -1, -1):
        d_in = None                                             # (N, T, D_l)
        for d in range(dirs):
            i = l * dirs + d
            seq, h, c = runs[i]
            g = d_out[:, :, d * H:(d + 1) * H]                  # (N, T, H) at own time index
            g = B.copy(g if d == 0 else B.flip_time(g))         # (N, T, H) processing order, a copy
            if dh_n is not None:
                g[:, -1] += dh_n[i]                             # the final state is the last processed
            dseq, dh0[i], dc0[i], dlayers[i] = kinds.backward(
                B, spec, g, None if dc_n is None else dc_n[i], seq, layers[i],
                None if h0 is None else h0[i], None if c0 is None else c0[i], h, c)
            dseq = dseq if d == 0 else B.flip_time(dseq)        # (N, T, D_l) back to time order
            d_in = dseq if d_in is None else d_in + dseq
        d_out = d_in
    dc0 = B.stack(dc0) if spec.has_cell else None               # (L*dirs, N, H)
    return d_out, B.stack(dh0), dc0, dlayers
