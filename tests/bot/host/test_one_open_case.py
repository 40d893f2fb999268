"""A tenant has one open case, however many ways open one at once: two transactions that each read "no open case"
(a handoff and an adviser's manual opening, say) end with one case, the second refreshing the first; a database
that already holds two open cases for a tenant is merged into one by the migration."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

import asyncpg
import pytest
from sqlalchemy import Connection, select, text

from bot.host.cases import Opened, open_case
from bot.store.db import Database
from bot.store.migrate import upgrade
from bot.store.schema import case_events, cases
from tests.support.helpers import add_tenant
from tests.support.schema import asyncpg_dsn, migrate_to, migrated

NOW = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)


def _open(conn: Connection, tenant_id: int, origin: str) -> Opened:
    return open_case(conn, tenant_id, origin=origin, reason=origin, now=NOW, today=date(2026, 12, 4), delivery_days=3)


_BLOCKED = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'INSERT INTO cases%'"


async def _wait_for_blocked_insert(url: str) -> None:
    """Until a session waits for a lock in an insert into cases (the second opening), for at most 20 s."""
    conn = await asyncpg.connect(asyncpg_dsn(url.split("?")[0]))
    try:
        for _ in range(1000):
            if await conn.fetchval(_BLOCKED):
                return
            await asyncio.sleep(0.02)
        raise AssertionError("the second opening never waited for the first transaction")
    finally:
        await conn.close()


@pytest.mark.postgres
async def test_two_openings_in_concurrent_transactions_leave_one_case(pg_migrated_url: str) -> None:
    db = Database(pg_migrated_url)
    try:
        tenant_id = await add_tenant(db)
        first_inserted = asyncio.Event()
        commit_first = asyncio.Event()

        async def first() -> Opened:
            async with db.write() as conn:
                opened = await conn.run_sync(_open, tenant_id, "handoff")
                first_inserted.set()
                await commit_first.wait()
            return opened

        async def second() -> Opened:
            await first_inserted.wait()
            async with db.write() as conn:  # reads "no open case": the first's is not committed yet
                return await conn.run_sync(_open, tenant_id, "manual")

        first_task = asyncio.create_task(first())
        second_task = asyncio.create_task(second())
        await first_inserted.wait()
        await _wait_for_blocked_insert(pg_migrated_url)  # the second's insert waits for the first transaction
        commit_first.set()
        one, other = await first_task, await second_task

        assert other.case_id == one.case_id
        async with db.read() as conn:
            open_cases = (
                await conn.execute(select(cases.c.id, cases.c.origin).where(cases.c.tenant_id == tenant_id))
            ).all()
            kinds = (
                (
                    await conn.execute(
                        select(case_events.c.kind)
                        .where(case_events.c.case_id == one.case_id)
                        .order_by(case_events.c.id)
                    )
                )
                .scalars()
                .all()
            )
        assert [tuple(row) for row in open_cases] == [(one.case_id, "handoff")]
        assert kinds == ["opened", "status"]  # the second opening refreshed the case, and says so on it
    finally:
        await db.dispose()


@pytest.mark.postgres
async def test_an_opening_on_a_generic_plan_still_finds_the_index(pg_migrated_url: str) -> None:
    # A busy processor's connection runs the insert often enough that PostgreSQL plans it once for any parameters:
    # the ON CONFLICT's condition must then still be the index's own (no parameter in it).
    db = Database(pg_migrated_url)
    try:
        tenant_id = await add_tenant(db)
        async with db.write() as conn:
            await conn.execute(text("SET LOCAL plan_cache_mode = force_generic_plan"))
            opened = await conn.run_sync(_open, tenant_id, "handoff")
        async with db.read() as conn:
            assert (await conn.execute(select(cases.c.id))).scalars().all() == [opened.case_id]
    finally:
        await db.dispose()


async def test_after_a_case_is_closed_the_next_opening_opens_a_new_one(database_url: str) -> None:
    db = Database(database_url)
    try:
        await migrated(db)
        tenant_id = await add_tenant(db)
        async with db.write() as conn:
            first = await conn.run_sync(_open, tenant_id, "handoff")
        async with db.write() as conn:
            await conn.execute(cases.update().where(cases.c.id == first.case_id).values(status="closed"))
        async with db.write() as conn:
            second = await conn.run_sync(_open, tenant_id, "manual")
        async with db.write() as conn:
            again = await conn.run_sync(_open, tenant_id, "outreach")
        assert second.case_id != first.case_id
        assert again.case_id == second.case_id
        async with db.read() as conn:
            statuses = (await conn.execute(select(cases.c.status).order_by(cases.c.id))).scalars().all()
        assert statuses == ["closed", "waiting"]
    finally:
        await db.dispose()


async def test_the_migration_merges_a_tenants_open_cases_into_the_oldest(empty_database_url: str) -> None:
    db = Database(empty_database_url)
    try:
        await migrate_to(db, "0010")
        async with db.writer.begin() as conn:
            at = {"at": NOW}
            for ref in ("T-1", "T-2"):
                await conn.execute(
                    text(
                        "INSERT INTO tenants (tenant_ref, name, language, channel_preference, telegram_blocked, status,"
                        " created_at, updated_at) VALUES (:ref, 'A', 'da', 'auto', false, 'active', :at, :at)"
                    ),
                    {"ref": ref, **at},
                )
            case = (
                "INSERT INTO cases (tenant_id, status, origin, reason, priority, consented, opened_at, updated_at) "
                "VALUES (:tenant, :status, 'handoff', 'r', :priority, :consented, :at, :at)"
            )
            for tenant, status, priority, consented in [
                (1, "waiting", 10, False),  # case 1: kept
                (1, "closed", 99, True),  # case 2: closed before, stays as it is
                (1, "taken", 40, True),  # case 3: merged into 1
                (2, "waiting", 5, False),  # case 4: the other tenant's only open case
                (1, "volunteer", 20, False),  # case 5: merged into 1
            ]:
                await conn.execute(
                    text(case), {"tenant": tenant, "status": status, "priority": priority, "consented": consented, **at}
                )
            for case_id in (3, 5, 5):
                await conn.execute(
                    text("INSERT INTO case_events (case_id, kind, text, at) VALUES (:case, 'note', 'n', :at)"),
                    {"case": case_id, **at},
                )
        await upgrade(db)

        async with db.read() as conn:
            rows = (
                await conn.execute(
                    select(
                        cases.c.id, cases.c.status, cases.c.priority, cases.c.consented, cases.c.outcome_note
                    ).order_by(cases.c.id)
                )
            ).all()
            events = (
                await conn.execute(
                    select(case_events.c.case_id, case_events.c.kind, case_events.c.text).order_by(case_events.c.id)
                )
            ).all()
        assert [tuple(row) for row in rows] == [
            (1, "waiting", 40, True, None),
            (2, "closed", 99, True, None),
            (3, "closed", 40, True, None),
            (4, "waiting", 5, False, None),
            (5, "closed", 20, False, None),
        ]
        # The merged cases' three notes now belong to the kept case; each side names the other.
        assert sorted((row.case_id, row.kind, row.text) for row in events) == [
            (1, "merged_from", "3"),
            (1, "merged_from", "5"),
            (1, "note", "n"),
            (1, "note", "n"),
            (1, "note", "n"),
            (3, "merged_into", "1"),
            (5, "merged_into", "1"),
        ]
    finally:
        await db.dispose()
