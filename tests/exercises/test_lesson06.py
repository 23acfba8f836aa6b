"""Lesson 06: are the XOR lesson's claims what its code computes, and do its pictures and checks agree?"""
from __future__ import annotations

import re

import numpy as np
import pytest

from autograder.mistakes import l06
from backprop_lib.checking.checks import CheckFailed
from backprop_lib.exercises import lesson06
from backprop_lib.lessons import xor, xor_net
from backprop_lib.nn.datasets import xor as xor_data
from backprop_lib.widgets import xor_trainer

from lesson_notebook import markdown as lesson_markdown, read

LESSON = "06_xor"


def markdown() -> str:
    return lesson_markdown(read(LESSON))


def test_the_biases_have_the_course_shape_and_their_gradients_too():
    params = xor_net.init(0, xor.Recipe(hidden=3))
    assert params["b1"].shape == (3,) and params["b2"].shape == (1,)
    x, y = xor_data()
    y_hat, cache = xor_net.forward(params, x)
    grads = xor_net.backward(params, cache, y)
    assert {k: g.shape for k, g in grads.items()} == {k: p.shape for k, p in params.items()}
    assert "keepdims=True" not in markdown().replace("`keepdims=True` gives", "")


def test_one_seed_gives_the_same_network_alone_and_in_a_stack():
    alone = xor_net.init(7)
    stack = xor.init_stack([3, 7])
    assert np.array_equal(xor_net.as_dict(xor.XorParams(*(p[1] for p in stack)))["b1"], alone["b1"])


def test_the_worked_example_numbers_are_computed():
    x, y = xor_data()
    p = xor_net.init(0)
    y_hat, cache = xor_net.forward(p, x)
    delta2 = (y_hat - y) * y_hat * (1 - y_hat)
    assert round(float(y_hat[0, 0]), 4) == 0.8152 and round(float(delta2[0, 0]), 4) == 0.1228
    assert round(float(xor_net.backward(p, cache, y)["b2"][0]), 4) == 0.1879


def test_the_two_sign_conventions_make_the_same_step():
    x, y = xor_data()
    p = xor_net.init(0)
    y_hat, (_, a1, _) = xor_net.forward(p, x)
    ours = p["W2"] - 0.1 * a1.T @ ((y_hat - y) * y_hat * (1 - y_hat))
    theirs = p["W2"] + 0.1 * a1.T @ ((y - y_hat) * y_hat * (1 - y_hat))
    assert np.allclose(ours, theirs, rtol=0, atol=1e-15)


def test_stuck_networks_sit_on_a_plateau_not_in_a_local_minimum():
    """The text: failing seeds trained to 10**5 epochs keep lowering their loss, the gradient falls about
    like 1/epoch, the weights grow, and a few escape."""
    failed = xor_net.epochs_to_solve(range(100), xor.Recipe()).unsolved_seeds
    run = xor.long_run(failed, xor.Recipe(epochs=100_000))
    i4, i5 = list(run.epochs).index(10_000), list(run.epochs).index(100_000)
    stuck = ~run.solved[:, -1]
    assert 0 < (~stuck).sum() < len(failed)
    assert np.all(run.loss[stuck, i5] < run.loss[stuck, i4])
    assert np.all(run.weight_norm[stuck, i5] > run.weight_norm[stuck, i4])
    i45 = int(np.argmin(np.abs(run.epochs - 31_623)))
    slope = np.log(run.grad_norm[stuck, i5] / run.grad_norm[stuck, i45]) / np.log(run.epochs[i5] / run.epochs[i45])
    assert np.all((-1.4 < slope) & (slope < -0.8))
    text = markdown()
    assert "every small step\nmakes the loss worse" not in text and "asymptotic plateau" in text


def test_the_recipe_hint_speaks_of_a_plateau_not_a_local_minimum():
    hints = " ".join(lesson06.recipe_hints(xor.Recipe(hidden=2, init="symmetric", lr=1.0, loss="bce", epochs=500)))
    assert "plateau" in hints and "local minimum" not in hints


def test_the_widget_and_the_static_pictures_share_colours_and_markers():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    state = xor_trainer.xor_state(epoch=0)
    xor_trainer.draw_boundary(ax, state.g1, state.g2, state.p, state.y_hat)
    widget = {t.get_text() for t in ax.get_legend().get_texts()}
    assert ax.images[0].get_cmap().name == xor_net.CMAP
    fig2, axes = plt.subplots(1, 1, squeeze=False)
    xor_net.plot_decision_snapshots([(0, xor_net.init(0))], axes=axes[0])
    static = {t.get_text() for t in axes[0][0].get_legend().get_texts()}
    assert widget == static == {"target 0", "target 1", "wrong side of 0.5"}
    plt.close(fig)
    plt.close(fig2)


def test_a_training_loop_that_stops_early_is_told_so_not_about_sum_axes():
    early = next(m for m in l06.MISTAKES if m.task == "train" and m.slug == "returns-early")
    namespace = {"np": np}
    exec(early.code, namespace)  # noqa: S102 - trusted mistake code from this repo
    with pytest.raises(CheckFailed) as info:
        lesson06.check_train(namespace["train"])
    assert "stop early" in str(info.value) and "axis" not in str(info.value)


def test_the_failure_rate_of_the_classic_recipe_is_computed_not_quoted():
    """The lesson states how often the classic recipe fails through a cell that trains seeds 0..999."""
    nb = read(LESSON)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "xor_net.epochs_to_solve(range(1000), Recipe(), stop_when_all_solved=False)" in code
    assert not re.search(r"\b(978|4500|2600)\b", markdown())


