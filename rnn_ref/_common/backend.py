"""The backend interface of the shared extras, and the binding of shared functions to a backend.

A backend is an instance of a subclass of :class:`Backend`, one per array library
(:mod:`rnn_ref.numpy._backend`, :mod:`rnn_ref.torch._backend`). It offers only what the
shared logic needs; each member is a line or two in its library's idiom. Arrays are
duck-typed in the shared code for what both libraries spell alike (``.shape``,
``.dtype``, indexing and slicing, ``+ - * / | == <=``, ``.reshape(-1)``, ``.cumsum(1)``,
``.sum(1)``, ``.all(1)``, ``.any()``, ``.all()``); everything else is a backend member.

Descriptive attributes:
    name                    "numpy" or "torch"
    float64, int64, bool_   the library's dtypes
    bools                   the types accepted as a boolean flag
    Generator, generator_name, generator_hint
                            the random generator type, its name and how to make one (messages)
    omit                    parameters of the shared signatures this backend does not have
    doc                     the words that fill the ``$word`` placeholders of docstrings

Validation (messages in the backend's own words):
    floats(name, value, *, finite=False, optional=False), integers(name, value, *, low, high)
    common(**named) -> (device, dtype)  one device for all named arrays (NumPy: no check)
    check_float_dtype(dtype), check_generator_device(rng, device), describe(value),
    float_array(name, value), param(name, p), grad_for(name, g, p)

Kernels (that backend's own): rnn/lstm/gru_forward and _backward, embedding_forward,
embedding_backward, temporal_affine_forward, temporal_affine_backward, softmax_cross_entropy.

Arrays:
    no_grad()                                   the context of explicit computations
    device(x)                                   x's device (NumPy: None)
    zeros / empty(shape, dtype, device=None), zeros_like(a), full(shape, value, dtype, device=None),
    asarray(values, dtype, device=None), eye(rows, cols, dtype, device=None),
    copy(a, dtype=None), cast(a, dtype), compute_dtype(dtype)
    concat(arrays, axis), stack(arrays), flip_time(a)  (reverse axis 1)
    clip(a, low, high), where(cond, a, b), sqrt, sign, diagonal, isnan, isposinf, isneginf,
    mul_scalar(a, s), global_norm(arrays), argmax(a) (rows), topk(a, k), unique(a),
    flatnonzero(mask), first_true(mask), log_softmax(scores), softmax(logits, temperature), qr(a)
    uniform(rng, low, high, shape, dtype), normal(rng, shape, dtype, std=1.0), rand(rng, n, device)
    add_scaled_(y, x, alpha), mul_add_(y, beta, x), lerp_(y, x, weight),
    mul_add_square_(y, beta, x, value), addcdiv_(y, a, b, value)   (in place)

Each member's contract is its line above and, where more needs saying (dtypes, copies,
how a draw is made), the docstrings of the two implementations.
"""

from __future__ import annotations

import inspect
import string

__all__ = ["Backend", "FLOAT64", "explicit"]

PRIMITIVES = (
    "float64", "int64", "bool_", "Generator", "generator_name", "generator_hint",
    "floats", "integers", "common", "check_float_dtype", "check_generator_device", "describe",
    "float_array", "param", "grad_for",
    "rnn_forward", "rnn_backward", "lstm_forward", "lstm_backward", "gru_forward", "gru_backward",
    "embedding_forward", "embedding_backward", "temporal_affine_forward", "temporal_affine_backward",
    "softmax_cross_entropy",
    "no_grad", "device", "zeros", "empty", "zeros_like", "full", "asarray", "eye", "copy", "cast",
    "compute_dtype", "concat", "stack", "flip_time", "clip", "where", "sqrt", "sign", "diagonal",
    "isnan", "isposinf", "isneginf", "mul_scalar", "global_norm", "argmax", "topk", "unique",
    "flatnonzero", "first_true", "log_softmax", "softmax", "qr", "uniform", "normal", "rand",
    "add_scaled_", "mul_add_", "lerp_", "mul_add_square_", "addcdiv_",
)


