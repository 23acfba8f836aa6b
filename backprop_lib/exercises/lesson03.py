"""Checks of lesson 03, one sigmoid neuron trained with binary cross-entropy.

Tasks, batch-first (``x`` is (m, n), one example per row; ``w`` is (n,), ``b`` a number):

* ``neuron_forward(x, w, b)``: ``y_hat = sigmoid(x @ w + b)``, shape (m,)
* ``bce_loss(y_hat, y)``: the batch mean of ``-(y log y_hat + (1-y) log(1-y_hat))``, a number
* ``bce_delta(z, y)``: ``dL/dz`` of that mean loss with ``y_hat = sigmoid(z)``: ``(y_hat - y) / m``, (m,)
* ``neuron_grads(x, w, b, y)``: ``(dw, db)`` of the mean loss, shapes (n,) and ()
* ``gd_step(w, b, dw, db, lr)``: one step of gradient descent, ``(w - lr dw, b - lr db)``

Expected values come from SymPy (the forward written as a formula, then
``sympy.diff``), each derivative first confirmed by central differences.
The self-check (``rng`` None) runs fixed cases; the hidden test draws fresh
batch sizes, widths and values from ``rng``. No check calls the student's
answer to another exercise.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any, Callable

import numpy as np
import sympy as sp

from ..nn import activations, layers, losses, mlp
from ..checking import gradcheck
from ..checking.checks import CheckFailed, LibraryError, compare, passed
from ..checking.named_errors import call_named
from ..checking.symbolic import Symbolic, sigmoid
from . import pick_rng
from .lesson01 import explain_result

# --- formulas -------------------------------------------------------------------


def bce_sym(y_hat: sp.Expr, y: sp.Expr) -> sp.Expr:
    """Binary cross-entropy of one example as a SymPy expression."""
    return -(y * sp.log(y_hat) + (1 - y) * sp.log(1 - y_hat))


@lru_cache(maxsize=16)
def neuron_formula(n: int) -> Symbolic:
    """The loss of one example for a neuron with ``n`` inputs: BCE(sigmoid(x . w + b), y).

    Arguments, in order: ``w0 .. w{n-1}, b, x0 .. x{n-1}, y``.
    """
    names = [f"w{j}" for j in range(n)] + ["b"] + [f"x{j}" for j in range(n)] + ["y"]

    def loss(*s: sp.Symbol) -> sp.Expr:
        w, b, x, y = s[:n], s[n], s[n + 1: 2 * n + 1], s[-1]
        return bce_sym(sigmoid(sp.Add(*[wj * xj for wj, xj in zip(w, x)], b)), y)

    return Symbolic(loss, names)


@lru_cache(maxsize=16)
def forward_formula(n: int) -> Symbolic:
    """``sigmoid(x . w + b)`` of one example, arguments ``w0 .. w{n-1}, b, x0 .. x{n-1}``."""
    names = [f"w{j}" for j in range(n)] + ["b"] + [f"x{j}" for j in range(n)]
    return Symbolic(lambda *s: sigmoid(sp.Add(*[s[j] * s[n + 1 + j] for j in range(n)], s[n])), names)


@lru_cache(maxsize=16)
def neuron_grad_fns(n: int) -> tuple[Callable[..., np.ndarray], ...]:
    """``d loss / d w0, ..., d loss / d w{n-1}, d loss / d b`` of :func:`neuron_formula` as NumPy functions."""
    formula = neuron_formula(n)
    return tuple(formula.grad(name) for name in [f"w{j}" for j in range(n)] + ["b"])


#: BCE of one example as a function of the logit z and the target y.
BCE_OF_Z = Symbolic(lambda z, y: bce_sym(sigmoid(z), y), "z y")
#: BCE of one example as a function of the probability y_hat and the target y.
BCE_OF_P = Symbolic(lambda p, y: bce_sym(p, y), "p y")


def _args(w: np.ndarray, b: float, x: np.ndarray, y: np.ndarray | None = None) -> list[Any]:
    """The per-example arguments of :func:`neuron_formula`: weights as numbers, inputs as columns."""
    out: list[Any] = [float(v) for v in w] + [float(b)] + [x[:, j] for j in range(x.shape[1])]
    return out + ([y] if y is not None else [])


def _mean_bce_logits(z: np.ndarray, y: np.ndarray) -> float:
    """Stable batch-mean BCE of sigmoid(z), for finite differences."""
    return losses.binary_cross_entropy_with_logits(np.asarray(z, dtype=np.float64), y)[0]


def _sig(z: np.ndarray) -> np.ndarray:
    return activations.sigmoid(np.asarray(z, dtype=np.float64))


def _as_number(got: Any) -> Any:
    """A size-1 array as a 0-d array (a number in a list or (1,) array is accepted as a number)."""
    try:
        arr = np.asarray(got, dtype=np.float64)
    except Exception:  # noqa: BLE001 - not numeric: leave it for compare to explain
        return got
    return arr.reshape(()) if arr.size == 1 else got


def _confirm(what: str, exact: np.ndarray, numeric: np.ndarray) -> None:
    if gradcheck.max_rel_error(exact, numeric, floor=1e-6) > gradcheck.NUMERIC_TOL:
        raise LibraryError(f"SymPy and central differences disagree on {what}: please report this")


def _batch(rng: np.random.Generator, hidden: bool, i: int) -> tuple[int, int]:
    """Batch size m and width n of case ``i``: fixed for the self-check, random for the hidden test.

    m is at least 2, so that a missing or extra 1/m always shows.
    """
    if not hidden:
        return [(4, 2), (5, 3)][i]
    return int(rng.integers(2, 8)), int(rng.integers(1, 5))


def _labels(rng: np.random.Generator, m: int) -> np.ndarray:
    """m labels of 0.0 and 1.0, with both classes present."""
    y = rng.integers(0, 2, m).astype(np.float64)
    y[0], y[-1] = 0.0, 1.0
    return rng.permutation(y)


# --- Exercise 1: neuron_forward ----------------------------------------------------

FORWARD_MISTAKES = {
    "the sigmoid is missing: you returned z = x @ w + b; y_hat = sigmoid(z) = 1 / (1 + exp(-z))":
        lambda x, w, b: x @ w + b,
    "a sign in the sigmoid: it is 1 / (1 + exp(-z)), with MINUS z":
        lambda x, w, b: 1 / (1 + np.exp(x @ w + b)),
    "the bias b is missing: z = x @ w + b":
        lambda x, w, b: _sig(x @ w),
    "the bias is subtracted: z = x @ w + b":
        lambda x, w, b: _sig(x @ w - b),
    "the bias is inside the wrong place: z = x @ w + b, then y_hat = sigmoid(z); b is not added after the sigmoid":
        lambda x, w, b: _sig(x @ w) + b,
    "you summed over the whole batch: each example (row of x) gets its own z = x[i] @ w + b; use x @ w":
        lambda x, w, b: _sig(np.sum(x * w) + b),
}


def check_neuron_forward(fn: Callable[..., Any], rng: np.random.Generator | None = None) -> None:
    """``fn(x, w, b)`` must return ``sigmoid(x @ w + b)``, shape (m,), compared with SymPy's value."""
    rng, hidden = pick_rng(rng)
    name = "neuron_forward"
    n_cases = 3 if hidden else 2
    for i in range(n_cases):
        m, n = _batch(rng, hidden, min(i, 1))
        inputs = {"x": rng.normal(0, 1.5, (m, n)), "w": rng.normal(0, 1.5, n), "b": float(rng.normal(0, 1))}
        if i == n_cases - 1:  # a saturated neuron: z far from 0 on both sides
            inputs["x"][0] = 25.0 * np.sign(inputs["w"] + 1e-12)
            inputs["x"][-1] = -25.0 * np.sign(inputs["w"] + 1e-12)
        formula = forward_formula(n)
        expected = formula.value(*_args(inputs["w"], inputs["b"], inputs["x"]))
        got = call_named(fn, name, {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in inputs.items()},
                         mistakes=FORWARD_MISTAKES, forbidden=[activations.sigmoid, layers.dense_forward],
                         hint=f"x is (m, n) = {inputs['x'].shape} and w is (n,) = {inputs['w'].shape}: "
                              "x @ w is (m,), one z per example")
        what = f"{name} on a batch of m = {m} examples with n = {n} inputs"
        explain_result(what, expected, got, inputs, unit="example (row of x)", mistakes=FORWARD_MISTAKES)
        compare(what, expected, got, inputs, mistakes=FORWARD_MISTAKES)
    passed(name, n_cases, "matches the SymPy formula sigmoid(x . w + b), example by example")


