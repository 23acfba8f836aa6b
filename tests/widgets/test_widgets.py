"""The course's widgets: their pure compute functions, their static views, their ipywidgets shells,
and how they behave while the student's exercises are still stubs.

The arithmetic is judged against independent routes (closed forms, central
differences, the library's network and optimisers), never against numbers
copied from the widget itself.
"""
from __future__ import annotations

import base64
import itertools
import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import given, settings, strategies as st  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from backprop_lib.checking import gradcheck  # noqa: E402
from backprop_lib.pictures import loss_surfaces
from backprop_lib.nn import mlp, optim
from backprop_lib.lessons import xor
from backprop_lib.nn.losses import binary_cross_entropy_with_logits  # noqa: E402
from backprop_lib.widgets import (  # noqa: E402
    WIDGETS, BackpropStepper, ChainRuleExplorer, GraphPlayground, NeuronLossExplorer, OptimiserRace,
    StepSizeExplorer, VanishingGradientExplorer, XorTrainer)
from backprop_lib.widgets import backprop_stepper as bs  # noqa: E402
from backprop_lib.widgets import chain_rule as cr  # noqa: E402
from backprop_lib.widgets import graph_playground as gp  # noqa: E402
from backprop_lib.widgets import neuron_loss as nl  # noqa: E402
from backprop_lib.widgets import optimiser_race as race  # noqa: E402
from backprop_lib.widgets import step_size as ss  # noqa: E402
from backprop_lib.widgets import vanishing as van  # noqa: E402
from backprop_lib.widgets import xor_trainer as xt  # noqa: E402
from backprop_lib.widgets._core import ExerciseNotDone, call_exercise, panel  # noqa: E402

FEW = settings(deadline=None, max_examples=25)
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def stub(*args, **kwargs):
    """An exercise not done yet, as nbgrader's student version has it."""
    raise NotImplementedError("Exercise stub: replace this line with your code")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


# --- the shared machinery -----------------------------------------------------------------

def test_call_exercise_names_the_exercise_and_writes_nothing_to_stderr(capfd):
    with pytest.raises(ExerciseNotDone, match="Implement exercise 9 of lesson 99 first"):
        call_exercise(stub, "exercise 9 of lesson 99")

    def noisy(x):
        import sys
        import warnings
        print("debug", file=sys.stderr)
        warnings.warn("careful")
        return np.log(np.array([-1.0])) + x

    assert np.isnan(call_exercise(noisy, "exercise 1", 1.0)).all()
    with pytest.raises(ExerciseNotDone, match="raised ZeroDivisionError"):
        call_exercise(lambda: 1 / 0, "exercise 2")
    assert capfd.readouterr().err == ""


def test_a_reused_panel_keeps_its_axes_and_drops_its_artists():
    fig = Figure()
    ax = panel(fig, (0.1, 0.1, 0.8, 0.8))
    ax.plot([0, 1], [0, 1])
    ax.text(0.5, 0.5, "old")
    again = panel(fig, (0.1, 0.1, 0.8, 0.8))
    assert again is ax and len(fig.axes) == 1
    assert not ax.lines and not ax.texts
    assert panel(fig, (0.0, 0.0, 0.5, 0.5)) is not ax


# --- 1. step size ------------------------------------------------------------------------

@FEW
@given(function=st.sampled_from(sorted(ss.FUNCTIONS)), x=st.floats(-2.0, 2.0))
def test_step_size_errors_follow_truncation_and_roundoff(function, x):
    s = ss.step_size_state(function, x, 1e-5)
    fn = ss.FUNCTIONS[function]
    # the exact derivative is the table's, confirmed by a central difference
    assert s.exact == pytest.approx(float(gradcheck.central_difference(fn.f, x)), rel=1e-6, abs=1e-8)
    # forward differences at a large step are truncation-dominated: (f'' h / 2) within 20 %
    big = (s.steps > 1e-4) & (s.steps <= 1e-2)
    if abs(float(fn.d2(np.float64(x)))) > 0.5:
        assert np.allclose(s.forward_errors[big], s.truncation_forward[big], rtol=0.2)
    # tiny steps are round-off dominated (when f(x) is not 0): errors there exceed those at the best step
    if abs(float(fn.f(np.float64(x)))) > 0.1:
        assert s.forward_errors[s.steps < 1e-13].min() > 10 * s.forward_errors.min()
    assert s.steps.shape == s.forward_errors.shape == s.central_errors.shape == s.roundoff.shape


