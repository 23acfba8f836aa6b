"""Real-browser tests: JupyterLab in headless Debian chromium, driven by Playwright.

1. The widget gallery (and every course notebook that uses ``backprop_lib.widgets``)
   is opened, run with Run > Run All Cells, and each widget must draw its
   picture; pressing ArrowRight on a slider (or clicking a button) must change it.
2. A student's "Validate" before submitting: lesson 01 with a wrong
   ``central_difference`` (a forward difference) is validated with nbgrader's
   toolbar button, and the dialog must show the failure and its diagnosis.

Chromium missing: the tests skip with the install hint, or fail under CI=true.
Screenshots go to artifacts/screenshots/ (git-ignored).
"""
from __future__ import annotations

import re
import shutil
import sys
import time
from pathlib import Path
from typing import Any, Iterator

import nbformat
import pytest

from browser_support import (CHROMIUM_ARGS, IN_CI, REPO, SCREENSHOTS, LabServer, copy_into, keep_running_past_errors,
                             notebooks_using_widgets, require_chromium, start_lab)

pytestmark = pytest.mark.browser

GALLERY = REPO / "tests" / "fixtures" / "widgets_gallery.ipynb"
LESSON_01 = REPO / "course" / "01_derivatives" / "01_derivatives.ipynb"
#: The gallery shows every widget once.
GALLERY_WIDGETS = 8
WRONG_CENTRAL_DIFFERENCE = '''def central_difference(f, x, h=1e-5):
    """Central-difference estimate of f'(x), element-wise; same shape as x."""
    return (f(x + h) - f(x)) / h
'''
#: A short JavaScript hash of the bytes behind an <img>, to tell two pictures apart.
IMAGE_DIGEST_JS = """async (img) => {
    const bytes = new Uint8Array(await (await fetch(img.src)).arrayBuffer());
    let h = 2166136261;
    for (let i = 0; i < bytes.length; i++) { h ^= bytes[i]; h = Math.imul(h, 16777619) >>> 0; }
    return `${bytes.length}:${h.toString(16)}`;
}"""


