"""Can a student's name or printed text become a live spreadsheet formula in the grader's CSVs?"""
from __future__ import annotations

import csv
import io

from hypothesis import given, strategies as st

from autograder.csv_safe import TRIGGERS, neutral, restore, writer


@given(st.text())
def test_no_cell_starts_like_a_formula_and_the_text_comes_back_exactly(text):
    cell = neutral(text)
    assert not cell.startswith(TRIGGERS[:-1]) or cell == text  # only plain numbers keep a leading sign
    assert restore(cell) == text


def test_formulas_get_an_apostrophe_and_numbers_stay_numbers():
    assert neutral('=HYPERLINK("http://evil","click")') == '\'=HYPERLINK("http://evil","click")'
    assert neutral("@SUM(A1)") == "'@SUM(A1)"
    assert neutral("\tcmd") == "'\tcmd" and neutral("\rcmd") == "'\rcmd"
    assert neutral("-1.5") == "-1.5" and neutral("+2") == "+2" and neutral("3") == "3"
    assert neutral("-1+1") == "'-1+1"
    assert neutral("Smith, J [1234]") == "Smith, J [1234]"


@given(st.lists(st.text(), min_size=1, max_size=5))
def test_a_row_read_back_by_a_csv_reader_is_what_was_written(row):
    fh = io.StringIO()
    writer(fh).writerow(row)
    [read] = list(csv.reader(io.StringIO(fh.getvalue(), newline="")))
    assert [restore(c) for c in read] == row
    assert all(not c.startswith(("=", "@", "\t", "\r")) for c in read)
