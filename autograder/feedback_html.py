"""The last word on a feedback page: no script of the student's, whatever got it there.

:class:`autograder.preprocessors.SafeFeedback` cleans the notebook before
nbconvert renders it; this module cleans the page nbconvert rendered, before
nbgrader writes it (:class:`SafeHTMLExporter`, the feedback's exporter in
``nbgrader_config.py``), so that a gap in either (a template that starts
rendering a new output format, say) cannot hand a student's script to a
browser. Cleaning there, in the nbgrader process that writes the page, costs
the grading process nothing: about 0.1 s a page, which parallel workers share
instead of the grading process paying it for the whole class. A page that
cannot be cleaned is not written (nbgrader reports it, and the grader counts
it as its own failure). The page's ``<head>`` is the
course's template (MathJax's configuration and loader); in the ``<body>``,
where everything from the notebook lands:

* ``<script>``, ``<iframe>``, ``<object>``, ``<embed>``, ``<base>``,
  ``<meta>``, ``<form>`` and ``<link>`` elements are removed;
* every ``on...`` event attribute is removed;
* a URL attribute (``href``, ``src``, ``action``, ...) whose value is a
  ``javascript:``, ``vbscript:`` or non-image ``data:`` URL is removed.
"""
from __future__ import annotations

import re

from bs4 import BeautifulSoup
from nbconvert.exporters import HTMLExporter

REMOVED = ["script", "iframe", "frame", "frameset", "object", "embed", "base", "meta", "form", "link", "applet"]
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster", "background", "srcdoc",
                  "lowsrc", "dynsrc", "srcset"}
BAD_URL = re.compile(r"^(javascript|vbscript|data(?!:image/(png|jpeg|gif);base64,)):", re.I)
CONTROL = re.compile(r"[\x00-\x20\x7f]+")


def dangerous_url(value: str) -> bool:
    """Would a browser run ``value`` as script (``java\\tscript:``, ``&#106;avascript:`` and other spellings)?"""
    return bool(BAD_URL.match(CONTROL.sub("", value)))


def clean(html: str) -> str:
    """``html`` with no script, handler or script URL left in its body (see the module docstring)."""
    soup = BeautifulSoup(html, "html.parser")
    body = soup.body or soup
    for tag in body.find_all(REMOVED):
        tag.decompose()
    for tag in body.find_all(True):
        for name in list(tag.attrs):
            value = tag.attrs[name]
            text = " ".join(value) if isinstance(value, list) else str(value)
            if name.lower().startswith("on") or (name.lower() in URL_ATTRIBUTES and dangerous_url(text)):
                del tag.attrs[name]
    return str(soup)


class SafeHTMLExporter(HTMLExporter):
    """nbconvert's HTML exporter (as configured for ``HTMLExporter``) whose every page is :func:`clean`."""

    def from_notebook_node(self, nb, resources=None, **kw):
        html, resources = super().from_notebook_node(nb, resources, **kw)
        return clean(html), resources
