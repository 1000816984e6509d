"""What every chapter's checks must do, tested once for all chapters.

A chapter is ``solutions/<chNN_name>/<chNN_name>.ipynb`` with its checks in
``autograder/checks/<chNN>.py`` and its seeded mistakes in ``tests/seeded_<chNN>.py``
(``SEEDED = {exercise: [(expected mistake name or None, student-style source), ...]}``,
written independently of the catalogue, so that naming them measures the diagnosis).
For each chapter:

- the reference and the solution notebook's own answers pass every check, visible and hidden;
- every catalogued mistake, run as a student's answer, fails and is named as itself;
- every seeded mistake fails with a message and zero points, and at least 90% are named;
- graded through the sandbox, the solution notebook earns full marks and the untouched
  release nothing.

Chapter-specific behaviour is tested in ``test_checks_<chNN>.py``.
"""

import glob
import importlib
import os

import numpy as np
import pytest

from autograder import run_check, seed_for
from autograder.registry import all_exercises
from chapter_tools import as_student, compile_function, grade, named, solution_function

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ASSIGNMENTS = sorted(os.path.basename(p) for p in glob.glob(os.path.join(ROOT, "solutions", "ch*")))
CHAPTERS = {a.split("_")[0]: a for a in ASSIGNMENTS}          # "ch03" -> "ch03_backprop_through_time"
EXERCISES = [(ch, ex.name) for ch in sorted(CHAPTERS) for ex in all_exercises(ch)]
KINDS = ("shape", "values")


def _seeded(chapter: str) -> dict:
    return importlib.import_module(f"seeded_{chapter}").SEEDED


def test_chapters_are_found_and_each_has_seeded_mistakes_for_every_exercise():
    assert "ch02" in CHAPTERS and len(CHAPTERS) >= 3
    for chapter in CHAPTERS:
        assert {e.name for e in all_exercises(chapter)} == set(_seeded(chapter)), chapter


@pytest.mark.parametrize("chapter, name", EXERCISES)
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("hidden", [False, True], ids=["visible", "hidden"])
@pytest.mark.parametrize("who", ["reference", "solution notebook"])
def test_reference_and_solution_pass_every_check(chapter, name, kind, hidden, who):
    from autograder.registry import exercise

    ex = exercise(name)
    fn = as_student(ex) if who == "reference" else solution_function(CHAPTERS[chapter], ex.function)
    check_name = f"{name}.{kind}"
    result = run_check(check_name, fn, seed_for(check_name, hidden), points=2)
    assert result.passed and result.status == "ok" and result.score == 2, result.message


@pytest.mark.parametrize("chapter, name", EXERCISES)
@pytest.mark.parametrize("seed", ["visible", "hidden", 1, 2, 3, 4, 5])
def test_every_catalogued_mistake_fails_and_is_named_as_itself(chapter, name, seed):
    """The draws make each mistake differ from the reference and from every other mistake,
    on the check's own seeds and on others (an instructor's secret changes the hidden one)."""
    from autograder.registry import exercise

    ex = exercise(name)
    catalogue = list(ex.mistakes) + ([ex.overflow] if ex.overflow else [])
    assert len(catalogue) >= 5
    single = len(ex.outputs) == 1
    s = seed_for(f"{name}.values", seed == "hidden") if seed in ("visible", "hidden") else seed
    for mistake in catalogue:
        def fn(*args, m=mistake):
            wrong = m.compute(**dict(zip(ex.args, args)))
            return wrong[0] if single else wrong
        with np.errstate(all="ignore"):
            result = run_check(f"{name}.values", fn, s)
        assert not result.passed and result.score == 0, mistake.name
        assert result.mistake == mistake.name, (mistake.name, seed, result.message)


@pytest.mark.parametrize("chapter, name", EXERCISES)
def test_seeded_wrong_implementations_fail_with_a_message(chapter, name):
    entries = _seeded(chapter)[name]
    assert len(entries) >= 5
    function = name.split(".")[1]
    for expected, source in entries:
        for hidden in (False, True):
            with np.errstate(all="ignore"):
                result = run_check(f"{name}.values", compile_function(source, function), seed_for(f"{name}.values", hidden))
            assert not result.passed and result.status == "failed" and result.score == 0, expected
            assert any(s in result.message for s in ("differs from the reference", "shape", "raised",
                                                     "NaN")), (expected, result.message)


@pytest.mark.parametrize("chapter", sorted(CHAPTERS))
def test_mistakes_are_named_for_at_least_90_percent_of_seeded_mistakes(chapter):
    right, total, misses = 0, 0, []
    for name, entries in _seeded(chapter).items():
        function = name.split(".")[1]
        for expected, source in entries:
            for hidden in (False, True):
                with np.errstate(all="ignore"):
                    result = run_check(f"{name}.values", compile_function(source, function),
                                       seed_for(f"{name}.values", hidden))
                total += 1
                if named(result, expected):
                    right += 1
                else:
                    misses.append((name, hidden, expected, result.mistake, result.message[:200]))
    print(f"{chapter}: named {right} of {total}")
    assert right / total >= 0.9, "\n".join(map(str, misses))


# -- graded mode: the checks reach the functions through the sandbox ------------------------

@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_graded_solution_scores_full_marks_and_the_release_nothing(assignment):
    report = grade(assignment, os.path.join(ROOT, "solutions", assignment, assignment + ".ipynb"))
    assert report["max_score"] > 0
    assert report["score"] == report["max_score"], [
        (t["grade_id"], t["message"]) for t in report["tests"] if t["score"] < t["max_score"]]
    report = grade(assignment, os.path.join(ROOT, "course", assignment, assignment + ".ipynb"))
    assert report["score"] == 0
    assert all("not implemented" in t["message"] for t in report["tests"]), report["tests"]
