"""Tests for loss_surfaces: gradients, minima, trajectories, and the contour plot."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from backprop_lib.checking import gradcheck  # noqa: E402
from backprop_lib.nn import optim
from backprop_lib.pictures.loss_surfaces import (BLOWUP, elongated_quadratic, loss_along, plot_trajectories,  # noqa: E402
                                        rosenbrock, run_optimizer, run_step_function)

SURFACES = [elongated_quadratic(), elongated_quadratic(2.0, 30.0), rosenbrock(), rosenbrock(0.5, 10.0)]


@pytest.mark.parametrize("surface", SURFACES, ids=lambda s: s.name)
def test_gradient_matches_central_differences(surface):
    rng = np.random.default_rng(0)
    for _ in range(5):
        theta = rng.uniform(-2, 2, size=2)
        numeric = gradcheck.numerical_gradient(lambda t: surface.loss(t), theta)
        assert gradcheck.max_rel_error(surface.grad(theta), numeric, floor=1e-6) < 1e-6


@pytest.mark.parametrize("surface", SURFACES, ids=lambda s: s.name)
def test_minimum_is_a_stationary_point_with_the_lowest_value(surface):
    best = np.array(surface.minimum)
    assert np.allclose(surface.grad(best), 0.0)
    rng = np.random.default_rng(1)
    others = rng.uniform(-2, 2, size=(200, 2))
    assert surface.loss(best) <= surface.f(others[:, 0], others[:, 1]).min()


def test_contour_function_is_elementwise_on_grids():
    bowl = elongated_quadratic()
    X, Y = np.meshgrid(np.linspace(-1, 1, 4), np.linspace(-2, 2, 3))
    Z = bowl.f(X, Y)
    assert Z.shape == (3, 4)
    assert Z[0, 0] == pytest.approx(bowl.loss(np.array([X[0, 0], Y[0, 0]])))


def test_sgd_on_the_bowl_follows_the_closed_form():
    """Each coordinate is multiplied by (1 - lr * curvature) per step."""
    bowl = elongated_quadratic(1.0, 10.0)
    path = run_optimizer(bowl, optim.SGD(0.05), steps=7)
    k = np.arange(8)
    assert path.shape == (8, 2)
    assert np.allclose(path[:, 0], -4.0 * 0.95 ** k)
    assert np.allclose(path[:, 1], 1.0 * 0.5 ** k)


def test_a_diverging_run_stops_early_and_loss_along_reports_it():
    bowl = elongated_quadratic(1.0, 10.0)
    path = run_optimizer(bowl, optim.SGD(0.5), steps=1000)   # y is multiplied by -4 per step
    assert len(path) < 1001
    assert np.abs(path[-1]).max() > BLOWUP
    losses = loss_along(bowl, path)
    assert losses.shape == (len(path),) and losses[-1] > losses[0]


def test_optimizer_is_reset_so_it_can_be_reused():
    bowl = elongated_quadratic()
    adam = optim.Adam(0.1)
    assert np.array_equal(run_optimizer(bowl, adam, 20), run_optimizer(bowl, adam, 20))


def test_step_function_path_equals_the_library_optimizer():
    surface = rosenbrock()

    def momentum_step(theta, g, state, lr, beta):
        v = beta * state["v"] + g
        return theta - lr * v, {"v": v}

    ours = run_step_function(surface, momentum_step, {"v": np.zeros(2)}, 50, lr=1e-3, beta=0.9)
    library = run_optimizer(surface, optim.Momentum(1e-3, 0.9), 50)
    assert np.allclose(ours, library, rtol=1e-12, atol=1e-12)


def test_custom_start_and_plot():
    bowl = elongated_quadratic()
    path = run_optimizer(bowl, optim.SGD(0.1), 10, start=(1.0, -1.0))
    assert np.array_equal(path[0], [1.0, -1.0])
    ax = plot_trajectories(bowl, {"sgd": path, "one point": path[:1]}, title="t")
    assert ax.get_title() == "t"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "sgd (10 steps)" in labels and "minimum" in labels
    plt.close("all")


def test_curvatures_must_be_positive():
    with pytest.raises(ValueError):
        elongated_quadratic(0.0, 1.0)
