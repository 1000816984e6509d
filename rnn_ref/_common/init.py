"""Weight initializers for the recurrent layers, drawing from the backend's generator.

Shapes are rnn_ref's (weights multiply from the right): ``W_x (D, G*H)``, ``W_h (H, G*H)``
with G = 1 ("rnn"), 4 ("lstm", gates i f g o) or 3 ("gru", gates r z n). For a 2-d shape
``(fan_in, fan_out)``: torch's weight is the transpose, so the fans are torch's too.

The draws are the backend's (:meth:`uniform`, :meth:`normal` of the backend): NumPy draws
in float64 and casts, torch draws in the target dtype on the generator's device, exactly
what the matching ``torch.nn.init`` function draws on a tensor of the same shape
(``uniform_``, ``xavier_uniform_``, ``orthogonal_``), so they agree to the last bit. A
fixed seed gives a fixed stream: arrays are drawn in the order of the parameter names.
"""

from __future__ import annotations

import math

from . import kinds
from .args import integer, is_real
from .backend import FLOAT64

__all__ = ["uniform_init", "xavier_uniform", "orthogonal", "identity", "init_params", "set_forget_bias"]

SCHEMES = ("torch", "xavier", "irnn")


def _shape(shape, ndim=None) -> tuple:
    try:
        out = tuple(int(s) for s in shape)
    except TypeError:
        raise ValueError(f"shape: expected a tuple of sizes, got {shape!r}") from None
    if any(s < 0 for s in out) or (ndim is not None and len(out) != ndim):
        want = "sizes >= 0" if ndim is None else f"a {ndim}-d shape (rows, cols)"
        raise ValueError(f"shape: expected {want}, got {out}")
    return out


def _positive(name, value) -> float:
    if not is_real(value) or not value > 0:
        raise ValueError(f"{name}: expected a positive number, got {value!r}")
    return float(value)


def uniform_init(B, rng, shape, H, dtype=FLOAT64):
    """``U(-1/sqrt(H), 1/sqrt(H))``, torch.nn's default for RNN/LSTM/GRU weights and biases.

    Args:
        rng: ${Generator}; shape: any shape; H: hidden size (> 0); dtype: float32/64.

    Returns:
        ${array} of ``shape``${placed}.
    """
    bound = 1.0 / math.sqrt(_positive("H", H))
    rng = B.generator(rng, hint=True)
    shape = _shape(shape)
    return B.uniform(rng, -bound, bound, shape, B.float_dtype(dtype))


def xavier_uniform(B, rng, shape, gain=1.0, dtype=FLOAT64):
    """Glorot/Xavier uniform: ``U(-a, a)`` with ``a = gain * sqrt(6 / (fan_in + fan_out))``.

    Args:
        rng: ${Generator}; shape: (fan_in, fan_out); gain: scale; dtype: float32/64.

    Returns:
        ${array} of ``shape``${placed}.
    """
    fan_in, fan_out = _shape(shape, ndim=2)
    bound = float(gain) * math.sqrt(6.0 / max(fan_in + fan_out, 1))
    rng = B.generator(rng, hint=True)
    return B.uniform(rng, -bound, bound, (fan_in, fan_out), B.float_dtype(dtype))


def orthogonal(B, rng, shape, gain=1.0, dtype=FLOAT64):
    """A (semi-)orthogonal matrix, as ``torch.nn.init.orthogonal_``: the Q of the QR
    decomposition of a standard normal matrix, with Q's columns multiplied by the signs of
    R's diagonal (so the result is uniformly distributed), times ``gain``.

    Args:
        rng: ${Generator}; shape: (rows, cols); gain: scale; dtype: float32/64.

    Returns:
        ${array} of ``shape``${placed}: ``Q.T @ Q = gain**2 I`` when rows >= cols, ``Q @ Q.T`` otherwise.
    """
    rows, cols = _shape(shape, ndim=2)
    rng = B.generator(rng, hint=True)
    dtype = B.float_dtype(dtype)
    a = B.normal(rng, (rows, cols), B.compute_dtype(dtype))      # (rows, cols)
    if rows < cols:
        a = a.T                                                 # (cols, rows), tall
    q, r = B.qr(a)                                              # q: (tall, short)
    q *= B.sign(B.diagonal(r))                                  # sign correction per column
    if rows < cols:
        q = q.T                                                 # (rows, cols)
    return B.cast(float(gain) * q, dtype)


