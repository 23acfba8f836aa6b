r"""Checks of lesson 07, vanishing and exploding gradients.

Tasks: ``chain_gradient``, ``layer_grad_norms``, ``xavier_init``, ``he_init``,
``clip_by_norm``. Each ``check_<task>(fn, rng=None)`` runs seeded cases when
``rng`` is None (the self-check) and fresh cases, with random shapes, depths
and scales, when it is given (the hidden test).

Where the expected values come from
    * ``chain_gradient``: ``sympy.diff`` of the whole chain of sigmoids,
      written as one formula, confirmed by central differences.
    * ``layer_grad_norms`` and ``clip_by_norm``: the definitions, computed
      here with ``np.einsum`` (a sum of squares), on gradients of a real deep
      network (self-check) or random arrays of random shapes and sizes.
    * ``xavier_init`` and ``he_init``: statistics. Tens of thousands of
      entries are drawn with the generator the check passes in; their mean
      must be within ``MEAN_TOL`` standard deviations of 0 and their variance
      within ``VAR_TOL`` (relative) of the formula's. With that many draws the
      sampling error is about a tenth of these tolerances, and the generator is
      seeded, so a correct function never fails. The check also makes sure the
      function draws from the generator it is given (same seed, same
      weights; another seed, other weights).

Every call of the student's code forbids the library's reference for the same job.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any, Callable, Mapping

import numpy as np
import sympy as sp

from ..nn.activations import sigmoid as _sig
from ..checking import gradcheck
from ..lessons import grad_flow
from ..nn import mlp
from ..checking.checks import CheckFailed, LibraryError, call_student, compare, passed
from ..checking.diagnose import as_array, describe_type
from ..checking.symbolic import Symbolic, sigmoid as sym_sigmoid
from . import pick_rng, random_shape

#: The exercises whose hidden check the grader can re-run outside the student's kernel (autograder/verify.py):
#: all of them; their inputs and outputs are data.
VERIFIED_OUTSIDE = ("chain_gradient", "layer_grad_norms", "xavier_init", "he_init", "clip_by_norm")

#: What each exercise may not call: only the library functions that would answer it (the rule of every
#: exercise of the course); the rest of ``backprop_lib`` (``sigmoid``, ``sigmoid_prime``, ...) is allowed.
#: ``global_norm([{"W": dW}])`` is the norm of one dW, and ``mlp.init_params([n_in, n_out], rng, scheme)``
#: draws one initialised layer.
TASK_REFERENCES = {
    "chain_gradient": (grad_flow.chain_gradient,),
    "layer_grad_norms": (grad_flow.layer_grad_norms, grad_flow.global_norm),
    "xavier_init": (grad_flow.xavier_init, mlp.init_params),
    "he_init": (grad_flow.he_init, mlp.init_params),
    "clip_by_norm": (grad_flow.clip_by_norm, grad_flow.global_norm),
}




# --- Exercise 1: chain_gradient ---------------------------------------------------------

@lru_cache(maxsize=16)
def _chain_symbolic(depth: int) -> Symbolic:
    """The chain a_L(a0, w1..wL, b1..bL) of ``depth`` sigmoid units as one SymPy formula."""
    names = ["a0"] + [f"w{l}" for l in range(1, depth + 1)] + [f"b{l}" for l in range(1, depth + 1)]

    def forward(a0: sp.Expr, *wb: sp.Expr) -> sp.Expr:
        a = a0
        for wl, bl in zip(wb[:depth], wb[depth:]):
            a = sym_sigmoid(wl * a + bl)
        return a

    return Symbolic(forward, names)


def _chain_variant(a0, w, b, kind: str):
    acts = [np.asarray(a0, dtype=np.float64)]
    zs = []
    for wl, bl in zip(w, b):
        zs.append(wl * acts[-1] + bl)
        acts.append(_sig(zs[-1]))
    if kind == "no-w":
        factors = [a * (1 - a) for a in acts[1:]]
    elif kind == "z-not-a":
        factors = [wl * z * (1 - z) for wl, z in zip(w, zs)]
    elif kind == "input-not-output":
        factors = [wl * a * (1 - a) for wl, a in zip(w, acts[:-1])]
    elif kind == "sum":
        return sum(wl * a * (1 - a) for wl, a in zip(w, acts[1:]))
    elif kind == "last-only":
        return w[-1] * acts[-1] * (1 - acts[-1])
    else:
        raise ValueError(kind)
    out = np.ones_like(acts[0])
    for f in factors:
        out = out * f
    return out


CHAIN_MISTAKES = {
    "the weights are missing: each layer contributes w_l * sigmoid'(z_l), because dz_l/da_(l-1) = w_l":
        lambda a0, w, b: _chain_variant(a0, w, b, "no-w"),
    "you took z * (1 - z): the shortcut a * (1 - a) needs the sigmoid's OUTPUT a_l = sigmoid(z_l)":
        lambda a0, w, b: _chain_variant(a0, w, b, "z-not-a"),
    "each factor uses the layer's input a_(l-1); sigmoid'(z_l) = a_l * (1 - a_l) uses its output a_l":
        lambda a0, w, b: _chain_variant(a0, w, b, "input-not-output"),
    "you added the layers' factors; the chain rule MULTIPLIES them: prod over l of w_l * a_l * (1 - a_l)":
        lambda a0, w, b: _chain_variant(a0, w, b, "sum"),
    "only the last layer's factor is there: multiply the factors of ALL the layers":
        lambda a0, w, b: _chain_variant(a0, w, b, "last-only"),
}


def check_chain_gradient(fn: Callable[..., Any], rng: np.random.Generator | None = None) -> None:
    """``fn(a0, w, b)`` must return ``d a_L / d a_0`` for ``a_l = sigmoid(w_l a_(l-1) + b_l)``.

    ``w`` and ``b`` are arrays of shape (L,); ``a0`` is a float or an array of
    any shape, and the result has ``a0``'s shape (element-wise). Expected:
    ``sympy.diff`` of the chain written as one formula.
    """
    rng, hidden = pick_rng(rng)
    name = "chain_gradient"
    depths = [int(d) for d in rng.integers(2, 8, size=3)] if hidden else [3, 6]
    for depth in depths:
        shape = random_shape(rng) if hidden else (5,)
        a0 = rng.uniform(-2, 2, shape)
        w = rng.choice([-1.0, 1.0], depth) * rng.uniform(0.5, 4.0, depth)
        b = rng.normal(0, 1, depth)
        chain = _chain_symbolic(depth)
        args = [a0, *w, *b]
        expected = chain.grad("a0")(*args)
        numeric = gradcheck.central_difference(lambda v: chain.value(v, *w, *b), a0)
        if gradcheck.max_rel_error(expected, numeric, floor=1e-4) > gradcheck.NUMERIC_TOL:  # tiny values: absolute
            raise LibraryError("SymPy and central differences disagree on the sigmoid chain: please report this")
        got = call_student(fn, name, np.array(a0, copy=True), w.copy(), b.copy(), forbidden=TASK_REFERENCES[name])
        compare(f"{name} (a chain of {depth} sigmoid layers)", expected, got, {"a0": a0, "w": w, "b": b},
                floor=1e-12, mistakes=CHAIN_MISTAKES)
    passed(name, len(depths), "matches sympy.diff of the whole chain")


# --- Exercise 2: layer_grad_norms -----------------------------------------------------------

def _frobenius(a: np.ndarray) -> float:
    flat = np.asarray(a, dtype=np.float64).ravel()
    return float(np.sqrt(np.einsum("i,i->", flat, flat)))


NORM_MISTAKES = {
    "the biases are included: the exercise asks for the norm of each layer's dW only":
        lambda grads: [np.sqrt(_frobenius(g["W"]) ** 2 + _frobenius(g["b"]) ** 2) for g in grads],
    "the square root is missing: the norm is sqrt(sum of the squares)":
        lambda grads: [_frobenius(g["W"]) ** 2 for g in grads],
    "np.linalg.norm(dW, 2) of a matrix is its largest singular value; the Frobenius norm is "
    "np.linalg.norm(dW) (no ord) or np.sqrt(np.sum(dW ** 2))":
        lambda grads: [np.linalg.norm(g["W"], 2) for g in grads],
    "this is the mean absolute value; the norm is sqrt(sum of the squares)":
        lambda grads: [np.mean(np.abs(g["W"])) for g in grads],
    "this is the root-mean-square (divided by the number of entries); the norm is sqrt(sum of the squares)":
        lambda grads: [np.sqrt(np.mean(g["W"] ** 2)) for g in grads],
    "the layers are in reverse order: the first entry is the first layer (next to the input)":
        lambda grads: [_frobenius(g["W"]) for g in grads][::-1],
    "these are the biases' norms; the exercise asks for the norm of each layer's dW":
        lambda grads: [_frobenius(g["b"]) for g in grads],
}


def _deep_grads(activation: str, init: str, gain: float = 1.0, depth: int = 6) -> list[dict[str, np.ndarray]]:
    params, acts = grad_flow.deep_params(activation, init, gain=gain, depth=depth, width=16)
    x, y = grad_flow.moons_batch(m=32)
    with np.errstate(all="ignore"):
        return mlp.loss_and_grads(params, x, y, "binary_cross_entropy_with_logits", acts)[1]


def _random_grads(rng: np.random.Generator) -> list[dict[str, np.ndarray]]:
    depth = int(rng.integers(2, 7))
    sizes = [int(s) for s in rng.integers(1, 9, size=depth + 1)]
    scales = 10.0 ** rng.uniform(-6, 3, size=depth)
    return [{"W": rng.normal(0, s, (i, o)), "b": rng.normal(0, s, o)}
            for i, o, s in zip(sizes[:-1], sizes[1:], scales)]


class _Grads(list):
    """A list of ``{"W", "b"}`` gradients that shows itself in a failure message by shapes and sizes."""

    def __repr__(self) -> str:
        return "[" + ", ".join(f"{{W {g['W'].shape} of norm {_frobenius(g['W']):.3g}, b {g['b'].shape}}}"
                               for g in self) + "]"


def _copy_grads(grads: list[Mapping[str, np.ndarray]]) -> list[dict[str, np.ndarray]]:
    return [{k: np.array(v, dtype=np.float64) for k, v in g.items()} for g in grads]


def check_layer_grad_norms(fn: Callable[..., Any], rng: np.random.Generator | None = None) -> None:
    """``fn(grads)`` must return the Frobenius norm of each layer's ``dW``, first layer first, shape (L,).

    ``grads`` is a list with one ``{"W": dW, "b": db}`` per layer (as
    :func:`backprop_lib.nn.mlp.backward` returns). The self-check uses the
    gradients of real deep networks, the hidden test random arrays of random
    shapes whose scales span nine orders of magnitude.
    """
    rng, hidden = pick_rng(rng)
    name = "layer_grad_norms"
    cases = ([_random_grads(rng) for _ in range(3)] if hidden
             else [_deep_grads("sigmoid", "xavier"), _deep_grads("relu", "he")])
    for grads in cases:
        expected = np.array([_frobenius(g["W"]) for g in grads])
        got = call_student(fn, name, _copy_grads(grads), forbidden=TASK_REFERENCES[name])
        shapes = ", ".join(str(g["W"].shape) for g in grads)
        compare(f"{name} (dW shapes {shapes})", expected, got, {"grads": _Grads(grads)}, floor=1e-300,
                mistakes=NORM_MISTAKES)
    passed(name, len(cases), "one Frobenius norm per layer, sqrt(sum of dW ** 2), first layer first")


# --- Exercises 3 and 4: xavier_init and he_init -----------------------------------------------

#: The mean of the draws must be within this many (expected) standard deviations of 0 ...
MEAN_TOL = 0.03
#: ... and their variance within this fraction of the expected variance.
VAR_TOL = 0.06
#: At least this many entries are drawn per shape (sampling error of the variance about 0.6%).
MIN_DRAWS = 50_000

#: Wrong variances a typical mistake gives, as functions of (n_in, n_out).
XAVIER_VARIANCES: dict[str, Callable[[int, int], float]] = {
    "the variance is 1 / (n_in + n_out); Xavier's is 2 / (n_in + n_out)": lambda i, o: 1 / (i + o),
    "this is He's variance, 2 / n_in; Xavier's averages both fans: 2 / (n_in + n_out)": lambda i, o: 2 / i,
    "this is LeCun's variance, 1 / n_in; Xavier's averages both fans: 2 / (n_in + n_out)": lambda i, o: 1 / i,
    "you passed the VARIANCE 2 / (n_in + n_out) as the scale; rng.normal's scale is the standard deviation, "
    "so take its square root": lambda i, o: (2 / (i + o)) ** 2,
    "uniform on [-limit, limit] has variance limit**2 / 3: you used the standard deviation as the limit; "
    "the uniform form of Xavier needs limit = sqrt(6 / (n_in + n_out))": lambda i, o: 2 / (i + o) / 3,
    "sqrt(6 / (n_in + n_out)) is the LIMIT of the uniform form, not the standard deviation of a normal; "
    "for a normal use sqrt(2 / (n_in + n_out))": lambda i, o: 6 / (i + o),
    "the weights have variance 1: scale standard-normal draws by sqrt(2 / (n_in + n_out))": lambda i, o: 1.0,
}
HE_VARIANCES: dict[str, Callable[[int, int], float]] = {
    "the variance uses n_out; He's is 2 / n_in (the fan-in: the number of inputs each unit sums)":
        lambda i, o: 2 / o,
    "this is LeCun's variance, 1 / n_in; ReLU zeroes half its inputs, so He doubles it: 2 / n_in":
        lambda i, o: 1 / i,
    "this is Xavier's variance, 2 / (n_in + n_out); He's is 2 / n_in": lambda i, o: 2 / (i + o),
    "you passed the VARIANCE 2 / n_in as the scale; rng.normal's scale is the standard deviation, so take "
    "its square root": lambda i, o: (2 / i) ** 2,
    "uniform on [-limit, limit] has variance limit**2 / 3: you used the standard deviation as the limit; "
    "the uniform form of He needs limit = sqrt(6 / n_in)": lambda i, o: 2 / i / 3,
    "the weights have variance 1: scale standard-normal draws by sqrt(2 / n_in)": lambda i, o: 1.0,
}


def _fan_pairs(rng: np.random.Generator, hidden: bool, variances: Mapping[str, Callable[[int, int], float]],
               target: Callable[[int, int], float]) -> list[tuple[int, int]]:
    """Two ``(n_in, n_out)`` pairs, one wider than tall and one taller than wide, whose expected variance is
    at least 25% away from every typical mistake's, so that no mistake can pass."""
    fixed = [(200, 50), (40, 160)]
    if not hidden:
        return fixed
    pairs = []
    for wide, fallback in zip((True, False), fixed):
        for _ in range(1000):
            small, big = int(rng.integers(10, 60)), int(rng.integers(120, 400))
            n_in, n_out = (big, small) if wide else (small, big)
            want = target(n_in, n_out)
            if all(abs(v(n_in, n_out) / want - 1) > 0.25 for v in variances.values()):
                pairs.append((n_in, n_out))
                break
        else:  # never reached for the course's formulas; a guard against an endless loop
            pairs.append(fallback)
    return pairs


