"""Chapter 5, long short-term memory: lstm_step_forward, lstm_forward, lstm_step_backward,
lstm_backward.

The gates are fused in torch's order [i | f | g | o]: ``W_x`` (D, 4H), ``W_h`` (H, 4H) and
one bias ``b`` (4H,). Inputs are drawn so that the catalogued mistakes give values
different from the reference and from each other:

- ``N``, ``D`` and ``H`` all differ (and ``4H`` differs from ``N`` and ``D``), so that a
  bias gradient left per row, or a transposed weight gradient, has a visibly wrong shape;
- the weights are scaled by ``1/sqrt(fan-in)`` and the bias has std 0.5, so that the
  pre-activations have a spread of about 1.2: every gate sits in the curved range of its
  sigmoid or tanh, where a wrong non-linearity or a wrong derivative shows;
- ``c_prev`` and ``c0`` are far from 0 (``|c| >= 0.3``, random sign), so that dropping the
  forget gate, ignoring the previous cell or confusing ``c_prev`` with ``c_next`` changes
  the values; ``h_prev`` and ``h0`` lie in (-0.9, 0.9), as ``o * tanh(c)`` does;
- the sequence cases have ``T >= 3``, so that states that are not carried from step to
  step differ from the reference (with ``T = 1`` they would coincide);
- ``lstm_backward`` runs on ``h`` and ``c`` from ``rnn_ref``'s forward of the drawn inputs,
  with an upstream gradient on every step; ``T = 1`` comes last.
"""

from __future__ import annotations

from functools import partial

import numpy as np

from rnn_ref import numpy as ref

from ._math import sigmoid
from ..exercise import NO_LIBRARIES, Exercise, Mistake
from ..registry import register
from . import _textbook



# -- drawing -----------------------------------------------------------------------------

def _weights(rng, D, H):
    W_x = rng.standard_normal((D, 4 * H)) / np.sqrt(D)
    W_h = rng.standard_normal((H, 4 * H)) / np.sqrt(H)
    b = rng.standard_normal(4 * H) * 0.5
    return W_x, W_h, b


def _cell(rng, shape):
    """A cell state far from 0: |c| in [0.3, 1.5], random sign."""
    return rng.uniform(0.3, 1.5, shape) * rng.choice([-1.0, 1.0], shape)


def _draw_step(rng, s):
    N, D, H = s["N"], s["D"], s["H"]
    W_x, W_h, b = _weights(rng, D, H)
    return dict(x_t=rng.standard_normal((N, D)), h_prev=rng.uniform(-0.9, 0.9, (N, H)),
                c_prev=_cell(rng, (N, H)), W_x=W_x, W_h=W_h, b=b)


def _draw_seq(rng, s):
    N, T, D, H = s["N"], s["T"], s["D"], s["H"]
    W_x, W_h, b = _weights(rng, D, H)
    return dict(x=rng.standard_normal((N, T, D)), h0=rng.uniform(-0.9, 0.9, (N, H)),
                c0=_cell(rng, (N, H)), W_x=W_x, W_h=W_h, b=b)


def _draw_back(rng, s):
    N, H = s["N"], s["H"]
    step = _draw_step(rng, s)
    return dict(dh_next=rng.standard_normal((N, H)), dc_next=rng.standard_normal((N, H)), **step)


# -- a configurable forward step ----------------------------------------------------------

#: where each gate's block sits among the four column blocks, for the orders students use
_ORDERS = {
    "ifgo": (0, 1, 2, 3),   # torch, the course's order
    "ifog": (0, 1, 3, 2),   # i, f, o, g
    "figo": (1, 0, 2, 3),   # f, i, g, o
    "igfo": (0, 2, 1, 3),   # i, g, f, o (TensorFlow 1's LSTMCell: i, j, f, o)
}


def _gates(a, H, order="ifgo", interleaved=False, g_act=np.tanh, s_act=sigmoid):
    """(i, f, g, o) from the fused pre-activation a (N, 4H)."""
    if interleaved:                                     # columns i f g o i f g o ...
        blocks = [a[:, k::4] for k in range(4)]
    else:
        blocks = [a[:, k * H:(k + 1) * H] for k in range(4)]
    pi, pf, pg, po = _ORDERS[order]
    return s_act(blocks[pi]), s_act(blocks[pf]), g_act(blocks[pg]), s_act(blocks[po])


