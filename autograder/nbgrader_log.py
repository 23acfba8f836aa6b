"""What an nbgrader log says: the submissions it could not process, each with its error, and whose fault that was.

nbgrader logs ``There was an error processing assignment: <folder>`` and the
traceback when a submission fails, goes on with the others, and at the end
names each failed one again (``... assignment '<lesson>' for student
'<id>'``). The traceback tells two kinds of failure apart:

* **the grader's machinery** (:data:`INFRASTRUCTURE`): the kernel did not
  start or answer its first request, its port was taken, the process was
  killed, the disk or the file table was full. No code of the student's has
  run when these happen (the executor survives a kernel the student's code
  kills, :mod:`autograder.preprocessors.resilient_execute`), so they are never
  the student's doing: such a notebook is run again and, failing still, is
  the grader's failure;
* anything else nbgrader could not process in the notebook: the student's.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .records import Rejected

FAILED = re.compile(r"There was an error processing assignment '([^']+)' for student '([^']+)'")
#: where nbgrader starts the traceback of one failed submission (the folder ends in <student>/<lesson>)
BLOCK = re.compile(r"There was an error processing assignment: (.+)$", re.M)
EXCEPTION = re.compile(r"^\s*(\w+(?:\.\w+)*(?:Error|Exception)\b.*)$", re.M)
#: errors of the grading machinery, never of a notebook (jupyter_client's kernel start, ZeroMQ, the OS)
INFRASTRUCTURE = re.compile(
    r"Kernel didn't respond in \d+ seconds|Kernel died before replying|Address already in use|ZMQError|"
    r"Too many open files|No space left on device|Cannot allocate memory|BrokenPipeError|ConnectionResetError|"
    r"database is locked")


@dataclass
class FailedNotebook(Rejected):
    """A submission nbgrader named as failed; ``infrastructure``: the machinery failed, not the notebook."""

    infrastructure: bool = False


def _block(log: str, student: str, lesson: str) -> str:
    """The part of ``log`` about the failure of ``student``'s ``lesson`` (empty if nbgrader gave none)."""
    for m in BLOCK.finditer(log):
        parts = m.group(1).strip().rstrip("/").split("/")
        if parts[-2:] == [student, lesson]:
            after = [n.start() for n in (BLOCK.search(log, m.end()), FAILED.search(log, m.end())) if n]
            return log[m.start(): min(after, default=len(log))]
    return ""


def failed_submissions(log: str) -> list[FailedNotebook]:
    """The submissions an nbgrader log reports as failed, each with its own error and whose fault it was.

    The error is the last exception of the submission's own traceback (or,
    without one, the last exception before nbgrader names it).
    """
    out = []
    for m in FAILED.finditer(log):
        lesson, student = m.group(1), m.group(2)
        block = _block(log, student, lesson)
        errors = EXCEPTION.findall(block) or EXCEPTION.findall(log[: m.start()])
        reason = errors[-1].strip() if errors else "nbgrader could not process it (see logs/nbgrader.log)"
        out.append(FailedNotebook(student, lesson, f"grading failed: {reason}"[:300],
                                  infrastructure=bool(INFRASTRUCTURE.search(block or reason))))
    return out


def is_infrastructure(log: str) -> bool:
    """Does ``log`` show the grading machinery failing (see :data:`INFRASTRUCTURE`)?"""
    return bool(INFRASTRUCTURE.search(log))
