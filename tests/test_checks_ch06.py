"""Chapter 6's checks: the reference passes, wrong code fails with a message and names the
mistake, the catalogue's own GRU agrees with the reference (and the reference with torch),
and the graded path gives full marks to the solution and zero to the release."""

import os

import numpy as np
import pytest

from autograder import check, run_check, seed_for
from autograder.checks import ch06
from autograder.registry import exercise
from autograder.sources import solution_sources
from rnn_ref import numpy as ref

from chapter_tools import compile_function, grade, solution_function
from seeded_ch06 import SEEDED

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
A = "ch06_gru"
SOURCE = os.path.join(ROOT, "solutions", A, A + ".ipynb")
RELEASE = os.path.join(ROOT, "course", A, A + ".ipynb")
EXERCISES = ("ch06.gru_step_forward", "ch06.gru_forward", "ch06.gru_step_backward")


def _values(name, fn, hidden):
    with np.errstate(all="ignore"):
        return run_check(f"{name}.values", fn, seed_for(f"{name}.values", hidden))


def test_a_bias_gradient_left_per_row_is_named_in_the_shape_check_too():
    source = dict((e, s) for e, s in SEEDED["ch06.gru_step_backward"])["bias gradients not summed over the batch"]
    fn = compile_function(source, "gru_step_backward")
    result = run_check("ch06.gru_step_backward.shape", fn, seed_for("ch06.gru_step_backward.shape"))
    assert not result.passed and "db_x has shape" in result.message
    assert result.mistake == "bias gradients not summed over the batch"


def test_time_major_output_is_named_in_the_shape_check():
    def time_major(x, h0, W_x, W_h, b_x, b_h):
        return ref.gru_forward(x, h0, W_x, W_h, b_x, b_h).transpose(1, 0, 2)
    result = run_check("ch06.gru_forward.shape", time_major, seed_for("ch06.gru_forward.shape"))
    assert not result.passed and result.mistake == "time-major output (T, N, H)"


# -- the references are right --------------------------------------------------------------

def test_the_catalogue_gru_without_knobs_is_the_reference():
    for seed in range(3):
        for i in ch06.STEP_FORWARD.draw_cases(seed):
            np.testing.assert_allclose(ch06._step(**i), ref.gru_step_forward(**i), rtol=1e-12)
        for i in ch06.FORWARD.draw_cases(seed):
            np.testing.assert_allclose(ch06._seq(**i)[0], ref.gru_forward(**i), rtol=1e-12)
        for i in ch06.STEP_BACKWARD.draw_cases(seed):
            for got, want in zip(ch06._back(**i), ref.gru_step_backward(**i)):
                np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def test_cases_keep_the_gates_in_their_curved_range_and_sizes_apart():
    for hidden in (False, True):
        for sizes, i in zip(ch06.STEP_FORWARD.cases,
                            ch06.STEP_FORWARD.draw_cases(seed_for("ch06.gru_step_forward.values", hidden))):
            assert len({sizes["N"], sizes["D"], sizes["H"]}) == 3
            H = sizes["H"]
            a = i["x_t"] @ i["W_x"] + i["b_x"] + i["h_prev"] @ i["W_h"] + i["b_h"]
            gates = 1 / (1 + np.exp(-a[:, :2 * H]))
            assert 0.02 < gates.min() and gates.max() < 0.98
            assert np.abs(i["b_h"][2 * H:]).mean() > 0.3


def test_reference_step_matches_torch_gru_cell_and_its_autograd():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    N, D, H = 3, 4, 5
    cell = torch.nn.GRUCell(D, H).double()
    x = torch.tensor(rng.standard_normal((N, D)), requires_grad=True)
    h = torch.tensor(rng.uniform(-1, 1, (N, H)), requires_grad=True)
    dh = rng.standard_normal((N, H))
    out = cell(x, h)
    (out * torch.tensor(dh)).sum().backward()
    params = dict(W_x=cell.weight_ih.detach().numpy().T, W_h=cell.weight_hh.detach().numpy().T,
                  b_x=cell.bias_ih.detach().numpy(), b_h=cell.bias_hh.detach().numpy())
    step = solution_function(A, "gru_step_forward")
    back = solution_function(A, "gru_step_backward")
    np.testing.assert_allclose(step(x.detach().numpy(), h.detach().numpy(), *params.values()),
                               out.detach().numpy(), rtol=1e-10, atol=1e-12)
    grads = back(dh, x.detach().numpy(), h.detach().numpy(), *params.values())
    want = (x.grad, h.grad, cell.weight_ih.grad.T, cell.weight_hh.grad.T, cell.bias_ih.grad, cell.bias_hh.grad)
    for got, w in zip(grads, want):
        np.testing.assert_allclose(got, w.numpy(), rtol=1e-9, atol=1e-12)


# -- feedback and the notebook API ------------------------------------------------------

def test_check_in_a_notebook_prints_on_success_and_raises_with_feedback(capsys):
    check("ch06.gru_step_forward.values", solution_function(A, "gru_step_forward"))
    assert "\u2713 ch06.gru_step_forward.values" in capsys.readouterr().out
    source = dict(SEEDED["ch06.gru_step_forward"])["z and 1 - z swapped"]
    with pytest.raises(AssertionError, match="z and 1 - z swapped"):
        check("ch06.gru_step_forward.values", compile_function(source, "gru_step_forward"))


def test_autodiff_and_builtin_grus_are_forbidden_in_answers():
    for name in EXERCISES:
        forbidden = exercise(name).forbidden
        assert {"torch", "torch.nn.GRU", "rnn_ref", "autograder"} <= set(forbidden)


# -- graded mode: the checks reach the functions through the sandbox --------------------

@pytest.mark.slow
def test_graded_solution_scores_full_marks_and_mistakes_are_named_through_the_sandbox(tmp_path):
    from benchmarks.synth import make_submission, write

    answers = solution_sources(SOURCE)
    wrong = dict(answers)
    wrong["gru_step_backward"] = dict(SEEDED["ch06.gru_step_backward"])["bias gradients not summed over the batch"]
    wrong["gru_forward"] = "import torch\n" + answers["gru_forward"]                 # forbidden
    path = write(make_submission(RELEASE, wrong), str(tmp_path / "s"), A)
    report = grade(A, path)
    by_id = {t["grade_id"]: t for t in report["tests"]}
    assert by_id["test_gru_step_backward_shape"]["score"] == 0
    assert "bias gradients not summed over the batch" in by_id["test_gru_step_backward_values"]["message"]
    assert by_id["test_gru_forward_values"]["score"] == 0
    assert "torch" in by_id["test_gru_forward_values"]["message"]
    assert report["score"] == 5, report["tests"]