def lesson_notebooks() -> list[Any]:
    return [pytest.param(p, id=p.parent.name) for p in notebooks_using_widgets()]


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    """A JupyterLab server on a temporary root holding the gallery, the lessons with widgets, and lesson 01."""
    require_chromium()
    if not shutil.which("jupyter", path=str(Path(sys.executable).parent)):
        pytest.fail("jupyter is not installed in this environment: run `make test`, which installs it")
    root = tmp_path_factory.mktemp("lab-root")
    copy_into(root, GALLERY)
    for path in notebooks_using_widgets():
        target = root / "lessons" / path.parent.name / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(keep_running_past_errors(nbformat.read(path, as_version=4)), target)
    nb = nbformat.read(LESSON_01, as_version=4)
    cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "central_difference"]
    assert len(cells) == 1, "lesson 01 has one solution cell for central_difference"
    cells[0].source = WRONG_CENTRAL_DIFFERENCE
    (root / "validate").mkdir()
    nbformat.write(nb, root / "validate" / LESSON_01.name)
    server = start_lab(root, tmp_path_factory.mktemp("lab-cwd"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def browser(lab: LabServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Headless Debian chromium with a fresh profile (never a browser of Playwright's own)."""
    if IN_CI:
        import playwright.sync_api as sync_api  # a dev dependency: missing under CI is a failure
    else:
        sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (a dev extra)")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=require_chromium(), headless=True,
            args=CHROMIUM_ARGS, viewport={"width": 1400, "height": 1000})
        context.set_default_timeout(60_000)
        try:
            yield context
        finally:
            context.close()


def open_notebook(browser: Any, lab: LabServer, path: str) -> Any:
    """A new page with ``path`` open in JupyterLab and its kernel started."""
    page = browser.new_page()
    workspace = re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-")
    page.goto(lab.notebook_url(path, workspace), wait_until="commit")
    page.wait_for_selector(".jp-NotebookPanel .jp-Notebook .jp-Cell", timeout=90_000)
    title = Path(path).name
    page.wait_for_selector(f".lm-TabBar-tab.lm-mod-current:has-text('{title}')", timeout=30_000)
    # Run All does nothing while the kernel is still starting: wait for it to be idle
    page.wait_for_selector(".jp-NotebookPanel .jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=90_000)
    return page


def run_all_cells(page: Any, attempts: int = 5) -> None:
    """Run > Run All Cells, through the menu bar as a person would.

    A Run All given while the kernel is still connecting runs nothing (every
    prompt stays ``[ ]``); it is then given again, which is harmless.
    """
    started = """() => [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputPrompt')]
                     .some(p => /\\[(\\*|\\d+)\\]/.test(p.textContent))"""
    for _ in range(attempts):
        accept_kernel_dialog(page)
        page.locator(".jp-NotebookPanel .jp-Notebook").first.click(position={"x": 5, "y": 5})
        page.locator(".lm-MenuBar-item", has_text=re.compile(r"^Run$")).click()
        page.locator(".lm-Menu-item:visible", has_text=re.compile(r"^Run All Cells")).first.click()
        try:
            page.wait_for_function(started, timeout=10_000)
            return
        except Exception:  # noqa: BLE001 - Playwright's TimeoutError: try again
            continue
        finally:
            accept_kernel_dialog(page)
    raise AssertionError(f"Run All Cells ran nothing in {attempts} attempts")


def accept_kernel_dialog(page: Any) -> None:
    """Answer JupyterLab's "Select Kernel" dialog (shown when Run All came before the kernel) with the default."""
    dialog = page.locator(".jp-Dialog:has-text('Select Kernel')")
    for _ in range(5):
        if not (dialog.count() and dialog.first.is_visible()):
            return
        try:
            dialog.first.locator("button", has_text=re.compile(r"^Select$")).click(timeout=5_000)
            dialog.first.wait_for(state="detached", timeout=5_000)
        except Exception:  # noqa: BLE001 - a click during the dialog's animation: the default button takes Enter
            page.keyboard.press("Enter")
    raise AssertionError("JupyterLab's Select Kernel dialog would not close")


def wait_until_executed(page: Any, timeout: float = 120) -> None:
    """Wait until every code cell shows an execution count (none queued ``[*]`` or never run)."""
    page.wait_for_function("""() => {
        const prompts = [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputPrompt')];
        return prompts.length > 0 && prompts.every(p => /\\[\\d+\\]/.test(p.textContent));
    }""", timeout=timeout * 1000)


def image_digest(img: Any, timeout: float = 30) -> str:
    """The digest of a loaded picture (waits until the <img> has a blob and has decoded it)."""
    img.wait_for(state="attached", timeout=timeout * 1000)
    deadline = time.time() + timeout
    while time.time() < deadline:
        if img.evaluate("i => i.complete && i.naturalWidth > 0 && i.src.length > 0"):
            return img.evaluate(IMAGE_DIGEST_JS)
        time.sleep(0.2)
    raise AssertionError("the widget's picture never loaded")


def wait_for_new_picture(img: Any, before: str, timeout: float = 30) -> str:
    deadline = time.time() + timeout
    while time.time() < deadline:
        now = image_digest(img)
        if now != before:
            return now
        time.sleep(0.25)
    raise AssertionError("the picture did not change after the control moved")


def widget_name(widget: Any) -> str:
    classes = widget.get_attribute("class") or ""
    names = [c[len("backprop-"):] for c in classes.split() if c.startswith("backprop-") and c != "backprop-widget"]
    return names[0] if names else "widget"


def check_widgets(page: Any, label: str, expected: int | None) -> int:
    """Every widget on the page draws; a slider key press (and a button) changes its picture."""
    widgets = page.locator(".backprop-widget")
    if expected is not None:
        page.wait_for_function(f"() => document.querySelectorAll('.backprop-widget').length >= {expected}",
                               timeout=60_000)
    count = widgets.count()
    assert count >= 1, "no widget rendered"
    if expected is not None:
        assert count == expected
    page.screenshot(path=str(SCREENSHOTS / f"{label}-rendered.png"), full_page=False)
    for i in range(count):
        widget = widgets.nth(i)
        widget.scroll_into_view_if_needed()
        name = widget_name(widget)
        img = widget.locator("img.backprop-plot").first
        if not img.is_visible():  # a widget that shows a message (an exercise not done) instead of a picture
            assert widget.locator(".backprop-message").inner_text().strip(), f"{name}: neither picture nor message"
            continue
        before = image_digest(img)
        handle = widget.locator(".widget-slider .noUi-handle").first
        handle.focus()
        handle.press("ArrowRight")
        after = wait_for_new_picture(img, before)
        widget.screenshot(path=str(SCREENSHOTS / f"{label}-{i}-{name}.png"))
        step = widget.locator("button.backprop-button:not([disabled])", has_text=re.compile("forward step|next step"))
        if step.count():
            step.first.click()
            wait_for_new_picture(img, after)
    return count


def test_the_gallery_renders_every_widget_and_each_responds(lab: LabServer, browser: Any) -> None:
    page = open_notebook(browser, lab, GALLERY.name)
    try:
        run_all_cells(page)
        wait_until_executed(page)
        check_widgets(page, "gallery", GALLERY_WIDGETS)
        stderr = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
        assert stderr.count() == 0, stderr.first.inner_text()
        assert page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.error']").count() == 0
    except Exception:
        page.screenshot(path=str(SCREENSHOTS / "gallery-failure.png"), full_page=True)
        raise
    finally:
        page.close()


@pytest.mark.parametrize("notebook", lesson_notebooks())
def test_a_lesson_with_widgets_renders_them(lab: LabServer, browser: Any, notebook: Path) -> None:
    page = open_notebook(browser, lab, f"lessons/{notebook.parent.name}/{notebook.name}")
    try:
        run_all_cells(page)
        wait_until_executed(page, timeout=180)
        check_widgets(page, notebook.parent.name, None)
    except Exception:
        page.screenshot(path=str(SCREENSHOTS / f"{notebook.parent.name}-failure.png"), full_page=True)
        raise
    finally:
        page.close()


def test_validate_shows_the_failure_and_its_diagnosis(lab: LabServer, browser: Any) -> None:
    page = open_notebook(browser, lab, "validate/01_derivatives.ipynb")
    try:
        button = page.locator("jp-button.validate-button").first
        button.wait_for(state="visible", timeout=60_000)
        button.click()
        dialog = page.locator(".nbgrader-ErrorDialog")
        dialog.locator(".validation-failed").first.wait_for(timeout=120_000)
        text = dialog.inner_text()
        page.screenshot(path=str(SCREENSHOTS / "validate-dialog.png"))
        assert "The following cell failed" in text and "check_central_difference(central_difference)" in text
        assert "central_difference gives a wrong result" in text
        assert "forward difference" in text, text[:2000]
    except Exception:
        page.screenshot(path=str(SCREENSHOTS / "validate-failure.png"), full_page=True)
        raise
    finally:
        page.close()
