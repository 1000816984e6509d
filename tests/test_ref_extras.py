"""rnn_ref.numpy's embedding, gradient clipping, initializers and optimizers against torch."""

import numpy as np
import pytest
import torch

from rnn_ref import numpy as ref
from rnn_ref.numpy import numeric_gradient, rel_error

TOL = 1e-10


# ---------------------------------------------------------------- embedding

def test_embedding_matches_torch_and_accumulates_repeated_indices():
    rng = np.random.default_rng(0)
    V, E = 5, 3
    W = rng.standard_normal((V, E))
    idx = np.array([[0, 2, 2, 4], [2, 0, 1, 2]])              # 2 repeated, 3 unused
    dout = rng.standard_normal((2, 4, E))
    W_before, idx_before = W.copy(), idx.copy()
    out = ref.embedding_forward(idx, W)
    dW = ref.embedding_backward(dout, idx, W)
    Wt = torch.tensor(W, requires_grad=True)
    ot = torch.nn.functional.embedding(torch.tensor(idx), Wt)
    ot.backward(torch.tensor(dout))
    assert out.shape == (2, 4, E) and rel_error(out, ot.detach().numpy()) == 0
    assert rel_error(dW, Wt.grad.numpy()) <= TOL
    assert np.all(dW[3] == 0)
    assert rel_error(dW[2], dout[0, 1] + dout[0, 2] + dout[1, 0] + dout[1, 3]) <= TOL
    num = numeric_gradient(lambda w: ref.embedding_forward(idx, w), W.copy(), dout)
    assert rel_error(dW, num) < 1e-8
    assert np.array_equal(W, W_before) and np.array_equal(idx, idx_before)
    out[0, 0] = 99.0                                          # a new array, not a view of W
    assert np.array_equal(W, W_before)


def test_embedding_float32():
    W = np.ones((4, 2), dtype=np.float32)
    assert ref.embedding_forward(np.zeros((1, 3), dtype=np.int64), W).dtype == np.float32
    assert ref.embedding_backward(np.ones((1, 3, 2), np.float32), np.zeros((1, 3), int), W).dtype == np.float32


@pytest.mark.parametrize("call, match", [
    (lambda W: ref.embedding_forward(np.array([[0, 5]]), W), r"idx: expected integers in \[0, 5\), got values from 0 to 5"),
    (lambda W: ref.embedding_forward(np.array([[-1, 0]]), W), r"idx: expected integers in \[0, 5\)"),
    (lambda W: ref.embedding_forward(np.array([[0.0, 1.0]]), W), r"idx: expected an integer array, got dtype float64"),
    (lambda W: ref.embedding_forward(np.array([0, 1]), W), r"idx: expected a 2-d array of shape \(N, T\), got shape \(2,\)"),
    (lambda W: ref.embedding_backward(np.zeros((1, 2, 4)), np.array([[0, 1]]), W),
     r"dout: expected shape \(N, T, E\) = \(1, 2, 3\), got \(1, 2, 4\)"),
])
def test_embedding_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call(np.zeros((5, 3)))


# ---------------------------------------------------------------- clipping

def _grads(rng, scale):
    return {"W_x": rng.standard_normal((3, 8)) * scale, "W_h": rng.standard_normal((2, 8)) * scale,
            "b": rng.standard_normal(8) * scale}


@pytest.mark.parametrize("scale, max_norm", [(1.0, 0.5), (1.0, 100.0), (0.01, 1.0), (3.0, 0.0)])
@pytest.mark.parametrize("as_list", [False, True])
def test_clip_grad_norm_matches_torch(scale, max_norm, as_list):
    rng = np.random.default_rng(1)
    grads = _grads(rng, scale)
    before = {k: v.copy() for k, v in grads.items()}
    arg = list(grads.values()) if as_list else grads
    clipped, total = ref.clip_grad_norm(arg, max_norm)
    tensors = [torch.zeros(v.shape, dtype=torch.float64, requires_grad=True) for v in grads.values()]
    for t, v in zip(tensors, grads.values()):
        t.grad = torch.tensor(v)
    total_t = torch.nn.utils.clip_grad_norm_(tensors, max_norm)
    assert abs(total - total_t.item()) <= 1e-12 * total_t.item()
    assert type(clipped) is type(arg)
    for got, t in zip(clipped if as_list else clipped.values(), tensors):
        assert rel_error(got, t.grad.numpy()) <= 1e-12
    assert all(np.array_equal(grads[k], before[k]) for k in grads)   # inputs untouched
    flat = np.concatenate([g.ravel() for g in (clipped if as_list else clipped.values())])
    assert np.linalg.norm(flat) <= max(max_norm, 1e-12) or total <= max_norm


