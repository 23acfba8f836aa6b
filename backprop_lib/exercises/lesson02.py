"""Checks of lesson 02, computational graphs and a scalar autodiff engine.

Tasks and what each ``check_<task>(fn, rng=None)`` calls ``fn`` with:

* ``mul_backward(inputs, out, dout)``, ``pow_backward(inputs, out, dout, k)``
  and ``sigmoid_backward(inputs, out, dout)``: the local backward rule of one
  operation. ``inputs`` is a tuple of the operation's inputs (floats or arrays
  of one shape), ``out`` its forward result, ``dout = dL/d out``; the rule
  returns a tuple with one ``dL/d input`` per input. The expected gradients are
  SymPy's local derivatives times ``dout``, confirmed by central differences.
* ``topological_order(root)``: every node the root depends on, once each,
  inputs before the operations that use them, root last. Judged by those
  properties on graphs built with the library's :class:`~backprop_lib.nn.engine.Value`.
* ``backward_pass(order, local_grads)``: fills in every node's ``grad``. It is
  given the library's topological order and the library's local derivatives
  (:func:`backprop_lib.nn.engine.local_derivatives`), never the student's answers
  to the exercises above, so one mistake is charged once. Leaf gradients must
  match SymPy (confirmed by central differences); every other node's gradient
  must match the library's engine on a copy of the graph.

Self-checks (``rng=None``) use the seeded :func:`~backprop_lib.exercises.visible_rng`;
hidden tests draw fresh inputs, shapes and graphs from ``rng``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np
import sympy as sp

from ..nn.activations import sigmoid as _sig
from ..nn import activations, engine
from ..checking import gradcheck
from ..checking.checks import CheckFailed, LibraryError, call_student, compare, fmt, fmt_inputs, match_mistake, passed
from ..checking.diagnose import diagnose
from ..nn.engine import Value
from ..checking.symbolic import Symbolic, sigmoid, to_numpy
from . import pick_rng, random_shape
from .lesson01 import constant_factor, explain_result

#: Library functions that would hand over an answer; calling one fails the check.
ENGINE_REFERENCES = [engine.Value.backward, engine.Value.zero_grad, engine.local_derivatives,
                     engine.topological_order, engine.trace]



# --- local backward rules -------------------------------------------------------------

def _expected_input_grads(forward: Symbolic, args: Sequence[np.ndarray], dout: np.ndarray) -> list[np.ndarray]:
    """``dout * d forward / d arg_i`` for each argument: SymPy, confirmed by central differences."""
    grads = []
    for i, name in enumerate(forward.names):
        exact = forward.grad(name)(*args)
        numeric = gradcheck.central_difference(
            lambda v, i=i: forward.value(*[v if j == i else a for j, a in enumerate(args)]), args[i])
        # central differences carry an absolute error of about 1e-10, so tiny derivatives are
        # compared absolutely (floor 1e-4), as in the engine's own tests
        if gradcheck.max_rel_error(exact, numeric, floor=1e-4) > gradcheck.NUMERIC_TOL:
            raise LibraryError(f"SymPy and finite differences disagree on d/d{name} of {forward.expr}: "
                               "please report this")
        grads.append(exact * dout)
    return grads


def _as_grad_tuple(got: Any, name: str, n_inputs: int, example: str) -> tuple[Any, ...]:
    """The student's result as a tuple of ``n_inputs`` gradients, or a CheckFailed saying what is wrong."""
    if got is None:
        raise CheckFailed(f"{name} returned None: did you forget the `return` statement? "
                          f"It should return {example}.")
    if isinstance(got, list):
        raise CheckFailed(f"{name} should return a tuple with one gradient per input, {example}, but it "
                          f"returned a list, {fmt(got, 80)}: write the gradients in parentheses, not brackets "
                          "(every rule of the engine returns a tuple)")
    if not isinstance(got, tuple):
        raise CheckFailed(f"{name} should return a tuple with one gradient per input, {example}, "
                          f"but it returned {type(got).__name__} {fmt(got, 80)}"
                          + (": wrap it in a tuple, (da,) with a comma" if n_inputs == 1 else ""))
    if len(got) != n_inputs:
        raise CheckFailed(f"{name} should return {n_inputs} gradient{'s' if n_inputs > 1 else ''} "
                          f"(one per input), {example}, but it returned {len(got)}")
    return tuple(got)


