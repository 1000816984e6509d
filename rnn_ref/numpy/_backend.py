"""The NumPy backend of the shared extras (:mod:`rnn_ref._common`): :data:`NUMPY`.

Each member is what :class:`rnn_ref._common.backend.Backend` lists, in NumPy's idiom:
arrays on no device, Python floats where torch has 0-d tensors, ``np.random.Generator``
draws in float64 cast to the target dtype, in-place updates with NumPy's operators. This
module never imports torch.
"""

from __future__ import annotations

import contextlib
import math

import numpy as np

from .._common.backend import Backend
from . import _validate
from .gru import gru_backward, gru_forward
from .layers import (embedding_backward, embedding_forward, softmax_cross_entropy,
                     temporal_affine_backward, temporal_affine_forward)
from .lstm import lstm_backward, lstm_forward
from .rnn import rnn_backward, rnn_forward

__all__ = ["NUMPY", "NumpyBackend"]

FLOATS = (np.float32, np.float64)


def log_softmax(scores):
    """Row-wise log-softmax of ``scores (B, V)`` (entries may be -inf), in their dtype: ``(B, V)``."""
    shifted = scores - scores.max(axis=1, keepdims=True)                    # (B, V), max 0
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))     # (B, V)


class NumpyBackend(Backend):
    """NumPy arrays (float64 by default, float32 supported)."""

    name = "numpy"
    bools = (bool, np.bool_)
    float64, int64, bool_ = np.float64, np.int64, np.bool_
    Generator = np.random.Generator
    generator_name, generator_hint = "numpy.random.Generator", "np.random.default_rng(seed)"
    omit = ("device",)                                          # arrays have no device
    doc = {"array": "array", "arrays": "arrays", "Arrays": "Arrays", "Generator": "np.random.Generator",
           "scalar": "float", "norm": "float", "placed": "", "placed_logits": "", "placed_model": "",
           "placed_new": ""}

    # validation ------------------------------------------------------------------------------
    floats = staticmethod(_validate.floats)
    integers = staticmethod(_validate.integers)

    @staticmethod
    def common(**named):
        """No device to agree on; dtypes promote as NumPy does: ``(None, None)``."""
        return None, None

    @staticmethod
    def check_float_dtype(dtype):
        """``np.dtype(dtype)`` if float32 or float64, else ValueError."""
        dt = np.dtype(dtype)
        if dt not in FLOATS:
            raise ValueError(f"dtype: expected float32 or float64, got {dt}")
        return dt

    @staticmethod
    def check_generator_device(rng, device):
        """NumPy generators have no device."""

    @staticmethod
    def describe(value):
        """How a refused array argument is named in a message."""
        return "an array"

    @staticmethod
    def float_array(name, value):
        """``np.asarray(value)`` if its dtype is float32/float64, else ValueError."""
        arr = np.asarray(value)
        if arr.dtype not in FLOATS:
            raise ValueError(f"{name}: expected a float32 or float64 array, got dtype {arr.dtype}")
        return arr

    @staticmethod
    def param(name, p):
        """Refuse a parameter that cannot be updated in place (not a float ndarray)."""
        if not isinstance(p, np.ndarray) or p.dtype not in FLOATS:
            what = type(p).__name__ if not isinstance(p, np.ndarray) else f"dtype {p.dtype}"
            raise ValueError(f"{name}: expected a float32/float64 ndarray (it is updated in place), got {what}")

    @staticmethod
    def grad_for(name, g, p):
        """The gradient as the update uses it: as given (mixed dtypes compute in the wider one)."""
        return g

    # kernels -----------------------------------------------------------------------------------
    rnn_forward, rnn_backward = staticmethod(rnn_forward), staticmethod(rnn_backward)
    lstm_forward, lstm_backward = staticmethod(lstm_forward), staticmethod(lstm_backward)
    gru_forward, gru_backward = staticmethod(gru_forward), staticmethod(gru_backward)
    embedding_forward, embedding_backward = staticmethod(embedding_forward), staticmethod(embedding_backward)
    temporal_affine_forward = staticmethod(temporal_affine_forward)
    temporal_affine_backward = staticmethod(temporal_affine_backward)
    softmax_cross_entropy = staticmethod(softmax_cross_entropy)   # loss: a Python float

    # arrays ------------------------------------------------------------------------------------
    no_grad = staticmethod(contextlib.nullcontext)              # nothing records gradients

    @staticmethod
    def device(x):
        return None

    @staticmethod
    def zeros(shape, dtype, device=None):
        return np.zeros(shape, dtype=dtype)

    @staticmethod
    def empty(shape, dtype, device=None):
        return np.empty(shape, dtype=dtype)

    @staticmethod
    def full(shape, value, dtype, device=None):
        return np.full(shape, value, dtype=dtype)

    @staticmethod
    def asarray(values, dtype, device=None):
        return np.array(values, dtype=dtype)

    @staticmethod
    def eye(rows, cols, dtype, device=None):
        return np.eye(rows, cols, dtype=dtype)

    zeros_like = staticmethod(np.zeros_like)

    @staticmethod
    def copy(a, dtype=None):
        """A new array with ``a``'s values (in ``dtype`` if given)."""
        return np.array(a, dtype=dtype)

    @staticmethod
    def cast(a, dtype):
        """A new array: ``a`` in ``dtype``."""
        return a.astype(dtype)

    @staticmethod
    def compute_dtype(dtype):
        """Initializers compute in float64 and cast at the end (:meth:`cast`)."""
        return np.dtype(np.float64)

    @staticmethod
    def concat(arrays, axis):
        return np.concatenate(arrays, axis=axis)

    stack = staticmethod(np.stack)

    @staticmethod
    def flip_time(a):
        """``a`` reversed along axis 1 (a view)."""
        return a[:, ::-1]

    clip, where, sqrt, sign, diagonal = (staticmethod(f) for f in (np.clip, np.where, np.sqrt, np.sign, np.diag))
    isnan, isposinf, isneginf = (staticmethod(f) for f in (np.isnan, np.isposinf, np.isneginf))

    @staticmethod
    def mul_scalar(a, s):
        """``a * s`` in ``a``'s dtype."""
        return a * a.dtype.type(s)

    @staticmethod
    def global_norm(arrays):
        """``sqrt(sum of squares of all entries)`` accumulated in float64, a Python float."""
        return math.sqrt(sum(float(np.sum(np.square(g, dtype=np.float64))) for g in arrays))

    @staticmethod
    def argmax(a):
        """Row-wise argmax of ``a (N, V)``, int64 ``(N,)``, the first one on ties."""
        return a.argmax(axis=1).astype(np.int64)

    @staticmethod
    def topk(a, k):
        """The ``k`` largest entries of the 1-d ``a``, best first, stable on ties: (indices, values) lists."""
        order = np.argsort(-a, kind="stable")[:k]
        return order.tolist(), a[order].tolist()

    @staticmethod
    def unique(a):
        """The distinct values of ``a``, ascending, as Python ints."""
        return np.unique(a).tolist()

    flatnonzero = staticmethod(np.flatnonzero)

    @staticmethod
    def first_true(mask):
        """The index (a tuple of ints) of the first True entry of ``mask``, or None."""
        at = np.argwhere(mask)
        return tuple(int(i) for i in at[0]) if len(at) else None

    log_softmax = staticmethod(log_softmax)

    @staticmethod
    def softmax(logits, temperature):
        """Row-wise ``softmax(logits / temperature)`` of ``(N, V)``, float64; temperature > 0."""
        shifted = logits - logits.max(axis=1, keepdims=True)                # (N, V), max 0
        with np.errstate(over="ignore"):                                    # a tiny temperature sends
            scaled = shifted.astype(np.float64) / temperature               # (N, V) non-max logits to -inf
        return np.exp(log_softmax(scaled))                                  # (N, V)

    qr = staticmethod(np.linalg.qr)

    # random draws --------------------------------------------------------------------------------
    @staticmethod
    def uniform(rng, low, high, shape, dtype):
        """``U(low, high)`` of ``shape``, drawn in float64, cast to ``dtype``."""
        return rng.uniform(low, high, size=shape).astype(dtype)

    @staticmethod
    def normal(rng, shape, dtype, std=1.0):
        """``N(0, std**2)`` of ``shape``, drawn in float64 (``standard_normal`` when std is 1), cast."""
        draw = rng.standard_normal(shape) if std == 1.0 else rng.normal(0.0, std, size=shape)
        return draw.astype(dtype)

    @staticmethod
    def rand(rng, n, device=None):
        """``n`` draws of ``U[0, 1)``, float64."""
        return rng.random(n)

    # in-place updates (optimizers) ---------------------------------------------------------------
    @staticmethod
    def add_scaled_(y, x, alpha):
        """``y += alpha * x``."""
        y += alpha * x

    @staticmethod
    def mul_add_(y, beta, x):
        """``y = beta * y + x``."""
        y *= beta
        y += x

    @staticmethod
    def lerp_(y, x, weight):
        """``y += weight * (x - y)``."""
        y += weight * (x - y)

    @staticmethod
    def mul_add_square_(y, beta, x, value):
        """``y = beta * y + value * x * x``."""
        y *= beta
        y += value * x * x

    @staticmethod
    def addcdiv_(y, a, b, value):
        """``y += value * (a / b)``."""
        y += value * (a / b)


NUMPY = NumpyBackend()
