"""Does the scalar autodiff engine give the right gradients?

Every operation is checked twice, on inputs drawn by hypothesis: against the
exact derivative from SymPy (``backprop_lib.checking.symbolic``) and against central
differences (``backprop_lib.checking.gradcheck``).
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from backprop_lib.checking import gradcheck
from backprop_lib.nn.engine import Value, local_derivatives, topological_order, trace, values
from backprop_lib.checking.symbolic import Symbolic, sigmoid

#: Hypothesis settings for this file, applied per test (a loaded profile would change every file's).
FEW = settings(deadline=None, max_examples=40)


def floats(lo: float, hi: float, avoid: float | None = None) -> st.SearchStrategy[float]:
    """Finite floats in [lo, hi], optionally kept 1e-3 away from a kink at ``avoid``."""
    s = st.floats(lo, hi, allow_nan=False, allow_infinity=False)
    return s if avoid is None else s.filter(lambda t: abs(t - avoid) > 1e-3)


def backprop_grads(fn: Callable[..., Value], *xs: float) -> list[float]:
    """``d fn / d x_i`` for each input, by the engine: leaves, forward, backward."""
    leaves = [Value(x) for x in xs]
    fn(*leaves).backward()
    return [leaf.grad for leaf in leaves]


def numeric_grads(fn: Callable[..., Value], *xs: float) -> list[float]:
    """``d fn / d x_i`` for each input, by central differences on the forward only."""
    out = []
    for i in range(len(xs)):
        def f_i(t: np.ndarray, i: int = i) -> np.ndarray:
            args = lambda ti: [Value(ti if j == i else x) for j, x in enumerate(xs)]  # noqa: E731
            return np.vectorize(lambda ti: fn(*args(ti)).data)(t)
        out.append(float(gradcheck.central_difference(f_i, xs[i])))
    return out


#: Central differences carry an absolute error of about 1e-10 here (the h**2 term and
#: round-off), so gradients smaller than this floor are compared absolutely, not relatively.
NUMERIC_FLOOR = 1e-4


def assert_grads_right(fn: Callable[..., Value], sym: Symbolic, *xs: float) -> None:
    """The engine's gradients agree with SymPy (to 1e-7) and with finite differences (to 1e-5)."""
    got = backprop_grads(fn, *xs)
    exact = [float(sym.grad(i)(*xs)) for i in range(len(xs))]
    numeric = numeric_grads(fn, *xs)
    assert gradcheck.max_rel_error(got, exact) <= gradcheck.EXACT_TOL, (got, exact)
    assert gradcheck.max_rel_error(got, numeric, floor=NUMERIC_FLOOR) <= gradcheck.NUMERIC_TOL, (got, numeric)
    assert fn(*[Value(x) for x in xs]).data == pytest.approx(float(sym.value(*xs)), rel=1e-12, abs=1e-300)


# ------------------------------------------------------------------ one operation at a time
UNARY = {
    # name: (engine forward, SymPy forward, inputs)
    "neg": (lambda a: -a, lambda a: -a, floats(-10, 10)),
    "exp": (lambda a: a.exp(), sp.exp, floats(-20, 20)),
    "log": (lambda a: a.log(), sp.log, floats(1e-2, 1e3)),
    "tanh": (lambda a: a.tanh(), sp.tanh, floats(-8, 8)),
    "sigmoid": (lambda a: a.sigmoid(), sigmoid, floats(-30, 30)),
    "relu": (lambda a: a.relu(), lambda a: sp.Max(0, a), floats(-10, 10, avoid=0.0)),
    "square": (lambda a: a ** 2, lambda a: a ** 2, floats(-10, 10)),
    "cube": (lambda a: a ** 3, lambda a: a ** 3, floats(-5, 5)),
    "reciprocal": (lambda a: a ** -1, lambda a: a ** -1, floats(0.1, 10)),
    "sqrt": (lambda a: a ** 0.5, sp.sqrt, floats(0.1, 100)),
    "number first: 2 - a": (lambda a: 2 - a, lambda a: 2 - a, floats(-10, 10)),
    "number first: 3 / a": (lambda a: 3 / a, lambda a: 3 / a, floats(0.1, 10)),
}


