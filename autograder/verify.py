"""Grader side of out-of-kernel verification: judge hidden tests where student code cannot reach.

nbgrader scores a test cell by what the kernel printed, and the kernel runs
the student's code: a submission can monkeypatch the checks or NumPy's
comparison helpers, silence IPython's traceback display, or install an input
transformer that blanks the test cells, and every test "passes". So after
the notebook has run, :func:`verify_notebook` runs each hidden check again
*in the grader's own process*, with a :class:`KernelProxy` in place of the
student's function: the check's inputs, expected values and comparison all
live here; only the student's outputs come from the kernel, as plain data
(:mod:`autograder.remote`). The verdict decides the cell: a check that fails
here adds an error to the cell, so it scores 0 whatever the kernel printed.

What travels, per call of the student's function
    * to the kernel, in ONE cloudpickle payload: the arguments, the names of
      the forbidden references, and ``objs``, every *data object* the
      arguments reach (:func:`data_objects`). A data object is an instance of
      a library class named in :mod:`autograder.transport`, with its data
      attributes (e.g. ``Value``'s ``data`` and ``grad``) and the attributes
      that hold other such objects (e.g. ``Value._parents``). One pickle keeps identity, so the kernel's copies of
      ``objs`` are the very objects its copies of the arguments hold.
    * back, as JSON only (:class:`Decoder`): the return value, the arguments
      as the call left them, the fields of every object of ``objs`` after the
      call, and a table of the data objects the student's code made. A data
      object of ``objs`` comes back as a reference and is read as the
      grader's ORIGINAL (a returned node is the grader's node); its fields
      are written onto the original (a node's ``grad``, a callback's call
      count), as changes made in place to arrays, dicts and lists are
      (:func:`write_back`). A data object the student made is rebuilt with
      the grader's OWN class, from type-checked fields (the table's ``rebuild``,
      or ``cls(**fields)`` for a dataclass); nothing the kernel sends is
      unpickled or run here. A returned function stays in the kernel as a
      handle (another :class:`KernelProxy`).

What is refused
    Any other object raises :class:`Unverifiable`; :func:`verify_notebook`
    fails the exercise for it (every graded answer is data or a data object,
    so only a tampered kernel sends anything else), as it does for any fault
    while judging: it fails closed, never leaving the kernel's verdict. A field of the wrong type, a reply that breaks
    the format, data nested deeper than :data:`MAX_DEPTH`, or a kernel that
    gives no answer is the student's function's doing: it raises
    :class:`BadReply`, a :class:`~backprop_lib.checking.checks.CheckFailed`, so the
    exercise fails with a message, and never crashes the grader.

Every graded exercise is verified this way: each lesson's checks module lists
it in ``VERIFIED_OUTSIDE``, and ``tests/test_verify.py`` proves that each
listed exercise's reference solution passes through the proxy and each known
mistake fails.
"""
from __future__ import annotations

import base64
import binascii
import contextlib
import dataclasses
import importlib
import inspect
import io
import json
import re
import sys
import types
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cloudpickle
import numpy as np
from nbformat import NotebookNode

from backprop_lib.checking import checks
from backprop_lib.exercises import hidden_rng

from .remote import remote_fields, remote_links
from .transport import data_object

HIDDEN_CALL = re.compile(r"check_(\w+)\(\s*(\w+)\s*,\s*rng\s*=\s*hidden_rng\(\s*[\"'](\w+)[\"']\s*\)\s*\)")
#: Data from the kernel nested deeper than this (lists in lists ...) is refused.
MAX_DEPTH = 100
#: A data field holding a NumPy scalar is refused beyond this many base64 characters.
MAX_SCALAR_CHARS = 1000


class Unverifiable(BaseException):
    """The student's function returned an object that is not data (and not a data object).

    A ``BaseException`` so that the checks' handling of the student's errors
    lets it through: it is the grader's limit, not the student's mistake.
    """


class BadReply(checks.CheckFailed):
    """What came back from the kernel breaks the rules for data: the student's exercise fails.

    A field of the wrong type, a malformed reply, or no answer at all. The
    kernel runs the student's code, so what it sends is theirs; this is a
    :class:`~backprop_lib.checking.checks.CheckFailed`, so the check reports it as the
    exercise's failure and the grader goes on.
    """


