"""Chapter 7, architecture types: many_to_one, one_to_many, encoder_decoder.

Every exercise is built from the tanh RNN of chapter 2 (``rnn_ref.numpy.rnn_forward``,
batch first, weights on the right) and an affine output layer ``h @ W_hy + b_y``.

Inputs are drawn so that every catalogued mistake gives values different from the
reference and from the other mistakes, so that a wrong answer can be named:

- the sizes ``N, T (or S), D, H, V`` differ within a case where the exercise allows it, so
  that a state read at the wrong place or a wrong product shows as a wrong shape or value;
- weights are scaled by ``1 / sqrt(fan_in)`` (the recurrent ones a little more) and every
  bias has standard deviation 0.5, so the states lie in the curved range of tanh;
- ``h0`` is nonzero (uniform in [-1, 1]), so that ignoring it shows;
- in ``many_to_one`` every batch holds a sequence of length 1, one of full length ``T`` and
  others in between, and the padded steps hold random numbers (not zeros), so that reading
  any state after the last valid one changes the answer;
- the cases where a mistake coincides with the reference (one generated step, a source of
  length 1) come last, after cases that tell every mistake apart.
"""

from __future__ import annotations

from functools import partial

import numpy as np

from rnn_ref import numpy as ref

from ._math import softmax
from ..exercise import NO_LIBRARIES, Exercise, Mistake
from ..registry import register
from . import _textbook



def _rnn_params(rng, D, H):
    W_xh = rng.standard_normal((D, H)) / np.sqrt(D)
    W_hh = rng.standard_normal((H, H)) * 0.8 / np.sqrt(H)
    b_h = rng.standard_normal(H) * 0.5
    return W_xh, W_hh, b_h


def _out_params(rng, H, V):
    return rng.standard_normal((H, V)) / np.sqrt(H), rng.standard_normal(V) * 0.5 + rng.choice([-1.0, 1.0], V) * 0.3


def _states(x, h0, W_xh, W_hh, b_h, *, carry=True):
    """All states (N, T, H) of the tanh RNN; ``carry=False`` restarts every step from h0."""
    if carry:
        return ref.rnn_forward(x, h0, W_xh, W_hh, b_h)
    return np.tanh(x @ W_xh + (h0 @ W_hh)[:, None] + b_h)


def _scores(h, W_hy, b_y):
    return h @ W_hy + b_y


# -- many_to_one ---------------------------------------------------------------------------

def _draw_m2o(rng, s):
    N, T, D, H, V = s["N"], s["T"], s["D"], s["H"], s["V"]
    lengths = rng.integers(2, T, N)                              # strictly inside (1, T)
    lengths[0], lengths[1] = 1, T
    lengths = rng.permutation(lengths)
    W_xh, W_hh, b_h = _rnn_params(rng, D, H)
    W_hy, b_y = _out_params(rng, H, V)
    return dict(x=rng.standard_normal((N, T, D)), lengths=lengths.astype(np.int64),
                h0=rng.uniform(-1, 1, (N, H)), W_xh=W_xh, W_hh=W_hh, b_h=b_h, W_hy=W_hy, b_y=b_y)


def _m2o(x, lengths, h0, W_xh, W_hh, b_h, W_hy, b_y, *, pick="last_valid", zero_h0=False, drop_by=False,
         soft=False):
    N, T, _ = x.shape
    h = _states(x, np.zeros_like(h0) if zero_h0 else h0, W_xh, W_hh, b_h)
    rows = np.arange(N)
    valid = np.arange(T)[None, :] < lengths[:, None]            # (N, T)
    if pick == "last_valid":
        hf = h[rows, lengths - 1]
    elif pick == "last":
        hf = h[:, -1]
    elif pick == "late":
        hf = h[rows, np.minimum(lengths, T - 1)]
    elif pick == "early":
        hf = h[rows, lengths - 2]                                # wraps to the last state for length 1
    elif pick == "first":
        hf = h[:, 0]
    elif pick == "mean":
        hf = h.mean(axis=1)
    elif pick == "mean_valid":
        hf = (h * valid[..., None]).sum(axis=1) / lengths[:, None]
    elif pick == "max":
        hf = h.max(axis=1)
    y = hf @ W_hy + (0.0 if drop_by else b_y)
    return (softmax(y) if soft else y,)


