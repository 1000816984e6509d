"""Layers around the recurrence, in Torch: embedding, temporal affine, losses.

    y_t = h_t @ W_hy + b_y

The same functions, names and argument order as :mod:`rnn_ref.numpy.layers`, on
``torch.Tensor``s. Shapes: h (N, T, H), W (H, V), b (V,), scores y (N, T, V), integer
targets (N, T), optional mask (N, T) of 0/1 numbers or booleans marking the positions
that count; embedding indices (N, T) into W (V, E). Backwards are explicit (no autograd).
Losses are returned as 0-d tensors on the inputs' device (``float(loss)`` for a number;
leaving it a tensor spares a device synchronisation on CUDA).
"""

from __future__ import annotations

import torch

from ._validate import Dims, cast, common, floats, integers

__all__ = [
    "embedding_forward",
    "embedding_backward",
    "temporal_affine_forward",
    "temporal_affine_backward",
    "softmax_cross_entropy",
    "mse_loss",
]


def embedding_forward(idx, W):
    """Look up one row of ``W`` per index.

    Args:
        idx: (N, T) integer tensor with entries in [0, V).
        W: (V, E) embedding matrix.

    Returns:
        out: (N, T, E) ``W[idx]``.
    """
    W = floats("W", W, finite=True)
    dims = Dims()
    dims.check("W", W.shape, ("V", "E"))
    idx = integers("idx", idx, low=0, high=dims["V"])
    common(W=W, idx=idx)
    dims.check("idx", idx.shape, ("N", "T"))
    return W[idx]                                            # (N, T, E)


@torch.no_grad()
def embedding_backward(dout, idx, W):
    """Backward of :func:`embedding_forward` with respect to ``W``.

    Args:
        dout: (N, T, E) upstream gradient; idx: (N, T) indices; W: (V, E) (for its shape).

    Returns:
        dW: (V, E); rows of repeated indices accumulate.
    """
    dout, W = floats("dout", dout), floats("W", W, finite=True)
    dims = Dims()
    dims.check("W", W.shape, ("V", "E"))
    idx = integers("idx", idx, low=0, high=dims["V"])
    _, dtype = common(dout=dout, idx=idx, W=W)
    dims.check("idx", idx.shape, ("N", "T"))
    dims.check("dout", dout.shape, ("N", "T", "E"))
    E = dims["E"]
    dW = torch.zeros(W.shape, dtype=dtype, device=W.device)   # (V, E)
    return dW.index_add_(0, idx.reshape(-1), dout.reshape(-1, E).to(dtype))


def temporal_affine_forward(h, W, b):
    """Apply the same affine map at every time step (differentiable by autograd).

    Args:
        h: (N, T, H) hidden states.
        W: (H, V) weights (``W_hy``).
        b: (V,) bias (``b_y``).

    Returns:
        y: (N, T, V) ``h @ W + b``.
    """
    h, W, b = floats("h", h), floats("W", W, finite=True), floats("b", b, finite=True)
    _, dtype = common(h=h, W=W, b=b)
    dims = Dims()
    dims.check("h", h.shape, ("N", "T", "H"))
    dims.check("W", W.shape, ("H", "V"))
    dims.check("b", b.shape, ("V",))
    h, W, b = cast(dtype, h, W, b)
    N, T, H = h.shape
    return torch.addmm(b, h.reshape(N * T, H), W).view(N, T, dims["V"])  # (N, T, V)


@torch.no_grad()
def temporal_affine_backward(dy, h, W):
    """Backward of :func:`temporal_affine_forward`.

    Args:
        dy: (N, T, V) upstream gradient; h: (N, T, H); W: (H, V).

    Returns:
        (dh (N, T, H), dW (H, V), db (V,)).
    """
    dy, h, W = floats("dy", dy), floats("h", h), floats("W", W, finite=True)
    _, dtype = common(dy=dy, h=h, W=W)
    dims = Dims()
    dims.check("h", h.shape, ("N", "T", "H"))
    dims.check("W", W.shape, ("H", "V"))
    dims.check("dy", dy.shape, ("N", "T", "V"))
    dy, h, W = cast(dtype, dy, h, W)
    N, T, H = h.shape
    dy2 = dy.reshape(N * T, dims["V"])                       # (N*T, V)
    dh = (dy2 @ W.t()).view(N, T, H)                         # (N, T, H)
    dW = h.reshape(N * T, H).t() @ dy2                       # (H, V)
    return dh, dW, dy2.sum(dim=0)


