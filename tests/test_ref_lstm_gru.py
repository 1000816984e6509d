"""rnn_ref.numpy's LSTM and GRU against torch.nn (float64), numeric gradients, float32, bad input."""

import hashlib
import re

import numpy as np
import pytest
import torch
from hypothesis import example, given, settings
from hypothesis import strategies as st

from rnn_ref import numpy as ref
from rnn_ref.numpy import numeric_gradient, rel_error
from rnn_ref.torch.convert import to_torch_state_dict

TOL = 1e-10        # float64 against torch.nn
GRAD_TOL = 1e-7    # analytic against central differences (eps 1e-6)


def _lstm_params(rng, D, H, dtype=np.float64):
    return {k: v.astype(dtype) for k, v in dict(
        W_x=rng.standard_normal((D, 4 * H)) / np.sqrt(D),
        W_h=rng.standard_normal((H, 4 * H)) / np.sqrt(H),
        b=rng.standard_normal(4 * H) * 0.5).items()}


def _gru_params(rng, D, H, dtype=np.float64):
    return {k: v.astype(dtype) for k, v in dict(
        W_x=rng.standard_normal((D, 3 * H)) / np.sqrt(D),
        W_h=rng.standard_normal((H, 3 * H)) / np.sqrt(H),
        b_x=rng.standard_normal(3 * H) * 0.5,
        b_h=rng.standard_normal(3 * H) * 0.5).items()}


def _tiny(x, p):
    """The small-activation regime: inputs near 1e-7 and zero biases (with zero initial
    states, every pre-activation is near 1e-7), where a tanh computed as 2 sigmoid(2a) - 1
    cancels and loses digits."""
    return x * 1e-7, {k: (np.zeros_like(v) if k.startswith("b") else v) for k, v in p.items()}


def _torch_state(h0, N, H, zero):
    """The initial state torch sees (zeros when rnn_ref gets None), requiring grad."""
    t = torch.zeros(1, N, H, dtype=torch.float64) if zero else torch.tensor(h0[None])
    return t.requires_grad_(True)


# --------------------------------------------------------------------------- against torch.nn

@settings(max_examples=30, deadline=None)
@given(N=st.integers(1, 4), T=st.integers(1, 6), D=st.integers(1, 5), H=st.integers(1, 5),
       seed=st.integers(0, 2**31 - 1), zero_h0=st.booleans(), zero_c0=st.booleans(),
       with_dc=st.booleans(), use_cache=st.booleans(), tiny=st.booleans())
@example(N=1, T=1, D=1, H=1, seed=0, zero_h0=True, zero_c0=True, with_dc=True, use_cache=False, tiny=False)
@example(N=1, T=1, D=1, H=1, seed=1, zero_h0=False, zero_c0=False, with_dc=False, use_cache=True, tiny=False)
@example(N=3, T=5, D=4, H=6, seed=3, zero_h0=True, zero_c0=True, with_dc=False, use_cache=False, tiny=True)
@example(N=1, T=1, D=1, H=1, seed=4, zero_h0=True, zero_c0=True, with_dc=False, use_cache=True, tiny=True)
def test_lstm_matches_torch_nn_lstm(N, T, D, H, seed, zero_h0, zero_c0, with_dc, use_cache, tiny):
    rng = np.random.default_rng(seed)
    p = _lstm_params(rng, D, H)
    x = rng.standard_normal((N, T, D))
    if tiny:
        (x, p), zero_h0, zero_c0 = _tiny(x, p), True, True
    h0 = None if zero_h0 else rng.standard_normal((N, H))
    c0 = None if zero_c0 else rng.standard_normal((N, H))
    dh = rng.standard_normal((N, T, H))
    dc_last = rng.standard_normal((N, H)) if with_dc else None

    cache = {} if use_cache else None
    h, c = ref.lstm_forward(x, h0, c0, **p, cache=cache)
    dx, dh0, dc0, dW_x, dW_h, db = ref.lstm_backward(dh, dc_last, x, h0, c0, h, c, **p, cache=cache)

    m = torch.nn.LSTM(D, H, batch_first=True).double()
    m.load_state_dict(to_torch_state_dict("lstm", [p]))
    xt = torch.tensor(x, requires_grad=True)
    h0t, c0t = _torch_state(h0, N, H, zero_h0), _torch_state(c0, N, H, zero_c0)
    out, (hn, cn) = m(xt, (h0t, c0t))
    loss = (out * torch.tensor(dh)).sum()
    if with_dc:
        loss = loss + (cn[0] * torch.tensor(dc_last)).sum()
    loss.backward()

    assert h.shape == c.shape == (N, T, H) and h.dtype == c.dtype == np.float64
    assert rel_error(h, out.detach().numpy()) <= TOL
    assert rel_error(h[:, -1], hn[0].detach().numpy()) <= TOL
    assert rel_error(c[:, -1], cn[0].detach().numpy()) <= TOL
    assert rel_error(dx, xt.grad.numpy()) <= TOL
    assert rel_error(dh0, h0t.grad[0].numpy()) <= TOL
    assert rel_error(dc0, c0t.grad[0].numpy()) <= TOL
    assert rel_error(dW_x, m.weight_ih_l0.grad.numpy().T) <= TOL
    assert rel_error(dW_h, m.weight_hh_l0.grad.numpy().T) <= TOL
    assert rel_error(db, m.bias_ih_l0.grad.numpy()) <= TOL
    assert rel_error(db, m.bias_hh_l0.grad.numpy()) <= TOL


