"""On PostgreSQL the sender role's holder handles every process's inbound messages: a message a webhook of another
process committed is answered by the holder, once; when the holder stops, the next holder handles what comes.
A process that does not process holds its webhooks while the holder is behind, and not while no process holds it."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from sqlalchemy import func, select, update

from bot.inbound.inbox import InboundMessage
from bot.inbound.processor import HOLD_BACKLOG, SHARED_LOOK_SECONDS
from bot.runtime import Runtime
from bot.store.election import Election, Tenure
from bot.store.schema import inbound
from tests.bot.outbox.test_sender_role import two_processes
from tests.bot.store.test_election import held, until
from tests.conftest import make_settings, started_runtime
from tests.support.drive import sandbox
from tests.support.helpers import add_tenant

pytestmark = pytest.mark.postgres


def _handled(rt: Runtime) -> float:
    """Inbound messages this process handled, as its /metrics count them."""
    return sum(
        sample.value
        for family in rt.metrics.registry.collect()
        if family.name == "keephome_inbound_messages"
        for sample in family.samples
        if sample.name == "keephome_inbound_messages_total"
    )


async def test_the_sender_roles_holder_answers_every_processs_messages_and_the_next_holder_takes_over(
    pg_url: str,
) -> None:
    settings = make_settings(pg_url, election_seconds=0.1, twilio_rate=1000)
    async with two_processes(settings) as (first, second, first_process):
        assert (held(first.metrics, "sender"), held(second.metrics, "sender")) == (1, 0)
        phones = [f"+45201000{i:02d}" for i in range(6)]
        for i, phone in enumerate(phones):
            await add_tenant(first.db, f"T-{i}", phone=phone)
        # The webhooks of the process that does not hold the role commit the messages ...
        for i, phone in enumerate(phones[:3]):
            assert await second.inbox.submit(InboundMessage("sms", f"SM-a{i}", phone, "hjælp")) == "stored"
        # ... and the holder handles them and sends each answer, once.
        await until(lambda: len(sandbox(first)["sms"].sent) >= 3)
        assert Counter(m.address for m in sandbox(first)["sms"].sent) == Counter(phones[:3])
        assert sandbox(second)["sms"].sent == [] and _handled(second) == 0 and _handled(first) == 3

        await first_process.aclose()  # the holder stops: the other takes the role and handles what comes next
        await until(lambda: held(second.metrics, "sender") == 1)
        for i, phone in enumerate(phones[3:]):
            assert await second.inbox.submit(InboundMessage("sms", f"SM-b{i}", phone, "hjælp")) == "stored"
        await until(lambda: len(sandbox(second)["sms"].sent) >= 3)
        assert Counter(m.address for m in sandbox(second)["sms"].sent) == Counter(phones[3:])
        assert _handled(second) == 3
        async with second.db.read() as conn:
            waiting = await conn.scalar(
                select(func.count()).select_from(inbound).where(inbound.c.processed_at.is_(None))
            )
        assert waiting == 0


async def test_a_process_that_does_not_process_holds_its_webhooks_while_the_holder_is_behind(pg_url: str) -> None:
    settings = make_settings(pg_url, election_seconds=0.1, run_sender=False)
    async with started_runtime(settings, background=True) as web:
        behind = [InboundMessage("sms", f"SM-{i}", f"+4530{i:06d}", "hej") for i in range(HOLD_BACKLOG + 10)]
        await web.inbox.commit(behind)
        # No process holds the sender role: nothing would ever catch up, so nothing is held.
        assert await web.processor.caught_up(most=0.3) == 0.0

        async def idle(_tenure: Tenure) -> None:  # a holder that has not caught up yet
            pass

        async def stop() -> None:
            pass

        async with Election(web.db, interval=0.1) as election, election.hold("sender", idle, stop):
            await asyncio.sleep(SHARED_LOOK_SECONDS)  # a count is used for this long
            assert await web.processor.caught_up(most=0.3) >= 0.3
            held_seconds = web.metrics.registry.get_sample_value("keephome_inbound_held_seconds_total")
            assert held_seconds is not None and held_seconds >= 0.3
            # The holder catches up to the limit: the next webhook goes through at once.
            async with web.db.write() as conn:
                last = select(func.max(inbound.c.id)).scalar_subquery()
                await conn.execute(
                    update(inbound).where(inbound.c.id <= last - HOLD_BACKLOG).values(processed_at=func.now())
                )
            assert await web.processor.caught_up(limit=HOLD_BACKLOG, most=5) < 1.0
