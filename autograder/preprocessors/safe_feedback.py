"""SafeFeedback: nothing a student wrote or printed runs in, or breaks, a feedback page (``generate_feedback``).

A feedback page is opened by the student (and often the instructor) in a
browser, from a notebook the student's code wrote. nbconvert renders
markdown's raw HTML and ``text/html``, ``image/svg+xml`` and
``application/javascript`` outputs as they are, so without this a student
(or a library's rich output) puts live ``<script>``, ``onerror=`` handlers or
``javascript:`` links into the page. And a markdown image pointing to an
attachment the notebook does not hold (``![x](attachment:diagram.png)``, an
honest mistake) makes nbconvert raise, which used to cost the whole class its
feedback.

What this keeps, per cell:

* markdown and raw cells the student owns (no course ``grade_id``, or a
  solution cell): their HTML cleaned by bleach (tags outside a small list and
  every attribute but ``href``/``title``/``alt``/``src`` stripped, links only
  to http(s) and mailto), ``javascript:`` written out harmlessly (MathJax's
  ``\\href`` would make it a link), and attachments kept only as plain images
  (png, jpeg, gif) in base64; a reference to a missing one points nowhere;
* course markdown (restored from the release, see ``autograder/sanitize.py``)
  as it is, missing attachments aside;
* outputs: ``text/plain``, ``image/png`` and ``image/jpeg`` (base64 only),
  ``text/html`` and ``text/markdown`` cleaned by bleach; every other format
  (scripts, SVG, widget views, LaTeX) dropped, with a line saying so when
  nothing is left; output metadata only as numeric image sizes;
* tags and cell ids only in their plain forms (they end up in attributes).
"""
from __future__ import annotations

import base64
import binascii
import re

import bleach
from nbconvert.preprocessors import Preprocessor
from nbformat import NotebookNode
from traitlets import Bool

TAGS = {"a", "abbr", "b", "blockquote", "br", "code", "del", "div", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
        "i", "img", "li", "ol", "p", "pre", "span", "strong", "sub", "sup", "table", "tbody", "td", "th", "thead",
        "tr", "ul"}
PROTOCOLS = {"http", "https", "mailto", "data"}
IMAGE_URL = re.compile(r"data:image/(png|jpeg|gif);base64,[A-Za-z0-9+/=\s]*")
LINK_URL = re.compile(r"(https?:|mailto:|#)", re.I)


def allowed_attribute(tag: str, name: str, value: str) -> bool:
    """Only a link's ``href`` (web, mail, anchor), an image's inline ``src`` and plain text attributes pass."""
    if name in ("title", "alt"):
        return tag in ("a", "img")
    if tag == "a" and name == "href":
        return bool(LINK_URL.match(value.strip()))
    if tag == "img" and name == "src":
        return bool(IMAGE_URL.fullmatch(value.strip()))
    return False
#: ``javascript:``, however spelled (spaces, tabs, case), and its cousins.
SCRIPT_URL = re.compile(r"(?i)(j\s*a\s*v\s*a|v\s*b)\s*s\s*c\s*r\s*i\s*p\s*t\s*:")
ATTACHMENT = re.compile(r"attachment:([^\s)\"'<>]*)")
IMAGE_KINDS = ("image/png", "image/jpeg", "image/gif")
KEPT = {"text/plain", "image/png", "image/jpeg"}
CLEANED = {"text/html", "text/markdown"}
BASE64 = re.compile(r"[A-Za-z0-9+/=\s]*")
PLAIN = re.compile(r"[A-Za-z0-9_-]{1,64}")


def clean_html(text: str) -> str:
    """``text`` with only harmless HTML left (see the module docstring), and ``javascript:`` defused."""
    cleaned = bleach.clean(text, tags=TAGS, attributes=allowed_attribute, protocols=PROTOCOLS, strip=True,
                           strip_comments=True)
    return defuse(cleaned)


def defuse(text: str) -> str:
    """``javascript:`` (and ``vbscript:``) in ``text`` written so that nothing reads it as a URL scheme."""
    return SCRIPT_URL.sub(lambda m: re.sub(r"\s+", "", m.group(0))[:-1] + " (removed):", text)


