"""Can any one submission stop the class, vanish from the output, or put something unsafe in feedback or CSVs?

One small class of lesson-01 submissions is graded through ``python -m
autograder grade`` (the instructor's command, sandbox on) once per mode:
``--workers 1``, the local dask cluster (2 workers), and ``--scheduler`` with a
real ``dask scheduler`` and two ``dask worker`` processes started here.

Beside a reference and a blank control, every student carries one way a
submission used to hurt the class: a markdown image whose attachment is
missing, folders named ``*``, ``Smith, J [1234]`` and ``=HYPERLINK(...)``, two
notebooks in one folder, an error message that breaks LaTeX and one that is a
spreadsheet formula, script and event handlers in outputs and markdown,
printed hidden sources (``In``) and inputs. nbgrader itself is made to fail
(``tests/fixtures/faults``): on every notebook of one student, who is alone in
their chunk, and by crashing once in the chunk of another.

Every student must have a row, the controls and every other score must be
exact, the feedback must hold no hidden source, inputs or script, the CSVs no
live formula, and the command must exit 0 (nobody was lost to the grader).
"""
from __future__ import annotations

import ast
import csv
import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import nbformat
import pytest
from conftest import REPO, require_sandbox
from test_feedback_html import live_script

from autograder import demo, layout, mistakes, parallel
from autograder.csv_safe import restore
from autograder.students import StudentIds

pytestmark = pytest.mark.slow
L = "01_derivatives"
POINTS = demo.graded_tasks(L)
FULL = sum(POINTS.values())
RIGHT = demo.solution_sources(L)
FAULTS = REPO / "tests" / "fixtures" / "faults"
MISTAKE = mistakes.for_lesson(L)[0]
#: printed by a function each time it is called, hidden tests included: must never reach the feedback
MARKER = "ARGS" + "-SEEN"
EVIL_NAME = '=HYPERLINK("evil","click")'
FAILS = "fails-autograde"
CRASHES = "crashes-nbgrader-once"

PAGE = textwrap.dedent('''
    class Page:
        """Rich outputs that would run as script in a browser."""
        def _repr_html_(self):
            return '<img src=x onerror="alert(1)"><script>alert(2)</script><a href="javascript:alert(3)">x</a>'
        def _repr_javascript_(self):
            return 'alert(4)'
        def _repr_svg_(self):
            return '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(5)"><script>alert(6)</script></svg>'
    Page()
''')
HOSTILE_MARKDOWN = ('<script>alert(7)</script><img src=x onerror=alert(8)> [link](javascript:alert(9)) '
                    '$\\href{javascript:alert(10)}{maths}$ <a href="javascript:alert(11)">a</a>')


def raising(task: str, cause: str) -> str:
    """A solution that raises with a message the class report reads as the diagnosis."""
    return demo.inject(L, task, f"raise ValueError({('no' + chr(10) + '  likely cause: ' + cause)!r})")


def printing(task: str) -> str:
    """The reference solution, printing its arguments on every call (so on the hidden inputs too)."""
    function = next(n for n in ast.parse(RIGHT[task]).body if isinstance(n, ast.FunctionDef))
    return demo.inject(L, task, f"print({MARKER!r}, {', '.join(a.arg for a in function.args.args)})")


def with_cells(nb, *cells, after_first_test: bool = False):
    first_test = next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade"))
    at = first_test + 1 if after_first_test else len(nb.cells)
    nb.cells[at:at] = list(cells)
    return nb


def the_class() -> dict[str, tuple[dict[str, nbformat.NotebookNode | str], float | None]]:
    """``{student: ({file name or lesson: notebook}, expected lesson-01 score or None if rejected)}``."""
    sub = lambda replace=None: demo.submission(L, RIGHT | (replace or {}))  # noqa: E731
    md = nbformat.v4.new_markdown_cell
    code = nbformat.v4.new_code_cell
    surrogate = nbformat.writes(with_cells(sub(), md("SURROGATE"))).replace("SURROGATE", "\\ud800")
    return {
        "correct": ({L: sub()}, FULL),
        "blank": ({L: demo.submission(L, {})}, 0.0),
        "*": ({L: with_cells(sub({MISTAKE.task: MISTAKE.code}), md("![my diagram](attachment:diagram.png)"))},
              FULL - POINTS[MISTAKE.task]),
        "Smith, J [1234]": ({L: with_cells(sub({t: printing(t) for t in RIGHT}), code("print(_ih)"),
                                           after_first_test=True)}, FULL),
        "two-notebooks": ({L: with_cells(sub(), code("print(In)")), "my-copy.ipynb": demo.submission(L, {})}, FULL),
        "breaks-latex-and-csv": ({L: sub({"dL_dw": raising("dL_dw", "$\\frac{$"),
                                          "sigmoid_prime": raising("sigmoid_prime", '=HYPERLINK("http://evil","x")')})},
                                 FULL - POINTS["dL_dw"] - POINTS["sigmoid_prime"]),
        "scripts": ({L: with_cells(sub(), code(PAGE), md(HOSTILE_MARKDOWN))}, FULL),
        EVIL_NAME: ({L: demo.submission(L, {})}, 0.0),
        CRASHES: ({L: sub()}, FULL),
        FAILS: ({L: sub(), "02_graphs": "", "03_neuron": ""}, None),
        "lone-surrogate": ({L: surrogate}, None),
        "no-lesson-folder": ({"notes.txt": "I forgot the notebook"}, None),
    }


