"""Exercise checks, one module per lesson (``lesson01``, ...).

Each exercise has a task id (``central_difference``) shared by the stub the
student fills in, its self-check and its hidden test: the self-check calls
``check_<task>(fn)`` on a few seeded inputs; the hidden test, which runs only
when nbgrader grades, calls ``check_<task>(fn, rng=hidden_rng("<task>"))`` on
fresh inputs and shapes drawn for that student.
"""
from __future__ import annotations

import hashlib
import hmac
import os
from pathlib import Path

import numpy as np

#: The seed of the visible self-checks: the same cases every time they run.
VISIBLE_SEED = 20240601


def student_id(cwd: str | os.PathLike[str] | None = None) -> str:
    """The id of the student being graded, or ``""`` outside grading.

    nbgrader runs a submission with the working directory
    ``.../autograded/<student>/<assignment>/``; the environment variable
    ``BACKPROP_STUDENT`` overrides that (for tools that grade elsewhere).
    """
    if os.environ.get("BACKPROP_STUDENT"):
        return os.environ["BACKPROP_STUDENT"]
    parts = Path(cwd or os.getcwd()).resolve().parts
    if len(parts) >= 3 and parts[-3] == "autograded":
        return parts[-2]
    return ""


def hidden_rng(task: str, cwd: str | os.PathLike[str] | None = None, secret: bytes | None = None) -> np.random.Generator:
    """Random generator of a hidden test: one stream per (course secret, student, task).

    The grader passes the course secret (``autograder.secret``), which only
    the instructor holds: the same student gets the same inputs on every
    regrade, two students get different inputs, and nobody can compute them
    in advance. Without a secret (the test cell as it runs in the notebook's
    own kernel) the stream is public and the same for everybody: that run
    does not decide the grade, the grader's own run does.
    """
    key = f"{student_id(cwd) if secret else ''}/{task}".encode()
    digest = hmac.new(secret, key, hashlib.sha256).digest() if secret else hashlib.sha256(key).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


def visible_rng() -> np.random.Generator:
    """Random generator of a self-check: always the same cases."""
    return np.random.default_rng(VISIBLE_SEED)


def pick_rng(rng: np.random.Generator | None) -> tuple[np.random.Generator, bool]:
    """``(rng, hidden)`` for a check: the hidden test's generator, or the self-check's when ``rng`` is None."""
    return (rng, True) if rng is not None else (visible_rng(), False)


def random_shape(rng: np.random.Generator, max_dims: int = 2, max_size: int = 5) -> tuple[int, ...]:
    """A random array shape with 0 to ``max_dims`` dimensions of size 1 to ``max_size``."""
    return tuple(int(n) for n in rng.integers(1, max_size + 1, size=int(rng.integers(0, max_dims + 1))))
