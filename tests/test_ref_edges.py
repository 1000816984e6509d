"""Edges of the rnn_ref contract, in both backends: empty sequences are refused everywhere
with one message, numeric_gradient takes any strides, and a mask keeps excluded positions
out of mse_loss even when they hold NaN."""

import numpy as np
import pytest
import torch

import rnn_ref.numpy as rn
import rnn_ref.torch as rt

KINDS = ("rnn", "lstm", "gru")
EMPTY = r"x: expected at least one time step \(T >= 1\), got shape \(2, 0, 3\)"


def _numpy_params(kind, D=3, H=4, seed=0):
    return rn.init_params(kind, D, H, np.random.default_rng(seed))


def _as(backend, a):
    if backend is rn or a is None:
        return a
    return {k: torch.from_numpy(v) for k, v in a.items()} if isinstance(a, dict) else torch.from_numpy(a)


def _entry_points(B, kind, p):
    """Every public function that reads an input sequence x (N, T, D), called on ``x``."""
    N, H = 2, 4
    z = (lambda *s: np.zeros(s)) if B is rn else (lambda *s: torch.zeros(s, dtype=torch.float64))  # noqa: E731
    calls = {
        "stacked_forward": lambda x: B.stacked_forward(kind, x, [p]),
        "stacked_forward (bidirectional)": lambda x: B.stacked_forward(kind, x, [p, p], bidirectional=True),
        "stacked_backward": lambda x: B.stacked_backward(kind, z(N, x.shape[1], H), None, None, x, [p]),
        "tbptt_forward_backward": lambda x: B.tbptt_forward_backward(kind, x, z(N, x.shape[1], H), p, 2),
    }
    if kind == "rnn":
        calls["rnn_forward"] = lambda x: B.rnn_forward(x, None, **p)
        calls["rnn_backward"] = lambda x: B.rnn_backward(z(N, x.shape[1], H), x, None, z(N, x.shape[1], H),
                                                         p["W_xh"], p["W_hh"])
    elif kind == "lstm":
        calls["lstm_forward"] = lambda x: B.lstm_forward(x, None, None, **p)
        calls["lstm_backward"] = lambda x: B.lstm_backward(z(N, x.shape[1], H), None, x, None, None,
                                                           z(N, x.shape[1], H), z(N, x.shape[1], H), **p)
    else:
        calls["gru_forward"] = lambda x: B.gru_forward(x, None, **p)
        calls["gru_backward"] = lambda x: B.gru_backward(z(N, x.shape[1], H), x, None, z(N, x.shape[1], H), **p)
    if B is rn:
        plain_fwd = getattr(rn.plain, f"{kind}_forward")
        calls["plain." + plain_fwd.__name__] = (lambda x: plain_fwd(x, None, None, **p)) if kind == "lstm" \
            else (lambda x: plain_fwd(x, None, **p))
    return calls


# --------------------------------------------------------------------------- empty sequences

@pytest.mark.parametrize("backend", [rn, rt], ids=["numpy", "torch"])
@pytest.mark.parametrize("kind", KINDS)
def test_empty_sequences_are_refused_by_every_entry_point(backend, kind):
    p = _as(backend, _numpy_params(kind))
    calls = _entry_points(backend, kind, p)
    one_step = _as(backend, np.ones((2, 1, 3)))
    for name, call in calls.items():
        call(one_step)                                    # T = 1 works: the refusal is about T only
        with pytest.raises(ValueError, match=EMPTY):
            call(_as(backend, np.zeros((2, 0, 3))))


@pytest.mark.parametrize("kind", KINDS)
def test_empty_sequences_are_refused_by_the_modules_as_by_torch_nn(kind):
    module = {"rnn": rt.RNN, "lstm": rt.LSTM, "gru": rt.GRU}[kind](3, 4, num_layers=2).double()
    with pytest.raises(ValueError, match=EMPTY):
        module(torch.zeros(2, 0, 3, dtype=torch.float64))
    reference = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[kind](3, 4, batch_first=True)
    with pytest.raises(RuntimeError):                     # torch.nn refuses them too
        reference(torch.zeros(2, 0, 3))


