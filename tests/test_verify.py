"""Out-of-kernel verification: is a verifiable exercise judged the same through the kernel proxy?

For every exercise a lesson lists in VERIFIED_OUTSIDE (every graded exercise),
the reference solution must pass and every known mistake must fail when the
check runs in this process and the student's function runs in a real kernel.
Data objects (Value nodes, Recipes, a grad_check problem) must come back as
the grader's own objects, with what the kernel did to them, and nothing a
kernel sends may crash the grader or pass for what it is not.
"""
from __future__ import annotations

import contextlib
import dataclasses
import io
import json

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from autograder import demo, mistakes, transport
from autograder.layout import lessons
from autograder.verify import (BadReply, KernelProxy, Unverifiable, Verdict, checks_module, copied_reference, decode,
                               field_value, student_code)
from backprop_lib.nn import engine
from backprop_lib.lessons import xor
from backprop_lib.checking.checks import CheckFailed, call_student
from backprop_lib.nn.engine import Value
from backprop_lib.exercises import lesson02, lesson05

pytestmark = pytest.mark.slow

VERIFIED = [(lesson, task) for lesson in lessons() if demo.graded_tasks(lesson)
            for task in getattr(checks_module(lesson), "VERIFIED_OUTSIDE", ())]


@pytest.fixture(scope="module")
def kernel(live_kernel):
    return live_kernel.run, live_kernel.evaluate


def verify(kernel, lesson, task, source, seed=3) -> KernelProxy:
    run, evaluate = kernel
    run(source)
    check = getattr(checks_module(lesson), f"check_{task}")
    proxy = KernelProxy(evaluate, task, task)
    with contextlib.redirect_stdout(io.StringIO()):
        check(proxy, rng=np.random.default_rng(seed))
    return proxy


def solution_cell(task: str, source: str) -> dict:
    return {"cell_type": "code", "source": source, "metadata": {"nbgrader": {"solution": True, "grade_id": task}}}


@pytest.mark.parametrize("lesson, task", VERIFIED)
def test_reference_solution_passes_when_judged_outside_the_kernel(kernel, lesson, task):
    source = demo.solution_sources(lesson)[task]
    proxy = verify(kernel, lesson, task, source)
    # ...and is not taken for a copy of what its exercise forbids
    passed = Verdict(f"test_{task}", task, True, "")
    assert copied_reference(passed, proxy.forbidden_seen, student_code([solution_cell(task, source)])) is None
    # what the check forbids is what the exercise's text says it forbids (autograder.preprocessors.StateForbidden)
    forbidden = {f"{r.__module__}.{r.__qualname__}".removeprefix("backprop_lib.") for r in proxy.forbidden_seen}
    assert forbidden == set(checks_module(lesson).FORBIDDEN_REFERENCES[task])


def test_a_pasted_copy_of_the_reference_is_recognised_however_it_is_moved_or_renamed():
    """The copy starts on another line, its locals are renamed, its docstring changed: it is still the reference."""
    source = ("import numpy as np\nH = 1e-5\n\n\ndef central_difference(g, point, h=H):\n    'my own'\n"
              "    point = np.asarray(point, dtype=np.float64)\n    with np.errstate(all='ignore'):\n"
              "        return (np.asarray(g(point + h), dtype=np.float64)\n"
              "                - np.asarray(g(point - h), dtype=np.float64)) / (2.0 * h)\n")
    from backprop_lib.checking import gradcheck
    verdict = Verdict("test_central_difference", "central_difference", True, "")
    found = copied_reference(verdict, {gradcheck.central_difference}, student_code([solution_cell("x", source)]))
    assert found is not None and not found.passed and "a copy of the course library's own" in found.message
    hidden_in_a_string = f"code = {source!r}"
    assert copied_reference(verdict, {gradcheck.central_difference},
                            student_code([solution_cell("x", hidden_in_a_string)])) is not None
    written = "import numpy as np\n\ndef central_difference(f, x, h=1e-5):\n    return (f(x + h) - f(x - h)) / (2 * h)\n"
    assert copied_reference(verdict, {gradcheck.central_difference},
                            student_code([solution_cell("x", written)])) is None


@pytest.mark.parametrize("mistake", [m for m in mistakes.all_mistakes() if (m.lesson, m.task) in VERIFIED],
                         ids=lambda m: m.student)
