"""Student-facing checks: run a student's function, judge it, explain a failure.

A check either prints one line starting with a tick, or raises
:class:`CheckFailed`, whose message says which input failed, what was
expected, what came back and (where it can tell) the likely mistake. In a
notebook the message is shown without a traceback.

Nothing here writes to stderr: the student's code runs with NumPy's floating
point warnings and Python's warnings silenced, because nbgrader scores a test
cell 0 when it writes anything to stderr.

Three rules hold for every exercise, the same in the self-check and in every
hidden test (so a passing self-check never meets a different rule later):

* **Inputs stay as they were.** The checks compare every array, list and
  dict a student's function is given, before and after the call; a change
  fails, naming the input ("changed its input theta in place"), unless the
  lesson's ``MAY_MODIFY`` table allows it for that exercise (lesson 06's
  ``train_step`` updates ``params``). The exercise's text says which
  (``autograder/preprocessors/state_forbidden.py`` writes it from the same
  table).
* **The kind the text names.** A lesson's ``RETURNS`` table gives each
  exercise's answer kind (a NumPy array, one number, a tuple, a list, a
  dict); a list where an array or a tuple is asked for fails.
* **float64.** Results must be float64 (NumPy's default) or exact integers:
  a float32 or float16 result fails, with its dtype and the fix, however
  close its values are. Tolerances are float64 ones, so a float32 answer
  would pass or fail by luck of the inputs; this rule makes the verdict the
  same for every student.

The first two are judged when a check would otherwise pass (:func:`passed`),
so the check's own diagnosis of a wrong answer comes first; a float32 answer
fails at once, as any diagnosis of its values could name a wrong cause.
"""
from __future__ import annotations

import contextlib
import contextvars
import dis
import inspect
import sys
import threading
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


#: Fingerprints already taken, by code object: a watch sees the same library code (NumPy's, the checks'
#: own) on every call of a student's function, and taking a fingerprint reads every instruction. Each
#: entry keeps its code object alive, so an ``id`` cannot be reused while it is here.
_FINGERPRINTS: dict[int, tuple[types.CodeType, tuple[Any, ...]]] = {}
_MAX_FINGERPRINTS = 50_000


def cached_fingerprint(code: types.CodeType) -> tuple[Any, ...]:
    """:func:`code_fingerprint` of ``code``, taken once per code object."""
    known = _FINGERPRINTS.get(id(code))
    if known is None or known[0] is not code:
        if len(_FINGERPRINTS) >= _MAX_FINGERPRINTS:
            _FINGERPRINTS.clear()
        known = _FINGERPRINTS[id(code)] = (code, code_fingerprint(code))
    return known[1]


def copy_fingerprints(references: Iterable[Callable[..., Any]]) -> set[tuple[Any, ...]]:
    """Fingerprints by which copies of ``references`` are recognised (those long enough to tell)."""
    out = set()
    for ref in references:
        code = getattr(ref, "__code__", None)
        fingerprint = cached_fingerprint(code) if code is not None else None
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
            known = seen[id(code)] = (code, code in codes or cached_fingerprint(code) in prints)
        if known[1]:
            watch.hit = code.co_name

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


# --- the rules every exercise's answer follows (see the module docstring) ---------------------------

#: What an exercise's answer must be, in a lesson's ``RETURNS`` (``{task: spec}``): ``ARRAY`` a NumPy array,
#: ``NUMBER`` one number (a Python or NumPy scalar, or a 0-d array), ``NUMERIC`` either of these (an
#: element-wise function of an array or a number), ``list``/``dict`` that container, a tuple of specs a tuple
#: of that length whose entries follow them, ``None`` anything.
ARRAY, NUMBER, NUMERIC = "array", "number", "numeric"
_KIND_WORDS = {ARRAY: "a NumPy array", NUMBER: "one number", NUMERIC: "a number or a NumPy array",
               list: "a list", dict: "a dict"}
#: Deeper than this, returned or passed containers are not looked into (a cycle, or data no exercise has).
_MAX_DEPTH = 12


