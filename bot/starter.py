"""The lifecycle of a running keephome: start the runtime's services in order, stop them in reverse.

`Runtime` is only a bag of services; this is what `keephome run` and `keephome demo` (through the ASGI
lifespan) and the tests use to bring them up and down:

    async with running(rt):          # channels, inbox, processor, sender, poller, scheduler
        ...
    async with running(rt, background=False):   # channels only (tests drive the rest by hand)
        ...
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from sqlalchemy.exc import DBAPIError

from bot.channels.base import Channel
from bot.inbound.poller import start_polling
from bot.reminders.jobs import JobServices, start_scheduler, stop_scheduler
from bot.runtime import Runtime
from bot.store.flags import PAUSED, read_flag

__all__ = ["job_services", "load_pause_flag", "running"]

log = logging.getLogger(__name__)


def job_services(rt: Runtime) -> JobServices:
    """What the periodic jobs need of the runtime."""
    return JobServices(db=rt.db, settings=rt.settings, clock=rt.clock, wake_sender=rt.sender.wake)


async def load_pause_flag(rt: Runtime) -> bool:
    """Read the stored pause switch into the runtime; returns it."""
    async with rt.db.read() as conn:
        rt.pause_flag = await conn.run_sync(read_flag, PAUSED) == "1"
    return rt.pause_flag


async def _stop_channel(channel: Channel) -> None:
    # One channel failing to close must not keep the others (and the database) open.
    try:
        await channel.stop()
    except Exception:
        log.exception("closing channel %s failed", channel.name)


async def _start_background(rt: Runtime, stack: AsyncExitStack) -> None:
    await rt.inbox.start()
    stack.push_async_callback(rt.inbox.stop)
    await rt.processor.start()
    stack.push_async_callback(rt.processor.stop)
    # With several processes, one sender per deployment keeps the provider rates exact.
    if rt.settings.run_sender:
        await rt.sender.start()
        stack.push_async_callback(rt.sender.stop)
    poller = await start_polling(rt.settings, rt.inbox, rt.channels)
    if poller is not None:
        stack.push_async_callback(poller.stop)
    if rt.settings.run_scheduler:
        stack.push_async_callback(stop_scheduler, start_scheduler(job_services(rt)))


@asynccontextmanager
async def running(rt: Runtime, *, background: bool = True) -> AsyncIterator[Runtime]:
    """Run the runtime for the block: channels, then (with `background`) the inbox, the processor, the sender,
    the Telegram poller and the scheduler; on the way out each stops in reverse and the database closes last."""
    async with AsyncExitStack() as stack:
        stack.push_async_callback(rt.db.dispose)
        try:
            await load_pause_flag(rt)
        except DBAPIError:  # an unmigrated database: the switch is off until the schema exists
            log.warning("could not read the pause switch; it stays off")
        for channel in rt.channels.values():
            await channel.start()
            stack.push_async_callback(_stop_channel, channel)
        if background:
            await _start_background(rt, stack)
        yield rt