@settings(max_examples=30, deadline=None)
@given(N=st.integers(1, 4), T=st.integers(1, 6), D=st.integers(1, 5), H=st.integers(1, 5),
       seed=st.integers(0, 2**31 - 1), zero_h0=st.booleans(), use_cache=st.booleans(), tiny=st.booleans())
@example(N=1, T=1, D=1, H=1, seed=0, zero_h0=True, use_cache=False, tiny=False)
@example(N=1, T=1, D=1, H=1, seed=1, zero_h0=False, use_cache=True, tiny=False)
@example(N=3, T=5, D=4, H=6, seed=3, zero_h0=True, use_cache=False, tiny=True)
def test_gru_matches_torch_nn_gru(N, T, D, H, seed, zero_h0, use_cache, tiny):
    rng = np.random.default_rng(seed)
    p = _gru_params(rng, D, H)
    x = rng.standard_normal((N, T, D))
    if tiny:
        (x, p), zero_h0 = _tiny(x, p), True
    h0 = None if zero_h0 else rng.standard_normal((N, H))
    dh = rng.standard_normal((N, T, H))

    cache = {} if use_cache else None
    h = ref.gru_forward(x, h0, **p, cache=cache)
    dx, dh0, dW_x, dW_h, db_x, db_h = ref.gru_backward(dh, x, h0, h, **p, cache=cache)

    m = torch.nn.GRU(D, H, batch_first=True).double()
    m.load_state_dict(to_torch_state_dict("gru", [p]))
    xt = torch.tensor(x, requires_grad=True)
    h0t = _torch_state(h0, N, H, zero_h0)
    out, hn = m(xt, h0t)
    out.backward(torch.tensor(dh))

    assert h.shape == (N, T, H) and h.dtype == np.float64
    assert rel_error(h, out.detach().numpy()) <= TOL
    assert rel_error(h[:, -1], hn[0].detach().numpy()) <= TOL
    assert rel_error(dx, xt.grad.numpy()) <= TOL
    assert rel_error(dh0, h0t.grad[0].numpy()) <= TOL
    assert rel_error(dW_x, m.weight_ih_l0.grad.numpy().T) <= TOL
    assert rel_error(dW_h, m.weight_hh_l0.grad.numpy().T) <= TOL
    assert rel_error(db_x, m.bias_ih_l0.grad.numpy()) <= TOL
    assert rel_error(db_h, m.bias_hh_l0.grad.numpy()) <= TOL


