"""Chapter 4, vanishing and exploding gradients: backprop_to_each_step, spectral_scale,
clip_grad_norm.

Inputs are drawn so that every catalogued mistake gives values different from the
reference (and from the other mistakes), so that a wrong answer can be named:

- ``backprop_to_each_step``: the states ``h`` come from a real tanh forward pass with
  weights scaled so that tanh stays in its curved range (redrawn until ``|h| < 0.98``); ``W_hh`` is a random
  (non-symmetric) matrix and ``N != H``; the case with ``T = 1``, where most mistakes
  coincide with the reference, comes last.
- ``spectral_scale``: ``W`` is a random non-normal matrix built from a known spectrum
  (a dominant complex pair with a negative real part, a smaller pair with a positive
  real part), so that the largest singular value, the largest real part, the modulus
  of the eigenvalue with the largest real part, ... all differ from the spectral
  radius; the radius and ``rho`` are far from 1, and the draw is repeated until every
  wrong scale of the catalogue differs from the right one and from the others by 5 %.
- ``clip_grad_norm``: the first and last cases are above the threshold (``max_norm``
  between 2 and 5, with some entries larger than ``max_norm`` so that clipping by value
  changes them, and every array's own norm above ``max_norm``), the middle case is below it (``max_norm`` between 6 and 12 and at least
  1.3 times the total norm, which is itself above ``sqrt(max_norm)``, so that a squared
  norm would clip). ``max_norm`` is a 0-d array. A fourth case is the first one scaled by
  1e-5 (total norm about 1e-4): there the 1e-6 in ``max_norm / (total + 1e-6)`` changes the
  factor by about 1 %, so an answer that drops it fails.
"""

from __future__ import annotations

import numpy as np

from rnn_ref import numpy as ref

from ..exercise import NO_LIBRARIES, Exercise, Mistake
from ..registry import register
from . import _textbook



# -- backprop_to_each_step ----------------------------------------------------------------

def _draw_backprop(rng, s):
    N, T, H, D = s["N"], s["T"], s["H"], 3
    while True:  # redraw until no unit saturates (|h| < 0.98: every slope 1 - h**2 > 0.04)
        x = rng.standard_normal((N, T, D))
        W_xh = rng.standard_normal((D, H)) * 0.7 / np.sqrt(D)
        W_hh = rng.standard_normal((H, H)) * rng.uniform(0.7, 1.2) / np.sqrt(H)
        b_h = rng.standard_normal(H) * 0.2
        h0 = rng.uniform(-0.5, 0.5, (N, H))
        h = np.array(ref.rnn_forward(x, h0, W_xh, W_hh, b_h))            # (N, T, H)
        if np.abs(h).max() < 0.98:
            return dict(dh_last=rng.standard_normal((N, H)), h=h, W_hh=W_hh)


def _backprop_reference(dh_last, h, W_hh):
    """dL/dh_t for every t: ``rnn_ref``'s step backward applied from the last state down,
    each step sending its ``dh_prev`` to the state before it (the input path is left out:
    a zero-width input, so that only the recurrence carries the gradient)."""
    N, T, H = h.shape
    out = np.empty((N, T, H))                                            # (N, T, H)
    out[:, -1] = dh_last
    no_input, no_weights = np.zeros((N, 0)), np.zeros((0, H))
    for t in range(T - 1, 0, -1):                                        # out[:, t-1]: (N, H)
        out[:, t - 1] = ref.rnn_step_backward(out[:, t], no_input, h[:, t - 1], h[:, t], no_weights, W_hh)[1]
    return (out,)


def _walk(dh_last, h, W_hh, step, store=lambda g, h, t: g, shift=False, extra=None):
    """A backward loop from the last step with a pluggable step ``g -> dL/dh_{t-1}``.

    ``store`` says what is written at step t, ``shift=True`` writes the gradient for
    h_{t-1} at index t, ``extra`` is added to every carried gradient."""
    N, T, H = h.shape
    out = np.empty((N, T, H))
    g = dh_last
    for t in range(T - 1, -1, -1):               # g: (N, H), dL/dh_t
        new = step(g, h, t, W_hh)                 # (N, H), dL/dh_{t-1}
        if extra is not None:
            new = new + extra
        out[:, t] = new if shift else store(g, h, t)
        g = new
    return (out,)


