"""Do the optimisers follow their update rules, and does training stop for the right reason?"""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from backprop_lib.nn.optim import SGD, Adam, History, Momentum, Optimizer, train

#: Hypothesis settings for this file, applied per test (a loaded profile would change every file's).
FEW = settings(deadline=None, max_examples=30)

small = st.floats(-5, 5, allow_nan=False, allow_infinity=False)


def quadratic(center: np.ndarray, scales: np.ndarray):
    """``L(w) = sum(scales * (w - center)^2)`` and its gradient ``2 * scales * (w - center)``."""
    def step_fn(params):
        (w,) = params
        r = w - center
        return float(np.sum(scales * r * r)), [2 * scales * r]
    return step_fn


# ------------------------------------------------------------------ convergence on a quadratic
@FEW
@given(start=arrays(np.float64, 3, elements=small), center=arrays(np.float64, 3, elements=small))
def test_does_sgd_reach_the_minimum_of_a_quadratic(start: np.ndarray, center: np.ndarray) -> None:
    w = start.copy()
    history = train(quadratic(center, np.array([1.0, 2.0, 0.5])), [w], SGD(lr=0.2), 500,
                    tol=1e-14, progress=False)
    assert history.reason == "converged"
    np.testing.assert_allclose(w, center, atol=1e-5)


@pytest.mark.parametrize("opt", [Momentum(lr=0.05), Adam(lr=0.05)], ids=repr)
def test_do_momentum_and_adam_reach_the_minimum_too(opt: Optimizer) -> None:
    w = np.array([4.0, -3.0])
    center = np.array([1.0, 2.0])
    train(quadratic(center, np.array([1.0, 3.0])), [w], opt, 3000, progress=False)
    np.testing.assert_allclose(w, center, atol=1e-3)


# ------------------------------------------------------------------ first steps by hand
@FEW
@given(p0=small, g=small, lr=st.floats(1e-3, 1.0))
def test_is_an_sgd_step_w_minus_lr_times_g(p0: float, g: float, lr: float) -> None:
    p = np.array([p0])
    SGD(lr=lr).step([p], [np.array([g])])
    assert p[0] == pytest.approx(p0 - lr * g, rel=1e-12, abs=1e-15)


def test_do_the_first_two_momentum_steps_match_the_hand_computation() -> None:
    # lr = 0.1, beta = 0.9, gradients 2 then 4:
    #   v1 = 2,             p1 = 1 - 0.1 * 2   = 0.8
    #   v2 = 0.9 * 2 + 4 = 5.8, p2 = 0.8 - 0.1 * 5.8 = 0.22
    p = np.array([1.0])
    opt = Momentum(lr=0.1, beta=0.9)
    opt.step([p], [np.array([2.0])])
    assert p[0] == pytest.approx(0.8)
    opt.step([p], [np.array([4.0])])
    assert p[0] == pytest.approx(0.22)


@FEW
@given(p0=small, g=small.filter(lambda t: abs(t) > 1e-3), lr=st.floats(1e-3, 1.0))
def test_is_the_first_adam_step_lr_against_the_sign_of_the_gradient(p0: float, g: float, lr: float) -> None:
    # t = 1: m_hat = g, v_hat = g^2, so the step is -lr * g / (|g| + eps).
    p = np.array([p0])
    Adam(lr=lr).step([p], [np.array([g])])
    assert p[0] == pytest.approx(p0 - lr * g / (abs(g) + 1e-8), rel=1e-12, abs=1e-15)


def test_does_the_second_adam_step_match_the_hand_computation() -> None:
    # lr = 0.1, beta1 = 0.9, beta2 = 0.999, gradients 1 then -2, starting at 0:
    #   t=1: m = 0.1, v = 0.001 -> m_hat = 1, v_hat = 1 -> p = -0.1 (up to eps)
    #   t=2: m = 0.09 - 0.2 = -0.11, v = 0.000999 + 0.004 = 0.004999
    #        m_hat = -0.11 / 0.19, v_hat = 0.004999 / 0.001999
    p = np.array([0.0])
    opt = Adam(lr=0.1)
    opt.step([p], [np.array([1.0])])
    opt.step([p], [np.array([-2.0])])
    m_hat, v_hat = -0.11 / 0.19, 0.004999 / (1 - 0.999 ** 2)
    expected = -0.1 / (1 + 1e-8) - 0.1 * m_hat / (math.sqrt(v_hat) + 1e-8)
    assert p[0] == pytest.approx(expected, rel=1e-12)


def test_does_each_parameter_array_keep_its_own_state() -> None:
    a, b = np.zeros(2), np.zeros((2, 2))
    opt = Momentum(lr=1.0, beta=0.5)
    for _ in range(3):
        opt.step([a, b], [np.ones(2), 2 * np.ones((2, 2))])
    # v: 1, 1.5, 1.75 -> a = -(1 + 1.5 + 1.75); b's velocity is twice a's.
    np.testing.assert_allclose(a, -4.25)
    np.testing.assert_allclose(b, -8.5)


