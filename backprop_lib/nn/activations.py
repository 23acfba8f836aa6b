"""Activation functions and their derivatives, written to survive large inputs.

Every function takes ``z``, an array of any shape (batch-first ``(m, n)`` in a
network), and returns an array of the same shape and dtype: float32 stays
float32, float64 stays float64, integers become float64. Each activation ``f``
has a derivative ``f_prime(z)``, a function of ``z`` (not of ``a = f(z)``), so
that ``dz = dout * f_prime(z)`` is the Hadamard product of backprop's BP2.

Softmax is the exception: each output depends on every input of its row, so
its derivative is a Jacobian matrix per row (:func:`softmax_jacobian`), and
its backward is a vector-Jacobian product (:func:`softmax_vjp`), not an
element-wise product.

Numerical stability
    ``np.exp(1000)`` overflows to ``inf`` (with a warning) and ``inf / inf`` is
    NaN. So no function here calls ``exp`` on a large positive number:
    sigmoid uses ``exp(-|z|) <= 1`` and softmax subtracts each row's maximum
    first. What may still happen is *underflow*: ``exp(-1000)`` is smaller than
    the smallest float64 and becomes 0, which is the correctly rounded answer.
    The functions say so to NumPy (``np.errstate(under="ignore")``), so they
    stay silent even when a caller asks NumPy to raise on every floating-point
    event.

The registry :data:`ACTIVATIONS` maps a name (``"relu"``) to an
:class:`Activation`, the pair ``(f, df)`` a layer needs; :func:`as_activation`
turns a name, an ``Activation`` or a plain pair of functions into one.
"""
from __future__ import annotations

from functools import partial
from typing import Callable, NamedTuple, Union

import numpy as np

ArrayFn = Callable[[np.ndarray], np.ndarray]

#: Default slope of leaky ReLU for ``z < 0`` (PyTorch's default too).
LEAKY_SLOPE = 0.01


def _as_float(z: np.ndarray | float) -> np.ndarray:
    """``z`` as a float array; float32 and float64 keep their dtype, anything else becomes float64."""
    z = np.asarray(z)
    if z.dtype in (np.float32, np.float64):
        return z
    return z.astype(np.float64)


# --- sigmoid ------------------------------------------------------------------

def sigmoid(z: np.ndarray | float) -> np.ndarray:
    """The logistic function ``1 / (1 + exp(-z))``, element-wise; values in [0, 1].

    Stable for any ``z``: with ``e = exp(-|z|)`` (never above 1),
    ``sigmoid(z) = 1 / (1 + e)`` for ``z >= 0`` and ``e / (1 + e)`` for ``z < 0``
    (multiply top and bottom of ``1 / (1 + exp(-z))`` by ``exp(z)``).
    Shape and float dtype of ``z`` are kept.
    """
    z = _as_float(z)
    with np.errstate(under="ignore"):
        e = np.exp(-np.abs(z))
        s = 1 / (1 + e)                       # sigmoid(|z|)
        return np.where(z >= 0, s, e * s)     # e * s = e / (1 + e) = sigmoid(-|z|)


def sigmoid_prime(z: np.ndarray | float) -> np.ndarray:
    """``d sigmoid / dz = s * (1 - s)`` with ``s = sigmoid(z)``; never above 1/4.

    Same shape and dtype as ``z``. For large ``|z|`` it is 0 (the sigmoid is flat there).
    """
    s = sigmoid(z)
    with np.errstate(under="ignore"):
        return s * (1 - s)


# --- tanh ---------------------------------------------------------------------

def tanh(z: np.ndarray | float) -> np.ndarray:
    """Hyperbolic tangent, element-wise; values in [-1, 1]. NumPy's ``tanh`` is already stable."""
    return np.tanh(_as_float(z))


def tanh_prime(z: np.ndarray | float) -> np.ndarray:
    """``d tanh / dz = 1 - tanh(z)**2``, element-wise; values in [0, 1]."""
    t = tanh(z)
    return 1 - t * t


# --- ReLU and leaky ReLU --------------------------------------------------------

def relu(z: np.ndarray | float) -> np.ndarray:
    """``max(z, 0)``, element-wise. Same shape and dtype as ``z``."""
    z = _as_float(z)
    return np.maximum(z, 0)


def relu_prime(z: np.ndarray | float) -> np.ndarray:
    """1 where ``z > 0``, else 0, element-wise.

    At the kink ``z = 0`` the derivative does not exist; we return 0, as
    PyTorch does. A finite-difference check exactly at 0 gets 1/2 instead.
    """
    z = _as_float(z)
    return (z > 0).astype(z.dtype)


def leaky_relu(z: np.ndarray | float, slope: float = LEAKY_SLOPE) -> np.ndarray:
    """``z`` where ``z > 0``, else ``slope * z``, element-wise. Same shape and dtype as ``z``."""
    z = _as_float(z)
    return np.where(z > 0, z, slope * z)


def leaky_relu_prime(z: np.ndarray | float, slope: float = LEAKY_SLOPE) -> np.ndarray:
    """1 where ``z > 0``, else ``slope`` (also at ``z = 0``, as in PyTorch), element-wise."""
    z = _as_float(z)
    return np.where(z > 0, 1, slope).astype(z.dtype)


