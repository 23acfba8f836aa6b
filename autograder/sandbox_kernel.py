"""Launch a grading kernel inside the sandbox (:mod:`autograder.sandbox`).

Used by the ``backprop-grading`` kernelspec (``autograder/kernels/``), which
``nbgrader_config.py`` makes the kernel of every autograde and validate run::

    python -m autograder.sandbox_kernel -f {connection_file} [ipykernel options]

The connection file decides:

* ``"transport": "ipc"`` (grading: the executor asks for it): the kernel runs
  in bubblewrap as an unprivileged uid, its sockets in the connection file's
  folder. Without bubblewrap the launcher refuses to start it (exit 3, the
  reason on stderr).
* ``"transport": "tcp"`` (nbgrader's Validate on a student's own notebook, or
  grading with ``BACKPROP_SANDBOX=0``, which the instructor must ask for):
  a plain kernel with its memory capped. The grading executor never asks
  for TCP otherwise.

As root, the launcher stays alive as the kernel's parent: it gives the
socket folder to the sandbox uid, waits until the kernel has made its
sockets, then takes the folder back (the kernel can make no more files
there), and waits. Killing the launcher kills the sandbox (``--die-with-parent``).
"""
from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from . import sandbox

#: Exit status of a launcher that refuses to start an unconfined grading kernel.
REFUSED = 3
#: prctl option: the signal this process gets when its parent dies.
PR_SET_PDEATHSIG = 1


def kernel_argv(connection_file: str, rest: list[str]) -> list[str]:
    """The plain ipykernel command line."""
    return [sys.executable, "-m", "ipykernel_launcher", "-f", connection_file, *rest]


def set_limits(limits: sandbox.Limits, uid_of_its_own: bool) -> None:
    """Apply ``limits`` to this process (inherited by the kernel): soft = hard, so the kernel cannot raise them."""
    for what, value in ((resource.RLIMIT_AS, limits.memory_bytes), (resource.RLIMIT_FSIZE, limits.file_bytes),
                        (resource.RLIMIT_CPU, limits.cpu_seconds), (resource.RLIMIT_CORE, 0)):
        resource.setrlimit(what, (value, value))
    if uid_of_its_own:  # counted per uid: only meaningful when the kernel has a uid of its own
        resource.setrlimit(resource.RLIMIT_NPROC, (limits.processes, limits.processes))


def stage(paths: list[str], stage_dir: Path) -> dict[str, str]:
    """Bind each of ``paths`` read-only under ``stage_dir`` (root, in this private mount namespace).

    The sandbox uid may not be able to reach a path on the host (an
    interpreter under ``/root``); it can reach the staged copy. Returns
    ``{path: staged folder}``.
    """
    out = {}
    for i, path in enumerate(paths):
        target = stage_dir / str(i)
        target.mkdir(parents=True, exist_ok=True)
        subprocess.run(["mount", "--bind", path, str(target)], check=True)
        subprocess.run(["mount", "-o", "remount,bind,ro", str(target)], check=True)
        out[path] = str(target)
    return out


def socket_paths(connection: dict) -> list[str]:
    """The Unix socket files the kernel makes for an ``ipc`` connection."""
    return [f"{connection['ip']}-{connection[k]}" for k in
            ("shell_port", "iopub_port", "stdin_port", "control_port", "hb_port")]