def _mask(mask, dims, dtype, device):
    """The (N, T) mask as ``dtype`` 0/1 (all ones for None), or raise ValueError."""
    if mask is None:
        return torch.ones((dims["N"], dims["T"]), dtype=dtype, device=device)
    if not isinstance(mask, torch.Tensor):
        raise ValueError(f"mask: expected a torch.Tensor of booleans or 0/1 numbers, got a "
                         f"{type(mask).__module__}.{type(mask).__name__}")
    if mask.dtype.is_complex:
        raise ValueError(f"mask: expected booleans or 0/1 numbers, got dtype {mask.dtype}")
    if mask.device != device:
        raise ValueError(f"mask: expected a tensor on {device} (the device of the scores), "
                         f"got one on {mask.device}")
    dims.check("mask", mask.shape, ("N", "T"))
    if mask.dtype != torch.bool and not bool(((mask == 0) | (mask == 1)).all()):
        raise ValueError("mask: expected only 0/1 (or False/True) entries")
    return mask.to(dtype)


@torch.no_grad()
def softmax_cross_entropy(scores, targets, mask=None):
    """Mean softmax cross-entropy over the counted time steps, and its gradient.

    The loss is the sum of ``-log softmax(scores)[n, t, targets[n, t]]`` over positions
    with ``mask[n, t] = 1``, divided by the number of such positions (as
    ``torch.nn.CrossEntropyLoss`` with ``ignore_index``). With no counted position the
    loss is 0 and the gradient is zero.

    Args:
        scores: (N, T, V) unnormalised log-probabilities.
        targets: (N, T) integer tensor with entries in [0, V).
        mask: (N, T) optional 0/1 or booleans.

    Returns:
        (loss: 0-d tensor, dscores: (N, T, V)).
    """
    scores = floats("scores", scores, finite=True)
    dims = Dims()
    dims.check("scores", scores.shape, ("N", "T", "V"))
    targets = integers("targets", targets, low=0, high=dims["V"])
    common(scores=scores, targets=targets)
    dims.check("targets", targets.shape, ("N", "T"))
    m = _mask(mask, dims, scores.dtype, scores.device)              # (N, T)
    log_p = torch.log_softmax(scores, dim=2)                        # (N, T, V)
    count = m.sum()
    picked = log_p.gather(2, targets.unsqueeze(2).long()).squeeze(2)  # (N, T)
    scale = m / count.clamp(min=1)                                  # (N, T); 0 everywhere if count = 0
    loss = -(picked * scale).sum()                                  # 0-d
    dscores = log_p.exp_()                                          # (N, T, V) softmax, in place
    dscores.scatter_add_(2, targets.unsqueeze(2).long(),
                         torch.full(targets.shape + (1,), -1.0, dtype=scores.dtype, device=scores.device))
    dscores *= scale.unsqueeze(2)
    return loss, dscores


@torch.no_grad()
def mse_loss(pred, target, mask=None):
    """Mean squared error over the counted time steps, and its gradient.

    The loss is the mean of ``(pred - target) ** 2`` over every feature of every
    position with ``mask[n, t] = 1`` (0 with a zero gradient when none counts). Excluded
    positions are never read: a NaN or inf there (padding) changes nothing.

    Args:
        pred: (N, T, V) predictions; target: (N, T, V) values; mask: (N, T) optional.

    Returns:
        (loss: 0-d tensor, dpred: (N, T, V)).
    """
    pred, target = floats("pred", pred), floats("target", target)
    device, dtype = common(pred=pred, target=target)
    dims = Dims()
    dims.check("pred", pred.shape, ("N", "T", "V"))
    dims.check("target", target.shape, ("N", "T", "V"))
    pred, target = cast(dtype, pred, target)
    m = _mask(mask, dims, dtype, device).unsqueeze(2)               # (N, T, 1)
    count = (m.sum() * dims["V"]).clamp(min=1)                      # 0-d; 1 when nothing counts
    diff = torch.where(m != 0, pred - target, 0)                    # (N, T, V) selected
    return (diff * diff).sum() / count, (2.0 / count) * diff
