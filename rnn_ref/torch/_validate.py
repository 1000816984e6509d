"""Argument checks for the Torch backend: type, dtype, device, shape contract, finiteness.

The torch counterpart of :mod:`rnn_ref.numpy._validate`. Every public function of
:mod:`rnn_ref.torch` passes its tensor arguments through :func:`floats` (or
:func:`integers`), then :func:`common` (one device for all, the dtype to compute in),
and checks shapes with :class:`rnn_ref._shapes.Dims`, so that bad input raises a
``ValueError`` naming the argument, what was expected and what came.

dtypes: float32 and float64 everywhere; float16 and bfloat16 on CUDA only (the CPU
kernels for them are slow or missing, and the course has no use for them there).
Mixed float dtypes compute in the promoted one, as NumPy's oracle does.
"""

from __future__ import annotations

import torch

from .._shapes import Dims, require_steps

__all__ = ["Dims", "require_steps", "floats", "integers", "common", "cast"]

FULL = (torch.float32, torch.float64)
HALF = (torch.float16, torch.bfloat16)


def _tensor(name: str, value, what: str) -> torch.Tensor:
    if isinstance(value, torch.Tensor):
        return value
    kind = type(value).__module__.split(".")[0] + "." + type(value).__name__
    if kind == "builtins." + type(value).__name__:
        kind = type(value).__name__
    hint = " (convert with torch.as_tensor(...))" if kind in ("numpy.ndarray", "list", "tuple") else ""
    raise ValueError(f"{name}: expected a torch.Tensor of {what}, got a {kind}{hint}")


def floats(name: str, value, *, finite: bool = False, optional: bool = False):
    """Return ``value`` if it is a floating torch.Tensor, or raise ValueError naming ``name``.

    NumPy arrays, lists and scalars are refused (``rnn_ref.numpy`` is the backend for
    those); so are integer, boolean and complex tensors, and float16/bfloat16 tensors
    that are not on a CUDA device. With ``finite=True`` NaN/inf are refused (this reads
    the tensor: one device synchronisation on CUDA). With ``optional=True`` a ``None``
    passes through as ``None``.
    """
    if value is None:
        if optional:
            return None
        raise ValueError(f"{name}: expected a torch.Tensor of floats, got None")
    t = _tensor(name, value, "floats")
    if t.dtype in HALF:
        if t.device.type != "cuda":
            raise ValueError(f"{name}: {t.dtype} is supported on CUDA only, got a {t.dtype} tensor on "
                             f"{t.device}; use float32 or float64 on the CPU")
    elif t.dtype not in FULL:
        raise ValueError(f"{name}: expected a float32 or float64 tensor, got dtype {t.dtype}")
    if finite:
        bad = ~torch.isfinite(t)
        if bool(bad.any()):
            index = tuple(int(i) for i in bad.nonzero()[0])
            raise ValueError(f"{name}: expected finite values, got {t[index].item()} at index {index}")
    return t


def integers(name: str, value, *, low: int, high: int) -> torch.Tensor:
    """Return ``value`` if it is an integer torch.Tensor with entries in [low, high), or raise."""
    t = _tensor(name, value, "integers")
    if t.dtype.is_floating_point or t.dtype.is_complex or t.dtype == torch.bool:
        raise ValueError(f"{name}: expected an integer tensor, got dtype {t.dtype}")
    if t.numel():
        lo, hi = int(t.min()), int(t.max())
        if lo < low or hi >= high:
            raise ValueError(f"{name}: expected integers in [{low}, {high}), got values from {lo} to {hi}")
    return t


def common(**named) -> tuple[torch.device, torch.dtype]:
    """The one device of the named tensors and the float dtype to compute in.

    ``None`` values are skipped. Raises ValueError naming the first tensor on another
    device than the first one, with both devices. The dtype is the promotion of the
    floating tensors' dtypes (float64 if any is float64); integer tensors only take
    part in the device check.
    """
    first_name, device, dtype = None, None, None
    for name, t in named.items():
        if t is None:
            continue
        if device is None:
            first_name, device = name, t.device
        elif t.device != device:
            raise ValueError(f"{name}: expected a tensor on {device} (the device of {first_name}), "
                             f"got one on {t.device}")
        if t.dtype.is_floating_point:
            dtype = t.dtype if dtype is None else torch.promote_types(dtype, t.dtype)
    return device, dtype


def cast(dtype: torch.dtype, *tensors):
    """``tensors`` in ``dtype`` (no copy when already there; ``None`` stays ``None``)."""
    return tuple(None if t is None else t.to(dtype) for t in tensors)
