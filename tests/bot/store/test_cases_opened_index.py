"""The report's cases of a period are read through the index by opening time, not by walking every case kept."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import event, text

from bot.console.outcome_period import Period
from bot.console.outcome_queries import case_contact_query
from bot.store.db import Database
from bot.store.schema import cases, tenants
from tests.support.plans import plan_nodes
from tests.support.schema import migrated

TENANTS = 300
CASES = 12  # each tenant's closed cases, one a quarter: three years of them
FIRST = datetime(2023, 1, 2, 9, 0, tzinfo=UTC)


async def test_the_cases_opened_in_a_period_are_read_through_their_index(database_url: str) -> None:
    db = Database(database_url)
    try:
        await migrated(db)
        async with db.write() as conn:
            await conn.execute(
                tenants.insert(),
                [
                    {
                        "id": i + 1,
                        "tenant_ref": f"T{i}",
                        "name": "Lejer",
                        "phone": f"+45{30000000 + i}",
                        "language": "da",
                        "channel_preference": "auto",
                        "telegram_blocked": False,
                        "status": "active",
                        "created_at": FIRST,
                        "updated_at": FIRST,
                    }
                    for i in range(TENANTS)
                ],
            )
            await conn.execute(
                cases.insert(),
                [
                    {
                        "tenant_id": t + 1,
                        "status": "closed",
                        "origin": "handoff",
                        "reason": "missed",
                        "priority": 0,
                        "consented": False,
                        "opened_at": FIRST + timedelta(days=91 * n, minutes=t),
                        "updated_at": FIRST,
                        "closed_at": FIRST + timedelta(days=91 * n + 1),
                    }
                    for t in range(TENANTS)
                    for n in range(CASES)
                ],
            )
            await conn.execute(text("ANALYZE"))
        plans: list[list[str]] = []

        def explain(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
            # The report's statement as it is sent, with its parameters.
            if "opened_at >=" in statement and not statement.startswith("EXPLAIN"):
                if db.is_sqlite:
                    rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
                    plans.append([str(row[-1]) for row in rows if "cases" in str(row[-1])])
                else:
                    raw = conn.exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement, parameters).scalar_one()
                    tree = (json.loads(raw) if isinstance(raw, str) else raw)[0]["Plan"]
                    on_cases = [n for n in plan_nodes(tree) if n.get("Relation Name") == "cases" or "Index Name" in n]
                    plans.append([f"{n['Node Type']} {n.get('Index Name', 'cases')}" for n in on_cases])

        # The tenth quarter's day (FIRST + 91 * 9 days) and the two weeks after it.
        period = Period(date(2025, 3, 31), date(2025, 4, 13), None, ZoneInfo("Europe/Copenhagen"), date(2025, 4, 14))
        event.listen(db.reader.sync_engine, "before_cursor_execute", explain)
        async with db.read() as conn:
            found = (await conn.execute(case_contact_query(conn.dialect.name, period))).all()
        event.remove(db.reader.sync_engine, "before_cursor_execute", explain)
    finally:
        await db.dispose()

    # Every tenant's case of that quarter, and no other.
    assert sum(row.n for row in found) == TENANTS
    (plan,) = plans
    assert any("ix_cases_opened_at" in step for step in plan), plan
    assert not any(step.startswith(("SCAN cases", "Seq Scan cases")) for step in plan), plan
