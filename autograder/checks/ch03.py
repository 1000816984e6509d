"""Chapter 3, backpropagation through time: rnn_step_backward, rnn_backward, softmax_cross_entropy.

Each exercise draws small random inputs that are consistent with a forward pass (``h``
really is the tanh recurrence of ``x`` from ``h0``), with weights scaled so that tanh
stays in its curved range, where most mistakes show. Sizes are chosen so that a mistake
gives different values rather than coinciding with the reference: the first case of the
step exercise has ``D == H`` so that a missing transpose of ``W_xh`` gives wrong values
(which can be named) instead of a crash; ``N`` differs from ``H`` so that a gradient
left unsummed over the batch has a visibly wrong shape; masks have zeros, and a number
of counted steps different from ``N``, ``T`` and ``N * T``; the loss has a last case
with scores near 1000, where an unshifted softmax overflows.

Backward passes often go wrong in the shape (a bias gradient left per row) and a loss
without the max-shift gives NaN: :class:`~autograder.exercise.Exercise` names those
too (its ``overflow`` mistake covers the NaN case).
"""

from __future__ import annotations

from functools import partial

import numpy as np

from rnn_ref import numpy as ref

from ..exercise import NO_LIBRARIES, Exercise, Mistake
from ..registry import register
from . import _textbook




# -- rnn_step_backward -------------------------------------------------------------------

def _draw_step(rng, s):
    N, D, H = s["N"], s["D"], s["H"]
    x_t = rng.standard_normal((N, D))
    h_prev = rng.uniform(-1, 1, (N, H))
    W_xh = rng.standard_normal((D, H)) / np.sqrt(D)
    W_hh = rng.standard_normal((H, H)) / np.sqrt(H)
    b_h = rng.standard_normal(H) * 0.5
    return dict(
        dh_next=rng.standard_normal((N, H)),
        x_t=x_t,
        h_prev=h_prev,
        h_next=ref.rnn_step_forward(x_t, h_prev, W_xh, W_hh, b_h),
        W_xh=W_xh,
        W_hh=W_hh,
    )


def _step(slope=None, change=None):
    """The step backward with the tanh slope ``slope(h_next, h_prev)`` and the outputs
    edited by ``change(outputs, da, inputs)`` (a list, edited in place)."""
    def compute(dh_next, x_t, h_prev, h_next, W_xh, W_hh):
        da = dh_next * ((1 - h_next ** 2) if slope is None else slope(h_next, h_prev))   # (N, H)
        out = [da @ W_xh.T, da @ W_hh.T, x_t.T @ da, h_prev.T @ da, da.sum(axis=0)]
        if change is not None:
            if change(out, da, dict(x_t=x_t, h_prev=h_prev, h_next=h_next, W_xh=W_xh, W_hh=W_hh)) is False:
                return None
        return tuple(out)
    return compute


def _set(index, value, when=None):
    """A ``change`` that replaces output ``index`` by ``value(da, inputs)``; with
    ``when(inputs)`` false the mistake cannot be told apart (or crashes): None."""
    def change(out, da, i):
        if when is not None and not when(i):
            return False
        out[index] = value(da, i)
    return change


_SQUARE_XH = lambda i: i["W_xh"].shape[0] == i["W_xh"].shape[1]   # noqa: E731 (D == H)

