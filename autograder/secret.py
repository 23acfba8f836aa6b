"""The course secret: what makes each student's hidden inputs impossible to compute without it.

Hidden tests draw their inputs from a generator seeded by (secret, student,
exercise) (:func:`backprop_lib.exercises.hidden_rng`): the same student gets
the same inputs on every regrade, and nobody without the secret can compute
them, so a table of answers built at home for one's own id is useless.

The secret is made on the first grading run, 32 random bytes in a file only
the instructor's user can read, outside the repository
(``~/.config/backprop-course/grading-secret``; ``BACKPROP_SECRET_FILE``
moves it). Grading kernels never see it: they run as another uid, in a
sandbox that does not show that folder, with a clean environment. Keep the
file to keep regrades identical; copy it to every machine that grades (a
dask cluster); delete it to draw new hidden inputs for everybody.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

SIZE = 32


def secret_path() -> Path:
    """Where the course secret lives."""
    configured = os.environ.get("BACKPROP_SECRET_FILE")
    if configured:
        return Path(configured)
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "backprop-course" / "grading-secret"


class MissingSecret(RuntimeError):
    """No course secret where it should be: hidden inputs cannot be drawn."""


def course_secret(create: bool = False) -> bytes:
    """The course secret; with ``create``, made (mode 0600, folder 0700) if it does not exist yet."""
    path = secret_path()
    if not path.exists():
        if not create:
            raise MissingSecret(f"no course secret at {path}: grade with `python -m autograder grade`, "
                                "which makes one the first time")
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(secrets.token_bytes(SIZE))
    data = path.read_bytes()
    if len(data) < 16:
        raise MissingSecret(f"the course secret at {path} is too short ({len(data)} bytes): delete it to make a new one")
    return data
