r"""The classic 2-H-1 sigmoid network on XOR, trained for many random seeds at once.

Lesson 06 asks: the textbook's network (2 inputs, 2 sigmoid hidden units,
1 sigmoid output, weights uniform in [0, 1), lr 0.1, 10 000 epochs) usually
learns XOR, but not always. How often does it fail, and which recipe never
does? Answering takes hundreds of training runs, so this module trains all of
them together: every parameter gets a leading "seed" axis, and each line of
the training step is one array operation for all seeds at once.

Shapes, for ``S`` seeds, ``H`` hidden units and the ``m = 4`` XOR examples::

    x      (4, 2)        the same four inputs for every network
    W1     (S, 2, H)     b1 (S, H)
    W2     (S, H, 1)     b2 (S, 1)
    z1, a1 (S, 4, H)     z2, y_hat (S, 4, 1)

``x @ W1`` with ``x`` of shape (4, 2) and ``W1`` of shape (S, 2, H) is
``np.matmul`` on a stack: S matrix products, one call. A single network
(:func:`train_one`) is the same code without the leading ``S``, with the
course's bias shapes, ``b1`` (H,) and ``b2`` (1,), and ``db = delta.sum(axis=0)``;
a bias is added as ``b[..., None, :]`` so that, in a stack too, it
broadcasts over the examples of its own network.

The update is the classic example's: plain gradient descent on a loss SUMMED over the
four examples (not averaged), with ``sigma'(z) = a (1 - a)``:

.. math::
    \text{mse:}\quad \mathcal{L} = \tfrac12 \sum_i (\hat y_i - y_i)^2,\qquad
        \delta_2 = (\hat y - y) \odot \hat y (1 - \hat y)

    \text{bce:}\quad \mathcal{L} = -\sum_i \big[y_i \log \hat y_i + (1 - y_i) \log(1 - \hat y_i)\big],\qquad
        \delta_2 = \hat y - y

    \delta_1 = (\delta_2 W_2^\top) \odot a_1 (1 - a_1),\quad
    dW_2 = a_1^\top \delta_2,\quad db_2 = \textstyle\sum_i \delta_2,\quad
    dW_1 = x^\top \delta_1,\quad db_1 = \textstyle\sum_i \delta_1

and every parameter moves by ``-lr * d(parameter)``.

A network has SOLVED XOR when all four outputs are on the right side of 0.5.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, NamedTuple

import numpy as np

from ..nn.datasets import xor

#: How the weights may be drawn at the start (see :func:`init_params`).
INITS = ("uniform", "symmetric", "xavier")
LOSSES = ("mse", "bce")


@dataclass(frozen=True)
class Recipe:
    """Everything that decides how a network is built and trained, except the seed.

    hidden   number of hidden units ``H``.
    init     ``"uniform"``: every weight and bias uniform in [0, scale) (the classic example's, with scale 1);
             ``"symmetric"``: uniform in [-scale, scale);
             ``"xavier"``: weights uniform in +-scale * sqrt(6 / (fan_in + fan_out)), biases 0.
    scale    see ``init``.
    lr       the learning rate.
    loss     ``"mse"`` (the classic example's) or ``"bce"`` (binary cross-entropy).
    epochs   number of full-batch gradient steps.
    """


    hidden: int = 2
    init: str = "uniform"
    scale: float = 1.0
    lr: float = 0.1
    loss: str = "mse"
    epochs: int = 10_000

    def __post_init__(self) -> None:
        if self.init not in INITS:
            raise ValueError(f"init must be one of {INITS}, got {self.init!r}")
        if self.loss not in LOSSES:
            raise ValueError(f"loss must be one of {LOSSES}, got {self.loss!r}")
        if self.hidden < 1 or self.epochs < 0 or self.lr <= 0 or self.scale <= 0:
            raise ValueError(f"hidden >= 1, epochs >= 0, lr > 0 and scale > 0 are needed: {self}")


#: The classic recipe: 2-2-1, uniform [0, 1) init, lr 0.1, squared error, 10 000 epochs.
CLASSIC_RECIPE = Recipe()
#: A recipe that solved every one of seeds 0..4999 when measured, every output within 0.001 of
#: its target (see benchmarks/README.md): eight hidden units, weights centred on zero,
#: cross-entropy (no sigma' factor in delta2 to stall the output), a five times larger step.
ROBUST_RECIPE = Recipe(hidden=8, init="symmetric", scale=1.0, lr=0.5, loss="bce")


class XorParams(NamedTuple):
    """The four parameter arrays, for one network or a stack of ``S`` networks.

    One network: W1 (2, H), b1 (H,), W2 (H, 1), b2 (1,)  (the course's bias shape, as in ``nn.layers``).
    A stack:     W1 (S, 2, H), b1 (S, H), W2 (S, H, 1), b2 (S, 1): the same, with a leading ``S``.
    """

    W1: np.ndarray
    b1: np.ndarray
    W2: np.ndarray
    b2: np.ndarray


def init_params(seed: int, recipe: Recipe = CLASSIC_RECIPE) -> XorParams:
    """The starting parameters of one network, drawn from ``np.random.default_rng(seed)``.

    Drawn in the order W1, b1, W2, b2 (the textbook's order), so one seed
    always gives the same network, whether trained alone or in a stack.
    Shapes: W1 (2, H), b1 (H,), W2 (H, 1), b2 (1,).
    """
    rng = np.random.default_rng(seed)
    H = recipe.hidden
    shapes = [(2, H), (H,), (H, 1), (1,)]
    if recipe.init == "uniform":
        arrays = [rng.uniform(0.0, recipe.scale, size=s) for s in shapes]
    elif recipe.init == "symmetric":
        arrays = [rng.uniform(-recipe.scale, recipe.scale, size=s) for s in shapes]
    else:  # xavier: the limit keeps the variance of z about the same in every layer
        limit1 = recipe.scale * np.sqrt(6.0 / (2 + H))
        limit2 = recipe.scale * np.sqrt(6.0 / (H + 1))
        arrays = [rng.uniform(-limit1, limit1, size=(2, H)), np.zeros(H),
                  rng.uniform(-limit2, limit2, size=(H, 1)), np.zeros(1)]
    return XorParams(*arrays)


def init_stack(seeds: Iterable[int], recipe: Recipe = CLASSIC_RECIPE) -> XorParams:
    """:func:`init_params` for every seed, stacked along a new first axis of length ``S``.

    W1 (S, 2, H), b1 (S, H), W2 (S, H, 1), b2 (S, 1): see :class:`XorParams`.
    """
    each = [init_params(int(s), recipe) for s in seeds]
    return XorParams(*(np.stack(arrays) for arrays in zip(*each)))


def sigmoid(z: np.ndarray) -> np.ndarray:
    """``1 / (1 + exp(-z))``, computed as ``(1 + tanh(z / 2)) / 2``.

    The two are the same function; the tanh form never overflows (no warning
    for z = -1000) and costs three array operations, done in place.
    """
    a = np.tanh(z * 0.5)
    a += 1.0
    a *= 0.5
    return a


def loss_value(y_hat: np.ndarray, y: np.ndarray, loss: str) -> np.ndarray:
    """The loss summed over the examples (axis -2), one value per network.

    ``y_hat`` (..., 4, 1) and ``y`` (4, 1) -> shape (...,): ``()`` for one
    network, ``(S,)`` for a stack. For ``"bce"``, ``y_hat`` is clipped to
    [1e-15, 1 - 1e-15] so that a saturated output gives a large loss, not inf.
    """
    if loss == "mse":
        per_example = 0.5 * (y_hat - y) ** 2
    else:
        p = np.clip(y_hat, 1e-15, 1.0 - 1e-15)
        per_example = -(y * np.log(p) + (1.0 - y) * np.log(1.0 - p))
    return per_example.sum(axis=(-2, -1))


def predict(params: XorParams, x: np.ndarray) -> np.ndarray:
    """The network's output for inputs ``x`` (m, 2): ``(m, 1)`` for one network, ``(S, m, 1)`` for a stack.

    Works for any ``m``, e.g. a grid of points for a decision-boundary plot.
    """
    a1 = sigmoid(x @ params.W1 + params.b1[..., None, :])
    return sigmoid(a1 @ params.W2 + params.b2[..., None, :])


def solved(y_hat: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Whether every output is on the right side of 0.5: ``(..., 4, 1)`` -> ``(...)`` of bool."""
    return ((y_hat > 0.5) == (y > 0.5)).all(axis=(-2, -1))


@dataclass
class XorRun:
    """The outcome of training one network per seed.

    seeds         (S,)    the seeds, in order.
    y_hat         (S, 4)  final outputs on the four XOR inputs (00, 01, 10, 11).
    loss          (S,)    final loss (summed over the four examples, as trained).
    solved        (S,)    all four outputs on the right side of 0.5.
    params        the final parameters, stacked (see :class:`XorParams`).
    recipe        the :class:`Recipe` used.
    loss_history  (S, R)  the loss every ``record_every`` epochs (epoch 0 first), if asked for.
    snapshots     the parameters at the same epochs (a list of stacked XorParams), if asked for.
    """

    seeds: np.ndarray
    y_hat: np.ndarray
    loss: np.ndarray
    solved: np.ndarray
    params: XorParams
    recipe: Recipe
    loss_history: np.ndarray | None = None
    snapshots: list[XorParams] = field(default_factory=list)

    @property
    def unsolved_fraction(self) -> float:
        """The share of seeds whose network did not solve XOR."""
        return float(1.0 - self.solved.mean())

    @property
    def unsolved_seeds(self) -> list[int]:
        """The seeds whose network did not solve XOR."""
        return [int(s) for s in self.seeds[~self.solved]]

    def __repr__(self) -> str:
        return (f"XorRun({len(self.seeds)} seeds, {int(self.solved.sum())} solved, "
                f"unsolved fraction {self.unsolved_fraction:.3g}, {self.recipe})")


def _output_delta(y_hat: np.ndarray, y: np.ndarray, loss: str) -> np.ndarray:
    """``delta2 = dloss/dz2``, the same shape as ``y_hat``."""
    if loss == "mse":
        return (y_hat - y) * y_hat * (1.0 - y_hat)
    return y_hat - y


def gradients(params: XorParams, x: np.ndarray, y: np.ndarray, loss: str) -> tuple[np.ndarray, XorParams]:
    """One forward and backward pass: ``(y_hat, grads)`` for one network or a stack.

    ``x`` (m, 2), ``y`` (m, 1); ``params`` as in :class:`XorParams`, with or
    without the leading ``S`` axis. ``y_hat`` is (m, 1) or (S, m, 1); each
    gradient has the shape of its parameter and is ``d loss / d parameter``
    of the loss SUMMED over the ``m`` examples (one loss per network).
    """
    W1, b1, W2, b2 = params
    # forward
    z1 = x @ W1 + b1[..., None, :]                               # (S, m, H): b1 added to every row
    a1 = sigmoid(z1)
    z2 = a1 @ W2 + b2[..., None, :]                              # (S, m, 1)
    y_hat = sigmoid(z2)
    # backward
    delta2 = _output_delta(y_hat, y, loss)                       # (S, m, 1)
    dW2 = a1.swapaxes(-1, -2) @ delta2                           # (S, H, 1)
    db2 = delta2.sum(axis=-2)                                    # (S, 1), or (1,) for one network
    delta1 = (delta2 @ W2.swapaxes(-1, -2)) * a1 * (1.0 - a1)    # (S, m, H)
    dW1 = x.T @ delta1                                           # (S, 2, H)
    db1 = delta1.sum(axis=-2)                                    # (S, H), or (H,) for one network
    return y_hat, XorParams(dW1, db1, dW2, db2)


def train_many(seeds: Iterable[int], recipe: Recipe = CLASSIC_RECIPE, *,
               record_every: int | None = None) -> XorRun:
    """Train one network per seed, all at once: every step is a few array operations on stacks.

    ``record_every=k`` also records the loss and a copy of the parameters at
    epochs 0, k, 2k, ... (for plots of training over time).
    """
    seeds = np.asarray(list(seeds), dtype=np.int64)
    x, y = xor()                                    # x (4, 2), y (4, 1)
    params = init_stack(seeds, recipe)              # W1 (S, 2, H), b1 (S, H), W2 (S, H, 1), b2 (S, 1)
    history, snapshots = [], []
    for epoch in range(recipe.epochs):
        y_hat, grads = gradients(params, x, y, recipe.loss)
        if record_every and epoch % record_every == 0:
            history.append(loss_value(y_hat, y, recipe.loss))
            snapshots.append(XorParams(*(p.copy() for p in params)))
        for p, dp in zip(params, grads):
            p -= recipe.lr * dp                     # in place: all S networks in one operation
    y_hat = predict(params, x)
    loss = loss_value(y_hat, y, recipe.loss)
    if record_every and recipe.epochs % record_every == 0:
        history.append(loss)
        snapshots.append(XorParams(*(p.copy() for p in params)))
    return XorRun(seeds=seeds, y_hat=y_hat[..., 0], loss=loss, solved=solved(y_hat, y),
                  params=params, recipe=recipe,
                  loss_history=np.stack(history, axis=1) if history else None, snapshots=snapshots)


def train_one(seed: int, recipe: Recipe = CLASSIC_RECIPE) -> tuple[XorParams, np.ndarray, float]:
    """Train ONE network, the plain way: the textbook's loop with 2-D arrays, written out.

    The baseline of the benchmark and of the tests of :func:`train_many`. Returns the final parameters, ``y_hat`` (4, 1) and the final loss.
    """
    x, y = xor()                                    # x (4, 2), y (4, 1)
    W1, b1, W2, b2 = init_params(seed, recipe)      # (2, H), (H,), (H, 1), (1,)
    lr = recipe.lr
    for _ in range(recipe.epochs):
        # forward
        z1 = x @ W1 + b1                            # (4, H)
        a1 = sigmoid(z1)
        z2 = a1 @ W2 + b2                           # (4, 1)
        y_hat = sigmoid(z2)
        # backward
        delta2 = _output_delta(y_hat, y, recipe.loss)          # (4, 1)
        dW2 = a1.T @ delta2                                    # (H, 1)
        db2 = delta2.sum(axis=0)                               # (1,)
        delta1 = (delta2 @ W2.T) * a1 * (1.0 - a1)             # (4, H)
        dW1 = x.T @ delta1                                     # (2, H)
        db1 = delta1.sum(axis=0)                               # (H,)
        # update, in place
        W1 -= lr * dW1
        b1 -= lr * db1
        W2 -= lr * dW2
        b2 -= lr * db2
    params = XorParams(W1, b1, W2, b2)
    y_hat = predict(params, x)
    return params, y_hat, float(loss_value(y_hat, y, recipe.loss))


def train_loop(seeds: Iterable[int], recipe: Recipe = CLASSIC_RECIPE) -> XorRun:
    """:func:`train_one` for each seed in turn, collected into the same :class:`XorRun` as :func:`train_many`."""
    seeds = np.asarray(list(seeds), dtype=np.int64)
    _, y = xor()
    runs = [train_one(int(s), recipe) for s in seeds]
    params = XorParams(*(np.stack(arrays) for arrays in zip(*(p for p, _, _ in runs))))
    y_hat = np.stack([yh for _, yh, _ in runs])                    # (S, 4, 1)
    return XorRun(seeds=seeds, y_hat=y_hat[..., 0], loss=np.array([l for _, _, l in runs]),
                  solved=solved(y_hat, y), params=params, recipe=recipe)


@dataclass
class LongRun:
    """Many networks trained for a long time, recorded at log-spaced epochs.

    seeds        (S,)    the seeds.
    epochs       (R,)    the epochs recorded (0 first, ``recipe.epochs`` last, log-spaced between).
    loss         (S, R)  the loss (summed over the four examples, as trained) at each recorded epoch.
    grad_norm    (S, R)  the length of the whole gradient (all four arrays as one vector) there.
    weight_norm  (S, R)  the length of all the parameters as one vector there.
    solved       (S, R)  whether all four outputs were on the right side of 0.5 there.
    """

    seeds: np.ndarray
    epochs: np.ndarray
    loss: np.ndarray
    grad_norm: np.ndarray
    weight_norm: np.ndarray
    solved: np.ndarray
    recipe: Recipe


def long_run(seeds: Iterable[int], recipe: Recipe = CLASSIC_RECIPE, *, points: int = 41) -> LongRun:
    """Train one network per seed for ``recipe.epochs`` epochs, all at once, recording at log-spaced epochs.

    Cheap enough for 10**5 epochs in a few seconds (the cost is per epoch,
    hardly per seed). The record is taken before the update of each recorded
    epoch, so epoch 0 is the start.
    """
    seeds = np.asarray(list(seeds), dtype=np.int64)
    x, y = xor()
    params = init_stack(seeds, recipe)
    marks = np.unique(np.concatenate([[0], np.geomspace(1, max(recipe.epochs, 1), points).round()])).astype(int)
    marks = marks[marks <= recipe.epochs]
    wanted = set(int(e) for e in marks)
    rows: list[tuple[np.ndarray, ...]] = []
    for epoch in range(recipe.epochs + 1):
        y_hat, grads = gradients(params, x, y, recipe.loss)
        if epoch in wanted:
            rows.append((loss_value(y_hat, y, recipe.loss),
                         np.sqrt(sum((g.reshape(len(seeds), -1) ** 2).sum(axis=1) for g in grads)),
                         np.sqrt(sum((p.reshape(len(seeds), -1) ** 2).sum(axis=1) for p in params)),
                         solved(y_hat, y)))
        if epoch == recipe.epochs:
            break
        for p, dp in zip(params, grads):
            p -= recipe.lr * dp
    loss, grad_norm, weight_norm, ok = (np.stack(col, axis=1) for col in zip(*rows))
    return LongRun(seeds, marks, loss, grad_norm, weight_norm, ok, recipe)
