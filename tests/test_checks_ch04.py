"""Chapter 4's checks: the reference passes, wrong code fails with a message and names the
mistake, the reference itself agrees with torch, and the graded path gives full marks."""

import os

import numpy as np
import pytest

from autograder import check, run_check, seed_for
from autograder.checks import ch04
from autograder.registry import exercise
from autograder.sources import solution_sources

from chapter_tools import grade, solution_function
from seeded_ch04 import SEEDED

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
A = "ch04_vanishing_exploding"
SOURCE = os.path.join(ROOT, "solutions", A, A + ".ipynb")
RELEASE = os.path.join(ROOT, "course", A, A + ".ipynb")
EXERCISES = ("ch04.backprop_to_each_step", "ch04.spectral_scale", "ch04.clip_grad_norm")


# -- the references are right --------------------------------------------------------------

def test_backprop_reference_matches_torch_autograd():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(42)
    N, T, D, H = 3, 7, 4, 5
    x = torch.tensor(rng.standard_normal((N, T, D)))
    h0 = torch.tensor(rng.uniform(-0.5, 0.5, (N, H)), requires_grad=True)
    W_xh = torch.tensor(rng.standard_normal((D, H)) / np.sqrt(D))
    W_hh = torch.tensor(rng.standard_normal((H, H)) * 1.2 / np.sqrt(H))
    b_h = torch.tensor(rng.standard_normal(H) * 0.3)
    upstream = torch.tensor(rng.standard_normal((N, H)))
    states, h_t = [], h0
    for t in range(T):
        h_t = torch.tanh(x[:, t] @ W_xh + h_t @ W_hh + b_h)
        h_t.retain_grad()
        states.append(h_t)
    (states[-1] * upstream).sum().backward()        # dL/dh_T = upstream
    want = np.stack([s.grad.numpy() for s in states], axis=1)          # (N, T, H)
    h = np.stack([s.detach().numpy() for s in states], axis=1)
    got = ch04.BACKPROP.reference(dh_last=upstream.numpy(), h=h, W_hh=W_hh.numpy())[0]
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(solution_function(A, "backprop_to_each_step")(upstream.numpy(), h, W_hh.numpy()),
                               want, rtol=1e-10, atol=1e-12)


def test_clip_reference_matches_torch_clip_grad_norm():
    torch = pytest.importorskip("torch")
    for seed in range(4):
        inputs = ch04.CLIP.draw_cases(seed)
        for case in inputs:
            params = [torch.nn.Parameter(torch.zeros(g.shape, dtype=torch.float64))
                      for g in (case["dW_xh"], case["dW_hh"], case["db_h"])]
            for p, g in zip(params, (case["dW_xh"], case["dW_hh"], case["db_h"])):
                p.grad = torch.tensor(g)
            torch.nn.utils.clip_grad_norm_(params, float(case["max_norm"]))
            for got, p in zip(ch04.CLIP.expected(case), params):
                np.testing.assert_allclose(got, p.grad.numpy(), rtol=1e-12)


def test_clip_cases_lie_on_both_sides_of_the_threshold():
    for hidden in (False, True):
        cases = ch04.CLIP.draw_cases(seed_for("ch04.clip_grad_norm.values", hidden))
        totals = [np.sqrt(sum(np.sum(c[k] ** 2) for k in ("dW_xh", "dW_hh", "db_h"))) for c in cases]
        above = [t > float(c["max_norm"]) for t, c in zip(totals, cases)]
        assert above == [True, False, True, True]
        for c, out in zip(cases, map(ch04.CLIP.expected, cases)):
            norm = np.sqrt(sum(np.sum(o ** 2) for o in out))
            assert norm <= float(c["max_norm"]) + 1e-9
            assert c["max_norm"].shape == ()


def test_clip_has_a_case_where_the_epsilon_matters():
    """Without the 1e-6 in max_norm / (total + 1e-6) the factor changes beyond the tolerance."""
    from autograder import run_check

    def no_epsilon(dW_xh, dW_hh, db_h, max_norm):
        total = np.sqrt(sum(np.sum(g ** 2) for g in (dW_xh, dW_hh, db_h)))
        factor = max_norm / total if total > max_norm else 1.0
        return dW_xh * factor, dW_hh * factor, db_h * factor

    for hidden in (False, True):
        result = run_check("ch04.clip_grad_norm.values", no_epsilon, seed_for("ch04.clip_grad_norm.values", hidden))
        assert not result.passed and "1e-06" in result.message, result.message


