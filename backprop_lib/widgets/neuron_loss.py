"""Loss/gradient explorer for one sigmoid neuron (lesson 03): why cross-entropy avoids saturation.

One neuron, ``y_hat = sigmoid(z)`` with ``z = w x + b``, one target ``y``
(0 or 1). The gradient that reaches ``z``, ``delta = dL/dz``, for the two losses::

    MSE   L = (y_hat - y)**2                  delta = 2 (y_hat - y) * y_hat (1 - y_hat)
    BCE   L = -y log y_hat - (1-y) log(1-y_hat)  delta = y_hat - y

When the neuron is confidently WRONG (``z`` far on the wrong side), the
factor ``y_hat (1 - y_hat) = sigmoid'(z)`` makes the MSE gradient vanish: the
neuron learns slowest exactly when it is most wrong. BCE's gradient stays
near ``+-1`` there.

The student's ``bce_delta(z, y)`` (lesson 03, exercise 3: the mean over a
batch, so ``(y_hat - y) / m``) may be passed in; its values, times ``m``,
replace the library's BCE curve. Until that exercise is done, the library's
curve stands in (labelled so, with a note saying which exercise to do), so
that no view ever shows a missing value.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
from matplotlib.figure import Figure

from ._core import ExerciseNotDone, Explorer, call_exercise, draw_notes, few_ticks, new_figure, panel

EXERCISE = "exercise 3 of lesson 03 (bce_delta)"
#: Height (a fraction of the figure) kept free at the bottom for the notes of an exercise not done yet.
NOTE_ROOM = 0.11
#: The z axis of the curves: shape (161,).
Z_GRID = np.linspace(-8.0, 8.0, 161)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(z, dtype=np.float64)))


def _losses(z: np.ndarray, y: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(mse, bce, delta_mse, delta_bce)`` at every element of ``z``; each the shape of ``z``."""
    y_hat = _sigmoid(z)
    with np.errstate(all="ignore"):
        bce = np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))   # stable form of -y log s - (1-y) log(1-s)
    return (y_hat - y) ** 2, bce, 2 * (y_hat - y) * y_hat * (1 - y_hat), y_hat - y


@dataclass(frozen=True)
class NeuronLossState:
    """Both losses and both gradients ``dL/dz`` along ``z_grid`` (k,), and at the chosen ``z``.

    ``z = w * x + b``; ``y_hat = sigmoid(z)``. ``bce_source`` is "library" or
    "yours" (the student's bce_delta); ``notes`` says if it is not done yet.
    """

    w: float
    x: float
    b: float
    z: float
    y: float
    y_hat: float
    z_grid: np.ndarray
    mse: np.ndarray
    bce: np.ndarray
    delta_mse: np.ndarray
    delta_bce: np.ndarray
    delta_mse_at_z: float
    delta_bce_at_z: float
    bce_source: str = "library"
    notes: tuple[str, ...] = field(default=())


def neuron_loss_state(w: float = -3.0, y: float = 1.0, x: float = 1.0, b: float = 0.0,
                      bce_delta: Callable[..., Any] | None = None) -> NeuronLossState:
    """The explorer's state for weight ``w`` (so ``z = w x + b``) and target ``y``."""
    z = float(w) * float(x) + float(b)
    mse, bce, d_mse, d_bce = _losses(Z_GRID, float(y))
    _, _, d_mse_z, d_bce_z = _losses(np.array([z]), float(y))
    source, notes = "library", ()
    if bce_delta is not None:
        source = "yours"
        grid = np.append(Z_GRID, z)                               # (k + 1,): the curve, then the point
        try:
            got = np.asarray(call_exercise(bce_delta, EXERCISE, grid.copy(), np.full_like(grid, float(y))),
                             dtype=np.float64).reshape(-1) * grid.size   # the mean's 1/m undone
            if got.shape != grid.shape:
                raise ExerciseNotDone(f"Your bce_delta returned {got.size} values for {grid.size} inputs: "
                                      "it should return one per example, shape (m,)")
            d_bce, d_bce_z = got[:-1], got[-1:]
        except ExerciseNotDone as exc:  # the library's curve stands in, and the note says so
            source, notes = "library", (f"{exc} Until then the BCE gradient shown is the library's.",)
    return NeuronLossState(float(w), float(x), float(b), z, float(y), float(_sigmoid(z)), Z_GRID,
                           mse, bce, d_mse, d_bce, float(d_mse_z[0]), float(d_bce_z[0]), source, notes)


