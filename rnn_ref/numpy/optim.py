"""SGD (with momentum) and Adam, updating a tree of parameter arrays in place.

Semantics are torch.optim's: ``SGD(lr, momentum, dampening=0, nesterov=False,
weight_decay=0)`` and ``Adam(lr, betas, eps, weight_decay=0, amsgrad=False)``. ``params``
is a dict name -> array (or a list, or a nesting of both, such as a seq2seq model);
``grads`` has the same structure and shapes (a ``None`` gradient skips its parameter, as
torch skips a parameter whose ``.grad`` is None). State is kept per parameter path.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from ._tree import label, leaves
from ._validate import floats

__all__ = ["SGD", "Adam"]


def _number(name: str, value, low: float, high: float = math.inf, high_open: bool = False) -> float:
    ok = (not isinstance(value, (bool, np.bool_)) and isinstance(value, numbers.Real)
          and low <= value and (value < high if high_open else value <= high))
    if not ok:
        bound = f"in [{low}, {high})" if high_open else f">= {low}"
        raise ValueError(f"{name}: expected a number {bound}, got {value!r}")
    return float(value)


def _pairs(params, grads) -> list:
    """``(path, param, grad)`` for every parameter with a gradient; validates both trees."""
    if not isinstance(params, (dict, list, tuple)):
        raise ValueError(f"params: expected a dict (or list) of arrays, got {type(params).__name__}")
    p_leaves = dict(leaves(params))
    for path, p in p_leaves.items():
        if not isinstance(p, np.ndarray) or p.dtype not in (np.float32, np.float64):
            what = type(p).__name__ if not isinstance(p, np.ndarray) else f"dtype {p.dtype}"
            raise ValueError(f"{label('params', path)}: expected a float32/float64 ndarray "
                             f"(it is updated in place), got {what}")
    if not isinstance(grads, (dict, list, tuple)):
        raise ValueError(f"grads: expected a dict (or list) shaped like params, got {type(grads).__name__}")
    g_leaves = dict(leaves(grads))
    if set(g_leaves) != set(p_leaves):
        missing = [label("grads", k) for k in p_leaves if k not in g_leaves]
        extra = [label("grads", k) for k in g_leaves if k not in p_leaves]
        raise ValueError(f"grads: expected the keys of params, got {missing} missing and {extra} unexpected")
    out = []
    for path, p in p_leaves.items():
        if g_leaves[path] is None:
            continue
        g = floats(label("grads", path), g_leaves[path])
        if g.shape != p.shape:
            raise ValueError(f"{label('grads', path)}: expected shape {p.shape} (the parameter's), got {g.shape}")
        out.append((path, p, g))
    return out


class SGD:
    """Stochastic gradient descent with optional (heavy-ball) momentum, as torch.optim.SGD.

        buf = g (first step),  buf = momentum * buf + g (later steps);  p -= lr * buf
    """

    def __init__(self, lr, momentum=0.0):
        self.lr = _number("lr", lr, 0.0)
        self.momentum = _number("momentum", momentum, 0.0)
        self.state = {}                                         # path -> momentum buffer

    def step(self, params, grads):
        """Update every array of ``params`` in place from the same-shaped ``grads``."""
        for path, p, g in _pairs(params, grads):
            if self.momentum:
                buf = self.state.get(path)
                if buf is None:
                    buf = np.array(g, dtype=p.dtype)
                else:
                    buf *= self.momentum
                    buf += g
                self.state[path] = buf
                g = buf
            p -= self.lr * g


class Adam:
    """Adam with bias correction, as torch.optim.Adam (no weight decay, no amsgrad).

        m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
        p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
    """

    def __init__(self, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        self.lr = _number("lr", lr, 0.0)
        try:
            beta1, beta2 = betas
        except (TypeError, ValueError):
            raise ValueError(f"betas: expected a pair (beta1, beta2), got {betas!r}") from None
        self.betas = (_number("betas[0]", beta1, 0.0, 1.0, high_open=True),
                      _number("betas[1]", beta2, 0.0, 1.0, high_open=True))
        self.eps = _number("eps", eps, 0.0)
        self.state = {}                                         # path -> (t, m, v)

    def step(self, params, grads):
        """Update every array of ``params`` in place from the same-shaped ``grads``."""
        beta1, beta2 = self.betas
        for path, p, g in _pairs(params, grads):
            t, m, v = self.state.get(path, (0, np.zeros_like(p), np.zeros_like(p)))
            t += 1
            m += (1.0 - beta1) * (g - m)
            v *= beta2
            v += (1.0 - beta2) * g * g
            self.state[path] = (t, m, v)
            denom = np.sqrt(v) / math.sqrt(1.0 - beta2 ** t) + self.eps
            p -= (self.lr / (1.0 - beta1 ** t)) * (m / denom)