def test_step_size_central_beats_forward_and_marks_the_chosen_step():
    s = ss.step_size_state("sin", 1.0, 1e-5)
    assert abs(s.central_at_h - math.cos(1.0)) < 1e-9
    assert abs(s.forward_at_h - math.cos(1.0)) == pytest.approx(math.sin(1.0) * 1e-5 / 2, rel=0.05)
    assert s.central_errors.min() < s.forward_errors.min() / 100
    assert 1e-7 <= s.best_central <= 1e-4
    assert s.central_source == "library" and s.notes == ()


def test_step_size_uses_the_students_central_difference():
    def mine(f, x, h=1e-5):
        return (f(x + h) - f(x - h)) / (2 * h)

    def forward_instead(f, x, h=1e-5):
        return (f(x + h) - f(x)) / h

    lib = ss.step_size_state("exp", 0.5, 1e-4)
    good = ss.step_size_state("exp", 0.5, 1e-4, central_difference=mine)
    wrong = ss.step_size_state("exp", 0.5, 1e-4, central_difference=forward_instead)
    assert good.central_source == "yours"
    np.testing.assert_allclose(good.central_errors, lib.central_errors, rtol=1e-6, atol=1e-15)
    np.testing.assert_allclose(wrong.central_errors, lib.forward_errors, rtol=1e-6, atol=1e-15)


def test_step_size_with_a_stub_keeps_the_forward_curve_and_says_what_to_do():
    s = ss.step_size_state("sin", 1.0, 1e-5, central_difference=stub)
    assert np.isnan(s.central_errors).all() and np.isfinite(s.forward_errors).all()
    assert "Implement exercise 1 of lesson 01 (central_difference) first" in s.notes[0]


# --- 2. chain rule -----------------------------------------------------------------------

@pytest.mark.parametrize("f,g", list(itertools.product(sorted(cr.PIECES), repeat=2)))
def test_chain_rule_product_of_local_slopes_is_the_composites_slope(f, g):
    for x in (-0.7, 0.3, 1.1):
        s = cr.chain_rule_state(f, g, x)
        assert s.u == pytest.approx(float(cr.PIECES[g].f(x)))
        assert s.product == pytest.approx(s.numeric, rel=1e-6, abs=1e-8)
        assert s.xs.shape == s.g_xs.shape == s.y_xs.shape == (cr.N_POINTS,)
        assert s.us[0] < s.u < s.us[-1]


def test_chain_rule_with_the_students_composite_derivative():
    def mine(f_prime, g, g_prime):
        return lambda x: f_prime(g(x)) * g_prime(x)

    def forgot_inner(f_prime, g, g_prime):
        return lambda x: f_prime(x) * g_prime(x)

    s = cr.chain_rule_state("sin", "square", 1.2, composite_derivative=mine)
    assert s.student == pytest.approx(s.product, rel=1e-12)
    wrong = cr.chain_rule_state("sin", "square", 1.2, composite_derivative=forgot_inner)
    assert wrong.student != pytest.approx(wrong.product, rel=1e-3)
    pending = cr.chain_rule_state("sin", "square", 1.2, composite_derivative=stub)
    assert math.isnan(pending.student) and "exercise 3 of lesson 01" in pending.notes[0]
    returns_number = cr.chain_rule_state("sin", "square", 1.2, composite_derivative=lambda fp, g, gp: 3.0)
    assert "should return a function" in returns_number.notes[0] or "raised" in returns_number.notes[0]


# --- 3. graph playground -------------------------------------------------------------------

