"""Is every student graded under an id nbgrader accepts, and shown everywhere under their own name?"""
from __future__ import annotations

from hypothesis import given, strategies as st

from autograder.students import StudentIds, derived_id, is_safe


def test_plain_names_are_their_own_ids():
    ids = StudentIds.assign(["correct", "ann.lee", "bob_2", "m01-combined-1"])
    assert all(ids.id(n) == n for n in ids.by_name)


def test_glob_and_odd_names_get_safe_ids_that_say_who_they_are():
    ids = StudentIds.assign(["*", "Smith, J [1234]", "=HYPERLINK(\"x\")", ".hidden", "-rf"])
    for name in ids.by_name:
        assert is_safe(ids.id(name)) and ids.id(name) != name
        assert ids.name(ids.id(name)) == name
    assert ids.id("Smith, J [1234]").startswith("s-smith-j-1234-")


def test_an_id_is_the_same_on_every_run():
    assert StudentIds.assign(["*", "a"]).id("*") == StudentIds.assign(["zz", "*"]).id("*") == derived_id("*")


def test_a_real_name_that_looks_like_a_derived_id_does_not_take_another_students_place():
    ids = StudentIds.assign([derived_id("*"), "*"])
    assert ids.id("*") != derived_id("*") and len(set(ids.by_name.values())) == 2


@given(st.lists(st.text(min_size=1, max_size=30), unique=True, max_size=12))
def test_any_names_map_to_distinct_safe_ids_and_back(names):
    ids = StudentIds.assign(names)
    assert len({ids.id(n) for n in names}) == len(names)
    assert all(is_safe(ids.id(n)) and ids.name(ids.id(n)) == n for n in names)


def test_the_map_survives_a_save_and_load(tmp_path):
    ids = StudentIds.assign(["*", "Smith, J [1234]", "lone \udcff byte"])
    ids.save(tmp_path / "students.json")
    assert StudentIds.load(tmp_path / "students.json") == ids
    assert StudentIds.load(tmp_path / "missing.json").name("x") == "x"
