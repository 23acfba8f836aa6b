"""Lesson 04: do the notebook's numbers, its notation and its checks' diagnoses hold up?"""
from __future__ import annotations

import re

import nbformat
import numpy as np
import pytest

from autograder.layout import REPO
from backprop_lib.checking.checks import CheckFailed
from backprop_lib.exercises import lesson04
from backprop_lib.nn import layers, losses

NOTEBOOK = REPO / "solutions" / "04_four_equations" / "04_four_equations.ipynb"


def markdown() -> str:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    return "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")


def failure_of(fn, rng=None) -> str:
    with pytest.raises(CheckFailed) as info:
        lesson04.check_delta_output(fn, rng=rng)
    return str(info.value)


def missing_two(y_hat, y, z, act_prime):
    return (y_hat - y) / y.shape[0] * act_prime(z)


def over_size(y_hat, y, z, act_prime):
    return 2 * (y_hat - y) / y.size * act_prime(z)


@pytest.mark.parametrize("rng", [None, np.random.default_rng(1), np.random.default_rng(2)])
def test_a_missing_factor_2_and_a_division_by_y_size_are_told_apart(rng):
    two = failure_of(missing_two, rng)
    size = failure_of(over_size, None if rng is None else np.random.default_rng(rng.integers(1 << 30)))
    assert "the 2 from differentiating the square" in two and "y.size" not in two
    assert "y.size" in size and "the 2 from differentiating" not in size


def test_the_first_checked_network_has_more_than_two_outputs_so_the_two_slips_differ():
    assert lesson04.VISIBLE_NETWORKS[0][0][-1] > 2 and lesson04.VISIBLE_NETWORKS[1][0][-1] == 1


def test_a_single_wrong_number_never_gets_a_constant_factor_guess():
    with pytest.raises(CheckFailed) as info:
        lesson04.compare_with_evidence("db2", np.array([0.1879]), np.array([1.955]), {})
    text = str(info.value)
    assert "constant factor" not in text and "a 2 from a square" not in text
    assert "0.1879" in text and "1.955" in text   # what differs, plainly


def test_two_slips_that_coincide_on_the_inputs_are_both_named_not_one():
    mistakes = {"slip A": lambda v: v / 2, "slip B": lambda v: v * 0.5}
    with pytest.raises(CheckFailed) as info:
        lesson04.compare_with_evidence("x", np.array([1.0, 2.0]), np.array([0.5, 1.0]), {"v": np.array([1.0, 2.0])},
                                       mistakes=mistakes)
    assert "slip A; OR slip B" in str(info.value)


def test_db_equal_to_delta_is_told_to_sum_the_rows_not_to_average():
    with pytest.raises(CheckFailed) as info:
        lesson04.check_grad_b(lambda delta: delta)
    text = str(info.value)
    assert "sums the rows" in text and "average" not in text


def test_the_loss_is_never_a_plain_L_which_counts_the_layers():
    text = markdown()
    assert not re.search(r"\\partial L(?![a-zA-Z])", text)
    assert "\\mathcal{L} = \\frac{1}{m}" in text
    assert "(delta_next @ W_next.T)" in text


def test_the_hand_computed_numbers_match_the_library():
    """delta^2_11 = -0.0993, delta^1_11 = -0.0198, dL/dW^2_11 = -0.0048 on the lesson's 2-3-2 network."""
    x = np.array([[1.0, 2.0], [0.5, -1.0]])
    y = np.array([[1.0, 0.0], [0.0, 1.0]])
    W1 = np.array([[0.1, -0.2, 0.4], [0.3, 0.2, -0.1]])
    b1 = np.array([0.0, 0.1, -0.1])
    W2 = np.array([[0.5, -0.3], [-0.4, 0.2], [0.3, 0.6]])
    b2 = np.array([0.1, -0.1])
    z1, d1 = layers.dense_forward(x, W1, b1)
    a1, c1 = layers.activation_forward(z1, "sigmoid")
    z2, d2 = layers.dense_forward(a1, W2, b2)
    y_hat, c2 = layers.activation_forward(z2, "sigmoid")
    _, dloss = losses.mse(y_hat, y)
    delta2 = layers.activation_backward(dloss, c2)
    da1, dW2, _ = layers.dense_backward(delta2, d2)
    delta1 = layers.activation_backward(da1, c1)
    assert round(delta2[0, 0], 4) == -0.0993 and round(delta1[0, 0], 4) == -0.0198 and round(dW2[0, 0], 4) == -0.0048
    text = markdown()
    for number in ("-0.0993", "-0.0198", "-0.0048"):
        assert number in text


def test_the_sympy_note_says_layers_count_from_1_and_units_from_0():
    from backprop_lib.lessons.symbolic_net import symbolic_net
    net = symbolic_net((2, 3, 2), ("sigmoid", "sigmoid"))
    assert str(net.z[1][0]) == "z2_0" and str(net.W[1][0][1]) == "W2_0_1"
    assert "the layer counts from 1" in markdown()