def _step(x_t, h_prev, c_prev, W_x, W_h, b, *, order="ifgo", interleaved=False, g_act=np.tanh,
          s_act=sigmoid, bias=True, cell=None, hidden=None, swap=False):
    """One forward step; ``cell(i, f, g, c_prev)`` and ``hidden(o, c_next, c_prev)`` replace
    the two update rules, ``swap`` returns (c, h)."""
    H = h_prev.shape[1]
    a = x_t @ W_x + h_prev @ W_h + (b if bias else 0.0)                # (N, 4H)
    i, f, g, o = _gates(a, H, order, interleaved, g_act, s_act)
    c = f * c_prev + i * g if cell is None else cell(i, f, g, c_prev)
    h = o * np.tanh(c) if hidden is None else hidden(o, c, c_prev)
    return (c, h) if swap else (h, c)


def _step_with(**kw):
    return partial(_step, **kw)


STEP_FORWARD = Exercise(
    name="ch05.lstm_step_forward",
    function="lstm_step_forward",
    args=("x_t", "h_prev", "c_prev", "W_x", "W_h", "b"),
    outputs={"h_next": ("N", "H"), "c_next": ("N", "H")},
    draw=_draw_step,
    reference=ref.lstm_step_forward,
    cases=({"N": 3, "D": 5, "H": 4}, {"N": 5, "D": 2, "H": 3}, {"N": 2, "D": 3, "H": 6}),
    mistakes=(
        Mistake("gate order i, f, o, g",
                "The columns of W_x, W_h and b are the blocks [i | f | g | o] (torch's order): "
                "the candidate g is the third block a[:, 2H:3H], the output gate the fourth a[:, 3H:].",
                _step_with(order="ifog")),
        Mistake("gate order f, i, g, o",
                "The first block a[:, :H] is the input gate i and the second a[:, H:2H] the forget gate f "
                "(order [i | f | g | o]).",
                _step_with(order="figo")),
        Mistake("gate order i, g, f, o",
                "The blocks are [i | f | g | o]: the forget gate is the second block a[:, H:2H], the "
                "candidate g the third a[:, 2H:3H] (TensorFlow 1 used i, g, f, o).",
                _step_with(order="igfo")),
        Mistake("gates interleaved instead of in blocks",
                "Each gate is a block of H consecutive columns: i = a[:, :H], f = a[:, H:2H], "
                "g = a[:, 2H:3H], o = a[:, 3H:], not every fourth column a[:, k::4].",
                _step_with(interleaved=True)),
        Mistake("sigmoid on the candidate g",
                "The candidate g = tanh(a_g) is a value to write, in (-1, 1); only i, f and o are "
                "sigmoid gates, in (0, 1).",
                _step_with(g_act=sigmoid)),
        Mistake("tanh on the gates",
                "The gates i, f and o use the sigmoid 1 / (1 + exp(-a)), so that they lie between 0 "
                "(closed) and 1 (open); only the candidate g uses tanh.",
                _step_with(s_act=np.tanh)),
        Mistake("forget gate not applied",
                "The previous cell is scaled by the forget gate: c_next = f * c_prev + i * g, "
                "not c_prev + i * g.",
                _step_with(cell=lambda i, f, g, c_prev: c_prev + i * g)),
        Mistake("c_prev ignored",
                "The cell keeps its memory: c_next = f * c_prev + i * g, not i * g alone.",
                _step_with(cell=lambda i, f, g, c_prev: i * g)),
        Mistake("input gate not applied",
                "The candidate is written through the input gate: c_next = f * c_prev + i * g.",
                _step_with(cell=lambda i, f, g, c_prev: f * c_prev + g)),
        Mistake("tanh of the cell missing",
                "The hidden state squashes the cell before gating it: h_next = o * tanh(c_next), "
                "not o * c_next.",
                _step_with(hidden=lambda o, c, c_prev: o * c)),
        Mistake("output gate not applied",
                "The hidden state is gated by o: h_next = o * tanh(c_next), not tanh(c_next).",
                _step_with(hidden=lambda o, c, c_prev: np.tanh(c))),
        Mistake("h_next computed from c_prev",
                "Compute c_next first, then h_next = o * tanh(c_next) from the new cell, not the old one.",
                _step_with(hidden=lambda o, c, c_prev: o * np.tanh(c_prev))),
        Mistake("bias dropped",
                "Add the bias to the pre-activation: a = x_t @ W_x + h_prev @ W_h + b.",
                _step_with(bias=False)),
        Mistake("cell and hidden state swapped in the return",
                "Return the hidden state first: (h_next, c_next).",
                _step_with(swap=True)),
    ),
    forbidden=NO_LIBRARIES,
    formula=_textbook.f_lstm_step_forward,
)