def current_exercise() -> tuple[Mapping[str, Any], str, types.FrameType] | None:
    """``(the lesson module's globals, task, its frame)`` of the exercise being checked, or None outside one.

    The exercise is the OUTERMOST ``check_<task>`` function of a lesson's
    checks module (``backprop_lib.exercises.lessonNN``) on the call stack: the
    one a test cell (or the grader) called. A check's helpers and the checks
    of other exercises it calls on the way run under that same exercise.
    """
    frame, found = sys._getframe(1), None
    while frame is not None:
        code = frame.f_code
        if code.co_name.startswith("check_") and \
                str(frame.f_globals.get("__name__", "")).startswith("backprop_lib.exercises.lesson"):
            found = (frame.f_globals, code.co_name[len("check_"):], frame)
        frame = frame.f_back
    return found


class _Pending(threading.local):
    """The rules an exercise check's calls broke so far: judged when the check would pass (:func:`passed`).

    A check's own diagnosis of a wrong answer is more precise than "the wrong
    kind of value" or "changed its input in place", so those wait: an answer
    the check would fail anyway fails with the check's own words, and one it
    would pass fails on the first rule it broke. One record per thread, for
    the check running in it (its frame).
    """

    def __init__(self) -> None:
        self.frame: types.FrameType | None = None
        self.problems: list[str] = []


_PENDING = _Pending()


def note_problem(problem: str) -> None:
    """Record a broken rule for the exercise check running now (outside one: fail at once)."""
    found = current_exercise()
    if found is None:
        raise CheckFailed(problem)
    if _PENDING.frame is not found[2]:
        _PENDING.frame, _PENDING.problems = found[2], []
    _PENDING.problems.append(problem)


def pending_problem() -> str | None:
    """The first rule the running exercise check's calls broke, if any (and forget it)."""
    found = current_exercise()
    if found is None or _PENDING.frame is not found[2] or not _PENDING.problems:
        return None
    problem = _PENDING.problems[0]
    _PENDING.frame, _PENDING.problems = None, []
    return problem


def exercise_rules() -> tuple[Mapping[str, int], Any]:
    """``(inputs it may change in place, the spec of its answer)`` of the current exercise (see RETURNS, MAY_MODIFY).

    The inputs are ``{name in the exercise's signature: its position}``: a
    student who renames the parameter still may change it. Outside an
    exercise check: nothing may change, and any answer's kind is fine.
    """
    found = current_exercise()
    if found is None:
        return {}, None
    module, task, _ = found
    may = dict((module.get("MAY_MODIFY") or {}).get(task, {}))
    return may, (module.get("RETURNS") or {}).get(task)


def _what(value: Any) -> str:
    """``"a list"``, ``"a float"``, ``"a NumPy array"`` for messages about the kind of a value."""
    if isinstance(value, np.ndarray):
        return "a NumPy array"
    if value is None:
        return "None"
    kind = type(value).__name__
    return f"{'an' if kind[0] in 'aeiouAEIOU' else 'a'} {kind}"


def _is_number(value: Any) -> bool:
    if isinstance(value, (bool, np.bool_)):
        return True
    if isinstance(value, (int, float, np.number)):
        return True
    return isinstance(value, np.ndarray) and value.ndim == 0


def wrong_kind(value: Any, spec: Any, where: str = "") -> str | None:
    """Why ``value`` is not of the kind ``spec`` (see :data:`ARRAY`), or None when it is.

    ``where`` names the part of the answer (``"[1]"`` for the second entry of a tuple).
    """
    part = f"its answer{where}" if where else "it"
    if spec is None:
        return None
    if isinstance(spec, tuple):
        if not isinstance(value, tuple):
            extra = " (a list, where the exercise asks for a tuple: return a, b rather than [a, b])" \
                if isinstance(value, list) else ""
            return f"{part} is {_what(value)}; the exercise asks for a tuple of {len(spec)}{extra}"
        if len(value) != len(spec):
            return f"{part} is a tuple of {len(value)}; the exercise asks for a tuple of {len(spec)}"
        for i, (entry, inner) in enumerate(zip(value, spec)):
            why = wrong_kind(entry, inner, f"{where}[{i}]")
            if why:
                return why
        return None
    if spec in (list, dict):
        return None if isinstance(value, spec) else f"{part} is {_what(value)}; the exercise asks for {_KIND_WORDS[spec]}"
    if spec == ARRAY:
        if isinstance(value, np.ndarray):
            return None
        fix = " (wrap it: np.array(...))" if isinstance(value, (list, tuple)) else ""
        return f"{part} is {_what(value)}; the exercise asks for a NumPy array{fix}"
    if spec == NUMBER:
        if _is_number(value) or (isinstance(value, np.ndarray) and value.size == 1 and value.ndim <= 1):
            return None
        return f"{part} is {_what(value)}; the exercise asks for one number"
    if spec == NUMERIC:
        if _is_number(value) or isinstance(value, np.ndarray):
            return None
        fix = " (wrap it: np.array(...))" if isinstance(value, (list, tuple)) else ""
        return f"{part} is {_what(value)}; the exercise asks for a number or a NumPy array{fix}"
    return None


