"""An exercise: how to draw its inputs, its reference answer, and its typical mistakes.

From one :class:`Exercise` the registry makes named checks (``<name>.shape``,
``<name>.values``). A check is a plain function ``(student_fn, seed) -> CheckResult``:
it draws every input from its own ``np.random.Generator(seed)``, calls ``student_fn``
positionally on copies, and compares the returned arrays with the reference in the
caller's process. ``student_fn`` may be the student's function itself (self-study, in the
notebook) or a proxy that runs it in a sandboxed process and ships plain arrays back
(graded mode); the check cannot tell and does not need to.

When the answer is wrong the message says how, in this order: a function the exercise
``depends_on`` that fails its own check is blamed first ("rnn_step_forward fails its
own check; fix it first"); then the first catalogued :class:`Mistake` the outputs
match; then :func:`autograder.diagnosis.diagnose` names the difference itself (an input
left out, transposed or swapped, a time shift, a reversed loop, a constant factor, a
bias, a permuted axis or gate block, another nonlinearity); and
:func:`autograder.diagnosis.locate` always adds where it differs (``Where:`` the output,
the time step, the gate block, the rows). An exception raised by the answer becomes
guidance naming the learner's line (:mod:`autograder.guidance`).

Dependencies: ``Exercise.depends_on`` lists the names of the learner's functions that
this one calls (``("rnn_step_forward",)``), each the ``function`` of another exercise of
the same chapter. The checks accept ``lookup``, a callable ``name -> function or None``:
the grader passes one that makes a proxy for the learner's function of that name in the
sandbox. Without ``lookup`` the check looks the name up in ``student_fn.__globals__``
(a notebook function sees the notebook's globals). A dependency that cannot be found is
skipped silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping, Sequence

import numpy as np

from . import calling, diagnosis
from .calling import INPLACE
from .calling import copy_inputs as _copy
from .compare import ATOL, RTOL, close, first_difference, fmt_shape, fmt_shapes, overflows_alike
from .result import CheckResult
from .result import failed as _fail, passed as _pass


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


#: the mistake name of an answer that writes into its arguments


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
        depends_on: names of the learner's functions this one calls (each the ``function``
            of another exercise of the chapter); checked first when this one fails.
        gates: the names of the column blocks of a fused ``4H``/``3H`` axis, in order
            (``("i", "f", "g", "o")``), used to say which gate differs.
        formula: the textbook form of the answer as a plain Python function with the
            learner's signature (tested equal to ``reference``). It is never the oracle:
            :func:`autograder.diagnosis.one_edit` mutates it (:mod:`autograder.mutants`) to
            name a wrong answer that is one edit away from it.
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
    depends_on: Sequence[str] = ()
    gates: Sequence[str] = ()
    formula: Callable | None = None

    # -- drawing and calling -------------------------------------------------------

    def draw_cases(self, seed: int) -> list[dict]:
        """Every case's inputs, from a generator the check owns (never the student's)."""
        rng = np.random.default_rng(seed)
        return [self.draw(rng, dict(sizes)) for sizes in self.cases]

    def expected(self, inputs: dict) -> tuple:
        return tuple(np.asarray(a, dtype=np.float64) for a in self.reference(**_copy(inputs)))

    def call_student(self, student_fn, inputs: dict):
        """Call ``student_fn`` on copies; return (outputs tuple, None) or (None, message)."""
        return calling.call_student(self.function, self.args, list(self.outputs.items()), student_fn, inputs)

    # -- the two kinds of check ----------------------------------------------------

    def check_shape(self, student_fn, seed: int, points: float = 1.0, lookup=None) -> CheckResult:
        """Pass when every output has the contracted shape and only finite values."""
        name = f"{self.name}.shape"
        for sizes, inputs in zip(self.cases, self.draw_cases(seed)):
            outs, error = self.call_student(student_fn, inputs)
            if error:
                return _fail(name, points, error, INPLACE if error.kind == "inplace" else "")
            for out, (oname, contract) in zip(outs, self.outputs.items()):
                want = tuple(sizes[c] if isinstance(c, str) else c for c in contract)
                if out.shape != want:
                    return self._named_failure(name, points, (
                        f"{oname} has shape {fmt_shape(out.shape)}; expected {fmt_shape(contract)} = "
                        f"{fmt_shape(want)} for inputs {fmt_shapes(inputs)}."), inputs, outs, sizes=sizes,
                        student_fn=student_fn, seed=seed, lookup=lookup)
                if not np.isfinite(out).all():
                    return self._named_failure(
                        name, points, f"{oname} contains NaN or inf for inputs {fmt_shapes(inputs)}.", inputs, outs,
                        sizes=sizes, student_fn=student_fn, seed=seed, lookup=lookup)
        return _pass(name, points, f"shapes right on {len(self.cases)} cases")

    def check_values(self, student_fn, seed: int, points: float = 1.0, lookup=None) -> CheckResult:
        """Pass when every output matches the reference; otherwise name the likely mistake."""
        name = f"{self.name}.values"
        for sizes, inputs in zip(self.cases, self.draw_cases(seed)):
            outs, error = self.call_student(student_fn, inputs)
            if error:
                blamed = None if error.kind in ("not_implemented", "inplace") else \
                    self._dependency_failure(name, points, student_fn, seed, lookup)
                return blamed or _fail(name, points, error, INPLACE if error.kind == "inplace" else "")
            want = self.expected(inputs)
            for k, (oname, got) in enumerate(zip(self.outputs, outs)):
                common = dict(sizes=sizes, student_fn=student_fn, seed=seed, lookup=lookup)
                if got.shape != want[k].shape:
                    return self._named_failure(name, points, (
                        f"{oname} has shape {fmt_shape(got.shape)}; expected {fmt_shape(want[k].shape)} "
                        f"for inputs {fmt_shapes(inputs)}. Fix the shape first."), inputs, outs, **common)
                if not close(got, want[k], self.rtol, self.atol):
                    return self._named_failure(name, points, (
                        f"{oname} differs from the reference: {first_difference(got, want[k], self.rtol, self.atol)}."),
                        inputs, outs, suffix=f" (inputs {fmt_shapes(inputs)})", **common)
        return _pass(name, points, f"matches the reference on {len(self.cases)} cases")

    def _named_failure(self, name, points, message, inputs, outs, suffix="", sizes=None,
                       student_fn=None, seed=0, lookup=None) -> CheckResult:
        """A failed result whose message names the mistake: a failing dependency, else a
        catalogued mistake, else the diagnosers' description; plus where it differs."""
        blamed = self._dependency_failure(name, points, student_fn, seed, lookup)
        if blamed:
            return blamed
        try:
            mistake = diagnosis.unwritten(self, student_fn, inputs, outs)
        except Exception:
            mistake = None
        mistake = mistake or self.diagnose(inputs, outs)
        for diagnoser in (diagnosis.one_edit, diagnosis.diagnose):
            if mistake is None:
                try:
                    mistake = diagnoser(self, inputs, outs, sizes)
                except Exception:  # a diagnoser never turns a verdict into a crash
                    mistake = None
        if mistake:
            message = (f"{message.rstrip('.')}. Your output matches the reference with this mistake: "
                       f"{mistake.name}. {mistake.hint}")
        try:
            where = diagnosis.locate(self, inputs, outs)
        except Exception:
            where = ""
        if where:
            message = f"{message.rstrip()} {where}"
        return _fail(name, points, message + suffix, mistake.name if mistake else "")

    def _dependency_failure(self, name, points, student_fn, seed, lookup) -> CheckResult | None:
        """A failed result blaming the first function of :attr:`depends_on` that fails its own
        values check (found through ``lookup`` or ``student_fn.__globals__``), or None."""
        if not self.depends_on or student_fn is None:
            return None
        from .registry import exercise_for_function

        for dep_name in self.depends_on:
            dep = exercise_for_function(self.name.split(".")[0], dep_name)
            fn = calling.find_function(dep_name, student_fn, lookup)
            if dep is None or fn is None:
                continue
            result = dep.check_values(fn, seed, points, lookup=lookup)
            if not result.passed:
                return _fail(name, points, *calling.blame_dependency(self.function, dep_name, result))
        return None

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
        if wrong is None:
            return None
        wrong = tuple(np.asarray(w, dtype=np.float64) for w in wrong)
        return self.overflow if overflows_alike(outs, wrong, self.rtol, self.atol) else None