def _check_rule(fn: Callable[..., Any], name: str, forward: Symbolic, cases: list[dict[str, Any]],
                mistakes: dict[str, Callable[..., tuple[Any, ...]]], example: str,
                options: dict[str, Any] | None = None, forbidden: Sequence[Callable[..., Any]] = ()) -> int:
    """Run one local rule on every case and compare each returned gradient with SymPy's.

    ``fn`` is called as ``fn(inputs, out, dout, *options.values())``; a mistake
    model is called with the inputs by name, ``out``, ``dout`` and the options,
    and returns the tuple that mistake would give. Returns the number of cases.
    """
    options = options or {}
    for case in cases:
        args = [case[n] for n in forward.names]
        out = forward.value(*args)
        dout = case["dout"]
        expected = _expected_input_grads(forward, args, dout)
        got = call_student(fn, name, tuple(args), out, dout, *options.values(),
                           forbidden=[*ENGINE_REFERENCES, *forbidden])
        got = _as_grad_tuple(got, name, len(args), example)
        shown = dict(zip(forward.names, args)) | {"out": out, "dout": dout} | options
        for i, (want, have) in enumerate(zip(expected, got)):
            per_input = {desc: (lambda i=i, wrong=wrong, **kw: wrong(**kw)[i]) for desc, wrong in mistakes.items()}
            which = f"[{i}], the gradient of {forward.names[i]}," if len(args) > 1 else "[0]"
            explain_result(f"{name}{which}", want, have, shown, mistakes=per_input)
            _division_by_an_input(f"{name}{which}", want, have, shown, forward.names)
            compare(f"{name}{which}", want, have, shown, mistakes=per_input)
    return len(cases)


def _rule_cases(rng: np.random.Generator, hidden: bool, names: str, low: float, high: float,
                n_hidden: int = 3, zeros: bool = False) -> list[dict[str, Any]]:
    """Cases ``{name: array, ..., "dout": array}``: one shape per case, dout never close to 1.

    With ``zeros``, case i holds an exact 0 in the i-th input (in turn), where a rule that divides by
    an input (``out / a`` for ``b``) gives nan or inf.
    """
    cases = []
    inputs = names.split()
    for i in range(n_hidden if hidden else 2):
        shape = random_shape(rng) if hidden else (4,)
        case = {n: rng.uniform(low, high, size=shape) for n in inputs}
        if zeros:
            case[inputs[i % len(inputs)]].flat[int(rng.integers(0, case[inputs[0]].size))] = 0.0
        case["dout"] = rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.3, 2.5, size=shape)
        cases.append(case)
    return cases


def _division_by_an_input(name: str, want: np.ndarray, have: Any, case: dict[str, Any], names: Sequence[str]) -> None:
    """Fail, saying so, when ``have`` is nan or inf exactly where an input is 0 and the right answer is finite."""
    try:
        arr = np.asarray(have, dtype=np.float64)
    except (TypeError, ValueError):
        return
    if arr.shape != np.shape(want):
        return
    bad = ~np.isfinite(arr) & np.isfinite(want)
    if not bad.any():
        return
    zero = np.zeros(bad.shape, dtype=bool)
    at_zero = []
    for n in names:
        is_zero = np.broadcast_to(np.asarray(case[n]) == 0, bad.shape)
        if (is_zero & bad).any():
            at_zero.append(n)
            zero |= is_zero
    if at_zero and not (bad & ~zero).any():
        where = " or ".join(at_zero)
        raise CheckFailed(f"{name} gives a wrong result.\n  on input: {fmt_inputs(case)}\n"
                          f"  got:      {fmt(have)}\n"
                          f"  what differs: your gradient is nan or inf exactly where {where} is 0 "
                          f"({int(bad.sum())} entr{'y' if bad.sum() == 1 else 'ies'}), where the right one is "
                          "a finite number: a division by an input (such as out / a)? The local derivatives "
                          "need no division: use the inputs themselves.")


