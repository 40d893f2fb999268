"""`keephome kommune-notices [--csv]`: every filing whose kommune notice is missing or later than the filing day.

Almenlejeloven § 92 stk. 2: the organisation notifies the kommune in writing no later than the day it files with
the fogedret, with the tenant's name and address. The list is the same one the console's inbox shows
(`bot.tenants.court.notices_due`), and never carries more than the notice may: no children flag, no amounts. It is a
report, so it exits 0 whatever it finds (2 only when the database cannot be read); the listing is audited.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TextIO

from bot.settings import Settings
from bot.store.audit import record_entry
from bot.store.db import Database, utcnow
from bot.store.migrate import prepare
from bot.tenants.court import NoticeDue, notices_due
from bot.tenants.csv_out import CsvWriter

__all__ = ["CSV_COLUMNS", "run_kommune_notices", "write_csv", "write_table"]

CSV_COLUMNS = ("tenant_ref", "name", "address", "court_filed_on", "kommune_notified_on")


def _cells(notice: NoticeDue) -> list[str]:
    notified = notice.kommune_notified_on
    return [
        notice.tenant_ref,
        notice.name,
        notice.address or "",
        notice.court_filed_on.isoformat(),
        "" if notified is None else notified.isoformat(),
    ]


def write_csv(found: Sequence[NoticeDue], out: TextIO) -> None:
    """The columns of CSV_COLUMNS, one filing a line; dates YYYY-MM-DD, an empty kommune_notified_on: missing."""
    writer = CsvWriter(out)
    writer.writerow(CSV_COLUMNS)
    writer.writerows(_cells(notice) for notice in found)


def write_table(found: Sequence[NoticeDue], out: TextIO) -> None:
    """A readable table for a person at a terminal."""
    missing = sum(1 for n in found if not n.late)
    print(
        f"Kommune notices (almenlejeloven § 92 stk. 2, due no later than the filing day): "
        f"{missing} missing, {len(found) - missing} late",
        file=out,
    )
    if not found:
        print("(every filing has its notice)", file=out)
        return
    rows = [["tenant_ref", "name", "address", "filed", "notice"]]
    for n in found:
        notice = "MISSING" if n.kommune_notified_on is None else f"late: {n.kommune_notified_on.isoformat()}"
        rows.append([n.tenant_ref, n.name, n.address or "(no address)", n.court_filed_on.isoformat(), notice])
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for index, row in enumerate(rows):
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip(), file=out)
        if index == 0:
            print("  ".join("-" * width for width in widths), file=out)


async def run_kommune_notices(
    settings: Settings, as_csv: bool, out: TextIO = sys.stdout, err: TextIO = sys.stderr
) -> int:
    """0 with the list written (empty or not); 2 when the database cannot be used."""
    db = Database(settings.database_url)
    try:
        problem = await prepare(db)
        if problem is not None:
            print(f"keephome kommune-notices: {problem}", file=err)
            return 2
        async with db.write() as conn:
            found = await conn.run_sync(notices_due)
            detail = f"count={len(found)}"
            await record_entry(conn, at=utcnow(), actor="cli", action="kommune_notices.list", detail=detail)
    finally:
        await db.dispose()
    (write_csv if as_csv else write_table)(found, out)
    return 0
