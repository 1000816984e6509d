"""Weight initializers for the recurrent layers, with a ``torch.Generator``.

The same functions and argument order as :mod:`rnn_ref.numpy.init`; ``rng`` is a
``torch.Generator`` and the tensors are made on its device. Shapes are rnn_ref's (weights
multiply from the right): ``W_x (D, G*H)``, ``W_h (H, G*H)``; for a 2-d shape
``(fan_in, fan_out)`` torch's weight is the transpose, so the fans are torch's too. Each
function draws exactly what the matching ``torch.nn.init`` function draws on a tensor of the
same shape with the same generator (``uniform_``, ``xavier_uniform_``, ``orthogonal_``),
so they agree to the last bit.
"""

from __future__ import annotations

import math
import numbers

import torch

from ._kinds import get as _kind

__all__ = ["uniform_init", "xavier_uniform", "orthogonal", "identity", "init_params", "set_forget_bias"]

SCHEMES = ("torch", "xavier", "irnn")


def _dtype(dtype) -> torch.dtype:
    if dtype not in (torch.float32, torch.float64):
        raise ValueError(f"dtype: expected torch.float32 or torch.float64, got {dtype}")
    return dtype


def _rng(rng) -> torch.Generator:
    if not isinstance(rng, torch.Generator):
        raise ValueError(f"rng: expected a torch.Generator (torch.Generator().manual_seed(seed)), "
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
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value > 0:
        raise ValueError(f"{name}: expected a positive number, got {value!r}")
    return float(value)


def _empty(rng, shape, dtype) -> torch.Tensor:
    return torch.empty(shape, dtype=_dtype(dtype), device=_rng(rng).device)


def uniform_init(rng, shape, H, dtype=torch.float64):
    """``U(-1/sqrt(H), 1/sqrt(H))``, torch.nn's default for RNN/LSTM/GRU weights and biases.

    Args:
        rng: torch.Generator; shape: any shape; H: hidden size (> 0); dtype: float32/64.

    Returns:
        tensor of ``shape`` on ``rng``'s device.
    """
    bound = 1.0 / math.sqrt(_positive("H", H))
    return _empty(rng, _shape(shape), dtype).uniform_(-bound, bound, generator=rng)


def xavier_uniform(rng, shape, gain=1.0, dtype=torch.float64):
    """Glorot/Xavier uniform: ``U(-a, a)`` with ``a = gain * sqrt(6 / (fan_in + fan_out))``.

    Args:
        rng: torch.Generator; shape: (fan_in, fan_out); gain: scale; dtype: float32/64.

    Returns:
        tensor of ``shape``.
    """
    fan_in, fan_out = _shape(shape, ndim=2)
    bound = float(gain) * math.sqrt(6.0 / max(fan_in + fan_out, 1))
    return _empty(rng, (fan_in, fan_out), dtype).uniform_(-bound, bound, generator=rng)


def orthogonal(rng, shape, gain=1.0, dtype=torch.float64):
    """A (semi-)orthogonal matrix, as ``torch.nn.init.orthogonal_``: the Q of the QR
    decomposition of a standard normal matrix, with Q's columns multiplied by the signs of
    R's diagonal (so the result is uniformly distributed), times ``gain``.

    Args:
        rng: torch.Generator; shape: (rows, cols); gain: scale; dtype: float32/64.

    Returns:
        tensor of ``shape``: ``Q.T @ Q = gain**2 I`` when rows >= cols, ``Q @ Q.T`` otherwise.
    """
    rows, cols = _shape(shape, ndim=2)
    a = _empty(rng, (rows, cols), dtype).normal_(0.0, 1.0, generator=rng)  # (rows, cols)
    if rows < cols:
        a = a.t()                                               # (cols, rows), tall
    q, r = torch.linalg.qr(a)                                   # q: (tall, short)
    q *= torch.diagonal(r).sign()                               # sign correction per column
    if rows < cols:
        q = q.t()                                               # (rows, cols)
    return (float(gain) * q).contiguous()


def identity(shape, scale=1.0, dtype=torch.float64, device=None):
    """``scale * I`` of ``shape (rows, cols)`` (ones on the main diagonal), IRNN's ``W_hh``."""
    rows, cols = _shape(shape, ndim=2)
    return float(scale) * torch.eye(rows, cols, dtype=_dtype(dtype), device=device)


def set_forget_bias(b, H, value=1.0):
    """A copy of the LSTM bias ``b (4H,)`` with the forget-gate slice ``b[H:2H] = value``."""
    if not isinstance(b, torch.Tensor) or b.dtype not in (torch.float32, torch.float64):
        what = f"dtype {b.dtype}" if isinstance(b, torch.Tensor) else f"a {type(b).__name__}"
        raise ValueError(f"b: expected a float32 or float64 torch.Tensor, got {what}")
    H = int(H)
    if tuple(b.shape) != (4 * H,):
        raise ValueError(f"b: expected shape (4H,) = ({4 * H},), got {tuple(b.shape)}")
    out = b.detach().clone()
    out[H:2 * H] = value
    return out


def init_params(kind, D, H, rng, scheme="torch", forget_bias=1.0, dtype=torch.float64):
    """A fresh parameter dict for one layer of ``kind`` with input size D and hidden size H.

    Schemes:
        "torch": every tensor ``U(-1/sqrt(H), 1/sqrt(H))`` (torch.nn's default);
        "xavier": ``W_x`` Xavier-uniform over the whole fused ``(D, G*H)`` matrix,
            ``W_h`` orthogonal per gate block ``(H, H)``, biases 0;
        "irnn" ("rnn" only): ``W_hh = I``, ``W_xh ~ N(0, 0.001**2)``, ``b_h = 0``.
    For "lstm" and a scheme other than "torch", the forget-gate slice ``b[H:2H]`` is
    ``forget_bias``. Tensors are drawn in the order of the parameter names.

    Args:
        kind: "rnn", "lstm" or "gru"; D, H: positive ints; rng: torch.Generator;
        scheme: "torch", "xavier" or "irnn"; forget_bias: float; dtype: float32/64.

    Returns:
        dict: RNN {W_xh (D, H), W_hh (H, H), b_h (H,)}, LSTM {W_x (D, 4H), W_h (H, 4H), b (4H,)},
        GRU {W_x (D, 3H), W_h (H, 3H), b_x (3H,), b_h (3H,)}, on ``rng``'s device.
    """
    spec = _kind(kind)
    for name, value in (("D", D), ("H", H)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
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
    zeros = lambda n: torch.zeros(n, dtype=dtype, device=rng.device)  # noqa: E731
    if scheme == "irnn":
        return {"W_xh": _empty(rng, (D, H), dtype).normal_(0.0, 0.001, generator=rng),
                "W_hh": identity((H, H), dtype=dtype, device=rng.device), "b_h": zeros(H)}
    params = {w_x: xavier_uniform(rng, (D, G * H), dtype=dtype),
              w_h: torch.cat([orthogonal(rng, (H, H), dtype=dtype) for _ in range(G)], dim=1),  # (H, G*H)
              **{b: zeros(G * H) for b in biases}}
    if spec.has_cell:
        params["b"] = set_forget_bias(params["b"], H, forget_bias)
    return params