STEP = Exercise(
    name="ch03.rnn_step_backward",
    function="rnn_step_backward",
    args=("dh_next", "x_t", "h_prev", "h_next", "W_xh", "W_hh"),
    outputs={"dx_t": ("N", "D"), "dh_prev": ("N", "H"), "dW_xh": ("D", "H"),
             "dW_hh": ("H", "H"), "db_h": ("H",)},
    draw=_draw_step,
    reference=ref.rnn_step_backward,
    # D == H first: a missing transpose of W_xh gives wrong values (named), not a crash
    cases=({"N": 3, "D": 4, "H": 4}, {"N": 5, "D": 2, "H": 3}, {"N": 1, "D": 3, "H": 2}),
    mistakes=(
        Mistake("tanh derivative written as 1 - h",
                "The slope of tanh is 1 - tanh(a)**2 = 1 - h_next**2: square the output.",
                _step(slope=lambda h_next, h_prev: 1 - h_next)),
        Mistake("tanh derivative taken at h_prev",
                "Differentiate the tanh that produced h_next: the slope is 1 - h_next**2, not 1 - h_prev**2.",
                _step(slope=lambda h_next, h_prev: 1 - h_prev ** 2)),
        Mistake("tanh applied twice in the derivative",
                "h_next is already tanh(a): the slope is 1 - h_next**2, not 1 - np.tanh(h_next)**2.",
                _step(slope=lambda h_next, h_prev: 1 - np.tanh(h_next) ** 2)),
        Mistake("tanh derivative missing",
                "First multiply dh_next by the slope of tanh, da = dh_next * (1 - h_next**2); "
                "every other gradient is computed from da.",
                _step(slope=lambda h_next, h_prev: 1.0)),
        Mistake("W_hh not transposed",
                "The forward computed h_prev @ W_hh, so the gradient flows back as da @ W_hh.T.",
                _step(change=_set(1, lambda da, i: da @ i["W_hh"]))),
        Mistake("W_xh not transposed",
                "The forward computed x_t @ W_xh, so dx_t = da @ W_xh.T, of shape (N, D).",
                _step(change=_set(0, lambda da, i: da @ i["W_xh"], when=_SQUARE_XH))),
        Mistake("dW_hh transposed",
                "dW_hh = h_prev.T @ da: rows index the units of h_prev, like the rows of W_hh.",
                _step(change=_set(3, lambda da, i: da.T @ i["h_prev"]))),
        Mistake("dW_xh transposed",
                "dW_xh = x_t.T @ da, shaped like W_xh (D, H).",
                _step(change=_set(2, lambda da, i: da.T @ i["x_t"], when=_SQUARE_XH))),
        Mistake("h_next used in dW_hh",
                "W_hh multiplies the state entering the step: dW_hh = h_prev.T @ da, not h_next.T @ da.",
                _step(change=_set(3, lambda da, i: i["h_next"].T @ da))),
        Mistake("bias gradient not summed over the batch",
                "b_h is added to every row of the batch, so db_h = da.sum(axis=0), of shape (H,).",
                _step(change=_set(4, lambda da, i: da))),
        Mistake("bias gradient summed over the wrong axis",
                "Sum da over the batch (axis 0), which leaves one number per hidden unit: shape (H,).",
                _step(change=_set(4, lambda da, i: da.sum(axis=1)))),
        Mistake("bias gradient averaged over the batch",
                "b_h is added to every row, so its gradient is the sum of da over the rows, not the mean.",
                _step(change=_set(4, lambda da, i: da.mean(axis=0)))),
    ),
    forbidden=NO_LIBRARIES,
    formula=_textbook.f_rnn_step_backward,
)


# -- rnn_backward ------------------------------------------------------------------------

def _draw_seq(rng, s):
    N, T, D, H = s["N"], s["T"], s["D"], s["H"]
    x = rng.standard_normal((N, T, D))
    h0 = rng.uniform(-1, 1, (N, H))
    W_xh = rng.standard_normal((D, H)) / np.sqrt(D)
    W_hh = rng.standard_normal((H, H)) / np.sqrt(H)
    b_h = rng.standard_normal(H) * 0.5
    h = np.empty((N, T, H))
    prev = h0
    for t in range(T):
        prev = h[:, t] = ref.rnn_step_forward(x[:, t], prev, W_xh, W_hh, b_h)
    return dict(dh=rng.standard_normal((N, T, H)), x=x, h0=h0, h=h, W_xh=W_xh, W_hh=W_hh)


