"""Is a grading kernel really confined? A real kernel, started in bubblewrap the way grading starts it."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest
from conftest import REPO, require_sandbox
from jupyter_client.manager import KernelManager

from autograder import sandbox

pytestmark = pytest.mark.slow
CANARY = "postgresql://grader:canary-7f3a@db/course"


def kernel_folder() -> tuple[Path, Path]:
    """A folder for one kernel's sockets, as ResilientExecute makes it: ``(root, root/ipc)``."""
    root = Path(tempfile.mkdtemp(prefix="bpk-"))
    root.chmod(0o711)
    (root / "ipc").mkdir(mode=0o700)
    return root, root / "ipc"


def start_confined_kernel(ipc: Path) -> KernelManager:
    km = KernelManager(kernel_name="backprop-grading", transport="ipc", connection_file=str(ipc / "kernel.json"),
                       ip=str(ipc / "k"))
    km.start_kernel()
    return km


@pytest.fixture(scope="module")
def confined():
    """``run(code) -> stdout`` in a confined kernel, and its socket folder."""
    require_sandbox()
    os.environ["JUPYTER_PATH"] = os.pathsep.join([str(REPO / "autograder"), os.environ.get("JUPYTER_PATH", "")])
    os.environ["BACKPROP_DB_URL"] = CANARY  # what a grader's environment may hold
    root, ipc = kernel_folder()
    km = start_confined_kernel(ipc)
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=120)

    def run(code: str) -> str:
        out: list[str] = []

        def hook(msg):
            if msg["msg_type"] == "stream":
                out.append(msg["content"]["text"])
            elif msg["msg_type"] == "error":
                out.append(f"{msg['content']['ename']}: {msg['content']['evalue']}")
        kc.execute_interactive(code, output_hook=hook, timeout=60)
        return "".join(out)

    yield run, ipc
    kc.stop_channels()
    km.shutdown_kernel(now=True)
    del os.environ["BACKPROP_DB_URL"]
    shutil.rmtree(root, ignore_errors=True)


def test_the_kernel_runs_as_an_unprivileged_user_of_its_own(confined):
    run, _ = confined
    uid = int(run("import os; print(os.getuid())"))
    assert uid != 0
    if os.geteuid() == 0:
        assert uid >= sandbox.UID_BASE


def test_it_has_only_a_loopback_of_its_own(confined):
    run, _ = confined
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        out = run(textwrap.dedent(f"""
            import socket
            print(socket.if_nameindex())
            try:
                socket.create_connection(("127.0.0.1", {port}), timeout=2)
                print("CONNECTED")
            except OSError as e:
                print("refused", type(e).__name__)
        """))
    assert "[(1, 'lo')]" in out and "CONNECTED" not in out and "refused" in out


def test_it_sees_nothing_of_the_graders_environment(confined):
    run, _ = confined
    out = run("import os; print(sorted(os.environ)); print(any('canary' in v for v in os.environ.values()))")
    assert "BACKPROP_DB_URL" not in out and out.strip().endswith("False")


def test_proc_sys_and_sys_cannot_be_written(confined):
    run, _ = confined
    before = Path("/proc/sys/kernel/core_pattern").read_text()
    out = run(textwrap.dedent("""
        for path in ("/proc/sys/kernel/core_pattern", "/sys/fs/cgroup/cgroup.procs"):
            try:
                open(path, "w").write("|/tmp/x")
                print("WROTE", path)
            except OSError as e:
                print("denied", path, type(e).__name__)
    """))
    assert "WROTE" not in out and out.count("denied") == 2
    assert Path("/proc/sys/kernel/core_pattern").read_text() == before


def test_only_its_scratch_space_is_writable_and_the_repository_is_not_there(confined):
    run, _ = confined
    out = run(textwrap.dedent(f"""
        import os
        for path in ["/usr/x", "/etc/x", "{REPO}/backprop_lib/x.py", "{sys.prefix}/x", "x.txt", "/tmp/x"]:
            try:
                open(path, "w").write("x")
                print("wrote", path)
            except OSError as e:
                print("denied", path)
        print("repo holds", sorted(os.listdir("{REPO}")))
    """))
    assert out.count("denied") == 4 and "wrote x.txt" in out and "wrote /tmp/x" in out
    assert "repo holds ['autograder', 'backprop_lib']" in out or "repo holds ['.venv', 'autograder', 'backprop_lib']" in out


