"""Chapter 1, feedforward networks versus recurrent networks: mlp_forward, sliding_windows,
window_mlp_forward.

The references are written here from the plain definitions (the affine maps through
``rnn_ref.numpy.temporal_affine_forward``, the windows by slicing), since ``rnn_ref`` has no
window MLP of its own. Inputs are drawn so that every catalogued mistake gives values, or a
shape, different from the reference and from the other mistakes:

- the first case of each MLP exercise is square (the flattened input size, ``H`` and ``V``
  equal), so that a transposed weight matrix runs and gives wrong values (named) instead of
  raising; the other cases have all sizes distinct, so that a wrong axis shows in the shape;
- weights are scaled by ``1 / sqrt(fan_in)`` and biases are nonzero, so that the tanh is
  neither saturated nor linear and a dropped bias shows;
- windows always have ``k >= 2`` steps of ``D >= 2`` features and ``k < T``, so that feature
  order, time order, the stride and the number of windows all matter.

The window MLP's catalogue contains every mistake of the two exercises it is built from, so
that a student who reuses a wrong ``mlp_forward`` or ``sliding_windows`` is told which one.
"""

from __future__ import annotations

import numpy as np

from rnn_ref.numpy.layers import temporal_affine_forward

from ._math import sigmoid
from ..exercise import Exercise, Mistake
from ..registry import register
from . import _textbook


# -- the references ----------------------------------------------------------------------

def _affine(x, W, b):
    """x @ W + b for x of shape (..., D), through the reference's temporal affine layer."""
    lead = x.shape[:-1]
    return temporal_affine_forward(x.reshape(1, -1, x.shape[-1]), W, b).reshape(*lead, W.shape[1])


def _mlp(x, W1, b1, W2, b2):
    return _affine(np.tanh(_affine(x, W1, b1)), W2, b2)


def _windows(x, k):
    k = int(k)
    N, T, D = x.shape
    return np.stack([x[:, t:t + k].reshape(N, k * D) for t in range(T - k + 1)], axis=1)


# -- mlp_forward ---------------------------------------------------------------------------

def _mlp_variant(*, drop_b1=False, drop_b2=False, act=np.tanh, out_tanh=False, W1_T=False,
                 W2_T=False, b1_after=False):
    """The MLP with one knob per catalogued mistake; None where a transpose cannot run."""
    def forward(x, W1, b1, W2, b2):
        if (W1_T and W1.shape[0] != W1.shape[1]) or (W2_T and W2.shape[0] != W2.shape[1]):
            return None
        W1 = W1.T if W1_T else W1
        W2 = W2.T if W2_T else W2
        b1 = np.zeros_like(b1) if drop_b1 else b1
        b2 = np.zeros_like(b2) if drop_b2 else b2
        hidden = act(x @ W1) + b1 if b1_after else act(x @ W1 + b1)
        y = hidden @ W2 + b2
        return np.tanh(y) if out_tanh else y
    return forward


#: (name, hint, knobs), shared by mlp_forward and window_mlp_forward
_MLP_MISTAKES = (
    ("hidden bias b1 dropped", "The hidden layer is tanh(x W1 + b1): did you forget b1?", dict(drop_b1=True)),
    ("output bias b2 dropped", "The output layer is hidden W2 + b2: did you forget b2?", dict(drop_b2=True)),
    ("no nonlinearity", "Apply np.tanh to the hidden pre-activation x W1 + b1; without it the two "
     "layers collapse into one affine map.", dict(act=lambda a: a)),
    ("sigmoid instead of tanh", "The hidden layer squashes with np.tanh, not a sigmoid.", dict(act=sigmoid)),
    ("ReLU instead of tanh", "The hidden layer squashes with np.tanh, not a ReLU.",
     dict(act=lambda a: np.maximum(a, 0))),
    ("tanh on the output", "The output layer is affine, y = hidden W2 + b2: it returns raw scores, "
     "with no tanh.", dict(out_tanh=True)),
    ("W1 transposed", "Use x @ W1 with W1 of shape (D, H) (row vectors times the matrix), not W1.T.",
     dict(W1_T=True)),
    ("W2 transposed", "Use hidden @ W2 with W2 of shape (H, V), not W2.T.", dict(W2_T=True)),
    ("b1 added after tanh", "b1 belongs inside the tanh: tanh(x W1 + b1), not tanh(x W1) + b1.",
     dict(b1_after=True)),
)