# ------------------------------------------------------------------ weight decay
@pytest.mark.parametrize("make", [SGD, Momentum, Adam], ids=lambda c: c.__name__)
def test_does_weight_decay_act_like_adding_lambda_times_w_to_the_gradient(make: type[Optimizer]) -> None:
    w_decay, w_plain = np.array([1.5, -2.0]), np.array([1.5, -2.0])
    g = np.array([0.3, 0.1])
    with_decay, by_hand = make(lr=0.1, weight_decay=0.01), make(lr=0.1)
    for _ in range(3):
        hand_g = g + 0.01 * w_plain
        with_decay.step([w_decay], [g])
        by_hand.step([w_plain], [hand_g])
    np.testing.assert_allclose(w_decay, w_plain, rtol=1e-14)


def test_does_weight_decay_alone_shrink_weights_towards_zero() -> None:
    w = np.array([1.0, -1.0])
    for _ in range(100):
        SGD(lr=0.1, weight_decay=0.5).step([w], [np.zeros(2)])
    np.testing.assert_allclose(w, [0.95 ** 100, -(0.95 ** 100)])


# ------------------------------------------------------------------ mistakes in the arguments
def test_are_mismatched_gradients_refused_with_the_shapes_named() -> None:
    with pytest.raises(ValueError, match=r"\(3,\).*\(2,\)"):
        SGD().step([np.zeros(2)], [np.zeros(3)])
    with pytest.raises(ValueError, match="2 parameter arrays but 1"):
        SGD().step([np.zeros(2), np.zeros(2)], [np.zeros(2)])
    with pytest.raises(TypeError, match="float array"):
        SGD().step([np.zeros(2, dtype=int)], [np.zeros(2)])


# ------------------------------------------------------------------ why training stopped
def test_does_training_stop_with_converged_when_the_loss_stops_changing() -> None:
    w = np.array([3.0])
    h = train(quadratic(np.zeros(1), np.ones(1)), [w], SGD(lr=0.1), 10_000, tol=1e-10, progress=False)
    assert h.reason == "converged"
    assert abs(h.losses[-1] - h.losses[-2]) < 1e-10
    assert all(abs(a - b) >= 1e-10 for a, b in zip(h.losses[:-2], h.losses[1:-1]))
    assert h.epochs == len(h.losses) - 1 < 10_000


def test_does_training_run_every_epoch_without_a_tolerance() -> None:
    w = np.array([3.0])
    h = train(quadratic(np.zeros(1), np.ones(1)), [w], SGD(lr=0.1), 50, progress=False)
    assert h.reason == "max epochs"
    assert h.epochs == 50 and len(h.losses) == 51
    assert h.final_loss == pytest.approx(float(w[0] ** 2))  # the loss of the returned weights


def test_does_a_too_large_learning_rate_stop_with_diverged_instead_of_crashing() -> None:
    w = np.array([3.0])
    h = train(quadratic(np.zeros(1), np.ones(1)), [w], SGD(lr=1.5), 10_000, progress=False)
    assert h.reason == "diverged"
    assert not math.isfinite(h.final_loss)
    assert all(math.isfinite(x) for x in h.losses[:-1])


def test_does_a_nan_loss_stop_training_with_diverged() -> None:
    calls = []

    def step_fn(params):
        calls.append(1)
        return (float("nan") if len(calls) == 4 else 1.0 / len(calls)), [np.ones(1)]

    h = train(step_fn, [np.zeros(1)], Adam(), 100, progress=False)
    assert h.reason == "diverged" and len(h.losses) == 4 and h.epochs == 3


def test_does_the_stopping_rule_need_a_change_strictly_below_tol() -> None:
    # A loss falling by exactly 0.5 per epoch never converges with tol = 0.5 (the rule is |change| < tol).
    losses = iter([10.0, 9.5, 9.0, 8.5, 8.0])
    h = train(lambda p: (next(losses), [np.zeros(1)]), [np.zeros(1)], SGD(), 4, tol=0.5, progress=False)
    assert h.reason == "max epochs" and h.losses == [10.0, 9.5, 9.0, 8.5, 8.0]
    losses = iter([10.0, 9.5, 9.0, 8.9, 8.8])
    h = train(lambda p: (next(losses), [np.zeros(1)]), [np.zeros(1)], SGD(), 4, tol=0.5, progress=False)
    assert h.reason == "converged" and h.losses == [10.0, 9.5, 9.0, 8.9]


def test_does_the_progress_bar_run_and_the_history_print_readably(capsys: pytest.CaptureFixture) -> None:
    w = np.array([3.0])
    h = train(quadratic(np.zeros(1), np.ones(1)), [w], SGD(lr=0.1), 20, progress=True)
    assert repr(h).startswith("History(reason='max epochs', epochs=20, final_loss=")
    assert isinstance(h, History)
