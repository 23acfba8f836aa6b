"""Is every roster student in the exports, with not submitted, rejected and a real 0 told apart? (roster, lms_export)"""
from __future__ import annotations

import csv
from datetime import datetime, timezone

import pytest

from autograder import csv_safe
from autograder.lateness import Term
from autograder.lms_export import TermSetup
from autograder.records import Collected, Failure, Rejected, TaskScore
from autograder.roster import Roster, RosterError
from autograder.students import StudentIds

L = "01_derivatives"
ROSTER = ("\ufeffStudent ID,Name,Email,Section,Canvas ID\n"
          "s1,Ada Lovelace,ada@uni.edu,A,101\n"
          "s2,Alan Turing,alan@uni.edu,A,102\n"
          "s3,Grace Hopper,grace@uni.edu,B,103\n"
          "s4,Emmy Noether,emmy@uni.edu,B,104\n"
          "s5,Kurt Goedel,kurt@uni.edu,B,\n")


@pytest.fixture
def roster(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text(ROSTER, encoding="utf-8")
    return path


def test_a_roster_is_read_whatever_its_header_spelling(roster):
    r = Roster.load(roster)
    assert r.ids() == ["s1", "s2", "s3", "s4", "s5"]
    assert r.by_id("s3").email == "grace@uni.edu" and r.by_id("s3").lms_id == "103"


@pytest.mark.parametrize("key, lms_id, who", [
    ("s2", "", "s2"), ("ALAN@uni.edu", "", "s2"), ("alan turing", "", "s2"),
    ("turingalan", "", "s2"),  # Canvas writes last name first, squashed
    ("nobody", "103", "s3"),  # the LMS id wins
    ("Alan", "", None), ("", "", None)])
def test_a_student_is_found_by_id_email_name_or_lms_id_and_only_when_one_fits(roster, key, lms_id, who):
    found = Roster.load(roster).find(key, lms_id=lms_id)
    assert (found.id if found else None) == who


@pytest.mark.parametrize("text, says", [("", "empty"), ("name,email\nA,a@b\n", "no id column"),
                                        ("id,name\ns1,A\ns1,B\n", "appears twice"), ("id,name\n,A\n", "without an id"),
                                        ("id,name\n../../etc,A\n", "cannot name a folder")])
def test_a_roster_that_cannot_be_a_class_list_says_why(tmp_path, text, says):
    path = tmp_path / "roster.csv"
    path.write_text(text)
    with pytest.raises(RosterError, match=says):
        Roster.load(path)


def read(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return [[csv_safe.restore(c) for c in row] for row in csv.reader(fh)]


@pytest.fixture
def exported(tmp_path, roster):
    """s1 full marks on time, s2 a real 0 (no time known), s3 late by two days, s4 rejected, s5 nothing;
    a stranger graded."""
    due = tmp_path / "term.toml"
    due.write_text(f'[policy]\npercent_per_day = 10\n\n[lessons.{L}]\ndue = 2027-01-20T12:00:00Z\n')
    scores = [TaskScore(s, L, t, v, 4.0) for s, v in [("s1", 4), ("s2", 0), ("s3", 4), ("stranger", 2)]
              for t in ("a", "b")]
    found = Collected(by_lesson={L: ["s1", "s2", "s3", "s4", "stranger"]}, ids=StudentIds())
    found.times = {("s1", L): datetime(2027, 1, 20, 11, tzinfo=timezone.utc),
                   ("s3", L): datetime(2027, 1, 21, 13, tzinfo=timezone.utc)}
    rejected = [Rejected("s4", L, "not a valid notebook: JSON")]
    failures: list[Failure] = []
    setup = TermSetup.load(tmp_path, roster, due)
    late = setup.export(tmp_path, scores, rejected, failures, found)
    assert failures == []
    return tmp_path, late, found


def test_every_roster_student_has_a_row_in_the_roster_s_order(exported):
    folder, _, _ = exported
    rows = read(folder / "grades_roster.csv")
    assert [r[0] for r in rows[1:]] == ["s1", "s2", "s3", "s4", "s5"]
    status = {r[0]: r[rows[0].index(f"{L} status")] for r in rows[1:]}
    score = {r[0]: r[rows[0].index(f"{L} (max 8)")] for r in rows[1:]}
    assert status["s1"] == "graded, on time" and score["s1"] == "8"
    assert status["s2"] == "graded, submission time unknown: no penalty" and score["s2"] == "0"  # a real 0
    assert status["s3"] == "graded, 2 days late (-20%): 8 -> 6.4" and score["s3"] == "6.4"
    assert status["s4"] == "rejected (not a valid notebook: JSON)" and score["s4"] == "0"
    assert status["s5"] == "not submitted" and score["s5"] == ""
    raw = {r[0]: r[rows[0].index(f"{L} raw")] for r in rows[1:]}
    assert raw["s3"] == "8"


def test_canvas_gets_its_gradebook_columns_numbers_only(exported):
    folder, _, _ = exported
    rows = read(folder / "grades_canvas.csv")
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", L]
    assert rows[1] == ["Points Possible", "", "", "", "", "8"]
    assert {r[2]: r[5] for r in rows[2:]} == {"s1": "8", "s2": "0", "s3": "6.4", "s4": "0", "s5": ""}
    assert rows[2][:2] == ["Ada Lovelace", "101"]


def test_moodle_gets_id_number_email_and_a_feedback_that_tells_the_cases_apart(exported):
    folder, _, _ = exported
    rows = read(folder / "grades_moodle.csv")
    assert rows[0] == ["ID number", "Email address", "Full name", L, f"{L} feedback"]
    feedback = {r[0]: r[4] for r in rows[1:]}
    assert feedback["s5"] == "not submitted" and feedback["s4"].startswith("rejected (")
    assert feedback["s2"].startswith("graded") and feedback["s1"] == "graded, on time"


def test_a_student_off_the_roster_is_reported_not_dropped(exported):
    folder, _, found = exported
    assert [r[:4] for r in read(folder / "report" / "not_on_roster.csv")[1:]] == [["stranger", L, "4", "4"]]
    assert any(n.student == "stranger" and "not on the roster" in n.text for n in found.notices)


def test_the_lateness_report_and_the_lms_csv_keep_the_raw_score_beside_the_penalised_one(exported, tmp_path):
    from autograder.report import write_lms_csv

    folder, late, _ = exported
    rows = read(folder / "report" / "lateness.csv")
    s3 = next(r for r in rows if r[0] == "s3")
    assert s3[5:9] == ["2", "20", "8", "6.4"]
    scores = [TaskScore("s3", L, "a", 8.0, 8.0)]
    write_lms_csv(scores, tmp_path / "lms.csv", late=late)
    assert read(tmp_path / "lms.csv") == [["student", f"{L} (max 8)", "total", "total before late penalty"],
                                          ["s3", "6.4", "6.4", "8"]]


def test_no_roster_and_no_due_dates_write_nothing_new(tmp_path):
    setup = TermSetup.load(tmp_path)
    assert (setup.roster, setup.term) == (None, None)
    assert setup.export(tmp_path, [], [], [], Collected()) is None
    assert not (tmp_path / "grades_roster.csv").exists()


def test_a_lesson_without_a_due_date_is_never_late(tmp_path):
    term = Term()
    assert term.late(L, datetime(2030, 1, 1, tzinfo=timezone.utc)).percent == 0


def test_a_later_rewrite_of_the_report_exports_as_the_grading_run_did(exported):
    """An override rewrites the report without knowing the term: the penalties and roster CSVs still apply."""
    from autograder.report import write_report

    folder, _, _ = exported
    scores = [TaskScore(s, L, t, v, 4.0) for s, v in [("s1", 4), ("s2", 3), ("s3", 4), ("stranger", 2)]
              for t in ("a", "b")]
    assert write_report(folder, scores, [Rejected("s4", L, "not a valid notebook: JSON")]) == []
    canvas = {r[2]: r[5] for r in read(folder / "grades_canvas.csv")[2:]}
    assert canvas == {"s1": "8", "s2": "6", "s3": "6.4", "s4": "0", "s5": ""}
    lms = {r[0]: r for r in read(folder / "grades_lms.csv")}
    assert lms["s3"][-2:] == ["6.4", "8"]


def test_grade_stops_before_grading_when_the_roster_cannot_be_read(tmp_path, monkeypatch, capsys):
    from autograder.__main__ import main

    monkeypatch.setenv("BACKPROP_SANDBOX", "0")  # the roster is read before anything runs
    (tmp_path / "subs").mkdir()
    (tmp_path / "roster.csv").write_text("name,email\nAda,ada@uni.edu\n")
    assert main(["grade", str(tmp_path / "subs"), "--roster", str(tmp_path / "roster.csv"),
                 "--instructor", str(tmp_path / "instructor")]) == 2
    assert "no id column" in capsys.readouterr().err
    assert not (tmp_path / "instructor" / "gradebook.db").exists()
