"""`keephome remind`: plan today's reminders now, or show who a day would remind, on which channel and why."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import date, datetime
from typing import TextIO
from zoneinfo import ZoneInfo

from bot.reminders.plan import PlannedRow, PlanOutcome, plan_reminders
from bot.settings import Settings
from bot.store.db import Database, utcnow
from bot.store.migrate import prepare
from bot.tenants.csv_out import CsvWriter

__all__ = ["CSV_COLUMNS", "run_remind", "write_csv", "write_table"]

CSV_COLUMNS = ("tenant_ref", "stage", "channel", "send_after", "reason", "computed_from")


def _computed_from(row: PlannedRow) -> str:
    return ", ".join(f"{name}={value}" for name, value in row.computed_from.items())


def _cells(row: PlannedRow, tz: ZoneInfo) -> list[str]:
    send_after = row.send_after.astimezone(tz).strftime("%Y-%m-%d %H:%M")
    return [row.tenant_ref, row.trigger, row.channel, send_after, row.reason, _computed_from(row)]


def write_csv(outcome: PlanOutcome, tz: ZoneInfo, out: TextIO) -> None:
    """One line per reminder; `stage` is the trigger's name, times are local; formula-like cells neutralised."""
    writer = CsvWriter(out)
    writer.writerow(CSV_COLUMNS)
    for row in outcome.rows:
        writer.writerow(_cells(row, tz))


def _summary(outcome: PlanOutcome) -> list[str]:
    s = outcome.summary
    return [
        f"{s.considered} tenants considered: {s.planned} due a reminder by the policy, "
        f"{outcome.already_contacted} of them already contacted or planned that day;",
        f"not reminded: {s.stale} with stale balance data, {s.unreachable} unreachable (opted out, wrong number "
        f"or no address), {s.held_by_conversation} held by a conversation or case, "
        f"{s.held_by_paid_claim} held by a paid claim or a promise.",
    ]


def _table(rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for index, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
        if index == 0:
            lines.append("  ".join("-" * width for width in widths))
    return lines


def write_table(outcome: PlanOutcome, tz: ZoneInfo, out: TextIO) -> None:
    """A readable table for a person at a terminal, with a short summary (the CSV has the computed dates)."""
    if outcome.dry_run:
        title = f"Reminders that {outcome.day.isoformat()} would bring (dry run: nothing recorded or sent)"
    else:
        title = f"Reminders planned for {outcome.day.isoformat()}: {len(outcome.rows)} new"
    print(title, file=out)
    if outcome.rows:
        header = ["tenant_ref", "stage", "channel", "send after", "reason"]
        for line in _table([header, *(_cells(row, tz)[:5] for row in outcome.rows)]):
            print(line, file=out)
    else:
        print("(no reminders)", file=out)
    for line in _summary(outcome):
        print(line, file=out)
    if outcome.rows and not outcome.dry_run:
        print("They are queued; the running service sends each one from its send-after time.", file=out)


async def run_remind(
    settings: Settings,
    day: date | None,
    dry_run: bool,
    as_csv: bool,
    out: TextIO,
    *,
    now: datetime | None = None,
) -> int:
    """Plan today's reminders (or, with dry_run, show any day's); returns the exit status."""
    tz = ZoneInfo(settings.timezone)
    now = now or utcnow()
    today = now.astimezone(tz).date()
    day = day or today
    if not dry_run and day != today:
        print(
            f"keephome remind: reminders are planned for real only for today ({today.isoformat()}); "
            f"add --dry-run to see what {day.isoformat()} would bring",
            file=sys.stderr,
        )
        return 2
    db = Database(settings.database_url)
    try:
        problem = await prepare(db)
        if problem is not None:
            print(f"keephome remind: {problem}", file=sys.stderr)
            return 2
        outcome = await plan_reminders(db, settings, now, day=day, dry_run=dry_run)
    finally:
        await db.dispose()
    (write_csv if as_csv else write_table)(outcome, tz, out)
    return 0
