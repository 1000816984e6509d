"""rnn_ref.torch: against the NumPy oracle, against torch.autograd, against torch.nn.

(a) every function against rnn_ref.numpy on the CPU (float64 to 1e-10, float32 to FLOAT32_TOL);
(b) the explicit backwards against torch.autograd through the torch forwards (float64);
(c) the RNN/LSTM/GRU modules against torch.nn.RNN/LSTM/GRU, stacked and bidirectional;
(d) the same on CUDA (marked ``cuda``, skipped cleanly without a GPU);
(e) bad input -> ValueError naming the argument; (f) pick_device. (The GPU benchmark's tests,
CPU smoke run and CUDA comparisons, are in tests/test_bench.py.)
"""

import numpy as np
import pytest
import torch
from hypothesis import example, given, settings
from hypothesis import strategies as st

import rnn_ref.numpy.gru as np_gru
import rnn_ref.numpy.lstm as np_lstm
import rnn_ref.numpy.rnn as np_rnn
import rnn_ref.torch as rt
from rnn_ref import numpy as ref
from rnn_ref.numpy import rel_error

TOL = 1e-10
# float32 against the float64 oracle on the same inputs: the unit roundoff of float32 is
# 6e-8; every product sums up to max(D, H) <= 8 terms and the recurrence compounds it over
# T <= 7 steps, and rel_error divides the worst absolute error by the largest magnitude:
# the observed worst case is 3.3e-7 (30 seeds, RNN and LSTM, N=4, T=7). 1e-4 leaves over two
# orders of margin for other BLAS kernels (blocking changes the summation order) while
# still failing for any real mistake (a wrong gate or a dropped term is an O(1) error).
FLOAT32_TOL = 1e-4

CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device (torch.cuda.is_available() is False)")
KINDS = ("rnn", "lstm", "gru")
GATES = {"rnn": 1, "lstm": 4, "gru": 3}


def numpy_backend(kind):
    """rnn_ref.numpy's module for ``kind``."""
    return {"rnn": np_rnn, "lstm": np_lstm, "gru": np_gru}[kind]


def make_params(rng, kind, D, H):
    G = GATES[kind] * H
    W_x, W_h = rng.standard_normal((D, G)) / np.sqrt(D), rng.standard_normal((H, G)) / np.sqrt(H)
    if kind == "rnn":
        return dict(W_xh=W_x, W_hh=W_h, b_h=rng.standard_normal(G) * 0.3)
    if kind == "lstm":
        return dict(W_x=W_x, W_h=W_h, b=rng.standard_normal(G) * 0.3)
    return dict(W_x=W_x, W_h=W_h, b_x=rng.standard_normal(G) * 0.3, b_h=rng.standard_normal(G) * 0.3)


def run(B, kind, x, h0, c0, p, dh, dc):
    """Forward then backward with backend ``B`` (a module with the contract's names).

    Returns [h, (c,) dx, dh0, (dc0,) d<params>...]; works for NumPy and Torch alike.
    """
    if kind == "rnn":
        h = B.rnn_forward(x, h0, p["W_xh"], p["W_hh"], p["b_h"])
        return [h, *B.rnn_backward(dh, x, h0, h, p["W_xh"], p["W_hh"])]
    if kind == "lstm":
        h, c = B.lstm_forward(x, h0, c0, p["W_x"], p["W_h"], p["b"])
        return [h, c, *B.lstm_backward(dh, dc, x, h0, c0, h, c, p["W_x"], p["W_h"], p["b"])]
    h = B.gru_forward(x, h0, p["W_x"], p["W_h"], p["b_x"], p["b_h"])
    return [h, *B.gru_backward(dh, x, h0, h, p["W_x"], p["W_h"], p["b_x"], p["b_h"])]