def low_precision(value: Any, where: str = "", depth: int = 0) -> str | None:
    """``"float32 (in its answer[1])"`` when ``value`` holds floats of less than 64 bits anywhere, else None."""
    if depth > _MAX_DEPTH:
        return None
    if isinstance(value, (np.ndarray, np.generic)):
        dtype = np.asarray(value).dtype
        if np.issubdtype(dtype, np.floating) and dtype.itemsize < 8 or \
                np.issubdtype(dtype, np.complexfloating) and dtype.itemsize < 16:
            return f"{dtype}" + (f" (in its answer{where})" if where else "")
        return None
    if isinstance(value, (list, tuple)):
        items: Iterable[tuple[str, Any]] = ((f"[{i}]", v) for i, v in enumerate(value))
    elif isinstance(value, dict):
        items = ((f"[{k!r}]", v) for k, v in value.items())
    else:
        return None
    for key, inner in items:
        found = low_precision(inner, where + key, depth + 1)
        if found:
            return found
    return None


def snapshot(value: Any, depth: int = 0) -> Any:
    """A copy of the arrays, lists, dicts and tuples in ``value`` (other objects by reference), to compare later."""
    if depth > _MAX_DEPTH:
        return value
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, list):
        return [snapshot(v, depth + 1) for v in value]
    if isinstance(value, tuple):
        return tuple(snapshot(v, depth + 1) for v in value)
    if isinstance(value, dict):
        return {k: snapshot(v, depth + 1) for k, v in value.items()}
    return value


def _same_scalar(a: Any, b: Any) -> bool:
    if a is b:
        return True
    numbers = (int, float, complex, np.number, np.bool_)
    if isinstance(a, numbers) and isinstance(b, numbers) or \
            isinstance(a, (str, bytes)) and type(a) is type(b):
        try:
            return bool(a == b) or bool(a != a and b != b)  # NaN stays NaN
        except Exception:  # noqa: BLE001 - a comparison that fails means "changed"
            return False
    return False


def _num(x: Any) -> str:
    """A number for a message (``0.25``, ``3``), anything else as a short repr."""
    if isinstance(x, (bool, np.bool_, int, np.integer)):
        return str(x)
    if isinstance(x, (float, np.floating)):
        return f"{float(x):.10g}"
    return repr(x)[:60]


