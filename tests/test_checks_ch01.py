"""Chapter 1's own checks: the references agree with an independent torch computation, a
few diagnoses that only the shape check can make, and the notebook's solutions are plain
NumPy."""

import numpy as np
import pytest

from autograder import run_check, seed_for
from autograder.checks import ch01
from rnn_ref import numpy as ref

from chapter_tools import compile_function
from seeded_ch01 import SEEDED

torch = pytest.importorskip("torch")


def _torch_mlp(x, W1, b1, W2, b2):
    """The MLP as torch.nn.Linear layers (which store weights as (out, in))."""
    D, H = W1.shape
    V = W2.shape[1]
    first, second = torch.nn.Linear(D, H).double(), torch.nn.Linear(H, V).double()
    with torch.no_grad():
        first.weight.copy_(torch.from_numpy(W1.T.copy()))
        first.bias.copy_(torch.from_numpy(b1))
        second.weight.copy_(torch.from_numpy(W2.T.copy()))
        second.bias.copy_(torch.from_numpy(b2))
        return second(torch.tanh(first(torch.from_numpy(x)))).numpy()


def _torch_windows(x, k):
    """Windows from Tensor.unfold: (N, T-k+1, D, k) -> steps first -> flattened."""
    t = torch.from_numpy(x).unfold(1, int(k), 1)                # (N, T-k+1, D, k)
    return t.transpose(2, 3).reshape(x.shape[0], x.shape[1] - int(k) + 1, -1).numpy()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_mlp_reference_matches_torch_linear_layers(seed):
    for inputs in ch01.MLP.draw_cases(seed):
        np.testing.assert_allclose(ch01.MLP.expected(inputs)[0], _torch_mlp(**inputs), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_window_reference_matches_torch_unfold(seed):
    for inputs in ch01.WINDOWS.draw_cases(seed):
        np.testing.assert_array_equal(ch01.WINDOWS.expected(inputs)[0], _torch_windows(**inputs))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_window_mlp_reference_is_torch_mlp_on_torch_windows(seed):
    for inputs in ch01.WINDOW_MLP.draw_cases(seed):
        mlp = {k: inputs[k] for k in ("W1", "b1", "W2", "b2")}
        want = _torch_mlp(_torch_windows(inputs["x"], inputs["k"]).reshape(-1, inputs["W1"].shape[0]), **mlp)
        got = ch01.WINDOW_MLP.expected(inputs)[0]
        np.testing.assert_allclose(got, want.reshape(got.shape), rtol=1e-12, atol=1e-12)


def test_the_affine_layers_agree_with_the_chapter_2_output_layer():
    rng = np.random.default_rng(3)
    h, W, b = rng.standard_normal((2, 5, 4)), rng.standard_normal((4, 3)), rng.standard_normal(3)
    np.testing.assert_allclose(ch01._affine(h, W, b), ref.temporal_affine_forward(h, W, b))


def test_the_windows_of_the_worked_example():
    x = np.array([[[1, 10], [2, 20], [3, 30], [4, 40]]], dtype=float)
    np.testing.assert_array_equal(ch01._windows(x, np.array(3)), [[[1, 10, 2, 20, 3, 30], [2, 20, 3, 30, 4, 40]]])


@pytest.mark.parametrize("expected", ["one window too few", "windows not overlapping (stride k)",
                                      "one window per step, zero-padded at the start",
                                      "batch and window axes merged"])
def test_wrong_window_counts_are_named_by_the_shape_check(expected):
    source = dict(SEEDED["ch01.sliding_windows"])[expected]
    result = run_check("ch01.sliding_windows.shape", compile_function(source, "sliding_windows"),
                       seed_for("ch01.sliding_windows.shape"))
    assert not result.passed and "windows has shape" in result.message
    assert result.mistake == expected


def test_the_mlp_on_the_last_window_only_is_named_by_the_shape_check():
    source = dict(SEEDED["ch01.window_mlp_forward"])["MLP applied to the last window only"]
    result = run_check("ch01.window_mlp_forward.shape", compile_function(source, "window_mlp_forward"),
                       seed_for("ch01.window_mlp_forward.shape"))
    assert not result.passed and result.mistake == "MLP applied to the last window only"


def test_k_arrives_as_a_zero_d_integer_array_and_every_case_is_a_true_window():
    for inputs, sizes in zip(ch01.WINDOWS.draw_cases(0), ch01.WINDOWS.cases):
        assert inputs["k"].shape == () and inputs["k"].dtype.kind == "i"
        assert 2 <= sizes["k"] < sizes["T"] and sizes["D"] >= 2
