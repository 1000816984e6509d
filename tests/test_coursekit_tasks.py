"""coursekit.tasks (the adding problem) and coursekit.train (the demonstration cells' training loop)."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from coursekit.tasks import BASELINE_MSE, adding_problem  # noqa: E402
from coursekit.train import LastStepRegressor, TrainResult, smooth, train_regressor  # noqa: E402


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


# --- the adding problem -------------------------------------------------------------------

@pytest.mark.parametrize("N, T", [(1, 2), (5, 3), (64, 50)])
def test_adding_problem_shapes_and_dtype(N, T):
    x, y = adding_problem(N, T, gen())
    assert x.shape == (N, T, 2) and y.shape == (N, 1)
    assert x.dtype == y.dtype == torch.get_default_dtype()
    x64, _ = adding_problem(N, T, gen(), dtype=torch.float64)
    assert x64.dtype == torch.float64


def test_adding_problem_marks_one_step_in_each_half_and_targets_their_sum():
    N, T = 200, 11
    x, y = adding_problem(N, T, gen(3), dtype=torch.float64)
    values, marker = x[..., 0], x[..., 1]                                   # (N, T) each
    assert torch.all((values >= 0) & (values < 1))
    assert set(marker.unique().tolist()) == {0.0, 1.0}
    half = T // 2
    assert torch.all(marker[:, :half].sum(dim=1) == 1)                      # one mark in the first half
    assert torch.all(marker[:, half:].sum(dim=1) == 1)                      # one in the second half
    # the target, recomputed row by row from the marked positions
    for n in range(N):
        marked = [t for t in range(T) if marker[n, t] == 1]
        assert y[n, 0].item() == pytest.approx(sum(values[n, t].item() for t in marked), abs=1e-12)
    # the marks are not always at the same places
    assert len({tuple(torch.nonzero(marker[n]).flatten().tolist()) for n in range(N)}) > 20


def test_adding_problem_baseline_is_the_variance_of_the_target():
    _, y = adding_problem(20000, 20, gen(1), dtype=torch.float64)
    assert BASELINE_MSE == pytest.approx(1 / 6)
    assert y.mean().item() == pytest.approx(1.0, abs=0.01)
    assert torch.mean((y - 1.0) ** 2).item() == pytest.approx(BASELINE_MSE, rel=0.03)


def test_adding_problem_is_a_function_of_the_seed():
    a = adding_problem(8, 10, gen(7))
    b = adding_problem(8, 10, gen(7))
    c = adding_problem(8, 10, gen(8))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert not torch.equal(a[0], c[0])


@pytest.mark.parametrize("kwargs, word", [
    (dict(N=0, T=5), "N"), (dict(N=2.0, T=5), "N"), (dict(N=True, T=5), "N"),
    (dict(N=2, T=1), "T"), (dict(N=2, T="5"), "T"),
    (dict(N=2, T=5, generator=np.random.default_rng(0)), "generator"),
    (dict(N=2, T=5, dtype=torch.int64), "dtype"),
])
def test_adding_problem_refuses_bad_arguments(kwargs, word):
    kwargs.setdefault("generator", gen())
    with pytest.raises(ValueError, match=rf"^{word}: expected"):
        adding_problem(**kwargs)


# --- the training loop --------------------------------------------------------------------

def tiny_model(seed=0, kind=torch.nn.GRU, H=8):
    torch.manual_seed(seed)
    return LastStepRegressor(kind(2, H, batch_first=True))


def make_batch(n, g):
    return adding_problem(n, 6, g)


def test_regressor_reads_the_last_step():
    model = tiny_model()
    x, _ = adding_problem(4, 6, gen())
    out = model(x)
    assert out.shape == (4, 1)
    expected = model.head(model.recurrent(x)[0][:, -1])
    assert torch.allclose(out, expected)


def test_a_few_steps_reduce_the_loss_and_are_reproducible():
    first = train_regressor(tiny_model(), make_batch, steps=60, lr=1e-2, test_size=200)
    again = train_regressor(tiny_model(), make_batch, steps=60, lr=1e-2, test_size=200)
    assert isinstance(first, TrainResult) and first.curve.shape == (60,)
    assert np.isfinite(first.curve).all() and first.seconds > 0
    assert first.curve[-10:].mean() < 0.5 * first.curve[:10].mean()
    np.testing.assert_array_equal(first.curve, again.curve)                 # same seed, same weights
    assert first.test_mse == again.test_mse
    other = train_regressor(tiny_model(), make_batch, steps=60, lr=1e-2, test_size=200, seed=5)
    assert not np.array_equal(first.curve, other.curve)


def test_test_mse_is_the_mse_of_the_trained_model_on_the_seeded_test_set():
    model = tiny_model(1)
    result = train_regressor(model, make_batch, steps=5, lr=1e-2, test_size=300, seed=2)
    x, y = make_batch(300, torch.Generator().manual_seed(3))
    with torch.no_grad():
        mse = torch.mean((model(x) - y) ** 2).item()
    assert result.test_mse == pytest.approx(mse, rel=1e-5)


def test_clipping_acts_only_above_the_threshold():
    # A threshold above every gradient norm changes nothing; a tiny one rescales every
    # gradient by a different factor at each step, which changes Adam's path.
    a = train_regressor(tiny_model(), make_batch, steps=20, lr=1e-2, clip=None, test_size=50)
    b = train_regressor(tiny_model(), make_batch, steps=20, lr=1e-2, clip=1e6, test_size=50)
    c = train_regressor(tiny_model(), make_batch, steps=20, lr=1e-2, clip=1e-4, test_size=50)
    np.testing.assert_allclose(a.curve, b.curve, rtol=1e-6)
    assert not np.allclose(a.curve, c.curve)


def test_a_diverging_run_stops_with_nan():
    model = tiny_model(kind=torch.nn.RNN)
    with torch.no_grad():
        model.head.weight.fill_(float("nan"))
    result = train_regressor(model, make_batch, steps=10, test_size=20)
    assert np.isnan(result.curve).all() and np.isnan(result.test_mse)


@pytest.mark.parametrize("kwargs, word", [
    (dict(model="gru"), "model"),
    (dict(make_batch=3), "make_batch"),
    (dict(make_batch=lambda n, g: adding_problem(n + 1, 6, g)), "make_batch"),
    (dict(make_batch=lambda n, g: adding_problem(n, 6, g)[0]), "make_batch"),
    (dict(steps=0), "steps"), (dict(steps=2.5), "steps"),
    (dict(lr=0.0), "lr"), (dict(lr=float("nan")), "lr"),
    (dict(clip=-1.0), "clip"),
    (dict(batch_size=0), "batch_size"), (dict(test_size=0), "test_size"), (dict(seed=-1), "seed"),
    (dict(device="gpu0"), "device"),
])
def test_train_regressor_refuses_bad_arguments(kwargs, word):
    args = dict(model=tiny_model(), make_batch=make_batch, steps=3)
    args.update(kwargs)
    with pytest.raises(ValueError, match=rf"^{word}: expected"):
        train_regressor(**args)


def test_train_regressor_refuses_a_model_of_the_wrong_output_size():
    torch.manual_seed(0)
    model = LastStepRegressor(torch.nn.GRU(2, 4, batch_first=True), out_features=3)
    with pytest.raises(ValueError, match=r"^model: expected a prediction of shape \(N, 1\)"):
        train_regressor(model, make_batch, steps=2)


def test_regressor_refuses_bad_layers():
    with pytest.raises(ValueError, match="^recurrent: expected a batch-first"):
        LastStepRegressor(torch.nn.GRU(2, 4))
    with pytest.raises(ValueError, match="^recurrent: expected a recurrent"):
        LastStepRegressor(torch.nn.Linear(2, 4))
    with pytest.raises(ValueError, match="^head: expected a torch.nn.Linear"):
        LastStepRegressor(torch.nn.GRU(2, 4, batch_first=True), head=torch.nn.Linear(5, 1))


def test_rnn_ref_and_torch_nn_train_alike_from_the_same_weights():
    rt = pytest.importorskip("rnn_ref.torch")
    torch.manual_seed(0)
    ours = LastStepRegressor(rt.LSTM(2, 6, dtype=torch.float64))
    theirs = LastStepRegressor(ours.recurrent.to_torch_nn(), head=torch.nn.Linear(6, 1, dtype=torch.float64))
    theirs.head.load_state_dict(ours.head.state_dict())
    # torch.nn stores the LSTM's one bias as two; Adam would move both, so the twin keeps
    # bias_hh frozen at the converter's zero and trains bias_ih alone.
    theirs.recurrent.bias_hh_l0.requires_grad_(False)
    a = train_regressor(ours, make_batch, steps=15, lr=1e-2, test_size=50)
    b = train_regressor(theirs, make_batch, steps=15, lr=1e-2, test_size=50)
    assert np.max(np.abs(a.curve - b.curve)) < 1e-10


def test_smooth_is_a_running_mean():
    np.testing.assert_allclose(smooth([1.0, 3.0, 5.0, 7.0], 2), [1.0, 2.0, 4.0, 6.0])
    np.testing.assert_allclose(smooth([2.0, 4.0], 1), [2.0, 4.0])
    with pytest.raises(ValueError, match="^window: expected"):
        smooth([1.0], 0)
    with pytest.raises(ValueError, match="^curve: expected a 1-d"):
        smooth(np.zeros((2, 2)), 1)
