"""A background worker stops when it is cancelled, whatever it was doing: also in the very moment it is woken
(on Python 3.11 `asyncio.wait_for` swallows a cancellation that arrives as what it waits for is done, and a
worker waiting that way ran on and held `keephome run`'s shutdown for good)."""

from __future__ import annotations

import asyncio

import pytest

from bot import worker
from bot.worker import work_until_cancelled


async def _stopped(task: asyncio.Task[None]) -> bool:
    done, _ = await asyncio.wait({task}, timeout=10)
    return bool(done) and task.cancelled()


@pytest.mark.parametrize("woken", [False, True])
async def test_a_waiting_worker_stops_when_cancelled_even_as_it_is_woken(woken: bool) -> None:
    rounds = 0

    async def step() -> int:
        nonlocal rounds
        rounds += 1
        return 0  # nothing to do: the worker waits to be woken

    wake = asyncio.Event()
    task = asyncio.create_task(work_until_cancelled(step, wake, 60.0, "test worker"))
    for _ in range(10):
        await asyncio.sleep(0)  # it runs a round and waits
    assert rounds == 1
    if woken:
        wake.set()
    task.cancel()
    assert await _stopped(task)
    if not task.done():
        task.cancel()


async def test_rounds_failing_the_same_way_log_one_traceback_and_the_round_that_works_says_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The database away for minutes: every round of every worker logged a traceback of some hundred lines. The first
    failure has its traceback, a failure of another kind has its own, and the round that works says after how many."""
    failures = [ConnectionRefusedError("connection refused")] * 5 + [TimeoutError("no answer")] * 3
    rounds = 0
    done = asyncio.Event()

    async def step() -> int:
        nonlocal rounds
        rounds += 1
        if failures:
            raise failures.pop(0)
        done.set()
        return 0

    caplog.set_level("INFO", logger="bot.worker")
    task = asyncio.create_task(work_until_cancelled(step, asyncio.Event(), 0.001, "test worker"))
    await asyncio.wait_for(done.wait(), timeout=10)
    task.cancel()
    assert await _stopped(task)
    lines = [(r.levelname, r.getMessage(), r.exc_info is not None) for r in caplog.records if r.name == "bot.worker"]
    assert lines == [
        ("ERROR", "test worker failed", True),
        ("ERROR", "test worker failed", True),
        ("WARNING", "test worker works again after 8 failed round(s)", False),
    ]
    assert rounds == 9


async def test_rounds_still_failing_are_said_again_once_a_while(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(worker, "REPEAT_SECONDS", 0.0)  # every repeat is "a while" after the last line
    failures = [ConnectionRefusedError("connection refused")] * 3
    done = asyncio.Event()

    async def step() -> int:
        if failures:
            raise failures.pop(0)
        done.set()
        return 0

    caplog.set_level("INFO", logger="bot.worker")
    task = asyncio.create_task(work_until_cancelled(step, asyncio.Event(), 0.001, "test worker"))
    await asyncio.wait_for(done.wait(), timeout=10)
    task.cancel()
    assert await _stopped(task)
    messages = [r.getMessage() for r in caplog.records if r.name == "bot.worker"]
    assert messages == [
        "test worker failed",
        "test worker failed again, 2 rounds in a row: ConnectionRefusedError('connection refused')",
        "test worker failed again, 3 rounds in a row: ConnectionRefusedError('connection refused')",
        "test worker works again after 3 failed round(s)",
    ]