@FEW
@given(w=st.floats(-3, 3), x=st.floats(-3, 3), b=st.floats(-3, 3), y=st.floats(-3, 3))
def test_graph_gradients_are_those_of_the_squared_error(w, x, b, y):
    s = gp.graph_state(w, x, b, y, step=gp.n_steps())
    e = w * x + b - y
    expected = {"L": 1.0, "r": 2 * e, "p": 2 * e, "z": 2 * e, "b": 2 * e, "y": -2 * e, "w": 2 * e * x, "x": 2 * e * w}
    for label, value in expected.items():
        assert s.grads[label] == pytest.approx(value, rel=1e-9, abs=1e-9), label
    assert s.values["L"] == pytest.approx(e * e, rel=1e-12, abs=1e-12)
    assert s.phase == "done" and s.grad_shown == frozenset(expected)


def test_graph_reveals_forward_then_backward_one_node_at_a_time():
    total = gp.n_steps()
    assert total == 4 + 8
    start = gp.graph_state(step=0)
    assert start.value_shown == frozenset(gp.LEAVES) and not start.grad_shown and start.phase == "start"
    seen_values, seen_grads = [], []
    for step in range(1, total + 1):
        s = gp.graph_state(step=step)
        new_values = s.value_shown - gp.graph_state(step=step - 1).value_shown
        new_grads = s.grad_shown - gp.graph_state(step=step - 1).grad_shown
        assert len(new_values) + len(new_grads) == 1, "one node per step"
        assert {s.current} == new_values | new_grads
        seen_values += sorted(new_values)
        seen_grads += sorted(new_grads)
    assert seen_values == ["z", "p", "r", "L"], "forward: left to right, named as in lesson 02's text"
    assert seen_grads[0] == "L" and seen_grads.index("r") < seen_grads.index("p") < seen_grads.index("w")
    assert gp.graph_state(step=99).step == total and gp.graph_state(step=-3).step == 0
    assert "dL/dp = dL/dr · dr/dp = 6 · 1 = 6" in gp.graph_state(2.0, 3.0, 1.0, 4.0, step=7).explanation


def test_graph_with_the_students_backward_pass():
    def mine(order, local_grads):
        order[-1].grad = 1.0
        for node in reversed(order):
            for parent, d in zip(node.parents, local_grads(node)):
                parent.grad += d * node.grad

    lib = gp.graph_state(1.5, -2.0, 0.5, 1.0, step=12)
    yours = gp.graph_state(1.5, -2.0, 0.5, 1.0, step=12, backward_pass=mine)
    assert yours.grads_from == "yours" and yours.grads == pytest.approx(lib.grads)
    pending = gp.graph_state(step=6, backward_pass=stub)
    assert pending.grads == gp.graph_state(step=6).grads
    assert pending.grads_from == "library", "until exercise 5 is done the library's gradients stand in"
    assert "exercise 5 of lesson 02 (backward_pass)" in pending.notes[0] and "library's" in pending.notes[0]
    assert "?" not in pending.explanation


# --- 4. one neuron: MSE vs cross-entropy ------------------------------------------------------

@pytest.mark.parametrize("y", [0.0, 1.0])
def test_neuron_gradients_match_finite_differences_of_the_losses(y):
    s = nl.neuron_loss_state(w=1.0, y=y)
    z = s.z_grid
    mse = lambda t: (nl._sigmoid(t) - y) ** 2  # noqa: E731
    bce = lambda t: nl._losses(t, y)[1]  # noqa: E731
    np.testing.assert_allclose(s.delta_mse, gradcheck.central_difference(mse, z), atol=1e-8)
    np.testing.assert_allclose(s.delta_bce, gradcheck.central_difference(bce, z), atol=1e-8)
    # the library's loss on logits agrees with the widget's BCE
    assert binary_cross_entropy_with_logits(z[:, None], np.full((len(z), 1), y))[0] == pytest.approx(s.bce.mean())


def test_a_saturated_wrong_neuron_learns_with_bce_not_with_mse():
    s = nl.neuron_loss_state(w=-7.0, y=1.0)
    assert s.z == -7.0 and s.y_hat < 0.001
    assert abs(s.delta_mse_at_z) < 0.01
    assert abs(s.delta_bce_at_z) > 0.99


