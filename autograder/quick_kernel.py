"""A kernel manager and client that start and stop a kernel without jupyter_client's fixed pauses.

jupyter_client waits on purpose, and the waits add up when a grader runs one
kernel per notebook (measured per notebook here, jupyter_client 8.10):

* **ready**: after the kernel's ``kernel_info`` reply, the client "flushes"
  IOPub by reading it until no message has come for 0.2 s, so every kernel
  costs 0.2 s of nothing, however long ago it started;
* **stopped**: after killing the kernel, the manager checks every 0.1 s
  whether the process has gone; it has, a few milliseconds after the signal,
  so nearly every notebook waits 0.1 s more.

While grading, those 0.3 s a notebook leave a core idle (neither the grader
nor a kernel runs), about 7% of a notebook's time; with two grading workers,
no other work fills that core.

:class:`QuickKernelClient` is ready when IOPub has brought the kernel's
``idle`` status for its own ``kernel_info`` request: the kernel publishes it
after the reply, so IOPub is connected and everything before it has been
read, which is what the flush was for, known at once instead of after a
silence. A lost status (IOPub still connecting when it was sent) is
waited for as long as the flush waited (0.2 s), then asked for again, as
jupyter_client does. :class:`QuickKernelManager` polls a dying kernel at
1 ms, doubling up to jupyter_client's 0.1 s, so a kernel that takes long to
stop costs no more CPU than before.
"""
from __future__ import annotations

import asyncio
import time
from queue import Empty
from typing import Callable

from jupyter_client import AsyncKernelManager
from jupyter_client.asynchronous import AsyncKernelClient
from traitlets import DottedObjectName, Type

#: How long a reply or a status is waited for before asking again: jupyter_client's own waits.
REPLY_WAIT, STATUS_WAIT = 1.0, 0.2
#: The first and longest pause between two checks whether a killed kernel has gone.
FIRST_POLL, LAST_POLL = 0.001, 0.1


class QuickKernelClient(AsyncKernelClient):
    """An ``AsyncKernelClient`` whose ``wait_for_ready`` ends as soon as the kernel's IOPub is drained."""

    async def _async_wait_for_ready(self, timeout: float | None = None) -> None:
        deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
        while True:
            msg_id = self.kernel_info()
            reply = await self._kernel_info_reply(msg_id)
            if reply is not None and await self._idle_after(msg_id):
                self._handle_kernel_info_reply(reply)
                return
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                # jupyter_client's words: autograder.nbgrader_log tells the grading machinery's failures by them
                raise RuntimeError("Kernel didn't respond in %d seconds" % timeout)

    wait_for_ready = _async_wait_for_ready  # AsyncKernelClient binds the name to its parent's method

    async def _kernel_info_reply(self, msg_id: str) -> dict | None:
        """The reply to ``msg_id`` on the shell channel, or None after :data:`REPLY_WAIT` s without one."""
        return await _first(self.shell_channel, REPLY_WAIT, lambda msg: msg["msg_type"] == "kernel_info_reply"
                            and msg["parent_header"].get("msg_id") == msg_id)

    async def _idle_after(self, msg_id: str) -> bool:
        """Read IOPub up to the kernel's ``idle`` status for ``msg_id``; False if it did not come in time."""
        return await _first(self.iopub_channel, STATUS_WAIT, lambda msg: msg["msg_type"] == "status"
                            and msg["content"].get("execution_state") == "idle"
                            and msg["parent_header"].get("msg_id") == msg_id) is not None


async def _first(channel, seconds: float, wanted: Callable[[dict], bool]) -> dict | None:
    """The first message read from ``channel`` that is ``wanted`` (those before it are dropped), within ``seconds``."""
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        try:
            msg = await channel.get_msg(timeout=left)
        except Empty:
            return None
        if wanted(msg):
            return msg
    return None


class QuickKernelManager(AsyncKernelManager):
    """An ``AsyncKernelManager`` with :class:`QuickKernelClient` clients that sees a killed kernel go at once."""

    client_class = DottedObjectName("autograder.quick_kernel.QuickKernelClient")
    client_factory = Type(QuickKernelClient, klass=AsyncKernelClient)

    async def _async_wait(self, pollinterval: float = LAST_POLL) -> None:
        pause = FIRST_POLL
        while await self._async_is_alive():
            await asyncio.sleep(pause)
            pause = min(2 * pause, pollinterval)
