"""Checks of lesson 01, derivatives and the chain rule.

Tasks: ``central_difference``, ``sigmoid_prime``, ``composite_derivative``,
``dL_dw``. Each ``check_<task>(fn, rng=None)`` runs a few seeded cases when
``rng`` is None (the self-check) and fresh cases of random shapes otherwise
(the hidden test). Expected values come from SymPy and finite differences.
"""
from __future__ import annotations

import functools
from fractions import Fraction
from typing import Any, Callable, NamedTuple

import numpy as np
import sympy as sp

from ..nn import activations
from ..checking import gradcheck
from ..nn.activations import sigmoid as _sig
from ..checking.checks import (CheckFailed, call_student, check_derivative, compare, fmt, fmt_inputs,
                               match_mistake, passed)
from ..checking.symbolic import Symbolic, sigmoid, to_numpy
from . import pick_rng, random_shape

#: Exercises whose hidden tests the grader re-runs outside the student's kernel
#: (inputs and outputs are data; see autograder/verify.py).
VERIFIED_OUTSIDE = ("central_difference", "sigmoid_prime", "composite_derivative", "dL_dw")


class Elementary(NamedTuple):
    """A one-variable function for chain-rule exercises, with a safe input range."""

    name: str
    sym: Callable[[sp.Expr], sp.Expr]
    low: float
    high: float


#: Functions the checks compose; each is defined (and smooth) on [low, high].
POOL = [
    Elementary("sin", sp.sin, -3.0, 3.0),
    Elementary("exp", sp.exp, -2.0, 2.0),
    Elementary("tanh", sp.tanh, -2.0, 2.0),
    Elementary("square", lambda u: u ** 2, -2.0, 2.0),
    Elementary("cube", lambda u: u ** 3, -1.5, 1.5),
    Elementary("sigmoid", sigmoid, -3.0, 3.0),
    Elementary("softplus", lambda u: sp.log(1 + sp.exp(u)), -3.0, 3.0),
]


def _numpy_fn(e: Elementary, derivative: bool = False) -> Callable[[np.ndarray], np.ndarray]:
    u = sp.Symbol("u", real=True)
    expr = sp.diff(e.sym(u), u) if derivative else e.sym(u)
    fn = to_numpy(expr, [u])
    fn.__name__ = f"{e.name}_prime" if derivative else e.name
    return fn


def _is_sympy(got: Any) -> bool:
    """True if ``got`` is a SymPy object, or a sequence or object array holding one."""
    if isinstance(got, sp.Basic):
        return True
    if isinstance(got, np.ndarray) and got.dtype == object:
        return any(isinstance(v, sp.Basic) for v in got.flat)
    if isinstance(got, (list, tuple)):
        return any(_is_sympy(v) for v in got)
    return False


def constant_factor(expected: np.ndarray, got: Any, m: int | None = None) -> str | None:
    """What to say when every entry of ``got`` is one constant times ``expected`` (not 1), or None.

    Only on unambiguous evidence: at least two entries with different
    nonzero expected values share the ratio (to 1e-7), and ``got`` is 0
    wherever ``expected`` is. A ratio of m (the batch size) is read as a
    missing 1/m only when m > 2 (with m = 2 it is also a factor 2).
    """
    expected = np.asarray(expected, dtype=np.float64)
    try:
        arr = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    if arr.shape != expected.shape or not (np.isfinite(arr).all() and np.isfinite(expected).all()):
        return None
    scale = float(np.max(np.abs(expected))) if expected.size else 0.0
    if scale == 0.0:
        return None
    live = np.abs(expected) > 1e-9 * scale
    if (np.abs(arr[~live]) > 1e-9 * scale).any() or np.unique(np.round(expected[live] / scale, 9)).size < 2:
        return None  # one entry (or equal ones) has a ratio to the expected value whatever the mistake
    ratios = arr[live] / expected[live]
    c = float(np.median(ratios))
    if c == 0.0 or abs(c - 1) <= 1e-3 or not np.allclose(ratios, c, rtol=1e-7, atol=0.0):
        return None
    k = int(live.sum())
    if abs(c + 1) <= 1e-9:
        return (f"all {k} entries have the right size and the opposite sign: a sign is flipped somewhere "
                "in your formula")
    if m is not None and m > 2 and abs(c - m) <= 1e-9 * m:
        return f"all {k} entries are m = {m} times the expected ones: the 1/m of the mean is missing?"
    if m is not None and m > 2 and abs(c * m - 1) <= 1e-9:
        return f"all {k} entries are the expected ones divided by m = {m}: one division by m too many?"
    frac = Fraction(c).limit_denominator(64)
    times = str(frac) if abs(float(frac) - c) <= 1e-9 * max(1.0, abs(c)) else f"{c:.4g}"
    also = " (with m = 2 this may also be the 1/m of the mean)" if m == 2 and times in ("2", "1/2") else ""
    return (f"all {k} entries are {times} times the expected ones (the same ratio in every entry): a constant "
            f"factor is off{also}; check each factor of your formula")


