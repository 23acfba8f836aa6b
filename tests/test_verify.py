"""Out-of-kernel verification: is a verifiable exercise judged the same through the kernel proxy?

For every exercise a lesson lists in VERIFIED_OUTSIDE, the reference solution
must pass and every known mistake must fail when the check runs in this
process and the student's function runs in a real kernel.
"""
from __future__ import annotations

import ast
import contextlib
import io

import numpy as np
import pytest
from jupyter_client.manager import start_new_kernel

from autograder import demo, mistakes
from autograder.pipeline import lessons
from autograder.verify import KernelProxy, Unverifiable, checks_module, decode
from backprop_lib.checks import CheckFailed

pytestmark = pytest.mark.slow

VERIFIED = [(lesson, task) for lesson in lessons() if demo.graded_tasks(lesson)
            for task in getattr(checks_module(lesson), "VERIFIED_OUTSIDE", ())]


@pytest.fixture(scope="module")
def kernel():
    km, kc = start_new_kernel(kernel_name="python3")
    kc.execute_interactive("import numpy as np, sympy as sp", timeout=60)

    def run(code: str) -> None:
        reply = kc.execute_interactive(code, timeout=60)
        assert reply["content"]["status"] == "ok", reply["content"]

    def evaluate(expression: str) -> str:
        msg_id = kc.execute("", silent=True, user_expressions={"v": expression})
        reply = kc.get_shell_msg(timeout=60)
        assert reply["parent_header"]["msg_id"] == msg_id
        result = reply["content"]["user_expressions"]["v"]
        if result["status"] != "ok":
            raise RuntimeError(result["evalue"])
        return ast.literal_eval(result["data"]["text/plain"])

    yield run, evaluate
    kc.stop_channels()
    km.shutdown_kernel(now=True)


def verify(kernel, lesson, task, source, seed=3):
    run, evaluate = kernel
    run(source)
    check = getattr(checks_module(lesson), f"check_{task}")
    with contextlib.redirect_stdout(io.StringIO()):
        check(KernelProxy(evaluate, task, task), rng=np.random.default_rng(seed))


@pytest.mark.parametrize("lesson, task", VERIFIED)
def test_reference_solution_passes_when_judged_outside_the_kernel(kernel, lesson, task):
    verify(kernel, lesson, task, demo.solution_sources(lesson)[task])


@pytest.mark.parametrize("mistake", [m for m in mistakes.all_mistakes() if (m.lesson, m.task) in VERIFIED],
                         ids=lambda m: m.student)
def test_each_known_mistake_fails_and_is_named_when_judged_outside(kernel, mistake):
    with pytest.raises(CheckFailed) as info:
        verify(kernel, mistake.lesson, mistake.task, mistake.code)
    assert mistake.feedback in str(info.value)


def test_a_students_exception_comes_back_with_its_name(kernel):
    with pytest.raises(CheckFailed, match="raised ZeroDivisionError"):
        verify(kernel, "01_derivatives", "sigmoid_prime", "def sigmoid_prime(z):\n    return 1 / 0")


def test_what_comes_back_is_data_never_an_object_to_unpickle():
    assert decode({"__tuple__": [1, [2.5, None]]}, None) == (1, [2.5, None])
    with pytest.raises(Unverifiable):
        decode({"__obj__": "Value"}, None)


def test_changes_made_in_place_come_back_to_the_graders_arrays():
    from autograder.verify import write_back
    theta, state = np.zeros(3), {"v": np.zeros(3), "t": 0}
    write_back([theta, state], [np.ones(3), {"v": np.full(3, 2.0), "t": 1}])
    assert theta.tolist() == [1, 1, 1] and state["v"].tolist() == [2, 2, 2] and state["t"] == 1
