"""Migration 0014: a row marked "maybe sent: " at the start of its last_error before keeps saying that the tenant
may have the message, now in `maybe_sent`, with its reason alone in last_error; the downgrade writes it back."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy import select

from bot.store.db import Database
from bot.store.migrate import upgrade
from bot.store.schema import outbox
from tests.support.schema import migrate_to

NOW = datetime(2027, 3, 12, 10, 0, tzinfo=UTC)
# The tables as revision 0013 has them (the schema's own outbox has the column 0014 adds).
_MESSAGES = sa.table(
    "messages",
    *(sa.column(name) for name in ("id", "direction", "author", "status", "status_rank", "proactive")),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("updated_at", sa.DateTime(timezone=True)),
)
_OUTBOX = sa.table(
    "outbox",
    *(sa.column(name) for name in ("message_id", "channel", "template", "language", "idempotency_key")),
    *(sa.column(name) for name in ("proactive", "attempts", "state", "last_error")),
    sa.column("values", sa.JSON),
    *(sa.column(name, sa.DateTime(timezone=True)) for name in ("not_before", "next_attempt_at", "created_at")),
)


async def _rows(db: Database) -> list[tuple[str, str | None, bool]]:
    o = outbox.c
    async with db.read() as conn:
        found = await conn.execute(select(o.idempotency_key, o.last_error, o.maybe_sent).order_by(o.id))
        return [(str(key), error, bool(maybe)) for key, error, maybe in found]


async def test_a_maybe_sent_note_becomes_the_mark_and_comes_back_on_downgrade(empty_database_url: str) -> None:
    db = Database(empty_database_url)
    try:
        await migrate_to(db, "0013")
        errors = {"a": "maybe sent: timeout", "b": "timeout", "c": None, "d": "maybe sent: "}
        async with db.write() as conn:
            for n, (key, error) in enumerate(errors.items(), start=1):
                await conn.execute(
                    _MESSAGES.insert().values(
                        id=n, direction="out", author="bot", status="queued", status_rank=0, proactive=False,
                        created_at=NOW, updated_at=NOW,
                    )
                )  # fmt: skip
                await conn.execute(
                    _OUTBOX.insert().values(
                        message_id=n, channel="sms", template="common.nudge", language="da", idempotency_key=key,
                        proactive=False, attempts=1, state="pending", last_error=error, values={},
                        not_before=NOW, next_attempt_at=NOW, created_at=NOW,
                    )
                )  # fmt: skip
        await upgrade(db)
        assert await _rows(db) == [("a", "timeout", True), ("b", "timeout", False), ("c", None, False), ("d", "", True)]
        await migrate_to(db, "0013", down=True)
        async with db.read() as conn:
            kept = (await conn.execute(sa.text("SELECT last_error FROM outbox ORDER BY id"))).scalars().all()
        assert kept == ["maybe sent: timeout", "timeout", None, "maybe sent: "]
    finally:
        await db.dispose()
