"""Regrade only what changed: a notebook graded before, with the same content and the same lesson, is not run again.

What decides is content, never a file's time:

* the **submission**: the SHA-256 of the notebook as collected (the bytes the
  student handed in, before the grader rebuilt it, :mod:`autograder.normalize`);
* the **lesson** (:func:`lesson_fingerprint`): its source folder in
  ``solutions/``, its checks module ``backprop_lib/exercises/lessonNN.py``, the
  library and grader code a grade depends on (:data:`GRADING_CODE`), the
  course secret (the hidden inputs are drawn from it) and the settings that
  change a score (the cell time limit, the sandbox).

Each notebook graded (not rejected, not a failure) is remembered in
``instructor/regrade.json`` with both fingerprints and the gradebook it was
recorded in. On the next run a notebook whose two fingerprints are the same,
whose autograded copy and feedback page are still there and whose gradebook is
the same one is **held aside** (:meth:`Plan.hold`): its collected copy leaves
``submitted/`` while nbgrader runs, so no nbgrader command sees it, and comes
back afterwards (:meth:`Plan.restore`), with its autograded copy, which is
held aside too so that no feedback command rewrites its page. Its grade, autograded notebook and
feedback page stay what they were; every output after the execute step (the
feedback placement, the CSVs, the report) still reads every student from the
gradebook. A rejected notebook or a grader failure is never remembered, so it
is tried again. ``full=True`` (``python -m autograder grade --full``) forgets
everything and grades every notebook. Each run writes its decisions, one line
per notebook with the reason, to ``logs/regrade.log``.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from .layout import REPO, feedback_path, gradebook_url, move_folder, notebook_name
from .records import Failure, Rejected, TaskScore
from .sandbox import unsafe_allowed
from .secret import course_secret
from .students import StudentIds

STATE = "regrade.json"
#: The code, besides a lesson's own folder and checks, that a grade or its feedback page depends on (repo-relative).
GRADING_CODE = ("backprop_lib", "autograder/verify.py", "autograder/remote.py", "autograder/transport.py",
                "autograder/sanitize.py", "autograder/preprocessors", "autograder/templates", "autograder/kernels",
                "nbgrader_config.py")
IGNORED = {"__pycache__", ".ipynb_checkpoints"}
#: The instructor folder's parts an unchanged notebook is held aside from while nbgrader runs.
HELD_PARTS = ("submitted", "autograded")


def tree_digest(paths: list[Path], root: Path, leave_out: Path | None = None) -> str:
    """SHA-256 over the files at ``paths`` (folders walked in sorted order): each file's name relative to ``root`` and bytes.

    ``leave_out`` is one file not counted (a lesson's own checks, counted apart).
    """
    h = hashlib.sha256()
    for top in paths:
        files = [top] if top.is_file() else sorted(p for p in top.rglob("*") if p.is_file()) if top.is_dir() else []
        for path in files:
            if IGNORED & set(path.relative_to(root).parts) or path.suffix == ".pyc" or path == leave_out:
                continue
            h.update(path.relative_to(root).as_posix().encode() + b"\0")
            h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


def checks_module(lesson: str, repo: Path = REPO) -> Path:
    """The checks of a lesson: ``backprop_lib/exercises/lesson01.py`` for ``01_derivatives``."""
    return repo / "backprop_lib" / "exercises" / f"lesson{lesson[:2]}.py"


def lesson_fingerprint(lesson: str, settings: dict[str, str], repo: Path = REPO,
                       secret: bytes | None = None) -> dict[str, str]:
    """What a lesson's grades depend on, part by part: ``{"source", "checks", "library", "secret", "settings"}``.

    Each value is a hex SHA-256 (the secret's only through a keyed hash: the
    state file never holds anything that would help compute it).
    """
    secret = course_secret() if secret is None else secret
    return {
        "source": tree_digest([repo / "solutions" / lesson], repo),
        "checks": tree_digest([checks_module(lesson, repo)], repo),
        # every other lesson's checks too: checks modules import each other's helpers
        "library": tree_digest([repo / p for p in GRADING_CODE], repo, leave_out=checks_module(lesson, repo)),
        "secret": hashlib.sha256(b"backprop-regrade\0" + secret).hexdigest(),
        "settings": hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest(),
    }


def submission_digest(path: Path) -> str:
    """The SHA-256 of a collected notebook's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def settings(cell_timeout: int | None) -> dict[str, str]:
    """The grading settings that can change a score."""
    return {"cell_timeout": str(cell_timeout or os.environ.get("BACKPROP_CELL_TIMEOUT", "20")),
            "sandbox": "off" if unsafe_allowed() else "on",
            "notebook_budget": os.environ.get("BACKPROP_NOTEBOOK_BUDGET", ""),
            "verify_timeout": os.environ.get("BACKPROP_VERIFY_TIMEOUT", "")}


def _key(student_id: str, lesson: str) -> str:
    return f"{student_id}/{lesson}"


@dataclass
class Plan:
    """Which collected notebooks run this time (``todo``) and which keep their earlier grade (``unchanged``)."""

    instructor: Path
    everyone: dict[str, list[str]]  #: lesson -> every collected student id (the run's outputs cover them all)
    todo: dict[str, list[str]]  #: lesson -> the ids whose notebook is graded now
    unchanged: set[tuple[str, str]] = field(default_factory=set)  #: (id, lesson) kept as graded before
    reasons: dict[tuple[str, str], str] = field(default_factory=dict)  #: why each notebook is graded or kept
    digests: dict[tuple[str, str], str] = field(default_factory=dict)  #: each collected notebook's SHA-256
    lessons: dict[str, dict[str, str]] = field(default_factory=dict)  #: each lesson's fingerprint
    state: dict = field(default_factory=dict)

    @property
    def held(self) -> Path:
        return self.instructor / "unchanged"

    def hold(self) -> None:
        """Move the unchanged notebooks' collected and autograded copies aside while nbgrader runs.

        No nbgrader command (autograde, generate_feedback) then sees them: it
        globs ``submitted/`` and ``autograded/``.
        """
        shutil.rmtree(self.held, ignore_errors=True)
        for student_id, lesson in sorted(self.unchanged):
            for part in HELD_PARTS:
                src = self.instructor / part / student_id / lesson
                move_folder(src, self.held / part / student_id / lesson)
                if not any(src.parent.iterdir()):
                    src.parent.rmdir()

    def restore(self) -> None:
        """Put the held copies back where they were."""
        for student_id, lesson in sorted(self.unchanged):
            for part in HELD_PARTS:
                src = self.held / part / student_id / lesson
                if src.exists():
                    move_folder(src, self.instructor / part / student_id / lesson)
        shutil.rmtree(self.held, ignore_errors=True)

    def remember(self, ids: StudentIds, scores: list[TaskScore], rejected: list[Rejected],
                 failures: list[Failure]) -> None:
        """Remember every notebook graded now; forget the ones rejected or failed; log every decision.

        ``scores``, ``rejected`` and ``failures`` name students by name (as
        :func:`autograder.pipeline.grade` reports them).
        """
        graded = {(s.student, s.lesson) for s in scores}
        bad = {(r.student, r.lesson) for r in rejected} | {(f.student, f.lesson) for f in failures}
        everyone_failed = {f.student for f in failures if f.lesson in ("*", "")}
        entries = self.state.setdefault("notebooks", {})
        for (student_id, lesson), digest in sorted(self.digests.items()):
            if (student_id, lesson) in self.unchanged:
                continue
            name, key = ids.name(student_id), _key(student_id, lesson)
            if (name, lesson) in graded and (name, lesson) not in bad and name not in everyone_failed:
                entries[key] = {"submission": digest, "lesson": self.lessons[lesson]}
            else:
                entries.pop(key, None)
                self.reasons[(student_id, lesson)] += " (not remembered: rejected or failed)"
        self.state["gradebook"] = gradebook_url(self.instructor)
        path = self.instructor / STATE
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.state, indent=1, sort_keys=True))
        os.replace(tmp, path)
        logs = self.instructor / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        with open(logs / "regrade.log", "w", errors="replace") as fh:
            fh.writelines(f"{ids.name(s)} {lesson}: {why}\n" for (s, lesson), why in sorted(self.reasons.items()))