def _draw_mlp_params(rng, D, H, V):
    return dict(
        W1=rng.standard_normal((D, H)) / np.sqrt(D),
        b1=rng.standard_normal(H) * 0.5 + rng.choice([-1.0, 1.0], H) * 0.3,
        W2=rng.standard_normal((H, V)) / np.sqrt(H),
        b2=rng.standard_normal(V) + rng.choice([-1.0, 1.0], V) * 0.3,
    )


def _draw_mlp(rng, s):
    return dict(x=rng.standard_normal((s["N"], s["D"])), **_draw_mlp_params(rng, s["D"], s["H"], s["V"]))


def _one(fn):
    """Wrap a single-output computation as the tuple a Mistake returns (None stays None)."""
    def wrapped(*args, **kw):
        out = fn(*args, **kw)
        return None if out is None else (out,)
    return wrapped


MLP = Exercise(
    name="ch01.mlp_forward",
    function="mlp_forward",
    args=("x", "W1", "b1", "W2", "b2"),
    outputs={"y": ("N", "V")},
    draw=_draw_mlp,
    reference=lambda x, W1, b1, W2, b2: (_mlp(x, W1, b1, W2, b2),),
    # square first: a transposed W1 or W2 gives wrong values (named) before a shape error
    cases=({"N": 3, "D": 4, "H": 4, "V": 4}, {"N": 5, "D": 3, "H": 6, "V": 2},
           {"N": 1, "D": 7, "H": 2, "V": 3}),
    mistakes=tuple(Mistake(n, h, _one(_mlp_variant(**kn))) for n, h, kn in _MLP_MISTAKES),
    formula=_textbook.mlp_forward,
)


# -- sliding_windows -----------------------------------------------------------------------

def _windows_variant(*, interleaved=False, newest_first=False, too_few=False, stride_k=False,
                     zero_padded=False, merged=False):
    """Windows with one knob per catalogued mistake."""
    def windows(x, k):
        k = int(k)
        N, T, D = x.shape
        if zero_padded:                       # one window per step, ending at that step
            x = np.concatenate([np.zeros((N, k - 1, D)), x], axis=1)
        T_x = x.shape[1]
        starts = range(0, T_x - k + 1, k) if stride_k else range(T_x - k + (0 if too_few else 1))
        out = []
        for t in starts:
            block = x[:, t:t + k]             # (N, k, D)
            if newest_first:
                block = block[:, ::-1]
            if interleaved:
                block = block.transpose(0, 2, 1)   # (N, D, k)
            out.append(block.reshape(N, k * D))
        w = np.stack(out, axis=1)             # (N, windows, k*D)
        return w.reshape(-1, k * D) if merged else w
    return windows


_WINDOW_MISTAKES = (
    ("features interleaved (flattened as (D, k) instead of (k, D))",
     "Keep each step's D features together: the window is x[:, t], then x[:, t+1], ..., so "
     "x[:, t:t+k] (shape (N, k, D)) reshaped to (N, k*D) without transposing.", dict(interleaved=True)),
    ("newest step first", "Order each window oldest first: x[:, t], x[:, t+1], ..., x[:, t+k-1].",
     dict(newest_first=True)),
    ("one window too few", "There are T - k + 1 windows: the last one starts at t = T - k "
     "(range(T - k + 1), not range(T - k)).", dict(too_few=True)),
    ("windows not overlapping (stride k)", "Windows start at every step t = 0, 1, ..., T - k and "
     "overlap; they do not jump by k.", dict(stride_k=True)),
    ("one window per step, zero-padded at the start",
     "Only full windows count: windows[:, t] starts at step t, and there are T - k + 1 of them, "
     "with no padding.", dict(zero_padded=True)),
    ("batch and window axes merged", "Return one row of windows per sequence, shape "
     "(N, T - k + 1, k*D), not (N*(T - k + 1), k*D).", dict(merged=True)),
)


