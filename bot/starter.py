"""The lifecycle of a running keephome: start the runtime's services in order, stop them in reverse.

`Runtime` is only a bag of services; this is what `keephome run` and `keephome demo` (through the ASGI
lifespan) and the tests use to bring them up and down:

    async with running(rt):          # channels, inbox, processor (SQLite), then the roles: sender, poller, scheduler
        ...
    async with running(rt, background=False):   # channels only (tests drive the rest by hand)
        ...

The sender, the Telegram poller and the scheduler are roles (`bot.store.election`): on PostgreSQL one process
of the deployment holds each at a time and another takes over when it dies; on SQLite this process holds them.
On PostgreSQL the inbound processor runs with the sender role: the holder handles every process's messages.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from bot.channels.base import Channel
from bot.inbound.poller import polling_role
from bot.inbound.processor import SHARED_POLL_SECONDS
from bot.reminders.jobs import JobServices, SchedulerRole
from bot.runtime import Runtime
from bot.store.election import Election, Start, Stop, Tenure

__all__ = ["job_services", "running"]

log = logging.getLogger(__name__)


def job_services(rt: Runtime) -> JobServices:
    """What the periodic jobs need of the runtime."""
    return JobServices(db=rt.db, settings=rt.settings, clock=rt.clock, wake_sender=rt.sender.wake, metrics=rt.metrics)


async def _stop_channel(channel: Channel) -> None:
    # One channel failing to close must not keep the others (and the database) open.
    try:
        await channel.stop()
    except Exception:
        log.exception("closing channel %s failed", channel.name)


def _roles(rt: Runtime) -> list[tuple[str, Start, Stop]]:
    """The roles this process may hold, in the order they start: how to start and stop the work of each."""
    roles: list[tuple[str, Start, Stop]] = []
    # Only the sender's holder sends, so the provider rates stay exact with any number of processes.
    if rt.settings.run_sender and rt.db.is_sqlite:
        roles.append(("sender", rt.sender.start, rt.sender.stop))
    elif rt.settings.run_sender:
        # On PostgreSQL the holder handles every process's inbound messages too: one process's batches are as
        # large as the load lets them be, where each of N processes handled a small share in batches of its own,
        # and the answers wake its own sender (bench/README.md, 2026-12-03, 17:00).

        async def start_processing_and_sending(tenure: Tenure) -> None:
            await rt.processor.start(poll=SHARED_POLL_SECONDS)
            await rt.sender.start(tenure)

        async def stop_sending_and_processing() -> None:
            await rt.sender.stop()
            await rt.processor.stop()

        roles.append(("sender", start_processing_and_sending, stop_sending_and_processing))
    poller = polling_role(rt.settings, rt.inbox, rt.channels, rt.metrics)
    if poller is not None:

        async def start_poller(_tenure: object) -> None:
            await poller.start()

        roles.append(("poller", start_poller, poller.stop))
    if rt.settings.run_scheduler:
        scheduler = SchedulerRole(job_services(rt))
        roles.append(("scheduler", scheduler.start, scheduler.stop))
    return roles


async def _start_background(rt: Runtime, stack: AsyncExitStack) -> None:
    await rt.inbox.start()
    stack.push_async_callback(rt.inbox.stop)
    if rt.db.is_sqlite:  # one process; on PostgreSQL the processor runs with the sender role
        await rt.processor.start()
        stack.push_async_callback(rt.processor.stop)
    election = await stack.enter_async_context(
        Election(rt.db, interval=rt.settings.election_seconds, metrics=rt.metrics)
    )
    for role, start, stop in _roles(rt):
        await stack.enter_async_context(election.hold(role, start, stop))


@asynccontextmanager
async def running(rt: Runtime, *, background: bool = True) -> AsyncIterator[Runtime]:
    """Run the runtime for the block: channels, then (with `background`) the inbox, the processor and the roles
    this process holds (sender, Telegram poller, scheduler); on the way out each stops in reverse (a role also
    frees its lock for another process) and the database closes last."""
    async with AsyncExitStack() as stack:
        stack.push_async_callback(rt.db.dispose)
        for channel in rt.channels.values():
            await channel.start()
            stack.push_async_callback(_stop_channel, channel)
        if background:
            await _start_background(rt, stack)
        yield rt
