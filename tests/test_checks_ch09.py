"""Chapter 9's checks: the draws make the mistakes visible, the attention reference agrees with
torch's scaled_dot_product_attention, and the cost table matches a count of the products."""

import numpy as np
import pytest

from autograder import run_check, seed_for
from autograder.checks import ch09

from chapter_tools import solution_function

A = "ch09_transformers_vs_rnns"


@pytest.mark.parametrize("hidden", [False, True])
def test_attention_sizes_differ_and_d_k_is_not_1(hidden):
    for case in ch09.CAUSAL_SELF_ATTENTION.draw_cases(seed_for("ch09.causal_self_attention.values", hidden)):
        N, T, D = case["x"].shape
        dk, dv = case["W_q"].shape[1], case["W_v"].shape[1]
        assert len({N, T, D, dk, dv}) == 5 and dk > 1 and case["W_k"].shape == (D, dk)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_attention_reference_agrees_with_torch_sdpa(seed):
    torch = pytest.importorskip("torch")
    for case in ch09.CAUSAL_SELF_ATTENTION.draw_cases(seed):
        x = torch.from_numpy(case["x"])
        q, k, v = (x @ torch.from_numpy(case[w]) for w in ("W_q", "W_k", "W_v"))
        want = torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True).numpy()
        got = ch09.CAUSAL_SELF_ATTENTION.reference(**case)[0]
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def test_attention_weights_are_causal_and_rows_sum_to_one():
    fn = solution_function(A, "causal_self_attention")
    rng = np.random.default_rng(0)
    T = 6
    Wq, Wk = rng.standard_normal((T, 3)), rng.standard_normal((T, 3))
    Aw = fn(np.eye(T)[None], Wq, Wk, np.eye(T))[0]             # V = I: the output is A itself
    assert np.allclose(np.triu(Aw, 1), 0) and np.allclose(Aw.sum(axis=1), 1)
    # changing a later position leaves earlier outputs unchanged
    x = rng.standard_normal((2, T, 4))
    W = [rng.standard_normal((4, 3)) for _ in range(3)]
    x2 = x.copy()
    x2[:, -1] += 5.0
    assert np.allclose(fn(x, *W)[:, :-1], fn(x2, *W)[:, :-1])


@pytest.mark.parametrize("hidden", [False, True])
def test_cost_draws_are_distinct_integers_in_three_ranges(hidden):
    cases = ch09.RNN_VS_ATTENTION_COST.draw_cases(seed_for("ch09.rnn_vs_attention_cost.values", hidden))
    for case, sizes in zip(cases, ch09.RNN_VS_ATTENTION_COST.cases):
        T, D, H = (int(case[k]) for k in ("T", "D", "H"))
        assert all(case[k].shape == () and case[k].dtype.kind == "i" for k in ("T", "D", "H"))
        assert sizes["Tlo"] <= T < sizes["Thi"] and len({T, D, H}) == 3


def test_cost_reference_counts_the_matrix_products():
    T, D, H = 7, 5, 3
    products = [(1, D, H), (1, H, H)] * T                        # the RNN, one step at a time
    rnn = sum(a * b * c for a, b, c in products)
    att = 3 * (T * D * H) + T * H * T + T * T * H                # x W_q, x W_k, x W_v; Q K^T; A V
    got = ch09.RNN_VS_ATTENTION_COST.reference(T=np.array(T), D=np.array(D), H=np.array(H))[0]
    assert np.array_equal(got, [[rnn, T], [att, 1]])


def test_off_by_one_mask_with_minus_inf_is_named_through_its_nan():
    def strict(x, W_q, W_k, W_v):
        with np.errstate(all="ignore"):
            return ch09.CAUSAL_SELF_ATTENTION.overflow.compute(x=x, W_q=W_q, W_k=W_k, W_v=W_v)[0]
    r = run_check("ch09.causal_self_attention.values", strict, 0)
    assert not r.passed and r.mistake.startswith("mask off by one")
