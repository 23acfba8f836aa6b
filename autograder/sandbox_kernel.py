"""Launch a grading kernel confined to a scratch copy of the submission's folder.

Used by the ``backprop-grading`` kernelspec (``autograder/kernels/``), which
``nbgrader_config.py`` makes the kernel of every autograde and validate run::

    python -m autograder.sandbox_kernel -f {connection_file} [ipykernel options]

Outside (stage 1, in the notebook's folder, as the grader's user):

* the address space of the kernel is capped (``BACKPROP_KERNEL_MEMORY_GB``,
  default 8), so a runaway allocation raises ``MemoryError``;
* when running as root (and ``BACKPROP_SANDBOX`` is not ``0``), the folder is
  copied to a fresh scratch directory (same last three path parts, so the
  hidden tests still know the student), and stage 2 runs in new mount and PID
  namespaces (``unshare``). Otherwise the kernel starts unconfined; there is
  no way to confine it without privileges, and the docs say so.

Inside (stage 2, root with capabilities, in the new namespaces):

* a new root file system is built (:func:`build_root`): an empty tmpfs into
  which only the system (``/usr``, ``/etc``), the interpreter and its
  site-packages, the course's ``backprop_lib`` and ``autograder`` packages
  and the scratch directory are bind-mounted, each at its own path, all
  read-only but the scratch directory. The repository (its ``solutions/``
  and ``.git``), the instructor folder (the gradebook, other students'
  submissions) and everything else on the machine do not exist in there;
* the kernel changes root into it and all capabilities are dropped
  (``setpriv``), so the student's code cannot leave the new root, remount
  anything, raise its memory limit, or see or signal processes outside its
  PID namespace (the grader, other kernels);
* ipykernel starts in the scratch copy of the folder.

The kernelspec uses ``interrupt_mode: message``: nbgrader interrupts a
looping cell through the kernel's control channel, which works across the
PID namespace.
"""
from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

def memory_limit() -> int:
    """Bytes of address space a grading kernel may use."""
    return int(float(os.environ.get("BACKPROP_KERNEL_MEMORY_GB", "8")) * 2**30)


def cap_memory() -> None:
    """Cap the address space of this process and its children (soft = hard)."""
    limit = memory_limit()
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def kernel_argv(connection_file: str, rest: list[str]) -> list[str]:
    """The plain ipykernel command line."""
    return [sys.executable, "-m", "ipykernel_launcher", "-f", connection_file, *rest]


def sandbox_wanted() -> bool:
    """Confine the kernel: only possible as root, and not switched off."""
    return os.geteuid() == 0 and os.environ.get("BACKPROP_SANDBOX", "1") != "0" and shutil.which("unshare") is not None


def scratch_copy(cwd: Path, connection_file: str) -> tuple[Path, Path, Path]:
    """Copy the notebook's folder and the connection file into a new scratch directory.

    Returns ``(scratch, workdir, connection copy)``; ``workdir`` ends with the
    same three path parts as ``cwd`` (``autograded/<student>/<lesson>``).
    """
    base = os.environ.get("BACKPROP_SANDBOX_ROOT") or tempfile.gettempdir()
    Path(base).mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="backprop-kernel-", dir=base))
    tail = cwd.parts[1:][-3:]  # never the root "/" (joined, it would point outside the scratch directory)
    workdir = scratch.joinpath(*tail) if tail else scratch / "work"
    shutil.copytree(cwd, workdir, symlinks=True)
    conn = scratch / "connection.json"
    shutil.copy(connection_file, conn)
    return scratch, workdir, conn


def stage_outside(connection_file: str, rest: list[str]) -> None:
    """Stage 1: cap memory and BLAS threads, then exec ipykernel directly or stage 2 in new namespaces."""
    cap_memory()
    # grading runs one kernel per worker: BLAS threads on top would only fight for the cores
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    if not sandbox_wanted():
        os.execv(sys.executable, kernel_argv(connection_file, rest))
    scratch, workdir, conn = scratch_copy(Path.cwd(), connection_file)
    argv = ["unshare", "--mount", "--pid", "--fork", "--kill-child", "--mount-proc", "--propagation", "private",
            "--", sys.executable, "-m", "autograder.sandbox_kernel", "--inside", str(scratch), str(workdir),
            "-f", str(conn), *rest]
    os.execvp("unshare", argv)


