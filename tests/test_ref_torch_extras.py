"""rnn_ref.torch's extras (stacked layers, truncated BPTT, clipping, initializers, optimizers,
sampling, seq2seq) against rnn_ref.numpy (float64, 1e-10, CPU) and against torch's own
(torch.nn multi-layer modules, torch.nn.utils.clip_grad_*_, torch.nn.init, torch.optim)."""

import math

import numpy as np
import pytest
import torch

import rnn_ref.torch as rt
from rnn_ref import numpy as ref
from rnn_ref._common.tree import leaves, rebuild
from rnn_ref.torch.convert import to_torch_state_dict

TOL = 1e-10
KINDS = ("rnn", "lstm", "gru")
TORCH_NN = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}


def tt(tree, dtype=torch.float64):
    """A NumPy tree (dicts / lists of arrays) as torch tensors; integer arrays stay integers."""
    def one(_, a):
        if a is None:
            return None
        t = torch.from_numpy(np.array(a))
        return t.to(dtype) if t.is_floating_point() else t
    return rebuild(tree, one)


def assert_trees_close(got, want, tol=TOL):
    g, w = dict(leaves(got)), dict(leaves(want))
    assert g.keys() == w.keys()
    for path, value in w.items():
        assert (g[path] is None) == (value is None), path
        if value is not None:
            assert tuple(g[path].shape) == np.shape(value), path
            err = ref.rel_error(g[path].detach().cpu().numpy(), value)
            assert err <= tol, f"{path}: rel_error {err:.1e}"


def layers_np(kind, rng, D, H, L, dirs):
    return [ref.init_params(kind, D if i < dirs else dirs * H, H, rng) for i in range(L * dirs)]


# stacked ----------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("L, bidirectional, with_states", [(1, False, True), (2, True, True), (3, False, False),
                                                           (2, True, False)])
def test_stacked_matches_numpy_and_torch_nn(kind, L, bidirectional, with_states):
    rng = np.random.default_rng(L * 10 + bidirectional)
    N, T, D, H = 3, 5, 4, 3
    dirs = 2 if bidirectional else 1
    layers = layers_np(kind, rng, D, H, L, dirs)
    x = rng.standard_normal((N, T, D))
    h0 = rng.standard_normal((L * dirs, N, H)) if with_states else None
    c0 = rng.standard_normal((L * dirs, N, H)) if with_states and kind == "lstm" else None
    dy, dh_n = rng.standard_normal((N, T, dirs * H)), rng.standard_normal((L * dirs, N, H))
    dc_n = rng.standard_normal((L * dirs, N, H)) if kind == "lstm" else None
    want = ref.stacked_forward(kind, x, layers, h0, c0, bidirectional)
    want_b = ref.stacked_backward(kind, dy, dh_n, dc_n, x, layers, h0, c0, bidirectional)
    T_ = tt((x, layers, h0, c0, dy, dh_n, dc_n))
    xt, lt, h0t, c0t, dyt, dhnt, dcnt = T_
    got = rt.stacked_forward(kind, xt, lt, h0t, c0t, bidirectional)
    got_b = rt.stacked_backward(kind, dyt, dhnt, dcnt, xt, lt, h0t, c0t, bidirectional)
    assert_trees_close(list(got), list(want))
    assert_trees_close(list(got_b), list(want_b))

    # torch.nn with the converted weights, autograd for the gradients
    m = TORCH_NN[kind](D, H, num_layers=L, bidirectional=bidirectional, batch_first=True).double()
    m.load_state_dict(to_torch_state_dict(kind, layers, bidirectional))
    xr = xt.clone().requires_grad_()
    init = None if h0t is None else (h0t if kind != "lstm" else (h0t, c0t))
    y, state = m(xr, init)
    h_n, c_n = state if kind == "lstm" else (state, None)
    loss = (y * dyt).sum() + (h_n * dhnt).sum() + (0 if c_n is None else (c_n * dcnt).sum())
    loss.backward()
    assert rt.rel_error(got[0], y) <= TOL and rt.rel_error(got[1], h_n) <= TOL
    assert rt.rel_error(got_b[0], xr.grad) <= TOL
    for i, dparams in enumerate(got_b[3]):
        suffix = f"l{i // dirs}" + ("_reverse" if i % dirs else "")
        names = list(dparams)
        assert rt.rel_error(dparams[names[0]], getattr(m, f"weight_ih_{suffix}").grad.t()) <= TOL
        assert rt.rel_error(dparams[names[1]], getattr(m, f"weight_hh_{suffix}").grad.t()) <= TOL
        assert rt.rel_error(dparams[names[-1]], getattr(m, f"bias_hh_{suffix}").grad) <= TOL