def run_steps(B, kind, x_t, h_prev, c_prev, p, dh, dc):
    """One step forward and backward with backend ``B``: [h_next, (c_next,) grads...]."""
    if kind == "rnn":
        h = B.rnn_step_forward(x_t, h_prev, p["W_xh"], p["W_hh"], p["b_h"])
        return [h, *B.rnn_step_backward(dh, x_t, h_prev, h, p["W_xh"], p["W_hh"])]
    if kind == "lstm":
        h, c = B.lstm_step_forward(x_t, h_prev, c_prev, p["W_x"], p["W_h"], p["b"])
        return [h, c, *B.lstm_step_backward(dh, dc, x_t, h_prev, c_prev, p["W_x"], p["W_h"], p["b"])]
    h = B.gru_step_forward(x_t, h_prev, p["W_x"], p["W_h"], p["b_x"], p["b_h"])
    return [h, *B.gru_step_backward(dh, x_t, h_prev, p["W_x"], p["W_h"], p["b_x"], p["b_h"])]


def to_torch(value, dtype=torch.float64, device="cpu"):
    if value is None:
        return None
    if isinstance(value, dict):
        return {k: to_torch(v, dtype, device) for k, v in value.items()}
    return torch.from_numpy(np.asarray(value)).to(device=device, dtype=dtype)


def case(seed, kind, N, T, D, H, zero_state):
    rng = np.random.default_rng(seed)
    p = make_params(rng, kind, D, H)
    x = rng.standard_normal((N, T, D))
    h0 = None if zero_state else rng.standard_normal((N, H))
    c0 = None if zero_state or kind != "lstm" else rng.standard_normal((N, H))
    dh = rng.standard_normal((N, T, H))
    dc = rng.standard_normal((N, H)) if kind == "lstm" and not zero_state else None
    return x, h0, c0, p, dh, dc


def compare(got, want, tol):
    assert len(got) == len(want)
    for k, (g, w) in enumerate(zip(got, want)):
        assert (g is None) == (w is None), k
        if w is not None:
            g = g.detach().cpu().numpy() if isinstance(g, torch.Tensor) else g
            assert g.shape == w.shape, (k, g.shape, w.shape)
            err = rel_error(g, w)
            assert err <= tol, f"output {k}: rel_error {err:.2e} > {tol:.0e}"


shapes = dict(N=st.integers(1, 4), T=st.integers(1, 7), D=st.integers(1, 5), H=st.integers(1, 6),
              seed=st.integers(0, 2**31 - 1), zero_state=st.booleans())
# The edges, always run: everything 1, and N = 1 / T = 1 / H = 1 one at a time.
edges = [dict(N=1, T=1, D=1, H=1, seed=0, zero_state=False), dict(N=1, T=5, D=3, H=4, seed=1, zero_state=True),
         dict(N=3, T=1, D=2, H=5, seed=2, zero_state=False), dict(N=2, T=6, D=3, H=1, seed=3, zero_state=False)]


def with_edges(test):
    for kwargs in reversed(edges):
        test = example(**kwargs)(test)
    return test


# (a) against the NumPy oracle ------------------------------------------------------------

@pytest.mark.parametrize("kind", KINDS)
@settings(max_examples=15, deadline=None)
@given(**shapes)
@with_edges
def test_sequences_match_numpy_float64(kind, N, T, D, H, seed, zero_state):
    B = numpy_backend(kind)
    args = case(seed, kind, N, T, D, H, zero_state)
    want = run(B, kind, *args)
    got = run(rt, kind, *(to_torch(a) for a in args))
    assert all(g.dtype == torch.float64 for g in got if g is not None)
    compare(got, want, TOL)


@pytest.mark.parametrize("kind", KINDS)
@settings(max_examples=10, deadline=None)
@given(**shapes)
@with_edges
def test_steps_match_numpy_float64(kind, N, T, D, H, seed, zero_state):
    B = numpy_backend(kind)
    x, _, _, p, dh, _ = case(seed, kind, N, 1, D, H, zero_state)
    rng = np.random.default_rng(seed + 1)
    h_prev, c_prev, dc = (rng.standard_normal((N, H)) for _ in range(3))
    if kind != "lstm":
        c_prev = dc = None
    args = (x[:, 0], h_prev, c_prev, p, dh[:, 0], dc)
    compare(run_steps(rt, kind, *(to_torch(a) for a in args)), run_steps(B, kind, *args), TOL)