# -- lstm_forward ------------------------------------------------------------------------

def _run(x, h0, c0, W_x, W_h, b, *, step=_step, carry_h=True, carry_c=True, zero_h0=False,
         zero_c0=False, late=False, swap=False):
    """The sequence loop with each way of getting the carrying wrong."""
    N, T, D = x.shape
    H = h0.shape[1]
    h, c = np.empty((N, T, H)), np.empty((N, T, H))
    h0 = np.zeros_like(h0) if zero_h0 else h0
    c0 = np.zeros_like(c0) if zero_c0 else c0
    h_t, c_t = h0, c0
    for t in range(T):
        h_new, c_new = step(x[:, t], h_t if carry_h else h0, c_t if carry_c else c0, W_x, W_h, b)
        if late:                                        # stores the state entering the step
            h[:, t], c[:, t] = h_t, c_t
        else:
            h[:, t], c[:, t] = h_new, c_new
        h_t, c_t = h_new, c_new
    return (c, h) if swap else (h, c)


def _run_with(**kw):
    return partial(_run, **kw)


def _forward_reference(x, h0, c0, W_x, W_h, b):
    return ref.lstm_forward(x, h0, c0, W_x, W_h, b)


FORWARD = Exercise(
    name="ch05.lstm_forward",
    function="lstm_forward",
    args=("x", "h0", "c0", "W_x", "W_h", "b"),
    outputs={"h": ("N", "T", "H"), "c": ("N", "T", "H")},
    draw=_draw_seq,
    reference=_forward_reference,
    cases=({"N": 3, "T": 5, "D": 2, "H": 4}, {"N": 4, "T": 3, "D": 5, "H": 3}, {"N": 2, "T": 6, "D": 3, "H": 5}),
    mistakes=(
        Mistake("cell state not carried (c0 reused)",
                "Each step starts from the cell state of the step before: pass c[:, t-1] (c0 only at "
                "t = 0) and keep the c_next that the step returns.",
                _run_with(carry_c=False)),
        Mistake("hidden state not carried (h0 reused)",
                "Each step starts from the hidden state of the step before: pass h[:, t-1] (h0 only at "
                "t = 0) and keep the h_next that the step returns.",
                _run_with(carry_h=False)),
        Mistake("neither state carried",
                "Each step starts from the two states the previous step returned; only step 0 starts "
                "from h0 and c0.",
                _run_with(carry_h=False, carry_c=False)),
        Mistake("h0 ignored",
                "The first step starts from the given h0, not from zeros.",
                _run_with(zero_h0=True)),
        Mistake("c0 ignored",
                "The first step starts from the given c0, not from zeros.",
                _run_with(zero_c0=True)),
        Mistake("states stored one step late",
                "h[:, t] and c[:, t] are the states after reading x[:, t] (what step t returns), "
                "not the states entering step t.",
                _run_with(late=True)),
        Mistake("cell and hidden state swapped in the return",
                "Return the hidden states first: (h, c).",
                _run_with(swap=True)),
        Mistake("gate order i, f, o, g",
                "The gate blocks are [i | f | g | o]: the candidate g is a[:, 2H:3H], the output gate a[:, 3H:].",
                _run_with(step=_step_with(order="ifog"))),
        Mistake("forget gate not applied",
                "Within a step: c_next = f * c_prev + i * g (check your lstm_step_forward).",
                _run_with(step=_step_with(cell=lambda i, f, g, c_prev: c_prev + i * g))),
        Mistake("bias dropped",
                "Within a step: a = x_t @ W_x + h_prev @ W_h + b.",
                _run_with(step=_step_with(bias=False))),
    ),
    forbidden=NO_LIBRARIES,
    formula=_textbook.lstm_forward,
    depends_on=("lstm_step_forward",),
)


