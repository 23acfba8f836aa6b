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

Checking a network's gradients
    :func:`check_gradients` compares every entry of the gradients of a scalar
    loss with respect to several parameter arrays with central differences
    (``2`` losses per entry: for small networks). :func:`check_sampled` does
    the same on ``k`` random entries per array. :func:`check_direction`
    checks all entries at once along one random direction for two losses,
    whatever the size. All three recognise a kink (ReLU at 0, max, abs)
    inside the step and skip that entry instead of failing it, as long as the
    gradient lies between the loss's one-sided slopes there.

Three verdicts, never a pass that the numbers cannot support
    A central difference carries the round-off of the loss: about one unit in
    the last place of ``|L|``, divided by ``h``. For a loss of size 1 that is
    2e-11, far below any tolerance; for ``L = 1e8 + ...`` it is 1e-3, and for
    ``sum(exp(x))`` with one ``x`` near 700 it is astronomical. So an entry
    passes only when its difference *plus* that round-off is within the
    tolerance; it fails when the difference *minus* the round-off (measured
    then, from central differences at three steps) is still beyond it; and
    otherwise the check says it cannot tell (``"uncertain"``), with the reason
    and what to do: a smaller loss (subtract a constant, average instead of
    summing), float64, or another point.
"""
from __future__ import annotations

import dataclasses
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping

import numpy as np

from .diagnose import as_array, diagnose

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
    # Index x itself (not x.reshape(-1)): for a non-contiguous x, such as a
    # transposed weight matrix, reshape returns a copy and f would never see
    # the perturbation.
    with np.errstate(all="ignore"):
        for idx in np.ndindex(x.shape):
            old = x[idx]
            try:
                x[idx] = old + h
                up = float(f(x))
                x[idx] = old - h
                down = float(f(x))
            finally:
                x[idx] = old
            grad[idx] = (up - down) / (2.0 * h)
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


# ---------------------------------------------------------------------------
# Checking the gradient of a scalar loss with respect to several parameters
# ---------------------------------------------------------------------------
#
# The three checks below share one convention. ``params`` maps a name ("W1",
# "b1", ...) to a float64 array; ``grads`` maps the same names to the
# gradients to be judged, each of the shape of its parameter. ``loss_fn`` is
# called as ``loss_fn(params)`` and returns the scalar loss. The arrays of
# ``params`` are perturbed in place and always restored (even if ``loss_fn``
# raises), so a ``loss_fn`` that ignores its argument and reads the weights
# through a closure, as a network object holds its weights, works too.

#: Names of parameters mapped to arrays, e.g. ``{"W1": (n_in, n_hid), "b1": (n_hid,)}``.
Params = Mapping[str, np.ndarray]
#: A scalar loss of the parameters: ``loss_fn(params) -> float``.
LossFn = Callable[[Params], float]

#: A generous bound on the relative round-off of one loss evaluation (about 45 ``eps``). The checks below
#: no longer use it (it let wrong gradients of large losses pass); lesson 04 uses it only to confirm its own
#: SymPy deltas against central differences, never to judge a student.
LOSS_ROUNDOFF = 1e-14
#: Pass mark of the single random-direction check (see :func:`check_direction`).
DIRECTION_TOL = 1e-6
#: Differences below this count as zero, whatever the values' size (an absolute tolerance, like torch's atol).
ATOL = FLOOR
#: Steps (as fractions of ``h``) whose central differences measure the round-off of a failing entry.
NOISE_STEPS = (0.7, 1.4)
#: What a verdict of "uncertain" tells the user to do.
UNCERTAIN_ADVICE = ("the loss's round-off is as large as the differences: use a smaller loss (subtract a "
                    "constant, average instead of summing), float64 parameters, or another point")
#: A failing entry is re-measured with the steps ``h / 10`` and ``h / 100`` to
#: tell a kink inside the step from a wrong formula (see ``_is_kink``).
SMALLER_STEPS = (10.0, 100.0)


@dataclass(frozen=True)
class ParamCheck:
    """How the gradient of one parameter array fared.

    ``shape`` is the parameter's shape. ``checked`` counts the entries that
    were compared (kinks excluded); ``max_rel_error`` is the largest relative
    error among them (``inf`` for a gradient of the wrong shape or with NaN),
    found at index ``worst`` where the gradient under test was ``analytic`` and
    central differences gave ``numeric``. ``failed`` and ``kinks`` list the
    indices of the entries that failed and of those skipped because the step
    crossed a kink. ``hint`` names the likely mistake when one is recognised.
    """

    name: str
    shape: tuple[int, ...]
    checked: int
    max_rel_error: float
    worst: tuple[int, ...] | None = None
    analytic: float | None = None
    numeric: float | None = None
    failed: tuple[tuple[int, ...], ...] = ()
    kinks: tuple[tuple[int, ...], ...] = ()
    hint: str | None = None
    #: entries whose difference lies within the round-off of the loss: neither pass nor fail
    uncertain: tuple[tuple[int, ...], ...] = ()
    #: the largest round-off of a central difference met (absolute)
    noise: float = 0.0

    @property
    def verdict(self) -> str:
        """``"pass"``, ``"fail"`` (an entry is wrong beyond round-off), or ``"uncertain"`` (round-off hides it)."""
        if self.failed or not np.isfinite(self.max_rel_error):
            return "fail"
        return "uncertain" if self.uncertain else "pass"

    @property
    def passed(self) -> bool:
        """True only when every compared entry is right beyond doubt and the gradient had the right shape."""
        return self.verdict == "pass"

    def summary(self, tol: float) -> str:
        """One line, e.g. ``W1 (3, 4): 12 entries, max relative error 2.1e-10 <= 1e-05, pass``."""
        head = f"{self.name} {self.shape}: "
        if not np.isfinite(self.max_rel_error) and self.checked == 0 and self.hint:
            return head + f"FAIL: {self.hint}"
        text = head + f"{self.checked} entr{'y' if self.checked == 1 else 'ies'}"
        if self.kinks:
            text += f" ({len(self.kinks)} more at a kink, skipped)"
        text += f", max relative error {self.max_rel_error:.2g}"
        if self.passed:
            return text + f" <= {tol:g}, pass"
        if self.verdict == "uncertain":
            return text + (f", CANNOT TELL for {len(self.uncertain)}: the round-off of a central difference "
                           f"here is about {self.noise:.2g}; {UNCERTAIN_ADVICE}")
        if self.worst is None or self.analytic is None or self.numeric is None:  # failed at its kinks, together
            return text + f", FAIL: {self.hint}"
        text += f" > {tol:g}, FAIL: {len(self.failed)} wrong, worst at {self.worst}: "
        text += f"yours {self.analytic:.6g}, central difference {self.numeric:.6g}"
        return text + (f"; likely cause: {self.hint}" if self.hint else "")


@dataclass(frozen=True)
class Report:
    """The result of :func:`check_gradients` or :func:`check_sampled`.

    ``params`` maps each parameter name to its :class:`ParamCheck`; ``tol`` is
    the pass mark of the relative error; ``loss`` the unperturbed loss.
    ``str(report)`` gives one line per parameter.
    """

    method: str
    tol: float
    loss: float
    params: dict[str, ParamCheck] = field(default_factory=dict)

    @property
    def verdict(self) -> str:
        """``"fail"`` if any parameter failed, else ``"uncertain"`` if round-off hid any entry, else ``"pass"``."""
        verdicts = {p.verdict for p in self.params.values()}
        return "fail" if "fail" in verdicts else "uncertain" if "uncertain" in verdicts else "pass"

    @property
    def passed(self) -> bool:
        """True when every parameter passed beyond doubt (entries at a kink do not count)."""
        return self.verdict == "pass"

    @property
    def failed(self) -> list[str]:
        """Names of the parameters whose gradient failed."""
        return [name for name, p in self.params.items() if not p.passed]

    @property
    def kinks(self) -> list[tuple[str, tuple[int, ...]]]:
        """``(name, index)`` of every entry skipped because the step crossed a kink."""
        return [(name, idx) for name, p in self.params.items() for idx in p.kinks]

    @property
    def max_rel_error(self) -> float:
        """The largest relative error over all compared entries."""
        return max((p.max_rel_error for p in self.params.values()), default=0.0)

    def __str__(self) -> str:
        verdict = {"pass": "pass", "fail": "FAIL", "uncertain": "CANNOT TELL"}[self.verdict]
        lines = [f"gradient check ({self.method}, pass mark {self.tol:g}): {verdict}"]
        lines += ["  " + p.summary(self.tol) for p in self.params.values()]
        return "\n".join(lines)


@dataclass(frozen=True)
class DirectionCheck:
    """The result of :func:`check_direction`.

    ``analytic`` is ``grads . v`` (summed over every parameter), ``numeric`` the
    central difference ``(L(theta + h v) - L(theta - h v)) / (2h)``, and
    ``rel_error`` their relative error. ``status`` is ``"pass"``, ``"fail"``,
    ``"kink"`` (the step along ``v`` crossed a kink: inconclusive, draw another
    direction) or ``"uncertain"`` (the round-off of the loss, ``noise``, hides
    the difference). ``n_params`` counts the entries of all parameters together.
    """

    analytic: float
    numeric: float
    rel_error: float
    tol: float
    status: str
    n_params: int
    hint: str | None = None
    noise: float = 0.0

    @property
    def passed(self) -> bool:
        """True for a pass, and for a check skipped at a kink; False for a failure or when round-off hides it."""
        return self.status in ("pass", "kink")

    def __str__(self) -> str:
        head = (f"direction check over {self.n_params} parameters: grad . v = {self.analytic:.10g}, "
                f"central difference {self.numeric:.10g}, relative error {self.rel_error:.2g}")
        if self.status == "pass":
            return head + f" <= {self.tol:g}, pass"
        if self.status == "kink":
            return head + ": the step crossed a kink (ReLU at 0, max, abs), skipped; try another direction"
        if self.status == "uncertain":
            return head + f": CANNOT TELL, the round-off here is about {self.noise:.2g}; {UNCERTAIN_ADVICE}"
        return head + f" > {self.tol:g}, FAIL" + (f": {self.hint}" if self.hint else "")


def _require_float64(params: Params) -> None:
    for name, p in params.items():
        if not isinstance(p, np.ndarray) or p.dtype != np.float64 or not p.flags.writeable:
            raise TypeError(f"parameter {name!r} must be a writeable float64 NumPy array (it is perturbed "
                            f"in place); got {type(p).__name__} of dtype {getattr(p, 'dtype', None)}")


def _loss(loss_fn: LossFn, params: Params) -> float:
    with np.errstate(all="ignore"):
        return float(loss_fn(params))


def _loss_at(loss_fn: LossFn, params: Params, arr: np.ndarray, idx: tuple[int, ...], value: float) -> float:
    """The loss with ``arr[idx] = value``; ``arr`` is restored afterwards."""
    old = arr[idx]
    try:
        arr[idx] = value
        return _loss(loss_fn, params)
    finally:
        arr[idx] = old


def _roundoff(*losses: float, step: float) -> float:
    """Least round-off of a central difference of step ``step`` between losses of these sizes.

    Two losses each rounded to half a unit in the last place differ from the
    truth by up to one unit (``np.spacing``) of the larger; divided by ``2 step``.
    """
    big = max((abs(x) for x in losses if np.isfinite(x)), default=0.0)
    return float(np.spacing(big)) / (2.0 * step)


def _measured_noise(central: Callable[[float], float], n: float, h: float, least: float) -> float:
    """Round-off of the central difference ``n`` (step ``h``), measured: the spread over steps ``h * NOISE_STEPS``.

    For a smooth loss the truncation error at these steps is about 1e-10 of the
    slope, so what differs between them is round-off; never less than ``least``.
    """
    values = [n] + [central(h * f) for f in NOISE_STEPS]
    if not all(np.isfinite(v) for v in values):
        return float("inf")
    return max(least, max(values) - min(values))


def _judge(a: float, n: float, noise: float, tol: float) -> str:
    """``"pass"`` when ``|a - n|`` plus round-off is within tolerance, ``"fail"`` when minus it is beyond, else ``"uncertain"``."""
    diff = abs(a - n)
    if not np.isfinite(diff):
        return "fail"
    allowed = max(tol * (abs(a) + abs(n)), ATOL)
    if diff + noise <= allowed:
        return "pass"
    return "fail" if diff - noise > allowed else "uncertain"


def _is_kink(a: float, f0: float, up: float, down: float, h: float,
             small: Callable[[float], tuple[float, float]], tol: float, noise: float) -> bool:
    """Whether a failing comparison is explained by a kink inside the step, with ``a`` a valid slope there.

    ``a`` is the gradient under test; ``f0``, ``up``, ``down`` are the loss at
    the point and at ``+h`` and ``-h`` along the checked coordinate (or
    direction); ``small(s)`` returns the loss at ``+s`` and ``-s``; ``noise``
    is the round-off of a central difference of step ``h``.

    A single kink at distance ``t < h`` from the point leaves one one-sided
    slope exact and bends the other by ``jump``: the central difference lands
    half-way, ``jump / 2`` away from the right answer. A smooth loss bends both
    slopes by only ``h |L''| / 2``. So a kink is declared when

    1. the one-sided slopes ``(up - f0) / h`` and ``(f0 - down) / h`` disagree
       by ``jump``, well beyond round-off, and the mismatch ``|a - n|`` is no
       larger than ``jump`` (a kink does not excuse a larger error); and
    2. with a smaller step ``s`` (``h / 10``, then ``h / 100``) either the
       mismatch is gone (the kink lies between ``s`` and ``h``), or the jump
       shrank much less than tenfold, as it does at a kink within ``s`` of the
       point (a smooth loss's jump shrinks in proportion to the step, and a
       wrong gradient stays wrong at any step); and then ``a`` lies between
       the one-sided slopes at that step: at a kink the gradient may be any
       value between the slopes on either side (ReLU'(0) in [0, 1]), never
       one outside them (ReLU'(0) = 1.4 is wrong).
    """
    d_up, d_down = (up - f0) / h, (f0 - down) / h
    jump = abs(d_up - d_down)
    n = (up - down) / (2.0 * h)
    if not (jump > 8.0 * noise and abs(a - n) <= jump):
        return False
    for factor in SMALLER_STEPS:
        s = h / factor
        noise_s = noise * factor
        up_s, down_s = small(s)
        n_s = (up_s - down_s) / (2.0 * s)
        if _judge(a, n_s, noise_s, tol) == "pass":
            return True
        slope_up, slope_down = (up_s - f0) / s, (f0 - down_s) / s
        if abs(slope_up - slope_down) > 3.0 * jump / factor + 8.0 * noise_s:
            slack = tol * (abs(slope_up) + abs(slope_down)) + 2.0 * noise_s
            return min(slope_up, slope_down) - slack <= a <= max(slope_up, slope_down) + slack
    return False


def _check_entries(loss_fn: LossFn, params: Params, name: str, got: Any,
                   indices: Iterable[tuple[int, ...]] | None, f0: float, h: float, tol: float,
                   floor: float) -> ParamCheck:
    """Compare ``got`` with central differences at ``indices`` (all entries if ``None``)."""
    arr = params[name]
    shape = tuple(arr.shape)
    g = as_array(got)
    if g is None or g.shape != arr.shape:
        hint = (f"no gradient for {name}" if got is None and g is None
                else diagnose(np.zeros(shape), got) or f"shape {shape} expected")
        return ParamCheck(name, shape, 0, float("inf"), hint=hint)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g = g.astype(np.float64)
    full = indices is None
    numeric = np.full(shape, np.nan)
    worst, worst_err = None, -1.0
    failed: list[tuple[int, ...]] = []
    kinks: list[tuple[int, ...]] = []
    uncertain: list[tuple[int, ...]] = []
    noise_seen = 0.0
    visited = 0
    for idx in (np.ndindex(shape) if full else indices):
        visited += 1
        old = float(arr[idx])
        up = _loss_at(loss_fn, params, arr, idx, old + h)
        down = _loss_at(loss_fn, params, arr, idx, old - h)
        n = (up - down) / (2.0 * h)
        numeric[idx] = n
        a = float(g[idx])
        noise = _roundoff(f0, up, down, step=h)
        verdict = _judge(a, n, noise, tol)
        if verdict != "pass":
            def small(s: float, idx: tuple[int, ...] = idx, old: float = old) -> tuple[float, float]:
                return (_loss_at(loss_fn, params, arr, idx, old + s),
                        _loss_at(loss_fn, params, arr, idx, old - s))

            def central(s: float) -> float:
                plus, minus = small(s)
                return (plus - minus) / (2.0 * s)
            if np.isfinite(a) and np.isfinite(n) and _is_kink(a, f0, up, down, h, small, tol, noise):
                kinks.append(idx)
                continue
            noise = _measured_noise(central, n, h, noise)
            verdict = _judge(a, n, noise, tol)
            noise_seen = max(noise_seen, noise)
            if verdict == "fail":
                failed.append(idx)
            elif verdict == "uncertain":
                uncertain.append(idx)
        err = float(rel_error(a, n, max(floor, ATOL / tol)))  # <= tol exactly when |a - n| is within the pass mark
        err = float("inf") if np.isnan(err) else err
        if err > worst_err:
            worst, worst_err = idx, err
    checked = visited - len(kinks)
    if worst is None:
        return ParamCheck(name, shape, checked, 0.0, kinks=tuple(kinks))
    hint = diagnose(numeric, got) if failed and full else None
    return ParamCheck(name, shape, checked, worst_err, worst, float(g[worst]), float(numeric[worst]),
                      tuple(failed), tuple(kinks), hint, tuple(uncertain), noise_seen)


def _kinks_together(loss_fn: LossFn, params: Params, grads: Mapping[str, Any], checks: dict[str, ParamCheck],
                    f0: float, h: float, tol: float) -> dict[str, ParamCheck]:
    """Fail the entries skipped at kinks when, taken together, they are not a valid gradient there.

    Each entry alone may lie between its own one-sided slopes and the set still
    be wrong: at a tie of ``max(x1, x2)`` the gradient is ``(t, 1 - t)``, and
    ``(1, 1)`` passes entry by entry. Along the direction ``v`` that moves all
    those entries at once, the gradient's ``g . v`` must lie between the
    loss's one-sided slopes too.
    """
    where = [(name, idx) for name, c in checks.items() for idx in c.kinks]
    if len(where) < 2:
        return checks
    saved = {name: params[name].copy() for name, _ in where}
    weight = 1.0 / np.sqrt(len(where))
    gv = sum(float(as_array(grads[name])[idx]) * weight for name, idx in where)

    def loss_along(t: float) -> float:
        try:
            for name, idx in where:
                params[name][idx] = saved[name][idx] + t * weight
            return _loss(loss_fn, params)
        finally:
            for name in saved:
                params[name][...] = saved[name]

    up, down = loss_along(h), loss_along(-h)
    slope_up, slope_down = (up - f0) / h, (f0 - down) / h
    slack = tol * (abs(slope_up) + abs(slope_down)) + 2.0 * _roundoff(f0, up, down, step=h) + ATOL
    if min(slope_up, slope_down) - slack <= gv <= max(slope_up, slope_down) + slack:
        return checks
    hint = (f"at the kinks, your gradient is not one the loss can have: moving those {len(where)} entries "
            f"together, it predicts a slope of {gv:.6g}, but the loss's slopes on either side are "
            f"{slope_down:.6g} and {slope_up:.6g}")
    out = dict(checks)
    for name in {name for name, _ in where}:
        c = out[name]
        out[name] = dataclasses.replace(c, failed=c.failed + c.kinks, kinks=(), hint=c.hint or hint)
    return out


def check_gradients(loss_fn: LossFn, params: Params, grads: Mapping[str, Any], *, h: float = H,
                    tol: float = NUMERIC_TOL, floor: float = FLOOR) -> Report:
    """Compare every entry of ``grads`` with central differences of ``loss_fn``.

    ``params`` maps names to float64 arrays of any shapes (for an MLP:
    ``W1 (n_in, n_hid)``, ``b1 (n_hid,)``, ...); ``grads`` maps the same names
    to the gradients under test, each of its parameter's shape. Cost:
    ``1 + 2 * (total number of entries)`` evaluations of the loss (up to 4 more
    per failing entry, to look for a kink), so use it on small networks;
    :func:`check_sampled` and :func:`check_direction` scale.

    Tolerance: an entry passes when ``|a - n|`` plus the round-off of the
    central difference is within ``tol * (|a| + |n|)`` (``NUMERIC_TOL``, 1e-5:
    the central difference itself is good to about 1e-10 to 1e-8) or within
    ``ATOL`` (1e-8: values below it count as zero); it fails when ``|a - n|``
    minus the round-off (measured at three steps) is still beyond that, and is
    listed as ``uncertain`` otherwise: the loss's round-off hides the answer
    (see the module docstring). Only a pass makes ``report.passed`` true.

    Kinks: where ``+h`` or ``-h`` crosses a kink (ReLU at 0, max, abs) the
    central difference is not the derivative. A failing entry whose one-sided
    differences show a kink (see ``_is_kink``) is listed in ``kinks`` and
    skipped rather than failed. Returns a :class:`Report`.
    """
    _require_float64(params)
    f0 = _loss(loss_fn, params)
    checks = {name: _check_entries(loss_fn, params, name, grads.get(name), None, f0, h, tol, floor)
              for name in params}
    return Report("full central differences", tol, f0, _kinks_together(loss_fn, params, grads, checks, f0, h, tol))


def check_sampled(loss_fn: LossFn, params: Params, grads: Mapping[str, Any], k: int,
                  rng: np.random.Generator | int, *, h: float = H, tol: float = NUMERIC_TOL,
                  floor: float = FLOOR) -> Report:
    """Like :func:`check_gradients`, on ``k`` random entries of each parameter array.

    The entries are drawn without replacement by ``rng`` (a
    ``np.random.Generator``, or an int seed for one), all of them when an
    array has at most ``k``. Cost: ``1 + 2 * k * len(params)`` evaluations of
    the loss, whatever the size of the arrays. A mistake that touches a whole
    array (a wrong formula) shows in any entry; a mistake in a single entry is
    caught only with probability ``k / size``, which is what
    :func:`check_direction` is for. Tolerances and kinks as in
    :func:`check_gradients`.
    """
    _require_float64(params)
    rng = np.random.default_rng(rng)
    f0 = _loss(loss_fn, params)
    checks = {}
    for name, arr in params.items():
        size = arr.size
        flat = rng.choice(size, size=min(k, size), replace=False)
        indices = [tuple(int(i) for i in np.unravel_index(j, arr.shape)) for j in np.sort(flat)]
        checks[name] = _check_entries(loss_fn, params, name, grads.get(name), indices, f0, h, tol, floor)
    return Report(f"{k} sampled entries per array", tol, f0, _kinks_together(loss_fn, params, grads, checks, f0, h,
                                                                              tol))


def random_direction(params: Params, rng: np.random.Generator | int) -> dict[str, np.ndarray]:
    """A random unit vector over all parameters, as arrays of the parameters' shapes.

    Each entry has a random sign and a magnitude drawn uniformly from [1, 2]
    before the whole vector is scaled to length 1 (see :func:`check_direction`
    for why the magnitudes stay away from 0).
    """
    rng = np.random.default_rng(rng)
    v = {}
    for name, p in params.items():
        r = rng.uniform(-1.0, 1.0, size=np.shape(p))  # sign of r: the sign; 1 + |r|: the magnitude
        v[name] = np.copysign(1.0 + np.abs(r), r)
    norm = np.sqrt(sum(float(np.sum(x * x)) for x in v.values()))
    return {name: x / norm for name, x in v.items()}


def check_direction(loss_fn: LossFn, params: Params, grads: Mapping[str, Any],
                    rng: np.random.Generator | int, *, direction: Params | None = None, h: float = H,
                    tol: float = DIRECTION_TOL) -> DirectionCheck:
    """Check all of ``grads`` at once along one random direction ``v``.

    Compares the directional derivative ``grads . v`` (the sum over every
    parameter of ``(grads[name] * v[name]).sum()``) with the central difference
    ``(L(theta + h v) - L(theta - h v)) / (2h)``. Cost: two evaluations of the
    loss whatever the number of parameters (up to five more when it fails, to
    look for a kink). ``params``, ``grads`` and ``loss_fn`` as in
    :func:`check_gradients`; ``v`` comes from :func:`random_direction` with
    ``rng`` unless ``direction`` gives it.

    Why a wrong gradient almost surely fails: write the gradient under test as
    ``g + e`` with ``g`` the true one. The check measures ``e . v``. For any
    ``e != 0`` the directions with ``e . v = 0`` form a hyperplane, which a
    direction with a continuous distribution hits with probability 0; so a
    wrong gradient is missed only when ``|e . v|`` falls below the tolerance.
    ``v`` has random signs, so errors in different entries cannot cancel
    systematically, and magnitudes within a factor 2 of each other (never near
    0), so an error confined to one entry ``i`` is always seen: ``|e . v| >=
    |e_i| / |u|`` while ``|g . v| <= 2 * sum|g| / |u|`` (``u`` the vector before
    scaling), hence a single wrong entry is caught whatever the draw once
    ``|e_i| > 4 * tol * sum|g|`` (plus the round-off allowance).

    Tolerance: ``tol`` (``DIRECTION_TOL``, 1e-6) on the relative error of the
    two numbers. With ``|v| = 1`` the step along the line is ``h`` and the
    central difference is good to about 1e-10 relative, as for one entry; the
    tolerance is tighter than ``NUMERIC_TOL`` because one number stands for
    all entries and a small error in one entry is diluted in the sum. The
    verdict is judged as for one entry (pass, fail, or ``"uncertain"`` when the
    loss's round-off hides the difference; ``ATOL`` when ``grads . v`` is near
    0 by chance). Returns a :class:`DirectionCheck`.
    """
    _require_float64(params)
    v = dict(direction) if direction is not None else random_direction(params, rng)
    n_params = sum(int(np.size(p)) for p in params.values())
    analytic = 0.0
    hint = None
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, p in params.items():
            g = as_array(grads.get(name))
            if g is None or g.shape != p.shape:
                hint = f"{name}: " + (diagnose(np.zeros(p.shape), grads.get(name)) or f"shape {p.shape} expected")
                analytic = float("nan")
                break
            analytic += float(np.sum(g.astype(np.float64) * v[name]))
    saved = {name: p.copy() for name, p in params.items()}

    def loss_along(t: float) -> float:
        try:
            for name, p in params.items():
                np.add(saved[name], t * v[name], out=p)
            return _loss(loss_fn, params)
        finally:
            for name, p in params.items():
                p[...] = saved[name]

    up, down = loss_along(h), loss_along(-h)
    numeric = (up - down) / (2.0 * h)
    noise = _roundoff(up, down, step=h)
    err = float(rel_error(analytic, numeric, max(FLOOR, ATOL / tol)))
    err = float("inf") if np.isnan(err) else err
    status = "fail" if hint is not None else _judge(analytic, numeric, noise, tol)
    if status != "pass" and hint is None and np.isfinite(analytic) and np.isfinite(numeric):
        f0 = _loss(loss_fn, params)
        if _is_kink(analytic, f0, up, down, h, lambda s: (loss_along(s), loss_along(-s)), tol, noise):
            status = "kink"
        else:
            noise = _measured_noise(lambda s: (loss_along(s) - loss_along(-s)) / (2.0 * s), numeric, h, noise)
            status = _judge(analytic, numeric, noise, tol)
    return DirectionCheck(analytic, numeric, err, tol, status, n_params, hint, noise)