@pytest.mark.parametrize("kind", KINDS)
def test_float32_stays_float32_and_matches_the_float64_oracle(kind):
    B = numpy_backend(kind)
    args = case(7, kind, 3, 7, 5, 6, False)
    want = run(B, kind, *args)
    got = run(rt, kind, *(to_torch(a, torch.float32) for a in args))
    assert all(g.dtype == torch.float32 for g in got)
    compare(got, want, FLOAT32_TOL)


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_cache_gives_the_same_gradients_and_is_checked(kind):
    x, h0, c0, p, dh, dc = (to_torch(a) for a in case(18, kind, 3, 6, 4, 5, False))
    want = run(rt, kind, x, h0, c0, p, dh, dc)
    fwd, bwd = (rt.lstm_forward, rt.lstm_backward) if kind == "lstm" else (rt.gru_forward, rt.gru_backward)
    cache = {}
    if kind == "lstm":
        h, c = fwd(x, h0, c0, **p, cache=cache)
        call = lambda cache: bwd(dh, dc, x, h0, c0, h, c, **p, cache=cache)  # noqa: E731
    else:
        h = fwd(x, h0, **p, cache=cache)
        call = lambda cache: bwd(dh, x, h0, h, **p, cache=cache)  # noqa: E731
    assert "A" in cache                                             # the activations were kept
    for _ in range(2):                                              # the cache is only read
        for g, w in zip(call(cache), want[2 if kind == "lstm" else 1:]):
            assert rt.rel_error(g, w) <= 1e-14
    with pytest.raises(ValueError, match=f"cache: expected the dict that {kind}_forward filled"):
        call({"kind": kind, "h": h.clone(), "c": None})
    with pytest.raises(ValueError, match="cache: expected a dict or None, got list"):
        fwd(x, h0, c0, **p, cache=[]) if kind == "lstm" else fwd(x, h0, **p, cache=[])


def test_mixed_dtypes_compute_in_the_promoted_one_as_numpy():
    x, h0, _, p, _, _ = case(8, "rnn", 2, 3, 4, 5, False)
    h = rt.rnn_forward(to_torch(x, torch.float32), to_torch(h0), **to_torch(p))
    assert h.dtype == torch.float64
    assert rel_error(h.numpy(), ref.rnn_forward(x.astype(np.float32), h0, **p)) <= TOL


def test_layers_match_numpy():
    rng = np.random.default_rng(9)
    N, T, H, V, E = 3, 4, 5, 6, 2
    h, W, b = rng.standard_normal((N, T, H)), rng.standard_normal((H, V)), rng.standard_normal(V)
    dy = rng.standard_normal((N, T, V))
    targets, mask = rng.integers(0, V, (N, T)), rng.random((N, T)) > 0.3
    th, tW, tb, tdy = map(to_torch, (h, W, b, dy))
    compare([rt.temporal_affine_forward(th, tW, tb)], [ref.temporal_affine_forward(h, W, b)], TOL)
    compare(rt.temporal_affine_backward(tdy, th, tW), ref.temporal_affine_backward(dy, h, W), TOL)
    for m in (None, mask, np.zeros((N, T))):
        tm = None if m is None else torch.from_numpy(m)
        loss, d = rt.softmax_cross_entropy(tdy, torch.from_numpy(targets), tm)
        want_loss, want_d = ref.softmax_cross_entropy(dy, targets, m)
        assert abs(float(loss) - want_loss) <= TOL * max(1.0, abs(want_loss))
        compare([d], [want_d], TOL)
        loss, d = rt.mse_loss(tdy, to_torch(dy[::-1].copy()), tm)
        want_loss, want_d = ref.mse_loss(dy, dy[::-1].copy(), m)
        assert abs(float(loss) - want_loss) <= TOL * max(1.0, abs(want_loss))
        compare([d], [want_d], TOL)
    idx, W_e = rng.integers(0, V, (N, T)), rng.standard_normal((V, E))
    dout = rng.standard_normal((N, T, E))
    compare([rt.embedding_forward(torch.from_numpy(idx), to_torch(W_e))], [ref.embedding_forward(idx, W_e)], TOL)
    compare([rt.embedding_backward(to_torch(dout), torch.from_numpy(idx), to_torch(W_e))],
            [ref.embedding_backward(dout, idx, W_e)], TOL)


