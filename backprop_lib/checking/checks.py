"""Student-facing checks: run a student's function, judge it, explain a failure.

A check either prints one line starting with a tick, or raises
:class:`CheckFailed`, whose message says which input failed, what was
expected, what came back and (where it can tell) the likely mistake. In a
notebook the message is shown without a traceback.

Nothing here writes to stderr: the student's code runs with NumPy's floating
point warnings and Python's warnings silenced, because nbgrader scores a test
cell 0 when it writes anything to stderr.
"""
from __future__ import annotations

import contextlib
import contextvars
import dis
import sys
import types
import warnings
from typing import Any, Callable, Iterable, Iterator, Mapping

import numpy as np

from . import gradcheck
from .diagnose import as_array, describe_difference, describe_type, diagnose
from .symbolic import Symbolic

#: A named wrong answer: computes what a typical mistake would return, given the same inputs.
Mistakes = Mapping[str, Callable[..., Any]]


class CheckFailed(AssertionError):
    """A check that failed; a notebook shows its message only, never a traceback."""

    def _render_traceback_(self) -> list[str]:  # IPython calls this instead of formatting frames
        return [f"\x1b[0;31m✗ {self}\x1b[0m"]


class LibraryError(RuntimeError):
    """The checker disagrees with itself (SymPy vs finite differences): not the student's fault."""


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Silence warnings inside the block, and send what it prints to stderr to stdout.

    A student's debugging ``print(..., file=sys.stderr)`` or a NumPy warning
    would otherwise make nbgrader score a correct answer 0.
    """
    with warnings.catch_warnings(), np.errstate(all="ignore"), contextlib.redirect_stderr(sys.stdout):
        warnings.simplefilter("ignore")
        yield


def fmt(value: Any, width: int = 200) -> str:
    """A compact, one-line repr of a number or array for messages."""
    arr = as_array(value)
    if arr is None:
        return repr(value)[:width]
    text = np.array2string(np.asarray(arr), precision=6, separator=", ", threshold=12,
                           max_line_width=10_000, suppress_small=False)
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 3] + "..."


def fmt_inputs(inputs: Mapping[str, Any]) -> str:
    """``x = 1.0, h = 1e-05`` for a mapping of argument names to values (functions by name)."""
    parts = []
    for k, v in inputs.items():
        shown = getattr(v, "__name__", None) if callable(v) else None
        parts.append(f"{k} = {shown or fmt(v, 120)}")
    return ", ".join(parts)


class _ReferenceCalled(Exception):
    """A student's call reached a forbidden reference implementation (or switched off the watch for one)."""


_FORBIDDEN: contextvars.ContextVar[tuple[Callable[..., Any], ...]] = contextvars.ContextVar("forbidden", default=())


def current_forbidden() -> tuple[Callable[..., Any], ...]:
    """The references forbidden by the innermost active :func:`forbid` block."""
    return _FORBIDDEN.get()


#: A reference shorter than this many instructions (as :func:`code_fingerprint` counts them) is recognised
#: only as itself, never by a copy of its code: code that short is written the same way by anyone (lesson 07's
#: one-line Xavier and He initialisations are 14 and 16, and the reference solutions match them exactly).
MIN_COPY_INSTRUCTIONS = 24


#: Instructions that say nothing about what code does (bookkeeping of the interpreter).
_NOISE = {"CACHE", "RESUME", "PRECALL", "NOP", "EXTENDED_ARG", "KW_NAMES"}
#: Instructions the compiler picks by context (a module imported in the same file or not): one name for each.
_SAME = {"LOAD_METHOD": "LOAD_ATTR", "CALL_METHOD": "CALL"}


def code_fingerprint(code: types.CodeType) -> tuple[Any, ...]:
    """What a function's code *does*: its instructions and the names and constants they use, nested code too.

    Not where it is (file, first line, line table), not the names of its local
    variables (by slot), not its docstring, not jump offsets, not the
    interpreter's bookkeeping, and ``obj.method()`` compiled either way: a copy
    of a library function pasted into a notebook, shifted, with its locals
    renamed, has the same fingerprint.
    """
    out = []
    for ins in dis.get_instructions(code):
        if ins.opname in _NOISE:
            continue
        name = _SAME.get(ins.opname, ins.opname)
        if ins.opcode in dis.hasjrel or ins.opcode in dis.hasjabs:
            arg: Any = None
        elif ins.opcode in dis.haslocal or ins.opcode in dis.hasfree:
            arg = ins.arg
        elif isinstance(ins.argval, types.CodeType):
            arg = code_fingerprint(ins.argval)
        elif ins.opcode in dis.hasconst:
            arg = (type(ins.argval).__name__, repr(ins.argval))
        else:
            arg = ins.argval if isinstance(ins.argval, (str, int, type(None))) else repr(ins.argval)
        out.append((name, arg))
    return (code.co_argcount, code.co_kwonlyargcount, tuple(out))


