"""Questions about ``backprop_lib.checking.diagnose``: does it name each typical mistake, and stay quiet otherwise?

Cases are generated from hypothesis-drawn shapes and seeds: ``dz`` is an
upstream gradient of shape ``(m, n)`` (a batch of ``m`` examples, ``n``
units), ``db = dz.sum(axis=0)`` the expected bias gradient, and ``dW`` a
weight gradient of shape ``(n_in, n)``.
"""
from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from backprop_lib.checking.diagnose import (Diagnosis, describe_difference, diagnose, find_mistake, nice_factor,
                                            shape_hint)

FAST = settings(max_examples=60, deadline=None)

seeds = st.integers(0, 2 ** 32 - 1)
sizes = st.integers(2, 6)
shapes = st.lists(st.integers(1, 5), min_size=0, max_size=3).map(tuple)
scales = st.sampled_from([1e-3, 1.0, 1e3])


def values(seed: int, shape: tuple[int, ...], scale: float = 1.0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=shape) * scale


def kind(expected: Any, got: Any, **context: Any) -> str | None:
    found = find_mistake(expected, got, **context)
    if found is not None:  # every message is one short line, and diagnose() says the same
        assert "\n" not in found.message and len(found.message) <= 200, found.message
        assert diagnose(expected, got, **context) == found.message
    return None if found is None else found.kind


# --- a correct gradient is never flagged --------------------------------------

@FAST
@given(seed=seeds, shape=shapes, scale=scales, m=sizes)
def test_is_a_correct_gradient_ever_flagged(seed: int, shape: tuple[int, ...], scale: float, m: int) -> None:
    expected = values(seed, shape, scale)
    rng = np.random.default_rng(seed + 1)
    act_prime = rng.uniform(0.0, 0.25, size=shape)
    context = {"m": m, "act_prime": act_prime, "upstream": expected / np.maximum(act_prime, 1e-3)}
    noisy = expected * (1 + 1e-12 * rng.normal(size=shape)) + 1e-12 * scale * rng.normal(size=shape)
    for got in (expected, expected.copy(), noisy, expected.astype(np.float32), expected.tolist()):
        assert diagnose(expected, got) is None
        assert diagnose(expected, got, **context) is None


@FAST
@given(seed=seeds, shape=shapes)
def test_is_a_correct_gradient_with_exact_zeros_and_round_off_flagged(seed: int, shape: tuple[int, ...]) -> None:
    # ReLU gradients are exactly 0 in places; a correct computation may leave 1e-12 there instead.
    rng = np.random.default_rng(seed)
    expected = np.where(rng.random(shape) < 0.5, 0.0, rng.normal(size=shape))
    assert diagnose(expected, expected + 1e-12 * rng.normal(size=shape)) is None
    assert diagnose(np.zeros(shape), 1e-13 * rng.normal(size=shape)) is None
    assert diagnose(np.round(expected * 4), (np.round(expected * 4)).astype(np.int64)) is None


# --- each mistake is named ------------------------------------------------------------

@FAST
@given(seed=seeds, rows=sizes, cols=sizes)
def test_is_a_transposed_weight_gradient_named(seed: int, rows: int, cols: int) -> None:
    dW = values(seed, (rows, cols))
    if rows != cols:
        assert kind(dW, dW.T) == "transposed"
        assert f"({rows}, {cols}) expected, got ({cols}, {rows}): transposed" in diagnose(dW, dW.T)
        assert kind(dW, values(seed + 1, (cols, rows))) == "transposed"  # by its shape alone
    else:
        assert kind(dW, dW.T) == "transposed"


@FAST
@given(seed=seeds, shape=shapes, scale=scales)
def test_is_a_flipped_sign_named(seed: int, shape: tuple[int, ...], scale: float) -> None:
    expected = values(seed, shape, scale)
    assert kind(expected, -expected) == "sign"
    assert "sign" in diagnose(expected, -expected)


