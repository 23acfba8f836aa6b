"""Kernel side of out-of-kernel verification: call a student's function, return plain data.

The grader (see :mod:`autograder.verify`) runs each hidden check in its own
process and, whenever the check calls the student's function, sends the
arguments here and gets back only *data*: numbers, strings, arrays, and
tuples, lists and dicts of those (arrays travel in ``.npy`` format without
pickle, so nothing the student's code returns can run in the grader). A
returned function stays in the kernel and comes back as a handle the grader
can call in turn. Anything else (a custom object) makes the exercise
unverifiable outside the kernel, and the grader says so.

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

_HANDLES: dict[str, Any] = {}


def _resolve(name: str) -> Any:
    """``"pkg.module:qualname"`` -> the object."""
    module, _, qual = name.partition(":")
    obj: Any = importlib.import_module(module)
    for part in qual.split("."):
        obj = getattr(obj, part)
    return obj


def encode(value: Any) -> Any:
    """``value`` as JSON-ready data; arrays as base64 ``.npy``, functions as handles."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (np.ndarray, np.generic)):
        arr = np.asarray(value)
        if arr.dtype == object:
            return {"__obj__": "an array of Python objects"}
        buf = io.BytesIO()
        np.save(buf, arr, allow_pickle=False)
        return {"__nd__": base64.b64encode(buf.getvalue()).decode(), "scalar": isinstance(value, np.generic)}
    if isinstance(value, tuple):
        return {"__tuple__": [encode(v) for v in value]}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {"__dict__": {k: encode(v) for k, v in value.items()}}
    if callable(value):
        handle = f"handle:{len(_HANDLES)}"
        _HANDLES[handle] = value
        return {"__fn__": handle}
    return {"__obj__": type(value).__name__}


def call(target: str, payload: str) -> str:
    """Call the student's ``target`` (a name in the notebook, or a handle) with pickled arguments.

    Returns JSON: ``{"value": ..., "args": ..., "kwargs": ...}`` (the arguments
    after the call) or ``{"error": type, "message": text}``.
    """
    from backprop_lib.checks import _ReferenceCalled, forbid, quiet

    try:
        args, kwargs, forbidden = pickle.loads(base64.b64decode(payload))
        if target.startswith("handle:"):
            fn = _HANDLES[target]
        else:
            from IPython import get_ipython

            fn = get_ipython().user_ns[target]
        refs = [_resolve(name) for name in forbidden]
        with quiet(), forbid(refs):
            result = fn(*args, **kwargs)
        # the arguments as the call left them, so changes made in place are seen by the grader
        return json.dumps({"value": encode(result), "args": encode(list(args)), "kwargs": encode(kwargs)})
    except _ReferenceCalled as exc:
        return json.dumps({"error": "ReferenceCalled", "message": str(exc)})
    except KeyError as exc:
        if not target.startswith("handle:") and str(exc).strip("'") == target:
            return json.dumps({"error": "NameError", "message": f"name {target!r} is not defined"})
        return json.dumps({"error": "KeyError", "message": str(exc)[:500]})
    except BaseException as exc:  # noqa: BLE001 - every failure of the student's code is reported as data
        return json.dumps({"error": type(exc).__name__, "message": str(exc)[:500]})
