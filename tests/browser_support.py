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

import contextlib
import json
import os
import re
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
from typing import Any, Iterator

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
        end_processes(self.process, [server] + tree, grace=5)


def end_processes(process: subprocess.Popen, pids: list[int], grace: float) -> None:
    """SIGTERM, then SIGKILL, to ``pids`` (processes a test started), waiting ``grace`` s each; reap ``process``."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        alive = [p for p in pids if _alive(p)]
        if not alive:
            break
        for pid in alive:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.time() + grace
        while time.time() < deadline and any(_alive(p) for p in alive):
            time.sleep(0.1)
    try:
        process.wait(timeout=5)
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


def write_user_settings(folder: Path) -> Path:
    """JupyterLab user settings of a test server (:data:`USER_SETTINGS`) written into ``folder``."""
    for name, value in USER_SETTINGS.items():
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(value))
    return folder


def launch(command: list[str], root: Path, workdir: Path, env: dict[str, str] | None = None,
           timeout: float = 90) -> LabServer:
    """Run ``command`` (one that starts a JupyterLab server on ``root``), its output logged; wait for its API.

    ``command`` must pass ``--port`` and ``--ServerApp.token`` as given by :func:`server_arguments`, which
    this function reads back from it.
    """
    port = int(next(a for a in command if a.startswith("--port=")).split("=", 1)[1])
    token = next(a for a in command if a.startswith("--ServerApp.token=")).split("=", 1)[1]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log_path = ARTIFACTS / f"jupyterlab-{port}.log"
    bin_dir = Path(sys.executable).parent
    full_env = dict(os.environ, PATH=os.pathsep.join([str(bin_dir), os.environ.get("PATH", "")]),
                    JUPYTER_RUNTIME_DIR=str(workdir / "runtime"), MPLBACKEND="module://matplotlib_inline.backend_inline",
                    PYTHONUNBUFFERED="1", **(env or {}))
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, cwd=workdir, stdout=log, stderr=subprocess.STDOUT, env=full_env,
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


def server_arguments() -> list[str]:
    """``jupyter lab`` arguments of a private test server: no browser, a free port on 127.0.0.1, a random token."""
    return ["--no-browser", f"--port={free_port()}", "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.token={secrets.token_hex(16)}"]


def start_lab(root: Path, workdir: Path, timeout: float = 90) -> LabServer:
    """Start ``jupyter lab`` on ``root`` with cwd ``workdir``; wait until its API answers."""
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "nbgrader_config.py").write_text(NBGRADER_CONFIG)
    settings = write_user_settings(workdir / "user-settings")
    command = [str(Path(sys.executable).parent / "jupyter"), "lab", *server_arguments(),
               f"--ServerApp.root_dir={root}",
               f"--LabApp.user_settings_dir={settings}", f"--LabApp.workspaces_dir={workdir / 'workspaces'}"]
    if os.geteuid() == 0:
        command.append("--allow-root")
    return launch(command, root, workdir, timeout=timeout)


def start_student_lab(workspace: Path, workdir: Path, timeout: float = 120,
                      env: dict[str, str] | None = None) -> LabServer:
    """What ``make lab`` does (``tools/student_lab.sh``), on ``workspace``: seed it, then JupyterLab on it.

    Only the browser's JupyterLab settings (no news toast, kernel started on open) and its workspaces folder
    are the test's own, through the environment variables JupyterLab reads; ``env`` adds to the environment.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    env = {"JUPYTERLAB_SETTINGS_DIR": str(write_user_settings(workdir / "user-settings")),
           "JUPYTERLAB_WORKSPACES_DIR": str(workdir / "workspaces"), **(env or {})}
    command = ["bash", str(REPO / "tools" / "student_lab.sh"), str(workspace), *server_arguments()]
    return launch(command, workspace, workdir, env, timeout)


def start_instructor_lab(instructor: Path, workdir: Path, timeout: float = 120) -> LabServer:
    """What ``make lab-instructor`` does (``tools/instructor_lab.sh``), with ``instructor`` as the instructor folder."""
    workdir.mkdir(parents=True, exist_ok=True)
    env = {"JUPYTERLAB_SETTINGS_DIR": str(write_user_settings(workdir / "user-settings")),
           "JUPYTERLAB_WORKSPACES_DIR": str(workdir / "workspaces"), "BACKPROP_INSTRUCTOR_DIR": str(instructor)}
    command = ["bash", str(REPO / "tools" / "instructor_lab.sh"), *server_arguments()]
    return launch(command, REPO, workdir, env, timeout)


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


def copy_into(root: Path, source: Path, name: str | None = None) -> Path:
    """Copy a notebook into ``root`` (the server's root_dir); returns the copy's path."""
    target = root / (name or source.name)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(source, target)
    return target


def iter_code_cells(nb: nbformat.NotebookNode) -> Iterator[nbformat.NotebookNode]:
    return (c for c in nb.cells if c.cell_type == "code")


@contextlib.contextmanager
def chromium_context(profile: Path) -> Iterator[Any]:
    """Headless Debian chromium with the fresh profile folder ``profile`` (never a browser of Playwright's own)."""
    if IN_CI:
        import playwright.sync_api as sync_api  # a dev dependency: missing under CI is a failure
    else:
        sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (a dev extra)")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(profile), executable_path=require_chromium(), headless=True,
            args=CHROMIUM_ARGS, viewport={"width": 1400, "height": 1000})
        context.set_default_timeout(60_000)
        try:
            yield context
        finally:
            context.close()


