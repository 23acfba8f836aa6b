"""A scalar automatic-differentiation engine: one number per node, gradients by the chain rule.

Every arithmetic operation on a :class:`Value` makes a new node that remembers
the nodes it was made from (its *parents*) and a small function, ``_backward``,
that knows the operation's *local derivatives*. That function is written right
beside the forward computation, so each operation reads as a pair::

    out = a * b                          forward
    d out / d a = b,  d out / d b = a    local derivatives (in _backward)

``root.backward()`` then walks the graph from the root to the leaves (right to
left) and applies the chain rule at every node::

    dL/d parent  +=  (d node / d parent) * dL/d node

How ``_backward`` works here
    ``node._backward(dout)`` receives ``dout = dL/d node`` and returns one
    number per parent: ``local_derivative * dout``. It changes nothing itself;
    :meth:`Value.backward` adds the numbers up. A parent used twice (``a * a``)
    simply appears twice in ``_parents`` and receives both contributions.

The rule for gradients: they ACCUMULATE
    ``root.backward()`` ADDS ``d root / d node`` to ``node.grad`` for every node
    of the graph, including the root itself (``d root / d root = 1``). Calling
    it twice therefore doubles every gradient, exactly. This is what lets
    several losses share parameters: ``loss1.backward(); loss2.backward()``
    leaves ``d(loss1 + loss2)/dw`` in ``w.grad``. To start afresh, call
    ``root.zero_grad()``, which sets ``grad = 0`` on every node of the graph.

Example::

    >>> w, x, b, y = Value(2.0, label="w"), Value(3.0, label="x"), Value(1.0, label="b"), 4.0
    >>> L = (w * x + b - y) ** 2
    >>> L.backward()
    >>> w.grad                      # 2 * (w*x + b - y) * x = 2 * 3 * 3
    18.0
"""
from __future__ import annotations

import math
from typing import Callable, Iterable, Union

#: What an operator accepts besides a Value: a plain number, wrapped on the fly.
Number = Union[int, float]
Operand = Union["Value", Number]
#: Turns ``dout`` (dL/d node) into one contribution per parent.
BackwardFn = Callable[[float], tuple[float, ...]]


def _no_parents(dout: float) -> tuple[float, ...]:
    """The backward of a leaf: it has no parents to pass anything to."""
    return ()


