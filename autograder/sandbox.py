"""The grading sandbox: bubblewrap, run as an unprivileged uid, around every grading kernel.

A submission is a stranger's code. Each grading kernel runs inside
`bubblewrap <https://github.com/containers/bubblewrap>`_ (``bwrap``, what
Flatpak uses), started as an unprivileged host uid, never root:

* new user, PID, IPC, UTS, cgroup and **network** namespaces: no host port,
  no other kernel's sockets, only a loopback of its own. The kernel talks to
  the grader over Unix sockets in a folder that only its own sandbox sees
  (the executor picks ZeroMQ's ``ipc`` transport, see
  :mod:`autograder.preprocessors.resilient_execute`);
* a fresh root: only the system (``/usr``, ``/etc``), the interpreter with its
  site-packages and the course's ``backprop_lib`` and ``autograder`` packages,
  all read-only; ``/proc`` of its own PID namespace (an unprivileged user
  namespace is denied every ``/proc/sys`` write), a minimal ``/dev``, no
  ``/sys``;
* the only writable places are three small size-limited tmpfs (``/tmp``,
  ``/dev/shm`` and the home folder the kernel runs in) that vanish with it:
  nothing of it is left on the host's disk, and the root is read-only;
* a clean environment (nothing of the grader's: no database URL, no secret),
  for the kernel and for ``bwrap`` itself, which stays in the sandbox as its
  process 1;
* resource limits (:class:`Limits`): address space, file size, processes,
  CPU time, no core files; the executor adds a wall-clock budget per notebook.

The uid is unprivileged, so even what is bound in read-only is guarded by
the host's file permissions too (``/etc/shadow``, root's home, the course
secret: unreadable).

Started as root, the launcher first stages the folders it must show (the
interpreter may live under ``/root``, which the unprivileged uid cannot
enter) with bind mounts in a private mount namespace, then drops to the
sandbox uid with ``setpriv`` and runs ``bwrap`` there. Started as another
user (an instructor's laptop with bubblewrap), it runs ``bwrap`` directly as
that user. Without bubblewrap, grading refuses to run (see
:func:`availability`), unless the instructor passes ``--unsafe-no-sandbox``.
"""
from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
INSTALL_HINT = "install bubblewrap: `sudo apt-get install -y bubblewrap` (Debian/Ubuntu) or `sudo dnf install bubblewrap`"
#: First uid of the range the sandboxes run as (root only; a uid of its own per kernel keeps process limits apart).
UID_BASE = 1_200_000
UID_SPAN = 100_000
#: The folder a grading kernel runs in, inside its sandbox (a tmpfs).
HOME = "/home/student"
#: The whole environment of the processes that set a sandbox up (bwrap stays in it as its process 1).
LAUNCH_ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}


@dataclass(frozen=True)
class Limits:
    """Resource limits of one grading kernel (environment variables override each)."""

    memory_bytes: int  #: address space (BACKPROP_KERNEL_MEMORY_GB, default 4)
    file_bytes: int  #: largest file it may write (BACKPROP_KERNEL_FILE_MB, default 64)
    processes: int  #: processes and threads of its uid (BACKPROP_KERNEL_PROCESSES, default 64)
    cpu_seconds: int  #: CPU time of each process (BACKPROP_KERNEL_CPU_SECONDS, default 900)
    tmpfs_bytes: int  #: size of each of its writable folders, /tmp, home, /dev/shm (BACKPROP_KERNEL_DISK_MB, 128)

    @classmethod
    def from_env(cls) -> Limits:
        env = os.environ.get
        return cls(memory_bytes=int(float(env("BACKPROP_KERNEL_MEMORY_GB", "4")) * 2**30),
                   file_bytes=int(float(env("BACKPROP_KERNEL_FILE_MB", "64")) * 2**20),
                   processes=int(env("BACKPROP_KERNEL_PROCESSES", "64")),
                   cpu_seconds=int(env("BACKPROP_KERNEL_CPU_SECONDS", "900")),
                   tmpfs_bytes=int(float(env("BACKPROP_KERNEL_DISK_MB", "128")) * 2**20))


def unsafe_allowed() -> bool:
    """Whether the instructor explicitly chose to grade without the sandbox (``BACKPROP_SANDBOX=0``)."""
    return os.environ.get("BACKPROP_SANDBOX", "1") == "0"


@functools.lru_cache(maxsize=1)
def availability() -> tuple[bool, str]:
    """``(True, "")`` when a sandboxed process can start here, else ``(False, why and what to install)``.

    Runs ``bwrap`` once, as the sandbox uid would, around ``true``.
    """
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return False, f"bubblewrap (bwrap) is not installed: {INSTALL_HINT}"
    if os.geteuid() == 0 and shutil.which("setpriv") is None:
        return False, "setpriv (util-linux) is needed to drop root before starting bubblewrap"
    probe = [*drop_root(UID_BASE), bwrap, "--unshare-all", "--die-with-parent", "--ro-bind", "/usr", "/usr",
             *merged_usr_links(), "--", "true"]
    proc = subprocess.run(probe, capture_output=True, text=True)
    if proc.returncode != 0:
        return False, ("bubblewrap cannot start a sandbox as an unprivileged user here "
                       f"({proc.stderr.strip()[:200]}); unprivileged user namespaces must be enabled")
    return True, ""


