"""The playground (``make playground``) without a browser: its page, its URL state, its files.

The browser journey (the page served by ``make playground``'s own command, in
chromium) is ``tests/test_playground_browser.py``.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backprop_lib.widgets import WIDGETS, url_state
from backprop_lib.widgets.playground import EQUATIONS, SECTIONS, Playground, equations_html

REPO = Path(__file__).resolve().parent.parent
NOTEBOOK = REPO / "playground" / "playground.ipynb"
TEMPLATE = REPO / "playground" / "voila" / "templates" / "playground"


def page_sections() -> list[tuple[str, str]]:
    """``(markdown text, widget name)`` of each ``playground.show(...)`` cell, in page order."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    found, text = [], ""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            text = cell.source
        else:
            match = re.fullmatch(r'playground\.show\("([a-z-]+)"\)', cell.source.strip())
            if match:
                found.append((text, match.group(1)))
    return found


def test_the_page_shows_every_widget_once_in_lesson_order() -> None:
    shown = [name for _, name in page_sections()]
    assert shown == [s.name for s in SECTIONS]
    assert sorted(s.widget for s in SECTIONS) == sorted(WIDGETS)
    lessons = [s.lesson for s in SECTIONS]
    assert lessons == sorted(lessons)


def test_each_widget_comes_with_two_or_three_sentences_on_what_to_try_and_notice() -> None:
    for text, name in page_sections():
        heading, _, body = text.partition("\n")
        section = next(s for s in SECTIONS if s.name == name)
        assert heading.startswith("## Lesson") and section.lesson in heading, (name, heading)
        plain = re.sub(r"\$[^$]*\$", "X", body)  # formulas hold dots that end no sentence
        plain = re.sub(r"\b(e\.g|i\.e)\.", "", plain)
        sentences = [s for s in re.split(r"(?<=[.!?])\s+", plain.strip()) if s]
        assert 2 <= len(sentences) <= 3, (name, sentences)
        assert re.search(r"\b(drag|move|press|set|switch|change|compare)\b", body, re.I), f"{name}: nothing to try"
        assert re.search(r"\b(watch|notice|see|shows?)\b", body, re.I), f"{name}: nothing to notice"


def test_the_page_uses_the_library_and_never_the_words_seed_text() -> None:
    text = NOTEBOOK.read_text()
    assert "seed text" not in text.lower()
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "def " not in code and "from backprop_lib.widgets.playground import Playground" in code