def run_sandboxed(connection_file: str, connection: dict, rest: list[str]) -> int:
    """Start the kernel in bubblewrap (see the module docstring); return its exit status."""
    if shutil.which("bwrap") is None:  # the grader probed the sandbox before it started (pipeline.require_sandbox)
        print(f"grading kernel refused: bubblewrap is missing: {sandbox.INSTALL_HINT}", file=sys.stderr)
        return REFUSED
    ipc_dir = Path(connection["ip"]).parent
    if Path(connection_file).resolve().parent != ipc_dir.resolve():
        print("grading kernel refused: the connection file must sit beside its sockets", file=sys.stderr)
        return REFUSED
    root = os.geteuid() == 0
    uid = sandbox.sandbox_uid()
    limits = sandbox.Limits.from_env()
    workdir = f"{sandbox.HOME}/{os.environ.get('BACKPROP_LESSON', 'lesson')}"
    inner = kernel_argv(connection_file, rest)
    paths = sandbox.visible_paths()
    for stale in socket_paths(connection):  # a restart leaves the last kernel's sockets behind
        with contextlib.suppress(FileNotFoundError):
            os.unlink(stale)
    if root:
        for path in (ipc_dir, Path(connection_file)):
            os.chown(path, uid, uid)
        # stage the visible folders in a private mount namespace, then drop to the sandbox uid and start bwrap
        stage_dir = ipc_dir.parent / "stage"
        command = ["unshare", "--mount", "--propagation", "private", "--",
                   sys.executable, "-m", "autograder.sandbox_kernel", "--stage", str(stage_dir), str(uid),
                   json.dumps({"paths": paths, "ipc": str(ipc_dir), "workdir": workdir, "command": inner,
                               "limits": dataclasses.asdict(limits)})]
    else:
        command = sandbox.bwrap_argv({p: p for p in paths}, str(ipc_dir), workdir, limits, inner)
    # bwrap stays in the sandbox as its process 1, whose /proc/1/environ the kernel can read: it gets nothing
    # of the grader's environment either
    child = subprocess.Popen(command, preexec_fn=lambda: set_limits(limits, root), env=sandbox.LAUNCH_ENV)
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda signum, _frame: child.send_signal(signum))
    if root:
        seal_when_ready(child, ipc_dir, socket_paths(connection))
    return child.wait()


def seal_when_ready(child: subprocess.Popen, ipc_dir: Path, sockets: list[str], wait: float = 120.0) -> None:
    """Once the kernel has made its sockets, take its folder back, so it can create nothing more there."""
    deadline = time.monotonic() + wait
    while child.poll() is None and time.monotonic() < deadline:
        if all(os.path.exists(s) for s in sockets):
            break
        time.sleep(0.02)
    os.chown(ipc_dir, 0, 0)
    os.chmod(ipc_dir, 0o755)


def run_staged(stage_dir: str, uid: int, spec_json: str) -> None:
    """Inside the private mount namespace (root): stage the folders, drop to ``uid``, exec bwrap."""
    spec = json.loads(spec_json)
    sources = stage(spec["paths"], Path(stage_dir))
    argv = sandbox.drop_root(uid) + sandbox.bwrap_argv(sources, spec["ipc"], spec["workdir"],
                                                       sandbox.Limits(**spec["limits"]), spec["command"])
    os.execvp(argv[0], argv)


def run_plain(connection_file: str, rest: list[str]) -> int:
    """A kernel outside the sandbox (Validate, or grading the instructor chose to leave unconfined)."""
    limit = sandbox.Limits.from_env().memory_bytes
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    for var, threads in sandbox.BLAS_THREADS.items():  # as the sandboxed kernel has them
        os.environ.setdefault(var, threads)
    os.execv(sys.executable, kernel_argv(connection_file, rest))
    return 0  # not reached


def die_with_parent() -> None:
    """Be killed when the process that started this launcher dies (a grader or worker that was killed).

    The kernel manager starts kernels in a session of their own, so killing
    the grader's process group does not reach them; this does, and the
    sandbox follows the launcher (``--die-with-parent``).
    """
    import ctypes

    parent = os.getppid()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # it died before the request took effect
        os._exit(1)


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] != ["--stage"]:
        die_with_parent()
    if args[:1] == ["--stage"]:
        run_staged(args[1], int(args[2]), args[3])
        return 0  # not reached
    flag, conn, *rest = args
    if flag != "-f":
        print("usage: python -m autograder.sandbox_kernel -f CONNECTION_FILE [ipykernel options]", file=sys.stderr)
        return 2
    connection = json.loads(Path(conn).read_text())
    if connection.get("transport") == "ipc":
        return run_sandboxed(conn, connection, rest)
    return run_plain(conn, rest)


if __name__ == "__main__":
    sys.exit(main())
