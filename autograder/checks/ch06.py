"""Chapter 6, gated recurrent units: gru_step_forward, gru_forward, gru_step_backward.

The GRU follows torch's equations (gates fused in the column order [r | z | n], two biases,
``b_hn`` inside the reset product), as ``rnn_ref.numpy.gru`` does.

Inputs are drawn so that every catalogued mistake gives values different from the
reference and from the other mistakes, so that a wrong answer can be named:

- ``N``, ``D`` and ``H`` all differ (a bias gradient left per row has a visibly wrong
  shape, and no wrong product happens to line up);
- weights are scaled by ``1 / sqrt(fan_in)`` and the biases have standard deviation 0.5,
  so the pre-activations of the gates lie in the curved range of the sigmoid and tanh
  (neither saturated nor linear), where ``s`` and ``s (1 - s)``, ``1 - n`` and ``1 - n**2``,
  ``z`` and ``1 - z`` are far apart;
- the biases are never zero and ``b_hn`` is drawn large (standard deviation 1), so that
  moving it out of the reset product, dropping it, or dropping ``b_h`` changes the answer;
- ``h0`` and ``h_prev`` are nonzero (uniform in [-1, 1]), so ignoring the state shows.

In the sequence exercise a student may build ``gru_forward`` on their own (wrong) step,
so its catalogue contains every step mistake, carried over the whole sequence, before the
mistakes of the loop itself.
"""

from __future__ import annotations

from functools import partial

import numpy as np

from rnn_ref import numpy as ref

from ._math import sigmoid
from ..exercise import NO_LIBRARIES, Exercise, Mistake
from ..registry import register
from . import _textbook



def _params(rng, D, H):
    W_x = rng.standard_normal((D, 3 * H)) / np.sqrt(D)
    W_h = rng.standard_normal((H, 3 * H)) / np.sqrt(H)
    b_x = rng.standard_normal(3 * H) * 0.5
    b_h = rng.standard_normal(3 * H) * 0.5
    b_h[2 * H:] = rng.standard_normal(H) * 0.5 + rng.choice([-1.0, 1.0], H) * 0.6  # b_hn clearly nonzero
    return W_x, W_h, b_x, b_h


# -- one forward step with a knob per mistake ---------------------------------------------

def _step(x_t, h_prev, W_x, W_h, b_x, b_h, *, paper_reset=False, swap_z=False, order_zrn=False,
          no_reset=False, no_update=False, bhn_outside=False, sigmoid_candidate=False,
          drop_bh=False, blocks_transposed=False, drop_bx=False):
    """h_next of one GRU step; the keyword knobs each give one catalogued mistake."""
    H = h_prev.shape[1]
    if drop_bh:
        b_h = np.zeros_like(b_h)
    if drop_bx:
        b_x = np.zeros_like(b_x)
    if blocks_transposed:
        W_h = np.concatenate([W_h[:, k * H:(k + 1) * H].T for k in range(3)], axis=1)
    ax = x_t @ W_x + b_x                                         # (N, 3H)
    ah = h_prev @ W_h + b_h                                      # (N, 3H)
    i_r, i_z = (1, 0) if order_zrn else (0, 1)
    r = sigmoid(ax[:, i_r * H:(i_r + 1) * H] + ah[:, i_r * H:(i_r + 1) * H])
    z = sigmoid(ax[:, i_z * H:(i_z + 1) * H] + ah[:, i_z * H:(i_z + 1) * H])
    if no_reset:
        r = np.ones_like(r)
    W_hn, b_hn = W_h[:, 2 * H:], b_h[2 * H:]
    if paper_reset:
        hn_term = (r * h_prev) @ W_hn + b_hn
    elif bhn_outside:
        hn_term = r * (h_prev @ W_hn) + b_hn
    else:
        hn_term = r * ah[:, 2 * H:]
    a_n = ax[:, 2 * H:] + hn_term
    n = sigmoid(a_n) if sigmoid_candidate else np.tanh(a_n)
    if no_update:
        return n
    if swap_z:
        return z * n + (1 - z) * h_prev
    return (1 - z) * n + z * h_prev