@pytest.mark.parametrize("backend", [rn, rt], ids=["numpy", "torch"])
def test_empty_seq2seq_sources_and_targets_are_refused(backend):
    gen = np.random.default_rng(0) if backend is rn else torch.Generator().manual_seed(0)
    model = backend.seq2seq_init("gru", 5, 6, 3, 4, gen)
    ints = (lambda *s: np.zeros(s, dtype=np.int64)) if backend is rn else (lambda *s: torch.zeros(s, dtype=torch.int64))  # noqa: E731
    with pytest.raises(ValueError, match=r"src: expected at least one time step \(S >= 1\), got shape \(2, 0\)"):
        backend.seq2seq_loss("gru", model, ints(2, 0), ints(2, 3), ints(2, 3))
    with pytest.raises(ValueError, match=r"tgt_in: expected at least one time step \(T >= 1\), got shape \(2, 0\)"):
        backend.seq2seq_loss("gru", model, ints(2, 3), ints(2, 0), ints(2, 0))
    with pytest.raises(ValueError, match=r"src: expected at least one time step"):
        backend.greedy_decode("gru", model, ints(2, 0), 0, 1, 3)
    # a length that is asked for may be 0: no tokens are decoded
    assert tuple(backend.greedy_decode("gru", model, ints(2, 3), 0, 1, 0).shape) == (2, 0)


# --------------------------------------------------------------------------- numeric_gradient

def test_torch_numeric_gradient_takes_non_contiguous_tensors():
    gen = torch.Generator().manual_seed(0)
    W = torch.randn(3, 4, dtype=torch.float64, generator=gen)
    x = torch.randn(5, 4, dtype=torch.float64, generator=gen)
    df = torch.randn(5, 3, dtype=torch.float64, generator=gen)
    Wt = W.t()                                            # (4, 3), not contiguous
    assert not Wt.is_contiguous()
    before = Wt.clone()
    grad = rt.numeric_gradient(lambda w: x @ w, Wt, df)   # d/dWt sum((x @ Wt) * df) = x.T @ df
    assert grad.shape == Wt.shape and rt.rel_error(grad, x.t() @ df) < 1e-8
    assert torch.equal(Wt, before) and torch.equal(W, before.t())    # restored exactly
    strided = torch.randn(8, dtype=torch.float64, generator=gen)[::2]  # a stride-2 view
    assert rt.rel_error(rt.numeric_gradient(lambda v: (v ** 3).sum(), strided), 3 * strided ** 2) < 1e-8
    scalar = torch.tensor(0.7, dtype=torch.float64)       # 0-d
    assert abs(float(rt.numeric_gradient(lambda v: torch.sin(v), scalar)) - np.cos(0.7)) < 1e-9
    # the NumPy checker agrees on the same non-contiguous case
    got = rn.numeric_gradient(lambda w: x.numpy() @ w, W.numpy().T.copy().T.T, df.numpy())
    assert rn.rel_error(got, (x.t() @ df).numpy()) < 1e-8


# --------------------------------------------------------------------------- masked MSE

@pytest.mark.parametrize("backend", [rn, rt], ids=["numpy", "torch"])
def test_mse_mask_selects_so_nan_and_inf_at_excluded_positions_change_nothing(backend):
    rng = np.random.default_rng(3)
    pred, target = rng.standard_normal((2, 4, 3)), rng.standard_normal((2, 4, 3))
    mask = np.array([[1, 0, 1, 1], [0, 1, 1, 0]])
    clean_loss, clean_grad = backend.mse_loss(*(_as(backend, a) for a in (pred, target, mask)))
    padded_target, padded_pred = target.copy(), pred.copy()
    padded_target[0, 1] = np.nan                          # excluded positions: NaN, inf padding
    padded_target[1, 0, 2] = np.inf
    padded_pred[1, 3] = -np.inf
    loss, grad = backend.mse_loss(*(_as(backend, a) for a in (padded_pred, padded_target, mask)))
    grad = np.asarray(grad)
    assert np.isfinite(float(loss)) and np.isfinite(grad).all()
    assert float(loss) == float(clean_loss) and np.array_equal(grad, np.asarray(clean_grad))
    assert (grad[0, 1] == 0).all() and (grad[1, 0] == 0).all()
    want = ((pred - target) ** 2)[mask.astype(bool)].mean()   # mean over counted entries
    assert abs(float(loss) - want) < 1e-14
    # a NaN at a counted position is not hidden
    padded_target[0, 0, 0] = np.nan
    assert np.isnan(float(backend.mse_loss(*(_as(backend, a) for a in (padded_pred, padded_target, mask)))[0]))
