"""Helpers of the browser tests: Debian's chromium, a private JupyterLab server, and notebook chores.

Nothing here downloads a browser: chromium comes from Debian's package
(``tools/ensure_chromium.sh``), and Playwright only drives it.

The server is started with ``.venv/bin/jupyter lab`` on a free port with a
random token, root_dir a temporary folder, and its working directory a
second temporary folder holding a minimal ``nbgrader_config.py`` (nbgrader's
Validate handler reads its config from the server's working directory).
``jupyter`` may exec ``jupyter-lab`` in its own process or start it as a
child; either way the server is stopped through its own REST API first and
then, if needed, by the PIDs of the processes this helper started and their
descendants (kernels included), never by name.
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import nbformat
import pytest

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
ENSURE_CHROMIUM = REPO / "tools" / "ensure_chromium.sh"
INSTALL_HINT = "install Debian's chromium: `sudo apt-get update && sudo apt-get install -y chromium` (or run tools/ensure_chromium.sh as root)"
ARTIFACTS = REPO / "artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
IN_CI = os.environ.get("CI", "") == "true"


def require_chromium() -> str:
    """The path of Debian's chromium, installed first if missing and possible.

    Skips the test with the install hint when chromium cannot be had, except
    under ``CI=true``, where a missing browser is a failure.
    """
    if not Path(CHROMIUM).exists() and ENSURE_CHROMIUM.exists():
        subprocess.run(["bash", str(ENSURE_CHROMIUM)], check=False, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=600)
    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} is missing: {INSTALL_HINT}"
        if IN_CI:
            pytest.fail(message + " (CI=true: a missing browser is a failure)")
        pytest.skip(message)
    return CHROMIUM


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _children(pid: int) -> list[int]:
    """PIDs whose parent is ``pid`` (from /proc)."""
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # the command name may hold spaces and parentheses: the fields after the last ')' are fixed
        fields = stat[stat.rfind(")") + 2:].split()
        if len(fields) > 1 and int(fields[1]) == pid:
            out.append(int(entry.name))
    return out


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (children first, then their children)."""
    found, queue = [], [pid]
    while queue:
        kids = _children(queue.pop(0))
        found += kids
        queue += kids
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie has exited; it only waits for its parent
        return "Z" not in (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False


def _command_name(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


@dataclass
class LabServer:
    """A JupyterLab server this test run started; ``url(path)`` gives an address with the token."""

    root: Path
    cwd: Path
    port: int
    token: str
    process: subprocess.Popen
    log_path: Path
    pids: list[int] = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str, query: str = "") -> str:
        return f"{self.base}/{path.lstrip('/')}?{query + '&' if query else ''}token={self.token}"

    def notebook_url(self, path: str, workspace: str) -> str:
        """``path`` opened in a fresh JupyterLab workspace of its own (nothing else restored beside it)."""
        return self.url(f"lab/workspaces/{workspace}/tree/{path}", "reset")

    def api(self, path: str, method: str = "GET", body: dict | None = None, timeout: float = 10) -> dict:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{self.base}/api/{path}", data=data, method=method,
                                         headers={"Authorization": f"token {self.token}",
                                                  "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=timeout) as response:
            text = response.read().decode()
        return json.loads(text) if text else {}

    def server_pid(self) -> int:
        """The PID of the ``jupyter-lab`` process: the one started, or its child if ``jupyter`` forked."""
        for pid in [self.process.pid] + descendants(self.process.pid):
            if "jupyter-lab" in _command_name(pid) or "jupyterlab" in _command_name(pid):
                return pid
        return self.process.pid

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def stop(self) -> None:
        """Shut the server down (REST first, then SIGTERM, then SIGKILL), only the processes started here."""
        tree = [self.process.pid] + descendants(self.process.pid)
        self.pids = tree
        try:
            self.api("shutdown", method="POST", timeout=5)
        except (OSError, urllib.error.URLError, ValueError):
            pass
        deadline = time.time() + 10
        while time.time() < deadline and self.process.poll() is None:
            time.sleep(0.2)
        server = self.server_pid() if self.process.poll() is None else self.process.pid
        for sig in (signal.SIGTERM, signal.SIGKILL):
            alive = [p for p in [server] + tree if _alive(p)]
            if not alive:
                break
            for pid in alive:
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    pass
            deadline = time.time() + 5
            while time.time() < deadline and any(_alive(p) for p in alive):
                time.sleep(0.1)
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass


NBGRADER_CONFIG = '''"""Minimal nbgrader config of the browser tests' JupyterLab server (read by the Validate button)."""
c = get_config()  # noqa: F821
c.Execute.timeout = 60
c.Execute.raise_on_iopub_timeout = False
'''

#: JupyterLab user settings of the test server: no news toast over the notebook, and no "Select Kernel"
#: question when a notebook's kernel is asked for before it is connected.
USER_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false",
                                                                        "checkForUpdates": False},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"autoStartDefaultKernel": True},
}


