"""Does SymPy give the derivatives the lessons rely on, as NumPy functions that broadcast?"""
from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings, strategies as st
from hypothesis.extra.numpy import arrays

from backprop_lib.checking import gradcheck
from backprop_lib.checking.symbolic import Symbolic, equivalent, real_symbols, sigmoid, to_numpy

finite = st.floats(-3, 3, allow_nan=False)


@given(w=finite, x=finite, b=finite, y=finite)
def test_squared_error_gradient_is_twice_the_error_times_the_input(w, x, b, y):
    L = Symbolic(lambda w, x, b, y: (w * x + b - y) ** 2, "w x b y")
    assert L.grad("w")(w, x, b, y) == pytest.approx(2 * (w * x + b - y) * x, rel=1e-12, abs=1e-12)
    assert L.grad("b")(w, x, b, y) == pytest.approx(2 * (w * x + b - y), rel=1e-12, abs=1e-12)


@settings(max_examples=30)
@given(arrays(np.float64, st.integers(1, 6), elements=finite))
def test_sigmoid_derivative_matches_central_differences(z):
    d = Symbolic(lambda z: sigmoid(z), "z").grad("z")
    s = 1 / (1 + np.exp(-z))
    assert np.allclose(d(z), s * (1 - s), rtol=1e-12)
    assert gradcheck.max_rel_error(d(z), gradcheck.central_difference(lambda v: 1 / (1 + np.exp(-v)), z)) < 1e-7


def test_a_constant_derivative_still_broadcasts_to_the_input_shape():
    d = Symbolic(lambda x: 3 * x, "x").grad("x")
    assert d(np.zeros((2, 3))).shape == (2, 3)
    assert np.all(d(np.zeros((2, 3))) == 3.0)


def test_arguments_can_be_named_or_numbered_and_unknown_names_are_explained():
    f = Symbolic(lambda a, b: a * b ** 2, "a b")
    assert f.grad(1)(2.0, 3.0) == f.grad("b")(2.0, 3.0) == 12.0
    with pytest.raises(KeyError, match="arguments are"):
        f.grad("c")


def test_equivalent_recognises_rewritten_formulas_and_rejects_wrong_ones():
    (z,) = real_symbols("z")
    assert equivalent(sp.diff(sigmoid(z), z), sigmoid(z) * (1 - sigmoid(z)), [z])
    assert not equivalent(sp.diff(sigmoid(z), z), sigmoid(z) * (1 + sigmoid(z)), [z])


def test_to_numpy_never_warns_on_overflow():
    (z,) = real_symbols("z")
    f = to_numpy(sp.exp(z), [z])
    with np.errstate(all="raise"):
        assert np.isinf(f(np.array([1000.0])))[0]
