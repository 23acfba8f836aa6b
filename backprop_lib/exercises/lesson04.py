"""Checks of lesson 04, the four equations of backpropagation.

Tasks, one per equation, batch-first (rows are examples):

* ``delta_output(y_hat, y, z, act_prime)``  BP1: delta of the output layer, (m, k)
* ``delta_hidden(delta_next, W_next, z, act_prime)``  BP2: delta one layer down, (m, n)
* ``grad_W(a_prev, delta)``  BP3: d loss/dW of a layer, (n_prev, n)
* ``grad_b(delta)``  BP4: d loss/db of a layer, (n,)

How a check works. It builds small networks (fixed ones for the self-check;
random widths, activations and batch sizes drawn from ``rng`` for the hidden
test) with random weights and a random batch, and lets SymPy
(:mod:`backprop_lib.lessons.symbolic_net`) differentiate the batch-mean squared
error ``loss = (1/m) sum (y_hat - y)**2`` with respect to every ``z``, every
weight and every bias. Each of those derivatives is first confirmed by
central differences, then the student's result is compared with it element
by element.

One mistake is charged once. The inputs an equation needs (the ``delta`` of
the layer above for BP2, the ``delta`` of the layer for BP3 and BP4) are
computed by the library's reference layers and confirmed against SymPy; the
student's other answers are never used.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from ..checking import gradcheck
from ..nn import layers, losses, mlp
from ..nn.activations import ACTIVATIONS as LIBRARY_ACTIVATIONS
from ..checking.checks import CheckFailed, LibraryError, Mistakes, compare, passed, quiet
from ..checking.diagnose import as_array, find_mistake
from ..checking.named_errors import call_named
from ..lessons.symbolic_net import SymbolicNet, symbolic_net
from . import visible_rng

#: Activations the hidden layer of a check network may have, and the output layer.
HIDDEN_ACTIVATIONS = ("sigmoid", "tanh", "relu")
OUTPUT_ACTIVATIONS = ("sigmoid", "tanh")
#: The self-check's networks: (sizes, activations, batch size m). The second is
#: lesson 05's study-and-sleep shape (ReLU hidden layer, sigmoid output).
#: The first has k = 3 outputs: a missing factor 2 (one half) and a division by y.size (one third) then
#: differ, and the second, with k = 1, tells y.size from m apart (there they are equal).
VISIBLE_NETWORKS = [((2, 3, 3), ("sigmoid", "sigmoid"), 4), ((2, 3, 1), ("relu", "sigmoid"), 5)]

#: The library's implementations of these equations: calling them fails the check.
BP1_REFERENCES = [layers.activation_backward, layers.dense_activation_backward, losses.mse, mlp.backward,
                  mlp.loss_and_grads]
BP2_REFERENCES = [layers.dense_backward, layers.activation_backward, layers.dense_activation_backward,
                  mlp.backward, mlp.loss_and_grads]
BP34_REFERENCES = [layers.dense_backward, layers.dense_param_grads, layers.dense_activation_backward,
                   mlp.backward, mlp.loss_and_grads]


@dataclass
class Case:
    """One network and batch, with every derivative the checks need.

    ``zs[l]`` and ``acts[l + 1]`` are the pre-activation and activation of
    layer ``l`` (0-based), each (m, n[l+1]); ``acts[0]`` is ``x``.
    ``deltas[l]`` is d loss/dz of layer ``l`` and ``grads[l]`` its ``(dW, db)``,
    from SymPy, confirmed by central differences. ``ref_deltas`` are the same
    deltas from the library's reference layers (the inputs of BP2 to BP4).
    """

    net: SymbolicNet
    params: list[dict[str, np.ndarray]]
    x: np.ndarray
    y: np.ndarray
    zs: list[np.ndarray]
    acts: list[np.ndarray]
    deltas: list[np.ndarray]
    ref_deltas: list[np.ndarray]
    grads: list[tuple[np.ndarray, np.ndarray]] | None = None

    @property
    def m(self) -> int:
        return len(self.x)

    def act_prime(self, l: int) -> Callable[[np.ndarray], np.ndarray]:
        """The library's derivative function of layer ``l``'s activation (what the student is given)."""
        return LIBRARY_ACTIVATIONS[self.net.activations[l]].df

    def describe(self) -> str:
        widths = "-".join(str(n) for n in self.net.sizes)
        return f"a {widths} network ({', '.join(self.net.activations)}), batch of m = {self.m}"


def _draw_network(rng: np.random.Generator, first: bool) -> tuple[tuple[int, ...], tuple[str, ...], int]:
    """Random widths (n0, n1, n2), activations and batch size of a hidden-test network."""
    n0 = int(rng.integers(1, 4))
    n1 = int(rng.integers(2, 4))
    # The first hidden network always has three outputs and a smooth hidden
    # activation, so that every typical mistake shows in at least one case
    # and no two of them look alike (dividing by y.size is invisible with one
    # output, and with two it is the same as a missing factor 2; a missing
    # ReLU' is invisible when every z > 0).
    n2 = 3 if first else int(rng.integers(1, 3))
    hidden_act = str(rng.choice(HIDDEN_ACTIVATIONS[:2] if first else HIDDEN_ACTIVATIONS))
    out_act = str(rng.choice(OUTPUT_ACTIVATIONS))
    m = int(rng.integers(2, 6)) if first else int(rng.integers(1, 6))   # a batch of one is an edge case too
    return (n0, n1, n2), (hidden_act, out_act), m


def _reference_deltas(net: SymbolicNet, params: list[dict[str, np.ndarray]], zs: list[np.ndarray],
                      acts: list[np.ndarray], y: np.ndarray) -> list[np.ndarray]:
    """The deltas by the library's layers: BP1 at the top, then BP2 downwards."""
    _, dout = losses.mse(acts[-1], y)
    out: list[np.ndarray] = [np.empty(0)] * net.n_layers
    for l in reversed(range(net.n_layers)):
        delta = layers.activation_backward(dout, (zs[l], LIBRARY_ACTIVATIONS[net.activations[l]]))
        out[l] = delta
        dout = layers.dense_backward(delta, (acts[l], params[l]["W"], params[l]["b"]))[0]
    return out


