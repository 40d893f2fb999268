"""The day a påkrav reached the tenant: read from the CSV, kept by every import, and the deadline it gives."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, select

from bot.inbound.inbox import InboundMessage
from bot.reminders.ledger import import_tenants
from bot.runtime import Clock
from bot.store.db import Database
from bot.store.schema import conversations, rent_positions, tenants
from bot.tenants.csv_rows import FIELDS, known_languages, parse_csv
from conversations.state import State
from tests.conftest import make_settings, started_runtime
from tests.support.drive import process_all
from tests.support.helpers import add_tenant

NOW = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)
TODAY = NOW.date()


def parse(data: str, today: date = TODAY) -> Any:
    return parse_csv(data.encode(), today, known_languages(), ["da", "en"], "da")


def test_the_column_is_known_and_follows_demand_sent_on() -> None:
    assert FIELDS.index("demand_received_on") == FIELDS.index("demand_sent_on") + 1


@pytest.mark.parametrize(
    ("header", "line", "received"),
    [
        (
            "tenant_ref,name,phone,demand_sent_on,demand_received_on",
            "A,Test Person,+4520123501,2026-02-20,2026-02-24",
            date(2026, 2, 24),
        ),
        ("tenant_ref;name;phone;demand_received_on", "A;Test Person;+4520123501;24-02-2026", date(2026, 2, 24)),
        ("tenant_ref,name,phone,demand_sent_on,demand_received_on", "A,Test Person,+4520123501,2026-02-20,", None),
        ("tenant_ref,name,phone", "A,Test Person,+4520123501", None),
    ],
)
def test_demand_received_on_is_read_in_both_date_forms(header: str, line: str, received: date | None) -> None:
    result = parse(f"{header}\n{line}\n")
    assert result.ok, [str(e) for e in result.errors]
    assert result.rows[0].demand_received_on == received


def test_a_bad_day_of_receipt_is_reported_with_its_line() -> None:
    result = parse("tenant_ref,name,phone,demand_received_on\nA,Test Person,+4520123501,2026-02-30\n")
    assert result.rows == ()
    assert [str(e) for e in result.errors] == ['line 2: demand_received_on "2026-02-30" is not a date in the calendar']


def test_a_påkrav_received_before_it_was_sent_is_a_bad_row() -> None:
    result = parse(
        "tenant_ref,name,phone,demand_sent_on,demand_received_on\n"
        "A,Test Person,+4520123501,2026-02-20,2026-02-19\n"
        "B,Test Person,+4520123502,2026-02-20,2026-02-20\n"
    )
    assert not result.ok and [r.tenant_ref for r in result.rows] == ["B"]  # received the day it was sent: fine
    assert [str(e) for e in result.errors] == [
        "line 2: demand_received_on 2026-02-19 is before demand_sent_on 2026-02-20"
    ]


async def received_on(db: Database, ref: str) -> date | None:
    async with db.read() as conn:
        query = (
            select(rent_positions.c.demand_received_on)
            .join(tenants, tenants.c.id == rent_positions.c.tenant_id)
            .where(tenants.c.tenant_ref == ref)
        )
        found: date | None = (await conn.execute(query)).scalar_one()
    return found


async def test_every_import_carries_the_day_of_receipt(database: Database) -> None:
    settings = make_settings(database.url)
    header = "tenant_ref,name,phone,balance,demand_sent_on,demand_received_on\n"
    await import_tenants(
        database, parse(header + "A,Test Person,+4520123501,100.00,2026-02-20,2026-02-24\n").rows, NOW, settings
    )
    assert await received_on(database, "A") == date(2026, 2, 24)
    # A re-import with a corrected day updates it; one that leaves it empty (Digital Post after all) clears it.
    later = NOW + timedelta(days=1)
    await import_tenants(
        database, parse(header + "A,Test Person,+4520123501,100.00,2026-02-20,2026-02-25\n").rows, later, settings
    )
    assert await received_on(database, "A") == date(2026, 2, 25)
    await import_tenants(
        database, parse(header + "A,Test Person,+4520123501,100.00,2026-02-20,\n").rows, later, settings
    )
    assert await received_on(database, "A") is None


# (rent position, today, KEEPHOME_DEMAND_DELIVERY_DAYS, the deadline a conversation is told)
RUNNING: list[tuple[dict[str, Any], date, int, date | None]] = [
    # Digital Post: sent Wed 4 March 2026, deadline Wed 18 March.
    ({"demand_sent_on": date(2026, 3, 4)}, date(2026, 3, 10), 0, date(2026, 3, 18)),
    # The organisation says letters take two days: received Fri 6, deadline Fri 20.
    ({"demand_sent_on": date(2026, 3, 4)}, date(2026, 3, 10), 2, date(2026, 3, 20)),
    # A recorded day of receipt wins: Mon 9 -> Mon 23.
    (
        {"demand_sent_on": date(2026, 3, 4), "demand_received_on": date(2026, 3, 9)},
        date(2026, 3, 10),
        2,
        date(2026, 3, 23),
    ),
    # Passed, or the court stage: no deadline for the conversation.
    ({"demand_sent_on": date(2026, 3, 4)}, date(2026, 3, 19), 0, None),
    ({"demand_sent_on": date(2026, 3, 4), "termination_on": date(2026, 3, 9)}, date(2026, 3, 10), 0, None),
    ({}, date(2026, 3, 10), 0, None),
]


class SetClock(Clock):
    at = NOW

    def __call__(self) -> datetime:
        return self.at


@pytest.mark.parametrize("delivery_days", sorted({days for _, _, days, _ in RUNNING}))
async def test_a_tenant_who_writes_starts_a_conversation_told_the_running_deadline(
    database_url: str, delivery_days: int
) -> None:
    """The service reads the stored rent position with the sender and tells the new conversation its deadline."""
    cases = [(position, today, told) for position, today, days, told in RUNNING if days == delivery_days]
    clock = SetClock()
    settings = make_settings(database_url, demand_delivery_days=delivery_days)
    async with started_runtime(settings, clock) as rt:
        found = []
        for n, (position, today, _) in enumerate([*cases, ({}, date(2026, 3, 10), None)]):
            phone = f"+452000000{n}"
            tenant_id = await add_tenant(rt.db, f"T-{n}", phone=phone, balance_ore=100_000, **position)
            if n == len(cases):  # a tenant the ledger has no rent position for
                async with rt.db.write() as conn:
                    await conn.execute(delete(rent_positions).where(rent_positions.c.tenant_id == tenant_id))
            clock.at = datetime.combine(today, time(9), tzinfo=UTC)
            await rt.inbox.submit(InboundMessage("sms", f"SM-{n}", phone, "hej"))
            await process_all(rt.processor)
            async with rt.db.read() as conn:
                query = select(conversations.c.state).where(conversations.c.tenant_id == tenant_id)
                found.append(State.load((await conn.execute(query)).scalar_one()).deadline)
    assert found == [told for *_, told in cases] + [None]