def _is_base64(value: object) -> bool:
    if not isinstance(value, str) or not BASE64.fullmatch(value):
        return False
    try:
        base64.b64decode("".join(value.split()), validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


def safe_attachments(attachments: object) -> dict:
    """The attachments that are plain base64 images, each with only its image formats."""
    out = {}
    if isinstance(attachments, dict):
        for name, bundle in attachments.items():
            if isinstance(name, str) and isinstance(bundle, dict):
                kept = {k: v for k, v in bundle.items() if k in IMAGE_KINDS and _is_base64(v)}
                if kept:
                    out[name] = kept
    return out


def point_missing_attachments(source: str, attachments: dict) -> str:
    """``source`` with every ``attachment:NAME`` the cell does not hold made a harmless dangling link."""
    return ATTACHMENT.sub(lambda m: m.group(0) if m.group(1) in attachments else "#missing-attachment", source)


def safe_output(out: NotebookNode) -> NotebookNode | None:
    """``out`` with only the formats a page can show safely, or ``None`` for an output of an unknown kind."""
    kind = out.get("output_type")
    if kind == "stream":
        return NotebookNode(output_type="stream", name="stderr" if out.get("name") == "stderr" else "stdout",
                            text=_text(out.get("text", "")))
    if kind == "error":
        return NotebookNode(output_type="error", ename=_text(out.get("ename", "")), evalue=_text(out.get("evalue", "")),
                            traceback=[_text(t) for t in out.get("traceback", []) if isinstance(t, str)])
    if kind not in ("display_data", "execute_result"):
        return None
    data = out.get("data") if isinstance(out.get("data"), dict) else {}
    kept: dict[str, str] = {}
    for mime, value in data.items():
        if mime in KEPT and (mime == "text/plain" or _is_base64(value)):
            kept[mime] = _text(value)
        elif mime in CLEANED:
            kept[mime] = clean_html(_text(value))
    dropped = sorted(set(data) - set(kept))
    if not kept:
        kept["text/plain"] = f"(output not shown in feedback: {', '.join(dropped) or 'empty'})"
    meta = out.get("metadata") if isinstance(out.get("metadata"), dict) else {}
    sizes = {}
    for mime in ("image/png", "image/jpeg"):
        dims = meta.get(mime) if isinstance(meta.get(mime), dict) else {}
        numeric = {k: v for k, v in dims.items() if k in ("width", "height") and isinstance(v, (int, float))
                   and not isinstance(v, bool)}
        if mime in kept and numeric:
            sizes[mime] = numeric
    safe = NotebookNode(output_type=kind, data=kept, metadata=sizes)
    if kind == "execute_result":
        safe["execution_count"] = out.get("execution_count") if isinstance(out.get("execution_count"), int) else None
    return safe


def _text(value: object) -> str:
    if isinstance(value, list):
        value = "".join(str(v) for v in value)
    return value if isinstance(value, str) else str(value)


def student_owned(cell: NotebookNode) -> bool:
    """Did the student write this cell's source (a solution cell, or a cell with no course ``grade_id``)?"""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return not isinstance(meta, dict) or not meta.get("grade_id") or bool(meta.get("solution"))


class SafeFeedback(Preprocessor):
    """Make every cell of a feedback notebook safe to render (see the module docstring)."""

    # nbconvert registers configured preprocessors disabled; this one must always run
    enabled = Bool(True).tag(config=True)

    def preprocess_cell(self, cell: NotebookNode, resources: dict, index: int):
        tags = cell.get("metadata", {}).get("tags", [])
        cell.metadata["tags"] = [t for t in tags if isinstance(t, str) and PLAIN.fullmatch(t)] \
            if isinstance(tags, list) else []
        if "id" in cell and not (isinstance(cell["id"], str) and PLAIN.fullmatch(cell["id"])):
            cell["id"] = f"cell-{index}"
        if cell.get("cell_type") in ("markdown", "raw"):
            attachments = safe_attachments(cell.get("attachments"))
            source = _text(cell.get("source", ""))
            if student_owned(cell):
                source = clean_html(source)
            cell.source = point_missing_attachments(source, attachments)
            if "attachments" in cell or attachments:
                cell["attachments"] = attachments
        elif cell.get("cell_type") == "code":
            cell.outputs = [o for o in (safe_output(out) for out in cell.get("outputs", [])) if o is not None]
        return cell, resources
