"""Pieces shared by the fused-gate NumPy kernels (:mod:`lstm` and :mod:`gru`).

Both kernels fold the bias into the input GEMM with a column of ones, compute the
backward's derivative factors a block of steps at a time, and use the same overflow-safe
logistic function in their readable step functions.
"""

from __future__ import annotations

import numpy as np

__all__ = ["sigmoid", "inputs_with_ones", "block_steps"]


def sigmoid(a):
    """Logistic function, 1 / (1 + exp(-a)); exp overflowing to inf gives 0, rightly."""
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-a))


def inputs_with_ones(x, dtype):
    """x (N, T, D) -> a new time-major (T*N, D+1) array whose last column is ones, so that
    [x_t, 1] @ [W_x; b] adds the bias inside the GEMM and its transpose-product gives db."""
    N, T, D = x.shape
    xs1 = np.empty((T, N, D + 1), dtype=dtype)             # (T, N, D+1)
    xs1[:, :, :D] = x.transpose(1, 0, 2)
    xs1[:, :, D] = 1.0
    return xs1.reshape(T * N, D + 1)                       # (T*N, D+1)


def block_steps(N, H, T):
    """Steps per block of backward factors: at most 64K numbers per plane, so that a
    block's activations and factors stay in cache."""
    return max(1, min(T, 65536 // max(1, N * H)))
