"""Sampling from a recurrent language model: one token from logits, or a whole sequence.

    p = softmax(logits / temperature)     temperature 0: argmax (greedy)

One uniform draw per row from the backend's generator, turned into an index through the
cumulative distribution, so a seed reproduces the draw (NumPy's and torch's random streams
differ, so their draws do too). The model of :func:`sample_sequence` is
``{"W_embed": (V, E), "layer": params of one layer of ``kind`` with D = E, "W_hy": (H, V),
"b_y": (V,)}``: embed the previous token, take one recurrent step, score the vocabulary,
draw the next token.
"""

from __future__ import annotations

import math

from .._shapes import Dims
from . import kinds
from .args import integer, is_real
from .backend import explicit

__all__ = ["sample_logits", "sample_sequence", "step_scores"]

MODEL_KEYS = ("W_embed", "layer", "W_hy", "b_y")


def _temperature(value) -> float:
    if not is_real(value) or not math.isfinite(value) or value < 0:
        raise ValueError(f"temperature: expected a finite number >= 0, got {value!r}")
    return float(value)


def step_scores(B, spec, W_embed, layer, W_out, b_out, tokens, h, c):
    """One decoding step: embed ``tokens (B,)``, one recurrent step from ``h, c (B, H)``, score.

    Returns (scores (B, V), h (B, H), c (B, H) for "lstm", else None).
    """
    x = B.embedding_forward(tokens[:, None], W_embed)                       # (B, 1, E)
    hs, cs = kinds.forward(B, spec, x, layer, h, c)                         # (B, 1, H) each
    scores = B.temporal_affine_forward(hs, W_out, b_out)[:, 0]              # (B, V)
    return scores, hs[:, 0], None if cs is None else cs[:, 0]


@explicit
def sample_logits(B, logits, rng, temperature=1.0):
    """Draw one index per row from ``softmax(logits / temperature)``.

    Args:
        logits: (N, V) floats; ``-inf`` marks an impossible index (NaN and +inf are refused,
            and every row needs one finite entry).
        rng: ${Generator}${placed_logits} (one uniform draw per row, so a seed reproduces the draw).
        temperature: finite number >= 0; 0 picks the argmax (the first one on ties),
            large values flatten the distribution towards uniform.

    Returns:
        idx: (N,) int64 ${array} in [0, V)${placed_logits}.
    """
    logits = B.floats("logits", logits)
    Dims().check("logits", logits.shape, ("N", "V"))
    temperature = _temperature(temperature)
    rng = B.generator(rng, device=B.device(logits))
    at = B.first_true(B.isnan(logits) | B.isposinf(logits))
    if at is not None:
        raise ValueError(f"logits: expected finite values or -inf, got {float(logits[at])} at index {at}")
    if logits.shape[1] == 0 or bool(B.isneginf(logits).all(1).any()):
        raise ValueError("logits: expected every row to have at least one finite entry")
    if temperature == 0:
        return B.argmax(logits)                                             # first max on ties
    p = B.softmax(logits, temperature)                                      # (N, V) float64
    cdf = p.cumsum(1)                                                       # (N, V)
    u = B.rand(rng, logits.shape[0], B.device(logits)) * cdf[:, -1]         # (N,) in [0, total)
    idx = (cdf <= u[:, None]).sum(1)                                        # (N,) first cdf > u
    return B.clip(idx, None, logits.shape[1] - 1)


@explicit
def sample_sequence(B, kind, model, start, steps, rng, temperature=1.0, h0=None, c0=None):
    """Sample ``steps`` tokens from a one-layer recurrent language model.

    Args:
        kind: "rnn", "lstm" or "gru".
        model: {"W_embed": (V, E), "layer": params of ``kind`` with D = E,
            "W_hy": (H, V), "b_y": (V,)}, ${arrays}.
        start: (N,) integer ${array} in [0, V), the token fed first.
        steps: int >= 0, how many tokens to draw.
        rng: ${Generator}${placed_model}.
        temperature: as :func:`sample_logits`.
        h0, c0: (N, H) initial states (c0 "lstm" only), or None for zeros.

    Returns:
        idx: (N, steps) int64 ${array}, the drawn tokens (``start`` not included).
    """
    spec = kinds.get(kind)
    if not isinstance(model, dict) or any(k not in model for k in MODEL_KEYS):
        have = sorted(model) if isinstance(model, dict) else type(model).__name__
        raise ValueError(f"model: expected a dict with keys {list(MODEL_KEYS)}, got {have}")
    dims = Dims()
    W_embed = B.floats("model['W_embed']", model["W_embed"], finite=True)
    dims.check("model['W_embed']", W_embed.shape, ("V", "E"))
    dims.sizes["H"] = kinds.check_params(B, spec, model["layer"], "model['layer']", Dims(D=dims["E"]))["H"]
    W_hy = B.floats("model['W_hy']", model["W_hy"], finite=True)
    b_y = B.floats("model['b_y']", model["b_y"], finite=True)
    dims.check("model['W_hy']", W_hy.shape, ("H", "V"))
    dims.check("model['b_y']", b_y.shape, ("V",))
    start = B.integers("start", start, low=0, high=dims["V"])
    dims.check("start", start.shape, ("N",))
    steps = integer("steps", steps, low=0)
    _temperature(temperature)
    h, c = kinds.check_states(B, spec, dims, ("N", "H"), "h0", h0, "c0", c0)
    device, _ = B.common(**{"model['W_embed']": W_embed, "model['layer']": next(iter(model["layer"].values())),
                            "model['W_hy']": W_hy, "model['b_y']": b_y}, start=start, h0=h, c0=c)
    B.generator(rng, device=device)

    out = B.empty((start.shape[0], steps), B.int64, device)                 # (N, steps)
    tok = start
    for t in range(steps):                                                  # tok: (N,)
        scores, h, c = step_scores(B, spec, W_embed, model["layer"], W_hy, b_y, tok, h, c)  # (N, V)
        tok = sample_logits(B, scores, rng, temperature)
        out[:, t] = tok
    return out
