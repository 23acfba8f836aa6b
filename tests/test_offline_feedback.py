"""Does a student's feedback HTML read well with no internet: maths rendered, long lines wrapped?"""
from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

from autograder.layout import REPO
from autograder.preprocessors.offline_feedback import MATHJAX_DIR, WRAP_CSS, install_mathjax
from browser_support import SCREENSHOTS, chromium_context, require_chromium

LONG_LINE = "expected: [" + ", ".join(f"{0.1 * i:.6f}" for i in range(60)) + "]"


def test_mathjax_is_copied_once_without_what_the_feedback_never_loads(tmp_path):
    target = install_mathjax(tmp_path)
    assert target == tmp_path / MATHJAX_DIR
    assert (target / "MathJax.js").exists() and (target / "jax" / "output" / "HTML-CSS").is_dir()
    assert not (target / "extensions" / "a11y").exists()
    size = sum(p.stat().st_size for p in target.rglob("*") if p.is_file())
    assert size < 5_000_000, f"{size} bytes of MathJax in every feedback folder"
    (target / "MathJax.js").write_text("// kept")
    install_mathjax(tmp_path)
    assert (target / "MathJax.js").read_text() == "// kept", "an existing copy is left alone"
    assert [p.name for p in tmp_path.iterdir()] == [MATHJAX_DIR], "no staging folder left behind"


def course_config(monkeypatch: pytest.MonkeyPatch) -> Config:
    """The repo's nbgrader_config.py, as nbgrader reads it (its environment changes undone after the test)."""
    monkeypatch.setenv("JUPYTER_PATH", os.environ.get("JUPYTER_PATH", ""))
    return PyFileConfigLoader("nbgrader_config.py", path=str(REPO)).load_config()


def feedback_html(config: Config, feedback_root: Path) -> Path:
    """A feedback page made as ``nbgrader generate_feedback`` makes one, without its gradebook step."""
    from nbconvert.exporters import HTMLExporter
    from nbgrader.converters import GenerateFeedback
    from nbgrader.coursedir import CourseDirectory

    config.OfflineFeedback.feedback_root = str(feedback_root)
    converter = GenerateFeedback(coursedir=CourseDirectory(config=config), config=config)
    exporter = HTMLExporter(parent=converter, config=converter.config)
    for name in converter.config.GenerateFeedback.preprocessors[1:]:  # all but GetGrades (the gradebook's scores)
        exporter.register_preprocessor(name, enabled=True)
    prose = nbformat.v4.new_markdown_cell(r"The sigmoid's derivative is $\sigma'(z) = \sigma(z)\,(1 - \sigma(z))$.")
    check = nbformat.v4.new_code_cell("check_central_difference(central_difference)")
    check.metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": "test_cd", "points": 2, "score": 0}
    check.outputs = [nbformat.v4.new_output("error", ename="CheckFailed", evalue=f"wrong result\n  {LONG_LINE}",
                                            traceback=["Traceback"])]
    nb = nbformat.v4.new_notebook(cells=[prose, check])
    resources = {"nbgrader": {"notebook": "01_x", "score": 0, "max_score": 2, "late_penalty": 0}}
    html, _ = exporter.from_notebook_node(nb, resources=resources)
    page = feedback_root / "ada" / "01_x" / "01_x.html"
    page.parent.mkdir(parents=True)
    page.write_text(html)
    return page


def test_the_feedback_page_loads_mathjax_from_the_feedback_folder_and_wraps_long_lines(tmp_path, monkeypatch):
    page = feedback_html(course_config(monkeypatch), tmp_path / "feedback")
    html = page.read_text()
    assert 'src="../../mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full"' in html
    assert html.count("cdnjs") == 1 and "s.src = 'https://cdnjs" in html, "the CDN is only the fallback (onerror)"
    assert WRAP_CSS.strip() in html
    assert (tmp_path / "feedback" / MATHJAX_DIR / "MathJax.js").exists()


@pytest.mark.browser
def test_offline_the_maths_renders_and_no_line_is_cut_off(tmp_path, monkeypatch):
    require_chromium()
    page_path = feedback_html(course_config(monkeypatch), tmp_path / "feedback")
    with chromium_context(tmp_path / "profile") as context:
        page = context.new_page()
        blocked: list[str] = []
        page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file://")
                   else (blocked.append(route.request.url), route.abort()))
        page.set_viewport_size({"width": 800, "height": 900})
        page.goto(page_path.as_uri())
        page.wait_for_selector("span.MathJax span.math", timeout=60_000)
        page.screenshot(path=str(SCREENSHOTS / "feedback-offline.png"), full_page=True)
        assert "$\\sigma" not in page.locator("body").inner_text(), "raw TeX on the page"
        cut = page.locator("pre").evaluate_all("ps => ps.filter(p => p.scrollWidth > p.clientWidth + 1).length")
        assert cut == 0, "a long line runs off the right edge"
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        assert not [u for u in blocked if "mathjax" in u.lower()], blocked
