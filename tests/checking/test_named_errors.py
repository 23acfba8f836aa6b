"""call_named: a student's exception is reported with the inputs, the shapes and the mistake behind it."""
from __future__ import annotations

import numpy as np
import pytest

from backprop_lib.nn import layers
from backprop_lib.checking.checks import CheckFailed
from backprop_lib.checking.named_errors import call_named, error_of, mistake_raising

MISTAKES = {
    "W must be transposed": lambda delta, W: delta @ W,
    "the product is the wrong way round": lambda delta, W: W @ delta,
}


def inputs():
    return {"delta": np.ones((4, 2)), "W": np.ones((3, 2))}


def test_a_working_function_returns_its_value():
    assert call_named(lambda delta, W: delta @ W.T, "f", inputs()).shape == (4, 3)


def test_an_exception_is_named_by_the_mistake_that_raises_the_same_error():
    with pytest.raises(CheckFailed) as info:
        call_named(lambda delta, W: np.matmul(delta, W), "f", inputs(), mistakes=MISTAKES, hint="general")
    text = str(info.value)
    assert text.startswith("f raised ValueError")
    assert "on input: delta = " in text and "W = " in text
    assert "shapes:   delta (4, 2), W (3, 2)" in text
    assert text.endswith("likely cause: W must be transposed")


def test_an_unknown_exception_gets_the_general_hint():
    def broken(delta, W):
        raise KeyError("oops")
    with pytest.raises(CheckFailed) as info:
        call_named(broken, "f", inputs(), mistakes=MISTAKES, hint="general")
    assert "KeyError" in str(info.value) and str(info.value).endswith("likely cause: general")


def test_not_implemented_and_forbidden_calls_keep_their_own_message():
    def stub(delta, W):
        raise NotImplementedError
    with pytest.raises(CheckFailed, match="not implemented yet") as info:
        call_named(stub, "f", inputs(), mistakes=MISTAKES, hint="general")
    assert "likely cause" not in str(info.value)

    def lazy(delta, W):
        return layers.dense_param_grads(delta, (W, W, W))
    with pytest.raises(CheckFailed, match="course library's own") as info:
        call_named(lazy, "f", inputs(), forbidden=[layers.dense_param_grads], hint="general")
    assert "likely cause" not in str(info.value)


def test_error_of_and_mistake_raising():
    assert error_of(lambda delta, W: delta @ W.T, inputs()) is None
    message = error_of(lambda delta, W: delta @ W, inputs())
    assert message.startswith("ValueError: matmul")
    assert mistake_raising(message, inputs(), MISTAKES) == "W must be transposed"
    assert mistake_raising("ValueError: something else", inputs(), MISTAKES) is None