def explain_result(name: str, expected: Any, got: Any, inputs: dict[str, Any], *,
                   unit: str = "entry of the input", mistakes: dict[str, Callable[..., Any]] | None = None,
                   m: int | None = None) -> None:
    """Raise a :class:`CheckFailed` saying what differs when ``got`` cannot even be compared with ``expected``.

    Three cases, each named for what it is rather than guessed at: a SymPy
    expression where numbers are expected (``sym_sigmoid`` called on numbers),
    one number where an element-wise result of shape ``expected.shape`` is
    expected, and any other shape. ``unit`` says what each expected value
    belongs to ("example", "entry of the input"), or for one expected number what it is. Returns quietly when ``got``
    has the expected shape (its values are then for :func:`compare` to judge),
    and when it is one of the named ``mistakes`` (:func:`compare` names it).
    A result of the right shape that is a constant times the expected one
    fails here with :func:`constant_factor`'s words (``m`` is the batch size,
    if there is one).
    """
    expected = np.asarray(expected, dtype=np.float64)
    head = [f"{name} gives a wrong result.", f"  on input: {fmt_inputs(inputs)}",
            f"  expected: {fmt(expected)}", f"  got:      {fmt(got, 120)}"]
    if _is_sympy(got):
        raise CheckFailed("\n".join(head + [
            f"  what differs: {name} returned a SymPy expression ({type(got).__name__}), not numbers. "
            "`sym_sigmoid` (and anything else from sympy) builds formulas for SymPy; it does not compute "
            "values. On numbers and NumPy arrays write the sigmoid with NumPy: 1 / (1 + np.exp(-z))."]))
    try:
        shape = np.shape(got)
    except Exception:  # noqa: BLE001 - a ragged or odd value: compare explains it
        return
    if got is None or (mistakes and match_mistake(got, inputs, mistakes)):
        return
    if shape == expected.shape:
        factor = constant_factor(expected, got, m)
        if factor:
            worst = float(np.max(gradcheck.rel_error(expected, np.asarray(got, dtype=np.float64))))
            raise CheckFailed("\n".join(head + [f"  largest relative error: {worst:.3g}",
                                                f"  likely cause: {factor}"]))
        return
    if shape == () and expected.ndim > 0:
        raise CheckFailed("\n".join(head + [
            f"  what differs: one number came back where an array of shape {expected.shape} is expected, one value per "
            f"{unit}. Compute them all with NumPy operations on whole arrays, "
            "without summing them (np.sum) or turning the result into one number (float(), the math module)."]))
    if expected.ndim == 0:
        raise CheckFailed("\n".join(head + [
            f"  what differs: the result has shape {shape}, but one number is expected, {unit}."]))
    raise CheckFailed("\n".join(head + [
        f"  what differs: the result has shape {shape}, but shape {expected.shape} is expected, one value "
        f"per {unit}."]))


def explained(fn: Callable[..., Any], name: str, expected_of: Callable[..., Any],
              mistakes: dict[str, Callable[..., Any]] | None = None) -> Callable[..., Any]:
    """``fn`` wrapped so that a result of the wrong kind fails with :func:`explain_result`'s message.

    ``expected_of(**kwargs)`` gives the expected value for the same keyword
    arguments. Used where the generic :func:`check_derivative` makes the call.
    """
    @functools.wraps(fn)
    def wrapper(**kwargs: Any) -> Any:
        got = fn(**kwargs)
        explain_result(name, expected_of(**kwargs), got, kwargs, mistakes=mistakes)
        return got
    return wrapper


