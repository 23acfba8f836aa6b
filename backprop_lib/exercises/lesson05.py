"""Checks of lesson 05, an MLP from scratch: layers with caches and a gradient check.

Tasks: ``dense_forward``, ``dense_backward``, ``relu_backward``,
``output_delta``, ``network_gradients``, ``grad_check``. Each
``check_<task>(fn, rng=None)`` runs a few seeded cases when ``rng`` is None
(the self-check) and fresh cases with random shapes otherwise (the hidden
test).

Where the expected values come from
    * Layer backwards: central differences (:mod:`backprop_lib.checking.gradcheck`) of
      the scalar ``sum(dout * forward(...))``, whose gradient with respect to
      the layer's output is exactly ``dout``. The library's own layer is used
      only as an oracle: it must agree with the finite differences (else the
      checker raises :class:`~backprop_lib.checking.checks.LibraryError`), and the
      student's answer is then compared with it to round-off.
    * ``output_delta``: ``sympy.diff`` of binary cross-entropy of a sigmoid,
      confirmed by central differences of the batch-mean loss.
    * ``network_gradients``: central differences of the network's loss with
      respect to every entry of every parameter. The student's function is
      given the library's layer pieces (``ops``), so a mistake in an earlier
      exercise is never charged here a second time.
    * ``grad_check``: smooth test losses whose gradients come from SymPy.

Every call of the student's code forbids the library's reference for the
same job, so calling it instead of writing the formula fails.
"""
from __future__ import annotations

from types import SimpleNamespace
from typing import Any, Callable, Mapping

import numpy as np
import sympy as sp

from ..checking import gradcheck
from ..nn import layers, losses, mlp
from ..nn.activations import ACTIVATIONS, relu, sigmoid
from ..checking.checks import require_keys, CheckFailed, LibraryError, call_student, fmt, passed
from ..checking.diagnose import as_array, describe_type
from ..nn.losses import binary_cross_entropy_with_logits
from ..checking.symbolic import Symbolic
from ..checking.symbolic import sigmoid as sym_sigmoid
from . import pick_rng
from .lesson04 import compare_with_evidence

#: The parameters of the lesson's network, in order.
PARAM_NAMES = ("W1", "b1", "W2", "b2")

#: The library's functions that would answer an exercise of this lesson outright, exercise by exercise
#: (anything else in backprop_lib may be used: ``relu_prime``, ``sigmoid``, ...).
DENSE_FORWARD_REFERENCES = (layers.dense_forward, layers.dense_activation_forward)
DENSE_BACKWARD_REFERENCES = (layers.dense_backward, layers.dense_param_grads, layers.dense_activation_backward)
RELU_REFERENCES = (layers.activation_backward, layers.dense_activation_backward)
OUTPUT_DELTA_REFERENCES = (losses.binary_cross_entropy, losses.binary_cross_entropy_with_logits)
NETWORK_REFERENCES = (mlp.backward, mlp.loss_and_grads, gradcheck.numerical_gradient, gradcheck.check_gradients)
GRADCHECK_REFERENCES = (gradcheck.numerical_gradient, gradcheck.check_gradients, gradcheck.check_sampled,
                        gradcheck.central_difference, gradcheck.rel_error, gradcheck.max_rel_error)



def _numeric(f: Callable[[], float], wrt: np.ndarray) -> np.ndarray:
    """Central differences of the scalar ``f()`` with respect to ``wrt`` (perturbed in place)."""
    return gradcheck.numerical_gradient(lambda _: f(), wrt)


def _confirm(what: str, oracle: np.ndarray, numeric: np.ndarray, mask: np.ndarray | None = None) -> None:
    """The library's oracle must agree with central differences, or the checker is at fault."""
    a, n = np.asarray(oracle, dtype=np.float64), np.asarray(numeric, dtype=np.float64)
    if mask is not None:
        a, n = a[mask], n[mask]
    if a.shape != n.shape or gradcheck.max_rel_error(a, n, floor=1e-6) > gradcheck.NUMERIC_TOL:
        raise LibraryError(f"the library's {what} disagrees with central differences: please report this")


def _pair(got: Any, name: str, what: str) -> tuple[Any, ...]:
    if not isinstance(got, (tuple, list)):
        raise CheckFailed(f"{name} should return {what}, but it returned {describe_type(got)}")
    return tuple(got)


# --- Exercise 1: dense_forward -------------------------------------------------------

def _dense_case(rng: np.random.Generator, hidden: bool) -> dict[str, np.ndarray]:
    """``x`` (m, n_in), ``W`` (n_in, n_out), ``b`` (n_out,), ``dout`` (m, n_out)."""
    if hidden:
        m, n_in, n_out = (int(v) for v in rng.integers([2, 1, 1], [7, 6, 6]))
    else:
        m, n_in, n_out = 4, 2, 3  # four students, two features, three hidden units
    return {"x": rng.normal(0, 1.5, (m, n_in)), "W": rng.normal(0, 1, (n_in, n_out)),
            "b": rng.normal(0, 1, n_out), "dout": rng.normal(0, 1, (m, n_out))}