def copy_fingerprints(references: Iterable[Callable[..., Any]]) -> set[tuple[Any, ...]]:
    """Fingerprints by which copies of ``references`` are recognised (those long enough to tell)."""
    out = set()
    for ref in references:
        code = getattr(ref, "__code__", None)
        fingerprint = code_fingerprint(code) if code is not None else None
        if fingerprint is not None and len(fingerprint[2]) >= MIN_COPY_INSTRUCTIONS:
            out.add(fingerprint)
    return out


class Watch:
    """What :func:`forbid` saw: the first forbidden code called (``hit``), and whether its watch was switched off."""

    def __init__(self) -> None:
        self.hit: str | None = None
        self.switched_off = False

    def verdict(self) -> str | None:
        """Why the block broke the rule (a sentence), or None."""
        if self.hit:
            return f"calls the course library's own {self.hit} (or a copy of its code)"
        if self.switched_off:
            return "switched off the checks' watch for the library's own functions (sys.setprofile)"
        return None


@contextlib.contextmanager
def forbid(references: Iterable[Callable[..., Any]]) -> Iterator[Watch]:
    """Watch the block for calls of any of ``references``, or of a copy of one; yields a :class:`Watch`.

    Detection is through ``sys.setprofile`` (and ``threading.setprofile`` for
    threads the block starts): by code object, so a reference imported under
    another name is caught, and by :func:`code_fingerprint`, so a copy of its
    source (pasted, shifted, renamed) is caught too. The profiler only
    records what it sees, it never raises (Python would switch off a profiler
    that raises, and a ``try``/``except`` around the first call would leave
    the second one unwatched); the caller reads ``watch.verdict()`` after
    the block, and a watch found switched off is a verdict too.
    """
    references = tuple(references)
    codes = {getattr(r, "__code__", None) for r in references} - {None}
    prints = copy_fingerprints(references)
    token = _FORBIDDEN.set(references)
    watch = Watch()
    if not codes:
        try:
            yield watch
        finally:
            _FORBIDDEN.reset(token)
        return
    seen: dict[int, tuple[types.CodeType, bool]] = {}

    def profiler(frame: Any, event: str, arg: Any) -> None:
        if event != "call" or watch.hit:
            return
        code = frame.f_code
        known = seen.get(id(code))
        if known is None or known[0] is not code:
            known = seen[id(code)] = (code, code in codes or code_fingerprint(code) in prints)
        if known[1]:
            watch.hit = code.co_name

    import threading

    previous, previous_threads = sys.getprofile(), threading.getprofile()
    sys.setprofile(profiler)
    threading.setprofile(profiler)
    try:
        yield watch
    finally:
        watch.switched_off = sys.getprofile() is not profiler or threading.getprofile() is not profiler
        sys.setprofile(previous)
        threading.setprofile(previous_threads)
        _FORBIDDEN.reset(token)


def run_watched(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: Mapping[str, Any],
                references: Iterable[Callable[..., Any]]) -> Any:
    """``fn(*args, **kwargs)``, quietly, under :func:`forbid`; raises ``_ReferenceCalled`` if it broke the rule.

    A reference called counts first, even when the call then raised (a
    reference given wrong arguments must not hide behind its own error).
    """
    watch = Watch()
    try:
        with quiet(), forbid(references) as watch:
            return fn(*args, **kwargs)
    finally:
        broken = watch.verdict()
        if broken:
            raise _ReferenceCalled(broken)  # noqa: B012 - replaces whatever the call raised


def call_student(fn: Callable[..., Any], name: str, *args: Any,
                 forbidden: Iterable[Callable[..., Any]] = (), **kwargs: Any) -> Any:
    """Call a student's function quietly; turn its exceptions into a :class:`CheckFailed`.

    ``NotImplementedError`` becomes "not implemented yet"; any other exception
    names its type, its message and the inputs. Calling one of ``forbidden``
    (the library's own reference for this exercise) fails the check.
    """
    if not callable(fn):
        raise CheckFailed(f"{name} should be a function, but it is {describe_type(fn)}")
    try:
        return run_watched(fn, args, kwargs, forbidden)
    except _ReferenceCalled as exc:
        raise CheckFailed(f"{name} {exc} instead of computing the answer itself: write the formula in your "
                          "own code.") from None
    except NotImplementedError:
        raise CheckFailed(f"{name} is not implemented yet: replace the "
                          "`raise NotImplementedError(...)` line with your code, then run its cell.") from None
    except CheckFailed:
        raise
    except Exception as exc:  # noqa: BLE001 - any student error is reported, not propagated
        shown = dict(zip([f"arg{i}" for i in range(len(args))], args)) | kwargs
        raise CheckFailed(f"{name} raised {type(exc).__name__}: {exc}\n"
                          f"  on input: {fmt_inputs(shown)}") from None


