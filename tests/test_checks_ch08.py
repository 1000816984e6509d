"""Chapter 8's checks and notebook: the references mean what the chapter says (batches that
let a state be carried, rnn_ref's sampler, torch's clipped Adam, an exact beam search), the
solution agrees, and the notebook keeps training and data in demo cells."""

import itertools
import os

import nbformat
import numpy as np
import pytest

from autograder import run_check, seed_for
from autograder.checks import ch08
from rnn_ref import numpy as ref

from chapter_tools import compile_function, solution_function
from seeded_ch08 import SEEDED

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
A = "ch08_applications"
SOURCE = os.path.join(ROOT, "solutions", A, A + ".ipynb")


# -- tbptt_batches ----------------------------------------------------------------------------

@pytest.mark.parametrize("who", ["reference", "solution"])
def test_tbptt_windows_let_the_state_be_carried_exactly(who):
    """Running rnn_ref's RNN batch after batch, each from the state the last one left, gives
    the same states as running it over each whole stream: row n of batch k+1 continues row n
    of batch k. The targets are the next tokens of the text."""
    fn = ch08.tbptt_reference if who == "reference" else solution_function(A, "tbptt_batches")
    rng = np.random.default_rng(0)
    V, H, L, N, T = 7, 5, 203, 4, 6
    data = rng.integers(0, V, L)
    x, y = fn(data, np.array(N), np.array(T))
    K = (L - 1) // N // T
    assert x.shape == y.shape == (K, N, T)
    W_xh, W_hh, b_h = rng.standard_normal((V, H)), rng.standard_normal((H, H)) * 0.5, rng.standard_normal(H)
    onehot = np.eye(V)
    h = np.zeros((N, H))
    carried = []
    for k in range(K):                                            # one window at a time
        hs = ref.rnn_forward(onehot[x[k]], h, W_xh, W_hh, b_h)    # (N, T, H)
        carried.append(hs)
        h = hs[:, -1]
    carried = np.concatenate(carried, axis=1)                     # (N, K*T, H)
    streams = x.transpose(1, 0, 2).reshape(N, K * T)              # (N, K*T)
    whole = ref.rnn_forward(onehot[streams], np.zeros((N, H)), W_xh, W_hh, b_h)
    np.testing.assert_allclose(carried, whole, rtol=0, atol=1e-12)
    # the streams are contiguous slices of the text and y is the text one step later
    S = (L - 1) // N
    for n in range(N):
        np.testing.assert_array_equal(streams[n], data[n * S:n * S + K * T])
        np.testing.assert_array_equal(y.transpose(1, 0, 2).reshape(N, K * T)[n], data[n * S + 1:n * S + 1 + K * T])


def test_tbptt_cases_make_the_mistakes_visible():
    for hidden in (False, True):
        for case, sizes in zip(ch08.TBPTT.draw_cases(seed_for("ch08.tbptt_batches.values", hidden)),
                               ch08.TBPTT.cases):
            assert len(np.unique(case["data"])) == len(case["data"])          # distinct tokens
            assert case["N"].shape == () and case["T"].shape == ()
            x, _ = ch08.tbptt_reference(**case)
            assert x.shape == (sizes["K"], sizes["N"], sizes["T"])
        first = ch08.TBPTT.cases[0]
        assert len({first["K"], first["N"], first["T"]}) == 3 and first["K"] >= 2


# -- sample_with_temperature ------------------------------------------------------------------

@pytest.mark.parametrize("tau", [0.3, 1.0, 2.5])
def test_sampling_reference_is_rnn_ref_with_the_generator_s_own_draws(tau):
    rng = np.random.default_rng(1)
    logits = rng.standard_normal((500, 6)) * 2
    want = ref.sample_logits(logits, np.random.default_rng(7), tau)
    u = np.random.default_rng(7).random(500)          # the same draws sample_logits makes
    (got,) = ch08.SAMPLE.reference(logits=logits, temperature=np.array(tau), u=u)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(solution_function(A, "sample_with_temperature")(logits, tau, u), want)