DENSE_FORWARD_MISTAKES = {
    "the bias is missing: z = x @ W + b": lambda x, W, b: x @ W,
    "z is transposed, one column per example: batch-first means one ROW per example, z = x @ W + b "
    "of shape (m, n_out)": lambda x, W, b: W.T @ x.T + b[:, None],
    "the bias was subtracted: z = x @ W + b": lambda x, W, b: x @ W - b,
}


def check_dense_forward(fn: Callable[..., Any], rng: np.random.Generator | None = None) -> None:
    """``fn(x, W, b)`` must return ``(z, cache)`` with ``z = x @ W + b`` and ``cache = (x, W, b)``.

    Shapes: ``x`` (m, n_in), ``W`` (n_in, n_out), ``b`` (n_out,), ``z`` (m, n_out).
    """
    rng, hidden = pick_rng(rng)
    name = "dense_forward"
    cases = [_dense_case(rng, hidden) for _ in range(3 if hidden else 2)]
    for case in cases:
        x, W, b = case["x"], case["W"], case["b"]
        inputs = {"x": x, "W": W, "b": b}
        expected = np.einsum("mi,io->mo", x, W) + b[None, :]
        oracle, _ = layers.dense_forward(x.copy(), W.copy(), b.copy())
        if gradcheck.max_rel_error(oracle, expected) > gradcheck.EXACT_TOL:
            raise LibraryError("layers.dense_forward disagrees with einsum: please report this")
        got = _pair(call_student(fn, name, x.copy(), W.copy(), b.copy(), forbidden=DENSE_FORWARD_REFERENCES),
                    name, "a pair (z, cache)")
        if len(got) != 2:
            raise CheckFailed(f"{name} should return a pair (z, cache), but it returned {len(got)} values: "
                              "return z, cache")
        z, cache = got
        if isinstance(z, tuple) and len(z) == 3 and as_array(cache) is not None:
            raise CheckFailed(f"{name} returned (cache, z): the order is (z, cache)")
        compare_with_evidence(f"z from {name}", expected, z, inputs, mistakes=DENSE_FORWARD_MISTAKES)
        _check_dense_cache(name, cache, x, W, b)
    passed(name, len(cases), "z equals x @ W + b, and the cache holds (x, W, b)")


def _check_dense_cache(name: str, cache: Any, x: np.ndarray, W: np.ndarray, b: np.ndarray) -> None:
    if cache is None:
        raise CheckFailed(f"{name} returned no cache: dense_backward needs (x, W, b), so return z, (x, W, b)")
    if not isinstance(cache, (tuple, list)) or len(cache) != 3:
        raise CheckFailed(f"the cache of {name} should be the tuple (x, W, b); it is {describe_type(cache)}"
                          + (f" of length {len(cache)}" if isinstance(cache, (tuple, list)) else ""))
    for label, want, have in zip("xWb", (x, W, b), cache):
        arr = as_array(have)
        if arr is None or arr.shape != want.shape or not np.array_equal(arr, want):
            extra = ""
            if label == "x" and arr is not None and arr.shape == (x.shape[0], W.shape[1]):
                extra = ": it looks like z; the cache must hold the INPUT x, which dense_backward needs for dW"
            raise CheckFailed(f"the cache of {name} should be (x, W, b), but its entry for {label} is "
                              f"{fmt(have, 80)}{extra}")


# --- Exercise 2: dense_backward -------------------------------------------------------

def _dense_mistakes(part: str) -> dict[str, Callable[..., Any]]:
    m_of = lambda x: x.shape[0]  # noqa: E731
    common = {
        "dx": {
            "dx = dout @ W.T (shape (m, n_in)); you have the product the wrong way round":
                lambda dout, x, W, b: W @ dout.T,
            "dx has the wrong sign": lambda dout, x, W, b: -(dout @ W.T),
            "you divided dx by m, but the 1/m of the mean is already inside dout":
                lambda dout, x, W, b: dout @ W.T / m_of(x),
        },
        "dW": {
            "dW is transposed: it must have the shape of W, (n_in, n_out), which is x.T @ dout "
            "(you computed dout.T @ x)": lambda dout, x, W, b: dout.T @ x,
            "you divided dW by m, but the 1/m of the mean is already inside dout (a second 1/m)":
                lambda dout, x, W, b: x.T @ dout / m_of(x),
            "dW has the wrong sign": lambda dout, x, W, b: -(x.T @ dout),
        },
        "db": {
            "db is not summed: b is shared by all m rows, so sum dout over the rows, dout.sum(axis=0)":
                lambda dout, x, W, b: dout,
            "db is summed over the wrong axis: sum over the rows (the examples), axis=0, not axis=1":
                lambda dout, x, W, b: dout.sum(axis=1),
            "db is summed over everything: sum over the rows only, dout.sum(axis=0)":
                lambda dout, x, W, b: np.full_like(b, dout.sum()),
            "db is the MEAN of dout over the rows; the 1/m is already inside dout, so use the sum":
                lambda dout, x, W, b: dout.mean(axis=0),
            "db keeps an extra axis (keepdims=True): it must have the shape of b, (n_out,)":
                lambda dout, x, W, b: dout.sum(axis=0, keepdims=True),
        },
    }
    return common[part]