def _check_init(fn: Callable[..., Any], rng: np.random.Generator | None, name: str,
                target: Callable[[int, int], float], formula: str,
                variances: Mapping[str, Callable[[int, int], float]]) -> None:
    rng, hidden = pick_rng(rng)
    pairs = _fan_pairs(rng, hidden, variances, target)
    seed = int(rng.integers(0, 2**31))
    for n_in, n_out in pairs:
        label = f"{name}({n_in}, {n_out}, rng)"
        first = call_student(fn, name, n_in, n_out, np.random.default_rng(seed), forbidden=TASK_REFERENCES[name])
        arr = as_array(first)
        if arr is None or arr.shape != (n_in, n_out):
            got = describe_type(first)
            hint = (": transposed? W is (n_in, n_out), one column per unit of the layer"
                    if arr is not None and arr.shape == (n_out, n_in) else "")
            raise CheckFailed(f"{label} should return an array of shape ({n_in}, {n_out}); it returned {got}{hint}")
        if not np.issubdtype(arr.dtype, np.floating):
            raise CheckFailed(f"{label} returned dtype {arr.dtype}; weights are floats")
        again = as_array(call_student(fn, name, n_in, n_out, np.random.default_rng(seed), forbidden=TASK_REFERENCES[name]))
        if again is None or again.shape != arr.shape or not np.array_equal(again, arr):
            raise CheckFailed(f"{label} gave different weights for two generators with the same seed: draw from "
                              "the rng passed in (rng.normal(...)), not np.random.normal or a new default_rng()")
        other = as_array(call_student(fn, name, n_in, n_out, np.random.default_rng(seed + 1), forbidden=TASK_REFERENCES[name]))
        if other is not None and other.shape == arr.shape and np.array_equal(other, arr):
            raise CheckFailed(f"{label} gave the same weights for generators with different seeds: it ignores "
                              "the rng argument; draw with rng.normal(...)")
        # more draws, each from a generator of its own seed (so that they are independent even when the
        # function runs in another process, where the generator passed in is a copy)
        draws = [arr.astype(np.float64).ravel()]
        k = 2
        while sum(d.size for d in draws) < MIN_DRAWS:
            draws.append(np.asarray(call_student(fn, name, n_in, n_out, np.random.default_rng(seed + k),
                                                 forbidden=TASK_REFERENCES[name]), dtype=np.float64).ravel())
            k += 1
        sample = np.concatenate(draws)
        want = target(n_in, n_out)
        mean, var = float(sample.mean()), float(sample.var())
        stats = (f"  {sample.size} entries drawn: mean {mean:.4g}, variance {var:.4g}; expected mean 0 and "
                 f"variance {formula} = {want:.4g}")
        if not (np.isfinite(mean) and np.isfinite(var)):
            raise CheckFailed(f"{label} returned NaN or inf among its weights")
        if abs(mean) > MEAN_TOL * np.sqrt(want):
            raise CheckFailed(f"{label}: the weights are not centred on zero.\n{stats}\n  likely cause: draw from "
                              "a distribution symmetric about 0 (normal with mean 0, or uniform on [-limit, limit], "
                              "not [0, limit])")
        if abs(var / want - 1) <= VAR_TOL:
            continue
        lines = [f"{label}: the variance of the weights is {var / want:.3g} times the expected one.", stats]
        named = [text for text, v in variances.items() if abs(var / v(n_in, n_out) - 1) <= VAR_TOL]
        if named:
            lines.append("  likely cause: " + "\n  or: ".join(named))
        raise CheckFailed("\n".join(lines))
    passed(name, len(pairs), f"shape (n_in, n_out), mean 0 and variance {formula} over {MIN_DRAWS}+ draws, "
           "from the rng passed in")


