"""Numerical derivatives by central differences, and how to compare them.

Everything here works in float64: with float32 the round-off error of a
finite difference swamps the answer (see lesson 01's step-size plot).

Why central differences with ``h = 1e-5``
    The forward difference ``(f(x+h) - f(x)) / h`` has a truncation error of
    order ``h``; the central difference ``(f(x+h) - f(x-h)) / (2h)`` cancels
    the even terms of the Taylor series, so its error is of order ``h**2``.
    Round-off adds about ``eps * |f| / h`` (``eps ~ 2.2e-16``). The sum of the
    two is smallest near ``h ~ eps**(1/3) ~ 6e-6``; we use ``1e-5``, which
    leaves an error of about 1e-10 relative for smooth functions of size 1.

How two gradients are compared
    ``rel_error(a, n) = |a - n| / max(|a| + |n|, floor)``, element-wise. The
    floor stops two tiny numbers (both ~1e-12, i.e. both "zero") from looking
    wildly different. Thresholds, for float64 inputs of size about 1:

    * ``< 1e-7``  agreement to round-off: the formula is right.
    * ``< 1e-5``  the default pass mark against finite differences
      (``NUMERIC_TOL``): their own error is about 1e-10 to 1e-8.
    * ``> 1e-3``  almost surely a wrong formula, not a numerical effect.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

#: Step of the central difference (see the module docstring for the choice).
H = 1e-5
#: Smallest denominator of the relative error: values below it count as zero.
FLOOR = 1e-8
#: Pass mark for an analytic gradient compared with central differences.
NUMERIC_TOL = 1e-5
#: Pass mark for an analytic gradient compared with an exact (SymPy) one.
EXACT_TOL = 1e-7


def rel_error(a: np.ndarray | float, n: np.ndarray | float, floor: float = FLOOR) -> np.ndarray:
    """Element-wise relative error ``|a - n| / max(|a| + |n|, floor)``.

    ``a`` and ``n`` must broadcast to one shape; the result has that shape.
    NaN anywhere gives NaN there (callers treat NaN as a failure).
    """
    a = np.asarray(a, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    with np.errstate(all="ignore"):
        return np.abs(a - n) / np.maximum(np.abs(a) + np.abs(n), floor)


def max_rel_error(a: np.ndarray | float, n: np.ndarray | float, floor: float = FLOOR) -> float:
    """The largest element of :func:`rel_error`; ``inf`` if any element is NaN."""
    err = rel_error(a, n, floor)
    if err.size == 0:
        return 0.0
    if np.isnan(err).any():
        return float("inf")
    return float(err.max())


def central_difference(f: Callable[[np.ndarray], np.ndarray], x: np.ndarray | float,
                       h: float = H) -> np.ndarray:
    """Derivative of an element-wise function ``f`` at every element of ``x``.

    ``f`` maps an array to an array of the same shape, element by element
    (like ``np.sin``). ``x`` has any shape; the result has the same shape.
    Cost: two calls of ``f``.
    """
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(all="ignore"):
        return (np.asarray(f(x + h), dtype=np.float64)
                - np.asarray(f(x - h), dtype=np.float64)) / (2.0 * h)


def forward_difference(f: Callable[[np.ndarray], np.ndarray], x: np.ndarray | float,
                       h: float = H) -> np.ndarray:
    """One-sided derivative ``(f(x + h) - f(x)) / h``, element-wise; error of order ``h``.

    Kept for comparison plots; use :func:`central_difference` to check gradients.
    """
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(all="ignore"):
        return (np.asarray(f(x + h), dtype=np.float64)
                - np.asarray(f(x), dtype=np.float64)) / h


def numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, h: float = H) -> np.ndarray:
    """Gradient of a scalar function ``f`` of an array ``x``, one entry at a time.

    ``x`` has any shape ``S``; the result has shape ``S``. Cost: ``2 * x.size``
    calls of ``f``. ``x`` is perturbed in place and restored, so ``f`` may hold
    a reference to it (as a network holds its weights).
    """
    if not isinstance(x, np.ndarray) or x.dtype != np.float64:
        raise TypeError("numerical_gradient needs a float64 array it can perturb in place; "
                        f"got {type(x).__name__} of dtype {getattr(x, 'dtype', None)}")
    grad = np.zeros_like(x)
    flat, gflat = x.reshape(-1), grad.reshape(-1)
    with np.errstate(all="ignore"):
        for i in range(flat.size):
            old = flat[i]
            flat[i] = old + h
            up = float(f(x))
            flat[i] = old - h
            down = float(f(x))
            flat[i] = old
            gflat[i] = (up - down) / (2.0 * h)
    return grad


def step_size_errors(f: Callable[[np.ndarray], np.ndarray], df: Callable[[np.ndarray], np.ndarray],
                     x: float, steps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Absolute error of the forward and central differences at ``x`` for each step.

    ``steps`` has shape ``(k,)``; returns two arrays of shape ``(k,)``:
    ``(forward_errors, central_errors)``, measured against the exact ``df(x)``.
    """
    steps = np.asarray(steps, dtype=np.float64)
    exact = float(df(np.float64(x)))
    fwd = np.array([abs(float(forward_difference(f, x, h)) - exact) for h in steps])
    cen = np.array([abs(float(central_difference(f, x, h)) - exact) for h in steps])
    return fwd, cen
