"""The check machinery, on chapter 2's exercises: feedback format, errors reported rather than
raised, wrong return types, in-place writes, fake arrays, seeds, bad names. What every
chapter's checks must do (reference passes, mistakes named) is in test_chapters.py."""

import numpy as np
import pytest

from autograder import check, run_check, seed_for
from autograder.registry import split_name
from rnn_ref import numpy as ref

from seeded_ch02 import SEEDED

def _compile(source: str, name: str):
    """The function ``name`` from ``source``, with its lines registered as IPython registers a cell's."""
    import linecache

    filename = f"<cell {name} {abs(hash(source))}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace = {}
    exec(compile(source, filename, "exec"), namespace)
    return namespace[name]


def test_feedback_gives_the_first_differing_entry_and_the_shapes():
    src = SEEDED["ch02.rnn_step_forward"][0][1]
    result = run_check("ch02.rnn_step_forward.values", _compile(src, "rnn_step_forward"), 7)
    assert "first difference at index [" in result.message
    assert "did you forget b_h" in result.message.lower()
    assert "x_t(4, 3)" in result.message


def test_unimplemented_and_crashing_functions_are_reported_not_raised():
    def stub(*args):
        raise NotImplementedError()

    def crash(*args):
        return args[99]

    r = run_check("ch02.rnn_forward.shape", stub, 1)
    assert not r.passed and "not implemented yet" in r.message
    r = run_check("ch02.rnn_forward.values", crash, 1)
    assert not r.passed and "raised IndexError" in r.message


def test_wrong_return_types_are_explained():
    r = run_check("ch02.rnn_step_forward.shape", lambda *a: "tanh", 1)
    assert not r.passed and "array of numbers" in r.message
    r = run_check("ch02.rnn_step_forward.shape", lambda *a: (ref.rnn_step_forward(*a), None), 1)
    assert not r.passed and "should return one array" in r.message


def test_in_place_modification_of_an_argument_is_caught():
    def sneaky(x_t, h_prev, W_xh, W_hh, b_h):
        h_prev += 0  # harmless value-wise, but writes into the caller's array
        np.tanh(x_t @ W_xh + h_prev @ W_hh + b_h, out=h_prev)
        return h_prev

    r = run_check("ch02.rnn_step_forward.values", sneaky, 1)
    assert not r.passed and "modified its argument h_prev in place" in r.message


def test_an_object_that_equals_everything_does_not_pass():
    class Liar:
        shape = (4, 5)

        def __eq__(self, other):
            return True

        def __array__(self, dtype=None, copy=None):
            return np.zeros((1,))

    r = run_check("ch02.rnn_step_forward.values", lambda *a: Liar(), 1)
    assert not r.passed


def test_check_in_a_notebook_prints_on_success_and_raises_with_feedback(capsys):
    check("ch02.output_layer.values", ref.temporal_affine_forward)
    assert "\u2713 ch02.output_layer.values" in capsys.readouterr().out
    with pytest.raises(AssertionError, match="bias dropped"):
        check("ch02.output_layer.values", lambda h, W, b: h @ W)


def test_hidden_seed_differs_from_the_visible_one_and_follows_the_secret(monkeypatch):
    visible = seed_for("ch02.rnn_forward.values")
    hidden = seed_for("ch02.rnn_forward.values", hidden=True)
    monkeypatch.setenv("AUTOGRADER_SECRET", "another class")
    assert len({visible, hidden, seed_for("ch02.rnn_forward.values", hidden=True)}) == 3


@pytest.mark.parametrize("bad", ["ch02.rnn_forward", "ch02.rnn_forward.speed", "ch99.x.values", "ch02.nope.values"])
def test_bad_check_names_raise_clear_errors(bad):
    with pytest.raises(ValueError, match="check name"):
        split_name(bad) and run_check(bad, ref.rnn_forward, 0)


# -- raw exceptions become guidance (issue 8, item 4) ---------------------------------------

_BATCH_ROW = '''
import numpy as np
def rnn_forward(x, h0, W_xh, W_hh, b_h):
    N, T, D = x.shape
    h = np.zeros((N, T, h0.shape[1]))
    prev = h0
    for t in range(T):
        prev = np.tanh(x[t] @ W_xh + prev @ W_hh + b_h)
        h[:, t] = prev
    return h
'''


def test_an_exception_names_the_learners_line_and_the_likely_cause():
    result = run_check("ch02.rnn_forward.values", _compile(_BATCH_ROW, "rnn_forward"), 3)
    assert not result.passed and result.score == 0
    assert "raised ValueError" in result.message and "at line 8 of your code" in result.message, result.message
    assert "x[t] @ W_xh" in result.message, result.message           # the learner's own line
    assert "x[:, t]" in result.message and "batch row" in result.message
    assert "autograder" not in result.message and "Traceback" not in result.message


def test_a_shape_error_in_a_product_suggests_a_transpose():
    def wrong(h, W_hy, b_y):
        return W_hy @ h + b_y

    result = run_check("ch02.output_layer.values", wrong, 1)
    assert "raised ValueError" in result.message and "transpose" in result.message, result.message
    assert "(inputs h(" in result.message


