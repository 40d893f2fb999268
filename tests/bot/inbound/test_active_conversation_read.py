"""The look for a sender's active conversation reads that one conversation, however many the tenant had before.

Every message a tenant sends reads their tenant row with their open case and active conversation
(`_TENANT` in bot/inbound/handler.py). A tenant gets a conversation for most reminder months and keeps the
ended ones until retention purges them; through the index of all their conversations the look read each of them.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import text

from bot.inbound.handler import _BY_ADDRESS
from bot.store.db import Database
from tests.support.plans import plan_nodes
from tests.support.schema import migrated

TENANTS = 300
ENDED = 40  # conversations each tenant had before (three years of reminder months)
AT = datetime(2026, 1, 1, tzinfo=UTC)


async def test_the_active_conversation_is_read_through_the_index_of_active_ones(database_url: str) -> None:
    db = Database(database_url)
    try:
        await migrated(db)
        async with db.write() as conn:
            for i in range(TENANTS):
                await conn.execute(
                    text(
                        "INSERT INTO tenants (id, tenant_ref, name, phone, language, channel_preference, "
                        "telegram_blocked, status, created_at, updated_at) "
                        "VALUES (:id, :ref, 'Lejer', :phone, 'da', 'auto', false, 'active', :at, :at)"
                    ),
                    {"id": i + 1, "ref": f"T{i}", "phone": f"+45{30000000 + i}", "at": AT},
                )
            rows = [{"tenant": t + 1, "active": n == ENDED, "at": AT} for t in range(TENANTS) for n in range(ENDED + 1)]
            await conn.execute(
                text(
                    "INSERT INTO conversations (tenant_id, flow, state, active, version, started_at, updated_at) "
                    "VALUES (:tenant, 'reminder', '{}', :active, 1, :at, :at)"
                ),
                rows,
            )
            await conn.execute(text("ANALYZE"))
        async with db.read() as conn:
            phones = {"addresses": ["+4530000007", "+4530000123"]}
            sql = str(
                _BY_ADDRESS[0].params(**phones).compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True})
            )
            if db.is_sqlite:
                plan = (await conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql)).all()
                used = [str(row[-1]) for row in plan if "conversations" in str(row[-1])]
            else:
                raw = (await conn.exec_driver_sql("EXPLAIN (FORMAT JSON) " + sql)).scalar_one()
                plan_json = json.loads(raw) if isinstance(raw, str) else raw
                used = [
                    node["Index Name"]
                    for node in plan_nodes(plan_json[0]["Plan"])
                    if "conversations" in node.get("Index Name", "")
                ]
            found = (await conn.execute(_BY_ADDRESS[0], phones)).all()
    finally:
        await db.dispose()

    # Both looks for the active conversation (its id and its state) go through the partial index.
    assert used and all("ix_conversations_active" in step for step in used), used
    assert sorted(row.conversation_id for row in found) == [8 * (ENDED + 1), 124 * (ENDED + 1)]
