"""Are the activation functions and their derivatives right, and do they survive large inputs?

Every derivative is checked against central differences
(``backprop_lib.checking.gradcheck``) and against the exact derivative from SymPy
(``backprop_lib.checking.symbolic``), on arrays drawn by hypothesis.
"""
from __future__ import annotations

import warnings
from typing import Callable

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from backprop_lib.nn import activations as A
from backprop_lib.checking import gradcheck
from backprop_lib.checking.symbolic import Symbolic, sigmoid as sym_sigmoid

#: Central differences carry an absolute error of about 1e-10 (truncation and
#: round-off), so derivatives below this floor are compared absolutely, not relatively.
NUMERIC_FLOOR = 1e-4
FEW = settings(max_examples=25, deadline=None)

ELEMENTWISE = ["sigmoid", "tanh", "relu", "leaky_relu", "identity"]
KINKED = {"relu", "leaky_relu"}

#: The exact forward of each element-wise activation, as SymPy sees it.
SYMPY_FORWARD: dict[str, Callable[[sp.Symbol], sp.Expr]] = {
    "sigmoid": sym_sigmoid,
    "tanh": sp.tanh,
    "relu": lambda z: sp.Piecewise((z, z > 0), (0, True)),
    "leaky_relu": lambda z: sp.Piecewise((z, z > 0), (A.LEAKY_SLOPE * z, True)),
    "identity": lambda z: z,
}


def z_arrays(lo: float = -12.0, hi: float = 12.0, away_from: float | None = None) -> st.SearchStrategy:
    """Float64 arrays of shape (k,) or (m, k), sides 1 to 6, values in [lo, hi].

    With ``away_from``, values within 1e-3 of it are left out (a kink, where
    finite differences straddle two slopes).
    """
    elements = st.floats(lo, hi, allow_nan=False, allow_infinity=False)
    if away_from is not None:
        elements = elements.filter(lambda t: abs(t - away_from) > 1e-3)
    return hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=2, max_side=6), elements=elements)


@st.composite
def z_and_name(draw: st.DrawFn) -> tuple[np.ndarray, str]:
    name = draw(st.sampled_from(ELEMENTWISE))
    return draw(z_arrays(away_from=0.0 if name in KINKED else None)), name


# --- derivatives -----------------------------------------------------------------

@FEW
@given(z_and_name())
def test_every_derivative_agrees_with_central_differences(case: tuple[np.ndarray, str]) -> None:
    z, name = case
    act = A.ACTIVATIONS[name]
    numeric = gradcheck.central_difference(act.f, z)
    err = gradcheck.max_rel_error(act.df(z), numeric, floor=NUMERIC_FLOOR)
    assert err <= gradcheck.NUMERIC_TOL, f"{name}: relative error {err:.2e}"


@FEW
@given(z_and_name())
def test_every_derivative_agrees_with_sympy(case: tuple[np.ndarray, str]) -> None:
    z, name = case
    exact = Symbolic(SYMPY_FORWARD[name], "z")
    act = A.ACTIVATIONS[name]
    assert gradcheck.max_rel_error(act.f(z), exact.value(z)) <= gradcheck.EXACT_TOL
    assert gradcheck.max_rel_error(act.df(z), exact.grad("z")(z)) <= gradcheck.EXACT_TOL


@FEW
@given(z_arrays(away_from=0.0), st.floats(0.0, 1.0))
def test_leaky_relu_derivative_follows_its_slope_parameter(z: np.ndarray, slope: float) -> None:
    f = lambda t: A.leaky_relu(t, slope=slope)  # noqa: E731
    numeric = gradcheck.central_difference(f, z)
    assert gradcheck.max_rel_error(A.leaky_relu_prime(z, slope=slope), numeric,
                                   floor=NUMERIC_FLOOR) <= gradcheck.NUMERIC_TOL
    act = A.leaky(slope)
    np.testing.assert_array_equal(act.f(z), f(z))
    np.testing.assert_array_equal(act.df(z), A.leaky_relu_prime(z, slope=slope))


