"""Chapter 7's checks: the draws make the mistakes visible, the references agree with an
independent torch computation, padding does not matter, and the graded path names the mistakes
of a mixed submission through the sandbox."""

import os

import numpy as np
import pytest

from autograder import check, run_check, seed_for
from autograder.checks import ch07
from autograder.registry import exercise
from autograder.sources import solution_sources

from chapter_tools import compile_function, grade, solution_function
from seeded_ch07 import SEEDED

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
A = "ch07_architectures"
SOURCE = os.path.join(ROOT, "solutions", A, A + ".ipynb")
RELEASE = os.path.join(ROOT, "course", A, A + ".ipynb")
EXERCISES = ("ch07.many_to_one", "ch07.one_to_many", "ch07.encoder_decoder")


# -- the draws make the mistakes visible ----------------------------------------------------

@pytest.mark.parametrize("hidden", [False, True])
def test_many_to_one_batches_hold_lengths_1_and_T_and_random_padding(hidden):
    for case in ch07.MANY_TO_ONE.draw_cases(seed_for("ch07.many_to_one.values", hidden)):
        x, lengths = case["x"], case["lengths"]
        N, T, D = x.shape
        H, V = case["W_hy"].shape
        assert len({N, T, D, H, V}) == 5
        assert lengths.dtype.kind == "i" and lengths.shape == (N,)
        assert lengths.min() == 1 and lengths.max() == T and ((lengths > 1) & (lengths < T)).any()
        padding = np.concatenate([x[n, lengths[n]:].ravel() for n in range(N)])
        assert padding.size > 0 and np.all(padding != 0) and padding.std() > 0.5   # random, not zeros


@pytest.mark.parametrize("hidden", [False, True])
def test_sizes_differ_within_every_case(hidden):
    for case in ch07.ONE_TO_MANY.draw_cases(seed_for("ch07.one_to_many.values", hidden)):
        N, V = case["x0"].shape
        H = case["h0"].shape[1]
        assert case["steps"].shape == () and case["steps"].dtype.kind == "i"
        assert len({N, V, H}) == 3 and case["W_xh"].shape == (V, H)
    for case in ch07.ENCODER_DECODER.draw_cases(seed_for("ch07.encoder_decoder.values", hidden)):
        N, S, D = case["src"].shape
        T = case["tgt_in"].shape[1]
        H, V = case["W_hy"].shape
        assert S != T and len({N, D, H}) == 3 and not np.allclose(case["h0"], 0)


def test_padding_does_not_change_the_solution_nor_the_reference():
    fn = solution_function(A, "many_to_one")
    inputs = ch07.MANY_TO_ONE.draw_cases(3)[0]
    noisy = dict(inputs)
    pad = np.arange(inputs["x"].shape[1])[None, :, None] >= inputs["lengths"][:, None, None]
    noisy["x"] = np.where(pad, 100.0, inputs["x"])
    for f in (fn, lambda *a: ch07.MANY_TO_ONE.reference(**dict(zip(ch07.MANY_TO_ONE.args, a)))[0]):
        a = f(*[inputs[k] for k in ch07.MANY_TO_ONE.args])
        b = f(*[noisy[k] for k in ch07.MANY_TO_ONE.args])
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-14)


# -- the references are right: an independent torch computation ------------------------------

def _torch_rnn(torch, W_xh, W_hh, b_h):
    D, H = W_xh.shape
    rnn = torch.nn.RNN(D, H, batch_first=True).double()
    with torch.no_grad():
        rnn.weight_ih_l0.copy_(torch.tensor(W_xh.T))
        rnn.weight_hh_l0.copy_(torch.tensor(W_hh.T))
        rnn.bias_ih_l0.copy_(torch.tensor(b_h))
        rnn.bias_hh_l0.zero_()
    return rnn


