"""Does a feedback notebook render without a student's script, and without stopping on a missing attachment?"""
from __future__ import annotations

import base64

import nbformat
from hypothesis import given, settings, strategies as st
from nbconvert import HTMLExporter

from autograder.feedback_html import clean
from autograder.preprocessors import SafeFeedback
from autograder.preprocessors.safe_feedback import clean_html, safe_output
from test_feedback_html import ATTACKS, live_script

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\x00" * 16).decode()


def render(nb) -> str:
    """The page nbconvert writes after SafeFeedback, as the feedback step does (then the page check)."""
    SafeFeedback().preprocess(nb, {})
    html, _ = HTMLExporter(template_name="lab").from_notebook_node(nb)
    return html


def student_markdown(text: str, attachments: dict | None = None):
    cell = nbformat.v4.new_markdown_cell(text)
    if attachments is not None:
        cell["attachments"] = attachments
    return cell


def course_markdown(text: str):
    cell = nbformat.v4.new_markdown_cell(text)
    cell.metadata["nbgrader"] = {"grade_id": "intro", "grade": False, "solution": False, "locked": True}
    return cell


def test_a_missing_attachment_renders_instead_of_stopping_the_page():
    nb = nbformat.v4.new_notebook(cells=[student_markdown("![x](attachment:diagram.png)"),
                                         course_markdown("![y](attachment:gone.png)"),
                                         student_markdown("![z](attachment:kept.png)", {"kept.png": {"image/png": PNG},
                                                                                       "bad.png": {}})])
    html = render(nb)
    assert "#missing-attachment" in html and f"data:image/png;base64,{PNG}" in html


@settings(max_examples=10, deadline=None)
@given(st.lists(st.sampled_from(ATTACKS), min_size=1, max_size=3))
def test_scripts_in_markdown_and_outputs_do_not_survive_rendering(attacks):
    markup = "".join(attacks)
    code = nbformat.v4.new_code_cell("show()")
    code.outputs = [
        nbformat.v4.new_output("display_data", data={"text/html": markup, "text/plain": "x"}),
        nbformat.v4.new_output("display_data", data={"application/javascript": "alert(1)"}),
        nbformat.v4.new_output("display_data", data={"image/svg+xml": "<svg onload='alert(1)'/>"}),
        nbformat.v4.new_output("execute_result", data={"text/markdown": markup, "image/png": f"{PNG}\"><script>"},
                               execution_count=1),
        nbformat.v4.new_output("display_data", data={"image/png": PNG},
                               metadata={"image/png": {"width": "1 onerror=alert(1)"}}),
    ]
    nb = nbformat.v4.new_notebook(cells=[student_markdown(markup), code])
    assert live_script(render(nb)) == [], "SafeFeedback alone leaves no script (the page check is a second net)"


def test_javascript_links_in_markdown_and_mathjax_are_defused():
    text = clean_html("[x](javascript:alert(1)) $\\href{javascript:alert(1)}{y}$ "
                      "<a href='data:text/html,x'>d</a><img src='https://tracker/x.png'> a<b")
    assert "javascript:" not in text.lower() and "a&lt;b" in text
    assert "data:text" not in text and "tracker" not in text


def test_an_output_of_no_safe_format_says_what_was_dropped():
    out = safe_output(nbformat.v4.new_output("display_data", data={"application/javascript": "alert(1)"}))
    assert out["data"] == {"text/plain": "(output not shown in feedback: application/javascript)"}
    assert safe_output(nbformat.NotebookNode(output_type="made-up")) is None