def test_it_cannot_add_files_beside_its_sockets(confined):
    run, ipc = confined
    out = run(f"try:\n    open('{ipc}/extra', 'w')\n    print('made')\nexcept OSError as e:\n    print('denied')")
    assert "denied" in out and not (ipc / "extra").exists()


def test_its_limits_are_set_and_cannot_be_raised(confined):
    run, _ = confined
    limits = sandbox.Limits.from_env()
    out = run(textwrap.dedent("""
        import resource
        print(resource.getrlimit(resource.RLIMIT_AS), resource.getrlimit(resource.RLIMIT_FSIZE))
        try:
            resource.setrlimit(resource.RLIMIT_AS, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
            print("RAISED")
        except (ValueError, OSError):
            print("kept")
    """))
    assert f"({limits.memory_bytes}, {limits.memory_bytes}) ({limits.file_bytes}, {limits.file_bytes})" in out
    assert "kept" in out and "RAISED" not in out


def test_a_killed_grader_takes_its_kernel_with_it():
    """A grader (or dask worker) that is killed must not leave a kernel running on its own."""
    require_sandbox()
    root, ipc = kernel_folder()
    script = textwrap.dedent(f"""
        import os, sys
        from jupyter_client.manager import KernelManager
        km = KernelManager(kernel_name="backprop-grading", transport="ipc",
                           connection_file="{ipc}/kernel.json", ip="{ipc}/k")
        km.start_kernel()
        kc = km.client(); kc.start_channels(); kc.wait_for_ready(timeout=120)
        print(km.provisioner.process.pid, flush=True)
        os._exit(1)  # killed: no shutdown
    """)
    env = dict(os.environ, JUPYTER_PATH=str(REPO / "autograder"))
    proc = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=180)
    launcher = int(proc.stdout.split()[-1])
    deadline = time.time() + 10
    while Path(f"/proc/{launcher}").exists() and time.time() < deadline:
        time.sleep(0.1)
    assert not Path(f"/proc/{launcher}").exists(), "the kernel outlived the grader that started it"
    shutil.rmtree(root, ignore_errors=True)


def test_it_shows_the_kernel_only_the_system_the_interpreter_and_the_course_packages(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    paths = sandbox.visible_paths()
    assert str(REPO) not in paths and str(tmp_path) not in paths
    assert str(REPO / "backprop_lib") in paths and str(REPO / "autograder") in paths
    assert not any(p.startswith(str(REPO / "solutions")) or "instructor" in p for p in paths)


def test_without_bubblewrap_grading_refuses_and_says_what_to_install(tmp_path):
    env = dict(os.environ, PATH=str(Path(sys.executable).parent))  # no /usr/bin: no bwrap, no setpriv
    proc = subprocess.run([sys.executable, "-m", "autograder", "grade", str(tmp_path), "--instructor",
                           str(tmp_path / "instructor")], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 2
    assert "bubblewrap" in proc.stderr and "apt-get install" in proc.stderr and "--unsafe-no-sandbox" in proc.stderr


def test_a_restarted_kernel_is_confined_again_and_answers():
    """ResilientExecute restarts a kernel that died: the new one must start in the same socket folder."""
    require_sandbox()
    os.environ["JUPYTER_PATH"] = os.pathsep.join([str(REPO / "autograder"), os.environ.get("JUPYTER_PATH", "")])
    root, ipc = kernel_folder()
    km = start_confined_kernel(ipc)
    try:
        kc = km.client()
        kc.start_channels()
        kc.wait_for_ready(timeout=120)
        kc.execute("import os; os._exit(1)")
        time.sleep(1)
        km.restart_kernel(now=True)
        kc.wait_for_ready(timeout=120)
        reply = kc.execute_interactive("x = 1", timeout=60)
        assert reply["content"]["status"] == "ok"
        kc.stop_channels()
    finally:
        km.shutdown_kernel(now=True)
        shutil.rmtree(root, ignore_errors=True)
