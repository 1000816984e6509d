"""A small, seeded training loop for sequence regression, shared by the demonstration cells.

    LastStepRegressor(recurrent, out_features=1, head=None)    # x (N, T, D) -> (N, V)
    train_regressor(model, make_batch, steps, lr=1e-3, clip=1.0, device=None,
                    batch_size=64, test_size=1000, seed=0) -> TrainResult
    smooth(curve, window) -> curve                              # running mean, for plots

``recurrent`` is any batch-first recurrent layer whose call returns the outputs of every
step first: ``rnn_ref.torch.RNN/LSTM/GRU`` or ``torch.nn.RNN/LSTM/GRU(batch_first=True)``.
The loop is Adam on the mean squared error with clipping by global norm; the training
batches and the test set come from generators seeded by ``seed``, so two runs of the same
model from the same initial weights give the same curve.

torch is imported here; numpy only for the returned curves.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import torch

__all__ = ["LastStepRegressor", "TrainResult", "train_regressor", "smooth"]


def _check_int(name: str, value, least: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise ValueError(f"{name}: expected an int >= {least}, got {value!r}")
    return value


def _check_positive(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name}: expected a finite number > 0, got {value!r}")
    return float(value)


class LastStepRegressor(torch.nn.Module):
    """A recurrent layer read at its last step, followed by a linear layer.

    Args:
        recurrent: a batch-first recurrent ``torch.nn.Module`` with ``hidden_size``; its call
            ``recurrent(x)`` returns the outputs ``(N, T, dirs*H)`` as its first element.
        out_features: V, the size of the prediction.
        head: an existing ``torch.nn.Linear(dirs*H, V)`` to use (e.g. a copy of another
            model's head, to start two models from the same weights); default a new one.

    Call: x (N, T, D) -> prediction (N, V), from the outputs at the last step.
    """

    def __init__(self, recurrent, out_features: int = 1, head=None):
        super().__init__()
        if not isinstance(recurrent, torch.nn.Module) or not hasattr(recurrent, "hidden_size"):
            raise ValueError(f"recurrent: expected a recurrent torch.nn.Module with hidden_size, "
                             f"got {type(recurrent).__name__}")
        if not getattr(recurrent, "batch_first", True):
            raise ValueError("recurrent: expected a batch-first layer (batch_first=True), got batch_first=False")
        out_features = _check_int("out_features", out_features, 1)
        width = recurrent.hidden_size * (2 if getattr(recurrent, "bidirectional", False) else 1)
        if head is None:
            p = next(recurrent.parameters())
            head = torch.nn.Linear(width, out_features, dtype=p.dtype, device=p.device)
        elif not isinstance(head, torch.nn.Linear) or (head.in_features, head.out_features) != (width, out_features):
            raise ValueError(f"head: expected a torch.nn.Linear({width}, {out_features}), got {head!r}")
        self.recurrent, self.head = recurrent, head

    def forward(self, x):
        """x (N, T, D) -> (N, V)."""
        y = self.recurrent(x)[0]                                # (N, T, dirs*H)
        return self.head(y[:, -1])                              # (N, V)


@dataclass
class TrainResult:
    """What :func:`train_regressor` measured.

    curve: (steps,) the training loss (MSE on that step's batch) before each update.
    test_mse: the MSE on the held-out test set after training.
    seconds: wall-clock time of the training loop.
    """

    curve: np.ndarray
    test_mse: float
    seconds: float


def _batch(make_batch, n, generator, dtype, device, what):
    out = make_batch(n, generator)
    if not (isinstance(out, tuple) and len(out) == 2 and all(isinstance(t, torch.Tensor) for t in out)):
        raise ValueError(f"make_batch: expected a function returning a tuple (x, y) of tensors, got {type(out).__name__}")
    x, y = out
    if x.dim() != 3 or y.dim() != 2 or x.shape[0] != n or y.shape[0] != n:
        raise ValueError(f"make_batch: expected x (N, T, D) and y (N, V) with N = {n} for the {what}, "
                         f"got x {tuple(x.shape)} and y {tuple(y.shape)}")
    return x.to(device=device, dtype=dtype), y.to(device=device, dtype=dtype)


def train_regressor(model, make_batch, steps: int, lr: float = 1e-3, clip=1.0, device=None,
                    batch_size: int = 64, test_size: int = 1000, seed: int = 0) -> TrainResult:
    """Train ``model`` with Adam on the mean squared error and return its learning curve.

    Args:
        model: a ``torch.nn.Module`` mapping x (N, T, D) to a prediction (N, V); it is moved
            to ``device`` and trained in place, in the dtype of its parameters.
        make_batch: ``make_batch(N, generator) -> (x (N, T, D), y (N, V))`` drawing from a
            ``torch.Generator`` (``coursekit.tasks.adding_problem`` with T fixed, say).
        steps: number of updates, an int >= 1.
        lr: Adam's learning rate, > 0.
        clip: the largest global gradient norm (clipping by norm, as in chapter 4), or None
            for no clipping.
        device: a torch device or its name; default the device of the model's parameters.
        batch_size: sequences per update, an int >= 1.
        test_size: sequences in the test set, an int >= 1.
        seed: the training batches come from ``torch.Generator().manual_seed(seed)``, the
            test set from one seeded ``seed + 1``.

    Returns:
        TrainResult with curve (steps,), test_mse and seconds. A loss that becomes NaN or
        infinite stops training; the rest of the curve is NaN and so is test_mse.
    """
    if not isinstance(model, torch.nn.Module):
        raise ValueError(f"model: expected a torch.nn.Module, got {type(model).__name__}")
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise ValueError("model: expected trainable parameters, got none")
    if not callable(make_batch):
        raise ValueError(f"make_batch: expected a function (N, generator) -> (x, y), got {type(make_batch).__name__}")
    steps = _check_int("steps", steps, 1)
    lr = _check_positive("lr", lr)
    if clip is not None:
        clip = _check_positive("clip", clip)
    batch_size = _check_int("batch_size", batch_size, 1)
    test_size = _check_int("test_size", test_size, 1)
    seed = _check_int("seed", seed, 0)
    try:
        device = params[0].device if device is None else torch.device(device)
    except (RuntimeError, TypeError) as err:
        raise ValueError(f"device: expected a torch device such as 'cpu' or 'cuda', got {device!r}") from err
    dtype = params[0].dtype
    model.to(device)

    x_test, y_test = _batch(make_batch, test_size, torch.Generator().manual_seed(seed + 1), dtype, device,
                            "test set")
    with torch.no_grad():
        out = model(x_test[:1])
    if tuple(out.shape) != (1, y_test.shape[1]):
        raise ValueError(f"model: expected a prediction of shape (N, {y_test.shape[1]}), got {tuple(out.shape)} for N = 1")

    batches = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(params, lr=lr)
    curve = np.full(steps, np.nan)
    start = time.perf_counter()
    model.train()
    for step in range(steps):
        x, y = _batch(make_batch, batch_size, batches, dtype, device, "training batch")   # (N, T, D), (N, V)
        loss = torch.mean((model(x) - y) ** 2)
        curve[step] = loss.item()
        if not math.isfinite(curve[step]):
            break
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if clip is not None:
            torch.nn.utils.clip_grad_norm_(params, clip)
        optimizer.step()
    seconds = time.perf_counter() - start

    test_mse = math.nan
    if np.isfinite(curve).all():
        model.eval()
        with torch.no_grad():
            total = 0.0
            for lo in range(0, test_size, 500):
                pred = model(x_test[lo:lo + 500])                               # (n, V)
                total += torch.sum((pred - y_test[lo:lo + 500]) ** 2).item()
            test_mse = total / (test_size * y_test.shape[1])
    return TrainResult(curve=curve, test_mse=test_mse, seconds=seconds)


def smooth(curve, window: int):
    """Running mean of a 1-d curve over ``window`` points, for plotting noisy losses.

    Args:
        curve: (S,) numbers.
        window: an int >= 1; the first window - 1 points average what came before them.

    Returns:
        (S,) the running mean, as a float array.
    """
    curve = np.asarray(curve, dtype=float)
    if curve.ndim != 1:
        raise ValueError(f"curve: expected a 1-d array (S,), got shape {curve.shape}")
    window = _check_int("window", window, 1)
    sums = np.cumsum(np.concatenate([[0.0], curve]))                            # (S + 1,)
    idx = np.arange(1, curve.size + 1)                                          # (S,)
    lo = np.maximum(idx - window, 0)
    return (sums[idx] - sums[lo]) / (idx - lo)
