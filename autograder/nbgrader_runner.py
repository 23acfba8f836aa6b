"""Run nbgrader commands against one instructor folder, from the repository root, logging every one.

Every step runs nbgrader from the repository root, so ``nbgrader_config.py``
applies; each command's output is appended to ``instructor/logs/nbgrader.log``.

An nbgrader command never outlives the process that started it: it asks the
kernel to kill it when its parent dies (``PR_SET_PDEATHSIG``, so a dask
worker killed mid-task leaves no orphan writing into its workspace), and it
runs in a process group of its own, killed if the caller is interrupted.
Its kernels follow it: the kernel launcher dies with nbgrader
(:func:`autograder.sandbox_kernel.die_with_parent`) and the sandbox with the
launcher.
"""
from __future__ import annotations

import ctypes
import functools
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import nbgrader_steps
from .layout import DEFAULT_INSTRUCTOR, REPO, SOLUTIONS
from .records import NbgraderError
from .secret import secret_path

#: prctl option: the signal a process gets when its parent dies.
PR_SET_PDEATHSIG = 1
try:  # loaded now: the child may not import anything between fork and exec (another thread may hold a lock)
    _LIBC = ctypes.CDLL(None, use_errno=True)
except OSError:  # pragma: no cover - not Linux
    _LIBC = None


def die_with(parent: int) -> None:
    """In a child between fork and exec: be killed (SIGKILL) when ``parent`` dies; exit at once if it already has.

    Linux sends the signal when the *thread* that forked the child ends; the
    thread that runs a command waits for it, so it ends only with its process.
    """
    if _LIBC is not None:
        _LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # it died before the request took effect
        os._exit(1)


def kill_group(pgid: int) -> None:
    """SIGKILL every process left in the process group ``pgid`` (none left: nothing to do)."""
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def run_bound(argv: list[str], **kwargs) -> tuple[int, str]:
    """Run ``argv`` to its end, bound to this process: ``(exit status, stdout + stderr)``.

    The child dies with this process (:func:`die_with`) and leads a process
    group of its own, killed at once if the caller is interrupted
    (KeyboardInterrupt, a cancelled task), before the child is reaped (so its
    id cannot have been reused). A negative status is the signal that ended it.
    """
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, errors="replace",
                            start_new_session=True, preexec_fn=functools.partial(die_with, os.getpid()), **kwargs)
    try:
        out, err = proc.communicate()
    except BaseException:
        if proc.returncode is None:  # not reaped yet: its id is still its own
            kill_group(proc.pid)
        proc.wait()
        raise
    return proc.returncode, out + err


@dataclass
class Nbgrader:
    """Runs nbgrader commands against one instructor folder, logging to ``instructor/logs``."""

    instructor: Path = DEFAULT_INSTRUCTOR
    cell_timeout: int | None = None
    #: extra environment for nbgrader_config.py (BACKPROP_DB_URL, BACKPROP_SUBMITTED_DIR, ...)
    extra_env: dict[str, str] = field(default_factory=dict)

    def env(self) -> dict[str, str]:
        """The environment of every nbgrader command: this interpreter first on PATH, the folder, the secret."""
        # nbgrader runs `alembic` and kernels by PATH: put this interpreter's bin/ first
        path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
        env = dict(os.environ, PATH=path, BACKPROP_INSTRUCTOR_DIR=str(self.instructor),
                   BACKPROP_SECRET_FILE=str(secret_path()), PYTHONWARNINGS="ignore",
                   PYDEVD_DISABLE_FILE_VALIDATION="1")
        if self.cell_timeout is not None:
            env["BACKPROP_CELL_TIMEOUT"] = str(self.cell_timeout)
        env.update(self.extra_env)
        return env

    def attempt(self, *args: str) -> tuple[int, str]:
        """Run ``nbgrader ARGS`` from the repo root; return its exit status and log (never raises)."""
        return self.attempt_steps([list(args)])[0]

    def attempt_steps(self, steps: list[list[str]]) -> list[tuple[int, str]]:
        """Run the nbgrader commands ``steps`` in order, in one process; one ``(exit status, log)`` each.

        Each is what ``nbgrader STEP...`` does, but they pay nbgrader's
        start-up once (:mod:`autograder.nbgrader_steps`, which also spares
        it an import nbgrader never uses: about 1 s of every start-up). Never
        raises; a step the process did not finish (it was killed, say) gets
        the process's exit status. Each step is logged as a command of its own.
        """
        started = time.perf_counter()
        self.instructor.mkdir(parents=True, exist_ok=True)
        try:
            code, out = run_bound([sys.executable, "-m", "autograder.nbgrader_steps", *nbgrader_steps.join(steps)],
                                  cwd=REPO, env=self.env())
        except OSError as exc:
            code, out = 127, f"nbgrader could not start: {exc}"
        parts = nbgrader_steps.split(out, len(steps), code)
        # the process's start-up is the first step's, or the time of the step it died in
        seconds = [secs or 0.0 for _, _, secs in parts]
        seconds[next((i for i, (_, _, secs) in enumerate(parts) if secs is None), 0)] += \
            time.perf_counter() - started - sum(seconds)
        (self.instructor / "logs").mkdir(exist_ok=True)
        with open(self.instructor / "logs" / "nbgrader.log", "a", errors="replace") as fh:
            for step, (_, log, _), secs in zip(steps, parts, seconds):
                fh.write(f"$ nbgrader {' '.join(step)}\n{log}\n# took {secs:.2f} s\n")
        return [(c, log) for c, log, _ in parts]

    def run(self, *args: str, check: bool = True) -> str:
        """Run ``nbgrader ARGS`` from the repo root; return its log.

        With ``check`` (the default) a failure raises :class:`NbgraderError`.
        """
        code, log = self.attempt(*args)
        if code != 0 and check:
            tail = "\n".join(log.splitlines()[-25:])
            raise NbgraderError(f"nbgrader {' '.join(args)} failed (exit {code}):\n{tail}", log)
        return log

    def autograded(self) -> set[tuple[str, str]]:
        """``(student id, lesson)`` of every notebook autograded in this folder."""
        return {(p.parent.parent.name, p.parent.name) for p in (self.instructor / "autograded").glob("*/*/*.ipynb")}

    def generate(self, lessons: list[str], release_dir: Path | None = None) -> None:
        """Generate the student version of ``lessons`` (into ``course/`` unless ``release_dir``).

        One nbgrader command for all of them (each command costs seconds to
        start): it globs a folder of links to just these lessons' sources.
        """
        links = self.instructor / "generate-sources"
        shutil.rmtree(links, ignore_errors=True)
        links.mkdir(parents=True)
        for lesson in lessons:
            (links / lesson).symlink_to(SOLUTIONS / lesson)
        args = ["generate_assignment", "*", "--force", f"--CourseDirectory.source_directory={links}"]
        if release_dir is not None:
            args.append(f"--CourseDirectory.release_directory={release_dir}")
        try:
            self.run(*args)
        except NbgraderError as exc:
            if "Cannot add or remove cells" in exc.log:
                changed = re.findall(r"Updating/creating assignment '([^']+)'", exc.log)
                which = changed[-1] if changed else "a lesson"
                raise NbgraderError(
                    f"{which} changed since its submissions in {self.instructor} were graded, and nbgrader "
                    "will not regrade old grades against new cells: grade into a new instructor folder "
                    "(--instructor DIR), or delete the old one (make clean-instructor)") from None
            raise
        finally:
            shutil.rmtree(links, ignore_errors=True)
