"""Does the MLP's backward give the gradient of its loss, for any depth, activation and loss?

The central check compares every parameter's gradient with central
differences of the whole network's loss. Other tests ask whether the four
equations are what the code computes, whether a student's pieces can be
plugged in, whether float32 stays float32, and whether the network learns XOR.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from backprop_lib.nn import activations as A
from backprop_lib.checking import gradcheck
from backprop_lib.nn import layers, mlp

NUMERIC_FLOOR = 1e-4  # see tests/test_activations.py
HIDDEN = ["sigmoid", "tanh", "relu", "leaky_relu"]
#: Each loss with the output activation it goes with, and a maker of targets for n outputs.
LOSS_SETUPS: dict[str, tuple[str, Any]] = {
    "mse": ("identity", lambda rng, m, n: rng.normal(size=(m, n))),
    "binary_cross_entropy": ("sigmoid", lambda rng, m, n: rng.integers(0, 2, (m, n)).astype(float)),
    "binary_cross_entropy_with_logits": ("identity", lambda rng, m, n: rng.integers(0, 2, (m, n)).astype(float)),
    "softmax_cross_entropy": ("identity", lambda rng, m, n: rng.integers(0, n, m)),
}


class Case:
    """A random network with its data: ``params``, ``x``, ``y``, ``activations``, ``loss``."""

    def __init__(self, sizes: list[int], hidden: list[str], loss: str, seed: int, m: int = 4,
                 dtype: type = np.float64, scheme: str = "xavier"):
        rng = np.random.default_rng(seed)
        self.params = mlp.init_params(sizes, rng, scheme=scheme, dtype=dtype)
        self.x = rng.normal(size=(m, sizes[0]))
        output, make_y = LOSS_SETUPS[loss]
        self.y = make_y(rng, m, sizes[-1])
        self.activations = hidden + [output]
        self.loss = loss

    def loss_and_grads(self, **kwargs: Any) -> tuple[float, mlp.Grads]:
        return mlp.loss_and_grads(self.params, self.x, self.y, self.loss, self.activations, **kwargs)

    def loss_only(self) -> float:
        return self.loss_and_grads()[0]

    def min_abs_z(self) -> float:
        """The smallest |z| of any hidden layer: near 0, a ReLU's finite difference straddles the kink."""
        _, caches = mlp.forward(self.params, self.x, self.activations)
        return min(float(np.abs(act_cache[0]).min()) for _, act_cache in caches[:-1]) if len(caches) > 1 else 1.0


@st.composite
def cases(draw: st.DrawFn, loss: str | None = None) -> Case:
    depth = draw(st.integers(1, 4))
    sizes = [draw(st.integers(1, 4)) for _ in range(depth + 1)]
    loss = loss or draw(st.sampled_from(sorted(LOSS_SETUPS)))
    if loss == "softmax_cross_entropy":
        sizes[-1] = max(sizes[-1], 2)
    hidden = [draw(st.sampled_from(HIDDEN)) for _ in range(depth - 1)]
    return Case(sizes, hidden, loss, seed=draw(st.integers(0, 2**32 - 1)), m=draw(st.integers(1, 5)))


def assert_grads_match_numerical(case: Case, grads: mlp.Grads) -> None:
    for l, (layer, grad) in enumerate(zip(case.params, grads)):
        for k in ("W", "b"):
            numerical = gradcheck.numerical_gradient(lambda _: case.loss_only(), layer[k])
            assert grad[k].shape == layer[k].shape
            err = gradcheck.max_rel_error(grad[k], numerical, floor=NUMERIC_FLOOR)
            assert err <= gradcheck.NUMERIC_TOL, f"layer {l} d{k}: relative error {err:.2e}"


# --- whole-network gradient check ---------------------------------------------------------

@settings(max_examples=30, deadline=None)
@given(cases())
def test_network_gradients_agree_with_central_differences(case: Case) -> None:
    assume(case.min_abs_z() > 1e-3)
    _, grads = case.loss_and_grads()
    assert_grads_match_numerical(case, grads)


@settings(max_examples=10, deadline=None)
@given(cases(loss="mse"))
def test_a_softmax_output_layer_with_a_loss_on_probabilities_gets_its_jacobian(case: Case) -> None:
    """Softmax is not element-wise: its backward multiplies by a Jacobian per row."""
    case.activations[-1] = "softmax"
    assume(case.min_abs_z() > 1e-3)
    _, grads = case.loss_and_grads()
    assert_grads_match_numerical(case, grads)