def test_neuron_with_the_students_bce_delta():
    def mine(z, y):
        return (1 / (1 + np.exp(-z)) - y) / len(z)

    lib = nl.neuron_loss_state(w=2.0, y=0.0)
    yours = nl.neuron_loss_state(w=2.0, y=0.0, bce_delta=mine)
    assert yours.bce_source == "yours"
    np.testing.assert_allclose(yours.delta_bce, lib.delta_bce, atol=1e-12)
    assert yours.delta_bce_at_z == pytest.approx(lib.delta_bce_at_z)
    pending = nl.neuron_loss_state(bce_delta=stub)
    assert pending.bce_source == "library", "until exercise 3 is done the library's curve stands in"
    np.testing.assert_allclose(pending.delta_bce, nl.neuron_loss_state().delta_bce)
    assert "exercise 3 of lesson 03" in pending.notes[0] and "library's" in pending.notes[0]
    scalar = nl.neuron_loss_state(bce_delta=lambda z, y: 0.5)
    assert "returned 1 values" in scalar.notes[0]


# --- 5. backprop stepper ---------------------------------------------------------------------

def test_stepper_gradients_are_the_library_networks():
    s = bs.stepper_state(4, seed=3)
    x, y, params = bs.batch(3)
    loss, grads = mlp.loss_and_grads(params, x, y, binary_cross_entropy_with_logits, ["relu", "identity"])
    assert s.available == 4 and s.agrees == {1: True, 2: True, 3: True, 4: True}
    np.testing.assert_allclose(s.arrays["dW1"], grads[0]["W"], atol=1e-12)
    np.testing.assert_allclose(s.arrays["db1"], grads[0]["b"], atol=1e-12)
    np.testing.assert_allclose(s.arrays["dW2"], grads[1]["W"], atol=1e-12)
    np.testing.assert_allclose(s.arrays["db2"], grads[1]["b"], atol=1e-12)
    assert s.loss == pytest.approx(loss)
    shapes = {"z1": (4, 3), "a1": (4, 3), "delta1": (4, 3), "dW1": (2, 3), "z2": (4, 1), "a2": (4, 1),
              "delta2": (4, 1), "dW2": (3, 1)}
    assert {k: s.arrays[k].shape for k in shapes} == shapes


def test_stepper_reveals_a_layer_per_step():
    for step, present in enumerate([(), ("z1", "a1"), ("z2", "a2"), ("delta2", "dW2"), ("delta1", "dW1")]):
        s = bs.stepper_state(step)
        visible = s.visible()
        for name in present:
            assert name in visible
        later = [n for names in bs.STAGE_ARRAYS.values() for n in names if bs.STAGE_OF[n] > step]
        assert not any(n in visible for n in later)
        assert s.available == 4, "every stage is computed at once; the step only reveals"


def test_stepper_with_the_students_layers():
    def dense_forward(x, W, b):
        return x @ W + b, (x, W, b)

    def dense_backward(dout, cache):
        x, W, b = cache
        return dout @ W.T, x.T @ dout, dout.sum(axis=0)

    def relu_backward(dout, z):
        return dout * (z > 0)

    def transposed_dW(dout, cache):
        x, W, b = cache
        return dout @ W.T, (x.T @ dout).T, dout.sum(axis=0)

    good = bs.stepper_state(4, dense_forward=dense_forward, dense_backward=dense_backward, relu_backward=relu_backward)
    assert good.agrees == {1: True, 2: True, 3: True, 4: True} and set(good.sources.values()) == {"yours"}
    wrong = bs.stepper_state(4, dense_backward=transposed_dW)
    assert wrong.agrees[3] is False
    pending = bs.stepper_state(0, dense_backward=stub)
    assert pending.available == 2 and "exercise 2 of lesson 05 (dense_backward)" in pending.notes[0]
    nothing = bs.stepper_state(4, dense_forward=stub)
    assert nothing.available == 0 and "exercise 1 of lesson 05" in nothing.notes[0]


