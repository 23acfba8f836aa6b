"""Can a lesson be written as text and turned into an nbgrader notebook and back?"""
from __future__ import annotations

import nbformat

from autograder.percent import to_notebook, to_text
from autograder.layout import SOLUTIONS, lessons, notebook_name

TEXT = """# %% [markdown]
# # Title
# Some *prose*.

# %%
import numpy as np

# %% [solution] id=square
def square(x):
    ### BEGIN SOLUTION
    return x * x
    ### END SOLUTION

# %% [tests] id=test_square points=2
assert square(3) == 9

# %% [scratch]
square(2)
"""


def test_cells_get_the_nbgrader_metadata_of_their_kind():
    nb = to_notebook(TEXT)
    kinds = [(c.cell_type, c.metadata.get("nbgrader", {})) for c in nb.cells]
    assert kinds[0][0] == "markdown" and kinds[0][1]["locked"]
    assert kinds[1][1]["locked"] and not kinds[1][1]["solution"]
    assert kinds[2][1] == {"grade": False, "grade_id": "square", "locked": False,
                           "schema_version": 3, "solution": True, "task": False}
    assert kinds[3][1]["grade"] and kinds[3][1]["points"] == 2.0 and kinds[3][1]["locked"]
    assert kinds[4][1] == {}
    assert nb.cells[0].source == "# Title\nSome *prose*."
    nbformat.validate(nb)


def test_text_round_trips_through_a_notebook():
    assert to_notebook(to_text(to_notebook(TEXT))) == to_notebook(TEXT)


def test_every_lesson_round_trips():
    for lesson in lessons():
        nb = nbformat.read(SOLUTIONS / lesson / notebook_name(lesson), as_version=4)
        again = to_notebook(to_text(nb))
        assert [(c.cell_type, c.source, c.metadata.get("nbgrader")) for c in again.cells] == \
               [(c.cell_type, c.source, c.metadata.get("nbgrader")) for c in nb.cells]