# -- lstm_step_backward ------------------------------------------------------------------

def _back(dh_next, dc_next, x_t, h_prev, c_prev, W_x, W_h, b, *, tanh_slope=None, use_dc_next=True,
          use_dh=True, forget_in_dc_prev=True, sig_slope=None, g_slope=None, o_uses_c=False,
          f_uses_c_next=False, order="ifgo", db=None, sign=1.0):
    """The step backward with each part replaceable by a typical wrong version."""
    H = h_prev.shape[1]
    a = x_t @ W_x + h_prev @ W_h + b                                   # (N, 4H)
    i, f, g, o = _gates(a, H)
    c = f * c_prev + i * g
    tc = np.tanh(c)
    slope = 1.0 - tc ** 2 if tanh_slope is None else tanh_slope(c, tc)
    dc = (dh_next * o * slope if use_dh else 0.0) + (dc_next if use_dc_next else 0.0)
    ds = (lambda s: s * (1.0 - s)) if sig_slope is None else sig_slope
    dg = 1.0 - g ** 2 if g_slope is None else g_slope(g)
    blocks = {
        "i": dc * g * ds(i),
        "f": dc * (c if f_uses_c_next else c_prev) * ds(f),
        "g": dc * i * dg,
        "o": dh_next * (c if o_uses_c else tc) * ds(o),
    }
    da = np.concatenate([blocks[k] for k in order], axis=1)            # (N, 4H)
    dc_prev = dc * f if forget_in_dc_prev else dc
    dbias = da.sum(axis=0) if db is None else db(da)
    return da @ W_x.T, da @ W_h.T, dc_prev, x_t.T @ da, h_prev.T @ da, dbias


def _back_with(**kw):
    return partial(_back, **kw)


def _back_reference(dh_next, dc_next, x_t, h_prev, c_prev, W_x, W_h, b):
    return ref.lstm_step_backward(dh_next, dc_next, x_t, h_prev, c_prev, W_x, W_h, b)


def _transposed(index):
    def compute(dh_next, dc_next, x_t, h_prev, c_prev, W_x, W_h, b):
        out = list(_back(dh_next, dc_next, x_t, h_prev, c_prev, W_x, W_h, b))
        out[index] = out[index].T
        return tuple(out)
    return compute


