"""Chapter 2, the tanh recurrence: rnn_step_forward, rnn_forward, output_layer.

Each exercise draws small random inputs (weights scaled so that tanh stays in its
curved range, where most mistakes show), compares with ``rnn_ref.numpy`` and matches a
wrong answer against a catalogue of typical mistakes.
"""

from __future__ import annotations

import numpy as np

from rnn_ref import numpy as ref

from ._math import sigmoid, softmax
from ..exercise import Exercise, Mistake
from ..registry import register
from . import _textbook


# -- rnn_step_forward ------------------------------------------------------------------

def _draw_step(rng, s):
    N, D, H = s["N"], s["D"], s["H"]
    return dict(
        x_t=rng.standard_normal((N, D)),
        h_prev=rng.uniform(-1, 1, (N, H)),
        W_xh=rng.standard_normal((D, H)) / np.sqrt(D),
        W_hh=rng.standard_normal((H, H)) / np.sqrt(H),
        b_h=rng.standard_normal(H) * 0.5,
    )


def _step_variant(pre=lambda x_t, h_prev, W_xh, W_hh, b_h: x_t @ W_xh + h_prev @ W_hh + b_h,
                  act=np.tanh):
    return lambda x_t, h_prev, W_xh, W_hh, b_h: (act(pre(x_t, h_prev, W_xh, W_hh, b_h)),)


STEP = Exercise(
    name="ch02.rnn_step_forward",
    function="rnn_step_forward",
    args=("x_t", "h_prev", "W_xh", "W_hh", "b_h"),
    outputs={"h_next": ("N", "H")},
    draw=_draw_step,
    reference=lambda **kw: (ref.rnn_step_forward(**kw),),
    cases=({"N": 4, "D": 3, "H": 5}, {"N": 1, "D": 6, "H": 2}, {"N": 7, "D": 5, "H": 5}),
    mistakes=(
        Mistake("bias dropped", "Did you forget b_h?",
                _step_variant(pre=lambda x_t, h_prev, W_xh, W_hh, b_h: x_t @ W_xh + h_prev @ W_hh)),
        Mistake("previous state ignored", "h_prev must enter through h_prev @ W_hh.",
                _step_variant(pre=lambda x_t, h_prev, W_xh, W_hh, b_h: x_t @ W_xh + b_h)),
        Mistake("input ignored", "x_t must enter through x_t @ W_xh.",
                _step_variant(pre=lambda x_t, h_prev, W_xh, W_hh, b_h: h_prev @ W_hh + b_h)),
        Mistake("W_hh transposed", "Use h_prev @ W_hh (W_hh maps row vectors: (N, H) @ (H, H)), not W_hh.T.",
                _step_variant(pre=lambda x_t, h_prev, W_xh, W_hh, b_h: x_t @ W_xh + h_prev @ W_hh.T + b_h)),
        Mistake("sigmoid instead of tanh", "The recurrence squashes with np.tanh, not a sigmoid.",
                _step_variant(act=sigmoid)),
        Mistake("ReLU instead of tanh", "The recurrence squashes with np.tanh, not a ReLU.",
                _step_variant(act=lambda a: np.maximum(a, 0))),
        Mistake("no nonlinearity", "Apply np.tanh to the pre-activation.",
                _step_variant(act=lambda a: a)),
        Mistake("bias added after tanh", "b_h belongs inside the tanh: tanh(x W_xh + h W_hh + b_h).",
                lambda x_t, h_prev, W_xh, W_hh, b_h: (np.tanh(x_t @ W_xh + h_prev @ W_hh) + b_h,)),
    ),
    formula=_textbook.f_rnn_step_forward,
)


# -- rnn_forward ---------------------------------------------------------------------------

def _draw_seq(rng, s):
    N, T, D, H = s["N"], s["T"], s["D"], s["H"]
    return dict(
        x=rng.standard_normal((N, T, D)),
        h0=rng.uniform(-1, 1, (N, H)),
        W_xh=rng.standard_normal((D, H)) / np.sqrt(D),
        W_hh=rng.standard_normal((H, H)) / np.sqrt(H),
        b_h=rng.standard_normal(H) * 0.5,
    )


def _loop(x, h0, W_xh, W_hh, b_h, step, carry=True, shift=False):
    """A sequence loop with a pluggable step; ``carry=False`` restarts every step from h0,
    ``shift=True`` stores the state entering each step instead of the one leaving it."""
    N, T, _ = x.shape
    h = np.zeros((N, T, W_hh.shape[0]))           # (N, T, H)
    prev = h0
    for t in range(T):                            # h[:, t]: (N, H)
        new = step(x[:, t], prev if carry else h0, W_xh, W_hh, b_h)
        h[:, t] = prev if shift else new
        prev = new
    return (h,)