def _changed_parts(old: dict[str, str], new: dict[str, str]) -> list[str]:
    return [part for part in new if old.get(part) != new[part]]


def plan(instructor: Path, by_lesson: dict[str, list[str]], ids: StudentIds, cell_timeout: int | None = None,
         full: bool = False) -> Plan:
    """Decide, by content, which of the collected notebooks ``by_lesson`` (lesson -> ids) must be graded now.

    Call it right after collecting, before anything rewrites ``submitted/``;
    then :meth:`Plan.hold` before grading, :meth:`Plan.restore` after executing and
    :meth:`Plan.remember` once the scores are read.
    """
    path = instructor / STATE
    try:
        state = json.loads(path.read_text()) if path.exists() and not full else {}
    except ValueError:
        state = {}
    same_book = state.get("gradebook") == gradebook_url(instructor)
    entries = state.get("notebooks", {}) if same_book else {}
    run_settings = settings(cell_timeout)
    secret = course_secret()
    out = Plan(instructor, {lesson: list(s) for lesson, s in by_lesson.items()}, {}, state={"notebooks": entries})
    for lesson, students in sorted(by_lesson.items()):
        fingerprint = out.lessons[lesson] = lesson_fingerprint(lesson, run_settings, secret=secret)
        for student_id in students:
            collected = instructor / "submitted" / student_id / lesson / notebook_name(lesson)
            digest = out.digests[(student_id, lesson)] = submission_digest(collected)
            before = entries.get(_key(student_id, lesson))
            if full:
                why = "graded: --full"
            elif not same_book and state:
                why = "graded: another gradebook than the last run's"
            elif before is None:
                why = "graded: new (or not graded last time)"
            elif before["submission"] != digest:
                why = "graded: the submission changed"
            elif parts := _changed_parts(before["lesson"], fingerprint):
                why = f"graded: the lesson's {', '.join(parts)} changed"
            elif not (instructor / "autograded" / student_id / lesson / notebook_name(lesson)).exists():
                why = "graded: its autograded notebook is gone"
            elif not feedback_path(instructor, ids.name(student_id), lesson).exists():
                why = "graded: its feedback page is gone"
            else:
                out.unchanged.add((student_id, lesson))
                out.reasons[(student_id, lesson)] = "kept: submission and lesson unchanged"
                continue
            out.reasons[(student_id, lesson)] = why
            out.todo.setdefault(lesson, []).append(student_id)
    return out