def test_gradcheck_helpers_match_numpy():
    x = np.arange(6, dtype=np.float64).reshape(2, 3) / 7
    df = np.linspace(-1, 1, 6).reshape(2, 3)
    tx = torch.from_numpy(x.copy())
    g = rt.numeric_gradient(lambda v: torch.sin(v) * v, tx, torch.from_numpy(df))
    assert torch.equal(tx, torch.from_numpy(x))                   # restored
    assert rel_error(g.numpy(), ref.numeric_gradient(lambda v: np.sin(v) * v, x.copy(), df)) < 1e-9
    assert rt.rel_error(torch.ones(3), torch.ones(3)) == 0.0
    assert rt.rel_error(torch.tensor([1.0, 3.0]), np.array([1.0, 1.0])) == ref.rel_error([1.0, 3.0], [1.0, 1.0])


# (b) explicit backward against torch.autograd --------------------------------------------

def autograd_grads(kind, x, h0, c0, p, dh, dc, step=False):
    """The forward of rnn_ref.torch differentiated by autograd, in ``run``'s output order."""
    leaves = [t.clone().requires_grad_() if t is not None else None for t in (x, h0, c0)]
    xs, h0s, c0s = leaves
    ps = {k: v.clone().requires_grad_() for k, v in p.items()}
    if step:
        if kind == "rnn":
            outs = [rt.rnn_step_forward(xs, h0s, **ps)]
        elif kind == "lstm":
            outs = list(rt.lstm_step_forward(xs, h0s, c0s, **ps))
        else:
            outs = [rt.gru_step_forward(xs, h0s, **ps)]
        loss = (outs[0] * dh).sum() + (0 if dc is None else (outs[1] * dc).sum())
    else:
        if kind == "rnn":
            outs = [rt.rnn_forward(xs, h0s, **ps)]
        elif kind == "lstm":
            outs = list(rt.lstm_forward(xs, h0s, c0s, **ps))
        else:
            outs = [rt.gru_forward(xs, h0s, **ps)]
        loss = (outs[0] * dh).sum() + (0 if dc is None else (outs[1][:, -1] * dc).sum())
    assert outs[0].requires_grad                                   # the differentiable path
    loss.backward()
    grads = [xs.grad, h0s.grad if h0s is not None else None]
    if kind == "lstm":
        grads.append(c0s.grad if c0s is not None else None)
    return outs, grads + [ps[k].grad for k in p]                  # p's order is the backward's


@pytest.mark.parametrize("kind", KINDS)
@settings(max_examples=15, deadline=None)
@given(**shapes)
@with_edges
def test_explicit_backward_matches_autograd(kind, N, T, D, H, seed, zero_state):
    x, h0, c0, p, dh, dc = (to_torch(a) for a in case(seed, kind, N, T, D, H, False))
    if zero_state:
        dc = None                                                  # dc_last=None means zeros
    outs, want = autograd_grads(kind, x, h0, c0, p, dh, dc)
    got = run(rt, kind, x, h0, c0, p, dh, dc)
    n_out = 2 if kind == "lstm" else 1
    for fast, recorded in zip(got[:n_out], outs):                  # fast loop == autograd loop
        assert rt.rel_error(fast, recorded) <= 1e-14
    for k, (g, w) in enumerate(zip(got[n_out:], want)):
        assert rt.rel_error(g, w) <= TOL, k


