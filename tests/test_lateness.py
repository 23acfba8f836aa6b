"""How much does a late submission keep? (autograder.lateness)"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograder.lateness import Late, Policy, Term, TermError, apply, penalty

policies = st.builds(Policy, grace_minutes=st.floats(0, 24 * 60), percent_per_day=st.floats(0, 100),
                     max_percent=st.floats(0, 100), zero_after_days=st.none() | st.floats(0, 30))
lateness = st.timedeltas(min_value=timedelta(days=-10), max_value=timedelta(days=40))
scores = st.floats(0, 1000)


@given(policies, lateness, scores)
def test_a_penalty_never_adds_points_nor_takes_more_than_the_score(policy, late_by, score):
    late = penalty(late_by, policy)
    assert 0 <= apply(score, late) <= score
    assert 0 <= late.percent <= 100


@given(policies, lateness, lateness, scores)
def test_handing_in_later_never_scores_more(policy, a, b, score):
    early, late = sorted([a, b])
    assert apply(score, penalty(late, policy)) <= apply(score, penalty(early, policy))


@given(policies, st.timedeltas(min_value=timedelta(days=-10), max_value=timedelta(0)), scores)
def test_on_time_keeps_the_whole_score(policy, late_by, score):
    assert apply(score, penalty(late_by, policy)) == score


@given(policies, st.floats(0, 1), scores)
def test_within_the_grace_period_keeps_the_whole_score(policy, fraction, score):
    late_by = timedelta(minutes=policy.grace_minutes * fraction)
    assert apply(score, penalty(late_by, policy)) == score


@given(policies, lateness)
def test_before_the_hard_deadline_the_penalty_is_whole_days_up_to_the_cap(policy, late_by):
    late = penalty(late_by, policy)
    if late.percent == 0 or policy.zero_after_days is not None and late_by > timedelta(days=policy.zero_after_days):
        return
    assert late.days == -(-late_by // timedelta(days=1)) >= 1
    assert late.percent == min(policy.max_percent, policy.percent_per_day * late.days)


@given(st.floats(0, 30), st.timedeltas(min_value=timedelta(seconds=1), max_value=timedelta(days=30)), scores)
def test_past_the_hard_deadline_the_score_is_zero(zero_after, beyond, score):
    policy = Policy(percent_per_day=10, max_percent=50, zero_after_days=zero_after)
    assert apply(score, penalty(timedelta(days=zero_after) + beyond, policy)) == 0


def test_ten_percent_a_day_capped_at_half_with_a_quarter_hour_of_grace():
    policy = Policy(grace_minutes=15, percent_per_day=10, max_percent=50, zero_after_days=7)
    assert apply(20, penalty(timedelta(minutes=14), policy)) == 20
    assert apply(20, penalty(timedelta(minutes=16), policy)) == 18  # one started day
    assert apply(20, penalty(timedelta(hours=25), policy)) == 16  # two
    assert apply(20, penalty(timedelta(days=6, hours=1), policy)) == 10  # the cap
    assert apply(20, penalty(timedelta(days=7, seconds=1), policy)) == 0  # the hard deadline
    assert penalty(timedelta(hours=25), policy).describe() == "2 days late (-20%)"


def test_an_unknown_submission_time_costs_nothing_and_says_so():
    late = penalty(None, Policy(percent_per_day=10))
    assert (late.percent, late.describe()) == (0, "submission time unknown: no penalty")


def test_a_term_file_gives_each_lesson_its_due_time_and_policy(tmp_path):
    path = tmp_path / "term.toml"
    path.write_text('[policy]\ngrace_minutes = 10\npercent_per_day = 10\nmax_percent = 30\n\n'
                    '[lessons.01_derivatives]\ndue = 2027-01-20T23:59:00+01:00\n\n'
                    '[lessons.02_graphs]\ndue = 2027-01-27\npercent_per_day = 25\n')
    term = Term.load(path)
    assert term.due["01_derivatives"] == datetime(2027, 1, 20, 22, 59, tzinfo=timezone.utc)
    assert term.due["02_graphs"] == datetime(2027, 1, 27, 23, 59, 59, tzinfo=timezone.utc)  # a date: its end
    assert term.policies["02_graphs"] == Policy(10, 25, 30)
    assert term.late("01_derivatives", datetime(2027, 1, 21, 12, tzinfo=timezone.utc)).percent == 10
    assert term.late("02_graphs", datetime(2027, 2, 1, tzinfo=timezone.utc)).percent == 30


def test_the_same_term_as_csv(tmp_path):
    path = tmp_path / "term.csv"
    path.write_text("lesson,due,percent_per_day,zero_after_days\n01_derivatives,2027-01-20 23:59,10,3\n")
    term = Term.load(path)
    assert term.late("01_derivatives", datetime(2027, 1, 22, tzinfo=timezone.utc)).percent == 20
    assert term.late("01_derivatives", datetime(2027, 1, 25, tzinfo=timezone.utc)).percent == 100


@pytest.mark.parametrize("text, says", [
    ("[lessons.01_derivatives]\npercent_per_day = 10\n", "no due time"),
    ("[lessons.01_derivatives]\ndue = 2027-01-20\npercent_per_day = -5\n", "must be a number >= 0"),
    ("[lessons.01_derivatives]\ndue = 2027-01-20\npenalty = 5\n", "unknown keys"),
    ("[lessons.01_derivatives]\ndue = 'next tuesday-ish'\n", "cannot read the due time"),
    ("[lessons\n", "cannot read the due dates"),
])
def test_a_term_file_that_cannot_be_read_says_why(tmp_path, text, says):
    path = tmp_path / "term.toml"
    path.write_text(text)
    with pytest.raises(TermError, match=says):
        Term.load(path)


def test_late_work_within_the_grace_period_is_described_as_such():
    assert Late(timedelta(minutes=5), 0, 0).describe() == "late by 5 min, within the grace period"
