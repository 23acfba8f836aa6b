"""Does the class report turn failed checks into short, countable reasons?"""
from __future__ import annotations

from autograder.report import explain_failure


def test_the_checks_likely_cause_is_the_reason():
    evalue = "dL_dw gives a wrong result.\n  on input: w = 1\n  likely cause: the sign is flipped"
    assert explain_failure("CheckFailed", evalue) == "the sign is flipped"


def test_unimplemented_and_raising_exercises_get_their_own_reasons():
    assert explain_failure("CheckFailed", "f is not implemented yet: replace ...") == "not implemented yet"
    assert explain_failure("CheckFailed", "f raised ValueError: bad\n  on input: x = 1") == "the function raised ValueError"


def test_a_timeout_and_a_plain_error_are_named():
    assert explain_failure("KeyboardInterrupt", "") == "did not finish (time limit)"
    assert explain_failure("NameError", "name 'f' is not defined") == "NameError"


def test_the_lms_csv_gives_each_lesson_its_total_maximum_and_counts_a_rejected_file_zero(tmp_path):
    from autograder.pipeline import Rejected, TaskScore
    from autograder.report import write_lms_csv
    scores = [TaskScore("ann", "01_x", "a", 2, 2), TaskScore("ann", "01_x", "b", 1, 3)]
    write_lms_csv(scores, tmp_path / "lms.csv", [Rejected("bob", "01_x", "not a notebook")])
    assert (tmp_path / "lms.csv").read_text().splitlines() == ["student,01_x (max 5),total", "ann,3,3", "bob,0,0"]