def test_each_known_mistake_fails_and_is_named_when_judged_outside(kernel, mistake):
    with pytest.raises(CheckFailed) as info:
        verify(kernel, mistake.lesson, mistake.task, mistake.code)
    assert mistake.feedback in str(info.value)


def test_a_students_exception_comes_back_with_its_name(kernel):
    with pytest.raises(CheckFailed, match="raised ZeroDivisionError"):
        verify(kernel, "01_derivatives", "sigmoid_prime", "def sigmoid_prime(z):\n    return 1 / 0")


def test_what_comes_back_is_data_never_an_object_to_unpickle():
    assert decode({"__tuple__": [1, [2.5, None]]}, None) == (1, [2.5, None])
    with pytest.raises(Unverifiable):
        decode({"__obj__": "Value"}, None)


def test_changes_made_in_place_come_back_to_the_graders_arrays():
    from autograder.verify import write_back
    theta, state = np.zeros(3), {"v": np.zeros(3), "t": 0}
    write_back([theta, state], [np.ones(3), {"v": np.full(3, 2.0), "t": 1}])
    assert theta.tolist() == [1, 1, 1] and state["v"].tolist() == [2, 2, 2] and state["t"] == 1


def test_is_every_graded_exercise_judged_outside_the_kernel():
    for lesson in lessons():
        graded = set(demo.graded_tasks(lesson))
        assert graded <= set(getattr(checks_module(lesson), "VERIFIED_OUTSIDE", ())), lesson


# --- data objects: Value nodes, Recipes, a grad_check problem --------------------------------

KERNEL_SETTINGS = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def proxy(kernel, source: str, name: str) -> KernelProxy:
    """The kernel's ``name``, defined by ``source``, as the grader calls it."""
    run, evaluate = kernel
    run(source)
    return KernelProxy(evaluate, name, name)


@KERNEL_SETTINGS
@given(seed=st.integers(0, 2**32 - 1))
def test_are_the_nodes_topological_order_returns_the_graders_own_nodes(kernel, seed):
    nodes = lesson02.random_recipe(np.random.default_rng(seed)).values_graph()
    root = nodes[-1]
    got = proxy(kernel, demo.solution_sources("02_graphs")["topological_order"], "topological_order")(root)
    assert got[-1] is root
    assert sorted(map(id, got)) == sorted(map(id, engine.topological_order(root)))
    assert lesson02.judge_order(got, root) is None


BACKWARD_FROM_ROOT = '''
def backward_from_root(root):
    order, seen = [], set()
    def visit(node):
        if node not in seen:
            seen.add(node)
            for parent in node.parents:
                visit(parent)
            order.append(node)
    visit(root)
    root.grad = 1.0
    for node in reversed(order):
        for parent, contribution in zip(node.parents, node._backward(node.grad)):
            parent.grad += contribution
'''


@KERNEL_SETTINGS
@given(seed=st.integers(0, 2**32 - 1))
def test_do_grads_set_in_the_kernel_reach_interior_nodes_only_the_root_leads_to(kernel, seed):
    recipe = lesson02.random_recipe(np.random.default_rng(seed))
    nodes, twin = recipe.values_graph(), recipe.values_graph()
    assert proxy(kernel, BACKWARD_FROM_ROOT, "backward_from_root")(nodes[-1]) is None
    twin[-1].backward()
    assume(any(twin[k].grad != 0 for k, n in enumerate(nodes[:-1]) if n.parents))  # an interior grad to see
    assert [n.grad for n in nodes] == pytest.approx([n.grad for n in twin], rel=1e-12, abs=1e-12)


@KERNEL_SETTINGS
@given(seed=st.integers(0, 2**32 - 1), earlier=st.integers(0, 50))
def test_does_a_callbacks_call_count_come_back_to_the_grader(kernel, seed, earlier):
    problem = lesson05._Problem(np.random.default_rng(seed), hidden=True)
    problem.calls = earlier
    before = {n: p.copy() for n, p in problem.params.items()}
    got = proxy(kernel, demo.solution_sources("05_mlp")["grad_check"], "grad_check")(
        problem.loss, problem.params, problem.exact())
    entries = sum(p.size for p in problem.params.values())
    assert problem.calls == earlier + 2 * entries  # the loss at p+h and at p-h, for every entry
    assert all(np.array_equal(problem.params[n], before[n]) for n in before)
    assert set(got) == set(problem.params) and max(got.values()) < lesson05.CORRECT_TOL