#: (name, hint, knobs) of the step mistakes, shared by the two forward exercises
_STEP_MISTAKES = (
    ("reset applied before the product (the original paper's GRU)",
     "This course follows torch: the reset gate multiplies the whole recurrent term of the candidate, "
     "n = tanh(x W_xn + b_xn + r * (h_prev W_hn + b_hn)). You computed (r * h_prev) W_hn, the "
     "variant of Cho et al. (2014), which gives different numbers.",
     dict(paper_reset=True)),
    ("z and 1 - z swapped",
     "The update gate keeps the old state: h_next = (1 - z) * n + z * h_prev. You wrote z * n + "
     "(1 - z) * h_prev.",
     dict(swap_z=True)),
    ("gate order z, r, n instead of r, z, n",
     "The fused columns are in torch's order [r | z | n]: the reset gate uses columns 0:H, the "
     "update gate H:2H, the candidate 2H:3H.",
     dict(order_zrn=True)),
    ("reset gate ignored",
     "The candidate's recurrent term is multiplied elementwise by the reset gate: "
     "r * (h_prev W_hn + b_hn).",
     dict(no_reset=True)),
    ("update gate ignored",
     "h_next is not the candidate itself: it interpolates, h_next = (1 - z) * n + z * h_prev.",
     dict(no_update=True)),
    ("b_hn added outside the reset product",
     "b_hn belongs to the hidden side and sits inside the reset product: r * (h_prev W_hn + b_hn), "
     "not r * (h_prev W_hn) + b_hn.",
     dict(bhn_outside=True)),
    ("sigmoid on the candidate",
     "The gates r and z use the sigmoid; the candidate n uses tanh, so that it can be negative.",
     dict(sigmoid_candidate=True)),
    ("hidden-side bias b_h dropped",
     "There are two biases: b_x on the input side and b_h on the hidden side. Add both "
     "(h_prev @ W_h + b_h).",
     dict(drop_bh=True)),
    ("input-side bias b_x dropped",
     "There are two biases: b_x on the input side and b_h on the hidden side. Add both "
     "(x_t @ W_x + b_x).",
     dict(drop_bx=True)),
    ("blocks of W_h transposed",
     "Each gate's block W_h[:, k*H:(k+1)*H] is used as h_prev @ block, with no transpose: one product "
     "h_prev @ W_h gives all three blocks at once.",
     dict(blocks_transposed=True)),
)


# -- gru_step_forward ----------------------------------------------------------------------

def _draw_step(rng, s):
    N, D, H = s["N"], s["D"], s["H"]
    W_x, W_h, b_x, b_h = _params(rng, D, H)
    return dict(x_t=rng.standard_normal((N, D)), h_prev=rng.uniform(-1, 1, (N, H)),
                W_x=W_x, W_h=W_h, b_x=b_x, b_h=b_h)


def _step_mistake(knobs):
    return lambda x_t, h_prev, W_x, W_h, b_x, b_h: (_step(x_t, h_prev, W_x, W_h, b_x, b_h, **knobs),)


STEP_FORWARD = Exercise(
    name="ch06.gru_step_forward",
    function="gru_step_forward",
    args=("x_t", "h_prev", "W_x", "W_h", "b_x", "b_h"),
    outputs={"h_next": ("N", "H")},
    draw=_draw_step,
    reference=lambda **kw: (ref.gru_step_forward(**kw),),
    cases=({"N": 3, "D": 4, "H": 5}, {"N": 4, "D": 2, "H": 3}, {"N": 1, "D": 3, "H": 2}),
    mistakes=tuple(Mistake(name, hint, _step_mistake(knobs)) for name, hint, knobs in _STEP_MISTAKES),
    forbidden=NO_LIBRARIES,
    formula=_textbook.f_gru_step_forward,
)


# -- gru_forward ---------------------------------------------------------------------------

def _draw_seq(rng, s):
    N, T, D, H = s["N"], s["T"], s["D"], s["H"]
    W_x, W_h, b_x, b_h = _params(rng, D, H)
    return dict(x=rng.standard_normal((N, T, D)), h0=rng.uniform(-1, 1, (N, H)),
                W_x=W_x, W_h=W_h, b_x=b_x, b_h=b_h)