def _confirm(what: str, exact: np.ndarray, numeric: np.ndarray, case_text: str, loss: float = 1.0) -> None:
    """Raise :class:`LibraryError` unless SymPy's ``exact`` agrees with ``numeric``.

    As in :func:`backprop_lib.checking.gradcheck.check_gradients`, differences within the
    round-off of a central difference of a loss of size ``loss``
    (``LOSS_ROUNDOFF * |loss| / H``) count as agreement: a saturated unit has
    deltas of 1e-8 whose central differences carry errors of 1e-11.
    """
    noise = gradcheck.LOSS_ROUNDOFF * max(abs(loss), 1.0) / gradcheck.H
    floor = max(1e-6, noise / gradcheck.NUMERIC_TOL)
    if gradcheck.max_rel_error(exact, numeric, floor=floor) > gradcheck.NUMERIC_TOL:
        raise LibraryError(f"SymPy and {what} disagree on {case_text}: please report this")


def _delta_numeric(net: SymbolicNet, params: list[dict[str, np.ndarray]], z: np.ndarray, l: int,
                   y: np.ndarray) -> np.ndarray:
    """Central differences of the loss with respect to every entry of ``z`` of layer ``l``."""
    def loss_from_z(zl: np.ndarray) -> float:
        a = LIBRARY_ACTIVATIONS[net.activations[l]].f(zl)
        for k in range(l + 1, net.n_layers):
            a = LIBRARY_ACTIVATIONS[net.activations[k]].f(a @ params[k]["W"] + params[k]["b"])
        return float(np.sum((a - y) ** 2)) / len(y)
    return gradcheck.numerical_gradient(loss_from_z, z.copy())


