"""Generated sequence tasks for the demonstration cells.

    adding_problem(N, T, generator) -> (x (N, T, 2), y (N, 1))

The adding problem (Hochreiter and Schmidhuber, 1997; in the form used by Le, Jaitly and
Hinton, 2015): each sequence has two channels. Channel 0 holds T numbers drawn uniformly
from [0, 1); channel 1 is a marker, 1 at exactly two steps and 0 elsewhere, one marked
step in the first half of the sequence and one in the second half. The target is the sum
of the two marked numbers. A model that ignores the inputs does best by predicting the
mean, 1, and its mean squared error is the variance of a sum of two independent uniform
numbers, 2/12 = 1/6 (:data:`BASELINE_MSE`). To do better, a recurrent network must carry
the first marked number across at least T/2 steps.

torch is imported inside the functions, so importing this module does not import it.
"""

from __future__ import annotations

__all__ = ["adding_problem", "BASELINE_MSE"]

BASELINE_MSE = 1.0 / 6.0
"""Test MSE of always predicting the mean target, 1: the variance of U(0,1) + U(0,1)."""


def _positive_int(name: str, value, least: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise ValueError(f"{name}: expected an int >= {least}, got {value!r}")
    return value


def adding_problem(N: int, T: int, generator, dtype=None, device=None):
    """A batch of the adding problem.

    Args:
        N: number of sequences, an int >= 1.
        T: sequence length, an int >= 2 (one marked step in each half).
        generator: a ``torch.Generator``; the batch is a function of its state only.
        dtype: floating dtype of the result (default: torch's default dtype).
        device: where the result lives (default: the generator's device). The numbers are
            always drawn on the generator's device, so a seed gives the same batch anywhere.

    Returns:
        x: (N, T, 2) channel 0 the numbers in [0, 1), channel 1 the marker (two ones per row).
        y: (N, 1) the sum of the two marked numbers.
    """
    import torch

    N = _positive_int("N", N, 1)
    T = _positive_int("T", T, 2)
    if not isinstance(generator, torch.Generator):
        raise ValueError(f"generator: expected a torch.Generator, got {type(generator).__name__}")
    dtype = torch.get_default_dtype() if dtype is None else dtype
    if not (isinstance(dtype, torch.dtype) and dtype.is_floating_point):
        raise ValueError(f"dtype: expected a floating torch.dtype, got {dtype!r}")
    home = generator.device
    half = T // 2
    values = torch.rand(N, T, generator=generator, device=home, dtype=torch.float64)   # (N, T)
    first = torch.randint(0, half, (N,), generator=generator, device=home)            # (N,) in [0, T/2)
    second = torch.randint(half, T, (N,), generator=generator, device=home)           # (N,) in [T/2, T)
    rows = torch.arange(N, device=home)
    marker = torch.zeros(N, T, dtype=torch.float64, device=home)                       # (N, T)
    marker[rows, first] = 1.0
    marker[rows, second] = 1.0
    x = torch.stack([values, marker], dim=2)                                          # (N, T, 2)
    y = (values[rows, first] + values[rows, second])[:, None]                         # (N, 1)
    target = home if device is None else torch.device(device)
    return x.to(device=target, dtype=dtype), y.to(device=target, dtype=dtype)
