"""XOR trainer (lesson 06): the decision boundary and the loss of a 2-H-1 sigmoid network as it trains.

One network (a :class:`~backprop_lib.lessons.xor.Recipe` and a seed) is trained with
the library's :func:`backprop_lib.lessons.xor.gradients` in CHUNKS, on demand: moving
the epoch slider to an epoch not reached yet trains up to it, and every
``SNAPSHOT_EVERY`` epochs a copy of the parameters is kept, so moving back
(or forward again) costs nothing but the drawing. Trainings are cached by
(recipe, seed), so going back to a setting is instant too.

The seed sweep trains ``N`` seeds of the same recipe at once with
:func:`backprop_lib.lessons.xor.train_many` and counts how many solve XOR (all four
outputs on the right side of 0.5): the lesson's question, "how often does
the classic 2-2-1 network fail?".
"""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from ..lessons import xor, xor_net
from ..nn.datasets import xor as xor_data
from ._core import DPI, Explorer, few_ticks, new_figure, offscreen_figure, panel, png_bytes, quiet, slider_style

#: Parameters are kept every this many epochs; the epoch slider moves in these steps.
SNAPSHOT_EVERY = 50
#: The epoch slider's end.
MAX_EPOCHS = 4000
#: Trainings kept in memory (each holds MAX_EPOCHS / SNAPSHOT_EVERY small snapshots).
CACHE_SIZE = 32
#: Points per side of the decision-boundary grid.
GRID = 60
LIMITS = (-0.5, 1.5)


