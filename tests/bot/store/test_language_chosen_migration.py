"""Migration 0028: a tenant stored before it has chosen no language of their own (the file's language stays theirs
until they write ENGLISH, DANSK, …), and keeps every value; the downgrade leaves the tenant as it was."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from bot.store.db import Database
from bot.store.migrate import upgrade
from bot.store.schema import tenants
from tests.support.schema import migrate_to

NOW = datetime(2027, 3, 12, 10, 0, tzinfo=UTC)
# The columns a tenant had at revision 0027.
_BEFORE = [column for column in tenants.c if column.name != "language_chosen_at"]


async def _rows(db: Database, *columns: Any) -> list[dict[str, Any]]:
    async with db.read() as conn:
        return [dict(row._mapping) for row in await conn.execute(select(*columns).order_by(tenants.c.id))]


async def test_a_stored_tenant_has_chosen_no_language_and_keeps_the_files(empty_database_url: str) -> None:
    db = Database(empty_database_url)
    try:
        await migrate_to(db, "0027")
        async with db.write() as conn:
            await conn.execute(
                tenants.insert().values(
                    id=1, tenant_ref="DK-1001", name="Fiktiv Testperson", phone="+4520123501", language="en",
                    channel_preference="sms", telegram_blocked=False, status="active", created_at=NOW, updated_at=NOW,
                )
            )  # fmt: skip
        before = await _rows(db, *_BEFORE)
        await upgrade(db)
        assert await _rows(db, *_BEFORE) == before
        assert await _rows(db, tenants.c.language, tenants.c.language_chosen_at) == [
            {"language": "en", "language_chosen_at": None}
        ]
        await migrate_to(db, "0027", down=True)
        assert await _rows(db, *_BEFORE) == before
    finally:
        await db.dispose()
