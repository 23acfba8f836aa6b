"""Typical wrong answers to every exercise, one module per lesson (``l01``, ...).

Each :class:`Mistake` replaces the solution cell of one task with code a
student might plausibly write, and names the words the feedback must contain
so that the student learns *what* is wrong. The demo class and the pipeline
tests build submissions from them.

Each module also lists :class:`Correct` answers that are written differently
from the reference (loops instead of vectors, ``einsum``, another stable
formula, another valid initialisation): every one must pass, self-check and
hidden tests alike, so that a check never fails a right answer.
"""
from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass


@dataclass(frozen=True)
class Mistake:
    """A wrong answer to one task: the solution cell's new source, and what feedback must say."""

    lesson: str
    task: str
    slug: str
    code: str
    feedback: str

    @property
    def student(self) -> str:
        """The student id of a submission made of this mistake alone."""
        return f"m{self.lesson[:2]}-{self.task}-{self.slug}".replace("_", "-")


@dataclass(frozen=True)
class Correct:
    """A right answer to one task written another way than the reference: it must pass every check."""

    lesson: str
    task: str
    slug: str
    code: str

    @property
    def name(self) -> str:
        """A readable test id."""
        return f"c{self.lesson[:2]}-{self.task}-{self.slug}".replace("_", "-")


def all_correct() -> list[Correct]:
    """Every correct variant of every lesson module in this package (a module's ``CORRECT``, if any)."""
    found: list[Correct] = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        found.extend(getattr(importlib.import_module(f"{__name__}.{info.name}"), "CORRECT", []))
    return found


def all_mistakes() -> list[Mistake]:
    """Every mistake of every lesson module in this package."""
    found: list[Mistake] = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        found.extend(importlib.import_module(f"{__name__}.{info.name}").MISTAKES)
    return found


def for_lesson(lesson: str) -> list[Mistake]:
    """The mistakes of one lesson, in task order."""
    return [m for m in all_mistakes() if m.lesson == lesson]
