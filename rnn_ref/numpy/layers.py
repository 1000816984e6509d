"""Layers around the recurrence: the embedding, the temporal affine output layer, the losses.

    x_t = W_embed[idx_t]          y_t = h_t @ W_hy + b_y

Shapes: idx (N, T) integers in [0, V), W_embed (V, E), embeddings (N, T, E);
h (N, T, H), W (H, V), b (V,), scores y (N, T, V), integer targets (N, T),
optional mask (N, T) of 0/1 or booleans marking the positions that count.
"""

from __future__ import annotations

import numpy as np

from ._validate import Dims, floats, integers, result_dtype

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
        idx: (N, T) integers in [0, V).
        W: (V, E) embedding matrix.

    Returns:
        out: (N, T, E) ``W[idx]`` (a new array).
    """
    W = floats("W", W, finite=True)
    dims = Dims()
    dims.check("W", W.shape, ("V", "E"))
    idx = integers("idx", idx, low=0, high=dims["V"])
    dims.check("idx", idx.shape, ("N", "T"))
    return W[idx]                                     # (N, T, E)


def embedding_backward(dout, idx, W):
    """Backward of :func:`embedding_forward`: scatter-add ``dout`` into the rows of ``W``.

    Args:
        dout: (N, T, E) upstream gradient; idx: (N, T) integers in [0, V); W: (V, E).

    Returns:
        dW: (V, E); a row used several times accumulates every use, unused rows are 0.
    """
    dout, W = floats("dout", dout), floats("W", W, finite=True)
    dims = Dims()
    dims.check("W", W.shape, ("V", "E"))
    idx = integers("idx", idx, low=0, high=dims["V"])
    dims.check("idx", idx.shape, ("N", "T"))
    dims.check("dout", dout.shape, ("N", "T", "E"))
    N, T, E = dout.shape
    dW = np.zeros(W.shape, dtype=result_dtype(dout, W))  # (V, E)
    np.add.at(dW, idx.reshape(N * T), dout.reshape(N * T, E))  # rows (N*T,), values (N*T, E)
    return dW


def temporal_affine_forward(h, W, b):
    """Apply the same affine map at every time step.

    Args:
        h: (N, T, H) hidden states.
        W: (H, V) weights (``W_hy``).
        b: (V,) bias (``b_y``).

    Returns:
        y: (N, T, V) ``h @ W + b``.
    """
    h, W, b = floats("h", h), floats("W", W, finite=True), floats("b", b, finite=True)
    dims = Dims()
    dims.check("h", h.shape, ("N", "T", "H"))
    dims.check("W", W.shape, ("H", "V"))
    dims.check("b", b.shape, ("V",))
    N, T, H = h.shape
    y = h.reshape(N * T, H) @ W                       # (N*T, V)
    y += b
    return y.reshape(N, T, dims["V"])                 # (N, T, V)


def temporal_affine_backward(dy, h, W):
    """Backward of :func:`temporal_affine_forward`.

    Args:
        dy: (N, T, V) upstream gradient; h: (N, T, H); W: (H, V).

    Returns:
        (dh (N, T, H), dW (H, V), db (V,)).
    """
    dy, h, W = floats("dy", dy), floats("h", h), floats("W", W, finite=True)
    dims = Dims()
    dims.check("h", h.shape, ("N", "T", "H"))
    dims.check("W", W.shape, ("H", "V"))
    dims.check("dy", dy.shape, ("N", "T", "V"))
    N, T, H = h.shape
    V = dims["V"]
    dy2 = dy.reshape(N * T, V)                        # (N*T, V)
    dh = (dy2 @ W.T).reshape(N, T, H)                 # (N, T, H)
    dW = h.reshape(N * T, H).T @ dy2                  # (H, V)
    return dh, dW, dy2.sum(axis=0)


def _mask(mask, dims, dtype):
    if mask is None:
        return np.ones((dims["N"], dims["T"]), dtype=dtype)
    mask = np.asarray(mask)
    if mask.dtype.kind not in "biuf":
        raise ValueError(f"mask: expected booleans or 0/1 numbers, got dtype {mask.dtype}")
    dims.check("mask", mask.shape, ("N", "T"))
    if not np.isin(mask, (0, 1)).all():
        raise ValueError("mask: expected only 0/1 (or False/True) entries")
    return mask.astype(dtype)


def softmax_cross_entropy(scores, targets, mask=None):
    """Mean softmax cross-entropy over the counted time steps, and its gradient.

    The loss is the sum of ``-log softmax(scores)[n, t, targets[n, t]]`` over positions
    with ``mask[n, t] = 1``, divided by the number of such positions (as
    ``torch.nn.CrossEntropyLoss`` with ``ignore_index``). With no counted position the
    loss is 0 and the gradient is zero.

    Args:
        scores: (N, T, V) unnormalised log-probabilities.
        targets: (N, T) integers in [0, V).
        mask: (N, T) optional 0/1 or booleans.

    Returns:
        (loss: float, dscores: (N, T, V)).
    """
    scores = floats("scores", scores, finite=True)
    dims = Dims()
    dims.check("scores", scores.shape, ("N", "T", "V"))
    targets = integers("targets", targets, low=0, high=dims["V"])
    dims.check("targets", targets.shape, ("N", "T"))
    m = _mask(mask, dims, scores.dtype)                             # (N, T)
    shifted = scores - scores.max(axis=2, keepdims=True)            # (N, T, V)
    log_z = np.log(np.exp(shifted).sum(axis=2, keepdims=True))      # (N, T, 1)
    log_p = shifted - log_z                                         # (N, T, V)
    count = m.sum()
    if count == 0:
        return 0.0, np.zeros_like(scores)
    picked = np.take_along_axis(log_p, targets[..., None], axis=2)[..., 0]  # (N, T)
    loss = -(picked * m).sum() / count
    dscores = np.exp(log_p)                                         # (N, T, V) softmax
    np.put_along_axis(dscores, targets[..., None],
                      np.take_along_axis(dscores, targets[..., None], axis=2) - 1.0, axis=2)
    dscores *= (m / count)[..., None]
    return float(loss), dscores


def mse_loss(pred, target, mask=None):
    """Mean squared error over the counted time steps, and its gradient.

    The loss is the mean of ``(pred - target) ** 2`` over every feature of every
    position with ``mask[n, t] = 1`` (0 with a zero gradient when none counts). Excluded
    positions are never read: a NaN or inf there (padding) changes nothing.

    Args:
        pred: (N, T, V) predictions; target: (N, T, V) values; mask: (N, T) optional.

    Returns:
        (loss: float, dpred: (N, T, V)).
    """
    pred, target = floats("pred", pred), floats("target", target)
    dims = Dims()
    dims.check("pred", pred.shape, ("N", "T", "V"))
    dims.check("target", target.shape, ("N", "T", "V"))
    dtype = result_dtype(pred, target)
    m = _mask(mask, dims, dtype)[..., None]                         # (N, T, 1)
    count = m.sum() * dims["V"]
    if count == 0:
        return 0.0, np.zeros_like(pred, dtype=dtype)
    with np.errstate(invalid="ignore", over="ignore"):              # excluded inf - inf
        diff = np.where(m != 0, pred - target, 0).astype(dtype, copy=False)  # (N, T, V) selected
    return float((diff * diff).sum() / count), (2.0 / count) * diff