def test_stacked_refuses_bad_layers():
    layers = tt([ref.init_params("gru", 4, 3, np.random.default_rng(0))])
    x = torch.zeros(2, 5, 4, dtype=torch.float64)
    with pytest.raises(ValueError, match=r"layers: expected a non-empty list of L\*2 parameter dicts"):
        rt.stacked_forward("gru", x, layers, bidirectional=True)
    with pytest.raises(ValueError, match=r"c0: expected None for kind 'gru'"):
        rt.stacked_forward("gru", x, layers, c0=torch.zeros(1, 2, 3, dtype=torch.float64))
    with pytest.raises(ValueError, match=r"layers\[0\]\['W_x'\]: expected shape \(D, 3H\) = \(5, 9\), got \(4, 9\)"):
        rt.stacked_forward("gru", torch.zeros(2, 5, 5, dtype=torch.float64), layers)


# truncated BPTT ---------------------------------------------------------------------------

@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("k", [1, 3, 7])
def test_tbptt_matches_numpy_and_a_detaching_torch_nn_loop(kind, k):
    rng = np.random.default_rng(k)
    N, T, D, H = 2, 7, 3, 4
    params = ref.init_params(kind, D, H, rng)
    x, dh = rng.standard_normal((N, T, D)), rng.standard_normal((N, T, H))
    h0 = rng.standard_normal((N, H))
    c0 = rng.standard_normal((N, H)) if kind == "lstm" else None
    want = ref.tbptt_forward_backward(kind, x, dh, params, k, h0, c0)
    xt, dht, pt, h0t, c0t = tt((x, dh, params, h0, c0))
    got = rt.tbptt_forward_backward(kind, xt, dht, pt, k, h0t, c0t)
    assert_trees_close(list(got), list(want))

    m = TORCH_NN[kind](D, H, batch_first=True).double()
    m.load_state_dict(to_torch_state_dict(kind, [params]))
    xr = xt.clone().requires_grad_()
    h, c = h0t[None], None if c0t is None else c0t[None]
    for s in range(0, T, k):
        y, state = m(xr[:, s:s + k], h if c is None else (h, c))
        (y * dht[:, s:s + k]).sum().backward()
        h, c = (state[0].detach(), state[1].detach()) if kind == "lstm" else (state.detach(), None)
    grads = got[1]
    assert rt.rel_error(grads["x"], xr.grad) <= TOL
    assert rt.rel_error(grads[list(pt)[0]], m.weight_ih_l0.grad.t()) <= TOL
    assert rt.rel_error(grads[list(pt)[1]], m.weight_hh_l0.grad.t()) <= TOL
    assert rt.rel_error(got[2], h[0]) <= TOL


def test_tbptt_with_k_at_least_T_is_full_bptt():
    rng = np.random.default_rng(5)
    x, dh, p = tt((rng.standard_normal((2, 6, 3)), rng.standard_normal((2, 6, 4)), ref.init_params("lstm", 3, 4, rng)))
    h, grads, h_last, c_last = rt.tbptt_forward_backward("lstm", x, dh, p, 6)
    hs, cs = rt.lstm_forward(x, None, None, **p)
    dx, _, _, dW_x, dW_h, db = rt.lstm_backward(dh, None, x, None, None, hs, cs, **p)
    for a, b in ((h, hs), (grads["x"], dx), (grads["W_x"], dW_x), (grads["W_h"], dW_h), (grads["b"], db),
                 (c_last, cs[:, -1])):
        assert rt.rel_error(a, b) <= TOL
    with pytest.raises(ValueError, match=r"k: expected a positive integer chunk length, got 0"):
        rt.tbptt_forward_backward("lstm", x, dh, p, 0)


# clipping ---------------------------------------------------------------------------------

def _grad_tree(scale, seed=0):
    rng = np.random.default_rng(seed)
    return {"encoder": {"W": rng.standard_normal((3, 4)) * scale, "b": rng.standard_normal(4) * scale},
            "W_out": [rng.standard_normal((4, 2)) * scale]}


