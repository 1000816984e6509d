"""Choosing the device the course's torch code runs on."""

from __future__ import annotations

import torch

__all__ = ["pick_device"]


def pick_device(prefer=None) -> torch.device:
    """The device to run on: CUDA when available, else the CPU.

    Args:
        prefer: None (CUDA if available, else CPU), ``"cpu"``, ``"cuda"`` / ``"cuda:K"``,
            or a ``torch.device`` of those types.

    Returns:
        torch.device.

    Raises:
        ValueError: ``prefer`` asks for CUDA on a machine without it (or for a CUDA index
            it does not have), or names another kind of device.
    """
    if prefer is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(prefer)
    except (RuntimeError, TypeError):
        raise ValueError(f"prefer: expected None, 'cpu' or 'cuda', got {prefer!r}") from None
    if device.type == "cpu":
        return device
    if device.type != "cuda":
        raise ValueError(f"prefer: expected None, 'cpu' or 'cuda', got {prefer!r}")
    if not torch.cuda.is_available():
        build = "a CPU-only build of torch" if torch.version.cuda is None else f"torch built for CUDA {torch.version.cuda}"
        raise ValueError(f"prefer: CUDA was asked for, but torch.cuda.is_available() is False here "
                         f"({build}); use pick_device() or pick_device('cpu')")
    if device.index is not None and device.index >= torch.cuda.device_count():
        raise ValueError(f"prefer: asked for {device}, but only {torch.cuda.device_count()} CUDA "
                         f"device(s) are visible")
    return device
