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


def graded_cell(source: str, *outputs):
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": "test_f", "points": 1}
    cell.outputs = list(outputs)
    return cell


def stdout(text: str):
    return nbformat.v4.new_output("stream", name="stdout", text=text)


def test_a_test_cell_shows_the_graders_verdict_and_nothing_the_kernel_printed():
    passed = graded_cell(CELL, stdout("\u2714 f: passed (judged by the grader on hidden inputs)\n"),
                         stdout("ARGS [0.31 -1.2] (the hidden inputs, printed by the function)\n"))
    failed = graded_cell(CELL, nbformat.v4.new_output("error", ename="CheckFailed", evalue="f is wrong", traceback=[]),
                         stdout("ARGS [0.31 -1.2]\n"))
    forged = graded_cell(CELL, stdout("\u2714 f: passed (judged by the grader on hidden inputs)\nARGS 1\n"))
    nb = nbformat.v4.new_notebook(cells=[passed, failed, forged])
    RedactTests().preprocess(nb, {})
    assert [o.get("text", o.get("evalue")) for o in passed.outputs] == [
        "\u2714 f: passed (judged by the grader on hidden inputs)\n"]
    assert [o["evalue"] for o in failed.outputs] == ["f is wrong"]
    assert forged.outputs == [], "a verdict line followed by anything is not the grader's"


def test_cells_after_the_first_hidden_test_show_a_note_instead_of_their_outputs():
    before = nbformat.v4.new_code_cell("print(1)")
    before.outputs = [stdout("1\n")]
    after = nbformat.v4.new_code_cell("print(In)")
    after.outputs = [stdout("['', 'check(f, rng=hidden_rng(\"f\"))']\n")]
    nb = nbformat.v4.new_notebook(cells=[before, graded_cell(CELL), after])
    RedactTests().preprocess(nb, {})
    assert before.outputs[0]["text"] == "1\n"
    assert after.outputs[0]["text"].startswith("(output not shown in feedback")
    assert "hidden_rng" not in str(nb)


def test_an_output_quoting_a_hidden_line_is_replaced_wherever_it_is():
    early = nbformat.v4.new_code_cell("show()")
    early.outputs = [nbformat.v4.new_output("display_data", data={"text/plain": 'x = check(f, rng=hidden_rng("f"))'})]
    nb = nbformat.v4.new_notebook(cells=[early, graded_cell(CELL)])
    RedactTests().preprocess(nb, {})
    assert "hidden_rng" not in str(early.outputs)