@pytest.mark.parametrize("scale, max_norm", [(1.0, 1.0), (0.01, 5.0), (3.0, 0.0), (1.0, math.inf)])
def test_clip_grad_norm_matches_numpy_and_torch(scale, max_norm):
    tree = _grad_tree(scale)
    t_tree = tt(tree)
    before = {p: v.clone() for p, v in leaves(t_tree)}
    clipped, total = rt.clip_grad_norm(t_tree, max_norm)
    want, want_total = ref.clip_grad_norm(tree, max_norm)
    assert abs(float(total) - want_total) <= TOL * want_total
    assert_trees_close(clipped, want)
    assert all(torch.equal(v, before[p]) for p, v in leaves(t_tree))   # inputs untouched
    params = [torch.nn.Parameter(torch.zeros_like(v)) for _, v in leaves(t_tree)]
    for p, (_, g) in zip(params, leaves(t_tree)):
        p.grad = g.clone()
    torch_total = torch.nn.utils.clip_grad_norm_(params, max_norm)
    assert abs(float(total) - float(torch_total)) <= TOL * float(total)
    for p, (_, g) in zip(params, leaves(clipped)):
        assert rt.rel_error(g, p.grad) <= TOL


def test_clip_grad_value_matches_numpy_and_torch():
    tree = _grad_tree(2.0)
    clipped = rt.clip_grad_value(tt(tree), 0.5)
    assert_trees_close(clipped, ref.clip_grad_value(tree, 0.5), 0.0)
    params = [torch.nn.Parameter(torch.zeros(np.shape(v), dtype=torch.float64)) for _, v in leaves(tree)]
    for p, (_, g) in zip(params, leaves(tt(tree))):
        p.grad = g
    torch.nn.utils.clip_grad_value_(params, 0.5)
    assert all(torch.equal(p.grad, g) for p, (_, g) in zip(params, leaves(clipped)))


def test_clipping_refuses_bad_input():
    with pytest.raises(ValueError, match=r"grads\['b'\]: expected finite values, got nan"):
        rt.clip_grad_norm({"a": torch.ones(2), "b": torch.tensor([1.0, float("nan")])}, 1.0)
    with pytest.raises(ValueError, match=r"max_norm: expected a number >= 0, got -1"):
        rt.clip_grad_norm([torch.ones(2)], -1)
    with pytest.raises(ValueError, match=r"grads\[0\]: expected a torch.Tensor of floats, got a numpy.ndarray"):
        rt.clip_grad_value([np.ones(2)], 1.0)


# initializers -----------------------------------------------------------------------------

def test_initializers_draw_what_torch_nn_init_draws():
    def gen():
        return torch.Generator().manual_seed(3)
    ours = rt.uniform_init(gen(), (5, 8), 4)
    want = torch.nn.init.uniform_(torch.empty(5, 8, dtype=torch.float64), -0.5, 0.5, generator=gen())
    assert torch.equal(ours, want)
    ours = rt.xavier_uniform(gen(), (6, 12), gain=2.0, dtype=torch.float32)
    want = torch.nn.init.xavier_uniform_(torch.empty(6, 12), gain=2.0, generator=gen())
    assert ours.dtype == torch.float32 and torch.equal(ours, want)
    for shape in ((7, 4), (4, 7), (5, 5)):
        ours = rt.orthogonal(gen(), shape, gain=1.5)
        want = torch.nn.init.orthogonal_(torch.empty(shape, dtype=torch.float64), gain=1.5, generator=gen())
        assert torch.allclose(ours, want, rtol=0, atol=1e-14)
        small = ours.t() @ ours if shape[0] >= shape[1] else ours @ ours.t()
        assert torch.allclose(small, 2.25 * torch.eye(min(shape), dtype=torch.float64), atol=1e-12)
    assert torch.equal(rt.identity((3, 4), 0.5), torch.from_numpy(ref.identity((3, 4), 0.5)))


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("scheme", ["torch", "xavier", "irnn"])
def test_init_params_matches_numpy_in_layout_and_distribution(kind, scheme):
    if scheme == "irnn" and kind != "rnn":
        with pytest.raises(ValueError, match="'irnn' is only for kind 'rnn'"):
            rt.init_params(kind, 3, 4, torch.Generator(), scheme=scheme)
        return
    D, H = 40, 30
    ours = rt.init_params(kind, D, H, torch.Generator().manual_seed(0), scheme=scheme, forget_bias=2.0)
    again = rt.init_params(kind, D, H, torch.Generator().manual_seed(0), scheme=scheme, forget_bias=2.0)
    want = ref.init_params(kind, D, H, np.random.default_rng(0), scheme=scheme, forget_bias=2.0)
    assert list(ours) == list(want)
    for name, w in want.items():
        o = ours[name]
        assert torch.equal(o, again[name])                                # determinism for a seed
        assert o.dtype == torch.float64 and tuple(o.shape) == w.shape
        if w.size >= 500:                                                 # same distribution
            assert abs(float(o.std()) - w.std()) <= 0.1 * w.std()
            q_o, q_w = np.quantile(np.abs(o.numpy()), 0.9), np.quantile(np.abs(w), 0.9)
            assert abs(q_o - q_w) <= 0.1 * q_w
        elif scheme == "torch":
            assert float(o.abs().max()) <= 1 / math.sqrt(H)
        else:
            assert torch.equal(o, torch.from_numpy(w))                    # biases: 0 (and forget_bias)
    if kind == "lstm" and scheme != "torch":
        assert torch.all(ours["b"][H:2 * H] == 2.0) and torch.all(ours["b"][:H] == 0)
    if scheme == "xavier":
        block = ours["W_hh" if kind == "rnn" else "W_h"][:, :H]
        assert torch.allclose(block.t() @ block, torch.eye(H, dtype=torch.float64), atol=1e-12)