def test_cache_and_cache_free_backward_agree():
    """The cache= fast path gives the cache-free result (up to GEMM rounding)."""
    rng = np.random.default_rng(7)
    N, T, D, H = 2, 70, 4, 600     # the backward's factors come in blocks of 65536 // (N*H) = 54 steps
    x, h0, c0 = rng.standard_normal((N, T, D)), rng.standard_normal((N, H)), rng.standard_normal((N, H))
    dh, dc_last = rng.standard_normal((N, T, H)), rng.standard_normal((N, H))
    p = _lstm_params(rng, D, H)
    cache = {}
    h, c = ref.lstm_forward(x, h0, c0, **p, cache=cache)
    h2, c2 = ref.lstm_forward(x, h0, c0, **p)
    assert np.array_equal(h, h2) and np.array_equal(c, c2)
    fast = ref.lstm_backward(dh, dc_last, x, h0, c0, h, c, **p, cache=cache)
    slow = ref.lstm_backward(dh, dc_last, x, h0, c0, h, c, **p)
    for a, b in zip(fast, slow):
        assert a.shape == b.shape and rel_error(a, b) <= 1e-13

    q = _gru_params(rng, D, H)
    cache = {}
    h = ref.gru_forward(x, h0, **q, cache=cache)
    assert np.array_equal(h, ref.gru_forward(x, h0, **q))
    fast = ref.gru_backward(dh, x, h0, h, **q, cache=cache)
    slow = ref.gru_backward(dh, x, h0, h, **q)
    for a, b in zip(fast, slow):
        assert a.shape == b.shape and rel_error(a, b) <= 1e-13


def test_long_sequences_cross_the_factor_blocks():
    """The backward's factors come in blocks of 65536 // (N*H) steps: one block for
    N*H = 3, three blocks of 32, 32 and 6 steps for N*H = 2048."""
    rng = np.random.default_rng(8)
    D = 2
    for N, H in ((1, 3), (2, 1024)):
        x, dh = rng.standard_normal((N, 70, D)), rng.standard_normal((N, 70, H))
        p = _lstm_params(rng, D, H)
        m = torch.nn.LSTM(D, H, batch_first=True).double()
        m.load_state_dict(to_torch_state_dict("lstm", [p]))
        xt = torch.tensor(x, requires_grad=True)
        out, _ = m(xt)
        out.backward(torch.tensor(dh))
        for use_cache in (False, True):
            cache = {} if use_cache else None
            h, c = ref.lstm_forward(x, None, None, **p, cache=cache)
            dx, _, _, dW_x, dW_h, db = ref.lstm_backward(dh, None, x, None, None, h, c, **p, cache=cache)
            assert rel_error(h, out.detach().numpy()) <= TOL
            assert rel_error(dx, xt.grad.numpy()) <= TOL
            assert rel_error(dW_h, m.weight_hh_l0.grad.numpy().T) <= TOL


# --------------------------------------------------------------------------- step functions

def test_lstm_step_functions_agree_with_the_sequence():
    rng = np.random.default_rng(10)
    N, D, H = 3, 4, 5
    p = _lstm_params(rng, D, H)
    x_t, h_prev, c_prev = rng.standard_normal((N, D)), rng.standard_normal((N, H)), rng.standard_normal((N, H))
    dh_next, dc_next = rng.standard_normal((N, H)), rng.standard_normal((N, H))
    h_next, c_next = ref.lstm_step_forward(x_t, h_prev, c_prev, **p)
    h, c = ref.lstm_forward(x_t[:, None], h_prev, c_prev, **p)
    assert rel_error(h_next, h[:, 0]) <= TOL and rel_error(c_next, c[:, 0]) <= TOL
    step = ref.lstm_step_backward(dh_next, dc_next, x_t, h_prev, c_prev, **p)
    seq = ref.lstm_backward(dh_next[:, None], dc_next, x_t[:, None], h_prev, c_prev, h, c, **p)
    assert rel_error(step[0], seq[0][:, 0]) <= TOL
    for a, b in zip(step[1:], seq[1:]):
        assert rel_error(a, b) <= TOL
    # dc_next=None means zeros
    no_dc = ref.lstm_step_backward(dh_next, None, x_t, h_prev, c_prev, **p)
    zeros = ref.lstm_step_backward(dh_next, np.zeros_like(dc_next), x_t, h_prev, c_prev, **p)
    for a, b in zip(no_dc, zeros):
        assert np.array_equal(a, b)