def test_clip_grad_norm_handles_nested_trees_and_float32():
    rng = np.random.default_rng(2)
    tree = {"encoder": _grads(rng, 1.0), "W_out": rng.standard_normal((4, 3)).astype(np.float32)}
    clipped, total = ref.clip_grad_norm(tree, 1.0)
    flat = [tree["encoder"][k].ravel() for k in tree["encoder"]] + [tree["W_out"].ravel()]
    assert np.isclose(total, np.linalg.norm(np.concatenate(flat)))
    assert set(clipped["encoder"]) == set(tree["encoder"]) and clipped["W_out"].dtype == np.float32
    assert rel_error(clipped["encoder"]["W_h"], tree["encoder"]["W_h"] / (total + 1e-6)) <= 1e-12


@pytest.mark.parametrize("as_list", [False, True])
def test_clip_grad_value_matches_torch(as_list):
    rng = np.random.default_rng(3)
    grads = _grads(rng, 2.0)
    before = {k: v.copy() for k, v in grads.items()}
    clipped = ref.clip_grad_value(list(grads.values()) if as_list else grads, 0.7)
    for got, v in zip(clipped if as_list else clipped.values(), grads.values()):
        t = torch.zeros(v.shape, dtype=torch.float64, requires_grad=True)
        t.grad = torch.tensor(v)
        torch.nn.utils.clip_grad_value_([t], 0.7)
        assert np.array_equal(got, t.grad.numpy())
        assert np.abs(got).max() <= 0.7
    assert all(np.array_equal(grads[k], before[k]) for k in grads)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("clip", [lambda g: ref.clip_grad_norm(g, 1.0), lambda g: ref.clip_grad_value(g, 1.0)])
def test_clipping_refuses_non_finite_gradients_by_name(bad, clip):
    grads = _grads(np.random.default_rng(4), 1.0)
    grads["W_h"][1, 2] = bad
    with pytest.raises(ValueError, match=r"grads\['W_h'\]: expected finite values, got .* at index \(1, 2\)"):
        clip(grads)
    as_list = list(grads.values())
    with pytest.raises(ValueError, match=r"grads\[1\]: expected finite values"):
        clip(as_list)


def test_clipping_refuses_bad_limits():
    grads = _grads(np.random.default_rng(5), 1.0)
    with pytest.raises(ValueError, match=r"max_norm: expected a number >= 0, got -1"):
        ref.clip_grad_norm(grads, -1)
    with pytest.raises(ValueError, match=r"clip_value: expected a number >= 0, got nan"):
        ref.clip_grad_value(grads, float("nan"))
    with pytest.raises(ValueError, match=r"grads: expected a dict or a list of arrays, got ndarray"):
        ref.clip_grad_norm(grads["b"], 1.0)


# ---------------------------------------------------------------- initializers