def test_sampled_frequencies_follow_the_tempered_softmax():
    logits = np.array([[2.0, 1.0, 0.0, -1.0]])
    sample = solution_function(A, "sample_with_temperature")
    u = np.random.default_rng(3).random(40_000)
    for tau in (0.5, 1.0, 2.0):
        idx = sample(np.repeat(logits, len(u), axis=0), tau, u)
        p = np.exp(logits[0] / tau) / np.exp(logits[0] / tau).sum()
        freq = np.bincount(idx, minlength=4) / len(u)
        assert np.abs(freq - p).max() < 0.01, (tau, freq, p)   # 4 standard errors at most


# -- clipped_adam_step ------------------------------------------------------------------------

@pytest.mark.parametrize("who", ["reference", "solution"])
def test_clipped_adam_matches_torch_over_several_steps(who):
    torch = pytest.importorskip("torch")
    fn = ch08.adam_reference if who == "reference" else solution_function(A, "clipped_adam_step")
    rng = np.random.default_rng(2)
    theta = rng.standard_normal(20)
    p = torch.nn.Parameter(torch.tensor(theta))
    opt = torch.optim.Adam([p], lr=0.03)
    m, v = np.zeros(20), np.zeros(20)
    for t, scale in enumerate((5.0, 0.05, 1.0, 20.0, 0.3, 2.0), start=1):
        g = rng.standard_normal(20) * scale
        p.grad = torch.tensor(g)
        torch.nn.utils.clip_grad_norm_([p], max_norm=1.5)
        opt.step()
        theta, m, v = fn(theta, g, m, v, np.array(t), np.array(0.03), np.array(1.5))
        np.testing.assert_allclose(theta, p.detach().numpy(), rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(m, opt.state[p]["exp_avg"].numpy(), rtol=1e-12, atol=1e-15)


def test_adam_cases_clip_once_and_not_once():
    for case in ch08.ADAM.draw_cases(seed_for("ch08.clipped_adam_step.values")):
        norm = np.linalg.norm(case["grad"])
        assert abs(norm - float(case["max_norm"])) > 0.2 * norm       # clearly on one side
    ratios = [c["ratio"] for c in ch08.ADAM.cases]
    assert min(ratios) < 1 < max(ratios)


# -- beam_search_step -------------------------------------------------------------------------

def _beam_search(step, tables, first, k):
    """Iterate a beam step over len(tables) steps of a model whose next-token
    log-probabilities depend only on the previous token: tables[t][prev] (V,)."""
    beams, scores = [[first]], np.zeros(1)
    for table in tables:
        log_probs = np.stack([table[b[-1]] for b in beams])       # (B, V)
        kk = min(k, log_probs.size)
        scores, parents, tokens = step(log_probs, scores, np.array(kk))
        beams = [beams[int(p)] + [int(v)] for p, v in zip(parents, tokens)]
    return beams, np.asarray(scores)


@pytest.mark.parametrize("who", ["reference", "solution"])
def test_a_wide_enough_beam_finds_the_exact_k_best_sequences(who):
    """With k at least the number of prefixes, beam search is exhaustive: its k best must be
    the k best of all V**3 sequences, scored by brute force."""
    fn = ch08.beam_reference if who == "reference" else solution_function(A, "beam_search_step")
    rng = np.random.default_rng(4)
    V, steps, k = 4, 3, 16
    z = rng.standard_normal((steps, V, V)) * 2
    tables = z - np.log(np.exp(z).sum(2, keepdims=True))            # (steps, prev, V) log-probs
    beams, scores = _beam_search(fn, tables, 0, k)
    every = []
    for seq in itertools.product(range(V), repeat=steps):
        prev, s = 0, 0.0
        for t, tok in enumerate(seq):
            s += tables[t][prev][tok]
            prev = tok
        every.append((s, list(seq)))
    every.sort(key=lambda e: -e[0])
    assert [b[1:] for b in beams] == [e[1] for e in every[:k]]
    np.testing.assert_allclose(scores, [e[0] for e in every[:k]], rtol=1e-12)


@pytest.mark.parametrize("width", [1, 3])
def test_beam_steps_decode_a_seq2seq_model_as_rnn_ref_beam_search_does(width):
    """rnn_ref's beam search on a GRU encoder-decoder (end token made impossible, so every
    hypothesis runs to max_len) finds the sequence that iterating the reference step finds."""
    rng = np.random.default_rng(5)
    model = ref.seq2seq_init("gru", 6, 7, 4, 5, rng)
    src = rng.integers(0, 6, (1, 4))
    bos, eos, max_len = 0, 6, 5
    model["b_out"] = model["b_out"].copy()
    model["b_out"][eos] = -50.0
    (want, want_score), = ref.beam_search("gru", model, src, bos, eos, max_len, beam_width=width)

    def log_softmax(a):
        a = a - a.max(1, keepdims=True)
        return a - np.log(np.exp(a).sum(1, keepdims=True))

    h = ref.gru_forward(model["src_embed"][src], None, **model["encoder"])[:, -1]      # (1, H)
    beams, scores, tok = [[]], np.zeros(1), np.array([bos])
    for _ in range(max_len):
        h = ref.gru_step_forward(model["tgt_embed"][tok], h, **model["decoder"])          # (B, H)
        log_probs = log_softmax(h @ model["W_out"] + model["b_out"])                      # (B, V)
        scores, parents, tokens = ch08.beam_reference(log_probs, scores, np.array(width))
        beams = [beams[int(p)] + [int(v)] for p, v in zip(parents, tokens)]
        h, tok = h[parents], tokens
    assert beams[0] == list(want) and eos not in beams[0]
    assert abs(scores[0] - want_score) < 1e-10


# -- seeded mistakes get the precise name on the visible seed ------------------------------------

def test_each_seeded_catalogued_mistake_is_named_on_the_visible_seed():
    missed = []
    for name, entries in SEEDED.items():
        for expected, source in entries:
            if expected is None:
                continue
            with np.errstate(all="ignore"):
                result = run_check(f"{name}.values", compile_function(source, name.split(".")[1]),
                                   seed_for(f"{name}.values"))
            if result.mistake != expected:
                missed.append((name, expected, result.mistake))
    assert len(missed) <= 1, missed


# -- the notebook ---------------------------------------------------------------------------------

def _code_cells():
    nb = nbformat.read(SOURCE, as_version=4)
    return [c for c in nb.cells if c.cell_type == "code"]


def test_training_data_and_torch_live_only_in_demo_cells():
    heavy = ("import torch", "torch.", "coursekit", "rnn_ref", ".backward()", "datasets.")
    for cell in _code_cells():
        is_demo = "demo" in cell.metadata.get("tags", [])
        graded = cell.metadata.get("nbgrader", {})
        if is_demo:
            assert not graded, "a demo cell must not be an nbgrader cell"
        elif not graded.get("grade"):
            for word in heavy:
                assert word not in cell.source, (word, cell.source[:80])


def test_demo_cells_survive_a_bundle_without_rnn_ref_and_use_the_learner_s_functions():
    demo = "\n".join(c.source for c in _code_cells() if "demo" in c.metadata.get("tags", []))
    assert "import rnn_ref.torch as rt" in demo and "except ImportError" in demo
    assert "rt.pick_device()" in demo and "from_torch_nn" in demo
    for fn in ("tbptt_batches", "sample_with_temperature", "clipped_adam_step", "beam_search_step"):
        assert f"learner({fn}" in demo, fn


def test_setup_reads_the_budget_and_seeds():
    setup = next(c for c in _code_cells() if c.metadata.get("nbgrader", {}).get("grade_id") == "setup")
    assert 'os.environ.get("RNN_COURSE_BUDGET", "1")' in setup.source
    assert "default_rng(" in setup.source