def _shape(rng: np.random.Generator, hidden: bool, several: bool = False, visible: tuple[int, ...] = (5,)
           ) -> tuple[int, ...]:
    """A hidden test's random shape (with ``several``, one of at least 2 entries, so that one number
    returned for the whole array always fails), or the self-check's fixed ``visible`` shape."""
    if not hidden:
        return visible
    shape = random_shape(rng)
    if several and int(np.prod(shape)) < 2:
        shape = (int(rng.integers(2, 6)),)
    return shape


def _inputs(rng: np.random.Generator, low: float, high: float, hidden: bool, several: bool = False) -> np.ndarray:
    shape = _shape(rng, hidden, several)
    return rng.uniform(low, high, size=shape)


# --- Exercise 1: central_difference ------------------------------------------------

def check_central_difference(fn: Callable[..., Any], rng: np.random.Generator | None = None) -> None:
    """``fn(f, x, h)`` must return ``(f(x + h) - f(x - h)) / (2h)`` element-wise.

    ``x`` is a float or an array of any shape; ``f`` an element-wise NumPy
    function. With the default ``h`` the result must match SymPy's derivative
    to 1e-6.
    """
    rng, hidden = pick_rng(rng)
    name = "central_difference"
    mistakes = {
        "this is the forward difference (f(x+h) - f(x)) / h: use the points on both sides, x+h and x-h":
            lambda f, x, h: (f(x + h) - f(x)) / h,
        "this is the backward difference (f(x) - f(x-h)) / h: use x+h and x-h":
            lambda f, x, h: (f(x) - f(x - h)) / h,
        "you divide by h, but x+h and x-h are 2h apart: divide by 2*h":
            lambda f, x, h: (f(x + h) - f(x - h)) / h,
        "operator precedence: `/ 2 * h` divides by 2 and then MULTIPLIES by h; write `/ (2 * h)`":
            lambda f, x, h: (f(x + h) - f(x - h)) / 2 * h,
    }
    picks = rng.choice(len(POOL), size=4 if hidden else 3, replace=False)
    n = 0
    for k, i in enumerate(picks):
        e = POOL[int(i)]
        f = _numpy_fn(e)
        x = _inputs(rng, e.low, e.high, hidden, several=k == 0)
        h = float(rng.choice([1e-1, 3e-2, 1e-2]))
        inputs = {"f": f, "x": x, "h": h}
        expected = (f(x + h) - f(x - h)) / (2 * h)
        got = call_student(fn, name, f, x, h, forbidden=[gradcheck.central_difference])
        explain_result(name, expected, got, inputs, mistakes=mistakes)
        compare(name, expected, got, inputs, tol=1e-8, mistakes=mistakes)
        # the default step must be small enough to give the derivative itself
        exact = _numpy_fn(e, derivative=True)(x)
        got = call_student(fn, name, f, x, forbidden=[gradcheck.central_difference])
        default_h = {"your default h is too large (or too small): 1e-5 is a good choice for "
                     "central differences in float64": lambda f, x: (f(x + 1e-2) - f(x - 1e-2)) / 2e-2}
        explain_result(f"{name} with its default h", exact, got, {"f": f, "x": x}, mistakes=default_h)
        # truncation (~h**2 = 1e-10) is judged absolutely where the derivative is below 1e-4
        compare(f"{name} with its default h", exact, got, {"f": f, "x": x}, tol=1e-5, floor=1e-4,
                mistakes=default_h)
        n += 2
    passed(name, n, "equals (f(x+h) - f(x-h)) / 2h, and matches sympy.diff with the default h")


# --- Exercise 2: sigmoid_prime --------------------------------------------------


