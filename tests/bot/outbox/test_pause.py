"""A pause and a resume that hold everywhere, and nothing proactive after a STOP: the sender looks again right
before each proactive send that waited for its turn, reading the stored switch and the tenant's status."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import select, update

from bot.app import create_app
from bot.channels.base import OutgoingMessage, SendResult
from bot.inbound.inbox import InboundMessage
from bot.metrics import Metrics
from bot.outbox.ratelimit import RateLimiter
from bot.outbox.sender import FRESH_SECONDS, Sender
from bot.reminders.recheck import SendWindow
from bot.runtime import Clock, Runtime
from bot.store.db import utcnow
from bot.store.flags import PAUSED, write_flag
from bot.store.schema import outbox
from tests.bot.outbox.campaign import queue_campaign
from tests.bot.store.test_election import held, until
from tests.conftest import make_settings, started_runtime
from tests.support.console import add_person, login, post_form
from tests.support.drive import FailingSandbox, process_all
from tests.support.helpers import add_tenant, queue_question

MORNING = datetime(2026, 3, 3, 10, 0, tzinfo=ZoneInfo("Europe/Copenhagen"))


def _morning() -> Clock:
    return Clock(MORNING.astimezone(UTC) - utcnow())


class TurnGate(RateLimiter):
    """A rate limiter that gives the first turn at once and holds the next until the test opens the gate."""

    def __init__(self) -> None:
        super().__init__(1e6)
        self.turns = 0
        self.waiting = asyncio.Event()
        self.opened = asyncio.Event()

    async def acquire(self, key: str | None = None, *, urgent: bool = False) -> float:
        self.turns += 1
        if self.turns > 1:
            self.waiting.set()
            await self.opened.wait()
        return 0.0


async def _proactive(rt: Runtime, tenant_id: int, key: str) -> int:
    return await queue_question(rt.db, rt.clock(), tenant_id, key)


async def _row(rt: Runtime, outbox_id: int) -> tuple[str, str | None, int]:
    async with rt.db.read() as conn:
        row = (await conn.execute(select(outbox).where(outbox.c.id == outbox_id))).one()
    return row.state, row.last_error, row.attempts


def _gated_sender(rt: Runtime, sms: FailingSandbox, gate: TurnGate) -> Sender:
    lease = timedelta(seconds=rt.settings.lease_seconds)
    window = SendWindow(rt.settings)
    rates = {"sms": gate}
    return Sender(rt.db, {"sms": sms}, rt.renderer, rt.clock, Metrics(), rates=rates, lease=lease, window=window)


async def _second_row_waits(sender: Sender, gate: TurnGate) -> asyncio.Task[int]:
    """Claim both rows; the first goes at once, the second waits for its turn (longer than a fresh claim)."""
    drain = asyncio.create_task(sender.drain_once())
    await asyncio.wait_for(gate.waiting.wait(), 5)
    await asyncio.sleep(FRESH_SECONDS * 2)
    return drain


async def test_a_row_claimed_just_before_a_stop_does_not_go_out_after_it(database_url: str) -> None:
    async with started_runtime(make_settings(database_url), clock=_morning()) as rt:
        first = await _proactive(rt, await add_tenant(rt.db, "T-1", phone="+4520000001"), "test:1:0")
        second = await _proactive(rt, await add_tenant(rt.db, "T-2", phone="+4520000002"), "test:2:0")
        sms, gate = FailingSandbox("sms"), TurnGate()
        drain = await _second_row_waits(_gated_sender(rt, sms, gate), gate)
        # Both rows are claimed; the second tenant answers STOP while its question waits for its turn.
        await rt.inbox.submit(InboundMessage(channel="sms", provider_id="SM-stop", sender="+4520000002", text="STOP"))
        await process_all(rt.processor)
        gate.opened.set()
        assert await drain == 2
        assert [m.address for m in sms.sent] == ["+4520000001"]
        assert await _row(rt, first) == ("sent", None, 1)
        assert (await _row(rt, second))[:2] == ("held", "stopped")


# An earlier try of the row may have got no answer (it may reach the tenant twice): it goes again all the same.
@pytest.mark.parametrize("maybe_sent", [False, True])
async def test_a_pause_puts_back_what_was_claimed_before_it(database_url: str, maybe_sent: bool) -> None:
    async with started_runtime(make_settings(database_url), clock=_morning()) as rt:
        await _proactive(rt, await add_tenant(rt.db, "T-1", phone="+4520000001"), "test:1:0")
        second = await _proactive(rt, await add_tenant(rt.db, "T-2", phone="+4520000002"), "test:2:0")
        async with rt.db.write() as conn:
            await conn.execute(update(outbox).where(outbox.c.id == second).values(maybe_sent=maybe_sent))
        sms, gate = FailingSandbox("sms"), TurnGate()
        sender = _gated_sender(rt, sms, gate)
        drain = await _second_row_waits(sender, gate)
        async with rt.db.write() as conn:  # paused through any process: only the database knows
            await conn.run_sync(write_flag, PAUSED, "1", rt.clock())
        gate.opened.set()
        await drain
        assert [m.address for m in sms.sent] == ["+4520000001"]
        assert await _row(rt, second) == ("waiting", "paused", 0)  # back in the queue, its attempt returned
        async with rt.db.write() as conn:
            await conn.run_sync(write_flag, PAUSED, "0", rt.clock())
        gate.turns = 0
        while await sender.drain_once():
            pass
        assert [m.address for m in sms.sent] == ["+4520000001", "+4520000002"]
        assert (await _row(rt, second))[0] == "sent"


async def test_rows_the_pause_set_aside_go_after_the_resume_however_long_the_sender_ran_before(
    database_url: str,
) -> None:
    """A sender that has looked and found nothing the pause set aside stops looking for such rows; a pause that sets
    some aside later makes it look again once the pause is over."""
    async with started_runtime(make_settings(database_url), clock=_morning()) as rt:
        sms = FailingSandbox("sms")
        lease = timedelta(seconds=rt.settings.lease_seconds)
        sender = Sender(rt.db, {"sms": sms}, rt.renderer, rt.clock, Metrics(), rates={}, lease=lease)
        first = await _proactive(rt, await add_tenant(rt.db, "T-1", phone="+4520000001"), "test:1:0")
        while await sender.drain_once():
            pass
        assert (await _row(rt, first))[0] == "sent"
        async with rt.db.write() as conn:
            await conn.run_sync(write_flag, PAUSED, "1", rt.clock())
        second = await _proactive(rt, await add_tenant(rt.db, "T-2", phone="+4520000002"), "test:2:0")
        await sender.drain_once()
        assert await _row(rt, second) == ("waiting", "paused", 0)
        async with rt.db.write() as conn:
            await conn.run_sync(write_flag, PAUSED, "0", rt.clock())
        while await sender.drain_once():
            pass
        assert [m.address for m in sms.sent] == ["+4520000001", "+4520000002"]


class ProcessSandbox(FailingSandbox):
    """The sandbox of one of several processes: its message ids are its own, as a provider's would be."""

    def __init__(self, process: str) -> None:
        super().__init__("sms")
        self.process = process

    async def send(self, message: OutgoingMessage) -> SendResult:
        result = await super().send(message)
        return replace(result, provider_id=f"{self.process}-{result.provider_id}")