def test_gru_step_functions_agree_with_the_sequence():
    rng = np.random.default_rng(11)
    N, D, H = 3, 4, 5
    p = _gru_params(rng, D, H)
    x_t, h_prev, dh_next = rng.standard_normal((N, D)), rng.standard_normal((N, H)), rng.standard_normal((N, H))
    h_next = ref.gru_step_forward(x_t, h_prev, **p)
    h = ref.gru_forward(x_t[:, None], h_prev, **p)
    assert rel_error(h_next, h[:, 0]) <= TOL
    step = ref.gru_step_backward(dh_next, x_t, h_prev, **p)
    seq = ref.gru_backward(dh_next[:, None], x_t[:, None], h_prev, h, **p)
    assert rel_error(step[0], seq[0][:, 0]) <= TOL
    for a, b in zip(step[1:], seq[1:]):
        assert rel_error(a, b) <= TOL


# --------------------------------------------------------------------------- numeric gradients

def _check_all(grads, f, inputs, df):
    """Every analytic gradient against central differences of sum(f(**inputs) * df)."""
    for got, (name, value) in zip(grads, inputs.items()):
        num = numeric_gradient(lambda v: f(**{**inputs, name: v}), value.copy(), df)
        assert rel_error(got, num) < GRAD_TOL, name


def test_lstm_step_backward_matches_numeric_gradients():
    rng = np.random.default_rng(20)
    N, D, H = 2, 3, 4
    p = _lstm_params(rng, D, H)
    inputs = dict(x_t=rng.standard_normal((N, D)), h_prev=rng.standard_normal((N, H)),
                  c_prev=rng.standard_normal((N, H)), **p)
    dh_next, dc_next = rng.standard_normal((N, H)), rng.standard_normal((N, H))
    grads = ref.lstm_step_backward(dh_next, dc_next, **inputs)
    f = lambda **kw: np.concatenate(ref.lstm_step_forward(**kw), axis=1)  # noqa: E731  [h_next | c_next]
    _check_all(grads, f, inputs, np.concatenate([dh_next, dc_next], axis=1))


def test_lstm_backward_matches_numeric_gradients():
    rng = np.random.default_rng(21)
    N, T, D, H = 2, 4, 3, 4
    p = _lstm_params(rng, D, H)
    inputs = dict(x=rng.standard_normal((N, T, D)), h0=rng.standard_normal((N, H)),
                  c0=rng.standard_normal((N, H)), **p)
    dh, dc_last = rng.standard_normal((N, T, H)), rng.standard_normal((N, H))
    h, c = ref.lstm_forward(**inputs)
    grads = ref.lstm_backward(dh, dc_last, inputs["x"], inputs["h0"], inputs["c0"], h, c, **p)

    def f(**kw):  # every h_t and the final c
        h, c = ref.lstm_forward(**kw)
        return np.concatenate([h.ravel(), c[:, -1].ravel()])
    _check_all(grads, f, inputs, np.concatenate([dh.ravel(), dc_last.ravel()]))


def test_gru_step_backward_matches_numeric_gradients():
    rng = np.random.default_rng(22)
    N, D, H = 2, 3, 4
    p = _gru_params(rng, D, H)
    inputs = dict(x_t=rng.standard_normal((N, D)), h_prev=rng.standard_normal((N, H)), **p)
    dh_next = rng.standard_normal((N, H))
    grads = ref.gru_step_backward(dh_next, **inputs)
    _check_all(grads, ref.gru_step_forward, inputs, dh_next)