def visible_paths() -> list[str]:
    """What a confined kernel may see (read-only): the system, the interpreter, the course's two packages.

    Not the repository (its ``solutions/`` and ``.git`` hold the reference
    solutions), not the instructor folder (the gradebook, other students'
    submissions), not the submissions' source: only what importing Python,
    NumPy, matplotlib, ``backprop_lib`` and ``autograder.remote`` needs.
    """
    repo = Path(__file__).resolve().parent.parent
    paths = ["/usr", "/etc", sys.base_prefix, sys.prefix, str(repo / "backprop_lib"),
             str(repo / "autograder")]
    for p in map(Path, sys.path):
        # the interpreter's own folders (site-packages of the venv, the stdlib); the repository root is not one
        if p.is_dir() and p.resolve() != repo:
            paths.append(str(p.resolve()))
    out: list[str] = []
    for p in sorted({os.path.realpath(p) for p in paths if os.path.exists(p)}, key=len):
        if not any(p == q or p.startswith(q.rstrip("/") + "/") for q in out):
            out.append(p)
    return out


def mount(*args: str) -> None:
    subprocess.run(["mount", *args], check=True)


def build_root(scratch: str) -> str:
    """A new root file system for the kernel: an empty tmpfs with only :func:`visible_paths` and ``scratch``.

    Every path keeps its absolute name, so the interpreter, the packages and
    the scratch folder are where they were; everything is read-only except
    ``scratch`` and a small private ``/dev/shm``; ``/tmp`` is empty and
    read-only (``TMPDIR`` points into ``scratch``).
    """
    root = scratch.rstrip("/") + "-root"
    os.makedirs(root, exist_ok=True)
    mount("-t", "tmpfs", "-o", "mode=755,size=16m", "tmpfs", root)
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):  # merged-/usr links (Debian)
        if os.path.islink(f"/{name}"):
            os.symlink(os.readlink(f"/{name}"), f"{root}/{name}")
    read_only = [p for p in visible_paths() if not os.path.islink(p)]
    for path in read_only + ["/dev", "/sys", "/proc"]:
        target = root + path
        os.makedirs(target, exist_ok=True)
        mount("--rbind" if path in ("/dev", "/sys") else "--bind", path, target)
    for path in read_only + ["/dev", "/sys"]:
        mount("-o", "remount,bind,ro", root + path)
    mount("-t", "tmpfs", "-o", "size=64m", "tmpfs", root + "/dev/shm")  # private: not the host's
    os.makedirs(root + "/tmp", exist_ok=True)
    os.makedirs(root + scratch, exist_ok=True)
    mount("--bind", scratch, root + scratch)
    mount("-o", "remount,ro", root)
    return root


def stage_inside(scratch: str, workdir: str, connection_file: str, rest: list[str]) -> None:
    """Stage 2: change root to :func:`build_root`, drop capabilities, exec ipykernel."""
    root = build_root(scratch)
    home = Path(scratch) / "home"
    (home / "tmp").mkdir(parents=True, exist_ok=True)
    os.environ.update(HOME=str(home), IPYTHONDIR=str(home / ".ipython"), MPLCONFIGDIR=str(home / ".matplotlib"),
                      JUPYTER_RUNTIME_DIR=str(home / ".runtime"), TMPDIR=str(home / "tmp"))
    os.chroot(root)
    os.chdir(workdir)
    argv = ["setpriv", "--inh-caps=-all", "--ambient-caps=-all", "--bounding-set=-all", "--no-new-privs",
            "--", *kernel_argv(connection_file, rest)]
    os.execvp("setpriv", argv)


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["--inside"]:
        scratch, workdir, flag, conn, *rest = args[1:]
        assert flag == "-f", "usage: --inside SCRATCH WORKDIR -f CONNECTION [ipykernel options]"
        stage_inside(scratch, workdir, conn, rest)
    else:
        flag, conn, *rest = args
        assert flag == "-f", "usage: -f CONNECTION [ipykernel options]"
        stage_outside(conn, rest)


if __name__ == "__main__":
    main()
