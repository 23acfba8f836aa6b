"""Tests for the training dashboard: grids, decision regions, the three-panel figure."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from backprop_lib.nn import datasets  # noqa: E402
from backprop_lib.pictures.dashboard import grid_for, plot_decision_regions, plot_training_dashboard  # noqa: E402


def test_grid_covers_the_data_with_a_margin():
    x = np.array([[0.0, -1.0], [2.0, 3.0]])
    X, Y = grid_for(x, resolution=11, padding=0.1)
    assert X.shape == Y.shape == (11, 11)
    assert X.min() == pytest.approx(-0.2) and X.max() == pytest.approx(2.2)
    assert Y.min() == pytest.approx(-1.4) and Y.max() == pytest.approx(3.4)


def test_decision_regions_count_the_wrong_points():
    x, y = datasets.spirals(np.random.default_rng(0), 60)
    always_zero = lambda pts: np.zeros(len(pts), dtype=int)  # noqa: E731
    ax = plot_decision_regions(always_zero, x, y, resolution=30)
    assert ax.get_title() == f"decision regions ({int(np.sum(y != 0))} of 60 points wrong)"
    plt.close("all")


def test_binary_column_labels_work():
    x, y = datasets.moons(np.random.default_rng(1), 40)
    ax = plot_decision_regions(lambda pts: (pts[:, 1] < 0.25).astype(int), x, y, resolution=30, title="moons")
    assert ax.get_title() == "moons"
    plt.close("all")


def test_dashboard_has_three_panels_and_the_target_line():
    x, y = datasets.spirals(np.random.default_rng(2), 30)
    fig = plot_training_dashboard([1.1, 0.5, 0.2], [0.3, 0.6, 0.9], lambda pts: np.zeros(len(pts), int), x, y,
                                  target=0.95, title="demo")
    assert len(fig.axes) == 3
    assert "target 95%" in [t.get_text() for t in fig.axes[1].get_legend().get_texts()]
    assert fig.axes[1].get_title() == "accuracy: final 90.0%"
    plt.close(fig)


def test_too_many_classes_is_refused():
    x = np.random.default_rng(3).normal(size=(10, 2))
    with pytest.raises(ValueError):
        plot_decision_regions(lambda pts: np.full(len(pts), 9), x, np.zeros(10, int), resolution=10)
    plt.close("all")