def _step(g, h, t, W):
    return (g * (1 - h[:, t] ** 2)) @ W.T


def _walker(step=_step, store=lambda g, h, t: g, shift=False, add_upstream=False):
    return lambda dh_last, h, W_hh: _walk(dh_last, h, W_hh, step, store, shift,
                                          dh_last if add_upstream else None)


BACKPROP = Exercise(
    name="ch04.backprop_to_each_step",
    function="backprop_to_each_step",
    args=("dh_last", "h", "W_hh"),
    outputs={"dh_steps": ("N", "T", "H")},
    draw=_draw_backprop,
    reference=_backprop_reference,
    cases=({"N": 3, "T": 6, "H": 4}, {"N": 2, "T": 8, "H": 5}, {"N": 4, "T": 1, "H": 3}),
    mistakes=(
        Mistake("tanh' written as 1 - h",
                "The slope of tanh at the state h_t is 1 - h_t**2 (squared), not 1 - h_t.",
                _walker(step=lambda g, h, t, W: (g * (1 - h[:, t])) @ W.T)),
        Mistake("tanh' taken at h[:, t-1]",
                "The Jacobian of step t uses the state that step produced: multiply dh_steps[:, t] by "
                "1 - h[:, t]**2, then by W_hh.T, to get dh_steps[:, t-1].",
                _walker(step=lambda g, h, t, W: (g * (1 - h[:, t - 1] ** 2)) @ W.T)),
        Mistake("tanh' applied after the product",
                "Multiply by tanh' first, then by W_hh.T: dh_steps[:, t-1] = (dh_steps[:, t] * (1 - h[:, t]**2)) "
                "@ W_hh.T. Applying 1 - h[:, t-1]**2 after the product gives the gradient at the "
                "pre-activation of step t-1, not at the state h[:, t-1].",
                _walker(step=lambda g, h, t, W: (g @ W.T) * (1 - h[:, t - 1] ** 2))),
        Mistake("W_hh not transposed",
                "Going backwards through h_{t-1} @ W_hh multiplies the gradient by W_hh.T, not W_hh.",
                _walker(step=lambda g, h, t, W: (g * (1 - h[:, t] ** 2)) @ W)),
        Mistake("tanh' missing",
                "Each step back passes through the tanh: multiply by 1 - h[:, t]**2 before the product with W_hh.T.",
                _walker(step=lambda g, h, t, W: g @ W.T)),
        Mistake("tanh applied to the states again",
                "h already holds tanh of the pre-activation: the slope is 1 - h**2, not 1 - tanh(h)**2.",
                _walker(step=lambda g, h, t, W: (g * (1 - np.tanh(h[:, t]) ** 2)) @ W.T)),
        Mistake("off by one: the last step is not dh_last",
                "dh_steps[:, T-1] is dh_last itself; go one step back (tanh', then W_hh.T) only to reach "
                "dh_steps[:, T-2] and earlier.",
                _walker(shift=True)),
        Mistake("pre-activation gradient stored",
                "dh_steps[:, t] is the gradient at the state h[:, t]; you stored it already multiplied by "
                "1 - h[:, t]**2 (the gradient at the pre-activation).",
                _walker(store=lambda g, h, t: g * (1 - h[:, t] ** 2))),
        Mistake("upstream gradient added at every step",
                "Only the final state receives a gradient from the loss: add nothing at the earlier steps.",
                _walker(add_upstream=True)),
        Mistake("time axis reversed",
                "dh_steps[:, T-1] (the last index) is dh_last, and earlier steps have smaller indices.",
                lambda dh_last, h, W_hh: (_backprop_reference(dh_last, h, W_hh)[0][:, ::-1],)),
    ),
    forbidden=NO_LIBRARIES,
    formula=_textbook.backprop_to_each_step,
)


# -- spectral_scale -----------------------------------------------------------------------

