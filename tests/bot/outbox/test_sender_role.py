"""The sender as an elected role on PostgreSQL: only the holder sends, and a holder that loses its lock stops
before its next send and gives back what it claimed but did not send."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.channels.base import OutgoingMessage, SendResult
from bot.metrics import Metrics
from bot.outbox.enqueue import enqueue
from bot.outbox.sender import Sender
from bot.runtime import Clock, Runtime
from bot.settings import Settings
from bot.store.db import Database
from bot.store.election import Election, Tenure
from bot.store.scene import Scene
from bot.store.schema import outbox
from tests.bot.store.test_election import _kill_lock_session, held, until
from tests.conftest import make_settings, started_runtime
from tests.support.drive import FailingSandbox, drain
from tests.support.helpers import add_tenant

pytestmark = pytest.mark.postgres


class Gate:
    """An SMS channel whose first send waits until the test opens the gate."""

    name = "sms"

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.entered = asyncio.Event()
        self.opened = asyncio.Event()

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass

    async def send(self, message: OutgoingMessage) -> SendResult:
        self.entered.set()
        await self.opened.wait()
        self.sent.append(message.address)
        return SendResult("sent", provider_id=f"SM{message.outbox_id}")


class ProcessSandbox(FailingSandbox):
    """The sandbox of one of several processes: its message ids are its own, as a provider's would be."""

    def __init__(self, process: str) -> None:
        super().__init__("sms")
        self.process = process

    async def send(self, message: OutgoingMessage) -> SendResult:
        result = await super().send(message)
        return replace(result, provider_id=f"{self.process}-{result.provider_id}")


async def _campaign(rt: Runtime, tenants: int, first: int = 0) -> list[int]:
    """One queued question per tenant (new tenants numbered from `first`); returns the outbox ids."""
    ids = []
    for i in range(first, first + tenants):
        tenant_id = await add_tenant(rt.db, f"T-{i}", phone=f"+4520{i:06d}")
        async with rt.db.write() as conn:
            done = await conn.run_sync(
                lambda sync, **kw: enqueue(Scene.of(sync), **kw),
                now=rt.clock(),
                channel="sms",
                template="payment_check.question",
                values={"first_name": f"Lejer {i}", "trigger": ""},
                language="da",
                idempotency_key=f"campaign:{i}",
                tenant_id=tenant_id,
                proactive=True,
            )
        ids.append(done.outbox_id)
    return ids


async def _states(rt: Runtime, ids: list[int]) -> list[tuple[str, bool, int]]:
    """(state, leased, attempts) of each row."""
    async with rt.db.read() as conn:
        rows = (await conn.execute(select(outbox).where(outbox.c.id.in_(ids)).order_by(outbox.c.id))).all()
    return [(r.state, r.lease_until is not None, r.attempts) for r in rows]


@pytest.fixture
async def rt(pg_url: str) -> AsyncIterator[Runtime]:
    async with started_runtime(make_settings(pg_url), clock=Clock()) as runtime:
        yield runtime


@asynccontextmanager
async def two_processes(settings: Settings) -> AsyncIterator[tuple[Runtime, Runtime, AsyncExitStack]]:
    """Two processes' runtimes on one database, started one after the other (the first takes the roles), and the
    stack that shuts the first down alone."""
    async with AsyncExitStack() as second_process, AsyncExitStack() as first_process:
        first = await first_process.enter_async_context(
            started_runtime(settings, background=True, sms=ProcessSandbox("first"))
        )
        second = await second_process.enter_async_context(
            started_runtime(settings, background=True, sms=ProcessSandbox("second"))
        )
        yield first, second, first_process


