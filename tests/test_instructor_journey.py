"""An instructor's first command: does `make grade` on a fresh instructor folder grade the demo class, and exit 0?"""
from __future__ import annotations

import os
import re
import subprocess
import time

import pytest
from conftest import REPO, require_sandbox

from autograder import demo

pytestmark = pytest.mark.slow


def test_make_grade_grades_the_small_demo_class_and_every_row_matches(tmp_path):
    """What a clean clone has: no instructor folder, no gradebook; `make grade` is the whole loop."""
    require_sandbox()
    instructor = tmp_path / "instructor"
    env = dict(os.environ, BACKPROP_INSTRUCTOR_DIR=str(instructor))
    started = time.perf_counter()
    proc = subprocess.run(["make", "grade"], cwd=REPO, env=env, capture_output=True, text=True, timeout=1200)
    took = time.perf_counter() - started
    print(f"make grade: {took:.0f} s")
    (REPO / "artifacts").mkdir(exist_ok=True)
    with open(REPO / "artifacts" / "journeys.txt", "a") as fh:
        fh.write(f"instructor: make grade {took:.1f} s\n")
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    rows = [line for line in proc.stdout.splitlines() if re.search(r"\s(ok|MISMATCH)$", line)]
    expected = demo.build_class(tmp_path / "expected", "small")
    assert len(rows) == len(expected) and all(row.endswith(" ok") for row in rows), proc.stdout[-4000:]
    students = {e.student for e in expected}
    assert {"correct", "blank", "raises", "loops"} <= students and len(students) >= 6
    for e in expected:
        assert (instructor / "feedback" / e.student / e.lesson / f"{e.lesson}.html").exists()
    assert (instructor / "grades_lms.csv").exists() and (instructor / "report" / "class_report.png").exists()
