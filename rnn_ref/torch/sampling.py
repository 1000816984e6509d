"""Sampling from a recurrent language model, in Torch (as :mod:`rnn_ref.numpy.sampling`).

    p = softmax(logits / temperature)     temperature 0: argmax (greedy)

``rng`` is a ``torch.Generator`` on the logits' device; one uniform draw per row, turned
into an index through the cumulative distribution (so a seed reproduces the draw, although
not NumPy's draw: the two libraries' random streams differ). The model of
:func:`sample_sequence` is ``{"W_embed": (V, E), "layer": params of one layer of ``kind``
with D = E, "W_hy": (H, V), "b_y": (V,)}``.
"""

from __future__ import annotations

import math
import numbers

import torch

from . import _kinds
from ._validate import Dims, common, floats, integers
from .layers import embedding_forward, temporal_affine_forward

__all__ = ["sample_logits", "sample_sequence"]


def _temperature(value) -> float:
    if (isinstance(value, bool) or not isinstance(value, numbers.Real)
            or not math.isfinite(value) or value < 0):
        raise ValueError(f"temperature: expected a finite number >= 0, got {value!r}")
    return float(value)


def _generator(rng, device) -> torch.Generator:
    if not isinstance(rng, torch.Generator):
        raise ValueError(f"rng: expected a torch.Generator, got {type(rng).__name__}")
    if rng.device.type != device.type:
        raise ValueError(f"rng: expected a generator on {device} (the logits' device), got one on {rng.device}")
    return rng


def step_scores(spec, W_embed, layer, W_out, b_out, tokens, h, c):
    """One decoding step: embed ``tokens (B,)``, one recurrent step from ``h, c (B, H)``, score.

    Returns (scores (B, V), h (B, H), c (B, H) for "lstm", else None).
    """
    x = embedding_forward(tokens[:, None], W_embed)                          # (B, 1, E)
    hs, cs = _kinds.forward(spec, x, layer, h, c)                            # (B, 1, H) each
    scores = temporal_affine_forward(hs, W_out, b_out)[:, 0]                 # (B, V)
    return scores, hs[:, 0], None if cs is None else cs[:, 0]


@torch.no_grad()
def sample_logits(logits, rng, temperature=1.0):
    """Draw one index per row from ``softmax(logits / temperature)``.

    Args:
        logits: (N, V) float tensor; ``-inf`` marks an impossible index (NaN and +inf are
            refused, and every row needs one finite entry).
        rng: torch.Generator on the logits' device.
        temperature: finite number >= 0; 0 picks the argmax (the first one on ties).

    Returns:
        idx: (N,) int64 tensor in [0, V), on the logits' device.
    """
    logits = floats("logits", logits)
    Dims().check("logits", logits.shape, ("N", "V"))
    temperature = _temperature(temperature)
    rng = _generator(rng, logits.device)
    bad = torch.isnan(logits) | torch.isposinf(logits)
    if bool(bad.any()):
        at = tuple(int(i) for i in bad.nonzero()[0])
        raise ValueError(f"logits: expected finite values or -inf, got {logits[at].item()} at index {at}")
    if logits.shape[1] == 0 or bool(torch.isneginf(logits.max(dim=1).values).any()):
        raise ValueError("logits: expected every row to have at least one finite entry")
    if temperature == 0:
        return logits.argmax(dim=1)                                          # first max on ties
    shifted = logits.double() - logits.max(dim=1, keepdim=True).values.double()  # (N, V), max 0
    p = torch.softmax(shifted / temperature, dim=1)                         # (N, V); inf/temperature -> -inf
    cdf = p.cumsum(dim=1)                                                    # (N, V)
    u = torch.rand(logits.shape[0], generator=rng, dtype=torch.float64, device=logits.device) * cdf[:, -1]
    idx = (cdf <= u[:, None]).sum(dim=1)                                     # (N,) first cdf > u
    return idx.clamp(max=logits.shape[1] - 1)


@torch.no_grad()
def sample_sequence(kind, model, start, steps, rng, temperature=1.0, h0=None, c0=None):
    """Sample ``steps`` tokens from a one-layer recurrent language model.

    Args:
        kind: "rnn", "lstm" or "gru".
        model: {"W_embed": (V, E), "layer": params of ``kind`` with D = E,
            "W_hy": (H, V), "b_y": (V,)}, tensors.
        start: (N,) integer tensor in [0, V), the token fed first.
        steps: int >= 0, how many tokens to draw.
        rng: torch.Generator on the model's device.
        temperature: as :func:`sample_logits`.
        h0, c0: (N, H) initial states (c0 "lstm" only), or None for zeros.

    Returns:
        idx: (N, steps) int64 tensor, the drawn tokens (``start`` not included).
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
    if isinstance(steps, bool) or not isinstance(steps, numbers.Integral) or steps < 0:
        raise ValueError(f"steps: expected an integer >= 0, got {steps!r}")
    _temperature(temperature)
    h = floats("h0", h0, optional=True)
    if h is not None:
        dims.check("h0", h.shape, ("N", "H"))
    _kinds.refuse_cell(spec, "c0", c0)
    c = floats("c0", c0, optional=True)
    if c is not None:
        dims.check("c0", c.shape, ("N", "H"))
    device, _ = common(**{"model['W_embed']": W_embed, "model['layer']": next(iter(model["layer"].values())),
                          "model['W_hy']": W_hy, "model['b_y']": b_y}, start=start, h0=h, c0=c)
    _generator(rng, device)

    out = torch.empty((start.shape[0], int(steps)), dtype=torch.int64, device=device)  # (N, steps)
    tok = start
    for t in range(int(steps)):                                             # tok: (N,)
        scores, h, c = step_scores(spec, W_embed, model["layer"], W_hy, b_y, tok, h, c)  # (N, V)
        tok = sample_logits(scores, rng, temperature)
        out[:, t] = tok
    return out
