"""A real PostgreSQL server for the tests: Debian's binaries, a temporary data folder, stopped afterwards.

:func:`start_server` runs ``initdb`` and ``pg_ctl start`` from
``/usr/lib/postgresql/<version>/bin`` in a fresh folder under the system's
temporary directory, listening on a free port of 127.0.0.1 (trust
authentication, nothing else can reach it) and on a Unix socket inside that
folder. PostgreSQL refuses to run as root, so as root the server runs as the
``postgres`` user the Debian package creates (else ``nobody``), which owns
the folder. :meth:`PostgresServer.stop` stops exactly this server (``pg_ctl
stop``, then its postmaster's PID) and deletes the folder.
"""
from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
INSTALL_HINT = "install Debian's postgresql (apt-get install postgresql, or tools/ensure_debian_package.sh)"
#: The role every test database belongs to (initdb's superuser; trust authentication on 127.0.0.1).
ROLE = "grader"


def find_bindir() -> Path | None:
    """``/usr/lib/postgresql/<newest version>/bin`` holding ``initdb`` and ``pg_ctl``, or None."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                   key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0)
    return found[-1].parent if found else None


def ensure_installed() -> Path | None:
    """The server's bin folder, installing Debian's ``postgresql`` first when missing and run as root."""
    if find_bindir() is None:
        subprocess.run(["bash", str(REPO / "tools" / "ensure_debian_package.sh"), "postgresql",
                        "/usr/bin/pg_ctlcluster"], check=False, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=900)
    return find_bindir()


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_user() -> pwd.struct_passwd | None:
    """Whom the server runs as: None (ourselves) unless we are root, then ``postgres`` or ``nobody``."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise RuntimeError("running as root, and there is neither a postgres nor a nobody user to run PostgreSQL as")


@dataclass
class PostgresServer:
    """One running server of the tests'."""

    bindir: Path
    folder: Path
    port: int
    user: pwd.struct_passwd | None

    @property
    def data(self) -> Path:
        return self.folder / "data"

    def url(self, database: str) -> str:
        """The documented URL form, ``postgresql://user@host:port/db``, of ``database`` on this server."""
        return f"postgresql://{ROLE}@127.0.0.1:{self.port}/{database}"

    def run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        """A PostgreSQL program of ``bindir`` run as the server's user; raises with its output when it fails."""
        cmd = [str(self.bindir / args[0]), *args[1:]]
        if self.user is not None:
            cmd = ["setpriv", f"--reuid={self.user.pw_uid}", f"--regid={self.user.pw_gid}", "--clear-groups",
                   "--", *cmd]
        proc = subprocess.run(cmd, cwd=self.folder, capture_output=True, text=True, timeout=timeout,
                              env={"PATH": "/usr/bin:/bin", "LC_ALL": "C", "HOME": str(self.folder)})
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(args[:2])} failed (exit {proc.returncode}): {proc.stdout}{proc.stderr}"
                               f"{self.log_tail()}")
        return proc

    def log_tail(self) -> str:
        log = self.folder / "server.log"
        return "\n" + "\n".join(log.read_text(errors="replace").splitlines()[-15:]) if log.exists() else ""

    def create_database(self, name: str) -> str:
        """A new empty database on this server; returns its URL."""
        self.run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", ROLE, name)
        return self.url(name)

    def postmaster_pid(self) -> int | None:
        try:
            return int((self.data / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def stop(self) -> None:
        """Stop this server (fast shutdown; its postmaster killed if that fails) and delete its folder."""
        pid = self.postmaster_pid()
        try:
            self.run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "30", "stop", timeout=60)
        except (RuntimeError, subprocess.TimeoutExpired):
            if pid is not None:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        shutil.rmtree(self.folder, ignore_errors=True)


def start_server(bindir: Path) -> PostgresServer:
    """initdb a data folder in a new temporary folder and start a server on it (see the module docstring)."""
    folder = Path(tempfile.mkdtemp(prefix="backprop-postgres-"))
    user = server_user()
    if user is not None:
        os.chown(folder, user.pw_uid, user.pw_gid)
    server = PostgresServer(bindir, folder, free_port(), user)
    try:
        server.run("initdb", "-D", str(server.data), "-U", ROLE, "--auth=trust", "-E", "UTF8", "--no-sync",
                   "--no-instructions")
        options = (f"-p {server.port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off")
        server.run("pg_ctl", "-D", str(server.data), "-l", str(folder / "server.log"), "-o", options,
                   "-w", "-t", "60", "start", timeout=90)
    except BaseException:
        server.stop()
        raise
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # pg_ctl -w waited for it; the TCP listener answers too
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", server.port)) == 0:
                return server
        time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"PostgreSQL did not listen on 127.0.0.1:{server.port}{server.log_tail()}")


# --- the small class both tests/test_postgres.py and tests/test_overrides.py grade -------------------------------

LESSON = "01_derivatives"
#: A name nbgrader cannot take as an id: the instructor still says it as it is.
ODD_NAME = "Smith, J [1234]"
#: The files that hold the grades: they must be the same, whatever the database.
GRADE_FILES = ("grades.csv", "grades_by_exercise.csv", "grades_lms.csv")


def write_small_class(out: Path) -> dict[str, float]:
    """Three students of lesson 01 (the reference, one typical mistake under an odd name, a blank notebook).

    Returns each student's expected total.
    """
    import nbformat

    from autograder import demo, mistakes

    points = demo.graded_tasks(LESSON)
    correct = demo.solution_sources(LESSON)
    mistake = mistakes.for_lesson(LESSON)[0]
    students = {"ann": (correct, sum(points.values())),
                ODD_NAME: (correct | {mistake.task: mistake.code}, sum(points.values()) - points[mistake.task]),
                "bob": ({}, 0.0)}
    for name, (replace, _) in students.items():
        path = out / name / LESSON / f"{LESSON}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(demo.submission(LESSON, replace), path)
    return {name: total for name, (_, total) in students.items()}


def grade(submissions: Path, instructor: Path, workers: int):
    """``pipeline.grade`` as a regrade must run: every notebook executed again (``full``, where it exists)."""
    import inspect

    from autograder import pipeline

    extra = {"full": True} if "full" in inspect.signature(pipeline.grade).parameters else {}
    return pipeline.grade(submissions, instructor, cell_timeout=10, workers=workers, progress=False, **extra)


@dataclass
class Graded:
    """A graded class: the run, and the grade files as they were right after it."""

    submissions: Path
    instructor: Path
    expected: dict[str, float]
    run: object
    files: dict[str, str]
    seconds: float


def snapshot(instructor: Path) -> dict[str, str]:
    return {name: (instructor / name).read_text(encoding="utf-8") for name in GRADE_FILES}


_SQLITE: list[Graded] = []


def graded_on_sqlite(tmp_path_factory) -> Graded:
    """The small class graded once per test session on SQLite (``--workers 1``), shared by the modules that need it.

    Its ``files`` are the grade files as graded; a test may change the
    instructor folder afterwards (an override), never ``files``.
    """
    if not _SQLITE:
        root = tmp_path_factory.mktemp("sqlite-class")
        expected = write_small_class(root / "submissions")
        started = time.perf_counter()
        with pytest.MonkeyPatch.context() as env:
            env.delenv("BACKPROP_DB_URL", raising=False)
            run = grade(root / "submissions", root / "instructor", workers=1)
        seconds = time.perf_counter() - started
        _SQLITE.append(Graded(root / "submissions", root / "instructor", expected, run,
                              snapshot(root / "instructor"), seconds))
    return _SQLITE[0]