STEP_BACKWARD = Exercise(
    name="ch05.lstm_step_backward",
    function="lstm_step_backward",
    args=("dh_next", "dc_next", "x_t", "h_prev", "c_prev", "W_x", "W_h", "b"),
    outputs={"dx_t": ("N", "D"), "dh_prev": ("N", "H"), "dc_prev": ("N", "H"),
             "dW_x": ("D", "4H"), "dW_h": ("H", "4H"), "db": ("4H",)},
    draw=_draw_back,
    reference=_back_reference,
    cases=({"N": 3, "D": 5, "H": 4, "4H": 16}, {"N": 5, "D": 2, "H": 3, "4H": 12},
           {"N": 2, "D": 3, "H": 6, "4H": 24}),
    mistakes=(
        Mistake("tanh' of the cell missing in dc",
                "h_next = o * tanh(c_next), so the path from h_next into the cell passes through "
                "tanh: dc = dh_next * o * (1 - tanh(c_next)**2) + dc_next.",
                _back_with(tanh_slope=lambda c, tc: 1.0)),
        Mistake("tanh' of the cell written as 1 - tanh(c)",
                "The slope of tanh is 1 - tanh(c_next)**2: square it.",
                _back_with(tanh_slope=lambda c, tc: 1.0 - tc)),
        Mistake("tanh' of the cell written as 1 - c**2",
                "The slope at c_next is 1 - tanh(c_next)**2; c_next itself is not a tanh output.",
                _back_with(tanh_slope=lambda c, tc: 1.0 - c ** 2)),
        Mistake("dc_next ignored",
                "The cell state also flows to the next step: add dc_next to the gradient that reaches "
                "c_next through h_next.",
                _back_with(use_dc_next=False)),
        Mistake("dh_next not passed into the cell",
                "c_next reaches the loss through h_next = o * tanh(c_next) as well as through the next "
                "step: dc = dh_next * o * (1 - tanh(c_next)**2) + dc_next.",
                _back_with(use_dh=False)),
        Mistake("dc_prev without the forget gate",
                "c_next = f * c_prev + ..., so dc_prev = dc * f, where dc is the total gradient on c_next.",
                _back_with(forget_in_dc_prev=False)),
        Mistake("sigmoid' written as s instead of s(1 - s)",
                "The slope of the sigmoid at its output s is s * (1 - s), for each of i, f and o.",
                _back_with(sig_slope=lambda s: s)),
        Mistake("sigmoid' written as 1 - s**2",
                "1 - s**2 is the slope of tanh; the slope of the sigmoid at its output s is s * (1 - s).",
                _back_with(sig_slope=lambda s: 1.0 - s ** 2)),
        Mistake("tanh' of g written as 1 - g",
                "The slope of tanh at its output g is 1 - g**2: square it.",
                _back_with(g_slope=lambda g: 1.0 - g)),
        Mistake("output gate gradient uses c instead of tanh(c)",
                "h_next = o * tanh(c_next), so dL/do = dh_next * tanh(c_next), and "
                "da_o = dh_next * tanh(c_next) * o * (1 - o).",
                _back_with(o_uses_c=True)),
        Mistake("forget gate gradient uses c_next",
                "The forget gate multiplies the previous cell: da_f = dc * c_prev * f * (1 - f).",
                _back_with(f_uses_c_next=True)),
        Mistake("gate gradients concatenated as i, f, o, g",
                "da must have the columns of the forward, [i | f | g | o]: concatenate "
                "(da_i, da_f, da_g, da_o).",
                _back_with(order="ifog")),
        Mistake("gate gradients concatenated as f, i, g, o",
                "da must have the columns of the forward, [i | f | g | o]: the input gate comes first.",
                _back_with(order="figo")),
        Mistake("bias gradient not summed over the batch",
                "b is added to every row of the batch, so db = da.sum(axis=0), of shape (4H,).",
                _back_with(db=lambda da: da)),
        Mistake("bias gradient averaged over the batch",
                "b is added to every row, so db is the sum of da over the rows, not the mean.",
                _back_with(db=lambda da: da.mean(axis=0))),
        Mistake("dW_x transposed",
                "dW_x = x_t.T @ da, shaped like W_x (D, 4H).",
                _transposed(3)),
        Mistake("dW_h transposed",
                "dW_h = h_prev.T @ da, shaped like W_h (H, 4H).",
                _transposed(4)),
    ),
    forbidden=NO_LIBRARIES,
    formula=_textbook.f_lstm_step_backward,
    gates=("i", "f", "g", "o"),
)



# -- lstm_backward -----------------------------------------------------------------------

def _draw_bptt(rng, s):
    N, T, D, H = s["N"], s["T"], s["D"], s["H"]
    seq = _draw_seq(rng, s)
    h, c = ref.lstm_forward(**seq)                                       # (N, T, H) each
    return dict(dh=rng.standard_normal((N, T, H)), x=seq["x"], h0=seq["h0"], c0=seq["c0"], h=h, c=c,
                W_x=seq["W_x"], W_h=seq["W_h"], b=seq["b"])


def _bptt_reference(dh, x, h0, c0, h, c, W_x, W_h, b):
    return ref.lstm_backward(dh, None, x, h0, c0, h, c, W_x, W_h, b)