@pytest.mark.parametrize("name", list(UNARY))
def test_is_each_unary_operation_differentiated_correctly(name: str) -> None:
    fn, sym_fn, inputs = UNARY[name]
    sym = Symbolic(sym_fn, "a")

    @FEW
    @given(inputs)
    def check(a: float) -> None:
        assert_grads_right(fn, sym, a)

    check()


BINARY = {
    "+": (lambda a, b: a + b, floats(-10, 10), floats(-10, 10)),
    "-": (lambda a, b: a - b, floats(-10, 10), floats(-10, 10)),
    "*": (lambda a, b: a * b, floats(-10, 10), floats(-10, 10)),
    "/": (lambda a, b: a / b, floats(-10, 10), floats(0.1, 10)),
}


@pytest.mark.parametrize("op", list(BINARY))
def test_does_each_binary_operation_give_both_inputs_their_gradient(op: str) -> None:
    fn, left, right = BINARY[op]
    sym = Symbolic(fn, "a b")  # the same lambda works on SymPy symbols

    @FEW
    @given(left, right)
    def check(a: float, b: float) -> None:
        assert_grads_right(fn, sym, a, b)

    check()


@FEW
@given(x=floats(0.1, 5), k=st.sampled_from([-2.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0]))
def test_does_a_numeric_power_follow_k_times_x_to_the_k_minus_1(x: float, k: float) -> None:
    sym = Symbolic(lambda a: a ** sp.nsimplify(k), "a")
    assert_grads_right(lambda a: a ** k, sym, x)


def test_is_numbers_first_arithmetic_the_same_as_values_first() -> None:
    a = Value(3.0)
    assert (2 + a).data == (a + 2).data == 5.0
    assert (2 * a).data == (a * 2).data == 6.0
    assert (2 - a).data == -1.0 and (a - 2).data == 1.0
    assert (6 / a).data == 2.0 and (a / 6).data == 0.5


# ------------------------------------------------------------------ whole expressions
@FEW
@given(w=floats(-3, 3), x=floats(-3, 3), b=floats(-3, 3), y=floats(-3, 3))
def test_does_the_playground_loss_get_the_textbook_gradients(w: float, x: float, b: float, y: float) -> None:
    """L = (w x + b - y)^2, the graph of lesson 02: dL/dw = 2(wx + b - y) x, dL/db = 2(wx + b - y)."""
    sym = Symbolic(lambda w, x, b, y: (w * x + b - y) ** 2, "w x b y")
    assert_grads_right(lambda w, x, b, y: (w * x + b - y) ** 2, sym, w, x, b, y)
    gw, gx, gb, gy = backprop_grads(lambda w, x, b, y: (w * x + b - y) ** 2, w, x, b, y)
    r = w * x + b - y
    assert gw == pytest.approx(2 * r * x, rel=1e-12, abs=1e-12)
    assert gb == pytest.approx(2 * r, rel=1e-12, abs=1e-12)


@FEW
@given(w1=floats(-2, 2), w2=floats(-2, 2), b=floats(-2, 2), x1=floats(-2, 2), x2=floats(-2, 2),
       y=st.sampled_from([0.0, 1.0]))
def test_does_a_sigmoid_neuron_with_cross_entropy_get_y_hat_minus_y(w1: float, w2: float, b: float,
                                                                     x1: float, x2: float, y: float) -> None:
    """For a sigmoid output with binary cross-entropy, dL/dz = y_hat - y."""
    def loss(w1: Value, w2: Value, b: Value) -> Value:
        z = w1 * x1 + w2 * x2 + b
        y_hat = z.sigmoid()
        return -(y * y_hat.log() + (1 - y) * (1 - y_hat).log())

    sym = Symbolic(lambda w1, w2, b: -(y * sp.log(sigmoid(w1 * x1 + w2 * x2 + b))
                                        + (1 - y) * sp.log(1 - sigmoid(w1 * x1 + w2 * x2 + b))),
                   "w1 w2 b")
    assert_grads_right(loss, sym, w1, w2, b)
    y_hat = 1 / (1 + np.exp(-(w1 * x1 + w2 * x2 + b)))
    assert backprop_grads(loss, w1, w2, b)[2] == pytest.approx(y_hat - y, rel=1e-9, abs=1e-12)