@pytest.mark.slow
def test_the_page_runs_top_to_bottom_in_a_fresh_kernel() -> None:
    from nbclient import NotebookClient

    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type in ("error", "stream") and o.get("name") != "stdout"]
    widgets = [o for o in outputs if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert len(widgets) == len(SECTIONS)


def make_all(query: str = "") -> Playground:
    playground = Playground(query)
    for section in SECTIONS:
        playground.show(section.name)
    return playground


def test_a_fresh_page_has_an_empty_query_and_a_link_per_widget() -> None:
    playground = make_all()
    assert playground.query() == ""
    assert playground.notes == []
    for section in SECTIONS:
        link = playground.links[section.name].value
        assert f'href="?#{section.name}"' in link and "backprop-share-link" in link


def test_moved_controls_go_into_the_query_and_reopen_to_the_same_pictures() -> None:
    first = make_all()
    moves = {"step-size": ("log10_h", -9.5), "chain-rule": ("g", "exp"), "graph": ("step", 6),
             "neuron-loss": ("y", 0.0), "stepper": ("seed", 5), "xor": ("seed", 3),
             "vanishing": ("activation", "relu"), "optimisers": ("lr", 0.25118864315095796)}
    for name, (control, value) in moves.items():
        first.explorers[name].controls[control].value = value
    first.explorers["xor"].controls["epoch"].value = 500
    first.explorers["xor"].n_seeds.value = 20
    first.explorers["xor"].sweep_button.click()
    query = first.query()
    assert "xor.sweep=1" in query and "xor.seeds=20" in query and "optimisers.lr=0.25118864315095796" in query
    assert f"?{query}#xor" in first.links["xor"].value.replace("&amp;", "&")

    again = make_all(query)
    assert again.notes == []
    assert again.query() == query
    for name, explorer in first.explorers.items():
        assert again.explorers[name].values() == explorer.values(), name
        assert again.explorers[name].last_png == explorer.last_png, name
    assert again.explorers["xor"].play.value == 500  # linked to the epoch slider in the browser
    assert again.explorers["xor"].sweep is not None and again.explorers["xor"].sweep.n_solved == \
        first.explorers["xor"].sweep.n_solved


def test_a_sweep_of_another_recipe_is_not_in_the_link() -> None:
    playground = Playground()
    playground.show("xor")
    trainer = playground.explorers["xor"]
    trainer.n_seeds.value = 10
    trainer.sweep_button.click()
    assert "xor.sweep=1" in playground.query()
    trainer.controls["hidden"].value = 3
    assert "xor.sweep" not in playground.query()


def test_a_link_with_wrong_values_opens_the_widgets_as_they_start_and_says_why() -> None:
    playground = make_all("vanishing.depth=99&xor.init=nonsense&xor.seed=x&graph.w=nan&nobody.x=1&"
                          "stepper.colour=red&token=abc&step-size.x=0.5")
    assert playground.explorers["vanishing"].controls["depth"].value == 10
    assert playground.explorers["xor"].values()["init"] == "uniform"
    assert playground.explorers["graph"].controls["w"].value == 2.0
    assert playground.explorers["step-size"].controls["x"].value == 0.5
    notes = " | ".join(playground.notes)
    for expected in ("vanishing.depth", "xor.init", "xor.seed", "graph.w", "'nobody'", "'colour'"):
        assert expected in notes, notes
    assert playground.query() == "step-size.x=0.5"


@settings(max_examples=40, deadline=None)
@given(value=st.floats(min_value=-5.0, max_value=5.0, allow_nan=False))
def test_a_float_survives_the_url_exactly(value: float) -> None:
    pairs = url_state.encode("graph", {"w": value}, {"w": 123.0})
    decoded = url_state.decode(url_state.query_string(pairs))
    assert float(decoded["graph"]["w"]) == value


@pytest.mark.parametrize("step", sorted(EQUATIONS))
def test_the_stepper_shows_the_equations_it_applies_with_their_numbers(step: int) -> None:
    from backprop_lib.widgets.backprop_stepper import stepper_state

    html = equations_html(stepper_state(step=step, seed=0))
    expected = {0: ["forward pass"], 1: ["x\\,W^1"], 2: ["\\sigma(z^2)"], 3: ["BP1", "BP3", "BP4"],
                4: ["BP2", "BP3", "BP4"]}[step]
    for word in expected:
        assert word in html
    if step >= 3:
        db = stepper_state(step=step, seed=0).arrays["db2" if step == 3 else "db1"]
        assert f"{db[0]:.3f}" in html


def test_the_template_loads_nothing_from_outside_and_the_command_is_makes() -> None:
    text = (TEMPLATE / "index.html.j2").read_text()
    assert not re.search(r"https?://", text)
    assert json.loads((TEMPLATE / "conf.json").read_text())["base_template"] == "lab"
    makefile = (REPO / "Makefile").read_text()
    target = re.search(r"^playground: .*\n\t(.*)$", makefile, re.M)
    assert target and target.group(1).startswith("tools/playground.sh ")


def test_voila_is_pinned_alike_in_pyproject_and_environment_yml() -> None:
    pyproject = re.search(r'"voila==([\d.]+)"', (REPO / "pyproject.toml").read_text())
    conda = re.search(r"- voila=([\d.]+)", (REPO / "environment.yml").read_text())
    assert pyproject and conda and pyproject.group(1) == conda.group(1)