def _eig(W):
    return np.linalg.eigvals(W)


#: wrong "spectral radii" students compute, by mistake name
_WRONG_RADII = {
    "largest singular value instead of spectral radius": lambda W: np.linalg.norm(W, 2),
    "squared singular value (eigenvalues of W.T @ W)": lambda W: np.linalg.norm(W, 2) ** 2,
    "Frobenius norm instead of spectral radius": lambda W: np.linalg.norm(W),
    "eigvalsh on a non-symmetric matrix": lambda W: np.abs(np.linalg.eigvalsh(W)).max(),
    "max taken before abs": lambda W: np.abs(_eig(W)[np.argmax(_eig(W).real)]),
    "largest real part instead of largest modulus": lambda W: _eig(W).real.max(),
    "real parts only": lambda W: np.abs(_eig(W).real).max(),
    "mean |eigenvalue| instead of the largest": lambda W: np.abs(_eig(W)).mean(),
}

_RADIUS_HINTS = {
    "largest singular value instead of spectral radius":
        "np.linalg.norm(W, 2) is the largest singular value; the spectral radius is the largest "
        "|eigenvalue|, np.abs(np.linalg.eigvals(W)).max(). They agree only for normal matrices.",
    "squared singular value (eigenvalues of W.T @ W)":
        "The eigenvalues of W.T @ W are squared singular values, not eigenvalues of W: use np.linalg.eigvals(W).",
    "Frobenius norm instead of spectral radius":
        "np.linalg.norm(W) is the Frobenius norm; the spectral radius is np.abs(np.linalg.eigvals(W)).max().",
    "eigvalsh on a non-symmetric matrix":
        "np.linalg.eigvalsh assumes a symmetric matrix and reads only one triangle; W_hh is not symmetric: "
        "use np.linalg.eigvals.",
    "max taken before abs":
        "np.max on complex eigenvalues picks the largest real part; take the modulus first: "
        "np.abs(eigenvalues).max().",
    "largest real part instead of largest modulus":
        "Eigenvalues of a non-symmetric matrix are complex: the spectral radius is the largest modulus "
        "np.abs(eigenvalues).max(), not the largest real part.",
    "real parts only":
        "Eigenvalues of a non-symmetric matrix are complex: use their modulus np.abs(eigenvalues), "
        "not np.abs(eigenvalues.real).",
    "mean |eigenvalue| instead of the largest":
        "The spectral radius is the largest |eigenvalue|, not the mean.",
}


def _rotation(modulus, angle):
    """The real 2x2 block whose eigenvalues are modulus * exp(+-i angle)."""
    c, s = modulus * np.cos(angle), modulus * np.sin(angle)
    return np.array([[c, -s], [s, c]])


def _draw_spectral(rng, s):
    """A non-normal W = V B V^-1 with a known spectrum: a dominant complex pair with a
    negative real part (modulus r), a second pair with a positive real part (modulus
    0.45 r to 0.6 r) and small eigenvalues; V has singular values from 0.5 to 2."""
    H = s["H"]
    while True:  # redraw until every catalogued mistake gives a clearly different answer
        r = rng.uniform(0.4, 0.8) if rng.random() < 0.5 else rng.uniform(1.3, 2.5)
        B = np.zeros((H, H))
        B[:2, :2] = _rotation(r, rng.uniform(0.75, 0.85) * np.pi)
        B[2:4, 2:4] = _rotation(r * rng.uniform(0.45, 0.6), rng.uniform(0.25, 0.4) * np.pi)
        B[4:, 4:] = np.diag(r * rng.uniform(-0.3, 0.3, H - 4))
        Q1, _ = np.linalg.qr(rng.standard_normal((H, H)))
        Q2, _ = np.linalg.qr(rng.standard_normal((H, H)))
        V = Q1 * rng.uniform(0.5, 2.0, H) @ Q2                        # (H, H)
        W = V @ B @ np.linalg.inv(V)                                   # (H, H), eigenvalues of B
        rho = rng.uniform(0.3, 0.7) if rng.random() < 0.5 else rng.uniform(1.4, 2.5)
        radii = [np.abs(_eig(W)).max()] + [f(W) for f in _WRONG_RADII.values()]
        scales = [rho / q for q in radii] + [1 / radii[0], rho, 1 / (rho * radii[0])]
        if all(abs(a - b) > 0.05 * max(abs(a), abs(b)) for i, a in enumerate(scales) for b in scales[i + 1:]):
            return dict(W=W, rho=np.array(rho))