# ------------------------------------------------------------------ reused nodes
@FEW
@given(floats(-10, 10))
def test_does_a_times_a_give_2a(a: float) -> None:
    """Both inputs of the product are the same node: both contributions must add up."""
    leaf = Value(a)
    (leaf * leaf).backward()
    assert leaf.grad == pytest.approx(2 * a, rel=1e-12, abs=1e-12)


@FEW
@given(x=floats(-3, 3), y=floats(-3, 3))
def test_does_x_used_in_two_branches_collect_both_gradients(x: float, y: float) -> None:
    """f = x*y + exp(x) * tanh(x): x feeds three places; df/dx sums all of them."""
    fn = lambda x, y: x * y + x.exp() * x.tanh()  # noqa: E731
    sym = Symbolic(lambda x, y: x * y + sp.exp(x) * sp.tanh(x), "x y")
    assert_grads_right(fn, sym, x, y)


def test_does_a_shared_intermediate_node_pass_on_its_full_gradient() -> None:
    """z is used twice downstream; w (upstream of z) must see both uses."""
    w = Value(0.7)
    z = w * 3.0
    L = z * z + z.sigmoid()
    L.backward()
    s = 1 / (1 + np.exp(-2.1))
    assert z.grad == pytest.approx(2 * 2.1 + s * (1 - s), rel=1e-12)
    assert w.grad == pytest.approx(3 * (2 * 2.1 + s * (1 - s)), rel=1e-12)


# ------------------------------------------------------------------ calling backward again
def _graph() -> tuple[Value, list[Value]]:
    w, x, b = values([0.5, -1.5, 0.25], ["w", "x", "b"])
    z = w * x + b
    z.label = "z"
    L = (z.tanh() - 1.0) ** 2 + (w * w).exp()
    return L, [w, x, b, z, L]


def test_does_calling_backward_twice_double_every_gradient() -> None:
    L, nodes = _graph()
    L.backward()
    once = [n.grad for n in nodes]
    L.backward()
    twice = [n.grad for n in nodes]
    assert twice == pytest.approx([2 * g for g in once], rel=1e-15)
    assert L.grad == 2.0  # d L / d L = 1, added twice


def test_does_zero_grad_reset_every_node_of_the_graph() -> None:
    L, nodes = _graph()
    L.backward()
    assert all(n.grad != 0.0 for n in nodes)
    L.zero_grad()
    assert all(n.grad == 0.0 for n in topological_order(L))
    L.backward()
    fresh_L, fresh_nodes = _graph()
    fresh_L.backward()
    assert [n.grad for n in nodes] == [n.grad for n in fresh_nodes]


def test_do_two_losses_sharing_a_parameter_add_their_gradients() -> None:
    w = Value(2.0)
    (w * 3.0).backward()
    (w ** 2).backward()
    assert w.grad == 3.0 + 4.0


def test_does_backward_accept_an_upstream_gradient() -> None:
    w = Value(2.0)
    (w * 3.0).backward(dout=0.5)
    assert w.grad == 1.5


# ------------------------------------------------------------------ deep graphs
def test_does_a_chain_of_20_000_operations_backpropagate_without_recursion_error() -> None:
    """Python's recursion limit is about 1000 frames; a recursive backward would fail here."""
    x = Value(0.3)
    y = x
    for _ in range(10_000):
        y = (y * 1.0 + 0.0)
    y.backward()
    assert x.grad == 1.0


# ------------------------------------------------------------------ the graph for drawing
def test_does_trace_list_each_node_once_with_parents_before_children() -> None:
    L, (w, x, b, z, _) = _graph()
    nodes, edges = trace(L)
    assert nodes[-1] is L
    assert len(nodes) == len({id(n) for n in nodes})
    position = {id(n): i for i, n in enumerate(nodes)}
    for parent, child in edges:
        assert position[id(parent)] < position[id(child)]
    assert all(any(n is leaf for n in nodes) for leaf in (w, x, b, z))
    assert len(edges) == sum(len(n.parents) for n in nodes)