# --- Exercise 2: bce_loss ------------------------------------------------------------

def _bce_terms(y_hat: np.ndarray, y: np.ndarray) -> np.ndarray:
    return -(y * np.log(y_hat) + (1 - y) * np.log(1 - y_hat))


BCE_LOSS_MISTAKES = {
    "your loss is m times too big: the loss is the MEAN over the m examples (divide the sum by m, or np.mean)":
        lambda y_hat, y: np.sum(_bce_terms(y_hat, y)),
    "one loss per example came back: the loss of the batch is one number, the MEAN of these m values":
        lambda y_hat, y: _bce_terms(y_hat, y),
    "the minus sign is missing: log of a probability is negative, so BCE = -(y log y_hat + (1-y) log(1-y_hat))":
        lambda y_hat, y: -np.mean(_bce_terms(y_hat, y)),
    "the two log terms are swapped: y goes with log(y_hat), and (1 - y) with log(1 - y_hat)":
        lambda y_hat, y: np.mean(_bce_terms(1 - y_hat, y)),
    "the (1 - y) log(1 - y_hat) term is missing: it is what penalises a high y_hat when y = 0":
        lambda y_hat, y: -np.mean(y * np.log(y_hat)),
    "log10 instead of the natural log: use np.log":
        lambda y_hat, y: -np.mean(y * np.log10(y_hat) + (1 - y) * np.log10(1 - y_hat)),
}


