"""Optimiser race (lesson 08): SGD, momentum and Adam from the same start on a 2-D loss surface.

Each optimiser runs ``steps`` steps on a :class:`~backprop_lib.pictures.loss_surfaces.Surface`
(the elongated bowl ``½(x² + 10y²)`` or Rosenbrock's valley) from the
surface's start; the trajectories are drawn over its contour lines, and the
loss along each beside them. SGD and momentum share the learning rate
``lr``; Adam, whose step is about ``lr`` whatever the gradient's size, has
its own ``adam_lr``.

The library's optimisers (:mod:`backprop_lib.nn.optim`) run by default. The
student's pure step functions of lesson 08 (``sgd_step(theta, g, state, lr)``,
``momentum_step(theta, g, state, lr, beta)``, ``adam_step(theta, g, state,
lr)``) may be passed in; one not implemented yet is left out of the race,
with a message naming its exercise.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Callable

import numpy as np
from matplotlib.figure import Figure

from ..pictures import loss_surfaces as ls
from ..nn import optim
from ._core import ExerciseNotDone, Explorer, call_exercise, draw_notes, few_ticks, new_figure, panel, slider_style

SURFACES: dict[str, Callable[[], ls.Surface]] = {"bowl": ls.elongated_quadratic, "rosenbrock": ls.rosenbrock}
EXERCISES = {"sgd_step": "exercise 1 of lesson 08 (sgd_step)", "momentum_step": "exercise 2 of lesson 08 (momentum_step)",
             "adam_step": "exercise 3 of lesson 08 (adam_step)"}
NAMES = ("SGD", "momentum", "Adam")
COLORS = {"SGD": "C0", "momentum": "C1", "Adam": "C2"}


@lru_cache(maxsize=None)
def surface(name: str) -> ls.Surface:
    """The surface of that name (made once)."""
    return SURFACES[name]()


@lru_cache(maxsize=None)
def contour_grid(name: str, n: int = 120) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(X, Y, Z, levels)`` of the surface, each grid (n, n); levels log-spaced above the minimum. Made once."""
    s = surface(name)
    X, Y = np.meshgrid(np.linspace(*s.xlim, n), np.linspace(*s.ylim, n))
    Z = s.f(X, Y)
    low = s.loss(np.array(s.minimum))
    top = float(Z.max()) - low
    return X, Y, Z, low + np.logspace(np.log10(top) - 5, np.log10(top), 16)


@dataclass(frozen=True)
class RaceState:
    """``paths[name]`` (k + 1, 2): the points each optimiser visited; ``losses[name]`` (k + 1,): the loss there."""

    surface: str
    lr: float
    adam_lr: float
    beta: float
    steps: int
    paths: dict[str, np.ndarray]
    losses: dict[str, np.ndarray]
    sources: dict[str, str]
    notes: tuple[str, ...] = field(default=())


def race_state(surface_name: str = "bowl", lr: float = 0.03, adam_lr: float = 0.3, beta: float = 0.9,
               steps: int = 60, sgd_step: Callable[..., Any] | None = None,
               momentum_step: Callable[..., Any] | None = None,
               adam_step: Callable[..., Any] | None = None) -> RaceState:
    """Run the three optimisers on the named surface (student's step functions where given)."""
    s = surface(surface_name)
    steps = int(steps)
    zeros = np.zeros(2)
    library = {"SGD": lambda: ls.run_optimizer(s, optim.SGD(lr=lr), steps),
               "momentum": lambda: ls.run_optimizer(s, optim.Momentum(lr=lr, beta=beta), steps),
               "Adam": lambda: ls.run_optimizer(s, optim.Adam(lr=adam_lr), steps)}
    students = {"SGD": (sgd_step, "sgd_step", {}, {"lr": lr}),
                "momentum": (momentum_step, "momentum_step", {"v": zeros}, {"lr": lr, "beta": beta}),
                "Adam": (adam_step, "adam_step", {"m": zeros, "v": zeros, "t": 0}, {"lr": adam_lr})}
    paths, losses, sources, notes = {}, {}, {}, []
    for name in NAMES:
        fn, task, state, hyper = students[name]
        if fn is None:
            path, sources[name] = library[name](), "library"
        else:
            sources[name] = "yours"
            try:
                path = call_exercise(ls.run_step_function, EXERCISES[task], s, fn, dict(state), steps, **hyper)
            except ExerciseNotDone as exc:
                notes.append(str(exc).replace("run_step_function", task))
                continue
        paths[name] = path
        losses[name] = ls.loss_along(s, path)
    return RaceState(surface_name, float(lr), float(adam_lr), float(beta), steps, paths, losses, sources, tuple(notes))


