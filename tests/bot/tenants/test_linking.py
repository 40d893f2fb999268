"""Link codes: eight digits typed in groups of four, used once, and worn out by the misses made while they live."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Connection, select

from bot.inbound.unlinked import code_attempt
from bot.store.db import Database
from bot.store.schema import link_codes
from bot.tenants.linking import MAX_MISSES_PER_CODE, Redeemed, create_code, redeem
from tests.support.helpers import add_tenant

NOW = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)
DAY = 60 * 24


def other(code: str, step: int = 1) -> str:
    return f"{(int(code) + step) % 10**8:08d}"


async def test_codes_are_eight_random_digits(database: Database) -> None:
    tenant_id = await add_tenant(database, now=NOW)
    codes = [await database.run(create_code, tenant_id, NOW, DAY) for _ in range(50)]
    assert all(len(code) == 8 and code.isdigit() for code in codes)
    assert len(set(codes)) == 50
    # Each new code retires the one before: one code at a time is live for a tenant.
    async with database.read() as conn:
        live = (await conn.execute(select(link_codes.c.id).where(link_codes.c.used_at.is_(None)))).all()
    assert len(live) == 1


@pytest.mark.parametrize("typed", ["{0}{1}", "{0} {1}", "{0}-{1}", "  {0} {1}\n"])
async def test_a_code_is_typed_whole_or_in_groups_of_four(database: Database, typed: str) -> None:
    tenant_id = await add_tenant(database, now=NOW)
    code = await database.run(create_code, tenant_id, NOW, DAY)
    attempt = code_attempt(typed.format(code[:4], code[4:]))  # what the chat's message is read as
    assert attempt is not None
    result = await database.run(redeem, "code", attempt, 777, NOW)
    assert result == Redeemed(tenant_id)
    assert await database.run(redeem, "code", code, 778, NOW) == Redeemed(None, "used")


async def test_a_code_wears_out_after_the_misses_made_while_it_lives(database: Database) -> None:
    """A wrong guess cannot be tied to the code it aimed at, so every live code counts every miss."""
    first = await add_tenant(database, "T-1", phone="+4520123401", now=NOW)
    second = await add_tenant(database, "T-2", phone="+4520123402", now=NOW)
    code = await database.run(create_code, first, NOW, DAY)
    guess = other(code, 1000)

    def misses(conn: Connection, n: int) -> list[str | None]:
        return [redeem(conn, "code", guess, 900 + i, NOW).problem for i in range(n)]

    # The misses come from many chats: the per-chat slow-down (bot/inbound/unlinked.py) cannot see them.
    assert await database.run(misses, MAX_MISSES_PER_CODE - 1) == ["unknown"] * (MAX_MISSES_PER_CODE - 1)
    # A code made now has seen none of those misses.
    fresh = await database.run(create_code, second, NOW, DAY)
    await database.run(misses, 1)
    assert await database.run(redeem, "code", code, 777, NOW) == Redeemed(None, "worn")
    assert await database.run(redeem, "code", fresh, 778, NOW) == Redeemed(second)


async def test_misses_before_a_code_or_after_it_ended_do_not_count_against_it(database: Database) -> None:
    tenant_id = await add_tenant(database, now=NOW)
    old = await database.run(create_code, tenant_id, NOW, 10)
    later = NOW + timedelta(minutes=11)  # the old code has expired

    def misses(conn: Connection) -> None:
        for i in range(MAX_MISSES_PER_CODE):
            redeem(conn, "code", other(old, 1000), 900 + i, later)

    await database.run(misses)
    async with database.read() as conn:
        counted = (await conn.execute(select(link_codes.c.misses).where(link_codes.c.kind == "code"))).scalar_one()
    assert counted == 0
    code = await database.run(create_code, tenant_id, later, DAY)
    assert await database.run(redeem, "code", code, 777, later) == Redeemed(tenant_id)