@asynccontextmanager
async def _console(rt: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    """A signed-in admin on this process's console."""
    transport = httpx.ASGITransport(app=create_app(rt))
    async with httpx.AsyncClient(transport=transport, base_url="https://keephome.example.org") as client:
        assert (await login(client, "admin@example.org")).status_code == 303
        yield client


async def _switch(client: httpx.AsyncClient, on: bool) -> None:
    done = await post_form(client, "/console/admin", "/console/admin/pause", {"paused": "on" if on else "off"})
    assert done.status_code == 303


def _banner(page: httpx.Response) -> bool:
    return "Paused: no reminders are sent." in page.text


@pytest.mark.slow  # about 6 s: elections a second apart, watched for seconds
@pytest.mark.postgres
async def test_a_pause_and_a_resume_through_another_process_hold_within_a_second(pg_url: str) -> None:
    # Elections a second apart: the role stays where it is while the test runs.
    settings = make_settings(pg_url, election_seconds=1.0, twilio_rate=20.0)
    async with AsyncExitStack() as stack:
        holder = await stack.enter_async_context(
            started_runtime(settings, _morning(), background=True, sms=ProcessSandbox("holder"))
        )
        other = await stack.enter_async_context(
            started_runtime(settings, _morning(), background=True, sms=ProcessSandbox("other"))
        )
        assert (held(holder.metrics, "sender"), held(other.metrics, "sender")) == (1, 0)
        await add_person(holder, "admin@example.org", "admin")
        theirs = await stack.enter_async_context(_console(other))
        ours = await stack.enter_async_context(_console(holder))
        sent = holder.channels["sms"]
        assert isinstance(sent, ProcessSandbox)
        await queue_campaign(holder, 400)  # 20 s of sending at 20 SMS/s
        holder.sender.wake()
        await until(lambda: len(sent.sent) >= 20)

        await _switch(theirs, True)  # paused through the process that does not send
        await asyncio.sleep(1.0)
        frozen = len(sent.sent)
        await asyncio.sleep(1.5)
        assert len(sent.sent) == frozen  # a second later the holder sends nothing proactive
        assert _banner(await ours.get("/console/")) and _banner(await theirs.get("/console/"))

        await _switch(theirs, False)
        await asyncio.sleep(1.0)
        assert len(sent.sent) > frozen  # and a second after the resume it sends again
        assert not _banner(await ours.get("/console/")) and not _banner(await theirs.get("/console/"))
        other_sms = other.channels["sms"]
        assert isinstance(other_sms, ProcessSandbox) and other_sms.sent == []
        assert held(holder.metrics, "sender") == 1
