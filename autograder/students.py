"""Student names as the submissions folder spells them, and the ids nbgrader grades them under.

A student's folder may be named anything the file system allows: ``*``,
``Smith, J [1234]``, ``=cmd|' /C calc'!A0``. nbgrader takes its student ids
as glob patterns (``*`` matches every student, ``[1234]`` none) and keeps
them in a database, so such a name is graded under a safe id instead, and
every output (CSVs, feedback folders, the report) shows the name again.

A name made only of letters, digits, ``_``, ``.`` and ``-`` (not starting with
``.`` or ``-``) is its own id, so gradebooks and hidden inputs (seeded by the
id) stay as they were; any other name becomes ``s-<letters of it>-<hash>``,
the same on every run. The map is saved beside the gradebook
(``students.json``), so every step of a run, and a later one, reads the same.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

SAFE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}")


def is_safe(name: str) -> bool:
    """Can ``name`` be an nbgrader student id as it is (no glob or shell meaning, no odd characters)?"""
    return bool(SAFE.fullmatch(name))


def derived_id(name: str, extra: int = 0) -> str:
    """The safe id of an odd ``name``: its plain letters and a hash of the whole name (``extra`` lengthens it)."""
    letters = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40] or "student"
    digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[: 10 + extra]
    return f"s-{letters}-{digest}"


@dataclass
class StudentIds:
    """Both directions between student names and grading ids."""

    by_name: dict[str, str] = field(default_factory=dict)

    @classmethod
    def assign(cls, names: list[str]) -> StudentIds:
        """An id for each name: itself when safe, otherwise :func:`derived_id`, never two names on one id."""
        ids = cls()
        taken = {n for n in names if is_safe(n)}
        for name in sorted(names):
            if is_safe(name):
                ids.by_name[name] = name
                continue
            extra = 0
            while derived_id(name, extra) in taken:
                extra += 1
            ids.by_name[name] = derived_id(name, extra)
            taken.add(ids.by_name[name])
        return ids

    @property
    def by_id(self) -> dict[str, str]:
        return {i: n for n, i in self.by_name.items()}

    def id(self, name: str) -> str:
        """The grading id of ``name``."""
        return self.by_name[name]

    def name(self, student_id: str) -> str:
        """The name behind a grading id (an id it does not know is its own name)."""
        return self.by_id.get(student_id, student_id)

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.by_name, ensure_ascii=True, indent=1, sort_keys=True))

    @classmethod
    def load(cls, path: Path) -> StudentIds:
        """The map saved at ``path`` (empty when there is none: every id is then its own name)."""
        try:
            return cls(dict(json.loads(path.read_text())))
        except (OSError, ValueError):
            return cls()
