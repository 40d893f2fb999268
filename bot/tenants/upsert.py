"""Writing imported tenants (upserts by tenant_ref, one transaction) and the `keephome import` command."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from sqlalchemy import Table, and_, case, func, or_, select
from sqlalchemy.dialects.postgresql import Insert as PgInsert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import Insert as SqliteInsert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.reminders.timers import balance_updated
from bot.settings import Settings
from bot.store.db import Database, utcnow
from bot.store.migrate import SchemaBehind, ensure_current, upgrade
from bot.store.schema import audit_log, rent_positions, tenants
from bot.tenants.csv_rows import ImportRow, known_languages, parse_csv

__all__ = [
    "CHUNK",
    "ImportSummary",
    "arrears_flags",
    "import_tenants",
    "preview_import",
    "run_import",
    "upsert_rows",
]

log = logging.getLogger(__name__)

# Rows per multi-row statement: 1,000 rows of 13 columns stay far below the bound-parameter limits of
# SQLite (32,766) and asyncpg (32,767).
CHUNK = 1000
ARREARS_WINDOW = timedelta(days=365)
_BAR_FROM = 10_000
# The columns an import owns; the others hold what the tenant said (promise, paid claim) or a payment.
_KEPT = ("tenant_id", "last_payment_on", "promise_on", "paid_claim_until")
_REPLACED = tuple(column.name for column in rent_positions.c if column.name not in _KEPT)


@dataclass(frozen=True, slots=True)
class ImportSummary:
    """How many tenants an import created and how many it updated."""

    created: int
    updated: int
    # Tenants whose balance the file shows settled: their waiting reminder conversations end.
    settled_ids: tuple[int, ...] = field(default=(), compare=False, repr=False)

    def __str__(self) -> str:
        total = self.created + self.updated
        return f"{total} {'tenant' if total == 1 else 'tenants'}: {self.created} new, {self.updated} updated"


def arrears_flags(row: ImportRow, last_arrears_on: date | None) -> tuple[date | None, bool]:
    """The new `last_arrears_on` and `arrears_last_12m` for a row, given what an earlier import saw.

    An import whose balance is owing records its balance date; the flag holds while the latest such
    date lies within a year of the row's balance date, so a tenant who fell behind in the spring still
    gets a before-due reminder in the autumn, and stops getting one a year after catching up.
    """
    if row.balance_ore > 0 and (last_arrears_on is None or row.balance_as_of > last_arrears_on):
        last_arrears_on = row.balance_as_of
    recent = last_arrears_on is not None and row.balance_as_of - last_arrears_on <= ARREARS_WINDOW
    return last_arrears_on, recent


def _insert(conn: AsyncConnection, table: Table) -> PgInsert | SqliteInsert:
    return pg_insert(table) if conn.dialect.name == "postgresql" else sqlite_insert(table)


async def _known(conn: AsyncConnection, refs: Sequence[str]) -> dict[str, date | None]:
    """Existing tenant refs among `refs`, each with the last arrears date an earlier import saw."""
    query = (
        select(tenants.c.tenant_ref, rent_positions.c.last_arrears_on)
        .select_from(tenants.outerjoin(rent_positions, rent_positions.c.tenant_id == tenants.c.id))
        .where(tenants.c.tenant_ref.in_(refs))
    )
    return {ref: last for ref, last in (await conn.execute(query)).all()}


async def _upsert_tenants(conn: AsyncConnection, chunk: Sequence[ImportRow], now: datetime) -> dict[str, int]:
    stmt = _insert(conn, tenants)
    new = stmt.excluded
    # A new number for a tenant marked "wrong number" may reach them; any other status is the tenant's
    # own choice (an opt-out) or the organisation's (erasure) and an import never undoes it.
    number_changed = or_(tenants.c.phone.is_(None), tenants.c.phone != new.phone)
    status = case((and_(tenants.c.status == "wrong_number", number_changed), "active"), else_=tenants.c.status)
    stmt = stmt.on_conflict_do_update(
        index_elements=[tenants.c.tenant_ref],
        set_={"name": new.name, "phone": new.phone, "language": new.language, "status": status, "updated_at": now},
    )
    params = [
        {
            "tenant_ref": r.tenant_ref,
            "name": r.name,
            "phone": r.phone,
            "language": r.language,
            "created_at": now,
            "updated_at": now,
        }
        for r in chunk
    ]
    result = await conn.execute(stmt.returning(tenants.c.tenant_ref, tenants.c.id), params)
    return {ref: tenant_id for ref, tenant_id in result.all()}


async def _upsert_positions(
    conn: AsyncConnection, chunk: Sequence[ImportRow], ids: dict[str, int], known: dict[str, date | None], now: datetime
) -> None:
    stmt = _insert(conn, rent_positions)
    new = stmt.excluded
    settled = new.balance_ore <= 0
    set_: dict[str, Any] = {name: new[name] for name in _REPLACED}
    # What the tenant said in a conversation stands until the ledger shows the balance settled.
    set_["promise_on"] = case((settled, None), else_=rent_positions.c.promise_on)
    set_["paid_claim_until"] = case((settled, None), else_=rent_positions.c.paid_claim_until)
    stmt = stmt.on_conflict_do_update(index_elements=[rent_positions.c.tenant_id], set_=set_)
    params = []
    for r in chunk:
        last_arrears_on, arrears = arrears_flags(r, known.get(r.tenant_ref))
        params.append(
            {
                "tenant_id": ids[r.tenant_ref],
                "due_day": r.due_day,
                "monthly_rent_ore": r.monthly_rent_ore,
                "balance_ore": r.balance_ore,
                "balance_as_of": r.balance_as_of,
                "demand_sent_on": r.demand_sent_on,
                "termination_on": r.termination_on,
                "court_date": r.court_date,
                "at_risk": r.at_risk,
                "arrears_last_12m": arrears,
                "last_arrears_on": last_arrears_on,
                "updated_at": now,
            }
        )
    await conn.execute(stmt, params)


async def upsert_rows(
    conn: AsyncConnection, rows: Sequence[ImportRow], now: datetime, progress: Callable[[int], None] | None = None
) -> ImportSummary:
    """Create or update every row's tenant and rent position inside the caller's transaction."""
    created = updated = 0
    settled: list[int] = []
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        known = await _known(conn, [r.tenant_ref for r in chunk])
        ids = await _upsert_tenants(conn, chunk, now)
        await _upsert_positions(conn, chunk, ids, known, now)
        settled.extend(ids[r.tenant_ref] for r in chunk if r.balance_ore <= 0 and r.tenant_ref in known)
        updated += len(known)
        created += len(chunk) - len(known)
        if progress is not None:
            progress(start + len(chunk))
    return ImportSummary(created, updated, tuple(settled))


async def import_tenants(
    db: Database,
    rows: Sequence[ImportRow],
    now: datetime,
    *,
    actor: str = "cli",
    progress: Callable[[int], None] | None = None,
    settings: Settings | None = None,
) -> ImportSummary:
    """Create or update every row's tenant and rent position in one transaction, with an audit entry.

    A tenant the file shows paid up stops hearing reminders the same day: a waiting reminder
    conversation ends (with a thank-you when the tenant had already read its question).
    """
    async with db.write() as conn:
        summary = await upsert_rows(conn, rows, now, progress)
        if summary.settled_ids:
            await conn.run_sync(balance_updated, summary.settled_ids, now, settings)
        await conn.execute(audit_log.insert().values(at=now, actor=actor, action="tenants.import", detail=str(summary)))
    log.info("tenant import by %s: %d new, %d updated", actor, summary.created, summary.updated)
    return summary


async def preview_import(db: Database, rows: Sequence[ImportRow]) -> ImportSummary:
    """What `import_tenants` would do, without writing anything."""
    updated = 0
    async with db.read() as conn:
        for start in range(0, len(rows), CHUNK):
            refs = [r.tenant_ref for r in rows[start : start + CHUNK]]
            query = select(func.count()).select_from(tenants).where(tenants.c.tenant_ref.in_(refs))
            updated += int((await conn.execute(query)).scalar_one())
    return ImportSummary(len(rows) - updated, updated)


class _Bar:
    """A one-line text progress bar for large files."""

    def __init__(self, stream: TextIO, label: str, total: int) -> None:
        self.stream, self.label, self.total = stream, label, max(total, 1)

    def __call__(self, done: int) -> None:
        share = min(done / self.total, 1.0)
        filled = int(share * 30)
        self.stream.write(f"\r{self.label} [{'#' * filled}{'.' * (30 - filled)}] {share:4.0%} {done}/{self.total}")
        self.stream.flush()

    def close(self) -> None:
        self(self.total)
        self.stream.write("\n")


async def _ready(db: Database, migrate: bool, err: TextIO) -> bool:
    if migrate and db.is_sqlite:
        await upgrade(db)
        return True
    try:
        await ensure_current(db)
    except SchemaBehind as exc:
        print(f"keephome import: {exc}", file=err)
        return False
    return True


async def run_import(settings: Settings, path: Path, dry_run: bool, out: TextIO, err: TextIO | None = None) -> int:
    """`keephome import FILE.csv [--dry-run]`: 0 when imported (or valid), 1 on bad rows, 2 otherwise."""
    err = err if err is not None else sys.stderr
    try:
        data = await asyncio.to_thread(Path(path).read_bytes)
    except OSError as exc:
        print(f"keephome import: cannot read {path}: {exc.strerror or exc}", file=err)
        return 2
    now = utcnow()
    lines = data.count(b"\n")
    check_bar = _Bar(err, "checking", lines) if lines >= _BAR_FROM else None
    result = parse_csv(
        data,
        now.astimezone(ZoneInfo(settings.timezone)).date(),
        known_languages(),
        settings.language_list,
        settings.fallback_language,
        progress=check_bar,
    )
    if check_bar is not None:
        check_bar.close()
    if not result.ok:
        print(f"{path}: {len(result.errors)} problems, nothing was imported:", file=out)
        for error in result.errors:
            print(f"  {error}", file=out)
        return 1
    db = Database(settings.database_url)
    try:
        # SQLite migrates itself, as `run` does: a dry run against a new file then reports "all new".
        if not await _ready(db, migrate=True, err=err):
            return 2
        if dry_run:
            summary = await preview_import(db, result.rows)
            print(f"{path}: the file is valid; an import would give {summary} (nothing written)", file=out)
            return 0
        write_bar = _Bar(err, "importing", len(result.rows)) if len(result.rows) >= _BAR_FROM else None
        summary = await import_tenants(db, result.rows, now, progress=write_bar, settings=settings)
        if write_bar is not None:
            write_bar.close()
        print(f"{path}: {summary}", file=out)
        return 0
    finally:
        await db.dispose()
