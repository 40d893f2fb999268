"""Several processes share one PostgreSQL: each inbound message is handled once, in order per sender."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.inbound.inbox import InboundMessage, Inbox
from bot.inbound.processor import Processor
from bot.metrics import Metrics
from bot.store.db import Database
from bot.store.schema import inbound, messages
from tests.conftest import make_settings
from tests.support.drive import drain, process_all
from tests.support.helpers import add_tenant
from tests.support.schema import migrated

pytestmark = pytest.mark.postgres


async def test_two_processors_handle_each_message_once_and_in_order(pg_url: str) -> None:
    settings = make_settings(pg_url)
    setup = Database(pg_url)
    await migrated(setup)
    phones = [f"+45201200{i:02d}" for i in range(10)]
    for i, phone in enumerate(phones):
        await add_tenant(setup, f"T-{i}", name=f"Lejer {i}", phone=phone)
    words = ["hej", "1", "hvad", "2", "ok"]
    batch = [InboundMessage("sms", f"SM-{n}-{phone}", phone, word) for n, word in enumerate(words) for phone in phones]
    await Inbox(setup, lambda: datetime.now(UTC)).commit(batch)

    # Two "processes": their own engines, small batches so they interleave. Each handles a first batch before
    # both run at once, so both take part however fast one of them starts (one engine's first connection can take
    # longer than the other's whole run on a busy machine).
    dbs = [Database(pg_url), Database(pg_url)]
    workers = [Processor(db, settings, lambda: datetime.now(UTC), Metrics(), batch=7, budget=0.0) for db in dbs]
    try:
        first = [await w.process_pending() for w in workers]
        assert first == [7, 7]  # the second found rows the first left pending
        rest = await asyncio.gather(*(process_all(w) for w in workers))
    finally:
        for db in dbs:
            await db.dispose()
    assert sum(first) + sum(rest) == len(batch)

    async with setup.read() as conn:
        received = (await conn.execute(select(inbound.c.provider_id).order_by(inbound.c.id))).scalars().all()
        stored = (
            (
                await conn.execute(
                    select(messages.c.provider_id).where(messages.c.direction == "in").order_by(messages.c.id)
                )
            )
            .scalars()
            .all()
        )
        pending = (await conn.execute(select(inbound.c.id).where(inbound.c.processed_at.is_(None)))).all()
    assert pending == []
    assert sorted(stored) == sorted(received)  # every message handled exactly once
    for phone in phones:
        sent = [sid for sid in received if sid.endswith(phone)]
        handled_order = [sid for sid in stored if sid.endswith(phone)]
        assert handled_order == sent  # one tenant's messages in the order they arrived
    await setup.dispose()


async def test_two_senders_never_send_one_row_twice(pg_url: str) -> None:
    from datetime import timedelta

    from bot.channels.sandbox import SandboxChannel
    from bot.outbox.enqueue import enqueue
    from bot.outbox.ratelimit import RateLimiter
    from bot.outbox.render import Renderer
    from bot.outbox.sender import Sender
    from bot.paths import TEMPLATES_DIR
    from bot.store.scene import Scene

    settings = make_settings(pg_url)
    setup = Database(pg_url)
    await migrated(setup)
    tenant_id = await add_tenant(setup)
    now = datetime.now(UTC)
    async with setup.write() as conn:
        for i in range(60):
            await conn.run_sync(
                lambda sync, **kw: enqueue(Scene.of(sync), **kw),
                now=now,
                channel="sms",
                template="keyword.opted_in",
                values={},
                language="da",
                idempotency_key=f"k{i}",
                tenant_id=tenant_id,
            )
    sms = SandboxChannel("sms")  # both "processes" send through one phone, so doubles would show
    dbs = [Database(pg_url), Database(pg_url)]
    senders = [
        Sender(
            db,
            {"sms": sms},
            Renderer(TEMPLATES_DIR, settings),
            lambda: datetime.now(UTC),
            Metrics(),
            rates={"sms": RateLimiter(1e6)},
            lease=timedelta(seconds=60),
            batch=7,
        )
        for db in dbs
    ]
    try:
        first = [await s.drain_once() for s in senders]  # both take part, however fast one of them starts
        assert first == [7, 7]
        rest = await asyncio.gather(*(drain(s) for s in senders))
    finally:
        for db in dbs:
            await db.dispose()
    assert sum(first) + sum(rest) == 60
    assert len(sms.sent) == 60
    assert len({m.outbox_id for m in sms.sent}) == 60  # no row sent twice
    await setup.dispose()