def _spectral_reference(W, rho):
    return (W * (float(rho) / np.abs(np.linalg.eigvals(W)).max()),)


def _scaled_by(radius):
    return lambda W, rho: (W * (float(rho) / radius(W)),)


SPECTRAL = Exercise(
    name="ch04.spectral_scale",
    function="spectral_scale",
    args=("W", "rho"),
    outputs={"W_scaled": ("H", "H")},
    draw=_draw_spectral,
    reference=_spectral_reference,
    cases=({"H": 5}, {"H": 8}, {"H": 4}),
    mistakes=tuple(Mistake(name, _RADIUS_HINTS[name], _scaled_by(f)) for name, f in _WRONG_RADII.items()) + (
        Mistake("target radius ignored",
                "Dividing by the spectral radius gives radius 1; multiply by rho to reach the target.",
                lambda W, rho: (W / np.abs(_eig(W)).max(),)),
        Mistake("multiplied by rho without normalising",
                "First divide W by its own spectral radius (its radius becomes 1), then multiply by rho.",
                lambda W, rho: (W * float(rho),)),
        Mistake("divided by rho",
                "The spectral radius scales linearly with the matrix: W * (rho / radius) has radius rho; "
                "W / (rho * radius) has radius 1 / rho.",
                lambda W, rho: (W / (float(rho) * np.abs(_eig(W)).max()),)),
    ),
    forbidden=NO_LIBRARIES,
    formula=_textbook.spectral_scale,
)


# -- clip_grad_norm -----------------------------------------------------------------------

def _norms(*grads):
    return [float(np.sqrt(np.sum(g ** 2))) for g in grads]


def _draw_clip(rng, s):
    D, H = s["D"], s["H"]
    while True:
        raw = [rng.standard_normal(shape) * rng.uniform(0.5, 3.0) for shape in ((D, H), (H, H), (H,))]
        total = float(np.sqrt(sum(np.sum(g ** 2) for g in raw)))
        if s["above"]:
            max_norm = rng.uniform(2.0, 5.0)
            target = max_norm / rng.uniform(0.1, 0.25)           # total norm 4 to 10 times max_norm
        else:
            max_norm = rng.uniform(6.0, 12.0)
            target = max_norm / rng.uniform(1.3, 2.0)            # below max_norm, above sqrt(max_norm)
        grads = [g * (target / total) for g in raw]
        biggest = max(float(np.abs(g).max()) for g in grads)
        # above the threshold, clipping by value must change something, and clipping each
        # array by its own norm must change all three
        if not s["above"] or (biggest > 1.2 * max_norm and min(_norms(*grads)) > 1.2 * max_norm):
            scale = s.get("scale", 1.0)       # a tiny case: the 1e-6 in the factor changes it by about 1 %
            return dict(dW_xh=grads[0] * scale, dW_hh=grads[1] * scale, db_h=grads[2] * scale,
                        max_norm=np.array(max_norm * scale))


def _clip_reference(dW_xh, dW_hh, db_h, max_norm):
    clipped, _ = ref.clip_grad_norm([dW_xh, dW_hh, db_h], float(max_norm))
    return tuple(clipped)


def _coef(total, max_norm):
    return min(1.0, float(max_norm) / (total + 1e-6))


def _clip_with_total(total_fn):
    def compute(dW_xh, dW_hh, db_h, max_norm):
        c = _coef(total_fn(dW_xh, dW_hh, db_h), max_norm)
        return dW_xh * c, dW_hh * c, db_h * c
    return compute


def _global(dW_xh, dW_hh, db_h):
    return float(np.sqrt(sum(n ** 2 for n in _norms(dW_xh, dW_hh, db_h))))


