r"""Checks of lesson 08, optimisers and stopping.

Tasks: ``sgd_step``, ``momentum_step``, ``adam_step``, ``should_stop``,
``l2_penalty``. Each ``check_<task>(fn, rng=None)`` runs a few seeded cases
when ``rng`` is None (the self-check) and fresh cases, with random shapes and
hyper-parameters, otherwise (the hidden test).

The three step functions are PURE: ``step(theta, g, state, **hyper) ->
(new_theta, new_state)``, leaving their inputs untouched. Conventions (the
lesson states them, the checks hold to them):

* SGD: ``theta - lr * g``; its state is ``{}``, returned unchanged.
* Momentum: ``v = beta * v + g``, then ``theta - lr * v`` (the new ``v``);
  state ``{"v": v}``. (PyTorch's convention; not ``(1 - beta) * g``, and
  ``lr`` stays outside the velocity.)
* Adam: state ``{"m", "v", "t"}`` with ``t`` the number of steps already
  taken. A step sets ``t = t + 1``, updates ``m`` and ``v``, divides them by
  ``1 - beta ** t`` (bias correction) and moves by
  ``lr * m_hat / (sqrt(v_hat) + eps)``: ``eps`` OUTSIDE the square root, as
  in the Adam paper and PyTorch. The state keeps the raw ``m`` and ``v``.

Where the expected values come from: :mod:`backprop_lib.nn.optim`, the course's
optimisers, run on copies with the same state (the student's code may not
call them), cross-checked against the formulas written out here, and a
multi-step trajectory on a random quadratic bowl. ``l2_penalty`` is judged
against ``sympy.diff`` of ``(lam / 2) * p**2`` and central differences of the
penalty. ``should_stop`` is judged on loss histories built for each rule of
the lesson (plateau, steady descent, a jump, NaN, too short).
"""
from __future__ import annotations

from typing import Any, Callable, Mapping

import numpy as np

from ..checking import gradcheck
from ..nn import mlp, optim
from ..checking.checks import CheckFailed, LibraryError, call_student, compare, fmt, fmt_inputs, passed
from ..checking.diagnose import as_array, describe_type
from ..checking.symbolic import Symbolic
from . import pick_rng, random_shape

#: What each exercise may not call: only the library functions that would answer it (the rule of every
#: exercise of the course); everything else of ``backprop_lib`` is allowed. ``Optimizer.step`` runs every
#: rule (and applies weight decay, the L2 gradient), ``train`` holds the stopping rule.
TASK_REFERENCES: dict[str, tuple[Callable[..., Any], ...]] = {
    "sgd_step": (optim.Optimizer.step, optim.SGD.update, optim.Momentum.update, optim.train, mlp.sgd_step),
    "momentum_step": (optim.Optimizer.step, optim.Momentum.update, optim.train),
    "adam_step": (optim.Optimizer.step, optim.Adam.update, optim.train),
    "should_stop": (optim.train,),
    "l2_penalty": (optim.Optimizer.step, optim.train),
}

#: How many steps the trajectory part of each step check takes.
TRAJECTORY_STEPS = 12

Variant = Callable[..., tuple[Any, dict[str, Any]]]



def _array(rng: np.random.Generator, shape: tuple[int, ...], scale: float = 1.0) -> np.ndarray:
    return np.asarray(rng.normal(0.0, scale, size=shape), dtype=np.float64)


def _copy_state(state: Mapping[str, Any]) -> dict[str, Any]:
    return {k: (np.array(v, dtype=np.float64) if isinstance(v, np.ndarray) else v) for k, v in state.items()}


def _library_step(opt: optim.Optimizer, theta: np.ndarray, g: np.ndarray,
                  state: Mapping[str, Any]) -> tuple[np.ndarray, dict[str, Any]]:
    """One step of a library optimiser from ``state`` (without touching the caller's arrays)."""
    p = np.array(theta, dtype=np.float64)
    arrays = {k: np.array(v, dtype=np.float64) for k, v in state.items() if k != "t"}
    opt.reset()
    opt.t = int(state.get("t", 0))
    opt.state = [arrays]
    opt.step([p], [np.array(g, dtype=np.float64)])
    new_state: dict[str, Any] = dict(opt.state[0])
    if "t" in state:
        new_state["t"] = opt.t
    return p, new_state


def _call(fn: Callable[..., Any], name: str, inputs: Mapping[str, Any], n_positional: int) -> Any:
    """``fn`` called with the first ``n_positional`` inputs by position and the rest by keyword.

    A failure message names the inputs (``theta = ...``), not ``arg0 = ...``.
    """
    values = list(inputs.values())
    keywords = dict(list(inputs.items())[n_positional:])
    try:
        return call_student(fn, name, *values[:n_positional], forbidden=TASK_REFERENCES[name], **keywords)
    except CheckFailed as exc:
        text = str(exc)
        if "\n  on input: " in text:
            text = text.split("\n  on input: ")[0] + "\n  on input: " + fmt_inputs(inputs)
            raise CheckFailed(text) from None
        raise


