"""delta_plot: one circle per unit, coloured on a shared log scale by the mean |delta| over the batch."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from backprop_lib.pictures.delta_plot import plot_delta_flow, unit_sizes  # noqa: E402


def test_unit_sizes_average_absolute_deltas_over_the_batch():
    d1 = np.array([[1.0, -2.0, 0.0], [-3.0, 2.0, 0.0]])
    d2 = np.array([0.5, -0.25])                       # one example, no batch axis
    s1, s2 = unit_sizes([d1, d2])
    np.testing.assert_allclose(s1, [2.0, 2.0, 0.0])
    np.testing.assert_allclose(s2, [0.5, 0.25])


def test_the_plot_draws_every_unit_and_a_colour_bar():
    rng = np.random.default_rng(0)
    deltas = [rng.normal(size=(5, 3)) * 1e-3, rng.normal(size=(5, 2))]
    weights = [rng.normal(size=(2, 3)), rng.normal(size=(3, 2))]
    ax = plot_delta_flow(deltas, n_inputs=2, weights=weights)
    units = sum(len(c.get_offsets()) for c in ax.collections)
    assert units == 2 + 3 + 2
    assert len(ax.figure.axes) == 2                   # the axes and its colour bar
    assert len(ax.lines) == 2 * 3 + 3 * 2             # one line per weight
    plt.close(ax.figure)


def test_a_dead_unit_and_no_weights_are_fine():
    deltas = [np.zeros((4, 2)), np.ones((4, 1))]
    ax = plot_delta_flow(deltas, n_inputs=1, annotate=False)
    assert not ax.lines
    plt.close(ax.figure)