def check_dense_backward(fn: Callable[..., Any], rng: np.random.Generator | None = None) -> None:
    """``fn(dout, cache)`` with ``cache = (x, W, b)`` must return ``(dx, dW, db)``.

    ``dout`` (m, n_out) is dloss/dz. Expected: central differences of
    ``sum(dout * (x @ W + b))``, confirmed against the library's dense layer.
    """
    rng, hidden = pick_rng(rng)
    name = "dense_backward"
    cases = [_dense_case(rng, hidden) for _ in range(3 if hidden else 2)]
    for case in cases:
        x, W, b, dout = (case[k].copy() for k in ("x", "W", "b", "dout"))
        inputs = {"dout": dout, "x": x, "W": W, "b": b}

        def linear_loss() -> float:
            return float(np.sum(dout * (x @ W + b)))

        numeric = {"dx": _numeric(linear_loss, x), "dW": _numeric(linear_loss, W), "db": _numeric(linear_loss, b)}
        oracle = dict(zip(("dx", "dW", "db"), layers.dense_backward(dout, (x, W, b))))
        for part in numeric:
            _confirm(f"dense_backward ({part})", oracle[part], numeric[part])
        got = _pair(call_student(fn, name, dout.copy(), (x.copy(), W.copy(), b.copy()),
                                 forbidden=DENSE_BACKWARD_REFERENCES), name, "three arrays (dx, dW, db)")
        if len(got) != 3:
            raise CheckFailed(f"{name} should return three arrays (dx, dW, db), but it returned "
                              f"{len(got)} values")
        for part, value in zip(("dx", "dW", "db"), got):
            compare_with_evidence(f"{part} from {name}", oracle[part], value, inputs, mistakes=_dense_mistakes(part))
    passed(name, len(cases), "dx, dW and db match central differences of sum(dout * z)")


# --- Exercise 3: relu_backward --------------------------------------------------------

RELU_MISTAKES = {
    "the ReLU mask is missing: dz = dout where z > 0 and 0 where z <= 0, not dout itself":
        lambda dout, z: dout,
    "the mask was taken from dout (dout > 0), but it must come from the forward input z (z > 0)":
        lambda dout, z: dout * (dout > 0),
    "you multiplied by z (or by relu(z)); the local derivative of ReLU is 1 or 0, a mask, not z":
        lambda dout, z: dout * z,
    "you multiplied by relu(z); the local derivative of ReLU is 1 or 0 (a mask), not max(z, 0)":
        lambda dout, z: dout * np.maximum(z, 0),
    "at the kink z == 0 this course uses ReLU'(0) = 0 (a unit at exactly 0 is off): use z > 0, not z >= 0":
        lambda dout, z: dout * (z >= 0),
    "the mask is inverted: pass dout where z > 0 and zero it where z <= 0":
        lambda dout, z: dout * (z <= 0),
}


