"""A multilayer perceptron of any depth, trained by the four backprop equations.

Notation (batch-first; layer ``l`` runs from 1 to ``L``; ``a[0] = x``)::

    z[l] = a[l-1] W[l] + b[l]        a[l-1]: (m, n[l-1])   W[l]: (n[l-1], n[l])   b[l]: (n[l],)
    a[l] = f_l(z[l])                 z[l], a[l]: (m, n[l])          y_hat = a[L]

The four equations, with ``delta[l] = dL/dz[l]`` of shape (m, n[l]) and ``*``
the element-wise (Hadamard) product::

    BP1  delta[L] = dL/dy_hat * f_L'(z[L])
    BP2  delta[l] = (delta[l+1] W[l+1]^T) * f_l'(z[l])
    BP3  dW[l]    = a[l-1]^T delta[l]                  (n[l-1], n[l])
    BP4  db[l]    = delta[l] summed over the m rows    (n[l],)

In code each equation is one call of a layer piece (:mod:`backprop_lib.nn.layers`):
``activation_backward`` does the ``* f'(z)`` of BP1 and BP2; ``dense_backward``
does BP3, BP4 and the ``delta W^T`` half of BP2. The ``1/m`` of the batch mean
lives in the loss's gradient (:mod:`backprop_lib.nn.losses`), nowhere else.

Running the network on a student's own pieces
    ``forward``, ``backward`` and ``loss_and_grads`` take the layer functions
    they use as a :class:`Pieces` object, or as keyword overrides::

        grads = backward(dout, caches, dense_backward=student_dense_backward)
        pieces = Pieces(activation_backward=student_fn)
        y_hat, caches = forward(params, x, pieces=pieces)

    Whatever is not overridden is the library's reference.

Parameters are a list with one dict ``{"W": W, "b": b}`` per layer; gradients
have the same structure (``grads[l]["W"]`` is ``dW`` of layer ``l``), so an
update is ``params[l][k] -= lr * grads[l][k]``. The dtype of the parameters
(float64 or float32) is the dtype of every array in forward and backward.
"""
from __future__ import annotations

from typing import Any, Callable, NamedTuple, Optional, Sequence

import numpy as np

from . import layers
from .activations import ActivationSpec
from .losses import LossFn, as_loss

Params = list[dict[str, np.ndarray]]
Grads = list[dict[str, np.ndarray]]
Caches = list[tuple[Any, Any]]

#: Weight initialisations, by name: the standard deviation (or range) of ``W`` for a layer.
INIT_SCHEMES = ("he", "xavier", "uniform")


class Pieces(NamedTuple):
    """The four layer functions a network is built from; defaults are the library's.

    Each has the signature of its namesake in :mod:`backprop_lib.nn.layers`:
    ``dense_forward(x, W, b) -> (z, cache)``, ``dense_backward(dout, cache) ->
    (dx, dW, db)``, ``activation_forward(z, activation) -> (a, cache)``,
    ``activation_backward(dout, cache) -> dz``.
    """

    dense_forward: Callable[..., tuple[np.ndarray, Any]] = layers.dense_forward
    dense_backward: Callable[..., tuple[np.ndarray, np.ndarray, np.ndarray]] = layers.dense_backward
    activation_forward: Callable[..., tuple[np.ndarray, Any]] = layers.activation_forward
    activation_backward: Callable[..., np.ndarray] = layers.activation_backward


#: The library's own pieces.
REFERENCE = Pieces()


def make_pieces(pieces: Optional[Pieces] = None, **overrides: Callable) -> Pieces:
    """``pieces`` (default :data:`REFERENCE`) with some functions replaced by keyword.

    ``make_pieces(dense_backward=f)`` is the reference with ``f`` as its dense
    backward. An unknown keyword raises ``TypeError`` naming the valid ones.
    """
    pieces = REFERENCE if pieces is None else pieces
    unknown = set(overrides) - set(Pieces._fields)
    if unknown:
        raise TypeError(f"unknown piece(s) {sorted(unknown)}; pieces are {list(Pieces._fields)}")
    return pieces._replace(**overrides) if overrides else pieces


def init_params(sizes: Sequence[int], rng: np.random.Generator, scheme: str = "he",
                dtype: type = np.float64) -> Params:
    """Random weights and zero biases for a network with layer widths ``sizes``.

    ``sizes = [n0, n1, ..., nL]``: ``n0`` inputs, ``nL`` outputs, so ``L`` layers;
    layer ``l`` gets ``W`` of shape ``(n[l-1], n[l])`` and ``b`` of shape ``(n[l],)``.

    ``scheme`` sets the spread of ``W`` so that signals neither shrink nor
    grow from layer to layer (lesson 07):

    * ``"he"``: normal, std ``sqrt(2 / n_in)``; for ReLU, which zeroes half its inputs.
    * ``"xavier"``: normal, std ``sqrt(2 / (n_in + n_out))`` (Glorot); for tanh and sigmoid.
    * ``"uniform"``: uniform on ``[-1/sqrt(n_in), 1/sqrt(n_in)]``, PyTorch's
      default for ``nn.Linear``.

    Draws are made in float64 and then cast to ``dtype``, so the same ``rng``
    seed gives the same network (up to rounding) in float32 and float64.
    """
    if scheme not in INIT_SCHEMES:
        raise ValueError(f"unknown init scheme {scheme!r}; choose one of {INIT_SCHEMES}")
    if len(sizes) < 2:
        raise ValueError(f"sizes needs at least an input and an output width; got {list(sizes)}")
    params: Params = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        if scheme == "he":
            W = rng.normal(0.0, np.sqrt(2.0 / n_in), size=(n_in, n_out))
        elif scheme == "xavier":
            W = rng.normal(0.0, np.sqrt(2.0 / (n_in + n_out)), size=(n_in, n_out))
        else:
            limit = 1.0 / np.sqrt(n_in)
            W = rng.uniform(-limit, limit, size=(n_in, n_out))
        params.append({"W": W.astype(dtype), "b": np.zeros(n_out, dtype=dtype)})
    return params