SHAPES = {"rnn": {"W_xh": (5, 7), "W_hh": (7, 7), "b_h": (7,)},
          "lstm": {"W_x": (5, 28), "W_h": (7, 28), "b": (28,)},
          "gru": {"W_x": (5, 21), "W_h": (7, 21), "b_x": (21,), "b_h": (21,)}}


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("scheme", ["torch", "xavier"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_init_params_shapes_dtypes_and_reproducibility(kind, scheme, dtype):
    p = ref.init_params(kind, 5, 7, np.random.default_rng(6), scheme=scheme, dtype=dtype)
    assert {k: v.shape for k, v in p.items()} == SHAPES[kind]
    assert all(v.dtype == dtype for v in p.values())
    q = ref.init_params(kind, 5, 7, np.random.default_rng(6), scheme=scheme, dtype=dtype)
    assert all(np.array_equal(p[k], q[k]) for k in p)
    y, _, _ = ref.stacked_forward(kind, np.ones((1, 2, 5), dtype=dtype), [p])   # usable as is
    assert y.shape == (1, 2, 7)


def test_torch_scheme_is_uniform_within_one_over_sqrt_h():
    H = 16
    p = ref.init_params("lstm", 40, H, np.random.default_rng(7))
    for v in p.values():
        assert np.abs(v).max() <= 1 / np.sqrt(H)
    w = p["W_x"].ravel()                                     # 2560 draws of U(-1/4, 1/4)
    assert np.abs(w).max() > 0.24 and abs(w.mean()) < 0.01 and abs(w.std() - 0.25 / np.sqrt(3)) < 0.005
    assert not np.all(p["b"][H:2 * H] == 1.0)                 # "torch" keeps the forget slice uniform
    u = ref.uniform_init(np.random.default_rng(7), (1000,), 4)
    assert u.min() >= -0.5 and u.max() <= 0.5 and u.min() < -0.49 and u.max() > 0.49


def test_xavier_bounds_and_orthogonal_recurrent_gates():
    D, H = 6, 10
    p = ref.init_params("gru", D, H, np.random.default_rng(8), scheme="xavier")
    bound = np.sqrt(6.0 / (D + 3 * H))                        # Xavier over the fused (D, 3H) matrix
    assert np.abs(p["W_x"]).max() <= bound and np.abs(p["W_x"]).max() > 0.9 * bound
    for g in range(3):
        Q = p["W_h"][:, g * H:(g + 1) * H]
        assert rel_error(Q.T @ Q, np.eye(H)) < 1e-14 and rel_error(Q @ Q.T, np.eye(H)) < 1e-14
    assert np.all(p["b_x"] == 0) and np.all(p["b_h"] == 0)
    x = ref.xavier_uniform(np.random.default_rng(8), (300, 100), gain=2.0)
    assert np.abs(x).max() <= 2.0 * np.sqrt(6 / 400) and np.abs(x).max() > 0.99 * 2.0 * np.sqrt(6 / 400)


@pytest.mark.parametrize("shape", [(6, 6), (9, 4), (4, 9), (1, 5)])
def test_orthogonal_is_orthogonal_and_follows_torchs_sign_convention(shape):
    Q = ref.orthogonal(np.random.default_rng(9), shape, gain=1.5)
    small = min(shape)
    prod = Q.T @ Q if shape[0] >= shape[1] else Q @ Q.T
    assert rel_error(prod, 1.5 ** 2 * np.eye(small)) < 1e-14
    # torch.nn.init.orthogonal_ on the same normal draw (its layout: rows = shape[0])
    a = np.random.default_rng(9).standard_normal(shape)
    t = torch.tensor(a if shape[0] >= shape[1] else a.T)
    q, r = torch.linalg.qr(t)
    q = q * torch.sign(torch.diagonal(r))
    want = (q if shape[0] >= shape[1] else q.T).numpy() * 1.5
    assert rel_error(Q, want) < 1e-12


def test_lstm_forget_bias_and_set_forget_bias():
    H = 4
    p = ref.init_params("lstm", 3, H, np.random.default_rng(10), scheme="xavier", forget_bias=2.5)
    assert np.all(p["b"][H:2 * H] == 2.5)
    assert np.all(p["b"][:H] == 0) and np.all(p["b"][2 * H:] == 0)
    b = np.arange(4 * H, dtype=np.float64)
    out = ref.set_forget_bias(b, H, value=-1.0)
    assert np.array_equal(b, np.arange(4 * H)) and np.all(out[H:2 * H] == -1) and np.array_equal(out[:H], b[:H])
    with pytest.raises(ValueError, match=r"b: expected shape \(4H,\) = \(16,\), got \(12,\)"):
        ref.set_forget_bias(np.zeros(12), H)


def test_irnn_identity_and_tiny_gaussian():
    p = ref.init_params("rnn", 50, 40, np.random.default_rng(11), scheme="irnn")
    assert np.array_equal(p["W_hh"], np.eye(40)) and np.all(p["b_h"] == 0)
    assert abs(p["W_xh"].std() - 0.001) < 1e-4 and abs(p["W_xh"].mean()) < 1e-4
    assert np.array_equal(ref.identity((3, 3), scale=0.5), 0.5 * np.eye(3))
    for kind in ("lstm", "gru"):
        with pytest.raises(ValueError, match=rf"scheme: 'irnn' is only for kind 'rnn', got kind '{kind}'"):
            ref.init_params(kind, 3, 4, np.random.default_rng(0), scheme="irnn")


@pytest.mark.parametrize("call, match", [
    (lambda rng: ref.init_params("lstmm", 3, 4, rng), r"kind: expected one of \['gru', 'lstm', 'rnn'\], got 'lstmm'"),
    (lambda rng: ref.init_params("gru", 3, 4, rng, scheme="he"),
     r"scheme: expected one of \['torch', 'xavier', 'irnn'\], got 'he'"),
    (lambda rng: ref.init_params("gru", 0, 4, rng), r"D: expected a positive integer, got 0"),
    (lambda rng: ref.init_params("gru", 3, 4, rng, dtype=np.int64), r"dtype: expected float32 or float64, got int64"),
    (lambda rng: ref.init_params("gru", 3, 4, 0), r"rng: expected a numpy.random.Generator"),
    (lambda rng: ref.orthogonal(rng, (3,)), r"shape: expected a 2-d shape \(rows, cols\), got \(3,\)"),
])
def test_init_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call(np.random.default_rng(0))


# ---------------------------------------------------------------- optimizers

def _torch_run(params, grads_seq, make_opt):
    tensors = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    opt = make_opt(list(tensors.values()))
    for grads in grads_seq:
        for k, t in tensors.items():
            t.grad = torch.tensor(grads[k])
        opt.step()
    return {k: t.detach().numpy() for k, t in tensors.items()}


@pytest.mark.parametrize("name, ours, theirs", [
    ("sgd", lambda: ref.SGD(0.1), lambda ps: torch.optim.SGD(ps, lr=0.1)),
    ("momentum", lambda: ref.SGD(0.05, momentum=0.9), lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9)),
    ("adam", lambda: ref.Adam(1e-2), lambda ps: torch.optim.Adam(ps, lr=1e-2)),
    ("adam-betas", lambda: ref.Adam(3e-3, betas=(0.8, 0.99), eps=1e-6),
     lambda ps: torch.optim.Adam(ps, lr=3e-3, betas=(0.8, 0.99), eps=1e-6)),
])
def test_optimizers_match_torch_over_several_steps(name, ours, theirs):
    rng = np.random.default_rng(12)
    params = {"W_x": rng.standard_normal((3, 4)), "W_h": rng.standard_normal((4, 4)), "b": rng.standard_normal(4)}
    grads_seq = [{k: rng.standard_normal(v.shape) for k, v in params.items()} for _ in range(6)]
    want = _torch_run(params, grads_seq, theirs)
    opt, ids = ours(), {k: id(v) for k, v in params.items()}
    for grads in grads_seq:
        before = {k: g.copy() for k, g in grads.items()}
        opt.step(params, grads)
        assert all(np.array_equal(grads[k], before[k]) for k in grads)   # gradients untouched
    assert {k: id(v) for k, v in params.items()} == ids                # updated in place
    for k in params:
        assert rel_error(params[k], want[k]) <= 1e-12, (name, k)


def test_optimizers_update_nested_trees_in_place_and_skip_none():
    rng = np.random.default_rng(13)
    model = {"encoder": {"W": rng.standard_normal((2, 2))}, "b": rng.standard_normal(3)}
    W, W_before, before_b = model["encoder"]["W"], model["encoder"]["W"].copy(), model["b"].copy()
    ref.Adam(0.1).step(model, {"encoder": {"W": np.ones((2, 2))}, "b": None})
    assert model["encoder"]["W"] is W and np.allclose(W, W_before - 0.1)   # Adam's first step: lr * sign(g)
    assert np.array_equal(model["b"], before_b)
    p32 = {"w": np.ones(3, dtype=np.float32)}
    ref.SGD(0.5, momentum=0.5).step(p32, {"w": np.ones(3)})
    assert p32["w"].dtype == np.float32 and np.all(p32["w"] == 0.5)


@pytest.mark.parametrize("call, match", [
    (lambda p: ref.SGD(-0.1), r"lr: expected a number >= 0.0, got -0.1"),
    (lambda p: ref.Adam(betas=(0.9, 1.0)), r"betas\[1\]: expected a number in \[0.0, 1.0\), got 1.0"),
    (lambda p: ref.SGD(0.1).step(p, {"W": np.zeros((2, 2))}),
     r"grads: expected the keys of params, got \[\"grads\['b'\]\"\] missing"),
    (lambda p: ref.SGD(0.1).step(p, {"W": np.zeros((2, 3)), "b": np.zeros(2)}),
     r"grads\['W'\]: expected shape \(2, 2\) \(the parameter's\), got \(2, 3\)"),
    (lambda p: ref.Adam().step({"W": [[1.0]]}, {"W": np.zeros((1, 1))}),
     r"params\['W'\]\[0\]\[0\]: expected a float32/float64 ndarray \(it is updated in place\), got float"),
])
def test_optimizer_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call({"W": np.zeros((2, 2)), "b": np.zeros(2)})