@pytest.mark.parametrize("kind", KINDS)
def test_step_backward_matches_autograd(kind):
    x, _, _, p, dh, _ = (to_torch(a) for a in case(10, kind, 3, 1, 4, 5, True))
    h_prev, c_prev, dc = torch.randn(3, 3, 5, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    if kind != "lstm":
        c_prev = dc = None
    outs, want = autograd_grads(kind, x[:, 0], h_prev, c_prev, p, dh[:, 0], dc, step=True)
    got = run_steps(rt, kind, x[:, 0], h_prev, c_prev, p, dh[:, 0], dc)
    for k, (g, w) in enumerate(zip(got, outs + want)):
        assert rt.rel_error(g, w) <= TOL, k


def test_layer_backwards_match_autograd():
    g = torch.Generator().manual_seed(11)
    N, T, H, V = 2, 3, 4, 5
    h, W, b = (torch.randn(*s, dtype=torch.float64, generator=g, requires_grad=True) for s in ((N, T, H), (H, V), (V,)))
    y = rt.temporal_affine_forward(h, W, b)
    targets = torch.randint(0, V, (N, T), generator=g)
    mask = torch.tensor([[1, 0, 1], [1, 1, 0]])
    loss, dy = rt.softmax_cross_entropy(y.detach(), targets, mask)
    want = torch.nn.functional.cross_entropy(y.reshape(-1, V), torch.where(mask.bool(), targets, -100).reshape(-1))
    want.backward()
    assert abs(float(loss) - want.item()) <= TOL * want.item()
    for got, ref_grad in zip(rt.temporal_affine_backward(dy, h.detach(), W.detach()), (h.grad, W.grad, b.grad)):
        assert rt.rel_error(got, ref_grad) <= TOL
    W_e = torch.randn(V, 3, dtype=torch.float64, generator=g, requires_grad=True)
    idx = torch.tensor([[0, 1, 1], [4, 0, 0]])
    dout = torch.randn(N, T, 3, dtype=torch.float64, generator=g)
    (rt.embedding_forward(idx, W_e) * dout).sum().backward()
    assert rt.rel_error(rt.embedding_backward(dout, idx, W_e.detach()), W_e.grad) <= TOL
    pred = torch.randn(N, T, V, dtype=torch.float64, generator=g, requires_grad=True)
    target = torch.randn(N, T, V, dtype=torch.float64, generator=g)
    loss, dpred = rt.mse_loss(pred.detach(), target)
    want = torch.nn.functional.mse_loss(pred, target)
    want.backward()
    assert abs(float(loss) - want.item()) <= TOL * want.item() and rt.rel_error(dpred, pred.grad) <= TOL


# (c) modules against torch.nn ------------------------------------------------------------

MODULES = {"rnn": rt.RNN, "lstm": rt.LSTM, "gru": rt.GRU}


def module_case(kind, num_layers, bidirectional, device="cpu", dtype=torch.float64, seed=0):
    g = torch.Generator().manual_seed(seed)
    N, T, D, H = 3, 5, 4, 6
    S = num_layers * (2 if bidirectional else 1)
    ours = MODULES[kind](D, H, num_layers, bidirectional, dtype=dtype, device=device)
    theirs = ours.to_torch_nn()
    rand = lambda *s: torch.randn(*s, dtype=dtype, generator=g).to(device)  # noqa: E731
    x, h0, c0 = rand(N, T, D), rand(S, N, H), rand(S, N, H)
    dy, dhn, dcn = rand(N, T, S // num_layers * H), rand(S, N, H), rand(S, N, H)
    return ours, theirs, x, h0, (c0 if kind == "lstm" else None), dy, dhn, (dcn if kind == "lstm" else None)


def forward_backward(module, x, h0, c0, dy, dhn, dcn, torch_nn):
    x, h0 = x.clone().requires_grad_(), h0.clone().requires_grad_()
    c0 = None if c0 is None else c0.clone().requires_grad_()
    if torch_nn:
        y, state = module(x, h0 if c0 is None else (h0, c0))
        hn, cn = (state, None) if c0 is None else state
    else:
        y, hn, *rest = module(x, h0) if c0 is None else module(x, h0, c0)
        cn = rest[0] if rest else None
    loss = (y * dy).sum() + (hn * dhn).sum() + (0 if cn is None else (cn * dcn).sum())
    loss.backward()
    outs = [y, hn] + ([cn] if cn is not None else [])
    return outs, [x.grad, h0.grad] + ([c0.grad] if c0 is not None else [])


def torch_param_grads(kind, ours, theirs):
    """(our gradient, torch's gradient in our layout) for every parameter."""
    pairs = []
    dirs = 2 if ours.bidirectional else 1
    for k, params in enumerate(ours.layers):
        suffix = f"l{k // dirs}" + ("_reverse" if k % dirs else "")
        names = list(params)
        get = lambda n: getattr(theirs, f"{n}_{suffix}").grad  # noqa: E731
        pairs.append((params[names[0]].grad, get("weight_ih").t()))
        pairs.append((params[names[1]].grad, get("weight_hh").t()))
        if kind == "gru":
            pairs += [(params["b_x"].grad, get("bias_ih")), (params["b_h"].grad, get("bias_hh"))]
        else:
            pairs += [(params[names[2]].grad, get("bias_ih")), (params[names[2]].grad, get("bias_hh"))]
    return pairs


def check_module_against_torch_nn(kind, num_layers, bidirectional, device="cpu", dtype=torch.float64, tol=TOL):
    ours, theirs, *data = module_case(kind, num_layers, bidirectional, device, dtype)
    outs, grads = forward_backward(ours, *data, torch_nn=False)
    want_outs, want_grads = forward_backward(theirs, *data, torch_nn=True)
    for got, want in zip(outs + grads, want_outs + want_grads):
        assert got.dtype == dtype and got.device == want.device
        assert rt.rel_error(got, want) <= tol
    for got, want in torch_param_grads(kind, ours, theirs):
        assert rt.rel_error(got, want) <= tol
    return ours, outs


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("num_layers, bidirectional", [(1, False), (2, True), (3, False)])
def test_modules_match_torch_nn(kind, num_layers, bidirectional):
    ours, outs = check_module_against_torch_nn(kind, num_layers, bidirectional)
    if num_layers == 1:
        assert type(outs[0].grad_fn).__name__ == "_DirectionBackward"   # the explicit BPTT
    assert len(ours.layers) == num_layers * (2 if bidirectional else 1)


@pytest.mark.parametrize("kind", KINDS)
def test_from_torch_nn_round_trip_and_default_states(kind):
    torch.manual_seed(12)
    theirs = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[kind](3, 4, 2, batch_first=True,
                                                                                    bidirectional=True)
    ours = MODULES[kind].from_torch_nn(theirs)
    assert ours.layers[0][next(iter(ours.layers[0]))].dtype == torch.float32
    x = torch.randn(2, 6, 3)
    y, *states = ours(x)
    want_y, want_state = theirs(x)
    want_states = list(want_state) if kind == "lstm" else [want_state]
    assert rt.rel_error(y, want_y) <= 1e-6                         # float32, as torch.nn's default
    for s, w in zip(states, want_states):
        assert rt.rel_error(s, w) <= 1e-6
    back = ours.to_torch_nn()
    for name, value in theirs.state_dict().items():
        if kind != "gru" and name.startswith("bias_hh"):
            assert torch.all(back.state_dict()[name] == 0)        # the summed bias went to bias_ih
        elif kind != "gru" and name.startswith("bias_ih"):
            summed = value + theirs.state_dict()[name.replace("ih", "hh")]
            assert torch.allclose(back.state_dict()[name], summed)
        else:
            assert torch.equal(back.state_dict()[name], value)


def test_training_a_module_lowers_the_loss():
    torch.manual_seed(13)
    model = rt.GRU(2, 8)
    head = torch.nn.Linear(8, 1)
    opt = torch.optim.Adam([*model.parameters(), *head.parameters()], lr=0.05)
    x = torch.randn(16, 10, 2)
    target = x.sum(dim=(1, 2), keepdim=True)[:, 0]
    losses = []
    for _ in range(30):
        opt.zero_grad()
        y, h_n = model(x)
        loss = torch.nn.functional.mse_loss(head(h_n[0]), target)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]


def test_from_torch_nn_refuses_what_it_cannot_represent():
    with pytest.raises(ValueError, match="proj_size=2 is not supported"):
        rt.LSTM.from_torch_nn(torch.nn.LSTM(3, 4, proj_size=2))
    with pytest.raises(ValueError, match="nonlinearity='relu'"):
        rt.RNN.from_torch_nn(torch.nn.RNN(3, 4, nonlinearity="relu"))
    with pytest.raises(ValueError, match="expected a torch.nn.modules.rnn.GRU, got LSTM"):
        rt.GRU.from_torch_nn(torch.nn.LSTM(3, 4))


# (d) CUDA ----------------------------------------------------------------------------------

@pytest.mark.cuda
@CUDA
@pytest.mark.parametrize("kind", KINDS)
def test_cuda_functions_match_numpy(kind):
    B = numpy_backend(kind)
    args = case(14, kind, 4, 9, 5, 7, False)
    want = run(B, kind, *args)
    got = run(rt, kind, *(to_torch(a, device="cuda") for a in args))
    assert all(g.device.type == "cuda" for g in got)
    compare(got, want, TOL)
    got32 = run(rt, kind, *(to_torch(a, torch.float32, "cuda") for a in args))
    # TF32 may be enabled for CUDA matmuls (10-bit mantissa): a looser float32 bound there.
    compare(got32, want, 1e-2 if torch.backends.cuda.matmul.allow_tf32 else FLOAT32_TOL)


@pytest.mark.cuda
@CUDA
@pytest.mark.parametrize("kind", KINDS)
def test_cuda_explicit_backward_matches_autograd(kind):
    x, h0, c0, p, dh, dc = (to_torch(a, device="cuda") for a in case(15, kind, 3, 6, 4, 5, False))
    outs, want = autograd_grads(kind, x, h0, c0, p, dh, dc)
    got = run(rt, kind, x, h0, c0, p, dh, dc)
    for g, w in zip(got, outs + want):
        assert rt.rel_error(g, w) <= TOL


@pytest.mark.cuda
@CUDA
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("num_layers, bidirectional", [(1, False), (2, True)])
def test_cuda_modules_match_torch_nn(kind, num_layers, bidirectional):
    check_module_against_torch_nn(kind, num_layers, bidirectional, device="cuda")


@pytest.mark.cuda
@CUDA
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
@pytest.mark.parametrize("kind", KINDS)
def test_cuda_half_precision_runs_and_is_close(kind, dtype):
    B = numpy_backend(kind)
    args = case(16, kind, 4, 5, 5, 7, False)
    want = run(B, kind, *args)
    got = run(rt, kind, *(to_torch(a, dtype, "cuda") for a in args))
    assert all(g.dtype == dtype for g in got)
    compare([g.float() for g in got], want, 5e-2)                  # 8- or 11-bit mantissas


# (e) bad input ---------------------------------------------------------------------------

def _rnn_args():
    x, h0, _, p, _, _ = case(17, "rnn", 2, 5, 3, 4, False)
    return to_torch(x), to_torch(h0), to_torch(p)


@pytest.mark.parametrize("call, match", [
    (lambda x, h0, p: rt.rnn_forward(x.numpy(), h0, **p),
     r"x: expected a torch.Tensor of floats, got a numpy.ndarray \(convert with torch.as_tensor"),
    (lambda x, h0, p: rt.rnn_forward(x, h0.tolist(), **p), r"h0: expected a torch.Tensor of floats, got a list"),
    (lambda x, h0, p: rt.rnn_forward(x.long(), h0, **p), r"x: expected a float32 or float64 tensor, got dtype torch.int64"),
    (lambda x, h0, p: rt.rnn_forward(x.half(), h0, **p),
     r"x: torch.float16 is supported on CUDA only, got a torch.float16 tensor on cpu"),
    (lambda x, h0, p: rt.rnn_forward(x, h0, p["W_xh"], p["W_hh"] * np.nan, p["b_h"]),
     r"W_hh: expected finite values, got nan at index \(0, 0\)"),
    (lambda x, h0, p: rt.rnn_forward(x, h0, p["W_xh"], p["W_hh"], p["b_h"].clone().index_fill_(0, torch.tensor([2]), float("inf"))),
     r"b_h: expected finite values, got inf at index \(2,\)"),
    (lambda x, h0, p: rt.rnn_forward(x.to("meta"), h0, **p),
     r"h0: expected a tensor on meta \(the device of x\), got one on cpu"),
    (lambda x, h0, p: rt.rnn_forward(x, h0, p["W_xh"].t(), p["W_hh"], p["b_h"]),
     r"W_xh: expected shape \(D, H\) = \(3, 4\), got \(4, 3\)"),
    (lambda x, h0, p: rt.rnn_forward(x, h0[:1], **p), r"h0: expected shape \(N, H\) = \(2, 4\), got \(1, 4\)"),
    (lambda x, h0, p: rt.lstm_forward(x, h0, None, p["W_xh"], p["W_hh"], p["b_h"]),
     r"W_h: expected shape \(H, 4H\) = \(4, 16\), got \(4, 4\)"),
    (lambda x, h0, p: rt.gru_forward(x, h0, torch.zeros(3, 12, dtype=torch.float64), torch.zeros(4, 12, dtype=torch.float64), None, None),
     r"b_x: expected a tensor of shape \(3H,\) = \(12,\), got None"),
    (lambda x, h0, p: rt.rnn_backward(torch.zeros(2, 5, 5, dtype=torch.float64), x, h0, torch.zeros(2, 5, 4, dtype=torch.float64), p["W_xh"], p["W_hh"]),
     r"dh: expected shape \(N, T, H\) = \(2, 5, 4\), got \(2, 5, 5\)"),
    (lambda x, h0, p: rt.softmax_cross_entropy(x, torch.tensor([[0, 1, 2, 3, 0], [0, 0, 0, 0, 0]])),
     r"targets: expected integers in \[0, 3\), got values from 0 to 3"),
    (lambda x, h0, p: rt.softmax_cross_entropy(x, torch.zeros(2, 5, dtype=torch.long), torch.full((2, 5), 2)),
     r"mask: expected only 0/1"),
    (lambda x, h0, p: rt.embedding_forward(torch.zeros(2, 5), p["W_xh"]), r"idx: expected an integer tensor, got dtype torch.float32"),
])
def test_bad_input_raises_value_error_naming_the_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call(*_rnn_args())


def test_modules_refuse_bad_input():
    m = rt.LSTM(3, 4, num_layers=2, bidirectional=True, dtype=torch.float64)
    x = torch.zeros(2, 5, 3, dtype=torch.float64)
    with pytest.raises(ValueError, match=r"x: expected dtype torch.float64 \(the module's\), got torch.float32"):
        m(x.float())
    with pytest.raises(ValueError, match=r"x: expected shape \(N, T, D\) = \(2, 5, 3\), got \(2, 5, 2\)"):
        m(x[..., :2])
    with pytest.raises(ValueError, match=r"c0: expected shape \(L\*dirs, N, H\) = \(4, 2, 4\), got \(2, 2, 4\)"):
        m(x, None, torch.zeros(2, 2, 4, dtype=torch.float64))
    with pytest.raises(ValueError, match=r"x: expected a torch.Tensor of floats, got a numpy.ndarray"):
        m(x.numpy())
    with pytest.raises(ValueError, match=r"hidden_size: expected a positive int, got 0"):
        rt.GRU(3, 0)


# (f) pick_device ---------------------------------------------------------------------------

def test_pick_device():
    assert rt.pick_device() == torch.device("cuda" if torch.cuda.is_available() else "cpu")
    assert rt.pick_device("cpu") == torch.device("cpu")
    assert rt.pick_device(torch.device("cpu")) == torch.device("cpu")
    with pytest.raises(ValueError, match=r"prefer: expected None, 'cpu' or 'cuda', got 'tpu'"):
        rt.pick_device("tpu")
    with pytest.raises(ValueError, match=r"prefer: expected None, 'cpu' or 'cuda', got 'meta'"):
        rt.pick_device("meta")
    if torch.cuda.is_available():
        assert rt.pick_device("cuda").type == "cuda"
    else:
        with pytest.raises(ValueError, match=r"prefer: CUDA was asked for, but torch.cuda.is_available\(\) is False"):
            rt.pick_device("cuda")


def test_both_backends_export_the_whole_api():
    import rnn_ref.numpy
    import rnn_ref.torch
    from rnn_ref._common import API

    for backend in (rnn_ref.numpy, rnn_ref.torch):
        missing = [name for name in API if not callable(getattr(backend, name, None))]
        assert not missing, (backend.__name__, missing)
    assert {"pick_device", "RNN", "LSTM", "GRU"} <= set(rnn_ref.torch.__all__)
