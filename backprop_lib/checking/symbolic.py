"""Exact derivatives from SymPy: write the forward once, get the derivative as NumPy code.

The pattern used across the course::

    fn = Symbolic(lambda w, x, y: (sp.tanh(w * x) - y) ** 2, "w x y")
    fn.value(w, x, y)          # the forward, evaluated with NumPy
    fn.grad("w")(w, x, y)      # dL/dw from sympy.diff, evaluated with NumPy

Arguments of the NumPy functions broadcast like any NumPy expression, so one
call evaluates a whole array of inputs.
"""
from __future__ import annotations

from functools import cached_property
from typing import Callable, Sequence

import numpy as np
import sympy as sp

NumpyFn = Callable[..., np.ndarray]

#: SymPy functions with no NumPy counterpart, turned into NumPy code by lambdify.
_MODULES = [{"Heaviside": lambda x, h0=0.5: np.heaviside(x, h0)}, "numpy"]


def sigmoid(z: sp.Expr) -> sp.Expr:
    """The logistic function ``1 / (1 + exp(-z))`` as a SymPy expression."""
    return 1 / (1 + sp.exp(-z))


def real_symbols(names: str | Sequence[str]) -> tuple[sp.Symbol, ...]:
    """Real-valued SymPy symbols; ``"w x"`` gives ``(w, x)``."""
    if isinstance(names, str):
        names = names.replace(",", " ").split()
    return tuple(sp.Symbol(n, real=True) for n in names)


def to_numpy(expr: sp.Expr, syms: Sequence[sp.Symbol]) -> NumpyFn:
    """Compile ``expr`` into a NumPy function of ``syms`` (in that order).

    The result broadcasts its arguments and always returns a float64 array of
    the broadcast shape, even where ``expr`` is a constant.
    """
    raw = sp.lambdify(list(syms), expr, modules=_MODULES)
    # lambdify leaves __module__ unset, and a function without one makes cloudpickle (the grader sends
    # these functions to a kernel) search every loaded module for it, on every call
    raw.__module__ = __name__

    def fn(*args: np.ndarray | float) -> np.ndarray:
        arrays = [np.asarray(a, dtype=np.float64) for a in args]
        shape = np.broadcast_shapes(*(a.shape for a in arrays)) if arrays else ()
        with np.errstate(all="ignore"):
            out = np.asarray(raw(*arrays), dtype=np.float64)
        return np.broadcast_to(out, shape).copy()

    fn.__doc__ = f"NumPy version of {expr}"
    return fn


class Symbolic:
    """A scalar function written with SymPy, with exact derivatives on demand.

    ``forward`` takes one SymPy symbol per name in ``names`` and returns a
    SymPy expression. Nothing is differentiated until asked for.
    """

    def __init__(self, forward: Callable[..., sp.Expr], names: str | Sequence[str]):
        self.symbols = real_symbols(names)
        self.names = tuple(s.name for s in self.symbols)
        self.expr = sp.sympify(forward(*self.symbols))

    def _symbol(self, wrt: str | int) -> sp.Symbol:
        if isinstance(wrt, int):
            return self.symbols[wrt]
        if wrt not in self.names:
            raise KeyError(f"{wrt!r} is not an argument; arguments are {self.names}")
        return self.symbols[self.names.index(wrt)]

    @cached_property
    def value(self) -> NumpyFn:
        """The forward as a NumPy function of the arguments, in order."""
        return to_numpy(self.expr, self.symbols)

    def derivative(self, wrt: str | int) -> sp.Expr:
        """``d expr / d wrt`` as a SymPy expression (by ``sympy.diff``)."""
        return sp.diff(self.expr, self._symbol(wrt))

    def grad(self, wrt: str | int) -> NumpyFn:
        """``d expr / d wrt`` as a NumPy function of all the arguments, in order."""
        return to_numpy(self.derivative(wrt), self.symbols)

    def __repr__(self) -> str:
        return f"Symbolic({self.expr}, names={self.names})"


def equivalent(a: sp.Expr, b: sp.Expr, syms: Sequence[sp.Symbol],
               rng: np.random.Generator | None = None, trials: int = 20) -> bool:
    """Whether two expressions are the same function of ``syms``.

    First ``simplify(a - b) == 0``; where SymPy cannot decide, both are
    evaluated at ``trials`` random points in [-2, 2] and must agree to 1e-9.
    """
    diff = sp.simplify(sp.sympify(a) - sp.sympify(b))
    if diff == 0:
        return True
    rng = rng if rng is not None else np.random.default_rng(0)
    points = rng.uniform(-2.0, 2.0, size=(len(syms), trials))
    fa, fb = to_numpy(sp.sympify(a), syms), to_numpy(sp.sympify(b), syms)
    va, vb = fa(*points), fb(*points)
    ok = np.isfinite(va) & np.isfinite(vb)
    return bool(ok.any() and np.allclose(va[ok], vb[ok], rtol=1e-9, atol=1e-12))
