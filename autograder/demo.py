"""A synthetic class, built from ``solutions/`` and ``course/``, with known scores.

``make grade`` grades the ``small`` class: lesson 01 only, with the students
below. Students (per lesson): ``correct`` (the reference solutions), ``blank`` (the
student notebook untouched), ``raises`` (its first exercise raises when
called), ``loops`` (its second exercise never returns: the cell timeout must
stop it and the batch must finish), and students made of the typical mistakes
of :mod:`autograder.mistakes`:

* ``demo``: one student per exercise, with that exercise's first mistake;
* ``all``: one student per mistake;
* ``combined``: student *i* makes the *i*-th known mistake of *every* exercise
  at once (``mNN-combined-i``). Exercises never share an answer, so such a
  notebook must lose exactly the sum of its mistakes' points and its feedback
  must name each one; this covers every mistake in a few notebooks.

:func:`build_class` returns the score each must get.
"""
from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import nbformat

from . import mistakes as mistakes_pkg
from .layout import COURSE, SOLUTIONS, lessons, notebook_name

SOLUTION_MARKERS = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*$")
BEGIN = re.compile(r"^(\s*)### BEGIN SOLUTION\s*$")


def solution_sources(lesson: str) -> dict[str, str]:
    """``{grade_id: reference source}`` of the solution cells, markers removed."""
    nb = nbformat.read(SOLUTIONS / lesson / notebook_name(lesson), as_version=4)
    out = {}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            out[meta["grade_id"]] = "\n".join(
                ln for ln in cell.source.splitlines() if not SOLUTION_MARKERS.match(ln))
    return out


def inject(lesson: str, task: str, statement: str) -> str:
    """The reference solution of ``task`` with ``statement`` run first inside its body."""
    nb = nbformat.read(SOLUTIONS / lesson / notebook_name(lesson), as_version=4)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == task:
            lines = []
            for ln in cell.source.splitlines():
                m = BEGIN.match(ln)
                if m:
                    lines.append(f"{m.group(1)}{statement}")
                elif not SOLUTION_MARKERS.match(ln):
                    lines.append(ln)
            return "\n".join(lines)
    raise KeyError(f"{lesson} has no solution cell {task!r}")


def graded_tasks(lesson: str) -> dict[str, float]:
    """``{task: points}`` of a lesson, from its test cells (``test_<task>``)."""
    nb = nbformat.read(SOLUTIONS / lesson / notebook_name(lesson), as_version=4)
    return {c.metadata["nbgrader"]["grade_id"].removeprefix("test_"): float(c.metadata["nbgrader"]["points"])
            for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")}


def submission(lesson: str, replace: dict[str, str]) -> nbformat.NotebookNode:
    """The student notebook of ``lesson`` with solution cells replaced by ``{grade_id: source}``."""
    nb = nbformat.read(COURSE / lesson / notebook_name(lesson), as_version=4)
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid in replace:
            cell.source = replace[gid]
    return nb


@dataclass(frozen=True)
class Expected:
    """The score a demo student must get in a lesson, and the words its feedback must contain."""

    student: str
    lesson: str
    low: float
    high: float
    feedback: tuple[str, ...] = ()


#: The lesson of the small demo class (``make grade``): the whole loop in about two minutes.
SMALL_DEMO_LESSON = "01_derivatives"


def build_class(out: Path, which: str = "small", only: list[str] | None = None) -> list[Expected]:
    """Write a class of submissions to ``out/<student>/<lesson>/<lesson>.ipynb``.

    ``which`` is ``"small"`` (lesson 01 only: the controls, one that raises,
    one that loops, and one typical mistake per exercise), ``"demo"``,
    ``"all"`` or ``"combined"`` (see the module docstring). ``only``
    restricts the lessons. Returns the expected scores.
    """
    if out.exists():
        shutil.rmtree(out)
    expected: list[Expected] = []
    if which == "small":
        only, which = only or [SMALL_DEMO_LESSON], "demo"
    for lesson in only or lessons():
        points = graded_tasks(lesson)
        total = sum(points.values())
        tasks = list(points)
        correct = solution_sources(lesson)
        students: dict[str, tuple[dict[str, str], float, tuple[str, ...]]] = {
            "correct": (correct, total, ()),
            "blank": ({}, 0.0, ("not implemented yet",)),
        }
        if tasks:
            students["raises"] = (correct | {tasks[0]: inject(lesson, tasks[0], 'raise ValueError("a bug in my code")')},
                                  total - points[tasks[0]], ("ValueError: a bug in my code",))
        if len(tasks) > 1:
            students["loops"] = (correct | {tasks[1]: inject(lesson, tasks[1], "while True: pass")},
                                 total - points[tasks[1]], ("did not finish",))
        known = mistakes_pkg.for_lesson(lesson)
        if which == "combined":
            by_task: dict[str, list] = {}
            for m in known:
                by_task.setdefault(m.task, []).append(m)
            for i in range(max((len(v) for v in by_task.values()), default=0)):
                picked = [ms[i] for ms in by_task.values() if i < len(ms)]
                students[f"m{lesson[:2]}-combined-{i + 1}"] = (
                    correct | {m.task: m.code for m in picked},
                    total - sum(points[m.task] for m in picked), tuple(m.feedback for m in picked))
            known = []
        seen: set[str] = set()
        for m in known:
            if which == "demo" and m.task in seen:
                continue
            seen.add(m.task)
            students[m.student] = (correct | {m.task: m.code}, total - points[m.task], (m.feedback,))
        for student, (replace, score, words) in students.items():
            path = out / student / lesson / notebook_name(lesson)
            path.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(submission(lesson, replace), path)
            expected.append(Expected(student, lesson, score, score, words))
    return expected
