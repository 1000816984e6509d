"""Mutation analysis of the checks: every one-edit variant of a reference answer must fail,
and the feedback must name the edit in the learner's terms (or point to the place).

For each chapter, :func:`autograder.mutants.analysis.analyse` takes every exercise's answer
cell from the solution notebook, makes every single-edit mutant of it (a term or factor
dropped, an operand transposed, operands or arguments swapped, another nonlinearity, a time
index shifted by one, a loop reversed, another axis or keepdims, ``=`` for ``+=``, a constant
dropped or changed, an argument written in place) and grades each one as a learner's answer
(``.values`` and ``.shape``, visible and hidden seeds).

"Named" is defined in :data:`autograder.mutants.analysis.PHRASES`: the check reports a
mistake name and its message contains a phrase of the mutant's own category ("transpose"
for a transposed operand, "one step"/"t - 1"/... for a shifted index, "axis"/"summed" for
an axis, ...). A mutant that raises is counted apart ("raised"): its message must name the
learner's line and suggest a cause. The targets (issue 8):

- no survivor: a mutant that is not equivalent to the reference on other seeds never passes;
- at least 90% of the killed mutants that do not raise are named;
- every other killed mutant gets a message that points to the place (a ``Where:`` sentence:
  the output, the time step, the gate block) or, when it raised, to the learner's line.

Chapter 8's checks belong to another exercise set; the tool runs on them too, but the
targets are asserted for the chapters listed in :data:`TARGETS`.
"""

import numpy as np
import pytest

from autograder.mutants.analysis import PHRASES, VERDICTS, analyse, summary
from autograder.mutants.operators import mutants

TARGETS = ("ch01", "ch02", "ch03", "ch04", "ch05", "ch06", "ch07", "ch08", "ch09")


@pytest.mark.parametrize("chapter", TARGETS)
def test_every_mutant_fails_is_named_or_located_and_few_are_equivalent(chapter):
    """One test per chapter, so that each chapter's analysis runs once (also under xdist)."""
    with np.errstate(all="ignore"):
        reports = analyse(chapter)
    s = summary(reports)
    print(f"{chapter}: {s}")
    outcomes = [(r.exercise, o) for r in reports for o in r.outcomes]
    # no wrong answer earns the points
    survivors = [(name, o.mutant.description, o.check) for name, o in outcomes if o.status == "survived"]
    assert not survivors, survivors
    assert s["mutants"] > 0 and s["killed"] > 0
    # at least 90% of the mutants that return a value are named in their own category's terms
    returned = s["killed"] - s["raised"]
    assert s["named"] >= 0.9 * returned, (chapter, s, [
        (name, o.mutant.category, o.mutant.description, o.mistake, o.message[:160])
        for name, o in outcomes if o.status == "killed" and o.verdict in ("misnamed", "localised")])
    # the others point to the place: the learner's line, or a Where: sentence
    assert s["bare"] == 0, [(name, o.mutant.description, o.message[:200]) for name, o in outcomes
                            if o.verdict == "bare"]
    for name, o in outcomes:
        if o.status == "killed" and o.verdict == "raised":
            assert " at line " in o.message and "(inputs " in o.message, o.message
        elif o.status == "killed" and o.verdict in ("misnamed", "localised"):
            assert "Where: " in o.message or o.mistake, o.message
    # equivalent mutants are listed (run with -s) and few
    equivalent = [(name, o.mutant.description) for name, o in outcomes if o.status == "equivalent"]
    print(f"{chapter} equivalent mutants:", *equivalent, sep="\n  ")
    assert len(equivalent) <= 0.05 * s["mutants"], equivalent


def test_the_phrases_do_not_match_the_generic_parts_of_a_message():
    """'Named' must come from the diagnosis, not from the sentences every failure carries."""
    generic = ("y differs from the reference: first difference at index [0, 1, 2]: got 0.1, expected 0.2 "
               "(3 of 30 entries differ; largest absolute error 0.1). Where: y, z differ; y first differs at "
               "time step 2 (steps 0 to 1 match); in dW only the gate blocks f (columns H:2H) differ; only rows "
               "[1] of y (batch index) differ; 3 of 30 entries of y differ. (inputs x(3, 5, 4), W(4, 4)) "
               "y has shape (3,); expected (N, T) = (3, 5) for inputs x(3, 5, 4). Fix the shape first.")
    for category, phrases in PHRASES.items():
        hits = [p for p in phrases if p in generic.lower()]
        assert not hits, (category, hits)


def test_operators_cover_every_category():
    source = '''
def f(x, h0, W, b):
    N, T, D = x.shape
    out = np.zeros((N, T, W.shape[1]))
    total = np.zeros(W.shape[1])
    h = h0
    for t in range(T):
        h = np.tanh(x[:, t] @ W + h * 0.5 + b)
        out[:, t] = h
        total += h.sum(axis=0, keepdims=False)
    return out - total / (1 + 1e-6)
'''
    found = {m.category for m in mutants(source, "f", ("x", "h0"))}
    assert found == set(PHRASES), set(PHRASES) - found


def test_verdicts_are_the_documented_ones():
    assert VERDICTS == ("named", "misnamed", "localised", "raised", "bare")