MUL = Symbolic(lambda a, b: a * b, "a b")

MUL_MISTAKES: dict[str, Callable[..., tuple[Any, ...]]] = {
    "the gradients are swapped: input a gets b * dout and input b gets a * dout (each input's local "
    "derivative is the OTHER input)": lambda a, b, out, dout: (a * dout, b * dout),
    "dout is missing: by the chain rule each local derivative is multiplied by dout":
        lambda a, b, out, dout: (b, a),
    "this is the rule of +, which passes dout on unchanged; for a * b the local derivatives are b and a":
        lambda a, b, out, dout: (dout, dout),
    "you multiplied by out = a * b instead of by dout": lambda a, b, out, dout: (b * out, a * out),
}


def check_mul_backward(fn: Callable[..., Any], rng: np.random.Generator | None = None) -> None:
    """``fn((a, b), out, dout)`` must return ``(dout * b, dout * a)``, element-wise."""
    rng, hidden = pick_rng(rng)
    cases = _rule_cases(rng, hidden, "a b", -3.0, 3.0, zeros=True)
    n = _check_rule(fn, "mul_backward", MUL, cases, MUL_MISTAKES, "(da, db)")
    passed("mul_backward", n, "both gradients match sympy.diff(a * b) times dout")


POW_MISTAKES: dict[str, Callable[..., tuple[Any, ...]]] = {
    "the exponent must drop by one: d(a**k)/da = k * a**(k - 1), not k * a**k":
        lambda a, out, dout, k: (k * a ** k * dout,),
    "the factor k is missing: d(a**k)/da = k * a**(k - 1)": lambda a, out, dout, k: (a ** (k - 1) * dout,),
    "the factor k appears twice: d(a**k)/da = k * a**(k - 1), one k": lambda a, out, dout, k: (k * k * a ** (k - 1) * dout,),
    "dout is missing: multiply the local derivative k * a**(k - 1) by dout":
        lambda a, out, dout, k: (k * a ** (k - 1),),
    "you returned out * dout, the rule of exp; for a**k the local derivative is k * a**(k - 1)":
        lambda a, out, dout, k: (out * dout,),
}


def check_pow_backward(fn: Callable[..., Any], rng: np.random.Generator | None = None) -> None:
    """``fn((a,), out, dout, k)`` must return ``(dout * k * a**(k - 1),)`` for a constant exponent ``k``."""
    rng, hidden = pick_rng(rng)
    if hidden:
        # always one positive whole power, whose input can be exactly 0 (a rule dividing by a must fail)
        whole = float(rng.choice([2.0, 3.0, 4.0]))
        others = [k for k in (2.0, 3.0, 4.0, -1.0, 0.5, 1.5) if k != whole]
        exponents = [whole] + [float(k) for k in rng.choice(others, size=2, replace=False)]
    else:
        exponents = [2.0, 3.0, 0.5]
    n = 0
    for k in exponents:
        # a fractional power needs a > 0; a negative power needs a away from 0
        low, high = (-2.0, 2.0) if k.is_integer() else (0.2, 2.5)
        # a positive whole power is defined at 0: one input is exactly 0 there
        cases = _rule_cases(rng, hidden, "a", low, high, zeros=k.is_integer() and k > 0)[:1 if not hidden else 2]
        if k < 0:
            for c in cases:
                c["a"] = np.where(np.abs(c["a"]) < 0.3, np.sign(c["a"] + 1e-12) * 0.3, c["a"])
        forward = Symbolic(lambda a, k=k: a ** sp.Float(k) if not k.is_integer() else a ** int(k), "a")
        n += _check_rule(fn, "pow_backward", forward, cases, POW_MISTAKES, "(da,)", options={"k": k})
    passed("pow_backward", n, f"matches sympy.diff(a**k) times dout for k = {', '.join(f'{k:g}' for k in exponents)}")


SIGMOID = Symbolic(lambda a: sigmoid(a), "a")

