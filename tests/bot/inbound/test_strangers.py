"""A number no tenant has that says STOP is sent nothing, and its STOP is kept (a keyed hash of the number, never the
number) until it says START: purging by retention leaves it, whatever time passes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from bot.inbound.inbox import InboundMessage
from bot.inbound.strangers import stranger_key
from bot.runtime import Runtime
from bot.store.retention import purge
from bot.store.schema import unknown_senders
from tests.conftest import make_settings, started_runtime
from tests.support.drive import drain, process_all, sandbox

STRANGER, OTHER = "+4520999901", "+4520999902"


@pytest.fixture
async def rt(database_url: str) -> AsyncIterator[Runtime]:
    async with started_runtime(make_settings(database_url)) as runtime:
        yield runtime


async def say(rt: Runtime, text: str, sid: str, sender: str = STRANGER, channel: str = "sms") -> list[str]:
    """One message through inbox, processor and sender; the texts that reached the sender."""
    before = len(sandbox(rt)[channel].to(sender))
    await rt.inbox.submit(InboundMessage(channel=channel, provider_id=sid, sender=sender, text=text))
    await process_all(rt.processor)
    await drain(rt.sender)
    return [m.text for m in sandbox(rt)[channel].to(sender)[before:]]


async def stopped_at(rt: Runtime, address: str, channel: str = "sms") -> datetime | None:
    key = stranger_key(rt.settings.secret_key or "", channel, address)
    async with rt.db.read() as conn:
        found = await conn.execute(select(unknown_senders.c.stopped_at).where(unknown_senders.c.address_hash == key))
        return found.scalar_one_or_none()


async def test_a_strangers_stop_is_kept_until_they_say_start(rt: Runtime) -> None:
    assert await say(rt, "AFMELD", "SM1") == []
    said = await stopped_at(rt, STRANGER)
    assert said is not None
    # Said again, the first STOP's time stays; another number has none.
    rt.clock.offset += timedelta(hours=1)
    assert await say(rt, "stop", "SM2") == []
    assert await stopped_at(rt, STRANGER) == said
    assert await say(rt, "hej", "SM3", sender=OTHER) != []
    assert await stopped_at(rt, OTHER) is None
    # START undoes it, and is answered as any word from a stranger is (once a day: the STOP took today's).
    rt.clock.offset += timedelta(days=1)
    assert len(await say(rt, "START", "SM4")) == 1
    assert await stopped_at(rt, STRANGER) is None


async def test_retention_keeps_a_numbers_stop(rt: Runtime) -> None:
    await say(rt, "STOP", "SM1")
    await say(rt, "hej", "SM2", sender=OTHER)
    removed = await purge(rt.db, rt.clock() + timedelta(days=400), 30)
    assert removed["unknown_senders"] == 1  # the other stranger's row: its day's answer is long past
    assert await stopped_at(rt, STRANGER) is not None


@pytest.mark.parametrize("text", ["Stop tak", "afmeld mig tak", "stop please"])
async def test_a_strangers_polite_stop_is_a_stop(rt: Runtime, text: str) -> None:
    """ "Stop tak" from a number no tenant has is read as a tenant's would be: sent nothing, and kept for the number."""
    assert await say(rt, text, "SM1") == []
    assert await stopped_at(rt, STRANGER) is not None
