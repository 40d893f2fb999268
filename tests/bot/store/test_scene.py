"""The scene: rows of one transaction written with one insert per table, and one bad unit never fails its batch."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Connection, event, func, select

from bot.outbox.enqueue import enqueue
from bot.store.db import Database
from bot.store.scene import Scene
from bot.store.schema import audit_log, messages, outbox
from tests.support.helpers import add_tenant

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


def _queue(scene: Scene, tenant_id: int, key: str) -> None:
    enqueue(
        scene,
        now=NOW,
        channel="sms",
        template="keyword.opted_in",
        values={},
        language="da",
        idempotency_key=key,
        tenant_id=tenant_id,
    )


async def _count(database: Database, table: Any) -> int:
    async with database.read() as conn:
        return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())


async def test_a_batch_is_one_insert_per_table(database: Database) -> None:
    tenant_id = await add_tenant(database)
    inserts: list[str] = []

    def count(conn: Connection, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT"):
            inserts.append(statement.split()[2])

    def work(conn: Connection) -> None:
        event.listen(conn, "before_cursor_execute", count)
        try:
            scene = Scene.of(conn)
            for i in range(40):
                _queue(scene, tenant_id, f"k{i}")
            scene.flush()
        finally:
            event.remove(conn, "before_cursor_execute", count)

    await database.run(work)
    assert await _count(database, outbox) == 40
    assert await _count(database, messages) == 40
    # PostgreSQL's executemany may split a large batch; 40 rows fit in one statement per table on both.
    assert sorted(inserts) == ["messages", "outbox"]


async def test_one_bad_unit_is_left_out_and_its_neighbours_are_written(database: Database) -> None:
    tenant_id = await add_tenant(database)
    await database.run(lambda conn: _queue(Scene.of(conn), tenant_id, "taken"))

    def work(conn: Connection) -> int:
        scene = Scene.of(conn)
        _queue(scene, tenant_id, "a")
        _queue(scene, tenant_id, "taken")  # committed before: the unique key refuses it
        _queue(scene, tenant_id, "b")
        return scene.flush()

    assert await database.run(work) == 1
    async with database.read() as conn:
        keys = (await conn.execute(select(outbox.c.idempotency_key).order_by(outbox.c.id))).scalars().all()
        orphans = (
            await conn.execute(
                select(func.count()).select_from(messages).where(~messages.c.id.in_(select(outbox.c.message_id)))
            )
        ).scalar_one()
    assert keys == ["taken", "a", "b"]
    assert orphans == 0  # the refused unit's message went with it


@pytest.mark.parametrize("count", [5, 150], ids=["one reservation", "several"])  # PostgreSQL reserves 64 at a time
async def test_ids_are_known_before_the_rows_are_written_and_match_after(database: Database, count: int) -> None:
    tenant_id = await add_tenant(database)

    def work(conn: Connection) -> list[tuple[int, int]]:
        scene = Scene.of(conn)
        made = []
        for i in range(count):
            queued = enqueue(
                scene,
                now=NOW,
                channel="sms",
                template="keyword.opted_in",
                values={},
                language="da",
                idempotency_key=f"k{i}",
                tenant_id=tenant_id,
            )
            assert queued is not None
            made.append((queued.message_id, queued.outbox_id))
        return made

    made = await database.run(work)
    async with database.read() as conn:
        stored = [tuple(r) for r in await conn.execute(select(outbox.c.message_id, outbox.c.id).order_by(outbox.c.id))]
    assert stored == made
    assert len({m for m, _ in made}) == count


async def test_the_database_writes_the_scene_before_it_commits(database: Database) -> None:
    def work(conn: Connection) -> None:
        Scene.of(conn).add((audit_log, {"at": NOW, "actor": "test", "action": "x", "target": None, "detail": None}))

    await database.run(work)  # no explicit flush
    async with database.write() as conn:
        await conn.run_sync(work)
    assert await _count(database, audit_log) == 2


async def test_a_failed_piece_of_work_takes_its_pending_rows_along(database: Database) -> None:
    tenant_id = await add_tenant(database)

    def work(conn: Connection) -> None:
        scene = Scene.of(conn)
        _queue(scene, tenant_id, "kept")
        with pytest.raises(RuntimeError), scene.isolated():
            _queue(scene, tenant_id, "dropped")
            raise RuntimeError("the handler failed")
        _queue(scene, tenant_id, "after")

    await database.run(work)
    async with database.read() as conn:
        keys = (await conn.execute(select(outbox.c.idempotency_key).order_by(outbox.c.id))).scalars().all()
    assert keys == ["kept", "after"]


async def test_a_repeat_within_the_transaction_queues_nothing(database: Database) -> None:
    tenant_id = await add_tenant(database)

    def work(conn: Connection) -> list[bool]:
        scene = Scene.of(conn)
        return [
            enqueue(
                scene,
                now=NOW,
                channel="sms",
                template="keyword.opted_in",
                values={},
                language="da",
                idempotency_key="same",
                tenant_id=tenant_id,
            )
            is not None
            for _ in range(3)
        ]

    assert await database.run(work) == [True, False, False]
    assert await _count(database, outbox) == 1


async def test_promises_and_paid_claims_of_many_turns_cost_one_update_each_and_are_all_kept(database: Database) -> None:
    from datetime import date

    from bot.host.handlers import paid_claimed, promise_recorded
    from bot.host.turn import Turn
    from bot.store.schema import rent_positions
    from conversations.model import PaidClaimed, PromiseRecorded
    from tests.conftest import make_settings

    settings = make_settings(database.url)
    tenant_ids = [await add_tenant(database, f"T-{i}", phone=f"+452012340{i}") for i in range(5)]
    updates: list[str] = []

    def count(conn: Connection, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("UPDATE"):
            updates.append(statement.split()[1])

    def work(conn: Connection) -> None:
        event.listen(conn, "before_cursor_execute", count)
        try:
            scene = Scene.of(conn)
            for n, tenant_id in enumerate(tenant_ids):  # turns of a batch, one after the other
                turn = Turn(tenant_id, None, "sms", "da", NOW, NOW.date(), f"in:{n}")
                promise_recorded.handle(scene, turn, PromiseRecorded(date(2026, 12, 10 + n)), 0, settings)
                paid_claimed.handle(scene, turn, PaidClaimed(date(2026, 12, 20 + n)), 1, settings)
            scene.flush()  # as the database does before it commits
        finally:
            event.remove(conn, "before_cursor_execute", count)

    await database.run(work)
    # One executemany per statement for the whole batch, not two statements per turn.
    assert sorted(updates) == ["rent_positions", "rent_positions"]
    async with database.read() as conn:
        kept = (
            await conn.execute(
                select(rent_positions.c.tenant_id, rent_positions.c.promise_on, rent_positions.c.paid_claim_until)
            )
        ).all()
    assert sorted(tuple(row) for row in kept) == [
        (tenant_id, date(2026, 12, 10 + n), date(2026, 12, 20 + n)) for n, tenant_id in enumerate(tenant_ids)
    ]
