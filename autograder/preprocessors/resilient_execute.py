"""ResilientExecute: nbgrader's executor for grading strangers' notebooks (runs in ``nbgrader autograde``).

1. **The kernel runs in the sandbox** (:mod:`autograder.sandbox`): the
   executor asks for ZeroMQ's ``ipc`` transport, with the connection file and
   the sockets in a fresh folder of their own, which the kernel launcher
   (:mod:`autograder.sandbox_kernel`) binds into the sandbox and nothing else
   sees. ``BACKPROP_SANDBOX=0`` (the instructor's explicit choice) keeps TCP
   and an unconfined kernel.

   **Started ahead, never shared.** As soon as a notebook's kernel answers,
   the next notebook's kernel is started beside it (one spare per nbgrader
   process), so its start-up overlaps this notebook's cells instead of
   following them. The spare is an ordinary sandboxed kernel: its own
   launcher, uid, sockets and tmpfs, nothing run in it before the next
   notebook's first cell (the sandbox's folder and environment do not depend
   on the notebook, so nothing tells it from one started on demand), used for
   exactly one notebook and killed after it. Without the sandbox (whose plain
   kernel starts in the notebook's own folder) or with
   ``BACKPROP_WARM_KERNEL=0`` every kernel is started on demand. Kernels are
   managed by :class:`autograder.quick_kernel.QuickKernelManager`: ready and
   stopped without jupyter_client's fixed pauses (0.3 s a notebook).
2. **A dying kernel** (``os._exit``, a signal, the memory limit) costs the
   cell that killed it: the death is recorded in that cell, the kernel
   restarts, the cells before it are replayed silently, and grading goes on.
   If it dies again while replaying, the remaining cells are not run.
3. **Time and output are budgeted**: each cell has the cell limit
   (``timeout``), the whole notebook ``notebook_budget`` seconds (later cells
   are not run once it is spent), and the output the grader keeps from one
   notebook is capped (``output_budget`` bytes), so a flood of prints cannot
   grow the grader's memory.
4. **The grader alone decides every score.** After the last cell, while the
   kernel is up, every hidden test is judged again in this process
   (:func:`autograder.verify.verify_notebook`), with inputs drawn from the
   course secret, and every graded cell's outputs are rewritten to say that
   verdict (:func:`autograder.verify.apply_verdicts`). Whatever fails while
   judging (a kernel that died for good, a verifier error, the grader's
   time for its calls running out) scores 0 with a reason, never "what the
   kernel printed".
"""
from __future__ import annotations

import ast
import atexit
import copy
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

from jupyter_core.utils import run_sync
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError
from nbformat import NotebookNode
from nbgrader.preprocessors import Execute
from traitlets import Integer, default

from .. import sandbox
from ..quick_kernel import QuickKernelManager
from ..secret import course_secret
from ..verify import apply_verdicts, verify_notebook

#: Longest answer to one call of a student's function the grader reads (characters of JSON).
MAX_REPLY_CHARS = 64 * 2**20

DIED = ("the kernel died while running this cell (it was killed, ran out of memory, or called exit); "
        "the kernel was restarted and grading went on")


def death_output(reason: str = DIED) -> NotebookNode:
    """The error output recorded in a cell whose kernel died (or that was not run)."""
    return NotebookNode(output_type="error", ename="DeadKernelError", evalue=reason,
                        traceback=[f"DeadKernelError: {reason}"])


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


#: The kernel started ahead for this process's next notebook: ``(kernel name, manager, its socket folder)``.
_spare: tuple | None = None


def _kill(km, root: Path | None) -> None:
    """Kill a kernel that is no longer wanted and remove its socket folder (never raises)."""
    try:
        if run_sync(km.is_alive)():
            run_sync(km.shutdown_kernel)(now=True)
        run_sync(km.cleanup_resources)()
    except Exception:  # noqa: BLE001 - a kernel that is already gone is what was wanted
        pass
    if root is not None:
        shutil.rmtree(root, ignore_errors=True)


def _discard_spare() -> None:
    """At exit: the spare nobody took is killed (its launcher would die with this process anyway)."""
    global _spare
    if _spare is not None:
        _, km, root = _spare
        _spare = None
        _kill(km, root)


atexit.register(_discard_spare)


def warm_pool_enabled() -> bool:
    """Whether kernels are started ahead: only sandboxed ones (see the module docstring)."""
    return not sandbox.unsafe_allowed() and os.environ.get("BACKPROP_WARM_KERNEL", "1") != "0"