def test_initializers_refuse_bad_input():
    with pytest.raises(ValueError, match=r"rng: expected a torch.Generator"):
        rt.uniform_init(np.random.default_rng(0), (2, 2), 3)
    with pytest.raises(ValueError, match=r"dtype: expected torch.float32 or torch.float64"):
        rt.init_params("gru", 2, 3, torch.Generator(), dtype=torch.int32)
    with pytest.raises(ValueError, match=r"b: expected shape \(4H,\) = \(12,\), got \(8,\)"):
        rt.set_forget_bias(torch.zeros(8), 3)


# optimizers -------------------------------------------------------------------------------

def _opt_problem(seed=0):
    rng = np.random.default_rng(seed)
    params = {"enc": {"W": rng.standard_normal((3, 4)), "b": rng.standard_normal(4)}, "out": [rng.standard_normal(2)]}
    grads = [rebuild(params, lambda p, v: rng.standard_normal(v.shape)) for _ in range(5)]
    grads[2]["enc"]["b"] = None                                           # skipped this step
    return params, grads


@pytest.mark.parametrize("make", [lambda B: B.SGD(0.1), lambda B: B.SGD(0.05, momentum=0.9),
                                  lambda B: B.Adam(), lambda B: B.Adam(0.01, betas=(0.8, 0.99), eps=1e-6)])
def test_optimizers_match_numpy(make):
    params, grads = _opt_problem()
    t_params = tt(params)
    ours, theirs = make(rt), make(ref)
    for g in grads:
        ours.step(t_params, tt(g))
        theirs.step(params, g)
    assert_trees_close(t_params, params)


@pytest.mark.parametrize("ours, theirs", [
    (lambda: rt.SGD(0.1, momentum=0.9), lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9)),
    (lambda: rt.SGD(0.3), lambda p: torch.optim.SGD(p, lr=0.3)),
    (lambda: rt.Adam(0.01, betas=(0.8, 0.99), eps=1e-6), lambda p: torch.optim.Adam(p, lr=0.01, betas=(0.8, 0.99), eps=1e-6)),
])
def test_optimizers_match_torch_optim(ours, theirs):
    params, grads = _opt_problem(1)
    mine = tt(params)
    nn_params = [torch.nn.Parameter(v.clone()) for _, v in leaves(mine)]
    opt, topt = ours(), theirs(nn_params)
    for g in grads:
        g = tt(g)
        opt.step(mine, g)
        for p, (_, gv) in zip(nn_params, leaves(g)):
            p.grad = None if gv is None else gv.clone()
        topt.step()
    for p, (_, v) in zip(nn_params, leaves(mine)):
        assert rt.rel_error(v, p.detach()) <= TOL


