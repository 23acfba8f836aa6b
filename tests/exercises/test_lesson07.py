"""Does lesson 07 say what its own cells compute, and do its checks catch the edge cases it names?

The numbers the text quotes (per-layer factors of sigmoid networks, how far
ReLU with Xavier falls below He, the equal-weights demonstration) come from
cells of the solution notebook; these tests run those cells and read the
quoted numbers out of the markdown, so the two cannot drift apart.
"""
from __future__ import annotations

import re

import matplotlib
import nbformat
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from backprop_lib.checking.checks import CheckFailed
from backprop_lib.exercises import lesson07 as L
from backprop_lib.lessons import grad_flow

from lesson_notebook import markdown, read, run, source

matplotlib.use("Agg")
LESSON = "07_vanishing"


@pytest.fixture(scope="module")
def notebook() -> nbformat.NotebookNode:
    return read(LESSON)


def test_are_the_quoted_sigmoid_factors_the_ones_the_cell_measures(notebook):
    factors = run(notebook, "sigmoid-factors")["sigmoid_factors"]
    text = source(notebook, "cell-18")
    quoted = [float(v) for v in re.findall(r"about (0\.\d\d) with Xavier, (0\.\d\d) with Xavier weights times 4, "
                                           r"and (0\.\d\d) with standard normal", text)[0]]
    assert [round(factors[k], 2) for k in ("Xavier", "Xavier x 4", "N(0, 1)")] == quoted


def test_does_the_lesson_no_longer_promise_a_factor_4_whatever_the_init(notebook):
    text = markdown(notebook)
    assert "whatever the init" not in text
    assert "makes gradients shrink at least fourfold per sigmoid layer" not in text
    assert r"|w| \le 1" in source(notebook, "cell-01")


def test_does_the_relu_xavier_level_fall_like_two_to_the_minus_half_depth(notebook):
    ns = run(notebook, "relu-xavier-level")
    assert 0.4 < ns["slope"] < 0.6                      # 2^(L/2), not 2^L (slope 1)
    ratio = dict(zip(ns["relu_depths"].tolist(), ns["he_over_xavier"]))
    answers = markdown(notebook)
    assert "about 140 times below He's with\n   12 hidden layers and about 3,000 times with 20" in answers
    assert round(ratio[12], -1) == 140 and round(ratio[20], -3) == 3000
    assert "2^{-L}$ times too small" not in answers


def test_do_equal_initial_weights_stay_equal_and_random_ones_move_apart(notebook):
    spread = run(notebook, "symmetry")["unit_spread"]
    assert spread["all weights 0.5"] == 0.0
    assert spread["Xavier"] > 0.1


def test_does_the_w6_chain_grow_one_and_a_half_times_per_layer():
    for depth in (5, 10):
        grad = float(grad_flow.chain_gradient(0.5, [6.0] * depth, [-3.0] * depth))
        assert grad == pytest.approx(1.5 ** depth, rel=1e-12)


@settings(max_examples=200, deadline=None)
@given(depth=st.integers(1, 12), seed=st.integers(0, 2**32 - 1))
def test_is_the_chain_bound_the_product_of_abs_w_over_four(depth, seed):
    rng = np.random.default_rng(seed)
    w, b = rng.uniform(-8, 8, depth), rng.normal(0, 2, depth)
    a0 = rng.uniform(-3, 3, 5)
    assert np.all(np.abs(grad_flow.chain_gradient(a0, w, b)) <= np.prod(np.abs(w) / 4) * (1 + 1e-12))


def test_does_a_clip_that_divides_by_a_zero_norm_get_told_so():
    def divides(grads, max_norm):
        norm = np.sqrt(sum(np.sum(g["W"] ** 2) + np.sum(g["b"] ** 2) for g in grads))
        return [{k: v / norm * min(norm, max_norm) for k, v in g.items()} for g in grads]

    for rng in (None, np.random.default_rng(3)):
        with pytest.raises(CheckFailed, match=r"0 / 0 = NaN"), np.errstate(all="ignore"):
            L.check_clip_by_norm(divides, rng=rng)


def test_may_chain_gradient_use_the_librarys_sigmoid_prime_but_not_its_chain_gradient():
    assert L.FORBIDDEN_REFERENCES["chain_gradient"] == ("lessons.grad_flow.chain_gradient",)
    with pytest.raises(CheckFailed, match="instead of computing the answer itself"):
        L.check_chain_gradient(lambda a0, w, b: grad_flow.chain_gradient(a0, w, b))


def test_do_the_exploding_and_clipping_numbers_match_the_lessons_cells(notebook):
    from backprop_lib.nn import mlp

    x, y = grad_flow.moons_batch()
    norms = {}
    for depth in (4, 12, 20):
        params, acts = grad_flow.deep_params("relu", "he", gain=1.5, depth=depth)
        norms[depth] = grad_flow.global_norm(mlp.loss_and_grads(params, x, y, "binary_cross_entropy_with_logits",
                                                                acts)[1])
    assert round(norms[20] / norms[4], -1) == 760 and round(norms[12], -1) == 240
    text = source(notebook, "cell-29")
    assert "grows about 760 times, close to $1.5^{16} \\approx 660$" in text and "it is about 240" in text
    level = np.exp(np.mean(np.log(grad_flow.deep_grad_norms("relu", "he", gain=1.5)
                                  / grad_flow.deep_grad_norms("relu", "he"))))
    assert 200 < level < 300 and "about 250 times higher than He" in source(notebook, "cell-18")
    unclipped, _ = grad_flow.train_deep("relu", "he", gain=1.5, lr=0.05, steps=100)
    clipped, _ = grad_flow.train_deep("relu", "he", gain=1.5, lr=0.05, steps=100, max_norm=1.0)
    assert 1e84 <= unclipped[3] < 1e85 and not np.isfinite(unclipped[4])
    assert round(clipped[0]) == 17 and clipped[-1] < 1
