"""Checks of lesson 09, the capstone: a deeper network on the spirals.

Tasks: ``softmax_cross_entropy``, ``mlp_forward``, ``mlp_backward``,
``train_spirals``. Each ``check_<task>(fn, rng=None)`` runs seeded cases
when ``rng`` is None (the self-check) and fresh cases, with random shapes and
depths, otherwise (the hidden test).

The network of this lesson (batch-first, any depth)::

    params = [{"W": W1, "b": b1}, ..., {"W": WL, "b": bL}]      W_l: (n_{l-1}, n_l), b_l: (n_l,)
    z_l = a_{l-1} @ W_l + b_l,   a_l = relu(z_l) for l < L,   the logits z_L are the output
    caches[l] = (a_{l-1}, z_l)   (the layer's input and its pre-activation)

Where the expected values come from
    * ``softmax_cross_entropy``: ``sympy.diff`` of one row's loss
      ``-z_y + log(sum_j exp(z_j))`` (at logits shifted by their row maximum,
      which leaves softmax unchanged and keeps ``exp`` finite), confirmed by
      central differences of the library's loss.
    * ``mlp_forward``: the library's :func:`backprop_lib.nn.mlp.forward`, and the
      caches written out here.
    * ``mlp_backward``: central differences of ``sum(dout * z_L)`` with respect
      to every parameter (whose gradient with respect to ``z_L`` is exactly
      ``dout``), agreeing with the library's :func:`backprop_lib.nn.mlp.backward`.
      The caches are built by the check, never by the student's forward.
    * ``train_spirals``: the student's training loop is run with the
      library's gradients (``mlp.loss_and_grads``), so a mistake in the
      earlier exercises is not charged again; the trained network must reach
      :data:`TARGET_ACCURACY` on its training data, measured with the
      library's forward. Deterministic for a given ``rng``.

Every call of the student's code forbids the library's reference for the same job.
"""
from __future__ import annotations

import time
from typing import Any, Callable, Mapping

import numpy as np
import sympy as sp

from ..nn import activations, datasets, layers, losses, mlp, optim
from ..checking import gradcheck
from ..checking.checks import CheckFailed, LibraryError, call_student, compare, fmt, passed
from ..checking.diagnose import as_array, describe_type
from ..checking.named_errors import call_named
from ..checking.symbolic import Symbolic
from . import pick_rng

#: Training accuracy the spirals network must reach (the lesson states it).
TARGET_ACCURACY = 0.95
#: The data set of exercise 4: this many points, in this many spiral arms.
SPIRAL_POINTS, SPIRAL_CLASSES = 300, 3
#: Above this many seconds the self-check suggests a faster recipe (grading stops a cell much later).
SLOW_SECONDS = 3.0

# What each exercise may not call: only the library functions that would answer it (the rule of every
# exercise of the course). Everything else of backprop_lib is allowed; in particular the training loop of
# exercise 4 may use mlp.init_params and the optimisers of optim (the lesson suggests them), but not
# optim.train, which is a whole training loop.
FORWARD_REFERENCES = (layers.dense_forward, layers.activation_forward, layers.dense_activation_forward,
                      mlp.forward)
BACKWARD_REFERENCES = (layers.dense_backward, layers.dense_param_grads, layers.activation_backward,
                       layers.dense_activation_backward, mlp.backward, mlp.loss_and_grads)
LOSS_REFERENCES = (losses.softmax_cross_entropy, activations.softmax, activations.log_softmax)
TRAINING_REFERENCES = (optim.train,)



def _pair(got: Any, name: str, what: str) -> tuple[Any, Any]:
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        shown = f"{len(got)} values" if isinstance(got, (tuple, list)) else describe_type(got)
        raise CheckFailed(f"{name} should return a pair {what}, but it returned {shown}")
    return got[0], got[1]


class _Network(list):
    """A list of ``{"W", "b"}`` layer dicts that prints as its layer sizes in failure messages."""

    def __repr__(self) -> str:
        sizes = [self[0]["W"].shape[0]] + [layer["W"].shape[1] for layer in self]
        return f"a {'-'.join(map(str, sizes))} network (random W and b)"


# --- Exercise 1: softmax_cross_entropy ---------------------------------------------------

_ROW_LOSS: dict[int, Callable[..., list[np.ndarray]]] = {}


