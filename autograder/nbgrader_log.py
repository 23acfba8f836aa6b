"""What an nbgrader log says: the submissions it could not process, each with the error before it."""
from __future__ import annotations

import re

from .records import Rejected

FAILED = re.compile(r"There was an error processing assignment '([^']+)' for student '([^']+)'")
EXCEPTION = re.compile(r"^\s*(\w+(?:\.\w+)*(?:Error|Exception)\b.*)$", re.M)


def failed_submissions(log: str) -> list[Rejected]:
    """The submissions an nbgrader log reports as failed, each with the last exception before it."""
    out = []
    for m in FAILED.finditer(log):
        errors = EXCEPTION.findall(log[: m.start()])
        reason = errors[-1].strip() if errors else "nbgrader could not process it (see logs/nbgrader.log)"
        out.append(Rejected(m.group(2), m.group(1), f"grading failed: {reason}"[:300]))
    return out