SIGMOID_MISTAKES: dict[str, Callable[..., tuple[Any, ...]]] = {
    "you used the INPUT a in a * (1 - a): the shortcut needs the OUTPUT, out * (1 - out) * dout":
        lambda a, out, dout: (a * (1 - a) * dout,),
    "dout is missing: multiply the local derivative out * (1 - out) by dout":
        lambda a, out, dout: (out * (1 - out),),
    "a sign is wrong: the local derivative of the sigmoid is out * (1 - out)":
        lambda a, out, dout: (out * (1 + out) * dout,),
    "you returned out * dout, the rule of exp; the sigmoid's local derivative is out * (1 - out)":
        lambda a, out, dout: (out * dout,),
    "the factor out is missing: the local derivative of the sigmoid is out * (1 - out)":
        lambda a, out, dout: ((1 - out) * dout,),
    "the sigmoid's local derivative out * (1 - out) is missing: you passed dout on unchanged, which is "
    "the rule of +": lambda a, out, dout: (dout,),
    "the sign is flipped: the local derivative out * (1 - out) is positive (out lies between 0 and 1), "
    "so dL/da has the sign of dout": lambda a, out, dout: (-out * (1 - out) * dout,),
    "you recomputed the sigmoid of out: the rule needs out * (1 - out) with out itself, not sigmoid(out)":
        lambda a, out, dout: (_sig(out) * (1 - _sig(out)) * dout,),
}


def check_sigmoid_backward(fn: Callable[..., Any], rng: np.random.Generator | None = None) -> None:
    """``fn((a,), out, dout)`` with ``out = sigmoid(a)`` must return ``(dout * out * (1 - out),)``."""
    rng, hidden = pick_rng(rng)
    cases = _rule_cases(rng, hidden, "a", -4.0, 4.0)
    n = _check_rule(fn, "sigmoid_backward", SIGMOID, cases, SIGMOID_MISTAKES, "(da,)",
                    forbidden=[activations.sigmoid_prime])
    passed("sigmoid_backward", n, "matches sympy.diff(sigmoid(a)) times dout")


# --- graphs built from a recipe, in three worlds: Value, SymPy and NumPy floats -------------

#: An operation of a recipe: ("+", i, j), ("*", i, j), ("-", i, j), ("pow", i, k),
#: ("exp", i), ("tanh", i), ("sigmoid", i); i and j index earlier entries (leaves first).
Step = tuple[Any, ...]


@dataclass(frozen=True)
class Recipe:
    """A scalar expression as leaf names and values plus a list of operations; the last one is the root."""

    description: str
    leaves: tuple[str, ...]
    values: tuple[float, ...]
    steps: tuple[Step, ...]
    labels: tuple[str, ...] = ()  # names of the operation nodes, "" for none

    def _run(self, leaves: list[Any], ops: dict[str, Callable[..., Any]]) -> list[Any]:
        nodes = list(leaves)
        for step in self.steps:
            kind, i = step[0], step[1]
            if kind in ("+", "*", "-"):
                nodes.append(ops[kind](nodes[i], nodes[step[2]]))
            elif kind == "pow":
                nodes.append(ops["pow"](nodes[i], step[2]))
            else:
                nodes.append(ops[kind](nodes[i]))
        return nodes

    def values_graph(self) -> list[Value]:
        """Every node as a :class:`Value` (leaves first, root last), grads all 0."""
        ops = {"+": lambda a, b: a + b, "*": lambda a, b: a * b, "-": lambda a, b: a - b,
               "pow": lambda a, k: a ** k, "exp": lambda a: a.exp(), "tanh": lambda a: a.tanh(),
               "sigmoid": lambda a: a.sigmoid()}
        nodes = self._run([Value(v, label=n) for n, v in zip(self.leaves, self.values)], ops)
        for node, label in zip(nodes[len(self.leaves):], self.labels):
            node.label = label
        return nodes

    def sympy(self) -> tuple[tuple[sp.Symbol, ...], sp.Expr]:
        syms = tuple(sp.Symbol(n, real=True) for n in self.leaves)
        ops = {"+": lambda a, b: a + b, "*": lambda a, b: a * b, "-": lambda a, b: a - b,
               "pow": lambda a, k: a ** int(k), "exp": sp.exp, "tanh": sp.tanh, "sigmoid": sigmoid}
        return syms, self._run(list(syms), ops)[-1]

    def numpy_root(self, *leaf_values: Any) -> Any:
        ops = {"+": np.add, "*": np.multiply, "-": np.subtract, "pow": lambda a, k: a ** int(k),
               "exp": np.exp, "tanh": np.tanh, "sigmoid": _sig}
        return self._run(list(leaf_values), ops)[-1]


