r"""Lesson 06's XOR network with named parameters, epochs-to-solve over many seeds, and its figures.

The network is the textbook's ``2-H-1`` sigmoid network (``H = 2`` there),
with its parameters in a dict, the form the lesson's exercises use::

    params = {"W1": (2, H), "b1": (H,), "W2": (H, 1), "b2": (1,)}

    z1 = x @ W1 + b1        a1 = sigmoid(z1)        x (m, 2), z1 and a1 (m, H)
    z2 = a1 @ W2 + b2       y_hat = sigmoid(z2)     z2 and y_hat (m, 1)

The loss is SUMMED over the ``m`` examples, as in the classic example's code (no ``1/m``):

* ``"mse"``: ``loss = 1/2 * sum (y_hat - y)**2``, so ``delta2 = (y_hat - y) * y_hat * (1 - y_hat)``;
* ``"bce"``: ``loss = -sum [y log y_hat + (1 - y) log(1 - y_hat)]``, so ``delta2 = y_hat - y``.

Below the output both are the same: ``delta1 = (delta2 @ W2.T) * a1 * (1 - a1)``,
``dW2 = a1.T @ delta2``, ``db2 = sum of delta2 over rows``, ``dW1 = x.T @ delta1``,
``db1 = sum of delta1 over rows``: ``delta.sum(axis=0)``, the course's bias shape
(one bias per unit, shared by every example, as in :mod:`backprop_lib.nn.layers`).

The reference functions here (:func:`forward`, :func:`backward`,
:func:`train_step`, :func:`train`) are what lesson 06 asks the student to
write; the checks use them as oracles and forbid calling them. The
many-seeds machinery (:func:`epochs_to_solve`) reuses the stacked trainer
of :mod:`backprop_lib.lessons.xor`, so one seed gives the same starting network in
every function of both modules.
"""
from __future__ import annotations

from typing import Callable, Iterable, Mapping, NamedTuple

import matplotlib.pyplot as plt
import numpy as np

from . import xor
from ..nn.datasets import xor as xor_data

Params = dict[str, np.ndarray]
#: The parameter names, in the order of the textbook form (and of :class:`backprop_lib.lessons.xor.XorParams`).
PARAM_NAMES = ("W1", "b1", "W2", "b2")


def init(seed: int, recipe: xor.Recipe = xor.CLASSIC_RECIPE) -> Params:
    """The starting parameters for ``seed``, as a dict: the same draws as :func:`backprop_lib.lessons.xor.init_params`."""
    return dict(zip(PARAM_NAMES, xor.init_params(seed, recipe)))


def as_dict(p: xor.XorParams) -> Params:
    """An :class:`~backprop_lib.lessons.xor.XorParams` (one network) as a dict of copies.

    Biases held as rows (``b1`` (1, H), ``b2`` (1, 1), the classic example's
    shapes) get the course's, ``b1`` (H,) and ``b2`` (1,).
    """
    out = {k: np.array(v, dtype=np.float64) for k, v in zip(PARAM_NAMES, p)}
    out["b1"], out["b2"] = out["b1"].reshape(-1), out["b2"].reshape(-1)
    return out


def forward(params: Mapping[str, np.ndarray], x: np.ndarray) -> tuple[np.ndarray, tuple]:
    """``(y_hat, cache)``: ``y_hat`` (m, 1) and ``cache = (x, a1, y_hat)`` for :func:`backward`."""
    a1 = xor.sigmoid(x @ params["W1"] + params["b1"])
    y_hat = xor.sigmoid(a1 @ params["W2"] + params["b2"])
    return y_hat, (x, a1, y_hat)


def loss(y_hat: np.ndarray, y: np.ndarray, kind: str = "mse") -> float:
    """The loss summed over the examples: ``"mse"`` (1/2 sum of squares) or ``"bce"``."""
    return float(xor.loss_value(np.asarray(y_hat, dtype=np.float64), y, kind))