SIGMOID_MISTAKES = {
    "you computed z * (1 - z): the shortcut a * (1 - a) needs a = sigmoid(z) first":
        lambda z: z * (1 - z),
    "you returned sigmoid(z) itself, not its derivative": lambda z: _sig(z),
    "a sign is wrong: the derivative is sigmoid(z) * (1 - sigmoid(z))":
        lambda z: _sig(z) * (1 + _sig(z)),
    "the factor sigmoid(z) is missing: the derivative is sigmoid(z) * (1 - sigmoid(z))":
        lambda z: 1 - _sig(z),
    "the sign is flipped: the sigmoid rises everywhere, so its derivative sigmoid(z) * (1 - sigmoid(z)) "
    "is positive": lambda z: -_sig(z) * (1 - _sig(z)),
}


def check_sigmoid_prime(fn: Callable[..., Any], rng: np.random.Generator | None = None) -> None:
    """``fn(z)`` must return the derivative of the sigmoid at every element of ``z``."""
    rng, hidden = pick_rng(rng)
    forward = Symbolic(lambda z: sigmoid(z), "z")
    cases = [{"z": _inputs(rng, -6.0, 6.0, hidden, several=k == 0)} for k in range(3 if hidden else 1)]
    cases.append({"z": np.array([-30.0, -8.0, 0.0, 8.0, 30.0])})
    expected_of = forward.grad("z")
    check_derivative(explained(fn, "sigmoid_prime", lambda z: expected_of(z), SIGMOID_MISTAKES), forward, "z", cases,
                     name="sigmoid_prime", mistakes=SIGMOID_MISTAKES,
                     forbidden=[activations.sigmoid_prime, Symbolic.grad])


# --- Exercise 3: composite_derivative ----------------------------------------------

def check_composite_derivative(fn: Callable[..., Any], rng: np.random.Generator | None = None) -> None:
    """``fn(f_prime, g, g_prime)`` must return a function of x giving d/dx f(g(x)).

    Each composite of two functions from :data:`POOL` is differentiated by SymPy.
    """
    rng, hidden = pick_rng(rng)
    name = "composite_derivative"
    mistakes = {
        "f' is evaluated at x, but the chain rule needs f' at the inner value g(x): f_prime(g(x)) * g_prime(x)":
            lambda f_prime, g, g_prime, x: f_prime(x) * g_prime(x),
        "the inner derivative g'(x) is missing: multiply by g_prime(x)":
            lambda f_prime, g, g_prime, x: f_prime(g(x)),
        "you multiplied the derivatives of f and g at the same point g(x): g' is needed at x":
            lambda f_prime, g, g_prime, x: f_prime(g(x)) * g_prime(g(x)),
        "you added the two slopes: the chain rule MULTIPLIES them, f_prime(g(x)) * g_prime(x)":
            lambda f_prime, g, g_prime, x: f_prime(g(x)) + g_prime(x),
    }
    pairs = [(int(i), int(j)) for i, j in rng.integers(0, len(POOL), size=(4 if hidden else 3, 2)) if i != j]
    if not pairs:  # the draw above can, rarely, pick only equal pairs
        pairs = [(0, 3)]
    n = 0
    for k, (i, j) in enumerate(pairs):
        outer, inner = POOL[i], POOL[j]
        composite = Symbolic(lambda x: outer.sym(inner.sym(x)), "x")
        x = _inputs(rng, max(inner.low, -1.5), min(inner.high, 1.5), hidden, several=k == 0)
        f_prime, g, g_prime = _numpy_fn(outer, True), _numpy_fn(inner), _numpy_fn(inner, True)
        label = f"{name}({f_prime.__name__}, {g.__name__}, {g_prime.__name__})"
        dydx = call_student(fn, name, f_prime, g, g_prime, forbidden=[Symbolic.grad])
        if not callable(dydx):
            raise CheckFailed(f"{label} should return a function of x (define one inside and return it), "
                              f"but it returned {type(dydx).__name__}")
        got = call_student(dydx, f"the function returned by {label}", x, forbidden=[Symbolic.grad])
        inputs = {"f_prime": f_prime, "g": g, "g_prime": g_prime, "x": x}
        what = f"{label}(x), the derivative of {outer.name}({inner.name}(x)),"
        explain_result(what, composite.grad("x")(x), got, inputs, mistakes=mistakes)
        compare(what, composite.grad("x")(x), got, inputs, mistakes=mistakes)
        n += 1
    passed(name, n, "matches sympy.diff of each composite")


# --- Exercise 4: dL_dw ------------------------------------------------------------

