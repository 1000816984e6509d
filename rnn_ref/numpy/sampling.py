"""Sampling from a recurrent language model: one token from logits, or a whole sequence.

    p = softmax(logits / temperature)     temperature 0: argmax (greedy)

The model of :func:`sample_sequence` is ``{"W_embed": (V, E), "layer": params of one
layer of ``kind`` with D = E, "W_hy": (H, V), "b_y": (V,)}``: embed the previous token,
take one recurrent step, score the vocabulary, draw the next token.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from . import _kinds
from ._validate import Dims, floats, integers
from .layers import embedding_forward, temporal_affine_forward

__all__ = ["sample_logits", "sample_sequence"]


def log_softmax(logits):
    """Row-wise log-softmax of ``logits (B, V)`` (entries may be -inf), as float64 ``(B, V)``."""
    shifted = logits - logits.max(axis=1, keepdims=True)                    # (B, V), max 0
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))     # (B, V)


def _temperature(value) -> float:
    if (isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real)
            or not math.isfinite(value) or value < 0):
        raise ValueError(f"temperature: expected a finite number >= 0, got {value!r}")
    return float(value)


def step_scores(spec, W_embed, layer, W_out, b_out, tokens, h, c):
    """One decoding step: embed ``tokens (B,)``, one recurrent step from ``h, c (B, H)``, score.

    Returns (scores (B, V), h (B, H), c (B, H) for "lstm", else None).
    """
    x = embedding_forward(tokens[:, None], W_embed)                         # (B, 1, E)
    hs, cs = _kinds.forward(spec, x, layer, h, c)                           # (B, 1, H) each
    scores = temporal_affine_forward(hs, W_out, b_out)[:, 0]                # (B, V)
    return scores, hs[:, 0], None if cs is None else cs[:, 0]


def sample_logits(logits, rng, temperature=1.0):
    """Draw one index per row from ``softmax(logits / temperature)``.

    Args:
        logits: (N, V) floats; ``-inf`` marks an impossible index (NaN and +inf are refused,
            and every row needs one finite entry).
        rng: np.random.Generator (one uniform draw per row, so a seed reproduces the draw).
        temperature: finite number >= 0; 0 picks the argmax (the first one on ties),
            large values flatten the distribution towards uniform.

    Returns:
        idx: (N,) int64 in [0, V).
    """
    logits = floats("logits", logits)
    Dims().check("logits", logits.shape, ("N", "V"))
    temperature = _temperature(temperature)
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng: expected a numpy.random.Generator, got {type(rng).__name__}")
    bad = np.isnan(logits) | np.isposinf(logits)
    if bad.any():
        at = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(f"logits: expected finite values or -inf, got {logits[at]} at index {at}")
    if logits.shape[1] == 0 or np.isneginf(logits.max(axis=1)).any():
        raise ValueError("logits: expected every row to have at least one finite entry")
    if temperature == 0:
        return logits.argmax(axis=1).astype(np.int64)
    shifted = logits - logits.max(axis=1, keepdims=True)                    # (N, V), max 0
    with np.errstate(over="ignore"):                                        # a tiny temperature sends
        scaled = shifted.astype(np.float64) / temperature                   # (N, V) non-max logits to -inf
    p = np.exp(log_softmax(scaled))                                         # (N, V)
    cdf = np.cumsum(p, axis=1)                                              # (N, V)
    u = rng.random(logits.shape[0]) * cdf[:, -1]                            # (N,) in [0, total)
    idx = (cdf <= u[:, None]).sum(axis=1)                                   # (N,) first cdf > u
    return np.minimum(idx, logits.shape[1] - 1).astype(np.int64)


def sample_sequence(kind, model, start, steps, rng, temperature=1.0, h0=None, c0=None):
    """Sample ``steps`` tokens from a one-layer recurrent language model.

    Args:
        kind: "rnn", "lstm" or "gru".
        model: {"W_embed": (V, E), "layer": params of ``kind`` with D = E,
            "W_hy": (H, V), "b_y": (V,)}.
        start: (N,) ints in [0, V), the token fed first.
        steps: int >= 0, how many tokens to draw.
        rng: np.random.Generator.
        temperature: as :func:`sample_logits`.
        h0, c0: (N, H) initial states (c0 "lstm" only), or None for zeros.

    Returns:
        idx: (N, steps) int64, the drawn tokens (``start`` not included).
    """
    spec = _kinds.get(kind)
    if not isinstance(model, dict) or any(k not in model for k in ("W_embed", "layer", "W_hy", "b_y")):
        have = sorted(model) if isinstance(model, dict) else type(model).__name__
        raise ValueError(f"model: expected a dict with keys ['W_embed', 'layer', 'W_hy', 'b_y'], got {have}")
    dims = Dims()
    W_embed = floats("model['W_embed']", model["W_embed"], finite=True)
    dims.check("model['W_embed']", W_embed.shape, ("V", "E"))
    dims.sizes["H"] = _kinds.check_params(spec, model["layer"], "model['layer']", Dims(D=dims["E"]))["H"]
    W_hy, b_y = floats("model['W_hy']", model["W_hy"], finite=True), floats("model['b_y']", model["b_y"], finite=True)
    dims.check("model['W_hy']", W_hy.shape, ("H", "V"))
    dims.check("model['b_y']", b_y.shape, ("V",))
    start = integers("start", start, low=0, high=dims["V"])
    dims.check("start", start.shape, ("N",))
    if isinstance(steps, (bool, np.bool_)) or not isinstance(steps, numbers.Integral) or steps < 0:
        raise ValueError(f"steps: expected an integer >= 0, got {steps!r}")
    _temperature(temperature)
    h = floats("h0", h0, optional=True)
    if h is not None:
        dims.check("h0", h.shape, ("N", "H"))
    _kinds.refuse_cell(spec, "c0", c0)
    c = floats("c0", c0, optional=True)
    if c is not None:
        dims.check("c0", c.shape, ("N", "H"))

    out = np.empty((start.shape[0], int(steps)), dtype=np.int64)            # (N, steps)
    tok = start
    for t in range(int(steps)):                                             # tok: (N,)
        scores, h, c = step_scores(spec, W_embed, model["layer"], W_hy, b_y, tok, h, c)  # (N, V)
        tok = sample_logits(scores, rng, temperature)
        out[:, t] = tok
    return out