def _m2o_mistake(**knobs):
    return partial(_m2o, **knobs)


MANY_TO_ONE = Exercise(
    name="ch07.many_to_one",
    function="many_to_one",
    args=("x", "lengths", "h0", "W_xh", "W_hh", "b_h", "W_hy", "b_y"),
    outputs={"y": ("N", "V")},
    draw=_draw_m2o,
    reference=lambda **kw: _m2o(**kw),
    cases=({"N": 5, "T": 6, "D": 3, "H": 4, "V": 2}, {"N": 4, "T": 3, "D": 5, "H": 2, "V": 6},
           {"N": 3, "T": 7, "D": 2, "H": 5, "V": 4}),
    mistakes=(
        Mistake("last padded state used",
                "h[:, -1] is the state after the padding too. Sequence n ends at step lengths[n] - 1: "
                "take h[np.arange(N), lengths - 1], one row per sequence.",
                _m2o_mistake(pick="last")),
        Mistake("one step too late (h[n, lengths[n]])",
                "Python counts from 0: the last valid input of sequence n is x[n, lengths[n] - 1], so its "
                "state is h[n, lengths[n] - 1], not h[n, lengths[n]].",
                _m2o_mistake(pick="late")),
        Mistake("one step too early (h[n, lengths[n] - 2])",
                "The state after reading the last valid input x[n, lengths[n] - 1] is h[n, lengths[n] - 1] "
                "(h does not contain h0, so no extra shift is needed).",
                _m2o_mistake(pick="early")),
        Mistake("first state used",
                "h[:, 0] has read only the first input. Classify from the state after the last valid input, "
                "h[n, lengths[n] - 1].",
                _m2o_mistake(pick="first")),
        Mistake("mean over all time steps",
                "Average pooling is a valid design, but not this exercise's: use only the last valid state "
                "h[n, lengths[n] - 1] (and an average over all T steps would include the padding).",
                _m2o_mistake(pick="mean")),
        Mistake("mean over the valid steps",
                "Average pooling over the valid steps is a valid design, but not this exercise's: use only "
                "the last valid state h[n, lengths[n] - 1].",
                _m2o_mistake(pick="mean_valid")),
        Mistake("max over time",
                "Max pooling is a valid design, but not this exercise's: use only the last valid state "
                "h[n, lengths[n] - 1].",
                _m2o_mistake(pick="max")),
        Mistake("output bias b_y dropped",
                "The scores are h_last @ W_hy + b_y: add the output bias.",
                _m2o_mistake(drop_by=True)),
        Mistake("softmax applied to the scores",
                "Return the raw scores h_last @ W_hy + b_y; the softmax belongs to the loss, not to this "
                "function.",
                _m2o_mistake(soft=True)),
        Mistake("h0 ignored",
                "The recurrence starts from the given h0, not from zeros.",
                _m2o_mistake(zero_h0=True)),
    ),
    forbidden=NO_LIBRARIES,
    formula=_textbook.many_to_one,
)


# -- one_to_many ---------------------------------------------------------------------------

def _draw_o2m(rng, s):
    N, V, H = s["N"], s["V"], s["H"]
    W_xh, W_hh, b_h = _rnn_params(rng, V, H)
    W_hy, b_y = _out_params(rng, H, V)
    return dict(x0=rng.standard_normal((N, V)), h0=rng.uniform(-1, 1, (N, H)), W_xh=W_xh, W_hh=W_hh, b_h=b_h,
                W_hy=W_hy, b_y=b_y, steps=np.array(s["steps"], dtype=np.int64))