def test_optimizers_update_parameters_in_place_and_refuse_bad_trees():
    p = {"W": torch.nn.Parameter(torch.ones(2, 2, dtype=torch.float64))}
    before = p["W"]
    rt.Adam(0.1).step(p, {"W": torch.ones(2, 2, dtype=torch.float64)})
    assert p["W"] is before and torch.all(p["W"] < 1)
    with pytest.raises(ValueError, match=r"params\['W'\]: expected a float32/float64 torch.Tensor"):
        rt.SGD(0.1).step({"W": np.ones(2)}, {"W": torch.ones(2)})
    with pytest.raises(ValueError, match=r"grads\['W'\]: expected shape \(2, 2\) \(the parameter's\), got \(2,\)"):
        rt.SGD(0.1).step(p, {"W": torch.ones(2, dtype=torch.float64)})
    with pytest.raises(ValueError, match=r"betas\[1\]: expected a number in \[0.0, 1.0\), got 1.0"):
        rt.Adam(betas=(0.9, 1.0))


# sampling ---------------------------------------------------------------------------------

def test_sample_logits_at_temperature_zero_is_argmax_first_on_ties():
    logits = torch.tensor([[0.0, 2.0, 2.0, -1.0], [5.0, -math.inf, 1.0, 5.0], [-math.inf, -3.0, -math.inf, -4.0]])
    idx = rt.sample_logits(logits, torch.Generator(), temperature=0)
    assert idx.tolist() == [1, 0, 1] and idx.dtype == torch.int64
    assert idx.tolist() == ref.sample_logits(logits.numpy(), np.random.default_rng(0), 0).tolist()


def test_sample_logits_is_deterministic_and_has_the_softmax_frequencies():
    V, n = 5, 40000
    base = torch.tensor([1.0, 0.0, -1.0, 2.0, -math.inf], dtype=torch.float64)
    logits = base.expand(n, V).contiguous()
    for temperature in (1.0, 2.0, 0.5):
        a = rt.sample_logits(logits, torch.Generator().manual_seed(7), temperature)
        b = rt.sample_logits(logits, torch.Generator().manual_seed(7), temperature)
        assert torch.equal(a, b)
        freq = torch.bincount(a, minlength=V).double() / n
        p = torch.softmax(base / temperature, dim=0)
        assert freq[4] == 0                                               # -inf is never drawn
        # binomial standard error sqrt(p(1-p)/n) <= 0.0025: 5 sigma is 0.0125
        assert torch.all((freq - p).abs() <= 0.0125), (temperature, freq, p)
    assert not torch.equal(rt.sample_logits(logits, torch.Generator().manual_seed(8)), a)


@pytest.mark.parametrize("kind", KINDS)
def test_sample_sequence_greedy_matches_numpy_and_seeds_reproduce(kind):
    rng = np.random.default_rng(4)
    V, E, H, N = 7, 3, 5, 4
    model = {"W_embed": rng.standard_normal((V, E)), "layer": ref.init_params(kind, E, H, rng),
             "W_hy": rng.standard_normal((H, V)) * 2, "b_y": rng.standard_normal(V)}
    start = rng.integers(0, V, N)
    h0 = rng.standard_normal((N, H))
    want = ref.sample_sequence(kind, model, start, 6, rng, temperature=0, h0=h0)
    mt = tt(model)
    got = rt.sample_sequence(kind, mt, torch.from_numpy(start), 6, torch.Generator(), 0, torch.from_numpy(h0))
    assert got.tolist() == want.tolist()
    a = rt.sample_sequence(kind, mt, torch.from_numpy(start), 8, torch.Generator().manual_seed(1))
    b = rt.sample_sequence(kind, mt, torch.from_numpy(start), 8, torch.Generator().manual_seed(1))
    assert a.shape == (N, 8) and torch.equal(a, b) and int(a.max()) < V


def test_sampling_refuses_bad_input():
    with pytest.raises(ValueError, match=r"rng: expected a torch.Generator, got Generator"):
        rt.sample_logits(torch.zeros(2, 3), np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"logits: expected finite values or -inf, got nan at index \(1, 0\)"):
        rt.sample_logits(torch.tensor([[0.0, 1.0], [float("nan"), 0.0]]), torch.Generator())
    with pytest.raises(ValueError, match=r"temperature: expected a finite number >= 0, got -1"):
        rt.sample_logits(torch.zeros(2, 3), torch.Generator(), -1)


# seq2seq ----------------------------------------------------------------------------------

V_S, V_T, E, H = 5, 6, 3, 4
BOS, EOS = 0, 1


def _s2s_problem(kind, seed, N=3, S=5, T=4):
    rng = np.random.default_rng(seed)
    model = ref.seq2seq_init(kind, V_S, V_T, E, H, rng)
    model["W_out"] *= 3.0
    src = rng.integers(0, V_S, (N, S))
    tgt_out = rng.integers(0, V_T, (N, T))
    tgt_in = np.concatenate([np.full((N, 1), BOS), tgt_out[:, :-1]], axis=1)
    lengths = np.array([S, 2, 1])
    mask = np.ones((N, T), dtype=bool)
    mask[1, 3:] = False
    return model, src, tgt_in, tgt_out, lengths, mask


