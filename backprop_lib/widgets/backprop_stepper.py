"""Backprop stepper (lessons 04 and 05): a 2-3-1 network, forward then backward, one layer per step.

The network of lesson 05 (ReLU hidden layer, sigmoid output, mean binary
cross-entropy) on a batch of ``m = 4`` examples, batch-first::

    step 1  layer 1 forward    z1 = x W1 + b1 (4, 3)        a1 = relu(z1) (4, 3)
    step 2  layer 2 forward    z2 = a1 W2 + b2 (4, 1)       y_hat = sigmoid(z2) (4, 1), the loss
    step 3  layer 2 backward   delta2 = (y_hat - y) / m     dW2 = a1^T delta2 (3, 1)   (BP1, BP3)
    step 4  layer 1 backward   delta1 = (delta2 W2^T) * relu'(z1) (4, 3)   dW1 = x^T delta1 (2, 3)   (BP2, BP3)

Every array is drawn as an annotated heatmap: rows are examples (or the
input units, for dW), columns are units.

The layer functions are pluggable, in the form of lesson 05's exercises:
``dense_forward(x, W, b) -> (z, cache)``, ``dense_backward(dout, cache) ->
(dx, dW, db)`` and ``relu_backward(dout, z) -> dz`` (the cache of a ReLU is
its input ``z``). Whatever is not passed in is the library's. Each stage
computed with the student's functions is compared with the library's and
marked ✔ or ✗; a function not implemented yet stops the stepper at the
stage that needs it, with a message naming the exercise.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
from matplotlib.figure import Figure

from ..nn import datasets, layers, mlp
from ..nn.activations import ACTIVATIONS, relu, sigmoid
from ._core import ExerciseNotDone, Explorer, call_exercise, draw_notes, few_ticks, new_figure, panel

EXERCISES = {"dense_forward": "exercise 1 of lesson 05 (dense_forward)",
             "dense_backward": "exercise 2 of lesson 05 (dense_backward)",
             "relu_backward": "exercise 3 of lesson 05 (relu_backward)"}
STAGES = ("start", "layer 1 forward", "layer 2 forward", "layer 2 backward", "layer 1 backward")
SIZES = (2, 3, 1)
M = 4


def library_relu_backward(dout: np.ndarray, z: np.ndarray) -> np.ndarray:
    """``dz = dout * relu'(z)``, shapes (m, n): the library's, in lesson 05's form (cache = z)."""
    return layers.activation_backward(dout, (z, ACTIVATIONS["relu"]))


def batch(seed: int) -> tuple[np.ndarray, np.ndarray, mlp.Params]:
    """``(x (4, 2), y (4, 1), params)``: four students of lesson 05 (hours standardised) and a fresh 2-3-1 network."""
    rng = np.random.default_rng(seed)
    x, y = datasets.study_sleep(rng, M)
    x = (x - np.array([5.0, 6.5])) / np.array([2.9, 2.0])
    return x, y, mlp.init_params(list(SIZES), rng, "he")


@dataclass(frozen=True)
class StepperState:
    """The arrays of the 2-3-1 network, of which the first ``step`` stages (0..4) are shown.

    ``arrays`` maps names to arrays: ``x`` (4, 2), ``y`` (4, 1), ``W1`` (2, 3),
    ``W2`` (3, 1), ``z1``, ``a1``, ``delta1`` (4, 3), ``dW1`` (2, 3), ``db1``
    (3,), ``z2``, ``a2`` (= y_hat), ``delta2`` (4, 1), ``dW2`` (3, 1), ``db2``
    (1,). Every stage is computed whatever the step (so that a function not
    done yet is reported at once); ``available`` is the number of stages
    that could be computed (see ``notes``). ``agrees[stage]`` says whether
    that stage matches the library's (True when the library computed it).
    """

    seed: int
    step: int
    available: int
    loss: float
    arrays: dict[str, np.ndarray]
    agrees: dict[int, bool]
    sources: dict[str, str]
    notes: tuple[str, ...] = field(default=())

    @property
    def shown(self) -> int:
        """The stages on display: the step, or fewer if a stage could not be computed."""
        return min(self.step, self.available)

    def visible(self) -> dict[str, np.ndarray]:
        """The arrays of the stages on display (and the inputs ``x``, ``y``, ``W1``, ``W2``)."""
        return {k: v for k, v in self.arrays.items() if STAGE_OF.get(k, 0) <= self.shown}