def make_case(sizes: tuple[int, ...], activations: tuple[str, ...], m: int, rng: np.random.Generator,
              with_grads: bool) -> Case:
    """A network of these widths with random weights and a random batch, and its derivatives.

    ``with_grads`` also computes d loss/dW and d loss/db of every layer (BP3, BP4);
    BP1 and BP2 only need the deltas.
    """
    net = symbolic_net(tuple(sizes), tuple(activations))
    params = [{"W": rng.normal(0.0, 1.0, (n_in, n_out)), "b": rng.normal(0.0, 0.5, n_out)}
              for n_in, n_out in zip(sizes[:-1], sizes[1:])]
    x = rng.normal(0.0, 1.0, (m, sizes[0]))
    y = rng.uniform(0.0, 1.0, (m, sizes[-1]))
    zs, acts = net.forward(params, x)
    deltas = net.deltas(params, x, y)
    text = f"{'-'.join(map(str, sizes))} {activations} m={m}"
    for l in range(net.n_layers):
        _confirm(f"central differences (d loss/dz of layer {l + 1})", deltas[l],
                 _delta_numeric(net, params, zs[l], l, y), text, loss=net.loss(params, x, y))
    ref = _reference_deltas(net, params, zs, acts, y)
    for l in range(net.n_layers):
        _confirm(f"the library's reference layers (delta of layer {l + 1})", deltas[l], ref[l], text)
    case = Case(net, params, x, y, zs, acts, deltas, ref)
    if with_grads:
        case.grads = net.param_grads(params, x, y)
        flat = {f"{k}{l + 1}": p[k].copy() for l, p in enumerate(params) for k in ("W", "b")}
        sym = {f"{k}{l + 1}": g for l, (dW, db) in enumerate(case.grads) for k, g in (("W", dW), ("b", db))}

        def loss_fn(p: dict[str, np.ndarray]) -> float:
            return net.loss([{"W": p[f"W{l + 1}"], "b": p[f"b{l + 1}"]} for l in range(net.n_layers)], x, y)

        report = gradcheck.check_gradients(loss_fn, flat, sym)
        if not report.passed:
            raise LibraryError(f"SymPy and central differences disagree on d loss/dW, d loss/db of {text}: "
                               f"please report this\n{report}")
    return case


def cases(rng: np.random.Generator | None, with_grads: bool = False) -> list[Case]:
    """The self-check's two fixed networks (``rng`` None) or two random ones drawn from ``rng``."""
    if rng is None:
        draw = visible_rng()
        return [make_case(sizes, acts, m, draw, with_grads) for sizes, acts, m in VISIBLE_NETWORKS]
    return [make_case(*_draw_network(rng, first=(i == 0)), rng, with_grads) for i in range(2)]


# --- feedback that names a cause only on unambiguous evidence ------------------------------

#: Kinds of generic diagnosis that name a constant factor: they need several entries sharing one ratio.
FACTOR_KINDS = ("factor", "mean_vs_sum")


def _entries_differing(expected: np.ndarray, got: np.ndarray, limit: int = 3) -> str:
    """``entry [i, j]: expected e, got g`` for the worst few differing entries."""
    diff = np.abs(got - expected)
    order = np.argsort(-diff, axis=None)[:limit]
    parts = []
    for flat in order:
        idx = np.unravel_index(int(flat), expected.shape)
        if diff[idx] <= 1e-12 + 1e-6 * abs(expected[idx]):
            break
        where = list(int(i) for i in idx)
        parts.append(f"entry {where}: expected {expected[idx]:.6g}, got {got[idx]:.6g}")
    return "; ".join(parts)


def compare_with_evidence(name: str, expected: np.ndarray | float, got: Any, inputs: dict[str, Any], *,
                          mistakes: Mistakes | None = None) -> None:
    """:func:`~backprop_lib.checking.checks.compare`, with a "likely cause" only where the evidence is unambiguous.

    ``expected`` any shape; ``got`` what the student returned; ``mistakes``
    maps a description to a function of ``inputs`` giving what that slip
    returns. A slip is named only if it matches ``got`` and differs from the
    right answer on these inputs; when two different slips give the same
    numbers here, both are named as possibilities. A constant-factor guess
    needs at least two non-zero entries sharing the ratio; otherwise the
    message says which entries differ, expected against got.
    """
    try:
        compare(name, expected, got, inputs)
        return
    except CheckFailed as failure:
        lines = [line for line in str(failure).split("\n") if not line.startswith("  likely cause:")]
    exp = np.asarray(expected, dtype=np.float64)
    arr = as_array(got)
    hint = None
    if arr is not None and np.issubdtype(arr.dtype, np.number):
        got_f = arr.astype(np.float64)
        fits: list[str] = []
        for description, wrong in (mistakes or {}).items():
            with quiet():
                try:
                    candidate = np.asarray(wrong(**inputs), dtype=np.float64)
                except Exception:  # noqa: BLE001 - a slip that cannot happen on these inputs
                    continue
            if candidate.shape == exp.shape and np.allclose(candidate, exp, rtol=1e-9, atol=1e-15):
                continue  # on these inputs this slip gives the right answer: no evidence either way
            if candidate.shape == got_f.shape and np.allclose(got_f, candidate, rtol=1e-6, atol=1e-12):
                fits.append(description)
        if len(fits) == 1:
            hint = fits[0]
        elif fits:
            hint = "on these inputs your result fits more than one slip: " + "; OR ".join(fits)
    if hint is None:
        found = find_mistake(exp, got)
        if found is not None:
            live = int(np.count_nonzero(np.abs(exp) > 1e-12)) if exp.size else 0
            if found.kind in FACTOR_KINDS and live < 2:
                differs = _entries_differing(exp.reshape(-1) if exp.ndim == 0 else exp,
                                             (arr.astype(np.float64).reshape(-1) if exp.ndim == 0
                                              else arr.astype(np.float64)))
                hint = None
                lines.append(f"  what differs: {differs} (a single number: its ratio alone cannot tell "
                             "which factor is off; recheck each factor of the formula)")
            else:
                hint = found.message
    if hint:
        lines.append(f"  likely cause: {hint}")
    raise CheckFailed("\n".join(lines))