def check_xavier_init(fn: Callable[..., Any], rng: np.random.Generator | None = None) -> None:
    """``fn(n_in, n_out, rng)`` must return ``W`` (n_in, n_out): mean 0, variance ``2 / (n_in + n_out)``.

    Normal or uniform, as long as it is drawn from ``rng``. Judged statistically (see the module docstring).
    """
    _check_init(fn, rng, "xavier_init", lambda i, o: 2 / (i + o), "2 / (n_in + n_out)", XAVIER_VARIANCES)


def check_he_init(fn: Callable[..., Any], rng: np.random.Generator | None = None) -> None:
    """``fn(n_in, n_out, rng)`` must return ``W`` (n_in, n_out): mean 0, variance ``2 / n_in``.

    Normal or uniform, as long as it is drawn from ``rng``. Judged statistically (see the module docstring).
    """
    _check_init(fn, rng, "he_init", lambda i, o: 2 / i, "2 / n_in", HE_VARIANCES)


# --- Exercise 5: clip_by_norm ------------------------------------------------------------------

def _global(grads: list[Mapping[str, np.ndarray]], keys: tuple[str, ...] = ("W", "b")) -> float:
    return float(np.sqrt(sum(_frobenius(np.asarray(g[k], dtype=np.float64)) ** 2 for g in grads for k in keys)))


