"""``check`` for a graded class: verdicts from precomputed fixtures, no answer inside.

In a class bundle (``python -m autograder release --class DIR``) this is what a learner's
``from autograder import check`` imports: the bundle's ``autograder`` package holds this
module, the comparison helpers (``compare``, ``guidance``, ``result``) and, per chapter,
the fixtures of the *visible* checks: for every case the inputs, the expected outputs and
the outputs of each catalogued mistake, all computed by the instructor's full checks.
No reference implementation, no check module, no hidden-test input travels with it.

Verdicts are the full checks' verdicts: the same cases, tolerances, shape contracts,
in-place and exception handling, and a wrong answer is named when its outputs equal a
catalogued mistake's stored outputs (or overflow as that mistake does), or when a function
it calls fails its own check. What needs the reference at run time -- describing an
uncatalogued mistake, locating the difference -- is left to the instructor's grader.

Layout of a fixture folder: ``<chapter>.json`` (``checks``: check name -> case set;
``sets``: case set -> exercise description) and ``<chapter>.npz`` (arrays named
``<set>|<case>|in|<arg>``, ``|out|<k>``, ``|m<j>|<k>`` for mistake j, ``|ov|<k>`` for the
overflow mistake).
"""

from __future__ import annotations

import json
import os

import numpy as np

from ..compare import close, first_difference, fmt_shape, fmt_shapes, overflows_alike
from .. import calling
from ..calling import INPLACE, call_student, find_function
from ..result import CheckFailed, CheckResult
from ..result import failed as _fail, passed as _pass

#: the fixtures beside this package in a bundle (``autograder/fixtures``)
FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures")
#: the mistake name of an answer that writes into its arguments (as the full checks name it)

__all__ = ["check", "run_check", "CheckFailed", "FixtureStore"]


class FixtureStore:
    """The fixtures of one folder, loaded per chapter on first use."""

    def __init__(self, folder: str = FIXTURES):
        self.folder = folder
        self._chapters: dict[str, tuple[dict, dict]] = {}

    def chapter(self, chapter: str) -> tuple[dict, dict]:
        if chapter not in self._chapters:
            meta_path = os.path.join(self.folder, f"{chapter}.json")
            if not os.path.exists(meta_path):
                known = sorted(f[:-5] for f in os.listdir(self.folder) if f.endswith(".json")) \
                    if os.path.isdir(self.folder) else []
                raise ValueError(f"check name: expected a chapter of this class ({', '.join(known) or 'none'}), "
                                 f"got {chapter!r}")
            with open(meta_path) as f:
                meta = json.load(f)
            with np.load(os.path.join(self.folder, f"{chapter}.npz"), allow_pickle=False) as data:
                arrays = {k: data[k] for k in data.files}
            self._chapters[chapter] = (meta, arrays)
        return self._chapters[chapter]

    def check_set(self, check_name: str) -> tuple["CaseSet", str]:
        if not isinstance(check_name, str) or check_name.count(".") != 2:
            raise ValueError(f"check name: expected '<chapter>.<exercise>.<kind>', got {check_name!r}")
        meta, _ = self.chapter(check_name.split(".")[0])
        if check_name not in meta["checks"]:
            raise ValueError(f"check name: expected one of the visible checks of this chapter "
                             f"({', '.join(sorted(meta['checks']))}), got {check_name!r}")
        spec = meta["checks"][check_name]
        return self.case_set(check_name.split(".")[0], spec["set"]), spec["kind"]

    def case_set(self, chapter: str, key: str) -> "CaseSet":
        meta, arrays = self.chapter(chapter)
        return CaseSet(self, chapter, key, meta["sets"][key], arrays)