def start_lab(root: Path, workdir: Path, timeout: float = 90) -> LabServer:
    """Start ``jupyter lab`` on ``root`` with cwd ``workdir``; wait until its API answers."""
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "nbgrader_config.py").write_text(NBGRADER_CONFIG)
    settings = workdir / "user-settings"
    for name, value in USER_SETTINGS.items():
        target = settings / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(value))
    port, token = free_port(), secrets.token_hex(16)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log_path = ARTIFACTS / f"jupyterlab-{port}.log"
    bin_dir = Path(sys.executable).parent
    command = [str(bin_dir / "jupyter"), "lab", "--no-browser", f"--port={port}", "--ServerApp.ip=127.0.0.1",
               f"--ServerApp.token={token}", f"--ServerApp.root_dir={root}",
               f"--LabApp.user_settings_dir={settings}", f"--LabApp.workspaces_dir={workdir / 'workspaces'}"]
    if os.geteuid() == 0:
        command.append("--allow-root")
    env = dict(os.environ, PATH=os.pathsep.join([str(bin_dir), os.environ.get("PATH", "")]),
               JUPYTER_RUNTIME_DIR=str(workdir / "runtime"), MPLBACKEND="module://matplotlib_inline.backend_inline",
               PYTHONUNBUFFERED="1")
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, cwd=workdir, stdout=log, stderr=subprocess.STDOUT, env=env,
                                   start_new_session=True)
    server = LabServer(root, workdir, port, token, process, log_path)
    deadline = time.time() + timeout
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"jupyter lab exited with code {process.returncode}:\n{server.log()[-3000:]}")
        try:
            server.api("status", timeout=2)
            return server
        except (OSError, urllib.error.URLError, ValueError):
            time.sleep(0.5)
    server.stop()
    raise RuntimeError(f"jupyter lab did not answer within {timeout:.0f} s:\n{server.log()[-3000:]}")


def notebooks_using_widgets(course: Path = REPO / "course") -> list[Path]:
    """The course notebooks whose source mentions ``backprop_lib.widgets``."""
    found = []
    for path in sorted(course.glob("*/*.ipynb")):
        if ".ipynb_checkpoints" in path.parts:
            continue
        nb = nbformat.read(path, as_version=4)
        if any("backprop_lib.widgets" in cell.source for cell in nb.cells):
            found.append(path)
    return found


def keep_running_past_errors(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Tag every code cell ``raises-exception``, so that Run All goes on past a stub's error."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            tags = cell.metadata.setdefault("tags", [])
            if "raises-exception" not in tags:
                tags.append("raises-exception")
    return nb


def copy_into(root: Path, source: Path, name: str | None = None) -> Path:
    """Copy a notebook into ``root`` (the server's root_dir); returns the copy's path."""
    target = root / (name or source.name)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(source, target)
    return target


def iter_code_cells(nb: nbformat.NotebookNode) -> Iterator[nbformat.NotebookNode]:
    return (c for c in nb.cells if c.cell_type == "code")