def check_bce_loss(fn: Callable[..., Any], rng: np.random.Generator | None = None) -> None:
    """``fn(y_hat, y)`` must return the batch mean of BCE, a number, compared with SymPy's value."""
    rng, hidden = pick_rng(rng)
    name = "bce_loss"
    n_cases = 3 if hidden else 2
    for i in range(n_cases):
        m = _batch(rng, hidden, min(i, 1))[0]
        inputs = {"y_hat": rng.uniform(0.02, 0.98, m), "y": _labels(rng, m)}
        expected = float(np.mean(BCE_OF_P.value(inputs["y_hat"], inputs["y"])))
        got = call_named(fn, name, {k: v.copy() for k, v in inputs.items()}, mistakes=BCE_LOSS_MISTAKES,
                         forbidden=[losses.binary_cross_entropy, losses.binary_cross_entropy_with_logits])
        explain_result(f"{name} on a batch of m = {m}", expected, _as_number(got), inputs,
                       unit="the mean loss over the m examples", mistakes=BCE_LOSS_MISTAKES)
        compare(f"{name} on a batch of m = {m}", expected, _as_number(got), inputs, mistakes=BCE_LOSS_MISTAKES)
    passed(name, n_cases, "matches the SymPy formula of the mean binary cross-entropy")


# --- Exercise 3: bce_delta -----------------------------------------------------------

BCE_DELTA_MISTAKES = {
    "your delta is m times too big: L is the MEAN over the batch, so dL/dz = (sigmoid(z) - y) / m":
        lambda z, y: _sig(z) - y,
    "the sign is flipped: dL/dz = (y_hat - y) / m, not (y - y_hat) / m":
        lambda z, y: (y - _sig(z)) / len(y),
    "with binary cross-entropy the sigmoid's derivative cancels: delta = (y_hat - y) / m has NO factor "
    "y_hat (1 - y_hat) (that factor belongs to the squared error)":
        lambda z, y: (_sig(z) - y) * _sig(z) * (1 - _sig(z)) / len(y),
    "you used z where the formula needs y_hat = sigmoid(z): delta = (sigmoid(z) - y) / m":
        lambda z, y: (z - y) / len(y),
    "this is the gradient of the squared error, 2 (y_hat - y) y_hat (1 - y_hat) / m; the exercise asks "
    "for binary cross-entropy, whose delta is (y_hat - y) / m":
        lambda z, y: 2 * (_sig(z) - y) * _sig(z) * (1 - _sig(z)) / len(y),
}


