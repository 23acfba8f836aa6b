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

import shutil
import sys
from pathlib import Path
from typing import Any, Iterator

import nbformat
import pytest

from autograder.workspace import committed_course
from browser_support import (REPO, SCREENSHOTS, LabServer, check_widgets, chromium_context, copy_into,
                             notebooks_using_widgets, open_notebook, require_chromium, run_all_cells, start_lab,
                             wait_until_executed)

pytestmark = pytest.mark.browser

GALLERY = REPO / "tests" / "fixtures" / "widgets_gallery.ipynb"
LESSON_01 = REPO / "course" / "01_derivatives" / "01_derivatives.ipynb"
#: The gallery shows every widget once.
GALLERY_WIDGETS = 8
WRONG_CENTRAL_DIFFERENCE = '''def central_difference(f, x, h=1e-5):
    """Central-difference estimate of f'(x), element-wise; same shape as x."""
    return (f(x + h) - f(x)) / h
'''


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
    course = committed_course()  # as a student gets it: self-checks tagged so that Run All goes on past them
    for path in notebooks_using_widgets():
        relative = f"{path.parent.name}/{path.name}"
        target = root / "lessons" / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(course[relative])
    nb = nbformat.reads(course["01_derivatives/01_derivatives.ipynb"].decode(), as_version=4)
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
    with chromium_context(tmp_path_factory.mktemp("chromium-profile")) as context:
        yield context


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
