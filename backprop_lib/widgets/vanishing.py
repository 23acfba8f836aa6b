"""Vanishing-gradient explorer (lesson 07): per-layer gradient norms of a deep network.

A plain MLP of ``depth`` layers, each ``width`` units wide (the last has one
output, no activation), built with :mod:`backprop_lib.nn.mlp`, run forward and
backward once on a random batch (``x`` of shape (m, width), targets (m, 1),
mean squared error). For every layer ``l`` the Frobenius norm of its weight
gradient ``||dW[l]||`` is drawn as a bar on a log scale, beside the spread
(standard deviation) of the signal ``a[l-1]`` entering it.

What to look for: with sigmoid (``sigma' <= 0.25``) each layer multiplies the
gradient by a factor well below 1, so the first layers' bars fall by orders
of magnitude; tanh with Xavier init and ReLU with He init keep them level;
a too-large init makes them grow instead.

The student's functions of lesson 07 may be passed in: ``layer_grad_norms(grads)``
(exercise 2) then measures the bars, and ``xavier_init(n_in, n_out, rng)`` /
``he_init(n_in, n_out, rng)`` (exercises 3 and 4) draw the weights when that
init is chosen. One not implemented yet leaves the picture empty, with a
message naming its exercise.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
from matplotlib.figure import Figure

from ..nn import mlp
from ._core import ExerciseNotDone, Explorer, call_exercise, draw_notes, few_ticks, new_figure, panel

ACTIVATIONS = ("sigmoid", "tanh", "relu")
#: mlp's schemes, plus two plain normal inits that show vanishing and exploding gradients.
INITS = ("xavier", "he", "uniform", "normal 0.01", "normal 1")
EXERCISES = {"layer_grad_norms": "exercise 2 of lesson 07 (layer_grad_norms)",
             "xavier": "exercise 3 of lesson 07 (xavier_init)", "he": "exercise 4 of lesson 07 (he_init)"}
InitFn = Callable[[int, int, np.random.Generator], np.ndarray]


def init_params(sizes: list[int], rng: np.random.Generator, init: str,
                init_fn: InitFn | None = None) -> mlp.Params:
    """Weights for layer widths ``sizes``, zero biases.

    ``init_fn(n_in, n_out, rng) -> W`` (a student's init) draws every ``W`` when
    given; otherwise :func:`backprop_lib.nn.mlp.init_params` for its schemes, and
    ``"normal s"``: every ``W`` normal with standard deviation ``s``.
    """
    if init_fn is not None:
        params = []
        for n_in, n_out in zip(sizes[:-1], sizes[1:]):
            W = np.asarray(call_exercise(init_fn, EXERCISES[init], n_in, n_out, rng), dtype=np.float64)
            if W.shape != (n_in, n_out):
                raise ExerciseNotDone(f"Your {init}_init returned shape {W.shape} for n_in={n_in}, n_out={n_out}; "
                                      f"expected ({n_in}, {n_out})")
            params.append({"W": W, "b": np.zeros(n_out)})
        return params
    if init.startswith("normal"):
        std = float(init.split()[1])
        return [{"W": rng.normal(0.0, std, size=(n_in, n_out)), "b": np.zeros(n_out)}
                for n_in, n_out in zip(sizes[:-1], sizes[1:])]
    return mlp.init_params(sizes, rng, init)


@dataclass(frozen=True)
class GradientNormsState:
    """``grad_norms`` (depth,): ``||dW[l]||`` for layers 1..depth; ``signal_std`` (depth,): std of ``a[l-1]``."""

    depth: int
    activation: str
    init: str
    width: int
    seed: int
    grad_norms: np.ndarray
    signal_std: np.ndarray
    notes: tuple[str, ...] = field(default=())

    @property
    def ratio(self) -> float:
        """``||dW[1]|| / ||dW[depth]||``: how much the gradient shrank (< 1) or grew (> 1) on its way down."""
        with np.errstate(all="ignore"):
            return float(self.grad_norms[0] / self.grad_norms[-1])


def gradient_norms_state(depth: int = 10, activation: str = "sigmoid", init: str = "xavier", width: int = 32,
                         seed: int = 0, m: int = 64, layer_grad_norms: Callable[..., Any] | None = None,
                         xavier_init: InitFn | None = None, he_init: InitFn | None = None) -> GradientNormsState:
    """One forward and backward pass of the network; the norms of every layer's ``dW``."""
    rng = np.random.default_rng(seed)
    sizes = [width] * depth + [1]
    acts = [activation] * (depth - 1) + ["identity"]
    notes: tuple[str, ...] = ()
    try:
        with np.errstate(all="ignore"):
            params = init_params(sizes, rng, init, {"xavier": xavier_init, "he": he_init}.get(init))
            x = rng.standard_normal((m, width))
            y = rng.standard_normal((m, 1))
            _, grads = mlp.loss_and_grads(params, x, y, "mse", acts)
            if layer_grad_norms is None:
                norms = np.array([np.linalg.norm(g["W"]) for g in grads])
            else:
                norms = np.asarray(call_exercise(layer_grad_norms, EXERCISES["layer_grad_norms"], grads),
                                   dtype=np.float64)
                if norms.shape != (depth,):
                    raise ExerciseNotDone(f"Your layer_grad_norms returned shape {norms.shape} for {depth} layers; "
                                          f"expected ({depth},)")
            _, caches = mlp.forward(params, x, acts)
            spread = np.array([float(np.std(dense_cache[0])) for dense_cache, _ in caches])
    except ExerciseNotDone as exc:
        norms, spread, notes = np.full(depth, np.nan), np.full(depth, np.nan), (str(exc),)
    return GradientNormsState(int(depth), activation, init, int(width), int(seed), norms, spread, notes)


def gradient_norms_figure(state: GradientNormsState, fig: Figure | None = None) -> Figure:
    """Log bar plot of ``||dW[l]||`` per layer (input side on the left), and the signal's spread."""
    fig = new_figure((8.5, 3.4), fig)
    left = panel(fig, (0.08, 0.16, 0.55, 0.7))
    layers = np.arange(1, state.depth + 1)
    norms = np.where(np.isfinite(state.grad_norms), state.grad_norms, np.nan)
    shown = np.maximum(norms, 1e-30)
    left.bar(layers, shown, color="C0")
    left.set_yscale("log")
    finite = shown[np.isfinite(shown)]
    if finite.size:
        left.set_ylim(max(float(finite.min()) / 10, 1e-30), float(finite.max()) * 10)
    left.set_xlabel("layer l (1 = next to the input)", fontsize=8)
    left.set_ylabel("||dW[l]||", fontsize=8)
    left.tick_params(labelsize=7)
    left.grid(True, axis="y", alpha=0.3)
    left.set_title(f"{state.depth} layers of {state.width} {state.activation} units, init {state.init}: "
                   f"||dW[1]|| / ||dW[{state.depth}]|| = {state.ratio:.1e}", fontsize=9)
    right = panel(fig, (0.72, 0.16, 0.26, 0.7))
    right.plot(layers, state.signal_std, "o-", color="C1", ms=3)
    right.set_yscale("log")
    right.set_xlabel("layer l", fontsize=8)
    right.set_title("std of the input a[l−1]", fontsize=9)
    right.tick_params(labelsize=7)
    right.grid(True, alpha=0.3)
    draw_notes(fig, state.notes)
    return few_ticks(fig)


class VanishingGradientExplorer(Explorer):
    """Controls: depth, activation, init, seed. Lesson 07's functions: the student's, optional."""

    size = (8.5, 3.4)

    def __init__(self, layer_grad_norms: Callable[..., Any] | None = None, xavier_init: InitFn | None = None,
                 he_init: InitFn | None = None, depth: int = 10, activation: str = "sigmoid", init: str = "xavier",
                 seed: int = 0) -> None:
        import ipywidgets as W

        self.students = {"layer_grad_norms": layer_grad_norms, "xavier_init": xavier_init, "he_init": he_init}
        controls = {
            "depth": W.IntSlider(value=depth, min=2, max=40, description="depth", continuous_update=False),
            "activation": W.Dropdown(options=list(ACTIVATIONS), value=activation, description="activation"),
            "init": W.Dropdown(options=list(INITS), value=init, description="init"),
            "seed": W.IntSlider(value=seed, min=0, max=20, description="seed", continuous_update=False),
        }
        super().__init__(controls, name="vanishing")

    def compute(self, depth: int, activation: str, init: str, seed: int) -> GradientNormsState:
        return gradient_norms_state(depth, activation, init, seed=seed, **self.students)

    def draw(self, state: GradientNormsState, fig: Figure | None = None) -> Figure:
        return gradient_norms_figure(state, fig)