def check_bce_delta(fn: Callable[..., Any], rng: np.random.Generator | None = None) -> None:
    """``fn(z, y)`` must return dL/dz for L = mean BCE(sigmoid(z), y), shape (m,).

    Expected: ``sympy.diff`` of one example's loss with respect to ``z``,
    divided by ``m``, confirmed by central differences of the batch loss.
    Includes saturated neurons (|z| up to 8), where BCE's delta stays large.
    """
    rng, hidden = pick_rng(rng)
    name = "bce_delta"
    exact = BCE_OF_Z.grad("z")
    n_cases = 3 if hidden else 2
    for i in range(n_cases):
        m = _batch(rng, hidden, min(i, 1))[0]
        z, y = rng.uniform(-4, 4, m), _labels(rng, m)
        z[np.argmax(y)] = -8.0  # confidently wrong: y = 1 but z very negative (a saturated sigmoid)
        expected = exact(z, y) / m
        _confirm("dL/dz of the mean BCE",
                 expected, gradcheck.numerical_gradient(lambda v: _mean_bce_logits(v, y), z.copy()))
        inputs = {"z": z, "y": y}
        got = call_named(fn, name, {"z": z.copy(), "y": y.copy()}, mistakes=BCE_DELTA_MISTAKES,
                         forbidden=[losses.binary_cross_entropy, losses.binary_cross_entropy_with_logits])
        explain_result(f"{name} on a batch of m = {m}", expected, got, inputs, unit="example",
                       mistakes=BCE_DELTA_MISTAKES, m=m)
        compare(f"{name} on a batch of m = {m}", expected, got, inputs, mistakes=BCE_DELTA_MISTAKES)
    passed(name, n_cases, "matches sympy.diff of the mean BCE with respect to z, confirmed by central differences")


# --- Exercise 4: neuron_grads ----------------------------------------------------------

def _delta(x: np.ndarray, w: np.ndarray, b: float, y: np.ndarray) -> np.ndarray:
    return _sig(x @ w + b) - y


DW_MISTAKES = {
    "your dw is m times too big: the loss is a MEAN over the batch, so delta = (y_hat - y) / m and "
    "dw = x.T @ delta": lambda x, w, b, y: x.T @ _delta(x, w, b, y),
    "the sign is flipped: delta = (y_hat - y) / m, not (y - y_hat) / m":
        lambda x, w, b, y: -(x.T @ _delta(x, w, b, y)) / len(y),
    "with binary cross-entropy the sigmoid's derivative cancels: delta = (y_hat - y) / m has NO factor "
    "y_hat (1 - y_hat)":
        lambda x, w, b, y: x.T @ (_delta(x, w, b, y) * _sig(x @ w + b) * (1 - _sig(x @ w + b))) / len(y),
    "your dw is m times too small: delta = (y_hat - y) / m already holds the 1/m of the mean, so "
    "dw = x.T @ delta, with no second division by m":
        lambda x, w, b, y: x.T @ _delta(x, w, b, y) / len(y) ** 2,
    "dz/dw is x (z = x @ w + b), but you multiplied by w":
        lambda x, w, b, y: w * np.sum(_delta(x, w, b, y)) / len(y),
    "you multiplied delta by x element-wise without summing over the examples: dw = x.T @ delta, shape (n,)":
        lambda x, w, b, y: x * _delta(x, w, b, y)[:, None] / len(y),
}

DB_MISTAKES = {
    "your db is m times too big: the loss is a MEAN over the batch, so delta = (y_hat - y) / m and "
    "db = delta.sum()": lambda x, w, b, y: np.sum(_delta(x, w, b, y)),
    "the sign is flipped: delta = (y_hat - y) / m, not (y - y_hat) / m":
        lambda x, w, b, y: -np.mean(_delta(x, w, b, y)),
    "db must be one number: b is shared by all the examples, so db adds up every example's delta, "
    "db = delta.sum() (with delta = (y_hat - y) / m that is the mean of y_hat - y)":
        lambda x, w, b, y: _delta(x, w, b, y) / len(y),
    "your db is m times too small: delta = (y_hat - y) / m already holds the 1/m of the mean, so "
    "db = delta.sum(), not delta.mean()": lambda x, w, b, y: np.mean(_delta(x, w, b, y)) / len(y),
    "with binary cross-entropy the sigmoid's derivative cancels: delta = (y_hat - y) / m has NO factor "
    "y_hat (1 - y_hat)":
        lambda x, w, b, y: np.mean(_delta(x, w, b, y) * _sig(x @ w + b) * (1 - _sig(x @ w + b))),
}


