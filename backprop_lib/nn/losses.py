"""Loss functions, each returning the loss and its gradient in one call.

The API, the same for every loss (cs231n style)::

    loss, dout = some_loss(prediction, y)

* ``prediction`` is the network's output: probabilities ``y_hat`` for
  :func:`mse` and :func:`binary_cross_entropy`, raw scores (logits) ``z``
  for the two ``*_with_logits``-style losses. Batch-first: shape ``(m, k)``
  (``m`` examples, ``k`` outputs) or ``(m,)``.
* ``loss`` is a Python float.
* ``dout = dL/d prediction`` has the shape and float dtype of ``prediction``;
  it is what the network's backward pass starts from.

Sum over outputs, mean over the batch
    Every loss here is ``L = (1/m) * sum over rows i of (loss of row i)``,
    where the loss of a row sums over its ``k`` outputs. The ``1/m`` is part
    of ``L``, so it is also part of ``dout``: every gradient below carries a
    ``/ m``. Forgetting it (or applying it twice, once here and once in the
    layer) is a classic mistake: the gradient check then reports a constant
    factor ``m`` (or ``1/m``). Because of the sum over outputs, for ``k > 1``
    these losses are ``k`` times PyTorch's ``reduction="mean"`` (which
    averages over all ``m * k`` entries); for ``k = 1`` they are the same.

Which loss for which output layer
    * :func:`mse`: regression, identity output.
    * :func:`binary_cross_entropy_with_logits`: yes/no targets, identity
      output (the sigmoid is inside the loss). ``dout = (sigmoid(z) - y) / m``.
    * :func:`binary_cross_entropy`: the same loss on probabilities from a
      sigmoid output layer. Mathematically equal; numerically worse, since a
      saturated sigmoid rounds to exactly 0 or 1 (hence the clipping).
    * :func:`softmax_cross_entropy`: one of ``k`` classes, identity output
      (the softmax is inside the loss). ``dout = (softmax(z) - Y) / m``.
"""
from __future__ import annotations

from typing import Callable, Optional

import numpy as np

from .activations import log_softmax, sigmoid

#: What every loss returns: the loss (a float) and its gradient with respect to the prediction.
LossResult = tuple[float, np.ndarray]
#: A loss function: ``(prediction, y) -> (loss, dout)``.
LossFn = Callable[[np.ndarray, np.ndarray], LossResult]