class VerifyTimeout(BaseException):
    """A call of the student's function did not finish in the grader's time for it.

    A ``BaseException`` (the checks let it through, like :class:`Unverifiable`):
    the exercise fails with the reason. The grader's calls have a time budget
    of their own, generous enough for correct code on a loaded machine.
    """


class RemoteError(Exception):
    """The student's function raised in the kernel; subclasses carry the original error's name."""


def remote_error(kind: str, message: str) -> RemoteError:
    """An exception whose type name is ``kind``, so messages read "raised ValueError: ..."."""
    name = kind if kind.isidentifier() else "Error"
    return type(name, (RemoteError,), {})(message)


# --- data objects ---------------------------------------------------------------------------

def data_objects(root: Any) -> list[Any]:
    """Every data object reachable from ``root``, each once, in the order first met.

    The walk goes through lists, tuples, dict values, a data object's links
    (the table's ``links``) and a bound method's ``__self__`` (a callback such
    as ``problem.loss`` reaches ``problem``); it is iterative, so a long chain
    of nodes is fine.
    """
    found: list[Any] = []
    seen: set[int] = set()
    stack = [root]
    while stack:
        x = stack.pop()
        if id(x) in seen:
            continue
        seen.add(id(x))
        if remote_fields(type(x)) is not None:
            found.append(x)
            for name in remote_links(type(x)):
                stack.extend(reversed(tuple(getattr(x, name, ()) or ())))
        elif isinstance(x, (list, tuple)):
            stack.extend(reversed(x))
        elif isinstance(x, dict):
            stack.extend(reversed(list(x.values())))
        elif inspect.ismethod(x):
            stack.append(x.__self__)
    return found


def grader_class(name: Any) -> type | None:
    """The grader's own data-object class called ``"module:qualname"``, or None.

    Only a class named in :mod:`autograder.transport`, already imported
    here, under exactly that name; nothing is imported and no code of the
    kernel's is involved.
    """
    if not isinstance(name, str):
        return None
    module, _, qual = name.partition(":")
    if module not in sys.modules:
        return None
    obj: Any = sys.modules[module]
    for part in qual.split("."):
        if not part.isidentifier() or part.startswith("__"):
            return None
        obj = getattr(obj, part, None)
    if not isinstance(obj, type) or obj.__module__ != module or obj.__qualname__ != qual:
        return None
    return obj if remote_fields(obj) is not None else None


def describe(raw: Any) -> str:
    """How a message names a value the kernel sent (short, whatever its size)."""
    if isinstance(raw, bool) or raw is None:
        return repr(raw)
    if isinstance(raw, (int, float)):
        return f"{type(raw).__name__} {str(raw)[:40]}"
    if isinstance(raw, str):
        return f"str {raw[:40]!r}" + ("..." if len(raw) > 40 else "")
    if isinstance(raw, list):
        return f"a list of {len(raw)} items"
    if isinstance(raw, dict):
        for key, what in (("__nd__", "an array"), ("__tuple__", "a tuple"), ("__dict__", "a dict"),
                          ("__fn__", "a function"), ("__ref__", "an object"), ("__new__", "an object")):
            if key in raw:
                return what
        return str(raw.get("__obj__", "an object"))[:60]
    return type(raw).__name__


def load_npy(text: Any) -> np.ndarray:
    """The array in base64 ``.npy`` text, loaded without pickle; ``ValueError`` if it is not one.

    The header is read first and must announce exactly as many bytes as
    follow, so a forged header cannot make the grader allocate a huge array.
    """
    try:
        buf = io.BytesIO(base64.b64decode(text))
        version = np.lib.format.read_magic(buf)
        if version not in ((1, 0), (2, 0)):
            raise ValueError(f".npy version {version}")
        read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, _, dtype = read_header(buf)
        if dtype.hasobject or int(np.prod(shape, dtype=object)) * dtype.itemsize != len(buf.getbuffer()) - buf.tell():
            raise ValueError("the header does not match the data")
        buf.seek(0)
        return np.load(buf, allow_pickle=False)
    except (TypeError, ValueError, OSError, EOFError, binascii.Error) as exc:
        raise ValueError(f"not .npy data: {exc}") from None


def _small_scalar(raw: Any) -> np.ndarray | None:
    """A NumPy scalar (0-d array) the kernel sent as ``.npy``, or None if ``raw`` is not one."""
    if not (isinstance(raw, dict) and isinstance(raw.get("__nd__"), str) and len(raw["__nd__"]) <= MAX_SCALAR_CHARS):
        return None
    try:
        arr = load_npy(raw["__nd__"])
    except ValueError:
        return None
    return arr if arr.ndim == 0 else None


