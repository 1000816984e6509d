"""SGD (with momentum) and Adam, updating a tree of parameter tensors in place, in Torch.

The same classes and methods as :mod:`rnn_ref.numpy.optim`, on tensors; semantics are
torch.optim's: ``SGD(lr, momentum, dampening=0, nesterov=False, weight_decay=0)`` and
``Adam(lr, betas, eps, weight_decay=0, amsgrad=False)``. ``params`` is a dict name -> tensor
(or a list, or a nesting of both, such as a seq2seq model); ``grads`` has the same structure
and shapes (a ``None`` gradient skips its parameter, as torch skips a parameter whose
``.grad`` is None). Updates run under ``torch.no_grad()``, so ``nn.Parameter``s may be
passed. State is kept per parameter path.
"""

from __future__ import annotations

import math
import numbers

import torch

from ..numpy._tree import label, leaves
from ._validate import floats

__all__ = ["SGD", "Adam"]


def _number(name: str, value, low: float, high: float = math.inf, high_open: bool = False) -> float:
    ok = (not isinstance(value, bool) and isinstance(value, numbers.Real)
          and low <= value and (value < high if high_open else value <= high))
    if not ok:
        bound = f"in [{low}, {high})" if high_open else f">= {low}"
        raise ValueError(f"{name}: expected a number {bound}, got {value!r}")
    return float(value)


def _pairs(params, grads) -> list:
    """``(path, param, grad)`` for every parameter with a gradient; validates both trees."""
    if not isinstance(params, (dict, list, tuple)):
        raise ValueError(f"params: expected a dict (or list) of tensors, got {type(params).__name__}")
    p_leaves = dict(leaves(params))
    for path, p in p_leaves.items():
        if not isinstance(p, torch.Tensor) or p.dtype not in (torch.float32, torch.float64):
            what = f"dtype {p.dtype}" if isinstance(p, torch.Tensor) else f"a {type(p).__name__}"
            raise ValueError(f"{label('params', path)}: expected a float32/float64 torch.Tensor "
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
        name = label("grads", path)
        g = floats(name, g_leaves[path])
        if g.shape != p.shape:
            raise ValueError(f"{name}: expected shape {tuple(p.shape)} (the parameter's), got {tuple(g.shape)}")
        if g.device != p.device:
            raise ValueError(f"{name}: expected a tensor on {p.device} (the device of its parameter), "
                             f"got one on {g.device}")
        out.append((path, p, g.to(p.dtype)))
    return out


class SGD:
    """Stochastic gradient descent with optional (heavy-ball) momentum, as torch.optim.SGD.

        buf = g (first step),  buf = momentum * buf + g (later steps);  p -= lr * buf
    """

    def __init__(self, lr, momentum=0.0):
        self.lr = _number("lr", lr, 0.0)
        self.momentum = _number("momentum", momentum, 0.0)
        self.state = {}                                         # path -> momentum buffer

    @torch.no_grad()
    def step(self, params, grads):
        """Update every tensor of ``params`` in place from the same-shaped ``grads``."""
        for path, p, g in _pairs(params, grads):
            if self.momentum:
                buf = self.state.get(path)
                if buf is None:
                    buf = g.detach().clone()
                else:
                    buf.mul_(self.momentum).add_(g)
                self.state[path] = buf
                g = buf
            p.add_(g, alpha=-self.lr)


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

    @torch.no_grad()
    def step(self, params, grads):
        """Update every tensor of ``params`` in place from the same-shaped ``grads``."""
        beta1, beta2 = self.betas
        for path, p, g in _pairs(params, grads):
            t, m, v = self.state.get(path, (0, torch.zeros_like(p), torch.zeros_like(p)))
            t += 1
            m.lerp_(g, 1.0 - beta1)                             # m += (1 - b1) (g - m)
            v.mul_(beta2).addcmul_(g, g, value=1.0 - beta2)
            self.state[path] = (t, m, v)
            denom = (v.sqrt() / math.sqrt(1.0 - beta2 ** t)).add_(self.eps)
            p.addcdiv_(m, denom, value=-self.lr / (1.0 - beta1 ** t))