def _prediction_and_target(pred: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``pred`` as float (float32 kept) and ``y`` in its dtype, after checking that the shapes match.

    A target of shape ``(m,)`` beside a prediction of shape ``(m, 1)`` would
    broadcast to ``(m, m)`` without a word, so any mismatch is an error.
    """
    pred = np.asarray(pred)
    if pred.dtype not in (np.float32, np.float64):
        pred = pred.astype(np.float64)
    y = np.asarray(y)
    if y.shape != pred.shape:
        raise ValueError(f"prediction has shape {pred.shape} but the target y has shape {y.shape}; "
                         "they must match (reshape y, e.g. y.reshape(-1, 1))")
    return pred, y.astype(pred.dtype, copy=False)


def mse(y_hat: np.ndarray, y: np.ndarray) -> LossResult:
    """Mean squared error ``L = (1/m) * sum((y_hat - y)**2)``.

    ``y_hat`` and ``y``: ``(m, k)`` or ``(m,)``, same shape. The squares are
    summed over outputs and averaged over the ``m`` rows (no factor 1/2).
    Returns ``(L, dy_hat)`` with ``dy_hat = 2 * (y_hat - y) / m``, shaped like ``y_hat``.
    """
    y_hat, y = _prediction_and_target(y_hat, y)
    m = y_hat.shape[0]
    diff = y_hat - y
    loss = float(np.sum(diff * diff)) / m
    return loss, diff * (2 / m)


def binary_cross_entropy(y_hat: np.ndarray, y: np.ndarray, eps: Optional[float] = None) -> LossResult:
    """Binary cross-entropy on probabilities, ``L = -(1/m) * sum(y log y_hat + (1-y) log(1-y_hat))``.

    ``y_hat`` (probabilities) and ``y`` (targets in [0, 1], usually 0 or 1):
    ``(m, k)`` or ``(m,)``, same shape. Summed over outputs, averaged over rows.

    ``y_hat`` is clipped to ``[eps, 1 - eps]`` so that ``log(0)`` never
    happens; ``eps`` defaults to the machine epsilon of the dtype (2.2e-16 for
    float64, 1.2e-7 for float32), which caps each term at about 36 (float64)
    or 16 (float32). The gradient is the formula below evaluated at the
    clipped ``y_hat``: finite, and still pointing the right way, where the
    true derivative of a clipped function would be 0 and learning would stop
    at a confident wrong answer.

    Returns ``(L, dy_hat)`` with ``dy_hat = (y_hat - y) / (y_hat * (1 - y_hat)) / m``.
    Prefer :func:`binary_cross_entropy_with_logits`, which needs no clipping.
    """
    y_hat, y = _prediction_and_target(y_hat, y)
    if eps is None:
        eps = float(np.finfo(y_hat.dtype).eps)
    m = y_hat.shape[0]
    p = np.clip(y_hat, eps, 1 - eps)
    loss = -float(np.sum(y * np.log(p) + (1 - y) * np.log1p(-p))) / m
    return loss, (p - y) / (p * (1 - p)) / m


def binary_cross_entropy_with_logits(z: np.ndarray, y: np.ndarray) -> LossResult:
    """Binary cross-entropy of ``sigmoid(z)``, computed from the logits ``z``.

    ``z`` (any real numbers) and ``y`` (targets in [0, 1]): ``(m, k)`` or
    ``(m,)``, same shape. Summed over outputs, averaged over rows.

    Per entry, ``-y log s - (1-y) log(1-s)`` with ``s = sigmoid(z)`` simplifies to
    ``max(z, 0) - z*y + log(1 + exp(-|z|))``, which never overflows and never
    takes the log of 0. Returns ``(L, dz)`` with ``dz = (sigmoid(z) - y) / m``:
    the sigmoid's derivative cancels the loss's denominator, the
    "delta = y_hat - y" of lesson 03.
    """
    z, y = _prediction_and_target(z, y)
    m = z.shape[0]
    with np.errstate(under="ignore"):
        per_entry = np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))
    loss = float(np.sum(per_entry)) / m
    return loss, (sigmoid(z) - y) / m


def softmax_cross_entropy(z: np.ndarray, y: np.ndarray) -> LossResult:
    """Cross-entropy of ``softmax(z)`` against class labels, computed from the logits ``z``.

    ``z``: ``(m, k)``, one row of ``k`` class scores per example. ``y``:
    either integer labels of shape ``(m,)`` with values in ``0..k-1``, or an
    ``(m, k)`` array whose rows sum to 1 (one-hot, or class probabilities).

    ``L = -(1/m) * sum_i sum_j Y_ij * log softmax(z_i)_j``, with ``log softmax``
    computed stably (:func:`~backprop_lib.nn.activations.log_softmax`).
    Returns ``(L, dz)`` with ``dz = (softmax(z) - Y) / m``, shape ``(m, k)``,
    where ``Y`` is the one-hot form of ``y``.
    """
    z = np.asarray(z)
    if z.dtype not in (np.float32, np.float64):
        z = z.astype(np.float64)
    if z.ndim != 2:
        raise ValueError(f"logits z must be (m, k); got shape {z.shape}")
    m = z.shape[0]
    y = np.asarray(y)
    log_p = log_softmax(z)
    with np.errstate(under="ignore"):
        dz = np.exp(log_p)                      # softmax(z), reusing the log
    if y.shape == (m,) and np.issubdtype(y.dtype, np.integer):
        if m and (y.min() < 0 or y.max() >= z.shape[1]):
            raise ValueError(f"labels must lie in 0..{z.shape[1] - 1}; got {y.min()}..{y.max()}")
        rows = np.arange(m)
        loss = -float(np.sum(log_p[rows, y])) / m
        dz[rows, y] -= 1                        # softmax(z) - one_hot(y), without building one_hot
    elif y.shape == z.shape:
        y = y.astype(z.dtype, copy=False)
        loss = -float(np.sum(y * log_p)) / m
        dz -= y
    else:
        raise ValueError(f"y must be integer labels of shape ({m},) or an array of shape {z.shape}; "
                         f"got shape {y.shape} and dtype {y.dtype}")
    dz /= m
    return loss, dz


#: Losses by name, for a network that takes ``loss="softmax_cross_entropy"``.
LOSSES: dict[str, LossFn] = {
    "mse": mse,
    "binary_cross_entropy": binary_cross_entropy,
    "binary_cross_entropy_with_logits": binary_cross_entropy_with_logits,
    "softmax_cross_entropy": softmax_cross_entropy,
}


def as_loss(spec: str | LossFn) -> LossFn:
    """A loss function from its name in :data:`LOSSES`, or the function itself."""
    if callable(spec):
        return spec
    try:
        return LOSSES[spec]
    except KeyError:
        raise KeyError(f"unknown loss {spec!r}; known: {sorted(LOSSES)}") from None
