"""symbolic_net: SymPy's per-entry derivatives of a small network agree with the library and with finite differences."""
from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from backprop_lib.checking import gradcheck
from backprop_lib.nn import mlp
from backprop_lib.checking.symbolic import sigmoid as explicit_sigmoid
from backprop_lib.lessons.symbolic_net import Relu, Sigmoid, Step, SymbolicNet, _compile, symbolic_net

#: The activations in plain NumPy, written out again (independent of the module under test).
NP_ACTS = {"sigmoid": lambda v: 1 / (1 + np.exp(-v)), "tanh": np.tanh,
           "relu": lambda v: np.maximum(v, 0), "identity": lambda v: v}

NETWORKS = [
    ((2, 3, 2), ("sigmoid", "sigmoid")),
    ((2, 3, 1), ("relu", "sigmoid")),
    ((3, 2, 2), ("tanh", "identity")),
    ((1, 2, 2, 1), ("tanh", "relu", "sigmoid")),
]


def random_problem(sizes, seed=0, m=4):
    rng = np.random.default_rng(seed)
    params = [{"W": rng.normal(0, 1, (a, b)), "b": rng.normal(0, 0.5, b)} for a, b in zip(sizes[:-1], sizes[1:])]
    return params, rng.normal(0, 1, (m, sizes[0])), rng.uniform(0, 1, (m, sizes[-1]))


def test_the_declared_sigmoid_derivative_is_sympys_derivative_of_the_formula():
    z = sp.Symbol("z", real=True)
    declared = sp.diff(Sigmoid(z), z).subs(Sigmoid(z), explicit_sigmoid(z))
    assert sp.simplify(declared - sp.diff(explicit_sigmoid(z), z)) == 0
    assert sp.diff(Relu(z), z) == Step(z) and sp.diff(Step(z), z) == 0


def test_custom_functions_evaluate_in_numpy():
    z = sp.Symbol("z", real=True)
    fn = _compile([z], [Sigmoid(z), Relu(z), Step(z)])
    s, r, st = fn(np.array([-2.0, 0.0, 3.0]))
    np.testing.assert_allclose(s, 1 / (1 + np.exp(-np.array([-2.0, 0.0, 3.0]))))
    np.testing.assert_array_equal(r, [0.0, 0.0, 3.0])
    np.testing.assert_array_equal(st, [0.0, 0.0, 1.0])


@pytest.mark.parametrize("sizes, acts", NETWORKS)
def test_gradients_equal_the_library_mlp(sizes, acts):
    net = SymbolicNet(sizes, acts)
    params, x, y = random_problem(sizes)
    loss, grads = mlp.loss_and_grads(params, x, y, "mse", activations=list(acts))
    assert net.loss(params, x, y) == pytest.approx(loss, rel=1e-12)
    for (dW, db), g in zip(net.param_grads(params, x, y), grads):
        np.testing.assert_allclose(dW, g["W"], rtol=1e-9, atol=1e-14)
        np.testing.assert_allclose(db, g["b"], rtol=1e-9, atol=1e-14)


@pytest.mark.parametrize("sizes, acts", NETWORKS)
def test_deltas_equal_central_differences_in_z(sizes, acts):
    net = SymbolicNet(sizes, acts)
    params, x, y = random_problem(sizes, seed=1, m=3)
    zs, _ = net.forward(params, x)
    for l, delta in enumerate(net.deltas(params, x, y)):
        assert delta.shape == zs[l].shape

        def loss_from(z, l=l):
            a = NP_ACTS[acts[l]](z)
            for k in range(l + 1, len(params)):
                a = NP_ACTS[acts[k]](a @ params[k]["W"] + params[k]["b"])
            return float(np.sum((a - y) ** 2)) / len(y)
        numeric = gradcheck.numerical_gradient(loss_from, zs[l].copy())
        assert gradcheck.max_rel_error(delta, numeric, floor=1e-6) < 1e-6


def test_a_network_is_built_once_per_shape():
    assert symbolic_net((2, 2, 1), ("tanh", "sigmoid")) is symbolic_net((2, 2, 1), ("tanh", "sigmoid"))


def test_bad_specifications_are_refused():
    with pytest.raises(ValueError):
        SymbolicNet((2, 3, 1), ("sigmoid",))
    with pytest.raises(KeyError):
        SymbolicNet((2, 1), ("softmax",))
