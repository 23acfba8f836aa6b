"""Computational-graph playground (lesson 02): ``L = (w*x + b - y)**2``, revealed one node at a time.

The graph is built with the course's :class:`~backprop_lib.nn.engine.Value` and
drawn with :mod:`backprop_lib.pictures.graph_drawing` (matplotlib, no graphviz)::

    w, x  ->  z = w*x  ->  p = z + b  ->  r = p - y  ->  L = r**2

(the names of lesson 02's text). A step counter runs through the FORWARD
pass (each operation's value, left to right: 4 steps) and then the BACKWARD
pass (each node's gradient ``dL/d node``, right to left, in reverse
topological order: 8 steps). A node not reached yet shows ``?``; the node of
the current step is highlighted, and during the backward pass each edge
carries its local derivative. The widget opens on the last step, the whole
graph filled in (so that a view without a kernel shows every number); 'step
back' and 'reset' replay it.

The gradients come from the library's engine, or from the student's
``backward_pass(order, local_grads)`` (lesson 02, exercise 5) when it is
passed in; until that exercise is done the library's stand in, and a note
says so.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch

from ..pictures import graph_drawing as gd
from ..nn.engine import Value, local_derivatives, topological_order
from ._core import ExerciseNotDone, Explorer, call_exercise, draw_notes, few_ticks, new_figure, panel, slider_style

EXERCISE = "exercise 5 of lesson 02 (backward_pass)"
LEAVES = ("w", "x", "b", "y")
#: Height (a fraction of the figure) kept free at the bottom for the notes of an exercise not done yet.
NOTE_ROOM = 0.11


def build_graph(w: float, x: float, b: float, y: float) -> tuple[Value, list[Value]]:
    """The graph of ``L = (w*x + b - y)**2``: ``(L, nodes)``, nodes in topological order (leaves first)."""
    wv, xv, bv, yv = (Value(v, label=n) for v, n in zip((w, x, b, y), LEAVES))
    z = wv * xv
    z.label = "z"
    p = z + bv
    p.label = "p"
    r = p - yv
    r.label = "r"
    L = r ** 2
    L.label = "L"
    return L, topological_order(L)


def _forward_nodes(nodes: list[Value]) -> list[str]:
    return [n.label for n in nodes if n.parents]


def n_steps() -> int:
    """How many steps the playground has: one per operation (forward) plus one per node (backward)."""
    _, nodes = build_graph(1.0, 1.0, 1.0, 1.0)
    return len(_forward_nodes(nodes)) + len(nodes)


@dataclass(frozen=True)
class GraphState:
    """What the playground shows after ``step`` steps.

    ``values`` and ``grads`` map each node's label (w, x, b, y, z, p, r, L) to
    its value and to ``dL/d node`` (the library's where the student's
    backward_pass could not give one; ``grads_from`` says whose). ``value_shown`` and ``grad_shown`` are the labels
    revealed so far; ``current`` is the label of this step's node ("" at
    step 0); ``phase`` is "start", "forward", "backward" or "done";
    ``explanation`` says in words what this step computed.
    """

    w: float
    x: float
    b: float
    y: float
    step: int
    n_steps: int
    phase: str
    current: str
    explanation: str
    values: dict[str, float]
    grads: dict[str, float]
    value_shown: frozenset[str]
    grad_shown: frozenset[str]
    grads_from: str = "library"
    notes: tuple[str, ...] = field(default=())


def _student_grads(backward_pass: Callable[..., Any], w: float, x: float, b: float, y: float) -> dict[str, float]:
    L, nodes = build_graph(w, x, b, y)
    call_exercise(backward_pass, EXERCISE, list(nodes), local_derivatives)
    return {n.label: float(n.grad) for n in nodes}


def _explain(node: Value, forward: bool, grads: dict[str, float], children: dict[str, list[tuple[Value, int]]]) -> str:
    v = gd.fmt_number
    if forward:
        a = node.parents
        if node.op == "*":
            return f"forward: {node.label} = {a[0].label}·{a[1].label} = {v(a[0].data)}·{v(a[1].data)} = {v(node.data)}"
        if node.op in ("+", "-"):
            return (f"forward: {node.label} = {a[0].label} {node.op} {a[1].label} = {v(a[0].data)} {node.op} "
                    f"{v(a[1].data)} = {v(node.data)}")
        return f"forward: {node.label} = {a[0].label}² = {v(a[0].data)}² = {v(node.data)}"
    if not children[node.label]:
        return "backward: dL/dL = 1 (the loss itself)"
    if not math.isfinite(grads[node.label]):
        return f"backward: dL/d{node.label} = ?   (no gradient from your backward_pass yet)"
    child, i = children[node.label][0]
    local = local_derivatives(child)[i]
    return (f"backward: dL/d{node.label} = dL/d{child.label} · d{child.label}/d{node.label} = "
            f"{v(grads[child.label])} · {v(local)} = {v(grads[node.label])}")


def graph_state(w: float = 2.0, x: float = 3.0, b: float = 1.0, y: float = 4.0, step: int = 0,
                backward_pass: Callable[..., Any] | None = None) -> GraphState:
    """The playground after ``step`` steps (clipped to 0..n_steps); see :class:`GraphState`."""
    L, nodes = build_graph(w, x, b, y)
    L.backward()
    values = {n.label: n.data for n in nodes}
    grads = {n.label: n.grad for n in nodes}
    source, notes = "library", ()
    if backward_pass is not None:
        source = "yours"
        try:
            grads = _student_grads(backward_pass, w, x, b, y)
        except ExerciseNotDone as exc:  # the library's gradients stand in, and the note says so
            source, notes = "library", (f"{exc} Until then the gradients shown are the library's.",)
    forward = _forward_nodes(nodes)
    backward = [n.label for n in reversed(nodes)]
    total = len(forward) + len(backward)
    step = max(0, min(int(step), total))
    n_fwd = min(step, len(forward))
    n_bwd = max(0, step - len(forward))
    value_shown = frozenset(n.label for n in nodes if not n.parents) | frozenset(forward[:n_fwd])
    grad_shown = frozenset(backward[:n_bwd])
    by_label = {n.label: n for n in nodes}
    children: dict[str, list[tuple[Value, int]]] = {n.label: [] for n in nodes}
    for n in nodes:
        for i, p in enumerate(n.parents):
            children[p.label].append((n, i))
    if step == 0:
        phase, current = "start", ""
        explanation = "press 'next step': the inputs w, x, b, y are known, nothing else is yet"
    elif step <= len(forward):
        phase, current = "forward", forward[step - 1]
        explanation = _explain(by_label[current], True, grads, children)
    else:
        phase, current = ("done" if step == total else "backward"), backward[n_bwd - 1]
        explanation = _explain(by_label[current], False, grads, children)
        if source == "yours" and not notes:
            explanation += "   (gradients from your backward_pass)"
    return GraphState(float(w), float(x), float(b), float(y), step, total, phase, current, explanation,
                      values, grads, value_shown, grad_shown, source, notes)


def _mask(ax: Any, node: Value, pos: tuple[float, float], value_shown: bool, grad_shown: bool,
          grad: float, face: str, is_root: bool) -> None:
    """Cover a node's box with one that shows ``?`` for what is not revealed yet."""
    x, y = pos
    hw, hh = gd.BOX_WIDTH / 2, gd.BOX_HEIGHT / 2
    ax.add_patch(FancyBboxPatch((x - hw, y - hh), gd.BOX_WIDTH, gd.BOX_HEIGHT,
                                boxstyle="round,pad=0.02,rounding_size=0.06", fc=face, ec="0.2",
                                lw=2.0 if is_root else 1.0, zorder=5))
    ax.text(x, y + hh * 0.45, gd.node_title(node), ha="center", va="center", fontsize=9,
            fontweight="bold", zorder=6)
    ax.text(x, y, f"value {gd.fmt_number(node.data) if value_shown else '?'}", ha="center", va="center",
            fontsize=8, zorder=6, color="0" if value_shown else "0.55")
    shown = grad_shown and math.isfinite(grad)
    color = ("C3" if grad < 0 else "C0" if grad > 0 else "0.3") if shown else "0.55"
    ax.text(x, y - hh * 0.5, f"grad {gd.fmt_number(grad) if shown else '?'}", ha="center", va="center",
            fontsize=8, zorder=6, color=color)