def neuron_loss_figure(state: NeuronLossState, fig: Figure | None = None) -> Figure:
    """Three panels along z: the neuron's output, the two losses, the two gradients dL/dz."""
    fig = new_figure((9.0, 3.6), fig)
    lift = NOTE_ROOM if state.notes else 0.0  # room for the notes under the verdict line, never over it
    axes = [panel(fig, (0.06 + 0.33 * i, 0.24 + lift, 0.26, 0.64 - lift)) for i in range(3)]
    zg = state.z_grid
    axes[0].plot(zg, _sigmoid(zg), color="C2", lw=2)
    axes[0].axhline(state.y, color="k", ls=":", lw=1)
    axes[0].plot([state.z], [state.y_hat], "o", color="k")
    axes[0].set_title(f"y_hat = σ(z) = {state.y_hat:.4f}\n(target y = {state.y:g}, dotted)", fontsize=9)
    axes[1].plot(zg, state.mse, color="C0", lw=2, label="MSE (y_hat − y)²")
    axes[1].plot(zg, state.bce, color="C1", lw=2, label="BCE")
    axes[1].set_ylim(-0.1, 4.0)
    axes[1].set_title("loss", fontsize=9)
    axes[1].legend(fontsize=7, loc="upper right")
    axes[2].plot(zg, state.delta_mse, color="C0", lw=2, label="MSE: 2(y_hat−y)·σ'(z)")
    if np.isfinite(state.delta_bce).any():
        axes[2].plot(zg, state.delta_bce, color="C1", lw=2, label=f"BCE: y_hat − y ({state.bce_source})")
    axes[2].axhline(0, color="0.5", lw=0.8)
    axes[2].set_ylim(-1.15, 1.15)
    bce_at_z = (f"{state.delta_bce_at_z:+.4f} ({state.bce_source})" if np.isfinite(state.delta_bce_at_z)
                else "not a number from your bce_delta")
    axes[2].set_title(f"gradient dL/dz at z = {state.z:.2f}:\nMSE {state.delta_mse_at_z:+.4f}   "
                      f"BCE {bce_at_z}", fontsize=9)
    axes[2].legend(fontsize=7, loc="lower right" if state.y > 0.5 else "upper right")
    for ax in axes:
        ax.axvline(state.z, color="C3", lw=1)
        ax.set_xlabel("z = w·x + b", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(True, alpha=0.3)
    for ax, values in ((axes[1], (state.mse, state.bce)), (axes[2], (state.delta_mse, state.delta_bce))):
        for v, color in zip(values, ("C0", "C1")):
            k = int(np.argmin(np.abs(zg - state.z)))
            if np.isfinite(v[k]):
                ax.plot([zg[k]], [v[k]], "o", color=color, ms=5)
    wrong = (state.y_hat - 0.5) * (state.y - 0.5) < 0
    verdict = ("confidently wrong: the MSE gradient has all but vanished, BCE's has not"
               if wrong and abs(state.z) > 3 else "wrong, but not saturated" if wrong else "right side of 0.5")
    fig.text(0.5, 0.06 + lift, f"w = {state.w:g}, x = {state.x:g}, b = {state.b:g}  →  z = {state.z:g}:  {verdict}",
             ha="center", fontsize=9)
    draw_notes(fig, state.notes)
    return few_ticks(fig)


class NeuronLossExplorer(Explorer):
    """Controls: the weight w (z = w·x + b with x = 1, b = 0) and the target y. ``bce_delta``: optional."""

    size = (9.0, 3.6)

    def __init__(self, bce_delta: Callable[..., Any] | None = None, w: float = -3.0, y: float = 1.0) -> None:
        import ipywidgets as W

        self.bce_delta = bce_delta
        controls = {
            "w": W.FloatSlider(value=w, min=-8.0, max=8.0, step=0.25, description="w", continuous_update=False),
            "y": W.ToggleButtons(options=[("y = 0", 0.0), ("y = 1", 1.0)], value=y, description="target"),
        }
        super().__init__(controls, name="neuron-loss")

    def compute(self, w: float, y: float) -> NeuronLossState:
        return neuron_loss_state(w, y, bce_delta=self.bce_delta)

    def draw(self, state: NeuronLossState, fig: Figure | None = None) -> Figure:
        return neuron_loss_figure(state, fig)