def write_class(root: Path) -> dict[str, float | None]:
    expected = {}
    lessons = {p.name for p in layout.SOLUTIONS.iterdir()}
    for student, (files, score) in the_class().items():
        for name, nb in files.items():
            lesson = name if name in lessons else L
            file_name = name if name.endswith(".ipynb") else f"{lesson}.ipynb"
            path = root / student / (name if name == "notes.txt" else f"{lesson}/{file_name}")
            path.parent.mkdir(parents=True, exist_ok=True)
            if name == "notes.txt" or isinstance(nb, str) and nb:
                path.write_text(nb)
            else:
                nbformat.write(nb or demo.submission(lesson, {}), path)
        expected[student] = score
    return expected


@pytest.fixture(scope="module")
def submissions(tmp_path_factory):
    require_sandbox()
    root = tmp_path_factory.mktemp("class")
    expected = write_class(root / "subs")
    return root / "subs", expected


def start_cluster(env: dict[str, str], folder: Path) -> tuple[str, list[subprocess.Popen]]:
    """A ``dask scheduler`` and two ``dask worker`` processes, as an instructor would start them."""
    dask = str(Path(sys.executable).parent / "dask")
    info = folder / "scheduler.json"
    logs = open(folder / "cluster.log", "w")
    procs = [subprocess.Popen([dask, "scheduler", "--port", "0", "--no-dashboard", "--scheduler-file", str(info)],
                              cwd=REPO, env=env, stdout=logs, stderr=subprocess.STDOUT)]
    deadline = time.time() + 120
    while not info.exists() and time.time() < deadline:
        time.sleep(0.5)
    address = json.loads(info.read_text())["address"]
    for _ in range(2):
        procs.append(subprocess.Popen([dask, "worker", address, "--nthreads", "1", "--no-dashboard"],
                                      cwd=REPO, env=env, stdout=logs, stderr=subprocess.STDOUT))
    return address, procs


def stop(procs: list[subprocess.Popen]) -> None:
    for proc in reversed(procs):
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module", params=["workers-1", "local-cluster", "scheduler"])
def graded(request, submissions, tmp_path_factory):
    subs, expected = submissions
    folder = tmp_path_factory.mktemp(request.param)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(FAULTS), os.environ.get("PYTHONPATH", "")]),
               BACKPROP_FAULT_STUDENT=FAILS, BACKPROP_FAULT_CRASH=f"{CRASHES}:{folder / 'crashed-once'}")
    args = [sys.executable, "-m", "autograder", "grade", str(subs), "--instructor", str(folder / "instructor"),
            "--timeout", "10"]
    procs: list[subprocess.Popen] = []
    try:
        if request.param == "workers-1":
            args += ["--workers", "1"]
        elif request.param == "local-cluster":
            args += ["--workers", "2"]
        else:
            address, procs = start_cluster(env, folder)
            args += ["--workers", "2", "--scheduler", address]
        started = time.perf_counter()
        proc = subprocess.run(args, cwd=REPO, env=env, capture_output=True, text=True, timeout=1500)
        seconds = time.perf_counter() - started
    finally:
        stop(procs)
    phases = next((line for line in proc.stdout.splitlines() if line.startswith("time:")), "")
    print(f"\n{request.param}: graded in {seconds:.0f} s ({phases})")
    return {"mode": request.param, "proc": proc, "instructor": folder / "instructor", "expected": expected,
            "crashed": (folder / "crashed-once").exists(), "seconds": seconds}