def field_value(raw: Any, kind: type) -> Any:
    """The value of a data field declared ``kind`` (float, int, str or bool), from what the kernel sent.

    A float field takes any real number (int or float, Python or NumPy, not
    bool), an int field any integer; the value is converted to ``kind``.
    Raises ``ValueError`` for anything else, without looking inside it.
    """
    if kind is bool or kind is str:
        if type(raw) is kind:
            return raw
        scalar = _small_scalar(raw)
        if scalar is not None and scalar.dtype.kind == ("b" if kind is bool else "U"):
            return kind(scalar)
    elif kind is int or kind is float:
        if isinstance(raw, int) and not isinstance(raw, bool) or (kind is float and isinstance(raw, float)):
            with contextlib.suppress(OverflowError):
                return kind(raw)
        scalar = _small_scalar(raw)
        if scalar is not None and scalar.dtype.kind in ("iu" if kind is int else "iuf"):
            return kind(scalar)
    raise ValueError(f"not a {kind.__name__}")


def construct(cls: type, fields: dict[str, Any]) -> Any:
    """A new ``cls`` from checked fields, by the grader's own code: the table's ``rebuild`` or a dataclass's init."""
    described = data_object(cls)
    if described is not None and described.rebuild is not None:
        return described.rebuild(**fields)
    if dataclasses.is_dataclass(cls):
        return cls(**fields)
    raise Unverifiable(f"it returned a {cls.__name__} it made itself, which the grader has no safe way to rebuild")