class Value:
    """One number in a computational graph, with the gradient of a root with respect to it.

    Attributes
    ----------
    data : float
        The number computed by the forward pass.
    grad : float
        ``d root / d self``, summed over every ``backward()`` call since the
        last ``zero_grad()``. Starts at ``0.0``.
    _parents : tuple[Value, ...]
        The inputs of the operation that made this node (empty for a leaf).
        The same node may appear twice (``a * a``). Also readable as ``parents``.
    op : str
        The operation that made the node (``""`` for a leaf), e.g. ``"*"``, ``"exp"``.
    label : str
        An optional name for display (``"w"``, ``"z"``, ``"L"``).
    """

    def __init__(self, data: float, label: str = "", *, _parents: tuple[Value, ...] = (),
                 op: str = "", _backward: BackwardFn = _no_parents):
        if isinstance(data, Value):
            raise TypeError("Value(Value(...)) is not allowed: use the Value itself")
        self.data = float(data)
        self.grad = 0.0
        self._parents = tuple(_parents)
        self.op = op
        self.label = label
        self._backward = _backward

    @property
    def parents(self) -> tuple[Value, ...]:
        """The inputs of the operation that made this node (empty for a leaf)."""
        return self._parents

    def __repr__(self) -> str:
        parts = [f"data={self.data:.6g}", f"grad={self.grad:.6g}"]
        if self.op:
            parts.append(f"op={self.op!r}")
        if self.label:
            parts.append(f"label={self.label!r}")
        return f"Value({', '.join(parts)})"

    # ---------------------------------------------------------------- binary operations
    def __add__(self, other: Operand) -> Value:
        other = as_value(other)

        def _backward(dout: float) -> tuple[float, float]:
            # d(a + b)/da = 1, d(a + b)/db = 1: addition passes dout on unchanged.
            return dout, dout

        return Value(self.data + other.data, _parents=(self, other), op="+", _backward=_backward)

    def __sub__(self, other: Operand) -> Value:
        other = as_value(other)

        def _backward(dout: float) -> tuple[float, float]:
            # d(a - b)/da = 1, d(a - b)/db = -1.
            return dout, -dout

        return Value(self.data - other.data, _parents=(self, other), op="-", _backward=_backward)

    def __mul__(self, other: Operand) -> Value:
        other = as_value(other)
        a, b = self.data, other.data

        def _backward(dout: float) -> tuple[float, float]:
            # d(a * b)/da = b, d(a * b)/db = a: each input gets the OTHER one's value.
            return b * dout, a * dout

        return Value(a * b, _parents=(self, other), op="*", _backward=_backward)

    def __truediv__(self, other: Operand) -> Value:
        other = as_value(other)
        a, b = self.data, other.data
        if b == 0.0:
            raise ZeroDivisionError(f"division by a Value equal to 0 ({other!r})")

        def _backward(dout: float) -> tuple[float, float]:
            # d(a / b)/da = 1 / b, d(a / b)/db = -a / b**2, computed as -(a / b) / b: b * b would
            # underflow to 0 for |b| below about 1e-162, where the true derivative is merely huge (or inf).
            return dout / b, -(a / b) / b * dout

        return Value(a / b, _parents=(self, other), op="/", _backward=_backward)

    def __pow__(self, k: Number) -> Value:
        if isinstance(k, Value):
            raise TypeError("only a plain number may be an exponent: write (b * x.log()).exp() "
                            "for x ** b with a Value b")
        k = float(k)
        a = self.data
        if a < 0.0 and not k.is_integer():
            raise ValueError(f"a negative number ({a:g}) to a non-integer power ({k:g}) is not real")

        def _backward(dout: float) -> tuple[float]:
            # d(a ** k)/da = k * a ** (k - 1)  (and 0 for k = 0, where a ** k is the constant 1).
            # At a = 0 with k < 1 (a square root at the origin) the derivative is infinite.
            return ((k * _power(a, k - 1.0) if k != 0.0 else 0.0) * dout,)

        return Value(_power(a, k), _parents=(self,), op=f"**{k:g}", _backward=_backward)

    def __rpow__(self, base: Number) -> Value:
        """``base ** self`` for a plain number ``base > 0`` (or 0, for a positive exponent)."""
        base, x = float(base), self.data
        if base < 0.0 or base == 0.0 and x <= 0.0:
            raise ValueError(f"{base:g} ** Value: the base must be positive (or 0 with a positive exponent)")
        out = _power(base, x)

        def _backward(dout: float) -> tuple[float]:
            # d(base ** x)/dx = base ** x * log(base): the output times the log of the base (0 for base 0).
            return ((out * math.log(base) if base > 0.0 else 0.0) * dout,)

        return Value(out, _parents=(self,), op=f"{base:g}**", _backward=_backward)

    # Comparisons look at the data, as in PyTorch (2 < Value(3) is True). Equality does not: a == b is
    # whether they are the same node, as in micrograd, because graph code (a topological order, a set of
    # visited nodes, ``node in order``) must tell two nodes apart even when they hold the same number.
    def __lt__(self, other: Operand) -> bool:
        return self.data < as_value(other).data

    def __le__(self, other: Operand) -> bool:
        return self.data <= as_value(other).data

    def __gt__(self, other: Operand) -> bool:
        return self.data > as_value(other).data

    def __ge__(self, other: Operand) -> bool:
        return self.data >= as_value(other).data

    # The reflected versions: 2 + x, 2 - x, 2 * x, 2 / x (the number comes first).
    def __radd__(self, other: Number) -> Value:
        return as_value(other) + self

    def __rsub__(self, other: Number) -> Value:
        return as_value(other) - self

    def __rmul__(self, other: Number) -> Value:
        return as_value(other) * self

    def __rtruediv__(self, other: Number) -> Value:
        return as_value(other) / self

    # ---------------------------------------------------------------- unary operations
    def __neg__(self) -> Value:
        def _backward(dout: float) -> tuple[float]:
            # d(-a)/da = -1.
            return (-dout,)

        return Value(-self.data, _parents=(self,), op="neg", _backward=_backward)

    def exp(self) -> Value:
        """``e ** self``; ``inf`` above about 709 (one rule for overflow: ``inf``, as ``a * a`` gives)."""
        e = math.exp(self.data) if self.data < 709.78 else math.inf

        def _backward(dout: float) -> tuple[float]:
            # d exp(a)/da = exp(a): the output itself.
            return (e * dout,)

        return Value(e, _parents=(self,), op="exp", _backward=_backward)

    def log(self) -> Value:
        """The natural logarithm; the input must be positive."""
        a = self.data
        if a <= 0.0:
            raise ValueError(f"log needs a positive input, got {a:g}")

        def _backward(dout: float) -> tuple[float]:
            # d log(a)/da = 1 / a.
            return (dout / a,)

        return Value(math.log(a), _parents=(self,), op="log", _backward=_backward)

    def tanh(self) -> Value:
        """The hyperbolic tangent, in (-1, 1)."""
        t = math.tanh(self.data)

        def _backward(dout: float) -> tuple[float]:
            # d tanh(a)/da = 1 - tanh(a)**2, written with the output t.
            return ((1.0 - t * t) * dout,)

        return Value(t, _parents=(self,), op="tanh", _backward=_backward)

    def sigmoid(self) -> Value:
        """The logistic function ``1 / (1 + exp(-a))``, in (0, 1)."""
        s = _sigmoid(self.data)

        def _backward(dout: float) -> tuple[float]:
            # d sigma(a)/da = sigma(a) * (1 - sigma(a)), written with the output s; never above 0.25.
            return (s * (1.0 - s) * dout,)

        return Value(s, _parents=(self,), op="sigmoid", _backward=_backward)

    def relu(self) -> Value:
        """``max(0, a)``. At ``a = 0`` exactly, the derivative is taken to be 0."""
        a = self.data

        def _backward(dout: float) -> tuple[float]:
            # d relu(a)/da = 1 where a > 0, else 0: the gradient passes or is blocked.
            return ((dout if a > 0.0 else 0.0),)

        return Value(max(a, 0.0), _parents=(self,), op="relu", _backward=_backward)

    # ---------------------------------------------------------------- the backward pass
    def backward(self, dout: float = 1.0) -> None:
        """Add ``dout * d self / d node`` to ``node.grad`` for every node of the graph.

        ``dout`` defaults to 1, i.e. this node is the loss. Gradients
        accumulate (see the module docstring); call :meth:`zero_grad` first
        for a fresh start. The walk is a loop over a topological order, not a
        recursion, so a chain of a million nodes works as well as a short one.
        """
        order = topological_order(self)
        # dL/d node from THIS call only; added to node.grad once it is complete.
        upstream: dict[Value, float] = {self: float(dout)}
        for node in reversed(order):  # the root first, then right to left
            g = upstream.pop(node, 0.0)
            node.grad += g
            for parent, contribution in zip(node._parents, node._backward(g)):
                upstream[parent] = upstream.get(parent, 0.0) + contribution

    def zero_grad(self) -> None:
        """Set ``grad = 0`` on this node and every node it was computed from."""
        for node in topological_order(self):
            node.grad = 0.0