def test_backward_computes_the_four_equations() -> None:
    """BP1-BP4 written out by hand for a 3-4-2 tanh/sigmoid network with MSE."""
    case = Case([3, 4, 2], ["tanh"], "mse", seed=7, m=5)
    case.activations = ["tanh", "sigmoid"]
    (W1, b1), (W2, b2) = [(p["W"], p["b"]) for p in case.params]
    x, y, m = case.x, case.y, len(case.x)
    z1 = x @ W1 + b1
    a1 = np.tanh(z1)
    z2 = a1 @ W2 + b2
    y_hat = A.sigmoid(z2)
    delta2 = (2 * (y_hat - y) / m) * A.sigmoid_prime(z2)     # BP1
    delta1 = (delta2 @ W2.T) * A.tanh_prime(z1)              # BP2
    expected = [{"W": x.T @ delta1, "b": delta1.sum(axis=0)},  # BP3, BP4
                {"W": a1.T @ delta2, "b": delta2.sum(axis=0)}]
    _, grads = case.loss_and_grads()
    for got, want in zip(grads, expected):
        for k in ("W", "b"):
            np.testing.assert_allclose(got[k], want[k], rtol=1e-12, atol=1e-15)


# --- pluggable pieces ---------------------------------------------------------------------

def student_dense_backward(dout: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A correct implementation, written the long way, as a student might."""
    x, W, b = cache
    return np.dot(dout, W.T), np.dot(x.T, dout), np.sum(dout, axis=0)


def forgot_the_sum(dout: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x, W, b = cache
    return dout @ W.T, x.T @ dout, dout.mean(axis=0)


def test_a_students_dense_backward_runs_on_every_layer() -> None:
    case = Case([3, 5, 4, 2], ["tanh", "relu"], "softmax_cross_entropy", seed=3)
    calls = []

    def spy(dout: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        calls.append(dout.shape)
        return student_dense_backward(dout, cache)

    _, reference = case.loss_and_grads()
    _, theirs = case.loss_and_grads(dense_backward=spy)
    assert len(calls) == 3, "the first layer too must run the student's function"
    for r, t in zip(reference, theirs):
        np.testing.assert_allclose(t["W"], r["W"], rtol=1e-12)
        np.testing.assert_allclose(t["b"], r["b"], rtol=1e-12)


def test_a_wrong_student_piece_gives_wrong_gradients() -> None:
    case = Case([3, 5, 2], ["sigmoid"], "mse", seed=4)
    _, reference = case.loss_and_grads()
    _, wrong = case.loss_and_grads(pieces=mlp.Pieces(dense_backward=forgot_the_sum))
    assert not np.allclose(wrong[0]["b"], reference[0]["b"])
    np.testing.assert_allclose(wrong[0]["W"], reference[0]["W"], rtol=1e-12)


def test_every_piece_can_be_replaced() -> None:
    """Each piece rewritten by hand and plugged in together: the same gradients."""
    def dense_forward(x, W, b):  # noqa: ANN001, ANN202
        return np.dot(x, W) + b, (x, W, b)

    def activation_forward(z, activation):  # noqa: ANN001, ANN202
        act = A.as_activation(activation)
        return act.f(z), (z, act.df)

    def activation_backward(dout, cache):  # noqa: ANN001, ANN202
        z, df = cache
        return dout * df(z)

    student = mlp.Pieces(dense_forward, student_dense_backward, activation_forward, activation_backward)
    case = Case([2, 3, 3, 1], ["relu", "leaky_relu"], "binary_cross_entropy_with_logits", seed=5)
    loss_ref, reference = case.loss_and_grads()
    loss_student, theirs = case.loss_and_grads(pieces=student)
    assert loss_student == pytest.approx(loss_ref, rel=1e-14)
    for r, t in zip(reference, theirs):
        np.testing.assert_allclose(t["W"], r["W"], rtol=1e-12)


def test_an_unknown_piece_name_is_refused_with_the_valid_names() -> None:
    with pytest.raises(TypeError, match="dense_backward"):
        mlp.make_pieces(dense_backwards=student_dense_backward)


def test_a_students_loss_can_be_plugged_in() -> None:
    case = Case([2, 3, 1], ["tanh"], "mse", seed=6)
    _, reference = case.loss_and_grads()

    def student_mse(y_hat: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
        m = y.shape[0]
        return float(((y_hat - y) ** 2).sum() / m), 2 * (y_hat - y) / m

    _, theirs = mlp.loss_and_grads(case.params, case.x, case.y, student_mse, case.activations)
    np.testing.assert_allclose(theirs[0]["W"], reference[0]["W"], rtol=1e-14)


# --- forward, activations and init ----------------------------------------------------------

def test_forward_defaults_to_relu_hidden_layers_and_identity_output() -> None:
    case = Case([3, 4, 4, 2], ["relu", "relu"], "mse", seed=8)
    y_default, caches = mlp.forward(case.params, case.x)
    y_explicit, _ = mlp.forward(case.params, case.x, ["relu", "relu", "identity"])
    np.testing.assert_array_equal(y_default, y_explicit)
    assert [c[1][1].name for c in caches] == ["relu", "relu", "identity"]


def test_the_wrong_number_of_activations_is_refused() -> None:
    params = mlp.init_params([2, 3, 1], np.random.default_rng(0))
    with pytest.raises(ValueError, match="2 layers need 2 activations"):
        mlp.forward(params, np.ones((1, 2)), ["relu"])


@pytest.mark.parametrize("scheme, std", [("he", lambda i, o: np.sqrt(2 / i)),
                                         ("xavier", lambda i, o: np.sqrt(2 / (i + o))),
                                         ("uniform", lambda i, o: 1 / np.sqrt(3 * i))])
def test_init_schemes_give_the_stated_spread(scheme: str, std: Any) -> None:
    params = mlp.init_params([400, 300, 10], np.random.default_rng(0), scheme=scheme)
    for layer, (n_in, n_out) in zip(params, [(400, 300), (300, 10)]):
        assert layer["W"].shape == (n_in, n_out) and layer["b"].shape == (n_out,)
        assert np.all(layer["b"] == 0)
        assert layer["W"].std() == pytest.approx(std(n_in, n_out), rel=0.05)


def test_init_is_reproducible_and_the_same_in_float32_and_float64() -> None:
    a = mlp.init_params([5, 4, 3], np.random.default_rng(9))
    b = mlp.init_params([5, 4, 3], np.random.default_rng(9), dtype=np.float32)
    for la, lb in zip(a, b):
        assert lb["W"].dtype == np.float32
        np.testing.assert_array_equal(la["W"].astype(np.float32), lb["W"])


def test_init_refuses_an_unknown_scheme() -> None:
    with pytest.raises(ValueError, match="he"):
        mlp.init_params([2, 2], np.random.default_rng(0), scheme="glorot")


# --- float32 --------------------------------------------------------------------------------

@pytest.mark.parametrize("loss", sorted(LOSS_SETUPS))
def test_float32_params_keep_everything_float32(loss: str) -> None:
    """x arrives as float64 but is not allowed to upcast the network."""
    case = Case([6, 5, 4, 3], ["tanh", "relu"], loss, seed=10, dtype=np.float32)
    assert case.x.dtype == np.float64
    y_hat, _ = mlp.forward(case.params, case.x, case.activations)
    assert y_hat.dtype == np.float32
    _, grads = case.loss_and_grads()
    assert all(g[k].dtype == np.float32 for g in grads for k in ("W", "b"))


def test_float32_gradients_are_close_to_float64_ones() -> None:
    c64 = Case([6, 5, 4, 3], ["tanh", "sigmoid"], "softmax_cross_entropy", seed=11)
    c32 = Case([6, 5, 4, 3], ["tanh", "sigmoid"], "softmax_cross_entropy", seed=11, dtype=np.float32)
    for g64, g32 in zip(c64.loss_and_grads()[1], c32.loss_and_grads()[1]):
        np.testing.assert_allclose(g32["W"], g64["W"], rtol=1e-3, atol=1e-5)


# --- training --------------------------------------------------------------------------------

def test_the_network_learns_xor() -> None:
    """A 2-4-1 tanh network, BCE on logits, full-batch gradient descent."""
    x = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([[0.0], [1.0], [1.0], [0.0]])
    params = mlp.init_params([2, 4, 1], np.random.default_rng(0), scheme="xavier")
    acts = ["tanh", "identity"]
    first = None
    for _ in range(2000):
        loss, grads = mlp.loss_and_grads(params, x, y, "binary_cross_entropy_with_logits", acts)
        first = loss if first is None else first
        mlp.sgd_step(params, grads, lr=0.5)
    y_hat, _ = mlp.forward(params, x, acts)
    assert loss < first / 10
    np.testing.assert_array_equal(y_hat > 0, y > 0.5)


def test_sgd_step_moves_against_the_gradient_in_place() -> None:
    params = [{"W": np.ones((2, 2)), "b": np.zeros(2)}]
    W = params[0]["W"]
    mlp.sgd_step(params, [{"W": np.full((2, 2), 2.0), "b": np.ones(2)}], lr=0.1)
    assert params[0]["W"] is W
    np.testing.assert_allclose(W, 0.8)
    np.testing.assert_allclose(params[0]["b"], -0.1)


def test_backward_skips_nothing_but_the_inputs_gradient() -> None:
    """With the reference pieces the first layer's dx is never computed; the grads are still complete."""
    case = Case([3, 4, 2], ["relu"], "mse", seed=12)
    _, caches = mlp.forward(case.params, case.x, case.activations)
    grads = mlp.backward(np.ones((len(case.x), 2)), caches)
    assert [sorted(g) for g in grads] == [["W", "b"], ["W", "b"]]
    assert mlp.REFERENCE.dense_backward is layers.dense_backward