class Decoder:
    """Reads one reply of the kernel (inverse of :class:`autograder.remote.Encoder`).

    ``name`` names the student's function in messages, ``objs`` are the data
    objects sent with the call (``{"__ref__": i}`` is ``objs[i]`` itself),
    ``new`` is the reply's table of objects the student's code made (rebuilt
    on first use, with the grader's class), and ``make_proxy(handle)`` stands
    for a function that stayed in the kernel.
    """

    def __init__(self, name: str, objs: list[Any], new: Any, make_proxy: Callable[[str], Any]):
        self.name, self.objs, self.table, self.make_proxy = name, objs, new, make_proxy
        self.built: dict[int, Any] = {}
        if not isinstance(new, list):
            raise self.malformed("no table of new objects")

    def malformed(self, what: str) -> BadReply:
        return BadReply(f"{self.name}: the kernel's reply is malformed ({what}); "
                        "the grader's run of the hidden tests could not read it")

    # -- plain data
    def decode(self, data: Any, depth: int = 0) -> Any:
        """JSON data -> values: arrays, tuples, dicts, the grader's objects, rebuilt objects, proxies."""
        if depth > MAX_DEPTH:
            raise BadReply(f"{self.name} returned data nested more than {MAX_DEPTH} levels deep")
        if isinstance(data, list):
            return [self.decode(v, depth + 1) for v in data]
        if not isinstance(data, dict):
            return data
        if "__nd__" in data:
            try:
                arr = load_npy(data["__nd__"])
            except ValueError:
                raise self.malformed("an array that is not .npy data") from None
            return arr[()] if data.get("scalar") else arr
        if "__tuple__" in data:
            return tuple(self.decode(v, depth + 1) for v in self._list(data["__tuple__"]))
        if "__dict__" in data:
            if not isinstance(data["__dict__"], dict):
                raise self.malformed("a dict that is not a JSON object")
            return {k: self.decode(v, depth + 1) for k, v in data["__dict__"].items()}
        if "__fn__" in data:
            if not isinstance(data["__fn__"], str):
                raise self.malformed("a function handle that is not a string")
            return self.make_proxy(data["__fn__"])
        if "__ref__" in data or "__new__" in data:
            return self.reference(data)
        if data.get("sympy") is True:  # the student's mistake, not the grader's limit: said as the checks say it
            raise BadReply(f"{self.name} returned a SymPy expression, not numbers: sym_sigmoid (and anything "
                           "else from sympy) builds formulas; on numbers write the sigmoid with NumPy")
        raise Unverifiable(f"it returned {describe(data)}, which cannot be checked outside the kernel")

    def _list(self, data: Any) -> list[Any]:
        if not isinstance(data, list):
            raise self.malformed("a sequence that is not a JSON array")
        return data

    # -- data objects
    def reference(self, data: dict[str, Any]) -> Any:
        """``{"__ref__": i}`` -> the grader's ``objs[i]``; ``{"__new__": j}`` -> new object ``j``, rebuilt."""
        if "__ref__" in data:
            i = data["__ref__"]
            if type(i) is not int or not 0 <= i < len(self.objs):
                raise self.malformed(f"a reference to object {describe(i)} of {len(self.objs)}")
            return self.objs[i]
        return self.rebuilt(data["__new__"])

    def rebuilt(self, j: Any) -> Any:
        """New object ``j`` of the table and every new object its links reach, built once each.

        Fields first (each object alone), links afterwards, so shared and even
        circular links are fine; no recursion from one object to the next.
        """
        if type(j) is not int or not 0 <= j < len(self.table):
            raise self.malformed(f"a new object {describe(j)} of {len(self.table)}")
        if j in self.built:
            return self.built[j]
        made, todo = [], [j]
        while todo:
            k = todo.pop()
            if k in self.built:
                continue
            self.built[k] = self._build(k)
            made.append(k)
            for raw in self._links(k).values():
                todo.extend(item["__new__"] for item in raw if "__new__" in item)
        for k in made:
            self._link(k)
        return self.built[j]

    def _entry(self, k: Any) -> tuple[type, dict[str, Any], dict[str, Any]]:
        """Class, raw fields and raw links of table entry ``k``, checked for shape."""
        if type(k) is not int or not 0 <= k < len(self.table):
            raise self.malformed(f"a new object {describe(k)} of {len(self.table)}")
        entry = self.table[k]
        if not (isinstance(entry, dict) and isinstance(entry.get("fields"), dict)
                and isinstance(entry.get("links", {}), dict)):
            raise self.malformed("an object described without fields")
        cls = grader_class(entry.get("type"))
        if cls is None:
            raise BadReply(f"{self.name} returned an object of a class the grader does not know "
                           f"({describe(entry.get('type'))}): only the course library's data classes travel")
        return cls, entry["fields"], entry.get("links", {})

    def _build(self, k: int) -> Any:
        cls, raw, _ = self._entry(k)
        fields = self.fields(cls, raw, f"returned a {cls.__name__} whose")
        try:
            return construct(cls, fields)
        except (TypeError, ValueError) as exc:
            raise BadReply(f"{self.name} returned a {cls.__name__} that is not valid: {exc}") from None

    def _links(self, k: int) -> dict[str, list[dict[str, Any]]]:
        """``{link: [reference, ...]}`` of table entry ``k``; each item must be a reference to a data object."""
        cls, _, raw = self._entry(k)
        out = {}
        for name in remote_links(cls):
            value = raw.get(name, {"__tuple__": []})
            items = value["__tuple__"] if isinstance(value, dict) and "__tuple__" in value else value
            if not isinstance(items, list):
                raise BadReply(f"{self.name} returned a {cls.__name__} whose {name} is {describe(value)}: "
                               f"it must be a tuple of {cls.__name__} objects")
            bad = [i for i in items if not (isinstance(i, dict) and ("__ref__" in i or "__new__" in i))]
            if bad:
                raise BadReply(f"{self.name} returned a {cls.__name__} whose {name} holds {describe(bad[0])}: "
                               f"it must be a tuple of {cls.__name__} objects")
            out[name] = items
        return out

    def _link(self, k: int) -> None:
        cls = type(self.built[k])
        for name, items in self._links(k).items():
            targets = tuple(self.reference(i) for i in items)
            strangers = [t for t in targets if not isinstance(t, cls)]
            if strangers:
                raise BadReply(f"{self.name} returned a {cls.__name__} whose {name} holds a "
                               f"{type(strangers[0]).__name__}: it must hold {cls.__name__} objects only")
            setattr(self.built[k], name, targets)

    def fields(self, cls: type, raw: dict[str, Any], whose: str) -> dict[str, Any]:
        """The declared data fields of ``cls`` from ``raw``, each checked against its type (else BadReply)."""
        out = {}
        for name, kind in (remote_fields(cls) or {}).items():
            if name not in raw:
                raise BadReply(f"{self.name} {whose} {name} is missing: a {cls.__name__} needs {_a(kind)} there")
            try:
                out[name] = field_value(raw[name], kind)
            except ValueError:
                raise BadReply(f"{self.name} {whose} {name} is {describe(raw[name])}: "
                               f"the {name} of a {cls.__name__} must be {_a(kind)}") from None
        return out

    def write_fields(self, after: Any) -> None:
        """Write the fields of ``objs`` as the call left them (``after``, one dict each) onto the originals."""
        if not isinstance(after, list) or len(after) != len(self.objs) or not all(isinstance(a, dict) for a in after):
            raise self.malformed("not one set of fields per object sent")
        for obj, raw in zip(self.objs, after):
            values = self.fields(type(obj), raw, f"left a {type(obj).__name__} whose")
            for name, value in values.items():
                if getattr(obj, name, None) is value or _same(getattr(obj, name, None), value):
                    continue
                try:
                    setattr(obj, name, value)
                except AttributeError:  # a frozen object: the kernel's copy cannot have changed either
                    raise BadReply(f"{self.name} changed the {name} of a frozen {type(obj).__name__}") from None