def _agree(what: str, a: Any, b: Any) -> None:
    if gradcheck.max_rel_error(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)) > 1e-12:
        raise LibraryError(f"backprop_lib.nn.optim and the formula disagree on {what}: please report this")


def _unpack(got: Any, name: str, keys: tuple[str, ...]) -> tuple[Any, Mapping[str, Any]]:
    example = "{" + ", ".join(f'"{k}": ...' for k in keys) + "}"
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        shown = describe_type(got) if not isinstance(got, (tuple, list)) else f"{len(got)} values"
        raise CheckFailed(f"{name} should return a pair (new_theta, new_state), but it returned {shown}: "
                          f"end with `return theta_new, state_new`")
    theta, state = got
    if isinstance(theta, Mapping) and not isinstance(state, Mapping):
        raise CheckFailed(f"{name} returned (state, theta): the order is (new_theta, new_state)")
    if not isinstance(state, Mapping):
        raise CheckFailed(f"the new state returned by {name} should be a dict {example}, but it is "
                          f"{describe_type(state)}")
    missing = [k for k in keys if k not in state]
    if missing:
        raise CheckFailed(f"the new state returned by {name} has no entry {', '.join(map(repr, missing))}: "
                          f"it must be a dict {example}")
    return theta, state


def _unchanged(name: str, before: Mapping[str, Any], after: Mapping[str, Any]) -> None:
    """A pure function leaves its inputs as they were."""
    for label, old in before.items():
        new = after[label]
        if isinstance(old, np.ndarray) and not np.array_equal(old, new, equal_nan=True):
            raise CheckFailed(
                f"{name} changed its input {label} in place (an `-=` or `+=` on it, or `{label}[...] = ...`): "
                f"the step must be pure, computing NEW arrays (e.g. `theta_new = theta - lr * g`) and "
                f"leaving the caller's arrays as they were.\n"
                f"  {label} before the call: {fmt(old, 100)}\n  {label} after the call:  {fmt(new, 100)}")


def _judge_step(name: str, fn: Callable[..., Any], theta: np.ndarray, g: np.ndarray, state: dict[str, Any],
                hyper: dict[str, float], expected: tuple[np.ndarray, dict[str, Any]],
                variants: Mapping[str, Variant], keys: tuple[str, ...]) -> None:
    """Call the student's step once and compare the new theta and every entry of the new state."""
    inputs = {"theta": theta, "g": g, "state": state, **hyper}
    originals = {"theta": theta.copy(), "g": g.copy(), **{f"state[{k!r}]": np.array(v) for k, v in state.items()
                                                          if isinstance(v, np.ndarray)}}
    args = (theta.copy(), g.copy(), _copy_state(state))
    got = _call(fn, name, {"theta": args[0], "g": args[1], "state": args[2], **hyper}, 3)
    after = {"theta": args[0], "g": args[1], **{f"state[{k!r}]": args[2][k] for k, v in state.items()
                                                if isinstance(v, np.ndarray)}}
    _unchanged(name, originals, after)
    new_theta, new_state = _unpack(got, name, keys)

    def part(i: int, key: str | None = None) -> dict[str, Callable[..., Any]]:
        def pick(variant: Variant) -> Callable[..., Any]:
            def wrong(**kw: Any) -> Any:
                out = variant(**kw)[i]
                return out if key is None else out[key]
            return wrong
        return {desc: pick(v) for desc, v in variants.items()}

    compare(f"the new theta from {name}", expected[0], new_theta, inputs, mistakes=part(0))
    for key in keys:
        if key == "t":
            t_new = new_state["t"]
            counted = isinstance(t_new, (int, float, np.integer, np.floating)) and float(t_new) == expected[1]["t"]
            if not counted:
                raise CheckFailed(f"the new state of {name} should have t = {expected[1]['t']} (one more than "
                                  f"the t = {state['t']} it was given: t counts the steps taken), but it has "
                                  f"t = {new_state['t']!r}\n  on input: {fmt_inputs(inputs)}")
            continue
        compare(f"state[{key!r}] returned by {name}", expected[1][key], new_state[key], inputs,
                mistakes=part(1, key))


