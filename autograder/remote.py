"""Kernel side of out-of-kernel verification: call a student's function, return plain data.

The grader (see :mod:`autograder.verify`) runs each hidden check in its own
process and, whenever the check calls the student's function, sends the
arguments here (pickled, grader to kernel only) and gets back only *data*, as
JSON: numbers, strings, arrays (``.npy`` without pickle), and tuples, lists
and dicts of those. A returned function stays in the kernel and comes back as
a handle the grader can call in turn.

Objects of the course library travel by the *data object* protocol: the
grader's table (:mod:`autograder.transport`) names the classes that travel,
which of their attributes are data (``Value``: ``data``, ``grad``, ...) and
which hold other such objects (``Value._parents``, tuples). The grader
sends, in the same pickle as the arguments, the list ``objs`` of every
opted-in object the arguments reach, so this side holds copies of them in the
same order. Here an opted-in object is encoded

* ``{"__ref__": i}`` if it is ``objs[i]``: the grader reads it as its own
  original (a returned node *is* the grader's node);
* ``{"__new__": j}`` otherwise (the student made it): entry ``j`` of the
  reply's ``new`` table holds its class name, its fields and its links, and
  the grader rebuilds it with its *own* class (no code from here runs there).

After the call the reply also carries the fields of every object of ``objs``
as the call left them (``objs``), so changes made in place (a node's grad, a
callback's call count) reach the grader's originals. Any other object is
encoded ``{"__obj__": type name}`` and makes the exercise unverifiable
outside the kernel.

Everything here runs inside the student's kernel, so the student's code can
change it; that can only change what *their own* function appears to return,
never how the grader judges it.
"""
from __future__ import annotations

import base64
import importlib
import io
import json
import pickle
from typing import Any

import numpy as np

from .transport import data_object, type_name

_HANDLES: dict[str, Any] = {}


def _resolve(name: str) -> Any:
    """``"pkg.module:qualname"`` -> the object."""
    module, _, qual = name.partition(":")
    obj: Any = importlib.import_module(module)
    for part in qual.split("."):
        obj = getattr(obj, part)
    return obj


def remote_fields(cls: type) -> dict[str, type] | None:
    """``{attribute: type}`` of a class that travels as a data object (:mod:`autograder.transport`), else None."""
    described = data_object(cls)
    return described.fields if described is not None else None


def remote_links(cls: type) -> tuple[str, ...]:
    """The attributes of a data-object class that hold a tuple of other such objects (``()`` if none)."""
    described = data_object(cls)
    return described.links if described is not None else ()


def _from_sympy(value: Any) -> bool:
    """True for a SymPy object (a formula where numbers were expected: the grader says so)."""
    return type(value).__module__.startswith("sympy")