def _bptt(dh, x, h0, h, W_xh, W_hh, *, forwards=False, carry=True, transpose=True, accumulate=True,
          prev=None, slope=None, carry_after_slope=False, h0_in_dW_hh=True, dh0_zero=False):
    """BPTT with one knob per mistake.

    Args (the knobs; the defaults give the right answer):
        forwards: run the loop t = 0 .. T-1.
        carry: add the gradient from step t+1 to dh[:, t]; without it dh0 is still the
            last step's da @ W_hh.T (a student returns the last dh_prev).
        transpose: carry da @ W_hh.T (False: da @ W_hh).
        accumulate: add every step's weight gradients (False: keep the last computed).
        prev: ``prev(t, h0, h)`` the state entering step t.
        slope: ``slope(t, h0, h)`` the tanh slope at step t.
        carry_after_slope: add the carried gradient after multiplying by the slope.
        h0_in_dW_hh: include step 0's h0.T @ da in dW_hh.
        dh0_zero: return zeros for dh0.
    """
    N, T, D = x.shape
    H = W_hh.shape[0]
    dx = np.zeros((N, T, D))
    dW_xh, dW_hh, db_h = np.zeros((D, H)), np.zeros((H, H)), np.zeros(H)
    g = np.zeros((N, H))                                      # gradient carried from step t+1
    dprev = np.zeros((N, H))
    for t in (range(T) if forwards else range(T - 1, -1, -1)):
        h_prev = (h0 if t == 0 else h[:, t - 1]) if prev is None else prev(t, h0, h)
        s = 1 - h[:, t] ** 2 if slope is None else slope(t, h0, h)
        da = dh[:, t] * s + g if carry_after_slope else (dh[:, t] + g) * s   # (N, H)
        dx[:, t] = da @ W_xh.T
        w_prev = h_prev if (h0_in_dW_hh or t > 0) else np.zeros_like(h_prev)
        terms = (x[:, t].T @ da, w_prev.T @ da, da.sum(axis=0))
        if accumulate:
            dW_xh, dW_hh, db_h = dW_xh + terms[0], dW_hh + terms[1], db_h + terms[2]
        else:
            dW_xh, dW_hh, db_h = terms
        dprev = da @ (W_hh.T if transpose else W_hh)
        g = dprev if carry else np.zeros_like(dprev)
    dh0 = np.zeros_like(h0) if dh0_zero else dprev
    return dx, dh0, dW_xh, dW_hh, db_h


def _seq(**knobs):
    return partial(_bptt, **knobs)


SEQUENCE = Exercise(
    name="ch03.rnn_backward",
    function="rnn_backward",
    args=("dh", "x", "h0", "h", "W_xh", "W_hh"),
    outputs={"dx": ("N", "T", "D"), "dh0": ("N", "H"), "dW_xh": ("D", "H"),
             "dW_hh": ("H", "H"), "db_h": ("H",)},
    draw=_draw_seq,
    reference=ref.rnn_backward,
    cases=({"N": 3, "T": 5, "D": 4, "H": 5}, {"N": 2, "T": 1, "D": 3, "H": 2},
           {"N": 4, "T": 7, "D": 2, "H": 3}),
    mistakes=(
        Mistake("recurrent gradient not carried",
                "dL/dh_t has two parts: dh[:, t] from the output at step t, plus the gradient flowing back "
                "from step t+1 (the previous iteration's dh_prev). Add them before the tanh slope.",
                _seq(carry=False)),
        Mistake("recurrent gradient added after the tanh derivative",
                "Add dh[:, t] and the carried gradient first, then multiply by 1 - h_t**2: both reach a_t "
                "through the same tanh.",
                _seq(carry_after_slope=True)),
        Mistake("time loop runs forwards",
                "Backpropagation runs against time: for t in range(T - 1, -1, -1), so that step t+1 has "
                "already produced the gradient that step t receives.",
                _seq(forwards=True)),
        Mistake("weight gradients overwritten at every step",
                "W_xh, W_hh and b_h are shared by all steps: add every step's contribution "
                "(dW_hh += ...), starting from zeros before the loop.",
                _seq(accumulate=False)),
        Mistake("h[:, t] used as the state entering step t",
                "Step t reads the state before it: h0 at t = 0, h[:, t - 1] after that. h[:, t] is the "
                "state it produced.",
                _seq(prev=lambda t, h0, h: h[:, t])),
        Mistake("h[:, -1] used as the state entering step 0",
                "At t = 0 the previous state is h0; h[:, t - 1] at t = 0 is h[:, -1], the last state.",
                _seq(prev=lambda t, h0, h: h[:, t - 1])),
        Mistake("h0 left out of dW_hh",
                "Step 0 also multiplies a state by W_hh, namely h0: its term h0.T @ da_0 belongs in dW_hh.",
                _seq(h0_in_dW_hh=False)),
        Mistake("tanh derivative written as 1 - h",
                "The slope of tanh at step t is 1 - h[:, t]**2: square the state.",
                _seq(slope=lambda t, h0, h: 1 - h[:, t])),
        Mistake("tanh derivative taken at the previous state",
                "The tanh of step t produced h[:, t]: its slope is 1 - h[:, t]**2, not that of the state "
                "entering the step.",
                _seq(slope=lambda t, h0, h: 1 - (h0 if t == 0 else h[:, t - 1]) ** 2)),
        Mistake("W_hh not transposed in the carried gradient",
                "The forward computed h_prev @ W_hh, so the gradient carried back is da @ W_hh.T.",
                _seq(transpose=False)),
        Mistake("dh0 returned as zeros",
                "dh0 is the gradient that leaves step 0 towards h0, da_0 @ W_hh.T (truncated BPTT chains "
                "it): return the carried gradient after the loop.",
                _seq(dh0_zero=True)),
    ),
    forbidden=NO_LIBRARIES,
    formula=_textbook.f_rnn_backward,
    depends_on=("rnn_step_backward",),
)


