"""The student's workspace: their own copy of the lessons, seeded from ``course/`` and never overwritten.

``make lab`` runs ``python -m autograder.workspace`` before it opens JupyterLab
on the workspace (``work/`` at the repo root, git-ignored). A student's answers
live only there, never in the tracked ``course/``, so ``make course`` and
``git pull`` cannot touch them.

What a sync does, lesson file by lesson file (``NN_topic/NN_topic.ipynb``):

* not in the workspace yet: copied in (the first ``make lab``, or a lesson
  added to the course later, or one the student deleted);
* in the workspace and the course's version is the one it was seeded from:
  nothing;
* the course's version changed since, and the student never changed their
  copy: their copy is replaced by the new version, and they are told;
* the course's version changed since, and the student did change their copy:
  their copy stays exactly as it is, the new version is put beside it as
  ``NN_topic.new.ipynb``, and they are told (on the terminal and in
  ``UPDATES.md`` in the workspace).

The course is read as committed (``git show HEAD:course/...``), so that a
half-regenerated or hand-edited ``course/`` never reaches a student; outside a
git checkout (a downloaded archive) the files of ``course/`` are read instead.
What was seeded is remembered in ``.seeded.json`` in the workspace: the
SHA-256 of every file as the course gave it, and of every ``.new`` file
written, which is how "the student changed it" is told from "the course did".
"""
from __future__ import annotations

import argparse
import datetime as _dt
import hashlib
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Mapping

REPO = Path(__file__).resolve().parent.parent
COURSE_DIR = "course"
MANIFEST = ".seeded.json"
NOTES = "UPDATES.md"
IGNORED_PARTS = {".ipynb_checkpoints", "__pycache__"}

Kind = Literal["seeded", "updated", "offered", "kept"]


@dataclass(frozen=True)
class Change:
    """One thing a sync did to the workspace (or decided not to do).

    ``kind``: ``seeded`` (a lesson file copied in), ``updated`` (an untouched
    copy replaced by the course's new version), ``offered`` (the student's copy
    kept, the new version written beside it at ``beside``), ``kept`` (a file
    the student changed whose course version is still waiting beside it).
    """

    kind: Kind
    path: str
    beside: str | None = None

    def message(self) -> str:
        """One line for the student."""
        if self.kind == "seeded":
            return f"new lesson file: {self.path}"
        if self.kind == "updated":
            return f"updated to the course's new version (you had not changed it): {self.path}"
        if self.kind == "offered":
            return (f"{self.path} changed in the course since you started it. Your notebook is unchanged; "
                    f"the new version is beside it: {self.beside}")
        return f"reminder: a newer version of {self.path} is waiting beside it: {self.beside}"


def digest(data: bytes) -> str:
    """The SHA-256 of ``data``, in hex."""
    return hashlib.sha256(data).hexdigest()


def _wanted(relative: str) -> bool:
    return not (set(Path(relative).parts) & IGNORED_PARTS)


