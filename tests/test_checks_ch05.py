"""Chapter 5's checks: the reference passes, wrong code fails with a message and names the
mistake, the reference and the solution agree with torch, and the graded path gives full marks
(and zero for the untouched release)."""

import os

import numpy as np
import pytest

from autograder import check, run_check, seed_for
from autograder.checks import ch05
from autograder.registry import exercise
from autograder.sources import solution_sources

from chapter_tools import compile_function, grade, solution_function
from seeded_ch05 import SEEDED

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
A = "ch05_lstm"
SOURCE = os.path.join(ROOT, "solutions", A, A + ".ipynb")
RELEASE = os.path.join(ROOT, "course", A, A + ".ipynb")
EXERCISES = ("ch05.lstm_step_forward", "ch05.lstm_forward", "ch05.lstm_step_backward")


def test_a_bias_gradient_left_per_row_is_named_in_the_shape_check_too():
    source = dict(SEEDED["ch05.lstm_step_backward"])["bias gradient not summed over the batch"]
    result = run_check("ch05.lstm_step_backward.shape", compile_function(source, "lstm_step_backward"),
                       seed_for("ch05.lstm_step_backward.shape"))
    assert not result.passed and result.mistake == "bias gradient not summed over the batch", result.message


# -- the draws make the mistakes visible ----------------------------------------------------

@pytest.mark.parametrize("hidden", [False, True])
def test_cases_have_distinct_sizes_curved_gates_and_cells_far_from_zero(hidden):
    for name in EXERCISES:
        ex = exercise(name)
        for case in ex.draw_cases(seed_for(f"{name}.values", hidden)):
            W_x, W_h, b = case["W_x"], case["W_h"], case["b"]
            D, H = W_x.shape[0], W_h.shape[0]
            x_t = case["x"][:, 0] if "x" in case else case["x_t"]
            h_prev = case["h0"] if "h0" in case else case["h_prev"]
            c_prev = case["c0"] if "c0" in case else case["c_prev"]
            N = x_t.shape[0]
            assert len({N, D, H}) == 3 and 4 * H not in (N, D)
            a = x_t @ W_x + h_prev @ W_h + b
            assert 0.5 < a.std() < 3 and np.abs(a).max() < 8       # curved, not saturated
            assert np.abs(c_prev).min() >= 0.3 and np.abs(h_prev).max() < 0.9
    for case in ch05.FORWARD.draw_cases(seed_for("ch05.lstm_forward.values", hidden)):
        assert case["x"].shape[1] >= 3


# -- the references are right --------------------------------------------------------------

def _torch_lstm(torch, D, H, seed):
    torch.manual_seed(seed)
    lstm = torch.nn.LSTM(D, H, batch_first=True).double()
    W_x = lstm.weight_ih_l0.detach().numpy().T.copy()
    W_h = lstm.weight_hh_l0.detach().numpy().T.copy()
    b = (lstm.bias_ih_l0 + lstm.bias_hh_l0).detach().numpy()
    return lstm, W_x, W_h, b


def test_forward_reference_and_solution_match_torch_lstm():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    N, T, D, H = 3, 6, 4, 5
    lstm, W_x, W_h, b = _torch_lstm(torch, D, H, 0)
    x, h0, c0 = rng.standard_normal((N, T, D)), rng.standard_normal((N, H)), rng.standard_normal((N, H))
    out, _ = lstm(torch.tensor(x), (torch.tensor(h0)[None], torch.tensor(c0)[None]))
    want = out.detach().numpy()
    np.testing.assert_allclose(ch05.FORWARD.expected(dict(x=x, h0=h0, c0=c0, W_x=W_x, W_h=W_h, b=b))[0],
                               want, rtol=1e-10, atol=1e-12)
    h, c = solution_function(A, "lstm_forward")(x, h0, c0, W_x, W_h, b)
    np.testing.assert_allclose(h, want, rtol=1e-10, atol=1e-12)


