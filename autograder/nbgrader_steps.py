"""Run several nbgrader commands in one Python process, so that they pay nbgrader's start-up once.

``python -m autograder.nbgrader_steps autograde "*" --force --then generate_feedback "*" --force``
runs ``nbgrader autograde "*" --force``, then ``nbgrader generate_feedback "*" --force``,
each exactly as the ``nbgrader`` command would (the same application, the same
``nbgrader_config.py``), one after the other. Importing nbgrader and the
grader's own modules costs 1 to 2 s of CPU per process (3 s before
:data:`NOT_NEEDED`), a third of a notebook's grading; autograding a group of
notebooks and writing their feedback is two commands, so one process for both
halves that cost.

Every command runs to its end whatever the one before it did (a command that
fails exits through ``SystemExit``, caught here). Output goes to one stream,
standard error, in order: after each command a line :data:`MARKER` gives its
exit status and its seconds, so :func:`split` can cut the output back into
one log per command. A command whose marker is missing did not end (the
process was killed or crashed): :func:`split` gives it and every later one
the process's own exit status.
"""
from __future__ import annotations

import os
import re
import sys
import time

#: The separator between two commands on the command line.
THEN = "--then"
#: Written to standard error after each command: its exit status and seconds.
MARKER = "#@ nbgrader_steps: exit {code} after {seconds:.2f} s"
MARKER_RE = re.compile(r"^#@ nbgrader_steps: exit (-?\d+) after (\d+\.\d+) s$", re.M)


def commands(argv: list[str]) -> list[list[str]]:
    """Cut ``argv`` at each :data:`THEN`: ``[["autograde", "*", "--force"], ["generate_feedback", ...]]``."""
    out: list[list[str]] = [[]]
    for arg in argv:
        if arg == THEN:
            out.append([])
        else:
            out[-1].append(arg)
    return [c for c in out if c]


def join(steps: list[list[str]]) -> list[str]:
    """The command line of ``steps`` (the inverse of :func:`commands`)."""
    argv: list[str] = []
    for step in steps:
        argv += ([THEN] if argv else []) + step
    return argv


def split(output: str, steps: int, code: int) -> list[tuple[int, str, float | None]]:
    """One ``(exit status, log, seconds)`` per command from the output of a run of ``steps`` commands.

    ``code`` is the process's exit status: the status of every command whose
    marker is missing (the process ended before it did), with ``None`` seconds.
    """
    out: list[tuple[int, str, float | None]] = []
    start = 0
    for m in MARKER_RE.finditer(output):
        out.append((int(m.group(1)), output[start:m.start()], float(m.group(2))))
        start = m.end() + 1
        if len(out) == steps:
            break
    while len(out) < steps:
        out.append((code if code != 0 else 1, output[start:], None))
        start = len(output)
    return out


def _clear_applications() -> None:
    """Forget the application singletons of the command that ended, so the next one starts fresh."""
    from traitlets.config import SingletonConfigurable

    stack = [SingletonConfigurable]
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if getattr(cls, "_instance", None) is not None:
            cls.clear_instance()


def run(step: list[str]) -> int:
    """Run one nbgrader command in this process; its exit status."""
    from nbgrader.apps.nbgraderapp import NbGraderApp

    try:
        NbGraderApp.launch_instance(argv=step)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except Exception:  # noqa: BLE001 - one command's crash is its exit status; the next command still runs
        import traceback

        traceback.print_exc()
        code = 1
    finally:
        _clear_applications()
    return code


#: Optional modules nbgrader's imports would load for nothing: ``rfc3987_syntax`` (jsonschema's checker of the
#: IRI string format) builds a grammar when imported, about 1 s of every start-up, and no schema nbgrader
#: validates against (nbformat's) uses an IRI format. Marked missing, as jsonschema allows.
NOT_NEEDED = ("rfc3987_syntax",)


def main(argv: list[str]) -> int:
    """Run every command of ``argv`` (see :func:`commands`); exit 0 only if each did."""
    for name in NOT_NEEDED:
        sys.modules.setdefault(name, None)  # type: ignore[assignment] - None: "import fails", by Python's rules
    os.dup2(2, 1)  # one ordered stream: nbgrader logs to stderr, and a print must not land out of order
    sys.stdout = sys.stderr
    worst = 0
    for step in commands(argv):
        started = time.perf_counter()
        code = run(step)
        sys.stderr.flush()
        print("\n" + MARKER.format(code=code, seconds=time.perf_counter() - started), file=sys.stderr, flush=True)
        worst = worst or code
    return worst


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
