"""The rules every answer follows: does a check catch an input changed in place, the wrong kind of value, float32?

Each question runs a real exercise check (lessons 02-08) on an answer that is
right but for the rule, in the self-check and in a hidden test drawn from a
hypothesis seed: the verdict must be the same in both.
"""
from __future__ import annotations

import contextlib
import io

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograder.verify import write_back
from backprop_lib.checking.checks import (CheckFailed, call_student, changed_in_place, first_change, low_precision,
                                          snapshot, wrong_kind)
from backprop_lib.exercises import lesson02, lesson03, lesson04, lesson06, lesson08

SOME = settings(max_examples=3, deadline=None)
seeds = st.integers(0, 2 ** 63 - 1)


def verdict(check, fn, seed: int | None) -> str:
    """``"pass"`` or the failure's message, for the self-check (seed None) or a hidden test."""
    rng = None if seed is None else np.random.default_rng(seed)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            check(fn, rng=rng)
    except CheckFailed as exc:
        return str(exc)
    return "pass"


def both(check, fn, seed: int) -> list[str]:
    return [verdict(check, fn, None), verdict(check, fn, seed)]


# --- inputs changed in place --------------------------------------------------------------------

def bce_delta_in_place(z, y):
    z -= 0.0 * z  # harmless so far...
    np.negative(z, out=z)  # ...but z now holds -z: the caller's array is changed
    return (1 / (1 + np.exp(z)) - y) / z.shape[0]


def sgd_step_in_place(theta, g, state, lr):
    theta -= lr * g
    return theta, state


def grad_b_sorting(delta):
    delta.sort(axis=0)  # sorting does not change the sums, it changes the caller's array
    return delta.sum(axis=0)


@SOME
@given(seed=seeds)
def test_does_a_right_answer_that_changes_its_input_fail_naming_the_input(seed: int) -> None:
    for message in both(lesson03.check_bce_delta, bce_delta_in_place, seed):
        assert "changed its input z in place" in message and "likely cause:" in message
    for message in both(lesson04.check_grad_b, grad_b_sorting, seed):
        assert "changed its input delta in place" in message and ".sort()" in message
    for message in both(lesson08.check_sgd_step, sgd_step_in_place, seed):
        assert "changed its input theta in place" in message


def train_step_in_place(params, x, y, lr, ops):
    y_hat, cache = ops.forward(params, x)
    loss = ops.loss(y_hat, y)
    grads = ops.backward(params, cache, y)
    for name in params:
        params[name] -= lr * grads[name]
    return loss, y_hat


def train_step_with_its_own_names(weights, inputs, targets, rate, pieces):
    """The same in-place step, its parameters renamed: updating the first input is still allowed."""
    return train_step_in_place(weights, inputs, targets, rate, pieces)


def train_step_that_also_scales_x(params, x, y, lr, ops):
    result = train_step_in_place(params, x, y, lr, ops)
    x *= 1.0 + 1e-9  # the data is not the step's to change
    return result


@SOME
@given(seed=seeds)
def test_may_an_exercise_that_updates_params_in_place_still_not_change_its_data(seed: int) -> None:
    assert lesson06.MAY_MODIFY["train_step"] == {"params": 0}
    assert both(lesson06.check_train_step, train_step_in_place, seed) == ["pass", "pass"]
    assert both(lesson06.check_train_step, train_step_with_its_own_names, seed) == ["pass", "pass"]
    for message in both(lesson06.check_train_step, train_step_that_also_scales_x, seed):
        assert "changed its input x in place" in message


def sgd_step_right(theta, g, state, lr):
    return theta - lr * g, state


def test_does_a_broken_rule_stay_with_its_own_check() -> None:
    """A check that failed for its own reason leaves nothing behind for the next check to trip on."""
    def wrong_and_in_place(theta, g, state, lr):
        theta -= lr * g
        return theta * 3, state  # fails the check's own comparison first
    assert "pass" != verdict(lesson08.check_sgd_step, wrong_and_in_place, None)
    assert verdict(lesson08.check_sgd_step, sgd_step_right, None) == "pass"
    assert verdict(lesson08.check_sgd_step, sgd_step_right, 1) == "pass"


def test_is_an_argument_named_as_the_student_named_it() -> None:
    def f(weights):
        weights[0] = 7.0
        return weights
    with pytest.raises(CheckFailed, match=r"changed its input weights in place \(entry \[0\] went from 1"):
        call_student(f, "f", np.ones(3))


