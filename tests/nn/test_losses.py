"""Are the losses and their gradients right, averaged over the batch, and safe at the extremes?

Each loss returns ``(L, dout)``; ``dout`` is checked against central
differences of ``L`` and against SymPy's derivative of one entry's loss.
"""
from __future__ import annotations

import warnings
from typing import Callable

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from backprop_lib.checking import gradcheck
from backprop_lib.nn import losses as L
from backprop_lib.nn.activations import sigmoid, softmax
from backprop_lib.checking.symbolic import Symbolic, sigmoid as sym_sigmoid

NUMERIC_FLOOR = 1e-4  # see tests/test_activations.py
FEW = settings(max_examples=25, deadline=None)


@st.composite
def batches(draw: st.DrawFn, loss: str) -> tuple[np.ndarray, np.ndarray]:
    """A prediction and a target of the same shape (m, k) or (m,), drawn for ``loss``.

    Probabilities stay inside [0.02, 0.98], where clipping plays no part;
    logits and regression values in [-6, 6]; binary targets in {0, 1} or soft in [0, 1].
    """
    m = draw(st.integers(1, 6))
    shape = (m, draw(st.integers(1, 4))) if draw(st.booleans()) else (m,)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if loss == "mse":
        return rng.normal(size=shape) * 3, rng.normal(size=shape) * 3
    y = rng.integers(0, 2, size=shape).astype(np.float64) if draw(st.booleans()) else rng.uniform(size=shape)
    if loss == "binary_cross_entropy":
        return rng.uniform(0.02, 0.98, size=shape), y
    return rng.uniform(-6, 6, size=shape), y          # binary_cross_entropy_with_logits


