"""A widget's state in a URL: its controls' values as query parameters, and back.

A widget of the course is named (``Explorer.name``: ``"xor"``,
``"step-size"``, ...) and its controls are named (``"seed"``, ``"lr"``, ...),
so its state reads as ``xor.seed=7&xor.lr=0.1``: one parameter per control
that differs from the value the widget started with. Several widgets share
one query string, each under its own name::

    ?step-size.log10_h=-9.5&xor.hidden=3&xor.seed=7

Floats are written with ``repr`` (the shortest text that reads back as the
same float), so a reopened widget computes exactly the same picture. A
value that does not fit a control (unknown option, not a number) is left
out and reported, never raised: a mistyped link opens the widget as it
starts, with a note.
"""
from __future__ import annotations

from typing import Any, Mapping
from urllib.parse import parse_qsl, urlencode


def controls_of(explorer: Any) -> dict[str, Any]:
    """The controls whose values make up ``explorer``'s state: its ``controls`` and any ``url_controls``."""
    return {**explorer.controls, **getattr(explorer, "url_controls", {})}


def format_value(value: Any) -> str:
    """A control's value as URL text: ``repr`` for floats (round-trips exactly), ``str`` otherwise."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def parse_value(control: Any, text: str) -> Any:
    """``text`` read as a value of ``control`` (a slider, a dropdown, toggle buttons, a checkbox).

    Raises ``ValueError`` when it does not fit: not a number, not one of the
    options, or outside a slider's range.
    """
    options = getattr(control, "options", None)
    if options is not None:  # a selection: the option whose value prints as text
        values = [o[1] if isinstance(o, tuple) else o for o in options]
        for value in values:
            if format_value(value) == text or str(value) == text:
                return value
        raise ValueError(f"{text!r} is not one of {', '.join(format_value(v) for v in values)}")
    current = control.value
    if isinstance(current, bool):
        if text not in ("0", "1"):
            raise ValueError(f"{text!r} is not 0 or 1")
        return text == "1"
    number: float | int = int(text) if isinstance(current, int) else float(text)
    if isinstance(number, float) and number != number:  # NaN fits no slider
        raise ValueError("NaN")
    low, high = getattr(control, "min", None), getattr(control, "max", None)
    if low is not None and high is not None:
        if hasattr(control, "base"):  # FloatLogSlider: min and max are exponents
            low, high = control.base ** low, control.base ** high
        if not low - 1e-12 <= number <= high + 1e-12:
            raise ValueError(f"{text} is outside {format_value(low)}..{format_value(high)}")
    return number


def encode(name: str, values: Mapping[str, Any], defaults: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Query parameters ``(f"{name}.{control}", text)`` of the ``values`` that differ from ``defaults``."""
    return [(f"{name}.{key}", format_value(value)) for key, value in values.items()
            if key not in defaults or value != defaults[key]]


def query_string(pairs: list[tuple[str, str]]) -> str:
    """``pairs`` as a query string, without the leading ``?`` (dots and minus signs left readable)."""
    return urlencode(pairs, safe=".-")


def decode(query: str) -> dict[str, dict[str, str]]:
    """``{widget name: {control: text}}`` from a query string (with or without its ``?``).

    Parameters without a dot (such as a server's ``token``) are not a widget's and are ignored.
    """
    found: dict[str, dict[str, str]] = {}
    for key, text in parse_qsl(query.lstrip("?"), keep_blank_values=False):
        name, dot, control = key.partition(".")
        if dot and name and control:
            found.setdefault(name, {})[control] = text
    return found


def apply(explorer: Any, texts: Mapping[str, str]) -> list[str]:
    """Set ``explorer``'s controls from ``texts`` (control -> URL text); returns a note per value left out.

    Controls are set in the widget's own order, so that one that bounds
    another (none does today) would be set first.
    """
    controls = controls_of(explorer)
    notes = [f"{explorer_name(explorer)}: no control named {key!r}" for key in texts if key not in controls]
    for key, control in controls.items():
        if key not in texts:
            continue
        try:
            control.value = parse_value(control, texts[key])
        except (ValueError, TypeError) as exc:
            notes.append(f"{explorer_name(explorer)}.{key}: {exc}; kept {format_value(control.value)}")
    return notes


def explorer_name(explorer: Any) -> str:
    """The name a widget goes by in a URL (``Explorer.name``)."""
    return str(getattr(explorer, "name", "widget"))
