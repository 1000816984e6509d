"""The three recurrent kinds behind one table, for the Torch backend.

The table itself (:class:`Kind`: gate count, parameter names, shape contracts) is
backend-agnostic and shared with :mod:`rnn_ref.numpy._kinds`; this module adds the torch
parameter check and the dispatch to :mod:`rnn_ref.torch`'s sequence functions, with the
same signatures as NumPy's:

    forward(kind, x, params, h0=None, c0=None) -> (h, c)
        # x (N, T, D); h0, c0 (N, H) or None; h, c (N, T, H); c is None unless "lstm"
    backward(kind, dh, dc_last, x, params, h0, c0, h, c) -> (dx, dh0, dc0, dparams)
"""

from __future__ import annotations

from collections.abc import Mapping

from ..numpy._kinds import KINDS, Kind, get
from .gru import gru_backward, gru_forward
from .lstm import lstm_backward, lstm_forward
from .rnn import rnn_backward, rnn_forward
from ._validate import Dims, common, floats

__all__ = ["Kind", "KINDS", "get", "check_params", "refuse_cell", "forward", "backward"]


def check_params(spec: Kind, params, name: str, dims: Dims | None = None) -> Dims:
    """Check a layer's parameter dict of tensors against ``spec``; return the Dims (D, H bound).

    Errors name the entry, e.g. ``layers[2]['W_x']: expected shape (D, 4H) = (6, 12), got (3, 12)``.
    """
    if not isinstance(params, Mapping):
        raise ValueError(f"{name}: expected a dict with keys {spec.names} for kind {spec.name!r}, "
                         f"got {type(params).__name__}")
    missing = [n for n in spec.names if n not in params]
    if missing:
        raise ValueError(f"{name}: a {spec.name} layer needs keys {spec.names}, missing {missing}")
    dims = Dims() if dims is None else dims
    tensors = {}
    for key, contract in spec.contracts:
        label = f"{name}[{key!r}]"
        tensors[label] = floats(label, params[key], finite=True)
        dims.check(label, tensors[label].shape, contract)
    common(**tensors)
    return dims


def refuse_cell(spec: Kind, name: str, value) -> None:
    """A cell-state argument is only meaningful for "lstm"; refuse it for the others."""
    if value is not None and not spec.has_cell:
        raise ValueError(f"{name}: expected None for kind {spec.name!r} (only 'lstm' has a cell state), "
                         f"got a {type(value).__name__}")


def forward(spec: Kind, x, params, h0=None, c0=None):
    """Run one layer of kind ``spec`` over ``x (N, T, D)``; ``(h, c)`` (N, T, H), c None unless "lstm"."""
    p = params
    if spec.name == "rnn":
        return rnn_forward(x, h0, p["W_xh"], p["W_hh"], p["b_h"]), None
    if spec.name == "lstm":
        return lstm_forward(x, h0, c0, p["W_x"], p["W_h"], p["b"])
    return gru_forward(x, h0, p["W_x"], p["W_h"], p["b_x"], p["b_h"]), None


def backward(spec: Kind, dh, dc_last, x, params, h0, c0, h, c):
    """Backward of :func:`forward`: ``(dx (N, T, D), dh0 (N, H), dc0 (N, H) or None, dparams)``."""
    p = params
    if spec.name == "rnn":
        dx, dh0, *grads = rnn_backward(dh, x, h0, h, p["W_xh"], p["W_hh"])
        dc0 = None
    elif spec.name == "lstm":
        dx, dh0, dc0, *grads = lstm_backward(dh, dc_last, x, h0, c0, h, c, p["W_x"], p["W_h"], p["b"])
    else:
        dx, dh0, *grads = gru_backward(dh, x, h0, h, p["W_x"], p["W_h"], p["b_x"], p["b_h"])
        dc0 = None
    return dx, dh0, dc0, dict(zip(spec.names, grads))