def squared_error_recipe(w: float, x: float, b: float, y: float) -> Recipe:
    """L = (w*x + b - y)**2, the lesson's running example."""
    return Recipe("L = (w*x + b - y)**2", ("w", "x", "b", "y"), (w, x, b, y),
                  (("*", 0, 1), ("+", 4, 2), ("-", 5, 3), ("pow", 6, 2)), ("z", "p", "r", "L"))


def reuse_recipe(a: float, c: float) -> Recipe:
    """f = (a*a + exp(a)) * (a*a) * c: a feeds three operations (two of them the same *), a*a two."""
    return Recipe("f = (a*a + exp(a)) * (a*a) * c", ("a", "c"), (a, c),
                  (("*", 0, 0), ("exp", 0), ("+", 2, 3), ("*", 4, 2), ("*", 5, 1)), ("s", "e", "t", "u", "f"))


def shortcut_recipe(w: float, x: float) -> Recipe:
    """f = (tanh(w*x) + x) * w: x and w are reached from the root both directly and through a longer path."""
    return Recipe("f = (tanh(w*x) + x) * w", ("w", "x"), (w, x),
                  (("*", 0, 1), ("tanh", 2), ("+", 3, 1), ("*", 4, 0)), ("z", "h", "u", "f"))


def random_recipe(rng: np.random.Generator) -> Recipe:
    """A random expression of 2 to 4 leaves and 4 to 9 operations, with at least one node reused."""
    n_leaves = int(rng.integers(2, 5))
    names = tuple(f"x{i}" for i in range(n_leaves))
    vals = tuple(float(v) for v in rng.uniform(-1.5, 1.5, n_leaves))
    steps: list[Step] = []
    sizes = [abs(v) for v in vals]
    for s in range(int(rng.integers(4, 10))):
        n = n_leaves + s
        recent = int(rng.integers(max(0, n - 3), n))  # keep the graph deep: use a recent node
        other = int(rng.integers(0, n))
        kind = str(rng.choice(["+", "*", "-", "pow", "exp", "tanh", "sigmoid"]))
        if kind in ("exp", "pow", "*") and sizes[recent] > 3.0:
            kind = "tanh"  # keep every value small, so that nothing overflows
        if kind in ("+", "*", "-"):
            step: Step = (kind, recent, other)
            size = {"+": sizes[recent] + sizes[other], "-": sizes[recent] + sizes[other],
                    "*": sizes[recent] * sizes[other]}[kind]
        elif kind == "pow":
            k = int(rng.choice([2, 3]))
            step, size = ("pow", recent, k), sizes[recent] ** k
        else:
            step = (kind, recent)
            size = {"exp": float(np.exp(sizes[recent])), "tanh": 1.0, "sigmoid": 1.0}[kind]
        steps.append(step)
        sizes.append(size)
    # the root reuses a node that something else already used, so gradients must accumulate
    used = [i for st in steps for i in (st[1:3] if st[0] in ("+", "*", "-") else st[1:2])]
    steps.append(("*", len(names) + len(steps) - 1, int(rng.choice(used))))
    labels = tuple(f"v{i + 1}" for i in range(len(steps)))
    return Recipe("a random expression", names, vals, tuple(steps), labels)


def node_name(node: Value) -> str:
    """How a message names a node: its label, else its operation and value."""
    if node.label:
        return repr(node.label)
    return f"the {node.op or 'leaf'} node with value {node.data:.4g}"


# --- topological_order --------------------------------------------------------------------

def _ancestors(root: Value) -> list[Value]:
    """Every node ``root`` depends on, including itself (graph search written here, not the reference)."""
    seen: dict[int, Value] = {}
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) not in seen:
            seen[id(node)] = node
            stack.extend(node.parents)
    return list(seen.values())


