"""Central-difference gradient checking on torch tensors (as :mod:`rnn_ref.numpy.gradcheck`).

    numeric_gradient(f, x, df)   ~  d/dx sum(f(x) * df)
    rel_error(a, b)              =  max|a - b| / max(|a| + |b|)
"""

from __future__ import annotations

import itertools

import torch

__all__ = ["numeric_gradient", "rel_error"]


@torch.no_grad()
def numeric_gradient(f, x, df=None, eps=1e-6):
    """Gradient of ``sum(f(x) * df)`` with respect to ``x`` by central differences.

    ``x`` is perturbed in place, one entry at a time, and restored exactly; ``f`` is
    called as ``f(x)`` and may return a scalar or a tensor (then ``df``, of the same
    shape as the output, weights it; ``None`` means all ones). Use float64.

    Args:
        f: callable taking ``x`` and returning a number or a tensor.
        x: floating torch.Tensor of any shape and strides (a transposed or sliced view
            too), modified during the call and restored.
        df: tensor shaped like ``f(x)``, or None.
        eps: the step.

    Returns:
        grad: tensor shaped like ``x`` (same dtype and device).
    """
    if not isinstance(x, torch.Tensor) or not x.dtype.is_floating_point:
        raise ValueError(f"x: expected a floating torch.Tensor, got {type(x).__name__}"
                         f"{' of dtype ' + str(x.dtype) if hasattr(x, 'dtype') else ''}")
    grad = torch.zeros(x.shape, dtype=x.dtype, device=x.device)
    weight = None if df is None else torch.as_tensor(df, dtype=torch.float64)
    # Index by position, not through a flat view: x may be non-contiguous (W.t(), x[:, ::2]).
    for i in itertools.product(*(range(n) for n in x.shape)):  # every entry of x; () for 0-d
        old = x[i].clone()
        x[i] = old + eps
        plus = torch.as_tensor(f(x), dtype=torch.float64)
        x[i] = old - eps
        minus = torch.as_tensor(f(x), dtype=torch.float64)
        x[i] = old
        diff = plus - minus
        if weight is not None:
            diff = diff * weight.to(diff.device)
        grad[i] = diff.sum() / (2 * eps)
    return grad


def rel_error(a, b) -> float:
    """Largest absolute difference relative to the largest magnitude (0 when both are 0).

    Tensors (any device) and array-likes are compared in float64 on the CPU.
    """
    def as64(v):
        return (v.detach().cpu() if isinstance(v, torch.Tensor) else torch.as_tensor(v)).to(torch.float64)

    a, b = as64(a), as64(b)
    if a.shape != b.shape:
        raise ValueError(f"b: expected shape {tuple(a.shape)} (the shape of a), got {tuple(b.shape)}")
    scale = float((a.abs() + b.abs()).max()) if a.numel() else 0.0
    return 0.0 if scale == 0 else float((a - b).abs().max() / scale)