def graph_figure(state: GraphState, fig: Figure | None = None) -> Figure:
    """The graph with what is revealed after ``state.step`` steps, and the step explained below it."""
    fig = new_figure((8.5, 3.8), fig)
    L, nodes = build_graph(state.w, state.x, state.b, state.y)
    for n in nodes:
        n.grad = state.grads[n.label] if math.isfinite(state.grads[n.label]) else 0.0
    layout = gd.graph_layout(L)
    lift = NOTE_ROOM if state.notes else 0.0  # room for the notes under the explanation, never over it
    ax = panel(fig, (0.01, 0.2 + lift, 0.98, 0.72 - lift))
    backward = state.phase in ("backward", "done")
    gd.draw_graph(layout, ax, grad=True, local=backward, highlight=lambda n: n.label == state.current)
    hw, hh = gd.BOX_WIDTH / 2, gd.BOX_HEIGHT / 2
    for n in nodes:
        value_shown, grad_shown = n.label in state.value_shown, n.label in state.grad_shown
        if value_shown and grad_shown and math.isfinite(state.grads[n.label]):
            continue
        x0, y0 = layout.pos[n]
        for text in list(ax.texts):  # the node's own texts, which may be wider than the box that covers them
            tx, ty = text.get_position()
            if abs(tx - x0) < hw and abs(ty - y0) < hh:
                text.remove()
        face = "#fde2b8" if n.label == state.current else ("#e6f0fa" if not n.parents else "#f4f4f4")
        _mask(ax, n, layout.pos[n], value_shown, grad_shown, state.grads[n.label], face, n is L)
    ax.set_title(f"L = (w·x + b − y)²     step {state.step} of {state.n_steps} ({state.phase})", fontsize=10)
    fig.text(0.5, 0.1 + lift, state.explanation, ha="center", fontsize=9.5)
    draw_notes(fig, state.notes)
    return few_ticks(fig)


