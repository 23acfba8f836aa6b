"""Shared helpers of the test suite."""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() == "true"

# Kernels started by the tests must find this interpreter's packages and tools.
os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
# Grading in tests draws hidden inputs from a course secret of the test session's own, not the machine's.
os.environ["BACKPROP_SECRET_FILE"] = os.path.join(tempfile.mkdtemp(prefix="backprop-secret-"), "grading-secret")


def execute(nb: nbformat.NotebookNode, cwd: Path, timeout: int = 120) -> nbformat.NotebookNode:
    """Run a notebook top to bottom in a fresh python3 kernel, stopping at the first error."""
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(cwd)}})
    client.execute()
    return nb


class LiveKernel:
    """A real python3 kernel as the grader talks to it: ``run(code)`` a cell, ``evaluate(expression)`` a value."""

    def __init__(self) -> None:
        from jupyter_client.manager import start_new_kernel

        self.manager, self.client = start_new_kernel(kernel_name="python3")
        self.run("import numpy as np, sympy as sp")

    def run(self, code: str) -> None:
        """Execute ``code`` in the kernel; it must succeed."""
        reply = self.client.execute_interactive(code, timeout=60)
        assert reply["content"]["status"] == "ok", reply["content"]

    def evaluate(self, expression: str) -> str:
        """The value of ``expression`` in the kernel, as :class:`autograder.verify.KernelProxy` expects it."""
        import ast

        msg_id = self.client.execute("", silent=True, user_expressions={"v": expression})
        reply = self.client.get_shell_msg(timeout=60)
        assert reply["parent_header"]["msg_id"] == msg_id
        result = reply["content"]["user_expressions"]["v"]
        if result["status"] != "ok":
            raise RuntimeError(result["evalue"])
        return ast.literal_eval(result["data"]["text/plain"])

    def stop(self) -> None:
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)


@pytest.fixture(scope="module")
def live_kernel():
    """One real kernel per test module (see :class:`LiveKernel`)."""
    kernel = LiveKernel()
    yield kernel
    kernel.stop()


def require(tool: str, install_hint: str) -> str:
    """The path of a command-line tool; skip (or fail under CI=true) when it is missing."""
    path = shutil.which(tool)
    if path is None:
        message = f"{tool} is not installed: {install_hint}"
        if IN_CI:
            pytest.fail(message + " (CI=true: a missing dependency is a failure)")
        pytest.skip(message)
    return path


def require_sandbox() -> None:
    """The grading sandbox (bubblewrap), installed first if missing and possible; skip (fail under CI) otherwise."""
    import subprocess

    from autograder import sandbox

    if shutil.which("bwrap") is None:
        subprocess.run(["bash", str(REPO / "tools" / "ensure_debian_package.sh"), "bubblewrap", "/usr/bin/bwrap"],
                       check=False, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=600)
        sandbox.availability.cache_clear()
    ok, why = sandbox.availability()
    if not ok:
        if IN_CI:
            pytest.fail(f"the grading sandbox is missing: {why} (CI=true: a missing dependency is a failure)")
        pytest.skip(f"grading needs its sandbox: {why}")
