"""Decision boundaries of two-input classifiers, as static matplotlib figures.

A classifier here is any function ``predict`` that takes a batch of points
``(k, 2)`` (batch-first, one point per row) and returns the probability of
class 1 for each, shape ``(k, 1)`` or ``(k,)``. :func:`probability_grid`
evaluates it on a regular grid in ONE call (no Python loop over points);
:func:`plot_decision_boundary` draws the probability as a background, the
boundary ``p = 0.5`` as a line, and the data on top.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Sequence

import numpy as np

if TYPE_CHECKING:  # pyplot is imported when a figure is made, not with this module (it is slow to load)
    import matplotlib.pyplot as plt

#: ``predict(points)``: points (k, 2) -> probabilities of class 1, (k, 1) or (k,).
Predict = Callable[[np.ndarray], np.ndarray]


def _limits(values: np.ndarray, margin: float = 0.1) -> tuple[float, float]:
    lo, hi = float(np.min(values)), float(np.max(values))
    pad = margin * (hi - lo) if hi > lo else 1.0
    return lo - pad, hi + pad


def probability_grid(predict: Predict, xlim: Sequence[float], ylim: Sequence[float],
                     n: int = 150) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``predict`` on an ``n`` by ``n`` grid covering ``xlim`` times ``ylim``.

    Returns ``(g1, g2, p)``, three arrays of shape ``(n, n)``: the first and
    second coordinate of each grid point (``np.meshgrid`` layout: ``g1`` varies
    along axis 1) and the predicted probability there. ``predict`` is called
    once, on all ``n * n`` points as a ``(n * n, 2)`` batch.
    """
    if n < 2:
        raise ValueError(f"a grid needs n >= 2 points per side, got {n}")
    g1, g2 = np.meshgrid(np.linspace(xlim[0], xlim[1], n), np.linspace(ylim[0], ylim[1], n))
    points = np.column_stack([g1.ravel(), g2.ravel()])
    p = np.asarray(predict(points), dtype=np.float64)
    if p.size != n * n:
        raise ValueError(f"predict returned shape {p.shape} for {n * n} points; expected ({n * n}, 1) "
                         f"or ({n * n},)")
    return g1, g2, p.reshape(n, n)


def plot_decision_boundary(predict: Predict, x: np.ndarray, y: np.ndarray, ax: plt.Axes | None = None, *,
                           xlim: Sequence[float] | None = None, ylim: Sequence[float] | None = None,
                           n: int = 150, class_names: Sequence[str] = ("class 0", "class 1"),
                           axis_labels: Sequence[str] = ("$x_1$", "$x_2$"), title: str | None = None,
                           colorbar: bool = True) -> plt.Axes:
    """Draw ``predict``'s probability, its 0.5 contour and the labelled data ``x``, ``y``.

    ``x``: (m, 2) points; ``y``: (m, 1) or (m,) labels of 0 and 1. The limits
    default to the data's range plus 10 %. Returns the axes drawn on (a new
    figure of 5.5 by 4.5 inches when ``ax`` is None).
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y).reshape(-1)
    if x.ndim != 2 or x.shape[1] != 2:
        raise ValueError(f"x must have shape (m, 2), one point per row; got {x.shape}")
    if y.shape[0] != x.shape[0]:
        raise ValueError(f"y has {y.shape[0]} labels for {x.shape[0]} points")
    xlim = _limits(x[:, 0]) if xlim is None else xlim
    ylim = _limits(x[:, 1]) if ylim is None else ylim
    g1, g2, p = probability_grid(predict, xlim, ylim, n)
    if ax is None:
        import matplotlib.pyplot as plt
        ax = plt.subplots(figsize=(5.5, 4.5))[1]
    shading = ax.contourf(g1, g2, p, levels=np.linspace(0.0, 1.0, 11), cmap="RdBu", alpha=0.55, vmin=0, vmax=1)
    if p.min() < 0.5 < p.max():
        ax.contour(g1, g2, p, levels=[0.5], colors="k", linewidths=1.5)
    ax.plot([], [], "k-", lw=1.5, label="boundary p = 0.5")
    for label, marker, color in ((0, "x", "C3"), (1, "o", "C0")):
        rows = y == label
        ax.scatter(x[rows, 0], x[rows, 1], marker=marker, s=18, c=color, linewidths=1.2,
                   edgecolors="k" if marker == "o" else None, label=class_names[label])
    if colorbar:
        ax.figure.colorbar(shading, ax=ax, label=f"predicted probability of {class_names[1]}")
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_xlabel(axis_labels[0])
    ax.set_ylabel(axis_labels[1])
    if title:
        ax.set_title(title)
    ax.legend(loc="upper right", fontsize=8, framealpha=0.9)
    return ax
