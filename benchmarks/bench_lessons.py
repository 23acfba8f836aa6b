"""Execution time of every solution notebook in a fresh kernel, against the course's targets.

Targets (issues 4 and 5): lessons 00-05 together under 30 s, the whole course
under 60 s; no single cell over 5 s (COURSE.md's quality bar). The baseline
measured in the same run is an empty notebook (kernel start-up alone), so the
report separates the kernel's cost from the lessons' own.

    .venv/bin/python benchmarks/bench_lessons.py
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("MPLBACKEND", "Agg")

from autograder.layout import SOLUTIONS, lessons, notebook_name  # noqa: E402


def run(nb: nbformat.NotebookNode, cwd: Path) -> tuple[float, list[float]]:
    """Wall seconds to execute ``nb`` in a fresh kernel, and each code cell's seconds."""
    client = NotebookClient(nb, timeout=300, kernel_name="python3", record_timing=True,
                            resources={"metadata": {"path": str(cwd)}})
    start = time.perf_counter()
    client.execute()
    total = time.perf_counter() - start
    cells = []
    for cell in nb.cells:
        timing = cell.get("metadata", {}).get("execution", {})
        if "iopub.execute_input" in timing and "shell.execute_reply" in timing:
            from datetime import datetime
            t0 = datetime.fromisoformat(timing["iopub.execute_input"].replace("Z", "+00:00"))
            t1 = datetime.fromisoformat(timing["shell.execute_reply"].replace("Z", "+00:00"))
            cells.append((t1 - t0).total_seconds())
    return total, cells


def main() -> None:
    empty, _ = run(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")]), REPO)
    print(f"baseline (kernel start, one trivial cell): {empty:5.2f} s")
    totals: dict[str, float] = {}
    for lesson in lessons():
        nb = nbformat.read(SOLUTIONS / lesson / notebook_name(lesson), as_version=4)
        total, cells = run(nb, SOLUTIONS / lesson)
        totals[lesson] = total
        slowest = max(cells, default=0.0)
        flag = "  <- a cell over 5 s" if slowest > 5 else ""
        print(f"{lesson:<22} {total:6.2f} s  (cells {sum(cells):5.2f} s, slowest {slowest:4.2f} s){flag}")
    first = sum(t for lesson, t in totals.items() if lesson[:2] <= "05")
    whole = sum(totals.values())
    print(f"lessons 00-05: {first:6.2f} s  (target 30 s: ratio {first / 30:.2f})")
    print(f"whole course:  {whole:6.2f} s  (target 60 s: ratio {whole / 60:.2f}); "
          f"kernel start-up is {empty * len(totals):.1f} s of it")


if __name__ == "__main__":
    main()
