"""The playground (``make playground``): every widget of the course on one page, with a link to what you see.

``playground/playground.ipynb`` is the page (served by Voila, its code hidden):
one section per widget in lesson order, each a short text and a cell
``playground.show("xor")``. Every widget runs on the library's reference
implementations (no student function is passed in), so nothing needs solving.

The page's URL holds the state of its widgets (see :mod:`.url_state`): the
page reads its query string when it opens (Voila passes it to the kernel as
``QUERY_STRING``) and sets each widget's controls from it; under each widget
a link, updated on every change, is the address of the page as it is now. The
playground's Voila template copies that address into the browser's address
bar, so copying the URL or the link shares the same view.

The stepper also gets the equations it is applying, with their numbers,
typeset under its picture (:func:`equations_html`).
"""
from __future__ import annotations

import html
import os
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from . import url_state


@dataclass(frozen=True)
class Section:
    """One widget of the page: its URL name, its class in ``backprop_lib.widgets`` and its lesson."""

    name: str
    widget: str
    lesson: str


#: The widgets of the page, in the order of the lessons. ``name`` is the widget's ``Explorer.name``.
SECTIONS: tuple[Section, ...] = (
    Section("step-size", "StepSizeExplorer", "01"),
    Section("chain-rule", "ChainRuleExplorer", "01"),
    Section("graph", "GraphPlayground", "02"),
    Section("neuron-loss", "NeuronLossExplorer", "03"),
    Section("stepper", "BackpropStepper", "04"),
    Section("xor", "XorTrainer", "06"),
    Section("vanishing", "VanishingGradientExplorer", "07"),
    Section("optimisers", "OptimiserRace", "08"),
)
BY_NAME = {s.name: s for s in SECTIONS}
#: The XOR trainer's seed sweep is a button, not a control: a link carries ``xor.sweep=1`` when it is shown.
SWEEP = "sweep"


class Playground:
    """The widgets of one page and the query string that restores them.

    ``query``: the page's query string (``xor.seed=7&...``), decoded once; a
    widget made by :meth:`show` takes its controls' values from it. ``notes``
    lists the values of the query that could not be used.
    """

    def __init__(self, query: str = "") -> None:
        self.requested = url_state.decode(query)
        self.explorers: dict[str, Any] = {}
        self.defaults: dict[str, dict[str, Any]] = {}
        self.links: dict[str, Any] = {}
        self.notes: list[str] = [f"unknown widget {name!r} in the link" for name in self.requested
                                 if name not in BY_NAME]

    @classmethod
    def from_environment(cls) -> "Playground":
        """The playground of the page Voila is serving (its query string is in ``QUERY_STRING``)."""
        return cls(os.environ.get("QUERY_STRING", ""))

    # --- the page -----------------------------------------------------------------------------------
    def show(self, name: str) -> Any:
        """The widget ``name`` (a :data:`SECTIONS` name) with the URL's state, and its share link: an ipywidgets box."""
        import ipywidgets as W

        from .. import widgets

        explorer = getattr(widgets, BY_NAME[name].widget)()  # no student function: the library's reference code
        self.explorers[name] = explorer
        controls = url_state.controls_of(explorer)
        self.defaults[name] = {key: c.value for key, c in controls.items()}
        texts = dict(self.requested.get(name, {}))
        sweep = texts.pop(SWEEP, None) == "1"
        self.notes += url_state.apply(explorer, texts)
        if name == "xor":
            # the Play button is linked to the epoch slider in the browser, where the link first copies
            # the Play's value onto the slider: it must start at the epoch the link asked for
            explorer.play.value = explorer.controls["epoch"].value
            if sweep:
                explorer.run_sweep()
        link = W.HTML("")
        link.add_class("backprop-share")
        self.links[name] = link
        for control in controls.values():
            control.observe(self._update_links, names="value")
        if name == "xor":
            explorer.sweep_button.on_click(lambda _: self._update_links())
        children = [explorer.ui]
        if name == "stepper":
            children.append(self._equations(explorer))
        problems = [n for n in self.notes if n.startswith(name)]
        if problems:
            children.append(W.HTML(f'<div style="color:#a05a00">⚠ not restored from the link: '
                                   f'{html.escape("; ".join(problems))}</div>'))
        box = W.VBox(children + [link])
        self._update_links()
        return box

    def query(self) -> str:
        """The query string of the page as it is now: every widget's changed controls, in page order.

        A widget not made yet keeps what the page's own query asked for it.
        """
        pairs: list[tuple[str, str]] = []
        for section in SECTIONS:
            name = section.name
            if name in self.explorers:
                explorer = self.explorers[name]
                values = {key: c.value for key, c in url_state.controls_of(explorer).items()}
                pairs += url_state.encode(name, values, self.defaults[name])
                if name == "xor" and _sweep_is_current(explorer):
                    pairs.append((f"{name}.{SWEEP}", "1"))
            else:
                pairs += [(f"{name}.{key}", text) for key, text in self.requested.get(name, {}).items()]
        return url_state.query_string(pairs)

    def href(self, name: str) -> str:
        """The page's address relative to itself, scrolled to widget ``name``: ``?<query>#<name>``."""
        return f"?{self.query()}#{name}"

    def _update_links(self, change: Any = None) -> None:
        for name, link in self.links.items():
            link.value = (f'<a class="backprop-share-link" data-widget="{name}" href="{html.escape(self.href(name))}">'
                          'link to this view</a> <span style="color:#666">(the page\'s address holds it too: '
                          'copy either to share what you see)</span>')

    def _equations(self, stepper: Any) -> Any:
        import ipywidgets as W

        box = W.HTMLMath("")
        box.add_class("backprop-equations")

        def update(change: Any = None) -> None:
            try:
                box.value = equations_html(stepper.state())
            except Exception as exc:  # noqa: BLE001 - a callback never raises
                box.value = html.escape(f"{type(exc).__name__}: {exc}")

        for control in stepper.controls.values():
            control.observe(update, names="value")
        update()
        return box