# -- softmax_cross_entropy ---------------------------------------------------------------

def _draw_loss(rng, s):
    N, T, V = s["N"], s["T"], s["V"]
    scores = rng.standard_normal((N, T, V)) * 2.0 + s.get("offset", 0.0)
    targets = rng.integers(0, V, size=(N, T))                # int64
    # A 0/1 float mask with some zeros, whose count of ones differs from N, T and N*T,
    # so that dividing by any of those is told apart from dividing by the count.
    for _ in range(1000):
        mask = (rng.uniform(size=(N, T)) < 0.7).astype(np.float64)
        count = mask.sum()
        if count >= 1 and (N * T <= 2 or count not in (N, T, N * T)):
            break
    else:  # pragma: no cover (probability ~0)
        raise RuntimeError("could not draw a mask")
    return dict(scores=scores, targets=targets, mask=mask)


def _ce(scores, targets, mask, *, shift=True, axis=-1, divide_loss="count", divide_grad="count",
        mask_loss=True, mask_grad=True, minus_one=True, sign=1.0, log_in_loss=True, grad_from_log=False,
        reduce=True):
    """Softmax cross-entropy with one knob per mistake (the defaults are right).

    ``divide_*``: "count" (counted steps), "NT", "N" or "none"."""
    N, T, V = scores.shape
    a = scores - scores.max(axis=axis, keepdims=True) if shift else scores
    e = np.exp(a)
    p = e / e.sum(axis=axis, keepdims=True)                  # (N, T, V)
    with np.errstate(divide="ignore"):
        logp = np.log(p)
    onehot = np.zeros_like(scores)
    np.put_along_axis(onehot, targets[..., None], 1.0, axis=2)
    picked = (logp if log_in_loss else p) * onehot
    per_step = -picked.sum(axis=2)                            # (N, T)
    m = mask if mask_loss else np.ones_like(mask)
    count = mask.sum()
    div = {"count": count, "NT": N * T, "N": N, "none": 1.0}
    loss = (per_step * m).sum() / div[divide_loss] if reduce else per_step * m / div[divide_loss]
    base = logp if grad_from_log else p
    d = sign * (base - onehot if minus_one else base)
    if mask_grad:
        d = d * mask[..., None]
    return loss, d / div[divide_grad]


def _loss(**knobs):
    return partial(_ce, **knobs)