def _clip_variant(grads: list[Mapping[str, np.ndarray]], max_norm: float, kind: str) -> list[dict[str, np.ndarray]]:
    if kind == "per-layer":
        out = []
        for g in grads:
            n = _global([g])
            out.append({k: v * (max_norm / n if n > max_norm else 1.0) for k, v in g.items()})
        return out
    if kind == "elementwise":
        return [{k: np.clip(v, -max_norm, max_norm) for k, v in g.items()} for g in grads]
    if kind == "always":
        n = _global(grads)
        return [{k: v * (max_norm / n) for k, v in g.items()} for g in grads]
    if kind == "weights-only":
        n = _global(grads, ("W",))
        return [{k: v * (max_norm / n if n > max_norm else 1.0) for k, v in g.items()} for g in grads]
    if kind == "inverted":
        n = _global(grads)
        return [{k: v * (n / max_norm if n > max_norm else 1.0) for k, v in g.items()} for g in grads]
    raise ValueError(kind)


_CLIP_KINDS = {
    "each layer was clipped by its own norm; clip all layers together, by the norm of the WHOLE gradient "
    "(every layer's dW and db), so that its direction is kept": "per-layer",
    "np.clip caps each entry separately, which changes the gradient's direction; scale every array by the "
    "same factor max_norm / norm instead": "elementwise",
    "gradients whose norm is already below max_norm must be left unchanged (scale only when norm > max_norm)":
        "always",
    "the norm must count every entry, the biases' db as well as the weights' dW": "weights-only",
    "the factor is upside down: multiply by max_norm / norm (which is below 1 when clipping)": "inverted",
}