def course_from_git(repo: Path = REPO, ref: str = "HEAD") -> dict[str, bytes] | None:
    """Every file of ``course/`` as committed at ``ref``, by path relative to ``course/``.

    ``None`` when ``repo`` is not a git checkout (or git is missing, or
    ``course/`` is not committed there).
    """
    try:
        listing = subprocess.run(["git", "-C", str(repo), "ls-tree", "-r", "-z", "--name-only", ref, f"{COURSE_DIR}/"],
                                 capture_output=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    names = [n for n in listing.stdout.decode().split("\0") if n]
    if not names:
        return None
    files = {}
    for name in names:
        relative = name[len(COURSE_DIR) + 1:]
        if _wanted(relative):
            shown = subprocess.run(["git", "-C", str(repo), "show", f"{ref}:{name}"], capture_output=True, check=True)
            files[relative] = shown.stdout
    return files


def course_from_files(course: Path) -> dict[str, bytes]:
    """Every file under ``course`` (checkpoints and caches left out), by relative path."""
    return {p.relative_to(course).as_posix(): p.read_bytes()
            for p in sorted(course.rglob("*")) if p.is_file() and _wanted(p.relative_to(course).as_posix())}


def committed_course(repo: Path = REPO) -> dict[str, bytes]:
    """The course as committed in ``repo``; its files on disk when ``repo`` is not a git checkout."""
    files = course_from_git(repo)
    return files if files is not None else course_from_files(repo / COURSE_DIR)


def beside_name(relative: str, taken: set[str]) -> str:
    """Where the new version of ``relative`` goes: ``NN.new.ipynb``, or ``NN.new2.ipynb``... if that is taken."""
    path = Path(relative)
    for n in range(1, 1000):
        candidate = path.with_name(f"{path.stem}.new{'' if n == 1 else n}{path.suffix}").as_posix()
        if candidate not in taken:
            return candidate
    raise RuntimeError(f"no free name beside {relative}")


def _load_manifest(workspace: Path) -> dict[str, dict[str, str]]:
    try:
        data = json.loads((workspace / MANIFEST).read_text())
    except (OSError, ValueError):
        return {}
    return data.get("files", {}) if isinstance(data, dict) else {}


def _save_manifest(workspace: Path, files: Mapping[str, Mapping[str, str]]) -> None:
    text = json.dumps({"about": "what `make lab` copied from course/ (SHA-256); do not edit",
                       "files": files}, indent=1, sort_keys=True)
    (workspace / MANIFEST).write_text(text + "\n")


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def sync(workspace: Path, course: Mapping[str, bytes]) -> list[Change]:
    """Bring ``workspace`` up to date with ``course`` (relative path -> bytes) without losing a student's byte.

    Never overwrites a file whose bytes differ from what a sync wrote there;
    returns what was done, in path order.
    """
    workspace.mkdir(parents=True, exist_ok=True)
    manifest = _load_manifest(workspace)
    changes: list[Change] = []
    for relative in sorted(course):
        data, new_hash = course[relative], digest(course[relative])
        entry = dict(manifest.get(relative, {}))
        target = workspace / relative
        current = _read(target)
        if current is None:
            _write(target, data)
            entry = {"seeded": new_hash}
            changes.append(Change("seeded", relative))
        elif digest(current) == new_hash:
            entry["seeded"] = new_hash  # already the course's version (a copy made by hand, say)
            entry.pop("new", None)
            entry.pop("new_hash", None)
        elif entry.get("seeded") == new_hash:  # the student's work on the current version
            entry.pop("new", None)  # (a version offered since was withdrawn: offer afresh if it comes back)
            entry.pop("new_hash", None)
        elif entry.get("seeded") == digest(current):
            _write(target, data)  # never touched by the student
            entry = {"seeded": new_hash}
            changes.append(Change("updated", relative))
        else:
            change = _offer(workspace, relative, data, entry)
            if change is not None:
                changes.append(change)
        manifest[relative] = entry
    _save_manifest(workspace, manifest)
    _append_notes(workspace, [c for c in changes if c.kind in ("offered", "updated")])
    return changes


def _offer(workspace: Path, relative: str, data: bytes, entry: dict[str, str]) -> Change | None:
    """The student's ``relative`` differs from both the old and the new course version: put the new one beside it."""
    new_hash = digest(data)
    old_beside = entry.get("new")
    if old_beside and entry.get("new_hash") == new_hash:
        if (workspace / old_beside).exists():
            return Change("kept", relative, old_beside)
        return None  # offered already; the student removed the copy (read it, merged it): do not offer again
    beside = None
    if old_beside:
        existing = _read(workspace / old_beside)
        if existing is None or digest(existing) == entry.get("new_hash"):
            beside = old_beside  # our own earlier copy, untouched: replaced by the newer version
    if beside is None:
        taken = {p.relative_to(workspace).as_posix() for p in workspace.rglob("*")}
        beside = beside_name(relative, taken)
    _write(workspace / beside, data)
    entry["new"], entry["new_hash"] = beside, new_hash
    return Change("offered", relative, beside)


def _append_notes(workspace: Path, changes: list[Change]) -> None:
    if not changes:
        return
    notes = workspace / NOTES
    text = notes.read_text() if notes.exists() else (
        "# Course updates\n\nWhen a lesson changes in the course after you started it, `make lab` keeps your "
        "notebook as it is and puts the new version beside it (`NN_topic.new.ipynb`). Open both, copy what you "
        "want, then delete the `.new` file. Nothing you wrote is ever overwritten.\n")
    stamp = _dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    text += f"\n## {stamp}\n\n" + "".join(f"* {c.message()}\n" for c in changes)
    notes.write_text(text)


def main(argv: list[str] | None = None) -> int:
    """``python -m autograder.workspace [WORKSPACE]``: seed or update the student's workspace and say what changed."""
    parser = argparse.ArgumentParser(prog="python -m autograder.workspace", description=__doc__.split("\n")[0])
    parser.add_argument("workspace", nargs="?", default=str(REPO / "work"), help="the student's folder (default: work/)")
    parser.add_argument("--repo", default=str(REPO), help="the course repository (default: this one)")
    args = parser.parse_args(argv)
    workspace = Path(args.workspace)
    changes = sync(workspace, committed_course(Path(args.repo)))
    seeded = [c for c in changes if c.kind == "seeded"]
    if seeded:
        print(f"Your workspace {workspace}: {len(seeded)} lesson file(s) copied from the course.")
    for change in changes:
        if change.kind != "seeded":
            print(f"NOTE: {change.message()}")
    if any(c.kind in ("offered", "updated") for c in changes):
        print(f"(this is also written in {workspace / NOTES})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