def identity(B, shape, scale=1.0, dtype=FLOAT64, device=None):
    """``scale * I`` of ``shape (rows, cols)`` (ones on the main diagonal), IRNN's ``W_hh``."""
    rows, cols = _shape(shape, ndim=2)
    dtype = B.float_dtype(dtype)
    return B.cast(float(scale) * B.eye(rows, cols, B.compute_dtype(dtype), device), dtype)


def set_forget_bias(B, b, H, value=1.0):
    """A copy of the LSTM bias ``b (4H,)`` with the forget-gate slice ``b[H:2H] = value``."""
    b = B.float_array("b", b)
    H = int(H)
    if tuple(b.shape) != (4 * H,):
        raise ValueError(f"b: expected shape (4H,) = ({4 * H},), got {tuple(b.shape)}")
    out = B.copy(b)
    out[H:2 * H] = value
    return out


def init_params(B, kind, D, H, rng, scheme="torch", forget_bias=1.0, dtype=FLOAT64):
    """A fresh parameter dict for one layer of ``kind`` with input size D and hidden size H.

    Schemes:
        "torch": every ${array} ``U(-1/sqrt(H), 1/sqrt(H))`` (torch.nn's default);
        "xavier": ``W_x`` Xavier-uniform over the whole fused ``(D, G*H)`` matrix,
            ``W_h`` orthogonal per gate block ``(H, H)``, biases 0;
        "irnn" ("rnn" only): ``W_hh = I``, ``W_xh ~ N(0, 0.001**2)`` (std 0.001), ``b_h = 0``.
    For "lstm" and a scheme other than "torch", the forget-gate slice ``b[H:2H]`` is
    ``forget_bias``. ${Arrays} are drawn in the order of the parameter names.

    Args:
        kind: "rnn", "lstm" or "gru"; D, H: positive ints; rng: ${Generator};
        scheme: "torch", "xavier" or "irnn"; forget_bias: float; dtype: float32/64.

    Returns:
        dict: RNN {W_xh (D, H), W_hh (H, H), b_h (H,)}, LSTM {W_x (D, 4H), W_h (H, 4H), b (4H,)},
        GRU {W_x (D, 3H), W_h (H, 3H), b_x (3H,), b_h (3H,)}${placed}.
    """
    spec = kinds.get(kind)
    for name, value in (("D", D), ("H", H)):
        integer(name, value, low=1)
    if scheme not in SCHEMES:
        raise ValueError(f"scheme: expected one of {list(SCHEMES)}, got {scheme!r}")
    if scheme == "irnn" and kind != "rnn":
        raise ValueError(f"scheme: 'irnn' is only for kind 'rnn', got kind {kind!r}")
    dtype, rng = B.float_dtype(dtype), B.generator(rng, hint=True)
    G = spec.gates
    w_x, w_h, *biases = spec.names
    if scheme == "torch":
        shapes = {w_x: (D, G * H), w_h: (H, G * H), **{b: (G * H,) for b in biases}}
        return {name: uniform_init(B, rng, shape, H, dtype) for name, shape in shapes.items()}
    device = B.device(rng)
    if scheme == "irnn":
        return {"W_xh": B.normal(rng, (D, H), dtype, std=0.001),
                "W_hh": identity(B, (H, H), dtype=dtype, device=device), "b_h": B.zeros(H, dtype, device)}
    params = {w_x: xavier_uniform(B, rng, (D, G * H), dtype=dtype),
              w_h: B.concat([orthogonal(B, rng, (H, H), dtype=dtype) for _ in range(G)], 1),  # (H, G*H)
              **{b: B.zeros(G * H, dtype, device) for b in biases}}
    if spec.has_cell:
        params["b"] = set_forget_bias(B, params["b"], H, forget_bias)
    return params
