"""A student's and an instructor's first hour, as they live it, in a real browser.

Each test starts JupyterLab exactly as the Makefile does (``tools/student_lab.sh``
for ``make lab``, ``tools/instructor_lab.sh`` for ``make lab-instructor``) and
does what a person does, with no helper changing a notebook:

* the student: a fresh workspace seeded from the course as committed, lesson 01
  opened, Run All, a correct answer typed (✔), a wrong one (the diagnosis),
  Validate, save, ``make course``, and the answers are still theirs;
* the student's JupyterLab shows no grading kernel and no instructor panel
  (with the instructor's lab as the control: there they are);
* the instructor: formgrader on a fresh instructor folder lists every lesson.

Each journey's duration is printed (``pytest -s``) and appended to
``artifacts/journeys.txt``.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Iterator

import nbformat
import pytest

from autograder.layout import lessons
from autograder.workspace import committed_course
from browser_support import (ARTIFACTS, REPO, SCREENSHOTS, LabServer, chromium_context, open_notebook,
                             require_chromium, run_all_cells, start_instructor_lab, start_student_lab,
                             wait_until_executed)

pytestmark = pytest.mark.browser

LESSON = "01_derivatives/01_derivatives.ipynb"
CORRECT = '''def central_difference(f, x, h=1e-5):
    """Central-difference estimate of f'(x), element-wise; same shape as x."""
    return (f(x + h) - f(x - h)) / (2 * h)
'''
WRONG = '''def central_difference(f, x, h=1e-5):
    """Central-difference estimate of f'(x), element-wise; same shape as x."""
    return (f(x + h) - f(x)) / h