def check_neuron_grads(fn: Callable[..., Any], rng: np.random.Generator | None = None) -> None:
    """``fn(x, w, b, y)`` must return ``(dw, db)`` for L = mean BCE(sigmoid(x @ w + b), y).

    Expected: ``sympy.diff`` of one example's loss with respect to each
    weight and the bias, averaged over the batch, confirmed by central
    differences of the batch loss.
    """
    rng, hidden = pick_rng(rng)
    name = "neuron_grads"
    n_cases = 3 if hidden else 2
    forbidden = [losses.binary_cross_entropy, losses.binary_cross_entropy_with_logits, layers.dense_backward,
                 layers.dense_param_grads, mlp.backward, mlp.loss_and_grads]
    for i in range(n_cases):
        m, n = _batch(rng, hidden, min(i, 1))
        x, w, b, y = rng.normal(0, 1.5, (m, n)), rng.normal(0, 1, n), float(rng.normal(0, 1)), _labels(rng, m)
        args = _args(w, b, x, y)
        per_param = [float(np.mean(grad(*args))) for grad in neuron_grad_fns(n)]
        dw, db = np.array(per_param[:n]), per_param[n]
        params = {"w": w.copy(), "b": np.array(b)}
        report = gradcheck.check_gradients(lambda p: _mean_bce_logits(x @ p["w"] + p["b"], y), params,
                                           {"w": dw, "b": np.array(db)})
        if not report.passed:
            raise LibraryError(f"SymPy and central differences disagree on the neuron's gradient: {report}")
        inputs = {"x": x, "w": w, "b": b, "y": y}
        got = call_named(fn, name, {"x": x.copy(), "w": w.copy(), "b": b, "y": y.copy()}, mistakes={},
                         forbidden=forbidden,
                         hint=f"x is (m, n) = {x.shape}, w is (n,) = {w.shape}, y is (m,): "
                              "delta = (y_hat - y) / m is (m,), dw = x.T @ delta is (n,)")
        if not isinstance(got, (tuple, list)) or len(got) != 2:
            raise CheckFailed(f"{name} should return two values, (dw, db); it returned {type(got).__name__}"
                              + (f" of length {len(got)}" if isinstance(got, (tuple, list)) else ""))
        what = f"on a batch of m = {m} examples with n = {n} inputs"
        explain_result(f"dw of {name} {what}", dw, got[0], inputs, unit="weight (the shape of w)",
                       mistakes=DW_MISTAKES, m=m)
        compare(f"dw of {name} {what}", dw, got[0], inputs, mistakes=DW_MISTAKES)
        explain_result(f"db of {name} {what}", db, _as_number(got[1]), inputs, unit="the gradient of the one bias b, shared by all examples",
                       mistakes=DB_MISTAKES)
        compare(f"db of {name} {what}", db, _as_number(got[1]), inputs, mistakes=DB_MISTAKES)
    passed(name, n_cases, "dw and db match sympy.diff of the mean BCE, confirmed by central differences")


# --- Exercise 5: gd_step -------------------------------------------------------------------

W_STEP_MISTAKES = {
    "you moved uphill: gradient DESCENT subtracts, w - lr * dw":
        lambda w, b, dw, db, lr: w + lr * dw,
    "the learning rate is missing: the step is lr * dw, not dw":
        lambda w, b, dw, db, lr: w - dw,
    "you returned the step itself: the new weights are w - lr * dw":
        lambda w, b, dw, db, lr: -lr * dw,
    "lr * dw is divided where it should be multiplied: w - lr * dw":
        lambda w, b, dw, db, lr: w - dw / lr,
}