def test_does_trace_show_a_reused_node_as_two_edges() -> None:
    a = Value(3.0, label="a")
    sq = a * a
    nodes, edges = trace(sq)
    assert nodes == [a, sq]
    assert edges == [(a, sq), (a, sq)]
    assert local_derivatives(sq) == (3.0, 3.0)


def test_are_local_derivatives_the_ones_of_each_operation() -> None:
    a, b = Value(2.0), Value(5.0)
    assert local_derivatives(a * b) == (5.0, 2.0)
    assert local_derivatives(a / b) == pytest.approx((0.2, -2.0 / 25.0))
    assert local_derivatives(a - b) == (1.0, -1.0)
    assert local_derivatives(a.relu()) == (1.0,)
    assert local_derivatives((-a).relu()) == (0.0,)
    assert local_derivatives(Value(0.0).relu()) == (0.0,)  # the documented choice at the kink


# ------------------------------------------------------------------ small things a student sees
def test_does_repr_show_data_grad_op_and_label() -> None:
    w = Value(2.0, label="w")
    z = w * 3.0
    z.label = "z"
    z.backward()
    assert repr(w) == "Value(data=2, grad=3, label='w')"
    assert repr(z) == "Value(data=6, grad=1, op='*', label='z')"


def test_are_impossible_operations_refused_with_a_clear_message() -> None:
    with pytest.raises(ValueError, match="positive"):
        Value(-1.0).log()
    with pytest.raises(TypeError, match="exponent"):
        Value(2.0) ** Value(3.0)
    with pytest.raises(ValueError, match="not real"):
        Value(-2.0) ** 0.5
    with pytest.raises(ZeroDivisionError):
        Value(1.0) / 0.0
    with pytest.raises(TypeError, match="cannot combine"):
        Value(1.0) + "one"
    with pytest.raises(ValueError, match="base must be positive"):
        (-2.0) ** Value(0.5)


# ------------------------------------------------------------------ edge cases, against PyTorch
EDGES = {
    "1 / a tiny number": (lambda x: 1 / x, 1e-200),
    "a huge number squared": (lambda x: x ** 2, 1e200),
    "a tiny number to the -2": (lambda x: x ** -2, 1e-200),
    "a square root at 0": (lambda x: x ** 0.5, 0.0),
    "1 / x as a power at 0": (lambda x: x ** -1, 0.0),
    "2 ** x": (lambda x: 2 ** x, 3.0),
    "e ** 800": (lambda x: x.exp(), 800.0),
}


@pytest.mark.parametrize("name", EDGES)
def test_do_extreme_inputs_give_what_pytorch_gives_without_an_exception(name: str) -> None:
    """Overflow gives inf, never an exception, forward and backward: one rule, the product's and PyTorch's."""
    from test_torch_oracle import import_torch

    torch = import_torch()
    f, at = EDGES[name]
    x = Value(at)
    y = f(x)
    y.backward()
    t = torch.tensor(at, dtype=torch.float64, requires_grad=True)
    ty = f(t)
    ty.backward()
    assert (y.data, x.grad) == pytest.approx((ty.item(), t.grad.item()), rel=1e-12, nan_ok=True)


def test_is_zero_over_a_tiny_number_differentiated_exactly() -> None:
    """d(0 / b)/db = -0 / b**2 = 0 exactly. (PyTorch says nan here: it squares b first, which underflows to 0.)"""
    b = Value(1e-170)
    (0 / b).backward()
    assert b.grad == 0.0


def test_do_comparisons_look_at_the_data_while_equality_means_the_same_node() -> None:
    a, b = Value(2.0), Value(2.0)
    assert a < 3 and 1 < a and a <= b and a >= b and not a > b and Value(5.0) > a
    assert a != b and a == a, "equality is identity: graph code must tell two nodes with equal data apart"
    # why: a topological order kept in a list, as students write it, relies on `in` telling nodes apart
    c = a + b
    order: list[Value] = []
    for node in (a, b, c):
        if node not in order:
            order.append(node)
    assert len(order) == 3 and len({a, b, c}) == 3


def test_is_a_sigmoid_of_a_very_negative_number_finite() -> None:
    s = Value(-800.0).sigmoid()
    s.backward()
    assert s.data == 0.0 and np.isfinite(s.data)