'''


class Stopwatch:
    """How long a journey took, printed and kept in artifacts/journeys.txt."""

    def __init__(self, name: str) -> None:
        self.name, self.start, self.laps = name, time.perf_counter(), []

    def lap(self, label: str) -> None:
        self.laps.append(f"{label} {time.perf_counter() - self.start:.1f}s")

    def report(self) -> None:
        line = f"{self.name}: {time.perf_counter() - self.start:.1f} s ({', '.join(self.laps)})"
        print(line)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        with open(ARTIFACTS / "journeys.txt", "a") as fh:
            fh.write(line + "\n")


@pytest.fixture(scope="module")
def chromium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    require_chromium()
    with chromium_context(tmp_path_factory.mktemp("chromium-profile")) as context:
        yield context


@pytest.fixture(scope="module")
def student(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LabServer, Path]]:
    """``make lab`` on a workspace that does not exist yet; yields the server and the workspace."""
    workspace = tmp_path_factory.mktemp("student") / "work"
    server = start_student_lab(workspace, tmp_path_factory.mktemp("student-lab"))
    try:
        yield server, workspace
    finally:
        server.stop()


def cell_with(page: Any, text: str) -> Any:
    """The notebook cell whose input contains ``text``."""
    return page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell").filter(
        has=page.locator(".jp-InputArea-editor", has_text=text)).first


def type_answer(page: Any, cell: Any, code: str) -> None:
    """Replace a cell's code as a student does: click into it, select all, type (no auto-indent: inserted)."""
    cell.scroll_into_view_if_needed()
    cell.locator(".cm-content").click()
    page.keyboard.press("Control+a")
    page.keyboard.insert_text(code)


def run_answer_and_check(page: Any, answer: Any, check: Any) -> str:
    """Shift+Enter in the answer cell, then Shift+Enter on its self-check; the self-check's new output."""
    before = check.locator(".jp-InputPrompt").inner_text()
    answer.locator(".cm-content").click()
    page.keyboard.press("Shift+Enter")  # runs the answer, moves to the self-check
    page.keyboard.press("Shift+Enter")  # runs the self-check
    prompt = check.locator(".jp-InputPrompt")
    deadline = time.time() + 60
    while time.time() < deadline:
        now = prompt.inner_text()
        if re.search(r"\[\d+\]", now) and now != before:
            return check.locator(".jp-OutputArea").text_content()
        time.sleep(0.2)
    raise AssertionError(f"the self-check did not run again (prompt {before!r} -> {prompt.inner_text()!r})")


def test_a_student_runs_lesson_01_answers_validates_and_keeps_their_work(student: tuple[LabServer, Path],
                                                                         chromium: Any) -> None:
    server, workspace = student
    watch = Stopwatch("student journey")
    committed = committed_course()
    assert (workspace / LESSON).read_bytes() == committed[LESSON], "the workspace is seeded from the committed course"
    nb = nbformat.reads(committed[LESSON].decode(), as_version=4)
    widget_cells = sum("from backprop_lib.widgets import" in c.source for c in nb.cells if c.cell_type == "code")
    self_checks = sum(bool(c.metadata.get("nbgrader", {}).get("grade")) and not c.metadata["nbgrader"].get("solution")
                      for c in nb.cells if c.cell_type == "code")

    page = open_notebook(chromium, server, LESSON)
    try:
        watch.lap("opened")
        run_all_cells(page)
        wait_until_executed(page, timeout=180)  # every cell, the last one included, has an execution count
        watch.lap("run all")
        text = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook").text_content()  # (offscreen cells too)
        assert "NameError" not in text
        errors = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell .jp-OutputArea-output"
                              "[data-mime-type='application/vnd.jupyter.stderr']")
        assert errors.count() == self_checks, "only the unsolved self-checks fail"
        assert "not implemented yet" in errors.first.text_content()

        widgets = page.locator(".backprop-widget")
        page.wait_for_function(f"() => document.querySelectorAll('.backprop-widget').length >= {widget_cells}",
                               timeout=60_000)
        assert widgets.count() == widget_cells
        for i in range(widget_cells):
            widget = widgets.nth(i)
            widget.scroll_into_view_if_needed()
            img = widget.locator("img.backprop-plot").first
            if img.is_visible():
                page.wait_for_function("i => i.complete && i.naturalWidth > 0", arg=img.element_handle(),
                                       timeout=30_000)
            else:  # a widget that needs an unfinished exercise says which one
                assert re.search(r"exercise", widget.locator(".backprop-message").text_content(), re.I)
        page.screenshot(path=str(SCREENSHOTS / "journey-run-all.png"))

        answer = cell_with(page, "def central_difference(")
        check = cell_with(page, "check_central_difference(central_difference)")
        type_answer(page, answer, CORRECT)
        assert "✔" in run_answer_and_check(page, answer, check)
        watch.lap("correct answer")
        type_answer(page, answer, WRONG)
        diagnosis = run_answer_and_check(page, answer, check)
        assert "central_difference gives a wrong result" in diagnosis and "forward difference" in diagnosis, diagnosis
        watch.lap("wrong answer")

        page.set_viewport_size({"width": 900, "height": 1000})  # a laptop's half screen: long lines must wrap
        page.locator("jp-button.validate-button").first.click()
        dialog = page.locator(".nbgrader-ErrorDialog")
        dialog.locator(".validation-failed").first.wait_for(timeout=120_000)
        said = dialog.inner_text()
        page.screenshot(path=str(SCREENSHOTS / "journey-validate.png"))
        assert "check_central_difference(central_difference)" in said and "forward difference" in said, said[:2000]
        cut = dialog.locator("pre").evaluate_all("ps => ps.filter(p => p.scrollWidth > p.clientWidth + 1).length")
        assert cut == 0, "a long line of the dialog is cut off on the right"
        page.keyboard.press("Escape")
        dialog.wait_for(state="detached", timeout=10_000)
        page.set_viewport_size({"width": 1400, "height": 1000})
        watch.lap("validate")

        page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook").first.click(position={"x": 5, "y": 5})
        page.keyboard.press("Control+s")
        deadline = time.time() + 30
        while "(f(x + h) - f(x)) / h" not in (workspace / LESSON).read_text() and time.time() < deadline:
            time.sleep(0.2)
        saved = (workspace / LESSON).read_bytes()
        assert b"(f(x + h) - f(x)) / h" in saved, "the student's answer is saved in their workspace"
        watch.lap("saved")
    except Exception:
        page.screenshot(path=str(SCREENSHOTS / "journey-student-failure.png"), full_page=True)
        raise
    finally:
        page.close()

    make = subprocess.run(["make", "course"], cwd=REPO, capture_output=True, text=True, timeout=600)
    assert make.returncode == 0, make.stdout[-2000:] + make.stderr[-2000:]
    again = subprocess.run([sys.executable, "-m", "autograder.workspace", str(workspace)], capture_output=True,
                           text=True, check=True)  # what the next `make lab` does first
    assert (workspace / LESSON).read_bytes() == saved, again.stdout
    assert b"(f(x + h) - f(x)) / h" not in (REPO / "course" / LESSON).read_bytes(), "course/ holds no student work"
    watch.lap("make course")
    watch.report()


def launcher_and_panels(page: Any, server: LabServer) -> tuple[list[str], list[str], str]:
    """The launcher's kernel cards, the menu bar's menus, and the page's HTML, once the launcher is shown."""
    page.goto(server.url("lab/workspaces/launcher-check", "reset"), wait_until="commit")
    page.wait_for_selector(".jp-Launcher .jp-LauncherCard", timeout=90_000)
    page.wait_for_timeout(2000)  # late plugins (nbgrader's panels) add their widgets after the launcher
    cards = page.locator(".jp-Launcher-section:has(.jp-Launcher-sectionTitle:text-is('Notebook')) .jp-LauncherCard")
    return ([cards.nth(i).inner_text().strip() for i in range(cards.count())],
            [m.strip() for m in page.locator(".lm-MenuBar-item").all_inner_texts()], page.content())


def test_the_students_lab_shows_the_course_kernel_and_no_instructor_tools(student: tuple[LabServer, Path],
                                                                            chromium: Any,
                                                                            tmp_path_factory: pytest.TempPathFactory
                                                                            ) -> None:
    server, _ = student
    watch = Stopwatch("student launcher check")
    page = chromium.new_page()
    try:
        kernels, menus, html = launcher_and_panels(page, server)
        page.screenshot(path=str(SCREENSHOTS / "journey-student-launcher.png"))
        assert any("Python 3" in k for k in kernels), kernels
        assert not any("grading" in k for k in kernels), kernels
        assert "Nbgrader" not in menus, menus
        assert "Create Assignment" not in html and "Formgrader" not in html
        assert [k for k in server.api("kernelspecs")["kernelspecs"]] == ["python3"]
    finally:
        page.close()
    watch.report()


def test_a_grading_kernel_path_inherited_from_the_shell_does_not_reach_the_students_lab(tmp_path):
    """nbgrader_config.py puts autograder/ on JUPYTER_PATH for grading; a shell that ran it passes it on."""
    inherited = os.pathsep.join([str(REPO / "autograder") + "/", os.environ.get("JUPYTER_PATH", "")]).rstrip(os.pathsep)
    server = start_student_lab(tmp_path / "work", tmp_path / "lab", env={"JUPYTER_PATH": inherited})
    try:
        assert list(server.api("kernelspecs")["kernelspecs"]) == ["python3"]
    finally:
        server.stop()


@pytest.fixture(scope="module")
def instructor(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LabServer, Path]]:
    """``make lab-instructor`` with an instructor folder that does not exist yet (a fresh clone)."""
    folder = tmp_path_factory.mktemp("fresh-clone") / "instructor"
    server = start_instructor_lab(folder, tmp_path_factory.mktemp("instructor-lab"))
    try:
        yield server, folder
    finally:
        server.stop()


def test_formgrader_lists_every_lesson_on_a_fresh_instructor_folder(instructor: tuple[LabServer, Path],
                                                                    chromium: Any) -> None:
    server, folder = instructor
    watch = Stopwatch("instructor formgrader journey")
    page = chromium.new_page()
    try:
        page.goto(server.url("formgrader"), wait_until="commit")
        for lesson in lessons():
            page.locator("td", has_text=lesson).first.wait_for(timeout=60_000)
        page.screenshot(path=str(SCREENSHOTS / "journey-formgrader.png"))
        assert "Loading, please wait" not in page.locator("body").inner_text()
        assert (folder / "gradebook.db").exists()
    except Exception:
        page.screenshot(path=str(SCREENSHOTS / "journey-formgrader-failure.png"), full_page=True)
        raise
    finally:
        page.close()
    watch.report()


def test_the_instructors_lab_has_what_the_students_lacks(instructor: tuple[LabServer, Path], chromium: Any) -> None:
    """The control of the student's launcher test: the same checks find the instructor's tools here."""
    server, _ = instructor
    page = chromium.new_page()
    try:
        kernels, menus, html = launcher_and_panels(page, server)
        page.screenshot(path=str(SCREENSHOTS / "journey-instructor-launcher.png"))
        assert any("grading" in k for k in kernels), kernels
        assert "Nbgrader" in menus, menus
        assert "Create Assignment" in html
    finally:
        page.close()
