"""Bad and hostile submissions: each is graded for what it earned, with a reason, and harms no one else.

One class of lesson-01 submissions, graded once with real nbgrader and two
parallel workers. "WRONG" marks a submission whose exercise 1 is really wrong
(a forward difference), so a trick that hides it would show as a gained point.
"""
from __future__ import annotations

import ast
import copy
import hashlib
import os
import re
import tempfile
import time
from pathlib import Path

import nbformat
import pytest
from conftest import require_sandbox

from autograder import demo, layout, pipeline, records

pytestmark = pytest.mark.slow
L = "01_derivatives"
FULL = 8.0
WRONG = {"central_difference": "def central_difference(f, x, h=1e-5):\n    return (f(x + h) - f(x)) / h"}


def cells(nb, grade_id):
    return [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id]


def hostile_class(instructor: str = "/nonexistent"):
    """``{student: (notebook or raw text, expected score, words its feedback or reason must contain)}``.

    ``instructor`` is the grading run's instructor folder, which the attacks aim at.
    """
    right = demo.solution_sources(L)
    sub = lambda replace=None: demo.submission(L, right | (replace or {}))  # noqa: E731
    out = {"correct": (sub(), FULL, "")}

    nb = sub({"dL_dw": demo.inject(L, "dL_dw", "import os; os._exit(1)")})
    out["kills-kernel"] = (nb, FULL - 3, "kernel died")
    nb = sub({"sigmoid_prime": demo.inject(L, "sigmoid_prime", "junk = [np.empty(10**9) for _ in range(1000)]")})
    out["eats-memory"] = (nb, FULL - 1, "MemoryError")
    nb = sub({"dL_dw": demo.inject(L, "dL_dw", "import sys; print('debugging', file=sys.stderr)")})
    out["prints-to-stderr"] = (nb, FULL, "")
    out["returns-nan"] = (sub({"dL_dw": "def dL_dw(w, x, b, y):\n    return np.full_like(np.asarray(w, float), np.nan)"}),
                          FULL - 3, "NaN")
    out["wrong-shape"] = (sub({"dL_dw": "def dL_dw(w, x, b, y):\n    a = 1 / (1 + np.exp(-(w * x + b)))\n"
                                        "    return np.atleast_1d(2 * (a - y) * a * (1 - a) * x)[None]"}),
                          FULL - 3, "shape")

    nb = sub()
    nb.cells.remove(cells(nb, "test_central_difference")[0])
    out["deletes-test-cell"] = (nb, FULL, "")
    nb = sub(WRONG)
    cells(nb, "test_central_difference")[0].source = "pass"
    out["edits-test-cell"] = (nb, FULL - 2, "forward difference")
    nb = sub()
    nb.cells.append(copy.deepcopy(cells(nb, "test_dL_dw")[0]))
    out["copies-test-cell"] = (nb, FULL, "")
    nb = sub()
    solution = cells(nb, "central_difference")[0]
    head, tail = solution.source.split("\n", 1)
    solution.source = head + "\n    return _cd(f, x, h)"
    extra = nbformat.v4.new_code_cell("def _cd(f, x, h):\n" + "\n".join(
        ln for ln in tail.splitlines() if not ln.strip().startswith('"""')))
    extra.metadata = copy.deepcopy(solution.metadata)  # a split cell keeps the metadata
    nb.cells.insert(nb.cells.index(solution), extra)
    out["splits-solution-cell"] = (nb, FULL, "")
    nb = sub(WRONG)
    cells(nb, "test_central_difference")[0].metadata["nbgrader"]["points"] = 100
    out["changes-points"] = (nb, FULL - 2, "forward difference")
    nb = sub(WRONG)
    cells(nb, "test_central_difference")[0].metadata["nbgrader"].update(grade=False, grade_id="mine")
    out["changes-grade-metadata"] = (nb, FULL - 2, "forward difference")
    nb = sub(WRONG)
    cells(nb, "test_central_difference")[0].metadata["tags"] = ["skip-execution", "raises-exception"]
    out["tags-test-to-skip"] = (nb, FULL - 2, "forward difference")
    out["not-a-notebook"] = ("{ this is not json", None, "not a valid notebook")
    # Attempts to fake a pass, each on top of a really wrong exercise 1: none may gain a point.
    tricks = {
        "patches-the-checks": ("import backprop_lib.checking.checks as _c, backprop_lib.exercises.lesson01 as _l\n"
                               "_c.compare = _l.compare = lambda *a, **k: None"),
        "redefines-the-check": "check_central_difference = lambda *a, **k: print('all good')",
        "patches-numpy-helpers": ("import backprop_lib.checking.gradcheck as _g\n"
                                  "_g.rel_error = lambda a, n, floor=0: np.zeros(np.broadcast(a, n).shape)\n"
                                  "np.allclose = lambda *a, **k: True"),
        "silences-tracebacks": ("_ip = get_ipython()\n_ip.showtraceback = lambda *a, **k: None\n"
                                "_ip._showtraceback = lambda *a, **k: None"),
        "blanks-test-cells": ("get_ipython().input_transformers_post.append("
                              "lambda lines: [] if any('check_' in l for l in lines) else lines)"),
        "calls-the-reference": ("from backprop_lib.checking.gradcheck import central_difference as _cd\n"
                                "def central_difference(f, x, h=1e-5):\n    return _cd(f, x, h)"),
    }
    tricks["reads-the-solutions"] = READS_SOLUTIONS.replace("REPO", str(layout.REPO))
    for student, trick in tricks.items():
        out[student] = (sub({"central_difference": WRONG["central_difference"] + "\n" + trick}), FULL - 2,
                        "calls the course library" if student == "calls-the-reference" else "forward difference")
    # The reference detector watches one thread: a reference called on another one escapes it in the kernel.
    out["calls-the-reference-on-a-thread"] = (sub({"central_difference": THREADED_REFERENCE}), FULL - 2,
                                               "imports threading")
    nb = sub()
    first = cells(nb, "central_difference")[0]
    first.source += "\n" + ATTACK.replace("INSTRUCTOR", instructor).replace("REPO", str(layout.REPO))
    out["attacks-the-grader"] = (nb, FULL, "")
    return out