def race_figure(state: RaceState, fig: Figure | None = None) -> Figure:
    """Trajectories over the contour lines, and the loss against the step on a log scale."""
    fig = new_figure((9.0, 3.6), fig)
    s = surface(state.surface)
    X, Y, Z, levels = contour_grid(state.surface)
    left = panel(fig, (0.06, 0.14, 0.5, 0.74))
    left.contour(X, Y, Z, levels=levels, colors="0.7", linewidths=0.7)
    for name, path in state.paths.items():
        tag = " (yours)" if state.sources[name] == "yours" else ""
        left.plot(path[:, 0], path[:, 1], ".-", color=COLORS[name], ms=2.5, lw=1.1, label=name + tag)
        left.plot(path[-1, 0], path[-1, 1], "s", color=COLORS[name], ms=7, mec="k")
    left.plot(*s.start, "ko", ms=5)
    left.plot(*s.minimum, "k*", ms=11)
    left.set_xlim(*s.xlim)
    left.set_ylim(*s.ylim)
    left.tick_params(labelsize=7)
    left.set_title(f"{s.name}: {state.steps} steps, lr {state.lr:g} (Adam {state.adam_lr:g}), β {state.beta:g}",
                   fontsize=9)
    if state.paths:
        left.legend(fontsize=7, loc="upper right")
    right = panel(fig, (0.64, 0.14, 0.34, 0.74))
    for name, loss in state.losses.items():
        right.semilogy(np.arange(len(loss)), np.maximum(loss, 1e-16), color=COLORS[name], lw=1.5, label=name)
        right.plot([len(loss) - 1], [max(float(loss[-1]), 1e-16)], "s", color=COLORS[name], ms=5)
    right.set_xlabel("step", fontsize=8)
    right.set_title("loss along the way", fontsize=9)
    right.tick_params(labelsize=7)
    right.grid(True, alpha=0.3)
    draw_notes(fig, state.notes)
    return few_ticks(fig)


class OptimiserRace(Explorer):
    """Controls: surface, lr, Adam's lr, momentum's beta, steps. Step functions: the student's, optional."""

    size = (9.0, 3.6)

    def __init__(self, sgd_step: Callable[..., Any] | None = None, momentum_step: Callable[..., Any] | None = None,
                 adam_step: Callable[..., Any] | None = None, surface_name: str = "bowl", lr: float = 0.03,
                 adam_lr: float = 0.3, beta: float = 0.9, steps: int = 60) -> None:
        import ipywidgets as W

        self.steps_fns = {"sgd_step": sgd_step, "momentum_step": momentum_step, "adam_step": adam_step}
        controls = {
            "surface_name": W.Dropdown(options=list(SURFACES), value=surface_name, description="surface"),
            "lr": W.FloatLogSlider(value=lr, base=10, min=-4, max=0, step=0.1, description="lr",
                                   continuous_update=False),
            "adam_lr": W.FloatLogSlider(value=adam_lr, base=10, min=-3, max=0, step=0.1, description="Adam lr",
                                        continuous_update=False, style=slider_style()),
            "beta": W.FloatSlider(value=beta, min=0.0, max=0.99, step=0.01, description="β (momentum)",
                                  continuous_update=False, style=slider_style()),
            "steps": W.IntSlider(value=steps, min=5, max=500, step=5, description="steps", continuous_update=False),
        }
        super().__init__(controls, name="optimisers")

    def compute(self, surface_name: str, lr: float, adam_lr: float, beta: float, steps: int) -> RaceState:
        return race_state(surface_name, lr, adam_lr, beta, steps, **self.steps_fns)

    def draw(self, state: RaceState, fig: Figure | None = None) -> Figure:
        return race_figure(state, fig)