def _check_trajectory(name: str, fn: Callable[..., Any], rng: np.random.Generator, shape: tuple[int, ...],
                      opt: optim.Optimizer, state0: dict[str, Any], hyper: dict[str, float]) -> None:
    """Run the student's step and the library's optimiser for a few steps on a random bowl; compare the paths."""
    curvature = rng.uniform(0.2, 3.0, size=shape)
    theta = _array(rng, shape, 2.0)
    p = theta.copy()
    opt.reset()
    state = _copy_state(state0)
    for k in range(1, TRAJECTORY_STEPS + 1):
        got = _call(fn, name, {"theta": theta, "g": curvature * theta, "state": state, **hyper}, 3)
        theta, state = _unpack(got, name, tuple(state0))
        theta = np.asarray(theta, dtype=np.float64)
        opt.step([p], [curvature * p])
        if theta.shape != p.shape or gradcheck.max_rel_error(p, theta) > 1e-7:
            raise CheckFailed(
                f"{name} gives the right single step, but not the right path over several steps on the bowl "
                f"loss = sum(c * theta**2) / 2 (gradient c * theta), starting from the state {fmt_inputs(state0)}.\n"
                f"  after step {k}: expected theta = {fmt(p)}\n                  got      theta = {fmt(theta)}\n"
                f"  likely cause: the new state does not carry what the next step needs; return the UPDATED "
                f"state (new arrays, and for Adam t + 1)")