def test_relu_derivative_at_the_kink_is_zero_like_pytorch() -> None:
    assert A.relu_prime(np.array([0.0]))[0] == 0.0
    assert A.leaky_relu_prime(np.array([0.0]), slope=0.1)[0] == pytest.approx(0.1)


@FEW
@given(z_arrays(-50, 50))
def test_sigmoid_prime_never_exceeds_one_quarter(z: np.ndarray) -> None:
    """The reason deep sigmoid networks lose their gradients (lesson 07)."""
    assert np.all(A.sigmoid_prime(z) <= 0.25)
    assert A.sigmoid_prime(np.array([0.0]))[0] == 0.25


@FEW
@given(z_arrays(-50, 50))
def test_sigmoid_is_symmetric_about_one_half(z: np.ndarray) -> None:
    np.testing.assert_allclose(A.sigmoid(-z), 1 - A.sigmoid(z), atol=1e-15)


# --- stability ---------------------------------------------------------------------

ALL_FUNCTIONS = {
    **{f"{n}": A.ACTIVATIONS[n].f for n in A.ACTIVATIONS},
    **{f"{n}'": A.ACTIVATIONS[n].df for n in A.ACTIVATIONS},
    "log_softmax": A.log_softmax,
    "softmax_vjp": lambda z: A.softmax_vjp(np.ones_like(z), z),
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", sorted(ALL_FUNCTIONS))
def test_no_function_warns_or_returns_nan_for_huge_inputs(name: str, dtype: type) -> None:
    """z = +-1000 (and +-1e30): no overflow, no invalid operation, no NaN, no inf (but for the identity)."""
    z = np.array([[-1e30, -1000.0, -1.0, 0.0, 1.0, 1000.0, 1e30]], dtype=dtype)
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        out = ALL_FUNCTIONS[name](z)
    assert not np.isnan(out).any()
    if name not in {"identity", "relu", "leaky_relu", "log_softmax"}:  # those grow with z, as they should
        assert np.isfinite(out).all()


def test_sigmoid_does_not_overflow_for_large_negative_inputs() -> None:
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        s = A.sigmoid(np.array([-1000.0, -745.0, -700.0]))
    assert s[0] == 0.0
    assert 0 < s[2] < 1e-300


def test_sigmoid_saturates_to_exactly_one_for_large_positive_inputs() -> None:
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        assert A.sigmoid(np.array([1000.0]))[0] == 1.0
        assert A.sigmoid_prime(np.array([1000.0, -1000.0])).tolist() == [0.0, 0.0]


def test_softmax_of_huge_scores_is_one_hot_not_nan() -> None:
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        s = A.softmax(np.array([[1000.0, 0.0, -1000.0], [5000.0, 5000.0, 0.0]]))
    np.testing.assert_array_equal(s, [[1.0, 0.0, 0.0], [0.5, 0.5, 0.0]])


# --- dtypes and shapes -------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(A.ACTIVATIONS))
def test_float32_stays_float32(name: str) -> None:
    z = np.linspace(-3, 3, 12, dtype=np.float32).reshape(3, 4)
    act = A.ACTIVATIONS[name]
    assert act.f(z).dtype == np.float32
    assert act.df(z).dtype == np.float32


@pytest.mark.parametrize("name", sorted(A.ACTIVATIONS))
def test_integer_inputs_become_float64(name: str) -> None:
    z = np.array([[-2, 0, 3]])
    assert A.ACTIVATIONS[name].f(z).dtype == np.float64


@FEW
@given(z_arrays(away_from=0.0))
def test_elementwise_derivatives_keep_the_shape_of_z(z: np.ndarray) -> None:
    for name in ELEMENTWISE:
        assert A.ACTIVATIONS[name].df(z).shape == z.shape


# --- softmax -----------------------------------------------------------------------

@FEW
@given(z_arrays(-30, 30))
def test_softmax_rows_are_probabilities(z: np.ndarray) -> None:
    s = A.softmax(z)
    assert s.shape == z.shape
    assert np.all(s >= 0)
    np.testing.assert_allclose(s.sum(axis=-1), 1.0, rtol=1e-12)


@FEW
@given(z_arrays(-30, 30), st.floats(-500, 500))
def test_softmax_ignores_a_constant_added_to_a_row(z: np.ndarray, c: float) -> None:
    np.testing.assert_allclose(A.softmax(z + c), A.softmax(z), rtol=1e-9, atol=1e-15)


@FEW
@given(z_arrays(-10, 10))
def test_log_softmax_is_the_log_of_softmax(z: np.ndarray) -> None:
    np.testing.assert_allclose(A.log_softmax(z), np.log(A.softmax(z)), rtol=1e-12, atol=1e-12)


@FEW
@given(hnp.arrays(np.float64, st.tuples(st.integers(1, 4), st.integers(1, 5)),
                  elements=st.floats(-8, 8)))
def test_softmax_jacobian_agrees_with_central_differences(z: np.ndarray) -> None:
    m, k = z.shape
    jac = A.softmax_jacobian(z)
    assert jac.shape == (m, k, k)
    for i in range(k):      # row i of each Jacobian: the gradient of output i
        numeric = gradcheck.numerical_gradient(lambda t, i=i: A.softmax(t)[:, i].sum(), z.copy())
        assert gradcheck.max_rel_error(jac[:, i, :], numeric, floor=NUMERIC_FLOOR) <= gradcheck.NUMERIC_TOL


def test_softmax_jacobian_agrees_with_sympy() -> None:
    z = np.array([[0.3, -1.2, 2.0], [5.0, 5.0, -4.0]])
    for i in range(3):
        s_i = Symbolic(lambda a, b, c, i=i: [sp.exp(a), sp.exp(b), sp.exp(c)][i]
                       / (sp.exp(a) + sp.exp(b) + sp.exp(c)), "a b c")
        for j, name in enumerate("abc"):
            exact = s_i.grad(name)(z[:, 0], z[:, 1], z[:, 2])
            assert gradcheck.max_rel_error(A.softmax_jacobian(z)[:, i, j], exact) <= gradcheck.EXACT_TOL


@FEW
@given(hnp.arrays(np.float64, st.tuples(st.integers(1, 4), st.integers(1, 5)),
                  elements=st.floats(-8, 8)), st.integers(0, 2**32 - 1))
def test_softmax_vjp_is_dout_times_the_jacobian(z: np.ndarray, seed: int) -> None:
    dout = np.random.default_rng(seed).normal(size=z.shape)
    expected = np.einsum("mi,mij->mj", dout, A.softmax_jacobian(z))
    np.testing.assert_allclose(A.softmax_vjp(dout, z), expected, rtol=1e-9, atol=1e-14)


# --- the registry ------------------------------------------------------------------

def test_registry_names_match_their_activations() -> None:
    for name, act in A.ACTIVATIONS.items():
        assert act.name == name
        assert A.as_activation(name) is act


def test_as_activation_accepts_a_pair_of_student_functions() -> None:
    f = lambda z: z ** 3  # noqa: E731
    df = lambda z: 3 * z ** 2  # noqa: E731
    act = A.as_activation((f, df))
    assert act.f is f and act.df is df and act.elementwise


def test_as_activation_names_the_known_activations_when_the_name_is_wrong() -> None:
    with pytest.raises(KeyError, match="relu"):
        A.as_activation("rleu")
    with pytest.raises(TypeError):
        A.as_activation(42)  # type: ignore[arg-type]


def test_only_softmax_is_not_elementwise() -> None:
    assert {n for n, a in A.ACTIVATIONS.items() if not a.elementwise} == {"softmax"}