def first_change(before: Any, after: Any, path: str, depth: int = 0) -> tuple[str, str] | None:
    """``(path, what changed)`` of the first difference between a :func:`snapshot` and the value now, or None."""
    if depth > _MAX_DEPTH:
        return None
    if isinstance(before, np.ndarray):
        if not isinstance(after, np.ndarray):
            return path, f"it became {_what(after)}"
        if after.shape != before.shape or after.dtype != before.dtype:
            return path, f"its shape or dtype changed, from {before.shape} {before.dtype} to {after.shape} {after.dtype}"
        if before.dtype == object:
            same = all(a is b or _same_scalar(a, b) for a, b in zip(before.ravel(), after.ravel()))
            return None if same else (path, "an entry changed")
        diff = np.asarray(before != after)
        if np.issubdtype(before.dtype, np.inexact):
            diff = diff & ~(np.isnan(before) & np.isnan(after))
        if not diff.any():
            return None  # the same values (0.0 and -0.0, NaN and NaN count as the same)
        if before.ndim == 0:
            return path, f"it went from {_num(before[()])} to {_num(after[()])}"
        idx = tuple(int(i) for i in np.argwhere(diff)[0])
        return path, f"entry [{', '.join(map(str, idx))}] went from {_num(before[idx])} to {_num(after[idx])}"
    if isinstance(before, list):
        if not isinstance(after, list):
            return path, f"it became {_what(after)}"
        if len(after) != len(before):
            return path, f"its length changed from {len(before)} to {len(after)}"
        for i, (a, b) in enumerate(zip(before, after)):
            found = first_change(a, b, f"{path}[{i}]", depth + 1)
            if found:
                return found
        return None
    if isinstance(before, tuple):
        for i, (a, b) in enumerate(zip(before, after if isinstance(after, tuple) else ())):
            found = first_change(a, b, f"{path}[{i}]", depth + 1)
            if found:
                return found
        return None
    if isinstance(before, dict):
        if not isinstance(after, dict):
            return path, f"it became {_what(after)}"
        if set(before) != set(after):
            added, gone = sorted(map(repr, set(after) - set(before))), sorted(map(repr, set(before) - set(after)))
            return path, "keys were " + " and ".join(
                part for part in (f"added ({', '.join(added)})" if added else "",
                                  f"removed ({', '.join(gone)})" if gone else "") if part)
        for k in before:
            found = first_change(before[k], after[k], f"{path}[{k!r}]", depth + 1)
            if found:
                return found
        return None
    if not _same_scalar(before, after) and isinstance(before, (int, float, complex, str, bytes, np.generic)):
        return path, f"it went from {_num(before)} to {_num(after)}"
    if not isinstance(before, (int, float, complex, str, bytes, np.generic)) and before is not after:
        return path, "it was replaced by another object"
    return None


def argument_names(fn: Any, n_args: int) -> list[str]:
    """The names the function gives its first ``n_args`` positional parameters (``"argument 3"`` where unknown).

    A function judged outside the kernel is a proxy: it learns its names from
    the kernel when called (``parameter_names``).
    """
    names = getattr(fn, "parameter_names", None)
    if not (isinstance(names, list) and all(isinstance(n, str) for n in names)):
        names = positional_parameters(fn)
    return [names[i] if i < len(names) else f"argument {i + 1}" for i in range(n_args)]


def positional_parameters(fn: Any) -> list[str]:
    """The names of ``fn``'s positional parameters, in order (``[]`` where Python cannot tell)."""
    names = []
    try:
        for p in inspect.signature(fn).parameters.values():
            if p.kind not in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
                break
            names.append(p.name)
    except (TypeError, ValueError):
        pass
    return names


def changed_in_place(fn: Any, args: tuple[Any, ...], kwargs: Mapping[str, Any], before: tuple[Any, Any],
                     allowed: Mapping[str, int]) -> tuple[str, str] | None:
    """``(path, what changed)`` of the first argument the call changed in place and may not, or None.

    ``allowed`` maps the names of the inputs that may change to their
    positions in the exercise's signature: a positional argument is allowed
    by its position (whatever the student called it), a keyword one by name.
    """
    names = argument_names(fn, len(args))
    pairs = [(n, b, a, i in allowed.values()) for i, (n, b, a) in enumerate(zip(names, before[0], args))]
    pairs += [(k, before[1][k], v, k in allowed) for k, v in kwargs.items() if k in before[1]]
    for name, old, new, may_change in pairs:
        if may_change:
            continue
        found = first_change(old, new, name)
        if found:
            return found
    return None


def in_place_message(name: str, path: str, detail: str) -> str:
    """The failure of an answer that changed an input it must leave alone."""
    root = path.split("[", 1)[0]
    return (f"{name} changed its input {path} in place ({detail}). This exercise's function must leave its "
            "inputs as it found them: the caller still uses them. Compute new values instead "
            f"(new = {root} - step, not {root} -= step; or work on {root}.copy()).\n"
            f"  likely cause: your function changed its input {path} in place (-=, +=, *=, [...] = , .sort(), "
            ".append() or .pop() on an input): build a new value instead")