def row_loss(k: int) -> Callable[..., list[np.ndarray]]:
    """One row's cross-entropy ``-sum_j y_j z_j + log(sum_j exp(z_j))`` for ``k`` classes (one-hot y).

    Returns a NumPy function of ``(z_0, ..., z_{k-1}, y_0, ..., y_{k-1})``
    giving ``[value, d/dz_0, ..., d/dz_{k-1}]``, from ``sympy.diff``;
    compiled once per ``k``.
    """
    if k not in _ROW_LOSS:
        names = [f"z{j}" for j in range(k)] + [f"y{j}" for j in range(k)]

        def forward(*s: sp.Symbol) -> sp.Expr:
            z, y = s[:k], s[k:]
            return -sum(yj * zj for yj, zj in zip(y, z)) + sp.log(sum(sp.exp(zj) for zj in z))

        sym = Symbolic(forward, names)
        # one lambdify for the value and all k partial derivatives: compiling is the slow part
        exprs = [sym.expr] + [sym.derivative(j) for j in range(k)]
        compiled = sp.lambdify(list(sym.symbols), exprs, modules="numpy")

        def evaluate(*args: np.ndarray) -> list[np.ndarray]:
            arrays = [np.asarray(a, dtype=np.float64) for a in args]
            shape = np.broadcast_shapes(*(a.shape for a in arrays))
            with np.errstate(all="ignore"):
                return [np.broadcast_to(np.asarray(v, dtype=np.float64), shape) for v in compiled(*arrays)]

        _ROW_LOSS[k] = evaluate
    return _ROW_LOSS[k]


def _softmax(z: np.ndarray, axis: int = 1) -> np.ndarray:
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _one_hot(y: np.ndarray, k: int) -> np.ndarray:
    return np.eye(k)[y]


def _ce(z: np.ndarray, y: np.ndarray) -> float:
    m = len(y)
    shifted = z - z.max(axis=1, keepdims=True)
    return float(np.mean(np.log(np.exp(shifted).sum(axis=1)) - shifted[np.arange(m), y]))


SOFTMAX_LOSS_MISTAKES = {
    "the loss is SUMMED over the batch: this course averages over the m rows (divide by m)":
        lambda z, y: _ce(z, y) * len(y),
    "the minus sign is missing: the loss is -mean(log p[i, y_i]), a positive number":
        lambda z, y: -_ce(z, y),
    "the softmax is taken over the wrong axis: each ROW (one example) must sum to 1, so normalise with "
    "axis=1": lambda z, y: float(-np.mean(np.log(_softmax(z, axis=0)[np.arange(len(y)), y]))),
}

SOFTMAX_DZ_MISTAKES = {
    "dz is the softmax itself: subtract the one-hot targets, dz = (softmax(z) - Y) / m":
        lambda z, y: _softmax(z) / len(y),
    "the 1/m of the batch mean is missing: dz = (softmax(z) - Y) / m":
        lambda z, y: _softmax(z) - _one_hot(y, z.shape[1]),
    "the sign is flipped: dz = (softmax(z) - Y) / m, not (Y - softmax(z)) / m":
        lambda z, y: (_one_hot(y, z.shape[1]) - _softmax(z)) / len(y),
    "you divided by m * k (every entry); the loss averages over the m rows only: divide by m":
        lambda z, y: (_softmax(z) - _one_hot(y, z.shape[1])) / z.size,
    "the softmax is taken over the wrong axis: each ROW must sum to 1 (axis=1)":
        lambda z, y: (_softmax(z, axis=0) - _one_hot(y, z.shape[1])) / len(y),
}


def _softmax_cases(rng: np.random.Generator, hidden: bool) -> list[tuple[np.ndarray, np.ndarray, bool]]:
    """(z, y, big) cases; ``big`` cases have logits in the hundreds, where a naive exp overflows."""
    cases = []
    shapes = [(int(rng.integers(1, 7)), int(rng.integers(2, 6))) for _ in range(2)] if hidden else [(4, 3), (5, 2)]
    for m, k in shapes:
        cases.append((rng.normal(0, 2, (m, k)), rng.integers(0, k, m), False))
    m, k = (int(rng.integers(2, 6)), int(rng.integers(2, 5))) if hidden else (3, 3)
    cases.append((rng.normal(0, 1, (m, k)) + rng.choice([-1, 1], (m, 1)) * rng.uniform(700, 900, (m, 1)),
                  rng.integers(0, k, m), True))
    return cases