def _seq(x, h0, W_x, W_h, b_x, b_h, *, zero_h0=False, carry=True, shift=False, time_major=False, **knobs):
    N, T, D = x.shape
    H = h0.shape[1]
    start = np.zeros_like(h0) if zero_h0 else h0
    h = np.empty((N, T, H))
    prev = start
    for t in range(T):
        h[:, t] = _step(x[:, t], prev if carry else start, W_x, W_h, b_x, b_h, **knobs)
        prev = h[:, t]
    if shift:                                                    # h0 stored first, last state lost
        h = np.concatenate([h0[:, None], h[:, :-1]], axis=1)
    if time_major:
        h = h.transpose(1, 0, 2)
    return (h,)


def _seq_mistake(**knobs):
    return partial(_seq, **knobs)


FORWARD = Exercise(
    name="ch06.gru_forward",
    function="gru_forward",
    args=("x", "h0", "W_x", "W_h", "b_x", "b_h"),
    outputs={"h": ("N", "T", "H")},
    draw=_draw_seq,
    reference=lambda **kw: (ref.gru_forward(**kw),),
    # T = 1 last: there, a state that is not carried coincides with the reference
    cases=({"N": 3, "T": 5, "D": 4, "H": 2}, {"N": 2, "T": 7, "D": 3, "H": 4}, {"N": 4, "T": 1, "D": 2, "H": 3}),
    mistakes=tuple(Mistake(name, hint, _seq_mistake(**knobs)) for name, hint, knobs in _STEP_MISTAKES) + (
        Mistake("h0 ignored",
                "The first step starts from the given h0, not from zeros.",
                _seq_mistake(zero_h0=True)),
        Mistake("state not carried",
                "Each step reads the state the previous step produced: after computing h[:, t], use it as "
                "h_prev of step t + 1 (only step 0 reads h0).",
                _seq_mistake(carry=False)),
        Mistake("h0 stored as the first state",
                "h[:, t] is the state after reading x[:, t]: h[:, 0] is the first new state, not h0, and "
                "h[:, -1] is the final state.",
                _seq_mistake(shift=True)),
        Mistake("time-major output (T, N, H)",
                "Return the states batch first, h of shape (N, T, H): h[:, t] is step t. np.stack(states, "
                "axis=1) does this; np.array(states) puts time first.",
                _seq_mistake(time_major=True)),
    ),
    forbidden=NO_LIBRARIES,
    formula=_textbook.gru_forward,
    depends_on=("gru_step_forward",),
)


# -- gru_step_backward ---------------------------------------------------------------------

def _draw_back(rng, s):
    inputs = _draw_step(rng, s)
    return dict(dh_next=rng.standard_normal((s["N"], s["H"])), **inputs)


def _back(dh_next, x_t, h_prev, W_x, W_h, b_x, b_h, *, reset_factor="full", n_r_in_dah=True,
          n_r_in_dbh=True, direct="z", sig_prime="s(1-s)", sum_db=True, z_sign=1.0,
          tanh_prime="1-n^2", one_minus_z=True):
    """The step backward with one knob per mistake (the defaults give the reference)."""
    H = h_prev.shape[1]
    ax = x_t @ W_x + b_x                                         # (N, 3H)
    ah = h_prev @ W_h + b_h                                      # (N, 3H)
    r = sigmoid(ax[:, :H] + ah[:, :H])
    z = sigmoid(ax[:, H:2 * H] + ah[:, H:2 * H])
    hn = ah[:, 2 * H:]                                           # h_prev W_hn + b_hn
    n = np.tanh(ax[:, 2 * H:] + r * hn)
    sp = (lambda s: s * (1 - s)) if sig_prime == "s(1-s)" else (lambda s: s)
    tp = {"1-n^2": 1 - n ** 2, "1-n": 1 - n, "1": 1.0}[tanh_prime]
    da_n = dh_next * ((1 - z) if one_minus_z else 1.0) * tp
    factor = {"full": hn, "missing": 1.0, "no_bhn": h_prev @ W_h[:, 2 * H:]}[reset_factor]
    da_r = da_n * factor * sp(r)
    da_z = dh_next * z_sign * (h_prev - n) * sp(z)
    dax = np.concatenate([da_r, da_z, da_n], axis=1)
    dah = np.concatenate([da_r, da_z, da_n * r if n_r_in_dah else da_n], axis=1)
    dah_b = np.concatenate([da_r, da_z, da_n * r if (n_r_in_dah and n_r_in_dbh) else da_n], axis=1)
    path = {"z": dh_next * z, "1-z": dh_next * (1 - z), "none": 0.0}[direct]
    dh_prev = path + dah @ W_h.T
    db_x, db_h = (dax.sum(axis=0), dah_b.sum(axis=0)) if sum_db else (dax, dah_b)
    return dax @ W_x.T, dh_prev, x_t.T @ dax, h_prev.T @ dah, db_x, db_h


