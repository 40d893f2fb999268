"""The inbox: group commits, a poison message set aside alone, and a database that is down never mistaken for poison."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Connection, select
from sqlalchemy.exc import DBAPIError, OperationalError

from bot.inbound.inbox import InboundMessage, Inbox, Outcome, clean_payload, clean_text, receipt_text, unstorable
from bot.runtime import Clock
from bot.store.db import Database
from bot.store.schema import inbound

POISON = "Jeg har betalt \ud800"


class Woken:
    def __init__(self) -> None:
        self.times = 0

    def __call__(self) -> None:
        self.times += 1


async def provider_ids(database: Database) -> list[str]:
    async with database.read() as conn:
        return [str(r.provider_id) for r in await conn.execute(select(inbound.c.provider_id).order_by(inbound.c.id))]


def sms(n: int, text: str = "hej") -> InboundMessage:
    return InboundMessage("sms", f"SM{n:032x}", f"+45201234{n:02d}", text)


async def until(check: Callable[[], bool]) -> None:
    for _ in range(2000):
        if check():
            return
        await asyncio.sleep(0.005)
    raise AssertionError("never happened")


async def submit_together(inbox: Inbox, messages: list[InboundMessage]) -> list[Any]:
    """Submit while the inbox is stopped at its first commit, so all of them share the next group."""
    gate = asyncio.Event()
    real = inbox.commit
    groups: list[int] = []

    async def held(batch: list[InboundMessage], received_at: Any = None) -> list[Outcome]:
        groups.append(len(batch))
        await gate.wait()
        return await real(batch, received_at)

    inbox.commit = held  # type: ignore[method-assign]
    await inbox.start()
    try:
        first = asyncio.create_task(inbox.submit(sms(99)))
        await until(lambda: groups == [1])
        tasks = [asyncio.create_task(inbox.submit(m)) for m in messages]
        await until(lambda: inbox._queue.qsize() == len(messages))
        gate.set()
        outcomes = await asyncio.gather(*tasks, return_exceptions=True)
        await first
    finally:
        await inbox.stop()
    assert groups[:2] == [1, len(messages)]
    return outcomes


async def test_a_poison_message_is_rejected_alone_and_its_neighbours_are_stored_once(database: Database) -> None:
    woken = Woken()
    inbox = Inbox(database, Clock(), on_commit=woken)
    poison = InboundMessage("telegram", "777001:1", "777001", POISON)
    outcomes = await submit_together(inbox, [sms(1), sms(2), poison, sms(1), sms(3)])
    # One by one after the group failed: the second sms(1) finds the first there.
    assert outcomes == ["stored", "stored", "rejected", "duplicate", "stored"]
    ids = await provider_ids(database)
    assert sorted(ids) == sorted([sms(n).provider_id for n in (99, 1, 2, 3)])
    assert ids.count(sms(1).provider_id) == 1  # a provider's duplicate is still a no-op
    assert woken.times == 2  # the processor is told about the first group and about the stored neighbours


def failing_writes(database: Database, monkeypatch: pytest.MonkeyPatch, error: Callable[[], Exception]) -> None:
    real_run = database.run

    async def run(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        def then_fail(conn: Connection, *a: Any, **kw: Any) -> Any:
            fn(conn, *a, **kw)
            raise error()

        return await real_run(then_fail, *args, **kwargs)

    async def run_statement(stmt: Any, params: Any) -> None:  # the statement in a transaction whose commit fails
        await run(lambda conn: conn.execute(stmt, params))

    monkeypatch.setattr(database, "run", run)
    monkeypatch.setattr(database, "run_statement", run_statement)


async def test_a_database_that_cannot_commit_fails_the_message_and_does_not_reject_it(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox = Inbox(database, Clock())
    await inbox.submit(sms(98))
    failing_writes(database, monkeypatch, lambda: OperationalError("COMMIT", {}, Exception("database is locked")))
    with pytest.raises(OperationalError):  # the webhook answers 500; the provider may send it again
        await inbox.submit(sms(1))
    monkeypatch.undo()
    assert await provider_ids(database) == [sms(98).provider_id]


async def test_in_a_group_a_database_that_cannot_commit_fails_all_and_rejects_none(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox = Inbox(database, Clock())
    real_commit = inbox.commit

    async def commit_then_break(batch: list[InboundMessage], received_at: Any = None) -> list[Outcome]:
        outcomes = await real_commit(batch, received_at)
        failing_writes(database, monkeypatch, lambda: OperationalError("COMMIT", {}, Exception("disk I/O error")))
        return outcomes

    inbox.commit = commit_then_break  # type: ignore[method-assign]
    outcomes = await submit_together(inbox, [sms(1), sms(2), sms(3)])
    assert [type(o) for o in outcomes] == [OperationalError] * 3  # each webhook answers 500; none is "rejected"
    monkeypatch.undo()
    assert await provider_ids(database) == [sms(99).provider_id]


@pytest.mark.parametrize(("channel", "cap"), [("sms", 1600), ("telegram", 4096), ("sandbox", 4096)])
def test_a_text_is_stored_whole_up_to_its_channels_cap_and_cut_visibly_past_it(channel: str, cap: int) -> None:
    assert receipt_text(channel, "a" * cap) == ("a" * cap, 0)
    assert receipt_text(channel, None) == (None, 0)
    assert receipt_text(channel, "a" * cap + "bc") == ("a" * cap + " […]", 2)


def test_text_is_cleaned_of_what_no_database_stores() -> None:
    assert clean_text("Jeg har betalt") == "Jeg har betalt"
    assert clean_text("STOP\x00") == "STOP"
    assert clean_text("hej \ud800 med \udfff") == "hej \ufffd med \ufffd"
    assert clean_text("😀 æøå") == "😀 æøå"
    assert clean_payload({"start": "a\x00b", "contact_user_id": 7, "kind": None}) == {
        "start": "ab",
        "contact_user_id": 7,
        "kind": None,
    }


class _DriverError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


@pytest.mark.parametrize(
    ("error", "poison"),
    [
        (UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogates not allowed"), True),
        (DBAPIError("INSERT", {}, _DriverError("22021")), True),  # PostgreSQL: a NUL in text
        (DBAPIError("INSERT", {}, _DriverError("22000")), True),
        (DBAPIError("INSERT", {}, _DriverError("08006")), False),  # the connection broke
        (OperationalError("INSERT", {}, Exception("database is locked")), False),
        (OSError("disk full"), False),
    ],
)
def test_only_errors_of_the_data_itself_make_a_message_unstorable(error: Exception, poison: bool) -> None:
    assert unstorable(error) is poison