@FAST
@given(seed=seeds, shape=shapes.filter(lambda s: int(np.prod(s)) >= 2),
       c=st.sampled_from([2.0, 0.5, 3.0, 0.25, 10.0, -2.0, 1 / 3]))
def test_is_a_constant_factor_named(seed: int, shape: tuple[int, ...], c: float) -> None:
    expected = values(seed, shape)
    assert kind(expected, c * expected) == "factor"
    message = diagnose(expected, c * expected)
    assert nice_factor(c) in message or ("twice" in message and c == 2) or ("half" in message and c == 0.5)


@FAST
@given(seed=seeds, m=st.integers(2, 64), n=sizes)
def test_is_a_mean_sum_mix_up_named_as_1_over_m(seed: int, m: int, n: int) -> None:
    db = values(seed, (n,))
    for got in (m * db, db / m):
        assert kind(db, got, m=m) == "mean_vs_sum"
        assert "1/m" in diagnose(db, got, m=m) and f"m = {m}" in diagnose(db, got, m=m)
    assert kind(db, 7 * db, m=m) in ("factor", "mean_vs_sum" if m == 7 else "factor")


@FAST
@given(seed=seeds, m=sizes, n=sizes, act=st.sampled_from(["sigmoid", "tanh", "relu"]))
def test_is_a_missing_activation_derivative_named(seed: int, m: int, n: int, act: str) -> None:
    rng = np.random.default_rng(seed)
    z, dA = rng.normal(size=(m, n)), rng.normal(size=(m, n))
    if act == "sigmoid":
        s = 1 / (1 + np.exp(-z))
        act_prime = s * (1 - s)
    elif act == "tanh":
        act_prime = 1 - np.tanh(z) ** 2
    else:
        act_prime = (z > 0).astype(np.float64)
        assume(0 < act_prime.sum() < act_prime.size)  # some units on, some off
    delta = dA * act_prime
    assert kind(delta, dA, act_prime=act_prime) == "act_missing"
    assert kind(delta, dA, upstream=dA) == "act_missing"
    assert "activation derivative" in diagnose(delta, dA, act_prime=act_prime)
    if act != "relu":  # for ReLU, applying 0/1 twice changes nothing: it is correct
        assert kind(delta, delta * act_prime, act_prime=act_prime) == "act_twice"
    assert kind(delta, delta, act_prime=act_prime) is None
    # Further down the chain: dW = x.T @ delta, and the mistake shows as x.T @ dA (the pre-Hadamard term).
    x = rng.normal(size=(m, 3))
    assert kind(x.T @ delta, x.T @ dA, upstream=x.T @ dA) == "act_missing"


@FAST
@given(seed=seeds, m=sizes, n=sizes)
def test_is_a_sum_over_the_wrong_axis_named(seed: int, m: int, n: int) -> None:
    assume(m != n)
    dz = values(seed, (m, n))
    db = dz.sum(axis=0)
    assert kind(db, dz.sum(axis=1), m=m) == "axis"
    assert "axis 0" in diagnose(db, dz.sum(axis=1), m=m)
    assert diagnose(db, dz.sum(axis=1)) == f"shape ({n},) expected, got ({m},)"  # without m: no evidence
    assert kind(db, dz.sum()) == "axis" and kind(db, np.array([dz.sum()])) == "axis"
    assert kind(db.reshape(1, n), dz.sum(axis=1, keepdims=True), m=m) == "axis"
    assert kind(db, dz, m=m) == "not_summed"
    assert "sum over the" in diagnose(db, dz, m=m)


@FAST
@given(seed=seeds, n=sizes)
def test_is_a_bias_broadcast_the_wrong_way_named(seed: int, n: int) -> None:
    db = values(seed, (n,))
    assert kind(db, db[:, None] + db[None, :]) == "broadcast"   # (n,) met (n, 1): (n, n)
    assert kind(db, db.reshape(n, 1)) == "broadcast"            # a column for a flat vector
    assert kind(db.reshape(1, n), db.reshape(n, 1)) == "broadcast"
    assert f"({n}, {n})" in diagnose(db.reshape(1, n), db.reshape(n, 1))