def _reference(x: np.ndarray, y: np.ndarray, params: mlp.Params) -> dict[str, np.ndarray]:
    W1, b1, W2, b2 = params[0]["W"], params[0]["b"], params[1]["W"], params[1]["b"]
    z1 = x @ W1 + b1
    a1 = relu(z1)
    z2 = a1 @ W2 + b2
    a2 = sigmoid(z2)
    delta2 = (a2 - y) / len(x)
    delta1 = (delta2 @ W2.T) * (z1 > 0)
    return {"z1": z1, "a1": a1, "z2": z2, "a2": a2, "delta2": delta2, "dW2": a1.T @ delta2,
            "db2": delta2.sum(0), "delta1": delta1, "dW1": x.T @ delta1, "db1": delta1.sum(0)}


STAGE_ARRAYS = {1: ("z1", "a1"), 2: ("z2", "a2"), 3: ("delta2", "dW2", "db2", "dout1"), 4: ("delta1", "dW1", "db1")}


def stepper_state(step: int = 4, seed: int = 0, dense_forward: Callable[..., Any] | None = None,
                  dense_backward: Callable[..., Any] | None = None,
                  relu_backward: Callable[..., Any] | None = None) -> StepperState:
    """Run the network with the given layer functions (the library's where None); show ``step`` stages."""
    step = max(0, min(int(step), len(STAGES) - 1))
    x, y, params = batch(seed)
    W1, b1, W2, b2 = params[0]["W"], params[0]["b"], params[1]["W"], params[1]["b"]
    fns = {"dense_forward": dense_forward or layers.dense_forward,
           "dense_backward": dense_backward or layers.dense_backward,
           "relu_backward": relu_backward or library_relu_backward}
    sources = {k: ("library" if v is None else "yours")
               for k, v in (("dense_forward", dense_forward), ("dense_backward", dense_backward),
                            ("relu_backward", relu_backward))}

    def call(name: str, *args: Any) -> Any:
        return call_exercise(fns[name], EXERCISES[name], *args)

    ref = _reference(x, y, params)
    arrays: dict[str, np.ndarray] = {"x": x, "y": y, "W1": W1, "W2": W2}
    agrees: dict[int, bool] = {}
    notes: tuple[str, ...] = ()
    available = 0
    caches: dict[str, Any] = {}
    try:
        for stage in range(1, len(STAGES)):
            if stage == 1:
                z1, caches["1"] = call("dense_forward", x, W1, b1)
                arrays.update(z1=np.asarray(z1, dtype=np.float64), a1=relu(np.asarray(z1, dtype=np.float64)))
            elif stage == 2:
                z2, caches["2"] = call("dense_forward", arrays["a1"], W2, b2)
                arrays.update(z2=np.asarray(z2, dtype=np.float64), a2=sigmoid(np.asarray(z2, dtype=np.float64)))
            elif stage == 3:
                delta2 = (arrays["a2"] - y) / M          # BP1 for sigmoid + mean BCE: delta = (y_hat - y) / m
                dout1, dW2, db2 = call("dense_backward", delta2, caches["2"])
                arrays.update(delta2=delta2, dW2=np.asarray(dW2, dtype=np.float64),
                              db2=np.asarray(db2, dtype=np.float64), dout1=np.asarray(dout1, dtype=np.float64))
            else:
                delta1 = np.asarray(call("relu_backward", arrays["dout1"], arrays["z1"]), dtype=np.float64)
                _, dW1, db1 = call("dense_backward", delta1, caches["1"])
                arrays.update(delta1=delta1, dW1=np.asarray(dW1, dtype=np.float64),
                              db1=np.asarray(db1, dtype=np.float64))
            agrees[stage] = all(arrays[k].shape == ref[k].shape and np.allclose(arrays[k], ref[k], atol=1e-10)
                                for k in STAGE_ARRAYS[stage] if k in ref)
            available = stage
    except ExerciseNotDone as exc:
        notes = (str(exc),)
    except Exception as exc:  # noqa: BLE001 - a student's output that breaks the next stage
        notes = (f"Stage '{STAGES[available + 1]}' failed on what your functions returned: "
                 f"{type(exc).__name__}: {exc}",)
    loss = float(np.mean(-(y * np.log(ref["a2"]) + (1 - y) * np.log(1 - ref["a2"]))))
    return StepperState(int(seed), step, available, loss, arrays, agrees, sources, notes)


