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

An exercise is verified this way when its lesson's checks module lists it in
``VERIFIED_OUTSIDE`` (its inputs and outputs are data, and the check does not
rely on the student's function changing its arguments in place);
``tests/test_verify.py`` proves that each listed exercise's reference
solution passes through the proxy and each known mistake fails.
"""
from __future__ import annotations

import base64
import contextlib
import importlib
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cloudpickle
import numpy as np

from backprop_lib import checks
from backprop_lib.exercises import hidden_rng

HIDDEN_CALL = re.compile(r"check_(\w+)\(\s*(\w+)\s*,\s*rng\s*=\s*hidden_rng\(\s*[\"'](\w+)[\"']\s*\)\s*\)")


class Unverifiable(BaseException):
    """The student's function returned something that is not data (a custom object).

    A ``BaseException`` so that the checks' handling of the student's errors
    lets it through: it is the grader's limit, not the student's mistake.
    """


class RemoteError(Exception):
    """The student's function raised in the kernel; subclasses carry the original error's name."""


def remote_error(kind: str, message: str) -> RemoteError:
    """An exception whose type name is ``kind``, so messages read "raised ValueError: ..."."""
    name = kind if kind.isidentifier() else "Error"
    return type(name, (RemoteError,), {})(message)


def decode(data: Any, proxy_factory) -> Any:
    """Inverse of :func:`autograder.remote.encode`; functions become proxies, objects raise."""
    if isinstance(data, list):
        return [decode(v, proxy_factory) for v in data]
    if not isinstance(data, dict):
        return data
    if "__nd__" in data:
        arr = np.load(io.BytesIO(base64.b64decode(data["__nd__"])), allow_pickle=False)
        return arr[()] if data.get("scalar") else arr
    if "__tuple__" in data:
        return tuple(decode(v, proxy_factory) for v in data["__tuple__"])
    if "__dict__" in data:
        return {k: decode(v, proxy_factory) for k, v in data["__dict__"].items()}
    if "__fn__" in data:
        return proxy_factory(data["__fn__"])
    raise Unverifiable(f"it returned {data.get('__obj__', 'an object')}, which cannot be checked outside the kernel")


def write_back(original: Any, after: Any) -> None:
    """Apply to ``original`` the changes the student's function made in place to its copy.

    Arrays are overwritten element by element, dicts and lists entry by
    entry; anything else cannot change in place and is left alone.
    """
    if isinstance(original, np.ndarray) and isinstance(after, np.ndarray):
        if original.shape == after.shape and original.flags.writeable:
            np.copyto(original, after, casting="unsafe")
    elif isinstance(original, dict) and isinstance(after, dict):
        for key in list(original):
            if key not in after:
                del original[key]
        for key, value in after.items():
            if key in original and isinstance(original[key], (np.ndarray, dict, list)):
                write_back(original[key], value)
            else:
                original[key] = value
    elif isinstance(original, list) and isinstance(after, list) and len(original) == len(after):
        for i, value in enumerate(after):
            if isinstance(original[i], (np.ndarray, dict, list)):
                write_back(original[i], value)
            else:
                original[i] = value


class KernelProxy:
    """Stands for a student's function: each call runs in the kernel and returns data."""

    def __init__(self, run_code, target: str, name: str):
        self._run, self._target, self.__name__ = run_code, target, name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        forbidden = [f"{r.__module__}:{r.__qualname__}" for r in checks.current_forbidden()]
        payload = base64.b64encode(cloudpickle.dumps((args, kwargs, forbidden))).decode()
        reply = json.loads(self._run(f"__import__('autograder.remote', fromlist=['call']).call("
                                     f"{self._target!r}, {payload!r})"))
        if "error" in reply:
            kind, message = reply["error"], reply["message"]
            if kind == "NotImplementedError":
                raise NotImplementedError(message)
            if kind == "ReferenceCalled":
                raise checks._ReferenceCalled(message)
            raise remote_error(kind, message)
        make_proxy = lambda handle: KernelProxy(self._run, handle, f"{self.__name__}(...)")  # noqa: E731
        with contextlib.suppress(Unverifiable):  # an argument that is an object cannot have changed as data
            write_back(list(args), decode(reply["args"], make_proxy))
            write_back(kwargs, decode(reply["kwargs"], make_proxy))
        return decode(reply["value"], make_proxy)


@dataclass
class Verdict:
    """The outcome of one hidden check run outside the kernel."""

    test_id: str
    task: str
    passed: bool | None  #: None: could not be verified outside (the kernel's verdict stands)
    message: str


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


def verify_notebook(cells: list, lesson: str, run_code, cwd: Path) -> list[Verdict]:
    """Run the hidden checks of ``lesson``'s verifiable exercises against the live kernel.

    ``cells`` are the notebook's cells; ``run_code(code) -> str`` evaluates an
    expression in the kernel and returns its value (a string). ``cwd`` is the
    notebook's folder (it names the student, who seeds the hidden inputs).
    """
    module = checks_module(lesson)
    verifiable = set(getattr(module, "VERIFIED_OUTSIDE", ()))
    verdicts = []
    for cell in cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if not meta.get("grade") or meta.get("solution"):
            continue
        for task, fn_name, rng_task in hidden_calls(cell.get("source", "")):
            if task not in verifiable:
                continue
            check = getattr(module, f"check_{task}")
            proxy = KernelProxy(run_code, fn_name, fn_name)
            try:
                with contextlib.redirect_stdout(io.StringIO()):
                    check(proxy, rng=hidden_rng(rng_task, cwd))
                verdicts.append(Verdict(meta["grade_id"], task, True, "passed outside the kernel"))
            except checks.CheckFailed as exc:
                verdicts.append(Verdict(meta["grade_id"], task, False, str(exc)))
            except Unverifiable as exc:
                verdicts.append(Verdict(meta["grade_id"], task, None, f"not verified outside the kernel: {exc}"))
    return verdicts
