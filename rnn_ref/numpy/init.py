"""Weight initializers for the recurrent layers, with a ``np.random.Generator``.

Shapes are rnn_ref's (weights multiply from the right): ``W_x (D, G*H)``, ``W_h (H, G*H)``
with G = 1 ("rnn"), 4 ("lstm", gates i f g o) or 3 ("gru", gates r z n). For a 2-d shape
``(fan_in, fan_out)``: torch's weight is the transpose, so the fans are torch's too.
"""

from __future__ import annotations

import numbers

import numpy as np

from . import _kinds

__all__ = ["uniform_init", "xavier_uniform", "orthogonal", "identity", "init_params", "set_forget_bias"]

SCHEMES = ("torch", "xavier", "irnn")


def _dtype(dtype) -> np.dtype:
    dt = np.dtype(dtype)
    if dt not in (np.float32, np.float64):
        raise ValueError(f"dtype: expected float32 or float64, got {dt}")
    return dt


def _rng(rng) -> np.random.Generator:
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng: expected a numpy.random.Generator (np.random.default_rng(seed)), "
                         f"got {type(rng).__name__}")
    return rng


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
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real) or not value > 0:
        raise ValueError(f"{name}: expected a positive number, got {value!r}")
    return float(value)


def uniform_init(rng, shape, H, dtype=np.float64):
    """``U(-1/sqrt(H), 1/sqrt(H))``, torch.nn's default for RNN/LSTM/GRU weights and biases.

    Args:
        rng: np.random.Generator; shape: any shape; H: hidden size (> 0); dtype: float32/64.

    Returns:
        array of ``shape``.
    """
    bound = 1.0 / np.sqrt(_positive("H", H))
    return _rng(rng).uniform(-bound, bound, size=_shape(shape)).astype(_dtype(dtype))


def xavier_uniform(rng, shape, gain=1.0, dtype=np.float64):
    """Glorot/Xavier uniform: ``U(-a, a)`` with ``a = gain * sqrt(6 / (fan_in + fan_out))``.

    Args:
        rng: np.random.Generator; shape: (fan_in, fan_out); gain: scale; dtype: float32/64.

    Returns:
        array of ``shape``.
    """
    fan_in, fan_out = _shape(shape, ndim=2)
    bound = float(gain) * np.sqrt(6.0 / max(fan_in + fan_out, 1))
    return _rng(rng).uniform(-bound, bound, size=(fan_in, fan_out)).astype(_dtype(dtype))


def orthogonal(rng, shape, gain=1.0, dtype=np.float64):
    """A (semi-)orthogonal matrix, as ``torch.nn.init.orthogonal_``: the Q of the QR
    decomposition of a standard normal matrix, with Q's columns multiplied by the signs of
    R's diagonal (so the result is uniformly distributed), times ``gain``.

    Args:
        rng: np.random.Generator; shape: (rows, cols); gain: scale; dtype: float32/64.

    Returns:
        array of ``shape``: ``Q.T @ Q = gain**2 I`` when rows >= cols, ``Q @ Q.T`` otherwise.
    """
    rows, cols = _shape(shape, ndim=2)
    a = _rng(rng).standard_normal((rows, cols))                 # (rows, cols)
    if rows < cols:
        a = a.T                                                 # (cols, rows), tall
    q, r = np.linalg.qr(a)                                      # q: (tall, short)
    q *= np.sign(np.diag(r))                                    # sign correction per column
    if rows < cols:
        q = q.T                                                 # (rows, cols)
    return (float(gain) * q).astype(_dtype(dtype))


def identity(shape, scale=1.0, dtype=np.float64):
    """``scale * I`` of ``shape (rows, cols)`` (ones on the main diagonal), IRNN's ``W_hh``."""
    rows, cols = _shape(shape, ndim=2)
    return (float(scale) * np.eye(rows, cols)).astype(_dtype(dtype))


def set_forget_bias(b, H, value=1.0):
    """A copy of the LSTM bias ``b (4H,)`` with the forget-gate slice ``b[H:2H] = value``."""
    b = np.asarray(b)
    if b.dtype not in (np.float32, np.float64):
        raise ValueError(f"b: expected a float32 or float64 array, got dtype {b.dtype}")
    H = int(H)
    if b.shape != (4 * H,):
        raise ValueError(f"b: expected shape (4H,) = ({4 * H},), got {b.shape}")
    out = b.copy()
    out[H:2 * H] = value
    return out


def init_params(kind, D, H, rng, scheme="torch", forget_bias=1.0, dtype=np.float64):
    """A fresh parameter dict for one layer of ``kind`` with input size D and hidden size H.

    Schemes:
        "torch": every array ``U(-1/sqrt(H), 1/sqrt(H))`` (torch.nn's default);
        "xavier": ``W_x`` Xavier-uniform over the whole fused ``(D, G*H)`` matrix,
            ``W_h`` orthogonal per gate block ``(H, H)``, biases 0;
        "irnn" ("rnn" only): ``W_hh = I``, ``W_xh ~ N(0, 0.001**2)`` (std 0.001), ``b_h = 0``.
    For "lstm" and a scheme other than "torch", the forget-gate slice ``b[H:2H]`` is
    ``forget_bias``.

    Args:
        kind: "rnn", "lstm" or "gru"; D, H: positive ints; rng: np.random.Generator;
        scheme: "torch", "xavier" or "irnn"; forget_bias: float; dtype: float32/64.

    Returns:
        dict: RNN {W_xh (D, H), W_hh (H, H), b_h (H,)}, LSTM {W_x (D, 4H), W_h (H, 4H), b (4H,)},
        GRU {W_x (D, 3H), W_h (H, 3H), b_x (3H,), b_h (3H,)}.
    """
    spec = _kinds.get(kind)
    for name, value in (("D", D), ("H", H)):
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral) or value < 1:
            raise ValueError(f"{name}: expected a positive integer, got {value!r}")
    if scheme not in SCHEMES:
        raise ValueError(f"scheme: expected one of {list(SCHEMES)}, got {scheme!r}")
    if scheme == "irnn" and kind != "rnn":
        raise ValueError(f"scheme: 'irnn' is only for kind 'rnn', got kind {kind!r}")
    dtype, rng = _dtype(dtype), _rng(rng)
    G = spec.gates
    w_x, w_h, *biases = spec.names
    if scheme == "torch":
        shapes = {w_x: (D, G * H), w_h: (H, G * H), **{b: (G * H,) for b in biases}}
        return {name: uniform_init(rng, shape, H, dtype) for name, shape in shapes.items()}
    if scheme == "irnn":
        return {"W_xh": rng.normal(0.0, 0.001, size=(D, H)).astype(dtype),
                "W_hh": identity((H, H), dtype=dtype), "b_h": np.zeros(H, dtype=dtype)}
    params = {w_x: xavier_uniform(rng, (D, G * H), dtype=dtype),
              w_h: np.concatenate([orthogonal(rng, (H, H), dtype=dtype) for _ in range(G)], axis=1),  # (H, G*H)
              **{b: np.zeros(G * H, dtype=dtype) for b in biases}}
    if spec.has_cell:
        params["b"] = set_forget_bias(params["b"], H, forget_bias)
    return params