#: Tries to read and write where a graded notebook must not, and to signal every process; prints what happened.
ATTACK = """
import os
_results = {}
_main, _repo = "INSTRUCTOR", "REPO"
_targets = [_main + "/gradebook.db", _main + "/submitted/correct/01_derivatives/01_derivatives.ipynb",
            _repo + "/solutions/01_derivatives/01_derivatives.ipynb", _repo + "/.git/HEAD", "my_own_file.txt"]
for _t in _targets:
    try:
        with open(_t, "a") as _fh:
            _fh.write("tampered")
        _results[_t] = "WROTE"
    except OSError as _e:
        _results[_t] = "refused"
    try:
        with open(_t) as _fh:
            _results[_t] += " READ" if _fh.read() else ""
    except OSError:
        pass
try:
    os.kill(-1, 9)
except OSError:
    pass
print("ATTACK", _results)
"""

#: Calls the library's reference where the in-kernel detector does not look.
THREADED_REFERENCE = """
import threading
from backprop_lib.checking import gradcheck as _g

def central_difference(f, x, h=1e-5):
    out = []
    worker = threading.Thread(target=lambda: out.append(_g.central_difference(f, x, h)))
    worker.start()
    worker.join()
    return out[0]
"""

#: Finds the reference solution on the grading machine and runs it instead of the student's own code.
READS_SOLUTIONS = """
import json as _json, os as _os
try:
    _src = "REPO/solutions/01_derivatives/01_derivatives.ipynb"
    for _cell in _json.load(open(_src))["cells"]:
        if _cell["metadata"].get("nbgrader", {}).get("grade_id") == "central_difference":
            exec("".join(_cell["source"]))
except OSError:
    pass
"""