# --- 6. XOR trainer ------------------------------------------------------------------------

def test_xor_training_in_chunks_equals_training_in_one_go():
    recipe = xor.Recipe(hidden=3, init="symmetric", lr=0.5, loss="bce", epochs=0)
    run = xt.XorTraining(recipe, seed=7, every=25)
    params = run.params_at(300)
    whole = xor.train_many([7], xor.Recipe(hidden=3, init="symmetric", lr=0.5, loss="bce", epochs=300),
                           record_every=1)
    for mine, theirs in zip(params, whole.params):
        np.testing.assert_allclose(mine, theirs[0], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(run.loss_curve(299), whole.loss_history[0, :300], rtol=1e-12)
    assert run.trained == 300 and len(run.snapshots) == 13
    assert run.params_at(100) is run.snapshots[4], "going back costs no training"


def test_xor_state_is_cached_and_rounded_to_snapshots():
    a = xt.xor_state(2, "uniform", 0.5, "mse", seed=1, epoch=1030)
    assert a.epoch == 1000 and a.losses.shape == (1001,) and a.y_hat.shape == (4,)
    assert a.p.shape == (xt.GRID, xt.GRID) and ((0 <= a.p) & (a.p <= 1)).all()
    recipe = xor.Recipe(hidden=2, init="uniform", lr=0.5, loss="mse", epochs=0)
    assert xt.training(recipe, 1) is xt.training(recipe, 1)
    solved = xt.xor_state(8, "symmetric", 1.0, "bce", seed=0, epoch=2000)
    assert solved.solved and solved.losses[-1] < solved.losses[0]


def test_seed_sweep_counts_the_networks_that_solve_xor():
    sweep = xt.seed_sweep_state(2, "uniform", 0.5, "mse", n_seeds=12, epochs=800)
    run = xor.train_many(range(12), xor.Recipe(hidden=2, init="uniform", lr=0.5, loss="mse", epochs=800))
    assert sweep.n_solved == int(run.solved.sum()) and sweep.seeds.tolist() == list(range(12))


# --- 7. vanishing gradients -------------------------------------------------------------------

def test_sigmoid_gradients_vanish_with_depth_and_relu_he_keeps_them():
    deep_sigmoid = van.gradient_norms_state(20, "sigmoid", "xavier")
    assert deep_sigmoid.grad_norms.shape == (20,) and deep_sigmoid.ratio < 1e-4
    relu_he = van.gradient_norms_state(20, "relu", "he")
    assert 1e-2 < relu_he.ratio < 1e2
    tanh_big = van.gradient_norms_state(20, "tanh", "normal 1")
    assert tanh_big.signal_std[-1] > 0.5, "a too-large init saturates tanh"


def test_gradient_norms_are_the_library_networks():
    s = van.gradient_norms_state(6, "tanh", "xavier", width=8, seed=2, m=16)
    rng = np.random.default_rng(2)
    params = van.init_params([8] * 6 + [1], rng, "xavier")
    x, y = rng.standard_normal((16, 8)), rng.standard_normal((16, 1))
    _, grads = mlp.loss_and_grads(params, x, y, "mse", ["tanh"] * 5 + ["identity"])
    np.testing.assert_allclose(s.grad_norms, [np.linalg.norm(g["W"]) for g in grads], rtol=1e-12)


def test_gradient_norms_with_the_students_lesson_07_functions():
    def layer_grad_norms(grads):
        return np.array([np.sqrt(np.sum(g["W"] ** 2)) for g in grads])

    def xavier_init(n_in, n_out, rng):
        return rng.normal(0.0, np.sqrt(2.0 / (n_in + n_out)), size=(n_in, n_out))

    def he_init(n_in, n_out, rng):
        return rng.normal(0.0, np.sqrt(2.0 / n_in), size=(n_in, n_out))

    lib = van.gradient_norms_state(8, "tanh", "xavier", seed=4)
    yours = van.gradient_norms_state(8, "tanh", "xavier", seed=4, layer_grad_norms=layer_grad_norms,
                                     xavier_init=xavier_init)
    np.testing.assert_allclose(yours.grad_norms, lib.grad_norms, rtol=1e-12)
    relu = van.gradient_norms_state(20, "relu", "he", he_init=he_init)
    assert 1e-2 < relu.ratio < 1e2
    for kwargs, words in (({"layer_grad_norms": stub}, "exercise 2 of lesson 07 (layer_grad_norms)"),
                          ({"xavier_init": stub}, "exercise 3 of lesson 07 (xavier_init)"),
                          ({"xavier_init": lambda n_in, n_out, rng: np.zeros((n_out, n_in)) if n_in != n_out
                            else np.zeros((n_in, n_out + 1))}, "expected")):
        pending = van.gradient_norms_state(6, init="xavier", **kwargs)
        assert np.isnan(pending.grad_norms).all() and words in pending.notes[0]
    assert van.gradient_norms_state(6, init="he", xavier_init=stub).notes == (), "only the chosen init is used"


# --- 8. optimiser race ---------------------------------------------------------------------

def test_race_runs_the_library_optimisers():
    s = race.race_state("bowl", lr=0.05, adam_lr=0.2, beta=0.8, steps=30)
    surface = loss_surfaces.elongated_quadratic()
    np.testing.assert_allclose(s.paths["SGD"], loss_surfaces.run_optimizer(surface, optim.SGD(lr=0.05), 30))
    np.testing.assert_allclose(s.paths["Adam"], loss_surfaces.run_optimizer(surface, optim.Adam(lr=0.2), 30))
    assert s.losses["momentum"].shape == (31,) and s.losses["SGD"][-1] < s.losses["SGD"][0]


def test_race_with_the_students_step_functions():
    def sgd_step(theta, g, state, lr):
        return theta - lr * g, state

    def momentum_step(theta, g, state, lr, beta=0.9):
        v = beta * state["v"] + g
        return theta - lr * v, {"v": v}

    def adam_step(theta, g, state, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
        t = state["t"] + 1
        m = beta1 * state["m"] + (1 - beta1) * g
        v = beta2 * state["v"] + (1 - beta2) * g * g
        return theta - lr * (m / (1 - beta1 ** t)) / (np.sqrt(v / (1 - beta2 ** t)) + eps), {"m": m, "v": v, "t": t}

    lib = race.race_state("rosenbrock", lr=1e-3, adam_lr=0.05, steps=40)
    yours = race.race_state("rosenbrock", lr=1e-3, adam_lr=0.05, steps=40, sgd_step=sgd_step,
                            momentum_step=momentum_step, adam_step=adam_step)
    for name in race.NAMES:
        np.testing.assert_allclose(yours.paths[name], lib.paths[name], rtol=1e-9, atol=1e-12)
    partial = race.race_state(sgd_step=stub, momentum_step=momentum_step)
    assert set(partial.paths) == {"momentum", "Adam"}
    assert "exercise 1 of lesson 08 (sgd_step)" in partial.notes[0]


# --- static views ----------------------------------------------------------------------------

STATIC_VIEWS = [
    (lambda: ss.step_size_state(), ss.step_size_figure, 2),
    (lambda: cr.chain_rule_state(), cr.chain_rule_figure, 3),
    (lambda: gp.graph_state(step=7), gp.graph_figure, 1),
    (lambda: nl.neuron_loss_state(), nl.neuron_loss_figure, 3),
    (lambda: bs.stepper_state(4), bs.stepper_figure, 8),
    (lambda: xt.xor_state(epoch=200), xt.xor_figure, 2),
    (lambda: xt.seed_sweep_state(n_seeds=10, epochs=100), xt.seed_sweep_figure, 1),
    (lambda: van.gradient_norms_state(), van.gradient_norms_figure, 2),
    (lambda: race.race_state(), race.race_figure, 2),
]


@pytest.mark.parametrize("make_state,figure,n_axes", STATIC_VIEWS)
def test_each_static_view_is_a_pyplot_figure_of_its_state(make_state, figure, n_axes):
    fig = figure(make_state())
    assert fig in [plt.figure(n) for n in plt.get_fignums()], "made with pyplot, so plt.show() shows it"
    assert len(fig.axes) == n_axes
    assert any(ax.has_data() for ax in fig.axes) or any(ax.texts for ax in fig.axes)


def test_static_views_show_what_is_missing():
    fig = gp.graph_figure(gp.graph_state(step=8, backward_pass=stub))
    texts = [t.get_text() for t in fig.texts] + [t.get_text() for ax in fig.axes for t in ax.texts]
    assert any("Implement exercise 5 of lesson 02" in t for t in texts)
    fig = bs.stepper_figure(bs.stepper_state(4, dense_backward=stub))
    assert sum(ax.get_title().startswith(("delta", "dW")) and any("cannot be computed yet" in t.get_text() for t in ax.texts)
               for ax in fig.axes) == 4


# --- the ipywidgets shells ---------------------------------------------------------------------

SHELLS = {
    "StepSizeExplorer": (lambda: StepSizeExplorer(), "log10_h", -8.0),
    "ChainRuleExplorer": (lambda: ChainRuleExplorer(), "x", 0.4),
    "GraphPlayground": (lambda: GraphPlayground(), "step", 5),
    "NeuronLossExplorer": (lambda: NeuronLossExplorer(), "w", 2.0),
    "BackpropStepper": (lambda: BackpropStepper(), "step", 3),
    "XorTrainer": (lambda: XorTrainer(), "epoch", 500),
    "VanishingGradientExplorer": (lambda: VanishingGradientExplorer(), "depth", 5),
    "OptimiserRace": (lambda: OptimiserRace(), "surface_name", "rosenbrock"),
}


def test_every_widget_has_a_shell_test():
    assert set(SHELLS) == set(WIDGETS)


@pytest.mark.parametrize("name", sorted(SHELLS))
def test_moving_a_control_redraws_the_picture(name, capfd):
    make, control, value = SHELLS[name]
    w = make()
    assert w.last_error == "" and w.last_png.startswith(PNG_MAGIC)
    assert w.image.value == w.last_png
    before = w.last_png
    w.controls[control].value = value
    assert w.last_error == "" and w.last_png != before
    bundle = w._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert base64.b64decode(bundle["image/png"]) == w.last_png, "viewers without a kernel get the picture"
    fig = w.static_figure()
    assert fig in [plt.figure(n) for n in plt.get_fignums()]
    assert "backprop-widget" in w.ui._dom_classes
    assert capfd.readouterr().err == ""


def test_graph_playground_buttons():
    w = GraphPlayground()
    step = w.controls["step"]
    assert step.value == step.max and w.next_button.disabled, "it opens on the whole graph, filled in"
    w.back_button.click()
    assert step.value == step.max - 1, "'step back' (the left arrow) moves back"
    w.reset_button.click()
    assert step.value == 0 and w.back_button.disabled and not w.next_button.disabled
    for k in range(1, step.max + 1):
        w.next_button.click()
        assert step.value == k, "'next step' moves on, through the forward pass and then the backward pass"
    w.next_button.click()
    assert step.value == step.max and w.next_button.disabled
    assert w.back_button.description == "step back" and w.back_button.icon == "arrow-left"


@pytest.mark.parametrize("view", ["step_size", "chain_rule", "graph", "neuron_loss"])
def test_a_static_view_before_the_exercise_is_done_shows_no_missing_value_and_no_note_over_a_text(view):
    """What a viewer without a kernel sees of lessons 01-03's widgets: no 'nan', no '?', notes below every text."""
    fig = {"step_size": lambda: ss.step_size_figure(ss.step_size_state(central_difference=stub)),
           "chain_rule": lambda: cr.chain_rule_figure(cr.chain_rule_state(composite_derivative=stub)),
           "graph": lambda: GraphPlayground(backward_pass=stub).static_figure(),
           "neuron_loss": lambda: nl.neuron_loss_figure(nl.neuron_loss_state(bce_delta=stub))}[view]()
    fig.canvas.draw()
    texts = [t for t in fig.texts] + [t for ax in fig.axes for t in ax.texts] + [ax.title for ax in fig.axes]
    words = " ".join(t.get_text() for t in texts)
    assert "nan" not in words.lower().split() and "+nan" not in words and "?" not in words
    note = [t for t in fig.texts if "Implement" in t.get_text()]
    assert len(note) == 1
    box = note[0].get_window_extent()
    for t in texts:
        if t is not note[0] and t.get_text().strip():
            assert not box.overlaps(t.get_window_extent()), f"the note covers {t.get_text()!r}"


def test_stepper_buttons_and_xor_sweep():
    w = BackpropStepper()
    w.next_button.click()
    w.next_button.click()
    assert w.controls["step"].value == 2
    w.previous_button.click()
    assert w.controls["step"].value == 1
    t = XorTrainer()
    t.n_seeds.value = 10
    t.run_sweep()
    assert t.sweep is not None and len(t.sweep.seeds) == 10
    assert bytes(t.sweep_image.value).startswith(PNG_MAGIC) and t.sweep_message.value == ""
    assert t.sweep_figure().axes


STUBBED = {
    "StepSizeExplorer": (lambda: StepSizeExplorer(central_difference=stub), "exercise 1 of lesson 01", True),
    "ChainRuleExplorer": (lambda: ChainRuleExplorer(composite_derivative=stub), "exercise 3 of lesson 01", True),
    "GraphPlayground": (lambda: GraphPlayground(backward_pass=stub), "exercise 5 of lesson 02", True),
    "NeuronLossExplorer": (lambda: NeuronLossExplorer(bce_delta=stub), "exercise 3 of lesson 03", True),
    "BackpropStepper": (lambda: BackpropStepper(dense_forward=stub), "exercise 1 of lesson 05", True),
    "VanishingGradientExplorer": (lambda: VanishingGradientExplorer(layer_grad_norms=stub), "exercise 2 of lesson 07",
                                  True),
    "OptimiserRace": (lambda: OptimiserRace(sgd_step=stub, momentum_step=stub, adam_step=stub),
                      "exercise 3 of lesson 08", True),
}


@pytest.mark.parametrize("name", sorted(STUBBED))
def test_with_exercises_not_done_a_widget_says_so_without_a_traceback(name, capfd):
    make, words, _ = STUBBED[name]
    w = make()
    assert "Implement" in w.message.value and words in w.message.value
    assert "Traceback" not in w.message.value and w.last_error == ""
    first = next(iter(w.controls))
    control = w.controls[first]
    options = getattr(control, "options", None)
    control.value = (options[-1][1] if isinstance(options[-1], tuple) else options[-1]) if options else control.max
    assert "Implement" in w.message.value
    assert w.static_figure().axes
    out = capfd.readouterr()
    assert out.err == "" and "Traceback" not in out.out


def test_a_failing_widget_shows_a_message_instead_of_the_picture(capfd):
    w = StepSizeExplorer()

    def broken(**values):
        raise ValueError("boom")

    w.compute = broken
    w.refresh()
    assert "could not update: ValueError: boom" in w.message.value
    assert w.image.layout.display == "none" and w.last_error
    fig = w.static_figure()
    assert any("boom" in t.get_text() for ax in fig.axes for t in ax.texts)
    assert capfd.readouterr().err == ""


def test_exported_html_shows_the_picture_of_a_widget():
    """nbviewer and nbconvert's HTML have no kernel: they fall back to the PNG the widget carries."""
    import nbformat
    from nbconvert import HTMLExporter

    w = NeuronLossExplorer()
    output = nbformat.v4.new_output("display_data", data=w._repr_mimebundle_())
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("NeuronLossExplorer()", outputs=[output])])
    html, _ = HTMLExporter().from_notebook_node(nb)
    assert "data:image/png;base64," + base64.b64encode(w.last_png).decode()[:200] in html