def test_a_remote_exception_gets_the_same_guidance():
    """In graded mode the sandbox sends back an exception with remote = True and the
    learner's line in attributes; the guidance is the one a local exception gets."""
    local = run_check("ch02.rnn_forward.values", _compile(_BATCH_ROW, "rnn_forward"), 3).message

    class RemoteError(Exception):
        remote = True
        type_name = "ValueError"
        message = "operands could not be broadcast together with shapes (6,5) (3,5) "
        lineno = 8
        line = "prev = np.tanh(x[t] @ W_xh + prev @ W_hh + b_h)"

    def proxy(*args):
        raise RemoteError("ValueError: operands could not be broadcast together with shapes (6,5) (3,5) ")

    remote = run_check("ch02.rnn_forward.values", proxy, 3).message
    assert remote == local


def test_a_remote_exception_without_the_new_attributes_still_reads_well():
    class RemoteError(Exception):
        remote = True

    def proxy(*args):
        raise RemoteError("ValueError: operands could not be broadcast together with shapes (3,5) (4,)")

    message = run_check("ch02.rnn_step_forward.values", proxy, 1).message
    assert message.startswith("rnn_step_forward raised ValueError: operands could not be broadcast")
    assert "(3,5) and (4,)" in message and " at line" not in message


def test_a_failed_check_in_a_notebook_shows_only_the_feedback():
    from autograder import CheckFailed

    with pytest.raises(AssertionError) as info:
        check("ch02.output_layer.values", lambda h, W, b: h @ W)
    assert isinstance(info.value, CheckFailed)
    lines = info.value._render_traceback_()
    assert lines[0].startswith("\u2717 ch02.output_layer.values: ") and "bias dropped" in lines[0]
    assert not any("File " in line or "autograder" in line for line in lines)
    assert info.value.__cause__ is None and info.value.__suppress_context__


# -- the right culprit (issue 8, item 5) -----------------------------------------------------

_LOOP = '''
import numpy as np
def rnn_forward(x, h0, W_xh, W_hh, b_h):
    N, T, D = x.shape
    h = np.zeros((N, T, h0.shape[1]))
    h_t = h0
    for t in range(T):
        h_t = rnn_step_forward(x[:, t], h_t, W_xh, W_hh, b_h)
        h[:, t] = h_t
    return h
'''


def _with_step(step_source):
    namespace = {}
    exec(compile(step_source + _LOOP, "<notebook>", "exec"), namespace)
    return namespace["rnn_forward"], namespace["rnn_step_forward"]


def test_a_sequence_check_blames_a_wrong_step_function_found_in_the_notebook():
    forward, _ = _with_step(SEEDED["ch02.rnn_step_forward"][0][1])       # the step drops b_h
    result = run_check("ch02.rnn_forward.values", forward, 1)
    assert not result.passed
    assert "rnn_step_forward fails its own check; fix it first" in result.message, result.message
    assert result.mistake == "rnn_step_forward: bias dropped"
    assert "initial state" not in result.message and "off by one" not in result.message


def test_a_sequence_check_uses_the_lookup_the_grader_gives():
    forward, wrong_step = _with_step(SEEDED["ch02.rnn_step_forward"][0][1])
    asked = []

    def lookup(name):
        asked.append(name)
        return wrong_step

    result = run_check("ch02.rnn_forward.values", lambda *a: forward(*a), 1, lookup=lookup)
    assert asked == ["rnn_step_forward"] and "fix it first" in result.message
    # a lookup that finds nothing: the loop itself is diagnosed
    result = run_check("ch02.rnn_forward.values", lambda *a: forward(*a), 1, lookup=lambda name: None)
    assert "fix it first" not in result.message and not result.passed


def test_a_right_step_lets_the_loop_mistake_be_named():
    good_step = '''
import numpy as np
def rnn_step_forward(x_t, h_prev, W_xh, W_hh, b_h):
    return np.tanh(x_t @ W_xh + h_prev @ W_hh + b_h)
'''
    forward, _ = _with_step(good_step)
    assert run_check("ch02.rnn_forward.values", forward, 1).passed
    namespace = {}
    exec(compile(good_step + _LOOP.replace("for t in range(T):", "for t in reversed(range(T)):"),
                 "<notebook>", "exec"), namespace)
    result = run_check("ch02.rnn_forward.values", namespace["rnn_forward"], 1)
    assert "fix it first" not in result.message
    assert result.mistake == "time reversed", result.message


# -- the textbook formulas the diagnosis mutates equal the references ----------------------

def _all_exercises():
    import glob
    import os

    from autograder.registry import all_exercises

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    chapters = sorted({os.path.basename(p).split("_")[0] for p in glob.glob(os.path.join(root, "solutions", "ch*"))})
    return [ex for ch in chapters for ex in all_exercises(ch)]


@pytest.mark.parametrize("ex", [e for e in _all_exercises() if e.formula is not None], ids=lambda e: e.name)
def test_each_textbook_formula_equals_its_reference(ex):
    """A formula is never the oracle, but one_edit names a wrong answer by the edit of the
    formula it equals: a formula that differs from the reference would name a right answer."""
    for seed in (seed_for(f"{ex.name}.values"), seed_for(f"{ex.name}.values", True), 11):
        for inputs in ex.draw_cases(seed):
            got = ex.formula(**{k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in inputs.items()})
            got = (got,) if len(ex.outputs) == 1 else tuple(got)
            for g, w in zip(got, ex.expected(inputs)):
                np.testing.assert_allclose(np.asarray(g, dtype=float), w, rtol=1e-10, atol=1e-12)
