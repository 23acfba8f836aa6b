"""Does the graph drawing put every node where a reader expects it, and draw without touching the graph?"""
from __future__ import annotations

import itertools

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from hypothesis import given, settings, strategies as st  # noqa: E402

from backprop_lib.nn.engine import Value, topological_order  # noqa: E402
from backprop_lib.pictures.graph_drawing import (  # noqa: E402
    BOX_HEIGHT, BOX_WIDTH, GraphLayout, draw_graph, edge_labels, fmt_number, graph_layout, node_text, node_title)


def squared_error_graph() -> dict[str, Value]:
    """L = (w*x + b - y)**2 with every node labelled, after backward()."""
    w, x, b, y = Value(0.5, "w"), Value(1.5, "x"), Value(0.25, "b"), Value(2.0, "y")
    z = w * x
    p = z + b
    r = p - y
    L = r ** 2
    for node, name in ((z, "z"), (p, "p"), (r, "r"), (L, "L")):
        node.label = name
    L.backward()
    return dict(w=w, x=x, b=b, y=y, z=z, p=p, r=r, L=L)


def reuse_graph() -> Value:
    a = Value(1.2, "a")
    c = a * a
    return ((c + a.exp()) * c).sigmoid()


@st.composite
def random_graphs(draw) -> Value:
    """A random expression over 1 to 4 leaves, with reuse: each op takes any earlier node."""
    nodes = [Value(draw(st.floats(-2, 2)), f"x{i}") for i in range(draw(st.integers(1, 4)))]
    for _ in range(draw(st.integers(1, 12))):
        kind = draw(st.sampled_from(["+", "*", "-", "tanh", "sigmoid", "pow"]))
        a = nodes[draw(st.integers(0, len(nodes) - 1))]
        b = nodes[draw(st.integers(0, len(nodes) - 1))]
        nodes.append({"+": lambda: a + b, "*": lambda: a * b, "-": lambda: a - b, "tanh": a.tanh,
                      "sigmoid": a.sigmoid, "pow": lambda: a ** 2}[kind]())
    root = nodes[-1]
    for n in nodes[:-1]:  # join every dangling node into the root so the graph has one sink
        if n not in set(topological_order(root)):
            root = root + n
    return root


def assert_layout_is_sound(layout: GraphLayout) -> None:
    xs = {n: layout.pos[n][0] for n in layout.nodes}
    for parent, child in layout.edges:
        assert xs[parent] < xs[child], "every edge goes left to right"
    last = max(layout.column.values())
    assert [n for n in layout.nodes if layout.column[n] == last] == [layout.root], "the root is alone on the right"
    assert layout.pos[layout.root][1] == 0.0
    for a, b in itertools.combinations(layout.nodes, 2):
        (xa, ya), (xb, yb) = layout.pos[a], layout.pos[b]
        overlap = abs(xa - xb) < BOX_WIDTH and abs(ya - yb) < BOX_HEIGHT
        assert not overlap, f"boxes of {a} and {b} overlap"
    assert set(layout.pos) == set(layout.nodes) == set(layout.column)


def test_inputs_are_left_of_the_loss_and_each_op_right_of_its_inputs():
    g = squared_error_graph()
    layout = graph_layout(g["L"])
    x = {k: layout.pos[v][0] for k, v in g.items()}
    assert max(x["w"], x["x"], x["b"], x["y"]) < x["L"]
    assert x["w"] == x["x"] < x["z"] < x["p"] < x["r"] < x["L"]
    assert_layout_is_sound(layout)


def test_an_input_sits_next_to_the_operation_that_uses_it():
    g = squared_error_graph()
    col = graph_layout(g["L"]).column
    assert col[g["y"]] == col[g["r"]] - 1
    assert col[g["b"]] == col[g["p"]] - 1
    assert col[g["w"]] == 0


def test_leaves_left_puts_every_input_in_the_first_column():
    g = squared_error_graph()
    layout = graph_layout(g["L"], leaves_left=True)
    assert {layout.column[g[k]] for k in "wxby"} == {0}
    assert_layout_is_sound(layout)


def test_first_input_of_an_operation_is_drawn_above_the_second():
    g = squared_error_graph()
    pos = graph_layout(g["L"]).pos
    assert pos[g["w"]][1] > pos[g["x"]][1]
    assert pos[g["p"]][1] > pos[g["y"]][1]


def test_a_node_used_twice_by_one_operation_gives_two_edges_and_one_box():
    layout = graph_layout(reuse_graph())
    a = layout.leaves[0]
    square = next(n for n in layout.nodes if n.op == "*" and n.parents == (a, a))
    assert layout.edges.count((a, square)) == 2
    assert layout.nodes.count(a) == 1
    assert_layout_is_sound(layout)


def test_a_lone_leaf_is_a_graph_of_one_node():
    leaf = Value(3.0, "x")
    layout = graph_layout(leaf)
    assert layout.nodes == [leaf] and layout.edges == [] and layout.pos[leaf] == (0.0, 0.0)


@settings(max_examples=40, deadline=None)
@given(random_graphs(), st.booleans())
def test_any_graph_gets_a_sound_layout(root, leaves_left):
    assert_layout_is_sound(graph_layout(root, leaves_left=leaves_left))


def test_edge_labels_are_the_local_derivatives_in_edge_order():
    g = squared_error_graph()
    layout = graph_layout(g["L"])
    labels = dict(zip([(p.label, c.label) for p, c in layout.edges], edge_labels(layout)))
    assert labels[("w", "z")] == "1.5"      # d(w*x)/dw = x
    assert labels[("x", "z")] == "0.5"      # d(w*x)/dx = w
    assert labels[("y", "r")] == "-1"       # d(p - y)/dy = -1
    assert labels[("r", "L")] == "-2"       # d(r**2)/dr = 2r


def test_node_text_shows_name_operation_value_and_grad():
    g = squared_error_graph()
    assert node_title(g["z"]) == "z = ×"
    assert node_title(g["L"]) == "L = pow 2"
    assert node_title(g["w"]) == "w"
    assert node_title(Value(2.0)) == "const"
    assert node_text(g["w"]).splitlines() == ["w", "value 0.5", "grad -3"]
    assert node_text(g["w"], grad=False).splitlines() == ["w", "value 0.5"]


@pytest.mark.parametrize("v, text", [(0.0, "0"), (0.75, "0.75"), (-3.0, "-3"), (1 / 3, "0.3333"),
                                     (1.23e-5, "1.23e-05"), (2.5e6, "2.5e+06")])
def test_numbers_are_short(v, text):
    assert fmt_number(v) == text


def test_drawing_reads_the_graph_and_changes_nothing():
    g = squared_error_graph()
    before = [(n.data, n.grad) for n in topological_order(g["L"])]
    ax = draw_graph(g["L"], local=True, highlight=lambda n: n.label in ("w", "b"), title="L")
    texts = [t.get_text() for t in ax.texts]
    assert "z = ×" in texts and "grad -3" in texts and "1.5" in texts
    assert len(ax.patches) == 8 + 7  # a box per node, an arrow per edge
    assert [(n.data, n.grad) for n in topological_order(g["L"])] == before
    plt.close(ax.figure)


def test_drawing_into_a_given_axes_and_from_a_layout():
    fig, ax = plt.subplots()
    layout = graph_layout(reuse_graph())
    assert draw_graph(layout, ax, grad=False) is ax
    assert not any(t.get_text().startswith("grad") for t in ax.texts)
    plt.close(fig)
