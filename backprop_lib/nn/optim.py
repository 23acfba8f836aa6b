r"""Optimisers (SGD, momentum, Adam) and a training loop that knows when to stop.

An optimiser changes a list of parameter arrays IN PLACE, given a list of
gradient arrays of the same shapes, in the same order::

    params = [W1, b1, W2, b2]
    grads  = [dW1, db1, dW2, db2]
    opt = Adam(lr=0.01)
    opt.step(params, grads)          # W1, b1, ... are now updated

All of them accept ``weight_decay`` (:math:`\lambda`, default 0), an L2
penalty :math:`\tfrac{\lambda}{2}\lVert\theta\rVert^2` added to the loss. Its
gradient is :math:`\lambda\theta`, so every rule below uses

.. math::  g = \nabla_\theta L + \lambda\,\theta

in place of the plain gradient (the "coupled" form: for Adam this is L2
regularisation, not AdamW's decoupled decay).

:func:`train` repeats ``loss, grads = step_fn(params); opt.step(params, grads)``
and stops for one of three reasons, recorded in :attr:`History.reason`:

* ``"converged"``: the loss changed by less than ``tol`` from one epoch to the next;
* ``"diverged"``: the loss became NaN or infinite (training stops, nothing crashes);
* ``"max epochs"``: neither happened within ``epochs`` epochs.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np
from tqdm.auto import tqdm

Params = Sequence[np.ndarray]
Grads = Sequence[np.ndarray]
#: ``step_fn(params) -> (loss, grads)``: one forward and backward pass over the data.
StepFn = Callable[[Params], tuple[float, Grads]]

CONVERGED, DIVERGED, MAX_EPOCHS = "converged", "diverged", "max epochs"


class Optimizer:
    """Base class: checks the arrays, applies weight decay, keeps per-parameter state.

    Subclasses implement :meth:`update`, which returns the change to add to one
    parameter. State (velocities, moment estimates) is created at the first
    step, one entry per parameter, in the order of the list; :meth:`reset`
    forgets it.
    """

    def __init__(self, lr: float, weight_decay: float = 0.0):
        if lr <= 0:
            raise ValueError(f"the learning rate must be positive, got {lr}")
        if weight_decay < 0:
            raise ValueError(f"weight_decay must be zero or positive, got {weight_decay}")
        self.lr = float(lr)
        self.weight_decay = float(weight_decay)
        self.t = 0  # number of steps taken
        self.state: list[dict[str, np.ndarray]] = []

    def reset(self) -> None:
        """Forget all state, as if no step had been taken."""
        self.t = 0
        self.state = []

    def step(self, params: Params, grads: Grads) -> None:
        """Update every array of ``params`` in place, using ``grads`` (same shapes, same order)."""
        if len(params) != len(grads):
            raise ValueError(f"{len(params)} parameter arrays but {len(grads)} gradient arrays")
        if not self.state:
            self.state = [{} for _ in params]
        elif len(self.state) != len(params):
            raise ValueError(f"this optimiser was used with {len(self.state)} parameter arrays, "
                             f"now {len(params)}: call reset() to start on new parameters")
        self.t += 1
        for i, (p, g) in enumerate(zip(params, grads)):
            g = np.asarray(g, dtype=np.float64)
            if not isinstance(p, np.ndarray) or not np.issubdtype(p.dtype, np.floating):
                raise TypeError(f"parameter {i} must be a float array to be updated in place, "
                                f"got {type(p).__name__}")
            if g.shape != p.shape:
                raise ValueError(f"gradient {i} has shape {g.shape} but its parameter has shape "
                                 f"{p.shape}: they must match")
            if self.weight_decay:
                g = g + self.weight_decay * p  # the gradient of (lambda / 2) * ||p||^2
            p += self.update(g, p, self.state[i])

    def update(self, g: np.ndarray, p: np.ndarray, state: dict[str, np.ndarray]) -> np.ndarray:
        """The change to add to ``p``, given its gradient ``g`` (weight decay included)."""
        raise NotImplementedError

    def __repr__(self) -> str:
        extra = {k: v for k, v in vars(self).items() if k not in ("state", "t")}
        return f"{type(self).__name__}({', '.join(f'{k}={v:g}' for k, v in extra.items())})"


class SGD(Optimizer):
    r"""Plain gradient descent: :math:`\theta \leftarrow \theta - \eta\, g`."""

    def __init__(self, lr: float = 0.1, weight_decay: float = 0.0):
        super().__init__(lr, weight_decay)

    def update(self, g: np.ndarray, p: np.ndarray, state: dict[str, np.ndarray]) -> np.ndarray:
        return -self.lr * g


class Momentum(Optimizer):
    r"""Gradient descent with a velocity that remembers past gradients.

    .. math::
        v &\leftarrow \beta\, v + g \qquad (v = 0 \text{ at the start})\\
        \theta &\leftarrow \theta - \eta\, v

    With a constant gradient the step grows towards :math:`\eta g / (1 - \beta)`,
    ten times the SGD step for :math:`\beta = 0.9`.
    """

    def __init__(self, lr: float = 0.01, beta: float = 0.9, weight_decay: float = 0.0):
        super().__init__(lr, weight_decay)
        if not 0 <= beta < 1:
            raise ValueError(f"beta must be in [0, 1), got {beta}")
        self.beta = float(beta)

    def update(self, g: np.ndarray, p: np.ndarray, state: dict[str, np.ndarray]) -> np.ndarray:
        v = state.setdefault("v", np.zeros_like(p))
        v *= self.beta
        v += g
        return -self.lr * v


class Adam(Optimizer):
    r"""Adam: momentum on the gradient, scaled by a running size of the gradient.

    With :math:`t` the step number (1 at the first step) and :math:`m = v = 0`
    at the start:

    .. math::
        m &\leftarrow \beta_1 m + (1 - \beta_1)\, g\\
        v &\leftarrow \beta_2 v + (1 - \beta_2)\, g^2\\
        \hat m &= m / (1 - \beta_1^t), \qquad \hat v = v / (1 - \beta_2^t)\\
        \theta &\leftarrow \theta - \eta\, \hat m / (\sqrt{\hat v} + \epsilon)

    The divisions by :math:`1 - \beta^t` undo the pull of the zero start, so
    the first step is :math:`-\eta\, g / (|g| + \epsilon)`, about
    :math:`\eta` against the sign of the gradient, whatever its size.
    """

    def __init__(self, lr: float = 0.001, beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-8, weight_decay: float = 0.0):
        super().__init__(lr, weight_decay)
        for name, beta in (("beta1", beta1), ("beta2", beta2)):
            if not 0 <= beta < 1:
                raise ValueError(f"{name} must be in [0, 1), got {beta}")
        self.beta1, self.beta2, self.eps = float(beta1), float(beta2), float(eps)

    def update(self, g: np.ndarray, p: np.ndarray, state: dict[str, np.ndarray]) -> np.ndarray:
        m = state.setdefault("m", np.zeros_like(p))
        v = state.setdefault("v", np.zeros_like(p))
        m *= self.beta1
        m += (1 - self.beta1) * g
        v *= self.beta2
        v += (1 - self.beta2) * g * g
        m_hat = m / (1 - self.beta1 ** self.t)
        v_hat = v / (1 - self.beta2 ** self.t)
        return -self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


@dataclass
class History:
    """What happened during :func:`train`.

    ``losses[k]`` is the loss after ``k`` updates: ``losses[0]`` is the loss
    of the initial parameters and ``losses[-1]`` always the loss of the
    parameters as training left them. ``reason`` is ``"converged"``,
    ``"diverged"`` or ``"max epochs"``.
    """

    losses: list[float] = field(default_factory=list)
    reason: str = ""

    @property
    def epochs(self) -> int:
        """How many updates were applied."""
        return max(len(self.losses) - 1, 0)

    @property
    def final_loss(self) -> float:
        """The loss of the parameters as training left them (NaN if nothing was recorded)."""
        return self.losses[-1] if self.losses else float("nan")

    def __repr__(self) -> str:
        return (f"History(reason={self.reason!r}, epochs={self.epochs}, "
                f"final_loss={self.final_loss:.6g})")


def train(step_fn: StepFn, params: Params, optimizer: Optimizer, epochs: int, *,
          tol: float | None = None, progress: bool = True) -> History:
    """Train ``params`` in place with at most ``epochs`` updates; return the :class:`History`.

    Each epoch computes ``loss, grads = step_fn(params)``, records the loss,
    checks whether to stop, and if not calls ``optimizer.step(params, grads)``.
    It stops

    * with ``"diverged"`` as soon as the loss is NaN or infinite;
    * with ``"converged"`` when ``tol`` is given and the loss changed by less
      than ``tol`` since the previous epoch, ``|loss_k - loss_(k-1)| < tol``;
    * with ``"max epochs"`` after ``epochs`` updates (the loss of the final
      parameters is computed and recorded, so ``step_fn`` runs ``epochs + 1`` times).

    NumPy's overflow and invalid-value warnings are silenced inside: a run
    that blows up is reported by its reason, not by a screen of warnings.
    ``progress=True`` shows a tqdm bar (a widget in Jupyter) with the loss.
    """
    if epochs < 0:
        raise ValueError(f"epochs must be zero or more, got {epochs}")
    history = History()
    bar = tqdm(total=epochs, disable=not progress, leave=False, desc=type(optimizer).__name__)
    every = max(epochs // 100, 1)  # show the loss about 100 times, not every epoch
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for epoch in range(epochs + 1):
            loss, grads = step_fn(params)
            loss = float(loss)
            history.losses.append(loss)
            if not np.isfinite(loss):
                history.reason = DIVERGED
                break
            if tol is not None and epoch > 0 and abs(loss - history.losses[-2]) < tol:
                history.reason = CONVERGED
                break
            if epoch == epochs:
                history.reason = MAX_EPOCHS
                break
            optimizer.step(params, grads)
            if epoch % every == 0:
                bar.set_postfix(loss=f"{loss:.4g}", refresh=False)
            bar.update()
    bar.close()
    return history
