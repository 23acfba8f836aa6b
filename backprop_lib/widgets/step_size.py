"""Step-size explorer (lesson 01): the error of forward and central differences against the step h.

For a function ``f`` at a point ``x`` and every step ``h`` of a grid, the
error of each estimate against the exact ``f'(x)``::

    forward  (f(x+h) - f(x)) / h           truncation ~ |f''(x)| h / 2
    central  (f(x+h) - f(x-h)) / (2h)      truncation ~ |f'''(x)| h**2 / 6
    both     round-off ~ eps |f(x)| / h     (eps = 2.2e-16 in float64)

The two model lines of each kind are drawn beside the measured errors, so the
V shape reads as "truncation on the right, round-off on the left". A marker
shows the current ``h`` and the two estimates there.

The student's ``central_difference(f, x, h)`` (lesson 01, exercise 1) may be
passed in; the central curve is then measured with it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, NamedTuple

import numpy as np
from matplotlib.figure import Figure

from ..checking import gradcheck
from ._core import ExerciseNotDone, Explorer, call_exercise, draw_notes, few_ticks, new_figure, panel, slider_style

#: Height (a fraction of the figure) kept free at the bottom for the notes of an exercise not done yet.
NOTE_ROOM = 0.12

EXERCISE = "exercise 1 of lesson 01 (central_difference)"
EPS = float(np.finfo(np.float64).eps)
#: The grid of steps, 1e-14 to 1e-1: shape (53,).
STEPS = np.logspace(-14, -1, 53)

ArrayFn = Callable[[np.ndarray], np.ndarray]


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(x, dtype=np.float64)))


class Smooth(NamedTuple):
    """A smooth function with its first three derivatives, all element-wise."""

    label: str
    f: ArrayFn
    d1: ArrayFn
    d2: ArrayFn
    d3: ArrayFn


def _sig_d(x: np.ndarray, k: int) -> np.ndarray:
    s = _sigmoid(x)
    d1 = s * (1 - s)
    return [d1, d1 * (1 - 2 * s), d1 * (1 - 6 * s + 6 * s * s)][k - 1]


#: The functions of the explorer, by name.
FUNCTIONS: dict[str, Smooth] = {
    "sin": Smooth("sin x", np.sin, np.cos, lambda x: -np.sin(x), lambda x: -np.cos(x)),
    "exp": Smooth("exp x", np.exp, np.exp, np.exp, np.exp),
    "cube": Smooth("x³", lambda x: x ** 3, lambda x: 3 * x ** 2, lambda x: 6 * x, lambda x: 6.0 + 0 * x),
    "sigmoid": Smooth("σ(x)", _sigmoid, lambda x: _sig_d(x, 1), lambda x: _sig_d(x, 2), lambda x: _sig_d(x, 3)),
    "tanh": Smooth("tanh x", np.tanh, lambda x: 1 - np.tanh(x) ** 2,
                   lambda x: -2 * np.tanh(x) * (1 - np.tanh(x) ** 2),
                   lambda x: (1 - np.tanh(x) ** 2) * (6 * np.tanh(x) ** 2 - 2)),
}


@dataclass(frozen=True)
class StepSizeState:
    """Errors of the two finite differences of ``function`` at ``x``, for every step of ``steps``.

    ``steps``, ``forward_errors``, ``central_errors``, ``truncation_forward``,
    ``truncation_central`` and ``roundoff``: shape (k,). ``central_errors`` is
    NaN where the student's function could not be used (see ``notes``).
    ``h`` is the marked step, with the two estimates there; ``best_*`` are the
    steps of smallest measured error.
    """

    function: str
    x: float
    h: float
    exact: float
    steps: np.ndarray
    forward_errors: np.ndarray
    central_errors: np.ndarray
    truncation_forward: np.ndarray
    truncation_central: np.ndarray
    roundoff: np.ndarray
    forward_at_h: float
    central_at_h: float
    best_forward: float
    best_central: float
    central_source: str = "library"
    notes: tuple[str, ...] = field(default=())


def step_size_state(function: str = "sin", x: float = 1.0, h: float = 1e-5,
                    central_difference: Callable[..., Any] | None = None,
                    steps: np.ndarray = STEPS) -> StepSizeState:
    """Measure both differences of ``FUNCTIONS[function]`` at ``x`` for each of ``steps`` (k,) and at ``h``.

    With ``central_difference`` (the student's ``(f, x, h) -> estimate``) the
    central errors are measured with it; if it is not implemented yet, they
    are NaN and ``notes`` says which exercise to do.
    """
    fn = FUNCTIONS[function]
    x = float(x)
    h = float(h)
    steps = np.asarray(steps, dtype=np.float64)
    exact = float(fn.d1(np.float64(x)))
    all_h = np.append(steps, h)                                  # (k + 1,): the grid, then the marker
    with np.errstate(all="ignore"):
        fwd = (fn.f(x + all_h) - fn.f(np.float64(x))) / all_h  # one array operation for every step
        if central_difference is None:
            cen = (fn.f(x + all_h) - fn.f(x - all_h)) / (2 * all_h)
            source, notes = "library", ()
        else:
            try:
                cen = np.array([float(np.asarray(call_exercise(central_difference, EXERCISE,
                                                               fn.f, np.float64(x), float(s))))
                                for s in all_h])
                source, notes = "yours", ()
            except ExerciseNotDone as exc:
                cen = np.full_like(all_h, np.nan)
                source, notes = "yours", (str(exc),)
    fwd_err = np.abs(fwd - exact)
    cen_err = np.abs(cen - exact)
    finite = np.isfinite(cen_err[:-1])
    return StepSizeState(
        function=function, x=x, h=h, exact=exact, steps=steps,
        forward_errors=fwd_err[:-1], central_errors=cen_err[:-1],
        truncation_forward=np.abs(float(fn.d2(np.float64(x)))) * steps / 2,
        truncation_central=np.abs(float(fn.d3(np.float64(x)))) * steps ** 2 / 6,
        roundoff=EPS * max(abs(float(fn.f(np.float64(x)))), EPS) / steps,
        forward_at_h=float(fwd[-1]), central_at_h=float(cen[-1]),
        best_forward=float(steps[np.argmin(fwd_err[:-1])]),
        best_central=float(steps[np.argmin(np.where(finite, cen_err[:-1], np.inf))]) if finite.any() else float("nan"),
        central_source=source, notes=notes)


def step_size_figure(state: StepSizeState, fig: Figure | None = None) -> Figure:
    """Log-log plot of both errors against h, the model lines, and the estimates at the marked h."""
    fig = new_figure((8.0, 3.6), fig)
    lift = NOTE_ROOM if state.notes else 0.0  # room for the notes under the axis labels, never over them
    ax = panel(fig, (0.1, 0.14 + lift, 0.53, 0.76 - lift))
    tiny = 1e-18  # an error of exactly 0 cannot be drawn on a log axis
    ax.loglog(state.steps, np.maximum(state.forward_errors, tiny), "o-", ms=3, color="C0",
              label="forward difference")
    if np.isfinite(state.central_errors).any():
        ax.loglog(state.steps, np.maximum(state.central_errors, tiny), "s-", ms=3, color="C1",
                  label=f"central difference ({state.central_source})")
    ax.loglog(state.steps, state.truncation_forward, ":", color="C0", lw=1, label="truncation ~ h")
    ax.loglog(state.steps, state.truncation_central, ":", color="C1", lw=1, label="truncation ~ h²")
    ax.loglog(state.steps, state.roundoff, "--", color="0.5", lw=1, label="round-off ~ ε/h")
    ax.axvline(state.h, color="C3", lw=1.2)
    for value, color in ((state.forward_at_h, "C0"), (state.central_at_h, "C1")):
        err = abs(value - state.exact)
        if np.isfinite(err):
            ax.plot([state.h], [max(err, tiny)], "o", ms=9, mfc="none", mec=color, mew=2)
    ax.set_ylim(1e-17, 1e2)
    ax.set_xlabel("step h")
    ax.set_ylabel("|estimate − exact|")
    ax.set_title(f"f(x) = {FUNCTIONS[state.function].label} at x = {state.x:g}", fontsize=10)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=7, loc="lower left", ncol=2)

    side = panel(fig, (0.66, 0.14 + lift, 0.33, 0.76 - lift))
    side.axis("off")
    lines = [f"h = {state.h:.1e}", "", f"exact f'(x)  {state.exact:.12f}",
             f"forward      {state.forward_at_h:.12f}", f"  error      {abs(state.forward_at_h - state.exact):.1e}"]
    if np.isfinite(state.central_at_h):
        lines += [f"central      {state.central_at_h:.12f}", f"  error      {abs(state.central_at_h - state.exact):.1e}",
                  "", f"best h: forward {state.best_forward:.0e}", f"        central {state.best_central:.0e}"]
    else:
        lines += ["central      (your exercise", "              is not done yet)", "",
                  f"best h: forward {state.best_forward:.0e}"]
    side.text(0.0, 1.0, "\n".join(lines), va="top", ha="left", family="monospace", fontsize=8.5,
              transform=side.transAxes)
    draw_notes(fig, state.notes)
    return few_ticks(fig)


class StepSizeExplorer(Explorer):
    """Controls: function, x, and log10 of the marked step h. ``central_difference``: the student's, optional."""

    size = (8.0, 3.6)

    def __init__(self, central_difference: Callable[..., Any] | None = None, function: str = "sin",
                 x: float = 1.0, log10_h: float = -5.0) -> None:
        import ipywidgets as W

        self.central_difference = central_difference
        controls = {
            "function": W.Dropdown(options=list(FUNCTIONS), value=function, description="f"),
            "x": W.FloatSlider(value=x, min=-3.0, max=3.0, step=0.1, description="x", continuous_update=False),
            "log10_h": W.FloatSlider(value=log10_h, min=-14.0, max=-1.0, step=0.5, description="log10 h",
                                     continuous_update=False, style=slider_style()),
        }
        super().__init__(controls, name="step-size")

    def compute(self, function: str, x: float, log10_h: float) -> StepSizeState:
        return step_size_state(function, x, 10.0 ** log10_h, self.central_difference)

    def draw(self, state: StepSizeState, fig: Figure | None = None) -> Figure:
        return step_size_figure(state, fig)
