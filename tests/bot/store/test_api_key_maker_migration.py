"""Migration 0022: a key made before it gets its maker from the audit log's `apikey.add` entry (an admin in the
console); a key made on the command line has none. The downgrade keeps every key and its idempotency rows."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy import select

from bot.store.db import Database
from bot.store.migrate import upgrade
from bot.store.schema import api_keys
from tests.support.schema import migrate_to

NOW = datetime(2027, 3, 12, 10, 0, tzinfo=UTC)
# The tables as revision 0021 has them (the schema's own api_keys has the column 0022 adds).
_KEYS = sa.table(
    "api_keys",
    *(sa.column(name) for name in ("id", "name", "key_hash", "scope", "window_count")),
    sa.column("created_at", sa.DateTime(timezone=True)),
)
_AUDIT = sa.table(
    "audit_log",
    *(sa.column(name) for name in ("actor", "action", "target")),
    sa.column("at", sa.DateTime(timezone=True)),
)
_IDEMPOTENCY = sa.table(
    "api_idempotency",
    *(sa.column(name) for name in ("key_id", "idempotency_key", "fingerprint")),
    sa.column("created_at", sa.DateTime(timezone=True)),
)


async def test_a_key_made_before_gets_its_maker_from_the_audit_log(empty_database_url: str) -> None:
    db = Database(empty_database_url)
    try:
        await migrate_to(db, "0021")
        async with db.write() as conn:
            for key_id, name in ((1, "Ledger"), (2, "Nightly import"), (3, "ERP")):
                await conn.execute(
                    _KEYS.insert().values(
                        id=key_id, name=name, key_hash=f"h{key_id}", scope="write", window_count=0, created_at=NOW
                    )
                )
            for actor, target in (("staff:7", "apikey:1"), ("cli", "apikey:2"), ("staff:9", "apikey:13")):
                await conn.execute(_AUDIT.insert().values(actor=actor, action="apikey.add", target=target, at=NOW))
            await conn.execute(
                _AUDIT.insert().values(actor="staff:8", action="apikey.revoke", target="apikey:3", at=NOW)
            )
            await conn.execute(
                _IDEMPOTENCY.insert().values(key_id=1, idempotency_key="k", fingerprint="f", created_at=NOW)
            )
        await upgrade(db)
        async with db.read() as conn:
            makers = (await conn.execute(select(api_keys.c.id, api_keys.c.made_by).order_by(api_keys.c.id))).all()
        # Key 3's only entry is a revocation and key 13's entry names no key here: neither gives key 3 a maker.
        assert [tuple(row) for row in makers] == [(1, 7), (2, None), (3, None)]
        await migrate_to(db, "0021", down=True)
        async with db.read() as conn:
            kept = (await conn.execute(sa.text("SELECT count(*) FROM api_keys"))).scalar_one()
            idempotency = (await conn.execute(sa.text("SELECT count(*) FROM api_idempotency"))).scalar_one()
        assert (kept, idempotency) == (3, 1)
    finally:
        await db.dispose()
