r"""How gradients flow through depth: a sigmoid chain, per-layer gradient norms, initialisation, clipping.

Lesson 07's reference implementations and figures.

A chain of scalar sigmoid units (one unit per layer, ``l = 1..L``)::

    z_l = w_l * a_{l-1} + b_l,    a_l = sigmoid(z_l),    a_0 = the input

has ``d a_L / d a_0 = prod_l w_l * sigmoid'(z_l)``, and since ``sigmoid' <= 1/4``
its size is at most ``prod_l |w_l| / 4``: with weights ``|w_l| <= 1`` the
derivative shrinks at least fourfold per layer (larger weights lift the bound; ``w_l = 6`` can grow it).

Deep MLPs use :mod:`backprop_lib.nn.mlp` (batch-first, one ``{"W", "b"}`` dict
per layer). :func:`layer_grad_norms` turns a network's gradients into one
number per layer, ``||dW_l||`` (Frobenius); :func:`deep_grad_norms` builds a
deep network with a given activation and initialisation and returns those
norms, the numbers behind the lesson's log-scale plot.

Initialisation (derived in the lesson): Xavier/Glorot draws ``W`` with
variance ``2 / (n_in + n_out)``, He with ``2 / n_in``; both zero-mean.
:func:`clip_by_norm` rescales all gradients together when their joint norm
exceeds a threshold, the usual guard against exploding gradients.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np

from ..nn import mlp
from ..nn.activations import sigmoid
from ..nn.datasets import moons

Grads = list[dict[str, np.ndarray]]


# ---------------------------------------------------------------------------- the sigmoid chain

def chain_forward(a0: np.ndarray | float, w: Sequence[float], b: Sequence[float]) -> list[np.ndarray]:
    """The activations ``[a_0, a_1, ..., a_L]`` of the chain, element-wise over ``a0`` (any shape)."""
    acts = [np.asarray(a0, dtype=np.float64)]
    for wl, bl in zip(w, b):
        acts.append(sigmoid(wl * acts[-1] + bl))
    return acts


def chain_gradient(a0: np.ndarray | float, w: Sequence[float], b: Sequence[float]) -> np.ndarray:
    """``d a_L / d a_0`` of the sigmoid chain, element-wise over ``a0``: the product of ``w_l * a_l (1 - a_l)``."""
    acts = chain_forward(a0, w, b)
    grad = np.ones_like(acts[0])
    for wl, a in zip(w, acts[1:]):
        grad = grad * wl * a * (1.0 - a)
    return grad


def chain_bound(w: Sequence[float]) -> float:
    """The largest ``|d a_L / d a_0|`` can be, whatever ``a0`` and ``b``: ``prod |w_l| / 4``."""
    return float(np.prod(np.abs(np.asarray(w, dtype=np.float64)) / 4.0))


def random_chains(rng: np.random.Generator, n_chains: int, depth: int, *, w_limit: float = 3.0,
                  b_std: float = 1.0) -> np.ndarray:
    """``log10 |d a_L / d a_0|`` for ``n_chains`` random chains at every depth ``L = 1..depth``: (n_chains, depth).

    Weights uniform in ``[-w_limit, w_limit]``, biases normal with std ``b_std``,
    starts ``a_0`` uniform in [-2, 2]; all chains are run at once, one array entry each.
    """
    w = rng.uniform(-w_limit, w_limit, (n_chains, depth))
    b = rng.normal(0.0, b_std, (n_chains, depth))
    a = rng.uniform(-2.0, 2.0, n_chains)
    grad = np.ones(n_chains)
    out = np.empty((n_chains, depth))
    with np.errstate(divide="ignore"):
        for l in range(depth):
            a = sigmoid(w[:, l] * a + b[:, l])
            grad = grad * w[:, l] * a * (1.0 - a)
            out[:, l] = np.log10(np.abs(grad))
    return out


# ---------------------------------------------------------------------------- norms, init, clipping

def layer_grad_norms(grads: Grads) -> np.ndarray:
    """``||dW_l||`` (Frobenius: the square root of the sum of squares) for each layer, first layer first: (L,)."""
    return np.array([np.sqrt(np.sum(np.asarray(g["W"], dtype=np.float64) ** 2)) for g in grads])


def xavier_init(n_in: int, n_out: int, rng: np.random.Generator) -> np.ndarray:
    """``W`` (n_in, n_out), normal with mean 0 and variance ``2 / (n_in + n_out)``."""
    return rng.normal(0.0, np.sqrt(2.0 / (n_in + n_out)), size=(n_in, n_out))


def he_init(n_in: int, n_out: int, rng: np.random.Generator) -> np.ndarray:
    """``W`` (n_in, n_out), normal with mean 0 and variance ``2 / n_in``."""
    return rng.normal(0.0, np.sqrt(2.0 / n_in), size=(n_in, n_out))


def global_norm(grads: Grads) -> float:
    """The norm of all gradients together, weights and biases: ``sqrt(sum of every squared entry)``."""
    return float(np.sqrt(sum(float(np.sum(np.asarray(v, dtype=np.float64) ** 2)) for g in grads for v in g.values())))


def clip_by_norm(grads: Grads, max_norm: float) -> Grads:
    """The gradients scaled by ``max_norm / global_norm`` when that norm exceeds ``max_norm``, else unchanged.

    Returns new arrays (a list of dicts of the same shapes); the direction of
    the whole gradient is kept, only its length is capped.
    """
    norm = global_norm(grads)
    scale = max_norm / norm if norm > max_norm else 1.0
    return [{k: np.asarray(v, dtype=np.float64) * scale for k, v in g.items()} for g in grads]


# ---------------------------------------------------------------------------- deep networks

#: The lesson's deep network: 2 inputs, ``DEPTH`` hidden layers of ``WIDTH`` units, one output (a logit).
DEPTH, WIDTH, BATCH = 12, 32, 128


def moons_batch(seed: int = 0, m: int = BATCH) -> tuple[np.ndarray, np.ndarray]:
    """A standardised batch of the two-moons data: ``x`` (m, 2) with mean 0 and variance 1 per column, ``y`` (m, 1)."""
    x, y = moons(np.random.default_rng(seed), m)
    return (x - x.mean(axis=0)) / x.std(axis=0), y


def deep_params(activation: str, init: str, *, gain: float = 1.0, depth: int = DEPTH, width: int = WIDTH,
                seed: int = 1) -> tuple[mlp.Params, list[str]]:
    """A deep MLP's parameters and activations: ``init`` is a scheme of :func:`backprop_lib.nn.mlp.init_params`
    (``"xavier"``, ``"he"``, ``"uniform"``) or ``"normal"`` (standard normal weights); every weight is then
    multiplied by ``gain``. The hidden layers use ``activation``, the output layer ``"identity"``."""
    sizes = [2] + [width] * depth + [1]
    rng = np.random.default_rng(seed)
    if init == "normal":
        params = [{"W": rng.normal(0.0, 1.0, (i, o)), "b": np.zeros(o)} for i, o in zip(sizes[:-1], sizes[1:])]
    else:
        params = mlp.init_params(sizes, rng, init)
    for layer in params:
        layer["W"] *= gain
    return params, [activation] * depth + ["identity"]


def deep_grad_norms(activation: str, init: str, *, gain: float = 1.0, depth: int = DEPTH, width: int = WIDTH,
                    seed: int = 1) -> np.ndarray:
    """``||dW_l||`` per layer (shape (depth + 1,)) of a fresh deep MLP on a moons batch, for the
    binary cross-entropy of its logit."""
    params, acts = deep_params(activation, init, gain=gain, depth=depth, width=width, seed=seed)
    x, y = moons_batch()
    with np.errstate(all="ignore"):
        _, grads = mlp.loss_and_grads(params, x, y, "binary_cross_entropy_with_logits", acts)
    return layer_grad_norms(grads)


def forward_stds(activation: str, init: str, *, gain: float = 1.0, depth: int = DEPTH, width: int = WIDTH,
                 seed: int = 1) -> np.ndarray:
    """The standard deviation of ``z_l`` (over the batch and the units) in every layer, shape (depth + 1,)."""
    params, acts = deep_params(activation, init, gain=gain, depth=depth, width=width, seed=seed)
    x, _ = moons_batch()
    with np.errstate(all="ignore"):
        _, caches = mlp.forward(params, x, acts)
    return np.array([float(np.std(act_cache[0])) for _, act_cache in caches])


def train_deep(activation: str, init: str, *, gain: float = 1.0, lr: float = 0.05, steps: int = 100,
               max_norm: float | None = None, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Gradient descent on the moons batch; returns ``(losses, gradient norms)``, each (steps,).

    With ``max_norm`` the gradients are clipped (:func:`clip_by_norm`) before
    each step. A run that overflows records ``inf``/``nan`` and stops updating.
    """
    params, acts = deep_params(activation, init, gain=gain, seed=seed)
    x, y = moons_batch()
    losses, norms = np.full(steps, np.nan), np.full(steps, np.nan)
    with np.errstate(all="ignore"):
        for step in range(steps):
            loss, grads = mlp.loss_and_grads(params, x, y, "binary_cross_entropy_with_logits", acts)
            losses[step], norms[step] = loss, global_norm(grads)
            if not np.isfinite(loss) or not np.isfinite(norms[step]):
                break
            if max_norm is not None:
                grads = clip_by_norm(grads, max_norm)
            mlp.sgd_step(params, grads, lr)
    return losses, norms


def plot_layer_norms(results: Mapping[str, np.ndarray], *, ax: plt.Axes | None = None,
                     title: str | None = None, ylabel: str = r"$\|dW^l\|$ (log scale)") -> plt.Axes:
    """Log-scale plot of one number per layer (``||dW_l||`` by default) against the layer ``l``
    (1 = next to the input), one line per label."""
    ax = ax or plt.subplots(figsize=(8, 4.2))[1]
    for i, (label, norms) in enumerate(results.items()):
        layers = np.arange(1, len(norms) + 1)
        shown = np.where(norms > 0, norms, np.nan)
        ax.semilogy(layers, shown, "o-", ms=4, color=f"C{i}", label=label)
    ax.set_xlabel("layer (1 = next to the input, last = output layer)")
    ax.set_ylabel(ylabel)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    if title:
        ax.set_title(title)
    return ax