SEQUENCE = Exercise(
    name="ch02.rnn_forward",
    function="rnn_forward",
    args=("x", "h0", "W_xh", "W_hh", "b_h"),
    outputs={"h": ("N", "T", "H")},
    draw=_draw_seq,
    reference=lambda **kw: (ref.rnn_forward(**kw),),
    cases=({"N": 3, "T": 6, "D": 4, "H": 5}, {"N": 1, "T": 1, "D": 2, "H": 3},
           {"N": 2, "T": 9, "D": 3, "H": 3}),
    mistakes=(
        Mistake("initial state h0 ignored", "Start the loop from h0, not from zeros.",
                lambda x, h0, W_xh, W_hh, b_h: _loop(x, np.zeros_like(h0), W_xh, W_hh, b_h, ref.rnn_step_forward)),
        Mistake("state not carried between steps", "Feed each step the state the previous step produced.",
                lambda x, h0, W_xh, W_hh, b_h: _loop(x, h0, W_xh, W_hh, b_h, ref.rnn_step_forward, carry=False)),
        Mistake("off by one in time", "h[:, t] is the state after reading x[:, t], not the one before it.",
                lambda x, h0, W_xh, W_hh, b_h: _loop(x, h0, W_xh, W_hh, b_h, ref.rnn_step_forward, shift=True)),
        Mistake("bias dropped", "Did you forget b_h?",
                lambda x, h0, W_xh, W_hh, b_h: _loop(x, h0, W_xh, W_hh, np.zeros_like(b_h), ref.rnn_step_forward)),
        Mistake("W_hh transposed", "Use h_prev @ W_hh, not h_prev @ W_hh.T.",
                lambda x, h0, W_xh, W_hh, b_h: _loop(x, h0, W_xh, W_hh.T, b_h, ref.rnn_step_forward)),
        Mistake("sigmoid instead of tanh", "The recurrence squashes with np.tanh.",
                lambda x, h0, W_xh, W_hh, b_h: _loop(
                    x, h0, W_xh, W_hh, b_h, lambda a, b, c, d, e: sigmoid(a @ c + b @ d + e))),
        Mistake("time reversed", "Read the sequence from t = 0 to T - 1.",
                lambda x, h0, W_xh, W_hh, b_h: (_loop(x[:, ::-1], h0, W_xh, W_hh, b_h, ref.rnn_step_forward)[0][:, ::-1],)),
    ),
    depends_on=("rnn_step_forward",),
    formula=_textbook.f_rnn_forward,
)


# -- output_layer ----------------------------------------------------------------------------

def _draw_out(rng, s):
    N, T, H, V = s["N"], s["T"], s["H"], s["V"]
    return dict(
        h=rng.uniform(-1, 1, (N, T, H)),
        W_hy=rng.standard_normal((H, V)) / np.sqrt(H),
        b_y=rng.standard_normal(V),
    )


OUTPUT = Exercise(
    name="ch02.output_layer",
    function="output_layer",
    args=("h", "W_hy", "b_y"),
    outputs={"y": ("N", "T", "V")},
    draw=_draw_out,
    reference=lambda h, W_hy, b_y: (ref.temporal_affine_forward(h, W_hy, b_y),),
    # the square case first, so that a transposed W_hy gives wrong values (named) before
    # it gives a shape error
    cases=({"N": 2, "T": 5, "H": 4, "V": 4}, {"N": 3, "T": 4, "H": 5, "V": 2},
           {"N": 1, "T": 1, "H": 3, "V": 4}),
    mistakes=(
        Mistake("bias dropped", "Did you forget b_y?", lambda h, W_hy, b_y: (h @ W_hy,)),
        Mistake("softmax applied", "The output layer returns scores (logits); the softmax belongs to the loss.",
                lambda h, W_hy, b_y: (softmax(h @ W_hy + b_y),)),
        Mistake("tanh applied", "y_t = h_t W_hy + b_y is affine: no tanh on the output.",
                lambda h, W_hy, b_y: (np.tanh(h @ W_hy + b_y),)),
        Mistake("sigmoid applied", "y_t = h_t W_hy + b_y is affine: no sigmoid on the output.",
                lambda h, W_hy, b_y: (sigmoid(h @ W_hy + b_y),)),
        Mistake("W_hy transposed", "Use h @ W_hy with W_hy of shape (H, V).",
                lambda h, W_hy, b_y: (h @ W_hy.T + b_y,) if W_hy.shape[0] == W_hy.shape[1] else None),
    ),
    formula=_textbook.output_layer,
)

register(STEP, SEQUENCE, OUTPUT)