def judge_order(got: Any, root: Value, name: str = "topological_order") -> str | None:
    """What is wrong with ``got`` as a topological order of the graph below ``root``, or None."""
    if got is None:
        return f"{name} returned None: did you forget the `return` statement?"
    if not isinstance(got, (list, tuple)):
        return f"{name} should return a list of nodes, but it returned {type(got).__name__}"
    not_nodes = [g for g in got if not isinstance(g, Value)]
    if not_nodes:
        return (f"{name} should return the nodes themselves (Value objects), but the list holds "
                f"{type(not_nodes[0]).__name__} {fmt(not_nodes[0], 60)}")
    every = _ancestors(root)
    in_graph = {id(n) for n in every}
    counts: dict[int, int] = {}
    for g in got:
        counts[id(g)] = counts.get(id(g), 0) + 1
    twice = [g for g in got if counts[id(g)] > 1]
    if twice:
        return (f"node {node_name(twice[0])} appears {counts[id(twice[0])]} times in your list: it is used by "
                "more than one operation (or twice by one); remember which nodes you have visited "
                "(a set) and add each node only once")
    strangers = [g for g in got if id(g) not in in_graph]
    if strangers:
        return f"node {node_name(strangers[0])} is in your list but the root does not depend on it"
    missing = [n for n in every if id(n) not in counts]
    if missing:
        names = ", ".join(node_name(n) for n in missing[:6]) + (", ..." if len(missing) > 6 else "")
        leaves = [n for n in every if not n.parents]
        if {id(n) for n in missing} == {id(n) for n in leaves}:  # exactly the leaves: unambiguous
            return (f"the leaves are missing ({names}): every operation is there, but a leaf (a node with no "
                    "inputs) is a node of the graph too; append every node you visit, leaves included")
        return (f"{len(missing)} of the {len(every)} nodes are missing: {names}. Every node the root depends "
                "on, through any chain of inputs (the inputs of the inputs too, down to the leaves), "
                "belongs in the list, once")
    where = {id(g): i for i, g in enumerate(got)}
    if len(got) > 1 and all(where[id(p)] > where[id(n)] for n in got for p in n.parents):
        return ("your list is in reverse, the root first: a topological order lists every node AFTER "
                "its inputs, so the root comes last")
    for n in got:
        for p in n.parents:
            if where[id(p)] > where[id(n)]:
                return (f"node {node_name(n)} comes before its input {node_name(p)}: a node may be "
                        "added only after ALL of its inputs (a depth-first search that appends a node "
                        "once its inputs are done guarantees it)")
    if got[-1] is not root:
        return f"the last node should be the root, but it is {node_name(got[-1])}"
    return None


def _graph_cases(rng: np.random.Generator, hidden: bool) -> list:
    """The graphs both graph checks use: the squared error, a reused node, a shortcut, and (hidden) random ones."""
    u = lambda: float(rng.uniform(-1.5, 1.5))  # noqa: E731
    recipes = [squared_error_recipe(u(), u(), u(), u()), reuse_recipe(u(), u()), shortcut_recipe(u(), u())]
    if hidden:
        recipes += [random_recipe(rng) for _ in range(3)]
        rng.shuffle(recipes)
    return recipes


def check_topological_order(fn: Callable[..., Any], rng: np.random.Generator | None = None) -> None:
    """``fn(root)`` must list every node below ``root`` once, inputs before their users, root last."""
    rng, hidden = pick_rng(rng)
    name = "topological_order"
    recipes = _graph_cases(rng, hidden)
    for recipe in recipes:
        root = recipe.values_graph()[-1]
        got = call_student(fn, name, root, forbidden=ENGINE_REFERENCES)
        problem = judge_order(got, root, name)
        if problem:
            raise CheckFailed(f"{name} gives a wrong order.\n  on the graph of: {recipe.description}\n"
                              f"  problem: {problem}")
    lone = Value(2.0, label="x")
    got = call_student(fn, name, lone, forbidden=ENGINE_REFERENCES)
    problem = judge_order(got, lone, name)
    if problem:
        raise CheckFailed(f"{name} gives a wrong order.\n  on the graph of a single leaf x (no operations)\n"
                          f"  problem: {problem}")
    passed(name, len(recipes) + 1, "each node once, every input before its users, the root last")