class Encoder:
    """Turns values into JSON-ready data; opted-in objects become references or rows of a table.

    ``objs`` are the data objects the grader sent (in its order). Objects made
    here are numbered as they are met and described in :attr:`new` once
    :meth:`finish` runs, without recursion from one object to the next, so a
    long chain of nodes needs no deep stack.
    """

    def __init__(self, objs: list[Any]):
        self._known = {id(o): i for i, o in enumerate(objs)}
        self._made: dict[int, int] = {}
        self._pending: list[tuple[int, Any]] = []
        self.new: list[dict[str, Any] | None] = []

    def encode(self, value: Any) -> Any:
        """``value`` as JSON-ready data; arrays as base64 ``.npy``, functions as handles."""
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        if isinstance(value, (np.ndarray, np.generic)):
            arr = np.asarray(value)
            if arr.dtype == object:
                return {"__obj__": "an array of Python objects", "sympy": any(map(_from_sympy, arr.flat))}
            buf = io.BytesIO()
            np.save(buf, arr, allow_pickle=False)
            return {"__nd__": base64.b64encode(buf.getvalue()).decode(), "scalar": isinstance(value, np.generic)}
        if remote_fields(type(value)) is not None:
            return self._reference(value)
        if isinstance(value, tuple):
            return {"__tuple__": [self.encode(v) for v in value]}
        if isinstance(value, list):
            return [self.encode(v) for v in value]
        if isinstance(value, dict) and all(isinstance(k, str) for k in value):
            return {"__dict__": {k: self.encode(v) for k, v in value.items()}}
        if callable(value):
            handle = f"handle:{len(_HANDLES)}"
            _HANDLES[handle] = value
            return {"__fn__": handle}
        return {"__obj__": type(value).__name__, "sympy": _from_sympy(value)}

    def _reference(self, obj: Any) -> dict[str, int]:
        """``{"__ref__": i}`` for one of the grader's objects, ``{"__new__": j}`` for one made here."""
        if id(obj) in self._known:
            return {"__ref__": self._known[id(obj)]}
        if id(obj) not in self._made:
            self._made[id(obj)] = len(self.new)
            self.new.append(None)
            self._pending.append((len(self.new) - 1, obj))
        return {"__new__": self._made[id(obj)]}

    def fields(self, obj: Any) -> dict[str, Any]:
        """The declared data fields of ``obj`` (a missing attribute is left out)."""
        out = {}
        for name in remote_fields(type(obj)) or {}:
            try:
                out[name] = self.encode(getattr(obj, name))
            except AttributeError:
                continue
        return out

    def finish(self) -> list[dict[str, Any]]:
        """The table of objects made here: ``[{"type": "module:qualname", "fields": {...}, "links": {...}}]``."""
        while self._pending:
            j, obj = self._pending.pop()
            links = {name: self.encode(getattr(obj, name, ())) for name in remote_links(type(obj))}
            self.new[j] = {"type": type_name(type(obj)), "fields": self.fields(obj), "links": links}
        return self.new  # type: ignore[return-value]


def encode(value: Any) -> Any:
    """``value`` as JSON-ready data when no data objects were sent (every opted-in object is new)."""
    return Encoder([]).encode(value)



def call(target: str, payload: str) -> str:
    """Call the student's ``target`` (a name in the notebook, or a handle) with pickled arguments.

    ``payload`` is base64 of a pickle of ``(args, kwargs, forbidden, objs)``.
    Returns JSON: ``{"value": ..., "args": ..., "kwargs": ..., "objs": [fields
    of each of objs after the call], "new": [objects made here], "names":
    [the function's positional parameter names]}``, or
    ``{"error": type, "message": text}``.
    """
    from backprop_lib.checking.checks import _ReferenceCalled, positional_parameters, run_watched

    try:
        args, kwargs, forbidden, objs = pickle.loads(base64.b64decode(payload))
        if target.startswith("handle:"):
            fn = _HANDLES[target]
        else:
            from IPython import get_ipython

            fn = get_ipython().user_ns[target]
        refs = [_resolve(name) for name in forbidden]
        result = run_watched(fn, args, kwargs, refs)
        enc = Encoder(objs)
        # the arguments and the data objects as the call left them, so changes made in place reach the grader
        reply = {"value": enc.encode(result), "args": enc.encode(list(args)), "kwargs": enc.encode(kwargs),
                 "objs": [enc.fields(o) for o in objs], "names": positional_parameters(fn)}
        reply["new"] = enc.finish()
        return json.dumps(reply)
    except _ReferenceCalled as exc:
        return json.dumps({"error": "ReferenceCalled", "message": str(exc)})
    except KeyError as exc:
        if not target.startswith("handle:") and str(exc).strip("'") == target:
            return json.dumps({"error": "NameError", "message": f"name {target!r} is not defined"})
        return json.dumps({"error": "KeyError", "message": str(exc)[:500]})
    except BaseException as exc:  # noqa: BLE001 - every failure of the student's code is reported as data
        return json.dumps({"error": type(exc).__name__, "message": str(exc)[:500]})