def backward(params: Mapping[str, np.ndarray], cache: tuple, y: np.ndarray, kind: str = "mse") -> Params:
    """The gradients of the summed loss, ``{"W1": dW1, ...}``, each of its parameter's shape.

    ``db = delta.sum(axis=0)``: (H,) and (1,) for the course's biases (a
    caller holding (1, H) biases gets (1, H) back: each gradient takes its
    parameter's shape).
    """
    x, a1, y_hat = cache
    delta2 = (y_hat - y) * y_hat * (1.0 - y_hat) if kind == "mse" else y_hat - y     # (m, 1)
    delta1 = (delta2 @ params["W2"].T) * a1 * (1.0 - a1)                             # (m, H)
    return {"W1": x.T @ delta1, "b1": delta1.sum(axis=0).reshape(np.shape(params["b1"])),
            "W2": a1.T @ delta2, "b2": delta2.sum(axis=0).reshape(np.shape(params["b2"]))}


class XorOps(NamedTuple):
    """The pieces a training step or loop is built from.

    ``forward(params, x) -> (y_hat, cache)``; ``loss(y_hat, y) -> float``;
    ``backward(params, cache, y) -> grads``; ``train_step(params, x, y, lr) ->
    (loss, y_hat)``. :func:`library_ops` gives the library's; a student can
    pass their own functions in their place.
    """

    forward: Callable
    loss: Callable
    backward: Callable
    train_step: Callable


def library_ops(kind: str = "mse") -> XorOps:
    """The library's pieces for the loss ``kind`` (``"mse"``, the classic example's, or ``"bce"``)."""
    if kind not in xor.LOSSES:
        raise ValueError(f"kind must be one of {xor.LOSSES}, got {kind!r}")

    def loss_fn(y_hat: np.ndarray, y: np.ndarray) -> float:
        return loss(y_hat, y, kind)

    def backward_fn(params: Mapping[str, np.ndarray], cache: tuple, y: np.ndarray) -> Params:
        return backward(params, cache, y, kind)

    ops = XorOps(forward, loss_fn, backward_fn, None)

    def step_fn(params: Params, x: np.ndarray, y: np.ndarray, lr: float) -> tuple[float, np.ndarray]:
        return train_step(params, x, y, lr, ops)

    return ops._replace(train_step=step_fn)


def train_step(params: Params, x: np.ndarray, y: np.ndarray, lr: float, ops: XorOps) -> tuple[float, np.ndarray]:
    """One step of gradient descent, in place; returns ``(loss, y_hat)`` from BEFORE the update."""
    y_hat, cache = ops.forward(params, x)
    value = ops.loss(y_hat, y)
    grads = ops.backward(params, cache, y)
    for name in PARAM_NAMES:
        params[name] -= lr * grads[name]
    return value, y_hat


def is_solved(y_hat: np.ndarray, y: np.ndarray) -> bool:
    """True when every output is on the right side of 0.5."""
    return bool(np.all((np.asarray(y_hat) > 0.5) == (np.asarray(y) > 0.5)))


def train(params: Params, x: np.ndarray, y: np.ndarray, lr: float, epochs: int,
          ops: XorOps) -> tuple[np.ndarray, int | None]:
    """``epochs`` steps of ``ops.train_step``; returns ``(history, solved_at)``.

    ``history`` (epochs,) holds the loss before each update; ``solved_at`` is
    the first epoch (0-based: the number of updates made so far) whose
    outputs were all on the right side of 0.5, or ``None``.
    """
    history = np.zeros(epochs)
    solved_at = None
    for epoch in range(epochs):
        history[epoch], y_hat = ops.train_step(params, x, y, lr)
        if solved_at is None and is_solved(y_hat, y):
            solved_at = epoch
    return history, solved_at