class _Float64:
    """The default ``dtype`` of the shared signatures: the backend's float64."""

    def __repr__(self):
        return "FLOAT64"


FLOAT64 = _Float64()


def explicit(fn):
    """Mark a shared function that computes without autograd (``torch.no_grad()``): an
    explicit backward, an update or a draw. Its binding runs it inside ``B.no_grad()``."""
    fn.explicit = True
    return fn


class Backend:
    """One array library as the shared extras see it (see the module docstring).

    Subclasses set the descriptive attributes and implement every name of
    :data:`PRIMITIVES`; a missing one is an error when the subclass is defined.
    """

    name = "?"
    bools: tuple = (bool,)
    omit: tuple = ()
    doc: dict = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        missing = [p for p in PRIMITIVES if not hasattr(cls, p)]
        if missing:
            raise TypeError(f"{cls.__name__} lacks the backend primitives {missing}")

    def __repr__(self):
        return f"<rnn_ref backend {self.name}>"

    # shared by every backend ---------------------------------------------------------------

    def float_dtype(self, dtype):
        """``dtype`` checked to be float32 or float64; :data:`FLOAT64` means the backend's float64."""
        return self.check_float_dtype(self.float64 if dtype is FLOAT64 else dtype)

    def generator(self, rng, *, hint: bool = False, device=None):
        """``rng`` if it is this backend's generator (on ``device``'s type, when given), else ValueError."""
        if not isinstance(rng, self.Generator):
            how = f" ({self.generator_hint})" if hint else ""
            raise ValueError(f"rng: expected a {self.generator_name}{how}, got {type(rng).__name__}")
        self.check_generator_device(rng, device)
        return rng

    # binding -------------------------------------------------------------------------------

    def render(self, doc):
        """``doc`` with its ``$word`` placeholders in this backend's words."""
        return None if doc is None else string.Template(doc).substitute(self.doc)

    def bind(self, shared, module: str, names) -> list:
        """The objects ``names`` of the module ``shared``, bound to this backend for ``module``.

        A function ``f(B, *args)`` becomes ``g(*args)`` calling ``f(self, *args)`` (inside
        :meth:`no_grad` if it is :func:`explicit`), with ``__name__``, ``__qualname__``,
        ``__module__``, ``__doc__`` (rendered) and ``__signature__`` (without ``B``, the
        parameters in :attr:`omit` left out, :data:`FLOAT64` shown as :attr:`float64`) of
        a function of ``module``. A class becomes a subclass with ``backend = self``.
        """
        return [self._bind_one(getattr(shared, name), module) for name in names]

    def _bind_one(self, obj, module):
        if isinstance(obj, type):
            return type(obj.__name__, (obj,), {"backend": self, "__module__": module,
                                               "__qualname__": obj.__name__, "__doc__": self.render(obj.__doc__)})
        sig = inspect.signature(obj)
        shared = list(sig.parameters.values())[1:]                 # drop B
        public = [p.replace(default=self.float64) if p.default is FLOAT64 else p
                  for p in shared if p.name not in self.omit]
        public_sig = sig.replace(parameters=public)
        call = obj
        if len(public) != len(shared):                             # refuse what this backend lacks
            def call(B, *args, **kwargs):
                try:
                    public_sig.bind(*args, **kwargs)
                except TypeError as e:
                    raise TypeError(f"{obj.__name__}() {e}") from None
                return obj(B, *args, **kwargs)
        if getattr(obj, "explicit", False):
            def bound(*args, **kwargs):
                with self.no_grad():
                    return call(self, *args, **kwargs)
        else:
            def bound(*args, **kwargs):
                return call(self, *args, **kwargs)
        bound.__name__ = bound.__qualname__ = obj.__name__
        bound.__module__ = module
        bound.__doc__ = self.render(obj.__doc__)
        bound.__signature__ = public_sig
        bound.__wrapped__ = obj
        return bound