class GraphPlayground(Explorer):
    """Sliders for w, x, b, y and the step; buttons 'step back', 'next step' and 'reset'.

    'next step' moves one step on (through the forward pass, then the backward
    pass), 'step back' one step back, 'reset' to the start. The widget opens
    on the last step. ``backward_pass``: the student's (lesson 02, exercise 5), optional.
    """

    size = (8.5, 3.8)

    def __init__(self, backward_pass: Callable[..., Any] | None = None, w: float = 2.0, x: float = 3.0,
                 b: float = 1.0, y: float = 4.0) -> None:
        import ipywidgets as W

        self.backward_pass = backward_pass
        total = n_steps()
        self.n_forward = len(_forward_nodes(build_graph(1.0, 1.0, 1.0, 1.0)[1]))

        def slider(name: str, value: float) -> Any:
            return W.FloatSlider(value=value, min=-5.0, max=5.0, step=0.25, description=name,
                                 continuous_update=False)

        controls = {"w": slider("w", w), "x": slider("x", x), "b": slider("b", b), "y": slider("y", y),
                    "step": W.IntSlider(value=total, min=0, max=total, description="step",
                                        continuous_update=False, style=slider_style())}
        self.back_button = W.Button(description="step back", icon="arrow-left")
        self.next_button = W.Button(description="next step", icon="arrow-right")
        self.reset_button = W.Button(description="reset", icon="refresh")
        for button in (self.back_button, self.next_button, self.reset_button):
            button.add_class("backprop-button")
        self.back_button.on_click(lambda _: self._set_step(self.controls["step"].value - 1))
        self.next_button.on_click(lambda _: self._set_step(self.controls["step"].value + 1))
        self.reset_button.on_click(lambda _: self._set_step(0))
        super().__init__(controls, extra=[W.HBox([self.back_button, self.next_button, self.reset_button])],
                         name="graph")

    def _set_step(self, step: int) -> None:
        self.controls["step"].value = max(0, min(step, self.controls["step"].max))

    def refresh(self, change: Any = None) -> None:
        super().refresh(change)
        step = self.controls["step"]
        if hasattr(self, "next_button"):
            self.back_button.disabled = step.value <= 0
            self.next_button.disabled = step.value >= step.max

    def compute(self, w: float, x: float, b: float, y: float, step: int) -> GraphState:
        return graph_state(w, x, b, y, step, self.backward_pass)

    def draw(self, state: GraphState, fig: Figure | None = None) -> Figure:
        return graph_figure(state, fig)