def read_csv(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8", errors="surrogateescape") as fh:
        return list(csv.reader(fh))


def scores(graded) -> dict[str, float]:
    out: dict[str, float] = {}
    for student, lesson, _, score, _ in read_csv(graded["instructor"] / "grades_by_exercise.csv")[1:]:
        if lesson == L:
            out[restore(student)] = out.get(restore(student), 0.0) + float(score)
    return out


def test_the_run_exits_0_with_no_failure_of_the_grader(graded):
    proc = graded["proc"]
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    assert read_csv(graded["instructor"] / "report" / "failures.csv") == [["student", "lesson", "stage", "reason"]]


def test_every_student_has_a_row_and_every_score_is_exact(graded):
    expected = graded["expected"]
    lms = {restore(row[0]): row for row in read_csv(graded["instructor"] / "grades_lms.csv")[1:]}
    assert set(lms) == set(expected), "every student named in the folder, exactly as named"
    assert scores(graded) == {s: v for s, v in expected.items() if v is not None}
    assert scores(graded)["correct"] == FULL and scores(graded)["blank"] == 0


def test_every_rejected_student_has_a_reason_of_their_own(graded):
    rejected = {(restore(s), lesson): reason for s, lesson, reason in read_csv(graded["instructor"] / "report" /
                                                                               "rejected.csv")[1:]}
    for lesson in (L, "02_graphs", "03_neuron"):
        reason = rejected[(FAILS, lesson)]
        assert "nbgrader could not grade this notebook, twice: RuntimeError: injected fault" in reason
    assert "cannot be prepared for grading" in rejected[("lone-surrogate", L)]
    assert "no lesson folder" in rejected[("no-lesson-folder", "")]
    assert {s for s, _ in rejected} == {FAILS, "lone-surrogate", "no-lesson-folder"}


def test_a_notebook_beside_the_lessons_is_named_in_a_notice(graded):
    notices = read_csv(graded["instructor"] / "report" / "notices.csv")[1:]
    assert notices == [["two-notebooks", L, f"graded {L}.ipynb; also in the folder and not graded: my-copy.ipynb"]]


def test_a_crash_of_nbgrader_was_retried_and_cost_nobody(graded):
    assert graded["crashed"], "the injected crash happened"
    logs = "".join(p.read_text() for p in graded["instructor"].rglob("nbgrader.log"))
    assert "injected crash" in logs
    assert "autograde of" in (graded["instructor"] / "logs" / "retries.log").read_text(), "the run says what it retried"
    assert scores(graded)[CRASHES] == FULL


def test_the_notebook_that_fails_autograde_was_alone_in_its_chunk(graded):
    if graded["mode"] == "workers-1":
        pytest.skip("one worker grades everyone in one group")
    ids = StudentIds.load(graded["instructor"] / "students.json")
    submitted = sorted(p.name for p in (graded["instructor"] / "submitted").iterdir())
    weights = {s: len(list((graded["instructor"] / "submitted" / s).iterdir())) for s in submitted}
    assert [FAILS] in parallel.chunk(submitted, 2, weights), ids.by_name


def feedback_pages(graded) -> dict[str, str]:
    return {s: layout.feedback_path(graded["instructor"], s, L).read_text()
            for s, v in graded["expected"].items() if v is not None}


def test_feedback_holds_no_hidden_source_or_inputs_whatever_was_printed(graded):
    pages = feedback_pages(graded)
    assert set(pages) == {s for s, v in graded["expected"].items() if v is not None}, "a page for every graded student"
    for student, html in pages.items():
        assert "BEGIN HIDDEN TESTS" not in html and "hidden_rng(&quot;" not in html and 'hidden_rng("' not in html
        assert "hidden tests ran here" in html, student
        assert re.search(f"{MARKER}(?!&#x27;|&#39;|')", html) is None, \
            f"{student}: the function's printed arguments reached the feedback"


def test_feedback_runs_no_script_of_the_students(graded):
    for student, html in feedback_pages(graded).items():
        assert live_script(html) == [], student
    assert "MathJax.Hub.Config" in feedback_pages(graded)["scripts"], "the template's own maths setup stays"


def test_the_students_diagnoses_reach_the_report_as_text_never_as_formulas(graded):
    report = graded["instructor"] / "report"
    assert (report / "class_report.png").stat().st_size > 10_000
    mistakes_rows = read_csv(report / "mistakes.csv")
    assert ["breaks-latex-and-csv", L, "dL_dw", "$\\frac{$"] in mistakes_rows
    assert ["breaks-latex-and-csv", L, "sigmoid_prime", "'=HYPERLINK(\"http://evil\",\"x\")"] in mistakes_rows
    for name in ["grades.csv", "grades_by_exercise.csv", "grades_lms.csv", "report/mistakes.csv",
                 "report/rejected.csv", "report/notices.csv"]:
        for row in read_csv(graded["instructor"] / name):
            for cell in row:
                assert not re.match(r"[=+@\t\r]|-(?![\d.])", cell), (name, cell)
    assert any(restore(row[3]) == EVIL_NAME for row in read_csv(graded["instructor"] / "grades.csv")[1:])
