"""Datetimes in the database: stored as UTC instants on both databases, a naive one refused, however many rows
of one transaction carry the same instant (their bound value is made once and remembered)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.exc import StatementError

from bot.store.db import Database
from bot.store.schema import audit_log

COPENHAGEN_WINTER = timezone(timedelta(hours=1))


def _row(at: datetime, target: str) -> dict[str, object]:
    return {"at": at, "actor": "system", "action": "test", "target": target, "detail": ""}


async def _stored(db: Database) -> dict[str, datetime]:
    async with db.read() as conn:
        rows = (await conn.execute(select(audit_log.c.target, audit_log.c.at))).all()
    return {row.target: row.at for row in rows}


async def test_one_instant_on_many_rows_and_in_another_zone_reads_back_as_the_same_utc_instant(
    database: Database,
) -> None:
    noon = datetime(2026, 12, 2, 12, 0, 0, 123456, tzinfo=UTC)
    local = noon.astimezone(COPENHAGEN_WINTER)  # equal to `noon`: the remembered value must be UTC's
    later = noon + timedelta(microseconds=1)
    rows = [_row(noon, f"a{i}") for i in range(50)] + [_row(local, "local"), _row(later, "later")]
    async with database.write() as conn:
        await conn.execute(audit_log.insert(), rows)
    stored = await _stored(database)
    assert len(stored) == 52
    assert [target for target, at in stored.items() if at != noon] == ["later"]
    assert stored["local"] == noon and stored["local"].utcoffset() == timedelta(0)
    assert stored["later"] - stored["a0"] == timedelta(microseconds=1)


async def test_a_naive_datetime_is_refused_even_after_the_same_wall_time_was_written(database: Database) -> None:
    noon = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
    async with database.write() as conn:
        await conn.execute(audit_log.insert(), [_row(noon, "aware")])
    with pytest.raises(StatementError, match="naive datetime"):
        async with database.write() as conn:
            await conn.execute(audit_log.insert(), [_row(noon.replace(tzinfo=None), "naive")])
    assert list(await _stored(database)) == ["aware"]