# --- backward_pass ------------------------------------------------------------------------

def _reference_backward(order: list[Value], local_grads: Callable[[Value], tuple[float, ...]]) -> None:
    order[-1].grad = 1.0
    for node in reversed(order):
        for parent, local in zip(node.parents, local_grads(node)):
            parent.grad += local * node.grad


def _overwrite(order: list[Value], local_grads: Callable[[Value], tuple[float, ...]]) -> None:
    order[-1].grad = 1.0
    for node in reversed(order):
        for parent, local in zip(node.parents, local_grads(node)):
            parent.grad = local * node.grad


def _left_to_right(order: list[Value], local_grads: Callable[[Value], tuple[float, ...]]) -> None:
    order[-1].grad = 1.0
    for node in order:
        for parent, local in zip(node.parents, local_grads(node)):
            parent.grad += local * node.grad


def _no_chain(order: list[Value], local_grads: Callable[[Value], tuple[float, ...]]) -> None:
    order[-1].grad = 1.0
    for node in reversed(order):
        for parent, local in zip(node.parents, local_grads(node)):
            parent.grad += local


def _no_seed(order: list[Value], local_grads: Callable[[Value], tuple[float, ...]]) -> None:
    for node in reversed(order):
        for parent, local in zip(node.parents, local_grads(node)):
            parent.grad += local * node.grad


BACKWARD_MISTAKES: dict[str, Callable[[list[Value], Callable[[Value], tuple[float, ...]]], None]] = {
    "a node used more than once must get the SUM of the gradients from all its uses: "
    "accumulate with parent.grad += ..., not parent.grad = ...": _overwrite,
    "the nodes are visited left to right: walk the order from the root back to the leaves "
    "(reversed(order)), so that a node's grad is complete before it is passed on": _left_to_right,
    "the chain rule needs node.grad: each input gets local_derivative * node.grad, "
    "not the local derivative alone": _no_chain,
    "every gradient is 0: start by setting the root's grad to 1 (dL/dL = 1)": _no_seed,
}


def _grads_after(recipe: Recipe, backward: Callable[..., Any]) -> list[float]:
    """Every node's grad after running ``backward(order, local_derivatives)`` on a fresh copy of the graph."""
    nodes = recipe.values_graph()
    order = engine.topological_order(nodes[-1])
    with np.errstate(all="ignore"):
        backward(order, engine.local_derivatives)
    return [n.grad for n in order]


def check_backward_pass(fn: Callable[..., Any], rng: np.random.Generator | None = None) -> None:
    """``fn(order, local_grads)`` must set every node's grad to d root / d node (leaves vs SymPy)."""
    rng, hidden = pick_rng(rng)
    name = "backward_pass"
    recipes = _graph_cases(rng, hidden)
    for recipe in recipes:
        # what each node's grad must be: SymPy for the leaves, confirmed by central differences ...
        syms, expr = recipe.sympy()
        leaf_grads = {}
        for i, s in enumerate(syms):
            exact = float(to_numpy(sp.diff(expr, s), syms)(*recipe.values))
            numeric = float(gradcheck.central_difference(
                lambda v, i=i: recipe.numpy_root(*[v if j == i else x for j, x in enumerate(recipe.values)]),
                np.float64(recipe.values[i])))
            if gradcheck.max_rel_error(exact, numeric, floor=1e-4) > gradcheck.NUMERIC_TOL:
                raise LibraryError(f"SymPy and finite differences disagree on {recipe.description}: please report this")
            leaf_grads[recipe.leaves[i]] = exact
        # ... and the library's engine for the operations in between (it is tested against SymPy)
        expected = _grads_after(recipe, _reference_backward)
        nodes = recipe.values_graph()
        order = engine.topological_order(nodes[-1])
        for k, node in enumerate(order):
            if not node.parents:
                expected[k] = leaf_grads[node.label]
        given_order = list(order)
        call_student(fn, name, given_order, engine.local_derivatives, forbidden=[engine.Value.backward])
        _judge_grads(name, recipe, order, expected)
    passed(name, len(recipes), "every leaf's grad matches sympy.diff, every other node's the library's engine")


