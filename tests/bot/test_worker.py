"""A background worker stops when it is cancelled, whatever it was doing: also in the very moment it is woken
(on Python 3.11 `asyncio.wait_for` swallows a cancellation that arrives as what it waits for is done, and a
worker waiting that way ran on and held `keephome run`'s shutdown for good)."""

from __future__ import annotations

import asyncio

import pytest

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
