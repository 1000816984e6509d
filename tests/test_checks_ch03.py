"""Chapter 3's named checks: pass on the reference, fail with a message on wrong code,
name the mistakes; and the chapter grades end to end through the sandbox."""

import os

import numpy as np
import pytest

from autograder import check, run_check, seed_for
from autograder.registry import exercise
from chapter_tools import grade
from rnn_ref import numpy as ref


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
A = "ch03_backprop_through_time"

REFERENCE = {
    "ch03.rnn_step_backward": ref.rnn_step_backward,
    "ch03.rnn_backward": ref.rnn_backward,
    "ch03.softmax_cross_entropy": ref.softmax_cross_entropy,
}


def test_a_gradient_left_per_row_is_named_in_the_shape_check_too():
    def per_row(dh_next, x_t, h_prev, h_next, W_xh, W_hh):
        da = dh_next * (1 - h_next ** 2)
        return da @ W_xh.T, da @ W_hh.T, x_t.T @ da, h_prev.T @ da, da
    result = run_check("ch03.rnn_step_backward.shape", per_row, seed_for("ch03.rnn_step_backward.shape"))
    assert not result.passed and "db_h has shape" in result.message
    assert result.mistake == "bias gradient not summed over the batch"
    assert "da.sum(axis=0)" in result.message


def test_an_unshifted_softmax_passes_small_scores_and_is_named_on_large_ones():
    def naive(scores, targets, mask):
        p = np.exp(scores) / np.exp(scores).sum(axis=-1, keepdims=True)
        onehot = np.eye(scores.shape[-1])[targets]
        count = mask.sum()
        loss = -(np.log((p * onehot).sum(-1)) * mask).sum() / count
        return loss, (p - onehot) * mask[..., None] / count
    ex = exercise("ch03.softmax_cross_entropy")
    seed = seed_for("ch03.softmax_cross_entropy.values")
    small = [c for c, s in zip(ex.draw_cases(seed), ex.cases) if not s.get("offset")]
    for inputs in small:
        outs, error = ex.call_student(naive, inputs)
        assert error is None
        assert all(np.allclose(o, w, rtol=1e-6, atol=1e-8) for o, w in zip(outs, ex.expected(inputs)))
    with np.errstate(all="ignore"):
        for kind in ("shape", "values"):
            result = run_check(f"ch03.softmax_cross_entropy.{kind}", naive, seed)
            assert not result.passed and result.mistake == "softmax not shifted", result.message
            assert "subtract" in result.message.lower()


def test_the_loss_check_draws_integer_targets_and_a_float_mask_with_zeros():
    ex = exercise("ch03.softmax_cross_entropy")
    for hidden in (False, True):
        for sizes, inputs in zip(ex.cases, ex.draw_cases(seed_for("ch03.softmax_cross_entropy.values", hidden))):
            N, T = sizes["N"], sizes["T"]
            assert inputs["targets"].dtype.kind == "i" and inputs["targets"].shape == (N, T)
            assert inputs["mask"].dtype == np.float64 and set(np.unique(inputs["mask"])) <= {0.0, 1.0}
            count = inputs["mask"].sum()
            assert count >= 1
            if N * T > 2:
                assert count not in (N, T, N * T)


def test_the_checks_draw_states_consistent_with_a_forward_pass():
    # arctanh(h) - x W_xh - h_prev W_hh is the bias: the same for every row and step
    ex = exercise("ch03.rnn_step_backward")
    for i in ex.draw_cases(1):
        b = np.arctanh(i["h_next"]) - i["x_t"] @ i["W_xh"] - i["h_prev"] @ i["W_hh"]       # (N, H)
        assert np.allclose(b, b[:1])
    ex = exercise("ch03.rnn_backward")
    for sizes, i in zip(ex.cases, ex.draw_cases(1)):
        prev = np.concatenate([i["h0"][:, None], i["h"][:, :-1]], axis=1)                 # (N, T, H)
        b = np.arctanh(i["h"]) - i["x"] @ i["W_xh"] - prev @ i["W_hh"]
        assert np.allclose(b, b[:1, :1]) and not np.allclose(i["h0"], 0)


@pytest.mark.parametrize("loss", [lambda l: float(l), lambda l: np.float64(l), lambda l: np.array(l),
                                  lambda l: np.array([l])],
                         ids=["float", "numpy scalar", "0-d array", "array of one entry"])
def test_a_scalar_loss_of_any_kind_is_accepted(loss):
    # a one-entry array is read as the contracted scalar, in the notebook and in graded mode alike
    def fn(scores, targets, mask):
        value, d = ref.softmax_cross_entropy(scores, targets, mask)
        return loss(value), d
    result = run_check("ch03.softmax_cross_entropy.values", fn, 3)
    assert result.passed, result.message


def test_check_in_a_notebook_prints_on_success_and_raises_with_feedback(capsys):
    check("ch03.rnn_step_backward.values", ref.rnn_step_backward)
    assert "\u2713 ch03.rnn_step_backward.values" in capsys.readouterr().out

    def no_slope(dh_next, x_t, h_prev, h_next, W_xh, W_hh):
        return dh_next @ W_xh.T, dh_next @ W_hh.T, x_t.T @ dh_next, h_prev.T @ dh_next, dh_next.sum(0)
    with pytest.raises(AssertionError, match="tanh derivative missing"):
        check("ch03.rnn_step_backward.values", no_slope)


def test_autodiff_is_forbidden_in_answers():
    for name in REFERENCE:
        assert "torch" in exercise(name).forbidden and "rnn_ref" in exercise(name).forbidden


# -- graded mode: the checks reach the function through the sandbox --------------------

@pytest.mark.slow
def test_the_released_notebook_scores_zero_and_a_python_float_loss_crosses_the_sandbox(tmp_path):
    import nbformat

    report = grade(A, os.path.join(ROOT, "course", A, A + ".ipynb"))
    assert report["score"] == 0
    assert all("not implemented" in t["message"] for t in report["tests"]), report["tests"]

    nb = nbformat.read(os.path.join(ROOT, "course", A, A + ".ipynb"), as_version=4)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "softmax_cross_entropy":
            cell.source = '''
import numpy as np
def softmax_cross_entropy(scores, targets, mask):
    z = scores - scores.max(axis=-1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
    count = mask.sum()
    onehot = np.eye(scores.shape[-1])[targets]
    loss = float(-((log_p * onehot).sum(-1) * mask).sum() / count)   # a Python float, not an array
    return loss, (np.exp(log_p) - onehot) * mask[..., None] / count
'''
    path = tmp_path / (A + ".ipynb")
    nbformat.write(nb, str(path))
    report = grade(A, str(path))
    by_id = {t["grade_id"]: t for t in report["tests"]}
    for kind in ("shape", "values", "hidden"):
        test = by_id[f"test_softmax_cross_entropy_{kind}"]
        assert test["score"] == test["max_score"], test["message"]
    assert report["score"] == 5


def test_writing_into_dh_is_reported():
    def in_place(dh, x, h0, h, W_xh, W_hh):
        carry = np.zeros_like(h0)
        for t in range(x.shape[1] - 1, 0, -1):
            dh[:, t] += carry                                   # writes into the caller's dh
            carry = (dh[:, t] * (1 - h[:, t] ** 2)) @ W_hh.T
        dh[:, 0] += carry
        return ref.rnn_backward(dh, x, h0, h, W_xh, W_hh)
    result = run_check("ch03.rnn_backward.values", in_place, seed_for("ch03.rnn_backward.values"))
    assert not result.passed and "modified its argument dh in place" in result.message