def _bptt(dh, x, h0, c0, h, c, W_x, W_h, b, *, accumulate=True, carry_dh=True, carry_dc=True,
          forwards=False, late=False, zero_start=False, last_only=False):
    """BPTT with rnn_ref's step backward and each way of getting the loop wrong."""
    N, T, D = x.shape
    dx, dW_x, dW_h, db = np.zeros((N, T, D)), np.zeros_like(W_x), np.zeros_like(W_h), np.zeros_like(b)
    dh_next, dc_next = np.zeros_like(h0), np.zeros_like(c0)
    for t in (range(T) if forwards else range(T - 1, -1, -1)):
        first = np.zeros_like(h0) if zero_start else h0
        h_prev = h[:, t] if late else (first if t == 0 else h[:, t - 1])               # (N, H)
        c_prev = c[:, t] if late else ((np.zeros_like(c0) if zero_start else c0) if t == 0 else c[:, t - 1])
        upstream = dh[:, t] if not last_only or t == T - 1 else 0.0
        dx[:, t], dhp, dcp, gWx, gWh, gb = ref.lstm_step_backward(
            upstream + (dh_next if carry_dh else 0.0), dc_next if carry_dc else np.zeros_like(c0),
            x[:, t], h_prev, c_prev, W_x, W_h, b)
        dh_next, dc_next = dhp, dcp
        if accumulate:
            dW_x, dW_h, db = dW_x + gWx, dW_h + gWh, db + gb
        else:
            dW_x, dW_h, db = gWx, gWh, gb
    return dx, dh_next, dc_next, dW_x, dW_h, db


BPTT = Exercise(
    name="ch05.lstm_backward",
    function="lstm_backward",
    args=("dh", "x", "h0", "c0", "h", "c", "W_x", "W_h", "b"),
    outputs={"dx": ("N", "T", "D"), "dh0": ("N", "H"), "dc0": ("N", "H"),
             "dW_x": ("D", "4H"), "dW_h": ("H", "4H"), "db": ("4H",)},
    draw=_draw_bptt,
    reference=_bptt_reference,
    cases=({"N": 3, "T": 4, "D": 5, "H": 2, "4H": 8}, {"N": 2, "T": 5, "D": 3, "H": 4, "4H": 16},
           {"N": 4, "T": 1, "D": 2, "H": 3, "4H": 12}),
    mistakes=(
        Mistake("weight gradients not accumulated over time",
                "W_x, W_h and b are shared by every step: add each step's dW_x, dW_h and db to running "
                "sums (+=), do not overwrite them (=).", partial(_bptt, accumulate=False)),
        Mistake("dh not carried to the previous step",
                "The state h[:, t-1] reaches the loss through step t as well: the gradient entering step t-1 "
                "is dh[:, t-1] plus the dh_prev that step t returned.", partial(_bptt, carry_dh=False)),
        Mistake("dc not carried to the previous step",
                "Pass the dc_prev that step t returned as dc_next of step t-1 (zero only at the last step).",
                partial(_bptt, carry_dc=False)),
        Mistake("loop not reversed",
                "Backpropagation runs against time: for t in range(T - 1, -1, -1), so that the gradient from "
                "step t+1 is known when you reach step t.", partial(_bptt, forwards=True)),
        Mistake("states read one step late (h[:, t] as h_prev)",
                "Step t read h[:, t-1] and c[:, t-1] (h0 and c0 at t = 0): pass those as h_prev and c_prev, "
                "not the states step t produced.", partial(_bptt, late=True)),
        Mistake("h0 and c0 ignored at t = 0",
                "At t = 0 the step read h0 and c0: pass them as h_prev and c_prev, not zeros.",
                partial(_bptt, zero_start=True)),
        Mistake("upstream gradient of the last step only",
                "dh holds a gradient for every step: add dh[:, t] at every t, not only at T-1.",
                partial(_bptt, last_only=True)),
    ),
    forbidden=NO_LIBRARIES,
    depends_on=("lstm_step_backward",),
    gates=("i", "f", "g", "o"),
    formula=_textbook.lstm_backward,
)

register(STEP_FORWARD, FORWARD, STEP_BACKWARD, BPTT)
