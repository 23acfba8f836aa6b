"""When nbgrader fails on one notebook, or crashes outright, who pays? Only whom it must (no kernels: a fake nbgrader)."""
from __future__ import annotations

from dataclasses import dataclass, field

from autograder.chunk_grading import grade_chunk

L = "01_derivatives"


@dataclass
class FakeNbgrader:
    """Plays nbgrader's part: names the notebooks it cannot process, or crashes without naming any."""

    students: list[str]
    #: students whose notebook nbgrader fails on (by step), every time
    poison: dict[str, set[str]] = field(default_factory=dict)
    #: how many whole commands crash (exit 1, nobody named) before one works
    crashes: int = 0
    #: students whose command crashes whenever they are in it
    crash_with: set[str] = field(default_factory=set)
    calls: list[tuple[str, ...]] = field(default_factory=list)
    done: set[tuple[str, str]] = field(default_factory=set)

    def attempt(self, *args: str) -> tuple[int, str]:
        self.calls.append(args)
        step = args[0]
        only = [a.split("=", 1)[1] for a in args if a.startswith("--student=")]
        who = only or self.students
        if self.crashes > 0 or self.crash_with & set(who):
            self.crashes -= 1
            return 1, "Traceback (most recent call last):\nOSError: the machine hiccuped"
        log, code = [], 0
        for s in who:
            if s in self.poison.get(step, set()):
                log.append(f"ValueError: cannot process {s}\n"
                           f"[AutogradeApp | ERROR] There was an error processing assignment '{L}' for student '{s}'")
                code = 1
            elif step == "autograde":
                self.done.add((s, L if args[1] == "*" else args[1]))
        return code, "\n".join(log)

    def autograded(self) -> set[tuple[str, str]]:
        return set(self.done)


def test_a_chunk_whose_only_notebook_fails_autograde_runs_no_feedback_and_rejects_it_with_the_reason():
    runner = FakeNbgrader(["poison"], poison={"autograde": {"poison"}})
    result = grade_chunk(runner, ["poison"])
    assert [(r.student, r.lesson) for r in result.rejected] == [("poison", L)]
    assert "cannot process poison" in result.rejected[0].reason and "twice" in result.rejected[0].reason
    assert not [c for c in runner.calls if c[0] == "generate_feedback"], "feedback on nothing used to exit 1"
    assert not result.failures


def test_one_bad_notebook_is_retried_alone_and_costs_no_one_else():
    runner = FakeNbgrader(["a", "poison", "z"], poison={"autograde": {"poison"}})
    result = grade_chunk(runner, ["a", "poison", "z"])
    assert [r.student for r in result.rejected] == ["poison"]
    assert ("autograde", L, "--force", "--student=poison") in runner.calls
    assert runner.calls[-1] == ("generate_feedback", "*", "--force"), "feedback for the two graded, in one command"
    assert result.notebooks == 3


def test_a_crash_of_the_whole_command_is_run_again_once():
    runner = FakeNbgrader(["a", "b"], crashes=1)
    result = grade_chunk(runner, ["a", "b"])
    assert not result.rejected and not result.failures
    assert [c[0] for c in runner.calls] == ["autograde", "autograde", "generate_feedback"]
    assert result.retries


def test_a_command_that_keeps_crashing_is_split_and_only_its_cause_is_the_graders_failure():
    runner = FakeNbgrader(["a", "b", "c"], crash_with={"b"})
    result = grade_chunk(runner, ["a", "b", "c"])
    assert [(f.student, f.stage) for f in result.failures] == [("b", "autograde")]
    assert not result.rejected, "a crash is the grader's failure, never a rejection"
    assert runner.autograded() == {("a", L), ("c", L)}


def test_feedback_that_cannot_be_written_is_the_graders_failure_and_the_grade_stands():
    runner = FakeNbgrader(["a", "b"], poison={"generate_feedback": {"b"}})
    result = grade_chunk(runner, ["a", "b"])
    assert [(f.student, f.stage) for f in result.failures] == [("b", "generate_feedback")]
    assert runner.autograded() == {("a", L), ("b", L)}


def test_in_an_instructor_folder_only_this_runs_lessons_are_graded_one_command_each():
    runner = FakeNbgrader(["a", "b"])
    grade_chunk(runner, ["a", "b"], (L, "02_graphs"))
    assert [c[:2] for c in runner.calls] == [("autograde", L), ("autograde", "02_graphs"),
                                             ("generate_feedback", L), ("generate_feedback", "02_graphs")]
