"""Does the grader alone decide each score, and fail closed whatever goes wrong while judging?"""
from __future__ import annotations

import os

import nbformat
import pytest
from conftest import REPO, require_sandbox
from hypothesis import given, settings
from hypothesis import strategies as st
from nbclient.exceptions import DeadKernelError
from nbgrader.utils import determine_grade

from autograder.layout import SOLUTIONS
from autograder.preprocessors import resilient_execute
from autograder.preprocessors.resilient_execute import ResilientExecute
from autograder.secret import course_secret
from autograder.verify import Verdict, apply_verdicts

L = "01_derivatives"

OUTPUTS = st.lists(st.sampled_from([
    nbformat.v4.new_output("execute_result", data={"text/plain": "True"}, execution_count=1),
    nbformat.v4.new_output("error", ename="CheckFailed", evalue="wrong", traceback=[]),
    nbformat.v4.new_output("stream", name="stderr", text="oops"),
    nbformat.v4.new_output("stream", name="stdout", text="✔ passes"),
    nbformat.v4.new_output("display_data", data={"text/plain": "1.0"}),
]), max_size=6)


def graded_cell(outputs) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell("check_f(f)")
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": "test_f", "points": 2}
    cell.outputs = list(outputs)
    return cell


@settings(max_examples=200, deadline=None)
@given(outputs=OUTPUTS, passed=st.booleans(), message=st.text(max_size=8),
       ename=st.sampled_from(["", "CheckFailed", "KeyboardInterrupt", "ValueError"]))
def test_the_score_is_the_graders_verdict_whatever_the_kernel_printed_and_in_any_order(outputs, passed, message,
                                                                                     ename):
    cell = graded_cell(outputs)
    apply_verdicts([cell], [Verdict("test_f", "f", passed, message, ename=ename)])
    assert determine_grade(cell)[0] == (2 if passed else 0)
    if not passed:
        assert cell.outputs[0].output_type == "error" and cell.outputs[0].evalue, "a failure always says why"


@given(outputs=OUTPUTS)
def test_no_verdict_or_a_fault_is_zero_with_a_reason(outputs):
    for verdicts, fault in (([], None), ([Verdict("test_f", "f", True, "")], "the grader could not judge")):
        cell = graded_cell(outputs)
        apply_verdicts([cell], verdicts, fault)
        assert determine_grade(cell)[0] == 0 and cell.outputs[0].evalue


@pytest.fixture()
def executor(monkeypatch):
    """The grading executor with the sandbox, on a notebook whose kernel dies, as nbgrader would run it."""
    require_sandbox()
    course_secret(create=True)
    monkeypatch.setenv("JUPYTER_PATH", str(REPO / "autograder"))
    nb = nbformat.read(SOLUTIONS / L / f"{L}.ipynb", as_version=4)  # test cells with their hidden tests, as graded
    first = next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("solution"))
    nb.cells.insert(first, nbformat.v4.new_code_cell("import os\nos._exit(1)"))
    ex = ResilientExecute(kernel_name="backprop-grading", timeout=20)
    return ex, nb


def run(ex, nb, tmp_path):
    path = tmp_path / "autograded" / "someone" / L
    path.mkdir(parents=True)
    resources = {"nbgrader": {"assignment": L}, "metadata": {"path": str(path)}}
    ex.preprocess(nb, resources)
    return [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]


@pytest.mark.slow
def test_a_kernel_that_dies_again_while_replaying_fails_every_exercise(executor, tmp_path, monkeypatch):
    ex, nb = executor

    def dies_again(self, index):
        raise DeadKernelError("died again")
    monkeypatch.setattr(ResilientExecute, "_restart_and_replay", dies_again)
    for cell in run(ex, nb, tmp_path):
        assert determine_grade(cell)[0] == 0
        assert "could not be restarted" in cell.outputs[0].evalue


@pytest.mark.slow
def test_a_verifier_that_crashes_fails_every_exercise(executor, tmp_path, monkeypatch):
    ex, nb = executor
    nb.cells = [c for c in nb.cells if "os._exit" not in c.source]

    def crashes(*args, **kwargs):
        raise RecursionError("maximum recursion depth exceeded")
    monkeypatch.setattr(resilient_execute, "verify_notebook", crashes)
    for cell in run(ex, nb, tmp_path):
        assert determine_grade(cell)[0] == 0
        assert "could not judge this notebook (RecursionError" in cell.outputs[0].evalue


@pytest.mark.slow
def test_the_reference_solution_scores_in_full_when_nothing_goes_wrong(executor, tmp_path):
    ex, nb = executor
    nb.cells = [c for c in nb.cells if "os._exit" not in c.source]
    cells = run(ex, nb, tmp_path)
    assert cells and all(determine_grade(c)[0] == c.metadata["nbgrader"]["points"] for c in cells)
    assert not os.listdir(tmp_path / "autograded" / "someone" / L), "the kernel wrote nothing in the grader's folder"