def compare(name: str, expected: np.ndarray | float, got: Any, inputs: Mapping[str, Any], *,
            tol: float = gradcheck.EXACT_TOL, floor: float = gradcheck.FLOOR,
            mistakes: Mistakes | None = None) -> None:
    """Raise :class:`CheckFailed` unless ``got`` matches ``expected`` element-wise.

    ``expected`` has any shape; ``got`` must have the same shape. The relative
    error (:func:`backprop_lib.checking.gradcheck.rel_error`) must be at most ``tol``.
    ``mistakes`` maps a description of a typical mistake to a function of the
    same ``inputs`` (as keyword arguments) returning what that mistake gives;
    if ``got`` matches one of them, the message names it.
    """
    expected = np.asarray(expected, dtype=np.float64)
    arr = as_array(got)
    if arr is not None and arr.shape == expected.shape:
        err = gradcheck.rel_error(expected, arr.astype(np.float64), floor)
        worst = float(np.nanmax(np.where(np.isnan(err), np.inf, err))) if err.size else 0.0
        if worst <= tol:
            return
    else:
        worst = float("inf")
    lines = [f"{name} gives a wrong result.",
             f"  on input: {fmt_inputs(inputs)}",
             f"  expected: {fmt(expected)}",
             f"  got:      {fmt(got)}"]
    if np.isfinite(worst):
        lines.append(f"  largest relative error: {worst:.3g} (the pass mark is {tol:g})")
    named = match_mistake(got, inputs, mistakes or {})
    hint = named or diagnose(expected, got)
    if hint:
        lines.append(f"  likely cause: {hint}")
    else:
        differs = describe_difference(expected, got)
        if differs:
            lines.append(f"  differs:  {differs}")
    raise CheckFailed("\n".join(lines))


def match_mistake(got: Any, inputs: Mapping[str, Any], mistakes: Mistakes) -> str | None:
    """The description of the first mistake whose output equals ``got``, if any."""
    arr = as_array(got)
    if arr is None:
        return None
    for description, wrong in mistakes.items():
        with quiet():
            try:
                candidate = np.asarray(wrong(**inputs), dtype=np.float64)
            except Exception:  # noqa: BLE001 - a mistake model that does not apply is skipped
                continue
            if candidate.shape == arr.shape and np.allclose(arr, candidate, rtol=1e-6, atol=1e-12):
                return description
    return None


def require_keys(got: Any, keys: Iterable[str], what: str, example: str) -> Mapping[str, Any]:
    """``got`` if it is a mapping holding every one of ``keys``; else a :class:`CheckFailed` saying what is missing.

    ``what`` names the value ("the dict returned by backward"), ``example``
    shows the expected form ("{'W1': dW1, 'b1': db1}").
    """
    if not isinstance(got, Mapping):
        raise CheckFailed(f"{what} should be a dict {example}, but it is {describe_type(got)}")
    missing = [k for k in keys if k not in got]
    if missing:
        raise CheckFailed(f"{what} has no entry for {', '.join(map(str, missing))} "
                          f"(its keys are {sorted(map(str, got))}); expected {example}")
    return got


def passed(name: str, n_cases: int, how: str) -> None:
    """Print the one-line success message of a check."""
    print(f"✔ {name}: {n_cases} case{' passes' if n_cases == 1 else 's pass'} ({how}).")


def check_derivative(student_df: Callable[..., Any], forward: Symbolic, wrt: str,
                     cases: list[dict[str, np.ndarray | float]], *, name: str | None = None,
                     mistakes: Mistakes | None = None,
                     forbidden: Iterable[Callable[..., Any]] = ()) -> None:
    """Check a student's derivative function against SymPy and finite differences.

    ``forward`` is the function being differentiated, ``wrt`` the argument.
    Each case maps every argument name of ``forward`` to a float or an array
    (arrays broadcast together); the student's function is called with the
    same keyword arguments and must return the derivative, element-wise, in
    the broadcast shape. The expected value comes from ``sympy.diff``; it is
    first confirmed by central differences so that a failure is always the
    student's, never the checker's.
    """
    name = name or getattr(student_df, "__name__", "your function")
    exact = forward.grad(wrt)
    for case in cases:
        args = [case[n] for n in forward.names]
        expected = exact(*args)
        numeric = gradcheck.central_difference(
            lambda v: forward.value(*[v if n == wrt else case[n] for n in forward.names]), case[wrt])
        # below 1e-4 the two are compared absolutely: truncation error (about h**2 times f''') is no disagreement
        if gradcheck.max_rel_error(expected, numeric, floor=1e-4) > gradcheck.NUMERIC_TOL:
            raise LibraryError(f"SymPy and finite differences disagree on d/d{wrt} of {forward.expr} "
                               f"at {fmt_inputs(case)}: please report this")
        got = call_student(student_df, name, forbidden=forbidden, **case)
        compare(name, expected, got, case, mistakes=mistakes)
    passed(name, len(cases), "matches sympy.diff and central differences")