def _o2m(x0, h0, W_xh, W_hh, b_h, W_hy, b_y, steps, *, feed="y", carry=True, extra=0, drop_first=False,
         drop_by=False, zero_h0=False):
    n = int(steps) + extra
    b = 0.0 if drop_by else b_y
    h = np.zeros_like(h0) if zero_h0 else h0
    start, x, ys = h, x0, []
    for _ in range(n):
        h = np.tanh(x @ W_xh + (h if carry else start) @ W_hh + b_h)
        y = h @ W_hy + b
        ys.append(y)
        x = {"y": y, "x0": x0, "softmax": softmax(y) if feed == "softmax" else None}[feed]
    if drop_first:
        ys = ys[1:]
    return (np.stack(ys, axis=1) if ys else np.zeros((x0.shape[0], 0, W_hy.shape[1])),)


def _o2m_mistake(**knobs):
    return partial(_o2m, **knobs)


ONE_TO_MANY = Exercise(
    name="ch07.one_to_many",
    function="one_to_many",
    args=("x0", "h0", "W_xh", "W_hh", "b_h", "W_hy", "b_y", "steps"),
    outputs={"y": ("N", "steps", "V")},
    draw=_draw_o2m,
    reference=lambda **kw: _o2m(**kw),
    # steps = 1 last: there, feeding x0 again or not carrying the state coincide with the reference
    cases=({"N": 3, "V": 4, "H": 5, "steps": 6}, {"N": 2, "V": 3, "H": 6, "steps": 4},
           {"N": 4, "V": 2, "H": 3, "steps": 1}),
    mistakes=(
        Mistake("x0 fed at every step",
                "Only the first step reads x0. From then on the input of step t + 1 is the output y_t of "
                "step t: that is what makes the network generate.",
                _o2m_mistake(feed="x0")),
        Mistake("state not carried",
                "Each step reads the state the previous step produced; only the first step reads h0.",
                _o2m_mistake(carry=False)),
        Mistake("softmax fed back",
                "In this exercise the raw scores y_t are fed back as the next input, with no softmax.",
                _o2m_mistake(feed="softmax")),
        Mistake("first output dropped",
                "y[:, 0] is the output of the step that reads x0; keep it. Run exactly `steps` steps and "
                "return all their outputs.",
                _o2m_mistake(extra=1, drop_first=True)),
        Mistake("one step too many",
                "Run exactly `steps` steps (int(steps) of them): the output has shape (N, steps, V).",
                _o2m_mistake(extra=1)),
        Mistake("one step too few",
                "Run exactly `steps` steps, the first one reading x0: the output has shape (N, steps, V).",
                _o2m_mistake(extra=-1)),
        Mistake("output bias b_y dropped",
                "The scores are h_t @ W_hy + b_y: add the output bias (and feed back those scores).",
                _o2m_mistake(drop_by=True)),
        Mistake("h0 ignored",
                "The first step starts from the given h0, not from zeros.",
                _o2m_mistake(zero_h0=True)),
    ),
    forbidden=NO_LIBRARIES,
    formula=_textbook.one_to_many,
)


# -- encoder_decoder -----------------------------------------------------------------------

def _draw_ed(rng, s):
    N, S, T, D, H, V = s["N"], s["S"], s["T"], s["D"], s["H"], s["V"]
    W_xh_e, W_hh_e, b_e = _rnn_params(rng, D, H)
    W_xh_d, W_hh_d, b_d = _rnn_params(rng, D, H)
    W_hy, b_y = _out_params(rng, H, V)
    return dict(src=rng.standard_normal((N, S, D)), tgt_in=rng.standard_normal((N, T, D)),
                h0=rng.uniform(-1, 1, (N, H)), W_xh_e=W_xh_e, W_hh_e=W_hh_e, b_e=b_e,
                W_xh_d=W_xh_d, W_hh_d=W_hh_d, b_d=b_d, W_hy=W_hy, b_y=b_y)