def _power(a: float, k: float) -> float:
    """``a ** k`` as IEEE arithmetic has it: ``inf`` where it overflows or divides by 0, never an exception.

    Python's ``1e200 ** 2`` raises ``OverflowError`` and ``0.0 ** -1`` raises
    ``ZeroDivisionError``, while ``1e200 * 1e200`` is ``inf``: the engine uses
    one rule, the product's (and PyTorch's).
    """
    try:
        return a ** k
    except OverflowError:
        return -math.inf if a < 0.0 and k.is_integer() and int(k) % 2 else math.inf
    except ZeroDivisionError:  # 0 ** negative
        return -math.inf if math.copysign(1.0, a) < 0.0 and k.is_integer() and int(k) % 2 else math.inf


def _sigmoid(a: float) -> float:
    """The logistic function, without overflow for large negative ``a``."""
    if a >= 0.0:
        return 1.0 / (1.0 + math.exp(-a))
    e = math.exp(a)
    return e / (1.0 + e)


def as_value(x: Operand) -> Value:
    """``x`` itself if it is a :class:`Value`, else a new leaf holding the number ``x``."""
    if isinstance(x, Value):
        return x
    if isinstance(x, (int, float)) or hasattr(x, "__float__"):
        return Value(float(x))
    raise TypeError(f"cannot combine a Value with {type(x).__name__}: use a number or a Value")


def topological_order(root: Value) -> list[Value]:
    """Every node ``root`` depends on, each exactly once, parents before children.

    The last element is ``root``. Depth-first search with an explicit stack
    (no recursion): a node is appended only after all of its parents.
    """
    order: list[Value] = []
    visited: set[Value] = set()
    stack: list[tuple[Value, bool]] = [(root, False)]
    while stack:
        node, parents_done = stack.pop()
        if parents_done:
            order.append(node)
            continue
        if node in visited:
            continue
        visited.add(node)
        stack.append((node, True))  # come back to it once its parents are in
        for parent in node._parents:
            if parent not in visited:
                stack.append((parent, False))
    return order


def local_derivatives(node: Value) -> tuple[float, ...]:
    """``d node / d parent`` for each parent, in the order of ``node.parents``.

    Every ``_backward`` is linear in ``dout``, so calling it with ``dout = 1``
    gives the local derivatives themselves.
    """
    return tuple(node._backward(1.0))


def trace(root: Value) -> tuple[list[Value], list[tuple[Value, Value]]]:
    """The graph below ``root``, for drawing: ``(nodes, edges)``.

    ``nodes`` is in topological order (leaves first, ``root`` last), each node
    once. ``edges`` holds one ``(parent, child)`` pair per input of each
    operation, in the order of the children in ``nodes``; a node used twice
    by one operation (``a * a``) gives two equal edges. The local derivative
    of the i-th edge into ``child`` is ``local_derivatives(child)[i]``.
    """
    nodes = topological_order(root)
    edges = [(parent, child) for child in nodes for parent in child._parents]
    return nodes, edges


def values(xs: Iterable[float], labels: Iterable[str] | None = None) -> list[Value]:
    """Leaves for several numbers at once: ``w, b = values([0.5, 0.1], ["w", "b"])``."""
    xs = list(xs)
    names = list(labels) if labels is not None else [""] * len(xs)
    if len(names) != len(xs):
        raise ValueError(f"{len(xs)} numbers but {len(names)} labels")
    return [Value(x, label=n) for x, n in zip(xs, names)]
