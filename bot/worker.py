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
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), poll)
            wake.clear()
