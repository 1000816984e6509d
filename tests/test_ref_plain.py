"""rnn_ref.numpy.plain is the definition: the fast kernels of both backends against it.

The plain functions are loops over the step functions (which test_ref_rnn.py and
test_ref_lstm_gru.py check against torch.nn and numeric gradients); here (a) the fast
NumPy kernels and (b) the fast Torch kernels must give the plain results to 1e-12
(float64, random shapes down to N = T = D = H = 1, zero and given states, with and
without cache=, ordinary and small activations); (c) the plain functions themselves
against torch.nn; (d) their dtypes and their refusals.
"""

import numpy as np
import pytest
import torch
from hypothesis import example, given, settings
from hypothesis import strategies as st

import rnn_ref.torch as rt
from rnn_ref import numpy as ref
from rnn_ref.numpy import plain, rel_error
from rnn_ref.torch.convert import to_torch_state_dict

KINDS = ("rnn", "lstm", "gru")
DEFINITION_TOL = 1e-12   # fast kernel against the plain loop, float64 (observed: below 2e-15)
TORCH_NN_TOL = 1e-10     # the project's contract against torch.nn


def case(kind, N, T, D, H, seed, zero_state, tiny):
    """Inputs of one call: x, h0, c0 (None unless lstm), params, dh, dc_last (None unless lstm)."""
    rng = np.random.default_rng(seed)
    G = {"rnn": 1, "lstm": 4, "gru": 3}[kind]
    W = lambda *s: rng.standard_normal(s) / np.sqrt(s[0])  # noqa: E731
    names = {"rnn": ("W_xh", "W_hh", "b_h"), "lstm": ("W_x", "W_h", "b"), "gru": ("W_x", "W_h", "b_x", "b_h")}[kind]
    shapes = [(D, G * H), (H, G * H)] + [(G * H,)] * (len(names) - 2)
    p = {n: W(*s) * (0.5 if len(s) == 1 else 1.0) for n, s in zip(names, shapes)}
    x = rng.standard_normal((N, T, D))
    h0, c0 = rng.standard_normal((N, H)), rng.standard_normal((N, H))
    dh, dc = rng.standard_normal((N, T, H)), rng.standard_normal((N, H))
    if tiny:      # every pre-activation near 1e-7, where tanh = 2 sigmoid(2a) - 1 cancels
        x, p, zero_state = x * 1e-7, {n: (np.zeros_like(v) if n.startswith("b") else v) for n, v in p.items()}, True
    if zero_state:
        h0 = c0 = None
    if kind != "lstm":
        c0 = dc = None
    return x, h0, c0, p, dh, dc


def run(B, kind, x, h0, c0, p, dh, dc, cache=None):
    """Forward then backward through backend-like module ``B``; every output in one tuple."""
    kw = {} if cache is None else {"cache": cache}
    if kind == "rnn":
        h = B.rnn_forward(x, h0, **p)
        return (h, *B.rnn_backward(dh, x, h0, h, p["W_xh"], p["W_hh"]))
    if kind == "lstm":
        h, c = B.lstm_forward(x, h0, c0, **p, **kw)
        return (h, c, *B.lstm_backward(dh, dc, x, h0, c0, h, c, **p, **kw))
    h = B.gru_forward(x, h0, **p, **kw)
    return (h, *B.gru_backward(dh, x, h0, h, **p, **kw))


def to_torch(a):
    if a is None:
        return None
    return {k: torch.from_numpy(v) for k, v in a.items()} if isinstance(a, dict) else torch.from_numpy(a)


def assert_close(got, want, tol):
    assert len(got) == len(want)
    for k, (g, w) in enumerate(zip(got, want)):
        g = g.numpy() if isinstance(g, torch.Tensor) else g
        assert g.shape == w.shape and g.dtype == w.dtype, (k, g.shape, w.shape, g.dtype, w.dtype)
        err = rel_error(g, w)
        assert err <= tol, f"output {k}: rel_error {err:.2e} > {tol:.0e}"


shapes = dict(N=st.integers(1, 4), T=st.integers(1, 8), D=st.integers(1, 5), H=st.integers(1, 5),
              seed=st.integers(0, 2**31 - 1), zero_state=st.booleans(), tiny=st.booleans(),
              use_cache=st.booleans())


def with_edges(test):
    """Always run: everything 1 (given and zero states, tiny), and N = 1 / T = 1 / H = 1 alone."""
    for kw in [dict(N=1, T=1, D=1, H=1, seed=0, zero_state=False, tiny=False, use_cache=False),
               dict(N=1, T=1, D=1, H=1, seed=1, zero_state=True, tiny=False, use_cache=True),
               dict(N=1, T=1, D=1, H=1, seed=2, zero_state=True, tiny=True, use_cache=False),
               dict(N=3, T=6, D=4, H=5, seed=3, zero_state=True, tiny=True, use_cache=True),
               dict(N=1, T=7, D=2, H=3, seed=4, zero_state=False, tiny=False, use_cache=True),
               dict(N=4, T=1, D=3, H=2, seed=5, zero_state=False, tiny=False, use_cache=False),
               dict(N=2, T=5, D=3, H=1, seed=6, zero_state=False, tiny=False, use_cache=True)]:
        test = example(**kw)(test)
    return test


# (a) and (b): the fast kernels against the definition ----------------------------------------

