"""Do lessons 00-03 say what their own cells compute, and name things as their widgets and checks do?"""
from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import nbformat
import numpy as np
import pytest

from autograder import mistakes
from autograder.verify import KernelProxy, checks_module
from backprop_lib.checking.gradcheck import central_difference, rel_error
from backprop_lib.nn import engine
from backprop_lib.nn.activations import relu, relu_prime, sigmoid
from backprop_lib.nn.engine import Value
from backprop_lib.widgets import graph_playground as gp

SOLUTIONS = Path(__file__).resolve().parents[1] / "solutions"


def notebook(lesson: str) -> nbformat.NotebookNode:
    return nbformat.read(SOLUTIONS / lesson / f"{lesson}.ipynb", as_version=4)


def cell(lesson: str, grade_id: str) -> str:
    return next(c.source for c in notebook(lesson).cells
                if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def text(lesson: str) -> str:
    """Every markdown cell of a lesson, joined, with line breaks as spaces."""
    return " ".join(c.source.replace("\n", " ") for c in notebook(lesson).cells if c.cell_type == "markdown")


@pytest.fixture(scope="module")
def best_errors():
    """Lesson 01's own measurement (its cell-13b), run here: median best errors per dtype."""
    namespace = {"np": np}
    exec(cell("01_derivatives", "cell-13b").split("\nfor dtype in")[0], namespace)  # noqa: S102 - our notebook
    return {dtype: namespace["best_errors"](dtype) for dtype in (np.float64, np.float32)}


def test_lesson01_float32_claim_is_what_its_cell_measures(best_errors):
    forward64, central64 = best_errors[np.float64]
    _, central32 = best_errors[np.float32]
    words = text("01_derivatives")
    assert "five to six correct digits" in words and 5.0 <= -np.log10(central32) <= 6.5
    assert "about eleven correct digits" in words and 10.5 <= -np.log10(central64) <= 11.9
    assert "several hundred times more accurate" in words and 200 <= forward64 / central64 <= 999
    assert "two or three correct digits" not in words


def test_lesson01_relative_error_is_defined_as_the_checks_compute_it():
    words = text("01_derivatives")
    numeric = central_difference(lambda v: (v * 2.0 + 0.1 - 1.0) ** 2, 0.5)
    assert "agree in about twelve digits" in words and 11.5 <= -np.log10(rel_error(numeric, 0.4)) <= 12.9
    assert r"\max\big(|a| + |n|,\ 10^{-8}\big)" in words
    assert rel_error(2.0, 1.0) == pytest.approx(1 / 3) and "$1/3$ means one value is twice the other" in words
    assert rel_error(-0.4, 0.4) == 1.0 and rel_error(0.0, 0.4) == 1.0 and "Exactly 1 means" in words
    assert rel_error(1e-12, -1e-12) == pytest.approx(2e-4) and r"$2 \times 10^{-4}$" in words
    assert "lesson 01 explains it in section 3" in text("00_welcome") and "## 3. Exact derivatives" in words


def test_lesson02_every_order_the_text_names_is_topological():
    w, x, b, y = (Value(v, label=n) for v, n in zip((0.5, 1.5, 0.25, 2.0), "wxby"))
    z = w * x
    p = z + b
    r = p - y
    L = r ** 2
    node = {"w": w, "x": x, "b": b, "y": y, "z": z, "p": p, "r": r, "L": L}

    def topological(order: str) -> bool:
        place = {id(node[n]): i for i, n in enumerate(order.split(", "))}
        return all(place[id(par)] < place[id(n)] for n in node.values() for par in n.parents)

    words = text("02_graphs")
    for order in ("w, x, z, b, p, y, r, L", "x, w, z, y, b, p, r, L"):
        assert order in words and topological(order)
    library = [n.label for n in engine.topological_order(L)]
    assert set(library[:4]) == set("wxby"), "the text says the library's order starts with all four leaves"
    assert "leaves first, the loss last" not in words


def test_lesson02_graph_playground_names_its_nodes_as_the_text_does():
    words = text("02_graphs")
    assert r"z = w \cdot x, \qquad p = z + b, \qquad r = p - y, \qquad L = r^2" in words
    _, nodes = gp.build_graph(0.5, 1.5, 0.25, 2.0)
    ops = {n.label: (n.op, tuple(p.label for p in n.parents)) for n in nodes if n.parents}
    assert ops == {"z": ("*", ("w", "x")), "p": ("+", ("z", "b")), "r": ("-", ("p", "y")), "L": ("**2", ("r",))}


def test_lesson03_relu_kink_claims_hold():
    words = text("03_neuron")
    zs = np.linspace(-3, 3, 601)
    for s in np.linspace(0, 1, 11):
        assert np.all(relu(zs) >= s * zs), "every slope in [0, 1] is a subgradient at 0"
    for s in (-0.01, 1.01):
        assert not np.all(relu(zs) >= s * zs), "no slope outside [0, 1] is"
    assert relu_prime(0.0) == 0 and "the course uses **0**" in words
    h = 1e-6
    assert (relu(h) - relu(-h)) / (2 * h) == pytest.approx(0.5) and "$1/2$" in words
    assert "ReLU" in cell("03_neuron", "cell-35d"), "the summary mentions ReLU"


def test_lesson03_numbers_quoted_in_the_text():
    a = float(sigmoid(-6.0))
    mse, bce = 2 * (a - 1) * a * (1 - a), a - 1
    assert "about 200 times harder" in text("03_neuron") and 190 <= bce / mse <= 210
    p = 0.02
    assert 2 * (p - 1) * p * (1 - p) == pytest.approx(-0.04, abs=0.003) and p - 1 == pytest.approx(-0.98)


def test_lesson03_uses_one_delta():
    """delta is dL/dz of the batch mean everywhere; one example's slope is written dl/dz."""
    words = text("03_neuron")
    assert "In this course $\\delta$ always means this" in words
    assert "delta_{\\text{MSE}}" not in words and "delta_{\\text{BCE}}" not in words
    assert "averages delta" not in words


@pytest.mark.parametrize("lesson", ["01_derivatives", "02_graphs", "03_neuron"])
def test_sympys_sigmoid_cannot_be_mistaken_for_a_numpy_one(lesson):
    code = "\n".join(c.source for c in notebook(lesson).cells if c.cell_type == "code")
    imports = re.findall(r"from backprop_lib\.checking\.symbolic import ([^\n#]*)", code)
    assert imports and all(re.search(r"\bsigmoid as sym_sigmoid\b", i) or "sigmoid" not in i for i in imports)


@pytest.mark.slow
@pytest.mark.parametrize("variant", [c for c in mistakes.all_correct()
                                     if c.lesson in ("01_derivatives", "02_graphs", "03_neuron")],
                         ids=lambda c: c.name)
def test_a_right_answer_written_another_way_passes_when_judged_outside_the_kernel(live_kernel, variant):
    """What the grader does with a hidden test: the student's function runs in a kernel, the check here."""
    live_kernel.run(variant.code)
    check = getattr(checks_module(variant.lesson), f"check_{variant.task}")
    with contextlib.redirect_stdout(io.StringIO()):
        check(KernelProxy(live_kernel.evaluate, variant.task, variant.task), rng=np.random.default_rng(5))


def test_lesson03_after_40_steps_bce_is_right_and_mse_has_hardly_moved():
    from backprop_lib.nn.losses import binary_cross_entropy_with_logits, mse

    assert "After 40 steps the BCE neuron is right and confident" in text("03_neuron")
    x, y = np.array([[1.0]]), np.array([1.0])
    final = {}
    for loss in ("MSE", "BCE"):
        w, b = np.array([-6.0]), 0.0
        for _ in range(40):
            z = x @ w + b
            y_hat = sigmoid(z)
            delta = mse(y_hat, y)[1] * y_hat * (1 - y_hat) if loss == "MSE" else binary_cross_entropy_with_logits(z, y)[1]
            w, b = w - x.T @ delta, b - delta.sum()
        final[loss] = float(sigmoid(x @ w + b)[0])
    assert final["BCE"] > 0.95 and final["MSE"] < 0.01
