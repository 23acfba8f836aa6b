"""Does training many XOR networks at once give what training them one by one gives,
and how often does the classic recipe fail?"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backprop_lib.checking import gradcheck
from backprop_lib.nn.datasets import xor
from backprop_lib.lessons.xor import (ROBUST_RECIPE, CLASSIC_RECIPE, Recipe, XorParams, gradients, init_params,
                              init_stack, loss_value, predict, sigmoid, train_loop, train_many)

#: Hypothesis settings for this file, applied per test (a loaded profile would change every file's).
FEW = settings(deadline=None, max_examples=10)

recipes = st.builds(Recipe,
                    hidden=st.integers(1, 5),
                    init=st.sampled_from(["uniform", "symmetric", "xavier"]),
                    scale=st.floats(0.1, 2.0),
                    lr=st.floats(0.01, 1.0),
                    loss=st.sampled_from(["mse", "bce"]),
                    epochs=st.integers(0, 300))
seed_lists = st.lists(st.integers(0, 10**6), min_size=1, max_size=5)


def assert_same_runs(a, b, tol: float = 1e-12) -> None:
    np.testing.assert_array_equal(a.seeds, b.seeds)
    np.testing.assert_allclose(a.y_hat, b.y_hat, rtol=0, atol=tol)
    np.testing.assert_allclose(a.loss, b.loss, rtol=tol, atol=tol)
    np.testing.assert_array_equal(a.solved, b.solved)
    for p, q in zip(a.params, b.params):
        np.testing.assert_allclose(p, q, rtol=tol, atol=tol)


# ------------------------------------------------------------------ vectorised == one at a time
def test_does_the_vectorised_trainer_match_the_plain_loop_for_the_classic_recipe() -> None:
    """Seeds 0, 3 and 12 over the full 10 000 epochs (3 and 12 are seeds that fail)."""
    seeds = [0, 3, 12]
    assert_same_runs(train_many(seeds), train_loop(seeds))


@FEW
@given(recipe=recipes, seeds=seed_lists)
def test_does_the_vectorised_trainer_match_the_plain_loop_for_any_recipe(recipe: Recipe,
                                                                          seeds: list[int]) -> None:
    assert_same_runs(train_many(seeds, recipe), train_loop(seeds, recipe))


@FEW
@given(seeds=seed_lists)
def test_does_a_seed_give_the_same_start_alone_or_in_a_stack(seeds: list[int]) -> None:
    stack = init_stack(seeds, ROBUST_RECIPE)
    for i, s in enumerate(seeds):
        for p_stack, p_alone in zip(stack, init_params(s, ROBUST_RECIPE)):
            np.testing.assert_array_equal(p_stack[i], p_alone)


def test_does_the_classic_recipe_start_like_the_textbook_network() -> None:
    """2-2-1, every weight and bias uniform in [0, 1)."""
    W1, b1, W2, b2 = init_stack(range(50))
    assert (W1.shape, b1.shape, W2.shape, b2.shape) == ((50, 2, 2), (50, 2), (50, 2, 1), (50, 1))
    for p in (W1, b1, W2, b2):
        assert (0 <= p).all() and (p < 1).all()


# ------------------------------------------------------------------ the gradients are the loss's
@pytest.mark.parametrize("loss", ["mse", "bce"])
def test_are_the_trainers_gradients_those_of_the_summed_loss(loss: str) -> None:
    """Finite differences on loss_value(predict(...)), one stack of 3 networks with 3 hidden units."""
    x, y = xor()
    params = init_stack([1, 2, 3], Recipe(hidden=3, init="symmetric"))
    _, grads = gradients(params, x, y, loss)
    for i, (p, dp) in enumerate(zip(params, grads)):
        numeric = gradcheck.numerical_gradient(
            lambda _: float(loss_value(predict(params, x), y, loss).sum()), p)
        assert gradcheck.max_rel_error(dp, numeric, floor=1e-6) < gradcheck.NUMERIC_TOL, XorParams._fields[i]


# ------------------------------------------------------------------ how often does XOR fail?
def test_does_the_classic_recipe_fail_on_about_one_seed_in_five() -> None:
    """Measured: 19 of seeds 0..99 fail (200 of seeds 0..999, 20.0%).

    A failed network is not merely slow: it sits in a local minimum where two
    of its outputs are stuck at about 0.5 (a loss near 2 * 0.5 * 0.5**2 = 0.25),
    while every network that solved XOR is well below that.
    """
    run = train_many(range(100), CLASSIC_RECIPE)
    assert 0.1 <= run.unsolved_fraction <= 0.3, run.unsolved_seeds
    assert len(run.unsolved_seeds) == round(100 * run.unsolved_fraction)
    assert run.loss[~run.solved].min() > 0.25 > 0.1 > run.loss[run.solved].max()
    margin = np.abs(run.y_hat - 0.5).min(axis=1)  # how far the least certain output is from 0.5
    assert np.median(margin[~run.solved]) < 0.01
    assert margin[run.solved].min() > 0.2


def test_does_the_robust_recipe_solve_100_seeds_it_was_not_tuned_on() -> None:
    """ROBUST_RECIPE was chosen on seeds 0..4999; here are 100 others."""
    run = train_many(range(10_000, 10_100), ROBUST_RECIPE)
    assert run.unsolved_fraction == 0.0, run.unsolved_seeds
    assert np.abs(run.y_hat - np.array([0.0, 1.0, 1.0, 0.0])).max() < 0.01


def test_is_cross_entropy_alone_not_enough_with_two_hidden_units() -> None:
    """The failures of the 2-2-1 network are local minima, not slow learning: BCE keeps them."""
    run = train_many(range(100), Recipe(loss="bce", lr=0.5))
    assert run.unsolved_fraction > 0.1


# ------------------------------------------------------------------ the record of training
def test_does_record_every_keep_the_loss_and_parameters_over_time() -> None:
    run = train_many(range(4), Recipe(epochs=1000), record_every=250)
    assert run.loss_history.shape == (4, 5)  # epochs 0, 250, 500, 750, 1000
    assert len(run.snapshots) == 5
    x, y = xor()
    np.testing.assert_allclose(run.loss_history[:, 0], loss_value(predict(init_stack(range(4)), x), y, "mse"))
    np.testing.assert_array_equal(run.loss_history[:, -1], run.loss)
    for p_snap, p_end in zip(run.snapshots[-1], run.params):
        np.testing.assert_array_equal(p_snap, p_end)
    assert (np.diff(run.loss_history, axis=1) < 0).all()  # gradient descent with a small step: the loss falls


def test_does_predict_work_on_a_grid_for_one_network_and_for_a_stack() -> None:
    grid = np.stack(np.meshgrid(np.linspace(0, 1, 7), np.linspace(0, 1, 5)), axis=-1).reshape(-1, 2)
    run = train_many(range(3), Recipe(epochs=10))
    assert predict(run.params, grid).shape == (3, 35, 1)
    one = XorParams(*(p[1] for p in run.params))
    assert predict(one, grid).shape == (35, 1)
    np.testing.assert_allclose(predict(one, grid), predict(run.params, grid)[1], rtol=1e-15)


def test_is_the_tanh_form_of_the_sigmoid_the_logistic_function_without_overflow() -> None:
    z = np.linspace(-30, 30, 601)
    np.testing.assert_allclose(sigmoid(z), 1 / (1 + np.exp(-z)), rtol=1e-13, atol=1e-16)
    with np.errstate(all="raise"):
        assert sigmoid(np.array([-1000.0, 1000.0])).tolist() == [0.0, 1.0]


def test_are_unknown_recipe_options_refused() -> None:
    with pytest.raises(ValueError, match="init"):
        Recipe(init="normal")
    with pytest.raises(ValueError, match="loss"):
        Recipe(loss="hinge")
    with pytest.raises(ValueError):
        Recipe(hidden=0)
