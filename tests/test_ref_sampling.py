"""rnn_ref.numpy's sampling: temperature, reproducibility, frequencies, sequences."""

import numpy as np
import pytest

from rnn_ref import numpy as ref

KINDS = ["rnn", "lstm", "gru"]


def _softmax(z):
    e = np.exp(z - z.max())
    return e / e.sum()


def _freq(logits, temperature, n, seed):
    idx = ref.sample_logits(np.tile(logits, (n, 1)), np.random.default_rng(seed), temperature)
    return np.bincount(idx, minlength=logits.size) / n


def test_temperature_zero_is_argmax_first_on_ties():
    logits = np.array([[0.1, 2.0, -1.0, 2.0], [5.0, 1.0, 0.0, -3.0], [-np.inf, -1.0, -np.inf, -2.0]])
    idx = ref.sample_logits(logits, np.random.default_rng(0), temperature=0)
    assert idx.dtype == np.int64 and idx.tolist() == [1, 0, 1]


def test_fixed_seed_reproduces_the_draw():
    logits = np.random.default_rng(1).standard_normal((50, 7))
    a = ref.sample_logits(logits, np.random.default_rng(42))
    b = ref.sample_logits(logits, np.random.default_rng(42))
    c = ref.sample_logits(logits, np.random.default_rng(43))
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert a.shape == (50,) and a.min() >= 0 and a.max() < 7


def test_frequencies_at_temperature_one_match_softmax():
    # 40000 draws: each frequency has a standard deviation <= 0.5 / sqrt(40000) = 0.0025;
    # the tolerance 0.01 is 4 of those (and the seed is fixed, so the test is deterministic).
    logits = np.array([1.0, -0.5, 2.0, 0.0, -3.0])
    assert np.abs(_freq(logits, 1.0, 40000, 5) - _softmax(logits)).max() < 0.01
    # temperature 0.5 is softmax(2 * logits)
    assert np.abs(_freq(logits, 0.5, 40000, 6) - _softmax(2 * logits)).max() < 0.01


def test_high_temperature_flattens_and_minus_inf_is_never_drawn():
    logits = np.array([3.0, 0.0, -2.0, 1.0])
    assert np.abs(_freq(logits, 1000.0, 40000, 7) - 0.25).max() < 0.01
    maxima = [_freq(logits, t, 20000, 8).max() for t in (0.5, 1.0, 2.0, 10.0)]
    assert maxima == sorted(maxima, reverse=True)             # the peak flattens as T grows
    masked = np.array([0.0, -np.inf, 0.0, -np.inf])
    f = _freq(masked, 1.0, 10000, 9)
    assert f[1] == 0 and f[3] == 0 and abs(f[0] - 0.5) < 0.02
    assert ref.sample_logits(np.array([[1e300, 0.0]]), np.random.default_rng(0), 1e-300).tolist() == [0]


@pytest.mark.parametrize("temperature", [-0.5, float("nan"), float("inf"), "1"])
def test_bad_temperature(temperature):
    with pytest.raises(ValueError, match=r"temperature: expected a finite number >= 0"):
        ref.sample_logits(np.zeros((1, 3)), np.random.default_rng(0), temperature)


@pytest.mark.parametrize("logits, match", [
    (np.zeros(3), r"logits: expected a 2-d array of shape \(N, V\), got shape \(3,\)"),
    (np.array([[0.0, np.nan]]), r"logits: expected finite values or -inf, got nan at index \(0, 1\)"),
    (np.array([[0.0, np.inf]]), r"logits: expected finite values or -inf"),
    (np.array([[-np.inf, -np.inf]]), r"logits: expected every row to have at least one finite entry"),
    (np.array([[1, 2]]), r"logits: expected a float32 or float64 array, got dtype int64"),
])
def test_bad_logits(logits, match):
    with pytest.raises(ValueError, match=match):
        ref.sample_logits(logits, np.random.default_rng(0))


def _model(kind, rng, V=6, E=4, H=5):
    return {"W_embed": rng.standard_normal((V, E)), "layer": ref.init_params(kind, E, H, rng),
            "W_hy": rng.standard_normal((H, V)), "b_y": rng.standard_normal(V)}


@pytest.mark.parametrize("kind", KINDS)
def test_sample_sequence_shape_and_determinism(kind):
    model = _model(kind, np.random.default_rng(10))
    start = np.array([0, 3, 5])
    a = ref.sample_sequence(kind, model, start, 12, np.random.default_rng(1))
    b = ref.sample_sequence(kind, model, start, 12, np.random.default_rng(1))
    c = ref.sample_sequence(kind, model, start, 12, np.random.default_rng(2))
    assert a.shape == (3, 12) and a.dtype == np.int64 and a.min() >= 0 and a.max() < 6
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert ref.sample_sequence(kind, model, start, 0, np.random.default_rng(1)).shape == (3, 0)


@pytest.mark.parametrize("kind", KINDS)
def test_greedy_sequence_agrees_with_a_teacher_forced_run(kind):
    rng = np.random.default_rng(11)
    model = _model(kind, rng)
    start = np.array([1, 4])
    h0 = rng.standard_normal((2, 5))
    c0 = rng.standard_normal((2, 5)) if kind == "lstm" else None
    out = ref.sample_sequence(kind, model, start, 7, np.random.default_rng(0), temperature=0, h0=h0, c0=c0)
    # feed [start, out[:, :-1]] at once: the argmax at every step must be the next token
    fed = np.concatenate([start[:, None], out[:, :-1]], axis=1)             # (N, 7)
    x = ref.embedding_forward(fed, model["W_embed"])
    y, _, _ = ref.stacked_forward(kind, x, [model["layer"]], h0[None], None if c0 is None else c0[None])
    scores = ref.temporal_affine_forward(y, model["W_hy"], model["b_y"])
    assert np.array_equal(scores.argmax(axis=2), out)


@pytest.mark.parametrize("call, match", [
    (lambda m: ref.sample_sequence("elman", m, np.array([0]), 3, np.random.default_rng(0)),
     r"kind: expected one of \['gru', 'lstm', 'rnn'\], got 'elman'"),
    (lambda m: ref.sample_sequence("rnn", m, np.array([0, 6]), 3, np.random.default_rng(0)),
     r"start: expected integers in \[0, 6\), got values from 0 to 6"),
    (lambda m: ref.sample_sequence("rnn", m, np.array([0]), -1, np.random.default_rng(0)),
     r"steps: expected an integer >= 0, got -1"),
    (lambda m: ref.sample_sequence("rnn", m, np.array([0]), 3, np.random.default_rng(0), temperature=-1),
     r"temperature: expected a finite number >= 0, got -1"),
    (lambda m: ref.sample_sequence("rnn", {k: v for k, v in m.items() if k != "b_y"}, np.array([0]), 3,
                                   np.random.default_rng(0)), r"model: expected a dict with keys"),
    (lambda m: ref.sample_sequence("rnn", {**m, "W_hy": m["W_hy"].T}, np.array([0]), 3, np.random.default_rng(0)),
     r"model\['W_hy'\]: expected shape \(H, V\) = \(5, 6\), got \(6, 5\)"),
    (lambda m: ref.sample_sequence("gru", m, np.array([0]), 3, np.random.default_rng(0)),
     r"model\['layer'\]: a gru layer needs keys"),
    (lambda m: ref.sample_sequence("rnn", m, np.array([0]), 3, np.random.default_rng(0), h0=np.zeros((2, 5))),
     r"h0: expected shape \(N, H\) = \(1, 5\), got \(2, 5\)"),
])
def test_sample_sequence_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call(_model("rnn", np.random.default_rng(12)))