FORGED_RECIPE = '''
import os
class Recipe:
    """Claims to be the library's Recipe; none of its code may run in the grader."""
    __module__, __qualname__ = "backprop_lib.lessons.xor", "Recipe"
    hidden, init, scale, lr, loss, epochs = 8, "symmetric", 1.0, 1.0, "bce", 500
    def __reduce__(self):
        return (os.system, ("touch /tmp/pwned-by-a-recipe",))
    def __eq__(self, other):
        return True
def made():
    return Recipe()
'''


def test_is_an_object_the_student_made_rebuilt_only_with_the_graders_class(kernel):
    real = proxy(kernel, "from backprop_lib.lessons.xor import Recipe\ndef made():\n    return Recipe(hidden=5, lr=0.7)",
                 "made")()
    assert type(real) is xor.Recipe and real == xor.Recipe(hidden=5, lr=0.7)
    forged = proxy(kernel, FORGED_RECIPE, "made")()
    assert type(forged) is xor.Recipe
    assert forged == xor.Recipe(hidden=8, init="symmetric", scale=1.0, lr=1.0, loss="bce", epochs=500)


def test_is_a_new_node_linked_to_the_graders_own_nodes(kernel):
    x = Value(1.5, label="x")
    got = proxy(kernel, "def grow(x):\n    return (x * 2.0).tanh()", "grow")(x)
    assert type(got) is Value and got.op == "tanh" and got.data == pytest.approx(np.tanh(3.0))
    (product,) = got.parents
    assert product.op == "*" and product.parents[0] is x and product.parents[1].data == 2.0
    with pytest.raises(TypeError, match="stayed in the kernel"):
        engine.local_derivatives(got)


@pytest.mark.parametrize("source", [
    "from backprop_lib.lessons.xor import Recipe\nclass Mine(Recipe):\n    pass\ndef made():\n    return Mine()",
    "import types\ndef made():\n    return types.SimpleNamespace(hidden=8)",
], ids=["subclass-made-in-the-notebook", "namespace"])
def test_is_an_object_that_does_not_opt_in_still_unverifiable(kernel, source):
    with pytest.raises(Unverifiable):
        proxy(kernel, source, "made")()


def forged_recipe(**changes: str) -> str:
    """FORGED_RECIPE as an ``xor_recipe``, with some of its class attributes' source replaced."""
    source = FORGED_RECIPE.replace("def made", "def xor_recipe")
    for old, new in changes.items():
        source = source.replace(old, new)
    return source


@pytest.mark.parametrize("lesson, task, source, message", [
    ("02_graphs", "backward_pass", "def backward_pass(order, local_grads):\n    order[0].grad = '1.0'",
     "grad is str '1.0': the grad of a Value must be a float"),
    ("02_graphs", "backward_pass",
     "def backward_pass(order, local_grads):\n    order[-1].grad = [[0.0] * 1000] * 1000",
     "grad is a list of 1000 items"),
    ("02_graphs", "backward_pass", "def backward_pass(order, local_grads):\n    del order[-1].grad",
     "grad is missing"),
    ("02_graphs", "topological_order",
     "def topological_order(root):\n    return [type(root)(1.0, 'fake', _parents=(root, 2.0))]",
     "must be a tuple of Value objects"),
    ("06_xor", "xor_recipe", forged_recipe(**{"= 8,": "= '8',"}),
     "hidden is str '8': the hidden of a Recipe must be an int"),
    ("06_xor", "xor_recipe", forged_recipe(**{'"symmetric", 1.0': '"sideways", 1.0'}),
     "not valid: init must be one of"),
], ids=["grad-a-string", "grad-a-huge-list", "grad-deleted", "parents-not-nodes", "recipe-field-a-string",
        "recipe-invalid"])
def test_does_a_field_of_the_wrong_type_fail_the_exercise_clearly(kernel, lesson, task, source, message):
    with pytest.raises(BadReply, match="^" + task) as info:
        verify(kernel, lesson, task, source)
    assert message in str(info.value)


# --- what a tampered kernel can send ---------------------------------------------------------

KEYS = ["__nd__", "__tuple__", "__dict__", "__fn__", "__ref__", "__new__", "__obj__", "scalar", "type", "fields",
        "links", "_parents", "data", "grad", "label", "op", "calls", "hidden"]