def _shape_text(**arrays: np.ndarray) -> str:
    return ", ".join(f"{k} {tuple(np.shape(v))}" for k, v in arrays.items())


# --- BP1: delta_output -------------------------------------------------------------

DELTA_OUTPUT_MISTAKES = {
    "the activation derivative is missing: BP1 multiplies d loss/d y_hat element-wise by act_prime(z) "
    "(the Hadamard product)":
        lambda y_hat, y, z, act_prime: 2 * (y_hat - y) / len(y),
    "your delta is m times too big: the 1/m of the batch mean is missing, d loss/d y_hat = 2 (y_hat - y) / m":
        lambda y_hat, y, z, act_prime: 2 * (y_hat - y) * act_prime(z),
    "you divided by y.size (m times k, every entry) but the loss sums over the k outputs and averages "
    "over the m rows only: divide by m = y.shape[0]":
        lambda y_hat, y, z, act_prime: 2 * (y_hat - y) / y.size * act_prime(z),
    "your delta is half the expected one: the 2 from differentiating the square (y_hat - y)**2 is missing":
        lambda y_hat, y, z, act_prime: (y_hat - y) / len(y) * act_prime(z),
    "the sign is flipped: d loss/d y_hat = 2 (y_hat - y) / m, not 2 (y - y_hat) / m":
        lambda y_hat, y, z, act_prime: 2 * (y - y_hat) / len(y) * act_prime(z),
    "act_prime takes z, the pre-activation, but you gave it y_hat":
        lambda y_hat, y, z, act_prime: 2 * (y_hat - y) / len(y) * act_prime(y_hat),
    "a matrix product where BP1 has an element-wise (Hadamard) product: use *, not @":
        lambda y_hat, y, z, act_prime: (2 * (y_hat - y) / len(y)) @ act_prime(z),
}


def check_delta_output(fn: Callable[..., Any], rng: np.random.Generator | None = None) -> None:
    """``fn(y_hat, y, z, act_prime)`` must return BP1's delta = d loss/dz of the output layer, (m, k).

    ``loss = (1/m) * sum((y_hat - y)**2)`` over the m rows and k outputs, ``y_hat =
    act(z)``; compared element-wise with ``sympy.diff`` of the whole network's loss.
    """
    name = "delta_output"
    all_cases = cases(rng)
    for case in all_cases:
        L = case.net.n_layers - 1
        inputs = {"y_hat": case.acts[-1].copy(), "y": case.y.copy(), "z": case.zs[L].copy(),
                  "act_prime": case.act_prime(L)}
        got = call_named(fn, name, inputs, mistakes=DELTA_OUTPUT_MISTAKES, forbidden=BP1_REFERENCES,
                         hint="every array here is (m, k): BP1 needs only element-wise operations")
        compare_with_evidence(f"{name} on {case.describe()}", case.deltas[L], got, inputs,
                              mistakes=DELTA_OUTPUT_MISTAKES)
    passed(name, len(all_cases), "matches sympy.diff of the loss with respect to every output z, "
           "confirmed by central differences")


# --- BP2: delta_hidden -------------------------------------------------------------

TRANSPOSE_HINT = ("W_next must be transposed: delta_next is (m, n_next) and W_next is (n, n_next), so in "
                  "batch-first code BP2 is (delta_next @ W_next.T) * act_prime(z), of shape (m, n); "
                  "the column form W^T delta of the textbook form works on columns, not on rows")