def layer_activations(activations: Optional[Sequence[ActivationSpec]], n_layers: int) -> list[ActivationSpec]:
    """One activation per layer. ``None`` means ReLU on every hidden layer and
    ``"identity"`` on the output layer (its logits go to a loss that takes logits)."""
    if activations is None:
        return ["relu"] * (n_layers - 1) + ["identity"]
    activations = list(activations)
    if len(activations) != n_layers:
        raise ValueError(f"{n_layers} layers need {n_layers} activations; got {len(activations)}")
    return activations


def forward(params: Params, x: np.ndarray, activations: Optional[Sequence[ActivationSpec]] = None,
            pieces: Optional[Pieces] = None, **overrides: Callable) -> tuple[np.ndarray, Caches]:
    """Run the network on a batch: ``a[l] = f_l(a[l-1] W[l] + b[l])`` for every layer.

    ``x``: (m, n0), cast to the parameters' dtype. ``activations``: one per
    layer (see :func:`layer_activations` for the default). Returns
    ``(y_hat, caches)``: ``y_hat`` (m, nL) and one ``(dense_cache,
    activation_cache)`` per layer, for :func:`backward`.
    """
    pieces = make_pieces(pieces, **overrides)
    acts = layer_activations(activations, len(params))
    a = np.asarray(x, dtype=params[0]["W"].dtype)
    caches: Caches = []
    for layer, act in zip(params, acts):
        z, dense_cache = pieces.dense_forward(a, layer["W"], layer["b"])
        a, act_cache = pieces.activation_forward(z, act)
        caches.append((dense_cache, act_cache))
    return a, caches


def backward(dout: np.ndarray, caches: Caches, pieces: Optional[Pieces] = None,
             **overrides: Callable) -> Grads:
    """Gradients of the loss for every layer, from ``dout = dL/dy_hat`` (m, nL).

    ``caches`` come from :func:`forward` (with pieces that agree on the cache
    format). Returns one ``{"W": dW, "b": db}`` per layer, shaped like the
    parameters. Walks the layers from last to first:

    * ``delta = activation_backward(dout, ...)``: BP1 at the output layer,
      the Hadamard product of BP2 below it;
    * ``dout, dW, db = dense_backward(delta, ...)``: BP3, BP4, and
      ``dout = delta W^T``, the rest of BP2, for the next layer down.

    The first layer's ``dx`` (the gradient with respect to the data) is not
    needed; with the reference ``dense_backward`` it is not computed.
    """
    pieces = make_pieces(pieces, **overrides)
    grads: Grads = [{} for _ in caches]
    for l in reversed(range(len(caches))):
        dense_cache, act_cache = caches[l]
        delta = pieces.activation_backward(dout, act_cache)               # BP1 / BP2 (Hadamard)
        if l == 0 and pieces.dense_backward is layers.dense_backward:
            dW, db = layers.dense_param_grads(delta, dense_cache)         # BP3, BP4
        else:
            dout, dW, db = pieces.dense_backward(delta, dense_cache)      # BP3, BP4, BP2 (delta W^T)
        grads[l] = {"W": dW, "b": db}
    return grads


def loss_and_grads(params: Params, x: np.ndarray, y: np.ndarray, loss: str | LossFn,
                   activations: Optional[Sequence[ActivationSpec]] = None,
                   pieces: Optional[Pieces] = None, **overrides: Callable) -> tuple[float, Grads]:
    """Forward, loss and backward in one call: returns ``(L, grads)``.

    ``x``: (m, n0); ``y``: the targets in the form ``loss`` wants (see
    :mod:`backprop_lib.nn.losses`); ``loss``: a name in
    :data:`~backprop_lib.nn.losses.LOSSES` or a function ``(y_hat, y) -> (L, dy_hat)``.
    """
    pieces = make_pieces(pieces, **overrides)
    y_hat, caches = forward(params, x, activations, pieces)
    value, dout = as_loss(loss)(y_hat, y)
    return value, backward(dout, caches, pieces)


def sgd_step(params: Params, grads: Grads, lr: float) -> None:
    """Gradient descent, in place: ``W -= lr * dW`` and ``b -= lr * db`` for every layer."""
    for layer, grad in zip(params, grads):
        for name in layer:
            layer[name] -= lr * grad[name]