def _relu_case(rng: np.random.Generator, hidden: bool) -> tuple[np.ndarray, np.ndarray]:
    """``z`` with positive, negative and exactly-zero entries, and ``dout`` of its shape.

    Two entries with ``z > 0`` get a ``dout`` of each sign, so that no wrong
    mask (from ``dout``, say) can pass by luck.
    """
    shape = tuple(int(v) for v in rng.integers([2, 2], [7, 6])) if hidden else (4, 3)
    n = shape[0] * shape[1]
    order = rng.permutation(n)
    pos, neg, rest = order[:2], order[2], order[3:]   # two positive entries and one negative, at least
    n_zero = max(1, n // 5)
    zero, free = rest[:n_zero], rest[n_zero:]
    z = np.empty(n)
    z[pos] = rng.uniform(0.05, 2.5, 2)
    z[neg] = -rng.uniform(0.05, 2.5)
    z[zero] = 0.0
    z[free] = rng.choice([-1.0, 1.0], free.size) * rng.uniform(0.05, 2.5, free.size)
    dout = rng.choice([-1.0, 1.0], n) * rng.uniform(0.1, 2.0, n)
    dout[pos] = np.abs(dout[pos]) * np.array([1.0, -1.0])
    return z.reshape(shape), dout.reshape(shape)


def check_relu_backward(fn: Callable[..., Any], rng: np.random.Generator | None = None) -> None:
    """``fn(dout, cache)`` with ``cache = z`` must return ``dz = dout * (z > 0)``.

    Away from the kink the expected value is confirmed by central differences
    of ``sum(dout * relu(z))``; at ``z == 0`` exactly the course's convention
    ``ReLU'(0) = 0`` applies (central differences would give 1/2 there).
    """
    rng, hidden = pick_rng(rng)
    name = "relu_backward"
    cases = [_relu_case(rng, hidden) for _ in range(3 if hidden else 2)]
    for z, dout in cases:
        oracle = layers.activation_backward(dout, (z, ACTIVATIONS["relu"])) + 0.0  # + 0.0: no "-0." shown
        numeric = _numeric(lambda: float(np.sum(dout * relu(z))), z)
        _confirm("ReLU backward", oracle, numeric, mask=z != 0)
        got = call_student(fn, name, dout.copy(), z.copy(), forbidden=RELU_REFERENCES)
        compare_with_evidence(f"dz from {name}", oracle, got, {"dout": dout, "z": z}, mistakes=RELU_MISTAKES)
    passed(name, len(cases), "dz = dout where z > 0, and 0 where z <= 0 (the kink included)")


# --- Exercise 4: output_delta ---------------------------------------------------------

#: Binary cross-entropy of one output, as a function of its logit z and target y.
BCE_OF_LOGIT = Symbolic(lambda z, y: -(y * sp.log(sym_sigmoid(z)) + (1 - y) * sp.log(1 - sym_sigmoid(z))), "z y")

_BCE_DZ: list[Callable[..., np.ndarray]] = []


def _bce_dz() -> Callable[..., np.ndarray]:
    """``d BCE / dz`` of one entry from ``sympy.diff``, as NumPy code (compiled once)."""
    if not _BCE_DZ:
        _BCE_DZ.append(BCE_OF_LOGIT.grad("z"))
    return _BCE_DZ[0]


OUTPUT_DELTA_MISTAKES = {
    "the 1/m of the batch mean is missing: delta = (y_hat - y) / m, with m = number of rows":
        lambda y_hat, y: y_hat - y,
    "the sign is flipped: delta = (y_hat - y) / m, not (y - y_hat) / m":
        lambda y_hat, y: (y - y_hat) / len(y),
    "you multiplied by the sigmoid derivative y_hat * (1 - y_hat) again; with cross-entropy it cancels, "
    "delta = (y_hat - y) / m": lambda y_hat, y: (y_hat - y) * y_hat * (1 - y_hat) / len(y),
    "this is the delta of MSE, 2 (y_hat - y) y_hat (1 - y_hat) / m; for cross-entropy the sigmoid derivative "
    "cancels: delta = (y_hat - y) / m": lambda y_hat, y: 2 * (y_hat - y) * y_hat * (1 - y_hat) / len(y),
    "you divided by the number of entries (y_hat.size); the loss sums over outputs and averages over "
    "the m rows only: divide by m = y_hat.shape[0]": lambda y_hat, y: (y_hat - y) / y_hat.size,
    "this is dloss/dy_hat, the gradient before the sigmoid; the exercise asks for dloss/dz = (y_hat - y) / m":
        lambda y_hat, y: (y_hat - y) / (y_hat * (1 - y_hat)) / len(y),
}


def check_output_delta(fn: Callable[..., Any], rng: np.random.Generator | None = None) -> None:
    """``fn(y_hat, y)`` must return dloss/dz for ``y_hat = sigmoid(z)`` and the batch-mean BCE.

    ``y_hat`` and ``y``: (m, k); expected ``(y_hat - y) / m``, from
    ``sympy.diff`` of one entry's loss (divided by m), confirmed by central
    differences of the whole batch's mean loss.
    """
    rng, hidden = pick_rng(rng)
    name = "output_delta"
    shapes = ([(int(rng.integers(2, 8)), int(k)) for k in (1, 1, rng.integers(2, 4))] if hidden
              else [(5, 1), (3, 2)])
    exact = _bce_dz()
    for m, k in shapes:
        z = rng.normal(0, 2, (m, k))
        y = rng.integers(0, 2, (m, k)).astype(np.float64)
        y_hat = sigmoid(z)
        expected = exact(z, y) / m
        numeric = _numeric(lambda: binary_cross_entropy_with_logits(z, y)[0], z)
        _confirm("BCE of a sigmoid (SymPy)", expected, numeric)
        got = call_student(fn, name, y_hat.copy(), y.copy(), forbidden=OUTPUT_DELTA_REFERENCES)
        compare_with_evidence(f"delta from {name}", expected, got, {"y_hat": y_hat, "y": y}, mistakes=OUTPUT_DELTA_MISTAKES)
    passed(name, len(shapes), "matches sympy.diff of the mean cross-entropy with respect to z")


# --- Exercise 5: network_gradients ----------------------------------------------------

def _library_relu_forward(z: np.ndarray) -> tuple[np.ndarray, Any]:
    return layers.activation_forward(z, "relu")


def _library_output_delta(y_hat: np.ndarray, y: np.ndarray) -> np.ndarray:
    return (y_hat - y) / y_hat.shape[0]


def library_ops() -> SimpleNamespace:
    """The layer pieces of the course library, in the form ``network_gradients`` takes them.

    ``dense_forward(x, W, b) -> (z, cache)``, ``dense_backward(dout, cache) ->
    (dx, dW, db)``, ``relu_forward(z) -> (a, cache)``, ``relu_backward(dout,
    cache) -> dz``, ``sigmoid(z) -> y_hat``, ``output_delta(y_hat, y) -> dz``.
    Caches are opaque: pass each one back to the backward of the same layer.
    """
    return SimpleNamespace(dense_forward=layers.dense_forward, dense_backward=layers.dense_backward,
                           relu_forward=_library_relu_forward, relu_backward=layers.activation_backward,
                           sigmoid=sigmoid, output_delta=_library_output_delta)


def network_loss(params: Mapping[str, np.ndarray], x: np.ndarray, y: np.ndarray) -> float:
    """Mean binary cross-entropy of the n_in-n_hid-1 network ``sigmoid(relu(x W1 + b1) W2 + b2)``."""
    z1 = x @ params["W1"] + params["b1"]
    z2 = relu(z1) @ params["W2"] + params["b2"]
    return binary_cross_entropy_with_logits(z2, y)[0]


def _network_variant(params: Mapping[str, np.ndarray], x: np.ndarray, y: np.ndarray, *, mask: bool = True,
                     delta: Callable[[np.ndarray, np.ndarray], np.ndarray] = _library_output_delta,
                     w2_input: str = "a1") -> dict[str, np.ndarray]:
    """The gradients as computed with one typical mistake (or none, with the defaults).

    ``mask=False`` leaves out ReLU'; ``delta`` replaces the output delta;
    ``w2_input="z1"`` builds dW2 from the pre-activations instead of ``a1``.
    """
    W1, b1, W2, b2 = (params[k] for k in PARAM_NAMES)
    z1 = x @ W1 + b1
    a1 = relu(z1)
    y_hat = sigmoid(a1 @ W2 + b2)
    d2 = delta(y_hat, y)
    da1 = d2 @ W2.T
    d1 = da1 * (z1 > 0) if mask else da1
    below = {"a1": a1, "z1": z1}[w2_input]
    return {"W1": x.T @ d1, "b1": d1.sum(axis=0), "W2": below.T @ d2, "b2": d2.sum(axis=0)}


NETWORK_MISTAKES: dict[str, Callable[..., dict[str, np.ndarray]]] = {
    "the ReLU mask is missing in the hidden layer: delta1 = (delta2 @ W2.T) * ReLU'(z1); pass da1 through "
    "ops.relu_backward before the first dense layer's backward":
        lambda params, x, y: _network_variant(params, x, y, mask=False),
    "every gradient is m times too big: the 1/m of the mean loss is missing from the output delta "
    "(use ops.output_delta)": lambda params, x, y: _network_variant(params, x, y, delta=lambda yh, t: yh - t),
    "every gradient is m times too small: the 1/m was applied twice (ops.output_delta already divides by m)":
        lambda params, x, y: _network_variant(params, x, y, delta=lambda yh, t: (yh - t) / len(t) ** 2),
    "every gradient has the wrong sign: the output delta is (y_hat - y) / m, not (y - y_hat) / m":
        lambda params, x, y: _network_variant(params, x, y, delta=lambda yh, t: (t - yh) / len(t)),
    "the sigmoid derivative was applied on top of ops.output_delta; with cross-entropy it cancels, so "
    "delta2 is just ops.output_delta(y_hat, y)":
        lambda params, x, y: _network_variant(params, x, y, delta=lambda yh, t: (yh - t) * yh * (1 - yh) / len(t)),
    "dW2 was computed from z1 instead of the hidden activations a1 = relu(z1): pass the second dense layer "
    "its own cache": lambda params, x, y: _network_variant(params, x, y, w2_input="z1"),
}


def _network_case(rng: np.random.Generator, hidden: bool) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """A random n_in-n_hid-1 network with data in which no hidden z sits near the kink."""
    if hidden:
        m, n_in, n_hid = (int(v) for v in rng.integers([2, 1, 2], [7, 5, 6]))
    else:
        m, n_in, n_hid = 5, 2, 3  # five students, (study, sleep), three hidden units
    for _ in range(100):
        params = {"W1": rng.normal(0, 1, (n_in, n_hid)), "b1": rng.normal(0, 0.5, n_hid),
                  "W2": rng.normal(0, 1, (n_hid, 1)), "b2": rng.normal(0, 0.5, 1)}
        x = rng.normal(0, 1, (m, n_in))
        z1 = x @ params["W1"] + params["b1"]
        # a few units on and a few off, none within 1e-3 of the kink
        if np.abs(z1).min() > 1e-3 and (z1 > 0).any() and (z1 < 0).any():
            break
    y = rng.integers(0, 2, (m, 1)).astype(np.float64)
    return params, x, y


def _same(got: Any, candidate: np.ndarray) -> bool:
    arr = as_array(got)
    if arr is None or arr.shape != candidate.shape:
        return False
    with np.errstate(all="ignore"):
        return bool(np.allclose(arr.astype(np.float64), candidate, rtol=1e-6, atol=1e-12))


def _match_grads(got: Mapping[str, Any], params: Mapping[str, np.ndarray], x: np.ndarray,
                 y: np.ndarray) -> str | None:
    """The description of the typical mistake whose gradients ``got`` equals, if any."""
    for description, wrong in NETWORK_MISTAKES.items():
        candidate = wrong(params, x, y)
        if all(_same(got.get(k), candidate[k]) for k in PARAM_NAMES):
            return description
    return None


def check_network_gradients(fn: Callable[..., Any], rng: np.random.Generator | None = None) -> None:
    """``fn(params, x, y, ops)`` must return ``{"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}``.

    The network is ``y_hat = sigmoid(relu(x W1 + b1) W2 + b2)`` with the mean
    binary cross-entropy; ``ops`` holds the library's layer pieces (see
    :func:`library_ops`). Every entry of every gradient is compared with
    central differences of the loss (:func:`backprop_lib.checking.gradcheck.check_gradients`).
    """
    rng, hidden = pick_rng(rng)
    name = "network_gradients"
    cases = [_network_case(rng, hidden) for _ in range(3 if hidden else 2)]
    for params, x, y in cases:
        sizes = f"{x.shape[1]}-{params['W1'].shape[1]}-1 network on m = {x.shape[0]} examples"
        got = call_student(fn, name, {k: v.copy() for k, v in params.items()}, x.copy(), y.copy(), library_ops(),
                           forbidden=NETWORK_REFERENCES)
        require_keys(got, PARAM_NAMES, f"the value returned by {name}",
                     "{'W1': dW1, 'b1': db1, 'W2': dW2, 'b2': db2}")
        work = {k: v.copy() for k, v in params.items()}
        report = gradcheck.check_gradients(lambda p: network_loss(p, x, y), work, got)
        if report.passed:
            continue
        lines = [f"{name} gives wrong gradients for the {sizes}.",
                 f"  on input: x = {fmt(x, 100)}, y = {fmt(y, 60)}",
                 "  compared with central differences of the loss:"]
        lines += ["    " + p.summary(report.tol) for p in report.params.values()]
        named = _match_grads(got, params, x, y)
        if named:
            lines.append(f"  likely cause: {named}")
        raise CheckFailed("\n".join(lines))
    passed(name, len(cases), "every entry of every gradient matches central differences of the loss")


# --- Exercise 6: grad_check -----------------------------------------------------------

#: Smooth element-wise test losses ``sum(g(p, c))``; their derivatives come from SymPy.
TEST_LOSSES = {
    "cubic": Symbolic(lambda p, c: c * p + p ** 3 / 3, "p c"),   # dg/dp = c + p**2
    "exp": Symbolic(lambda p, c: sp.exp(2 * p) / 2 + c * p, "p c"),  # dg/dp = exp(2p) + c
    "sin": Symbolic(lambda p, c: sp.sin(p) + 2 * c * p, "p c"),    # dg/dp = cos(p) + 2c
}
_GRADS: dict[str, Callable[..., np.ndarray]] = {}


def _test_loss_grad(kind: str) -> Callable[..., np.ndarray]:
    """``dg/dp`` of a test loss from ``sympy.diff``, compiled once."""
    if kind not in _GRADS:
        _GRADS[kind] = TEST_LOSSES[kind].grad("p")
    return _GRADS[kind]


#: A correct checker reports less than this on the smooth test losses (its own error is ~1e-10).
CORRECT_TOL = 1e-7


class _Problem:
    """Parameters ``params`` (name -> array), a loss of them and their exact gradients.

    ``calls`` counts the loss's evaluations.
    """


    def __init__(self, rng: np.random.Generator, hidden: bool):
        if hidden:
            names = ["W", "b", "V"][: int(rng.integers(2, 4))]
            shapes = [self._shape(rng) for _ in names]
        else:
            names, shapes = ["W", "b"], [(3, 2), (4,)]
        kinds = rng.choice(sorted(TEST_LOSSES), size=len(names))
        self.params = {n: rng.uniform(-1, 1, s) for n, s in zip(names, shapes)}
        # c in [0.5, 1.5] keeps every derivative at least about 0.4 away from 0
        self.consts = {n: rng.uniform(0.5, 1.5, s) for n, s in zip(names, shapes)}
        self.kinds = dict(zip(names, (str(k) for k in kinds)))
        self.calls = 0

    @staticmethod
    def _shape(rng: np.random.Generator) -> tuple[int, ...]:
        """One or two dimensions of size 1 to 4, with at least two entries (so max and mean differ)."""
        while True:
            shape = tuple(int(s) for s in rng.integers(1, 5, size=int(rng.integers(1, 3))))
            if int(np.prod(shape)) >= 2:
                return shape

    def loss(self, params: Mapping[str, np.ndarray]) -> float:
        self.calls += 1
        return float(sum(np.sum(TEST_LOSSES[self.kinds[n]].value(params[n], self.consts[n])) for n in self.kinds))

    def exact(self) -> dict[str, np.ndarray]:
        return {n: _test_loss_grad(self.kinds[n])(self.params[n], self.consts[n]) for n in self.kinds}

    def describe(self) -> str:
        parts = []
        for n, kind in self.kinds.items():
            formula = {"cubic": "c*p + p**3/3", "exp": "exp(2p)/2 + c*p", "sin": "sin(p) + 2c*p"}[kind]
            parts.append(f"{n} {self.params[n].shape}: sum of {formula}")
        return "loss = " + "; ".join(parts)


def _reference_errors(problem: _Problem, grads: Mapping[str, np.ndarray], *, kind: str = "central",
                      h: float = 1e-5, measure: str = "max") -> dict[str, float]:
    """What a checker computes (correctly, or with one typical mistake) on ``problem``."""
    out = {}
    for n, p in problem.params.items():
        numeric = np.zeros_like(p)
        for idx in np.ndindex(p.shape):
            old = p[idx]
            p[idx] = old + h
            up = problem.loss(problem.params)
            p[idx] = old - h
            down = problem.loss(problem.params)
            p[idx] = old
            if kind == "forward":
                numeric[idx] = (up - problem.loss(problem.params)) / h
            elif kind == "over-h":
                numeric[idx] = (up - down) / h
            else:
                numeric[idx] = (up - down) / (2 * h)
        g = np.asarray(grads[n], dtype=np.float64)
        if measure == "abs":
            err = np.abs(g - numeric)
        elif measure == "no-abs-denominator":
            err = np.abs(g - numeric) / np.maximum(np.abs(numeric), gradcheck.FLOOR)
        else:
            err = gradcheck.rel_error(g, numeric)
        out[n] = float(err.mean()) if measure == "mean" else float(err.max())
    return out


GRAD_CHECK_MISTAKES = {
    "this looks like a forward difference (L(p+h) - L(p)) / h, whose error is of order h; use the central "
    "difference (L(p+h) - L(p-h)) / (2h)": dict(kind="forward"),
    "your numerical gradient is twice the true one: the points p+h and p-h are 2h apart, divide by 2*h":
        dict(kind="over-h"),
    "this is the absolute error |g - n|, not the relative error |g - n| / max(|g| + |n|, 1e-8)":
        dict(measure="abs"),
    "this is the MEAN relative error over the entries; report the largest (max), so that one wrong entry "
    "shows": dict(measure="mean"),
    "the denominator should be max(|g| + |n|, 1e-8) (both gradients), not |n| alone":
        dict(measure="no-abs-denominator"),
}


def _name_grad_check_mistake(got: Mapping[str, float], problem: _Problem,
                             grads: Mapping[str, np.ndarray]) -> str | None:
    for description, variant in GRAD_CHECK_MISTAKES.items():
        ref = _reference_errors(problem, grads, **variant)
        if all(np.isclose(float(got[n]), ref[n], rtol=0.05, atol=1e-12) for n in ref):
            return description
    return None


def _call_grad_check(fn: Callable[..., Any], problem: _Problem, grads: Mapping[str, np.ndarray],
                     label: str) -> dict[str, float]:
    name = "grad_check"
    saved = {n: p.copy() for n, p in problem.params.items()}
    got = call_student(fn, name, problem.loss, problem.params, {n: g.copy() for n, g in grads.items()},
                       forbidden=GRADCHECK_REFERENCES)
    for n, p in problem.params.items():
        moved = np.abs(p - saved[n]) > 1e-12 * (1 + np.abs(saved[n]))
        if moved.any():
            idx = tuple(int(i) for i in np.argwhere(moved)[0])
            raise CheckFailed(f"{name} left params[{n!r}]{list(idx)} changed, from {saved[n][idx]:.10g} to "
                              f"{p[idx]:.10g}: after nudging an entry, put its old value back "
                              "(old = p[idx]; ...; p[idx] = old)")
    if not isinstance(got, Mapping):
        raise CheckFailed(f"{name} should return a dict {{name: largest relative error}}, but it returned "
                          f"{describe_type(got)}")
    if set(map(str, got)) != set(problem.params):
        raise CheckFailed(f"{name} should return one number per parameter, with the keys "
                          f"{sorted(problem.params)}; its keys are {sorted(map(str, got))}")
    out = {}
    for n in problem.params:
        arr = as_array(got[n])
        if arr is None or arr.size != 1:
            raise CheckFailed(f"{name} should map {n!r} to one number (the largest relative error over its "
                              f"entries); it gave {describe_type(got[n])} ({label})")
        out[n] = float(arr.reshape(-1)[0])
    return out


def check_grad_check(fn: Callable[..., Any], rng: np.random.Generator | None = None) -> None:
    """``fn(loss_fn, params, grads, h=1e-5)`` must return ``{name: largest relative error}``.

    ``params`` and ``grads`` map names to float64 arrays of equal shapes;
    ``loss_fn(params)`` returns a float. For each name the function must
    compare ``grads[name]`` with central differences over EVERY entry of
    ``params[name]`` and report ``max |g - n| / max(|g| + |n|, 1e-8)``,
    leaving ``params`` as it found them. Judged on smooth losses with SymPy
    gradients: correct gradients, gradients scaled by a known factor, and a
    single wrong entry.
    """
    rng, hidden = pick_rng(rng)
    name = "grad_check"
    problems = [_Problem(rng, hidden) for _ in range(2 if hidden else 1)]
    n_cases = 0
    for problem in problems:
        exact = problem.exact()
        # a correct gradient: every error must be tiny
        got = _call_grad_check(fn, problem, exact, "correct gradients")
        bad = {n: e for n, e in got.items() if not (0 <= e <= CORRECT_TOL)}
        if problem.calls == 0:
            raise CheckFailed(f"{name} never called loss_fn: the numerical gradient needs the loss at p+h and p-h")
        if bad:
            n0 = next(iter(bad))
            lines = [f"{name} reports a relative error of {bad[n0]:.3g} for {n0!r}, but the gradients given "
                     f"to it were exact (from sympy.diff); a correct checker reports below {CORRECT_TOL:g} here.",
                     f"  test problem: {problem.describe()}",
                     f"  params: {', '.join(f'{n} = {fmt(p, 80)}' for n, p in problem.params.items())}"]
            if all(abs(e - 1.0) < 1e-6 for e in got.values()):
                lines.append("  likely cause: your numerical gradient is all zeros: loss_fn never saw the "
                             "nudges. Change params[name] IN PLACE (p = params[name]; p[idx] = old + h), "
                             "not a copy, and pass params to loss_fn")
            else:
                named = _name_grad_check_mistake(got, problem, exact)
                if named:
                    lines.append(f"  likely cause: {named}")
            raise CheckFailed("\n".join(lines))
        # gradients off by known amounts: the reported errors must be those amounts
        scale = float(rng.uniform(0.1, 0.6))
        wrong = {n: g.copy() for n, g in exact.items()}
        first, last = list(wrong)[0], list(wrong)[-1]
        wrong[first] = wrong[first] * (1 + scale)
        # never the first entry: a checker that looks at one entry only would find it there
        shape = wrong[last].shape
        idx = tuple(int(i) for i in np.unravel_index(int(rng.integers(1, int(np.prod(shape)))), shape))
        wrong[last][idx] += float(rng.choice([-1.0, 1.0])) * float(rng.uniform(0.5, 2.0))
        truth = {n: float(gradcheck.rel_error(wrong[n], exact[n]).max()) for n in wrong}
        got = _call_grad_check(fn, problem, wrong, "wrong gradients")
        for n in wrong:
            if not np.isclose(got[n], truth[n], rtol=1e-4, atol=CORRECT_TOL):
                what = (f"every entry of grads[{n!r}] was {1 + scale:.4g} times the true gradient" if n == first
                        else f"only its entry {list(idx)} was wrong" if n == last
                        else "it was exact")
                lines = [f"{name} reports {got[n]:.6g} for {n!r}, but {what}, so the largest relative error "
                         f"is {truth[n]:.6g}.",
                         f"  test problem: {problem.describe()}"]
                named = _name_grad_check_mistake(got, problem, wrong)
                if named:
                    lines.append(f"  likely cause: {named}")
                elif got[n] < truth[n]:
                    lines.append("  likely cause: not every entry is compared? loop over every index of "
                                 "params[name] (np.ndindex(p.shape)) and report the max")
                raise CheckFailed("\n".join(lines))
        n_cases += 2
    passed(name, n_cases, "exact gradients report < 1e-7, and known errors are measured exactly")


#: Exercises whose hidden tests the grader re-runs outside the student's kernel
#: (autograder/verify.py): all of them. grad_check's loss callback runs in the kernel
#: on a copy of its _Problem, whose call count comes back as data.
VERIFIED_OUTSIDE = ('dense_forward', 'dense_backward', 'relu_backward', 'output_delta', 'network_gradients',
                    'grad_check')


#: The course library's own functions each exercise may not use, not even copied: its check forbids
#: them, and the exercise's text says so (tests/test_verify.py checks the two agree).
FORBIDDEN_REFERENCES = {
    "dense_forward": ("nn.layers.dense_activation_forward", "nn.layers.dense_forward"),
    "dense_backward": ("nn.layers.dense_activation_backward", "nn.layers.dense_backward", "nn.layers.dense_param_grads"),
    "relu_backward": ("nn.layers.activation_backward", "nn.layers.dense_activation_backward"),
    "output_delta": ("nn.losses.binary_cross_entropy", "nn.losses.binary_cross_entropy_with_logits"),
    "network_gradients": ("checking.gradcheck.check_gradients", "checking.gradcheck.numerical_gradient", "nn.mlp.backward",
        "nn.mlp.loss_and_grads"),
    "grad_check": ("checking.gradcheck.central_difference", "checking.gradcheck.check_gradients", "checking.gradcheck.check_sampled",
        "checking.gradcheck.max_rel_error", "checking.gradcheck.numerical_gradient", "checking.gradcheck.rel_error"),
}


#: The rules of each exercise's answer that the checks apply to every call of the student's function
#: (``backprop_lib.checking.checks``): the inputs it may change in place ({name: position in its signature}; every other array, list or dict it
#: is given must come back as it was; the exercise's text says so) and the kind of value it returns:
#: "array", "number", "numeric" (either), list, dict, a tuple of these, or None (anything).
MAY_MODIFY: dict[str, dict[str, int]] = {"grad_check": {"params": 1}}
RETURNS: dict[str, object] = {
    "dense_forward": ("array", None),
    "dense_backward": ("array", "array", "array"),
    "relu_backward": "array",
    "output_delta": "array",
    "network_gradients": dict,
    "grad_check": dict,
}
