"""Name the likely mistake behind a wrong gradient.

:func:`diagnose` compares what a student's code returned with the expected
array and returns one sentence a student can act on ("shape (3, 4) expected,
got (4, 3): transposed?"), or ``None`` when it sees no known pattern. It never
raises and never prints: a diagnosis is advice, the verdict is elsewhere.
:func:`find_mistake` does the same and also says which mistake it recognised,
as a :class:`Diagnosis` with a ``kind`` a program can test.

A correct answer is never diagnosed: an array that matches the expected one to
``MATCH_RTOL`` relative (plus a round-off allowance of ``1e-9`` of the
largest expected entry, for entries that should be 0) gives ``None``, whatever
its dtype.

The mistakes recognised, by ``kind``:

=================  ==========================================================
``none``           the function returned ``None`` (a missing ``return``)
``type``           not a number or an array at all
``shape``          wrong shape, with the likely reason where one is known
``transposed``     the transpose of the expected matrix, or its shape
``axis``           summed over the wrong axis, or over everything
``not_summed``     one row per example where the sum over examples is expected
``broadcast``      ``(n, 1)`` against ``(1, n)``: a column where a row is
                   expected, or an ``(n, n)`` result of such a broadcast
``nan``            NaN or inf where the expected result is finite
``integer``        an integer (or boolean) array with wrong values
``float32``        float32 (or float16) values off by more than round-off
``complex``        complex numbers
``zeros``          all zeros where the expected result is not
``act_missing``    the activation derivative was left out (needs ``act_prime``
                   or ``upstream``)
``act_twice``      the activation derivative was applied twice (needs
                   ``act_prime``)
``sign``           the expected result with its sign flipped
``mean_vs_sum``    off by the batch size ``m``: ``m`` times too big or too
                   small (needs ``m``)
``factor``         off by another constant factor (2, 1/2, ...), shared by at
                   least two entries with different expected values
``not_reduced``    several values where one number is expected, whose mean
                   (or sum) is that number
=================  ==========================================================

A cause is named only when the evidence leaves no other reading: a constant
factor needs several differing entries sharing one ratio (never one entry,
never "times 1"), and a shape mismatch names a cause only where the shapes,
or the values, show it. Otherwise :func:`describe_difference` says plainly
what differs (which entries, expected vs got, by how much; for one number,
the ratio).
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

#: Two arrays "match" a pattern when they agree to this relative tolerance.
MATCH_RTOL = 1e-6
#: The same for a result held in float32 or float16 (about 7 and 3 digits).
LOW_PRECISION_RTOL = 1e-4
#: Entries smaller than this fraction of the largest expected entry count as
#: round-off: they match 0 (a correct gradient with noise of ~1e-12 is correct).
ROUNDOFF_SCALE = 1e-9


@dataclass(frozen=True)
class Diagnosis:
    """A recognised mistake: ``kind`` (see the module docstring) and a one-sentence ``message``."""

    kind: str
    message: str

    def __str__(self) -> str:
        return self.message


def _scale(ref: np.ndarray) -> float:
    finite = np.abs(ref[np.isfinite(ref)])
    return float(finite.max()) if finite.size else 0.0


def _close(a: np.ndarray, b: np.ndarray, rtol: float = MATCH_RTOL) -> bool:
    """Whether ``a`` matches the reference ``b`` (same shape, relative ``rtol``, round-off allowance)."""
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        return False
    atol = 1e-12 + ROUNDOFF_SCALE * (rtol / MATCH_RTOL) * _scale(b)
    with np.errstate(all="ignore"):
        return bool(np.allclose(a, b, rtol=rtol, atol=atol))


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
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
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


def _reshape(shape: tuple[int, ...]) -> str:
    """``(3, 4) -> '.reshape(3, 4)'``, ``(4,) -> '.reshape(4)'``."""
    return ".reshape(" + ", ".join(str(d) for d in shape) + ")"


def _bias_length(shape: tuple[int, ...]) -> int | None:
    """``n`` when ``shape`` is that of a bias or its gradient, ``(n,)`` or ``(1, n)``."""
    if len(shape) == 1:
        return shape[0]
    if len(shape) == 2 and shape[0] == 1:
        return shape[1]
    return None


def _shape_diagnosis(expected: tuple[int, ...], got: tuple[int, ...], exp: np.ndarray | None = None,
                     arr: np.ndarray | None = None, m: int | None = None) -> Diagnosis:
    """Explain a shape mismatch; name a cause only when the shapes (or the values) leave no other.

    A guess from the shapes alone is made only where one mistake produces
    that shape relation (a ``(k, k)`` result for a bias of ``k`` entries, the
    reversed shape of a matrix, an axis of length 1 added or dropped, one row
    per example for a sum over ``m`` known examples); every other cause
    (summed over an axis, summed over everything, laid out wrong, not reduced
    to one number) is named only when the values show it. Otherwise the
    message states the two shapes and nothing more.
    """
    msg = f"shape {expected} expected, got {got}"
    values = exp is not None and arr is not None
    with np.errstate(all="ignore"):
        fl = arr.astype(np.float64) if values and np.isrealobj(arr) else None
    size_exp, size_got = int(np.prod(expected)), int(np.prod(got))
    # A (k, k) result where a bias-like (k,), (1, k) or (k, 1) is expected.
    k = got[0] if len(got) == 2 and got[0] == got[1] else 0
    if (k > 1 and expected in ((k,), (1, k), (k, 1))
            and not (fl is not None and _close(fl.sum(axis=0).reshape(expected), exp))):
        return Diagnosis("broadcast", msg + f": a ({k},) array met a ({k}, 1) one and broadcast to {got}; "
                         "keep biases and their gradients one shape (reshape(1, -1) or .ravel())")
    if len(expected) == 2 and got == expected[::-1] and expected[0] != expected[1]:
        if 1 in expected:
            want, have = ("row", "column") if expected[0] == 1 else ("column", "row")
            return Diagnosis("broadcast", msg + f": a {have} where a {want} is expected, which broadcasts "
                             f"the wrong way (to ({max(expected)}, {max(expected)}) against a {want}); "
                             f"use {_reshape(expected)}")
        if fl is not None and _close(fl, exp.T):
            return Diagnosis("transposed", msg + ": transposed: the values are those of expected.T; "
                             "swap the factors of the product (dW = x.T @ dz) or add .T")
        return Diagnosis("transposed", msg + ": transposed? (check which side of the product the matrix "
                         "goes, or add .T)")
    n = _bias_length(expected)
    if n is not None and len(got) == 2 and got[1] == n and got[0] > 1:
        if fl is not None and _close(fl.sum(axis=0).reshape(expected), exp):
            batch = f"the {got[0]} examples" if m in (None, got[0]) else "the examples"
            return Diagnosis("not_summed", msg + f": one row per example; sum over {batch}, "
                             ".sum(axis=0), and the values will match")
        if m is not None and m > 1 and got[0] == m:
            return Diagnosis("not_summed", msg + f": one row per example; sum over the {m} examples (axis 0)")
    if n is not None and n > 1 and size_got == 1 and fl is not None and _close(fl.reshape(()), exp.sum()):
        return Diagnosis("axis", msg + ": you summed over everything; sum over the examples "
                         "only, .sum(axis=0)")
    if (n is not None and m is not None and m > 1 and m != n and len(got) in (1, 2) and got[0] == m
            and (len(got) == 1 or got[1] == 1)):
        return Diagnosis("axis", msg + f": summed over axis 1 (the units) instead of axis 0 "
                         f"(the {m} examples); use .sum(axis=0)")
    if len(got) == len(expected) - 1 and fl is not None:
        for axis in range(len(expected)):
            if got != expected[:axis] + expected[axis + 1:]:
                continue
            if expected[axis] == 1 and _close(fl.reshape(expected), exp):
                return Diagnosis("shape", msg + f": the right values without the axis of length 1 "
                                 f"(keepdims=True, or {_reshape(expected)})")
            if expected[axis] > 1 and _close(fl, exp.sum(axis=axis)):
                return Diagnosis("axis", msg + f": the values of expected.sum(axis={axis}): you summed over "
                                 f"axis {axis}, which should stay")
    if len(expected) == 1 and got == expected + (1,) and expected[0] > 1:
        return Diagnosis("broadcast", msg + f": a column where a flat array is expected; against a row it "
                         f"broadcasts to {(expected[0], expected[0])}: use {_reshape(expected)}")
    if got in (expected + (1,), (1,) + expected):
        return Diagnosis("shape", msg + f": an extra axis of length 1 (keepdims=True?); use {_reshape(expected)}")
    if size_exp == 1 and size_got > 1 and fl is not None:
        flat = exp.reshape(())
        if _close(fl.mean().reshape(()), flat):
            return Diagnosis("not_reduced", msg + f": one number is expected and your {size_got} values "
                             "average to it: take their mean")
        if _close(fl.sum().reshape(()), flat):
            return Diagnosis("not_reduced", msg + f": one number is expected and your {size_got} values "
                             "add up to it: take their sum")
    if size_got == size_exp and size_exp > 1 and fl is not None and _close(fl.reshape(expected), exp):
        return Diagnosis("shape", msg + f": the right numbers in the wrong shape; use {_reshape(expected)}")
    return Diagnosis("shape", msg)


def shape_hint(expected: tuple[int, ...], got: tuple[int, ...]) -> str:
    """Explain a shape mismatch, with the likely fix where one is known."""
    return _shape_diagnosis(tuple(expected), tuple(got)).message


def _activation_mistake(exp: np.ndarray, got: np.ndarray, rtol: float, act_prime: Any,
                        upstream: Any) -> Diagnosis | None:
    missing = Diagnosis("act_missing", "the activation derivative is missing: multiply element-wise by "
                        "the derivative of the activation at z (delta = dA * act_prime(z))")
    up = as_array(upstream)
    if up is not None and up.shape == exp.shape and _close(got, up.astype(np.float64), rtol):
        return missing
    ap = as_array(act_prime)
    if ap is None:
        return None
    try:
        ap = np.broadcast_to(ap.astype(np.float64), exp.shape)
    except ValueError:
        return None
    if not np.isfinite(ap).all():
        return None
    live = np.abs(ap) > 1e-12 * max(_scale(ap), 1e-300)
    if live.any():
        without = exp[live] / ap[live]
        # Where the derivative is 0 the expected result is 0 and the term left
        # out would not be: that is how ReLU's missing derivative shows.
        differs = not _close(without, exp[live], rtol) or not _close(got[~live], exp[~live], rtol)
        if differs and _close(got[live], without, rtol):
            return missing
    if _close(got, exp * ap, rtol) and not _close(exp * ap, exp, rtol):
        return Diagnosis("act_twice", "the activation derivative is applied twice: multiply by it once")
    return None


#: A constant factor is named only when at least this many entries, with different expected values,
#: share it: one entry (or several equal ones) has a ratio to the expected value whatever the mistake.
MIN_FACTOR_ENTRIES = 2


def _factor_mistake(exp: np.ndarray, got: np.ndarray, rtol: float, m: int | None) -> Diagnosis | None:
    mask = np.abs(exp) > 1e-9 * _scale(exp)
    distinct = np.unique(np.round(exp[mask] / _scale(exp), 9)) if mask.any() else np.array([])
    if mask.sum() < MIN_FACTOR_ENTRIES or distinct.size < MIN_FACTOR_ENTRIES:
        return None  # one entry (or equal ones) cannot tell a factor from any other wrong value
    c = float(np.median(got[mask] / exp[mask]))
    if not np.isfinite(c) or c == 0 or abs(c - 1) <= 1e-3 or not _close(got, c * exp, rtol):
        return None
    if m is not None and m > 1:
        if abs(c / m - 1) <= 1e-6:
            return Diagnosis("mean_vs_sum", f"your result is {m} times too big (m = {m}): the 1/m of the "
                             "mean is missing (a sum where the loss takes a mean over the batch?)")
        if abs(c * m - 1) <= 1e-6:
            return Diagnosis("mean_vs_sum", f"your result is {m} times too small (m = {m}): a 1/m too many "
                             "(a mean where a sum is expected, or dividing by m twice?)")
    if abs(c - 2) <= 1e-6:
        return Diagnosis("factor", "your result is twice the expected one in every entry: a 2 too many "
                         "(the 1/2 in 1/2 (y_hat - y)**2 cancels the 2 from the square)")
    if abs(c - 0.5) <= 1e-6:
        return Diagnosis("factor", "your result is half the expected one in every entry: the 2 from "
                         "differentiating a square is missing (d/dx x**2 = 2x)")
    frac = Fraction(c).limit_denominator(64)
    if abs(float(frac) - c) <= 1e-9 * max(1.0, abs(c)):
        return Diagnosis("factor", f"your result is the expected one times {frac} in every entry: "
                         "a constant factor is off (a 2 from a square? a 1/m from a mean?)")
    return Diagnosis("factor", f"your result is the expected one times {c:.4g} in every entry: "
                     "a constant factor is off")


def describe_difference(expected: Any, got: Any, wrong: np.ndarray | None = None) -> str | None:
    """What differs between ``got`` and ``expected`` of the same shape, plainly; ``None`` otherwise.

    For one number: ``"expected 0.25, got 0.5 (got / expected = 2)"``. For
    an array: how many entries differ and the worst of them, with its index,
    both values and their difference. Used when no mistake can be named.
    ``wrong`` (boolean, the shape of ``expected``) marks the entries that fail
    the caller's own pass mark; by default, those off by more than
    ``MATCH_RTOL``.
    """
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            exp = np.asarray(expected, dtype=np.float64)
            arr = as_array(got)
            if arr is None or arr.shape != exp.shape or np.iscomplexobj(arr) or exp.size == 0:
                return None
            g = arr.astype(np.float64)
            if exp.size == 1:
                e, v = float(exp.reshape(())), float(g.reshape(()))
                ratio = f" (got / expected = {v / e:.6g})" if e != 0 and np.isfinite(v / e) else ""
                return f"expected {e:.10g}, got {v:.10g}{ratio}"
            atol = 1e-12 + ROUNDOFF_SCALE * _scale(exp)
            bad = ~np.isclose(g, exp, rtol=MATCH_RTOL, atol=atol) if wrong is None \
                else np.broadcast_to(np.asarray(wrong, dtype=bool), exp.shape)
            if not bad.any():
                return None
            gap = np.where(bad, np.abs(g - exp), -1.0)
            gap = np.where(np.isnan(gap), np.inf, gap)
            worst = np.unravel_index(int(np.argmax(gap)), exp.shape)
            idx = ", ".join(str(int(i)) for i in worst)
            e, v = float(exp[worst]), float(g[worst])
            return (f"{int(bad.sum())} of {exp.size} entries differ; the largest difference at [{idx}]: expected "
                    f"{e:.10g}, got {v:.10g} (off by {v - e:.3g})")
    except Exception:  # noqa: BLE001 - a description is advice; it must never break a check
        return None


def _find_mistake(expected: Any, got: Any, m: int | None, act_prime: Any, upstream: Any) -> Diagnosis | None:
    exp = np.asarray(expected, dtype=np.float64)
    arr = as_array(got)
    if arr is None:
        if got is None:
            return Diagnosis("none", "your function returned None: did you forget the `return` statement?")
        return Diagnosis("type", f"your function returned {describe_type(got)}, not a number or a NumPy array")
    if arr.shape != exp.shape:
        return _shape_diagnosis(exp.shape, arr.shape, exp, arr, m)
    if np.iscomplexobj(arr):
        return Diagnosis("complex", "your result has complex numbers (dtype "
                         f"{arr.dtype}): a square root or power of a negative number?")
    got_f = arr.astype(np.float64)
    if not np.isfinite(got_f).all() and np.isfinite(exp).all():
        bad = np.argwhere(~np.isfinite(got_f))
        where = "" if arr.ndim == 0 else f" (first at index {tuple(int(i) for i in bad[0])})"
        return Diagnosis("nan", f"your result contains NaN or inf{where}: an overflow (exp of a large "
                         "number?), a division by zero, or log of 0")
    if _close(got_f, exp):
        return None
    if np.issubdtype(arr.dtype, np.integer) or arr.dtype == bool:
        return Diagnosis("integer", f"your result has integer dtype {arr.dtype}: use floats (e.g. 2.0, not 2)")
    low = np.issubdtype(arr.dtype, np.floating) and arr.dtype.itemsize < 8
    rtol = LOW_PRECISION_RTOL if low else MATCH_RTOL
    if low and _close(got_f, exp, rtol):
        return Diagnosis("float32", f"your result is {arr.dtype}, good to about "
                         f"{7 if arr.dtype.itemsize == 4 else 3} digits, which is not enough here: "
                         "compute in float64 (drop dtype=np.float32 or .astype(np.float32))")
    scale = _scale(exp)
    if not np.any(got_f) and scale > 1e-12:
        return Diagnosis("zeros", "your result is all zeros: is a term missing, or is the array never filled?")
    if (exp.ndim == 2 and exp.shape[0] == exp.shape[1] > 1 and not _close(exp.T, exp)
            and _close(got_f, exp.T, rtol)):
        return Diagnosis("transposed", f"your result is the transpose of the expected {exp.shape} matrix: "
                         "swap the factors of the product (dW = x.T @ dz) or add .T")
    found = _activation_mistake(exp, got_f, rtol, act_prime, upstream)
    if found:
        return found
    if scale > 1e-12 and _close(got_f, -exp, rtol):
        return Diagnosis("sign", "your result has the right size but the wrong sign in every entry: "
                         "a sign flipped somewhere (a difference taken the wrong way round?)")
    return _factor_mistake(exp, got_f, rtol, m)


def find_mistake(expected: np.ndarray | float, got: Any, *, m: int | None = None,
                 act_prime: np.ndarray | None = None, upstream: np.ndarray | None = None) -> Diagnosis | None:
    """The likely mistake in ``got`` as a :class:`Diagnosis`, or ``None``.

    ``expected`` is a float array of any shape ``S``; ``got`` is whatever the
    student's code returned. Optional context makes more mistakes nameable:

    * ``m``: the batch size; a result ``m`` times too big or too small is
      named as a mean/sum mix-up (``kind="mean_vs_sum"``), and a gradient
      summed over axis 1 (shape ``(m,)``) as a wrong axis.
    * ``act_prime``: the activation derivative (``sigma'(z)``) that the
      expected result was multiplied by, shape ``S`` (or broadcastable to it);
      ``got == expected / act_prime`` is a missing derivative,
      ``got == expected * act_prime`` a derivative applied twice.
    * ``upstream``: what the result is without the activation derivative (the
      term before the element-wise product, ``dA`` in ``delta = dA *
      act_prime(z)``), shape ``S``; ``got == upstream`` is a missing derivative.

    Returns ``None`` for a correct ``got`` (see the module docstring) and when
    no pattern fits. Never raises and never warns.
    """
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return _find_mistake(expected, got, m, act_prime, upstream)
    except Exception:  # noqa: BLE001 - a diagnosis is advice; it must never break a check
        return None


def diagnose(expected: np.ndarray | float, got: Any, *, m: int | None = None,
             act_prime: np.ndarray | None = None, upstream: np.ndarray | None = None) -> str | None:
    """One sentence naming the likely mistake in ``got``, or ``None``.

    ``expected`` is a float array of any shape; ``got`` is whatever the
    student's code returned. The keyword arguments are those of
    :func:`find_mistake`, which this wraps. Checks, in order: not an array,
    wrong shape, complex, NaN/inf, correct (``None``), integer dtype, float32,
    all zeros, transposed, activation derivative, sign flip, constant factor.
    """
    found = find_mistake(expected, got, m=m, act_prime=act_prime, upstream=upstream)
    return found.message if found else None