def _a(kind: type) -> str:
    """``"a float"``, ``"an int"``."""
    return f"{'an' if kind.__name__[0] in 'aeiou' else 'a'} {kind.__name__}"


def _same(a: Any, b: Any) -> bool:
    """Whether a field's value did not change (``a`` the grader's, ``b`` a checked scalar from the kernel)."""
    try:
        return type(a) is type(b) and bool(a == b)
    except Exception:  # noqa: BLE001 - a comparison that fails means "changed"
        return False


def decode(data: Any, proxy_factory: Callable[[str], Any] | None = None, objs: list[Any] | None = None,
           new: list[Any] | None = None, name: str = "the function") -> Any:
    """Read one value the kernel sent (see :class:`Decoder`); functions become proxies, other objects raise."""
    return Decoder(name, list(objs or []), list(new or []), proxy_factory or (lambda h: h)).decode(data)


def write_back(original: Any, after: Any) -> None:
    """Apply to ``original`` the changes the student's function made in place to its copy.

    Arrays are overwritten element by element, dicts and lists entry by
    entry (a list that grew or shrank takes the new entries), the arrays,
    dicts and lists inside a tuple likewise; anything else cannot change in
    place and is left alone (a data object's fields come back separately,
    :meth:`Decoder.write_fields`). The checks compare the arguments before
    and after each call, so an input changed in place is seen here as in
    the kernel.
    """
    if isinstance(original, np.ndarray) and isinstance(after, np.ndarray):
        if original.shape == after.shape and original.flags.writeable:
            np.copyto(original, after, casting="unsafe")
    elif isinstance(original, dict) and isinstance(after, dict):
        for key in list(original):
            if key not in after:
                del original[key]
        for key, value in after.items():
            if key in original and isinstance(original[key], (np.ndarray, dict, list, tuple)):
                write_back(original[key], value)
            else:
                original[key] = value
    elif isinstance(original, list) and isinstance(after, list) and len(original) == len(after):
        for i, value in enumerate(after):
            if isinstance(original[i], (np.ndarray, dict, list, tuple)):
                write_back(original[i], value)
            else:
                original[i] = value
    elif isinstance(original, list) and isinstance(after, list):
        original[:] = after  # grown or shrunk (append, pop): the checks see the new length
    elif isinstance(original, tuple) and isinstance(after, (tuple, list)) and len(original) == len(after):
        for inner, value in zip(original, after):  # a tuple cannot change, the arrays and lists it holds can
            if isinstance(inner, (np.ndarray, dict, list, tuple)):
                write_back(inner, value)


