"""Lesson 07's gradient-flow helpers: the sigmoid chain, norms, initialisation, clipping, deep networks."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import sympy as sp  # noqa: E402
from hypothesis import given, settings, strategies as st  # noqa: E402

from backprop_lib.checking import gradcheck  # noqa: E402
from backprop_lib.lessons import grad_flow
from backprop_lib.nn import mlp
from backprop_lib.checking.symbolic import sigmoid as sym_sigmoid  # noqa: E402

FEW = settings(deadline=None, max_examples=15)


@FEW
@given(seed=st.integers(0, 10**6), depth=st.integers(1, 6))
def test_the_chain_gradient_matches_sympy_and_respects_its_bound(seed, depth):
    rng = np.random.default_rng(seed)
    w, b, a0 = rng.uniform(-4, 4, depth), rng.normal(0, 1, depth), rng.uniform(-2, 2, 3)
    s = sp.Symbol("s", real=True)
    expr = s
    for wl, bl in zip(w, b):
        expr = sym_sigmoid(sp.Float(wl) * expr + sp.Float(bl))
    exact = sp.lambdify(s, sp.diff(expr, s), "numpy")(a0)
    got = grad_flow.chain_gradient(a0, w, b)
    assert gradcheck.max_rel_error(got, exact, floor=1e-12) < 1e-9
    assert np.all(np.abs(got) <= grad_flow.chain_bound(w) * (1 + 1e-12))


def test_a_chain_sitting_at_zero_reaches_the_bound():
    assert np.isclose(grad_flow.chain_gradient(0.5, [6.0] * 10, [-3.0] * 10), 1.5 ** 10)
    assert np.isclose(grad_flow.chain_bound([6.0] * 10), 1.5 ** 10)


def test_random_chains_agree_with_the_one_at_a_time_gradient():
    logs = grad_flow.random_chains(np.random.default_rng(5), n_chains=4, depth=6)
    rng = np.random.default_rng(5)   # the same draws, in the same order
    w, b, a0 = rng.uniform(-3, 3, (4, 6)), rng.normal(0, 1, (4, 6)), rng.uniform(-2, 2, 4)
    for i in range(4):
        for L in range(1, 7):
            assert np.isclose(logs[i, L - 1], np.log10(abs(float(grad_flow.chain_gradient(a0[i], w[i, :L], b[i, :L])))))


def test_norms_and_clipping():
    rng = np.random.default_rng(0)
    grads = [{"W": rng.normal(0, 3, (3, 4)), "b": rng.normal(0, 3, 4)}, {"W": rng.normal(0, 3, (4, 1)), "b": rng.normal(0, 3, 1)}]
    norms = grad_flow.layer_grad_norms(grads)
    assert np.allclose(norms, [np.linalg.norm(g["W"]) for g in grads])
    total = grad_flow.global_norm(grads)
    assert np.isclose(total, np.sqrt(sum(np.sum(v ** 2) for g in grads for v in g.values())))
    clipped = grad_flow.clip_by_norm(grads, 1.0)
    assert np.isclose(grad_flow.global_norm(clipped), 1.0)
    for g, c in zip(grads, clipped):   # same direction
        for k in g:
            assert np.allclose(c[k], g[k] / total)
    untouched = grad_flow.clip_by_norm(grads, 2 * total)
    assert all(np.array_equal(c[k], g[k]) for g, c in zip(grads, untouched) for k in g)


def test_initialisations_have_their_variances_and_use_the_generator():
    for init, var in ((grad_flow.xavier_init, lambda i, o: 2 / (i + o)), (grad_flow.he_init, lambda i, o: 2 / i)):
        W = init(300, 200, np.random.default_rng(1))
        assert W.shape == (300, 200)
        assert abs(W.mean()) < 0.02 * np.sqrt(var(300, 200))
        assert abs(W.var() / var(300, 200) - 1) < 0.03
        assert np.array_equal(W, init(300, 200, np.random.default_rng(1)))


def test_deep_networks_show_the_lesson_s_patterns():
    sigmoid_norms = grad_flow.deep_grad_norms("sigmoid", "xavier")
    he_norms = grad_flow.deep_grad_norms("relu", "he")
    assert sigmoid_norms.shape == (grad_flow.DEPTH + 1,)
    assert sigmoid_norms[0] / sigmoid_norms[-1] < 1e-5                    # vanishing
    assert 0.1 < he_norms[1:-1].min() / he_norms[1:-1].max() <= 1          # flat
    assert grad_flow.deep_grad_norms("tanh", "normal")[0] > 10 * grad_flow.deep_grad_norms("tanh", "normal")[-1]
    stds = grad_flow.forward_stds("relu", "xavier")
    assert stds[-2] < 0.05 * stds[0]                                       # Xavier halves ReLU's variance per layer


def test_deep_params_and_training_with_and_without_clipping():
    params, acts = grad_flow.deep_params("relu", "he", gain=2.0, depth=3, width=4)
    ref = mlp.init_params([2, 4, 4, 4, 1], np.random.default_rng(1), "he")
    assert all(np.allclose(p["W"], 2 * r["W"]) for p, r in zip(params, ref))
    assert acts == ["relu"] * 3 + ["identity"]
    losses, norms = grad_flow.train_deep("relu", "he", gain=1.5, lr=0.05, steps=20)
    assert not np.isfinite(losses[-1])                                     # it blows up ...
    losses, norms = grad_flow.train_deep("relu", "he", gain=1.5, lr=0.05, steps=20, max_norm=1.0)
    assert np.isfinite(losses).all() and losses[-1] < losses[0]            # ... unless clipped


def test_the_plot_draws_one_line_per_label():
    ax = grad_flow.plot_layer_norms({"a": np.array([1e-3, 1e-2, 1.0]), "b": np.array([1.0, 0.0, 2.0])}, title="t")
    assert len(ax.get_lines()) == 2 and ax.get_yscale() == "log"
    plt.close("all")
