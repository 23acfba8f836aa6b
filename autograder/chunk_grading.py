"""Autograde and write feedback for a group of students, so that nothing one of them does stops the others.

One nbgrader command grades many notebooks (each command costs seconds to
start), and nbgrader goes on past a notebook it cannot process, naming it in
its log. Two things can still go wrong, and each costs only what it must:

* **one notebook** fails (nbgrader names the student): it is tried once more
  on its own. Failing again, alone, it is the notebook's doing: autograding
  rejects it with nbgrader's error as the reason; feedback that still cannot
  be written is the grader's failure (the grade stands, the page is missing).
  Unless the error is the grading machinery's
  (:data:`autograder.nbgrader_log.INFRASTRUCTURE`: a kernel that did not
  start or answer, a port in use, ...): that is never the student's, so a
  notebook that still fails that way is the grader's failure, not a rejection.
* **the command itself** fails without naming anyone (nbgrader crashed, was
  killed, or could not start), or was killed by a signal whatever it named:
  it is run once more; failing again, each student is run alone, and those
  who still fail are the grader's failures, reported apart from rejections.

Autograding and feedback share one process (:meth:`Runner.attempt_steps`):
each nbgrader process costs 1 to 2 s to start, a third of a notebook. When
everything in it went well, that is all; when anything failed, the failures
are handled as above, one command each, and the feedback is written again
by a command of its own for every notebook autograded (a notebook graded
alone needs its page too), so a group whose every notebook failed gets no
feedback page and no feedback failure.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from .nbgrader_log import FAILED, FailedNotebook, failed_submissions
from .records import Failure, Rejected


class Runner(Protocol):
    """What grading needs of :class:`autograder.nbgrader_runner.Nbgrader`."""

    def attempt(self, *args: str) -> tuple[int, str]: ...

    def attempt_steps(self, steps: list[list[str]]) -> list[tuple[int, str]]: ...

    def autograded(self) -> set[tuple[str, str]]: ...


@dataclass
class ChunkResult:
    """What grading a group of students gave, by grading id."""

    notebooks: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    #: nbgrader commands that failed and were run again, for the log
    retries: list[str] = field(default_factory=list)


def _named(log: str) -> list[FailedNotebook]:
    return failed_submissions(log)


def _crashed(code: int, log: str) -> bool:
    """Did the command fail without naming the notebooks it could not process, or die of a signal?

    A command killed by a signal (a negative status: the OOM killer, a worker
    going down) may have named some notebooks and never reached the others.
    """
    return code < 0 or (code != 0 and not FAILED.search(log))


def only(students: list[str]) -> list[str]:
    """nbgrader's option that limits a command to ``students``: none for many (it globs them), one for one."""
    return [] if len(students) > 1 else [f"--student={students[0]}"]


def run_step(runner: Runner, step: str, students: list[str], result: ChunkResult,
             assignment: str = "*", first: tuple[int, str] | None = None) -> list[Rejected]:
    """Run ``nbgrader STEP ASSIGNMENT`` for ``students``; return the notebooks that failed even when run alone.

    ``assignment`` is a lesson or a glob (``*``: every lesson). A crash of the
    whole command is retried once, then each student is run alone; a student
    whose command still crashes is a :class:`Failure`. A notebook that fails
    again alone is returned (its own doing), unless the grading machinery
    failed it (:data:`autograder.nbgrader_log.INFRASTRUCTURE`) or its command
    crashed: then it is a :class:`Failure` of ``step`` in ``result``.
    ``first`` is the ``(exit status, log)`` of a first attempt already made.
    """
    if not students:
        return []
    code, log = first or runner.attempt(step, assignment, "--force", *only(students))
    if _crashed(code, log):
        result.retries.append(f"{step} of {assignment} for {', '.join(students)} crashed (exit {code}): run again")
        code, log = runner.attempt(step, assignment, "--force", *only(students))
    if _crashed(code, log):
        if len(students) == 1:
            result.failures.append(Failure(students[0], assignment, step, f"nbgrader {step} failed twice: {tail(log)}"))
            return []
        failed: list[Rejected] = []
        for student in students:
            failed += run_step(runner, step, [student], result, assignment)
        return failed
    failed = []
    for r in _named(log):
        why = "the grading machinery failed" if r.infrastructure else "it failed"
        result.retries.append(f"{step} failed for {r.student} {r.lesson} ({why}: {r.reason}): run again alone")
        code, again = runner.attempt(step, r.lesson, "--force", f"--student={r.student}")
        if code == 0 and not FAILED.search(again):
            continue
        named = _named(again)
        if _crashed(code, again) or not named:
            result.failures.append(Failure(r.student, r.lesson, step, f"nbgrader {step} crashed when run again alone "
                                                                      f"(exit {code}): {tail(again)}"))
        elif named[0].infrastructure:
            result.failures.append(Failure(r.student, r.lesson, step, f"the grading machinery failed twice, not the "
                                                                      f"notebook: {named[0].reason.removeprefix('grading failed: ')}"))
        else:
            failed.append(Rejected(named[0].student, named[0].lesson, named[0].reason))
    return failed


def tail(log: str, lines: int = 3) -> str:
    """The last lines of a log, on one line (for a reason in a CSV)."""
    return " | ".join(line.strip() for line in log.strip().splitlines()[-lines:])[:300]


def grade_chunk(runner: Runner, students: list[str], assignments: tuple[str, ...] = ("*",)) -> ChunkResult:
    """Autograde every notebook of ``students`` (grading ids) in ``runner``'s folder, then write their feedback.

    ``assignments`` are the lessons (or globs) to grade, one command each:
    ``*`` in a workspace of the chunk's own; the lessons of this run in an
    instructor folder that holds earlier runs too.
    """
    result = ChunkResult()
    if not students:
        return result
    # one process: every lesson's autograde, then every lesson's feedback
    steps = [[step, assignment, "--force", *only(students)]
             for step in ("autograde", "generate_feedback") for assignment in assignments]
    outcomes = runner.attempt_steps(steps)
    for assignment, first in zip(assignments, outcomes):
        for r in run_step(runner, "autograde", students, result, assignment, first):
            result.rejected.append(Rejected(r.student, r.lesson, f"nbgrader could not grade this notebook, twice: "
                                                                 f"{r.reason.removeprefix('grading failed: ')}"))
    done = {(s, lesson) for s, lesson in runner.autograded() if s in set(students)}
    result.notebooks = len(done) + len(result.rejected)
    if all(code == 0 and not FAILED.search(log) for code, log in outcomes):
        return result  # every notebook autograded and its page written, in that one process
    for assignment in assignments:
        graded = sorted({s for s, lesson in done if assignment == "*" or lesson == assignment})
        for r in run_step(runner, "generate_feedback", graded, result, assignment):
            result.failures.append(Failure(r.student, r.lesson, "generate_feedback",
                                           f"no feedback page: {r.reason.removeprefix('grading failed: ')}"))
    return result
