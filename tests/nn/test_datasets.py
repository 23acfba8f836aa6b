"""Do the data sets have the promised shapes, and is their randomness under the caller's control?"""
from __future__ import annotations

from typing import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backprop_lib.nn import datasets

#: Hypothesis settings for this file, applied per test (a loaded profile would change every file's).
FEW = settings(deadline=None, max_examples=25)

Maker = Callable[[np.random.Generator, int], tuple[np.ndarray, np.ndarray]]

#: Every random data set, called with (rng, m) only.
RANDOM: dict[str, Maker] = {
    "study_sleep": datasets.study_sleep,
    "moons": datasets.moons,
    "circles": datasets.circles,
    "spirals (3 classes)": datasets.spirals,
    "spirals (5 classes)": lambda rng, m: datasets.spirals(rng, m, n_classes=5),
}
BINARY = ["study_sleep", "moons", "circles"]

seeds = st.integers(0, 2**32 - 1)
sizes = st.integers(5, 300)


def test_is_xor_the_four_corners_with_y_one_when_the_inputs_differ() -> None:
    x, y = datasets.xor()
    assert x.shape == (4, 2) and y.shape == (4, 1)
    assert x.dtype == y.dtype == np.float64
    np.testing.assert_array_equal(y[:, 0], x[:, 0] != x[:, 1])


@pytest.mark.parametrize("name", list(RANDOM))
def test_are_x_and_y_batch_first_with_the_documented_shapes(name: str) -> None:
    @FEW
    @given(seeds, sizes)
    def check(seed: int, m: int) -> None:
        x, y = RANDOM[name](np.random.default_rng(seed), m)
        assert x.shape == (m, 2) and x.dtype == np.float64
        assert np.isfinite(x).all()
        if name in BINARY:
            assert y.shape == (m, 1) and y.dtype == np.float64
            assert set(np.unique(y)) <= {0.0, 1.0}
        else:
            assert y.shape == (m,) and y.dtype == np.int64

    check()


@pytest.mark.parametrize("name", list(RANDOM))
def test_does_the_same_rng_seed_give_the_same_data(name: str) -> None:
    @FEW
    @given(seeds, sizes)
    def check(seed: int, m: int) -> None:
        x1, y1 = RANDOM[name](np.random.default_rng(seed), m)
        x2, y2 = RANDOM[name](np.random.default_rng(seed), m)
        np.testing.assert_array_equal(x1, x2)
        np.testing.assert_array_equal(y1, y2)

    check()


@pytest.mark.parametrize("name", list(RANDOM))
def test_does_a_different_seed_give_different_data(name: str) -> None:
    @FEW
    @given(seeds, sizes)
    def check(seed: int, m: int) -> None:
        x1, _ = RANDOM[name](np.random.default_rng(seed), m)
        x2, _ = RANDOM[name](np.random.default_rng(seed + 1), m)
        assert not np.array_equal(x1, x2)

    check()


@pytest.mark.parametrize("name", list(RANDOM))
def test_is_numpys_global_random_state_left_alone(name: str) -> None:
    np.random.seed(123)
    before = np.random.get_state()[1].copy()
    RANDOM[name](np.random.default_rng(0), 50)
    np.testing.assert_array_equal(np.random.get_state()[1], before)


@pytest.mark.parametrize("name", ["moons", "circles", "spirals (3 classes)", "spirals (5 classes)"])
def test_are_the_classes_balanced_to_within_one_example(name: str) -> None:
    @FEW
    @given(seeds, sizes)
    def check(seed: int, m: int) -> None:
        _, y = RANDOM[name](np.random.default_rng(seed), m)
        counts = np.bincount(np.ravel(y).astype(int))
        assert counts.max() - counts.min() <= 1
        assert counts.sum() == m

    check()


def test_do_about_half_the_students_pass() -> None:
    _, y = datasets.study_sleep(np.random.default_rng(0), 20_000)
    assert 0.45 < y.mean() < 0.6


def test_does_study_sleep_follow_its_documented_rule_without_noise() -> None:
    x, y = datasets.study_sleep(np.random.default_rng(1), 1000, noise=0.0)
    study, sleep = x[:, 0], x[:, 1]
    rule = study + 1.5 * np.minimum(sleep, 8.0) > 14.0
    np.testing.assert_array_equal(y[:, 0], rule)
    assert (0 <= study).all() and (study < 10).all() and (3 <= sleep).all() and (sleep < 10).all()


def test_does_noise_flip_some_labels_near_the_boundary_only() -> None:
    x, noisy = datasets.study_sleep(np.random.default_rng(2), 5000, noise=1.0)
    score = x[:, 0] + 1.5 * np.minimum(x[:, 1], 8.0)
    flipped = noisy[:, 0] != (score > 14.0)
    assert 0.02 < flipped.mean() < 0.25
    assert np.abs(score[flipped] - 14.0).max() < 5.0  # five standard deviations


def test_are_the_moons_and_circles_where_the_docstrings_say_without_noise() -> None:
    x, y = datasets.moons(np.random.default_rng(3), 200, noise=0.0)
    upper, lower = x[y[:, 0] == 0], x[y[:, 0] == 1]
    np.testing.assert_allclose(np.hypot(*upper.T), 1.0)
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1.0, lower[:, 1] - 0.5), 1.0)
    assert (upper[:, 1] >= 0).all() and (lower[:, 1] <= 0.5).all()
    x, y = datasets.circles(np.random.default_rng(3), 200, noise=0.0, factor=0.3)
    np.testing.assert_allclose(np.hypot(*x.T), np.where(y[:, 0] == 1, 0.3, 1.0))


def test_does_one_hot_put_a_single_one_in_each_row_at_the_class_index() -> None:
    _, y = datasets.spirals(np.random.default_rng(4), 30, n_classes=3)
    t = datasets.one_hot(y)
    assert t.shape == (30, 3)
    np.testing.assert_array_equal(t.sum(axis=1), 1.0)
    np.testing.assert_array_equal(t.argmax(axis=1), y)


def test_are_impossible_requests_refused() -> None:
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="classes"):
        datasets.spirals(rng, 2, n_classes=3)
    with pytest.raises(ValueError, match="factor"):
        datasets.circles(rng, 10, factor=1.5)
