"""Does the grader see, in the source a student owns, every way to switch off its checks, and nothing else?"""
from __future__ import annotations

import keyword
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograder import demo
from autograder.lint import (FORBIDDEN_ATTRIBUTES, FORBIDDEN_MODULES, FORBIDDEN_NAMES, Finding, lint_notebook)
from autograder.layout import REPO, lessons

L = "01_derivatives"
#: Course cells as the lessons write them: the imports a student's code may lean on.
COURSE = nbformat.v4.new_code_cell("import numpy as np\nimport sys\nfrom backprop_lib import checks, gradcheck\n"
                                   "import backprop_lib.exercises.lesson01 as ex")
COURSE.metadata["nbgrader"] = {"grade_id": "imports", "locked": True, "solution": False, "grade": False}


def solution(source: str, task: str = "central_difference") -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["nbgrader"] = {"grade_id": task, "solution": True, "grade": False, "locked": False}
    return cell


def findings(source: str, task: str = "central_difference") -> list[Finding]:
    return lint_notebook([COURSE, solution(source, task)])


TAMPERING = {
    "switches the profiler off": "sys.setprofile(None)",
    "imports the profiler switch": "from sys import setprofile\nsetprofile(None)",
    "replaces the detector": "checks.forbid = lambda refs: None",
    "replaces it through an alias": "import backprop_lib.checking.checks as c\nc.call_student = print",
    "deletes a numpy helper": "del np.allclose",
    "patches numpy": "np.allclose = lambda *a, **k: True",
    "redefines a check": "def check_central_difference(fn, rng=None):\n    pass",
    "rebinds a check": "check_central_difference = print",
    "rebinds the seed": "hidden_rng = lambda *a: None",
    "calls the reference on a thread": "import threading\nthreading.Thread(target=gradcheck.central_difference)",
    "uses a thread pool": "from concurrent.futures import ThreadPoolExecutor",
    "runs another process": "import subprocess\nsubprocess.run(['python'])",
    "os.system": "import os\nos.system('python -c 1')",
    "os.fork": "import os\nos.fork()",
    "os.execv": "import os\nos.execv('/bin/sh', ['sh'])",
    "reaches the reference by a built name": "f = getattr(gradcheck, 'central' + '_difference')",
    "imports by name": "m = __import__('backprop_lib.checking.gradcheck')",
    "importlib": "import importlib",
    "runs a string": "exec('x = 1')",
    "evaluates a string": "y = eval('1 + 1')",
    "compiles": "c = compile('1', 'f', 'eval')",
    "reaches sys.modules": "m = sys.modules['backprop_lib.checking.checks']",
    "reads a code object": "def f():\n    pass\ncode = f.__code__",
    "reads a module's dict": "d = checks.__dict__",
    "vars": "d = vars(checks)",
    "globals": "globals()['check_central_difference'] = print",
    "walks frames": "frame = sys._getframe(1)",
    "contextvars": "import contextvars",
    "attrgetter": "from operator import attrgetter",
    "gc": "import gc",
    "inspect": "import inspect",
    "ctypes": "import ctypes",
    "changes how cells run": "get_ipython().input_transformers_post.append(lambda lines: [])",
    "a shell command": "!python -c 'print(1)'",
    "runs a file": "%run helper.py",
    "imports the grader": "from autograder import remote",
    "changes a check's module": "import backprop_lib.exercises.lesson01 as l\nl.compare = print",
    "builds functions": "import types",
    "loads pickles": "import pickle",
    # stepped around the first version of this reading (each was shown to work through the grader)
    "patches a module held in a variable": "import backprop_lib\nm = backprop_lib.checking.checks\nm.call_student = print",
    "timeit runs a string": "import timeit\ntimeit.timeit('1', number=1)",
    "sympify runs a string": "import sympy\nsympy.sympify('1 + 1')",
    "sympify imported bare": "from sympy import sympify as s\ns('x')",
    "S given a string": "import sympy as sp\nsp.S('__import__(1)')",
    "lambdify given a string": "import sympy as sp\nf = sp.lambdify([], 'x')",
    "asyncio threads": "import asyncio",
    "logging threads": "import logging.handlers",
    "os.forkpty": "import os\nos.forkpty()",
    "traceback locals": "import traceback",
    "the kernel application": "from ipykernel.kernelapp import IPKernelApp\nIPKernelApp.instance()",
    "mock.patch by name": "from unittest import mock",
    "a module the notebook wrote itself": "open('helper.py', 'w').write('x = 1')\nimport helper",
    "sys.path": "sys.path.insert(0, '.')",
    "a sum too long to parse": "x = " + " + ".join(["1"] * 20000),
}


@pytest.mark.parametrize("source", TAMPERING.values(), ids=TAMPERING.keys())
def test_each_way_to_switch_off_or_step_around_the_checks_is_named(source):
    found = findings(source)
    assert found, f"not flagged: {source!r}"
    assert all(f.task == "central_difference" for f in found)
    message = found[0].message()
    assert "central_difference" in message and "line" in message and "scores 0" in message