def check_softmax_cross_entropy(fn: Callable[..., Any], rng: np.random.Generator | None = None) -> None:
    """``fn(z, y)`` with logits ``z`` (m, k) and labels ``y`` (m,) must return ``(loss, dz)``.

    ``loss = mean over rows of (-log softmax(z)[i, y_i])`` (a float) and
    ``dz = (softmax(z) - one_hot(y)) / m`` of shape (m, k), finite even for
    logits in the hundreds.
    """
    rng, hidden = pick_rng(rng)
    name = "softmax_cross_entropy"
    cases = _softmax_cases(rng, hidden)
    for z, y, big in cases:
        m, k = z.shape
        Y = _one_hot(y, k)
        shifted = z - z.max(axis=1, keepdims=True)   # softmax and the loss do not change under a row shift
        value, *partials = row_loss(k)(*shifted.T, *Y.T)
        expected_loss = float(np.mean(value))
        expected_dz = np.column_stack(partials) / m
        lib_loss, _ = losses.softmax_cross_entropy(z, y)
        numeric = gradcheck.numerical_gradient(lambda zz: losses.softmax_cross_entropy(zz, y)[0], z.copy())
        if (abs(lib_loss - expected_loss) > 1e-9 * max(1.0, abs(expected_loss))
                or gradcheck.max_rel_error(expected_dz, numeric, floor=1e-6) > gradcheck.NUMERIC_TOL):
            raise LibraryError("sympy.diff, the library and central differences disagree on softmax "
                               "cross-entropy: please report this")
        inputs = {"z": z, "y": y}
        got_loss, got_dz = _pair(call_student(fn, name, z.copy(), y.copy(), forbidden=LOSS_REFERENCES),
                                 name, "(loss, dz)")
        arr = as_array(got_loss)
        if arr is not None and arr.size != 1:
            raise CheckFailed(f"the loss from {name} should be one number (the mean over the batch), but it has "
                              f"shape {arr.shape}\n  on input: z = {fmt(z, 100)}, y = {fmt(y)}")
        for label, value in (("loss", got_loss), ("dz", got_dz)):
            a = as_array(value)
            if big and a is not None and np.issubdtype(a.dtype, np.number) and not np.all(np.isfinite(a)):
                raise CheckFailed(
                    f"the {label} from {name} is not finite for large logits (in the hundreds): exp(z) "
                    f"overflows. Subtract each row's maximum first, z - z.max(axis=1, keepdims=True): "
                    f"softmax does not change, and exp never sees a large number.\n"
                    f"  on input: z = {fmt(z, 120)}, y = {fmt(y)}\n  got: {fmt(value, 120)}")
        compare(f"the loss from {name}", expected_loss, got_loss if arr is None else arr.reshape(()), inputs,
                mistakes=SOFTMAX_LOSS_MISTAKES)
        compare(f"dz from {name}", expected_dz, got_dz, inputs, mistakes=SOFTMAX_DZ_MISTAKES)
    passed(name, len(cases), "loss and dz match sympy.diff and central differences, large logits included")


# --- Exercise 2: mlp_forward ---------------------------------------------------------------

def _network(rng: np.random.Generator, hidden: bool) -> tuple[list[dict[str, np.ndarray]], np.ndarray]:
    """A random ReLU network and a batch in which no hidden pre-activation is within 1e-3 of the kink."""
    if hidden:
        n_layers = int(rng.integers(2, 5))
        sizes = [int(s) for s in rng.integers(1, 6, size=n_layers + 1)]
        sizes[-1] = max(sizes[-1], 2)
        m = int(rng.integers(2, 7))
    else:
        sizes, m = [2, 4, 4, 3], 5
    for _ in range(200):
        params = [{"W": rng.normal(0, 1.0, (a, b)), "b": rng.normal(0, 0.5, b)} for a, b in zip(sizes[:-1], sizes[1:])]
        x = rng.normal(0, 1, (m, sizes[0]))
        zs = _forward_all(params, x)[1]
        hidden_z = np.concatenate([z.ravel() for z in zs[:-1]])
        if np.abs(hidden_z).min() > 1e-3 and (hidden_z > 0).mean() > 0.3:
            return params, x
    raise LibraryError("could not draw a network away from the ReLU kink: please report this")