@pytest.mark.slow  # about 6 s: two processes' elections, watched for seconds
async def test_a_process_that_does_not_hold_the_sender_role_never_sends(pg_url: str) -> None:
    async with two_processes(make_settings(pg_url, election_seconds=0.1)) as (first, second, first_process):
        # Whoever started first took the role; the other keeps asking for it.
        assert (held(first.metrics, "sender"), held(second.metrics, "sender")) == (1, 0)
        ids = await _campaign(first, 30)
        await until(lambda: len(_sms(first).sent) == 30)
        await asyncio.sleep(0.3)  # several more election rounds and sender polls
        assert _sms(second).sent == []
        assert Counter(m.address for m in _sms(first).sent).most_common(1)[0][1] == 1

        await first_process.aclose()  # the holder shuts down: its role is freed and the other takes it ...
        await until(lambda: held(second.metrics, "sender") == 1)
        ids += await _campaign(second, 10, first=30)
        await until(lambda: len(_sms(second).sent) == 10)  # ... and sends what comes next, once each
        assert {m.address for m in _sms(second).sent}.isdisjoint(m.address for m in _sms(first).sent)
        for _ in range(250):  # the last outcomes are written a moment after the sends
            if [state for state, _, _ in await _states(second, ids)] == ["sent"] * 40:
                break
            await asyncio.sleep(0.02)
        assert [state for state, _, _ in await _states(second, ids)] == ["sent"] * 40


def _sms(rt: Runtime) -> FailingSandbox:
    channel = rt.channels["sms"]
    assert isinstance(channel, FailingSandbox)
    return channel


async def test_a_holder_that_loses_its_lock_sends_nothing_more_and_gives_its_rows_back(
    rt: Runtime, pg_url: str
) -> None:
    ids = await _campaign(rt, 5)
    gate = Gate()
    lease = timedelta(seconds=rt.settings.lease_seconds)
    # One send at a time: the first row is at the provider while the other four wait their turn.
    holder = Sender(rt.db, {"sms": gate}, rt.renderer, rt.clock, Metrics(), rates={}, lease=lease, concurrency=1)  # type: ignore[dict-item]
    tenures: list[Tenure] = []

    async def start(tenure: Tenure) -> None:
        tenures.append(tenure)
        await holder.start(tenure)

    lock_db = Database(pg_url)
    # Rounds far apart: only the lock connection closing can tell this process that the role is gone.
    async with Election(lock_db, interval=60) as election, election.hold("sender", start, holder.stop):
        await asyncio.wait_for(gate.entered.wait(), 10)
        await _kill_lock_session(pg_url, tenures[0])
        await until(lambda: not tenures[0].holds(), seconds=5)
        gate.opened.set()  # the send under way completes; the four waiting rows must not leave
        await until(lambda: len(gate.sent) == 1)

        async def settled() -> bool:
            return all(state == "sent" or not leased for state, leased, _ in await _states(rt, ids))

        for _ in range(250):
            if await settled():
                break
            await asyncio.sleep(0.02)
    await lock_db.dispose()
    assert gate.sent == ["+4520000000"]
    assert await _states(rt, ids) == [("sent", False, 1)] + [("pending", False, 0)] * 4  # back as they were
    assert await drain(rt.sender) == 4  # another sender takes them at once, not after the lease
    sent = Counter(gate.sent + [m.address for m in _sms(rt).sent])
    assert sorted(sent.values()) == [1] * 5


class _Stale(Tenure):
    """A tenure that has not noticed yet that its lock went elsewhere (the network went quiet)."""

    def holds(self) -> bool:
        return True


async def test_a_claim_is_fenced_by_the_lock_itself(rt: Runtime, pg_url: str) -> None:
    ids = await _campaign(rt, 3)
    lock_db = Database(pg_url)
    tenures: list[Tenure] = []

    async def keep(tenure: Tenure) -> None:
        tenures.append(tenure)

    async def nothing() -> None:
        pass

    async with Election(lock_db, interval=60) as election, election.hold("sender", keep, nothing):
        await _kill_lock_session(pg_url, tenures[0])
        await until(lambda: not tenures[0].holds(), seconds=5)
        real = tenures[0]
        stale = _Stale(real.role, election, real._namespace, real._pid)
        await rt.sender.start(stale)
        rt.sender.wake()
        await asyncio.sleep(0.5)  # the workers try to claim, and the claim's own SQL says no
        await rt.sender.stop()
    await lock_db.dispose()
    assert _sms(rt).sent == []
    assert await _states(rt, ids) == [("pending", False, 0)] * 3
