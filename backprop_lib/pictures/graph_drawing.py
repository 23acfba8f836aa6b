"""Draw a scalar computational graph (a :class:`~backprop_lib.nn.engine.Value` and its ancestors) with matplotlib.

Two layers, so that the layout can be tested without drawing and reused by an
interactive view:

* :func:`graph_layout` is pure: it reads the graph through
  :func:`backprop_lib.nn.engine.trace` and returns a :class:`GraphLayout` that
  says where every node goes. Data flows left to right: each node sits in a
  column to the right of all of its inputs, so the inputs are on the left and
  the root (the loss) alone in the rightmost column.
* :func:`draw_graph` draws a layout on a matplotlib ``Axes``: one box per node
  showing its name, the operation that made it, its value and (optionally)
  its gradient; one arrow per edge, optionally labelled with the edge's
  local derivative ``d child / d parent``.

Columns
    By default a node goes as far RIGHT as it can: its column is one left of
    its leftmost consumer, so an input sits next to the operation that uses
    it (``y`` of ``(w*x + b - y)**2`` beside the subtraction). With
    ``leaves_left=True`` every leaf goes in column 0 instead, and an operation
    sits one column right of its rightmost input (a network's usual picture).

Rows
    The root is at height 0. Each column, right to left, is ordered by the
    mean height of the nodes it feeds (ties keep the order of the inputs of an
    operation: first input on top) and spaced one unit apart.

Nothing here changes the graph: values and gradients are read, never written.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import matplotlib.pyplot as plt
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from ..nn.engine import Value, local_derivatives, trace

#: Horizontal distance between columns and vertical distance between rows, in data units.
COLUMN_GAP = 1.45
ROW_GAP = 1.0
#: Size of a node's box, in data units (so that boxes never overlap with the gaps above).
BOX_WIDTH = 0.72
BOX_HEIGHT = 0.62
#: Figure size per data unit when :func:`draw_graph` makes its own figure.
INCHES_PER_UNIT = 1.4

#: Readable names of the engine's operations.
OP_SYMBOLS = {"+": "+", "-": "−", "*": "×", "/": "÷", "neg": "−x", "exp": "exp", "log": "log",
              "tanh": "tanh", "sigmoid": "σ", "relu": "ReLU"}


@dataclass(frozen=True)
class GraphLayout:
    """Where each node of a graph goes.

    ``nodes`` is a topological order (inputs first, ``root`` last), each node
    once; ``edges`` holds one ``(parent, child)`` pair per input of each
    operation (a node used twice by one operation gives two equal pairs).
    ``column[node]`` is an int, 0 on the left; ``pos[node]`` is ``(x, y)`` in
    data units, ``x = column * COLUMN_GAP``.
    """

    root: Value
    nodes: list[Value]
    edges: list[tuple[Value, Value]]
    column: dict[Value, int]
    pos: dict[Value, tuple[float, float]]

    @property
    def n_columns(self) -> int:
        return max(self.column.values()) + 1

    @property
    def leaves(self) -> list[Value]:
        """The nodes no operation made: inputs, parameters and constants."""
        return [n for n in self.nodes if not n.parents]

    def columns(self) -> list[list[Value]]:
        """The nodes of each column, left to right, each column top to bottom."""
        cols: list[list[Value]] = [[] for _ in range(self.n_columns)]
        for node in self.nodes:
            cols[self.column[node]].append(node)
        return [sorted(c, key=lambda n: -self.pos[n][1]) for c in cols]


def _children(nodes: list[Value], edges: list[tuple[Value, Value]]) -> dict[Value, list[tuple[Value, int]]]:
    """For each node, the operations that use it, with the index of the node among their inputs."""
    out: dict[Value, list[tuple[Value, int]]] = {n: [] for n in nodes}
    for child in nodes:
        for i, parent in enumerate(child.parents):
            out[parent].append((child, i))
    return out


def _columns(nodes: list[Value], children: dict[Value, list[tuple[Value, int]]], leaves_left: bool) -> dict[Value, int]:
    if leaves_left:
        col: dict[Value, int] = {}
        for node in nodes:  # parents come first in a topological order
            col[node] = 1 + max((col[p] for p in node.parents), default=-1)
        return col  # every node is an ancestor of the root, so the root is alone in the last column
    steps: dict[Value, int] = {}
    for node in reversed(nodes):  # children come first in the reversed order
        steps[node] = 1 + max((steps[c] for c, _ in children[node]), default=-1)
    deepest = max(steps.values())
    return {n: deepest - s for n, s in steps.items()}


def _reading_order(root: Value) -> dict[Value, int]:
    """The index of each node in a depth-first walk from ``root``, first inputs first (no recursion)."""
    index: dict[Value, int] = {}
    stack = [root]
    while stack:
        node = stack.pop()
        if node in index:
            continue
        index[node] = len(index)
        stack.extend(reversed(node.parents))
    return index


def graph_layout(root: Value, *, leaves_left: bool = False) -> GraphLayout:
    """Positions for every node below ``root``; see the module docstring for the rules.

    Every edge goes from left to right (``x`` of a parent < ``x`` of its child),
    no two nodes share a position, and ``root`` is at ``y = 0`` in the last column.
    """
    nodes, edges = trace(root)
    children = _children(nodes, edges)
    reading = _reading_order(root)
    column = _columns(nodes, children, leaves_left)
    n_cols = max(column.values()) + 1
    by_col: list[list[Value]] = [[] for _ in range(n_cols)]
    for n in nodes:
        by_col[column[n]].append(n)

    y: dict[Value, float] = {}
    for c in range(n_cols - 1, -1, -1):  # right to left: every user of a node is placed before it
        keyed = []
        for order, n in enumerate(by_col[c]):
            users = children[n]
            if users:
                target = sum(y[ch] for ch, _ in users) / len(users)
            else:  # the root
                target = 0.0
            tie = reading[n]
            keyed.append((-target, tie, order, n))
        keyed.sort(key=lambda k: k[:3])
        targets = [-k[0] for k in keyed]
        ys: list[float] = []
        for t in targets:  # top to bottom, at least ROW_GAP apart, as close to the target as allowed
            ys.append(t if not ys else min(t, ys[-1] - ROW_GAP))
        shift = sum(t - v for t, v in zip(targets, ys)) / len(ys)
        for (_, _, _, n), v in zip(keyed, ys):
            y[n] = v + shift
    offset = y[root]  # put the root exactly at height 0
    y = {n: v - offset for n, v in y.items()}
    pos = {n: (column[n] * COLUMN_GAP, y[n]) for n in nodes}
    return GraphLayout(root, nodes, edges, column, pos)


def fmt_number(v: float) -> str:
    """A short, readable number: ``0.75``, ``-3``, ``1.23e-05``."""
    if v == 0:
        return "0"
    if 1e-3 <= abs(v) < 1e5:
        text = f"{v:.4f}".rstrip("0").rstrip(".")
        return text if text not in ("-0", "") else "0"
    return f"{v:.3g}"


def node_title(node: Value) -> str:
    """The first line of a node's box: its label and the operation that made it.

    ``"z = ×"`` for a labelled operation, ``"×"`` for an unlabelled one, ``"w"``
    for a labelled leaf and ``"const"`` for an unlabelled leaf (a number).
    """
    op = node.op
    if op.startswith("**"):
        shown = "pow " + op[2:]
    else:
        shown = OP_SYMBOLS.get(op, op)
    if not node.parents:
        return node.label or "const"
    return f"{node.label} = {shown}" if node.label else shown


def node_text(node: Value, *, grad: bool = True) -> str:
    """The text of a node's box: title, value and (if ``grad``) gradient, one per line."""
    lines = [node_title(node), f"value {fmt_number(node.data)}"]
    if grad:
        lines.append(f"grad {fmt_number(node.grad)}")
    return "\n".join(lines)