def test_step_backward_reference_and_solution_match_torch_autograd():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(6)
    N, D, H = 3, 4, 5
    arrays = dict(x_t=rng.standard_normal((N, D)), h_prev=rng.uniform(-0.9, 0.9, (N, H)),
                  c_prev=rng.standard_normal((N, H)), W_x=rng.standard_normal((D, 4 * H)) / 2,
                  W_h=rng.standard_normal((H, 4 * H)) / 2, b=rng.standard_normal(4 * H) / 2)
    dh_next, dc_next = rng.standard_normal((N, H)), rng.standard_normal((N, H))
    t = {k: torch.tensor(v, requires_grad=True) for k, v in arrays.items()}
    a = t["x_t"] @ t["W_x"] + t["h_prev"] @ t["W_h"] + t["b"]
    i, f, g, o = torch.sigmoid(a[:, :H]), torch.sigmoid(a[:, H:2 * H]), torch.tanh(a[:, 2 * H:3 * H]), \
        torch.sigmoid(a[:, 3 * H:])
    c = f * t["c_prev"] + i * g
    h = o * torch.tanh(c)
    ((h * torch.tensor(dh_next)).sum() + (c * torch.tensor(dc_next)).sum()).backward()
    want = [t[k].grad.numpy() for k in ("x_t", "h_prev", "c_prev", "W_x", "W_h", "b")]
    inputs = dict(dh_next=dh_next, dc_next=dc_next, **arrays)
    for got in (ch05.STEP_BACKWARD.expected(inputs),
                solution_function(A, "lstm_step_backward")(*[inputs[k] for k in ch05.STEP_BACKWARD.args])):
        for g_, w_ in zip(got, want):
            np.testing.assert_allclose(g_, w_, rtol=1e-10, atol=1e-12)


# -- feedback and the notebook API ------------------------------------------------------

def test_check_in_a_notebook_prints_on_success_and_raises_with_feedback(capsys):
    check("ch05.lstm_step_forward.values", solution_function(A, "lstm_step_forward"))
    assert "\u2713 ch05.lstm_step_forward.values" in capsys.readouterr().out
    source = dict(SEEDED["ch05.lstm_step_forward"])["forget gate not applied"]
    with pytest.raises(AssertionError, match="forget gate not applied"):
        check("ch05.lstm_step_forward.values", compile_function(source, "lstm_step_forward"))


def test_writing_into_the_cell_state_in_place_is_reported():
    def in_place(x_t, h_prev, c_prev, W_x, W_h, b):
        H = h_prev.shape[1]
        a = x_t @ W_x + h_prev @ W_h + b
        s = 1 / (1 + np.exp(-a))
        c_prev *= s[:, H:2 * H]
        c_prev += s[:, :H] * np.tanh(a[:, 2 * H:3 * H])
        return s[:, 3 * H:] * np.tanh(c_prev), c_prev

    r = run_check("ch05.lstm_step_forward.values", in_place, seed_for("ch05.lstm_step_forward.values"))
    assert not r.passed and "modified its argument c_prev in place" in r.message


def test_autodiff_and_builtin_layers_are_forbidden_in_answers():
    for name in EXERCISES:
        forbidden = exercise(name).forbidden
        for banned in ("torch", "torch.nn.LSTM", "jax", "rnn_ref", "autograder"):
            assert banned in forbidden


# -- graded mode: the checks reach the functions through the sandbox --------------------

@pytest.mark.slow
def test_graded_solution_scores_full_marks_and_mistakes_are_named_through_the_sandbox(tmp_path):
    import nbformat

    from benchmarks.synth import make_submission, write

    answers = solution_sources(SOURCE)
    wrong = dict(answers)
    wrong["lstm_step_forward"] = dict(SEEDED["ch05.lstm_step_forward"])["forget gate not applied"]
    wrong["lstm_step_backward"] = "import torch\n" + answers["lstm_step_backward"]    # forbidden
    path = write(make_submission(RELEASE, wrong), str(tmp_path / "s"), A)
    report = grade(A, path)
    by_id = {t["grade_id"]: t for t in report["tests"]}
    assert by_id["test_lstm_step_forward_shape"]["score"] == 1
    assert by_id["test_lstm_step_forward_values"]["score"] == 0
    assert "forget gate not applied" in by_id["test_lstm_step_forward_values"]["message"]
    # the solution's lstm_forward calls the (wrong) step: the mistake is named there too
    assert by_id["test_lstm_forward_shape"]["score"] == 1
    assert "forget gate not applied" in by_id["test_lstm_forward_values"]["message"]
    assert by_id["test_lstm_step_backward_values"]["score"] == 0
    assert "torch" in by_id["test_lstm_step_backward_values"]["message"]
    assert report["score"] == 1 + 1 + 0, report["tests"]
    assert nbformat.read(path, as_version=4)  # the submission is left readable

