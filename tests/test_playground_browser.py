"""The playground in a real browser: the page ``make playground`` serves, driven in headless Debian chromium.

The server is started with exactly the command the Makefile's ``playground``
target runs (``tools/playground.sh``), on a free port and with ``--no-browser``.
Every request the page makes is checked to stay on this machine (anything
else is aborted and fails the test): fonts, MathJax and the widgets' scripts
must all be served locally.

1. Every widget draws; moving one control of each changes its picture; the
   address bar then holds every widget's state.
2. That address, opened in a new page (a new kernel), shows the same pictures
   and the same control values; so does a widget's own "link to this view".

The time from the command to a usable page (every picture drawn) is printed
and written to artifacts/playground-startup.txt (benchmarks/README.md).
"""
from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import parse_qsl, urlsplit

import pytest

from backprop_lib.widgets.playground import SECTIONS
from browser_support import (ARTIFACTS, REPO, SCREENSHOTS, chromium_context, descendants, end_processes, free_port,
                             image_digest, require_chromium, wait_for_new_picture)

pytestmark = pytest.mark.browser

COMMAND = REPO / "tools" / "playground.sh"
LOCAL = ("http://127.0.0.1:", "ws://127.0.0.1:", "data:", "blob:", "about:")
#: The slider each widget's test moves, by its label: widget -> control.
MOVED = {"step-size": "x", "chain-rule": "x", "graph": "w", "neuron-loss": "w", "stepper": "step",
         "xor": "hidden", "vanishing": "depth", "optimisers": "lr"}


@dataclass
class Playground:
    """A playground server this test started: its process, its port, its log."""

    process: subprocess.Popen
    port: int
    log_path: Path
    started: float

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        """SIGTERM, then SIGKILL, to the processes this test started (the server and its kernels), by PID."""
        end_processes(self.process, [self.process.pid] + descendants(self.process.pid), grace=8)


def start_playground(workdir: Path, timeout: float = 120) -> Playground:
    """``tools/playground.sh --no-browser --port=N``, as ``make playground`` runs it; wait until it listens."""
    require_chromium()
    port = free_port()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log_path = ARTIFACTS / f"playground-{port}.log"
    env = dict(os.environ, PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
               JUPYTER_RUNTIME_DIR=str(workdir / "runtime"), PYTHONUNBUFFERED="1")
    started = time.time()
    with open(log_path, "wb") as log:
        process = subprocess.Popen(["bash", str(COMMAND), "--no-browser", f"--port={port}"], cwd=workdir,
                                   stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    server = Playground(process, port, log_path, started)
    deadline = started + timeout
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the playground exited with code {process.returncode}:\n{server.log()[-3000:]}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return server
        time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"the playground did not listen within {timeout:.0f} s:\n{server.log()[-3000:]}")