class ResilientExecute(Execute):
    """``Execute`` in the sandbox, surviving dead kernels, budgeted, judged by the grader (module docstring)."""

    notebook_budget = Integer(help="seconds all the cells of one notebook may take together").tag(config=True)
    verify_call_timeout = Integer(help="seconds one call of a student's function by the grader may take").tag(
        config=True)
    verify_budget = Integer(help="seconds the grader's calls of one notebook may take together").tag(config=True)
    output_budget = Integer(help="bytes of output kept from one notebook").tag(config=True)

    @default("notebook_budget")
    def _notebook_budget_default(self) -> int:
        return _env_int("BACKPROP_NOTEBOOK_BUDGET", max(120, 6 * (self.timeout or 20)))

    @default("verify_call_timeout")
    def _verify_call_timeout_default(self) -> int:
        return _env_int("BACKPROP_VERIFY_TIMEOUT", max(60, 3 * (self.timeout or 20)))

    @default("verify_budget")
    def _verify_budget_default(self) -> int:
        return _env_int("BACKPROP_VERIFY_BUDGET", 300)

    @default("shutdown_kernel")
    def _shutdown_kernel_default(self) -> str:
        # a graded kernel is thrown away: killed at once (its sandbox dies with it, --die-with-parent) rather than
        # asked to shut down and polled for up to seconds (measured: 1 to 3 s per notebook under load)
        return "immediate"

    @default("output_budget")
    def _output_budget_default(self) -> int:
        return _env_int("BACKPROP_OUTPUT_BYTES", 4 * 2**20)

    _broken = False
    _judging = False

    def __init__(self, *args, **kwargs):
        # ready and stopped without jupyter_client's fixed pauses (0.3 s a notebook): autograder/quick_kernel.py
        # (nbgrader's Execute passes its own default the same way, so a trait default would not be used)
        kwargs.setdefault("kernel_manager_class", QuickKernelManager)
        super().__init__(*args, **kwargs)

    # -- the kernel, in the sandbox
    def _sandboxed_manager(self):
        """A new kernel manager for a sandboxed kernel, with a socket folder of its own: ``(manager, folder)``."""
        km = self.kernel_manager_class(kernel_name=self.kernel_name, config=self.config)
        # a folder of its own for the sockets: the launcher binds it into this kernel's sandbox only
        root = Path(tempfile.mkdtemp(prefix="bpk-"))
        root.chmod(0o711)  # the sandbox uid must pass through to its ipc/ folder
        ipc = root / "ipc"
        ipc.mkdir(mode=0o700)
        km.transport = "ipc"
        km.connection_file = str(ipc / "kernel.json")
        km.ip = str(ipc / "k")
        return km, root

    def create_kernel_manager(self):
        global _spare
        if sandbox.unsafe_allowed() or not self.kernel_name:
            return super().create_kernel_manager()
        spare, _spare = _spare, None
        if spare is not None:
            name, km, root = spare
            if name == self.kernel_name and run_sync(km.is_alive)():
                self.km, self._ipc_root = km, root  # already started: setup_kernel only waits for it to answer
                return km
            _kill(km, root)
        self.km, self._ipc_root = self._sandboxed_manager()
        return self.km

    def _start_spare(self) -> None:
        """Start the next notebook's kernel now, while this one runs (see the module docstring)."""
        global _spare
        if _spare is not None or not warm_pool_enabled() or not self.kernel_name:
            return
        km, root = self._sandboxed_manager()
        try:
            run_sync(km.start_kernel)(extra_arguments=list(self.extra_arguments))
        except Exception as exc:  # noqa: BLE001 - no spare: the next kernel starts on demand, as before
            self.log.warning("could not start a kernel ahead: %s", exc)
            _kill(km, root)
            return
        _spare = (self.kernel_name, km, root)

    def _cleanup_ipc(self) -> None:
        root = getattr(self, "_ipc_root", None)
        if root is not None:
            shutil.rmtree(root, ignore_errors=True)
            self._ipc_root = None

    # -- budgets
    def _remaining(self) -> float:
        return self.notebook_budget - (time.monotonic() - self._started)

    def _get_timeout(self, cell):
        timeout = super()._get_timeout(cell)
        if self._judging:  # the grader's own calls have their own limits (_evaluate)
            return timeout
        remaining = max(1, int(self._remaining()))
        return remaining if timeout is None else min(timeout, remaining)

    def process_message(self, msg, cell, cell_index):
        if msg["msg_type"] in ("stream", "display_data", "execute_result", "update_display_data", "error") or \
                msg["msg_type"].startswith("comm"):
            self._output_bytes += len(json.dumps(msg.get("content", {}), default=str))
            if self._output_bytes > self.output_budget:
                if not self._output_noted:
                    self._output_noted = True
                    cell.outputs.append(NotebookNode(
                        output_type="stream", name="stdout",
                        text=f"\n[output cut: this notebook printed more than {self.output_budget} bytes]\n"))
                return None
        return super().process_message(msg, cell, cell_index)

    # -- cells
    def preprocess_cell(self, cell: NotebookNode, resources: dict, index: int):
        if cell.cell_type != "code":
            return cell, resources
        if self._broken:
            cell.outputs = [death_output("not run: the kernel could not be restarted after it died")]
            return cell, resources
        if self._remaining() <= 0:
            cell.outputs = [death_output(f"not run: the notebook used its whole time budget "
                                         f"({self.notebook_budget} s for all its cells)")]
            return cell, resources
        try:
            return super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            cell.outputs = list(cell.get("outputs", [])) + [death_output()]
            try:
                self._restart_and_replay(index)
            except Exception:  # noqa: BLE001 - dead again, or will not start: the rest is not run
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
        """Run every cell (as nbconvert does), then let the grader judge every graded cell."""
        NotebookClient.__init__(self, nb, km)
        self.reset_execution_trackers()
        self._check_assign_resources(resources)
        self._started, self._output_bytes, self._output_noted = time.monotonic(), 0, False
        laps = [("start", time.perf_counter())]
        try:
            with self.setup_kernel():
                info = self.wait_for_reply(self.kc.kernel_info())
                laps.append(("kernel start", time.perf_counter()))
                self._start_spare()
                self.nb.metadata["language_info"] = info["content"]["language_info"]
                for index, cell in enumerate(self.nb.cells):
                    self.preprocess_cell(cell, resources, index)
                laps.append(("cells", time.perf_counter()))
                verdicts, fault = self._judge(resources or {})
                laps.append(("verify", time.perf_counter()))
        finally:
            self._cleanup_ipc()
        laps.append(("kernel stop", time.perf_counter()))
        apply_verdicts(self.nb.cells, verdicts, fault)
        self.set_widgets_metadata()
        # one line per notebook, read by benchmarks/bench_grading.py (where a grading minute goes)
        self.log.info("timing: " + ", ".join(f"{name} {t - laps[i][1]:.3f}" for i, (name, t) in enumerate(laps[1:]))
                      + f" (verify calls {getattr(self, '_calls', 0)}, waiting for the kernel "
                        f"{getattr(self, '_in_kernel', 0.0):.3f} s)")
        return self.nb, self.resources

    # -- the grader's own judgement
    def _evaluate(self, expression: str) -> str:
        """The value of ``expression`` in the kernel, as a string (raises on error or when time is up)."""
        budget_left = self.verify_budget - (time.monotonic() - self._verify_started)
        if budget_left <= 0:
            raise TimeoutError(f"the grader's {self.verify_budget} s for judging this notebook are spent")
        limit = max(1, int(min(self.verify_call_timeout, budget_left)))
        self._calls += 1
        sent = time.perf_counter()
        msg_id = self.kc.execute("", silent=True, store_history=False, user_expressions={"v": expression})
        saved, self.timeout = self.timeout, limit
        try:
            reply = self.wait_for_reply(msg_id)
        finally:
            self.timeout = saved
            self._in_kernel += time.perf_counter() - sent
        if reply is None:
            run_sync(self.km.interrupt_kernel)()
            raise TimeoutError(f"no answer within {limit} s (the kernel was interrupted)")
        result = reply["content"].get("user_expressions", {}).get("v", {})
        if result.get("status") != "ok":
            raise RuntimeError(f"{result.get('ename', 'error')}: {result.get('evalue', 'no answer from the kernel')}")
        text = result["data"]["text/plain"]
        if len(text) > MAX_REPLY_CHARS:
            raise RuntimeError(f"the answer was {len(text)} characters long; at most {MAX_REPLY_CHARS} are read")
        return ast.literal_eval(text)

    def _judge(self, resources: dict) -> tuple[list, str | None]:
        """``(verdicts, fault)``: the grader's verdicts, or why it could not judge at all (then every cell fails)."""
        if self._broken:
            return [], ("the kernel died and could not be restarted, so the grader could not run your "
                        "functions: this exercise scores 0")
        lesson = resources.get("nbgrader", {}).get("assignment", "")
        cwd = Path(resources.get("metadata", {}).get("path") or ".").resolve()
        self._verify_started, self._judging, self._calls, self._in_kernel = time.monotonic(), True, 0, 0.0
        try:
            return verify_notebook(self.nb.cells, lesson, self._evaluate, cwd, course_secret()), None
        except Exception as exc:  # noqa: BLE001 - fail closed: no verdict is a failed exercise, with the reason
            self.log.error("judging %s failed: %s: %s", cwd, type(exc).__name__, exc)
            return [], f"the grader could not judge this notebook ({type(exc).__name__}: {str(exc)[:200]}): it scores 0"
        finally:
            self._judging = False