@FAST
@given(seed=seeds, shape=shapes.filter(lambda s: len(s) > 0), bad=st.sampled_from([np.nan, np.inf, -np.inf]))
def test_is_nan_or_inf_named_with_its_index(seed: int, shape: tuple[int, ...], bad: float) -> None:
    expected = values(seed, shape)
    got = expected.copy()
    idx = tuple(int(i) for i in np.random.default_rng(seed).integers(0, shape))
    got[idx] = bad
    assert kind(expected, got) == "nan"
    assert f"first at index {idx}" in diagnose(expected, got)


@FAST
@given(seed=seeds, shape=shapes)
def test_is_an_integer_result_named(seed: int, shape: tuple[int, ...]) -> None:
    expected = values(seed, shape) + 0.5  # not whole numbers
    assume(np.all(np.abs(expected - np.round(expected)) > 1e-3))
    assert kind(expected, expected.astype(np.int64)) == "integer"
    assert "float" in diagnose(expected, expected.astype(np.int32))


@FAST
@given(seed=seeds, shape=shapes.filter(lambda s: len(s) > 0))
def test_is_float32_named_only_when_it_matters(seed: int, shape: tuple[int, ...]) -> None:
    expected = values(seed, shape)
    assert diagnose(expected, expected.astype(np.float32)) is None  # rounded once: fine
    drifted = (expected * (1 + 1e-5 * np.random.default_rng(seed).choice([-1, 1], size=shape)))
    assert kind(expected, drifted.astype(np.float32)) == "float32"
    assert kind(expected, drifted) is None or kind(expected, drifted) != "float32"  # float64: not a dtype issue


@FAST
@given(seed=seeds, expected_shape=shapes, got_shape=shapes)
def test_is_any_wrong_shape_reported_with_both_shapes(seed: int, expected_shape: tuple[int, ...],
                                                       got_shape: tuple[int, ...]) -> None:
    assume(expected_shape != got_shape)
    message = diagnose(values(seed, expected_shape), values(seed, got_shape))
    assert message.startswith(f"shape {expected_shape} expected, got {got_shape}")


def test_are_none_and_non_numbers_named() -> None:
    assert kind(np.ones(3), None) == "none" and "return" in diagnose(np.ones(3), None)
    assert kind(np.ones(3), "0.5") == "type"
    assert kind(np.ones(3), {"db": 1}) == "type"
    assert kind(np.ones(3), np.zeros(3)) == "zeros"
    assert kind(np.ones(2), np.array([1j, 1.0])) == "complex"


@pytest.mark.parametrize("got", [object(), [[1, 2], [3]], np.array(["a"]), lambda: 0, np.empty((0, 3)),
                                 np.array(np.nan), float("inf"), 10 ** 400, [np.nan] * 3, True])
@pytest.mark.parametrize("expected", [np.ones(3), np.array(np.nan), np.empty((0, 3)), 2.0, np.eye(3)])
def test_does_diagnose_ever_raise_or_warn(expected: Any, got: Any) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = diagnose(expected, got, m=0, act_prime=np.ones(7), upstream="x")
        assert result is None or isinstance(result, str)


def test_do_the_existing_helpers_still_answer_as_before() -> None:
    assert shape_hint((3, 4), (4, 3)).startswith("shape (3, 4) expected, got (4, 3): transposed?")
    assert shape_hint((3, 4), (3,)) == "shape (3, 4) expected, got (3,)"  # no values: no guess
    assert nice_factor(2.0) == "2" and nice_factor(0.25) == "1/4" and nice_factor(-0.5) == "-1/2"
    found = find_mistake(np.ones(3), -np.ones(3))
    assert isinstance(found, Diagnosis) and str(found) == found.message


# --- a hint that names the wrong cause is worse than none ---------------------------------

one_element = st.sampled_from([(), (1,), (1, 1)])
factors = st.floats(-50, 50).filter(lambda c: abs(c) > 1e-3)


