"""rnn_ref.numpy's vanilla RNN and layers against torch.nn (float64) and numeric gradients."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from rnn_ref import numpy as ref
from rnn_ref.numpy import numeric_gradient, rel_error
from rnn_ref.torch.convert import to_torch_state_dict

TOL = 1e-10


def _params(rng, D, H):
    return dict(W_xh=rng.standard_normal((D, H)) / np.sqrt(D),
                W_hh=rng.standard_normal((H, H)) / np.sqrt(H),
                b_h=rng.standard_normal(H) * 0.3)


@settings(max_examples=25, deadline=None)
@given(N=st.integers(1, 4), T=st.integers(1, 7), D=st.integers(1, 5), H=st.integers(1, 6),
       seed=st.integers(0, 2**31 - 1), zero_h0=st.booleans())
def test_rnn_matches_torch_nn_rnn(N, T, D, H, seed, zero_h0):
    rng = np.random.default_rng(seed)
    p = _params(rng, D, H)
    x = rng.standard_normal((N, T, D))
    h0 = None if zero_h0 else rng.standard_normal((N, H))
    dh = rng.standard_normal((N, T, H))

    h = ref.rnn_forward(x, h0, **p)
    dx, dh0, dW_xh, dW_hh, db_h = ref.rnn_backward(dh, x, h0, h, p["W_xh"], p["W_hh"])

    m = torch.nn.RNN(D, H, batch_first=True).double()
    m.load_state_dict(to_torch_state_dict("rnn", [p]))
    xt = torch.tensor(x, requires_grad=True)
    h0t = torch.zeros(1, N, H, dtype=torch.float64) if h0 is None else torch.tensor(h0[None])
    h0t.requires_grad_(True)
    out, hn = m(xt, h0t)
    out.backward(torch.tensor(dh))

    assert rel_error(h, out.detach().numpy()) <= TOL
    assert rel_error(h[:, -1], hn[0].detach().numpy()) <= TOL
    assert rel_error(dx, xt.grad.numpy()) <= TOL
    assert rel_error(dh0, h0t.grad[0].numpy()) <= TOL
    assert rel_error(dW_xh, m.weight_ih_l0.grad.numpy().T) <= TOL
    assert rel_error(dW_hh, m.weight_hh_l0.grad.numpy().T) <= TOL
    assert rel_error(db_h, m.bias_ih_l0.grad.numpy()) <= TOL
    assert rel_error(db_h, m.bias_hh_l0.grad.numpy()) <= TOL


def test_rnn_backward_matches_numeric_gradients():
    rng = np.random.default_rng(1)
    N, T, D, H = 2, 4, 3, 5
    p = _params(rng, D, H)
    x, h0, dh = rng.standard_normal((N, T, D)), rng.standard_normal((N, H)), rng.standard_normal((N, T, H))
    h = ref.rnn_forward(x, h0, **p)
    dx, dh0, dW_xh, dW_hh, db_h = ref.rnn_backward(dh, x, h0, h, p["W_xh"], p["W_hh"])
    f = lambda **kw: ref.rnn_forward(**{**dict(x=x, h0=h0, **p), **kw})  # noqa: E731
    assert rel_error(dx, numeric_gradient(lambda v: f(x=v), x.copy(), dh)) < 1e-8
    assert rel_error(dh0, numeric_gradient(lambda v: f(h0=v), h0.copy(), dh)) < 1e-8
    assert rel_error(dW_xh, numeric_gradient(lambda v: f(W_xh=v), p["W_xh"].copy(), dh)) < 1e-8
    assert rel_error(dW_hh, numeric_gradient(lambda v: f(W_hh=v), p["W_hh"].copy(), dh)) < 1e-8
    assert rel_error(db_h, numeric_gradient(lambda v: f(b_h=v), p["b_h"].copy(), dh)) < 1e-8


def test_step_functions_agree_with_the_sequence_and_numeric_gradients():
    rng = np.random.default_rng(2)
    N, D, H = 3, 4, 5
    p = _params(rng, D, H)
    x_t, h_prev, dh_next = rng.standard_normal((N, D)), rng.standard_normal((N, H)), rng.standard_normal((N, H))
    h_next = ref.rnn_step_forward(x_t, h_prev, **p)
    assert rel_error(h_next, ref.rnn_forward(x_t[:, None], h_prev, **p)[:, 0]) <= TOL
    grads = ref.rnn_step_backward(dh_next, x_t, h_prev, h_next, p["W_xh"], p["W_hh"])
    f = lambda **kw: ref.rnn_step_forward(**{**dict(x_t=x_t, h_prev=h_prev, **p), **kw})  # noqa: E731
    for got, (name, value) in zip(grads, [("x_t", x_t), ("h_prev", h_prev), ("W_xh", p["W_xh"]),
                                          ("W_hh", p["W_hh"]), ("b_h", p["b_h"])]):
        assert rel_error(got, numeric_gradient(lambda v: f(**{name: v}), value.copy(), dh_next)) < 1e-8, name


def test_float32_runs_in_float32_and_agrees_with_float64():
    rng = np.random.default_rng(3)
    p = _params(rng, 4, 6)
    x = rng.standard_normal((2, 5, 4))
    h64 = ref.rnn_forward(x, None, **p)
    h32 = ref.rnn_forward(x.astype(np.float32), None, **{k: v.astype(np.float32) for k, v in p.items()})
    assert h32.dtype == np.float32
    assert rel_error(h32, h64) < 1e-6  # float32 rounding (eps 6e-8) grows mildly over 5 steps


@pytest.mark.parametrize("call, match", [
    (lambda x, h0, p: ref.rnn_forward(x, h0, p["W_xh"].T, p["W_hh"], p["b_h"]),
     r"W_xh: expected shape \(D, H\) = \(3, 4\), got \(4, 3\)"),
    (lambda x, h0, p: ref.rnn_forward(x[0], h0, **p), r"x: expected a 3-d array of shape \(N, T, D\), got shape \(5, 3\)"),
    (lambda x, h0, p: ref.rnn_forward(x, h0[:1], **p), r"h0: expected shape \(N, H\) = \(2, 4\), got \(1, 4\)"),
    (lambda x, h0, p: ref.rnn_forward(x.astype(int), h0, **p), r"x: expected a float32 or float64 array, got dtype int"),
    (lambda x, h0, p: ref.rnn_forward(x, h0, p["W_xh"], p["W_hh"] * np.nan, p["b_h"]), r"W_hh: expected finite values"),
])
def test_bad_input_raises_value_error_naming_the_argument(call, match):
    rng = np.random.default_rng(4)
    p = _params(rng, 3, 4)
    with pytest.raises(ValueError, match=match):
        call(rng.standard_normal((2, 5, 3)), rng.standard_normal((2, 4)), p)


def test_temporal_affine_and_cross_entropy_match_torch():
    rng = np.random.default_rng(5)
    N, T, H, V = 3, 4, 5, 6
    h, W, b = rng.standard_normal((N, T, H)), rng.standard_normal((H, V)), rng.standard_normal(V)
    targets = rng.integers(0, V, (N, T))
    mask = rng.random((N, T)) > 0.3
    y = ref.temporal_affine_forward(h, W, b)
    loss, dy = ref.softmax_cross_entropy(y, targets, mask)
    dh, dW, db = ref.temporal_affine_backward(dy, h, W)

    ht, Wt, bt = (torch.tensor(a, requires_grad=True) for a in (h, W, b))
    yt = ht @ Wt + bt
    tt = torch.tensor(np.where(mask, targets, -100))
    lt = torch.nn.functional.cross_entropy(yt.reshape(-1, V), tt.reshape(-1), ignore_index=-100)
    lt.backward()
    assert abs(loss - lt.item()) <= TOL * abs(lt.item())
    assert rel_error(y, yt.detach().numpy()) <= TOL
    for got, want in ((dh, ht.grad), (dW, Wt.grad), (db, bt.grad)):
        assert rel_error(got, want.numpy()) <= TOL


def test_mse_matches_torch_and_masks():
    rng = np.random.default_rng(6)
    pred, target = rng.standard_normal((2, 5, 3)), rng.standard_normal((2, 5, 3))
    loss, dpred = ref.mse_loss(pred, target)
    pt = torch.tensor(pred, requires_grad=True)
    lt = torch.nn.functional.mse_loss(pt, torch.tensor(target))
    lt.backward()
    assert abs(loss - lt.item()) <= TOL * lt.item()
    assert rel_error(dpred, pt.grad.numpy()) <= TOL
    mask = np.zeros((2, 5))
    mask[0, :2] = 1
    loss_m, d_m = ref.mse_loss(pred, target, mask)
    assert np.isclose(loss_m, ((pred[0, :2] - target[0, :2]) ** 2).mean())
    assert np.all(d_m[1] == 0) and np.all(d_m[0, 2:] == 0)


def test_cross_entropy_rejects_out_of_range_targets():
    with pytest.raises(ValueError, match=r"targets: expected integers in \[0, 3\)"):
        ref.softmax_cross_entropy(np.zeros((1, 2, 3)), np.array([[0, 3]]))


def test_numeric_gradient_restores_its_input():
    x = np.arange(6, dtype=np.float64).reshape(2, 3)
    before = x.copy()
    g = numeric_gradient(lambda v: (v ** 2).sum(), x)
    assert np.array_equal(x, before)
    assert rel_error(g, 2 * before) < 1e-9
