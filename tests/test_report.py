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
    from autograder.records import Rejected, TaskScore
    from autograder.report import write_lms_csv
    scores = [TaskScore("ann", "01_x", "a", 2, 2), TaskScore("ann", "01_x", "b", 1, 3)]
    write_lms_csv(scores, tmp_path / "lms.csv", [Rejected("bob", "01_x", "not a notebook")])
    assert (tmp_path / "lms.csv").read_text().splitlines() == ["student,01_x (max 5),total", "ann,3,3", "bob,0,0"]


def test_a_diagnosis_that_is_broken_latex_is_drawn_as_text(tmp_path):
    from autograder.records import TaskScore
    from autograder.report import Diagnosis, plot_class_report
    scores = [TaskScore("ann", "01_x", "a", 0, 2)]
    found = [Diagnosis("ann", "01_x", "a", r"$\frac{$ and $$ and \$")]
    plot_class_report(scores, found, tmp_path / "report.png")
    assert (tmp_path / "report.png").stat().st_size > 1000


def test_every_report_csv_is_written_even_when_the_plot_fails_and_no_cell_is_a_formula(tmp_path, monkeypatch):
    from autograder import report
    from autograder.records import Failure, Notice, Rejected, TaskScore
    monkeypatch.setattr(report, "plot_class_report", lambda *a, **k: 1 / 0)
    evil = '=HYPERLINK("http://evil","x")'
    failed = report.write_report(tmp_path, [TaskScore(evil, "01_x", "a", 1, 2)], [Rejected("@bob", "01_x", "-bad")],
                                 [Failure("+carl", "01_x", "autograde", "crashed")], [Notice("\tdan", "01_x", "=note")])
    assert [(f.stage, f.reason.split(":")[0]) for f in failed] == [("report", "class_report.png")]
    texts = {p.name: p.read_text() for p in [*(tmp_path / "report").glob("*.csv"), tmp_path / "grades_lms.csv"]}
    assert set(texts) == {"rejected.csv", "notices.csv", "mistakes.csv", "failures.csv", "grades_lms.csv"}
    for name, text in texts.items():
        for line in text.splitlines()[1:]:
            assert not line.startswith(("=", "+", "-", "@", "\t", '"=', '"+', '"-', '"@', '"\t')), (name, line)
    assert "class_report.png" in texts["failures.csv"] and "+carl" in texts["failures.csv"]
    lms = texts["grades_lms.csv"].splitlines()
    assert "'+carl,,0" in lms, "a student the grader failed has a row, with the lesson not graded (empty), not 0"
    assert "'@bob,0,0" in lms and f"\"'{evil.replace(chr(34), chr(34) * 2)}\",1,1" in lms