TYPES = ["backprop_lib.nn.engine:Value", "backprop_lib.lessons.xor:Recipe", "backprop_lib.exercises.lesson05:_Problem",
         "builtins:eval", "os:system", "backprop_lib.nn.engine:Value.__class__", "backprop_lib.nn.engine:as_value"]
LEAF = (st.none() | st.booleans() | st.integers(-3, 3) | st.floats() | st.text(max_size=4) | st.sampled_from(TYPES)
        | st.fixed_dictionaries({"__ref__": st.integers(-2, 4)}) | st.fixed_dictionaries({"__new__": st.integers(-2, 4)}))
JSON = st.recursive(
    LEAF,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=3),
                                                                 inner, max_size=4),
    max_leaves=25)
GOOD_FIELDS = st.fixed_dictionaries({"data": st.floats(), "grad": st.floats() | st.integers(),
                                     "label": st.text(max_size=3), "op": st.sampled_from(["", "*"])})
NODE_FIELDS = GOOD_FIELDS | st.fixed_dictionaries({"data": st.floats() | JSON, "grad": st.floats() | JSON,
                                                   "label": st.text(max_size=3) | JSON, "op": JSON})
PARENTS = st.fixed_dictionaries({"__tuple__": st.lists(LEAF, max_size=3)}) | JSON
NEW_OBJECT = st.fixed_dictionaries({"type": st.sampled_from(TYPES) | JSON, "fields": NODE_FIELDS | JSON,
                                    "links": st.fixed_dictionaries({"_parents": PARENTS}) | JSON})
REPLY = st.fixed_dictionaries({
    "value": JSON, "args": JSON, "kwargs": JSON,
    "objs": st.lists(GOOD_FIELDS, min_size=3, max_size=3) | st.lists(NODE_FIELDS, min_size=3, max_size=3) | JSON,
    "new": st.lists(NEW_OBJECT, max_size=3) | JSON})


@settings(max_examples=500, deadline=None)
@given(reply=REPLY)
def test_can_a_forged_reply_crash_the_grader_or_pass_a_wrong_type(reply):
    x = Value(2.0, label="x")
    root = x * 3.0
    fn = KernelProxy(lambda code: json.dumps(reply), "fn", "fn")
    try:
        fn(root)  # not through call_student, which would turn any exception into a failure
    except (BadReply, Unverifiable):
        return
    assert all(isinstance(n.data, float) and isinstance(n.grad, float) for n in (x, root, root.parents[1]))
    assert root.parents[0] is x  # links of the grader's own nodes never change


@given(raw=JSON, kind=st.sampled_from([float, int, str, bool]))
def test_is_a_data_field_only_ever_a_value_of_its_declared_type(raw, kind):
    try:
        value = field_value(raw, kind)
    except ValueError:
        return
    assert type(value) is kind


def test_does_a_class_the_kernel_names_only_count_if_it_is_the_librarys_data_class():
    for name in TYPES[2:]:
        new = [{"type": name, "fields": {"calls": 1}, "links": {}}]
        with pytest.raises((BadReply, Unverifiable)):
            decode({"__new__": 0}, new=new)
    recipe = {"type": "backprop_lib.lessons.xor:Recipe", "links": {},
              "fields": {"hidden": 3, "init": "xavier", "scale": 2, "lr": 0.5, "loss": "mse", "epochs": 9}}
    assert decode({"__new__": 0}, new=[recipe]) == xor.Recipe(hidden=3, init="xavier", scale=2.0, lr=0.5,
                                                              loss="mse", epochs=9)


def test_does_every_field_of_a_recipe_travel():
    fields = {f.name: type(f.default) for f in dataclasses.fields(xor.Recipe)}
    assert transport.DATA_OBJECTS["backprop_lib.lessons.xor:Recipe"].fields == fields


def test_does_a_kernel_that_gives_no_answer_fail_the_exercise_instead_of_crashing_the_grader():
    def broken(code: str) -> str:
        raise RuntimeError("ImportError: autograder.remote was replaced")

    with pytest.raises(BadReply, match="no answer"):
        call_student(KernelProxy(broken, "fn", "fn"), "fn", 1.0)
    for text in ["not json", "[1, 2]", "[" * 100_000, json.dumps({"value": 1})]:
        with pytest.raises(BadReply):
            call_student(KernelProxy(lambda code, text=text: text, "fn", "fn"), "fn", 1.0)
