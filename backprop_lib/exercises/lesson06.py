r"""Checks of lesson 06, XOR: the classic 2-2-1 sigmoid network, trained by the student's own code.

Tasks: ``forward``, ``backward``, ``train_step``, ``train``, ``xor_recipe``.
Each ``check_<task>(fn, rng=None)`` runs seeded cases when ``rng`` is None
(the self-check) and fresh cases, with random widths and batch sizes, when
it is given (the hidden test).

Where the expected values come from
    * ``forward`` and ``backward``: SymPy writes the network for ONE example
      as a formula in its inputs, its weights and its target, and
      differentiates the loss ``1/2 (y_hat - y)**2`` with respect to every
      weight and bias; the gradient of the summed loss is the sum of those
      over the rows. The derivatives are confirmed by central differences of
      the library's loss before the student's answer is judged.
    * ``train_step`` and ``train``: the library's step and loop
      (:mod:`backprop_lib.lessons.xor_net`), run on a copy of the same parameters with
      the same pieces. The student's function is handed the library's
      ``forward``, ``loss`` and ``backward`` (``ops``), so a slip in an earlier
      exercise is never charged here a second time.
    * ``xor_recipe``: statistical. The recipe trains one network per seed
      (vectorised, :func:`backprop_lib.lessons.xor_net.epochs_to_solve`) and must solve
      XOR on at least ``RECIPE_MIN_SOLVED`` of ``RECIPE_SEEDS`` seeds within
      its epochs, which may not exceed ``EPOCH_BUDGET``. The seeds are fixed
      (self-check) or drawn from the student's hidden generator, so a check
      gives the same verdict every time it runs.

Every call of the student's code forbids the library's reference for the same job.
"""
from __future__ import annotations

from dataclasses import fields
from functools import lru_cache
from typing import Any, Callable, Mapping

import numpy as np
import sympy as sp

from ..nn.activations import sigmoid as _sig
from ..checking import gradcheck
from ..lessons import xor, xor_net
from ..checking.checks import require_keys, CheckFailed, LibraryError, Mistakes, call_student, fmt, passed, quiet
from ..checking.diagnose import as_array, describe_type
from ..nn.datasets import xor as xor_data
from ..checking.symbolic import sigmoid as sym_sigmoid
from . import pick_rng
from .lesson04 import compare_with_evidence

PARAM_NAMES = xor_net.PARAM_NAMES
#: The exercises whose hidden check the grader can re-run outside the student's kernel (autograder/verify.py):
#: all of them. The Recipe ``xor_recipe`` returns travels as its fields and is rebuilt with the grader's class.
VERIFIED_OUTSIDE = ("forward", "backward", "train_step", "train", "xor_recipe")
#: The library functions that would answer each exercise outright (anything else of backprop_lib may be used).
FORWARD_REFERENCES = (xor_net.forward, xor.predict)
BACKWARD_REFERENCES = (xor_net.backward, xor.gradients)
STEP_REFERENCES = (xor_net.train_step, xor.train_one, xor.train_loop, xor.train_many)
TRAIN_REFERENCES = (xor_net.train, xor.train_one, xor.train_loop, xor.train_many)
#: A recipe is judged by training it; no library function returns one, so only the reference trainers,
#: which would hide what the recipe does, are out of bounds inside xor_recipe.
RECIPE_REFERENCES = (xor.train_one, xor.train_loop)

#: xor_recipe: this many seeds are trained ...
RECIPE_SEEDS = 32
#: ... and at least this many must solve XOR ...
RECIPE_MIN_SOLVED = 31
#: ... within the recipe's epochs, which may not exceed this budget.
EPOCH_BUDGET = 500
#: A wider network would make the check slow; 16 hidden units are plenty for four points.
MAX_HIDDEN = 16




# --- SymPy: the network seen from one hidden unit ---------------------------------------------
#
# For ONE example, the output's pre-activation is z2 = v * a + r, where a = sigmoid(u0 x0 + u1 x1 + c)
# is hidden unit j (u = column j of W1, c = b1[j], v = W2[j]) and r collects everything else (the
# other units and b2). SymPy differentiates loss = 1/2 (sigmoid(z2) - y)**2 with respect to u0, u1, c,
# v and r; evaluated with r = z2 - v * a, these are the exact partial derivatives of the whole
# network's loss with respect to unit j's parameters (and dloss/dr = dloss/db2), whatever the width H.
# One compiled formula thus serves every width.

