"""Import submissions as they arrive: an LMS download (Canvas, Moodle) or nbgrader's exchange, into the grading layout.

``python -m autograder import SOURCE --roster roster.csv --into SUBMISSIONS``
turns each source into ``SUBMISSIONS/<roster id>/<lesson>/<lesson>.ipynb``
with a ``timestamp.txt`` beside it (nbgrader's name and format, read back
by :mod:`autograder.collect` for the late penalty). A source is

* a Canvas assignment download (zip): ``smithjane_<user id>_<submission id>_<original name>``,
  with ``late`` after the name for late work
  (``smithjane_late_<user id>_<submission id>_...``);
* a Moodle assignment download (zip): ``Jane Smith_<participant id>_assignsubmission_file_``
  as a folder holding the original file, or as the file name's prefix;
* nbgrader's exchange: its ``inbound`` folder (``<user>+<lesson>+<timestamp>[+<random>]/``) or
  a folder laid out as ``nbgrader collect`` leaves it (``<user>/<lesson>/`` with ``timestamp.txt``).

The student is found in the roster by the LMS user id, else by the name,
id or email the file carries (:meth:`autograder.roster.Roster.find`). The
lesson is the one given (``--lesson``, a Canvas or Moodle download is one
assignment) or the one the original file name starts with. A zip entry's
time is its submission time (read as UTC unless told otherwise).

Every file ends in the import log (``instructor/import/log.csv``, and
:attr:`ImportReport.outcomes`) as ``imported``, ``unchanged``,
``superseded`` (an older version of the same student and lesson: the
newest wins, the other is named and kept under ``instructor/import/superseded``)
or ``set aside`` with its reason (no roster entry, a name that fits no
LMS pattern, not a notebook, an unknown lesson, an unsafe or oversized
entry), kept under ``instructor/import/set_aside`` unless it is unsafe
to keep. Nothing is dropped silently.

A zip is read, never extracted: an absolute path, ``..``, a link or a
device is never written; each file is read through a cap
(:data:`MAX_FILE_BYTES`, whatever its header claims), the whole archive
through another (:data:`MAX_TOTAL_BYTES`), and an entry compressed more
than :data:`MAX_RATIO` times is refused (a zip bomb).
"""
from __future__ import annotations

import hashlib
import re
import stat
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone, tzinfo
from pathlib import Path, PurePosixPath

from . import csv_safe
from .lateness import as_utc
from .layout import lessons, notebook_name
from .roster import Roster

#: a notebook larger than this is not a lesson's (the largest solution is well under 2 MB with outputs)
MAX_FILE_BYTES = 50 * 2**20
#: all files of one archive together
MAX_TOTAL_BYTES = 1024 * 2**20
#: more entries than this is not a class's download
MAX_ENTRIES = 20_000
#: an entry that inflates more than this many times (beyond 1 MB) is refused as a zip bomb
MAX_RATIO = 200
TIMESTAMP = "timestamp.txt"

CANVAS = re.compile(r"(?P<name>[^_/]+?)_(?:(?P<late>late)_)?(?P<user>\d+)_(?P<sub>\d+)_(?P<original>.+)", re.I)
MOODLE = re.compile(r"(?P<name>[^/]+?)_(?P<user>\d+)_assignsubmission_(?:file|onlinetext)_/?(?P<original>.*)")
#: what an LMS or a browser adds to a re-uploaded file's name: ``-1``, `` (2)``, ``_v2``
COPY_SUFFIX = re.compile(r"(?:[-_ ]?\(\d+\)|-\d+|_v\d+)$")


class ImportError_(RuntimeError):
    """The source cannot be read at all (not a zip, no such folder): nothing was imported."""


@dataclass
class Outcome:
    """What became of one file of a source."""

    source: str
    student: str
    lesson: str
    status: str  # imported, unchanged, superseded, set aside
    reason: str = ""
    submitted: datetime | None = None


@dataclass
class ImportReport:
    """Every file of the sources, with what became of it."""

    outcomes: list[Outcome] = field(default_factory=list)

    def by_status(self, status: str) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == status]


@dataclass
class _Candidate:
    source: str
    student: str
    lesson: str
    submitted: datetime | None
    order: int  # the LMS's submission id: a tie-break between two versions of one time
    data: bytes
    note: str = ""