#: The forward of exercise 4: one sigmoid neuron with a squared error.
NEURON_LOSS = Symbolic(lambda w, x, b, y: (sigmoid(w * x + b) - y) ** 2, "w x b y")


def _neuron(w: Any, x: Any, b: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    z = np.asarray(w) * x + b
    return z, _sig(z)


DL_DW_MISTAKES = {
    "the sigmoid derivative a * (1 - a) is missing from the chain":
        lambda w, x, b, y: 2 * (_neuron(w, x, b, y)[1] - y) * x,
    "the sign is flipped in every entry: one factor has the wrong sign, dL/da = 2 * (a - y) (not y - a) "
    "or da/dz = a * (1 - a) (not a * (a - 1))":
        lambda w, x, b, y: -2 * (_neuron(w, x, b, y)[1] - y) * (lambda a: a * (1 - a))(_neuron(w, x, b, y)[1]) * x,
    "the factor 2 from the square is missing: dL/da = 2 * (a - y)":
        lambda w, x, b, y: (lambda a: (a - y) * a * (1 - a) * x)(_neuron(w, x, b, y)[1]),
    "dz/dw is x (z = w*x + b), but you multiplied by w":
        lambda w, x, b, y: (lambda a: 2 * (a - y) * a * (1 - a) * w)(_neuron(w, x, b, y)[1]),
    "the last factor dz/dw = x is missing from the chain":
        lambda w, x, b, y: (lambda a: 2 * (a - y) * a * (1 - a))(_neuron(w, x, b, y)[1]),
    "the bias b is missing: z = w * x + b":
        lambda w, x, b, y: (lambda a: 2 * (a - y) * a * (1 - a) * x)(_neuron(w, x, 0.0, y)[1]),
    "you applied the sigmoid derivative to z instead of using a * (1 - a) with a = sigmoid(z)":
        lambda w, x, b, y: (lambda z, a: 2 * (a - y) * z * (1 - z) * x)(*_neuron(w, x, b, y)),
}


def check_dL_dw(fn: Callable[..., Any], rng: np.random.Generator | None = None) -> None:
    """``fn(w, x, b, y)`` must return dL/dw for L = (sigmoid(w*x + b) - y)**2, element-wise."""
    rng, hidden = pick_rng(rng)
    cases = []
    for k in range(3 if hidden else 2):
        shape = _shape(rng, hidden, several=k == 0, visible=(4,))
        cases.append({"w": rng.normal(0, 1.5, shape), "x": rng.normal(0, 1.5, shape),
                      "b": rng.normal(0, 1, shape), "y": rng.uniform(0, 1, shape)})
    expected_of = NEURON_LOSS.grad("w")
    check_derivative(explained(fn, "dL_dw", lambda w, x, b, y: expected_of(w, x, b, y), DL_DW_MISTAKES), NEURON_LOSS, "w",
                     cases, name="dL_dw", mistakes=DL_DW_MISTAKES,
                     forbidden=[Symbolic.grad, activations.sigmoid_prime])


#: The course library's own functions each exercise may not use, not even copied: its check forbids
#: them, and the exercise's text says so (tests/test_verify.py checks the two agree).
FORBIDDEN_REFERENCES = {
    "central_difference": ("checking.gradcheck.central_difference",),
    "sigmoid_prime": ("nn.activations.sigmoid_prime", "checking.symbolic.Symbolic.grad"),
    "composite_derivative": ("checking.symbolic.Symbolic.grad",),
    "dL_dw": ("nn.activations.sigmoid_prime", "checking.symbolic.Symbolic.grad"),
}


#: The rules of each exercise's answer that the checks apply to every call of the student's function
#: (``backprop_lib.checking.checks``): the inputs it may change in place ({name: position in its signature}; every other array, list or dict it
#: is given must come back as it was; the exercise's text says so) and the kind of value it returns:
#: "array", "number", "numeric" (either), list, dict, a tuple of these, or None (anything).
MAY_MODIFY: dict[str, dict[str, int]] = {}
RETURNS: dict[str, object] = {
    "central_difference": "numeric",
    "sigmoid_prime": "numeric",
    "composite_derivative": None,
    "dL_dw": "numeric",
}
