"""Does ``python -m autograder grade`` exit 0 only when every student was graded or rejected for a reason of their own?"""
from __future__ import annotations

from pathlib import Path

import pytest

from autograder import __main__ as cli
from autograder import pipeline, records


def fake_run(tmp_path: Path, **parts) -> pipeline.GradeRun:
    return pipeline.GradeRun(tmp_path, [records.TaskScore("ann", "01_x", "a", 1, 1)], parts.get("rejected", []),
                             tmp_path / "a.csv", tmp_path / "b.csv", failures=parts.get("failures", []))


@pytest.mark.parametrize("parts, status", [
    ({}, 0),
    ({"rejected": [records.Rejected("bob", "01_x", "not a valid notebook")]}, 0),
    ({"failures": [records.Failure("carl", "01_x", "autograde", "nbgrader autograde failed twice")]}, 3),
], ids=["all graded", "a rejection of its own", "a failure of the grader"])
def test_the_exit_status_tells_the_truth(tmp_path, monkeypatch, capsys, parts, status):
    monkeypatch.setattr(pipeline, "grade", lambda *a, **k: fake_run(tmp_path, **parts))
    assert cli.main(["grade", str(tmp_path)]) == status
    out = capsys.readouterr().out
    if status:
        assert "THE GRADER FAILED" in out and "carl" in out
    else:
        assert "THE GRADER FAILED" not in out