# --- identity (the output layer of a network whose loss takes logits) ---------

def identity(z: np.ndarray | float) -> np.ndarray:
    """``z`` itself: the "no activation" of an output layer that feeds a loss on logits."""
    return _as_float(z)


def identity_prime(z: np.ndarray | float) -> np.ndarray:
    """All ones, same shape and dtype as ``z``."""
    return np.ones_like(_as_float(z))


# --- softmax ------------------------------------------------------------------

def softmax(z: np.ndarray) -> np.ndarray:
    """Row-wise softmax: ``exp(z) / sum(exp(z))`` over the last axis.

    ``z`` is ``(m, k)`` (one row of ``k`` scores per example) or ``(k,)``; the
    result has the same shape, every row sums to 1. Each row's maximum is
    subtracted first, which changes nothing mathematically (the factor
    ``exp(-max)`` cancels) but keeps every ``exp`` at most 1.
    """
    z = _as_float(z)
    with np.errstate(under="ignore"):
        e = np.exp(z - z.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)


def log_softmax(z: np.ndarray) -> np.ndarray:
    """``log(softmax(z))`` row-wise, computed without taking the log of a 0.

    ``log softmax(z)_j = (z_j - max) - log(sum_i exp(z_i - max))``. Shapes as :func:`softmax`.
    """
    z = _as_float(z)
    shifted = z - z.max(axis=-1, keepdims=True)
    with np.errstate(under="ignore"):
        return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def softmax_jacobian(z: np.ndarray) -> np.ndarray:
    """The derivative of softmax: one ``(k, k)`` Jacobian per row.

    ``J[r, i, j] = d s_i / d z_j = s_i * (delta_ij - s_j)`` with ``s = softmax(z[r])``.
    ``z`` is ``(m, k)``; the result is ``(m, k, k)`` (``(k, k)`` for ``z`` of
    shape ``(k,)``). Each Jacobian is symmetric.
    """
    s = softmax(z)
    with np.errstate(under="ignore"):
        return s[..., :, None] * np.eye(s.shape[-1], dtype=s.dtype) - s[..., :, None] * s[..., None, :]


def softmax_vjp(dout: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Backward of softmax: ``dz = J^T dout`` per row, without building ``J``.

    ``dz_j = sum_i dout_i * s_i * (delta_ij - s_j) = s_j * (dout_j - sum_i dout_i s_i)``.
    ``dout`` and ``z`` are ``(m, k)``; so is the result.
    """
    s = softmax(z)
    with np.errstate(under="ignore"):
        return s * (dout - (dout * s).sum(axis=-1, keepdims=True))


# --- the registry -------------------------------------------------------------

class Activation(NamedTuple):
    """An activation as a layer needs it: a name, the function and its derivative.

    ``f(z)`` and ``df(z)`` take ``z`` of shape ``(m, n)``. When ``elementwise``
    is true (every activation but softmax), ``df(z)`` has the shape of ``z``
    and the backward is ``dz = dout * df(z)``. When it is false, ``df(z)`` is
    the ``(m, n, n)`` stack of Jacobians and the backward multiplies each row
    of ``dout`` by its Jacobian.
    """

    name: str
    f: ArrayFn
    df: ArrayFn
    elementwise: bool = True


def leaky(slope: float = LEAKY_SLOPE) -> Activation:
    """A leaky ReLU :class:`Activation` with the given slope for ``z < 0``."""
    return Activation(f"leaky_relu({slope:g})", partial(leaky_relu, slope=slope),
                      partial(leaky_relu_prime, slope=slope))


#: Activations by name; ``"leaky_relu"`` has slope :data:`LEAKY_SLOPE` (use :func:`leaky` for another).
ACTIVATIONS: dict[str, Activation] = {
    "sigmoid": Activation("sigmoid", sigmoid, sigmoid_prime),
    "tanh": Activation("tanh", tanh, tanh_prime),
    "relu": Activation("relu", relu, relu_prime),
    "leaky_relu": Activation("leaky_relu", leaky_relu, leaky_relu_prime),
    "identity": Activation("identity", identity, identity_prime),
    "softmax": Activation("softmax", softmax, softmax_jacobian, elementwise=False),
}

#: What a layer accepts as its activation: a registry name, an Activation, or a pair ``(f, df)``.
ActivationSpec = Union[str, Activation, "tuple[ArrayFn, ArrayFn]"]


def as_activation(spec: ActivationSpec) -> Activation:
    """Turn ``"relu"``, an :class:`Activation` or a pair of functions ``(f, df)`` into an Activation.

    A pair is taken to be element-wise and is named after ``f``. Raises
    ``KeyError`` for an unknown name and ``TypeError`` for anything else.
    """
    if isinstance(spec, Activation):
        return spec
    if isinstance(spec, str):
        try:
            return ACTIVATIONS[spec]
        except KeyError:
            raise KeyError(f"unknown activation {spec!r}; known: {sorted(ACTIVATIONS)}") from None
    if isinstance(spec, tuple) and len(spec) == 2 and all(callable(g) for g in spec):
        f, df = spec
        return Activation(getattr(f, "__name__", "custom"), f, df)
    raise TypeError("an activation is a name, an Activation or a pair of functions (f, df); "
                    f"got {spec!r}")