def test_spectral_reference_reaches_the_target_radius_and_cases_are_not_normal():
    for seed in range(5):
        for case in ch04.SPECTRAL.draw_cases(seed):
            (W_scaled,) = ch04.SPECTRAL.expected(case)
            assert np.isclose(np.abs(np.linalg.eigvals(W_scaled)).max(), float(case["rho"]), rtol=1e-9)
            W = case["W"]
            assert not np.allclose(W @ W.T, W.T @ W)                        # not normal
            assert np.linalg.norm(W, 2) > 1.05 * np.abs(np.linalg.eigvals(W)).max()
            assert case["rho"].shape == ()


@pytest.mark.parametrize("hidden", [False, True])
def test_backprop_cases_have_states_in_the_curved_range(hidden):
    for case in ch04.BACKPROP.draw_cases(seed_for("ch04.backprop_to_each_step.values", hidden)):
        h, W = case["h"], case["W_hh"]
        assert np.abs(h).max() < 0.98 and np.abs(h).mean() > 0.15
        assert not np.allclose(W, W.T)
        assert case["dh_last"].shape[0] != W.shape[0]


# -- feedback and the notebook API ------------------------------------------------------

def test_check_in_a_notebook_prints_on_success_and_raises_with_feedback(capsys):
    check("ch04.clip_grad_norm.values", solution_function(A, "clip_grad_norm"))
    assert "\u2713 ch04.clip_grad_norm.values" in capsys.readouterr().out
    with pytest.raises(AssertionError, match="clipped by value instead of by norm"):
        check("ch04.clip_grad_norm.values",
              lambda a, b, c, m: tuple(np.clip(g, -m, m) for g in (a, b, c)))


def test_in_place_clipping_is_caught():
    def in_place(dW_xh, dW_hh, db_h, max_norm):
        total = np.sqrt(sum(np.sum(g ** 2) for g in (dW_xh, dW_hh, db_h)))
        if total > max_norm:
            for g in (dW_xh, dW_hh, db_h):
                g *= max_norm / (total + 1e-6)
        return dW_xh, dW_hh, db_h

    r = run_check("ch04.clip_grad_norm.values", in_place, seed_for("ch04.clip_grad_norm.values"))
    assert not r.passed and "modified its argument dW_xh in place" in r.message


def test_spectral_scale_in_place_is_caught():
    def in_place(W, rho):
        W *= rho / np.abs(np.linalg.eigvals(W)).max()
        return W

    r = run_check("ch04.spectral_scale.values", in_place, 3)
    assert not r.passed and "modified its argument W in place" in r.message


def test_torch_is_forbidden_in_answers():
    for name in EXERCISES:
        forbidden = exercise(name).forbidden
        assert "torch" in forbidden and "rnn_ref" in forbidden and "autograder" in forbidden


# -- graded mode: the checks reach the functions through the sandbox --------------------

@pytest.mark.slow
def test_graded_solution_scores_full_marks_and_mistakes_are_named_through_the_sandbox(tmp_path):
    import nbformat

    from benchmarks.synth import make_submission, write

    answers = solution_sources(SOURCE)
    wrong = dict(answers)
    wrong["clip_grad_norm"] = dict(SEEDED["ch04.clip_grad_norm"])["a separate norm for each array"]
    wrong["spectral_scale"] = ("import torch\n" + answers["spectral_scale"])     # forbidden
    path = write(make_submission(RELEASE, wrong), str(tmp_path / "s"), A)
    report = grade(A, path)
    by_id = {t["grade_id"]: t for t in report["tests"]}
    assert by_id["test_clip_grad_norm_shape"]["score"] == 1
    assert by_id["test_clip_grad_norm_values"]["score"] == 0
    assert "a separate norm for each array" in by_id["test_clip_grad_norm_values"]["message"]
    assert by_id["test_spectral_scale_values"]["score"] == 0
    assert "torch" in by_id["test_spectral_scale_values"]["message"]
    assert report["score"] == 5 + 1 + 0 + 0, report["tests"]
    assert nbformat.read(path, as_version=4)  # the submission is left readable