def _draw_windows(rng, s):
    return dict(x=rng.standard_normal((s["N"], s["T"], s["D"])), k=np.array(s["k"]))


def _window_case(N, T, D, k, **more):
    return {"N": N, "T": T, "D": D, "k": k, "W": T - k + 1, "KD": k * D, **more}


WINDOWS = Exercise(
    name="ch01.sliding_windows",
    function="sliding_windows",
    args=("x", "k"),
    outputs={"windows": ("N", "W", "KD")},
    draw=_draw_windows,
    reference=lambda x, k: (_windows(x, k),),
    cases=(_window_case(2, 7, 3, 3), _window_case(3, 6, 2, 4), _window_case(1, 5, 4, 2)),
    mistakes=tuple(Mistake(n, h, _one(_windows_variant(**kn))) for n, h, kn in _WINDOW_MISTAKES),
    formula=_textbook.sliding_windows,
)


# -- window_mlp_forward --------------------------------------------------------------------

def _draw_window_mlp(rng, s):
    D, k = s["D"], s["k"]
    return dict(x=rng.standard_normal((s["N"], s["T"], D)), k=np.array(k),
                **_draw_mlp_params(rng, k * D, s["H"], s["V"]))


def _window_mlp_variant(windows=_windows, mlp=_mlp, last_only=False):
    def forward(x, k, W1, b1, W2, b2):
        w = windows(x, k)
        if last_only:
            w = w[:, -1]
        return mlp(w, W1, b1, W2, b2)
    return forward


WINDOW_MLP = Exercise(
    name="ch01.window_mlp_forward",
    function="window_mlp_forward",
    args=("x", "k", "W1", "b1", "W2", "b2"),
    outputs={"y": ("N", "W", "V")},
    draw=_draw_window_mlp,
    reference=lambda x, k, W1, b1, W2, b2: (_mlp(_windows(x, k), W1, b1, W2, b2),),
    # square first (k*D = H = V = 6), then all sizes distinct
    cases=(_window_case(2, 6, 2, 3, H=6, V=6), _window_case(3, 7, 3, 2, H=5, V=4),
           _window_case(1, 5, 2, 4, H=3, V=2)),
    mistakes=(
        tuple(Mistake(n, "Your mlp_forward has a mistake. " + h,
                      _one(_window_mlp_variant(mlp=_mlp_variant(**kn)))) for n, h, kn in _MLP_MISTAKES)
        + tuple(Mistake(n, "Your sliding_windows has a mistake. " + h,
                        _one(_window_mlp_variant(windows=_windows_variant(**kn)))) for n, h, kn in _WINDOW_MISTAKES)
        + (Mistake("MLP applied to the last window only",
                   "Apply the MLP to every window, windows[:, t] for t = 0, ..., T - k, and return all "
                   "the outputs, shape (N, T - k + 1, V).",
                   _one(_window_mlp_variant(last_only=True))),
           Mistake("MLP applied to the first window only",
                   "Apply the MLP to every window, windows[:, t] for t = 0, ..., T - k, and return all "
                   "the outputs, shape (N, T - k + 1, V).",
                   _one(_window_mlp_variant(windows=lambda x, k: _windows(x, k)[:, :1], last_only=True))))
    ),
    formula=_textbook.window_mlp_forward,
    depends_on=("sliding_windows", "mlp_forward"),
)

register(MLP, WINDOWS, WINDOW_MLP)
