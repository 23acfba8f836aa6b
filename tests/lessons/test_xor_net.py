"""Lesson 06's XOR network with dict parameters: gradients, step, loop, epochs to solve, figures."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import given, settings, strategies as st  # noqa: E402

from backprop_lib.checking import gradcheck  # noqa: E402
from backprop_lib.lessons import xor, xor_net
from backprop_lib.nn.datasets import xor as xor_data  # noqa: E402

FEW = settings(deadline=None, max_examples=15)
FAST = xor.Recipe(hidden=4, init="symmetric", lr=1.0, loss="bce", epochs=300)


def random_net(seed: int, H: int, m: int):
    rng = np.random.default_rng(seed)
    params = {"W1": rng.normal(0, 1.5, (2, H)), "b1": rng.normal(0, 1, H),
              "W2": rng.normal(0, 1.5, (H, 1)), "b2": rng.normal(0, 1, 1)}
    x = rng.uniform(-1, 2, (m, 2))
    y = rng.integers(0, 2, (m, 1)).astype(float)
    return params, x, y


@FEW
@given(seed=st.integers(0, 10**6), H=st.integers(1, 5), m=st.integers(1, 6), kind=st.sampled_from(["mse", "bce"]))
def test_backward_matches_central_differences_and_the_stacked_trainer(seed, H, m, kind):
    params, x, y = random_net(seed, H, m)
    y_hat, cache = xor_net.forward(params, x)
    grads = xor_net.backward(params, cache, y, kind)
    report = gradcheck.check_gradients(lambda p: xor_net.loss(xor_net.forward(p, x)[0], y, kind),
                                       {k: v.copy() for k, v in params.items()}, grads)
    assert report.passed, str(report)
    y_hat2, grads2 = xor.gradients(xor.XorParams(*(params[k] for k in xor_net.PARAM_NAMES)), x, y, kind)
    np.testing.assert_allclose(y_hat, y_hat2, rtol=1e-12)
    for k, g in zip(xor_net.PARAM_NAMES, grads2):
        np.testing.assert_allclose(grads[k], g, rtol=1e-12, atol=1e-15)
        assert grads[k].shape == params[k].shape


def test_init_draws_what_the_stacked_trainer_draws():
    for seed in (0, 3, 12345):
        for k, p in zip(xor_net.PARAM_NAMES, xor.init_params(seed, FAST)):
            np.testing.assert_array_equal(xor_net.init(seed, FAST)[k], p)


def test_a_step_returns_the_loss_before_the_update_and_moves_every_parameter_downhill():
    x, y = xor_data()
    params = xor_net.init(0)
    before = {k: v.copy() for k, v in params.items()}
    y_hat, cache = xor_net.forward(before, x)
    grads = xor_net.backward(before, cache, y)
    loss, got_y_hat = xor_net.train_step(params, x, y, 0.1, xor_net.library_ops())
    assert loss == pytest.approx(xor_net.loss(y_hat, y))
    np.testing.assert_array_equal(got_y_hat, y_hat)
    for k in xor_net.PARAM_NAMES:
        np.testing.assert_allclose(params[k], before[k] - 0.1 * grads[k])
    assert xor_net.loss(xor_net.forward(params, x)[0], y) < loss


def test_the_loop_and_the_vectorised_sweep_agree_on_epochs_to_solve():
    x, y = xor_data()
    seeds = [0, 1, 2, 7]
    sweep = xor_net.epochs_to_solve(seeds, FAST)
    for seed, epochs in zip(seeds, sweep.epochs):
        params = xor_net.init(seed, FAST)
        history, solved_at = xor_net.train(params, x, y, FAST.lr, FAST.epochs, xor_net.library_ops("bce"))
        assert history.shape == (FAST.epochs,)
        assert solved_at == epochs
        assert history[-1] < history[0]


def test_stopping_early_changes_nothing_but_the_work_done():
    seeds = range(20)
    a = xor_net.epochs_to_solve(seeds, FAST)
    b = xor_net.epochs_to_solve(seeds, FAST, stop_when_all_solved=False)
    np.testing.assert_array_equal(a.epochs, b.epochs)
    assert a.n_solved == 20 and "20 of 20 seeds solved" in str(a)


def test_the_seeds_recipe_leaves_seed_3_unsolved_and_solves_seed_1():
    sweep = xor_net.epochs_to_solve([1, 3], xor.CLASSIC_RECIPE)
    assert np.isfinite(sweep.epochs[0]) and sweep.epochs[0] > 1000
    assert sweep.unsolved_seeds == [3]
    assert np.isclose(sweep.y_hat[1], [0.06, 0.50, 0.92, 0.51], atol=0.01).all()


def test_ops_from_uses_what_works_and_replaces_what_does_not(capsys):
    def unfinished(*args):
        raise NotImplementedError

    def wrong_backward(params, cache, y):
        return {k: -g for k, g in xor_net.backward(params, cache, y).items()}

    ops = xor_net.ops_from(xor_net.forward, wrong_backward, unfinished)
    assert ops.forward is xor_net.forward
    assert "forward" in capsys.readouterr().out
    x, y = xor_data()
    params = xor_net.init(0)
    history, _ = xor_net.train(params, x, y, 0.1, 50, ops)
    assert history[-1] < history[0]   # the library's backward stood in for the wrong one
    xor_net.ops_from(unfinished, unfinished, unfinished)
    assert "none yet" in capsys.readouterr().out


def test_recipe_or_none(capsys):
    assert xor_net.recipe_or_none(lambda: {"hidden": 3, "lr": 0.5}) == xor.Recipe(hidden=3, lr=0.5)
    assert xor_net.recipe_or_none(lambda: FAST) is FAST

    def unfinished():
        raise NotImplementedError

    assert xor_net.recipe_or_none(unfinished) is None
    assert xor_net.recipe_or_none(lambda: {"width": 3}) is None
    assert "not written yet" in capsys.readouterr().out


def test_the_figures_draw():
    runs = xor.train_many([0], xor.Recipe(epochs=100), record_every=50)
    snaps = [(50 * i, xor_net.as_dict(xor.XorParams(*(p[0] for p in s)))) for i, s in enumerate(runs.snapshots)]
    axes = xor_net.plot_decision_snapshots(snaps, resolution=20)
    assert len(axes) == 3
    sweeps = {"fast": xor_net.epochs_to_solve(range(5), FAST),
              "short": xor_net.epochs_to_solve(range(5), xor.Recipe(epochs=50))}
    ax = xor_net.plot_epochs_to_solve(sweeps)
    assert "5 of 5 never solved" in [t.get_text() for t in ax.get_legend().get_texts()][1]
    plt.close("all")
