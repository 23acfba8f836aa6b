"""Shared helpers of the test suite."""
from __future__ import annotations

import os
import shutil
import sys
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