def _all_close(got: Any, want: list[Mapping[str, np.ndarray]]) -> bool:
    """Whether every array of ``got`` equals the one of ``want`` to round-off."""
    for h, g in zip(got, want):
        for k in ("W", "b"):
            arr = as_array(h[k])
            if arr is None or arr.shape != np.shape(g[k]):
                return False
            if gradcheck.max_rel_error(g[k], arr, floor=1e-300) > gradcheck.EXACT_TOL:
                return False
    return True


def check_clip_by_norm(fn: Callable[..., Any], rng: np.random.Generator | None = None) -> None:
    """``fn(grads, max_norm)`` must return the gradients scaled by ``max_norm / norm`` when ``norm > max_norm``.

    ``norm`` is the norm of all gradients together (every entry of every
    ``dW`` and ``db``); below ``max_norm`` the gradients come back unchanged.
    Returns a list of ``{"W", "b"}`` dicts of the same shapes.
    """
    rng, hidden = pick_rng(rng)
    name = "clip_by_norm"
    if hidden:
        cases = []
        for _ in range(3):
            grads = _random_grads(rng)
            n = _global(grads)
            cases.append((grads, float(n * rng.uniform(0.05, 0.7))))
        grads = _random_grads(rng)
        cases.append((grads, float(_global(grads) * rng.uniform(1.2, 3.0))))
        zeros = [{k: np.zeros_like(v) for k, v in g.items()} for g in _random_grads(rng)]
        cases.append((zeros, float(rng.uniform(0.1, 5.0))))
    else:
        exploding = _deep_grads("relu", "he", gain=1.5)
        calm = _deep_grads("tanh", "xavier")
        zeros = [{k: np.zeros_like(v) for k, v in g.items()} for g in calm]
        cases = [(exploding, 1.0), (calm, 1.0 + _global(calm)), (zeros, 1.0)]
    for grads, max_norm in cases:
        norm = _global(grads)
        scale = max_norm / norm if norm > max_norm else 1.0
        got = call_student(fn, name, _copy_grads(grads), max_norm, forbidden=TASK_REFERENCES[name])
        label = f"{name} (gradient norm {norm:.4g}, max_norm {max_norm:.4g})"
        if not isinstance(got, (list, tuple)) or len(got) != len(grads):
            raise CheckFailed(f"{label} should return a list of {len(grads)} dicts {{'W': dW, 'b': db}}, one per "
                              f"layer; it returned {describe_type(got) if not isinstance(got, (list, tuple)) else f'{len(got)} items'}")
        for l, h in enumerate(got):
            if not isinstance(h, Mapping) or any(k not in h for k in ("W", "b")):
                raise CheckFailed(f"item {l} returned by {label} should be a dict with keys 'W' and 'b'; it is "
                                  f"{describe_type(h) if not isinstance(h, Mapping) else sorted(map(str, h))}")
        expected = [{k: g[k] * scale for k in ("W", "b")} for g in grads]
        if _all_close(got, expected):
            continue
        if norm == 0.0:
            arrays = [as_array(h[k]) for h in got for k in ("W", "b")]
            if any(a is not None and np.issubdtype(a.dtype, np.number) and not np.all(np.isfinite(a))
                   for a in arrays):
                raise CheckFailed(f"{label}: every gradient is 0, so the norm is 0 and nothing needs clipping, "
                                  "but your result holds NaN or inf.\n  likely cause: a division by the norm "
                                  "(0 / 0 = NaN) that runs even when no clipping is needed; divide only when "
                                  "norm > max_norm, and return the gradients unchanged otherwise")
        # a typical mistake is recognised on the whole gradient at once, not on one array
        named = next((text for text, kind in _CLIP_KINDS.items()
                      if _all_close(got, _clip_variant(grads, max_norm, kind))), None)
        for l, (want, h) in enumerate(zip(expected, got)):
            for k in ("W", "b"):
                try:
                    compare(f"layer {l + 1}'s {k} from {label}", want[k], h[k], {"grads": _Grads(grads),
                            "max_norm": max_norm}, floor=1e-300)
                except CheckFailed as failure:
                    text = str(failure).split("\n  likely cause:")[0]
                    raise CheckFailed(text + (f"\n  likely cause: {named}" if named else "")) from None
    passed(name, len(cases), "every array scaled by max_norm / norm when norm > max_norm, unchanged otherwise")