class XorTraining:
    """One network's training, done in chunks when asked for and remembered.

    ``snapshots[k]`` holds the parameters after ``k * every`` epochs;
    ``losses[t]`` is the loss (summed over the four examples, as trained)
    of the parameters after ``t`` epochs, for every ``t`` trained so far.
    """

    def __init__(self, recipe: xor.Recipe, seed: int, every: int = SNAPSHOT_EVERY) -> None:
        self.recipe = recipe
        self.seed = int(seed)
        self.every = int(every)
        self._params = xor.XorParams(*(p.copy() for p in xor.init_params(self.seed, recipe)))
        self.snapshots: list[xor.XorParams] = [xor.XorParams(*(p.copy() for p in self._params))]
        self.losses: list[float] = []
        self.trained = 0

    def ensure(self, epoch: int) -> None:
        """Train until the parameters after ``epoch`` epochs (rounded up to a snapshot) are known."""
        x, y = xor_data()
        target = -(-int(epoch) // self.every) * self.every
        with np.errstate(all="ignore"):
            while self.trained < target:
                for _ in range(self.every):
                    y_hat, grads = xor.gradients(self._params, x, y, self.recipe.loss)
                    self.losses.append(float(xor.loss_value(y_hat, y, self.recipe.loss)))
                    for p, dp in zip(self._params, grads):
                        p -= self.recipe.lr * dp
                self.trained += self.every
                self.snapshots.append(xor.XorParams(*(p.copy() for p in self._params)))

    def params_at(self, epoch: int) -> xor.XorParams:
        """The parameters after ``epoch`` epochs, rounded down to a snapshot (trains if needed)."""
        self.ensure(epoch)
        return self.snapshots[int(epoch) // self.every]

    def loss_curve(self, epoch: int) -> np.ndarray:
        """The losses after 0, 1, ..., ``epoch`` epochs: shape (epoch + 1,)."""
        self.ensure(epoch + 1)
        return np.array(self.losses[: int(epoch) + 1])


_CACHE: OrderedDict[tuple[xor.Recipe, int], XorTraining] = OrderedDict()


def training(recipe: xor.Recipe, seed: int) -> XorTraining:
    """The cached :class:`XorTraining` of ``(recipe, seed)`` (epochs ignored), made if new."""
    key = (replace(recipe, epochs=0), int(seed))
    if key in _CACHE:
        _CACHE.move_to_end(key)
    else:
        _CACHE[key] = XorTraining(key[0], seed)
        while len(_CACHE) > CACHE_SIZE:
            _CACHE.popitem(last=False)
    return _CACHE[key]


@dataclass(frozen=True)
class XorState:
    """The network of ``recipe`` and ``seed`` after ``epoch`` epochs.

    ``y_hat`` (4,): outputs on 00, 01, 10, 11; ``losses`` (epoch + 1,): the
    loss curve so far; ``g1``, ``g2``, ``p`` (GRID, GRID): the grid and the
    predicted probability there.
    """

    recipe: xor.Recipe
    seed: int
    epoch: int
    y_hat: np.ndarray
    solved: bool
    losses: np.ndarray
    g1: np.ndarray
    g2: np.ndarray
    p: np.ndarray
    notes: tuple[str, ...] = field(default=())


def xor_state(hidden: int = 2, init: str = "uniform", lr: float = 0.5, loss: str = "mse", seed: int = 0,
              epoch: int = 1000) -> XorState:
    """Train (or recall) the network and describe it after ``epoch`` epochs (rounded down to a snapshot)."""
    recipe = xor.Recipe(hidden=int(hidden), init=init, lr=float(lr), loss=loss, epochs=0)
    run = training(recipe, seed)
    epoch = int(epoch) // run.every * run.every
    params = run.params_at(epoch)
    x, y = xor_data()
    g1, g2 = np.meshgrid(np.linspace(*LIMITS, GRID), np.linspace(*LIMITS, GRID))
    p = xor.predict(params, np.column_stack([g1.ravel(), g2.ravel()])).reshape(GRID, GRID)
    y_hat = xor.predict(params, x)
    return XorState(recipe, int(seed), epoch, y_hat[:, 0], bool(xor.solved(y_hat, y)), run.loss_curve(epoch),
                    g1, g2, p)


def draw_boundary(ax: Any, g1: np.ndarray, g2: np.ndarray, p: np.ndarray, y_hat: np.ndarray | None) -> None:
    """The probability of class 1 on the grid (red near 0, blue near 1), the 0.5 line, and the four XOR points.

    Target 0 is a red cross, target 1 a blue dot, a black ring marks a point on the wrong side of 0.5
    (:func:`backprop_lib.lessons.xor_net.draw_xor_points`, shared with the lesson's static pictures).
    """
    x, _ = xor_data()
    ax.imshow(p, origin="lower", extent=(*LIMITS, *LIMITS), cmap=xor_net.CMAP, vmin=0, vmax=1, alpha=0.7,
              interpolation="bilinear")
    if p.min() < 0.5 < p.max():
        ax.contour(g1, g2, p, levels=[0.5], colors="k", linewidths=1.5)
    # the same colours and markers as the lesson's static pictures (xor_net.TARGET_STYLE), with a legend
    xor_net.draw_xor_points(ax, y_hat, size=9.0)
    if y_hat is not None:
        for (a, b), k in zip(x, range(4)):
            ax.annotate(f"{y_hat[k]:.2f}", (a, b), xytext=(8, 6), textcoords="offset points", fontsize=8)
    ax.set_xlim(*LIMITS)
    ax.set_ylim(*LIMITS)
    ax.set_xlabel("$x_1$", fontsize=8)
    ax.set_ylabel("$x_2$", fontsize=8)
    ax.tick_params(labelsize=7)


def xor_figure(state: XorState, fig: Figure | None = None) -> Figure:
    """Decision boundary after ``state.epoch`` epochs, beside the loss curve up to then."""
    fig = new_figure((8.5, 3.6), fig)
    left = panel(fig, (0.07, 0.14, 0.36, 0.72))
    draw_boundary(left, state.g1, state.g2, state.p, state.y_hat)
    verdict = "solved" if state.solved else "not solved"
    left.set_title(f"epoch {state.epoch}: {verdict}", fontsize=10, color="C2" if state.solved else "C3")
    right = panel(fig, (0.55, 0.14, 0.42, 0.72))
    t = np.arange(len(state.losses))
    right.semilogy(t, np.maximum(state.losses, 1e-12), color="C0")
    right.plot([t[-1]], [max(state.losses[-1], 1e-12)], "o", color="C0")
    right.set_xlim(0, max(MAX_EPOCHS, len(t)))
    right.set_xlabel("epoch", fontsize=8)
    right.set_ylabel(f"loss ({state.recipe.loss}, summed)", fontsize=8)
    right.tick_params(labelsize=7)
    right.grid(True, alpha=0.3)
    r = state.recipe
    right.set_title(f"2-{r.hidden}-1, init {r.init}, lr {r.lr:g}, {r.loss}, seed {state.seed}", fontsize=9)
    return few_ticks(fig)


@dataclass(frozen=True)
class SweepState:
    """How many of ``seeds`` (S,) solved XOR with ``recipe``; ``loss`` (S,) final losses."""

    recipe: xor.Recipe
    seeds: np.ndarray
    solved: np.ndarray
    loss: np.ndarray

    @property
    def n_solved(self) -> int:
        return int(self.solved.sum())


def seed_sweep_state(hidden: int = 2, init: str = "uniform", lr: float = 0.5, loss: str = "mse",
                     n_seeds: int = 50, epochs: int = MAX_EPOCHS) -> SweepState:
    """Train seeds 0..n_seeds-1 of the recipe at once (:func:`backprop_lib.lessons.xor.train_many`)."""
    recipe = xor.Recipe(hidden=int(hidden), init=init, lr=float(lr), loss=loss, epochs=int(epochs))
    with np.errstate(all="ignore"):
        run = xor.train_many(range(int(n_seeds)), recipe)
    return SweepState(recipe, run.seeds, run.solved, run.loss)


def seed_sweep_figure(state: SweepState, fig: Figure | None = None) -> Figure:
    """One bar per seed (its final loss), green if it solved XOR, red if not."""
    fig = new_figure((8.5, 2.6), fig)
    ax = panel(fig, (0.07, 0.2, 0.9, 0.62))
    colors = np.where(state.solved, "C2", "C3")
    ax.bar(state.seeds, np.maximum(state.loss, 1e-12), color=colors, width=0.8)
    ax.set_yscale("log")
    ax.set_xlabel("seed", fontsize=8)
    ax.set_ylabel("final loss", fontsize=8)
    ax.tick_params(labelsize=7)
    r = state.recipe
    ax.set_title(f"{state.n_solved} of {len(state.seeds)} seeds solve XOR in {r.epochs} epochs "
                 f"(2-{r.hidden}-1, init {r.init}, lr {r.lr:g}, {r.loss}); red: not solved", fontsize=9)
    return few_ticks(fig)


class XorTrainer(Explorer):
    """Recipe controls, a seed, an epoch slider with a Play button; a seed-sweep button below."""

    size = (8.5, 3.6)

    def __init__(self, hidden: int = 2, init: str = "uniform", lr: float = 0.5, loss: str = "mse",
                 seed: int = 0, epoch: int = 0) -> None:
        import ipywidgets as W

        controls = {
            "hidden": W.IntSlider(value=hidden, min=1, max=8, description="hidden H", continuous_update=False,
                                  style=slider_style()),
            "init": W.Dropdown(options=list(xor.INITS), value=init, description="init"),
            "lr": W.FloatLogSlider(value=lr, base=10, min=-2, max=0.7, step=0.1, description="lr",
                                   continuous_update=False),
            "loss": W.Dropdown(options=list(xor.LOSSES), value=loss, description="loss"),
            "seed": W.IntSlider(value=seed, min=0, max=99, description="seed", continuous_update=False),
            "epoch": W.IntSlider(value=epoch, min=0, max=MAX_EPOCHS, step=SNAPSHOT_EVERY, description="epoch",
                                 continuous_update=False),
        }
        self.play = W.Play(value=epoch, min=0, max=MAX_EPOCHS, step=2 * SNAPSHOT_EVERY, interval=300,
                           description="train")
        W.jslink((self.play, "value"), (controls["epoch"], "value"))
        self.n_seeds = W.IntSlider(value=50, min=10, max=200, step=10, description="seeds N",
                                   continuous_update=False, style=slider_style())
        self.sweep_button = W.Button(description="run seed sweep", icon="play")
        self.sweep_button.add_class("backprop-button")
        self.sweep_image = W.Image(format="png", layout=W.Layout(width=f"{round(8.5 * DPI)}px", max_width="100%",
                                                                 height="auto"))
        self.sweep_image.add_class("backprop-plot")
        self.sweep_image.layout.display = "none"
        self.sweep_message = W.HTML("")
        self.sweep_button.on_click(lambda _: self.run_sweep())
        self.sweep: SweepState | None = None
        #: state that a shared URL carries beside the controls (backprop_lib.widgets.url_state)
        self.url_controls = {"seeds": self.n_seeds}
        super().__init__(controls, extra=[self.play], name="xor")
        self.ui.children = tuple(self.ui.children) + (
            W.HBox([self.n_seeds, self.sweep_button]), self.sweep_message, self.sweep_image)

    def compute(self, hidden: int, init: str, lr: float, loss: str, seed: int, epoch: int) -> XorState:
        return xor_state(hidden, init, lr, loss, seed, epoch)

    def draw(self, state: XorState, fig: Figure | None = None) -> Figure:
        return xor_figure(state, fig)

    def run_sweep(self) -> None:
        """Train N seeds of the current recipe and show how many solve XOR (never raises)."""
        v = self.values()
        self.sweep_message.value = f"training {self.n_seeds.value} networks for {MAX_EPOCHS} epochs…"
        try:
            with quiet():
                self.sweep = seed_sweep_state(v["hidden"], v["init"], v["lr"], v["loss"], self.n_seeds.value)
                fig = offscreen_figure((8.5, 2.6))
                seed_sweep_figure(self.sweep, fig)
                self.sweep_image.value = png_bytes(fig)
            self.sweep_image.layout.display = None
            self.sweep_message.value = ""
        except Exception as exc:  # noqa: BLE001 - a widget callback must never raise
            self.sweep_message.value = f"⚠ the seed sweep failed: {type(exc).__name__}: {exc}"

    def sweep_figure(self) -> Figure:
        """A pyplot figure of the last seed sweep (runs one if none was run yet)."""
        if self.sweep is None:
            v = self.values()
            self.sweep = seed_sweep_state(v["hidden"], v["init"], v["lr"], v["loss"], self.n_seeds.value)
        return seed_sweep_figure(self.sweep)