def _judge_grads(name: str, recipe: Recipe, order: list[Value], expected: list[float]) -> None:
    """Raise a CheckFailed listing the nodes whose grad is wrong, with the likely mistake."""
    raw = [n.grad for n in order]
    try:
        got = np.array(raw, dtype=np.float64)
    except (TypeError, ValueError):
        bad = next(n for n in order if not isinstance(n.grad, (int, float, np.floating, np.integer)))
        raise CheckFailed(f"{name} left {type(bad.grad).__name__} {fmt(bad.grad, 60)} in the grad of node "
                          f"{node_name(bad)}: every grad must be a number") from None
    want = np.array(expected, dtype=np.float64)
    err = gradcheck.rel_error(want, got)
    err = np.where(np.isnan(err), np.inf, err)
    if err.max() <= gradcheck.EXACT_TOL:
        return
    lines = [f"{name} gives wrong gradients.",
             f"  on the graph of: {recipe.description}, with "
             + ", ".join(f"{n} = {v:.4g}" for n, v in zip(recipe.leaves, recipe.values))]
    wrong = [k for k in range(len(order)) if err[k] > gradcheck.EXACT_TOL]
    for k in wrong[:6]:
        lines.append(f"  grad of {node_name(order[k])}: expected {want[k]:.6g}, got {got[k]:.6g}")
    if len(wrong) > 6:
        lines.append(f"  ... and {len(wrong) - 6} more node{'s' if len(wrong) > 7 else ''}")
    models = {desc: (lambda model=model: _grads_after(recipe, model)) for desc, model in BACKWARD_MISTAKES.items()}
    hint = match_mistake(got, {}, models) or constant_factor(want, got) or diagnose(want, got)
    if hint:
        lines.append(f"  likely cause: {hint}")
    raise CheckFailed("\n".join(lines))


#: Exercises whose hidden tests the grader re-runs outside the student's kernel
#: (autograder/verify.py): all of them. Value nodes travel as data objects: a node
#: topological_order returns is the grader's own node, and the grads backward_pass
#: sets in the kernel come back onto the grader's nodes.
VERIFIED_OUTSIDE = ('mul_backward', 'pow_backward', 'sigmoid_backward', 'topological_order', 'backward_pass')


#: The course library's own functions each exercise may not use, not even copied: its check forbids
#: them, and the exercise's text says so (tests/test_verify.py checks the two agree).
FORBIDDEN_REFERENCES = {
    "mul_backward": ("nn.engine.Value.backward", "nn.engine.Value.zero_grad", "nn.engine.local_derivatives",
        "nn.engine.topological_order", "nn.engine.trace"),
    "pow_backward": ("nn.engine.Value.backward", "nn.engine.Value.zero_grad", "nn.engine.local_derivatives",
        "nn.engine.topological_order", "nn.engine.trace"),
    "sigmoid_backward": ("nn.activations.sigmoid_prime", "nn.engine.Value.backward", "nn.engine.Value.zero_grad",
        "nn.engine.local_derivatives", "nn.engine.topological_order", "nn.engine.trace"),
    "topological_order": ("nn.engine.Value.backward", "nn.engine.Value.zero_grad", "nn.engine.local_derivatives",
        "nn.engine.topological_order", "nn.engine.trace"),
    "backward_pass": ("nn.engine.Value.backward",),
}


#: The rules of each exercise's answer that the checks apply to every call of the student's function
#: (``backprop_lib.checking.checks``): the inputs it may change in place ({name: position in its signature}; every other array, list or dict it
#: is given must come back as it was; the exercise's text says so) and the kind of value it returns:
#: "array", "number", "numeric" (either), list, dict, a tuple of these, or None (anything).
MAY_MODIFY: dict[str, dict[str, int]] = {}
RETURNS: dict[str, object] = {
    "mul_backward": ("numeric", "numeric"),
    "pow_backward": ("numeric",),
    "sigmoid_backward": ("numeric",),
    "topological_order": list,
    "backward_pass": None,
}
