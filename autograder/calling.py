"""Calling a learner's function the way every check does, in the grader and in a class bundle.

One place for what both check engines (:mod:`autograder.exercise`, with the reference,
and :mod:`autograder.student`, with precomputed fixtures) must do identically: call on
copies, turn a raised exception into guidance, hold the result to its declared outputs,
and notice an argument written in place. The bundle carries this module as it is.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from .compare import to_plain_array
from .guidance import explain

#: the mistake name of an answer that writes into its arguments
INPLACE = "argument modified in place"
NOT_IMPLEMENTED = "is not implemented yet (it raised NotImplementedError)."
INPLACE_TAIL = "compute a new array instead (an in-place update corrupts the caller's data)."


class CallError(str):
    """Why a call gave no outputs: the message for the learner (it is the string itself)
    and its ``kind``: ``"not_implemented"``, ``"raised"``, ``"returned"`` (not the declared
    outputs) or ``"inplace"`` (an argument was written into)."""

    KINDS = ("not_implemented", "raised", "returned", "inplace")

    def __new__(cls, kind: str, message: str):
        if kind not in cls.KINDS:
            raise ValueError(f"kind: expected one of {cls.KINDS}, got {kind!r}")
        self = super().__new__(cls, message)
        self.kind = kind
        return self

    def __reduce__(self):  # pickled and copied with its kind
        return (CallError, (self.kind, str(self)))


def call_student(function: str, arg_names: Sequence[str], outputs: Sequence[tuple[str, tuple]],
                 fn: Callable, inputs: dict):
    """Call ``fn`` positionally on copies of ``inputs`` (in ``arg_names`` order).

    Args:
        function: the name the learner was asked to define (for messages).
        arg_names: the argument names in call order.
        outputs: ``(name, shape contract)`` per output; one means a single array returned,
            several a tuple in this order.
        fn: the learner's function, or a proxy to it.
        inputs: ``{arg: value}``; never modified.

    Returns:
        ``(outputs tuple of float64 arrays, None)`` or ``(None, CallError)``.
    """
    args = copy_inputs(inputs)
    try:
        raw = fn(*[args[a] for a in arg_names])
    except NotImplementedError:
        return None, CallError("not_implemented", f"{function} {NOT_IMPLEMENTED}")
    except Exception as exc:  # the learner's bug, reported, never propagated
        return None, CallError("raised", explain(exc, function, inputs))
    names = [name for name, _ in outputs]
    if len(names) == 1:
        if isinstance(raw, tuple):
            return None, CallError("returned", f"{function} should return one array ({names[0]}), "
                                               f"got a tuple of {len(raw)} items")
        items = (raw,)
    else:
        if not isinstance(raw, (tuple, list)) or len(raw) != len(names):
            got = f"a {type(raw).__name__}" + (f" of {len(raw)} items" if isinstance(raw, (tuple, list)) else "")
            return None, CallError("returned", f"{function} should return a tuple of {len(names)} arrays "
                                               f"({', '.join(names)}), got {got}")
        items = tuple(raw)
    try:
        outs = tuple(to_plain_array(item, name) for item, name in zip(items, names))
    except TypeError as exc:
        return None, CallError("returned", f"{function}: {exc}")
    # an output contracted as a scalar may come back as an array of one entry
    outs = tuple(o.reshape(()) if tuple(contract) == () and o.shape == (1,) else o
                 for o, (_, contract) in zip(outs, outputs))
    mutated = [a for a in arg_names if isinstance(inputs.get(a), np.ndarray)
               and not np.array_equal(args[a], inputs[a], equal_nan=True)]
    if mutated:
        return None, CallError("inplace", f"{function} modified its argument {mutated[0]} in place; " + INPLACE_TAIL)
    return outs, None


def copy_inputs(inputs: dict) -> dict:
    """A copy of ``inputs`` whose arrays the callee may modify freely."""
    return {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in inputs.items()}


def find_function(name: str, fn: Callable | None, lookup: Callable | None):
    """Another learner function by name: through ``lookup`` (the grader's proxies) when
    given, else from the namespace ``fn`` was defined in (a notebook's globals). None when
    there is no such callable."""
    if lookup is not None:
        try:
            found = lookup(name)
        except Exception:
            found = None
    else:
        found = getattr(fn, "__globals__", {}).get(name)
    return found if callable(found) else None


def blame_dependency(function: str, dep_name: str, dep_result) -> tuple[str, str]:
    """(message, mistake name) for ``function`` when the learner function it calls,
    ``dep_name``, failed its own check with ``dep_result``."""
    message = (f"{function} calls {dep_name}, and {dep_name} fails its own check; fix it first. "
               f"{dep_name}: {dep_result.message}")
    return message, (f"{dep_name}: {dep_result.mistake}" if dep_result.mistake else f"{dep_name} is wrong")