@lru_cache(maxsize=1)
def _unit_formula() -> Callable[..., list]:
    """A NumPy function of ``(x0, x1, y, u0, u1, c, v, r)``: ``[y_hat, dloss/du0, dloss/du1, dloss/dc, dloss/dv, dloss/dr]``."""
    x0, x1, y, u0, u1, c, v, r = sp.symbols("x0 x1 y u0 u1 c v r", real=True)
    y_hat = sym_sigmoid(v * sym_sigmoid(u0 * x0 + u1 * x1 + c) + r)
    loss = (y_hat - y) ** 2 / 2
    exprs = [y_hat] + [sp.diff(loss, s) for s in (u0, u1, c, v, r)]
    return sp.lambdify([x0, x1, y, u0, u1, c, v, r], exprs, modules="numpy")


def sympy_forward_and_grads(params: Mapping[str, np.ndarray], x: np.ndarray,
                            y: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """``y_hat`` (m, 1) and the gradients of the SUMMED loss 1/2 sum (y_hat - y)**2, from SymPy.

    ``x`` (m, 2), ``y`` (m, 1); the gradients have the parameters' shapes.
    """
    W1, W2 = (np.asarray(params[n], dtype=np.float64) for n in ("W1", "W2"))
    b1, b2 = (np.asarray(params[n], dtype=np.float64).reshape(-1) for n in ("b1", "b2"))   # (H,), (1,)
    H, m = W1.shape[1], x.shape[0]
    f = _unit_formula()
    z2 = _sig(x @ W1 + b1) @ W2 + b2                       # (m, 1): only to split off "the rest" r
    grads = {n: np.zeros_like(np.asarray(params[n], dtype=np.float64)) for n in PARAM_NAMES}
    y_hat = None
    with np.errstate(all="ignore"):
        for j in range(H):
            a_j = _sig(x @ W1[:, j] + b1[j])               # (m,)
            r = z2[:, 0] - W2[j, 0] * a_j
            out = [np.broadcast_to(np.asarray(o, dtype=np.float64), (m,))
                   for o in f(x[:, 0], x[:, 1], y[:, 0], W1[0, j], W1[1, j], b1[j], W2[j, 0], r)]
            y_hat = out[0].reshape(m, 1)
            grads["W1"][0, j], grads["W1"][1, j] = out[1].sum(), out[2].sum()
            grads["b1"].reshape(-1)[j], grads["W2"][j, 0] = out[3].sum(), out[4].sum()
            grads["b2"].reshape(-1)[0] = out[5].sum()
    return y_hat, grads


# --- calling the student's code -------------------------------------------------------------

def _call(fn: Callable[..., Any], name: str, args: tuple, inputs: Mapping[str, Any], mistakes: Mistakes,
          hint: str, forbidden: tuple[Callable[..., Any], ...]) -> Any:
    """:func:`call_student`, and when the student's code raises, name the mistake that raises the same way.

    Each of ``mistakes`` is run on ``inputs`` (as keyword arguments); one that raises the same exception
    with the same message is the likely cause. Otherwise a shape mismatch in a matrix product gets ``hint``.
    """
    try:
        return call_student(fn, name, *args, forbidden=forbidden)
    except CheckFailed as failure:
        text, head = str(failure), f"{name} raised "
        if not text.startswith(head) or "\n  on input: " not in text:
            raise
        message = text[len(head): text.rindex("\n  on input: ")]
        for description, wrong in mistakes.items():
            try:
                with quiet():
                    wrong(**inputs)
            except Exception as exc:  # noqa: BLE001 - the mistake's exception is what we compare
                if f"{type(exc).__name__}: {exc}" == message:
                    raise CheckFailed(f"{text}\n  likely cause: {description}") from None
        if "matmul" in message or "shapes" in message or "broadcast" in message:
            raise CheckFailed(f"{text}\n  likely cause: {hint}") from None
        raise


# --- cases -------------------------------------------------------------------------------

def _case(rng: np.random.Generator, hidden: bool, index: int) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """``(params, x, y)``: the XOR points with a classic-recipe start, or a random batch and width."""
    if not hidden and index == 0:
        x, y = xor_data()
        return xor_net.init(int(rng.integers(0, 1000))), x, y
    if hidden:
        # the last hidden case may be a batch of one example (squeezed or summed-away axes show there)
        H, m = int(rng.integers(1, 6)), int(rng.integers(1 if index == 2 else 2, 8))
    else:
        H, m = 3, 4
    params = {"W1": rng.normal(0, 1.5, (2, H)), "b1": rng.normal(0, 1, H),
              "W2": rng.normal(0, 1.5, (H, 1)), "b2": rng.normal(0, 1, 1)}
    x = rng.uniform(-1, 2, (m, 2))
    y = rng.integers(0, 2, (m, 1)).astype(np.float64)
    return params, x, y


def _copies(params: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {k: np.array(v, dtype=np.float64) for k, v in params.items()}


def _describe(params: Mapping[str, np.ndarray], x: np.ndarray) -> str:
    H = params["W1"].shape[1]
    return f"2-{H}-1 network on m = {x.shape[0]} examples"


# --- Exercise 1: forward -------------------------------------------------------------------

def _forward_variant(W1, b1, W2, b2, x, *, hidden_act=True, out_act=True, bias=True, w1_t=False):
    W1_used = W1.T if w1_t else W1
    z1 = x @ W1_used + (b1 if bias else 0.0)
    a1 = _sig(z1) if hidden_act else z1
    z2 = a1 @ W2 + (b2 if bias else 0.0)
    return _sig(z2) if out_act else z2


FORWARD_MISTAKES = {
    "the output sigmoid is missing: y_hat = sigmoid(z2), a probability between 0 and 1":
        lambda W1, b1, W2, b2, x: _forward_variant(W1, b1, W2, b2, x, out_act=False),
    "the hidden layer's sigmoid is missing: a1 = sigmoid(x @ W1 + b1); without it the network is linear "
    "and cannot learn XOR": lambda W1, b1, W2, b2, x: _forward_variant(W1, b1, W2, b2, x, hidden_act=False),
    "the biases are missing: z1 = x @ W1 + b1 and z2 = a1 @ W2 + b2":
        lambda W1, b1, W2, b2, x: _forward_variant(W1, b1, W2, b2, x, bias=False),
    "you used W1.T: batch-first, z1 = x @ W1, with W1 of shape (2, H) (one column per hidden unit)":
        lambda W1, b1, W2, b2, x: _forward_variant(W1, b1, W2, b2, x, w1_t=True),
}


def check_forward(fn: Callable[..., Any], rng: np.random.Generator | None = None) -> None:
    """``fn(params, x)`` must return ``(y_hat, cache)`` with ``cache = (x, a1, y_hat)``.

    ``params``: ``W1`` (2, H), ``b1`` (H,), ``W2`` (H, 1), ``b2`` (1,);
    ``x`` (m, 2); ``y_hat`` (m, 1); ``a1`` (m, H). The expected ``y_hat``
    comes from SymPy (the network written as a formula).
    """
    rng, hidden = pick_rng(rng)
    name = "forward"
    n = 3 if hidden else 2
    for i in range(n):
        params, x, y = _case(rng, hidden, i)
        expected, _ = sympy_forward_and_grads(params, x, y)
        a1 = _sig(x @ params["W1"] + params["b1"])
        if gradcheck.max_rel_error(xor_net.forward(params, x)[0], expected) > gradcheck.EXACT_TOL:
            raise LibraryError("xor_net.forward disagrees with SymPy: please report this")
        inputs = dict(params, x=x)
        got = _call(fn, name, (_copies(params), x.copy()), inputs, FORWARD_MISTAKES,
                    "a matrix product whose shapes do not fit: x (m, 2) @ W1 (2, H) gives (m, H), and "
                    "a1 (m, H) @ W2 (H, 1) gives (m, 1)", FORWARD_REFERENCES)
        if not isinstance(got, (tuple, list)) or len(got) != 2:
            raise CheckFailed(f"{name} should return a pair (y_hat, cache), but it returned "
                              f"{describe_type(got) if not isinstance(got, (tuple, list)) else f'{len(got)} values'}")
        y_hat, cache = got
        compare_with_evidence(f"y_hat from {name} ({_describe(params, x)})", expected, y_hat, inputs, mistakes=FORWARD_MISTAKES)
        _check_cache(name, cache, x, a1, expected)
    passed(name, n, "y_hat matches the network written out in SymPy, and the cache is (x, a1, y_hat)")


def _check_cache(name: str, cache: Any, x: np.ndarray, a1: np.ndarray, y_hat: np.ndarray) -> None:
    if not isinstance(cache, (tuple, list)) or len(cache) != 3:
        raise CheckFailed(f"the cache of {name} should be the tuple (x, a1, y_hat); it is {describe_type(cache)}"
                          + (f" of length {len(cache)}" if isinstance(cache, (tuple, list)) else ""))
    for label, want, have in zip(("x", "a1", "y_hat"), (x, a1, y_hat), cache):
        arr = as_array(have)
        if arr is not None and arr.shape == want.shape and np.allclose(arr, want, rtol=1e-9, atol=1e-12):
            continue
        extra = ""
        if label == "a1" and arr is not None and arr.shape == want.shape:
            z1 = np.log(want) - np.log1p(-want)
            if np.allclose(arr, z1, rtol=1e-6, atol=1e-9):
                extra = (": it holds z1; keep a1 = sigmoid(z1) instead, because backward computes the "
                         "sigmoid's derivative as a1 * (1 - a1)")
        raise CheckFailed(f"the cache of {name} should be (x, a1, y_hat), but its entry for {label} is "
                          f"{fmt(have, 100)}, expected {fmt(want, 100)}{extra}")


# --- Exercise 2: backward ------------------------------------------------------------------

def _grads_variant(W1, b1, W2, b2, x, y, *, sign=1.0, out_prime=True, hidden_prime=True, mean=False,
                   prime_of_a=False, dW_t=False, not_summed=False, keepdims=False, w2_no_t=False):
    """The gradients a typical mistake computes (all four, as a dict)."""
    a1 = _sig(x @ W1 + b1)
    y_hat = _sig(a1 @ W2 + b2)

    def prime(a: np.ndarray) -> np.ndarray:
        return _sig(a) * (1 - _sig(a)) if prime_of_a else a * (1 - a)

    err = sign * (y_hat - y)
    delta2 = err * prime(y_hat) if out_prime else err
    delta1 = (delta2 @ (W2 if w2_no_t else W2.T)) * (prime(a1) if hidden_prime else 1.0)
    scale = 1.0 / x.shape[0] if mean else 1.0
    if not_summed:
        db1, db2 = delta1, delta2
    elif keepdims:
        db1, db2 = delta1.sum(axis=0, keepdims=True), delta2.sum(axis=0, keepdims=True)
    else:
        db1, db2 = delta1.sum(axis=0), delta2.sum(axis=0)
    dW1 = delta1.T @ x if dW_t else x.T @ delta1
    dW2 = a1.T @ delta2
    return {"W1": dW1 * scale, "b1": db1 * scale, "W2": dW2 * scale, "b2": db2 * scale}


_BACKWARD_MISTAKE_FLAGS = {
    "the sign is flipped: the classic example's code computes error = y - y_hat and then ADDS lr * gradient; as a "
    "gradient (to be subtracted) use y_hat - y": dict(sign=-1.0),
    "the output's sigmoid derivative y_hat * (1 - y_hat) is missing from delta2 = (y_hat - y) * y_hat * (1 - y_hat)":
        dict(out_prime=False),
    "the hidden layer's sigmoid derivative a1 * (1 - a1) is missing from delta1 = (delta2 @ W2.T) * a1 * (1 - a1)":
        dict(hidden_prime=False),
    "you divided by m: this loss is the SUM over the examples (as in the classic example's code), so no 1/m":
        dict(mean=True),
    "you applied the sigmoid to a before taking a * (1 - a): the cache already holds a = sigmoid(z), so "
    "sigma'(z) = a * (1 - a) directly": dict(prime_of_a=True),
    "dW1 is transposed: dW1 = x.T @ delta1 has the shape of W1, (2, H)": dict(dW_t=True),
    "delta2 @ W2 needs W2.T: delta2 is (m, 1) and W2 is (H, 1), so delta1 = (delta2 @ W2.T) * a1 * (1 - a1)":
        dict(w2_no_t=True),
    "the bias gradient is not summed over the examples: each bias is shared by all m rows, so "
    "db = delta.sum(axis=0)": dict(not_summed=True),
    "keepdims=True gives db1 the shape (1, H) and db2 (1, 1), but b1 is (H,) and b2 is (1,): "
    "db = delta.sum(axis=0), without keepdims": dict(keepdims=True),
}


def _backward_mistakes(part: str) -> dict[str, Callable[..., Any]]:
    return {text: (lambda W1, b1, W2, b2, x, y, _f=flags: _grads_variant(W1, b1, W2, b2, x, y, **_f)[part])
            for text, flags in _BACKWARD_MISTAKE_FLAGS.items()}


#: The order gradients are judged in: nearest the loss first, so the first wrong one points at the slip.
BACKWARD_ORDER = ("W2", "b2", "W1", "b1")


def check_backward(fn: Callable[..., Any], rng: np.random.Generator | None = None) -> None:
    """``fn(params, cache, y)`` must return ``{"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}``.

    ``cache = (x, a1, y_hat)`` as made by the forward pass; the loss is the
    classic example's, ``loss = 1/2 * sum over the m rows of (y_hat - y)**2``. Each gradient
    must have its parameter's shape. Expected values: SymPy, confirmed by
    central differences.
    """
    rng, hidden = pick_rng(rng)
    name = "backward"
    n = 3 if hidden else 2
    for i in range(n):
        params, x, y = _case(rng, hidden, i)
        _, exact = sympy_forward_and_grads(params, x, y)
        work = _copies(params)
        numeric = {k: gradcheck.numerical_gradient(
            lambda _: xor_net.loss(xor_net.forward(work, x)[0], y), work[k]) for k in PARAM_NAMES}
        for k in PARAM_NAMES:
            # the floor covers central differences' round-off (about 1e-11 here) on entries near zero
            if gradcheck.max_rel_error(exact[k], numeric[k], floor=1e-4) > gradcheck.NUMERIC_TOL:
                raise LibraryError(f"SymPy and central differences disagree on d{k}: please report this")
        a1 = _sig(x @ params["W1"] + params["b1"])
        y_hat = _sig(a1 @ params["W2"] + params["b2"])
        inputs = dict(params, x=x, y=y)
        got = _call(fn, name, (_copies(params), (x.copy(), a1.copy(), y_hat.copy()), y.copy()), inputs,
                    {text: (lambda W1, b1, W2, b2, x, y, _f=flags: _grads_variant(W1, b1, W2, b2, x, y, **_f))
                     for text, flags in _BACKWARD_MISTAKE_FLAGS.items()},
                    "a matrix product whose shapes do not fit: delta2 (m, 1) @ W2.T (1, H) gives delta1's "
                    "(m, H); a1.T (H, m) @ delta2 (m, 1) gives dW2's (H, 1); x.T (2, m) @ delta1 (m, H) gives "
                    "dW1's (2, H)", BACKWARD_REFERENCES)
        require_keys(got, PARAM_NAMES, f"the value returned by {name}",
                     "{'W1': dW1, 'b1': db1, 'W2': dW2, 'b2': db2}")
        for k in BACKWARD_ORDER:
            compare_with_evidence(f"d{k} from {name} ({_describe(params, x)})", exact[k], got[k], inputs,
                    mistakes=_backward_mistakes(k))
    passed(name, n, "all four gradients match sympy.diff of the summed loss and central differences")


# --- Exercise 3: train_step -----------------------------------------------------------------

def _ops(kind: str) -> xor_net.XorOps:
    return xor_net.library_ops(kind)


def check_train_step(fn: Callable[..., Any], rng: np.random.Generator | None = None) -> None:
    """``fn(params, x, y, lr, ops)`` must take one gradient step IN PLACE and return ``(loss, y_hat)``.

    ``loss`` and ``y_hat`` are those of the forward pass before the update;
    after the call, every ``params[k]`` must equal ``old - lr * grads[k]``.
    ``ops`` holds the library's ``forward``, ``loss`` and ``backward``.
    """
    rng, hidden = pick_rng(rng)
    name = "train_step"
    kinds = ["mse", "bce", str(rng.choice(["mse", "bce"]))] if hidden else ["mse", "bce"]
    for i, kind in enumerate(kinds):
        params, x, y = _case(rng, hidden, i)
        lr = float(rng.choice([0.1, 0.5, 2.0])) if hidden else (0.1 if i == 0 else 0.5)
        ops = _ops(kind)
        before = _copies(params)
        y_hat, cache = xor_net.forward(before, x)
        loss = xor_net.loss(y_hat, y, kind)
        grads = xor_net.backward(before, cache, y, kind)
        after = {k: before[k] - lr * grads[k] for k in PARAM_NAMES}
        work = _copies(params)
        got = call_student(fn, name, work, x.copy(), y.copy(), lr, ops, forbidden=STEP_REFERENCES)
        label = f"{name} ({_describe(params, x)}, loss {kind}, lr = {lr})"
        if not isinstance(got, (tuple, list)) or len(got) != 2:
            raise CheckFailed(f"{name} should return a pair (loss, y_hat), but it returned "
                              f"{describe_type(got) if not isinstance(got, (tuple, list)) else f'{len(got)} values'}")
        got_loss, got_y_hat = got
        loss_after = xor_net.loss(xor_net.forward(after, x)[0], y, kind)
        compare_with_evidence(f"the loss returned by {label}", loss, got_loss, {"x": x, "y": y},
                mistakes={"this is the loss AFTER the update; return the loss of the forward pass made "
                          "before it (the one the gradients come from)": lambda x, y: loss_after})
        compare_with_evidence(f"the y_hat returned by {label}", y_hat, got_y_hat, {"x": x, "y": y},
                mistakes={"this is y_hat AFTER the update; return the y_hat of the forward pass made "
                          "before it": lambda x, y: xor_net.forward(after, x)[0]})
        if not isinstance(work, dict) or any(k not in work for k in PARAM_NAMES):
            raise CheckFailed(f"{label} removed entries from params: update them, keep the keys")
        unchanged = all(np.array_equal(np.asarray(work[k]), before[k]) for k in PARAM_NAMES)
        if unchanged:
            raise CheckFailed(f"{label} left params unchanged. Update the arrays held BY THE DICT, e.g. "
                              "params['W1'] -= lr * grads['W1'] (a line like W1 = W1 - lr * dW1 only "
                              "rebinds a local name)")
        for k in PARAM_NAMES:
            inputs = {"old": before[k], "grad": grads[k], "lr": lr}
            compare_with_evidence(f"params[{k!r}] after {label}", after[k], work[k], inputs, mistakes={
                f"{k} moved uphill: gradient descent SUBTRACTS, params[{k!r}] -= lr * grads[{k!r}]":
                    lambda old, grad, lr: old + lr * grad,
                f"the learning rate is missing from the update of {k}: subtract lr * grads[{k!r}]":
                    lambda old, grad, lr: old - grad,
                f"{k} did not change: every parameter (weights AND biases) takes a step":
                    lambda old, grad, lr: old,
            })
    passed(name, len(kinds), "returns the loss and y_hat before the update, and moves every parameter "
           "by -lr * gradient, in place")


# --- Exercise 4: train ---------------------------------------------------------------------

def _train_case(rng: np.random.Generator, hidden: bool, index: int) -> tuple[dict[str, np.ndarray], str, float, int]:
    """``(params, kind, lr, epochs)``: starts that solve XOR within the epochs, and one that does not."""
    if index == 0:  # a cross-entropy start from a recipe that solves XOR in a few dozen epochs
        H = int(rng.integers(3, 7)) if hidden else 4
        recipe = xor.Recipe(hidden=H, init="symmetric", lr=1.0, loss="bce")
        return xor_net.init(int(rng.integers(0, 10**6)), recipe), "bce", 1.0, int(rng.integers(150, 250))
    # the classic recipe: still on its plateau after a few dozen epochs
    return xor_net.init(int(rng.integers(0, 10**6))), "mse", 0.1, int(rng.integers(20, 60))


def _history_after(params: Mapping[str, np.ndarray], kind: str, lr: float, epochs: int) -> np.ndarray:
    """The losses AFTER each update (a typical mistake's history)."""
    x, y = xor_data()
    hist, _ = xor_net.train(_copies(params), x, y, lr, epochs + 1, _ops(kind))
    return hist[1:]


def check_train(fn: Callable[..., Any], rng: np.random.Generator | None = None) -> None:
    """``fn(params, x, y, lr, epochs, ops)`` must return ``(history, solved_at)``.

    ``history`` (epochs,): the loss returned by ``ops.train_step`` at each
    epoch (before that epoch's update). ``solved_at``: the first epoch whose
    ``y_hat`` had every output on the right side of 0.5, or ``None``. The
    parameters must be trained in place. Compared with the library's loop
    run on a copy of the same start with the same ``ops``.
    """
    rng, hidden = pick_rng(rng)
    name = "train"
    x, y = xor_data()
    cases = [_train_case(rng, hidden, i) for i in range(2)]
    if hidden:
        cases.append((xor_net.init(int(rng.integers(0, 10**6))), "mse", 0.1, 0))
    for params, kind, lr, epochs in cases:
        ops = _ops(kind)
        expected_params = _copies(params)
        history, solved_at = xor_net.train(expected_params, x, y, lr, epochs, ops)
        work = _copies(params)
        got = call_student(fn, name, work, x.copy(), y.copy(), lr, epochs, ops, forbidden=TRAIN_REFERENCES)
        label = f"{name} (2-{params['W1'].shape[1]}-1 network, loss {kind}, lr = {lr}, epochs = {epochs})"
        if not isinstance(got, (tuple, list)) or len(got) != 2:
            raise CheckFailed(f"{name} should return a pair (history, solved_at), but it returned "
                              f"{describe_type(got) if not isinstance(got, (tuple, list)) else f'{len(got)} values'}")
        got_history, got_solved = got
        arr = as_array(got_history)
        if arr is not None and arr.shape == (epochs + 1,):
            raise CheckFailed(f"the history from {label} has {epochs + 1} entries: one loss per epoch, "
                              f"{epochs} in all (the loss before each update)")
        if arr is not None and arr.ndim == 1 and arr.shape != (epochs,):
            raise CheckFailed(f"the history from {label} has {arr.shape[0]} entries, but {epochs} epochs were asked "
                              f"for: one loss per epoch. Does the loop stop early (a return or break inside it), "
                              "or record only some epochs?")
        compare_with_evidence(f"the history from {label}", history, got_history, {"epochs": epochs}, mistakes={
            "the history is shifted by one epoch: it holds the loss AFTER each update; record the loss "
            "train_step returns (from before its update)": lambda epochs: _history_after(params, kind, lr, epochs),
        })
        _check_solved_at(label, solved_at, got_solved, epochs)
        for k in PARAM_NAMES:
            if as_array(work[k]) is None or not np.allclose(work[k], expected_params[k], rtol=1e-9, atol=1e-12):
                raise CheckFailed(f"after {label}, params[{k!r}] is {fmt(work[k], 100)}, but {epochs} steps "
                                  f"give {fmt(expected_params[k], 100)}: call ops.train_step(params, x, y, lr) "
                                  "once per epoch, on the params you were given")
    passed(name, len(cases), "the history and solved_at match the library's loop, and the params are trained")


def _check_solved_at(label: str, expected: int | None, got: Any, epochs: int) -> None:
    if expected is None:
        if got is None:
            return
        hint = ("; return None (not -1, 0 or the number of epochs) when the network never solves XOR"
                if isinstance(got, (int, np.integer)) else "")
        raise CheckFailed(f"solved_at from {label} is {got!r}, but the outputs were never all on the right "
                          f"side of 0.5{hint}")
    if got is None:
        raise CheckFailed(f"solved_at from {label} is None, but the network solved XOR at epoch {expected}: "
                          "test every epoch's y_hat, np.all((y_hat > 0.5) == (y > 0.5))")
    if isinstance(got, (bool, np.bool_)) or not isinstance(got, (int, np.integer)):
        raise CheckFailed(f"solved_at from {label} should be an int (an epoch number) or None; it is "
                          f"{describe_type(got)}")
    got = int(got)
    if got == expected:
        return
    if got == expected + 1:
        hint = ("off by one: epochs count from 0, and solved_at is the epoch whose y_hat (from before its "
                "update) was first right")
    elif got == epochs - 1 and expected < epochs - 1:
        hint = ("you kept overwriting solved_at: record only the FIRST epoch at which XOR was solved "
                "(if solved_at is None and ...)")
    else:
        hint = "compare every output with its target on the same side of 0.5: (y_hat > 0.5) == (y > 0.5)"
    raise CheckFailed(f"solved_at from {label} is {got}, but XOR was first solved at epoch {expected}.\n"
                      f"  likely cause: {hint}")


# --- Exercise 5: xor_recipe -----------------------------------------------------------------

def _as_recipe(got: Any) -> xor.Recipe:
    if isinstance(got, xor.Recipe):
        return got
    if isinstance(got, Mapping):
        known = {f.name for f in fields(xor.Recipe)}
        unknown = sorted(set(map(str, got)) - known)
        if unknown:
            raise CheckFailed(f"xor_recipe returned a dict with unknown keys {unknown}; a Recipe has {sorted(known)}")
        try:
            return xor.Recipe(**got)
        except (TypeError, ValueError) as exc:
            raise CheckFailed(f"xor_recipe's settings are not a valid Recipe: {exc}") from None
    raise CheckFailed(f"xor_recipe should return a Recipe(...), but it returned {describe_type(got)}")


def recipe_hints(recipe: xor.Recipe) -> list[str]:
    """What in a recipe tends to leave XOR unsolved, one sentence per suspect."""
    hints = []
    if recipe.hidden <= 3:
        hints.append(f"{recipe.hidden} hidden unit{'s' if recipe.hidden > 1 else ''}: with so few, many "
                     "starts drift onto a plateau where the loss keeps falling ever more slowly and never "
                     "reaches the solution in time; more hidden units give more ways out")
    if recipe.init == "uniform":
        hints.append("init 'uniform' starts every weight positive, so the hidden units start alike; "
                     "'symmetric' or 'xavier' starts them different")
    if recipe.loss == "mse":
        hints.append("squared error keeps the output's sigmoid derivative in delta2, which slows learning "
                     "wherever the output saturates; loss='bce' removes it")
    if recipe.lr < 0.3:
        hints.append(f"lr = {recipe.lr:g} is small for this problem: the plateau at the start then takes "
                     "thousands of epochs; try 0.5 to 2")
    return hints


def check_xor_recipe(fn: Callable[..., Any], rng: np.random.Generator | None = None) -> None:
    """``fn()`` must return a :class:`~backprop_lib.lessons.xor.Recipe` that solves XOR reliably and fast.

    Statistical: one network per seed, ``RECIPE_SEEDS`` seeds, trained for
    ``recipe.epochs`` (at most ``EPOCH_BUDGET``); at least
    ``RECIPE_MIN_SOLVED`` must have all four outputs on the right side of 0.5
    at some epoch. The seeds are fixed for the self-check and drawn from
    ``rng`` for the hidden test, so each check always gives the same verdict.
    """
    rng, hidden = pick_rng(rng)
    name = "xor_recipe"
    recipe = _as_recipe(call_student(fn, name, forbidden=RECIPE_REFERENCES))
    if recipe.epochs > EPOCH_BUDGET:
        raise CheckFailed(f"{name} asks for {recipe.epochs} epochs, more than the budget of {EPOCH_BUDGET}: "
                          "the task is a recipe that solves XOR within a few hundred epochs (the classic example's "
                          "needs thousands and still fails one seed in five)")
    if recipe.hidden > MAX_HIDDEN:
        raise CheckFailed(f"{name} asks for {recipe.hidden} hidden units; at most {MAX_HIDDEN}, please "
                          "(four points do not need more, and the check must stay fast)")
    seeds = (rng.integers(10_000, 2**31, size=RECIPE_SEEDS) if hidden
             else np.arange(RECIPE_SEEDS))
    sweep = xor_net.epochs_to_solve(seeds, recipe)
    if sweep.n_solved >= RECIPE_MIN_SOLVED:
        passed(name, RECIPE_SEEDS, f"{sweep.n_solved} of {RECIPE_SEEDS} seeds solved XOR within "
               f"{recipe.epochs} epochs; the slowest needed {np.nanmax(sweep.epochs):.0f}")
        return
    unsolved = sweep.unsolved_seeds
    lines = [f"{name}: {recipe}",
             f"  solved XOR on only {sweep.n_solved} of {RECIPE_SEEDS} seeds within {recipe.epochs} epochs "
             f"(at least {RECIPE_MIN_SOLVED} needed).",
             f"  unsolved seeds: {unsolved[:8]}{' ...' if len(unsolved) > 8 else ''}; try them with "
             "xor_net.epochs_to_solve(seeds, recipe)"]
    hints = recipe_hints(recipe)
    if hints:
        lines.append("  likely causes: " + "; ".join(hints))
    elif sweep.n_solved == 0:
        lines.append("  likely cause: too few epochs for this learning rate")
    raise CheckFailed("\n".join(lines))


#: The course library's own functions each exercise may not use, not even copied: its check forbids
#: them, and the exercise's text says so (tests/test_verify.py checks the two agree).
FORBIDDEN_REFERENCES = {
    "forward": ("lessons.xor.predict", "lessons.xor_net.forward"),
    "backward": ("lessons.xor.gradients", "lessons.xor_net.backward"),
    "train_step": ("lessons.xor.train_loop", "lessons.xor.train_many", "lessons.xor.train_one", "lessons.xor_net.train_step"),
    "train": ("lessons.xor.train_loop", "lessons.xor.train_many", "lessons.xor.train_one", "lessons.xor_net.train"),
    "xor_recipe": ("lessons.xor.train_loop", "lessons.xor.train_one"),
}


#: The rules of each exercise's answer that the checks apply to every call of the student's function
#: (``backprop_lib.checking.checks``): the inputs it may change in place ({name: position in its signature}; every other array, list or dict it
#: is given must come back as it was; the exercise's text says so) and the kind of value it returns:
#: "array", "number", "numeric" (either), list, dict, a tuple of these, or None (anything).
MAY_MODIFY: dict[str, dict[str, int]] = {"train_step": {"params": 0}, "train": {"params": 0}}
RETURNS: dict[str, object] = {
    "forward": ("array", None),
    "backward": dict,
    "train_step": ("number", "array"),
    "train": ("array", None),
    "xor_recipe": None,
}