#: The course library's own functions each exercise may not use, not even copied: its check forbids
#: them, and the exercise's text says so (tests/test_verify.py checks the two agree).
FORBIDDEN_REFERENCES = {
    "chain_gradient": ("lessons.grad_flow.chain_gradient",),
    "layer_grad_norms": ("lessons.grad_flow.global_norm", "lessons.grad_flow.layer_grad_norms"),
    "xavier_init": ("lessons.grad_flow.xavier_init", "nn.mlp.init_params"),
    "he_init": ("lessons.grad_flow.he_init", "nn.mlp.init_params"),
    "clip_by_norm": ("lessons.grad_flow.clip_by_norm", "lessons.grad_flow.global_norm"),
}


#: The rules of each exercise's answer that the checks apply to every call of the student's function
#: (``backprop_lib.checking.checks``): the inputs it may change in place ({name: position in its signature}; every other array, list or dict it
#: is given must come back as it was; the exercise's text says so) and the kind of value it returns:
#: "array", "number", "numeric" (either), list, dict, a tuple of these, or None (anything).
MAY_MODIFY: dict[str, dict[str, int]] = {}
RETURNS: dict[str, object] = {
    "chain_gradient": "numeric",
    "layer_grad_norms": "array",
    "xavier_init": "array",
    "he_init": "array",
    "clip_by_norm": list,
}
