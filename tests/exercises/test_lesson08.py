"""Does lesson 08 say what its own cells compute, and do its checks catch the edge cases the course names?

Edge cases: a change of exactly ``tol`` (the rule is a strict ``<``), a NaN
as the only loss, an Adam step where some gradients are exactly 0 (only eps
divides), and step functions that share their memory between two arrays of
one shape (caught by the checks in the student's kernel).
"""
from __future__ import annotations

import re

import matplotlib
import nbformat
import numpy as np
import pytest

from autograder.mistakes import l08
from backprop_lib.checking.checks import CheckFailed
from backprop_lib.exercises import lesson08 as L
from backprop_lib.nn import optim

from lesson_notebook import read, run, source

matplotlib.use("Agg")
LESSON = "08_optimisers"


@pytest.fixture(scope="module")
def notebook() -> nbformat.NotebookNode:
    return read(LESSON)


def compiled(code: str, name: str):
    namespace = {"np": np}
    exec(code, namespace)  # noqa: S102 - trusted mistake code from this repo
    return namespace[name]


def test_do_batch_gradients_average_to_the_full_gradient_and_does_sorting_skew_them(notebook):
    ns = run(notebook, "batches")
    cos = ns["batch_cosines"]
    text = source(notebook, "minibatch-train-md")
    assert f"mean about {cos['shuffled'].mean():.2f}" in text and f"mean about {cos['sorted'].mean():.2f}" in text
    assert f"as low as {cos['sorted'].min():.2f}" in text
    assert cos["shuffled"].min() > 0.75 > cos["sorted"].min()


def test_are_mini_batches_ahead_at_every_epoch_as_the_text_says(notebook):
    losses = run(notebook, "batches", "minibatch-train")["epoch_losses"]
    assert np.all(losses[32] < losses[256])
    assert "ahead at every epoch" in source(notebook, "minibatch-after")


def test_does_an_array_with_zero_gradient_move_only_when_its_state_is_shared(notebook):
    ns = run(notebook, "per-array")
    assert np.all(ns["b"] != 0) and np.all(ns["b_shared"] != 0)   # the last run is the shared one
    a, b = np.zeros(3), np.zeros(3)
    adam = optim.Adam(lr=0.1)
    for _ in range(5):
        adam.step([a, b], [np.ones(3), np.zeros(3)])
    assert np.all(b == 0)


def test_is_the_loss_a_calligraphic_l_in_every_formula(notebook):
    text = "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")
    assert not re.search(r"(?<![\\\w])L(_\{?[kt\-]|\(\\theta|_\{\\text)", text)
    assert "lesson's sources" not in text


@pytest.mark.parametrize("mistake", l08.SHARED_BUFFERS, ids=lambda m: m.slug)
@pytest.mark.parametrize("hidden", [False, True])
def test_is_a_step_that_keeps_one_buffer_per_shape_caught_in_the_kernel(mistake, hidden):
    fn = compiled(mistake.code, mistake.task)
    with pytest.raises(CheckFailed) as info:
        getattr(L, f"check_{mistake.task}")(fn, rng=np.random.default_rng(5) if hidden else None)
    assert mistake.feedback in str(info.value)


def test_is_a_change_of_exactly_tol_not_a_plateau():
    for seed in range(20):
        losses, tol, _ = L._history(np.random.default_rng(seed), "boundary", hidden=True)
        assert abs(losses[-1] - losses[-2]) == tol
        assert L._stop_rule(losses, tol) is False
    assert L._stop_rule([float("nan")], 1e-3) is True


def test_does_the_reference_adam_survive_zero_gradients_and_a_rule_without_eps_not():
    def no_eps(theta, g, state, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
        t = state["t"] + 1
        m = beta1 * state["m"] + (1 - beta1) * g
        v = beta2 * state["v"] + (1 - beta2) * g * g
        return theta - lr * (m / (1 - beta1 ** t)) / np.sqrt(v / (1 - beta2 ** t)), {"m": m, "v": v, "t": t}

    with pytest.raises(CheckFailed, match="eps is missing"), np.errstate(all="ignore"):
        L.check_adam_step(no_eps)


def test_does_each_exercise_forbid_only_what_answers_it():
    assert L.FORBIDDEN_REFERENCES["should_stop"] == ("nn.optim.train",)
    for task, refs in L.TASK_REFERENCES.items():
        names = {f"{r.__module__}.{r.__qualname__}".removeprefix("backprop_lib.") for r in refs}
        assert names == set(L.FORBIDDEN_REFERENCES[task]), task


def test_do_the_eight_data_sets_give_the_quoted_average_accuracies(notebook):
    """The L2 demonstration's averages over data seeds 0-7 (about 15 s: too slow for the lesson's cell)."""
    from backprop_lib.nn import datasets, mlp

    def fit(x_train, y_train, weight_decay):
        params = mlp.init_params([2, 64, 64, 1], np.random.default_rng(7))
        arrays = [layer[k] for layer in params for k in ("W", "b")]
        adam = optim.Adam(lr=0.02, weight_decay=weight_decay)
        for _ in range(800):
            _, grads = mlp.loss_and_grads(params, x_train, y_train, "binary_cross_entropy_with_logits")
            adam.step(arrays, [grad[k] for grad in grads for k in ("W", "b")])
        return params

    def accuracy(params, x, y):
        return float(np.mean((mlp.forward(params, x)[0] > 0) == (y > 0.5)))

    test_acc, train_acc = {0.0: [], 0.01: [], 0.03: []}, []
    for seed in range(8):
        x_train, y_train = datasets.moons(np.random.default_rng(seed), 30, noise=0.35)
        x_test, y_test = datasets.moons(np.random.default_rng(1000 + seed), 2000, noise=0.35)
        for lam in test_acc:
            net = fit(x_train, y_train, lam)
            test_acc[lam].append(accuracy(net, x_test, y_test))
            if lam == 0.03:
                train_acc.append(accuracy(net, x_train, y_train))
    text = source(notebook, "cell-35")
    means = {lam: 100 * np.mean(v) for lam, v in test_acc.items()}
    found = re.search(r"(\d\d\.\d)% without and (\d\d\.\d)% with the\s+penalty \(and\s+(\d\d\.\d)%", text)
    quoted = [float(v) for v in found.groups()]
    assert [abs(means[lam] - q) <= 0.06 for lam, q in zip((0.0, 0.01, 0.03), quoted)] == [True] * 3
    assert f"{100 * np.mean(train_acc):.0f}% training accuracy" in text
