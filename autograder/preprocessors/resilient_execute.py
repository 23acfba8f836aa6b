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

After the last cell, while the kernel is still up, the hidden tests of the
lesson's verifiable exercises run again in this (the grader's) process
(:mod:`autograder.verify`); a test that fails there fails its cell, whatever
the kernel printed.
"""
from __future__ import annotations

import ast
import copy
from pathlib import Path

from jupyter_core.utils import run_sync
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError
from nbformat import NotebookNode
from nbgrader.preprocessors import Execute

from ..verify import fail_cell, verify_notebook

#: A call made while verifying may take this many times the cell time limit (at least 60 s).
VERIFY_TIMEOUT_FACTOR = 3

#: Longest answer to one call of a student's function the grader reads (characters of JSON).
MAX_REPLY_CHARS = 64 * 2**20

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

    def preprocess(self, nb: NotebookNode, resources: dict | None = None, km=None):
        """Run every cell (as nbconvert does), then verify hidden tests outside the kernel."""
        NotebookClient.__init__(self, nb, km)
        self.reset_execution_trackers()
        self._check_assign_resources(resources)
        with self.setup_kernel():
            info = self.wait_for_reply(self.kc.kernel_info())
            self.nb.metadata["language_info"] = info["content"]["language_info"]
            for index, cell in enumerate(self.nb.cells):
                self.preprocess_cell(cell, resources, index)
            if not self._broken:
                self._verify_outside(resources or {})
        self.set_widgets_metadata()
        return self.nb, self.resources

    def _evaluate(self, expression: str) -> str:
        """The value of ``expression`` in the kernel, as a string (raises on error or timeout)."""
        msg_id = self.kc.execute("", silent=True, store_history=False, user_expressions={"v": expression})
        reply = self.wait_for_reply(msg_id)
        if reply is None:
            raise TimeoutError(f"no answer within {self.timeout} s (the kernel was interrupted)")
        result = reply["content"].get("user_expressions", {}).get("v", {})
        if result.get("status") != "ok":
            raise RuntimeError(f"{result.get('ename', 'error')}: {result.get('evalue', 'no answer from the kernel')}")
        text = result["data"]["text/plain"]
        if len(text) > MAX_REPLY_CHARS:
            raise RuntimeError(f"the answer was {len(text)} characters long; at most {MAX_REPLY_CHARS} are read")
        return ast.literal_eval(text)

    def _verify_outside(self, resources: dict) -> None:
        """Fail every test cell whose hidden checks fail when judged outside the kernel."""
        lesson = resources.get("nbgrader", {}).get("assignment", "")
        cwd = Path(resources.get("metadata", {}).get("path") or ".").resolve()
        # a call the kernel's own run finished in time may take longer here, on a loaded machine
        # (parallel grading): time is the grader's problem, so it gets more of it
        saved, self.timeout = self.timeout, max(VERIFY_TIMEOUT_FACTOR * (self.timeout or 0), 60)
        try:
            verdicts = verify_notebook(self.nb.cells, lesson, self._evaluate, cwd)
        except Exception as exc:  # noqa: BLE001 - a verifier fault must not cost the student: log, keep the kernel's verdict
            self.log.error("out-of-kernel verification of %s failed: %s", cwd, exc)
            return
        finally:
            self.timeout = saved
        cells = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in self.nb.cells}
        for v in verdicts:
            if v.passed is None:
                self.log.warning("%s %s: %s", cwd, v.task, v.message)
            elif not v.passed:
                text = v.message if v.by == "source" else (
                    f"the grader's own run of the hidden tests disagrees with what your notebook printed:\n"
                    f"{v.message}")
                fail_cell(cells[v.test_id], text, [f"CheckFailed: {text}"])
