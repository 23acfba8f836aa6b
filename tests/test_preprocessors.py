"""Does the feedback preprocessor hide hidden tests and tracebacks but keep the diagnosis?"""
from __future__ import annotations

import nbformat
from hypothesis import given, strategies as st

from autograder.preprocessors import HIDDEN_NOTE, RedactTests, explain_error, strip_hidden

CELL = """check(f)
### BEGIN HIDDEN TESTS
check(f, rng=hidden_rng("f"))
### END HIDDEN TESTS
print("after")"""


def test_hidden_region_is_replaced_by_a_note():
    assert strip_hidden(CELL) == f"check(f)\n{HIDDEN_NOTE}\nprint(\"after\")"


@given(st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=200))
def test_code_without_hidden_region_is_unchanged(text):
    text = "\n".join(line for line in text.splitlines() if "HIDDEN TESTS" not in line)
    assert strip_hidden(text) == "\n".join(text.splitlines())


def test_a_check_failure_keeps_its_message_and_loses_its_colour():
    assert explain_error("CheckFailed", "\x1b[0;31mf gives a wrong result\x1b[0m") == "✗ f gives a wrong result"


def test_a_timeout_says_the_cell_did_not_finish():
    assert "did not finish" in explain_error("KeyboardInterrupt", "")


def test_test_cells_lose_hidden_tests_and_every_error_is_one_line():
    nb = nbformat.v4.new_notebook()
    test = nbformat.v4.new_code_cell(CELL)
    test.metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": "t", "points": 1}
    test.outputs = [nbformat.v4.new_output("error", ename="ValueError", evalue="bad",
                                           traceback=["Traceback", "File hidden.py line 3"]),
                    nbformat.v4.new_output("stream", name="stderr", text="warning")]
    other = nbformat.v4.new_code_cell(CELL)
    nb.cells = [test, other]
    RedactTests().preprocess(nb, {})
    assert "hidden_rng" not in nb.cells[0].source
    assert nb.cells[0].outputs[0]["traceback"] == ["✗ ValueError: bad"]
    assert len(nb.cells[0].outputs) == 1
    assert nb.cells[1].source == CELL, "only test cells lose their hidden region"


def test_a_stub_names_its_exercise():
    from autograder.preprocessors import NameStubs
    cell = nbformat.v4.new_code_cell("def f(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()")
    cell.metadata["nbgrader"] = {"solution": True, "grade_id": "dense_backward"}
    nb = nbformat.v4.new_notebook(cells=[cell])
    NameStubs().preprocess(nb, {})
    assert "raise NotImplementedError('Exercise dense_backward: replace this line with your code')" in cell.source


def test_an_error_in_an_example_cell_is_shortened_too():
    cell = nbformat.v4.new_code_cell("train(my_functions)")
    cell.outputs = [nbformat.v4.new_output("error", ename="NotImplementedError", evalue="Exercise backward",
                                           traceback=["Traceback", "File backprop_lib/exercises/lesson06.py"])]
    RedactTests().preprocess(nbformat.v4.new_notebook(cells=[cell]), {})
    assert cell.outputs[0]["traceback"] == ["✗ NotImplementedError: Exercise backward"]
