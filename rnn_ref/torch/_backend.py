"""The Torch backend of the shared extras (:mod:`rnn_ref._common`): :data:`TORCH`.

Each member is what :class:`rnn_ref._common.backend.Backend` lists, in torch's idiom:
tensors on any device (one device per call, checked by :func:`rnn_ref.torch._validate.common`),
0-d tensors where NumPy has Python floats, ``torch.Generator`` draws made in the target
dtype on the generator's device (what ``torch.nn.init`` draws), the in-place kernels of
``torch.optim``, and ``torch.no_grad()`` around explicit computations.
"""

from __future__ import annotations

import torch

from .._common.backend import Backend
from . import _validate
from .gru import gru_backward, gru_forward
from .layers import (embedding_backward, embedding_forward, softmax_cross_entropy,
                     temporal_affine_backward, temporal_affine_forward)
from .lstm import lstm_backward, lstm_forward
from .rnn import rnn_backward, rnn_forward

__all__ = ["TORCH", "TorchBackend"]

FLOATS = (torch.float32, torch.float64)


class TorchBackend(Backend):
    """Torch tensors on any device (float32/float64; float16/bfloat16 on CUDA where the kernels allow)."""

    name = "torch"
    float64, int64, bool_ = torch.float64, torch.int64, torch.bool
    Generator = torch.Generator
    generator_name, generator_hint = "torch.Generator", "torch.Generator().manual_seed(seed)"
    doc = {"array": "tensor", "arrays": "tensors", "Arrays": "Tensors", "Generator": "torch.Generator",
           "scalar": "0-d tensor", "norm": "0-d float64 tensor on the gradients' device",
           "placed": " on ``rng``'s device", "placed_logits": " on the logits' device",
           "placed_model": " on the model's device", "placed_new": " (the tensors are made on its device)"}

    # validation ------------------------------------------------------------------------------
    floats = staticmethod(_validate.floats)
    integers = staticmethod(_validate.integers)
    common = staticmethod(_validate.common)

    @staticmethod
    def check_float_dtype(dtype):
        """``dtype`` if torch.float32 or torch.float64, else ValueError."""
        if dtype not in FLOATS:
            raise ValueError(f"dtype: expected torch.float32 or torch.float64, got {dtype}")
        return dtype

    @staticmethod
    def check_generator_device(rng, device):
        """Refuse a generator on another device type than ``device`` (None: no check)."""
        if device is not None and rng.device.type != device.type:
            raise ValueError(f"rng: expected a generator on {device} (the logits' device), got one on {rng.device}")

    @staticmethod
    def describe(value):
        """How a refused tensor argument is named in a message."""
        return f"a {type(value).__name__}"

    @staticmethod
    def float_array(name, value):
        """``value`` if it is a float32/float64 tensor, else ValueError."""
        if not isinstance(value, torch.Tensor) or value.dtype not in FLOATS:
            what = f"dtype {value.dtype}" if isinstance(value, torch.Tensor) else f"a {type(value).__name__}"
            raise ValueError(f"{name}: expected a float32 or float64 torch.Tensor, got {what}")
        return value

    @staticmethod
    def param(name, p):
        """Refuse a parameter that cannot be updated in place (not a float tensor)."""
        if not isinstance(p, torch.Tensor) or p.dtype not in FLOATS:
            what = f"dtype {p.dtype}" if isinstance(p, torch.Tensor) else f"a {type(p).__name__}"
            raise ValueError(f"{name}: expected a float32/float64 torch.Tensor (it is updated in place), got {what}")

    @staticmethod
    def grad_for(name, g, p):
        """The gradient as the update uses it: on ``p``'s device (else ValueError), in ``p``'s dtype."""
        if g.device != p.device:
            raise ValueError(f"{name}: expected a tensor on {p.device} (the device of its parameter), "
                             f"got one on {g.device}")
        return g.to(p.dtype)

    # kernels -----------------------------------------------------------------------------------
    rnn_forward, rnn_backward = staticmethod(rnn_forward), staticmethod(rnn_backward)
    lstm_forward, lstm_backward = staticmethod(lstm_forward), staticmethod(lstm_backward)
    gru_forward, gru_backward = staticmethod(gru_forward), staticmethod(gru_backward)
    embedding_forward, embedding_backward = staticmethod(embedding_forward), staticmethod(embedding_backward)
    temporal_affine_forward = staticmethod(temporal_affine_forward)
    temporal_affine_backward = staticmethod(temporal_affine_backward)
    softmax_cross_entropy = staticmethod(softmax_cross_entropy)   # loss: a 0-d tensor

    # tensors -----------------------------------------------------------------------------------
    no_grad = staticmethod(torch.no_grad)

    @staticmethod
    def device(x):
        """The device of a tensor or a generator."""
        return x.device

    @staticmethod
    def zeros(shape, dtype, device=None):
        return torch.zeros(shape, dtype=dtype, device=device)

    @staticmethod
    def empty(shape, dtype, device=None):
        return torch.empty(shape, dtype=dtype, device=device)

    @staticmethod
    def full(shape, value, dtype, device=None):
        return torch.full(shape, value, dtype=dtype, device=device)

    @staticmethod
    def asarray(values, dtype, device=None):
        return torch.tensor(values, dtype=dtype, device=device)

    @staticmethod
    def eye(rows, cols, dtype, device=None):
        return torch.eye(rows, cols, dtype=dtype, device=device)

    zeros_like = staticmethod(torch.zeros_like)

    @staticmethod
    def copy(a, dtype=None):
        """A new tensor with ``a``'s values (in ``dtype`` if given), outside autograd."""
        return a.detach().clone() if dtype is None else a.detach().to(dtype, copy=True)

    @staticmethod
    def cast(a, dtype):
        """``a`` in ``dtype``, contiguous (no copy when it already is both)."""
        return a.to(dtype).contiguous()

    @staticmethod
    def compute_dtype(dtype):
        """Initializers compute in the target dtype, as ``torch.nn.init`` does in place."""
        return dtype

    @staticmethod
    def concat(arrays, axis):
        return torch.cat(arrays, dim=axis)

    stack = staticmethod(torch.stack)

    @staticmethod
    def flip_time(a):
        """``a`` reversed along dim 1 (a copy)."""
        return a.flip(1)

    @staticmethod
    def clip(a, low, high):
        return a.clamp(low, high)

    where, sqrt, sign, diagonal = (staticmethod(f) for f in (torch.where, torch.sqrt, torch.sign, torch.diagonal))
    isnan, isposinf, isneginf = (staticmethod(f) for f in (torch.isnan, torch.isposinf, torch.isneginf))

    @staticmethod
    def mul_scalar(a, s):
        """``a * s`` in ``a``'s dtype (``s`` a 0-d tensor)."""
        return a * s.to(a.dtype)

    @staticmethod
    def global_norm(arrays):
        """``sqrt(sum of squares of all entries)`` accumulated in float64, a 0-d float64 tensor."""
        if not arrays:
            return torch.zeros((), dtype=torch.float64)
        return torch.stack([g.double().square().sum() for g in arrays]).sum().sqrt()

    @staticmethod
    def argmax(a):
        """Row-wise argmax of ``a (N, V)``, int64 ``(N,)``, the first one on ties."""
        return a.argmax(dim=1)

    @staticmethod
    def topk(a, k):
        """The ``k`` largest entries of the 1-d ``a``, best first, stable on ties: (indices, values) lists."""
        order = torch.sort(-a, stable=True).indices[:k]
        return order.tolist(), a[order].tolist()

    @staticmethod
    def unique(a):
        """The distinct values of ``a``, ascending, as Python ints."""
        return torch.unique(a).tolist()

    @staticmethod
    def flatnonzero(mask):
        return mask.nonzero().squeeze(1)

    @staticmethod
    def first_true(mask):
        """The index (a tuple of ints) of the first True entry of ``mask``, or None."""
        return tuple(int(i) for i in mask.nonzero()[0]) if bool(mask.any()) else None

    @staticmethod
    def log_softmax(scores):
        """Row-wise log-softmax of ``scores (B, V)``, in float64."""
        return torch.log_softmax(scores.double(), dim=1)

    @staticmethod
    def softmax(logits, temperature):
        """Row-wise ``softmax(logits / temperature)`` of ``(N, V)``, float64; temperature > 0."""
        shifted = logits.double() - logits.max(dim=1, keepdim=True).values.double()  # (N, V), max 0
        return torch.softmax(shifted / temperature, dim=1)                  # inf/temperature -> -inf

    qr = staticmethod(torch.linalg.qr)

    # random draws --------------------------------------------------------------------------------
    @staticmethod
    def uniform(rng, low, high, shape, dtype):
        """``U(low, high)`` of ``shape`` in ``dtype`` on ``rng``'s device (``Tensor.uniform_``)."""
        return torch.empty(shape, dtype=dtype, device=rng.device).uniform_(low, high, generator=rng)

    @staticmethod
    def normal(rng, shape, dtype, std=1.0):
        """``N(0, std**2)`` of ``shape`` in ``dtype`` on ``rng``'s device (``Tensor.normal_``)."""
        return torch.empty(shape, dtype=dtype, device=rng.device).normal_(0.0, std, generator=rng)

    @staticmethod
    def rand(rng, n, device=None):
        """``n`` draws of ``U[0, 1)``, float64, on ``device``."""
        return torch.rand(n, generator=rng, dtype=torch.float64, device=device)

    # in-place updates (optimizers), torch.optim's kernels ----------------------------------------
    @staticmethod
    def add_scaled_(y, x, alpha):
        y.add_(x, alpha=alpha)

    @staticmethod
    def mul_add_(y, beta, x):
        y.mul_(beta).add_(x)

    @staticmethod
    def lerp_(y, x, weight):
        y.lerp_(x, weight)

    @staticmethod
    def mul_add_square_(y, beta, x, value):
        y.mul_(beta).addcmul_(x, x, value=value)

    @staticmethod
    def addcdiv_(y, a, b, value):
        y.addcdiv_(a, b, value=value)


TORCH = TorchBackend()