@pytest.mark.parametrize("kind", KINDS)
@settings(max_examples=25, deadline=None)
@given(**shapes)
@with_edges
def test_numpy_kernels_match_the_plain_definition(kind, N, T, D, H, seed, zero_state, tiny, use_cache):
    args = case(kind, N, T, D, H, seed, zero_state, tiny)
    want = run(plain, kind, *args)
    got = run(ref, kind, *args, cache={} if use_cache and kind != "rnn" else None)
    assert_close(got, want, DEFINITION_TOL)


@pytest.mark.parametrize("kind", KINDS)
@settings(max_examples=15, deadline=None)
@given(**shapes)
@with_edges
def test_torch_kernels_match_the_plain_definition(kind, N, T, D, H, seed, zero_state, tiny, use_cache):
    args = case(kind, N, T, D, H, seed, zero_state, tiny)
    want = run(plain, kind, *args)
    got = run(rt, kind, *(to_torch(a) for a in args), cache={} if use_cache and kind != "rnn" else None)
    assert_close(got, want, DEFINITION_TOL)


@pytest.mark.parametrize("kind", KINDS)
def test_long_sequences_match_the_definition(kind):
    """T = 70 with N*H = 1200: the NumPy backward's factor blocks (65536 // (N*H) = 54 steps)
    are crossed, and rounding has 70 steps to accumulate."""
    args = case(kind, 2, 70, 3, 600, 11, False, False)
    want = run(plain, kind, *args)
    for cache in (None, {}):
        assert_close(run(ref, kind, *args, cache=None if kind == "rnn" else cache), want, DEFINITION_TOL)
    assert_close(run(rt, kind, *(to_torch(a) for a in args)), want, DEFINITION_TOL)


# (c) the definition itself against torch.nn ------------------------------------------------------

@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("N, T, D, H, seed, zero_state, tiny",
                         [(1, 1, 1, 1, 0, False, False), (3, 6, 4, 5, 1, False, False),
                          (2, 5, 3, 4, 2, True, False), (3, 5, 4, 6, 3, True, True)])
def test_plain_definition_matches_torch_nn(kind, N, T, D, H, seed, zero_state, tiny):
    x, h0, c0, p, dh, dc = case(kind, N, T, D, H, seed, zero_state, tiny)
    got = run(plain, kind, x, h0, c0, p, dh, dc)
    m = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[kind](D, H, batch_first=True).double()
    m.load_state_dict(to_torch_state_dict(kind, [p]))
    xt = torch.tensor(x, requires_grad=True)
    state = lambda s: (torch.zeros(1, N, H, dtype=torch.float64) if s is None  # noqa: E731
                       else torch.tensor(s[None])).requires_grad_(True)
    h0t, c0t = state(h0), state(c0)
    out, hn = m(xt, (h0t, c0t) if kind == "lstm" else h0t)
    loss = (out * torch.tensor(dh)).sum()
    if kind == "lstm":
        loss = loss + (hn[1][0] * torch.tensor(dc)).sum()
    loss.backward()
    weights = [m.weight_ih_l0.grad.numpy().T, m.weight_hh_l0.grad.numpy().T]
    biases = {"rnn": [m.bias_ih_l0.grad.numpy()], "lstm": [m.bias_ih_l0.grad.numpy()],
              "gru": [m.bias_ih_l0.grad.numpy(), m.bias_hh_l0.grad.numpy()]}[kind]
    want = [out.detach().numpy()]
    if kind == "lstm":
        want.append(got[1])          # every c_t: torch.nn returns the last only, checked next
        assert rel_error(got[1][:, -1], hn[1][0].detach().numpy()) <= TORCH_NN_TOL
    want += [xt.grad.numpy(), h0t.grad[0].numpy()] + ([c0t.grad[0].numpy()] if kind == "lstm" else [])
    want += weights + biases
    assert_close(got, want, TORCH_NN_TOL)


# (d) dtypes and refusals -------------------------------------------------------------------------

@pytest.mark.parametrize("kind", KINDS)
def test_plain_float32_stays_float32(kind):
    args = case(kind, 2, 4, 3, 5, 7, False, False)
    want = run(plain, kind, *args)
    f32 = [None if a is None else ({k: v.astype(np.float32) for k, v in a.items()} if isinstance(a, dict)
                                   else a.astype(np.float32)) for a in args]
    got = run(plain, kind, *f32)
    assert all(g.dtype == np.float32 for g in got)
    assert max(rel_error(g, w) for g, w in zip(got, want)) <= 1e-5
    assert_close(run(ref, kind, *f32), got, 1e-5)


@pytest.mark.parametrize("kind", KINDS)
def test_plain_refuses_what_the_kernels_refuse(kind):
    x, h0, c0, p, dh, dc = case(kind, 2, 3, 4, 5, 8, False, False)
    empty = np.zeros((2, 0, 4))
    for B in (plain, ref):
        with pytest.raises(ValueError, match=r"x: expected at least one time step \(T >= 1\), got shape \(2, 0, 4\)"):
            run(B, kind, empty, h0, c0, p, dh[:, :0], dc)
    with pytest.raises(ValueError, match=r"dh: expected shape \(N, T, H\) = \(2, 3, 5\), got \(2, 3, 4\)"):
        h = run(plain, kind, x, h0, c0, p, dh, dc)[0]
        if kind == "rnn":
            plain.rnn_backward(dh[..., :4], x, h0, h, p["W_xh"], p["W_hh"])
        elif kind == "lstm":
            plain.lstm_backward(dh[..., :4], dc, x, h0, c0, h, h, **p)
        else:
            plain.gru_backward(dh[..., :4], x, h0, h, **p)