def answer_problem(name: str, result: Any, spec: Any) -> str | None:
    """Why the answer ``result`` breaks the rules every exercise follows (its kind, float64), or None."""
    why = wrong_kind(result, spec)
    if why:
        return f"{name} returned the wrong kind of value: {why}.\n  likely cause: {why}"
    return low_precision_problem(name, result)


def low_precision_problem(name: str, result: Any) -> str | None:
    """The failure of an answer holding floats of less than 64 bits, or None."""
    low = low_precision(result)
    if low:
        return (f"{name} returned {low} values; the checks ask for float64, NumPy's default, in the self-check "
                "and the hidden tests alike (the same rule for everybody, so a passing self-check means the "
                "hidden tests judge your numbers, not their precision).\n"
                f"  likely cause: {FLOAT64_RULE.format(dtype=low.split()[0])}")
    return None


#: The likely cause named for an answer in floats of less than 64 bits (``dtype`` is its dtype).
FLOAT64_RULE = ("your result is {dtype}; the checks ask for float64 (NumPy's default): drop the "
                "dtype=np.{dtype} or .astype(np.{dtype}) that made it, or convert with .astype(np.float64)")


def call_student(fn: Callable[..., Any], name: str, *args: Any,
                 forbidden: Iterable[Callable[..., Any]] = (), **kwargs: Any) -> Any:
    """Call a student's function quietly; turn its exceptions into a :class:`CheckFailed`.

    ``NotImplementedError`` becomes "not implemented yet"; any other exception
    names its type, its message and the inputs. Calling one of ``forbidden``
    (the library's own reference for this exercise) fails the check. A
    float32 answer fails at once (a check's diagnosis of its values would name
    a wrong cause). An input changed in place that the exercise does not
    allow, or an answer of the wrong kind, is noted for the running exercise
    check and fails it at :func:`passed` (see the module docstring), after the
    check's own diagnosis had its chance; outside an exercise check it fails
    at once.
    """
    if not callable(fn):
        raise CheckFailed(f"{name} should be a function, but it is {describe_type(fn)}")
    may_modify, spec = exercise_rules()
    before = (snapshot(args), snapshot(dict(kwargs)))
    try:
        result = run_watched(fn, args, kwargs, forbidden)
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
    low = low_precision_problem(name, result)
    if low:  # at once: any diagnosis a check makes of float32 values would name a wrong cause
        raise CheckFailed(low)
    changed = changed_in_place(fn, args, kwargs, before, may_modify)
    problem = in_place_message(name, *changed) if changed else answer_problem(name, result, spec)
    if problem:
        note_problem(problem)
    return result


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
    wrong = None
    if arr is not None and arr.shape == expected.shape:
        err = gradcheck.rel_error(expected, arr.astype(np.float64), floor)
        err = np.where(np.isnan(err), np.inf, err)
        worst = float(np.max(err)) if err.size else 0.0
        if worst <= tol:
            return
        wrong = err > tol
    else:
        worst = float("inf")
    lines = [f"{name} gives a wrong result.",
             f"  on input: {fmt_inputs(inputs)}",
             f"  expected: {fmt(expected)}",
             f"  got:      {fmt(got)}"]
    if np.isfinite(worst):
        lines.append(f"  largest relative error: {worst:.3g} (the pass mark is {tol:g})")
    low = low_precision(got)
    named = FLOAT64_RULE.format(dtype=low.split()[0]) if low else match_mistake(got, inputs, mistakes or {})
    hint = named or diagnose(expected, got)
    if hint:
        lines.append(f"  likely cause: {hint}")
    else:
        differs = describe_difference(expected, got, wrong)
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
    """Print the one-line success message of a check, unless one of its calls broke a rule every answer follows.

    The rules (an input changed in place that the exercise does not allow,
    the wrong kind of value) are noted by
    :func:`call_student` and judged here, so a check's own diagnosis comes
    first and nothing that breaks one passes.
    """
    problem = pending_problem()
    if problem:
        raise CheckFailed(problem)
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
