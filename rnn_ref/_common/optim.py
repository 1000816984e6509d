"""SGD (with momentum) and Adam, updating a tree of parameter arrays in place.

Semantics are torch.optim's: ``SGD(lr, momentum, dampening=0, nesterov=False,
weight_decay=0)`` and ``Adam(lr, betas, eps, weight_decay=0, amsgrad=False)``. ``params``
is a dict name -> array (or a list, or a nesting of both, such as a seq2seq model);
``grads`` has the same structure and shapes (a ``None`` gradient skips its parameter, as
torch skips a parameter whose ``.grad`` is None). State is kept per parameter path.

The classes here are bound to a backend as subclasses with a ``backend`` attribute; the
elementwise in-place updates are the backend's (:meth:`add_scaled_`, :meth:`lerp_`, ...),
in its library's idiom (torch's the very kernels of ``torch.optim``), and run inside the
backend's ``no_grad()``, so that ``torch.nn.Parameter``s may be passed.
"""

from __future__ import annotations

import math

from .args import is_real
from .tree import label, leaves

__all__ = ["SGD", "Adam"]


def _number(name: str, value, low: float, high: float = math.inf, high_open: bool = False) -> float:
    ok = is_real(value) and low <= value and (value < high if high_open else value <= high)
    if not ok:
        bound = f"in [{low}, {high})" if high_open else f">= {low}"
        raise ValueError(f"{name}: expected a number {bound}, got {value!r}")
    return float(value)


def _pairs(B, params, grads) -> list:
    """``(path, param, grad)`` for every parameter with a gradient; validates both trees."""
    if not isinstance(params, (dict, list, tuple)):
        raise ValueError(f"params: expected a dict (or list) of {B.doc['arrays']}, got {type(params).__name__}")
    p_leaves = dict(leaves(params))
    for path, p in p_leaves.items():
        B.param(label("params", path), p)
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
        g = B.floats(name, g_leaves[path])
        if tuple(g.shape) != tuple(p.shape):
            raise ValueError(f"{name}: expected shape {tuple(p.shape)} (the parameter's), got {tuple(g.shape)}")
        out.append((path, p, B.grad_for(name, g, p)))
    return out


class SGD:
    """Stochastic gradient descent with optional (heavy-ball) momentum, as torch.optim.SGD,
    on a tree of ${arrays} updated in place.

        buf = g (first step),  buf = momentum * buf + g (later steps);  p -= lr * buf
    """

    backend = None                                              # set by the binding

    def __init__(self, lr, momentum=0.0):
        self.lr = _number("lr", lr, 0.0)
        self.momentum = _number("momentum", momentum, 0.0)
        self.state = {}                                         # path -> momentum buffer

    def step(self, params, grads):
        """Update every parameter of ``params`` in place from the same-shaped ``grads``."""
        B = self.backend
        with B.no_grad():
            for path, p, g in _pairs(B, params, grads):
                if self.momentum:
                    buf = self.state.get(path)
                    if buf is None:
                        buf = B.copy(g, p.dtype)
                    else:
                        B.mul_add_(buf, self.momentum, g)       # buf = momentum * buf + g
                    self.state[path] = buf
                    g = buf
                B.add_scaled_(p, g, -self.lr)                   # p -= lr * g


class Adam:
    """Adam with bias correction, as torch.optim.Adam (no weight decay, no amsgrad), on a
    tree of ${arrays} updated in place.

        m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
        p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
    """

    backend = None                                              # set by the binding

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
        """Update every parameter of ``params`` in place from the same-shaped ``grads``."""
        B = self.backend
        beta1, beta2 = self.betas
        with B.no_grad():
            for path, p, g in _pairs(B, params, grads):
                t, m, v = self.state.get(path, (0, B.zeros_like(p), B.zeros_like(p)))
                t += 1
                B.lerp_(m, g, 1.0 - beta1)                      # m += (1 - b1) (g - m)
                B.mul_add_square_(v, beta2, g, 1.0 - beta2)     # v = b2 v + (1 - b2) g^2
                self.state[path] = (t, m, v)
                denom = B.sqrt(v) / math.sqrt(1.0 - beta2 ** t) + self.eps
                B.addcdiv_(p, m, denom, -self.lr / (1.0 - beta1 ** t))  # p -= lr_t * m / denom