def ops_from(forward_fn: Callable | None = None, backward_fn: Callable | None = None,
             train_step_fn: Callable | None = None, *, verbose: bool = True) -> XorOps:
    """Pieces for a training run made of a student's functions where they work, the library's elsewhere.

    ``forward_fn(params, x)``, ``backward_fn(params, cache, y)`` (the classic example's
    summed squared error) and ``train_step_fn(params, x, y, lr, ops)`` are
    each tried once on the XOR points against the library; one that raises
    or disagrees is replaced by the library's piece, and (with ``verbose``)
    a line says which pieces are the student's. The returned ``train_step``
    is the student's step running on the chosen forward and backward.
    """
    x, y = xor_data()
    lib = library_ops("mse")
    probe = init(0)
    chosen = {"forward": lib.forward, "backward": lib.backward}
    used = []

    def agrees(got: object, want: object) -> bool:
        try:
            have = np.asarray(got, dtype=np.float64)
            # the same shape too: a (1, H) bias gradient would broadcast here but break the update in place
            return have.shape == np.shape(want) and bool(np.allclose(have, want, rtol=1e-6, atol=1e-9))
        except Exception:  # noqa: BLE001 - anything unusable counts as "does not agree"
            return False

    def attempt(fn: Callable, *args: object) -> object:
        try:
            with np.errstate(all="ignore"):
                return fn(*args)
        except Exception:  # noqa: BLE001 - an unfinished or broken piece is replaced, not fatal
            return None

    y_ref, cache_ref = forward(probe, x)
    grads_ref = backward(probe, cache_ref, y)
    if forward_fn is not None:
        got = attempt(forward_fn, {k: v.copy() for k, v in probe.items()}, x.copy())
        if isinstance(got, tuple) and len(got) == 2 and agrees(got[0], y_ref):
            chosen["forward"] = forward_fn
            used.append("forward")
    if backward_fn is not None:
        got = attempt(backward_fn, {k: v.copy() for k, v in probe.items()}, cache_ref, y)
        if isinstance(got, Mapping) and all(k in got and agrees(got[k], grads_ref[k]) for k in PARAM_NAMES):
            chosen["backward"] = backward_fn
            used.append("backward")
    ops = XorOps(chosen["forward"], lib.loss, chosen["backward"], None)
    step = lib.train_step if not used else (lambda p, xx, yy, lr: train_step(p, xx, yy, lr, ops))
    if train_step_fn is not None:
        trial = {k: v.copy() for k, v in probe.items()}
        got = attempt(train_step_fn, trial, x.copy(), y.copy(), 0.1, ops)
        expected = {k: probe[k] - 0.1 * grads_ref[k] for k in PARAM_NAMES}
        if (isinstance(got, tuple) and len(got) == 2 and agrees(got[0], loss(y_ref, y))
                and all(agrees(trial[k], expected[k]) for k in PARAM_NAMES)):
            step = lambda p, xx, yy, lr: train_step_fn(p, xx, yy, lr, ops)  # noqa: E731
            used.append("train_step")
    if verbose:
        mine = ", ".join(used) if used else "none yet"
        print(f"pieces of yours in use: {mine} (the library's stand in for the rest)")
    return ops._replace(train_step=step)


def recipe_or_none(recipe_fn: Callable[[], object]) -> xor.Recipe | None:
    """``recipe_fn()`` as a :class:`~backprop_lib.lessons.xor.Recipe` if it gives a usable one, else ``None`` (with a note).

    A dict of Recipe's fields is accepted too. Epochs above 10 000 are not run.
    """
    try:
        got = recipe_fn()
        recipe = got if isinstance(got, xor.Recipe) else xor.Recipe(**got)
    except NotImplementedError:
        print("xor_recipe is not written yet: only the classic recipe is shown")
        return None
    except Exception as exc:  # noqa: BLE001 - a broken answer is reported, not raised
        print(f"xor_recipe did not give a usable Recipe ({type(exc).__name__}: {exc}); skipped")
        return None
    if recipe.epochs > 10_000:
        print(f"xor_recipe asks for {recipe.epochs} epochs; skipped (too slow to show here)")
        return None
    return recipe


# ---------------------------------------------------------------------------- many seeds

