"""OfflineFeedback: feedback HTML that reads well offline (runs in ``nbgrader generate_feedback``).

Two things a student reading feedback on a train needs, and nbgrader's
feedback lacks:

* maths rendered without internet: MathJax is copied once, from the
  ``jupyter-server-mathjax`` package, to ``mathjax/`` at the root of the
  feedback folder, where the course's feedback template
  (``autograder/templates/backprop_feedback``) loads it from
  (``../../mathjax/MathJax.js`` seen from ``<student>/<lesson>/<lesson>.html``);
* long lines wrapped, never cut off on the right: a diagnosis such as
  "expected (3, 4), got (4, 3): transposed?" follows a long input line.
  The style sheet :data:`WRAP_CSS` is added to the page's inline CSS, so this
  preprocessor must come after nbconvert's ``CSSHTMLHeaderPreprocessor``,
  which replaces that CSS.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from nbconvert.preprocessors import Preprocessor
from nbformat import NotebookNode
from traitlets import Bool, Unicode

#: What the feedback loads of MathJax 2 (the package's TeX-AMS-MML_HTMLorMML-full configuration, STIX-Web fonts):
#: everything in the package but these folders (localization 2.1 MB, accessibility add-ons 3.7 MB, the SVG
#: output's fonts 2.9 MB: the package does not ship the SVG output itself).
MATHJAX_SKIP = ("localization", "a11y", "SVG")
#: The folder, at the root of the feedback folder, that the feedback template loads MathJax from.
MATHJAX_DIR = "mathjax"

WRAP_CSS = """
/* long lines wrap instead of running off the right edge (autograder/preprocessors/offline_feedback.py) */
div.output_area pre, div.output_subarea pre, div.output_text pre, div.input_area pre, .highlight pre {
  white-space: pre-wrap;
  overflow-wrap: anywhere;
  word-break: normal;
}
div.output_subarea { max-width: 100%; overflow-x: visible; }
"""


def mathjax_source() -> Path:
    """The folder of MathJax's files in the ``jupyter-server-mathjax`` package."""
    import jupyter_server_mathjax

    return Path(jupyter_server_mathjax.__file__).parent / "static"


def install_mathjax(feedback_root: Path) -> Path:
    """Copy MathJax to ``feedback_root/mathjax`` unless it is there already; returns that folder.

    The copy is made beside the target and renamed into place, so that
    concurrent feedback runs never see half a copy.
    """
    target = feedback_root / MATHJAX_DIR
    if (target / "MathJax.js").exists():
        return target
    source = mathjax_source()
    feedback_root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".mathjax-", dir=feedback_root))
    try:
        shutil.copytree(source, staging, ignore=shutil.ignore_patterns(*MATHJAX_SKIP), dirs_exist_ok=True)
        os.chmod(staging, 0o755)
        try:
            staging.rename(target)
        except OSError:  # another run put it there first
            if not (target / "MathJax.js").exists():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


class OfflineFeedback(Preprocessor):
    """Install MathJax at the feedback root (once) and add the line-wrapping CSS to each feedback page."""

    # nbconvert registers configured preprocessors disabled; this one must always run
    enabled = Bool(True).tag(config=True)
    feedback_root = Unicode("", help="The feedback folder; default: nbgrader's CourseDirectory.feedback_directory"
                            ).tag(config=True)

    def _feedback_root(self) -> Path:
        if self.feedback_root:
            return Path(self.feedback_root)
        from nbgrader.coursedir import CourseDirectory

        coursedir = CourseDirectory(parent=self)
        return Path(coursedir.root) / coursedir.feedback_directory  # an absolute feedback_directory wins

    def preprocess(self, nb: NotebookNode, resources: dict):
        install_mathjax(self._feedback_root())
        inlining = resources.setdefault("inlining", {})
        inlining["css"] = [*inlining.get("css", []), WRAP_CSS]
        return nb, resources
