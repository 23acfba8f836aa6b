"""CSV cells a spreadsheet reads as text, never as a formula.

A student names their folder ``=HYPERLINK("http://evil", "click")`` or prints
``@SUM(A1)`` into a diagnosis; opened in a spreadsheet, a cell that starts
with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a formula (CSV
injection). Every CSV the grader writes goes through :func:`writer`: such a
cell gets a leading apostrophe, the spreadsheet convention for "this is
text". A cell that already starts with an apostrophe gets one more, so
:func:`restore` gives back exactly what was written, and plain numbers
(``-1.5``) are left alone.
"""
from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any, Iterable, TextIO

#: What makes a spreadsheet treat a cell as a formula (OWASP's list), and the escape itself.
TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "'")
NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def neutral(value: Any) -> str:
    """``value`` as a CSV cell no spreadsheet evaluates: an apostrophe before a formula's first character."""
    text = value if isinstance(value, str) else str(value)
    if text.startswith(TRIGGERS) and not NUMBER.fullmatch(text):
        return "'" + text
    return text


def restore(cell: str) -> str:
    """The text :func:`neutral` was given (for tools that read the grader's CSVs back)."""
    if cell.startswith("'") and cell[1:].startswith(TRIGGERS):
        return cell[1:]
    return cell


class SafeWriter:
    """A ``csv.writer`` whose every cell goes through :func:`neutral`."""

    def __init__(self, fh: TextIO):
        self._writer = csv.writer(fh)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([neutral(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(fh: TextIO) -> SafeWriter:
    """The CSV writer of every file the grader writes."""
    return SafeWriter(fh)


def open_csv(path: Path) -> TextIO:
    """A CSV file for writing: UTF-8, and a name that is not valid Unicode is written back as the bytes it was."""
    return open(path, "w", newline="", encoding="utf-8", errors="surrogateescape")
