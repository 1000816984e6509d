"""The three recurrent kinds behind one table, so that stacked and bidirectional layers,
truncated BPTT, sampling and seq2seq are written once for all of them (and both backends).

Each kind's sequence kernels (the backend's ``rnn_*``, ``lstm_*``, ``gru_*``) are called
through one signature, with the layer's parameters as a dict:

    forward(B, spec, x, params, h0=None, c0=None) -> (h, c)
        # x (N, T, D); h0, c0 (N, H) or None; h, c (N, T, H); c is None unless "lstm"
    backward(B, spec, dh, dc_last, x, params, h0, c0, h, c) -> (dx, dh0, dc0, dparams)
        # dh (N, T, H); dc_last (N, H) or None; dc0 None unless "lstm";
        # dparams: dict with the parameter names of the kind
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .._shapes import Dims

__all__ = ["Kind", "KINDS", "get", "check_params", "refuse_cell", "check_states", "forward", "backward"]


@dataclass(frozen=True)
class Kind:
    """One recurrent kind: its number of fused gates G, its parameter names (converter
    order), their shape contracts (the recurrent matrix first, so that H binds from the
    square part), whether it has a cell state."""

    name: str
    gates: int
    names: tuple
    contracts: tuple  # ((name, contract), ...) in checking order
    has_cell: bool


KINDS = {
    "rnn": Kind("rnn", 1, ("W_xh", "W_hh", "b_h"),
                (("W_hh", ("H", "H")), ("W_xh", ("D", "H")), ("b_h", ("H",))), False),
    "lstm": Kind("lstm", 4, ("W_x", "W_h", "b"),
                 (("W_h", ("H", "4H")), ("W_x", ("D", "4H")), ("b", ("4H",))), True),
    "gru": Kind("gru", 3, ("W_x", "W_h", "b_x", "b_h"),
                (("W_h", ("H", "3H")), ("W_x", ("D", "3H")), ("b_x", ("3H",)), ("b_h", ("3H",))), False),
}


def get(kind) -> Kind:
    """The :class:`Kind` named ``kind``, or a ValueError listing the known names."""
    if not isinstance(kind, str) or kind not in KINDS:
        raise ValueError(f"kind: expected one of {sorted(KINDS)}, got {kind!r}")
    return KINDS[kind]


def check_params(B, spec: Kind, params, name: str, dims: Dims | None = None) -> Dims:
    """Check a layer's parameter dict against ``spec``; return the Dims (D and H bound).

    ``dims`` may carry already known sizes (``D`` of the input, ``H`` of other layers);
    errors name the entry, e.g. ``layers[2]['W_x']: expected shape (D, 4H) = (6, 12), got (3, 12)``.
    """
    if not isinstance(params, Mapping):
        raise ValueError(f"{name}: expected a dict with keys {spec.names} for kind {spec.name!r}, "
                         f"got {type(params).__name__}")
    missing = [n for n in spec.names if n not in params]
    if missing:
        raise ValueError(f"{name}: a {spec.name} layer needs keys {spec.names}, missing {missing}")
    dims = Dims() if dims is None else dims
    arrays = {}
    for key, contract in spec.contracts:
        label = f"{name}[{key!r}]"
        arrays[label] = B.floats(label, params[key], finite=True)
        dims.check(label, arrays[label].shape, contract)
    B.common(**arrays)
    return dims


def refuse_cell(B, spec: Kind, name: str, value) -> None:
    """A cell-state argument is only meaningful for "lstm"; refuse it for the others."""
    if value is not None and not spec.has_cell:
        raise ValueError(f"{name}: expected None for kind {spec.name!r} (only 'lstm' has a cell state), "
                         f"got {B.describe(value)}")


def check_states(B, spec: Kind, dims: Dims, contract, h_name: str, h, c_name: str, c):
    """Check an optional hidden-state argument and an optional cell-state one (refused
    unless "lstm") against ``contract``; return them as the backend's arrays (or None)."""
    h = B.floats(h_name, h, optional=True)
    if h is not None:
        dims.check(h_name, h.shape, contract)
    refuse_cell(B, spec, c_name, c)
    c = B.floats(c_name, c, optional=True)
    if c is not None:
        dims.check(c_name, c.shape, contract)
    return h, c


def forward(B, spec: Kind, x, params, h0=None, c0=None):
    """Run one layer of kind ``spec`` over ``x (N, T, D)``; return ``(h, c)``, both (N, T, H)
    (``c`` None unless "lstm")."""
    p = params
    if spec.name == "rnn":
        return B.rnn_forward(x, h0, p["W_xh"], p["W_hh"], p["b_h"]), None
    if spec.name == "lstm":
        return B.lstm_forward(x, h0, c0, p["W_x"], p["W_h"], p["b"])
    return B.gru_forward(x, h0, p["W_x"], p["W_h"], p["b_x"], p["b_h"]), None


def backward(B, spec: Kind, dh, dc_last, x, params, h0, c0, h, c):
    """Backward of :func:`forward`: ``(dx (N, T, D), dh0 (N, H), dc0 (N, H) or None, dparams)``.

    ``dh (N, T, H)`` is the upstream gradient on every hidden state; ``dc_last (N, H)`` the
    one on the final cell state ("lstm" only, None means zero).
    """
    p = params
    if spec.name == "rnn":
        dx, dh0, *grads = B.rnn_backward(dh, x, h0, h, p["W_xh"], p["W_hh"])
        dc0 = None
    elif spec.name == "lstm":
        dx, dh0, dc0, *grads = B.lstm_backward(dh, dc_last, x, h0, c0, h, c, p["W_x"], p["W_h"], p["b"])
    else:
        dx, dh0, *grads = B.gru_backward(dh, x, h0, h, p["W_x"], p["W_h"], p["b_x"], p["b_h"])
        dc0 = None
    return dx, dh0, dc0, dict(zip(spec.names, grads))