def edge_labels(layout: GraphLayout) -> list[str]:
    """The local derivative ``d child / d parent`` of each edge of ``layout.edges``, as text."""
    out = []
    seen: dict[Value, int] = {}
    locals_of: dict[Value, tuple[float, ...]] = {}
    for parent, child in layout.edges:
        if child not in locals_of:
            locals_of[child] = local_derivatives(child)
        i = seen.get(child, 0)
        seen[child] = i + 1
        out.append(fmt_number(locals_of[child][i]))
    return out


def draw_graph(root: Value | GraphLayout, ax: plt.Axes | None = None, *, grad: bool = True,
               local: bool = False, highlight: Callable[[Value], bool] | None = None,
               title: str | None = None, leaves_left: bool = False) -> plt.Axes:
    """Draw the graph below ``root`` (or a ready :class:`GraphLayout`) and return the Axes.

    ``grad`` shows each node's ``grad``; ``local`` writes each edge's local
    derivative beside it; ``highlight(node)`` picks nodes to draw in an accent
    colour (e.g. the parameters). Leaves are drawn in a light colour, the root
    with a thick edge. A new figure is made when ``ax`` is None.
    """
    layout = root if isinstance(root, GraphLayout) else graph_layout(root, leaves_left=leaves_left)
    half_w, half_h = BOX_WIDTH / 2, BOX_HEIGHT / 2
    xs = [p[0] for p in layout.pos.values()]
    ys = [p[1] for p in layout.pos.values()]
    xlim = (min(xs) - half_w - 0.15, max(xs) + half_w + 0.15)
    ylim = (min(ys) - half_h - 0.25, max(ys) + half_h + 0.25)
    if ax is None:  # about INCHES_PER_UNIT inches per data unit, so that the text fits the boxes
        top = 0.35 if title else 0.05  # room for the title, in inches
        width = INCHES_PER_UNIT * (xlim[1] - xlim[0])
        height = INCHES_PER_UNIT * (ylim[1] - ylim[0])
        fig = plt.figure(figsize=(width, height + top))
        ax = fig.add_axes((0.0, 0.0, 1.0, height / (height + top)))

    # edges first, under the boxes; a pair used twice by one operation gets two bent arrows
    labels = edge_labels(layout) if local else [""] * len(layout.edges)
    count: dict[tuple[int, int], int] = {}
    for (parent, child), text in zip(layout.edges, labels):
        key = (id(parent), id(child))
        k = count.get(key, 0)
        count[key] = k + 1
        multiple = sum(1 for p, c in layout.edges if p is parent and c is child) > 1
        rad = (0.25 if k == 0 else -0.25) if multiple else 0.0
        (x0, y0), (x1, y1) = layout.pos[parent], layout.pos[child]
        start, end = (x0 + half_w, y0), (x1 - half_w, y1)
        ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=12, lw=1.1,
                                     color="0.35", connectionstyle=f"arc3,rad={rad}", zorder=1))
        if text:  # near the child's end, where it is clear which arrow it belongs to
            t = 0.62
            mx, my = start[0] + t * (end[0] - start[0]), start[1] + t * (end[1] - start[1])
            my += 0.45 * rad * (end[0] - start[0])  # follow the bend of a curved arrow
            ax.text(mx, my, text, fontsize=8.5, color="C3", ha="center", va="center",
                    bbox=dict(boxstyle="round,pad=0.12", fc="white", ec="none", alpha=0.9), zorder=3)

    for node in layout.nodes:
        x, y = layout.pos[node]
        if highlight is not None and highlight(node):
            face = "#fde2b8"
        elif not node.parents:
            face = "#e6f0fa"
        else:
            face = "#f4f4f4"
        ax.add_patch(FancyBboxPatch((x - half_w, y - half_h), BOX_WIDTH, BOX_HEIGHT,
                                    boxstyle="round,pad=0.02,rounding_size=0.06", fc=face, ec="0.2",
                                    lw=2.0 if node is layout.root else 1.0, zorder=2))
        ax.text(x, y + half_h * 0.45, node_title(node), ha="center", va="center", fontsize=9,
                fontweight="bold", zorder=4)
        ax.text(x, y + half_h * 0.0 - (0.0 if grad else 0.12), f"value {fmt_number(node.data)}",
                ha="center", va="center", fontsize=8, zorder=4)
        if grad:
            color = "C3" if node.grad < 0 else ("C0" if node.grad > 0 else "0.3")
            ax.text(x, y - half_h * 0.5, f"grad {fmt_number(node.grad)}", ha="center", va="center",
                    fontsize=8, color=color, zorder=4)

    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_aspect("equal")
    ax.axis("off")
    if title:
        ax.set_title(title)
    return ax
