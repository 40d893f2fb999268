"""The audit page's filter by target counts its entries through the index by target, not by reading the whole log."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import event, insert, text

from bot.runtime import Runtime
from bot.store.schema import audit_log
from tests.support.console import add_person, login

ENTRIES = 3000
TARGETS = 300  # ten entries on each case


async def test_the_audit_filter_by_target_counts_through_the_index(runtime: Runtime, client: httpx.AsyncClient) -> None:
    at = runtime.clock()
    async with runtime.db.write() as conn:
        await conn.execute(
            insert(audit_log),
            [
                {"at": at, "actor": "staff:9", "action": "case.view", "target": f"case:{n % TARGETS + 1}"}
                for n in range(ENTRIES)
            ],
        )
        await conn.execute(text("ANALYZE"))
    await add_person(runtime, "admin@example.org", "admin")
    assert (await login(client, "admin@example.org")).status_code == 303
    plans: list[list[str]] = []

    def explain(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        # The page's count of the entries its filter finds, as it is sent, with its parameters.
        if "count(" in statement and "audit_log" in statement and not statement.startswith("EXPLAIN"):
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
            plans.append([str(row[-1]) for row in rows])

    event.listen(runtime.db.reader.sync_engine, "before_cursor_execute", explain)
    try:
        page = (await client.get("/console/audit?target=case:7")).text
    finally:
        event.remove(runtime.db.reader.sync_engine, "before_cursor_execute", explain)

    # The case's ten entries, and no other case's (`case:7` is not `case:70`).
    assert page.split('id="audit"', 1)[1].count("case:7<") == ENTRIES // TARGETS
    (plan,) = plans
    assert any("ix_audit_log_target" in step for step in plan), plan
    assert not any(step.startswith("SCAN audit_log") for step in plan), plan
