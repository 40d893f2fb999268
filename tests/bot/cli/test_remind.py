"""`keephome remind`: CSV and table output, dry runs for any day, real planning only for today."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.cli.main import main
from bot.cli.remind import run_remind
from bot.settings import Settings
from bot.store.db import Database
from bot.store.migrate import upgrade
from bot.store.schema import outbox, planned_reminders
from tests.support.helpers import add_tenant

TZ = ZoneInfo("Europe/Copenhagen")
DAY = date(2026, 3, 3)
NOW = datetime(2026, 3, 3, 10, 0, tzinfo=TZ)


async def _tenants(settings: Settings) -> None:
    db = Database(settings.database_url)
    await upgrade(db)
    try:
        await add_tenant(db, "T-missed", name="Test Lejer", balance_ore=500_000, balance_as_of=DAY)
        await add_tenant(
            db,
            "T-tg",
            name="Test Lejer",
            phone="+4520000009",
            chat_id=42,
            balance_ore=500_000,
            balance_as_of=DAY,
            court_date=date(2026, 3, 20),
        )
        await add_tenant(db, "T-paid", name="Test Lejer", phone="+4520000008", balance_as_of=DAY)
    finally:
        await db.dispose()


async def _count(settings: Settings, table: object) -> int:
    db = Database(settings.database_url)
    try:
        async with db.read() as conn:
            return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())  # type: ignore[arg-type]
    finally:
        await db.dispose()


async def test_csv_lists_who_gets_which_stage_on_which_channel(settings: Settings) -> None:
    await _tenants(settings)
    out = io.StringIO()
    assert await run_remind(settings, DAY, True, True, out, now=NOW) == 0
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert {"tenant_ref", "stage", "channel", "reason"} <= set(rows[0])
    found = {r["tenant_ref"]: (r["stage"], r["channel"]) for r in rows}
    assert found == {"T-tg": ("court", "telegram"), "T-missed": ("missed", "sms")}
    missed = next(r for r in rows if r["tenant_ref"] == "T-missed")
    assert "due_date=2026-03-01" in missed["computed_from"]
    assert "last on-time day 2026-03-02" in missed["reason"]
    assert await _count(settings, planned_reminders) == 0  # a dry run records nothing


async def test_table_for_another_day_in_a_dry_run(settings: Settings) -> None:
    await _tenants(settings)
    out = io.StringIO()
    assert await run_remind(settings, DAY, True, False, out, now=NOW - timedelta(days=2)) == 0
    text = out.getvalue()
    assert "dry run" in text
    lines = text.splitlines()
    assert lines[1].split() == ["tenant_ref", "stage", "channel", "send", "after", "reason"]
    assert set(lines[2]) == {"-", " "}
    row = next(line for line in lines if line.startswith("T-missed"))
    assert row.split()[:5] == ["T-missed", "missed", "sms", "2026-03-03", "09:00"]
    assert "rent due 2026-03-01, last on-time day 2026-03-02" in row
    # Columns line up under the header, and no line is wider than the widest row needs.
    assert row.index(" missed") + 1 == lines[1].index("stage")
    assert max(len(line) for line in lines[1:4]) < 140
    assert "3 tenants considered" in text


async def test_real_planning_for_another_day_is_refused(settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    await _tenants(settings)
    out = io.StringIO()
    assert await run_remind(settings, DAY + timedelta(days=1), False, False, out, now=NOW) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "only for today" in err and "--dry-run" in err
    assert out.getvalue() == ""
    assert await _count(settings, planned_reminders) == 0


async def test_real_planning_today_records_and_queues_once(settings: Settings) -> None:
    await _tenants(settings)
    out = io.StringIO()
    assert await run_remind(settings, None, False, False, out, now=NOW) == 0
    assert "planned for 2026-03-03: 2 new" in out.getvalue()
    assert "queued" in out.getvalue()
    again = io.StringIO()
    assert await run_remind(settings, None, False, False, again, now=NOW) == 0
    assert "2 new" not in again.getvalue() and "(no reminders)" in again.getvalue()
    assert await _count(settings, planned_reminders) == 2
    assert await _count(settings, outbox) == 2


def test_the_command_line_refuses_a_real_run_for_another_day(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KEEPHOME_DATABASE_URL", settings.database_url)
    assert main(["remind", "--date", "2000-01-01"]) == 2
    assert "only for today" in capsys.readouterr().err