def drop_root(uid: int) -> list[str]:
    """The ``setpriv`` prefix that runs a command as ``uid`` with no groups and no way back (root only)."""
    if os.geteuid() != 0:
        return []
    return ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--inh-caps=-all",
            "--bounding-set=-all", "--no-new-privs", "--"]


def sandbox_uid() -> int:
    """The uid a new sandbox runs as: one per launcher process (root), or the caller's own."""
    return UID_BASE + os.getpid() % UID_SPAN if os.geteuid() == 0 else os.geteuid()


def merged_usr_links() -> list[str]:
    """``--symlink`` arguments recreating ``/bin``, ``/lib``, ... where they link into ``/usr`` (merged /usr)."""
    out = []
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        if os.path.islink(f"/{name}"):
            out += ["--symlink", os.readlink(f"/{name}"), f"/{name}"]
    return out


def visible_paths() -> list[str]:
    """What a sandboxed kernel sees (read-only): the system, the interpreter, the course's two packages.

    Not the repository (its ``solutions/`` and ``.git`` hold the reference
    solutions), not the instructor folder (the gradebook, other students'
    submissions), not the course secret: only what importing Python, NumPy,
    matplotlib, ``backprop_lib`` and ``autograder.remote`` needs. Nested
    paths are dropped (their parent is shown).
    """
    paths = ["/usr", "/etc", sys.base_prefix, sys.prefix, str(REPO / "backprop_lib"), str(REPO / "autograder")]
    for p in map(Path, filter(None, sys.path)):
        # the interpreter's own folders (site-packages, the stdlib); never the current folder or the repository
        if p.is_dir() and ("site-packages" in p.parts or "dist-packages" in p.parts or p.resolve().is_relative_to(
                Path(sys.base_prefix).resolve())) and p.resolve() not in (REPO, Path.cwd().resolve()):
            paths.append(str(p.resolve()))
    out: list[str] = []
    for p in sorted({os.path.realpath(p) for p in paths if os.path.exists(p)}, key=len):
        if not any(p == q or p.startswith(q.rstrip("/") + "/") for q in out):
            out.append(p)
    return [p for p in out if not os.path.islink(p)]


#: A grading kernel's BLAS threads: one (one kernel per worker: BLAS threads on top would only fight for the cores).
BLAS_THREADS = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def environment() -> dict[str, str]:
    """The whole environment of a sandboxed kernel: nothing is inherited from the grader."""
    bin_dir = str(Path(sys.executable).parent)
    return {
        "PATH": f"{bin_dir}:/usr/local/bin:/usr/bin:/bin", "HOME": HOME, "TMPDIR": "/tmp", "LANG": "C.UTF-8",
        "MPLBACKEND": "Agg", "MPLCONFIGDIR": f"{HOME}/.matplotlib", "IPYTHONDIR": f"{HOME}/.ipython",
        "JUPYTER_RUNTIME_DIR": f"{HOME}/.runtime", "PYTHONDONTWRITEBYTECODE": "1",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1", "PYTHONWARNINGS": "ignore", **BLAS_THREADS,
    }


def bwrap_argv(sources: dict[str, str], ipc_dir: str, workdir: str, limits: Limits, command: list[str]) -> list[str]:
    """The ``bwrap`` command line around ``command``.

    ``sources`` maps each path of :func:`visible_paths` to the folder it is
    bound from (itself, or its staged copy when started as root); ``ipc_dir``
    (the kernel's sockets and connection file) is the one host folder bound
    writable; ``workdir`` is where the kernel starts, under :data:`HOME`.
    """
    argv = ["bwrap", "--unshare-all", "--die-with-parent", "--new-session", "--hostname", "grading",
            "--cap-drop", "ALL", "--clearenv"]
    for name, value in environment().items():
        argv += ["--setenv", name, value]
    # the writable tmpfs first, the read-only folders on top: a course cloned under /tmp stays visible
    argv += ["--proc", "/proc", "--dev", "/dev",
             "--size", str(limits.tmpfs_bytes), "--tmpfs", "/dev/shm",
             "--size", str(limits.tmpfs_bytes), "--tmpfs", "/tmp",
             "--size", str(limits.tmpfs_bytes), "--tmpfs", HOME]
    for path, source in sources.items():
        argv += ["--ro-bind", source, path]
    argv += merged_usr_links()
    argv += ["--dir", workdir, "--bind", ipc_dir, ipc_dir,
             # the root itself (where /work, /root, /home were made to hold the binds) is read-only
             "--remount-ro", "/", "--chdir", workdir, "--", *command]
    return argv