def _each_own_norm(dW_xh, dW_hh, db_h, max_norm):
    return tuple(g * _coef(n, max_norm) for g, n in zip((dW_xh, dW_hh, db_h), _norms(dW_xh, dW_hh, db_h)))


def _always(dW_xh, dW_hh, db_h, max_norm):
    c = float(max_norm) / (_global(dW_xh, dW_hh, db_h) + 1e-6)
    return dW_xh * c, dW_hh * c, db_h * c


def _unit(dW_xh, dW_hh, db_h, max_norm):
    total = _global(dW_xh, dW_hh, db_h)
    c = 1.0 / total if total > float(max_norm) else 1.0
    return dW_xh * c, dW_hh * c, db_h * c


CLIP = Exercise(
    name="ch04.clip_grad_norm",
    function="clip_grad_norm",
    args=("dW_xh", "dW_hh", "db_h", "max_norm"),
    outputs={"dW_xh": ("D", "H"), "dW_hh": ("H", "H"), "db_h": ("H",)},
    draw=_draw_clip,
    reference=_clip_reference,
    # above the threshold, below it, above again; D != H so that swapped outputs show in the shapes
    cases=({"D": 3, "H": 5, "above": 1}, {"D": 4, "H": 3, "above": 0}, {"D": 2, "H": 6, "above": 1},
           {"D": 3, "H": 4, "above": 1, "scale": 1e-5}),
    mistakes=(
        Mistake("clipped by value instead of by norm",
                "Clipping each entry to [-max_norm, max_norm] changes the gradient's direction; scale all "
                "three arrays by the same factor max_norm / (total_norm + 1e-6) instead.",
                lambda dW_xh, dW_hh, db_h, max_norm: tuple(np.clip(g, -float(max_norm), float(max_norm))
                                                           for g in (dW_xh, dW_hh, db_h))),
        Mistake("a separate norm for each array",
                "Use one global norm, the square root of the sum of the squares of all entries of all three "
                "arrays, and one factor for all of them: clipping each array by its own norm changes the direction.",
                _each_own_norm),
        Mistake("always rescaled to max_norm",
                "Scale only when the total norm exceeds max_norm; below it, return the gradients unchanged.",
                _always),
        Mistake("norm not square-rooted",
                "The total norm is the square root of the sum of squares; you compared and divided by the sum "
                "of squares itself.",
                _clip_with_total(lambda *g: _global(*g) ** 2)),
        Mistake("total norm as the sum of the arrays' norms",
                "The global norm is sqrt(|dW_xh|^2 + |dW_hh|^2 + |db_h|^2), not |dW_xh| + |dW_hh| + |db_h|.",
                _clip_with_total(lambda *g: sum(_norms(*g)))),
        Mistake("max_norm factor missing",
                "Dividing by the total norm gives norm 1; multiply by max_norm as well: "
                "factor = max_norm / (total_norm + 1e-6).",
                _unit),
        Mistake("only dW_hh clipped",
                "Every gradient is scaled, not only the recurrent one: dW_xh and db_h get the same factor.",
                lambda dW_xh, dW_hh, db_h, max_norm: (dW_xh, dW_hh * _coef(_global(dW_xh, dW_hh, db_h), max_norm), db_h)),
        Mistake("only dW_hh clipped",
                "Every gradient is scaled, not only the recurrent one, and by the global norm of all three.",
                lambda dW_xh, dW_hh, db_h, max_norm: (dW_xh, dW_hh * _coef(_norms(dW_hh)[0], max_norm), db_h)),
        Mistake("gradients returned unchanged",
                "When the total norm exceeds max_norm, multiply every array by max_norm / (total_norm + 1e-6) "
                "(check the direction of your comparison).",
                lambda dW_xh, dW_hh, db_h, max_norm: (dW_xh, dW_hh, db_h)),
    ),
    forbidden=NO_LIBRARIES,
    formula=_textbook.clip_grad_norm,
)

register(BACKPROP, SPECTRAL, CLIP)
