"""Migration 0026: the entries written before it get the names their details carry, as the writer records them for
the entries written after (`names_in`), in batches; the downgrade keeps every entry."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy import select

from bot.store.audit import names_in
from bot.store.db import Database
from bot.store.migrate import upgrade
from bot.store.schema import audit_log, audit_names
from tests.support.schema import migrate_to

NOW = datetime(2027, 3, 12, 10, 0, tzinfo=UTC)
# The log as revision 0025 has it.
_AUDIT = sa.table(
    "audit_log",
    *(sa.column(name) for name in ("actor", "action", "target", "detail")),
    sa.column("at", sa.DateTime(timezone=True)),
)
_DETAILS = [
    "case:3,task:7",
    "tenant:4 task:9 call=done",
    "volunteer=staff:2",
    None,
    'key "Ledger": 1 tenant: 0 new, 1 changed, 0 unchanged',
    "case:3;",
    "new=task:12",
]

# More than one batch of the migration's 5000 entries with a detail.
_ENTRIES = [_DETAILS[n % len(_DETAILS)] for n in range(7003)]


async def test_the_entries_written_before_get_the_names_their_details_carry(empty_database_url: str) -> None:
    db = Database(empty_database_url)
    try:
        await migrate_to(db, "0025")
        async with db.write() as conn:
            await conn.execute(
                _AUDIT.insert(),
                [
                    {"actor": "staff:1", "action": "inbox.view", "target": None, "detail": d, "at": NOW}
                    for d in _ENTRIES
                ],
            )
        await upgrade(db)
        async with db.read() as conn:
            details = {int(r.id): r.detail for r in await conn.execute(select(audit_log.c.id, audit_log.c.detail))}
            stored: dict[int, set[str]] = {}
            for audit_id, name in await conn.execute(select(audit_names.c.audit_id, audit_names.c.name)):
                stored.setdefault(int(audit_id), set()).add(str(name))
        assert len(details) == len(_ENTRIES)
        assert stored == {i: names_in(d) for i, d in details.items() if names_in(d)}
        assert set().union(*stored.values()) == {"case:3", "task:7", "tenant:4", "task:9", "staff:2", "task:12"}
        await migrate_to(db, "0025", down=True)
        async with db.read() as conn:
            assert (await conn.execute(sa.text("SELECT count(*) FROM audit_log"))).scalar_one() == len(_ENTRIES)
    finally:
        await db.dispose()
