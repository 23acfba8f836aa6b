"""A static picture of backpropagation: how big each unit's error term delta is, layer by layer.

:func:`plot_delta_flow` draws a network as columns of circles (inputs on the
left, outputs on the right). Every unit of layer ``l`` is coloured by the
mean over the batch of ``|delta[l]|`` (``delta = d loss/dz``), on one logarithmic
colour scale for the whole network, so that a delta that shrinks (or grows)
as it travels backwards shows at a glance. Lines between units get darker
with ``|W|``. Lesson 04 uses it on a small network; lesson 07 on deep ones.
"""
from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import LogNorm


def unit_sizes(deltas: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Mean ``|delta|`` over the batch for every unit: one array of shape (n[l],) per layer.

    ``deltas[l]`` is (m, n[l]) (batch-first) or (n[l],) (one example).
    """
    return [np.abs(np.atleast_2d(np.asarray(d, dtype=np.float64))).mean(axis=0) for d in deltas]


def plot_delta_flow(deltas: Sequence[np.ndarray], n_inputs: int, weights: Sequence[np.ndarray] | None = None,
                    ax: plt.Axes | None = None, title: str | None = None, annotate: bool = True) -> plt.Axes:
    """Draw the network with each unit coloured by its mean ``|delta|``.

    ``deltas``: one array per layer (layers 1..L), each (m, n[l]);
    ``n_inputs``: the width of the input layer (drawn grey: inputs have no delta);
    ``weights``: optional, one ``W`` of shape (n[l-1], n[l]) per layer, for the
    lines. With ``annotate``, each unit shows its value and each layer the
    root-mean-square of its deltas. Returns the axes.
    """
    sizes = unit_sizes(deltas)
    widths = [n_inputs] + [len(s) for s in sizes]
    ax = ax or plt.subplots(figsize=(1.9 * len(widths) + 1.5, 0.9 * max(widths) + 1.6))[1]
    values = np.concatenate(sizes)
    positive = values[values > 0]
    low = float(positive.min()) if positive.size else 1e-12
    high = float(positive.max()) if positive.size else 1.0
    norm = LogNorm(vmin=low, vmax=max(high, low * 10))
    cmap = plt.get_cmap("viridis")

    def ys(n: int) -> np.ndarray:
        return np.arange(n)[::-1] - (n - 1) / 2.0

    if weights is not None:
        top = max(float(np.abs(W).max()) for W in weights) or 1.0
        for l, W in enumerate(weights):
            for i, y0 in enumerate(ys(widths[l])):
                for j, y1 in enumerate(ys(widths[l + 1])):
                    ax.plot([l, l + 1], [y0, y1], color="0.3", lw=0.4 + 1.6 * abs(W[i, j]) / top,
                            alpha=0.15 + 0.6 * abs(W[i, j]) / top, zorder=1)
    for y0 in ys(n_inputs):
        ax.scatter([0], [y0], s=800, color="0.85", edgecolor="0.4", zorder=2)
    for l, s in enumerate(sizes, start=1):
        for y0, v in zip(ys(len(s)), s):
            colour = cmap(norm(v)) if v > 0 else "white"
            ax.scatter([l], [y0], s=800, color=colour, edgecolor="0.2", zorder=2)
            if annotate:
                ax.text(l, y0, f"{v:.1e}", ha="center", va="center", fontsize=6,
                        color="white" if v > 0 and norm(v) < 0.6 else "black", zorder=3)
    bottom = -max(widths) / 2.0 - 0.3
    ax.text(0, bottom, "input\n(no delta)", ha="center", va="top", fontsize=8)
    for l, d in enumerate(deltas, start=1):
        rms = float(np.sqrt(np.mean(np.square(d))))
        label = f"layer {l}" + (f"\nrms {rms:.1e}" if annotate else "")
        ax.text(l, bottom, label, ha="center", va="top", fontsize=8)
    top_y = max(widths) / 2.0 + 0.2
    ax.annotate("", xy=(0.3, top_y), xytext=(len(sizes) - 0.3, top_y),
                arrowprops={"arrowstyle": "->", "color": "C3", "lw": 1.5})
    ax.text(len(sizes) / 2.0 + 0.15, top_y + 0.12, "delta flows backwards", color="C3", ha="center",
            va="bottom", fontsize=9)
    mappable = plt.cm.ScalarMappable(norm=norm, cmap=cmap)
    ax.figure.colorbar(mappable, ax=ax, label="mean |delta| over the batch", shrink=0.8)
    ax.set_xlim(-0.6, len(sizes) + 0.6)
    ax.set_ylim(bottom - 0.9, top_y + 0.6)
    ax.axis("off")
    ax.set_title(title or "Size of delta = d loss/dz, unit by unit")
    return ax
