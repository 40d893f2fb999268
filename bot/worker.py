"""The loop every background worker runs: do a step, and when there was nothing to do, wait to be woken."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

__all__ = ["work_until_cancelled"]

log = logging.getLogger(__name__)

# While a worker's rounds fail the same way, how often a line says so (the first failure has its traceback).
REPEAT_SECONDS = 60.0


async def work_until_cancelled(step: Callable[[], Awaitable[int]], wake: asyncio.Event, poll: float, name: str) -> None:
    """Run `step` again at once while it finds work; otherwise wait for `wake` or `poll` seconds.

    A failed round is logged with its traceback the first time; while the rounds go on failing the same way (the
    database away for minutes) one line a minute says so, and the round that works again says after how many."""
    failing = 0  # rounds failed in a row
    said_at = 0.0  # when the latest line about them was written (the loop's clock)
    said: tuple[type[BaseException], str] | None = None  # the failure that line was about
    loop = asyncio.get_running_loop()
    while True:
        try:
            handled = await step()
        except Exception as exc:  # a worker must outlive one bad round
            failing += 1
            now, this = loop.time(), (type(exc), str(exc))
            if this != said:
                log.exception("%s failed", name)
                said, said_at = this, now
            elif now - said_at >= REPEAT_SECONDS:
                log.error("%s failed again, %d rounds in a row: %r", name, failing, exc)
                said_at = now
            handled = 0
        else:
            if failing:
                log.warning("%s works again after %d failed round(s)", name, failing)
                failing, said = 0, None
        if handled == 0:
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for swallows a cancellation that arrives as the
            # event is set, and the worker would run on, holding up the shutdown that cancelled it.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(poll):
                    await wake.wait()
            wake.clear()