@pytest.mark.parametrize("kind", KINDS)
def test_seq2seq_loss_matches_numpy_and_autograd(kind):
    model, src, tgt_in, tgt_out, lengths, mask = _s2s_problem(kind, 0)
    want_loss, want_grads = ref.seq2seq_loss(kind, model, src, tgt_in, tgt_out, lengths, mask)
    mt = tt(model)
    args = [torch.from_numpy(a) for a in (src, tgt_in, tgt_out, lengths, mask)]
    loss, grads = rt.seq2seq_loss(kind, mt, *args)
    assert abs(float(loss) - want_loss) <= TOL * want_loss
    assert_trees_close(grads, want_grads)
    # autograd through the differentiable torch forwards, the encoder run row by row
    leaves_ = rebuild(mt, lambda _, v: v.clone().requires_grad_())
    fwd = {"rnn": lambda x, h, c, p: (rt.rnn_forward(x, h, **p), None),
           "lstm": lambda x, h, c, p: rt.lstm_forward(x, h, c, **p),
           "gru": lambda x, h, c, p: (rt.gru_forward(x, h, **p), None)}[kind]
    src_t, tin, tout, len_t, mask_t = args
    finals = []
    for n in range(src_t.shape[0]):
        xe = rt.embedding_forward(src_t[n:n + 1, :int(len_t[n])], leaves_["src_embed"])
        h, c = fwd(xe, None, None, leaves_["encoder"])
        finals.append((h[:, -1], None if c is None else c[:, -1]))
    h0 = torch.cat([f[0] for f in finals])
    c0 = None if kind != "lstm" else torch.cat([f[1] for f in finals])
    hd, _ = fwd(rt.embedding_forward(tin, leaves_["tgt_embed"]), h0, c0, leaves_["decoder"])
    scores = rt.temporal_affine_forward(hd, leaves_["W_out"], leaves_["b_out"])
    ce = torch.nn.functional.cross_entropy(scores.reshape(-1, V_T), torch.where(mask_t, tout, -100).reshape(-1))
    ce.backward()
    assert abs(float(loss) - ce.item()) <= TOL * ce.item()
    assert_trees_close(grads, rebuild(leaves_, lambda _, v: v.grad.numpy()))


@pytest.mark.parametrize("kind", KINDS)
def test_decoding_matches_numpy(kind):
    model, src, *_ = _s2s_problem(kind, 1)
    lengths = np.array([5, 3, 2])
    mt, st, lt = tt(model), torch.from_numpy(src), torch.from_numpy(lengths)
    greedy = rt.greedy_decode(kind, mt, st, BOS, EOS, 6, lt)
    assert greedy.tolist() == ref.greedy_decode(kind, model, src, BOS, EOS, 6, lengths).tolist()
    for width, penalty in ((1, 0.0), (3, 0.0), (4, 1.0)):
        got = rt.beam_search(kind, mt, st, BOS, EOS, 5, width, lt, penalty)
        want = ref.beam_search(kind, model, src, BOS, EOS, 5, width, lengths, penalty)
        assert [g[0] for g in got] == [w[0] for w in want]
        assert all(abs(g[1] - w[1]) <= TOL * max(1.0, abs(w[1])) for g, w in zip(got, want))


def test_seq2seq_init_shapes_dtype_and_seed():
    a = rt.seq2seq_init("lstm", 5, 6, 3, 4, torch.Generator().manual_seed(2), dtype=torch.float32)
    b = rt.seq2seq_init("lstm", 5, 6, 3, 4, torch.Generator().manual_seed(2), dtype=torch.float32)
    want = ref.seq2seq_init("lstm", 5, 6, 3, 4, np.random.default_rng(2))
    assert list(a) == list(want)
    for path, w in leaves(want):
        got = dict(leaves(a))[path]
        assert tuple(got.shape) == w.shape and got.dtype == torch.float32
        assert torch.equal(got, dict(leaves(b))[path])
    with pytest.raises(ValueError, match=r"src: expected integers in \[0, 5\), got values from 0 to 7"):
        rt.greedy_decode("lstm", a, torch.tensor([[0, 7]]), 0, 1, 3)