def test_gru_backward_matches_numeric_gradients():
    rng = np.random.default_rng(23)
    N, T, D, H = 2, 4, 3, 4
    p = _gru_params(rng, D, H)
    inputs = dict(x=rng.standard_normal((N, T, D)), h0=rng.standard_normal((N, H)), **p)
    dh = rng.standard_normal((N, T, H))
    h = ref.gru_forward(**inputs)
    grads = ref.gru_backward(dh, inputs["x"], inputs["h0"], h, **p)
    _check_all(grads, ref.gru_forward, inputs, dh)


# --------------------------------------------------------------------------- float32

# float32 has eps 6e-8 (1.2e-7 between neighbours near 1). Eight steps through exp/tanh
# gates and the cell recurrence, with O(1) inputs and weights scaled by 1/sqrt(fan-in),
# accumulate a few ulps: against the same computation in float64 the relative error
# (rel_error: max |diff| / max |a| + |b|) is 1e-7 to 3e-7 over 20 seeds, outputs and
# gradients alike. 1e-5 gives a wide margin for other BLAS summation orders, and is
# still far below what a wrong formula or a dropped term produces (1e-3 or worse).
F32_TOL = 1e-5


@pytest.mark.parametrize("use_cache", [False, True])
def test_lstm_float32_runs_in_float32_and_agrees_with_float64(use_cache):
    rng = np.random.default_rng(30)
    N, T, D, H = 3, 8, 4, 6
    p64 = _lstm_params(rng, D, H)
    x, h0, c0 = rng.standard_normal((N, T, D)), rng.standard_normal((N, H)), rng.standard_normal((N, H))
    dh, dc = rng.standard_normal((N, T, H)), rng.standard_normal((N, H))
    p32 = {k: v.astype(np.float32) for k, v in p64.items()}
    f32 = lambda a: a.astype(np.float32)  # noqa: E731
    cache = {} if use_cache else None
    h32, c32 = ref.lstm_forward(f32(x), f32(h0), f32(c0), **p32, cache=cache)
    g32 = ref.lstm_backward(f32(dh), f32(dc), f32(x), f32(h0), f32(c0), h32, c32, **p32, cache=cache)
    h64, c64 = ref.lstm_forward(x, h0, c0, **p64)
    g64 = ref.lstm_backward(dh, dc, x, h0, c0, h64, c64, **p64)
    assert h32.dtype == c32.dtype == np.float32
    assert rel_error(h32, h64) < F32_TOL and rel_error(c32, c64) < F32_TOL
    for a, b in zip(g32, g64):
        assert a.dtype == np.float32 and rel_error(a, b) < F32_TOL


@pytest.mark.parametrize("use_cache", [False, True])
def test_gru_float32_runs_in_float32_and_agrees_with_float64(use_cache):
    rng = np.random.default_rng(31)
    N, T, D, H = 3, 8, 4, 6
    p64 = _gru_params(rng, D, H)
    x, h0, dh = rng.standard_normal((N, T, D)), rng.standard_normal((N, H)), rng.standard_normal((N, T, H))
    p32 = {k: v.astype(np.float32) for k, v in p64.items()}
    f32 = lambda a: a.astype(np.float32)  # noqa: E731
    cache = {} if use_cache else None
    h32 = ref.gru_forward(f32(x), f32(h0), **p32, cache=cache)
    g32 = ref.gru_backward(f32(dh), f32(x), f32(h0), h32, **p32, cache=cache)
    h64 = ref.gru_forward(x, h0, **p64)
    g64 = ref.gru_backward(dh, x, h0, h64, **p64)
    assert h32.dtype == np.float32 and rel_error(h32, h64) < F32_TOL
    for a, b in zip(g32, g64):
        assert a.dtype == np.float32 and rel_error(a, b) < F32_TOL


def test_float32_step_functions_stay_float32():
    rng = np.random.default_rng(32)
    lp = _lstm_params(rng, 3, 4, np.float32)
    gp = _gru_params(rng, 3, 4, np.float32)
    x_t, h, c = (rng.standard_normal(s).astype(np.float32) for s in ((2, 3), (2, 4), (2, 4)))
    assert all(a.dtype == np.float32 for a in ref.lstm_step_forward(x_t, h, c, **lp))
    assert all(a.dtype == np.float32 for a in ref.lstm_step_backward(h, c, x_t, h, c, **lp))
    assert ref.gru_step_forward(x_t, h, **gp).dtype == np.float32
    assert all(a.dtype == np.float32 for a in ref.gru_step_backward(h, x_t, h, **gp))