@pytest.fixture(scope="module")
def playground(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Playground]:
    server = start_playground(tmp_path_factory.mktemp("playground-cwd"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def browser(playground: Playground, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Headless Debian chromium, fresh profile, every request off this machine aborted and remembered."""
    with chromium_context(tmp_path_factory.mktemp("chromium-profile")) as context:
        context.outside = []  # type: ignore[attr-defined]

        def route(r: Any) -> None:
            if r.request.url.startswith(LOCAL):
                r.continue_()
            else:
                context.outside.append(r.request.url)  # type: ignore[attr-defined]
                r.abort()

        context.route("**/*", route)
        yield context
        assert context.outside == [], f"the page asked for files off this machine: {context.outside}"


def open_page(browser: Any, url: str, timeout: float = 180) -> Any:
    """A page at ``url`` once every widget of the playground shows its picture."""
    page = browser.new_page()
    page.goto(url, wait_until="commit", timeout=timeout * 1000)
    page.wait_for_function(
        f"""() => {{
            const imgs = [...document.querySelectorAll('.backprop-widget > img.backprop-plot:first-of-type')];
            return imgs.length === {len(SECTIONS)} && imgs.every(i => i.complete && i.naturalWidth > 0);
        }}""", timeout=timeout * 1000)
    return page


def widget(page: Any, name: str) -> Any:
    return page.locator(f".backprop-widget.backprop-{name}").first


def picture(page: Any, name: str) -> str:
    return image_digest(widget(page, name).locator("img.backprop-plot").first)


def slider_readouts(page: Any, name: str) -> list[str]:
    """The numbers beside every slider of widget ``name`` (what a person reads as its state)."""
    return widget(page, name).locator(".widget-readout").all_inner_texts()


def query_of(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))


def test_every_widget_responds_and_a_shared_url_reopens_the_same_state(playground: Playground, browser: Any) -> None:
    page = open_page(browser, playground.url)
    usable = time.time() - playground.started
    (ARTIFACTS / "playground-startup.txt").write_text(f"{usable:.1f} s from tools/playground.sh to every picture "
                                                      f"drawn (load average {os.getloadavg()[0]:.1f})\n")
    print(f"\nplayground: {usable:.1f} s from the command to a usable page")
    try:
        page.screenshot(path=str(SCREENSHOTS / "playground-rendered.png"))
        widgets = page.locator(".backprop-widget")
        assert widgets.count() == len(SECTIONS)
        assert page.locator("mjx-container").count() > 0, "MathJax typeset nothing"
        assert page.locator("h2", has_text=re.compile("Lesson 06")).count() == 1

        # 1. one control of each widget moves; its picture changes and its state goes into the address
        for section in SECTIONS:
            name = section.name
            box = widget(page, name)
            box.scroll_into_view_if_needed()
            before = picture(page, name)
            sliders = box.locator(".widget-slider")
            index = next(i for i in range(sliders.count())
                         if sliders.nth(i).locator(".widget-label").inner_text().strip().startswith(MOVED[name]))
            handle = sliders.nth(index).locator(".noUi-handle").first
            handle.focus()
            handle.press("ArrowRight")
            wait_for_new_picture(box.locator("img.backprop-plot").first, before)
            page.wait_for_function(f"() => new URLSearchParams(location.search).has('{name}.{MOVED[name]}')",
                                   timeout=30_000)
            box.screenshot(path=str(SCREENSHOTS / f"playground-{name}.png"))
        xor = widget(page, "xor")
        before = picture(page, "xor")  # the epoch slider is linked to the Play button: both must restore
        epoch = xor.locator(".widget-slider", has=page.locator(".widget-label", has_text="epoch"))
        epoch.locator(".noUi-handle").first.focus()
        epoch.locator(".noUi-handle").first.press("ArrowRight")
        wait_for_new_picture(xor.locator("img.backprop-plot").first, before)
        page.wait_for_function("() => new URLSearchParams(location.search).get('xor.epoch') === '50'",
                               timeout=30_000)
        xor.locator("button", has_text="run seed sweep").click()
        sweep = xor.locator("img.backprop-plot").nth(1)
        sweep.wait_for(state="visible", timeout=60_000)
        page.wait_for_function("() => new URLSearchParams(location.search).get('xor.sweep') === '1'",
                               timeout=30_000)

        shared = page.url
        state = query_of(shared)
        assert {f"{name}.{control}" for name, control in MOVED.items()} <= set(state), state
        pictures = {s.name: picture(page, s.name) for s in SECTIONS}
        readouts = {s.name: slider_readouts(page, s.name) for s in SECTIONS}
        sweep_picture = image_digest(sweep)
        link = page.locator(".backprop-share a.backprop-share-link[data-widget='xor']").get_attribute("href")
        assert query_of(link) == state and link.endswith("#xor")
    finally:
        page.close()

    # 2. the shared address, in a new page with a new kernel, is the same view
    for url in (shared, playground.url + link):
        again = open_page(browser, url)
        try:
            for section in SECTIONS:
                assert slider_readouts(again, section.name) == readouts[section.name], section.name
                assert picture(again, section.name) == pictures[section.name], section.name
            sweep_again = widget(again, "xor").locator("img.backprop-plot").nth(1)
            sweep_again.wait_for(state="visible", timeout=60_000)
            assert image_digest(sweep_again) == sweep_picture
            assert query_of(again.url) == state
            if url.endswith("#xor"):  # a widget's own link opens the page at that widget
                top = again.evaluate("() => document.querySelector('.backprop-widget.backprop-xor')"
                                     ".getBoundingClientRect().top")
                assert -5 <= top < 200, top
            again.screenshot(path=str(SCREENSHOTS / "playground-reopened.png"))
        finally:
            again.close()
