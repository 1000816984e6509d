"""Run every mutant of every exercise of a chapter through the exercise's checks.

For each exercise the reference answer is the solution notebook's answer cell (nbgrader
markers removed), run in the namespace of the notebook's trusted code (setup, given
cells, the other answers), so that a mutant of ``rnn_forward`` calls the right
``rnn_step_forward``. Each mutant is graded as a student's answer is: ``.values`` and
``.shape`` on the visible and the hidden seed. A mutant that passes them all is then
run on :data:`EXTRA_SEEDS` of the exercise's draw: if it matches the reference there
too it is *equivalent* (listed, for a person to judge); otherwise it *survived*: a
wrong answer that would earn the points.

A failing mutant's feedback is sorted into one of:

- ``named``: the check names a mistake (``result.mistake``) and the message uses a phrase
  of the mutant's category (:data:`PHRASES`): the change, said in the learner's terms;
- ``misnamed``: a mistake is named, but in terms of another category;
- ``localised``: no mistake name, but the message says where the answer goes wrong
  (the output, the time step, the column block: a ``Where:`` sentence);
- ``raised``: the mutant raised; the message names the learner's line and suggests a cause;
- ``bare``: none of these ("differs from the reference" and nothing else).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import nbformat
import numpy as np

from ..registry import all_exercises, seed_for
from ..sources import strip_markers
from .operators import Mutant, mutants

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXTRA_SEEDS = (101, 202, 303)

#: accepted phrases (lower case) that name a change of each category in the learner's terms
PHRASES = {
    "term": ("missing", "left out", "dropped", "ignored", "forgot", "not applied", "not carried",
             "not passed", "without", "not added", "equals the reference computed with", "not shifted"),
    "factor": ("missing", "left out", "dropped", "ignored", "forgot", "not applied", "without",
               "factor", "slope", "derivative", "scaled", "equals the reference computed with",
               "not divided", "not multiplied", "not masked", "counted once", "unchanged"),
    "transpose": ("transpose",),
    "swap": ("swapped", "order", "transpose", "exchanged"),
    "nonlinearity": ("tanh", "sigmoid", "relu", "exp(", "np.exp", "exp instead", "nonlinearity", "activation",
                     "softmax"),
    "time": ("one step", "shifted", "off by one", "early", "late", "t-1", "t+1", "t - 1", "t + 1",
             "previous step", "next step", "step before", "step after"),
    "reverse": ("revers", "direction", "from t = 0", "from the last step", "runs forwards", "runs backwards"),
    "axis": ("axis", "summed", "sum over", "keepdims", "mean", "average"),
    "accumulate": ("accumulat", "overwrit", "summed over", "sum over", "+=", "only the last", "every step"),
    "constant": ("constant", "factor", "epsilon", "offset", "scaled", "times", "squared", "square", "power",
                 "1e-6", "off by", "dropped the term"),
    "inplace": ("in place",),
}

VERDICTS = ("named", "misnamed", "localised", "raised", "bare")


@dataclass
class Outcome:
    mutant: Mutant
    status: str              # "killed", "equivalent", "survived", "invalid" (does not compile)
    verdict: str = ""        # for killed mutants: one of VERDICTS
    check: str = ""
    mistake: str = ""
    message: str = ""


@dataclass
class ExerciseReport:
    exercise: str
    outcomes: list = field(default_factory=list)

    def count(self, status=None, verdict=None) -> int:
        return sum(1 for o in self.outcomes if (status is None or o.status == status)
                   and (verdict is None or o.verdict == verdict))


def assignment_of(chapter: str) -> str:
    for name in sorted(os.listdir(os.path.join(ROOT, "solutions"))):
        if name.split("_")[0] == chapter:
            return name
    raise ValueError(f"chapter: expected a folder solutions/{chapter}_*, found none")


def solution_cells(chapter: str) -> tuple[dict, dict]:
    """(namespace of the notebook's trusted code, {grade_id: answer source})."""
    assignment = assignment_of(chapter)
    nb = nbformat.read(os.path.join(ROOT, "solutions", assignment, assignment + ".ipynb"), as_version=4)
    namespace, answers = {}, {}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code" or not meta.get("grade_id") or (meta.get("grade") and not meta.get("solution")):
            continue
        source = strip_markers(cell.source)
        if meta.get("solution"):
            answers[meta["grade_id"]] = source
        with np.errstate(all="ignore"):
            exec(compile(source, f"<{assignment}: {meta['grade_id']}>", "exec"), namespace)
    return namespace, answers


def verdict(result, mutant: Mutant) -> str:
    message = result.message.lower()
    if " raised " in f" {message}" or result.message.startswith(tuple(f"{k}:" for k in ("line",))):
        if "line" in message:
            return "raised"
    if result.mistake:
        if any(p in message for p in PHRASES[mutant.category]):
            return "named"
        return "misnamed"
    if "where:" in message:
        return "localised"
    return "bare"


def _student(fn):
    return fn


def grade_mutant(ex, fn, mutant: Mutant, lookup=None) -> Outcome:
    from ..registry import run_check

    for kind in ("values", "shape"):
        for hidden in (False, True):
            name = f"{ex.name}.{kind}"
            with np.errstate(all="ignore"):
                result = run_check(name, fn, seed_for(name, hidden), lookup=lookup)
            if not result.passed:
                return Outcome(mutant, "killed", verdict(result, mutant), f"{name}{' (hidden)' if hidden else ''}",
                               result.mistake, result.message)
    for seed in EXTRA_SEEDS:
        with np.errstate(all="ignore"):
            result = run_check(f"{ex.name}.values", fn, seed, lookup=lookup)
        if not result.passed:
            return Outcome(mutant, "survived", "", f"{ex.name}.values seed {seed}", result.mistake, result.message)
    return Outcome(mutant, "equivalent")


def analyse(chapter: str, only: str | None = None) -> list[ExerciseReport]:
    """The mutation analysis of every exercise of ``chapter`` (or of the one named ``only``)."""
    namespace, answers = solution_cells(chapter)
    reports = []
    for ex in all_exercises(chapter):
        if only and only not in (ex.name, ex.function):
            continue
        source = answers.get(ex.function)
        if source is None:
            raise ValueError(f"chapter {chapter}: no answer cell with grade_id {ex.function!r} in the solution notebook")
        inputs = ex.draw_cases(0)[0]
        arrays = tuple(a for a in ex.args if isinstance(inputs[a], np.ndarray))
        report = ExerciseReport(ex.name)
        lookup = namespace.get
        for mutant in mutants(source, ex.function, arrays):
            space = dict(namespace)
            try:
                exec(compile(mutant.source, f"<mutant of {ex.function}>", "exec"), space)
            except Exception:
                report.outcomes.append(Outcome(mutant, "invalid"))
                continue
            report.outcomes.append(grade_mutant(ex, space[ex.function], mutant, lookup))
        reports.append(report)
    return reports


def summary(reports: list[ExerciseReport]) -> dict:
    """Totals over exercises: mutants, killed, each verdict, equivalent, survived."""
    out = {"mutants": 0, "killed": 0, "equivalent": 0, "survived": 0, "invalid": 0, **{v: 0 for v in VERDICTS}}
    for r in reports:
        out["mutants"] += len(r.outcomes)
        for status in ("killed", "equivalent", "survived", "invalid"):
            out[status] += r.count(status)
        for v in VERDICTS:
            out[v] += r.count("killed", v)
    return out
