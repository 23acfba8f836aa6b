"""Name the likely mistake behind a wrong gradient.

:func:`diagnose` compares what a student's code returned with the expected
array and returns one sentence a student can act on ("(3, 4) expected, got
(4, 3): transposed?"), or ``None`` when it sees no known pattern. It never
raises and never prints: a diagnosis is advice, the verdict is elsewhere.
"""
from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np

#: Two arrays "match" a pattern when they agree to this relative tolerance.
MATCH_RTOL = 1e-6


def _close(a: np.ndarray, b: np.ndarray) -> bool:
    with np.errstate(all="ignore"):
        return bool(a.shape == b.shape and np.allclose(a, b, rtol=MATCH_RTOL, atol=1e-12))


def nice_factor(c: float) -> str:
    """``2.0 -> '2'``, ``0.25 -> '1/4'``, ``-0.5 -> '-1/2'``, else 3 significant digits."""
    frac = Fraction(c).limit_denominator(64)
    if abs(float(frac) - c) <= 1e-9 * max(1.0, abs(c)):
        return str(frac)
    return f"{c:.3g}"


def as_array(got: Any) -> np.ndarray | None:
    """``got`` as a NumPy array, or ``None`` when it is not numeric at all."""
    if got is None:
        return None
    try:
        arr = np.asarray(got)
    except Exception:  # noqa: BLE001 - any failure means "not an array"
        return None
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        return None
    return arr


def describe_type(got: Any) -> str:
    """A short description of a value's type and shape for messages."""
    if got is None:
        return "None"
    arr = as_array(got)
    if arr is None:
        return type(got).__name__
    if arr.ndim == 0:
        return f"a {type(got).__name__} scalar"
    return f"an array of shape {arr.shape} and dtype {arr.dtype}"


def shape_hint(expected: tuple[int, ...], got: tuple[int, ...]) -> str:
    """Explain a shape mismatch, with the likely fix where one is known."""
    msg = f"shape {expected} expected, got {got}"
    if len(expected) == 2 and got == expected[::-1]:
        return msg + ": transposed? (check which side of the product the matrix goes, or add .T)"
    if len(got) == len(expected) - 1:
        for axis in range(len(expected)):
            if got == expected[:axis] + expected[axis + 1:]:
                return msg + f": did you sum over axis {axis} (or forget keepdims=True)?"
    if len(got) == len(expected) + 1 or (len(got) == len(expected) and 1 in got):
        return msg + ": an extra dimension from broadcasting? (a (n,) array against (n, 1) gives (n, n))"
    if int(np.prod(got)) == int(np.prod(expected)):
        return msg + ": same number of entries, so the right numbers may be laid out wrong"
    return msg


def diagnose(expected: np.ndarray | float, got: Any) -> str | None:
    """One sentence naming the likely mistake in ``got``, or ``None``.

    ``expected`` is a float array of any shape; ``got`` is whatever the
    student's code returned. Checks, in order: not an array, wrong shape,
    NaN/inf, integer dtype, all zeros, sign flip, constant factor.
    """
    exp = np.asarray(expected, dtype=np.float64)
    arr = as_array(got)
    if arr is None:
        if got is None:
            return "your function returned None: did you forget the `return` statement?"
        return f"your function returned {describe_type(got)}, not a number or a NumPy array"
    if arr.shape != exp.shape:
        return shape_hint(exp.shape, arr.shape)
    with np.errstate(all="ignore"):
        got_f = arr.astype(np.float64)
        if not np.isfinite(got_f).all() and np.isfinite(exp).all():
            bad = np.argwhere(~np.isfinite(got_f))
            where = "" if arr.ndim == 0 else f" (first at index {tuple(int(i) for i in bad[0])})"
            return (f"your result contains NaN or inf{where}: an overflow (exp of a large number?), "
                    "a division by zero, or log of 0")
        if np.issubdtype(arr.dtype, np.integer) and not _close(got_f, exp):
            return f"your result has integer dtype {arr.dtype}: use floats (e.g. 2.0, not 2)"
        if not np.any(got_f) and np.any(np.abs(exp) > 1e-12):
            return "your result is all zeros: is a term missing, or is the array never filled?"
        if np.any(np.abs(exp) > 1e-12) and _close(got_f, -exp):
            return "your result has the right size but the wrong sign: a sign flipped somewhere (y - y_hat vs y_hat - y?)"
        mask = np.abs(exp) > 1e-9
        if mask.any():
            ratios = got_f[mask] / exp[mask]
            c = float(np.median(ratios))
            if np.isfinite(c) and abs(c - 1) > 1e-6 and c != 0 and _close(got_f, c * exp):
                return (f"your result is the expected one times {nice_factor(c)}: "
                        "a constant factor is off (a 2 from a square? a 1/m from a mean?)")
    return None