def _sweep_is_current(trainer: Any) -> bool:
    """Whether the XOR trainer's seed sweep is on screen and of the recipe and number of seeds now set."""
    sweep = trainer.sweep
    if sweep is None:
        return False
    v = trainer.values()
    r = sweep.recipe
    return (r.hidden == v["hidden"] and r.init == v["init"] and r.lr == float(v["lr"]) and r.loss == v["loss"]
            and len(sweep.seeds) == trainer.n_seeds.value)


def _row(a: np.ndarray) -> str:
    """A short array as LaTeX: ``[0.12, -0.03]``."""
    return r"[" + r",\ ".join(f"{round(float(v), 3) + 0.0:.3f}" for v in np.ravel(a)) + r"]"  # + 0.0: no -0.000


#: What the stepper applies at each step: the equations in the course's notation (lesson 04), as LaTeX lines.
EQUATIONS: dict[int, tuple[Callable[[dict[str, np.ndarray]], str], ...]] = {
    0: (lambda a: r"\text{Press next step: the forward pass comes first, one layer per step.}",),
    1: (lambda a: r"z^1 = x\,W^1 + b^1 \quad (4, 3), \qquad a^1 = \mathrm{relu}(z^1)",
        lambda a: rf"\text{{example 1: }} z^1_{{1\cdot}} = {_row(a['z1'][0])}"),
    2: (lambda a: r"z^2 = a^1 W^2 + b^2 \quad (4, 1), \qquad \hat y = \sigma(z^2)",
        lambda a: rf"\hat y = {_row(a['a2'])}"),
    3: (lambda a: r"\text{BP1: } \delta^2 = (\hat y - y)/m \quad \text{(sigmoid with cross-entropy)}",
        lambda a: rf"\delta^2 = {_row(a['delta2'])}",
        lambda a: r"\text{BP3: } \partial L/\partial W^2 = (a^1)^\top \delta^2 \quad (3, 1)",
        lambda a: rf"\text{{BP4: }} \partial L/\partial b^2 = \textstyle\sum_i \delta^2_{{i\cdot}} = {_row(a['db2'])}"),
    4: (lambda a: r"\text{BP2: } \delta^1 = \big(\delta^2 (W^2)^\top\big) \odot \mathrm{relu}'(z^1) \quad (4, 3)",
        lambda a: rf"\text{{example 1: }} \delta^1_{{1\cdot}} = {_row(a['delta1'][0])}",
        lambda a: r"\text{BP3: } \partial L/\partial W^1 = x^\top \delta^1 \quad (2, 3)",
        lambda a: rf"\text{{BP4: }} \partial L/\partial b^1 = \textstyle\sum_i \delta^1_{{i\cdot}} = {_row(a['db1'])}"),
}


def equations_html(state: Any) -> str:
    """The equations the stepper applied at its current step, with their numbers, as HTML with LaTeX.

    ``state``: a :class:`~backprop_lib.widgets.backprop_stepper.StepperState`.
    """
    step = min(state.step, state.available)
    lines = [f(state.arrays) for f in EQUATIONS[step]]
    return "".join(f"<div>\\({line}\\)</div>" for line in lines)