class Sweep(NamedTuple):
    """Epochs to solve XOR, one network per seed.

    seeds   (S,) the seeds.
    epochs  (S,) float: the first epoch at which all four outputs were right
            (the number of updates made), ``inf`` for a network that never
            got there within ``recipe.epochs``.
    y_hat   (S, 4) the outputs when training stopped.
    recipe  the :class:`~backprop_lib.lessons.xor.Recipe`.
    """

    seeds: np.ndarray
    epochs: np.ndarray
    y_hat: np.ndarray
    recipe: xor.Recipe

    @property
    def n_solved(self) -> int:
        return int(np.isfinite(self.epochs).sum())

    @property
    def unsolved_seeds(self) -> list[int]:
        return [int(s) for s in self.seeds[~np.isfinite(self.epochs)]]

    def __str__(self) -> str:
        n = len(self.seeds)
        done = self.epochs[np.isfinite(self.epochs)]
        text = f"{self.n_solved} of {n} seeds solved ({100 * (n - self.n_solved) / n:.1f}% unsolved)"
        if done.size:
            text += (f"; epochs to solve: median {np.median(done):.0f}, "
                     f"slowest {done.max():.0f} (budget {self.recipe.epochs})")
        return text


def epochs_to_solve(seeds: Iterable[int], recipe: xor.Recipe = xor.CLASSIC_RECIPE, *,
                    stop_when_all_solved: bool = True) -> Sweep:
    """Train one network per seed, all at once, and record when each first solves XOR.

    Uses :func:`backprop_lib.lessons.xor.init_stack` and :func:`backprop_lib.lessons.xor.gradients`
    (parameters stacked along a leading seed axis). Up to ``recipe.epochs``
    updates; with ``stop_when_all_solved`` training stops as soon as every
    network has solved XOR once (the outputs then are those of that epoch).
    """
    seeds = np.asarray(list(seeds), dtype=np.int64)
    x, y = xor_data()
    params = xor.init_stack(seeds, recipe)
    first = np.full(len(seeds), np.inf)
    y_hat = None
    for epoch in range(recipe.epochs + 1):
        if epoch < recipe.epochs:
            y_hat, grads = xor.gradients(params, x, y, recipe.loss)
        else:
            y_hat = xor.predict(params, x)
        now = xor.solved(y_hat, y) & ~np.isfinite(first)
        first[now] = epoch
        if epoch == recipe.epochs or (stop_when_all_solved and np.isfinite(first).all()):
            break
        for p, dp in zip(params, grads):
            p -= recipe.lr * dp
    return Sweep(seeds, first, y_hat[..., 0], recipe)


# ---------------------------------------------------------------------------- figures

#: The course's colours for a two-class picture (as in :mod:`backprop_lib.pictures.boundary` and the XOR
#: widget): the background is the predicted probability of class 1 on the ``RdBu`` map, red near 0 and
#: blue near 1; a target 0 is a red cross, a target 1 a blue dot, and a black ring marks a point the
#: network puts on the wrong side of 0.5.
CMAP = "RdBu"
TARGET_STYLE = {0: {"marker": "X", "color": "C3", "label": "target 0"},
                1: {"marker": "o", "color": "C0", "label": "target 1"}}


def draw_xor_points(ax: plt.Axes, y_hat: np.ndarray | None, *, size: float = 10.0, legend: bool = True) -> None:
    """The four XOR points in the course's style, a ring round each one ``y_hat`` (4, 1) gets wrong.

    With ``legend``, a legend names the markers (target 0, target 1, wrong side of 0.5).
    """
    x, y = xor_data()
    for t in (0, 1):
        rows = y[:, 0] == t
        style = TARGET_STYLE[t]
        ax.plot(x[rows, 0], x[rows, 1], ls="none", marker=style["marker"], ms=size, color=style["color"],
                mec="k", label=style["label"], zorder=3)
    if y_hat is not None:
        wrong = (np.asarray(y_hat).reshape(-1) > 0.5) != (y[:, 0] > 0.5)
        ax.plot(x[wrong, 0], x[wrong, 1], ls="none", marker="o", ms=2.2 * size, mfc="none", mec="k", mew=1.5,
                label="wrong side of 0.5", zorder=4)
        if not wrong.any():
            ax.plot([], [], ls="none", marker="o", ms=2.2 * size, mfc="none", mec="k", mew=1.5,
                    label="wrong side of 0.5")
    if legend:
        ax.legend(loc="center", fontsize=7, framealpha=0.9, handletextpad=0.3, borderpad=0.3,
                  markerscale=0.6)


