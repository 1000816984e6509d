"""An exercise: how to draw its inputs, its reference answer, and its typical mistakes.

From one :class:`Exercise` the registry makes named checks (``<name>.shape``,
``<name>.values``). A check is a plain function ``(student_fn, seed) -> CheckResult``:
it draws every input from its own ``np.random.Generator(seed)``, calls ``student_fn``
positionally on copies, and compares the returned arrays with the reference in the
caller's process. ``student_fn`` may be the student's function itself (self-study, in the
notebook) or a proxy that runs it in a sandboxed process and ships plain arrays back
(graded mode); the check cannot tell and does not need to.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass, field
from typing import Callable, Mapping, Sequence

import numpy as np

from .compare import ATOL, RTOL, close, first_difference, fmt_shape, to_plain_array
from .result import CheckResult


#: the reference and the grader, never allowed in a graded answer
ALWAYS_FORBIDDEN = ("rnn_ref", "autograder")
#: built-in recurrent layers, forbidden where the student writes the recurrence
RECURRENT_LAYERS = ("torch.nn.RNN", "torch.nn.RNNCell", "torch.nn.LSTM", "torch.nn.LSTMCell",
                    "torch.nn.GRU", "torch.nn.GRUCell", "tensorflow", "keras")
#: automatic differentiation and whole deep-learning libraries, forbidden where the student
#: writes a backward pass (or anything such a library would compute for them)
AUTODIFF = ("torch", "jax", "tensorflow", "keras")
#: what a chapter forbids when its exercises are backward passes or numerics of their own
NO_LIBRARIES = ALWAYS_FORBIDDEN + RECURRENT_LAYERS + AUTODIFF


@dataclass(frozen=True)
class Mistake:
    """A typical wrong implementation, computed from the same inputs as the reference.

    Attributes:
        name: short label used in reports ("bias dropped").
        hint: what to tell the student ("did you forget b_h?").
        compute: same signature as the reference; returns the wrong outputs as a tuple,
            or None where the mistake cannot be told apart on these inputs.
    """

    name: str
    hint: str
    compute: Callable[..., tuple]


@dataclass(frozen=True)
class Exercise:
    """One function the student writes.

    Attributes:
        name: registry prefix, ``"ch02.rnn_step_forward"``.
        function: the name the notebook asks the student to define.
        args: argument names, in call order.
        outputs: ``{output name: shape contract}``; one entry means the function returns
            a single array, several mean a tuple in this order.
        draw: ``(rng, sizes) -> {arg: array}`` for one case.
        reference: ``(**inputs) -> tuple of arrays`` (the oracle, from ``rnn_ref``).
        cases: the sizes of each case (letters of the shape contracts).
        mistakes: the catalogue matched against a wrong answer.
        forbidden: dotted names whose use in the answer earns zero in graded mode.
        overflow: a mistake to name when the answer has NaN or inf where the reference has
            none and this mistake's own computation is non-finite on the same inputs (an
            unshifted softmax on large scores: two NaNs cannot be compared entry by entry,
            but they share the cause).
    """

    name: str
    function: str
    args: Sequence[str]
    outputs: Mapping[str, Sequence[str]]
    draw: Callable[[np.random.Generator, dict], dict]
    reference: Callable[..., tuple]
    cases: Sequence[Mapping[str, int]]
    mistakes: Sequence[Mistake] = ()
    forbidden: Sequence[str] = ALWAYS_FORBIDDEN + RECURRENT_LAYERS
    overflow: Mistake | None = None
    rtol: float = RTOL
    atol: float = ATOL
    notes: dict = field(default_factory=dict)

    # -- drawing and calling -------------------------------------------------------

    def draw_cases(self, seed: int) -> list[dict]:
        """Every case's inputs, from a generator the check owns (never the student's)."""
        rng = np.random.default_rng(seed)
        return [self.draw(rng, dict(sizes)) for sizes in self.cases]

    def expected(self, inputs: dict) -> tuple:
        return tuple(np.asarray(a, dtype=np.float64) for a in self.reference(**_copy(inputs)))

    def call_student(self, student_fn, inputs: dict):
        """Call ``student_fn`` on copies; return (outputs tuple, None) or (None, message)."""
        args = _copy(inputs)
        try:
            raw = student_fn(*[args[a] for a in self.args])
        except NotImplementedError:
            return None, f"{self.function} is not implemented yet (it raised NotImplementedError)."
        except Exception as exc:  # the student's bug, reported, never propagated
            return None, f"{self.function} raised {_describe(exc)}"
        names = list(self.outputs)
        if len(names) == 1:
            if isinstance(raw, tuple):
                return None, (f"{self.function} should return one array ({names[0]}), "
                              f"got a tuple of {len(raw)} items")
            items = (raw,)
        else:
            if not isinstance(raw, (tuple, list)) or len(raw) != len(names):
                got = f"a {type(raw).__name__}" + (f" of {len(raw)} items" if isinstance(raw, (tuple, list)) else "")
                return None, (f"{self.function} should return a tuple of {len(names)} arrays "
                              f"({', '.join(names)}), got {got}")
            items = tuple(raw)
        try:
            outs = tuple(to_plain_array(item, name) for item, name in zip(items, names))
        except TypeError as exc:
            return None, f"{self.function}: {exc}"
        # an output contracted as a scalar may come back as an array of one entry
        outs = tuple(o.reshape(()) if tuple(self.outputs[n]) == () and o.shape == (1,) else o
                     for o, n in zip(outs, names))
        mutated = [a for a in self.args if isinstance(inputs[a], np.ndarray)
                   and not np.array_equal(args[a], inputs[a], equal_nan=True)]
        if mutated:
            return None, (f"{self.function} modified its argument {mutated[0]} in place; "
                          "compute a new array instead (an in-place update corrupts the caller's data).")
        return outs, None

    # -- the two kinds of check ----------------------------------------------------

    def check_shape(self, student_fn, seed: int, points: float = 1.0) -> CheckResult:
        """Pass when every output has the contracted shape and only finite values."""
        name = f"{self.name}.shape"
        for sizes, inputs in zip(self.cases, self.draw_cases(seed)):
            outs, error = self.call_student(student_fn, inputs)
            if error:
                return _fail(name, points, error)
            for out, (oname, contract) in zip(outs, self.outputs.items()):
                want = tuple(sizes[c] if isinstance(c, str) else c for c in contract)
                if out.shape != want:
                    return self._named_failure(name, points, (
                        f"{oname} has shape {fmt_shape(out.shape)}; expected {fmt_shape(contract)} = "
                        f"{fmt_shape(want)} for inputs {_shapes(inputs)}."), inputs, outs)
                if not np.isfinite(out).all():
                    return self._named_failure(
                        name, points, f"{oname} contains NaN or inf for inputs {_shapes(inputs)}.", inputs, outs)
        return _pass(name, points, f"shapes right on {len(self.cases)} cases")

    def check_values(self, student_fn, seed: int, points: float = 1.0) -> CheckResult:
        """Pass when every output matches the reference; otherwise name the likely mistake."""
        name = f"{self.name}.values"
        for inputs in self.draw_cases(seed):
            outs, error = self.call_student(student_fn, inputs)
            if error:
                return _fail(name, points, error)
            want = self.expected(inputs)
            for k, (oname, got) in enumerate(zip(self.outputs, outs)):
                if got.shape != want[k].shape:
                    return self._named_failure(name, points, (
                        f"{oname} has shape {fmt_shape(got.shape)}; expected {fmt_shape(want[k].shape)} "
                        f"for inputs {_shapes(inputs)}. Fix the shape first."), inputs, outs)
                if not close(got, want[k], self.rtol, self.atol):
                    return self._named_failure(name, points, (
                        f"{oname} differs from the reference: {first_difference(got, want[k], self.rtol, self.atol)}."),
                        inputs, outs, suffix=f" (inputs {_shapes(inputs)})")
        return _pass(name, points, f"matches the reference on {len(self.cases)} cases")

    def _named_failure(self, name, points, message, inputs, outs, suffix="") -> CheckResult:
        """A failed result whose message names the catalogued mistake the outputs match."""
        mistake = self.diagnose(inputs, outs)
        if mistake:
            message = (f"{message.rstrip('.')}. Your output matches the reference with this mistake: "
                       f"{mistake.name}. {mistake.hint}")
        return _fail(name, points, message + suffix, mistake.name if mistake else "")

    def diagnose(self, inputs: dict, outs: tuple):
        """The first catalogued mistake whose outputs match ``outs`` (shapes included), or
        :attr:`overflow` when ``outs`` is non-finite as that mistake's outputs are, or None."""
        for mistake in self.mistakes:
            try:
                with np.errstate(all="ignore"):
                    wrong = mistake.compute(**_copy(inputs))
            except Exception:
                continue
            if wrong is None:
                continue
            wrong = tuple(np.asarray(w, dtype=np.float64) for w in wrong)
            if all(close(o, w, self.rtol, self.atol) for o, w in zip(outs, wrong)):
                return mistake
        if self.overflow is None or all(np.isfinite(o).all() for o in outs):
            return None
        try:
            with np.errstate(all="ignore"):
                wrong = self.overflow.compute(**_copy(inputs))
        except Exception:
            return None
        if wrong is not None and not all(np.isfinite(np.asarray(w, dtype=np.float64)).all() for w in wrong):
            return self.overflow
        return None


def _copy(inputs: dict) -> dict:
    return {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in inputs.items()}


def _shapes(inputs: dict) -> str:
    return ", ".join(f"{k}{fmt_shape(v.shape)}" for k, v in inputs.items() if isinstance(v, np.ndarray))


def _describe(exc: BaseException) -> str:
    if getattr(exc, "remote", False):  # already "Type: message" from the sandbox
        return str(exc)
    tb = traceback.extract_tb(exc.__traceback__)
    where = f" (line {tb[-1].lineno})" if tb else ""
    text = str(exc)
    if len(text) > 300:
        text = text[:300] + "..."
    return f"{type(exc).__name__}: {text}{where}"


def _fail(name, points, message, mistake="") -> CheckResult:
    return CheckResult(name, False, 0.0, float(points), "failed", message, mistake)


def _pass(name, points, message) -> CheckResult:
    return CheckResult(name, True, float(points), float(points), "ok", message)
