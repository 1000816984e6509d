"""Chapter 9, Transformers and RNNs: causal_self_attention, rnn_vs_attention_cost.

``causal_self_attention`` is single-head scaled dot-product self-attention with a causal mask,
batch first and weights on the right: ``Q = x W_q``, ``K = x W_k``, ``V = x W_v``,
``A = softmax(mask(Q K^T / sqrt(d_k)))`` over the last axis, ``y = A V``.
``rnn_vs_attention_cost`` counts the multiply-adds of the matrix products and the sequential
steps of a tanh RNN layer and of a single-head self-attention layer.

Inputs are drawn so that every catalogued mistake gives values different from the reference
and from the other mistakes:

- in ``causal_self_attention`` the sizes ``N, T, D, d_k, d_v`` differ within a case and
  ``d_k`` is never 1 (where ``sqrt(d_k) = d_k``); the query and key weights are large enough
  that the attention weights are far from uniform, so a missing scale or a wrong mask shows;
- in ``rnn_vs_attention_cost`` ``T, D, H`` are drawn at random and redrawn until the reference
  and every catalogued variant give pairwise different tables.
"""

from __future__ import annotations

from functools import partial

import numpy as np

from ._math import softmax
from ..exercise import NO_LIBRARIES, Exercise, Mistake
from ..registry import register
from . import _textbook



# -- causal_self_attention -----------------------------------------------------------------

def _draw_att(rng, s):
    N, T, D, dk, dv = s["N"], s["T"], s["D"], s["dk"], s["dv"]
    return dict(x=rng.standard_normal((N, T, D)),
                W_q=rng.standard_normal((D, dk)) * 1.5 / np.sqrt(D),
                W_k=rng.standard_normal((D, dk)) * 1.5 / np.sqrt(D),
                W_v=rng.standard_normal((D, dv)) / np.sqrt(D))


def _att(x, W_q, W_k, W_v, *, scale="sqrt", mask="causal", fill=-np.inf, axis=-1, swap_qk=False,
         v_is_x=False, mask_after=False):
    Q, K, V = x @ W_q, x @ W_k, (x if v_is_x else x @ W_v)
    if swap_qk:
        Q, K = K, Q
    dk = W_q.shape[1]
    s = Q @ np.swapaxes(K, -1, -2)                              # (N, T, T)
    s = s / {"sqrt": np.sqrt(dk), "dk": dk, "none": 1.0}[scale]
    T = x.shape[1]
    i, j = np.arange(T)[:, None], np.arange(T)[None, :]
    allowed = {"causal": j <= i, "strict": j < i, "none": np.ones((T, T), bool), "anti": j >= i}[mask]
    if mask_after:
        return (softmax(s, axis=axis) * allowed @ V,)
    with np.errstate(all="ignore"):
        if fill == -np.inf:
            m = np.where(allowed, s, -np.inf)
            e = np.exp(m - m.max(axis=axis, keepdims=True))
            A = e / e.sum(axis=axis, keepdims=True)
        else:
            A = softmax(np.where(allowed, s, fill), axis=axis)
    return (A @ V,)


def _att_mistake(**knobs):
    return partial(_att, **knobs)


_OFF_BY_ONE = "mask off by one (position t does not see itself)"
_OFF_BY_ONE_HINT = ("Position t may attend to every position s <= t, itself included: keep the diagonal "
                    "(np.tril(np.ones((T, T)), k=0), or j <= i). With j < i the first position sees nothing, "
                    "and its softmax is 0/0 (NaN) or uniform over masked entries.")

CAUSAL_SELF_ATTENTION = Exercise(
    name="ch09.causal_self_attention",
    function="causal_self_attention",
    args=("x", "W_q", "W_k", "W_v"),
    outputs={"y": ("N", "T", "dv")},
    draw=_draw_att,
    reference=lambda **kw: _att(**kw),
    cases=({"N": 3, "T": 5, "D": 4, "dk": 6, "dv": 2}, {"N": 2, "T": 7, "D": 5, "dk": 3, "dv": 4},
           {"N": 4, "T": 3, "D": 6, "dk": 2, "dv": 5}),
    mistakes=(
        Mistake("scores not scaled",
                "Divide the scores by sqrt(d_k) before the softmax: Q K^T / sqrt(d_k), with d_k = W_q.shape[1].",
                _att_mistake(scale="none")),
        Mistake("scores divided by d_k instead of sqrt(d_k)",
                "The scale is the square root of d_k: Q K^T / np.sqrt(d_k).",
                _att_mistake(scale="dk")),
        Mistake("no causal mask",
                "Position t may not look at later positions: set the scores with s > t to -inf before the "
                "softmax (np.tril gives the allowed lower triangle).",
                _att_mistake(mask="none")),
        Mistake("mask reversed (t sees the future, not the past)",
                "Keep the lower triangle (s <= t, np.tril), not the upper one (np.triu).",
                _att_mistake(mask="anti")),
        Mistake(_OFF_BY_ONE, _OFF_BY_ONE_HINT, _att_mistake(mask="strict", fill=-1e9)),
        Mistake("mask applied after the softmax (rows no longer sum to 1)",
                "Mask the scores before the softmax (set them to -inf), so that the allowed weights of each "
                "row are renormalised to sum to 1; zeroing weights after the softmax leaves rows summing to "
                "less than 1.",
                _att_mistake(mask_after=True)),
        Mistake("softmax over the wrong axis",
                "Each query position t distributes its attention over the key positions: softmax over the "
                "last axis of the (N, T, T) scores (axis=-1).",
                _att_mistake(axis=-2)),
        Mistake("queries and keys swapped (K Q^T)",
                "The scores are Q K^T: row t holds query t against every key. K Q^T is its transpose, and "
                "the causal mask then keeps the wrong pairs.",
                _att_mistake(swap_qk=True)),
        Mistake("values are x, not x W_v",
                "The output mixes the values V = x @ W_v, of size d_v: y = A @ V.",
                _att_mistake(v_is_x=True)),
    ),
    overflow=Mistake(_OFF_BY_ONE, _OFF_BY_ONE_HINT, _att_mistake(mask="strict")),
    forbidden=NO_LIBRARIES,
    formula=_textbook.causal_self_attention,
)


