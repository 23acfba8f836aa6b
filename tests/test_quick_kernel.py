"""A kernel ready and gone without jupyter_client's fixed pauses: is it still a kernel one can trust?"""
from __future__ import annotations

import asyncio
import contextlib
import os
import signal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograder import quick_kernel
from autograder.nbgrader_log import INFRASTRUCTURE
from autograder.preprocessors import ResilientExecute
from autograder.quick_kernel import FIRST_POLL, LAST_POLL, QuickKernelClient, QuickKernelManager


async def _started() -> QuickKernelManager:
    km = QuickKernelManager(kernel_name="python3")
    await km.start_kernel(extra_arguments=["--HistoryManager.hist_file=:memory:"])
    return km


@contextlib.asynccontextmanager
async def _client(km: QuickKernelManager):
    """A client of ``km``'s kernel, its channels open; the kernel is killed after."""
    kc = km.client()
    kc.start_channels()
    try:
        yield kc
    finally:
        kc.stop_channels()
        await km.shutdown_kernel(now=True)


async def _ready_then_run(code: str) -> list[dict]:
    """Start a kernel, wait until it is ready, run ``code``: every IOPub message read after ready."""
    async with _client(await _started()) as kc:
        await kc.wait_for_ready(timeout=60)
        msg_id = kc.execute(code)
        messages = []
        while True:
            msg = await kc.get_iopub_msg(timeout=30)
            messages.append(msg)
            if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle" \
                    and msg["parent_header"].get("msg_id") == msg_id:
                return messages


def test_the_grader_runs_every_notebook_on_the_quick_manager():
    assert ResilientExecute().kernel_manager_class is QuickKernelManager
    assert isinstance(QuickKernelManager().client(), QuickKernelClient)


def test_a_ready_kernel_has_left_nothing_of_the_handshake_on_iopub():
    """What jupyter_client's 0.2 s flush was for: the first thing read after ready belongs to the first request."""
    messages = asyncio.run(_ready_then_run("print(6 * 7)"))
    first = messages[0]
    assert first["msg_type"] == "status" and first["content"]["execution_state"] == "busy"
    assert {m["parent_header"]["msg_id"] for m in messages} == {messages[-1]["parent_header"]["msg_id"]}
    assert [m["content"]["text"] for m in messages if m["msg_type"] == "stream"] == ["42\n"]


def test_a_kernel_whose_status_went_missing_is_asked_again(monkeypatch):
    """IOPub still connecting when the kernel said idle: the status is lost, and the client asks once more."""
    missed = []
    real = QuickKernelClient._idle_after

    async def lose_the_first(self, msg_id):
        if not missed:
            missed.append(msg_id)
            return False
        return await real(self, msg_id)

    monkeypatch.setattr(QuickKernelClient, "_idle_after", lose_the_first)
    messages = asyncio.run(_ready_then_run("print('still here')"))
    assert missed and "still here\n" in [m["content"].get("text") for m in messages]


def test_a_kernel_that_died_before_answering_is_reported_not_waited_for():
    async def dead():
        km = await _started()
        os.kill(km.provisioner.process.pid, signal.SIGKILL)
        await km._async_wait()
        async with _client(km) as kc:
            await kc.wait_for_ready(timeout=60)

    with pytest.raises(RuntimeError, match="died before replying"):
        asyncio.run(dead())


@given(st.integers(min_value=0, max_value=40))
def test_a_killed_kernel_is_checked_soon_and_then_no_more_often_than_jupyter_client_does(polls_alive):
    """The pauses between checks start at 1 ms and double up to jupyter_client's 0.1 s, never beyond."""
    pauses: list[float] = []
    answers = iter([True] * polls_alive + [False])

    class Dying(QuickKernelManager):
        async def _async_is_alive(self) -> bool:
            return next(answers)

    async def recorded_sleep(seconds: float) -> None:
        pauses.append(seconds)

    real_sleep = quick_kernel.asyncio.sleep
    quick_kernel.asyncio.sleep = recorded_sleep
    try:
        asyncio.run(Dying()._async_wait())
    finally:
        quick_kernel.asyncio.sleep = real_sleep
    assert len(pauses) == polls_alive
    assert pauses == sorted(pauses) and all(FIRST_POLL <= p <= LAST_POLL for p in pauses)
    assert pauses[:1] in ([], [FIRST_POLL]) and (polls_alive < 10 or pauses[-1] == LAST_POLL)


def test_a_kernel_that_never_answers_is_the_grading_machinerys_failure_in_jupyter_clients_words(monkeypatch):
    """The grader tells its own failures from a student's by jupyter_client's messages (autograder.nbgrader_log)."""
    async def no_reply(self, msg_id):
        return None

    async def silent():
        async with _client(await _started()) as kc:
            await kc.wait_for_ready(timeout=0)

    monkeypatch.setattr(QuickKernelClient, "_kernel_info_reply", no_reply)
    with pytest.raises(RuntimeError) as raised:
        asyncio.run(silent())
    assert INFRASTRUCTURE.search(str(raised.value)), str(raised.value)
