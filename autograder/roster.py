"""The class list: who is enrolled, under which ids, and how to find them from an LMS file name or a folder.

A roster is a CSV file with a header row; the columns it reads (any order,
any case, a UTF-8 BOM allowed, unknown columns ignored):

* ``id`` (required): the student's id at the school (Canvas' "SIS User ID",
  Moodle's "ID number"); a submissions folder ``<id>/<lesson>/...`` is theirs,
  and every roster-keyed export is keyed by it;
* ``name``: the full name as the LMS spells it;
* ``email``; ``section``; ``login`` (Canvas' "SIS Login ID");
* ``lms_id``: the LMS's own user id, the number in a Canvas download's file
  names (``smithjane_<lms_id>_<submission id>_...``) and in a Moodle one's
  (``Jane Smith_<lms_id>_assignsubmission_file_``).

:meth:`Roster.find` matches a name found elsewhere to one entry, by id,
LMS id, email or name (case and spacing aside), and only when exactly one
entry fits.
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

#: The header names a roster column is recognised by (lower case, spaces and dashes read as ``_``).
COLUMNS = {
    "id": ("id", "student_id", "sis_user_id", "idnumber", "id_number", "student_number"),
    "name": ("name", "full_name", "student", "student_name", "fullname"),
    "email": ("email", "email_address", "mail"),
    "section": ("section", "group"),
    "login": ("login", "sis_login_id", "username"),
    "lms_id": ("lms_id", "canvas_id", "moodle_id", "user_id", "lms_user_id"),
}


class RosterError(ValueError):
    """The roster file cannot be read as a class list (no id column, an id twice, ...)."""


@dataclass(frozen=True)
class Student:
    """One enrolled student."""

    id: str
    name: str = ""
    email: str = ""
    section: str = ""
    login: str = ""
    lms_id: str = ""


def squash(text: str) -> str:
    """``text`` lower-cased with everything but letters and digits removed: how names are compared."""
    return re.sub(r"[\W_]+", "", text.casefold())


def _column(header: str) -> str | None:
    key = re.sub(r"[\s\-]+", "_", header.strip().lstrip("\ufeff").casefold())
    for name, aliases in COLUMNS.items():
        if key in aliases:
            return name
    return None


@dataclass
class Roster:
    """The students of a class, in the roster's order."""

    students: list[Student] = field(default_factory=list)

    @classmethod
    def load(cls, path: Path) -> Roster:
        """Read a roster CSV (see the module's docstring); :class:`RosterError` says what is wrong with it."""
        try:
            with open(path, newline="", encoding="utf-8-sig") as fh:
                rows = list(csv.reader(fh))
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            raise RosterError(f"cannot read the roster {path}: {exc}") from exc
        if not rows:
            raise RosterError(f"{path}: the roster is empty (expected a header row with an id column)")
        columns = [_column(h) for h in rows[0]]
        if "id" not in columns:
            raise RosterError(f"{path}: no id column in the header {rows[0]!r} (expected one of "
                              f"{', '.join(COLUMNS['id'])})")
        students, seen = [], set()
        for line, row in enumerate(rows[1:], start=2):
            if not any(cell.strip() for cell in row):
                continue
            fields = {c: row[i].strip() for i, c in enumerate(columns) if c and i < len(row)}
            if not fields.get("id"):
                raise RosterError(f"{path}, line {line}: a student without an id: {row!r}")
            if re.search(r"[/\\\0]", fields["id"]) or fields["id"].startswith("."):
                raise RosterError(f"{path}, line {line}: the id {fields['id']!r} cannot name a folder "
                                  "(no /, \\ or leading dot)")
            if fields["id"] in seen:
                raise RosterError(f"{path}, line {line}: the id {fields['id']!r} appears twice")
            seen.add(fields["id"])
            students.append(Student(**fields))
        return cls(students)

    def ids(self) -> list[str]:
        return [s.id for s in self.students]

    def by_id(self, student_id: str) -> Student | None:
        return next((s for s in self.students if s.id == student_id), None)

    def find(self, key: str, lms_id: str = "") -> Student | None:
        """The one student ``key`` (an id, email or name) or ``lms_id`` names, or ``None`` (no one, or several)."""
        if lms_id:
            hits = [s for s in self.students if s.lms_id and s.lms_id == lms_id]
            if len(hits) == 1:
                return hits[0]
        for match in (lambda s: s.id == key, lambda s: bool(s.lms_id) and s.lms_id == key,
                      lambda s: bool(s.email) and s.email.casefold() == key.casefold(),
                      lambda s: bool(s.login) and s.login.casefold() == key.casefold(),
                      lambda s: bool(squash(s.name)) and squash(s.name) == squash(key),
                      lambda s: bool(squash(s.name)) and squash(last_first(s.name)) == squash(key)):
            hits = [s for s in self.students if key and match(s)]
            if len(hits) == 1:
                return hits[0]
            if len(hits) > 1:
                return None
        return None


def last_first(name: str) -> str:
    """``Jane Q. Smith`` as Canvas writes it in file names: the last word first (``Smith Jane Q.``)."""
    words = name.split()
    return " ".join(words[-1:] + words[:-1])