DELTA_HIDDEN_MISTAKES = {
    TRANSPOSE_HINT:
        lambda delta_next, W_next, z, act_prime: (delta_next @ W_next) * act_prime(z),
    "W_next must be transposed on the right of delta_next: you wrote the column form W_next.T @ delta_next; "
    "with rows as examples BP2 is (delta_next @ W_next.T) * act_prime(z)":
        lambda delta_next, W_next, z, act_prime: (W_next.T @ delta_next) * act_prime(z),
    "the activation derivative is missing: BP2 multiplies delta_next @ W_next.T element-wise by act_prime(z) "
    "(the Hadamard product)":
        lambda delta_next, W_next, z, act_prime: delta_next @ W_next.T,
    "you multiplied by z itself: the Hadamard factor is act_prime(z), the derivative of the activation":
        lambda delta_next, W_next, z, act_prime: (delta_next @ W_next.T) * z,
    "a matrix product where BP2 has an element-wise (Hadamard) product with act_prime(z): use *, not @":
        lambda delta_next, W_next, z, act_prime: (delta_next @ W_next.T) @ act_prime(z),
    "act_prime is applied to delta_next @ W_next.T; it belongs to z: (delta_next @ W_next.T) * act_prime(z)":
        lambda delta_next, W_next, z, act_prime: act_prime(delta_next @ W_next.T),
}


def check_delta_hidden(fn: Callable[..., Any], rng: np.random.Generator | None = None) -> None:
    """``fn(delta_next, W_next, z, act_prime)`` must return BP2's delta of a hidden layer, (m, n).

    ``delta_next`` (m, n_next) comes from the library (not from the student's
    BP1); the expected delta is ``sympy.diff`` of the loss with respect to
    every hidden ``z``.
    """
    name = "delta_hidden"
    all_cases = cases(rng)
    for case in all_cases:
        for l in range(case.net.n_layers - 1):
            inputs = {"delta_next": case.ref_deltas[l + 1].copy(), "W_next": case.params[l + 1]["W"].copy(),
                      "z": case.zs[l].copy(), "act_prime": case.act_prime(l)}
            hint = (f"shapes: {_shape_text(delta_next=inputs['delta_next'], W_next=inputs['W_next'], z=inputs['z'])}"
                    "; BP2 is (delta_next @ W_next.T) * act_prime(z)")
            got = call_named(fn, name, inputs, mistakes=DELTA_HIDDEN_MISTAKES, forbidden=BP2_REFERENCES, hint=hint)
            compare_with_evidence(f"{name} on {case.describe()}, hidden layer {l + 1}", case.deltas[l], got,
                                  inputs, mistakes=DELTA_HIDDEN_MISTAKES)
    passed(name, len(all_cases), "matches sympy.diff of the loss with respect to every hidden z, "
           "confirmed by central differences")


# --- BP3: grad_W -------------------------------------------------------------------

GRAD_W_MISTAKES = {
    "transposed: dW must have the shape of W, (n_prev, n); the product is a_prev.T @ delta, not delta.T @ a_prev":
        lambda a_prev, delta: delta.T @ a_prev,
    "your dW is m times too small: delta already holds the 1/m of the batch mean, so do not divide by m again":
        lambda a_prev, delta: a_prev.T @ delta / len(delta),
    "your dW uses only the first example: BP3 sums the outer products a_prev[i] delta[i] over ALL rows, "
    "which is exactly a_prev.T @ delta":
        lambda a_prev, delta: np.outer(a_prev[0], delta[0]),
    "the product runs over the wrong axis: a_prev @ delta.T pairs examples with examples; "
    "dW = a_prev.T @ delta sums over the m examples":
        lambda a_prev, delta: a_prev @ delta.T,
    "an element-wise product where BP3 has a matrix product over the examples: dW = a_prev.T @ delta":
        lambda a_prev, delta: a_prev.T * delta,
}


def check_grad_W(fn: Callable[..., Any], rng: np.random.Generator | None = None) -> None:
    """``fn(a_prev, delta)`` must return BP3's d loss/dW = a_prev.T @ delta, (n_prev, n), for every layer.

    ``delta`` comes from the library; the expected dW is ``sympy.diff`` of
    the loss with respect to every weight (confirmed by central differences).
    """
    name = "grad_W"
    all_cases = cases(rng, with_grads=True)
    n = 0
    for case in all_cases:
        for l in range(case.net.n_layers):
            inputs = {"a_prev": case.acts[l].copy(), "delta": case.ref_deltas[l].copy()}
            hint = (f"shapes: {_shape_text(**inputs)}; dW = a_prev.T @ delta is "
                    f"(n_prev, m) @ (m, n) = {case.params[l]['W'].shape}")
            got = call_named(fn, name, inputs, mistakes=GRAD_W_MISTAKES, forbidden=BP34_REFERENCES, hint=hint)
            compare_with_evidence(f"{name} for layer {l + 1} of {case.describe()}", case.grads[l][0], got,
                                  inputs, mistakes=GRAD_W_MISTAKES)
            n += 1
    passed(name, n, "matches sympy.diff of the loss with respect to every weight, confirmed by central differences")


