"""Chain-rule explorer (lesson 01): the slope of ``y = f(g(x))`` is the product of the local slopes.

Three panels, each with its tangent line at the current point::

    u = g(x)         slope g'(x)                  (inner function, at x)
    y = f(u)         slope f'(u) = f'(g(x))       (outer function, at u = g(x))
    y = f(g(x))      slope f'(g(x)) * g'(x)       (the composite, at x)

The composite's tangent drawn with the PRODUCT of the two local slopes
touches the curve: the chain rule, seen. The slope is also measured by a
central difference of the composite, and, when the student's
``composite_derivative(f_prime, g, g_prime)`` (lesson 01, exercise 3) is
passed in, by it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, NamedTuple

import numpy as np
from matplotlib.figure import Figure

from ._core import ExerciseNotDone, Explorer, call_exercise, draw_notes, few_ticks, new_figure, panel

#: Height (a fraction of the figure) kept free at the bottom for the notes of an exercise not done yet.
NOTE_ROOM = 0.11

EXERCISE = "exercise 3 of lesson 01 (composite_derivative)"
ArrayFn = Callable[[np.ndarray], np.ndarray]


class Piece(NamedTuple):
    """A function of one variable and its derivative, element-wise."""

    label: str
    f: ArrayFn
    df: ArrayFn


def _sigmoid(u: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(u, dtype=np.float64)))


#: The functions that can play f or g, by name.
PIECES: dict[str, Piece] = {
    "sin": Piece("sin", np.sin, np.cos),
    "square": Piece("(·)²", np.square, lambda u: 2 * u),
    "exp": Piece("exp", np.exp, np.exp),
    "tanh": Piece("tanh", np.tanh, lambda u: 1 - np.tanh(u) ** 2),
    "sigmoid": Piece("σ", _sigmoid, lambda u: _sigmoid(u) * (1 - _sigmoid(u))),
    "cube": Piece("(·)³", lambda u: u ** 3, lambda u: 3 * u ** 2),
}
#: Half-width of the window drawn around each point, and the number of points per curve.
HALF_WIDTH = 1.5
N_POINTS = 121
#: Step of the central difference that measures the composite's slope.
H = 1e-5


@dataclass(frozen=True)
class ChainRuleState:
    """One point of ``y = f(g(x))`` and the three slopes there.

    ``xs`` (k,): a window around ``x``; ``g_xs``, ``y_xs``: g and f(g) on it (k,).
    ``us`` (k,): a window around ``u = g(x)``; ``f_us``: f on it (k,).
    ``product = f_slope * g_slope``; ``numeric``: central difference of the composite;
    ``student``: the student's composite_derivative at x (NaN if not given or not done).
    """

    f: str
    g: str
    x: float
    u: float
    y: float
    g_slope: float
    f_slope: float
    product: float
    numeric: float
    student: float
    xs: np.ndarray
    g_xs: np.ndarray
    y_xs: np.ndarray
    us: np.ndarray
    f_us: np.ndarray
    notes: tuple[str, ...] = field(default=())


def chain_rule_state(f: str = "sin", g: str = "square", x: float = 1.2,
                     composite_derivative: Callable[..., Any] | None = None) -> ChainRuleState:
    """Values and slopes of ``PIECES[f]`` after ``PIECES[g]`` at ``x``; see :class:`ChainRuleState`."""
    pf, pg = PIECES[f], PIECES[g]
    x = float(x)
    with np.errstate(all="ignore"):
        u = float(pg.f(np.float64(x)))
        y = float(pf.f(np.float64(u)))
        g_slope = float(pg.df(np.float64(x)))
        f_slope = float(pf.df(np.float64(u)))
        numeric = float((pf.f(pg.f(np.float64(x + H))) - pf.f(pg.f(np.float64(x - H)))) / (2 * H))
        xs = np.linspace(x - HALF_WIDTH, x + HALF_WIDTH, N_POINTS)
        us = np.linspace(u - HALF_WIDTH, u + HALF_WIDTH, N_POINTS)
        g_xs, f_us = pg.f(xs), pf.f(us)
        y_xs = pf.f(g_xs)
    student, notes = float("nan"), ()
    if composite_derivative is not None:
        try:
            d = call_exercise(composite_derivative, EXERCISE, pf.df, pg.f, pg.df)
            student = float(np.asarray(call_exercise(d, EXERCISE, np.float64(x))))
        except ExerciseNotDone as exc:
            notes = (str(exc),)
        except (TypeError, ValueError) as exc:
            notes = (f"Your composite_derivative should return a function of x giving a number; "
                     f"calling it gave {type(exc).__name__}: {exc}",)
    return ChainRuleState(f, g, x, u, y, g_slope, f_slope, f_slope * g_slope, numeric, student,
                          xs, g_xs, y_xs, us, f_us, notes)


def _panel(ax: Any, t: np.ndarray, values: np.ndarray, t0: float, v0: float, slope: float,
           color: str, title: str, xlabel: str) -> None:
    ax.plot(t, values, color=color, lw=2)
    ax.plot(t, v0 + slope * (t - t0), "--", color="k", lw=1)
    ax.plot([t0], [v0], "o", color="k", ms=6)
    finite = values[np.isfinite(values)]
    if finite.size:
        lo, hi = float(finite.min()), float(finite.max())
        pad = 0.15 * (hi - lo) + 0.1
        ax.set_ylim(lo - pad, hi + pad)
    ax.set_xlim(float(t[0]), float(t[-1]))
    ax.set_title(title, fontsize=9)
    ax.set_xlabel(xlabel, fontsize=9)
    ax.tick_params(labelsize=7)
    ax.grid(True, alpha=0.3)


def chain_rule_figure(state: ChainRuleState, fig: Figure | None = None) -> Figure:
    """The three curves with their tangents, and the product of the slopes written out."""
    fig = new_figure((9.0, 3.6), fig)
    fl, gl = PIECES[state.f].label, PIECES[state.g].label
    lift = NOTE_ROOM if state.notes else 0.0  # room for the notes under the formula line, never over it
    axes = [panel(fig, (0.05 + 0.33 * i, 0.3 + lift, 0.27, 0.58 - lift)) for i in range(3)]
    _panel(axes[0], state.xs, state.g_xs, state.x, state.u, state.g_slope, "C0",
           f"inner u = g(x) = {gl}(x)\nslope g'(x) = {state.g_slope:.4f}", "x")
    _panel(axes[1], state.us, state.f_us, state.u, state.y, state.f_slope, "C1",
           f"outer y = f(u) = {fl}(u)\nslope f'(u) = {state.f_slope:.4f}", f"u   (at u = g(x) = {state.u:.3f})")
    _panel(axes[2], state.xs, state.y_xs, state.x, state.y, state.product, "C2",
           f"composite y = f(g(x))\ntangent of slope f'(u)·g'(x)", "x")
    line = (f"f'(g(x)) · g'(x) = {state.f_slope:.4f} × {state.g_slope:.4f} = {state.product:.6f}"
            f"      central difference of f(g(x)): {state.numeric:.6f}")
    if np.isfinite(state.student):
        line += f"      your composite_derivative: {state.student:.6f}"
    fig.text(0.5, 0.08 + lift, line, ha="center", fontsize=9)
    draw_notes(fig, state.notes)
    return few_ticks(fig)


class ChainRuleExplorer(Explorer):
    """Controls: outer f, inner g, and x. ``composite_derivative``: the student's, optional."""

    size = (9.0, 3.6)

    def __init__(self, composite_derivative: Callable[..., Any] | None = None, f: str = "sin",
                 g: str = "square", x: float = 1.2) -> None:
        import ipywidgets as W

        self.composite_derivative = composite_derivative
        controls = {
            "f": W.Dropdown(options=list(PIECES), value=f, description="outer f"),
            "g": W.Dropdown(options=list(PIECES), value=g, description="inner g"),
            "x": W.FloatSlider(value=x, min=-2.0, max=2.0, step=0.05, description="x", continuous_update=False),
        }
        super().__init__(controls, name="chain-rule")

    def compute(self, f: str, g: str, x: float) -> ChainRuleState:
        return chain_rule_state(f, g, x, self.composite_derivative)

    def draw(self, state: ChainRuleState, fig: Figure | None = None) -> Figure:
        return chain_rule_figure(state, fig)