@st.composite
def class_batches(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    """Logits (m, k) and integer labels (m,) in 0..k-1."""
    m, k = draw(st.integers(1, 6)), draw(st.integers(1, 5))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    return rng.uniform(-6, 6, size=(m, k)), rng.integers(0, k, size=m)


ELEMENTWISE_LOSSES = ["mse", "binary_cross_entropy", "binary_cross_entropy_with_logits"]

#: One entry's loss as SymPy sees it, a function of the prediction p and the target y.
SYMPY_ENTRY: dict[str, Callable[[sp.Symbol, sp.Symbol], sp.Expr]] = {
    "mse": lambda p, y: (p - y) ** 2,
    "binary_cross_entropy": lambda p, y: -(y * sp.log(p) + (1 - y) * sp.log(1 - p)),
    "binary_cross_entropy_with_logits": lambda z, y: -(y * sp.log(sym_sigmoid(z))
                                                       + (1 - y) * sp.log(1 - sym_sigmoid(z))),
}


def numeric_dout(loss: Callable, pred: np.ndarray, y: np.ndarray) -> np.ndarray:
    return gradcheck.numerical_gradient(lambda p: loss(p, y)[0], pred.copy())


# --- gradients ------------------------------------------------------------------------

@pytest.mark.parametrize("name", ELEMENTWISE_LOSSES)
@FEW
@given(data=st.data())
def test_gradient_agrees_with_central_differences(name: str, data: st.DataObject) -> None:
    pred, y = data.draw(batches(name))
    loss = L.LOSSES[name]
    _, dout = loss(pred, y)
    assert dout.shape == pred.shape
    err = gradcheck.max_rel_error(dout, numeric_dout(loss, pred, y), floor=NUMERIC_FLOOR)
    assert err <= gradcheck.NUMERIC_TOL, f"{name}: relative error {err:.2e}"


@pytest.mark.parametrize("name", ELEMENTWISE_LOSSES)
@FEW
@given(data=st.data())
def test_loss_and_gradient_agree_with_sympy(name: str, data: st.DataObject) -> None:
    """Each entry's loss from SymPy; L sums entries and divides by m, and so does dout."""
    pred, y = data.draw(batches(name))
    m = pred.shape[0]
    entry = Symbolic(SYMPY_ENTRY[name], "p y")
    value, dout = L.LOSSES[name](pred, y)
    assert value == pytest.approx(entry.value(pred, y).sum() / m, rel=1e-9, abs=1e-12)
    assert gradcheck.max_rel_error(dout, entry.grad("p")(pred, y) / m) <= gradcheck.EXACT_TOL


@FEW
@given(class_batches(), st.booleans())
def test_softmax_cross_entropy_gradient_agrees_with_central_differences(
        batch: tuple[np.ndarray, np.ndarray], one_hot: bool) -> None:
    z, labels = batch
    y = np.eye(z.shape[1])[labels] if one_hot else labels
    _, dz = L.softmax_cross_entropy(z, y)
    numeric = numeric_dout(L.softmax_cross_entropy, z, y)
    assert gradcheck.max_rel_error(dz, numeric, floor=NUMERIC_FLOOR) <= gradcheck.NUMERIC_TOL


def test_softmax_cross_entropy_agrees_with_sympy() -> None:
    z = np.array([[0.5, -1.0, 2.0], [3.0, 3.0, -2.0], [-4.0, 0.0, 1.0]])
    labels = np.array([2, 0, 1])
    value, dz = L.softmax_cross_entropy(z, labels)
    m = len(labels)
    total = 0.0
    for i, (row, c) in enumerate(zip(z, labels)):
        entry = Symbolic(lambda a, b, d, c=c: -sp.log([sp.exp(a), sp.exp(b), sp.exp(d)][c]
                                                     / (sp.exp(a) + sp.exp(b) + sp.exp(d))), "a b d")
        total += float(entry.value(*row))
        exact = [float(entry.grad(j)(*row)) / m for j in range(3)]
        assert gradcheck.max_rel_error(dz[i], exact) <= gradcheck.EXACT_TOL
    assert value == pytest.approx(total / m, rel=1e-12)


def test_softmax_cross_entropy_gradient_is_probabilities_minus_one_hot_over_m() -> None:
    z = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    y = np.array([2, 1])
    _, dz = L.softmax_cross_entropy(z, y)
    np.testing.assert_allclose(dz, (softmax(z) - np.eye(3)[y]) / 2, rtol=1e-14)


@FEW
@given(class_batches())
def test_integer_labels_and_one_hot_rows_give_the_same_loss(batch: tuple[np.ndarray, np.ndarray]) -> None:
    z, labels = batch
    a, da = L.softmax_cross_entropy(z, labels)
    b, db = L.softmax_cross_entropy(z, np.eye(z.shape[1])[labels])
    assert a == pytest.approx(b, rel=1e-12, abs=1e-15)
    np.testing.assert_allclose(da, db, rtol=1e-12, atol=1e-15)


@FEW
@given(batches("binary_cross_entropy_with_logits"))
def test_bce_with_logits_equals_bce_of_the_sigmoid(batch: tuple[np.ndarray, np.ndarray]) -> None:
    z, y = batch
    a, _ = L.binary_cross_entropy_with_logits(z, y)
    b, _ = L.binary_cross_entropy(sigmoid(z), y)
    assert a == pytest.approx(b, rel=1e-9)


def test_bce_with_logits_gradient_is_y_hat_minus_y_over_m() -> None:
    """The "delta = y_hat - y" of lesson 03: the sigmoid's derivative cancels."""
    z, y = np.array([[-2.0], [0.0], [3.0]]), np.array([[0.0], [1.0], [1.0]])
    _, dz = L.binary_cross_entropy_with_logits(z, y)
    np.testing.assert_allclose(dz, (sigmoid(z) - y) / 3, rtol=1e-14)


# --- mean over the batch ----------------------------------------------------------------

@pytest.mark.parametrize("name", ELEMENTWISE_LOSSES)
@FEW
@given(data=st.data())
def test_loss_is_a_mean_over_the_batch_not_a_sum(name: str, data: st.DataObject) -> None:
    """The same batch twice over: the same loss, and each entry's gradient halves."""
    pred, y = data.draw(batches(name))
    loss = L.LOSSES[name]
    one, d_one = loss(pred, y)
    two, d_two = loss(np.concatenate([pred, pred]), np.concatenate([y, y]))
    assert two == pytest.approx(one, rel=1e-12, abs=1e-15)
    np.testing.assert_allclose(d_two[: len(pred)], d_one / 2, rtol=1e-12, atol=1e-18)


def test_softmax_cross_entropy_is_a_mean_over_the_batch() -> None:
    z, y = np.array([[1.0, -1.0, 0.5]]), np.array([0])
    one, d_one = L.softmax_cross_entropy(z, y)
    four, d_four = L.softmax_cross_entropy(np.repeat(z, 4, axis=0), np.repeat(y, 4))
    assert four == pytest.approx(one)
    np.testing.assert_allclose(d_four, np.repeat(d_one, 4, axis=0) / 4)


def test_mse_has_no_factor_one_half() -> None:
    value, dout = L.mse(np.array([[3.0]]), np.array([[1.0]]))
    assert value == 4.0 and dout[0, 0] == 4.0


# --- stability ---------------------------------------------------------------------------

def _strictly(fn: Callable, *args: np.ndarray) -> tuple[float, np.ndarray]:
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        return fn(*args)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_losses_on_logits_do_not_overflow_for_huge_logits(dtype: type) -> None:
    z = np.array([[1000.0, -1000.0], [-1000.0, 1000.0]], dtype=dtype)
    for value, dz in [_strictly(L.binary_cross_entropy_with_logits, z, np.array([[1.0, 0.0], [1.0, 0.0]])),
                      _strictly(L.softmax_cross_entropy, z, np.array([1, 1]))]:
        assert np.isfinite(value) and np.isfinite(dz).all()
        assert value == pytest.approx(1000.0)   # one confidently wrong row of two costs 2000 / 2


def test_confidently_right_logits_cost_nothing() -> None:
    value, dz = _strictly(L.binary_cross_entropy_with_logits, np.array([1000.0, -1000.0]), np.array([1.0, 0.0]))
    assert value == 0.0 and np.all(dz == 0.0)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_bce_on_probabilities_of_exactly_zero_and_one_is_finite(dtype: type) -> None:
    y_hat = np.array([0.0, 1.0, 0.0, 1.0], dtype=dtype)
    y = np.array([1.0, 0.0, 0.0, 1.0])
    value, dout = _strictly(L.binary_cross_entropy, y_hat, y)
    assert np.isfinite(value) and np.isfinite(dout).all()
    assert value == pytest.approx(-2 * np.log(np.finfo(dtype).eps) / 4, rel=1e-6)
    assert dout[0] < 0 < dout[1]       # still pushes a confident wrong answer the right way


# --- shapes and dtypes ----------------------------------------------------------------------

@pytest.mark.parametrize("name", ELEMENTWISE_LOSSES)
def test_a_target_of_the_wrong_shape_is_refused_not_broadcast(name: str) -> None:
    """(m,) against (m, 1) would silently broadcast to (m, m)."""
    with pytest.raises(ValueError, match="shape"):
        L.LOSSES[name](np.full((4, 1), 0.5), np.ones(4))


def test_softmax_cross_entropy_refuses_labels_out_of_range() -> None:
    with pytest.raises(ValueError, match="0..2"):
        L.softmax_cross_entropy(np.zeros((2, 3)), np.array([0, 3]))
    with pytest.raises(ValueError, match="shape"):
        L.softmax_cross_entropy(np.zeros((2, 3)), np.array([0, 1, 2]))


@pytest.mark.parametrize("name", sorted(L.LOSSES))
def test_float32_predictions_give_a_float32_gradient(name: str) -> None:
    pred = np.array([[0.2, 0.7], [0.4, 0.9]], dtype=np.float32)
    y = np.array([1, 0]) if name == "softmax_cross_entropy" else np.array([[0.0, 1.0], [1.0, 1.0]])
    value, dout = L.LOSSES[name](pred, y)
    assert isinstance(value, float)
    assert dout.dtype == np.float32


def test_as_loss_finds_a_loss_by_name_or_takes_a_function() -> None:
    assert L.as_loss("mse") is L.mse
    assert L.as_loss(L.mse) is L.mse
    with pytest.raises(KeyError, match="softmax_cross_entropy"):
        L.as_loss("cross_entropy")
