"""Name the mistake behind an exception, not only behind a wrong number.

:func:`backprop_lib.checking.checks.compare` recognises a typical mistake by the
value it returns. Some mistakes never return: in batch-first code a
forgotten transpose usually makes ``@`` raise ``ValueError: matmul: ...
mismatch ...``. :func:`call_named` calls a student's function like
:func:`backprop_lib.checking.checks.call_student` and, when it raises, runs each
typical mistake on the same inputs: a mistake that raises the same
exception with the same message is named in the failure ("likely cause:
..."), otherwise a general hint for the exercise is given.

The mistakes are the same mapping ``compare`` takes: a description mapped to
a function of the inputs, called with the inputs as keyword arguments.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable, Mapping

import numpy as np

from .checks import CheckFailed, Mistakes, call_student, fmt_inputs, quiet


def error_of(fn: Callable[..., Any], inputs: Mapping[str, Any]) -> str | None:
    """``"ValueError: message"`` when ``fn(**inputs)`` raises, ``None`` when it returns."""
    try:
        with quiet():
            fn(**inputs)
    except Exception as exc:  # noqa: BLE001 - any exception is what we compare
        return f"{type(exc).__name__}: {exc}"
    return None


def mistake_raising(message: str, inputs: Mapping[str, Any], mistakes: Mistakes) -> str | None:
    """The description of the first mistake whose call raises exactly ``message``, if any."""
    for description, wrong in mistakes.items():
        raised = error_of(wrong, inputs)
        if raised is not None and raised == message:
            return description
    return None


def call_named(fn: Callable[..., Any], name: str, inputs: Mapping[str, Any], *,
               mistakes: Mistakes | None = None, hint: str | None = None,
               forbidden: Iterable[Callable[..., Any]] = ()) -> Any:
    """``fn(*inputs.values())`` for a check; a raised exception becomes a named :class:`CheckFailed`.

    ``inputs`` maps the argument names, in order, to their values. When the
    student's code raises, the failure says which exception, on which input
    (by argument name, with the shapes of the arrays), and the likely cause: the first of ``mistakes`` that raises the same
    exception with the same message, or else ``hint``.
    """
    try:
        return call_student(fn, name, *inputs.values(), forbidden=forbidden)
    except CheckFailed as failure:
        text = str(failure)
        head = f"{name} raised "
        if not text.startswith(head) or "\n  on input: " not in text:
            raise  # not implemented, a forbidden call, or a message that already explains itself
        # call_student wrote "<name> raised <Type>: <message>\n  on input: ..."
        message = text[len(head): text.rindex("\n  on input: ")]
        text = text[: text.rindex("\n  on input: ")] + f"\n  on input: {fmt_inputs(inputs)}"
        shapes = [f"{k} {np.shape(v)}" for k, v in inputs.items() if isinstance(v, np.ndarray)]
        if shapes:
            text += f"\n  shapes:   {', '.join(shapes)}"
        cause = mistake_raising(message, inputs, mistakes or {}) if message else None
        cause = cause or hint
        if cause:
            text += f"\n  likely cause: {cause}"
        raise CheckFailed(text) from None