# --------------------------------------------------------------------------- bad input

def _lstm_call(fn, x, h0, p):
    if fn == "forward":
        return ref.lstm_forward(x, h0, h0, p["W_x"], p["W_h"], p["b"])
    if fn == "backward":
        h = np.zeros(x.shape[:2] + (p["b"].shape[0] // 4,))
        return ref.lstm_backward(h, None, x, h0, h0, h, h, p["W_x"], p["W_h"], p["b"])
    return ref.lstm_step_forward(x[:, 0], h0, h0, p["W_x"], p["W_h"], p["b"])


def _gru_call(fn, x, h0, p):
    if fn == "forward":
        return ref.gru_forward(x, h0, p["W_x"], p["W_h"], p["b_x"], p["b_h"])
    if fn == "backward":
        h = np.zeros(x.shape[:2] + (p["b_x"].shape[0] // 3,))
        return ref.gru_backward(h, x, h0, h, p["W_x"], p["W_h"], p["b_x"], p["b_h"])
    return ref.gru_step_forward(x[:, 0], h0, p["W_x"], p["W_h"], p["b_x"], p["b_h"])


BAD_LSTM = [  # (N, T, D, H) = (2, 5, 3, 4); G = 4H = 16
    (lambda x, h0, p: (x, h0, {**p, "W_x": p["W_x"].T}), r"W_x: expected shape \(D, 4H\) = \(3, 16\), got \(16, 3\)"),
    (lambda x, h0, p: (x, h0, {**p, "W_h": p["W_h"].T}), r"W_h: expected shape \(H, 4H\) = \(4, 16\), got \(16, 4\)"),
    (lambda x, h0, p: (x, h0[:1], p), r"h0: expected shape \(N, H\) = \(2, 4\), got \(1, 4\)"),
    (lambda x, h0, p: (x, h0[:, :3], p), r"h0: expected shape \(N, H\) = \(2, 4\), got \(2, 3\)"),
    (lambda x, h0, p: (x.astype(int), h0, p), r"x: expected a float32 or float64 array, got dtype int"),
    (lambda x, h0, p: (x, h0, {**p, "W_h": p["W_h"] * np.nan}), r"W_h: expected finite values, got nan"),
    (lambda x, h0, p: (x, h0, {**p, "b": np.r_[p["b"][:-1], np.inf]}), r"b: expected finite values, got inf"),
    (lambda x, h0, p: (x, h0, {**p, "b": p["b"][:-1]}), r"b: expected shape \(4H,\) = \(16,\), got \(15,\)"),
    (lambda x, h0, p: (x, h0, {**p, "b": p["b"][:12]}), r"b: expected shape \(4H,\) = \(16,\), got \(12,\)"),
]


@pytest.mark.parametrize("fn", ["forward", "backward", "step"])
@pytest.mark.parametrize("bad, match", BAD_LSTM, ids=lambda v: v.split(":")[0] if isinstance(v, str) else "")
def test_lstm_bad_input_raises_value_error_naming_the_argument(fn, bad, match):
    rng = np.random.default_rng(40)
    x, h0, p = bad(rng.standard_normal((2, 5, 3)), rng.standard_normal((2, 4)), _lstm_params(rng, 3, 4))
    if fn == "step":
        match = re.sub(r"^h0:", "h_prev:", re.sub(r"^x:", "x_t:", match))
    with pytest.raises(ValueError, match=match):
        _lstm_call(fn, x, h0, p)


BAD_GRU = [  # (N, T, D, H) = (2, 5, 3, 4); G = 3H = 12
    (lambda x, h0, p: (x, h0, {**p, "W_x": p["W_x"].T}), r"W_x: expected shape \(D, 3H\) = \(3, 12\), got \(12, 3\)"),
    (lambda x, h0, p: (x, h0, {**p, "W_h": p["W_h"].T}), r"W_h: expected shape \(H, 3H\) = \(4, 12\), got \(12, 4\)"),
    (lambda x, h0, p: (x, h0[:1], p), r"h0: expected shape \(N, H\) = \(2, 4\), got \(1, 4\)"),
    (lambda x, h0, p: (x.astype(np.int32), h0, p), r"x: expected a float32 or float64 array, got dtype int32"),
    (lambda x, h0, p: (x, h0, {**p, "W_x": p["W_x"] * np.nan}), r"W_x: expected finite values, got nan"),
    (lambda x, h0, p: (x, h0, {**p, "b_h": p["b_h"][None]}),
     r"b_h: expected a 1-d array of shape \(3H,\) = \(12,\), got shape \(1, 12\)"),
    (lambda x, h0, p: (x, h0, {**p, "b_x": p["b_x"][:9]}), r"b_x: expected shape \(3H,\) = \(12,\), got \(9,\)"),
]


@pytest.mark.parametrize("fn", ["forward", "backward", "step"])
@pytest.mark.parametrize("bad, match", BAD_GRU, ids=lambda v: v.split(":")[0] if isinstance(v, str) else "")
def test_gru_bad_input_raises_value_error_naming_the_argument(fn, bad, match):
    rng = np.random.default_rng(41)
    x, h0, p = bad(rng.standard_normal((2, 5, 3)), rng.standard_normal((2, 4)), _gru_params(rng, 3, 4))
    if fn == "step":
        match = re.sub(r"^h0:", "h_prev:", re.sub(r"^x:", "x_t:", match))
    with pytest.raises(ValueError, match=match):
        _gru_call(fn, x, h0, p)


def test_backward_checks_its_own_arguments():
    rng = np.random.default_rng(42)
    N, T, D, H = 2, 3, 4, 5
    p, q = _lstm_params(rng, D, H), _gru_params(rng, D, H)
    x = rng.standard_normal((N, T, D))
    h, c = ref.lstm_forward(x, None, None, **p)
    with pytest.raises(ValueError, match=r"dh: expected shape \(N, T, H\) = \(2, 3, 5\), got \(2, 3, 4\)"):
        ref.lstm_backward(np.ones((N, T, 4)), None, x, None, None, h, c, **p)
    with pytest.raises(ValueError, match=r"dc_last: expected shape \(N, H\) = \(2, 5\), got \(5, 2\)"):
        ref.lstm_backward(np.ones((N, T, H)), np.ones((H, N)), x, None, None, h, c, **p)
    with pytest.raises(ValueError, match=r"c: expected shape \(N, T, H\) = \(2, 3, 5\), got \(2, 2, 5\)"):
        ref.lstm_backward(np.ones((N, T, H)), None, x, None, None, h, c[:, :2], **p)
    g = ref.gru_forward(x, None, **q)
    with pytest.raises(ValueError, match=r"h: expected shape \(N, T, H\) = \(2, 3, 5\), got \(3, 2, 5\)"):
        ref.gru_backward(np.ones((N, T, H)), x, None, g.transpose(1, 0, 2), **q)


def test_a_cache_from_another_call_is_refused():
    rng = np.random.default_rng(43)
    p, q = _lstm_params(rng, 3, 4), _gru_params(rng, 3, 4)
    x, dh = rng.standard_normal((2, 5, 3)), rng.standard_normal((2, 5, 4))
    cache = {}
    ref.lstm_forward(x, None, None, **p, cache=cache)
    h, c = ref.lstm_forward(x, None, None, **p)            # not the cached call's outputs
    with pytest.raises(ValueError, match="cache: expected the dict that lstm_forward filled"):
        ref.lstm_backward(dh, None, x, None, None, h, c, **p, cache=cache)
    g = ref.gru_forward(x, None, **q)
    with pytest.raises(ValueError, match="cache: expected the dict that gru_forward filled"):
        ref.gru_backward(dh, x, None, g, **q, cache=cache)
    with pytest.raises(ValueError, match="cache: expected a dict or None, got list"):
        ref.gru_forward(x, None, **q, cache=[])


# --------------------------------------------------------------------------- inputs untouched

def _digest(arrays):
    return [None if a is None else (a.dtype.str, a.shape, hashlib.sha256(np.ascontiguousarray(a)).hexdigest())
            for a in arrays]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("use_cache", [False, True])
def test_inputs_are_never_modified(dtype, use_cache):
    rng = np.random.default_rng(50)
    N, T, D, H = 2, 6, 3, 4
    cast = lambda a: a.astype(dtype)  # noqa: E731
    x, h0, c0 = (cast(rng.standard_normal(s)) for s in ((N, T, D), (N, H), (N, H)))
    dh, dc = cast(rng.standard_normal((N, T, H))), cast(rng.standard_normal((N, H)))
    p, q = _lstm_params(rng, D, H, dtype), _gru_params(rng, D, H, dtype)

    before = _digest([x, h0, c0, dh, dc, *p.values(), *q.values()])
    cache = {} if use_cache else None
    h, c = ref.lstm_forward(x, h0, c0, **p, cache=cache)
    hc = _digest([h, c])
    ref.lstm_backward(dh, dc, x, h0, c0, h, c, **p, cache=cache)
    ref.lstm_step_forward(x[:, 0], h0, c0, **p)
    ref.lstm_step_backward(dh[:, 0], dc, x[:, 0], h0, c0, **p)
    g = ref.gru_forward(x, h0, **q, cache=cache)
    gd = _digest([g])
    ref.gru_backward(dh, x, h0, g, **q, cache=cache)
    ref.gru_step_forward(x[:, 0], h0, **q)
    ref.gru_step_backward(dh[:, 0], x[:, 0], h0, **q)
    assert _digest([x, h0, c0, dh, dc, *p.values(), *q.values()]) == before
    assert _digest([h, c]) == hc and _digest([g]) == gd   # the forward's outputs, read by the backward
    # a backward's outputs are new arrays, never views of its inputs
    outs = ref.lstm_backward(dh, dc, x, h0, c0, h, c, **p)
    for out in outs:
        for inp in (dh, dc, x, h0, c0, h, c, *p.values()):
            assert not np.shares_memory(out, inp)


def test_empty_batch_works_and_an_empty_sequence_is_refused():
    """N = 0 is an empty batch (empty results, zero gradients); T = 0 is refused with a
    ValueError, as torch.nn and every other sequence function do (tests/test_ref_edges.py)."""
    N, T = 0, 3
    rng = np.random.default_rng(60)
    D, H = 3, 4
    x, dh = rng.standard_normal((N, T, D)), rng.standard_normal((N, T, H))
    p, q = _lstm_params(rng, D, H), _gru_params(rng, D, H)
    for cache in (None, {}):
        h, c = ref.lstm_forward(x, None, None, **p, cache=cache)
        dx, dh0, dc0, *grads = ref.lstm_backward(dh, None, x, None, None, h, c, **p, cache=cache)
        assert h.shape == c.shape == (N, T, H) and dx.shape == x.shape and dh0.shape == dc0.shape == (N, H)
        assert all(not g.any() for g in grads)
        g = ref.gru_forward(x, None, **q, cache=cache)
        dx, dh0, *grads = ref.gru_backward(dh, x, None, g, **q, cache=cache)
        assert g.shape == (N, T, H) and dx.shape == x.shape and dh0.shape == (N, H)
        assert all(not g.any() for g in grads)
    empty = rng.standard_normal((2, 0, D))
    with pytest.raises(ValueError, match=r"x: expected at least one time step \(T >= 1\), got shape \(2, 0, 3\)"):
        ref.lstm_forward(empty, None, None, **p)
    with pytest.raises(ValueError, match=r"x: expected at least one time step \(T >= 1\), got shape \(2, 0, 3\)"):
        ref.gru_backward(np.zeros((2, 0, H)), empty, None, np.zeros((2, 0, H)), **q)
