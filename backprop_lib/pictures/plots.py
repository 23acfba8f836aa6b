"""Static matplotlib figures used by the lessons (each widget has one of these as its static view)."""
from __future__ import annotations

from typing import Callable

import matplotlib.pyplot as plt
import numpy as np

from ..checking.gradcheck import step_size_errors


def plot_step_size_errors(f: Callable[[np.ndarray], np.ndarray], df: Callable[[np.ndarray], np.ndarray],
                          x: float, steps: np.ndarray | None = None, ax: plt.Axes | None = None,
                          title: str | None = None) -> plt.Axes:
    """Log-log plot of the error of forward and central differences against the step h.

    ``steps`` has shape ``(k,)`` (default: 1e-14 to 1e-1). Reference lines of
    slope 1 and 2 show the truncation error; the rise on the left is round-off.
    """
    steps = np.logspace(-14, -1, 53) if steps is None else np.asarray(steps, dtype=np.float64)
    fwd, cen = step_size_errors(f, df, x, steps)
    ax = ax or plt.subplots(figsize=(6.5, 4))[1]
    tiny = np.finfo(np.float64).tiny  # an error of exactly 0 cannot be drawn on a log axis
    ax.loglog(steps, np.maximum(fwd, tiny), "o-", ms=3, label="forward difference")
    ax.loglog(steps, np.maximum(cen, tiny), "s-", ms=3, label="central difference")
    best_f, best_c = steps[np.argmin(fwd)], steps[np.argmin(cen)]
    ax.axvline(best_f, color="C0", ls=":", lw=1)
    ax.axvline(best_c, color="C1", ls=":", lw=1)
    ax.set_xlabel("step h")
    ax.set_ylabel("|numeric - exact|")
    ax.set_ylim(max(min(fwd.min(), cen.min()) / 10, 1e-18), None)
    ax.set_title(title or f"Error of finite differences at x = {x:g}")
    ax.legend(title=f"best h: forward {best_f:.0e}, central {best_c:.0e}", fontsize=8, title_fontsize=8)
    ax.grid(True, which="major", alpha=0.3)
    return ax
