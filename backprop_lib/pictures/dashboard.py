"""A training dashboard for 2-D classifiers: loss curve, accuracy curve and decision regions (lesson 09).

Everything takes a ``predict`` function that maps points ``(k, 2)`` to class
indices ``(k,)`` (integers ``0 .. n_classes - 1``), so any model can be drawn:
a NumPy MLP, a PyTorch module wrapped in a function, a rule written by hand.
"""
from __future__ import annotations

from typing import Callable, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import ListedColormap

#: ``predict(points) -> classes``: points ``(k, 2)``, classes ``(k,)`` of integers.
Predict = Callable[[np.ndarray], np.ndarray]

#: Light fills for the regions and strong colours for the points, one pair per class.
REGION_COLOURS = ("#c6dbef", "#fdd0a2", "#c7e9c0", "#dadaeb", "#fcbba1", "#d9d9d9")
POINT_COLOURS = ("#2171b5", "#d94801", "#238b45", "#6a51a3", "#cb181d", "#525252")


def grid_for(x: np.ndarray, resolution: int = 200, padding: float = 0.15) -> tuple[np.ndarray, np.ndarray]:
    """A ``resolution x resolution`` grid covering the points ``x`` (m, 2) with a margin.

    Returns ``(X, Y)``, each ``(resolution, resolution)``; the margin is
    ``padding`` times the extent of the data on each side.
    """
    x = np.asarray(x, dtype=np.float64)
    low, high = x.min(axis=0), x.max(axis=0)
    margin = padding * np.maximum(high - low, 1e-9)
    xs = np.linspace(low[0] - margin[0], high[0] + margin[0], resolution)
    ys = np.linspace(low[1] - margin[1], high[1] + margin[1], resolution)
    return np.meshgrid(xs, ys)


def plot_decision_regions(predict: Predict, x: np.ndarray, y: np.ndarray, ax: plt.Axes | None = None,
                          title: str | None = None, resolution: int = 200) -> plt.Axes:
    """Colour the plane by the class ``predict`` gives it, and draw the data on top.

    ``x``: (m, 2). ``y``: class indices, (m,) or (m, 1) (a binary column of
    0.0/1.0 works too). Misclassified points are drawn with a black edge.
    """
    ax = ax or plt.subplots(figsize=(4.5, 4.2))[1]
    y = np.asarray(y).reshape(-1).astype(np.int64)
    X, Y = grid_for(x, resolution)
    regions = np.asarray(predict(np.column_stack([X.ravel(), Y.ravel()]))).reshape(-1).astype(np.int64)
    n_classes = int(max(regions.max(), y.max())) + 1
    if n_classes > len(REGION_COLOURS):
        raise ValueError(f"at most {len(REGION_COLOURS)} classes can be drawn, got {n_classes}")
    ax.contourf(X, Y, regions.reshape(X.shape), levels=np.arange(n_classes + 1) - 0.5,
                cmap=ListedColormap(REGION_COLOURS[:n_classes]))
    wrong = np.asarray(predict(np.asarray(x, dtype=np.float64))).reshape(-1).astype(np.int64) != y
    for k in range(n_classes):
        mine = y == k
        ax.scatter(x[mine & ~wrong, 0], x[mine & ~wrong, 1], s=12, color=POINT_COLOURS[k], label=f"class {k}")
        ax.scatter(x[mine & wrong, 0], x[mine & wrong, 1], s=22, color=POINT_COLOURS[k], edgecolors="k",
                   linewidths=1.2)
    ax.set_title(title or f"decision regions ({int(wrong.sum())} of {len(y)} points wrong)")
    ax.set_xlabel("x[:, 0]")
    ax.set_ylabel("x[:, 1]")
    ax.set_aspect("equal", adjustable="box")
    return ax


def plot_training_dashboard(losses: Sequence[float], accuracies: Sequence[float], predict: Predict,
                            x: np.ndarray, y: np.ndarray, target: float | None = None,
                            title: str | None = None) -> plt.Figure:
    """Three panels: the loss per epoch (log scale), the accuracy per epoch, and the decision regions.

    ``losses`` and ``accuracies`` have one entry per epoch (accuracies in
    [0, 1]); ``target``, if given, draws the accuracy to reach as a dashed line.
    """
    fig, (ax_loss, ax_acc, ax_map) = plt.subplots(1, 3, figsize=(13.5, 4), width_ratios=(1, 1, 1.1))
    losses = np.asarray(losses, dtype=np.float64)
    ax_loss.semilogy(np.arange(len(losses)), losses, color="C0")
    ax_loss.set_xlabel("epoch")
    ax_loss.set_ylabel("training loss (log scale)")
    ax_loss.set_title(f"loss: {losses[0]:.3g} -> {losses[-1]:.3g}" if len(losses) else "loss")
    ax_loss.grid(True, alpha=0.3)
    acc = np.asarray(accuracies, dtype=np.float64)
    ax_acc.plot(np.arange(len(acc)), 100 * acc, color="C2")
    if target is not None:
        ax_acc.axhline(100 * target, color="k", ls="--", lw=1, label=f"target {100 * target:g}%")
        ax_acc.legend(loc="lower right", fontsize=8)
    ax_acc.set_ylim(0, 101)
    ax_acc.set_xlabel("epoch")
    ax_acc.set_ylabel("training accuracy (%)")
    ax_acc.set_title(f"accuracy: final {100 * acc[-1]:.1f}%" if len(acc) else "accuracy")
    ax_acc.grid(True, alpha=0.3)
    plot_decision_regions(predict, x, y, ax=ax_map)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
