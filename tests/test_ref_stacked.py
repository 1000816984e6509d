"""Stacked / bidirectional layers and truncated BPTT (rnn_ref.numpy) against torch.nn, float64."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from rnn_ref import numpy as ref
from rnn_ref.numpy import rel_error
from rnn_ref.torch.convert import to_torch_state_dict

TOL = 1e-10
KINDS = ["rnn", "lstm", "gru"]
TORCH = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}


def _layers(rng, kind, D, H, L, dirs):
    """L*dirs random layers (torch's default scale, biases included), order [l0, l0_reverse, ...]."""
    return [ref.init_params(kind, D if i < dirs else dirs * H, H, rng) for i in range(L * dirs)]


def _torch_module(kind, D, H, L, bidirectional, layers):
    m = TORCH[kind](D, H, num_layers=L, bidirectional=bidirectional, batch_first=True).double()
    m.load_state_dict(to_torch_state_dict(kind, layers, bidirectional))
    return m


def _param_grads(kind, m, L, dirs):
    """Torch's parameter gradients in rnn_ref's layout, one dict per layer and direction."""
    out = []
    for i in range(L * dirs):
        s = f"l{i // dirs}" + ("_reverse" if i % dirs else "")
        g = {n: getattr(m, f"{n}_{s}").grad.numpy() for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}
        names = {"rnn": ("W_xh", "W_hh", "b_h"), "lstm": ("W_x", "W_h", "b"), "gru": ("W_x", "W_h")}[kind]
        d = {names[0]: g["weight_ih"].T, names[1]: g["weight_hh"].T}
        if kind == "gru":
            d.update(b_x=g["bias_ih"], b_h=g["bias_hh"])
        else:
            assert rel_error(g["bias_ih"], g["bias_hh"]) <= TOL   # both receive the summed bias's gradient
            d[names[2]] = g["bias_ih"]
        out.append(d)
    return out


@pytest.mark.parametrize("kind", KINDS)
@settings(max_examples=20, deadline=None)
@given(N=st.integers(1, 3), T=st.integers(1, 5), D=st.integers(1, 4), H=st.integers(1, 4),
       L=st.integers(1, 3), bidirectional=st.booleans(), zero_h0=st.booleans(), upstream_h_n=st.booleans(),
       seed=st.integers(0, 2**31 - 1))
def test_stacked_matches_torch(kind, N, T, D, H, L, bidirectional, zero_h0, upstream_h_n, seed):
    rng = np.random.default_rng(seed)
    dirs = 2 if bidirectional else 1
    layers = _layers(rng, kind, D, H, L, dirs)
    x = rng.standard_normal((N, T, D))
    lstm = kind == "lstm"
    h0 = None if zero_h0 else rng.standard_normal((L * dirs, N, H))
    c0 = None if zero_h0 or not lstm else rng.standard_normal((L * dirs, N, H))
    dy = rng.standard_normal((N, T, dirs * H))
    dh_n = rng.standard_normal((L * dirs, N, H)) if upstream_h_n else None
    dc_n = rng.standard_normal((L * dirs, N, H)) if upstream_h_n and lstm else None
    copies = [a.copy() for a in (x, dy) + tuple(a for a in (h0, c0, dh_n, dc_n) if a is not None)]
    layer_copies = [{k: v.copy() for k, v in p.items()} for p in layers]

    y, h_n, c_n = ref.stacked_forward(kind, x, layers, h0, c0, bidirectional)
    dx, dh0, dc0, dlayers = ref.stacked_backward(kind, dy, dh_n, dc_n, x, layers, h0, c0, bidirectional)

    m = _torch_module(kind, D, H, L, bidirectional, layers)
    xt = torch.tensor(x, requires_grad=True)
    zeros = np.zeros((L * dirs, N, H))
    h0t = torch.tensor(zeros if h0 is None else h0, requires_grad=True)
    c0t = torch.tensor(zeros if c0 is None else c0, requires_grad=True)
    yt, state = m(xt, (h0t, c0t) if lstm else h0t)
    hnt, cnt = state if lstm else (state, None)
    loss = (yt * torch.tensor(dy)).sum()
    if dh_n is not None:
        loss = loss + (hnt * torch.tensor(dh_n)).sum()
    if dc_n is not None:
        loss = loss + (cnt * torch.tensor(dc_n)).sum()
    loss.backward()

    assert y.shape == (N, T, dirs * H) and h_n.shape == (L * dirs, N, H)
    assert rel_error(y, yt.detach().numpy()) <= TOL
    assert rel_error(h_n, hnt.detach().numpy()) <= TOL
    assert rel_error(dx, xt.grad.numpy()) <= TOL
    assert rel_error(dh0, h0t.grad.numpy()) <= TOL
    if lstm:
        assert rel_error(c_n, cnt.detach().numpy()) <= TOL
        assert rel_error(dc0, c0t.grad.numpy()) <= TOL
    else:
        assert c_n is None and dc0 is None
    for i, (got, want) in enumerate(zip(dlayers, _param_grads(kind, m, L, dirs))):
        assert set(got) == set(layers[i])
        for name in want:
            assert got[name].shape == layers[i][name].shape
            assert rel_error(got[name], want[name]) <= TOL, (i, name)
    assert all(np.array_equal(a, b) for a, b in zip(copies, [a for a in (x, dy, h0, c0, dh_n, dc_n) if a is not None]))
    assert all(np.array_equal(p[k], q[k]) for p, q in zip(layers, layer_copies) for k in p)   # inputs untouched


@pytest.mark.parametrize("kind", KINDS)
def test_stacked_float32_stays_float32(kind):
    rng = np.random.default_rng(0)
    layers = _layers(rng, kind, 3, 4, 2, 2)
    x = rng.standard_normal((2, 5, 3))
    y64, h64, _ = ref.stacked_forward(kind, x, layers, bidirectional=True)
    layers32 = [{k: v.astype(np.float32) for k, v in p.items()} for p in layers]
    y32, h32, _ = ref.stacked_forward(kind, x.astype(np.float32), layers32, bidirectional=True)
    dx, dh0, _, dl = ref.stacked_backward(kind, y32, None, None, x.astype(np.float32), layers32, bidirectional=True)
    assert y32.dtype == h32.dtype == dx.dtype == dh0.dtype == np.float32
    assert all(g.dtype == np.float32 for d in dl for g in d.values())
    assert rel_error(y32, y64) < 1e-5


@pytest.mark.parametrize("call, match", [
    (lambda x, ls: ref.stacked_forward("transformer", x, ls),
     r"kind: expected one of \['gru', 'lstm', 'rnn'\], got 'transformer'"),
    (lambda x, ls: ref.stacked_forward("rnn", x, ls[:3], bidirectional=True),
     r"layers: expected a non-empty list of L\*2 parameter dicts \(bidirectional=True\), got 3 entries"),
    (lambda x, ls: ref.stacked_forward("rnn", x, [ls[0], ls[1], ls[1], ls[3]], bidirectional=True),
     r"layers\[2\]\['W_xh'\]: expected shape \(D, H\) = \(8, 4\), got \(3, 4\)"),
    (lambda x, ls: ref.stacked_forward("lstm", x, ls), r"layers\[0\]: a lstm layer needs keys"),
    (lambda x, ls: ref.stacked_forward("rnn", x, ls, h0=np.zeros((2, 2, 4)), bidirectional=True),
     r"h0: expected shape \(4, N, H\) = \(4, 2, 4\), got \(2, 2, 4\)"),
    (lambda x, ls: ref.stacked_forward("rnn", x, ls, c0=np.zeros((4, 2, 4)), bidirectional=True),
     r"c0: expected None for kind 'rnn'"),
    (lambda x, ls: ref.stacked_backward("rnn", np.zeros((2, 5, 4)), None, None, x, ls, bidirectional=True),
     r"dy: expected shape \(N, T, 2H\) = \(2, 5, 8\), got \(2, 5, 4\)"),
    (lambda x, ls: ref.stacked_forward("rnn", x[0], ls), r"x: expected a 3-d array of shape \(N, T, D\)"),
])
def test_stacked_bad_input_raises_value_error(call, match):
    rng = np.random.default_rng(1)
    with pytest.raises(ValueError, match=match):
        call(rng.standard_normal((2, 5, 3)), _layers(rng, "rnn", 3, 4, 2, 2))


# ---------------------------------------------------------------- truncated BPTT

def _state(kind, h0, c0):
    h = torch.tensor(h0[None])
    return (h, torch.tensor(c0[None])) if kind == "lstm" else h


@pytest.mark.parametrize("kind", KINDS)
@settings(max_examples=20, deadline=None)
@given(N=st.integers(1, 3), T=st.integers(1, 9), D=st.integers(1, 4), H=st.integers(1, 4),
       k=st.integers(1, 10), seed=st.integers(0, 2**31 - 1))
def test_tbptt_matches_torch_with_detached_chunks(kind, N, T, D, H, k, seed):
    rng = np.random.default_rng(seed)
    params = ref.init_params(kind, D, H, rng)
    x, dh = rng.standard_normal((N, T, D)), rng.standard_normal((N, T, H))
    h0 = rng.standard_normal((N, H))
    c0 = rng.standard_normal((N, H)) if kind == "lstm" else None
    before = [a.copy() for a in (x, dh, h0, *params.values())]
    h, grads, h_last, c_last = ref.tbptt_forward_backward(kind, x, dh, params, k, h0, c0)
    assert all(np.array_equal(a, b) for a, b in zip(before, (x, dh, h0, *params.values())))  # inputs untouched

    m = _torch_module(kind, D, H, 1, False, [params])
    xt = torch.tensor(x, requires_grad=True)
    state = _state(kind, h0, c0 if c0 is not None else h0)
    outs = []
    for s in range(0, T, k):                                   # each chunk's graph ends at the detach
        out, state = m(xt[:, s:s + k], state)
        (out * torch.tensor(dh[:, s:s + k])).sum().backward()
        state = tuple(v.detach() for v in state) if kind == "lstm" else state.detach()
        outs.append(out.detach())
    assert rel_error(h, torch.cat(outs, 1).numpy()) <= TOL
    assert rel_error(grads["x"], xt.grad.numpy()) <= TOL
    assert rel_error(h_last, (state[0] if kind == "lstm" else state)[0].numpy()) <= TOL
    if kind == "lstm":
        assert rel_error(c_last, state[1][0].numpy()) <= TOL
    else:
        assert c_last is None
    want = _param_grads(kind, m, 1, 1)[0]
    assert set(grads) == set(params) | {"x"}
    for name in want:
        assert rel_error(grads[name], want[name]) <= TOL, name


@pytest.mark.parametrize("kind", KINDS)
def test_tbptt_with_k_at_least_T_is_full_bptt_exactly(kind):
    rng = np.random.default_rng(7)
    N, T, D, H = 2, 6, 3, 4
    params = ref.init_params(kind, D, H, rng)
    x, dh, h0 = rng.standard_normal((N, T, D)), rng.standard_normal((N, T, H)), rng.standard_normal((N, H))
    y, _, _ = ref.stacked_forward(kind, x, [params], h0[None])
    dx, _, _, (dp,) = ref.stacked_backward(kind, dh, None, None, x, [params], h0[None])
    for k in (T, T + 5):
        h, grads, h_last, _ = ref.tbptt_forward_backward(kind, x, dh, params, k, h0)
        assert np.array_equal(h, y) and np.array_equal(h_last, y[:, -1])
        assert np.array_equal(grads["x"], dx)
        assert all(np.array_equal(grads[n], dp[n]) for n in params)
    _, grads1, _, _ = ref.tbptt_forward_backward(kind, x, dh, params, 1, h0)
    assert rel_error(grads1["x"], dx) > 1e-6                   # truncation does change the gradient


@pytest.mark.parametrize("k", [0, -1, 2.0, True, None])
def test_tbptt_rejects_a_bad_chunk_length(k):
    rng = np.random.default_rng(8)
    params = ref.init_params("rnn", 3, 4, rng)
    with pytest.raises(ValueError, match=r"k: expected a positive integer chunk length"):
        ref.tbptt_forward_backward("rnn", np.zeros((1, 4, 3)), np.zeros((1, 4, 4)), params, k)


def test_tbptt_rejects_bad_shapes_and_kind():
    rng = np.random.default_rng(9)
    params = ref.init_params("gru", 3, 4, rng)
    with pytest.raises(ValueError, match=r"dh: expected shape \(N, T, H\) = \(1, 4, 4\), got \(1, 4, 3\)"):
        ref.tbptt_forward_backward("gru", np.zeros((1, 4, 3)), np.zeros((1, 4, 3)), params, 2)
    with pytest.raises(ValueError, match=r"params: a rnn layer needs keys"):
        ref.tbptt_forward_backward("rnn", np.zeros((1, 4, 3)), np.zeros((1, 4, 4)), params, 2)
    with pytest.raises(ValueError, match=r"params\['W_x'\]: expected shape \(D, 3H\) = \(5, 12\), got \(3, 12\)"):
        ref.tbptt_forward_backward("gru", np.zeros((1, 4, 5)), np.zeros((1, 4, 4)), params, 2)