@given(seed=seeds, shape=st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple), data=st.data())
@settings(max_examples=50, deadline=None)
def test_is_every_change_to_an_array_list_or_dict_seen_and_nothing_else(seed, shape, data) -> None:
    rng = np.random.default_rng(seed)
    params = {"W": rng.normal(size=shape), "history": [1.0, float("nan")], "t": 3}
    before = (snapshot((params,)), {})
    assert changed_in_place(lambda params: None, (params,), {}, before, {}) is None  # NaN stays NaN: unchanged
    where = tuple(int(i) for i in data.draw(st.tuples(*[st.integers(0, n - 1) for n in shape])))
    change = data.draw(st.sampled_from(["entry", "append", "key", "t"]))
    if change == "entry":
        params["W"][where] += 1.0
        path = "params['W']"
    elif change == "append":
        params["history"].append(0.5)
        path = "params['history']"
    elif change == "key":
        params["extra"] = 1
        path = "params"
    else:
        params["t"] += 1
        path = "params['t']"
    found = changed_in_place(lambda params: None, (params,), {}, before, {})
    assert found is not None and found[0] == path
    assert changed_in_place(lambda params: None, (params,), {}, before, {"params": 0}) is None  # allowed
    if change == "entry":
        assert f"entry [{', '.join(map(str, where))}]" in found[1]


def test_does_an_input_changed_in_the_kernel_reach_the_graders_copy_for_the_same_verdict() -> None:
    """write_back (autograder.verify) copies what the kernel's call left: inside tuples, and lists that grew."""
    cache = (np.zeros(2), np.ones(2))
    losses = [1.0, 0.5]
    before = snapshot((cache, losses))
    write_back([cache, losses], [(np.array([0.0, 9.0]), np.ones(2)), [1.0, 0.5, 0.25]])
    assert first_change(before[0], cache, "cache") == ("cache[0]", "entry [1] went from 0 to 9")
    assert first_change(before[1], losses, "losses") == ("losses", "its length changed from 2 to 3")


# --- the kind of value -------------------------------------------------------------------------

def grad_b_as_list(delta):
    return list(delta.sum(axis=0))


def mul_backward_as_list(inputs, out, dout):
    a, b = inputs
    return [b * dout, a * dout]


@SOME
@given(seed=seeds)
def test_does_a_list_where_the_text_asks_for_an_array_or_a_tuple_fail(seed: int) -> None:
    for message in both(lesson04.check_grad_b, grad_b_as_list, seed):
        assert "a list; the exercise asks for a NumPy array" in message and "np.array" in message
    for message in both(lesson02.check_mul_backward, mul_backward_as_list, seed):
        assert "a list" in message and "tuple" in message  # the lesson's own words: "(da, db) ... not brackets"


def test_does_each_kind_accept_what_it_names_and_nothing_else() -> None:
    assert wrong_kind(np.zeros(3), "array") is None and wrong_kind(np.float64(1), "number") is None
    assert wrong_kind(2.0, "numeric") is None and wrong_kind(np.zeros(2), "numeric") is None
    assert "asks for a NumPy array" in wrong_kind((1.0, 2.0), "array")
    assert "asks for one number" in wrong_kind(np.zeros(3), "number")
    assert "its answer[1] is a list" in wrong_kind((np.zeros(2), [1.0]), ("array", "number"))
    assert "a tuple of 2" in wrong_kind((np.zeros(2),), ("array", "array"))
    assert wrong_kind([{"W": 1}], list) is None and "asks for a dict" in wrong_kind([], dict)
    assert wrong_kind(object(), None) is None


# --- precision -------------------------------------------------------------------------------------

def grad_b_float32(delta):
    return delta.astype(np.float32).sum(axis=0)


def sgd_step_float32(theta, g, state, lr):
    return (theta - lr * g).astype(np.float32), state


@SOME
@given(seed=seeds)
def test_does_a_float32_answer_get_the_same_verdict_in_the_self_check_and_every_hidden_test(seed: int) -> None:
    for message in both(lesson08.check_sgd_step, sgd_step_float32, seed):
        assert "float32" in message and "float64" in message
    assert "pass" not in both(lesson04.check_grad_b, grad_b_float32, seed)  # lesson 04 words its own failure


def test_is_low_precision_found_wherever_the_answer_holds_it() -> None:
    assert low_precision((np.zeros(2), {"v": np.zeros(2, np.float16)})) == "float16 (in its answer[1]['v'])"
    assert low_precision(np.float32(1.0)) == "float32"
    assert low_precision((np.zeros(2), [1.0, 2], {"t": 3})) is None
    assert low_precision(np.arange(3)) is None  # integers are exact