LOSS = Exercise(
    name="ch03.softmax_cross_entropy",
    function="softmax_cross_entropy",
    args=("scores", "targets", "mask"),
    outputs={"loss": (), "dscores": ("N", "T", "V")},
    draw=_draw_loss,
    reference=lambda scores, targets, mask: ref.softmax_cross_entropy(scores, targets, mask),
    # the last case has scores near 1000: np.exp overflows unless the max is subtracted
    cases=({"N": 3, "T": 4, "V": 5}, {"N": 2, "T": 6, "V": 3}, {"N": 1, "T": 1, "V": 4},
           {"N": 2, "T": 3, "V": 6, "offset": 1000.0}),
    mistakes=(
        Mistake("loss summed, not averaged",
                "Divide the loss and its gradient by the number of counted steps, mask.sum().",
                _loss(divide_loss="none", divide_grad="none")),
        Mistake("gradient not divided by the count",
                "The loss is divided by mask.sum(), so every entry of dscores is too.",
                _loss(divide_grad="none")),
        Mistake("loss not divided by the count",
                "The loss is the mean over counted steps: divide the sum by mask.sum(), as you did for "
                "the gradient.",
                _loss(divide_loss="none")),
        Mistake("divided by N*T instead of the number of counted steps",
                "Average over the steps that count: divide by mask.sum(), not by N * T.",
                _loss(divide_loss="NT", divide_grad="NT")),
        Mistake("divided by the batch size N",
                "This chapter's loss is the mean over counted steps: divide by mask.sum(), not by N.",
                _loss(divide_loss="N", divide_grad="N")),
        Mistake("mask ignored",
                "Steps with mask 0 (padding) must add nothing: multiply each step's loss and gradient by "
                "the mask and divide by mask.sum().",
                _loss(mask_loss=False, mask_grad=False, divide_loss="NT", divide_grad="NT")),
        Mistake("gradient not masked",
                "A step with mask 0 does not enter the loss, so its row of dscores is zero: multiply by "
                "mask[..., None].",
                _loss(mask_grad=False)),
        Mistake("loss not masked",
                "Multiply each step's loss by the mask before summing: padded steps must not count.",
                _loss(mask_loss=False)),
        Mistake("-1 at the target missing from the gradient",
                "d(-log p_y)/ds = p - onehot(y): subtract 1 at the target class.",
                _loss(minus_one=False)),
        Mistake("gradient sign flipped",
                "The gradient of -log p_y with respect to the scores is p - onehot(y), not onehot(y) - p.",
                _loss(sign=-1.0)),
        Mistake("log missing from the loss",
                "Cross-entropy is -log p_y (the log-probability of the target), not -p_y.",
                _loss(log_in_loss=False)),
        Mistake("log-probabilities used in the gradient",
                "The gradient uses the probabilities p = softmax(scores), not their logarithm: p - onehot(y).",
                _loss(grad_from_log=True)),
        Mistake("softmax over the wrong axis",
                "Normalise over the classes, the last axis: max and sum with axis=-1 and keepdims=True.",
                _loss(axis=1)),
        Mistake("softmax over the wrong axis",
                "Normalise over the classes, the last axis: max and sum with axis=-1 and keepdims=True.",
                _loss(axis=0)),
        Mistake("softmax normalised over the whole array",
                "Each step has its own distribution over the V classes: sum over axis=-1 with "
                "keepdims=True, not over everything.",
                _loss(axis=None)),
        Mistake("loss returned per step",
                "Return one number: the sum over all counted steps divided by mask.sum().",
                _loss(reduce=False)),
    ),
    overflow=Mistake(
        "softmax not shifted",
        "np.exp overflows for large scores (exp(1000) is inf). Subtract each step's largest score "
        "first: softmax(s) = softmax(s - s.max(axis=-1, keepdims=True)).",
        _loss(shift=False)),
    forbidden=NO_LIBRARIES,
    formula=_textbook.softmax_cross_entropy,
)

register(STEP, SEQUENCE, LOSS)
