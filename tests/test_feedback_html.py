"""Can anything in a feedback page's body run as script in the browser that opens it?"""
from __future__ import annotations

import re

from bs4 import BeautifulSoup
from hypothesis import given, settings, strategies as st

from autograder.feedback_html import clean, dangerous_url

HEAD = ('<head><script type="text/x-mathjax-config">MathJax.Hub.Config({});</script>'
        '<script src="../../mathjax/MathJax.js" onerror="fallback()"></script></head>')
ATTACKS = [
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "<a href=\"javascript:alert(1)\">x</a>",
    "<a href=\" JaVa&#x09;ScRiPt:alert(1)\">x</a>", "<svg onload=alert(1)><script>alert(1)</script></svg>",
    "<iframe srcdoc=\"<script>alert(1)</script>\"></iframe>", "<object data=\"javascript:alert(1)\"></object>",
    "<form action=\"javascript:alert(1)\"><button>go</button></form>", "<body onpageshow=alert(1)>",
    "<details open ontoggle=alert(1)>", "<a href=\"data:text/html,<script>alert(1)</script>\">x</a>",
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">", "<base href=\"javascript:/\">",
    "<math><a xlink:href=\"javascript:alert(1)\">x</a></math>", "<div style=\"x\" onmouseover=\"alert(1)\">t</div>",
]
TEXT = st.text(alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="<>&\"'"), max_size=20)


def page(body: str) -> str:
    return f"<!DOCTYPE html><html>{HEAD}<body><div class=\"jp-Cell\">{body}</div></body></html>"


def live_script(html: str) -> list[str]:
    """What in the body a browser would run: script elements, on* attributes, script URLs."""
    body = BeautifulSoup(html, "html.parser").body
    found = [str(t) for t in body.find_all(["script", "iframe", "object", "embed", "base", "meta", "form"])]
    for tag in body.find_all(True):
        for name, value in tag.attrs.items():
            value = " ".join(value) if isinstance(value, list) else value
            if name.lower().startswith("on") or dangerous_url(value):
                found.append(f"{tag.name} {name}={value}")
    return found


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(ATTACKS), TEXT), min_size=1, max_size=6))
def test_no_script_handler_or_script_url_survives_in_the_body(pieces):
    assert live_script(clean(page("".join(pieces)))) == []


def test_the_templates_own_mathjax_in_the_head_is_kept():
    cleaned = clean(page("<p>hi</p>"))
    assert 'MathJax.Hub.Config' in cleaned and 'onerror="fallback()"' in cleaned


def test_plain_content_and_images_are_kept():
    body = '<p>a &lt; b</p><img src="data:image/png;base64,iVBORw0KGgo="><a href="https://example.org">l</a>'
    cleaned = clean(page(body))
    for kept in ("a &lt; b", "data:image/png;base64,iVBORw0KGgo=", 'href="https://example.org"'):
        assert kept in cleaned


def test_script_urls_are_recognised_however_they_are_spelled():
    for url in ("javascript:x", " JAVASCRIPT:x", "java\tscript:x", "java\nscript:x", "vbscript:x",
                "data:text/html,x", "\x00javascript:x"):
        assert dangerous_url(url), url
    for url in ("https://x", "data:image/png;base64,AA", "#anchor", "mailto:a@b"):
        assert not dangerous_url(url), url
    assert not re.search("script", clean(page("<a href='java&#115;cript:x'>x</a>")).split("</head>")[1])


def test_the_exporter_nbgrader_writes_feedback_with_cleans_every_page_it_renders(monkeypatch):
    """Even an output no earlier step cleaned (here, raw HTML straight into the exporter) reaches the page clean."""
    import nbformat
    from test_offline_feedback import course_config

    from autograder.feedback_html import SafeHTMLExporter

    from nbgrader.converters import GenerateFeedback
    from nbgrader.coursedir import CourseDirectory

    config = course_config(monkeypatch)
    assert config.GenerateFeedback.exporter_class == "autograder.feedback_html.SafeHTMLExporter"
    converter = GenerateFeedback(coursedir=CourseDirectory(config=config), config=config)
    cell = nbformat.v4.new_code_cell("show()")
    cell.outputs = [nbformat.v4.new_output("display_data", data={"text/html": "".join(ATTACKS) + "<b>kept</b>"})]
    resources = {"nbgrader": {"notebook": "01_x", "score": 0, "max_score": 2, "late_penalty": 0}}
    html, _ = SafeHTMLExporter(parent=converter, config=converter.config).from_notebook_node(
        nbformat.v4.new_notebook(cells=[cell]), resources=resources)
    assert live_script(html) == [] and "<b>kept</b>" in html
