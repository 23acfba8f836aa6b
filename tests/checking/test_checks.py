"""When a student's function is wrong, does the check say what is wrong, and never write to stderr?"""
from __future__ import annotations

import contextlib
import io

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from backprop_lib.checking import gradcheck
from backprop_lib.checking.checks import CheckFailed, call_student, check_derivative, compare, fmt
from backprop_lib.checking.symbolic import Symbolic, sigmoid

LOSS = Symbolic(lambda w, x, y: (sigmoid(w * x) - y) ** 2, "w x y")


def right(w, x, y):
    a = 1 / (1 + np.exp(-w * x))
    return 2 * (a - y) * a * (1 - a) * x


def cases(seed):
    rng = np.random.default_rng(seed)
    return [{"w": rng.normal(size=5), "x": rng.normal(size=5), "y": rng.uniform(size=5)}]


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_a_correct_derivative_passes_on_any_inputs(seed):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        check_derivative(right, LOSS, "w", cases(seed))
    assert out.getvalue().startswith("✔ right")


@pytest.mark.parametrize("wrong, words", [
    (lambda w, x, y: -right(w, x, y), "wrong sign"),
    (lambda w, x, y: 2 * right(w, x, y), "twice"),
    (lambda w, x, y: right(w, x, y) / 4, "times 1/4"),
    (lambda w, x, y: right(w, x, y).reshape(1, -1), "shape (5,) expected, got (1, 5)"),
    (lambda w, x, y: np.zeros_like(w), "all zeros"),
    (lambda w, x, y: right(w, x, y) * np.nan, "NaN"),
    (lambda w, x, y: None, "forget the `return`"),
])
def test_a_wrong_derivative_fails_with_a_diagnosis(wrong, words):
    with pytest.raises(CheckFailed) as info:
        check_derivative(wrong, LOSS, "w", cases(0), name="dL_dw")
    message = str(info.value)
    assert "dL_dw gives a wrong result" in message and "on input: w = " in message
    assert words in message


def test_a_named_mistake_is_recognised_before_generic_diagnoses():
    no_sigmoid = lambda w, x, y: 2 * (1 / (1 + np.exp(-w * x)) - y) * x  # noqa: E731
    with pytest.raises(CheckFailed, match="sigmoid derivative is missing"):
        check_derivative(no_sigmoid, LOSS, "w", cases(1), mistakes={"the sigmoid derivative is missing": no_sigmoid})


def test_unimplemented_exercise_says_so_without_a_traceback():
    def stub(w, x, y):
        raise NotImplementedError()
    with pytest.raises(CheckFailed, match="not implemented yet") as info:
        check_derivative(stub, LOSS, "w", cases(0), name="dL_dw")
    assert info.value._render_traceback_()[0].count("\n") == str(info.value).count("\n")


def test_a_student_exception_is_reported_with_its_inputs():
    with pytest.raises(CheckFailed, match=r"raised ZeroDivisionError: division by zero\n  on input: arg0 = 1"):
        call_student(lambda x: 1 / 0, "f", 1)


def test_student_warnings_never_reach_stderr(capfd):
    with pytest.raises(CheckFailed):
        check_derivative(lambda w, x, y: np.exp(1000 * w) / 0, LOSS, "w", cases(0))
    assert capfd.readouterr().err == ""


def test_calling_the_library_reference_is_caught_even_under_another_name():
    from backprop_lib.checking.gradcheck import central_difference as mine  # what a student might write
    with pytest.raises(CheckFailed, match="calls the course library's own central_difference"):
        call_student(lambda f, x: mine(f, x), "cd", np.sin, 1.0, forbidden=[gradcheck.central_difference])


def test_compare_accepts_round_off_and_rejects_a_real_difference():
    x = np.linspace(-1, 1, 7)
    compare("f", x, x * (1 + 1e-12), {"x": x})
    with pytest.raises(CheckFailed, match="largest relative error"):
        compare("f", x, x + 1e-3, {"x": x})


def test_long_arrays_are_abbreviated_in_messages():
    assert len(fmt(np.arange(10_000.0))) <= 200


def test_a_students_debugging_print_to_stderr_goes_to_stdout(capfd):
    import sys

    def chatty(w, x, y):
        print("debugging", file=sys.stderr)
        return right(w, x, y)
    check_derivative(chatty, LOSS, "w", cases(0))
    out, err = capfd.readouterr()
    assert err == "" and "debugging" in out