def fingerprint(paths):
    return {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    require_sandbox()
    root = tmp_path_factory.mktemp("hostile")
    cases = hostile_class(str(root / "instructor"))
    for student, (nb, _, _) in cases.items():
        path = root / "subs" / student / L / f"{L}.ipynb"
        path.parent.mkdir(parents=True)
        if isinstance(nb, str):
            path.write_text(nb)
        else:
            nbformat.write(nb, path)
    protected = sorted((layout.SOLUTIONS / L).glob("*.ipynb"))
    before = fingerprint(protected)
    started = time.time()
    run = pipeline.grade(root / "subs", root / "instructor", cell_timeout=10, workers=2, progress=False)
    run.started = started
    run.protected_before, run.protected_after = before, fingerprint(protected)
    return cases, run


def feedback(run, student):
    html = layout.feedback_path(run.instructor, student, L).read_text()
    return re.sub(r"<[^>]+>", "", re.sub(r"<style.*?</style>", "", html, flags=re.S)).replace("&#39;", "'")


@pytest.mark.parametrize("student", [s for s, (_, score, _) in hostile_class().items() if score is not None])
def test_each_submission_gets_what_it_earned_with_a_reason(graded, student):
    cases, run = graded
    _, expected, words = cases[student]
    score, max_score = records.totals(run.scores)[(student, L)]
    assert max_score == FULL, "a submission cannot change how many points there are"
    assert score == expected
    assert words in feedback(run, student)


def test_a_file_that_is_not_a_notebook_is_reported_and_counts_zero(graded):
    _, run = graded
    [rejected] = [r for r in run.rejected if r.student == "not-a-notebook"]
    assert "not a valid notebook" in rejected.reason
    assert "not-a-notebook" in (run.instructor / "report" / "rejected.csv").read_text()
    row = next(r for r in (run.instructor / "grades_lms.csv").read_text().splitlines() if r.startswith("not-a-notebook,"))
    assert row.endswith(",0")


def test_structural_repairs_are_logged_for_the_instructor(graded):
    _, run = graded
    log = (run.instructor / "logs" / "repairs.log").read_text()
    for student in ("deletes-test-cell", "edits-test-cell", "copies-test-cell", "changes-points", "tags-test-to-skip"):
        assert student in log
    assert "correct" not in log


def test_every_submission_has_its_gradebook_rows(graded):
    cases, run = graded
    graded_students = {r.student for r in run.scores}
    assert graded_students == {s for s, (_, score, _) in cases.items() if score is not None}
    assert all(len([r for r in run.scores if r.student == s]) == 4 for s in graded_students)


def sandbox_results(run, student: str = "attacks-the-grader") -> dict[str, str]:
    """What the ATTACK cell printed: ``{path: "WROTE READ" | "refused" | ...}``."""
    nb = nbformat.read(run.instructor / "autograded" / student / L / f"{L}.ipynb", as_version=4)
    printed = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
    assert "ATTACK" in printed, "the attack ran"
    return ast.literal_eval(printed.split("ATTACK", 1)[1].strip().splitlines()[0])


def test_a_graded_notebook_cannot_write_outside_its_scratch_folder(graded):
    cases, run = graded
    results = sandbox_results(run)
    assert results.pop("my_own_file.txt") == "WROTE READ", "its own folder is writable"
    assert all(not r.startswith("WROTE") for r in results.values()), results
    assert run.protected_after == run.protected_before, "the course sources changed"
    assert b"tampered" not in (run.instructor / "gradebook.db").read_bytes()
    correct = run.instructor / "submitted" / "correct" / L / f"{L}.ipynb"
    assert "tampered" not in correct.read_text()
    assert records.totals(run.scores)[("correct", L)] == (FULL, FULL)
    assert not [p for p in Path(tempfile.gettempdir()).glob("bpk-*") if p.stat().st_mtime > run.started], \
        "the kernels' socket folders are cleaned up"


def test_a_graded_notebook_cannot_read_the_solutions_the_gradebook_or_other_students(graded):
    _, run = graded
    results = sandbox_results(run)
    del results["my_own_file.txt"]
    assert len(results) == 4 and all("READ" not in r for r in results.values()), results


@pytest.mark.parametrize("student, construct", [
    ("patches-the-checks", "changes _c.compare"), ("redefines-the-check", "rebinds check_central_difference"),
    ("blanks-test-cells", "uses get_ipython"), ("calls-the-reference-on-a-thread", "imports threading")])
def test_a_trick_that_fools_the_kernel_is_named_from_the_source_the_grader_holds(graded, student, construct):
    """These tricks make the kernel print a pass; the grader finds them in the student's cells (autograder/lint.py).

    (The grader's own run of the hidden checks would stop the first three as
    well: tests/test_verify.py judges through a real kernel whatever it holds.)
    """
    _, run = graded
    text = feedback(run, student)
    assert construct in text and "scores 0" in text