def safe_name(text: str, limit: int = 120) -> str:
    """``text`` as one harmless file name (no separators, no leading dot), for what is kept aside."""
    name = re.sub(r"[^\w.+-]+", "_", text).lstrip("._")[:limit]
    return name or "file"


def lesson_of(original: str, given: str | None) -> str | None:
    """The lesson an original file name is for: ``given`` if any, else the lesson it names (copy marks aside)."""
    if given:
        return given
    stem = COPY_SUFFIX.sub("", PurePosixPath(original).stem.strip())
    known = lessons()
    if stem in known:
        return stem
    hits = [lesson for lesson in known if stem.startswith(lesson) or stem[:3] == lesson[:3] and stem[:2].isdigit()]
    return hits[0] if len(hits) == 1 else None


def _unsafe(name: str, info: zipfile.ZipInfo) -> str:
    """Why a zip entry must not be written anywhere, or ``""``."""
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        return "a symbolic link inside the zip (never followed)"
    if mode and stat.S_IFMT(mode) not in (0, stat.S_IFREG):
        return "not a regular file (a device or pipe)"
    if "\0" in name or name.startswith("/") or re.match(r"[A-Za-z]:", name) or ".." in name.split("/"):
        return "an absolute path or one leaving the folder (..)"
    if info.flag_bits & 0x1:
        return "encrypted"
    return ""


def _read_capped(zf: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int) -> bytes | str:
    """The entry's bytes, or why not (larger than a cap, whatever the header said; a broken entry)."""
    if info.file_size > MAX_FILE_BYTES:
        return f"larger than {MAX_FILE_BYTES // 2**20} MB ({info.file_size} bytes)"
    if info.file_size > 2**20 and info.file_size > MAX_RATIO * max(info.compress_size, 1):
        return f"compressed {info.file_size // max(info.compress_size, 1)} times (a zip bomb?)"
    cap = min(MAX_FILE_BYTES, budget)
    try:
        with zf.open(info) as fh:
            data = fh.read(cap + 1)
    except Exception as exc:  # noqa: BLE001 - a broken entry is reported, the rest imported
        return f"cannot be read from the zip ({type(exc).__name__}: {exc})"[:300]
    if len(data) > cap:
        return ("inflates past the archive's cap" if cap < MAX_FILE_BYTES
                else f"inflates past {MAX_FILE_BYTES // 2**20} MB (its header said {info.file_size} bytes)")
    return data