# --- BP4: grad_b -------------------------------------------------------------------

GRAD_B_MISTAKES = {
    "summed over axis 1 (the units) instead of axis 0 (the examples): db = delta.sum(axis=0)":
        lambda delta: delta.sum(axis=1),
    "your db is m times too small: a mean where BP4 has a sum (delta already holds the 1/m of the batch mean); "
    "use delta.sum(axis=0)":
        lambda delta: delta.mean(axis=0),
    "keepdims=True gives shape (1, n), but b and db have shape (n,): drop keepdims":
        lambda delta: delta.sum(axis=0, keepdims=True),
    "you summed over everything, examples AND units: sum over the examples only, delta.sum(axis=0)":
        lambda delta: delta.sum(),
    "one row per example: b is shared by all m examples, so its gradient sums the rows, delta.sum(axis=0)":
        lambda delta: delta,
    "only the first example: sum delta over all the rows, delta.sum(axis=0)":
        lambda delta: delta[0],
}


def check_grad_b(fn: Callable[..., Any], rng: np.random.Generator | None = None) -> None:
    """``fn(delta)`` must return BP4's d loss/db = delta summed over the rows, (n,), for every layer.

    ``delta`` comes from the library; the expected db is ``sympy.diff`` of
    the loss with respect to every bias (confirmed by central differences).
    """
    name = "grad_b"
    all_cases = cases(rng, with_grads=True)
    n = 0
    for case in all_cases:
        for l in range(case.net.n_layers):
            inputs = {"delta": case.ref_deltas[l].copy()}
            got = call_named(fn, name, inputs, mistakes=GRAD_B_MISTAKES, forbidden=BP34_REFERENCES,
                             hint=f"delta is (m, n) = {inputs['delta'].shape}; db = delta.sum(axis=0) is (n,)")
            compare_with_evidence(f"{name} for layer {l + 1} of {case.describe()}", case.grads[l][1], got,
                                  inputs, mistakes=GRAD_B_MISTAKES)
            n += 1
    passed(name, n, "matches sympy.diff of the loss with respect to every bias, confirmed by central differences")



#: Exercises whose hidden tests the grader re-runs outside the student's kernel
#: (autograder/verify.py): all of them.
VERIFIED_OUTSIDE = ('delta_output', 'delta_hidden', 'grad_W', 'grad_b')


#: The course library's own functions each exercise may not use, not even copied: its check forbids
#: them, and the exercise's text says so (tests/test_verify.py checks the two agree).
FORBIDDEN_REFERENCES = {
    "delta_output": ("nn.layers.activation_backward", "nn.layers.dense_activation_backward", "nn.losses.mse", "nn.mlp.backward",
        "nn.mlp.loss_and_grads"),
    "delta_hidden": ("nn.layers.activation_backward", "nn.layers.dense_activation_backward", "nn.layers.dense_backward",
        "nn.mlp.backward", "nn.mlp.loss_and_grads"),
    "grad_W": ("nn.layers.dense_activation_backward", "nn.layers.dense_backward", "nn.layers.dense_param_grads",
        "nn.mlp.backward", "nn.mlp.loss_and_grads"),
    "grad_b": ("nn.layers.dense_activation_backward", "nn.layers.dense_backward", "nn.layers.dense_param_grads",
        "nn.mlp.backward", "nn.mlp.loss_and_grads"),
}


#: The rules of each exercise's answer that the checks apply to every call of the student's function
#: (``backprop_lib.checking.checks``): the inputs it may change in place ({name: position in its signature}; every other array, list or dict it
#: is given must come back as it was; the exercise's text says so) and the kind of value it returns:
#: "array", "number", "numeric" (either), list, dict, a tuple of these, or None (anything).
MAY_MODIFY: dict[str, dict[str, int]] = {}
RETURNS: dict[str, object] = {
    "delta_output": "array",
    "delta_hidden": "array",
    "grad_W": "array",
    "grad_b": "array",
}
