"""Does the decision-boundary helper evaluate the classifier on the right grid and draw the right things?"""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.contour import ContourSet  # noqa: E402

from backprop_lib.pictures.boundary import plot_decision_boundary, probability_grid  # noqa: E402


def above_diagonal(points: np.ndarray) -> np.ndarray:
    """Probability 1 above the line x2 = x1, smoothly: sigmoid(5 (x2 - x1)), shape (k, 1)."""
    return 1 / (1 + np.exp(-5 * (points[:, 1:2] - points[:, 0:1])))


def test_grid_covers_the_limits_in_meshgrid_layout():
    g1, g2, p = probability_grid(above_diagonal, (0, 2), (-1, 3), n=5)
    assert g1.shape == g2.shape == p.shape == (5, 5)
    assert g1[0].tolist() == [0, 0.5, 1, 1.5, 2] and (g1 == g1[0]).all()
    assert g2[:, 0].tolist() == [-1, 0, 1, 2, 3]
    np.testing.assert_allclose(p, 1 / (1 + np.exp(-5 * (g2 - g1))))


def test_predict_is_called_once_on_a_batch():
    calls = []

    def predict(points):
        calls.append(points.shape)
        return np.zeros(len(points))

    probability_grid(predict, (0, 1), (0, 1), n=7)
    assert calls == [(49, 2)]


def test_a_prediction_of_the_wrong_size_is_an_error():
    with pytest.raises(ValueError, match="expected"):
        probability_grid(lambda pts: np.zeros((3, 1)), (0, 1), (0, 1), n=4)
    with pytest.raises(ValueError, match="n >= 2"):
        probability_grid(above_diagonal, (0, 1), (0, 1), n=1)


def test_plot_draws_background_boundary_and_both_classes():
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (40, 2))
    y = (x[:, 1] > x[:, 0]).astype(float)[:, None]
    fig, ax = plt.subplots()
    out = plot_decision_boundary(above_diagonal, x, y, ax=ax, class_names=("fail", "pass"),
                                 axis_labels=("study", "sleep"), title="t")
    assert out is ax
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["boundary p = 0.5", "fail", "pass"]
    assert ax.get_xlabel() == "study" and ax.get_title() == "t"
    # the 0.5 contour of sigmoid(5 (x2 - x1)) is the diagonal
    lines = [c for c in ax.collections if isinstance(c, ContourSet) and list(c.levels) == [0.5]]
    assert len(lines) == 1
    pts = np.concatenate(lines[0].allsegs[0])
    assert np.ptp(pts[:, 0]) > 1.0
    np.testing.assert_allclose(pts[:, 1], pts[:, 0], atol=0.05)
    plt.close(fig)


def test_plot_accepts_flat_labels_and_rejects_bad_shapes():
    x = np.array([[0.0, 1.0], [1.0, 0.0]])
    ax = plot_decision_boundary(above_diagonal, x, np.array([1, 0]), colorbar=False)
    plt.close(ax.figure)
    with pytest.raises(ValueError, match=r"\(m, 2\)"):
        plot_decision_boundary(above_diagonal, x[:, :1], np.array([1, 0]))
    with pytest.raises(ValueError, match="labels"):
        plot_decision_boundary(above_diagonal, x, np.array([1, 0, 1]))
