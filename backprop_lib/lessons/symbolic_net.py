r"""A small dense network written out in SymPy: one symbol per weight, exact gradients per entry.

Lesson 04 checks each backprop equation against the derivatives of a whole
network, computed without using any of the four equations: SymPy writes the
loss of ONE example as a formula in every input, weight, bias and target,
and differentiates that formula with respect to each weight, each bias and
each pre-activation ``z``. The formulas are compiled to NumPy once per
network shape and then evaluated on a whole batch (one example per row).

Layout and loss (the course's, batch-first; layers are numbered 1..L in the
text and 0..L-1 in Python lists)::

    z[l] = a[l-1] @ W[l] + b[l]      a[0] = x (m, n0)   W[l] (n[l-1], n[l])   b[l] (n[l],)
    a[l] = f_l(z[l])                 z[l], a[l] (m, n[l])
    loss = (1/m) * sum over rows and outputs of (a[L] - y)**2       (losses.mse)

Usage::

    net = symbolic_net((2, 3, 2), ("sigmoid", "sigmoid"))     # cached per shape
    deltas = net.deltas(params, x, y)     # [dloss/dz[1], ..., dloss/dz[L]], each (m, n[l])
    (dW1, db1), (dW2, db2) = net.param_grads(params, x, y)    # dloss/dW[l], dloss/db[l]

``params`` is a list with one ``{"W": W, "b": b}`` per layer, as in
:mod:`backprop_lib.nn.mlp`. Meant for small networks (tens of weights): the
symbolic work grows quickly with the width.

Why dloss/dz needs its own formula
    ``z[l]`` is not a parameter, so the formula for layer ``l`` restarts from
    fresh symbols for ``z[l]`` and writes the rest of the network on top of
    them: ``loss_from_layer(l)`` is the loss as a function of ``z[l]``, the
    weights above it, and ``y``. Its derivative, evaluated at the numbers of
    the forward pass, is ``dloss/dz[l]`` of one example; the batch mean divides
    by ``m``.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Callable, Sequence

import numpy as np
import sympy as sp

from ..nn import activations as act_np

Params = list[dict[str, np.ndarray]]


class Sigmoid(sp.Function):
    """The logistic function as a SymPy function whose derivative SymPy knows: ``s (1 - s)``.

    Written as a :class:`sympy.Function` (like SymPy's own ``tanh``) rather than
    ``1 / (1 + exp(-z))``: the chain rule then keeps ``Sigmoid(...)`` as one
    node, and differentiating a whole network stays fast. The tests check that
    this derivative equals ``sympy.diff`` of the explicit formula.
    """

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        s = Sigmoid(self.args[0])
        return s * (1 - s)


class Step(sp.Function):
    """1 for a positive argument, else 0: the derivative of :class:`Relu` (0 at the kink, as in PyTorch)."""

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return sp.Integer(0)


class Relu(sp.Function):
    """``max(z, 0)`` as a SymPy function whose derivative is :class:`Step`."""

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return Step(self.args[0])


def _step_np(z: np.ndarray) -> np.ndarray:
    return (np.asarray(z) > 0).astype(np.float64)


#: How lambdify evaluates the functions above.
_NUMPY_FUNCTIONS = {"Sigmoid": act_np.sigmoid, "Relu": act_np.relu, "Step": _step_np}

#: Activation names understood here, as (SymPy function, NumPy function).
ACTIVATIONS: dict[str, tuple[Callable[[sp.Expr], sp.Expr], Callable[[np.ndarray], np.ndarray]]] = {
    "sigmoid": (Sigmoid, act_np.sigmoid),
    "tanh": (sp.tanh, act_np.tanh),
    "relu": (Relu, act_np.relu),
    "identity": (lambda z: z, act_np.identity),
}


def _compile(args: Sequence[sp.Symbol], exprs: Sequence[sp.Expr]) -> Callable[..., list[np.ndarray]]:
    """One NumPy function of ``args`` returning the list ``exprs``, each as a float64 array."""
    raw = sp.lambdify(list(args), list(exprs), modules=[_NUMPY_FUNCTIONS, "numpy"], cse=True,
                      docstring_limit=0)

    def fn(*values: np.ndarray | float) -> list[np.ndarray]:
        arrays = [np.asarray(v, dtype=np.float64) for v in values]
        shape = np.broadcast_shapes(*(a.shape for a in arrays))
        with np.errstate(all="ignore"):
            out = raw(*arrays)
        return [np.broadcast_to(np.asarray(o, dtype=np.float64), shape) for o in out]

    return fn


class SymbolicNet:
    """A dense network of widths ``sizes`` and one activation name per layer, in SymPy.

    ``sizes = (n0, n1, ..., nL)``; ``activations`` has ``L`` names from
    :data:`ACTIVATIONS`. Symbols: ``x0..``, ``y0..``, ``W{l}_{i}_{j}``,
    ``b{l}_{j}``, ``z{l}_{j}`` with ``l`` counted from 1. Nothing is
    differentiated or compiled until a gradient is asked for.
    """

    def __init__(self, sizes: Sequence[int], activations: Sequence[str]):
        self.sizes = tuple(int(n) for n in sizes)
        self.activations = tuple(activations)
        if len(self.sizes) < 2 or len(self.activations) != len(self.sizes) - 1:
            raise ValueError(f"{len(self.sizes) - 1} layers need as many activations; got {self.activations}")
        unknown = set(self.activations) - set(ACTIVATIONS)
        if unknown:
            raise KeyError(f"unknown activation(s) {sorted(unknown)}; known: {sorted(ACTIVATIONS)}")
        real = {"real": True}
        self.x = [sp.Symbol(f"x{i}", **real) for i in range(self.sizes[0])]
        self.y = [sp.Symbol(f"y{k}", **real) for k in range(self.sizes[-1])]
        self.W: list[list[list[sp.Symbol]]] = []
        self.b: list[list[sp.Symbol]] = []
        self.z: list[list[sp.Symbol]] = []
        for l, (n_in, n_out) in enumerate(zip(self.sizes[:-1], self.sizes[1:]), start=1):
            self.W.append([[sp.Symbol(f"W{l}_{i}_{j}", **real) for j in range(n_out)] for i in range(n_in)])
            self.b.append([sp.Symbol(f"b{l}_{j}", **real) for j in range(n_out)])
            self.z.append([sp.Symbol(f"z{l}_{j}", **real) for j in range(n_out)])
        self._delta_fns: dict[int, Callable[..., list[np.ndarray]]] = {}
        self._param_fn: Callable[..., list[np.ndarray]] | None = None

    @property
    def n_layers(self) -> int:
        """The number of layers ``L`` (weight matrices)."""
        return len(self.W)

    # --- formulas ---------------------------------------------------------------

    def _layer_params(self, l: int) -> list[sp.Symbol]:
        """The symbols of layer ``l`` (0-based): W row by row, then b."""
        return [s for row in self.W[l] for s in row] + list(self.b[l])

    def _run_from(self, l: int, a: list[sp.Expr]) -> list[sp.Expr]:
        """The network's output when ``a`` enters layer ``l`` (0-based)."""
        for k in range(l, self.n_layers):
            f = ACTIVATIONS[self.activations[k]][0]
            a = [f(sp.Add(*[a[i] * self.W[k][i][j] for i in range(len(a))], self.b[k][j]))
                 for j in range(self.sizes[k + 1])]
        return a

    def _example_loss(self, y_hat: list[sp.Expr]) -> sp.Expr:
        return sp.Add(*[(o - t) ** 2 for o, t in zip(y_hat, self.y)])

    def example_loss(self) -> sp.Expr:
        """The loss of one example, a formula in ``x``, every weight and bias, and ``y``."""
        return self._example_loss(self._run_from(0, list(self.x)))

    def loss_from_layer(self, l: int) -> sp.Expr:
        """The loss of one example as a formula in ``z[l]`` (0-based ``l``), the layers above, and ``y``."""
        f = ACTIVATIONS[self.activations[l]][0]
        return self._example_loss(self._run_from(l + 1, [f(s) for s in self.z[l]]))

    # --- numbers ----------------------------------------------------------------

    def forward(self, params: Params, x: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Batch forward in NumPy: ``(zs, activations)``, ``zs[l]`` and ``activations[l]`` of shape (m, n[l+1]).

        ``activations`` starts with ``x`` itself, so it has one entry more than ``zs``.
        """
        a = np.asarray(x, dtype=np.float64)
        zs, acts = [], [a]
        for layer, name in zip(params, self.activations):
            z = a @ layer["W"] + layer["b"]
            a = ACTIVATIONS[name][1](z)
            zs.append(z)
            acts.append(a)
        return zs, acts

    def loss(self, params: Params, x: np.ndarray, y: np.ndarray) -> float:
        """``loss = (1/m) * sum((y_hat - y)**2)`` for the batch ``x`` (m, n0), ``y`` (m, nL)."""
        y_hat = self.forward(params, x)[1][-1]
        return float(np.sum((y_hat - y) ** 2)) / len(x)

    def _param_values(self, params: Params, layers: range) -> list[float]:
        return [float(v) for l in layers for v in list(np.ravel(params[l]["W"])) + list(np.ravel(params[l]["b"]))]

    def deltas(self, params: Params, x: np.ndarray, y: np.ndarray) -> list[np.ndarray]:
        """``[dloss/dz[1], ..., dloss/dz[L]]`` by ``sympy.diff``, each (m, n[l]), for the batch-mean loss."""
        x = np.asarray(x, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        m = len(x)
        zs, _ = self.forward(params, x)
        out = []
        for l in range(self.n_layers):
            if l not in self._delta_fns:
                expr = self.loss_from_layer(l)
                above = [s for k in range(l + 1, self.n_layers) for s in self._layer_params(k)]
                self._delta_fns[l] = _compile(self.z[l] + above + self.y,
                                              [sp.diff(expr, s) for s in self.z[l]])
            values = ([zs[l][:, j] for j in range(self.sizes[l + 1])]
                      + self._param_values(params, range(l + 1, self.n_layers))
                      + [y[:, k] for k in range(self.sizes[-1])])
            cols = self._delta_fns[l](*values)
            out.append(np.stack([np.broadcast_to(c, (m,)) for c in cols], axis=1) / m)
        return out

    def param_grads(self, params: Params, x: np.ndarray, y: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        """``[(dloss/dW[1], dloss/db[1]), ...]``, one pair per layer, by ``sympy.diff`` of the whole loss.

        Shapes ``(n[l-1], n[l])`` and ``(n[l],)``. The loss of one example is
        differentiated with respect to every weight and bias (all layers are
        compiled together, once); the batch-mean loss then averages the
        per-example derivatives over the ``m`` rows.
        """
        x = np.asarray(x, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        everything = [s for k in range(self.n_layers) for s in self._layer_params(k)]
        if self._param_fn is None:
            expr = self.example_loss()
            self._param_fn = _compile(self.x + everything + self.y, [sp.diff(expr, s) for s in everything])
        values = ([x[:, i] for i in range(self.sizes[0])]
                  + self._param_values(params, range(self.n_layers))
                  + [y[:, k] for k in range(self.sizes[-1])])
        means = np.array([float(np.mean(v)) for v in self._param_fn(*values)])
        out, start = [], 0
        for n_in, n_out in zip(self.sizes[:-1], self.sizes[1:]):
            dW = means[start: start + n_in * n_out].reshape(n_in, n_out)
            db = means[start + n_in * n_out: start + n_in * n_out + n_out]
            out.append((dW, db))
            start += n_in * n_out + n_out
        return out


@lru_cache(maxsize=256)
def symbolic_net(sizes: tuple[int, ...], activations: tuple[str, ...]) -> SymbolicNet:
    """The :class:`SymbolicNet` of these widths and activations, built once and reused."""
    return SymbolicNet(sizes, activations)
