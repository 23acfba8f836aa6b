r"""Two-parameter loss surfaces, optimiser trajectories on them, and their contour plots (lesson 08).

A :class:`Surface` is a scalar function of a point ``theta = (x, y)``, with
its gradient. Two classic ones are built in:

* :func:`elongated_quadratic`: :math:`f = \tfrac12 (a x^2 + b y^2)`, a bowl
  stretched ``b / a`` times more steeply along ``y``. Gradient descent with
  step ``lr`` multiplies ``y`` by ``1 - lr * b`` at every step, so it is
  stable only for ``lr < 2 / b``, while progress along ``x`` needs ``lr * a``
  not too small: the ravine that momentum and Adam are made for.
* :func:`rosenbrock`: :math:`f = (a - x)^2 + b (y - x^2)^2`, a curved, flat
  valley with its minimum at ``(a, a^2)``.

:func:`run_optimizer` drives one of :mod:`backprop_lib.nn.optim`'s optimisers on
a surface, :func:`run_step_function` a pure step function ``step(theta, g,
state, **hyper) -> (theta, state)`` (the form of lesson 08's exercises); both
return the visited points as an array of shape ``(k + 1, 2)``.
:func:`plot_trajectories` draws them over the surface's contour lines.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

import matplotlib.pyplot as plt
import numpy as np

from ..nn.optim import Optimizer

#: A run stops early once a coordinate grows beyond this size: it has diverged.
BLOWUP = 1e6


@dataclass(frozen=True)
class Surface:
    """A loss of two parameters.

    ``f(x, y)`` works element-wise on arrays (for contour grids);
    ``grad(theta)`` takes a point of shape ``(2,)`` and returns the gradient,
    shape ``(2,)``. ``minimum`` is where ``f`` is smallest; ``xlim``,
    ``ylim`` frame a plot and ``start`` is a starting point that shows the
    surface's difficulty.
    """

    name: str
    f: Callable[[np.ndarray, np.ndarray], np.ndarray]
    grad: Callable[[np.ndarray], np.ndarray]
    minimum: tuple[float, float]
    xlim: tuple[float, float]
    ylim: tuple[float, float]
    start: tuple[float, float]

    def loss(self, theta: np.ndarray) -> float:
        """``f`` at one point ``theta`` of shape ``(2,)``."""
        return float(self.f(theta[0], theta[1]))


def elongated_quadratic(a: float = 1.0, b: float = 10.0) -> Surface:
    r"""The bowl :math:`f(x, y) = \tfrac12 (a x^2 + b y^2)`, minimum 0 at the origin.

    Gradient ``(a x, b y)``; curvatures ``a`` and ``b`` (``a, b > 0``).
    """
    if a <= 0 or b <= 0:
        raise ValueError(f"both curvatures must be positive, got a={a}, b={b}")

    def f(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return 0.5 * (a * np.square(x) + b * np.square(y))

    def grad(theta: np.ndarray) -> np.ndarray:
        theta = np.asarray(theta, dtype=np.float64)
        return np.array([a * theta[0], b * theta[1]])

    return Surface(f"elongated quadratic ½({a:g}x² + {b:g}y²)", f, grad, (0.0, 0.0),
                   (-4.5, 4.5), (-1.5, 1.5), (-4.0, 1.0))


def rosenbrock(a: float = 1.0, b: float = 100.0) -> Surface:
    r"""Rosenbrock's valley :math:`f(x, y) = (a - x)^2 + b (y - x^2)^2`, minimum 0 at ``(a, a^2)``.

    Gradient ``(-2 (a - x) - 4 b x (y - x^2),  2 b (y - x^2))``.
    """

    def f(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return np.square(a - x) + b * np.square(y - np.square(x))

    def grad(theta: np.ndarray) -> np.ndarray:
        x, y = np.asarray(theta, dtype=np.float64)
        return np.array([-2.0 * (a - x) - 4.0 * b * x * (y - x * x), 2.0 * b * (y - x * x)])

    return Surface(f"Rosenbrock (a={a:g}, b={b:g})", f, grad, (a, a * a),
                   (-2.0, 2.0), (-1.0, 3.0), (-1.5, 2.0))


def _finished(theta: np.ndarray) -> bool:
    return not np.all(np.isfinite(theta)) or float(np.max(np.abs(theta))) > BLOWUP


def run_optimizer(surface: Surface, optimizer: Optimizer, steps: int,
                  start: tuple[float, float] | np.ndarray | None = None) -> np.ndarray:
    """Points visited by ``optimizer`` on ``surface`` in ``steps`` steps: shape ``(k + 1, 2)``.

    Row 0 is the start (``surface.start`` by default). The optimiser is
    :meth:`~backprop_lib.nn.optim.Optimizer.reset` first, so one object can be
    reused. A run that diverges (a coordinate above :data:`BLOWUP`, or NaN)
    stops there, so ``k <= steps``.
    """
    theta = np.array(surface.start if start is None else start, dtype=np.float64)
    optimizer.reset()
    path = [theta.copy()]
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(steps):
            optimizer.step([theta], [surface.grad(theta)])
            path.append(theta.copy())
            if _finished(theta):
                break
    return np.array(path)


def run_step_function(surface: Surface, step: Callable[..., tuple[np.ndarray, Any]], state: Any,
                      steps: int, start: tuple[float, float] | np.ndarray | None = None,
                      **hyper: float) -> np.ndarray:
    """Like :func:`run_optimizer` for a pure step ``step(theta, g, state, **hyper) -> (theta, state)``.

    ``state`` is the step's initial state (``{}`` for SGD, ``{"v": zeros}``
    for momentum, ...). Returns the visited points, shape ``(k + 1, 2)``.
    """
    theta = np.array(surface.start if start is None else start, dtype=np.float64)
    path = [theta.copy()]
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(steps):
            theta, state = step(theta, surface.grad(theta), state, **hyper)
            theta = np.array(theta, dtype=np.float64)
            path.append(theta.copy())
            if _finished(theta):
                break
    return np.array(path)


def loss_along(surface: Surface, path: np.ndarray) -> np.ndarray:
    """The loss at every point of a trajectory ``path`` of shape ``(k, 2)``: shape ``(k,)``."""
    path = np.asarray(path, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        return np.asarray(surface.f(path[:, 0], path[:, 1]), dtype=np.float64)


def plot_trajectories(surface: Surface, paths: Mapping[str, np.ndarray], ax: plt.Axes | None = None,
                      title: str | None = None, n_levels: int = 18, resolution: int = 300) -> plt.Axes:
    """Contour lines of ``surface`` with each trajectory of ``paths`` (label -> ``(k, 2)`` array) on top.

    The start is a black dot, each path's end a square of its colour, the minimum a star. The
    surface is evaluated on a ``resolution x resolution`` grid (lower it for costly surfaces).

    Contour levels are spaced logarithmically above the minimum, so the
    flat floor of a valley shows as well as its steep walls. Points outside
    the frame (a diverging run) are clipped by the axes, not drawn.
    """
    ax = ax or plt.subplots(figsize=(6.5, 4.2))[1]
    xs = np.linspace(*surface.xlim, resolution)
    ys = np.linspace(*surface.ylim, resolution)
    X, Y = np.meshgrid(xs, ys)
    Z = surface.f(X, Y)
    low = surface.loss(np.array(surface.minimum))
    top = float(Z.max()) - low
    levels = low + np.logspace(np.log10(top) - 5, np.log10(top), n_levels)
    ax.contour(X, Y, Z, levels=levels, colors="0.6", linewidths=0.7)
    for i, (label, path) in enumerate(paths.items()):
        path = np.asarray(path, dtype=np.float64)
        ax.plot(path[:, 0], path[:, 1], ".-", color=f"C{i}", ms=3, lw=1.2, alpha=0.85,
                label=f"{label} ({len(path) - 1} steps)")
        # the end point, drawn big: paths that share a valley floor hide each other's lines
        ax.plot(path[-1, 0], path[-1, 1], "s", color=f"C{i}", ms=8, mec="k", zorder=5)
    ax.plot(*surface.start, "ko", ms=5)
    ax.plot(*surface.minimum, "k*", ms=11, label="minimum")
    ax.set_xlim(*surface.xlim)
    ax.set_ylim(*surface.ylim)
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_title(title or surface.name)
    ax.legend(fontsize=8, loc="best")
    return ax