def _back_mistake(**knobs):
    return partial(_back, **knobs)


STEP_BACKWARD = Exercise(
    name="ch06.gru_step_backward",
    function="gru_step_backward",
    args=("dh_next", "x_t", "h_prev", "W_x", "W_h", "b_x", "b_h"),
    outputs={"dx_t": ("N", "D"), "dh_prev": ("N", "H"), "dW_x": ("D", "3H"), "dW_h": ("H", "3H"),
             "db_x": ("3H",), "db_h": ("3H",)},
    draw=_draw_back,
    reference=ref.gru_step_backward,
    cases=({"N": 3, "D": 4, "H": 5, "3H": 15}, {"N": 4, "D": 2, "H": 3, "3H": 9},
           {"N": 2, "D": 3, "H": 4, "3H": 12}),
    mistakes=(
        Mistake("reset gate's derivative missing the (h_prev W_hn + b_hn) factor",
                "r enters the candidate as r * (h_prev W_hn + b_hn), so dL/da_r = da_n * (h_prev W_hn + b_hn) "
                "* r * (1 - r): recompute that recurrent term and multiply by it.",
                _back_mistake(reset_factor="missing")),
        Mistake("b_hn left out of the reset gate's derivative",
                "The factor multiplying r is the whole term h_prev W_hn + b_hn (b_hn included), so it is "
                "also the factor in dL/da_r.",
                _back_mistake(reset_factor="no_bhn")),
        Mistake("hidden-side candidate gradient not multiplied by r",
                "On the hidden side the candidate's pre-activation receives r * (h_prev W_hn + b_hn): the "
                "gradient reaching h_prev W_hn + b_hn is da_n * r. Use it for the n block of dW_h, db_h "
                "and in dh_prev.",
                _back_mistake(n_r_in_dah=False)),
        Mistake("db_h's candidate block not multiplied by r",
                "db_h is not db_x: b_hn sits inside the reset product, so its gradient is (da_n * r).sum(axis=0), "
                "while b_xn's is da_n.sum(axis=0).",
                _back_mistake(n_r_in_dbh=False)),
        Mistake("direct path z * dh_next missing from dh_prev",
                "h_prev reaches h_next twice: through the gates and candidate (dah @ W_h.T) and directly "
                "through z * h_prev. Add dh_next * z.",
                _back_mistake(direct="none")),
        Mistake("direct path written as (1 - z) * dh_next",
                "h_next = (1 - z) * n + z * h_prev: the direct path to h_prev is multiplied by z, not 1 - z.",
                _back_mistake(direct="1-z")),
        Mistake("sigmoid derivative written as s",
                "The slope of the sigmoid at its output s is s * (1 - s): use r * (1 - r) and z * (1 - z).",
                _back_mistake(sig_prime="s")),
        Mistake("update gate's derivative has the wrong sign",
                "dh_next/dz = h_prev - n (from (1 - z) * n + z * h_prev), not n - h_prev.",
                _back_mistake(z_sign=-1.0)),
        Mistake("tanh derivative written as 1 - n",
                "The slope of tanh at its output n is 1 - n**2: square n.",
                _back_mistake(tanh_prime="1-n")),
        Mistake("tanh derivative missing",
                "n = tanh(a_n), so the gradient at a_n is dL/dn * (1 - n**2).",
                _back_mistake(tanh_prime="1")),
        Mistake("(1 - z) missing from the candidate's gradient",
                "The candidate enters h_next as (1 - z) * n, so dL/dn = dh_next * (1 - z).",
                _back_mistake(one_minus_z=False)),
        Mistake("bias gradients not summed over the batch",
                "Each bias is added to every row of the batch, so its gradient is summed over the rows: "
                "db_x = dax.sum(axis=0), of shape (3H,) (and the same for db_h).",
                _back_mistake(sum_db=False)),
    ),
    forbidden=NO_LIBRARIES,
    formula=_textbook.gru_step_backward,
    gates=("r", "z", "n"),
)

register(STEP_FORWARD, FORWARD, STEP_BACKWARD)