def _ed(src, tgt_in, h0, W_xh_e, W_hh_e, b_e, W_xh_d, W_hh_d, b_d, W_hy, b_y, *, start="last", swap=False,
        shared=False, enc_scores=False, swap_inputs=False, drop_by=False, zero_h0=False):
    if swap:
        (W_xh_e, W_hh_e, b_e), (W_xh_d, W_hh_d, b_d) = (W_xh_d, W_hh_d, b_d), (W_xh_e, W_hh_e, b_e)
    if shared:
        W_xh_d, W_hh_d, b_d = W_xh_e, W_hh_e, b_e
    if swap_inputs:
        src, tgt_in = tgt_in, src
    he = _states(src, np.zeros_like(h0) if zero_h0 else h0, W_xh_e, W_hh_e, b_e)
    b = 0.0 if drop_by else b_y
    if enc_scores:
        return (he @ W_hy + b,)
    s0 = {"last": he[:, -1], "first": he[:, 0], "h0": h0, "zeros": np.zeros_like(h0)}[start]
    hd = _states(tgt_in, s0, W_xh_d, W_hh_d, b_d)
    return (hd @ W_hy + b,)


def _ed_mistake(**knobs):
    return partial(_ed, **knobs)


ENCODER_DECODER = Exercise(
    name="ch07.encoder_decoder",
    function="encoder_decoder",
    args=("src", "tgt_in", "h0", "W_xh_e", "W_hh_e", "b_e", "W_xh_d", "W_hh_d", "b_d", "W_hy", "b_y"),
    outputs={"y": ("N", "T", "V")},
    draw=_draw_ed,
    reference=lambda **kw: _ed(**kw),
    # S = 1 last: there, the encoder's first state is its final state
    cases=({"N": 3, "S": 5, "T": 4, "D": 2, "H": 6, "V": 7}, {"N": 2, "S": 3, "T": 6, "D": 4, "H": 5, "V": 1},
           {"N": 4, "S": 1, "T": 2, "D": 3, "H": 2, "V": 5}),
    mistakes=(
        Mistake("decoder started from h0",
                "The decoder starts from the encoder's final state he[:, -1], which summarises the source; "
                "h0 starts the encoder only.",
                _ed_mistake(start="h0")),
        Mistake("decoder started from zeros",
                "The decoder starts from the encoder's final state he[:, -1]: that is the only way the "
                "source reaches the decoder.",
                _ed_mistake(start="zeros")),
        Mistake("decoder started from the encoder's first state",
                "he[:, 0] has read only the first source step. The decoder starts from the final state "
                "he[:, -1].",
                _ed_mistake(start="first")),
        Mistake("encoder and decoder weights swapped",
                "The encoder reads src with W_xh_e, W_hh_e, b_e; the decoder reads tgt_in with W_xh_d, "
                "W_hh_d, b_d.",
                _ed_mistake(swap=True)),
        Mistake("encoder weights used in the decoder",
                "The decoder has its own weights: run it with W_xh_d, W_hh_d and b_d.",
                _ed_mistake(shared=True)),
        Mistake("scores from the encoder states",
                "The scores are read from the decoder's states, one per target step: y has shape "
                "(N, T, V), with T = tgt_in.shape[1].",
                _ed_mistake(enc_scores=True)),
        Mistake("src and tgt_in swapped",
                "The encoder reads the source src (N, S, D); the decoder reads tgt_in (N, T, D) and gives "
                "one score vector per target step.",
                _ed_mistake(swap_inputs=True)),
        Mistake("output bias b_y dropped",
                "The scores are h_dec @ W_hy + b_y: add the output bias.",
                _ed_mistake(drop_by=True)),
        Mistake("h0 ignored",
                "The encoder starts from the given h0, not from zeros.",
                _ed_mistake(zero_h0=True)),
    ),
    forbidden=NO_LIBRARIES,
    formula=_textbook.encoder_decoder,
)

register(MANY_TO_ONE, ONE_TO_MANY, ENCODER_DECODER)
