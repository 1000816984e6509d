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
    namespace = {}
    exec(compile(source, f"<seeded {name}>", "exec"), namespace)
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
