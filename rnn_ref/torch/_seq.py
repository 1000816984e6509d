"""Small pieces shared by the sequence functions of :mod:`rnn_ref.torch`.

Time-major layout: the loops run over ``t`` on buffers shaped ``(T, N, ...)``, so that
the slice of one step, ``buf[t]``, is contiguous and every batched product over all steps
is one matmul on a ``(T*N, ...)`` view.
"""

from __future__ import annotations

import torch


def recording(*tensors) -> bool:
    """True when autograd would record an operation on ``tensors``.

    The sequence forwards then take a functional path (no ``out=``, no in-place writes
    into shared buffers) so that ``torch.autograd`` can differentiate through them.
    """
    return torch.is_grad_enabled() and any(t is not None and t.requires_grad for t in tensors)


def time_major(x: torch.Tensor) -> torch.Tensor:
    """(N, T, D) -> (T*N, D), row ``t*N + n`` holding ``x[n, t]`` (a copy unless N or T is 1)."""
    N, T, D = x.shape
    return x.transpose(0, 1).reshape(T * N, D)


def upstream(dh: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """A fresh time-major copy of the upstream gradient ``dh (N, T, H)``: ``(T, N, H)``.

    The backward loops accumulate the recurrent gradient into it, so it is never ``dh``.
    """
    N, T, H = dh.shape
    out = torch.empty((T, N, H), dtype=dtype, device=dh.device)
    out.copy_(dh.transpose(0, 1))
    return out


def states_before(h0, hs: torch.Tensor) -> torch.Tensor:
    """The state entering each step, time-major: ``[h0, h_0, ..., h_{T-2}]``, (T, N, H).

    ``h0=None`` means zeros; ``hs`` is (T, N, H) (any strides).
    """
    T = hs.shape[0]
    out = torch.empty(hs.shape, dtype=hs.dtype, device=hs.device)
    if T:
        if h0 is None:
            out[0].zero_()
        else:
            out[0].copy_(h0)
        out[1:].copy_(hs[:-1])
    return out