def plot_decision_snapshots(snapshots: list[tuple[int, Params]], *, resolution: int = 120,
                            axes: Iterable[plt.Axes] | None = None, legend: bool = True) -> list[plt.Axes]:
    """One panel per ``(epoch, params)``: the network's output over the square, and the four XOR points.

    The colour is ``y_hat`` on the course's map (:data:`CMAP`: red near 0,
    blue near 1); the black line is the decision boundary ``y_hat = 0.5``.
    Points follow :data:`TARGET_STYLE` (red cross: target 0, blue dot: target
    1), with a black ring where the network gets them wrong; with ``legend``
    the first panel carries a legend.
    """
    x, _ = xor_data()
    g = np.linspace(-0.5, 1.5, resolution)
    gx, gy = np.meshgrid(g, g)
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    if axes is None:
        _, axes = plt.subplots(1, len(snapshots), figsize=(3.0 * len(snapshots), 3.1),
                               sharex=True, sharey=True, squeeze=False)
        axes = axes[0]
    axes = list(axes)
    for i, (ax, (epoch, params)) in enumerate(zip(axes, snapshots)):
        out = forward(params, grid)[0].reshape(gx.shape)
        ax.contourf(gx, gy, out, levels=np.linspace(0, 1, 11), cmap=CMAP, vmin=0, vmax=1, alpha=0.7)
        if out.min() < 0.5 < out.max():
            ax.contour(gx, gy, out, levels=[0.5], colors="k", linewidths=1.5)
        draw_xor_points(ax, forward(params, x)[0], size=8.0, legend=legend and i == 0)
        ax.set_title(f"epoch {epoch}", fontsize=10)
        ax.set_xticks([0, 1])
        ax.set_yticks([0, 1])
        ax.set_aspect("equal")
    return axes


def plot_epochs_to_solve(sweeps: Mapping[str, Sweep], *, ax: plt.Axes | None = None,
                         bins: int = 30) -> plt.Axes:
    """Histogram (log-spaced epochs) of epochs-to-solve per sweep, unsolved seeds as a bar on the right."""
    ax = ax or plt.subplots(figsize=(8, 3.6))[1]
    finite = np.concatenate([s.epochs[np.isfinite(s.epochs)] for s in sweeps.values()])
    budget = max(s.recipe.epochs for s in sweeps.values())
    low = max(1.0, finite.min() / 1.5) if finite.size else 1.0
    edges = np.geomspace(min(low, budget / 10), budget, bins + 1)
    width = edges[-1] / edges[-2]
    never = budget * width ** 1.5
    for i, (label, s) in enumerate(sweeps.items()):
        done = s.epochs[np.isfinite(s.epochs)]
        n_never = len(s.epochs) - done.size
        ax.hist(np.maximum(done, edges[0]), bins=edges, alpha=0.6, color=f"C{i}",
                label=f"{label}: {n_never} of {len(s.epochs)} never solved")
        if n_never:
            ax.bar(never, n_never, width=never * (width - 1), color=f"C{i}", alpha=0.6, hatch="//",
                   edgecolor="k")
    ax.set_xscale("log")
    ax.axvline(budget, color="k", ls=":", lw=1)
    ax.text(never, ax.get_ylim()[1] * 0.95, "never", ha="center", va="top", fontsize=9)
    ax.set_xlabel("epochs until all four outputs are on the right side of 0.5 (log scale)")
    ax.set_ylabel("number of seeds")
    ax.legend(fontsize=8, loc="upper left")
    return ax