def _forward_all(params: list[dict[str, np.ndarray]], x: np.ndarray, *, relu_out: bool = False,
                 relu_hidden: bool = True, bias: bool = True) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The inputs a_{l-1} and pre-activations z_l of every layer (optionally with a typical mistake)."""
    a, inputs, zs = x, [], []
    for l, layer in enumerate(params):
        z = a @ layer["W"] + (layer["b"] if bias else 0.0)
        inputs.append(a)
        zs.append(z)
        last = l == len(params) - 1
        a = np.maximum(z, 0) if ((relu_hidden and not last) or (relu_out and last)) else z
    return inputs, zs + ([a] if relu_out else [])


def _forward_output(params: list[dict[str, np.ndarray]], x: np.ndarray, **flags: bool) -> np.ndarray:
    inputs, zs = _forward_all(params, x, **flags)
    return zs[-1]


FORWARD_MISTAKES = {
    "a ReLU was applied to the output layer too: the last layer returns its raw scores z_L (logits), which "
    "may be negative": lambda params, x: _forward_output(params, x, relu_out=True),
    "the ReLU between the layers is missing: a_l = relu(z_l) for every layer but the last":
        lambda params, x: _forward_output(params, x, relu_hidden=False),
    "the biases are missing: z_l = a_{l-1} @ W_l + b_l": lambda params, x: _forward_output(params, x, bias=False),
}

FORWARD_RAISES = {
    "W is used transposed: batch-first means z = a @ W (a is (m, n_in), W is (n_in, n_out))":
        lambda params, x: [np.maximum(x @ p["W"].T, 0) for p in params],
}


def check_mlp_forward(fn: Callable[..., Any], rng: np.random.Generator | None = None) -> None:
    """``fn(params, x)`` must return ``(z_L, caches)`` with ``caches[l] = (a_{l-1}, z_l)``.

    Hidden layers use ReLU; the output layer is linear (it returns logits).
    """
    rng, hidden = pick_rng(rng)
    name = "mlp_forward"
    n_cases = 3 if hidden else 2
    for _ in range(n_cases):
        params, x = _network(rng, hidden)
        sizes = "-".join(str(s) for s in [params[0]["W"].shape[0]] + [p["W"].shape[1] for p in params])
        expected, _ = mlp.forward(params, x)
        inputs_l, zs = _forward_all(params, x)
        if gradcheck.max_rel_error(expected, zs[-1]) > 1e-12:
            raise LibraryError("mlp.forward disagrees with the formula: please report this")
        copies = [{k: v.copy() for k, v in p.items()} for p in params]
        got = call_named(fn, name, {"params": copies, "x": x.copy()}, mistakes=FORWARD_RAISES,
                         forbidden=FORWARD_REFERENCES)
        z_out, caches = _pair(got, name, "(z_L, caches)")
        inputs = {"params": _Network(params), "x": x}
        compare(f"the output z_L of {name} for a {sizes} network", expected, z_out, inputs, mistakes=FORWARD_MISTAKES)
        if not isinstance(caches, (list, tuple)) or len(caches) != len(params):
            raise CheckFailed(f"the caches from {name} should be a list with one (a_prev, z) pair per layer "
                              f"({len(params)} here), but they are {describe_type(caches)}"
                              + (f" of length {len(caches)}" if isinstance(caches, (list, tuple)) else ""))
        for l, (cache, a_prev, z) in enumerate(zip(caches, inputs_l, zs)):
            if not isinstance(cache, (list, tuple)) or len(cache) != 2:
                raise CheckFailed(f"caches[{l}] from {name} should be the pair (a_prev, z), but it is "
                                  f"{describe_type(cache)}")
            out = np.maximum(z, 0) if l < len(params) - 1 else z
            compare(f"caches[{l}][0] (the INPUT a_prev of layer {l + 1}) from {name}", a_prev, cache[0], inputs,
                    mistakes={f"caches[{l}][0] holds the layer's OUTPUT; the cache keeps its input a_prev "
                              "(x for the first layer), which the backward pass needs for dW = a_prev.T @ delta":
                              lambda params, x, out=out: out})
            compare(f"caches[{l}][1] (the pre-activation z of layer {l + 1}) from {name}", z, cache[1], inputs,
                    mistakes={f"caches[{l}][1] holds relu(z); the cache keeps z itself (the backward pass "
                              "needs it for the ReLU mask z > 0)": lambda params, x, out=out: np.maximum(z, 0)})
    passed(name, n_cases, "z_L equals the library's forward, and every cache holds (a_prev, z)")


# --- Exercise 3: mlp_backward --------------------------------------------------------------

def _backward_variant(dout: np.ndarray, params: list[dict[str, np.ndarray]], x: np.ndarray, *,
                      mask: bool = True, mask_out: bool = False, db_mean: bool = False,
                      over_m: bool = False) -> list[dict[str, np.ndarray]]:
    """The gradients of sum(dout * z_L), correct or with one typical mistake."""
    inputs_l, zs = _forward_all(params, x)
    m = x.shape[0]
    grads: list[dict[str, np.ndarray]] = [{} for _ in params]
    delta = dout * (zs[-1] > 0) if mask_out else dout
    for l in reversed(range(len(params))):
        dW = inputs_l[l].T @ delta
        db = delta.mean(axis=0) if db_mean else delta.sum(axis=0)
        grads[l] = {"W": dW / m if over_m else dW, "b": db}
        if l > 0:
            da = delta @ params[l]["W"].T
            delta = da * (zs[l - 1] > 0) if mask else da
    return grads


BACKWARD_MISTAKES = {
    "the ReLU mask is missing: going down a layer, delta_prev = (delta @ W.T) * (z_prev > 0)":
        dict(mask=False),
    "the output layer has no ReLU, so its delta is dz_out itself; you applied the mask (z_L > 0) there too":
        dict(mask_out=True),
    "db is the MEAN of delta over the rows; the 1/m is already inside dz_out, so sum: delta.sum(axis=0)":
        dict(db_mean=True),
    "dW was divided by m, but the 1/m is already inside dz_out (a second 1/m)": dict(over_m=True),
}


def _same(got: Any, want: np.ndarray) -> bool:
    arr = as_array(got)
    return (arr is not None and arr.shape == want.shape
            and bool(np.allclose(arr.astype(np.float64), want, rtol=1e-6, atol=1e-12)))


def _grads_list(got: Any, name: str, n_layers: int) -> list[Mapping[str, Any]]:
    if not isinstance(got, (list, tuple)) or len(got) != n_layers:
        raise CheckFailed(f"{name} should return a list with one {{'W': dW, 'b': db}} dict per layer "
                          f"({n_layers} here), but it returned {describe_type(got)}"
                          + (f" of length {len(got)}" if isinstance(got, (list, tuple)) else ""))
    for l, g in enumerate(got):
        if not isinstance(g, Mapping) or "W" not in g or "b" not in g:
            raise CheckFailed(f"grads[{l}] from {name} should be a dict {{'W': dW, 'b': db}}, but it is "
                              f"{describe_type(g)}")
    return list(got)


def check_mlp_backward(fn: Callable[..., Any], rng: np.random.Generator | None = None) -> None:
    """``fn(dz_out, caches, params)`` must return ``[{"W": dW_l, "b": db_l}, ...]``, first layer first.

    ``dz_out`` is dL/dz_L (m, n_L) and ``caches[l] = (a_{l-1}, z_l)`` (built
    here by the library, not by your forward). Every entry is compared with
    central differences of ``sum(dz_out * z_L)``.
    """
    rng, hidden = pick_rng(rng)
    name = "mlp_backward"
    n_cases = 3 if hidden else 2
    for _ in range(n_cases):
        params, x = _network(rng, hidden)
        n = len(params)
        sizes = "-".join(str(s) for s in [params[0]["W"].shape[0]] + [p["W"].shape[1] for p in params])
        inputs_l, zs = _forward_all(params, x)
        dout = rng.normal(0, 1, zs[-1].shape)
        flat = {f"{k}{l + 1}": params[l][k].copy() for l in range(n) for k in ("W", "b")}

        def linear_loss(p: Mapping[str, np.ndarray]) -> float:
            net = [{"W": p[f"W{l + 1}"], "b": p[f"b{l + 1}"]} for l in range(n)]
            return float(np.sum(dout * mlp.forward(net, x)[0]))

        y_hat, lib_caches = mlp.forward(params, x)
        expected = mlp.backward(dout, lib_caches)
        report = gradcheck.check_gradients(linear_loss, flat, {f"{k}{l + 1}": expected[l][k]
                                                               for l in range(n) for k in ("W", "b")})
        if not report.passed:
            raise LibraryError(f"mlp.backward disagrees with central differences: please report this\n{report}")
        caches = [(a.copy(), z.copy()) for a, z in zip(inputs_l, zs)]
        got = call_student(fn, name, dout.copy(), caches, [{k: v.copy() for k, v in p.items()} for p in params],
                           forbidden=BACKWARD_REFERENCES)
        grads = _grads_list(got, name, n)
        if n > 1 and all(_same(grads[n - 1 - l][k], expected[l][k]) for l in range(n) for k in ("W", "b")) \
                and not all(_same(grads[l][k], expected[l][k]) for l in range(n) for k in ("W", "b")):
            raise CheckFailed(f"{name} returned the right gradients in the reverse order: grads[0] must belong "
                              "to the FIRST layer. You filled the list from the last layer down; reverse it "
                              "(grads[::-1]) or fill grads[l] by index.")
        for l in reversed(range(n)):
            for k in ("W", "b"):
                variants = {d: (lambda dz_out, x, params, flags=f, l=l, k=k:
                                _backward_variant(dz_out, params, x, **flags)[l][k])
                            for d, f in BACKWARD_MISTAKES.items()}
                compare(f"grads[{l}][{k!r}] (d{k}{l + 1}) from {name} for a {sizes} network", expected[l][k],
                        grads[l][k], {"dz_out": dout, "x": x, "params": _Network(params)}, mistakes=variants)
    passed(name, n_cases, "every dW and db match central differences of sum(dz_out * z_L)")


# --- Exercise 4: train_spirals --------------------------------------------------------------

def library_loss_and_grads(params: list[dict[str, np.ndarray]], x: np.ndarray,
                           y: np.ndarray) -> tuple[float, list[dict[str, np.ndarray]]]:
    """The library's ``(loss, grads)`` of a ReLU network with softmax cross-entropy: what the check passes."""
    return mlp.loss_and_grads(params, x, y, "softmax_cross_entropy")


