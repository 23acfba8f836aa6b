"""Several nbgrader commands in one process: does each still get its own exit status and log, whatever happens?"""
from __future__ import annotations

import subprocess
import sys

from hypothesis import given
from hypothesis import strategies as st
from conftest import REPO

from autograder import nbgrader_steps
from autograder.nbgrader_steps import MARKER, THEN

words = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=12).filter(lambda w: w != THEN)


@given(st.lists(st.lists(words, min_size=1, max_size=4), min_size=1, max_size=4))
def test_a_command_line_of_several_commands_comes_apart_into_the_same_commands(steps):
    assert nbgrader_steps.commands(nbgrader_steps.join(steps)) == steps


def test_each_command_gets_its_own_status_log_and_seconds():
    out = "graded a\n" + MARKER.format(code=0, seconds=7.5) + "\nno page for b\n" + MARKER.format(code=1, seconds=0.5)
    assert nbgrader_steps.split(out, 2, 1) == [(0, "graded a\n", 7.5), (1, "no page for b\n", 0.5)]


def test_a_process_killed_mid_way_fails_the_command_it_was_in_and_every_later_one():
    out = "graded a\n" + MARKER.format(code=0, seconds=7.5) + "\nwriting b's page"
    assert nbgrader_steps.split(out, 3, -9) == [(0, "graded a\n", 7.5), (-9, "writing b's page", None), (-9, "", None)]


def test_a_process_that_exits_0_without_a_marker_still_fails_the_command():
    """Nothing that did not say it ended counts as done."""
    assert nbgrader_steps.split("", 1, 0) == [(1, "", None)]


def test_a_failing_command_does_not_stop_the_next_and_the_process_says_one_failed():
    """Two real nbgrader commands in one process: an autograde of no lesson (exit 1), then one that works."""
    proc = subprocess.run([sys.executable, "-m", "autograder.nbgrader_steps", "autograde", THEN, "--version"],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    (first, _, _), (second, log, _) = nbgrader_steps.split(proc.stderr, 2, proc.returncode)
    assert proc.returncode == 1 and first == 1 and second == 0
    assert "nbgrader version" in log and proc.stdout == "", "one ordered stream: standard error"
