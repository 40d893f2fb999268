"""The loop every background worker runs: do a step, and when there was nothing to do, wait to be woken."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

__all__ = ["work_until_cancelled"]

log = logging.getLogger(__name__)


async def work_until_cancelled(step: Callable[[], Awaitable[int]], wake: asyncio.Event, poll: float, name: str) -> None:
    """Run `step` again at once while it finds work; otherwise wait for `wake` or `poll` seconds."""
    while True:
        try:
            handled = await step()
        except Exception:  # a worker must outlive one bad round; the error is logged with its traceback
            log.exception("%s failed", name)
            handled = 0
        if handled == 0:
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for swallows a cancellation that arrives as the
            # event is set, and the worker would run on, holding up the shutdown that cancelled it.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(poll):
                    await wake.wait()
            wake.clear()