class KernelProxy:
    """Stands for a student's function: each call runs in the kernel and returns data (and data objects)."""

    def __init__(self, run_code: Callable[[str], str], target: str, name: str, seen: set | None = None):
        self._run, self._target, self.__name__ = run_code, target, name
        #: the student's positional parameter names, as the kernel reported them on the last call
        self.parameter_names: list[str] | None = None
        #: every library reference a check forbade while calling this function (or functions it returned)
        self.forbidden_seen: set = set() if seen is None else seen

    #: The check's watch for forbidden library code (``sys.setprofile``) is paused for the whole call: the
    #: student's code runs in the kernel, watched there (:func:`autograder.remote.call`); here only the
    #: grader's own pickling, messaging and decoding run, and watching them caught nothing and cost most of
    #: the grader's judging time. The watch is put back exactly as it was.
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        saved = sys.getprofile()
        sys.setprofile(None)
        try:
            return self._call(args, kwargs)
        finally:
            sys.setprofile(saved)

    def _call(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        self.forbidden_seen.update(checks.current_forbidden())
        forbidden = [f"{r.__module__}:{r.__qualname__}" for r in checks.current_forbidden()]
        objs = data_objects((args, kwargs))
        payload = base64.b64encode(cloudpickle.dumps((args, kwargs, forbidden, objs))).decode()
        reply = self._reply(payload)
        if "error" in reply:
            kind, message = str(reply["error"]), str(reply.get("message", ""))
            if kind == "NotImplementedError":
                raise NotImplementedError(message)
            if kind == "ReferenceCalled":
                raise checks._ReferenceCalled(message)
            raise remote_error(kind, message)
        if not {"value", "args", "kwargs", "objs", "new"} <= reply.keys():
            raise BadReply(f"{self.__name__}: the kernel's reply is malformed (parts are missing)")
        names = reply.get("names")
        if isinstance(names, list) and len(names) <= 64 and all(isinstance(n, str) and len(n) <= 100 for n in names):
            self.parameter_names = names  # how the checks name an argument the call changed in place
        decoder = Decoder(self.__name__, objs, reply["new"], self._handle)
        decoder.write_fields(reply["objs"])
        with contextlib.suppress(Unverifiable):  # an argument that is an object cannot have changed as data
            write_back(list(args), decoder.decode(reply["args"]))
            write_back(kwargs, decoder.decode(reply["kwargs"]))
        return decoder.decode(reply["value"])

    def _handle(self, handle: str) -> KernelProxy:
        """A function the student's function returned, still in the kernel under ``handle``."""
        return KernelProxy(self._run, handle, f"{self.__name__}(...)", self.forbidden_seen)

    def _reply(self, payload: str) -> dict[str, Any]:
        """Run the call in the kernel and parse its JSON; a kernel that cannot answer fails the exercise."""
        try:
            text = self._run(f"__import__('autograder.remote', fromlist=['call']).call("
                             f"{self._target!r}, {payload!r})")
        except TimeoutError as exc:  # the grader's time for this call ran out: the exercise fails (VerifyTimeout)
            raise VerifyTimeout(f"{self.__name__}: {exc}") from None
        except Exception as exc:  # noqa: BLE001 - the kernel runs the student's code: no answer is their failure
            raise BadReply(f"{self.__name__}: the kernel gave no answer when the grader called it "
                           f"({type(exc).__name__}: {str(exc)[:300]})") from None
        try:
            reply = json.loads(text)
        except (TypeError, ValueError, RecursionError):
            reply = None
        if not isinstance(reply, dict):
            raise BadReply(f"{self.__name__}: the kernel's reply is not data the grader can read")
        return reply


@dataclass
class Verdict:
    """The outcome of one hidden check run outside the kernel."""

    test_id: str
    task: str
    passed: bool  #: the grader's verdict; nothing the kernel printed changes it
    message: str
    #: "check": the hidden check, run here; "source": a forbidden construct in the student's cells (autograder.lint)
    by: str = "check"
    #: the error a failure is shown as (the notebook's own, when its run already failed: a timeout stays a timeout)
    ename: str = ""


def hidden_calls(source: str) -> list[tuple[str, str, str]]:
    """``(task, function name, rng task)`` of each hidden check call in a test cell's source."""
    hidden = source.split("BEGIN HIDDEN TESTS", 1)[-1].split("END HIDDEN TESTS", 1)[0]
    return HIDDEN_CALL.findall(hidden) if "BEGIN HIDDEN TESTS" in source else []


def checks_module(lesson: str):
    """The checks module of a lesson (``01_derivatives`` -> ``backprop_lib.exercises.lesson01``), or None."""
    try:
        return importlib.import_module(f"backprop_lib.exercises.lesson{lesson[:2]}")
    except ImportError:
        return None


def has_error(cell: dict) -> bool:
    """Whether a code cell's outputs hold an error (nbgrader scores such a test cell 0)."""
    return any(o.get("output_type") == "error" for o in cell.get("outputs", []))


def kernel_error(cell: dict) -> tuple[str, str]:
    """``(ename, message)`` of the first error a code cell's own run raised (a name the report knows)."""
    err = next(o for o in cell.get("outputs", []) if o.get("output_type") == "error")
    ename = str(err.get("ename", "Error"))
    ename = ename if ename.isidentifier() else "Error"
    return ename, re.sub(r"\x1b\[[0-9;]*m", "", str(err.get("evalue", "")))[:2000]


def fail_cell(cell: dict, text: str, traceback: list[str]) -> None:
    """Make a test cell fail with ``text`` (a ``CheckFailed`` error output), unless it failed already."""
    if not has_error(cell):
        cell.setdefault("outputs", []).append(NotebookNode(output_type="error", ename="CheckFailed", evalue=text,
                                                           traceback=traceback))


def verify_notebook(cells: list, lesson: str, run_code, cwd: Path, secret: bytes) -> list[Verdict]:
    """Judge every graded exercise of ``lesson`` against the live kernel, in this (the grader's) process.

    ``cells`` are the notebook's cells; ``run_code(code) -> str`` evaluates an
    expression in the kernel and returns its value (a string). ``cwd`` is the
    notebook's folder (it names the student) and ``secret`` the course secret:
    together they seed the hidden inputs. One verdict per hidden check call;
    every fault while judging is a failed verdict with its reason.
    """
    from .lint import lint_notebook

    module = checks_module(lesson)
    verifiable = set(getattr(module, "VERIFIED_OUTSIDE", ()))
    findings = lint_notebook(cells)
    codes = student_code(cells)
    verdicts = []
    for cell in cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if not meta.get("grade") or meta.get("solution"):
            continue
        for task, fn_name, rng_task in hidden_calls(cell.get("source", "")):
            flagged = [f for f in findings if f.task in (None, task)]
            if flagged:  # judged from the source the grader holds, before any of the student's code is called
                verdicts.append(Verdict(meta["grade_id"], task, False, flagged[0].message(), by="source"))
            elif task not in verifiable:
                verdicts.append(Verdict(meta["grade_id"], task, False,
                                        f"the grader has no check of its own for {task}, so it cannot score it"))
            elif has_error(cell):  # it failed in the notebook already: a failure is never worth judging again
                ename, message = kernel_error(cell)
                verdicts.append(Verdict(meta["grade_id"], task, False, message, ename=ename))
            else:
                proxy = KernelProxy(run_code, fn_name, fn_name)
                verdict = judge_task(module, task, meta["grade_id"], proxy, hidden_rng(rng_task, cwd, secret))
                verdicts.append(copied_reference(verdict, proxy.forbidden_seen, codes) or verdict)
    return verdicts


def student_code(cells: list) -> list[types.CodeType]:
    """Every code object in the cells the student owns, as the grader compiles them itself.

    Nested functions, lambdas and class bodies are included, and so is code
    held in a string constant (text that compiles, e.g. for ``exec``): a copy
    of the library hidden there is found as well. A cell that does not compile
    here gives nothing (the source reading reports one that cannot be read).
    """
    from .lint import python_source, student_owned

    roots = []
    for cell in cells:
        if student_owned(cell)[0]:
            with contextlib.suppress(Exception):
                roots.append(compile(python_source(cell.get("source", ""))[0], "<cell>", "exec"))
    out, stack = [], roots
    while stack:
        code = stack.pop()
        out.append(code)
        for const in code.co_consts:
            if isinstance(const, types.CodeType):
                stack.append(const)
            elif isinstance(const, str) and len(const) < 200_000 and ("def " in const or "lambda" in const):
                with contextlib.suppress(Exception):
                    stack.append(compile(const, "<string>", "exec"))
    return out


def copied_reference(verdict: Verdict, references: set, codes: list[types.CodeType]) -> Verdict | None:
    """A failed verdict if the student's code holds a copy of one of ``references`` (by what the code does)."""
    prints = {checks.code_fingerprint(r.__code__): r for r in references
              if checks.copy_fingerprints([r])}
    for code in codes:
        ref = prints.get(checks.code_fingerprint(code))
        if ref is not None:
            return Verdict(verdict.test_id, verdict.task, False,
                           f"{verdict.task}: your {code.co_name} is a copy of the course library's own "
                           f"{ref.__module__}.{ref.__qualname__} (the same instructions): write it yourself.",
                           by="source")
    return None


def judge_task(module, task: str, test_id: str, proxy: KernelProxy, rng: np.random.Generator) -> Verdict:
    """Run ``check_<task>`` here on the student's function (through ``proxy``); any fault fails it, with the reason."""
    check = getattr(module, f"check_{task}")
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            check(proxy, rng=rng)
        return Verdict(test_id, task, True, "passed the grader's own run of the hidden tests")
    except BadReply as exc:
        return Verdict(test_id, task, False, str(exc))
    except checks.CheckFailed as exc:
        return Verdict(test_id, task, False, hidden_failure_text(task, str(exc)))
    except VerifyTimeout as exc:
        return Verdict(test_id, task, False, f"{task} could not be judged in the grader's time: {exc}")
    except Unverifiable as exc:
        # every graded exercise's answer is data or a data object (tests/test_verify.py)
        return Verdict(test_id, task, False, f"{task} cannot be judged: {exc}. Return plain numbers, arrays, "
                                             "lists, dicts or the course library's own objects")
    except Exception as exc:  # noqa: BLE001 - fail closed: a fault here is a failed exercise, with its reason
        return Verdict(test_id, task, False, f"the grader could not judge {task}: {type(exc).__name__}: {exc}"[:600])


def hidden_failure_text(task: str, message: str) -> str:
    """What a student reads when the grader's hidden tests fail: the kind of mistake, never the inputs.

    The hidden inputs stay the same on every regrade, so a message that showed
    them (or the expected values, or the student's own exception text, which
    can print its arguments) would hand them out one regrade at a time. Kept:
    the checks' "likely cause", the name of an exception, "not implemented".
    """
    first = message.strip().splitlines()[0] if message.strip() else ""
    parts = [f"{task} fails the grader's hidden tests (inputs drawn for you; they are not shown)."]
    if "not implemented yet" in first:
        parts = [first]
    elif " raised " in first:
        kind = first.split(" raised ", 1)[1].split(":", 1)[0].strip()
        parts.append(f"On one of them it raised {kind if kind.isidentifier() else 'an exception'}.")
    elif "the course library's own" in first or "switched off the checks' watch" in first:
        parts = [first]
    causes = [line.split("likely cause:", 1)[1].strip() for line in message.splitlines() if "likely cause:" in line]
    if causes:
        parts.append(f"Likely cause: {causes[0]}")
    else:
        parts.append("Your self-check passes, so test your function on other inputs: other shapes, signs, "
                     "sizes and edge cases (zeros, large values).")
    return " ".join(parts)


#: What a passing graded cell shows (its only output besides what the student's code printed).
PASSED = "\u2714 {task}: passed (judged by the grader on hidden inputs)"


def apply_verdicts(cells: list, verdicts: list[Verdict], fault: str | None = None) -> None:
    """Make every graded cell's outputs say the grader's verdict, and nothing that could change it.

    nbgrader scores a code cell from its outputs: an error or stderr anywhere
    is 0, and an ``execute_result`` ahead of them wins. So every graded cell
    is rewritten: a pass keeps only what the kernel printed to stdout, after
    a line saying it passed; a failure starts with an error holding the
    reason. A cell passes only when every hidden check in it has a passing
    verdict and no ``fault`` (a judging failure for the whole notebook) was
    given: no verdict is a failure too.
    """
    by_cell: dict[str, list[Verdict]] = {}
    for v in verdicts:
        by_cell.setdefault(v.test_id, []).append(v)
    for cell in cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.get("cell_type") != "code" or not meta.get("grade"):
            continue
        mine = by_cell.get(meta.get("grade_id"), [])
        printed = [NotebookNode(output_type="stream", name="stdout", text=str(o.get("text", ""))[:20_000])
                   for o in cell.get("outputs", []) if o.get("output_type") == "stream" and o.get("name") == "stdout"]
        failed = [v for v in mine if v.passed is not True]
        if not fault and mine and not failed:
            text = "".join(PASSED.format(task=v.task) + "\n" for v in mine)
            cell["outputs"] = [NotebookNode(output_type="stream", name="stdout", text=text), *printed]
        else:
            reason = fault or (failed[0].message if failed else
                               "the grader found no hidden test to run in this cell, so it scores 0")
            ename = "CheckFailed" if fault or not failed else failed[0].ename or "CheckFailed"
            reason = reason or f"{ename} (no message)"
            cell["outputs"] = [NotebookNode(output_type="error", ename=ename, evalue=reason,
                                            traceback=[f"{ename}: {reason}"]), *printed]
