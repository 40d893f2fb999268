"""A form posted after its session ended finds who typed it through the index by CSRF token, not by reading every
session kept."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import event, insert, select, text

from bot.runtime import Runtime
from bot.store.schema import staff_sessions
from tests.bot.console.test_signed_out_text import _case_page_then_signed_out

SESSIONS = 3000  # sessions kept until retention purges them: every sign-in of a year's staff


async def test_the_signed_out_form_finds_its_author_through_the_index(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    page, token = await _case_page_then_signed_out(runtime, client, "another tab")
    at = runtime.clock()
    async with runtime.db.write() as conn:
        staff_id = await conn.scalar(select(staff_sessions.c.staff_id).limit(1))
        await conn.execute(
            insert(staff_sessions),
            [
                {
                    "id": f"s-{n}",
                    "staff_id": staff_id,
                    "csrf_token": f"t-{n}",
                    "created_at": at,
                    "expires_at": at + timedelta(hours=8),
                    "revoked": True,
                }
                for n in range(SESSIONS)
            ],
        )
        await conn.execute(text("ANALYZE"))
    plans: list[list[str]] = []

    def explain(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        # The look-up of the token's session, as it is sent, with its parameters.
        if "staff_sessions.csrf_token =" in statement and not statement.startswith("EXPLAIN"):
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
            plans.append([str(row[-1]) for row in rows])

    event.listen(runtime.db.reader.sync_engine, "before_cursor_execute", explain)
    try:
        sent = await client.post(f"{page}/note", data={"text": "Ring mig", "nonce": "n-1", "csrf_token": token})
    finally:
        event.remove(runtime.db.reader.sync_engine, "before_cursor_execute", explain)

    # The adviser who typed it is found: the page signs in to put the text back.
    assert sent.status_code == 403
    assert sent.text.count('name="kept_seal"') == 1
    (plan,) = plans
    assert any("ix_staff_sessions_csrf_token" in step for step in plan), plan
    assert not any(step.startswith("SCAN staff_sessions") for step in plan), plan