# -- rnn_vs_attention_cost -----------------------------------------------------------------

def _cost(T, D, H, *, t2=2, proj=3, rnn_in=True, rnn_rec=True, steps_swapped=False, rows_swapped=False):
    T, D, H = float(T), float(D), float(H)
    rnn = T * ((D * H if rnn_in else 0.0) + (H * H if rnn_rec else 0.0))
    att = proj * T * D * H + t2 * T * T * H
    steps = (1.0, T) if steps_swapped else (T, 1.0)
    table = np.array([[rnn, steps[0]], [att, steps[1]]])
    return (table[::-1].copy() if rows_swapped else table,)


_COST_KNOBS = {
    "attention's T*T products missing": dict(t2=0),
    "scores and weighted sum counted once (T*T*H)": dict(t2=1),
    "projections counted once, not three times": dict(proj=1),
    "RNN recurrent product H*H missing": dict(rnn_rec=False),
    "RNN input product D*H missing": dict(rnn_in=False),
    "sequential steps swapped": dict(steps_swapped=True),
    "rows swapped (attention first)": dict(rows_swapped=True),
}


def _draw_cost(rng, s):
    while True:
        T, D, H = (int(v) for v in (rng.integers(s["Tlo"], s["Thi"]), rng.integers(2, 40), rng.integers(2, 40)))
        if len({T, D, H}) < 3:
            continue
        tables = [_cost(T, D, H)[0]] + [_cost(T, D, H, **k)[0] for k in _COST_KNOBS.values()]
        if all(not np.allclose(a, b, rtol=1e-3) for n, a in enumerate(tables) for b in tables[n + 1:]):
            return dict(T=np.array(T, dtype=np.int64), D=np.array(D, dtype=np.int64), H=np.array(H, dtype=np.int64))


def _cost_mistake(**knobs):
    return partial(_cost, **knobs)


_COST_HINTS = {
    "attention's T*T products missing": "Self-attention also multiplies Q (T, H) by K^T (H, T), T*T*H "
    "multiply-adds, and A (T, T) by V (T, H), another T*T*H: add 2*T*T*H.",
    "scores and weighted sum counted once (T*T*H)": "There are two T*T products: the scores Q K^T and the "
    "weighted sum A V, T*T*H multiply-adds each, 2*T*T*H in all.",
    "projections counted once, not three times": "Q, K and V are three separate projections x W_q, x W_k, "
    "x W_v, each T*D*H multiply-adds: 3*T*D*H.",
    "RNN recurrent product H*H missing": "Each RNN step computes x_t W_xh (D*H) and h_{t-1} W_hh (H*H): "
    "T*(D*H + H*H) in all.",
    "RNN input product D*H missing": "Each RNN step computes x_t W_xh (D*H) as well as h_{t-1} W_hh (H*H): "
    "T*(D*H + H*H) in all.",
    "sequential steps swapped": "The RNN needs T sequential steps (step t waits for h_{t-1}); attention "
    "computes all positions at once, 1 step. Column 1 is [T, 1].",
    "rows swapped (attention first)": "Row 0 is the RNN, row 1 the attention layer: "
    "[[rnn_madds, T], [attention_madds, 1]].",
}

RNN_VS_ATTENTION_COST = Exercise(
    name="ch09.rnn_vs_attention_cost",
    function="rnn_vs_attention_cost",
    args=("T", "D", "H"),
    outputs={"costs": (2, 2)},
    draw=_draw_cost,
    reference=lambda **kw: _cost(**kw),
    cases=({"Tlo": 3, "Thi": 20}, {"Tlo": 20, "Thi": 200}, {"Tlo": 200, "Thi": 3000}),
    mistakes=tuple(Mistake(name, _COST_HINTS[name], _cost_mistake(**knobs)) for name, knobs in _COST_KNOBS.items()),
    forbidden=NO_LIBRARIES,
    formula=_textbook.rnn_vs_attention_cost,
)

register(CAUSAL_SELF_ATTENTION, RNN_VS_ATTENTION_COST)
