"""Do the exercise checks pass every reference solution and fail every known mistake, naming it?"""
from __future__ import annotations

import importlib

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from autograder import demo, mistakes
from autograder.layout import lessons
from backprop_lib.checking.checks import CheckFailed
from backprop_lib.exercises import hidden_rng, student_id

#: lesson id -> its checks module (``01_derivatives`` -> ``backprop_lib.exercises.lesson01``)
LESSON_MODULES = {lesson: f"backprop_lib.exercises.lesson{lesson[:2]}" for lesson in lessons()
                  if demo.graded_tasks(lesson)}


def compiled(source: str) -> dict:
    namespace = {"np": np}
    exec(source, namespace)  # noqa: S102 - trusted reference and mistake code from this repo
    return namespace


def reference(lesson: str, task: str):
    return compiled(demo.solution_sources(lesson)[task])[task]


def check_of(lesson: str, task: str):
    return getattr(importlib.import_module(LESSON_MODULES[lesson]), f"check_{task}")


TASKS = [(lesson, task) for lesson in lessons() if lesson in LESSON_MODULES
         for task in demo.graded_tasks(lesson)]


@pytest.mark.parametrize("lesson, task", TASKS)
@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**63 - 1))
def test_reference_solution_passes_hidden_tests_for_any_student(lesson, task, seed):
    check_of(lesson, task)(reference(lesson, task), rng=np.random.default_rng(seed))


@pytest.mark.parametrize("lesson, task", TASKS)
def test_reference_solution_passes_its_self_check(lesson, task):
    check_of(lesson, task)(reference(lesson, task))


@pytest.mark.parametrize("mistake", [m for m in mistakes.all_mistakes() if m.lesson in LESSON_MODULES],
                         ids=lambda m: m.student)
@pytest.mark.parametrize("hidden", [False, True])
def test_each_known_mistake_fails_and_is_named(mistake, hidden):
    fn = compiled(mistake.code)[mistake.task]
    rng = np.random.default_rng(7) if hidden else None
    with pytest.raises(CheckFailed) as info:
        check_of(mistake.lesson, mistake.task)(fn, rng=rng)
    assert mistake.feedback in str(info.value)


@pytest.mark.parametrize("variant", [c for c in mistakes.all_correct() if c.lesson in LESSON_MODULES],
                         ids=lambda c: c.name)
@pytest.mark.parametrize("hidden", [False, True])
def test_a_right_answer_written_another_way_passes(variant, hidden):
    fn = compiled(variant.code)[variant.task]
    rng = np.random.default_rng(11) if hidden else None
    check_of(variant.lesson, variant.task)(fn, rng=rng)


def test_every_exercise_has_at_least_two_known_mistakes():
    for lesson, task in TASKS:
        assert len([m for m in mistakes.for_lesson(lesson) if m.task == task]) >= 2, (lesson, task)


def test_a_hard_coded_answer_fails_the_hidden_test():
    from backprop_lib.exercises.lesson01 import check_dL_dw
    right = reference("01_derivatives", "dL_dw")
    answers = {}

    def recording(w, x, b, y):
        answers[np.asarray(w).tobytes()] = right(w, x, b, y)
        return answers[np.asarray(w).tobytes()]

    def memorised(w, x, b, y):  # a student who copied the self-check's numbers
        return answers.get(np.asarray(w).tobytes(), np.zeros_like(np.asarray(w, dtype=float)))

    check_dL_dw(recording)
    check_dL_dw(memorised)  # the copied numbers pass the self-check...
    with pytest.raises(CheckFailed):
        check_dL_dw(memorised, rng=np.random.default_rng(123))  # ...and fail on fresh inputs


def test_hidden_inputs_differ_between_students_and_repeat_for_one(tmp_path):
    a = tmp_path / "autograded" / "alice" / "01_derivatives"
    b = tmp_path / "autograded" / "bob" / "01_derivatives"
    assert student_id(a) == "alice"
    secret = b"0123456789abcdef0123456789abcdef"
    draw = lambda cwd, key=secret: hidden_rng("dL_dw", cwd, key).normal(size=3)  # noqa: E731
    assert np.array_equal(draw(a), draw(a))
    assert not np.array_equal(draw(a), draw(b))
    assert not np.array_equal(draw(a), draw(a, b"another course's secret, 32 bytes"))


def test_without_the_secret_nobody_can_compute_a_students_hidden_inputs(tmp_path):
    """The old, public recipe (a hash of "student/task") and the kernel's secret-less stream both miss."""
    import hashlib

    alice = tmp_path / "autograded" / "alice" / "01_derivatives"
    real = hidden_rng("dL_dw", alice, b"0123456789abcdef0123456789abcdef").normal(size=3)
    public = np.random.default_rng(int.from_bytes(hashlib.sha256(b"alice/dL_dw").digest()[:8], "little"))
    assert not np.array_equal(real, public.normal(size=3))
    assert not np.array_equal(real, hidden_rng("dL_dw", alice).normal(size=3))
