"""Do the layers' backward functions return the gradients of their forwards?

The check used throughout: for a random ``dout`` of the output's shape, the
scalar ``sum(forward(...) * dout)`` has gradient ``backward(dout, cache)``
with respect to each input. Central differences of that scalar must agree.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from backprop_lib.nn import activations as A
from backprop_lib.checking import gradcheck
from backprop_lib.nn import layers

NUMERIC_FLOOR = 1e-4  # see tests/test_activations.py
FEW = settings(max_examples=25, deadline=None)


@st.composite
def dense_inputs(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``x`` (m, n_in), ``W`` (n_in, n_out), ``b`` (n_out,) and ``dout`` (m, n_out), sides 1 to 6."""
    m, n_in, n_out = (draw(st.integers(1, 6)) for _ in range(3))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    return (rng.normal(size=(m, n_in)), rng.normal(size=(n_in, n_out)), rng.normal(size=n_out),
            rng.normal(size=(m, n_out)))


def numeric(f: Callable[[], np.ndarray], dout: np.ndarray, wrt: np.ndarray) -> np.ndarray:
    """Central-difference gradient of ``sum(f() * dout)`` with respect to the array ``wrt`` (perturbed in place)."""
    return gradcheck.numerical_gradient(lambda _: float(np.sum(f() * dout)), wrt)


def assert_close(analytic: np.ndarray, numerical: np.ndarray, what: str) -> None:
    assert analytic.shape == numerical.shape, f"{what}: shape {analytic.shape}, expected {numerical.shape}"
    err = gradcheck.max_rel_error(analytic, numerical, floor=NUMERIC_FLOOR)
    assert err <= gradcheck.NUMERIC_TOL, f"{what}: relative error {err:.2e}"


# --- dense ------------------------------------------------------------------------------

@FEW
@given(dense_inputs())
def test_dense_forward_is_x_times_W_plus_b(inputs: tuple[np.ndarray, ...]) -> None:
    x, W, b, _ = inputs
    z, cache = layers.dense_forward(x, W, b)
    assert z.shape == (x.shape[0], W.shape[1])
    np.testing.assert_allclose(z, x @ W + b, rtol=1e-14)
    assert cache[0] is x and cache[1] is W and cache[2] is b


@FEW
@given(dense_inputs())
def test_dense_backward_agrees_with_central_differences(inputs: tuple[np.ndarray, ...]) -> None:
    x, W, b, dout = inputs
    _, cache = layers.dense_forward(x, W, b)
    dx, dW, db = layers.dense_backward(dout, cache)
    forward = lambda: layers.dense_forward(x, W, b)[0]  # noqa: E731
    assert_close(dx, numeric(forward, dout, x), "dx")
    assert_close(dW, numeric(forward, dout, W), "dW")
    assert_close(db, numeric(forward, dout, b), "db")


@FEW
@given(dense_inputs())
def test_dense_backward_is_the_textbook_formulas(inputs: tuple[np.ndarray, ...]) -> None:
    """dx = dout W^T, dW = x^T dout (BP3), db = dout summed over rows (BP4)."""
    x, W, b, dout = inputs
    dx, dW, db = layers.dense_backward(dout, layers.dense_forward(x, W, b)[1])
    np.testing.assert_allclose(dx, dout @ W.T, rtol=1e-13)
    np.testing.assert_allclose(dW, sum(np.outer(x[i], dout[i]) for i in range(len(x))), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(db, dout.sum(axis=0), rtol=1e-14)


@FEW
@given(dense_inputs())
def test_dense_param_grads_are_dense_backward_without_dx(inputs: tuple[np.ndarray, ...]) -> None:
    x, W, b, dout = inputs
    cache = layers.dense_forward(x, W, b)[1]
    _, dW, db = layers.dense_backward(dout, cache)
    dW2, db2 = layers.dense_param_grads(dout, cache)
    np.testing.assert_array_equal(dW, dW2)
    np.testing.assert_array_equal(db, db2)


def test_dense_forward_leaves_its_inputs_alone() -> None:
    """The bias is added in place, to the new product: x, W and b must not change."""
    rng = np.random.default_rng(1)
    x, W, b = rng.normal(size=(3, 4)), rng.normal(size=(4, 2)), rng.normal(size=2)
    copies = [a.copy() for a in (x, W, b)]
    z, _ = layers.dense_forward(x, W, b)
    layers.dense_backward(np.ones_like(z), layers.dense_forward(x, W, b)[1])
    for before, after in zip(copies, (x, W, b)):
        np.testing.assert_array_equal(before, after)


def test_a_single_example_batch_still_has_two_dimensions() -> None:
    x, W, b = np.ones((1, 3)), np.ones((3, 2)), np.zeros(2)
    z, cache = layers.dense_forward(x, W, b)
    dx, dW, db = layers.dense_backward(np.ones((1, 2)), cache)
    assert (z.shape, dx.shape, dW.shape, db.shape) == ((1, 2), (1, 3), (3, 2), (2,))


def test_float32_dense_layer_stays_float32() -> None:
    rng = np.random.default_rng(2)
    x, W, b = (rng.normal(size=s).astype(np.float32) for s in [(5, 3), (3, 4), (4,)])
    z, cache = layers.dense_forward(x, W, b)
    grads = layers.dense_backward(np.ones_like(z), cache)
    assert z.dtype == np.float32 and all(g.dtype == np.float32 for g in grads)


# --- activations ------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(A.ACTIVATIONS))
@FEW
@given(st.integers(1, 5), st.integers(1, 5), st.integers(0, 2**32 - 1))
def test_activation_backward_agrees_with_central_differences(name: str, m: int, n: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(m, n)) * 3
    z[np.abs(z) < 1e-3] = 0.5                       # keep away from ReLU's kink
    dout = rng.normal(size=(m, n))
    a, cache = layers.activation_forward(z, name)
    np.testing.assert_array_equal(a, A.ACTIVATIONS[name].f(z))
    dz = layers.activation_backward(dout, cache)
    assert_close(dz, numeric(lambda: layers.activation_forward(z, name)[0], dout, z), f"d{name}")


def test_activation_forward_accepts_a_pair_of_functions() -> None:
    z = np.array([[1.0, -2.0]])
    a, cache = layers.activation_forward(z, (np.sin, np.cos))
    np.testing.assert_allclose(a, np.sin(z))
    np.testing.assert_allclose(layers.activation_backward(np.ones_like(z), cache), np.cos(z))


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "leaky_relu", "softmax"])
@FEW
@given(dense_inputs())
def test_dense_then_activation_agrees_with_central_differences(activation: str,
                                                               inputs: tuple[np.ndarray, ...]) -> None:
    x, W, b, dout = inputs
    assume(np.abs(x @ W + b).min() > 1e-3)          # no z near leaky ReLU's kink
    _, cache = layers.dense_activation_forward(x, W, b, activation)
    dx, dW, db = layers.dense_activation_backward(dout, cache)
    forward = lambda: layers.dense_activation_forward(x, W, b, activation)[0]  # noqa: E731
    for got, wrt, name in [(dx, x, "dx"), (dW, W, "dW"), (db, b, "db")]:
        assert_close(got, numeric(forward, dout, wrt), name)