class CaseSet:
    """One exercise's cases at one seed: inputs, expected outputs, mistakes' outputs."""

    def __init__(self, store: FixtureStore, chapter: str, key: str, spec: dict, arrays: dict):
        self.store, self.chapter, self.key, self.spec = store, chapter, key, spec
        self.name, self.function = spec["exercise"], spec["function"]
        self.args, self.outputs = spec["args"], [(o, tuple(c)) for o, c in spec["outputs"]]
        self.rtol, self.atol = spec["rtol"], spec["atol"]
        self.cases = [dict(s) for s in spec["cases"]]
        self._arrays = arrays

    def _get(self, i: int, part: str, name) -> np.ndarray | None:
        return self._arrays.get(f"{self.key}|{i}|{part}|{name}")

    def inputs(self, i: int) -> dict:
        out = dict(self.spec["scalars"][i])
        for a in self.args:
            arr = self._get(i, "in", a)
            if arr is not None:
                out[a] = arr.copy()
        return out

    def expected(self, i: int) -> tuple:
        return tuple(self._get(i, "out", k) for k in range(len(self.outputs)))

    def mistake_outputs(self, i: int, part: str):
        first = self._get(i, part, 0)
        if first is None:
            return None
        return tuple(self._get(i, part, k) for k in range(self.spec["n_outputs"][part]))

    # -- calling the learner's function, as the full checks do ---------------------------

    def call_student(self, fn, inputs: dict):
        """Call ``fn`` on copies, as the full checks do (:func:`autograder.calling.call_student`)."""
        return call_student(self.function, self.args, self.outputs, fn, inputs)

    # -- the two kinds of check ------------------------------------------------------------

    def check_shape(self, fn, points: float = 1.0, lookup=None) -> CheckResult:
        name = f"{self.name}.shape"
        for i, sizes in enumerate(self.cases):
            inputs = self.inputs(i)
            outs, error = self.call_student(fn, inputs)
            if error:
                return _fail(name, points, error, INPLACE if error.kind == "inplace" else "")
            for out, (oname, contract) in zip(outs, self.outputs):
                want = tuple(sizes[c] if isinstance(c, str) else c for c in contract)
                if out.shape != want:
                    return self._named_failure(name, points, (
                        f"{oname} has shape {fmt_shape(out.shape)}; expected {fmt_shape(contract)} = "
                        f"{fmt_shape(want)} for inputs {fmt_shapes(inputs)}."), i, outs, fn, lookup)
                if not np.isfinite(out).all():
                    return self._named_failure(name, points, f"{oname} contains NaN or inf for inputs "
                                               f"{fmt_shapes(inputs)}.", i, outs, fn, lookup)
        return _pass(name, points, f"shapes right on {len(self.cases)} cases")

    def check_values(self, fn, points: float = 1.0, lookup=None) -> CheckResult:
        name = f"{self.name}.values"
        for i in range(len(self.cases)):
            inputs = self.inputs(i)
            outs, error = self.call_student(fn, inputs)
            if error:
                return self._dependency_failure(name, points, fn, lookup) or _fail(
                    name, points, error, INPLACE if error.kind == "inplace" else "")
            want = self.expected(i)
            for k, ((oname, _), got) in enumerate(zip(self.outputs, outs)):
                if got.shape != want[k].shape:
                    return self._named_failure(name, points, (
                        f"{oname} has shape {fmt_shape(got.shape)}; expected {fmt_shape(want[k].shape)} "
                        f"for inputs {fmt_shapes(inputs)}. Fix the shape first."), i, outs, fn, lookup)
                if not close(got, want[k], self.rtol, self.atol):
                    return self._named_failure(name, points, (
                        f"{oname} differs from the reference: {first_difference(got, want[k], self.rtol, self.atol)}."),
                        i, outs, fn, lookup, suffix=f" (inputs {fmt_shapes(inputs)})")
        return _pass(name, points, f"matches the reference on {len(self.cases)} cases")

    def _named_failure(self, name, points, message, i, outs, fn, lookup, suffix="") -> CheckResult:
        blamed = self._dependency_failure(name, points, fn, lookup)
        if blamed:
            return blamed
        mistake = self.diagnose(i, outs)
        if mistake:
            message = (f"{message.rstrip('.')}. Your output matches the reference with this mistake: "
                       f"{mistake['name']}. {mistake['hint']}")
        return _fail(name, points, message + suffix, mistake["name"] if mistake else "")

    def _dependency_failure(self, name, points, fn, lookup) -> CheckResult | None:
        for dep_name, dep_key in self.spec["depends_on"]:
            dep_fn = find_function(dep_name, fn, lookup)
            if dep_fn is None:
                continue
            result = self.store.case_set(self.chapter, dep_key).check_values(dep_fn, points, lookup=lookup)
            if not result.passed:
                return _fail(name, points, *calling.blame_dependency(self.function, dep_name, result))
        return None

    def diagnose(self, i: int, outs: tuple):
        """The first catalogued mistake whose stored outputs equal ``outs``, or the overflow
        mistake when ``outs`` is non-finite where its stored outputs are, or None."""
        for j, mistake in enumerate(self.spec["mistakes"]):
            wrong = self.mistake_outputs(i, f"m{j}")
            if wrong is not None and all(close(o, w, self.rtol, self.atol) for o, w in zip(outs, wrong)):
                return mistake
        overflow = self.spec["overflow"]
        if overflow is None or all(np.isfinite(o).all() for o in outs):
            return None
        wrong = self.mistake_outputs(i, "ov")
        if wrong is None:
            return None

        return overflow if overflows_alike(outs, wrong, self.rtol, self.atol) else None


_STORE = FixtureStore()


def run_check(check_name: str, student_fn, points: float = 1.0, *, store: FixtureStore | None = None,
              lookup=None) -> CheckResult:
    """The visible check ``check_name`` on ``student_fn``, from the fixtures."""
    cases, kind = (store or _STORE).check_set(check_name)
    if not callable(student_fn):
        return _fail(check_name, points, f"expected the function {cases.function}, got {type(student_fn).__name__}")
    method = cases.check_shape if kind == "shape" else cases.check_values
    return method(student_fn, points, lookup=lookup)


def check(name: str, fn, *, hidden: bool = False, points: float = 1.0) -> None:
    """Run the visible check ``name`` on ``fn``; print success or raise :class:`CheckFailed`."""
    if hidden:
        raise ValueError(f"hidden: expected False in a class bundle, got True ({name}: hidden tests run only "
                         "in the instructor's grader)")
    result = run_check(name, fn, points)
    if not result.passed:
        raise CheckFailed(f"{name}: {result.message}") from None
    print(f"\u2713 {name}: {result.message}")