B_STEP_MISTAKES = {
    "b was not updated: b moves too, b - lr * db":
        lambda w, b, dw, db, lr: b,
    "you moved uphill: gradient DESCENT subtracts, b - lr * db":
        lambda w, b, dw, db, lr: b + lr * db,
    "the learning rate is missing: the step is lr * db, not db":
        lambda w, b, dw, db, lr: b - db,
    "b was moved with dw instead of db":
        lambda w, b, dw, db, lr: b - lr * dw,
}


def check_gd_step(fn: Callable[..., Any], rng: np.random.Generator | None = None) -> None:
    """``fn(w, b, dw, db, lr)`` must return ``(w - lr * dw, b - lr * db)``.

    The gradients are those of a real neuron's mean BCE (computed here, not
    by the student's ``neuron_grads``); ``w`` is (n,), ``b``, ``db`` and ``lr`` numbers.
    """
    rng, hidden = pick_rng(rng)
    name = "gd_step"
    n_cases = 3 if hidden else 2
    for i in range(n_cases):
        m, n = _batch(rng, hidden, min(i, 1))
        x, y = rng.normal(0, 1.5, (m, n)), _labels(rng, m)
        w, b = rng.normal(0, 1, n), float(rng.normal(0, 1))
        delta = (_sig(x @ w + b) - y) / m                 # the library's way, not the student's exercise 4
        dw, db = x.T @ delta, float(np.sum(delta))
        lr = float(rng.choice([0.05, 0.1, 0.3]))
        inputs = {"w": w, "b": b, "dw": dw, "db": db, "lr": lr}
        got = call_named(fn, name, {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in inputs.items()},
                         mistakes={}, forbidden=[mlp.sgd_step])
        if not isinstance(got, (tuple, list)) or len(got) != 2:
            raise CheckFailed(f"{name} should return two values, (w_new, b_new); it returned "
                              f"{type(got).__name__}" + (f" of length {len(got)}" if isinstance(got, (tuple, list)) else ""))
        compare(f"w_new of {name} (lr = {lr:g})", w - lr * dw, got[0], inputs, mistakes=W_STEP_MISTAKES)
        compare(f"b_new of {name} (lr = {lr:g})", b - lr * db, _as_number(got[1]), inputs, mistakes=B_STEP_MISTAKES)
    passed(name, n_cases, "w_new = w - lr * dw and b_new = b - lr * db")


#: Exercises whose hidden tests the grader re-runs outside the student's kernel
#: (autograder/verify.py): all of them.
VERIFIED_OUTSIDE = ('neuron_forward', 'bce_loss', 'bce_delta', 'neuron_grads', 'gd_step')


#: The course library's own functions each exercise may not use, not even copied: its check forbids
#: them, and the exercise's text says so (tests/test_verify.py checks the two agree).
FORBIDDEN_REFERENCES = {
    "neuron_forward": ("nn.activations.sigmoid", "nn.layers.dense_forward"),
    "bce_loss": ("nn.losses.binary_cross_entropy", "nn.losses.binary_cross_entropy_with_logits"),
    "bce_delta": ("nn.losses.binary_cross_entropy", "nn.losses.binary_cross_entropy_with_logits"),
    "neuron_grads": ("nn.layers.dense_backward", "nn.layers.dense_param_grads", "nn.losses.binary_cross_entropy",
        "nn.losses.binary_cross_entropy_with_logits", "nn.mlp.backward", "nn.mlp.loss_and_grads"),
    "gd_step": ("nn.mlp.sgd_step",),
}


#: The rules of each exercise's answer that the checks apply to every call of the student's function
#: (``backprop_lib.checking.checks``): the inputs it may change in place ({name: position in its signature}; every other array, list or dict it
#: is given must come back as it was; the exercise's text says so) and the kind of value it returns:
#: "array", "number", "numeric" (either), list, dict, a tuple of these, or None (anything).
MAY_MODIFY: dict[str, dict[str, int]] = {}
RETURNS: dict[str, object] = {
    "neuron_forward": "array",
    "bce_loss": "number",
    "bce_delta": "array",
    "neuron_grads": ("array", "number"),
    "gd_step": ("array", "number"),
}
