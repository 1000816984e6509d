"""Turn an exception raised by a learner's function into guidance.

The message names the learner's own line (never a line inside NumPy or the grader), the
shapes of the inputs, and the likely cause. It works the same on a local exception
(self-study: the traceback is there) and on one that came back from the sandbox
(graded mode: an exception with ``remote = True`` and the attributes ``type_name``,
``message``, ``lineno`` and ``line``, read with defaults).
"""

from __future__ import annotations

import os
import re
import traceback

_OWN = (os.path.dirname(os.path.abspath(__file__)),)


def _learner_frame(exc: BaseException):
    """(lineno, source line) of the deepest frame that is the learner's code, or (None, "")."""
    import numpy

    library = (os.path.dirname(os.path.abspath(numpy.__file__)),) + _OWN
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename.startswith("<") or not os.path.abspath(frame.filename).startswith(library):
            return frame.lineno, (frame.line or "").strip()
    return None, ""


def facts(exc: BaseException) -> tuple[str, str, int | None, str]:
    """(type name, message, line number, source line) of a local or a remote exception."""
    if getattr(exc, "remote", False):
        text = str(exc)
        type_name = getattr(exc, "type_name", None) or text.split(":", 1)[0]
        message = getattr(exc, "message", None)
        if message is None:
            message = text.split(":", 1)[1].strip() if ":" in text else text
        return type_name, message, getattr(exc, "lineno", None), (getattr(exc, "line", "") or "").strip()
    lineno, line = _learner_frame(exc)
    return type(exc).__name__, str(exc), lineno, line


def _cause(type_name: str, message: str, line: str, shapes: dict, function: str) -> str:
    """The likely cause, from the exception's text, the line and the input shapes."""
    for name in re.findall(r"\b(\w+)\[\s*t\s*\]", line):
        if len(shapes.get(name, ())) == 3:
            return (f"Indexing {name}[t] on a batch-first array {name} (N, T, ...) takes a batch row, not a "
                    f"time step: use {name}[:, t].")
    m = re.search(r"could not be broadcast together with shapes (\S+) (\S+)", message)
    if m:
        return (f"Two arrays of shapes {m.group(1)} and {m.group(2)} are combined entry by entry. Check each "
                f"operand's shape against the contract: a matrix product (@) may be missing, a weight may "
                f"need .T, or an axis was summed away.")
    m = re.search(r"mismatch in its core dimension (\d+).*\(size (\d+) is different from (\d+)\)", message)
    if m or "matmul" in message or "shapes" in message and "not aligned" in message:
        return ("The inner sizes of a matrix product differ: in A @ B the last axis of A must match the first "
                "of B. One operand probably needs a transpose (.T), or the operands are in the wrong order.")
    if type_name == "IndexError":
        m = re.search(r"index (-?\d+) is out of bounds for axis (\d+) with size (\d+)", message)
        three = [n for n, s in shapes.items() if len(s) == 3]
        if m and m.group(2) == "0" and re.search(r"\[\s*t\s*[\],]", line) and three:
            return (f"Indexing {three[0]}[t] on a batch-first array (N, T, ...) takes a batch row, not a time "
                    f"step: use {three[0]}[:, t].")
        if "t + 1" in line or "t+1" in line:
            return "A loop reads one step past the end: at the last step t + 1 does not exist."
        if m:
            return (f"An index runs past the end of axis {m.group(2)} (size {m.group(3)}): check the loop's range "
                    f"and which axis you index (batch first: axis 0 is the batch, axis 1 the time).")
        return "An index does not fit the array: check which axis you index and the loop's range."
    if "values to unpack" in message:
        return ("The number of names on the left of = differs from the number of values on the right: check "
                "how many values the function you call returns, and unpack exactly that many.")
    if type_name == "NameError":
        return ("A name is not defined where your function runs: define it inside the function, or run (and "
                "keep) the cell that defines it.")
    if "NoneType" in message:
        return "A value is None: a function you call (maybe one of yours) has no return statement."
    if type_name == "TypeError" and "positional argument" in message:
        return "A function is called with the wrong number of arguments: compare the call with its definition."
    if "cannot reshape" in message:
        return ("A reshape asks for a different number of entries than the array has: the target shape must "
                "multiply out to the same size.")
    return "Read the line and compare each operand's shape with the contract in the docstring."


def explain(exc: BaseException, function: str, inputs: dict) -> str:
    """A sentence for the learner: what was raised, on which of their lines, and why."""
    import numpy as np

    shapes = {k: tuple(v.shape) for k, v in inputs.items() if isinstance(v, np.ndarray)}
    type_name, message, lineno, line = facts(exc)
    message = message if len(message) <= 300 else message[:300] + "..."
    where = f" at line {lineno} of your code" if lineno else ""
    code = f": `{line}`" if line else ""
    shown = ", ".join(f"{k}{_fmt(s)}" for k, s in shapes.items())
    return (f"{function} raised {type_name}: {message}{where}{code}. {_cause(type_name, message, line, shapes, function)}"
            f" (inputs {shown})")


def _fmt(shape) -> str:
    return "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"