#: The panels: (row, column, array name, title).
PANELS = [(0, 0, "z1", "z1 = x W1 + b1"), (0, 1, "a1", "a1 = relu(z1)"), (0, 2, "delta1", "delta1 (BP2)"),
          (0, 3, "dW1", "dW1 = xᵀ delta1 (BP3)"),
          (1, 0, "z2", "z2 = a1 W2 + b2"), (1, 1, "a2", "y_hat = σ(z2)"), (1, 2, "delta2", "delta2 (BP1)"),
          (1, 3, "dW2", "dW2 = a1ᵀ delta2 (BP3)")]
STAGE_OF = {name: stage for stage, names in STAGE_ARRAYS.items() for name in names}


def _heatmap(ax: Any, a: np.ndarray, title: str) -> None:
    a = np.atleast_2d(a)
    top = float(np.max(np.abs(a))) or 1.0
    ax.imshow(a, cmap="RdBu_r", vmin=-top, vmax=top, aspect="auto")
    if a.size <= 24:
        for (i, j), v in np.ndenumerate(a):
            ax.text(j, i, f"{round(v, 2) + 0.0:.2f}" if abs(v) >= 0.01 or v == 0 else f"{v:.0e}", ha="center", va="center",
                    fontsize=7, color="white" if abs(v) > 0.6 * top else "black")
    ax.set_title(title, fontsize=8)
    ax.set_xticks([])
    ax.set_yticks([])


def stepper_figure(state: StepperState, fig: Figure | None = None) -> Figure:
    """Heatmaps of z, a, delta and dW for both layers, those not computed yet left blank."""
    fig = new_figure((9.0, 4.2), fig)
    shown = state.shown
    for row, col, name, title in PANELS:
        ax = panel(fig, (0.02 + 0.245 * col, 0.52 - 0.42 * row + 0.02, 0.2, 0.3))
        stage = STAGE_OF[name]
        if stage <= shown and name in state.arrays:
            mark = "" if stage not in state.agrees else ("  ✔" if state.agrees[stage] else "  ✗ differs from the library")
            _heatmap(ax, state.arrays[name], title + mark)
            if mark.startswith("  ✗"):
                ax.title.set_color("C3")
        else:
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(title, fontsize=8, color="0.6")
            # what fills this panel, and when: never a bare "?" (a static copy of the widget shows this)
            waiting = (f"shown at step {stage}\n({STAGES[stage]})" if stage <= state.available
                       else "cannot be computed yet:\nsee the note below")
            ax.text(0.5, 0.5, waiting, ha="center", va="center", fontsize=7.5, color="0.45",
                    transform=ax.transAxes)
    fig.text(0.01, 0.97, f"2-3-1 network, batch of {M}: step {state.step} of {len(STAGES) - 1}, "
             f"{STAGES[state.step]}" + (f"   (mean cross-entropy loss = {state.loss:.4f})" if shown >= 2 else ""),
             fontsize=9.5, va="top")
    yours = [k for k, v in state.sources.items() if v == "yours"]
    fig.text(0.99, 0.97, "your " + ", ".join(yours) if yours else "library functions", fontsize=8,
             ha="right", va="top", color="0.35")
    draw_notes(fig, state.notes)
    return few_ticks(fig)


class BackpropStepper(Explorer):
    """Buttons 'next step' / 'previous step', a step slider, a seed. Layer functions: the student's, optional."""

    size = (9.0, 4.2)

    def __init__(self, dense_forward: Callable[..., Any] | None = None,
                 dense_backward: Callable[..., Any] | None = None,
                 relu_backward: Callable[..., Any] | None = None, seed: int = 0) -> None:
        import ipywidgets as W

        self.pieces = {"dense_forward": dense_forward, "dense_backward": dense_backward,
                       "relu_backward": relu_backward}
        controls = {"step": W.IntSlider(value=0, min=0, max=len(STAGES) - 1, description="step",
                                        continuous_update=False),
                    "seed": W.IntSlider(value=seed, min=0, max=20, description="seed", continuous_update=False)}
        self.next_button = W.Button(description="next step", icon="arrow-right")
        self.previous_button = W.Button(description="previous step", icon="arrow-left")
        for button in (self.next_button, self.previous_button):
            button.add_class("backprop-button")
        self.next_button.on_click(lambda _: self._move(+1))
        self.previous_button.on_click(lambda _: self._move(-1))
        super().__init__(controls, extra=[W.HBox([self.previous_button, self.next_button])], name="stepper")

    def _move(self, by: int) -> None:
        s = self.controls["step"]
        s.value = max(s.min, min(s.max, s.value + by))

    def compute(self, step: int, seed: int) -> StepperState:
        return stepper_state(step, seed, **self.pieces)

    def draw(self, state: StepperState, fig: Figure | None = None) -> Figure:
        return stepper_figure(state, fig)
