"""nbgrader preprocessors of the course, one per module; ``nbgrader_config.py`` wires them in.

* :class:`NameStubs` (generate_assignment): stubs name their exercise.
* :class:`MarkSelfChecks` (generate_assignment): Run All goes on past a failing self-check.
* :class:`StateForbidden` (generate_assignment): each exercise names the library functions it may not use.
* :class:`ResilientExecute` (autograde): a dying kernel costs one cell, not the notebook.
* :class:`RedactTests` (generate_feedback): no hidden tests or their inputs, no tracebacks into test code.
* :class:`SafeFeedback` (generate_feedback): no script in the page, no missing attachment that stops it.
* :class:`OfflineFeedback` (generate_feedback): maths without internet, long lines wrapped.
* :class:`LintSolutions` (validate): names a construct that grading would fail, before submission.
"""
from .lint_solutions import LintSolutions
from .mark_self_checks import MarkSelfChecks
from .name_stubs import NameStubs
from .offline_feedback import OfflineFeedback
from .redact_tests import HIDDEN_NOTE, RedactTests, explain_error, redact_outputs, strip_hidden
from .resilient_execute import ResilientExecute
from .safe_feedback import SafeFeedback
from .state_forbidden import StateForbidden

__all__ = ["HIDDEN_NOTE", "LintSolutions", "MarkSelfChecks", "NameStubs", "OfflineFeedback", "RedactTests",
           "ResilientExecute", "SafeFeedback", "StateForbidden", "explain_error", "redact_outputs", "strip_hidden"]