#: A short JavaScript hash of the bytes behind an <img>, to tell two pictures apart.
IMAGE_DIGEST_JS = """async (img) => {
    const bytes = new Uint8Array(await (await fetch(img.src)).arrayBuffer());
    let h = 2166136261;
    for (let i = 0; i < bytes.length; i++) { h ^= bytes[i]; h = Math.imul(h, 16777619) >>> 0; }
    return `${bytes.length}:${h.toString(16)}`;
}"""


def open_notebook(browser: Any, lab: LabServer, path: str) -> Any:
    """A new page with ``path`` open in JupyterLab and its kernel started."""
    page = browser.new_page()
    workspace = re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-")
    page.goto(lab.notebook_url(path, workspace), wait_until="commit")
    page.wait_for_selector(".jp-NotebookPanel .jp-Notebook .jp-Cell", timeout=90_000)
    title = Path(path).name
    page.wait_for_selector(f".lm-TabBar-tab.lm-mod-current:has-text('{title}')", timeout=30_000)
    # Run All does nothing while the kernel is still starting: wait for it to be idle
    page.wait_for_selector(".jp-NotebookPanel .jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=90_000)
    return page


def run_all_cells(page: Any, attempts: int = 5) -> None:
    """Run > Run All Cells, through the menu bar as a person would.

    A Run All given while the kernel is still connecting runs nothing (every
    prompt stays ``[ ]``); it is then given again, which is harmless.
    """
    started = """() => [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputPrompt')]
                     .some(p => /\\[(\\*|\\d+)\\]/.test(p.textContent))"""
    for _ in range(attempts):
        accept_kernel_dialog(page)
        page.locator(".jp-NotebookPanel .jp-Notebook").first.click(position={"x": 5, "y": 5})
        page.locator(".lm-MenuBar-item", has_text=re.compile(r"^Run$")).click()
        page.locator(".lm-Menu-item:visible", has_text=re.compile(r"^Run All Cells")).first.click()
        try:
            page.wait_for_function(started, timeout=10_000)
            return
        except Exception:  # noqa: BLE001 - Playwright's TimeoutError: try again
            continue
        finally:
            accept_kernel_dialog(page)
    raise AssertionError(f"Run All Cells ran nothing in {attempts} attempts")


def accept_kernel_dialog(page: Any) -> None:
    """Answer JupyterLab's "Select Kernel" dialog (shown when Run All came before the kernel) with the default."""
    dialog = page.locator(".jp-Dialog:has-text('Select Kernel')")
    for _ in range(5):
        if not (dialog.count() and dialog.first.is_visible()):
            return
        try:
            dialog.first.locator("button", has_text=re.compile(r"^Select$")).click(timeout=5_000)
            dialog.first.wait_for(state="detached", timeout=5_000)
        except Exception:  # noqa: BLE001 - a click during the dialog's animation: the default button takes Enter
            page.keyboard.press("Enter")
    raise AssertionError("JupyterLab's Select Kernel dialog would not close")


def wait_until_executed(page: Any, timeout: float = 120) -> None:
    """Wait until every code cell shows an execution count (none queued ``[*]`` or never run)."""
    page.wait_for_function("""() => {
        const prompts = [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputPrompt')];
        return prompts.length > 0 && prompts.every(p => /\\[\\d+\\]/.test(p.textContent));
    }""", timeout=timeout * 1000)


def image_digest(img: Any, timeout: float = 30) -> str:
    """The digest of a loaded picture (waits until the <img> has a blob and has decoded it)."""
    img.wait_for(state="attached", timeout=timeout * 1000)
    deadline = time.time() + timeout
    while time.time() < deadline:
        if img.evaluate("i => i.complete && i.naturalWidth > 0 && i.src.length > 0"):
            return img.evaluate(IMAGE_DIGEST_JS)
        time.sleep(0.2)
    raise AssertionError("the widget's picture never loaded")


def wait_for_new_picture(img: Any, before: str, timeout: float = 30) -> str:
    deadline = time.time() + timeout
    while time.time() < deadline:
        now = image_digest(img)
        if now != before:
            return now
        time.sleep(0.25)
    raise AssertionError("the picture did not change after the control moved")


def widget_name(widget: Any) -> str:
    classes = widget.get_attribute("class") or ""
    names = [c[len("backprop-"):] for c in classes.split() if c.startswith("backprop-") and c != "backprop-widget"]
    return names[0] if names else "widget"


def check_widgets(page: Any, label: str, expected: int | None) -> int:
    """Every widget on the page draws; a slider key press (and a button) changes its picture."""
    widgets = page.locator(".backprop-widget")
    if expected is not None:
        page.wait_for_function(f"() => document.querySelectorAll('.backprop-widget').length >= {expected}",
                               timeout=60_000)
    count = widgets.count()
    assert count >= 1, "no widget rendered"
    if expected is not None:
        assert count == expected
    page.screenshot(path=str(SCREENSHOTS / f"{label}-rendered.png"), full_page=False)
    for i in range(count):
        widget = widgets.nth(i)
        widget.scroll_into_view_if_needed()
        name = widget_name(widget)
        img = widget.locator("img.backprop-plot").first
        if not img.is_visible():  # a widget that shows a message (an exercise not done) instead of a picture
            assert widget.locator(".backprop-message").inner_text().strip(), f"{name}: neither picture nor message"
            continue
        before = image_digest(img)
        handle = widget.locator(".widget-slider .noUi-handle").first
        handle.focus()
        handle.press("ArrowRight")
        after = wait_for_new_picture(img, before)
        widget.screenshot(path=str(SCREENSHOTS / f"{label}-{i}-{name}.png"))
        step = widget.locator("button.backprop-button:not([disabled])", has_text=re.compile("forward step|next step"))
        if step.count():
            step.first.click()
            wait_for_new_picture(img, after)
    return count