def _check_two_arrays(name: str, fn: Callable[..., Any], rng: np.random.Generator, shape: tuple[int, ...],
                      opt: optim.Optimizer, state0: dict[str, Any], hyper: dict[str, float]) -> None:
    """Two parameter arrays of ONE shape, each with its own state, stepped in turn (as a network's W and b are).

    The library's optimiser keeps one state per array; so must the student's
    steps: a function that keeps its moments anywhere but in the state it
    returns (a buffer shared by every array of a shape, say) mixes the two paths.
    """
    curvature = [rng.uniform(0.2, 3.0, size=shape), rng.uniform(0.2, 3.0, size=shape)]
    thetas = [_array(rng, shape, 2.0), _array(rng, shape, 0.5)]
    library = [np.array(t, dtype=np.float64) for t in thetas]   # 0-d arrays too (not NumPy scalars)
    states = [_copy_state(state0), _copy_state(state0)]
    opt.reset()
    for k in range(1, TRAJECTORY_STEPS // 2 + 1):
        for i in range(2):
            got = _call(fn, name, {"theta": thetas[i], "g": curvature[i] * thetas[i], "state": states[i], **hyper}, 3)
            theta, states[i] = _unpack(got, name, tuple(state0))
            thetas[i] = np.asarray(theta, dtype=np.float64)
        opt.step(library, [c * p for c, p in zip(curvature, library)])
        for i in range(2):
            if thetas[i].shape != library[i].shape or gradcheck.max_rel_error(library[i], thetas[i]) > 1e-7:
                raise CheckFailed(
                    f"{name} follows the right path for one array, but not for two arrays of the same shape "
                    f"{shape} stepped in turn, each with its own state (as the W and b of a network are).\n"
                    f"  after step {k}: array {i + 1} should be {fmt(library[i])}\n"
                    f"                  it is           {fmt(thetas[i])}\n"
                    f"  likely cause: the two arrays share optimiser memory. Keep it per parameter array, only "
                    f"in the state you are given and return (new arrays each step, never a buffer kept per "
                    f"shape or in a global variable)")


# --- Exercise 1: sgd_step --------------------------------------------------------------

SGD_MISTAKES: dict[str, Variant] = {
    "the sign is flipped: gradient DESCENT moves against the gradient, theta - lr * g":
        lambda theta, g, state, lr: (theta + lr * g, state),
    "the learning rate is missing: the step is lr * g, not g":
        lambda theta, g, state, lr: (theta - g, state),
    "you divided by the learning rate: the step is lr * g, not g / lr":
        lambda theta, g, state, lr: (theta - g / lr, state),
}


def check_sgd_step(fn: Callable[..., Any], rng: np.random.Generator | None = None) -> None:
    """``fn(theta, g, state, lr)`` must return ``(theta - lr * g, state)`` without changing its inputs."""
    rng, hidden = pick_rng(rng)
    name = "sgd_step"
    n = 0
    for i in range(3 if hidden else 2):
        shape = random_shape(rng) if hidden else [(3,), (2, 3)][i]
        theta, g = _array(rng, shape, 2.0), _array(rng, shape)
        lr = float(rng.uniform(0.01, 0.5))
        expected = _library_step(optim.SGD(lr), theta, g, {})
        _agree("SGD", expected[0], theta - lr * g)
        _judge_step(name, fn, theta, g, {}, {"lr": lr}, expected, SGD_MISTAKES, ())
        n += 1
    shape = random_shape(rng) if hidden else (3,)
    lr = float(rng.uniform(0.05, 0.3))
    _check_trajectory(name, fn, rng, shape, optim.SGD(lr), {}, {"lr": lr})
    passed(name, n + 1, "theta - lr * g, inputs untouched, and the same path as the course's SGD")


# --- Exercise 2: momentum_step ---------------------------------------------------------

def _momentum(theta: np.ndarray, g: np.ndarray, state: Mapping[str, Any], lr: float, beta: float,
              *, ema: bool = False, lr_inside: bool = False, old_v: bool = False) -> tuple[Any, dict[str, Any]]:
    v_old = np.asarray(state["v"])
    grad_term = (1 - beta) * g if ema else (lr * g if lr_inside else g)
    v = beta * v_old + grad_term
    step = v if lr_inside else lr * (v_old if old_v else v)
    return theta - step, {"v": v}


MOMENTUM_MISTAKES: dict[str, Variant] = {
    "the step uses the OLD velocity: first update v = beta * v + g, then move by lr times the NEW v":
        lambda theta, g, state, lr, beta: _momentum(theta, g, state, lr, beta, old_v=True),
    "this is the averaging form v = beta * v + (1 - beta) * g; this course adds the whole gradient, "
    "v = beta * v + g": lambda theta, g, state, lr, beta: _momentum(theta, g, state, lr, beta, ema=True),
    "you put lr inside the velocity (v = beta * v + lr * g, theta - v); this course keeps it outside: "
    "v = beta * v + g, then theta - lr * v":
        lambda theta, g, state, lr, beta: _momentum(theta, g, state, lr, beta, lr_inside=True),
    "beta multiplies the parameters instead of the velocity: momentum is v = beta * v + g, "
    "then theta - lr * v": lambda theta, g, state, lr, beta: (beta * theta - lr * g, {"v": g}),
    "the sign is flipped: move against the velocity, theta - lr * v":
        lambda theta, g, state, lr, beta: (lambda t, s: (2 * theta - t, s))(*_momentum(theta, g, state, lr, beta)),
    "the velocity was never updated: the new state must hold v = beta * v + g":
        lambda theta, g, state, lr, beta: (_momentum(theta, g, state, lr, beta)[0], {"v": state["v"]}),
}


def check_momentum_step(fn: Callable[..., Any], rng: np.random.Generator | None = None) -> None:
    """``fn(theta, g, state, lr, beta)`` with ``state = {"v": v}``: ``v = beta v + g``, ``theta - lr v``."""
    rng, hidden = pick_rng(rng)
    name = "momentum_step"
    n = 0
    for i in range(3 if hidden else 2):
        shape = random_shape(rng) if hidden else [(3,), (2, 3)][i]
        theta, g, v = _array(rng, shape, 2.0), _array(rng, shape), _array(rng, shape)
        lr, beta = float(rng.uniform(0.01, 0.5)), float(rng.uniform(0.5, 0.95))
        expected = _library_step(optim.Momentum(lr, beta), theta, g, {"v": v})
        formula = _momentum(theta, g, {"v": v}, lr, beta)
        _agree("momentum (theta)", expected[0], formula[0])
        _agree("momentum (v)", expected[1]["v"], formula[1]["v"])
        _judge_step(name, fn, theta, g, {"v": v}, {"lr": lr, "beta": beta}, expected, MOMENTUM_MISTAKES, ("v",))
        n += 1
    shape = random_shape(rng) if hidden else (3,)
    lr, beta = float(rng.uniform(0.02, 0.2)), float(rng.uniform(0.5, 0.9))
    _check_trajectory(name, fn, rng, shape, optim.Momentum(lr, beta), {"v": np.zeros(shape)},
                      {"lr": lr, "beta": beta})
    _check_two_arrays(name, fn, rng, shape, optim.Momentum(lr, beta), {"v": np.zeros(shape)},
                      {"lr": lr, "beta": beta})
    passed(name, n + 2, "v = beta * v + g, theta - lr * v, inputs untouched, and the course's Momentum path")


# --- Exercise 3: adam_step -------------------------------------------------------------

def _adam(theta: np.ndarray, g: np.ndarray, state: Mapping[str, Any], lr: float, beta1: float, beta2: float,
          eps: float, *, correct: bool = True, sqrt: bool = True, eps_inside: bool = False,
          same_t: bool = False, store_hat: bool = False, v_of_g: bool = False,
          sign: float = 1.0, no_eps: bool = False) -> tuple[Any, dict[str, Any]]:
    t = int(state["t"]) + (0 if same_t else 1)
    m = beta1 * np.asarray(state["m"]) + (1 - beta1) * g
    v = beta2 * np.asarray(state["v"]) + (1 - beta2) * (g if v_of_g else g * g)
    m_hat = m / (1 - beta1 ** t) if correct else m
    v_hat = v / (1 - beta2 ** t) if correct else v
    if eps_inside:
        denominator = np.sqrt(v_hat + eps)
    else:
        denominator = (np.sqrt(v_hat) if sqrt else v_hat) + (0.0 if no_eps else eps)
    new = {"m": m_hat, "v": v_hat, "t": t} if store_hat else {"m": m, "v": v, "t": t}
    return theta - sign * lr * m_hat / denominator, new


def _adam_variant(**flags: Any) -> Variant:
    return lambda theta, g, state, lr, beta1, beta2, eps: _adam(theta, g, state, lr, beta1, beta2, eps, **flags)


ADAM_MISTAKES: dict[str, Variant] = {
    "the bias correction is missing: divide m by (1 - beta1**t) and v by (1 - beta2**t) before the step":
        _adam_variant(correct=False),
    "the square root is missing: the step is lr * m_hat / (sqrt(v_hat) + eps)": _adam_variant(sqrt=False),
    "eps is inside the square root, sqrt(v_hat + eps); this course (like the Adam paper and PyTorch) puts it "
    "outside: sqrt(v_hat) + eps": _adam_variant(eps_inside=True),
    "t was not increased before the bias correction: t counts the steps taken, so this step is number t + 1 "
    "(and the new state holds t + 1)": _adam_variant(same_t=True),
    "v must average the SQUARED gradient: v = beta2 * v + (1 - beta2) * g**2": _adam_variant(v_of_g=True),
    "the state should keep the raw averages m and v; the bias-corrected m_hat and v_hat are only for this "
    "step's move": _adam_variant(store_hat=True),
    "the sign is flipped: move against the gradient, theta - lr * m_hat / (sqrt(v_hat) + eps)":
        _adam_variant(sign=-1.0),
    "eps is missing from the denominator: the step is lr * m_hat / (sqrt(v_hat) + eps) (without eps a zero "
    "gradient gives 0 / 0 = NaN)": _adam_variant(no_eps=True),
}


def _adam_case(rng: np.random.Generator, shape: tuple[int, ...], kind: str) -> tuple[np.ndarray, ...]:
    """theta, g, m, v and t; ``kind`` "first" starts from zeros, "big-eps" has small gradients beside a large eps."""
    theta = _array(rng, shape, 2.0)
    scale = 0.1 if kind == "big-eps" else 1.0
    g = _array(rng, shape, scale)
    if kind == "first":
        return theta, g, np.zeros(shape), np.zeros(shape), 0
    if kind == "zero-g":   # a first step where some gradients are exactly 0: v_hat = 0 there, only eps divides
        g.flat[::2] = 0.0
        return theta, g, np.zeros(shape), np.zeros(shape), 0
    m = _array(rng, shape, scale)
    v = np.square(_array(rng, shape, scale)) + 0.05 * scale ** 2
    return theta, g, m, v, int(rng.integers(1, 30))


def check_adam_step(fn: Callable[..., Any], rng: np.random.Generator | None = None) -> None:
    """``fn(theta, g, state, lr, beta1, beta2, eps)`` with ``state = {"m", "v", "t"}``: one Adam step.

    Cases: the very first step (zeros, ``t = 0``), later steps, and a step with
    a large ``eps`` beside small gradients (where ``sqrt(v_hat + eps)`` and
    ``sqrt(v_hat) + eps`` differ visibly).
    """
    rng, hidden = pick_rng(rng)
    name = "adam_step"
    # "later" first: there every typical mistake gives finite numbers that can be recognised
    kinds = ["later", "first", "big-eps", "zero-g"] + (["later"] if hidden else [])
    for i, kind in enumerate(kinds):
        shape = random_shape(rng) if hidden else [(3,), (2, 3), (4,), (5,)][i]
        if kind == "zero-g" and int(np.prod(shape)) < 2:
            shape = (3,)
        theta, g, m, v, t = _adam_case(rng, shape, kind)
        hyper = {"lr": float(rng.uniform(0.001, 0.2)), "beta1": float(rng.uniform(0.5, 0.95)),
                 "beta2": float(rng.uniform(0.9, 0.999)),
                 "eps": float(rng.uniform(0.05, 0.3)) if kind == "big-eps" else 1e-8}
        state = {"m": m, "v": v, "t": t}
        expected = _library_step(optim.Adam(**hyper), theta, g, state)
        formula = _adam(theta, g, state, **hyper)
        for key in ("m", "v"):
            _agree(f"Adam ({key})", expected[1][key], formula[1][key])
        _agree("Adam (theta)", expected[0], formula[0])
        _judge_step(name, fn, theta, g, state, hyper, expected, ADAM_MISTAKES, ("m", "v", "t"))
    shape = random_shape(rng) if hidden else (3,)
    hyper = {"lr": float(rng.uniform(0.01, 0.2)), "beta1": 0.9, "beta2": 0.999, "eps": 1e-8}
    _check_trajectory(name, fn, rng, shape, optim.Adam(**hyper),
                      {"m": np.zeros(shape), "v": np.zeros(shape), "t": 0}, hyper)
    _check_two_arrays(name, fn, rng, shape, optim.Adam(**hyper),
                      {"m": np.zeros(shape), "v": np.zeros(shape), "t": 0}, hyper)
    passed(name, len(kinds) + 2, "m, v, bias correction, lr * m_hat / (sqrt(v_hat) + eps), the course's "
                                 "Adam path, and one state per array")


# --- Exercise 4: should_stop -------------------------------------------------------------

def _stop_rule(losses: Any, tol: float) -> bool:
    """The lesson's rule: stop on a non-finite last loss, or when the last change is below tol."""
    losses = [float(v) for v in losses]
    if losses and not np.isfinite(losses[-1]):
        return True
    return len(losses) >= 2 and abs(losses[-1] - losses[-2]) < tol


def _diverged(losses: list[float]) -> bool:
    return bool(losses) and not np.isfinite(losses[-1])


STOP_MISTAKES: dict[str, Callable[[list[float], float], Any]] = {
    "you compared the signed change losses[-2] - losses[-1] with tol: a loss that jumps UP then counts as converged; "
    "use the absolute change abs(losses[-1] - losses[-2]) < tol":
        lambda losses, tol: _diverged(losses) or (len(losses) >= 2 and losses[-2] - losses[-1] < tol),
    "you compared the last loss with the FIRST one; the rule compares the last two losses, "
    "abs(losses[-1] - losses[-2]) < tol":
        lambda losses, tol: _diverged(losses) or (len(losses) >= 2 and abs(losses[-1] - losses[0]) < tol),
    "a NaN or infinite loss is not detected: training has diverged and must stop (np.isfinite)":
        lambda losses, tol: len(losses) >= 2 and abs(losses[-1] - losses[-2]) < tol,
    "a change of exactly tol counts as converged: the rule is a strict abs(losses[-1] - losses[-2]) < tol, not <=":
        lambda losses, tol: _diverged(losses) or (len(losses) >= 2 and abs(losses[-1] - losses[-2]) <= tol),
    "with a single loss you return before looking at it: a NaN or infinite loss means stop even when it is the "
    "only one; test np.isfinite(losses[-1]) before the length check":
        lambda losses, tol: len(losses) >= 2 and (_diverged(losses) or abs(losses[-1] - losses[-2]) < tol),
    "you compared the last loss itself with tol (a small loss is not a small change): "
    "use abs(losses[-1] - losses[-2]) < tol":
        lambda losses, tol: _diverged(losses) or (len(losses) >= 1 and abs(losses[-1]) < tol),
}


def _mistake_answer(wrong: Callable[[list[float], float], Any], losses: list[float], tol: float) -> Any:
    try:
        with np.errstate(all="ignore"):
            return bool(wrong(list(losses), tol))
    except Exception:  # noqa: BLE001 - a mistake model that does not apply matches nothing
        return None


def _history(rng: np.random.Generator, kind: str, hidden: bool) -> tuple[list[float], float, str]:
    """A loss history of a given kind, its tol, and what the rule says about it (in words)."""
    tol = float(10 ** rng.uniform(-6, -2)) if hidden else 1e-4
    n = int(rng.integers(4, 9)) if hidden else 6
    start = float(rng.uniform(0.5, 3.0)) if hidden else 2.0
    # a descent whose changes are all between 10 and 100 times tol (never close to tol)
    steps = tol * rng.uniform(10, 100, size=n - 1) if hidden else tol * np.array([900, 400, 150, 60, 30])
    descent = list(start - np.concatenate([[0.0], np.cumsum(steps)]))
    small = tol * (rng.uniform(0.05, 0.4) if hidden else 0.25)
    if kind == "descent":
        return descent, tol, "the loss still falls by more than tol per epoch, so training goes on (False)"
    if kind == "plateau":
        return descent + [descent[-1] - small], tol, "the last change is below tol, so training stops (True)"
    if kind == "jump":
        return descent + [descent[-1] + 50 * tol], tol, ("the loss went UP by more than tol: that is a change, "
                                                         "not a plateau, so the rule says go on (False)")
    if kind == "nan":
        return descent + [float("nan")], tol, "the last loss is NaN: training diverged and must stop (True)"
    if kind == "inf":
        return descent + [float("inf")], tol, "the last loss is infinite: training diverged and must stop (True)"
    if kind == "short":
        return descent[:1], tol, ("with only one loss there is no change to measure yet, so training goes on "
                                  "(False)")
    if kind == "empty":
        return [], tol, "with no loss recorded yet there is nothing to judge, so training goes on (False)"
    if kind == "boundary":   # the change is EXACTLY tol (dyadic numbers, so no rounding): not below tol, go on
        tol = 2.0 ** -int(rng.integers(7, 20)) if hidden else 2.0 ** -13
        first = np.floor(start * 1024) / 1024
        return [first, first - 40 * tol, first - 41 * tol], tol, ("the last change equals tol exactly; the rule "
                                                                 "stops only when it is BELOW tol, so go on (False)")
    if kind == "nan-alone":
        return [float("nan")], tol, ("the only loss is NaN: training diverged at once and must stop (True), even "
                                     "though there is no change to measure")
    if kind == "low-loss":
        base = tol * 0.3
        return [base + 30 * tol, base + 10 * tol], tol, ("the last loss is tiny, but it still fell by 20 times "
                                                        "tol, so training goes on (False)")
    raise ValueError(kind)


STOP_KINDS = ("descent", "plateau", "jump", "nan", "inf", "short", "empty", "low-loss", "boundary", "nan-alone")


def check_should_stop(fn: Callable[..., Any], rng: np.random.Generator | None = None) -> None:
    """``fn(losses, tol)`` must return True exactly when training should stop.

    ``losses``: the losses so far, oldest first (a list, or a 1-D array); the
    rule: stop (True) when the last loss is NaN or infinite, or when there are
    at least two losses and ``abs(losses[-1] - losses[-2]) < tol``; otherwise
    go on (False).
    """
    rng, hidden = pick_rng(rng)
    name = "should_stop"
    kinds = list(STOP_KINDS)
    if hidden:
        kinds = [str(k) for k in rng.permutation(kinds)] + ["plateau", "descent"]
    cases = [_history(rng, kind, hidden) for kind in kinds]
    answers: list[Any] = []
    for i, (losses, tol, _) in enumerate(cases):
        arg = np.array(losses) if i % 2 else list(losses)   # both a list and an array must work
        try:
            answers.append(_call(fn, name, {"losses": arg, "tol": tol}, 2))
        except CheckFailed as exc:
            answers.append(exc)
    for (losses, tol, why), got in zip(cases, answers):
        expected = _stop_rule(losses, tol)
        shown = f"losses = {fmt(np.array(losses))}, tol = {tol:.3g}"
        if isinstance(got, CheckFailed):
            hint = ("\n  likely cause: with fewer than two losses there is no change yet; return False before "
                    "indexing losses[-2]" if len(losses) < 2 else "")
            raise CheckFailed(f"{got}{hint}")
        if not isinstance(got, (bool, np.bool_)):
            raise CheckFailed(f"{name} should return True or False, but it returned {describe_type(got)}\n"
                              f"  on input: {shown}")
        if bool(got) != expected:
            lines = [f"{name} gives a wrong answer.", f"  on input: {shown}",
                     f"  expected: {expected}", f"  got:      {bool(got)}", f"  why: {why}"]
            for description, wrong in STOP_MISTAKES.items():
                same = all(isinstance(a, (bool, np.bool_)) and bool(a) == _mistake_answer(wrong, ls, t)
                           for (ls, t, _), a in zip(cases, answers))
                if same:
                    lines.append(f"  likely cause: {description}")
                    break
            raise CheckFailed("\n".join(lines))
    passed(name, len(cases), "stops on a plateau or a NaN/inf, goes on while the loss changes by tol or more")


# --- Exercise 5: l2_penalty --------------------------------------------------------------

#: The penalty of one entry, (lam / 2) * p**2; its derivative lam * p comes from sympy.diff.
L2_ENTRY = Symbolic(lambda p, lam: lam / 2 * p ** 2, "p lam")

PENALTY_MISTAKES = {
    "the penalty lacks the factor 1/2: this course uses (lam / 2) * sum(p**2), whose gradient is exactly lam * p":
        lambda params, lam: lam * sum(float(np.sum(p * p)) for p in params),
    "the penalty uses the MEAN of the squares; it is the SUM, (lam / 2) * sum of p**2 over every entry":
        lambda params, lam: lam / 2 * sum(float(np.mean(p * p)) for p in params),
    "this is an L1 penalty (absolute values); L2 squares the entries: (lam / 2) * sum(p**2)":
        lambda params, lam: lam / 2 * sum(float(np.sum(np.abs(p))) for p in params),
    "the squares are missing: the penalty is (lam / 2) * sum(p**2)":
        lambda params, lam: lam / 2 * sum(float(np.sum(p)) for p in params),
    "you took the norm ||p|| instead of its square: the penalty is (lam / 2) * sum(p**2)":
        lambda params, lam: lam / 2 * sum(float(np.sqrt(np.sum(p * p))) for p in params),
}

GRADIENT_MISTAKES = {
    "the gradient is twice too big: with the penalty (lam / 2) * p**2 the derivative is lam * p; 2 * lam * p "
    "belongs to a penalty lam * p**2 without the 1/2": lambda p, lam: 2 * lam * p,
    "the sign is flipped: the gradient of the penalty is +lam * p (the minus comes in the update, "
    "theta - lr * (g + lam * p))": lambda p, lam: -lam * p,
    "this is the gradient of an L1 penalty, lam * sign(p); for L2 it is lam * p": lambda p, lam: lam * np.sign(p),
    "the gradient is half what it should be: the 1/2 of the penalty cancels the 2 of the derivative, leaving "
    "lam * p": lambda p, lam: lam / 2 * p,
    "this is the penalty of each entry, (lam / 2) * p**2, not its derivative lam * p":
        lambda p, lam: lam / 2 * p * p,
}


def check_l2_penalty(fn: Callable[..., Any], rng: np.random.Generator | None = None) -> None:
    """``fn(params, lam)`` must return ``(penalty, grads)`` for the L2 penalty of a list of arrays.

    ``penalty = (lam / 2) * sum of p**2 over every entry of every array`` (a
    float) and ``grads[i] = lam * params[i]`` (one array per parameter, of its
    shape). Expected values: ``sympy.diff`` of ``(lam / 2) * p**2``, confirmed
    by central differences of the total penalty.
    """
    rng, hidden = pick_rng(rng)
    name = "l2_penalty"
    dentry = L2_ENTRY.grad("p")
    n_cases = 3 if hidden else 2
    for c in range(n_cases):
        if hidden:
            count = int(rng.integers(1, 4))
            shapes = [random_shape(rng) or (1,) for _ in range(count)]
        else:
            shapes = [[(2, 3), (3,)], [(3, 1)]][c]
        params = [_array(rng, s, 1.5) for s in shapes]
        lam = float(rng.uniform(0.01, 1.0))
        expected_penalty = sum(float(np.sum(L2_ENTRY.value(p, lam))) for p in params)
        expected_grads = [np.asarray(dentry(p, lam), dtype=np.float64) * np.ones_like(p) for p in params]
        for p, eg in zip(params, expected_grads):
            numeric = gradcheck.numerical_gradient(lambda _: sum(float(np.sum(L2_ENTRY.value(q, lam)))
                                                                 for q in params), p)
            if gradcheck.max_rel_error(eg, numeric, floor=1e-6) > gradcheck.NUMERIC_TOL:
                raise LibraryError("sympy.diff and central differences disagree on the L2 penalty: please report")
        inputs = {"params": [p.copy() for p in params], "lam": lam}
        originals = [p.copy() for p in params]
        got = _call(fn, name, {"params": [p for p in inputs["params"]], "lam": lam}, 2)
        for i, (before, after) in enumerate(zip(originals, inputs["params"])):
            if not np.array_equal(before, after):
                raise CheckFailed(f"{name} changed params[{i}] in place: compute new arrays (lam * p) and leave "
                                  "the parameters as they were")
        if not isinstance(got, (tuple, list)) or len(got) != 2:
            raise CheckFailed(f"{name} should return a pair (penalty, grads), but it returned "
                              f"{describe_type(got) if not isinstance(got, (tuple, list)) else f'{len(got)} values'}")
        penalty, grads = got
        arr = as_array(penalty)
        if arr is not None and arr.ndim > 0 and arr.size > 1:
            raise CheckFailed(f"the penalty from {name} should be ONE number, the sum over every entry of every "
                              f"array, but it has shape {arr.shape}\n  on input: {fmt_inputs(inputs)}")
        compare(f"the penalty from {name}", expected_penalty, penalty if arr is None else arr.reshape(()),
                inputs, mistakes=PENALTY_MISTAKES)
        if not isinstance(grads, (list, tuple)) or len(grads) != len(params):
            raise CheckFailed(f"the gradients from {name} should be a list with one array per parameter "
                              f"({len(params)} here), but they are {describe_type(grads)}"
                              + (f" of length {len(grads)}" if isinstance(grads, (list, tuple)) else ""))
        for i, (p, eg, gg) in enumerate(zip(params, expected_grads, grads)):
            compare(f"grads[{i}] from {name}", eg, gg, {"p": p, "lam": lam}, mistakes=GRADIENT_MISTAKES)
    passed(name, n_cases, "penalty (lam/2) * sum(p**2) and gradient lam * p, as sympy.diff and central "
                          "differences say")


#: Exercises whose hidden tests the grader re-runs outside the student's kernel
#: (autograder/verify.py): all of them, their inputs and outputs being data.
VERIFIED_OUTSIDE = ('sgd_step', 'momentum_step', 'adam_step', 'should_stop', 'l2_penalty')


#: The course library's own functions each exercise may not use, not even copied: its check forbids
#: them, and the exercise's text says so (tests/test_verify.py checks the two agree).
FORBIDDEN_REFERENCES = {
    "sgd_step": ("nn.mlp.sgd_step", "nn.optim.Momentum.update", "nn.optim.Optimizer.step", "nn.optim.SGD.update",
        "nn.optim.train"),
    "momentum_step": ("nn.optim.Momentum.update", "nn.optim.Optimizer.step", "nn.optim.train"),
    "adam_step": ("nn.optim.Adam.update", "nn.optim.Optimizer.step", "nn.optim.train"),
    "should_stop": ("nn.optim.train",),
    "l2_penalty": ("nn.optim.Optimizer.step", "nn.optim.train"),
}


#: The rules of each exercise's answer that the checks apply to every call of the student's function
#: (``backprop_lib.checking.checks``): the inputs it may change in place ({name: position in its signature}; every other array, list or dict it
#: is given must come back as it was; the exercise's text says so) and the kind of value it returns:
#: "array", "number", "numeric" (either), list, dict, a tuple of these, or None (anything).
MAY_MODIFY: dict[str, dict[str, int]] = {}
RETURNS: dict[str, object] = {
    "sgd_step": ("numeric", dict),
    "momentum_step": ("numeric", dict),
    "adam_step": ("numeric", dict),
    "should_stop": None,
    "l2_penalty": ("number", list),
}