def test_many_to_one_matches_torch_with_packed_sequences():
    torch = pytest.importorskip("torch")
    from torch.nn.utils.rnn import pack_padded_sequence

    case = ch07.MANY_TO_ONE.draw_cases(11)[0]
    rnn = _torch_rnn(torch, case["W_xh"], case["W_hh"], case["b_h"])
    packed = pack_padded_sequence(torch.tensor(case["x"]), torch.tensor(case["lengths"]), batch_first=True,
                                  enforce_sorted=False)
    _, h_n = rnn(packed, torch.tensor(case["h0"])[None])
    want = h_n[0].detach().numpy() @ case["W_hy"] + case["b_y"]
    np.testing.assert_allclose(ch07.MANY_TO_ONE.expected(case)[0], want, rtol=1e-10, atol=1e-12)
    got = solution_function(A, "many_to_one")(*[case[k] for k in ch07.MANY_TO_ONE.args])
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def test_one_to_many_matches_torch_run_one_cell_step_at_a_time():
    torch = pytest.importorskip("torch")
    case = ch07.ONE_TO_MANY.draw_cases(12)[0]
    cell = torch.nn.RNNCell(*case["W_xh"].shape).double()
    with torch.no_grad():
        cell.weight_ih.copy_(torch.tensor(case["W_xh"].T))
        cell.weight_hh.copy_(torch.tensor(case["W_hh"].T))
        cell.bias_ih.copy_(torch.tensor(case["b_h"]))
        cell.bias_hh.zero_()
        out = torch.nn.Linear(*case["W_hy"].shape).double()
        out.weight.copy_(torch.tensor(case["W_hy"].T))
        out.bias.copy_(torch.tensor(case["b_y"]))
        h, x, ys = torch.tensor(case["h0"]), torch.tensor(case["x0"]), []
        for _ in range(int(case["steps"])):
            h = cell(x, h)
            x = out(h)
            ys.append(x)
        want = torch.stack(ys, dim=1).numpy()
    np.testing.assert_allclose(ch07.ONE_TO_MANY.expected(case)[0], want, rtol=1e-10, atol=1e-12)
    got = solution_function(A, "one_to_many")(*[case[k] for k in ch07.ONE_TO_MANY.args])
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def test_encoder_decoder_matches_two_torch_rnns():
    torch = pytest.importorskip("torch")
    case = ch07.ENCODER_DECODER.draw_cases(13)[0]
    enc = _torch_rnn(torch, case["W_xh_e"], case["W_hh_e"], case["b_e"])
    dec = _torch_rnn(torch, case["W_xh_d"], case["W_hh_d"], case["b_d"])
    with torch.no_grad():
        _, context = enc(torch.tensor(case["src"]), torch.tensor(case["h0"])[None])
        h_dec, _ = dec(torch.tensor(case["tgt_in"]), context)
    want = h_dec.numpy() @ case["W_hy"] + case["b_y"]
    np.testing.assert_allclose(ch07.ENCODER_DECODER.expected(case)[0], want, rtol=1e-10, atol=1e-12)
    got = solution_function(A, "encoder_decoder")(*[case[k] for k in ch07.ENCODER_DECODER.args])
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


# -- feedback ------------------------------------------------------------------------------

def test_check_in_a_notebook_prints_on_success_and_raises_with_feedback(capsys):
    check("ch07.many_to_one.values", solution_function(A, "many_to_one"))
    assert "\u2713 ch07.many_to_one.values" in capsys.readouterr().out
    source = dict(SEEDED["ch07.many_to_one"])["last padded state used"]
    with pytest.raises(AssertionError, match="last padded state used"):
        check("ch07.many_to_one.values", compile_function(source, "many_to_one"))


def test_an_unclipped_off_by_one_index_is_reported_as_an_error():
    def many_to_one(x, lengths, h0, W_xh, W_hh, b_h, W_hy, b_y):
        h, hs = h0, []
        for t in range(x.shape[1]):
            h = np.tanh(x[:, t] @ W_xh + h @ W_hh + b_h)
            hs.append(h)
        return np.stack(hs, 1)[np.arange(x.shape[0]), lengths] @ W_hy + b_y

    r = run_check("ch07.many_to_one.values", many_to_one, seed_for("ch07.many_to_one.values"))
    assert not r.passed and "IndexError" in r.message


def test_a_wrong_number_of_generated_steps_is_named_in_the_shape_check():
    source = dict(SEEDED["ch07.one_to_many"])["one step too many"]
    r = run_check("ch07.one_to_many.shape", compile_function(source, "one_to_many"),
                  seed_for("ch07.one_to_many.shape"))
    assert not r.passed and r.mistake == "one step too many", r.message


def test_libraries_are_forbidden_in_answers():
    for name in EXERCISES:
        for banned in ("torch", "torch.nn.RNN", "rnn_ref", "autograder"):
            assert banned in exercise(name).forbidden


# -- graded mode: the checks reach the functions through the sandbox --------------------

@pytest.mark.slow
def test_graded_mixed_submission_names_the_mistakes_through_the_sandbox(tmp_path):
    import nbformat

    from benchmarks.synth import make_submission, write

    answers = solution_sources(SOURCE)
    wrong = dict(answers)
    wrong["many_to_one"] = dict(SEEDED["ch07.many_to_one"])["last padded state used"]
    wrong["encoder_decoder"] = dict(SEEDED["ch07.encoder_decoder"])["scores from the encoder states"]
    path = write(make_submission(RELEASE, wrong), str(tmp_path / "s"), A)
    report = grade(A, path)
    by_id = {t["grade_id"]: t for t in report["tests"]}
    assert by_id["test_many_to_one_shape"]["score"] == 1
    assert by_id["test_many_to_one_values"]["score"] == 0
    assert "last padded state used" in by_id["test_many_to_one_values"]["message"]
    assert all(by_id[f"test_one_to_many_{k}"]["score"] == by_id[f"test_one_to_many_{k}"]["max_score"]
               for k in ("shape", "values", "hidden"))
    assert by_id["test_encoder_decoder_shape"]["score"] == 0
    assert "scores from the encoder states" in by_id["test_encoder_decoder_shape"]["message"]
    assert report["score"] == 1 + 5, report["tests"]
    assert nbformat.read(path, as_version=4)
