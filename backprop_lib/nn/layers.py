"""Layers as pairs of functions, in the style of cs231n.

Every layer has a forward and a backward::

    out, cache = layer_forward(inputs...)       # cache: what backward will need
    grads = layer_backward(dout, cache)         # dout = dL/d out, same shape as out

``dout`` is the gradient of the loss with respect to the layer's output,
arriving from the layer above; backward returns the gradients with respect to
each input, each with the shape of that input. The cache is the only thing
the two functions share.

Batch-first throughout: ``x`` is ``(m, n_in)``, one example per row.

How the four backprop equations appear here (see :mod:`backprop_lib.nn.mlp`)
    * BP1 and the Hadamard half of BP2, ``delta = dout * f'(z)``:
      :func:`activation_backward`.
    * BP3 ``dW = a_prev^T delta``, BP4 ``db = sum over rows of delta``, and the
      matrix half of BP2, ``dout_prev = delta W^T``: :func:`dense_backward`.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .activations import Activation, ActivationSpec, as_activation

#: What :func:`dense_forward` stores for :func:`dense_backward`: ``(x, W, b)``.
DenseCache = tuple[np.ndarray, np.ndarray, np.ndarray]
#: What :func:`activation_forward` stores for :func:`activation_backward`: ``(z, activation)``.
ActivationCache = tuple[np.ndarray, Activation]


def dense_forward(x: np.ndarray, W: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, DenseCache]:
    """Affine layer ``z = x W + b``.

    Shapes: ``x`` (m, n_in), ``W`` (n_in, n_out), ``b`` (n_out,), ``z`` (m, n_out);
    ``b`` is broadcast over the ``m`` rows. Returns ``(z, cache)`` with
    ``cache = (x, W, b)`` (references, not copies).
    """
    z = x @ W
    z += b                       # in place: one temporary fewer than x @ W + b
    return z, (x, W, b)


def dense_backward(dout: np.ndarray, cache: DenseCache) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Backward of :func:`dense_forward`.

    ``dout`` = dL/dz, shape (m, n_out) (``delta`` of this layer);
    ``cache = (x, W, b)`` from the forward. Returns ``(dx, dW, db)``:

    * ``dx = dout W^T``, shape (m, n_in): the gradient passed to the layer below;
    * ``dW = x^T dout``, shape (n_in, n_out) (BP3): each row of the batch
      adds its outer product ``x_i^T dout_i``; the matrix product sums them;
    * ``db = dout`` summed over the rows, shape (n_out,) (BP4): ``b`` was
      broadcast over the rows, so its gradient sums over them.

    No ``1/m`` here: the loss already put it into ``dout``.
    """
    _, W, _ = cache
    dx = dout @ W.T
    dW, db = dense_param_grads(dout, cache)
    return dx, dW, db


def dense_param_grads(dout: np.ndarray, cache: DenseCache) -> tuple[np.ndarray, np.ndarray]:
    """Only ``(dW, db)`` of :func:`dense_backward` (BP3 and BP4), skipping ``dx``.

    A network needs no ``dx`` for its first layer (``x`` there is the data),
    and ``dout @ W^T`` would be its most expensive product.
    Shapes as in :func:`dense_backward`.
    """
    x, _, _ = cache
    dW = x.T @ dout
    db = dout.sum(axis=0)
    return dW, db


def activation_forward(z: np.ndarray, activation: ActivationSpec) -> tuple[np.ndarray, ActivationCache]:
    """``a = f(z)`` for the activation ``activation``: a name (``"relu"``), an
    :class:`~backprop_lib.nn.activations.Activation` or a pair ``(f, df)``.

    Shapes: ``z`` and ``a`` (m, n). Returns ``(a, cache)`` with ``cache = (z, activation)``.
    """
    act = as_activation(activation)
    return act.f(z), (z, act)


def activation_backward(dout: np.ndarray, cache: ActivationCache) -> np.ndarray:
    """Backward of :func:`activation_forward`: ``dz = dout * f'(z)`` (a Hadamard product).

    ``dout`` = dL/da and the returned ``dz`` = dL/dz are (m, n). In a network
    this ``dz`` is the layer's ``delta``: BP1 at the output layer, BP2's
    element-wise factor below it. For softmax (not element-wise) each row of
    ``dout`` is multiplied by that row's Jacobian instead.
    """
    z, act = cache
    if act.elementwise:
        return dout * act.df(z)
    return np.einsum("mi,mij->mj", dout, act.df(z))


def dense_activation_forward(x: np.ndarray, W: np.ndarray, b: np.ndarray,
                             activation: ActivationSpec) -> tuple[np.ndarray, Any]:
    """One fully connected layer, ``a = f(x W + b)``: dense then activation.

    Shapes as in :func:`dense_forward`; ``a`` is (m, n_out). Returns ``(a, cache)``
    with ``cache = (dense_cache, activation_cache)``.
    """
    z, dense_cache = dense_forward(x, W, b)
    a, act_cache = activation_forward(z, activation)
    return a, (dense_cache, act_cache)


def dense_activation_backward(dout: np.ndarray, cache: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Backward of :func:`dense_activation_forward`: returns ``(dx, dW, db)``, shapes as the inputs."""
    dense_cache, act_cache = cache
    dz = activation_backward(dout, act_cache)
    return dense_backward(dz, dense_cache)
