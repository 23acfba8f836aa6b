"""ResilientExecute: nbgrader's executor, surviving a kernel that dies (runs in ``nbgrader autograde``).

nbgrader's ``Execute`` gives up on the whole notebook when the kernel dies
(``os._exit``, a signal, the out-of-memory killer): the student gets no grade
and nbgrader exits with an error. This executor instead

1. records the death as an error output of the cell that caused it, so that
   cell (if it is a test cell) scores 0 with a reason;
2. restarts the kernel and silently re-runs the cells before it (their
   outputs are kept from the first run), so the state is back;
3. goes on with the next cell.

If the kernel dies again while replaying, the remaining cells are left
unexecuted and each test among them reads "not run". Options are those of
``Execute`` (``timeout`` applies per cell, as before).
"""
from __future__ import annotations

import copy

from jupyter_core.utils import run_sync
from nbclient.exceptions import DeadKernelError
from nbformat import NotebookNode
from nbgrader.preprocessors import Execute

DIED = ("the kernel died while running this cell (it was killed, ran out of memory, or called exit); "
        "the kernel was restarted and grading went on")


def death_output(reason: str = DIED) -> NotebookNode:
    """The error output recorded in a cell whose kernel died."""
    return NotebookNode(output_type="error", ename="DeadKernelError", evalue=reason,
                        traceback=[f"DeadKernelError: {reason}"])


class ResilientExecute(Execute):
    """``Execute`` that restarts a dead kernel and carries on (see the module docstring)."""

    _broken = False

    def preprocess_cell(self, cell: NotebookNode, resources: dict, index: int):
        if self._broken:
            if cell.cell_type == "code":
                cell.outputs = [death_output("not run: the kernel could not be restarted after it died")]
            return cell, resources
        try:
            return super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            cell.outputs = list(cell.get("outputs", [])) + [death_output()]
            try:
                self._restart_and_replay(index)
            except DeadKernelError:
                self._broken = True
            return cell, resources

    def _restart_and_replay(self, index: int) -> None:
        self.log.warning("kernel died in cell %d: restarting and replaying the cells before it", index)
        run_sync(self.km._async_restart_kernel)(now=True)
        run_sync(self.kc._async_wait_for_ready)(timeout=self.startup_timeout)
        for i, earlier in enumerate(self.nb.cells[:index]):
            if earlier.cell_type == "code":
                self.execute_cell(copy.deepcopy(earlier), i, store_history=False)
