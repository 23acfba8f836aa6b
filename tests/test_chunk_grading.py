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
    #: the commands of each process started, in order (``attempt_steps`` runs several in one)
    processes: list[list[tuple[str, ...]]] = field(default_factory=list)
    done: set[tuple[str, str]] = field(default_factory=set)
    #: the first command is killed by a signal, after naming the first student
    killed_first: bool = False

    def attempt(self, *args: str) -> tuple[int, str]:
        """One command in a process of its own, as ``nbgrader ARGS``."""
        self.processes.append([args])
        return self.command(*args)

    def attempt_steps(self, steps: list[list[str]]) -> list[tuple[int, str]]:
        """The steps in order in one process, as ``autograder.nbgrader_steps`` runs them: a signal ends them all."""
        self.processes.append([])
        out: list[tuple[int, str]] = []
        for step in steps:
            if out and out[-1][0] < 0:
                out.append((out[-1][0], ""))
            else:
                self.processes[-1].append(tuple(step))
                out.append(self.command(*step))
        return out

    def command(self, *args: str) -> tuple[int, str]:
        """What nbgrader ARGS does and says."""
        self.calls.append(args)
        if self.killed_first:
            self.killed_first = False
            return -9, NAMED.format(s=self.students[0])
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


def test_when_all_goes_well_a_chunk_is_autograded_and_given_feedback_by_one_process():
    runner = FakeNbgrader(["a", "b"])
    result = grade_chunk(runner, ["a", "b"])
    assert runner.processes == [[("autograde", "*", "--force"), ("generate_feedback", "*", "--force")]]
    assert result.notebooks == 2 and not result.rejected and not result.failures and not result.retries


def test_a_chunk_whose_only_notebook_fails_autograde_starts_no_feedback_command_and_rejects_it_with_the_reason():
    runner = FakeNbgrader(["poison"], poison={"autograde": {"poison"}})
    result = grade_chunk(runner, ["poison"])
    assert [(r.student, r.lesson) for r in result.rejected] == [("poison", L)]
    assert "cannot process poison" in result.rejected[0].reason and "twice" in result.rejected[0].reason
    assert not [p for p in runner.processes if p[0][0] == "generate_feedback"], "feedback on nothing used to exit 1"
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
    assert [[c[0] for c in p] for p in runner.processes] == [["autograde", "generate_feedback"], ["autograde"],
                                                            ["generate_feedback"]], \
        "feedback is written again for what the second autograde graded"
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
    assert [[c[:2] for c in p] for p in runner.processes] == [[("autograde", L), ("autograde", "02_graphs"),
                                                              ("generate_feedback", L),
                                                              ("generate_feedback", "02_graphs")]]


#: How nbgrader logs a notebook whose kernel never started (jupyter_client's own words), and one of the student's.
KERNEL_DIED = """[AutogradeApp | ERROR] There was an error processing assignment: /i/submitted/{s}/01_derivatives
[AutogradeApp | ERROR] Traceback (most recent call last):
  File "nbclient/client.py", line 600, in async_start_new_kernel_client
RuntimeError: Kernel died before replying to kernel_info
[AutogradeApp | WARNING] Removing failed assignment: /i/autograded/{s}/01_derivatives
"""
OWN_FAULT = """[AutogradeApp | ERROR] There was an error processing assignment: /i/submitted/{s}/01_derivatives
[AutogradeApp | ERROR] Traceback (most recent call last):
nbformat.validator.NotebookValidationError: the notebook of {s} is not valid
"""
NAMED = "[AutogradeApp | ERROR] There was an error processing assignment '01_derivatives' for student '{s}'\n"


@dataclass
class LoggingNbgrader(FakeNbgrader):
    """Fails ``machinery`` students' notebooks as a kernel that never starts does, the ``poison`` ones their own way."""

    machinery: dict[str, int] = field(default_factory=dict)

    def command(self, *args: str) -> tuple[int, str]:
        self.calls.append(args)
        who = [a.split("=", 1)[1] for a in args if a.startswith("--student=")] or self.students
        blocks, named = [], []
        for s in who:
            if self.machinery.get(s, 0) > 0 and args[0] == "autograde":
                self.machinery[s] -= 1
                blocks.append(KERNEL_DIED.format(s=s))
                named.append(NAMED.format(s=s))
            elif s in self.poison.get(args[0], set()):
                blocks.append(OWN_FAULT.format(s=s))
                named.append(NAMED.format(s=s))
            elif args[0] == "autograde":
                self.done.add((s, L))
        return (1 if named else 0), "".join(blocks + named)


def test_a_kernel_that_never_starts_is_the_graders_failure_never_the_students_rejection():
    runner = LoggingNbgrader(["a", "b", "c"], poison={"autograde": {"c"}}, machinery={"b": 99})
    result = grade_chunk(runner, ["a", "b", "c"])
    assert [(f.student, f.lesson, f.stage) for f in result.failures] == [("b", L, "autograde")]
    assert "Kernel died before replying" in result.failures[0].reason
    assert [(r.student, r.reason) for r in result.rejected] == [
        ("c", "nbgrader could not grade this notebook, twice: nbformat.validator.NotebookValidationError: the "
              "notebook of c is not valid")], "each named notebook gets its own error, not the log's last one"
    assert any("grading machinery" in line and "b" in line for line in result.retries)


def test_a_kernel_that_fails_to_start_once_is_run_again_and_graded():
    runner = LoggingNbgrader(["a", "b"], machinery={"b": 1})
    result = grade_chunk(runner, ["a", "b"])
    assert not result.failures and not result.rejected
    assert runner.autograded() == {("a", L), ("b", L)}


def test_a_command_killed_by_a_signal_is_run_again_even_if_it_named_someone():
    runner = FakeNbgrader(["a", "b"], killed_first=True)
    result = grade_chunk(runner, ["a", "b"])
    assert not result.rejected and not result.failures
    assert runner.autograded() == {("a", L), ("b", L)}, "b, never reached by the killed command, is graded too"
    assert runner.processes[0] == [("autograde", "*", "--force")], "the signal ended the process: no feedback ran"