class Importer:
    """One import run: sources in, the submissions folder and the import folder out."""

    def __init__(self, roster: Roster, into: Path, instructor: Path, lesson: str | None = None,
                 zip_tz: tzinfo = timezone.utc):
        self.roster, self.into, self.lesson, self.zip_tz = roster, into, lesson, zip_tz
        self.keep = instructor / "import"
        self.report = ImportReport()
        self.candidates: list[_Candidate] = []

    # -- outcomes ---------------------------------------------------------------------------------------
    def set_aside(self, source: str, reason: str, data: bytes | None = None, student: str = "",
                  lesson: str = "", submitted: datetime | None = None) -> None:
        if data is not None:
            digest = hashlib.sha256(data).hexdigest()[:8]
            path = self.keep / "set_aside" / f"{digest}-{safe_name(PurePosixPath(source.rsplit(':', 1)[-1]).name)}"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            reason += f" (kept as {path.relative_to(self.keep.parent)})"
        self.report.outcomes.append(Outcome(source, student, lesson, "set aside", reason, submitted))

    def _student(self, name: str, user: str) -> str | None:
        found = self.roster.find(name, lms_id=user)
        return found.id if found else None

    # -- sources ------------------------------------------------------------------------------------------
    def add_zip(self, path: Path) -> None:
        """Every file of an LMS download (Canvas or Moodle names), read safely."""
        try:
            zf = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as exc:
            raise ImportError_(f"{path} is not a zip file: {exc}") from exc
        with zf:
            infos = zf.infolist()
            if len(infos) > MAX_ENTRIES:
                raise ImportError_(f"{path} holds {len(infos)} entries (more than {MAX_ENTRIES}): not imported")
            budget = MAX_TOTAL_BYTES
            for info in infos:
                name = info.filename.replace("\\", "/")
                source = f"{path.name}:{name}"
                if name.endswith("/"):
                    continue  # a folder: its files are entries of their own
                why = _unsafe(name, info)
                if why:
                    self.set_aside(source, f"unsafe zip entry: {why}")
                    continue
                base = PurePosixPath(name).name
                if base.startswith(".") or "__MACOSX" in name.split("/"):
                    self.set_aside(source, "a hidden or system file (not a submission)")
                    continue
                data = _read_capped(zf, info, budget)
                if isinstance(data, str):
                    self.set_aside(source, f"not read: {data}")
                    continue
                budget -= len(data)
                try:
                    when = datetime(*info.date_time, tzinfo=self.zip_tz).astimezone(timezone.utc)
                except ValueError:
                    when = None
                self._lms_file(source, name, data, when)

    def _lms_file(self, source: str, name: str, data: bytes, when: datetime | None) -> None:
        match = MOODLE.search(name)
        kind = "Moodle"
        if match is None:
            match = CANVAS.fullmatch(PurePosixPath(name).name)
            kind = "Canvas"
        if match is None:
            self.set_aside(source, "the name fits neither Canvas' (name_userid_submissionid_file) nor Moodle's "
                                   "(Full Name_id_assignsubmission_file_) pattern", data)
            return
        original = PurePosixPath(match["original"]).name or PurePosixPath(name).name
        student = self._student(match["name"], match["user"])
        lesson = lesson_of(original, self.lesson)
        note = "marked late by Canvas" if kind == "Canvas" and match["late"] else ""
        if student is None:
            self.set_aside(source, f"no roster entry for {kind} user {match['name']!r} (id {match['user']})",
                           data, submitted=when)
        elif not original.lower().endswith(".ipynb"):
            what = "a zip inside the download (unpack it, then import its notebook)" \
                if original.lower().endswith(".zip") else f"not a notebook ({original})"
            self.set_aside(source, what, data, student, lesson or "", when)
        elif lesson is None or lesson not in lessons():
            self.set_aside(source, f"cannot tell which lesson {original!r} is for (name the lesson: --lesson)"
                           if lesson is None else f"unknown lesson {lesson!r}", data, student, "", when)
        else:
            order = int(match["sub"]) if kind == "Canvas" else 0
            self.candidates.append(_Candidate(source, student, lesson, when, order, data, note))

    def add_exchange(self, folder: Path) -> None:
        """nbgrader's exchange: its ``inbound`` folder, or a folder as ``nbgrader collect`` leaves it."""
        if not folder.is_dir():
            raise ImportError_(f"{folder} is neither a zip file nor a folder")
        root = folder / "inbound" if (folder / "inbound").is_dir() else folder
        for entry in sorted(root.iterdir()):
            if entry.name.startswith("."):
                continue
            if entry.is_symlink() or not entry.is_dir():
                self.set_aside(str(entry), "not a submission folder (a file or a link)")
                continue
            parts = entry.name.split("+")
            if len(parts) >= 3:  # inbound: user+lesson+timestamp[+random]
                self._exchange_lesson(entry, parts[0], parts[1], parts[2])
                continue
            for lesson_dir in sorted(entry.iterdir()):
                if lesson_dir.is_dir() and not lesson_dir.is_symlink():
                    self._exchange_lesson(lesson_dir, entry.name, lesson_dir.name, None)
                elif not lesson_dir.name.startswith("."):
                    self.set_aside(str(lesson_dir), "not a lesson folder (expected <user>/<lesson>/)")

    def _exchange_lesson(self, folder: Path, user: str, lesson: str, stamp: str | None) -> None:
        if (folder / TIMESTAMP).is_file() and not (folder / TIMESTAMP).is_symlink():
            stamp = (folder / TIMESTAMP).read_text(encoding="utf-8", errors="replace")[:100]
        try:
            when = as_utc(stamp) if stamp else None
        except Exception:  # noqa: BLE001 - an unreadable time is reported with the file
            when = None
        student = self._student(user, "")
        notebook = folder / notebook_name(lesson)
        others = sorted(p.name for p in folder.iterdir() if p.name not in (notebook.name, TIMESTAMP))
        if student is None:
            data = notebook.read_bytes() if notebook.is_file() and not notebook.is_symlink() else None
            self.set_aside(str(folder), f"no roster entry for nbgrader user {user!r}", data, "", lesson, when)
        elif lesson not in lessons():
            self.set_aside(str(folder), f"unknown lesson {lesson!r}", None, student, "", when)
        elif not notebook.is_file() or notebook.is_symlink():
            self.set_aside(str(folder), f"no {notebook.name} in it" + (f" (found {', '.join(others[:5])})"
                                                                          if others else ""), None, student, lesson)
        elif notebook.stat().st_size > MAX_FILE_BYTES:
            self.set_aside(str(notebook), f"larger than {MAX_FILE_BYTES // 2**20} MB", None, student, lesson, when)
        else:
            note = f"also in the folder, not imported: {', '.join(others[:5])}" if others else ""
            self.candidates.append(_Candidate(str(notebook), student, lesson, when, 0, notebook.read_bytes(), note))

    # -- writing ------------------------------------------------------------------------------------------
    def finish(self) -> ImportReport:
        """Write the newest version of each student's lesson (older ones kept and named); log every outcome."""
        groups: dict[tuple[str, str], list[_Candidate]] = {}
        for c in self.candidates:
            groups.setdefault((c.student, c.lesson), []).append(c)
        for (student, lesson), versions in sorted(groups.items()):
            newest_first = sorted(versions, key=lambda c: (c.submitted or datetime.min.replace(tzinfo=timezone.utc),
                                                           c.order), reverse=True)
            winner = newest_first[0]
            for older in newest_first[1:]:
                self._supersede(older.source, student, lesson, older.data, older.submitted,
                                f"an older version than {winner.source}")
            self._write(winner)
        self._log()
        return self.report

    def _supersede(self, source: str, student: str, lesson: str, data: bytes, when: datetime | None,
                   reason: str) -> None:
        stamp = when.strftime("%Y%m%dT%H%M%SZ") if when else "no-time"
        digest = hashlib.sha256(data).hexdigest()[:8]
        path = self.keep / "superseded" / safe_name(student) / lesson / f"{stamp}-{digest}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        self.report.outcomes.append(Outcome(source, student, lesson, "superseded",
                                            f"{reason} (kept as {path.relative_to(self.keep.parent)})", when))

    def _write(self, c: _Candidate) -> None:
        folder = self.into / c.student / c.lesson
        target, stamp = folder / notebook_name(c.lesson), folder / TIMESTAMP
        if target.is_file():
            old = target.read_bytes()
            try:
                old_time = as_utc(stamp.read_text(encoding="utf-8")[:100]) if stamp.is_file() else None
            except Exception:  # noqa: BLE001
                old_time = None
            if old == c.data:
                self.report.outcomes.append(Outcome(c.source, c.student, c.lesson, "unchanged",
                                                    "already imported", c.submitted))
                return
            if old_time and c.submitted and old_time > c.submitted:
                self._supersede(c.source, c.student, c.lesson, c.data, c.submitted,
                                f"older than the version already in {folder}")
                return
            self._supersede(str(target), c.student, c.lesson, old, old_time, f"replaced by {c.source}")
        folder.mkdir(parents=True, exist_ok=True)
        target.write_bytes(c.data)
        if c.submitted:
            stamp.write_text(c.submitted.strftime("%Y-%m-%d %H:%M:%S.%f UTC"), encoding="utf-8")
        elif stamp.exists():
            stamp.unlink()
        self.report.outcomes.append(Outcome(c.source, c.student, c.lesson, "imported", c.note, c.submitted))

    def _log(self) -> None:
        self.keep.mkdir(parents=True, exist_ok=True)
        log = self.keep / "log.csv"
        new = not log.exists()
        now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
        with open(log, "a", newline="", encoding="utf-8", errors="surrogateescape") as fh:
            writer = csv_safe.writer(fh)
            if new:
                writer.writerow(["imported_at", "source", "student", "lesson", "status", "submitted", "reason"])
            for o in self.report.outcomes:
                writer.writerow([now, o.source, o.student, o.lesson, o.status,
                                 o.submitted.strftime("%Y-%m-%d %H:%M:%S UTC") if o.submitted else "", o.reason])


def import_sources(sources: list[Path], roster: Roster, into: Path, instructor: Path, lesson: str | None = None,
                   zip_tz: tzinfo = timezone.utc) -> ImportReport:
    """Import LMS zips and nbgrader exchange folders into ``into`` (see the module's docstring)."""
    importer = Importer(roster, into, instructor, lesson, zip_tz)
    for source in sources:
        if source.is_file():
            importer.add_zip(source)
        else:
            importer.add_exchange(source)
    return importer.finish()