@FAST
@given(seed=seeds, shape=one_element, c=factors, m=st.none() | sizes)
def test_does_a_one_element_output_ever_get_a_constant_factor_hint(seed: int, shape: tuple[int, ...], c: float,
                                                                   m: int | None) -> None:
    expected = values(seed, shape) + 0.1
    got = c * expected
    assert kind(expected, got, m=m) not in ("factor", "mean_vs_sum")
    if kind(expected, got, m=m) is None and abs(c - 1) > 1e-5:  # what differs is said plainly instead
        said = describe_difference(expected, got)
        assert said.startswith(f"expected {float(expected.reshape(())):.10g}, got ") and "got / expected" in said


@FAST
@given(seed=seeds, shape=shapes.filter(lambda s: len(s) > 0), n=st.integers(2, 6))
def test_do_equal_expected_entries_ever_get_a_constant_factor_hint(seed: int, shape: tuple[int, ...],
                                                                   n: int) -> None:
    expected = np.full((n,), values(seed, ()) + 0.1)  # every entry the same: one ratio, whatever the mistake
    assert kind(expected, 3.7 * expected) not in ("factor", "mean_vs_sum")


@FAST
@given(seed=seeds, shape=shapes.filter(lambda s: int(np.prod(s)) >= 2), eps=st.floats(1e-7, 5e-4))
def test_is_times_1_ever_said(seed: int, shape: tuple[int, ...], eps: float) -> None:
    expected = values(seed, shape)
    message = diagnose(expected, expected * (1 + eps)) or ""
    assert "times 1 " not in message and "times 1:" not in message


@FAST
@given(seed=seeds, epochs=st.integers(2, 40), data=st.data())
def test_does_a_training_loop_that_returns_early_get_an_axis_hint(seed: int, epochs: int, data) -> None:
    history = np.abs(values(seed, (epochs,)))
    stopped = data.draw(st.integers(1, epochs - 1))
    for m in (None, 4):
        found = find_mistake(history, history[:stopped], m=m)
        assert found.kind == "shape" or (m == stopped and found.kind == "axis"), found
        if m != stopped:
            assert found.message == f"shape ({epochs},) expected, got ({stopped},)"


@FAST
@given(seed=seeds, n=st.integers(2, 6))
def test_does_a_chain_gradient_returned_as_a_float_get_an_axis_hint(seed: int, n: int) -> None:
    grads = values(seed, (n,))
    for got in (float(grads[0]), float(grads.prod()), grads[:1]):
        assume(not np.isclose(np.sum(got), grads.sum()))
        message = diagnose(grads, got, m=None)
        assert "axis" not in message and "summed" not in message, message


@FAST
@given(seed=seeds, m=sizes)
def test_does_a_loss_that_is_never_averaged_get_a_broadcasting_hint(seed: int, m: int) -> None:
    per_example = np.abs(values(seed, (m,))) + 0.1
    loss = np.float64(per_example.mean())
    for got in (per_example, per_example[:, None], per_example * 2):
        assert "broadcast" not in diagnose(loss, got)
    assert kind(loss, per_example) == "not_reduced" and "mean" in diagnose(loss, per_example)
    assert kind(loss, per_example.sum()) is None  # a sum where the mean is expected: one number, no guess
    assert "got / expected = " in describe_difference(loss, per_example.sum())


@FAST
@given(seed=seeds, shape=shapes.filter(lambda s: int(np.prod(s)) >= 2))
def test_does_a_wrong_array_without_a_known_cause_say_which_entries_differ(seed: int,
                                                                            shape: tuple[int, ...]) -> None:
    expected = values(seed, shape)
    got = expected.copy()
    where = tuple(int(i) for i in np.random.default_rng(seed).integers(0, shape))
    got[where] += 1.0
    said = describe_difference(expected, got)
    assert said.startswith(f"1 of {expected.size} entries differ")
    assert f"[{', '.join(map(str, where))}]" in said and "off by 1" in said