HARMLESS = [
    "import sys\nprint('debugging', file=sys.stderr)",
    "%timeit np.sin(1.0)",
    "np.random.seed(0)\nx = np.zeros(3)\nx[0] = 1",
    "import matplotlib.pyplot as plt\nplt.rcParams['figure.dpi'] = 80",
    "class Layer:\n    def __init__(self, w):\n        self.w = w\n    def __call__(self, x):\n        return self.w @ x",
    "import math, itertools, functools\nfrom collections import defaultdict",
    "import os\npath = os.path.join('a', 'b')",
    "def central_difference(f, x, h=1e-5):\n    return (f(x + h) - f(x - h)) / (2 * h)",
    "result = checks.fmt(1.0)\nv = gradcheck.rel_error(1.0, 1.0)",
    "from backprop_lib.exercises import student_id\nprint('graded as', student_id())",
    "import sympy as sp\nx = sp.Symbol('x')\nf = sp.lambdify(x, sp.sin(x) * sp.S(2))",
    "import sympy as sp\nhalf = sp.S(1) / 2 + sp.S.Half",
    "print(sys.float_info.epsilon, sys.maxsize)",
]


@pytest.mark.parametrize("source", HARMLESS)
def test_ordinary_solution_code_is_not_flagged(source):
    assert findings(source) == []


NAMES = st.from_regex(r"[a-z][a-z0-9_]{0,12}", fullmatch=True).filter(
    lambda n: not keyword.iskeyword(n) and n not in FORBIDDEN_NAMES and n not in FORBIDDEN_ATTRIBUTES
    and n.split("_")[0] not in FORBIDDEN_MODULES and not n.startswith(("check_", "hidden_rng", "exec", "spawn",
                                                                        "posix_spawn")))


@settings(max_examples=60, deadline=None)
@given(obj=NAMES, attr=NAMES, value=st.floats(allow_nan=False, allow_infinity=False))
def test_attribute_access_and_assignment_on_the_students_own_objects_is_not_flagged(obj, attr, value):
    source = f"{obj} = type('T', (), {{}})\n{obj}.{attr} = {value!r}\nprint({obj}.{attr})"
    assert findings(source) == []


def test_a_finding_in_a_cell_the_student_added_belongs_to_no_single_exercise():
    added = nbformat.v4.new_code_cell("import sys\nsys.setprofile(None)")
    [found] = lint_notebook([COURSE, solution("pass"), added])
    assert found.task is None and found.line == 2
    assert "a cell you added" in found.message()


def test_course_cells_are_the_courses_business_not_the_students():
    course = nbformat.v4.new_code_cell("import sys\nsys.setprofile(None)")
    course.metadata["nbgrader"] = {"grade_id": "cell-3", "locked": True, "solution": False, "grade": False}
    assert lint_notebook([course, solution("pass")]) == []


def test_code_that_does_not_parse_is_left_to_the_kernel():
    assert findings("def f(:\n    exec('x')") == []


@pytest.fixture(scope="module")
def every_known_mistake():
    """A class with one student per known mistake of every exercise."""
    with tempfile.TemporaryDirectory() as tmp:
        demo.build_class(Path(tmp), "all")
        yield Path(tmp)


@pytest.mark.parametrize("lesson", [lesson for lesson in lessons() if demo.graded_tasks(lesson)])
def test_no_reference_solution_or_known_mistake_is_flagged(lesson, every_known_mistake):
    for path in [REPO / "solutions" / lesson / f"{lesson}.ipynb", REPO / "course" / lesson / f"{lesson}.ipynb"]:
        assert lint_notebook(nbformat.read(path, as_version=4).cells) == [], path
    submissions = list(every_known_mistake.glob(f"*/{lesson}/{lesson}.ipynb"))
    assert submissions
    for path in submissions:
        assert lint_notebook(nbformat.read(path, as_version=4).cells) == [], path.parent.parent.name


@pytest.mark.slow
def test_validate_names_the_construct_before_the_student_submits(tmp_path):
    """`nbgrader validate` (the Validate button) runs the same reading of the source as grading does."""
    sources = demo.solution_sources(L)
    sources["central_difference"] = "import threading\n" + sources["central_difference"]
    path = tmp_path / L / f"{L}.ipynb"
    path.parent.mkdir()
    nbformat.write(demo.submission(L, sources), path)
    env = dict(os.environ, PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
    out = subprocess.run([sys.executable, "-m", "nbgrader", "validate", str(path)], cwd=REPO, env=env,
                         capture_output=True, text=True, timeout=300).stdout
    assert "VALIDATION FAILED ON 1 CELL" in out, out
    assert "imports threading" in out and "central_difference" in out
