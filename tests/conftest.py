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