def spiral_data(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The data set of exercise 4: :data:`SPIRAL_POINTS` points in :data:`SPIRAL_CLASSES` arms."""
    return datasets.spirals(rng, SPIRAL_POINTS, SPIRAL_CLASSES)


def _symmetric_layer(params: list[Mapping[str, Any]]) -> int | None:
    """The first hidden layer whose units all have the same incoming weights (a symmetric init), if any."""
    for l, layer in enumerate(params[:-1]):
        W = np.asarray(layer["W"], dtype=np.float64)
        if W.ndim == 2 and W.shape[1] > 1 and np.allclose(W, W[:, :1], rtol=1e-9, atol=1e-12):
            return l
    return None


def _check_structure(params: Any, name: str) -> list[Mapping[str, np.ndarray]]:
    if not isinstance(params, (list, tuple)) or not all(isinstance(p, Mapping) and "W" in p and "b" in p
                                                        for p in params):
        raise CheckFailed(f"{name} should return (params, losses) with params a list of {{'W': W, 'b': b}} "
                          f"dicts, one per layer; params is {describe_type(params)}")
    shapes = [np.shape(p["W"]) for p in params]
    if len(params) < 3:
        raise CheckFailed(f"{name} trained a network with {len(params)} layer(s) (W shapes {shapes}); the "
                          "capstone asks for a deeper one, at least two hidden layers: sizes=(2, 32, 32, 3)")
    if shapes[0][0] != 2 or shapes[-1][1] != SPIRAL_CLASSES or any(
            np.shape(p["b"]) != (s[1],) for p, s in zip(params, shapes)) or any(
            a[1] != b[0] for a, b in zip(shapes[:-1], shapes[1:])):
        raise CheckFailed(f"the network returned by {name} has W shapes {shapes} and b shapes "
                          f"{[np.shape(p['b']) for p in params]}: it needs 2 inputs, {SPIRAL_CLASSES} outputs, "
                          "W_l of shape (n_{l-1}, n_l) and b_l of shape (n_l,)")
    return list(params)


class _ZeroGradientProbe:
    """The library's ``loss_and_grads``, except that one array gets a zero gradient at every epoch.

    The array chosen is the second of the first two arrays of one shape (for
    ``sizes=(2, 32, 32, 3)``: b2, beside b1). Any update rule that keeps its
    memory per array leaves an array with a zero gradient where it started
    (SGD, momentum, Adam and RMSprop all move it by 0); a rule that shares
    its memory between arrays of one shape moves it. The probe records how
    far the array has moved by each epoch (``moved``) in plain fields, which
    the grader reads back when it judges outside the kernel.
    """

    def __init__(self) -> None:
        self.layer, self.key, self.partner_layer, self.partner_key = -1, "", -1, ""
        self.moved, self.calls = 0.0, 0
        self._start: np.ndarray | None = None

    def loss_and_grads(self, params: list[dict[str, np.ndarray]], x: np.ndarray,
                       y: np.ndarray) -> tuple[float, list[dict[str, np.ndarray]]]:
        """``(loss, grads)`` of the library, with the probed array's gradient set to zeros."""
        loss, grads = library_loss_and_grads(params, x, y)
        self.calls += 1
        if self.calls == 1:
            seen: dict[tuple[int, ...], tuple[int, str]] = {}
            for l, layer in enumerate(params):
                for k in ("W", "b"):
                    shape = np.shape(layer[k])
                    if shape in seen and self.layer < 0:
                        (self.partner_layer, self.partner_key), (self.layer, self.key) = seen[shape], (l, k)
                    seen.setdefault(shape, (l, k))
            if self.layer >= 0:
                self._start = np.array(params[self.layer][self.key], dtype=np.float64)
        if self.layer >= 0 and self._start is not None:
            now = np.asarray(params[self.layer][self.key], dtype=np.float64)
            if now.shape == self._start.shape:
                self.moved = max(self.moved, float(np.max(np.abs(now - self._start), initial=0.0)))
            grads[self.layer][self.key] = np.zeros_like(grads[self.layer][self.key])
        return loss, grads


def _check_state_per_array(fn: Callable[..., Any], name: str, x: np.ndarray, y: np.ndarray, seed: int) -> None:
    """Run the student's loop once more with :class:`_ZeroGradientProbe`; the zero-gradient array must not move."""
    probe = _ZeroGradientProbe()
    got = call_student(fn, name, x.copy(), y.copy(), np.random.default_rng(seed), probe.loss_and_grads,
                       forbidden=TRAINING_REFERENCES)
    _check_structure(_pair(got, name, "(params, losses)")[0], name)
    if probe.layer < 0 or not probe.moved > 1e-12:
        return
    l0, k0, l1, k1 = probe.partner_layer, probe.partner_key, probe.layer, probe.key
    raise CheckFailed(
        f"{name}: a second run gave params[{l1}][{k1!r}] a zero gradient at every epoch (the rest as usual), yet it "
        f"moved (by up to {probe.moved:.3g}). An array whose gradient is always 0 stays where it started under "
        f"SGD, momentum or Adam, as long as each array has its own memory.\n"
        f"  likely cause: the optimiser's memory (Adam's m and v, a velocity) is shared between arrays of the same "
        f"shape, params[{l0}][{k0!r}] and params[{l1}][{k1!r}]. Keep one m and one v per array (a list of dicts "
        f"shaped like params), not one per shape")


def check_train_spirals(fn: Callable[..., Any], rng: np.random.Generator | None = None) -> None:
    """``fn(x, y, rng, loss_and_grads)`` must return ``(params, losses)`` of a network reaching the target.

    ``x`` (300, 2) and ``y`` (300,) are a three-arm spiral data set;
    ``loss_and_grads(params, x, y) -> (loss, grads)`` is the library's (see
    :func:`library_loss_and_grads`); ``rng`` seeds the student's
    initialisation. The student's defaults (sizes, epochs, lr) are used. The
    returned network must classify at least :data:`TARGET_ACCURACY` of the
    training points correctly (argmax of the logits, by the library's forward).
    A second run (:class:`_ZeroGradientProbe`) checks that the
    optimiser keeps its memory per array.
    """
    rng, hidden = pick_rng(rng)
    name = "train_spirals"
    x, y = spiral_data(rng)
    init_rng = np.random.default_rng(int(rng.integers(2 ** 32)))
    start = time.perf_counter()
    got = call_student(fn, name, x.copy(), y.copy(), init_rng, library_loss_and_grads,
                       forbidden=TRAINING_REFERENCES)
    seconds = time.perf_counter() - start
    params, losses_ = _pair(got, name, "(params, losses)")
    params = _check_structure(params, name)
    history = as_array(losses_)
    if history is None or history.ndim != 1 or history.size < 2:
        raise CheckFailed(f"{name} should return the loss of every epoch as a list of numbers, but losses is "
                          f"{describe_type(losses_)}")
    history = history.astype(np.float64)
    with np.errstate(all="ignore"):
        logits, _ = mlp.forward([{"W": np.asarray(p["W"], dtype=np.float64),
                                  "b": np.asarray(p["b"], dtype=np.float64)} for p in params], x)
        accuracy = float(np.mean(np.argmax(logits, axis=1) == y))
    where = (f"  on a {SPIRAL_POINTS}-point spiral data set, {len(history)} epochs: loss {history[0]:.4g} -> "
             f"{history[-1]:.4g}, training accuracy {accuracy:.1%} (the target is {TARGET_ACCURACY:.0%})")
    if accuracy < TARGET_ACCURACY or not np.all(np.isfinite(logits)):
        symmetric = _symmetric_layer(params)
        if not np.all(np.isfinite(history)) or not np.all(np.isfinite(logits)):
            cause = ("the training diverged (the loss became NaN or infinite): the learning rate is too large for "
                     "your update rule")
        elif symmetric is not None:
            cause = (f"all units of hidden layer {symmetric + 1} have identical weights: they started equal "
                     "(zeros, or one constant), so they receive identical gradients forever. Initialise W at "
                     "random, e.g. He: rng.normal(0, np.sqrt(2 / n_in), (n_in, n_out))")
        elif history[-1] > history[0] + 1e-9:
            cause = ("the loss went UP during training: the update has the wrong sign, theta - lr * step, "
                     "not theta + lr * step")
        elif abs(history[-1] - history[0]) <= 1e-9 * max(1.0, abs(history[0])):
            cause = ("the loss never changed: the parameters are not updated. Write the new arrays back into "
                     "params (layer['W'] = layer['W'] - ...), not into a local variable")
        else:
            cause = ("the loss went down, but not far enough: train for more epochs, or with a larger learning "
                     "rate or a better optimiser (Adam with lr = 0.02 for 300 epochs reaches about 99% here)")
        raise CheckFailed(f"the network trained by {name} misses the target.\n{where}\n  likely cause: {cause}")
    _check_state_per_array(fn, name, x, y, int(rng.integers(2 ** 32)))
    passed(name, 1, f"{accuracy:.1%} training accuracy after {len(history)} epochs; the target is "
                    f"{TARGET_ACCURACY:.0%}")
    if seconds > SLOW_SECONDS and not hidden:
        print(f"  note: training took {seconds:.1f} s; the grader stops a cell after a few seconds, so use "
              "fewer epochs or a larger learning rate.")


#: Exercises whose hidden tests the grader re-runs outside the student's kernel
#: (autograder/verify.py): all of them, their inputs and outputs being data.
VERIFIED_OUTSIDE = ('softmax_cross_entropy', 'mlp_forward', 'mlp_backward', 'train_spirals')


#: The course library's own functions each exercise may not use, not even copied: its check forbids
#: them, and the exercise's text says so (tests/test_verify.py checks the two agree).
FORBIDDEN_REFERENCES = {
    "softmax_cross_entropy": ("nn.activations.log_softmax", "nn.activations.softmax", "nn.losses.softmax_cross_entropy"),
    "mlp_forward": ("nn.layers.activation_forward", "nn.layers.dense_activation_forward", "nn.layers.dense_forward",
        "nn.mlp.forward"),
    "mlp_backward": ("nn.layers.activation_backward", "nn.layers.dense_activation_backward", "nn.layers.dense_backward",
        "nn.layers.dense_param_grads", "nn.mlp.backward", "nn.mlp.loss_and_grads"),
    "train_spirals": ("nn.optim.train",),
}


#: The rules of each exercise's answer that the checks apply to every call of the student's function
#: (``backprop_lib.checking.checks``): the inputs it may change in place ({name: position in its signature}; every other array, list or dict it
#: is given must come back as it was; the exercise's text says so) and the kind of value it returns:
#: "array", "number", "numeric" (either), list, dict, a tuple of these, or None (anything).
MAY_MODIFY: dict[str, dict[str, int]] = {}
RETURNS: dict[str, object] = {
    "softmax_cross_entropy": ("number", "array"),
    "mlp_forward": ("array", list),
    "mlp_backward": list,
    "train_spirals": (list, None),
}
