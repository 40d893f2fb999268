"""Writing imported tenants on SQLite and PostgreSQL, and the `keephome import` command."""

from __future__ import annotations

import asyncio
import io
import logging
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from bot.cli.import_csv import run_import
from bot.reminders.ledger import import_tenants
from bot.store.db import Database
from bot.store.migrate import current_revision, head_revision, upgrade
from bot.store.schema import audit_log, balance_events, rent_positions, tenants
from bot.tenants import upsert
from bot.tenants.csv_rows import ImportRow, known_languages, parse_csv
from bot.tenants.upsert import ImportRefused, ImportSummary, arrears_flags, preview_import
from tests.conftest import make_settings
from tests.support.helpers import add_tenant
from tests.support.schema import migrate_to

FIXTURES = Path(__file__).resolve().parents[2] / "support" / "fixtures"
NOW = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)
TODAY = NOW.date()


def rows_of(data: bytes | str, today: date = TODAY) -> tuple[ImportRow, ...]:
    raw = data.encode() if isinstance(data, str) else data
    result = parse_csv(raw, today, known_languages(), ["da", "en"], "da")
    assert result.ok, [str(e) for e in result.errors]
    return result.rows


async def tenant(db: Database, ref: str) -> dict[str, Any]:
    async with db.read() as conn:
        query = select(tenants, rent_positions).join(rent_positions, rent_positions.c.tenant_id == tenants.c.id)
        row = (await conn.execute(query.where(tenants.c.tenant_ref == ref))).mappings().one()
    return dict(row)


async def count(db: Database, table: Any = tenants) -> int:
    async with db.read() as conn:
        return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())


async def test_import_writes_tenants_and_rent_positions(database: Database) -> None:
    summary = await import_tenants(
        database, rows_of((FIXTURES / "tenants_semicolon.csv").read_bytes()), NOW, make_settings(database.url)
    )
    assert summary == ImportSummary(created=3, updated=0)
    assert str(summary) == "3 tenants: 3 new, 0 changed, 0 unchanged"
    second = await tenant(database, "DK-1002")
    assert (second["name"], second["phone"], second["language"], second["status"]) == (
        "Fiktiv; Testperson",
        "+4520123502",
        "en",
        "active",
    )
    assert (second["due_day"], second["monthly_rent_ore"], second["balance_ore"]) == (5, 625000, 1250125)
    assert (second["balance_as_of"], second["demand_sent_on"], second["at_risk"]) == (
        date(2026, 3, 2),
        date(2026, 2, 10),
        True,
    )
    assert (second["arrears_last_12m"], second["last_arrears_on"]) == (True, date(2026, 3, 2))
    paid_up = await tenant(database, "DK-1001")
    assert (paid_up["balance_ore"], paid_up["arrears_last_12m"], paid_up["last_arrears_on"]) == (0, False, None)
    async with database.read() as conn:
        audit = (await conn.execute(select(audit_log))).mappings().one()
    assert (audit["actor"], audit["action"], audit["detail"]) == (
        "cli",
        "tenants.import",
        "created=3 changed=0 unchanged=0",
    )


async def test_reimport_updates_by_tenant_ref_and_keeps_the_status(database: Database) -> None:
    await import_tenants(
        database, rows_of((FIXTURES / "tenants_semicolon.csv").read_bytes()), NOW, make_settings(database.url)
    )
    first = await tenant(database, "DK-1002")
    async with database.write() as conn:
        await conn.execute(update(tenants).where(tenants.c.tenant_ref == "DK-1002").values(status="stopped"))
        await conn.execute(
            update(tenants).where(tenants.c.tenant_ref == "DK-1003").values(status="wrong_number", telegram_chat_id=77)
        )
        await conn.execute(
            update(rent_positions).values(promise_on=date(2026, 3, 10), paid_claim_until=date(2026, 3, 8))
        )
    later = NOW + timedelta(days=1)
    data = (
        "tenant_ref;name;phone;language;balance;balance_as_of\n"
        "DK-1002;Fiktiv Omdøbt;+4520123599;da;3.000;06-03-2026\n"
        "DK-1003;Opdigtet Testesen;+4520123598;en;0;06-03-2026\n"
        "DK-1004;Ny Testperson;+4520123597;;;\n"
    )
    summary = await import_tenants(
        database, rows_of(data, TODAY + timedelta(days=1)), later, make_settings(database.url)
    )
    assert summary == ImportSummary(created=1, updated=2)
    assert await count(database) == 4
    moved = await tenant(database, "DK-1002")
    assert moved["id"] == first["id"] and moved["created_at"] == first["created_at"]
    assert (moved["name"], moved["phone"], moved["language"]) == ("Fiktiv Omdøbt", "+4520123599", "da")
    assert moved["status"] == "stopped", "an opted-out tenant stays opted out"
    # A column the file does not have keeps what is stored; what the tenant said stays too.
    kept = ("due_day", "monthly_rent_ore", "demand_sent_on", "at_risk")
    assert [moved[name] for name in kept] == [first[name] for name in kept]
    assert (first["due_day"], first["monthly_rent_ore"]) == (5, 625000)
    assert (moved["balance_ore"], moved["promise_on"], moved["paid_claim_until"]) == (
        300000,
        date(2026, 3, 10),
        date(2026, 3, 8),
    )
    assert moved["updated_at"] == later
    settled = await tenant(database, "DK-1003")
    # A new number for a "wrong number" tenant may reach them; a settled balance ends the promise.
    assert (settled["status"], settled["telegram_chat_id"], settled["language"]) == ("active", 77, "en")
    assert (settled["promise_on"], settled["paid_claim_until"]) == (None, None)


LEDGER = (
    "tenant_ref,name,phone,due_day,monthly_rent,balance,balance_as_of,demand_sent_on,termination_on,at_risk\n"
    "K-1,Kim Testesen,20223301,5,7100.00,7100.00,2026-03-01,2026-02-10,2026-03-02,1\n"
)


async def test_a_contact_only_file_keeps_the_balance_and_the_legal_dates(database: Database) -> None:
    settings = make_settings(database.url)
    await import_tenants(database, rows_of(LEDGER), NOW, settings)
    before = await tenant(database, "K-1")
    events = await count(database, balance_events)
    # A new number for a known tenant and a new tenant: the file has no balance and no dates.
    contacts = "tenant_ref,name,phone\nK-1,Kim Testesen,20 22 33 02\nK-2,Ny Testperson,20223303\n"
    summary = await import_tenants(database, rows_of(contacts), NOW, settings)
    assert (summary.created, summary.changed, summary.settled_ids) == (1, 1, ())
    kept = await tenant(database, "K-1")
    assert kept["phone"] == "+4520223302"
    columns = ("due_day", "monthly_rent_ore", "balance_ore", "balance_as_of", "demand_sent_on", "termination_on")
    assert [kept[c] for c in (*columns, "at_risk")] == [before[c] for c in (*columns, "at_risk")]
    assert (kept["balance_ore"], kept["termination_on"], kept["at_risk"]) == (710000, date(2026, 3, 2), True)
    assert await count(database, balance_events) == events  # no balance change, no "settled"
    new = await tenant(database, "K-2")
    assert (new["balance_ore"], new["due_day"], new["demand_sent_on"], new["at_risk"]) == (0, 1, None, False)
    # The same contacts again change nothing; the dry run counts as the import does.
    again = await preview_import(database, rows_of(contacts), secret_key=settings.secret_key)
    assert (again.created, again.changed, again.unchanged) == (0, 0, 2)


async def test_an_empty_cell_in_a_column_the_file_has_still_clears_it(database: Database) -> None:
    settings = make_settings(database.url)
    await import_tenants(database, rows_of(LEDGER), NOW, settings)
    emptied = "tenant_ref,name,phone,balance,balance_as_of,termination_on,at_risk\nK-1,Kim Testesen,20223301,,,,\n"
    summary = await import_tenants(database, rows_of(emptied), NOW, settings)
    got = await tenant(database, "K-1")
    assert (got["balance_ore"], got["balance_as_of"], got["termination_on"], got["at_risk"]) == (0, TODAY, None, False)
    assert summary.settled_ids == (got["tenant_id"],)
    assert (got["due_day"], got["monthly_rent_ore"]) == (5, 710000)  # columns it does not have stay


async def test_an_older_ledger_does_not_undo_a_newer_balance(database: Database) -> None:
    settings = make_settings(database.url)
    await import_tenants(database, rows_of(LEDGER), NOW, settings)
    newer = LEDGER.replace("7100.00,2026-03-01", "0,2026-03-04")  # paid since: the ledger of 4 March
    await import_tenants(database, rows_of(newer), NOW, settings)
    events = await count(database, balance_events)
    # The file of 1 March again (a stale export): a dry run and the import say the newer balance stays.
    preview = await preview_import(database, rows_of(LEDGER), secret_key=settings.secret_key)
    summary = await import_tenants(database, rows_of(LEDGER), NOW, settings)
    assert preview.older_balances_kept == summary.older_balances_kept == 1
    assert (preview.changed, preview.unchanged) == (summary.changed, summary.unchanged) == (0, 1)
    assert str(summary) == (
        "1 tenant: 0 new, 0 changed, 1 unchanged; 1 older balance not taken (keephome already has a newer one, "
        "from a payment for instance, and keeps it)"
    )
    got = await tenant(database, "K-1")
    assert (got["balance_ore"], got["balance_as_of"]) == (0, date(2026, 3, 4))
    assert await count(database, balance_events) == events
    # A ledger as new as the stored balance, or newer, is taken.
    later = LEDGER.replace("7100.00,2026-03-01", "500.00,2026-03-05")
    assert (await import_tenants(database, rows_of(later), NOW, settings)).older_balances_kept == 0
    assert (await tenant(database, "K-1"))["balance_ore"] == 50000


async def test_arrears_are_remembered_for_a_year(database: Database) -> None:
    owing = rows_of("tenant_ref,name,phone,balance,balance_as_of\nA,Test Person,+4520123501,500,2026-03-01\n")
    await import_tenants(database, owing, NOW, make_settings(database.url))
    for as_of, expected in [(date(2026, 9, 1), True), (date(2027, 3, 1), True), (date(2027, 3, 2), False)]:
        paid = rows_of(f"tenant_ref,name,phone,balance,balance_as_of\nA,Test Person,+4520123501,0,{as_of}\n", as_of)
        await import_tenants(database, paid, NOW, make_settings(database.url))
        position = await tenant(database, "A")
        assert (position["arrears_last_12m"], position["last_arrears_on"]) == (expected, date(2026, 3, 1)), as_of


@pytest.mark.parametrize(
    ("balance", "as_of", "before", "expected"),
    [
        (0, date(2026, 3, 1), None, (None, False)),
        (100, date(2026, 3, 1), None, (date(2026, 3, 1), True)),
        (0, date(2026, 3, 1), date(2025, 3, 1), (date(2025, 3, 1), True)),
        (0, date(2026, 3, 2), date(2025, 3, 1), (date(2025, 3, 1), False)),
        (100, date(2026, 1, 1), date(2026, 2, 1), (date(2026, 2, 1), True)),
        (-100, date(2026, 3, 1), None, (None, False)),
    ],
)
def test_arrears_flags(balance: int, as_of: date, before: date | None, expected: tuple[date | None, bool]) -> None:
    (row,) = rows_of("tenant_ref,name,phone\nA,Test Person,+4520123501\n")
    assert arrears_flags(replace(row, balance_ore=balance, balance_as_of=as_of), before) == expected


async def test_a_failure_half_way_writes_nothing(database: Database) -> None:
    lines = [f"R{i},Test Person,+4526{i:06d}" for i in range(1500)]
    rows = list(rows_of("tenant_ref,name,phone\n" + "\n".join(lines)))
    rows[1400] = replace(rows[1400], balance_ore=2**63)  # past BIGINT: the database refuses the second chunk
    with pytest.raises(Exception, match=r"(?i)int|range"):
        await import_tenants(database, rows, NOW, make_settings(database.url))
    assert await count(database) == 0
    assert await count(database, audit_log) == 0


async def test_run_import_with_bad_rows_imports_nothing(database: Database, database_url: str, tmp_path: Path) -> None:
    settings = make_settings(database_url)
    await import_tenants(
        database, rows_of("tenant_ref,name,phone\nB-1,Earlier Name,+4520123501\n"), NOW, make_settings(database.url)
    )
    out, err = io.StringIO(), io.StringIO()
    path = FIXTURES / "tenants_bad.csv"
    assert await run_import(settings, path, False, out, err) == 1
    report = out.getvalue().splitlines()
    assert report[0] == f"{path}: 19 problems, nothing was imported:"
    assert (
        report[1]
        == '  line 3: phone "12" is not a valid phone number: a Danish number has 8 digits (not counting +45), this '
        "one has 2"
    )
    assert report[-1] == "  line 21: tenant_ref contains the control character U+0007: remove it"
    assert await count(database) == 1
    assert (await tenant(database, "B-1"))["name"] == "Earlier Name"


@pytest.mark.parametrize("dry_run", [False, True])
async def test_run_import_of_a_header_only_file_fails(database_url: str, tmp_path: Path, dry_run: bool) -> None:
    # A truncated export: reporting "0 tenants" and exit 0 would look like a successful import.
    path = tmp_path / "tenants.csv"
    path.write_text("tenant_ref,name,phone\n", "utf-8")
    out = io.StringIO()
    assert await run_import(make_settings(database_url), path, dry_run, out, io.StringIO()) == 1
    assert out.getvalue().splitlines() == [
        f"{path}: 1 problem, nothing was imported:",
        "  line 1: the file has no tenants: there is no row below its header line (a truncated export?)",
    ]


async def test_run_import_dry_run_writes_nothing(database: Database, database_url: str) -> None:
    settings = make_settings(database_url)
    await import_tenants(
        database, rows_of("tenant_ref,name,phone\nDK-1001,Earlier Name,+4520123501\n"), NOW, make_settings(database.url)
    )
    out = io.StringIO()
    path = FIXTURES / "tenants_semicolon.csv"
    assert await run_import(settings, path, True, out, io.StringIO()) == 0
    said = "the file is valid; an import would give 3 tenants: 2 new, 1 changed, 0 unchanged (nothing written)"
    assert out.getvalue() == f"{path}: {said}\n"
    assert await count(database) == 1
    assert (await tenant(database, "DK-1001"))["name"] == "Earlier Name"


async def test_run_import_writes_and_reports(
    database: Database, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    settings = make_settings(database_url, languages="da,en,ar")
    out = io.StringIO()
    path = FIXTURES / "tenants_comma.csv"
    assert await run_import(settings, path, False, out, io.StringIO()) == 0
    assert out.getvalue() == f"{path}: 2 tenants: 2 new, 0 changed, 0 unchanged\n"
    assert (await tenant(database, "EN-2"))["language"] == "ar"
    out = io.StringIO()
    # Only the second import's lines: an earlier test in the same worker may have left the logger at INFO, so the
    # first import's line can be captured too.
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="bot.reminders.ledger"):
        assert await run_import(settings, path, False, out, io.StringIO()) == 0
    assert out.getvalue() == f"{path}: 2 tenants: 0 new, 0 changed, 2 unchanged\n"
    # The log line says what the operator was told.
    assert [r.getMessage() for r in caplog.records] == [
        "tenant import by cli: 2 tenants: 0 new, 0 changed, 2 unchanged"
    ]


@pytest.mark.parametrize("dry_run", [True, False])
async def test_run_import_refuses_a_demand_sent_after_today_and_imports_nothing(
    database: Database, database_url: str, tmp_path: Path, dry_run: bool
) -> None:
    """`keephome import` reads "today" from its own clock: a påkrav sent a month ahead is a bad row (exit code 1),
    the file imports nothing, and the line says what to write."""
    ahead = (datetime.now(UTC) + timedelta(days=30)).date().isoformat()
    path = tmp_path / "tenants.csv"
    path.write_text(
        f"tenant_ref,name,phone,demand_sent_on\nA-1,Test Person,+4520123501,\nA-2,Test Person,+4520123502,{ahead}\n"
    )
    out = io.StringIO()
    assert await run_import(make_settings(database_url), path, dry_run, out, io.StringIO()) == 1
    report = out.getvalue().splitlines()
    assert report[0] == f"{path}: 1 problem, nothing was imported:"
    assert report[1].startswith(f"  line 3: demand_sent_on {ahead} is after today (")
    assert report[1].endswith("): write the day the påkrav was sent, or leave the cell empty until it is")
    assert await count(database) == 0


@pytest.mark.parametrize("dry_run", [True, False])
async def test_run_import_tells_of_a_row_whose_language_is_not_enabled(
    database: Database, database_url: str, dry_run: bool
) -> None:
    """Arabic is known but not enabled here: the row imports, and the report says on its line that this tenant will
    read the fallback language (a notice: the exit code stays 0)."""
    out = io.StringIO()
    path = FIXTURES / "tenants_comma.csv"
    assert await run_import(make_settings(database_url, languages="da,en"), path, dry_run, out, io.StringIO()) == 0
    report = out.getvalue().splitlines()
    assert len(report) == 2 and report[0].startswith(f"{path}: ")
    assert report[1] == (
        '  line 3 (notice): language "ar" is not enabled here (KEEPHOME_LANGUAGES: da, en): this tenant will read '
        "da, the fallback language (KEEPHOME_FALLBACK_LANGUAGE)"
    )
    assert await count(database) == (0 if dry_run else 2)


async def test_run_import_counts_the_notices_past_the_first_twenty(database_url: str, tmp_path: Path) -> None:
    """A file of many tenants in a language not enabled here: twenty lines say so, one line counts the rest."""
    header = "tenant_ref;name;phone;language\n"
    rows = [f"L-{i};Fiktiv Testperson;+45 20 12 {3600 + i};ar\n" for i in range(25)]
    path = tmp_path / "arabic.csv"
    await asyncio.to_thread(path.write_text, header + "".join(rows), "utf-8")
    out = io.StringIO()
    assert await run_import(make_settings(database_url, languages="da,en"), path, True, out, io.StringIO()) == 0
    report = out.getvalue().splitlines()
    assert sum("(notice)" in line for line in report) == 20
    assert report[-1] == "  … and 5 more notices"


async def test_a_reimport_counts_changed_and_unchanged_tenants(
    database: Database, database_url: str, tmp_path: Path
) -> None:
    settings = make_settings(database_url)
    header = "tenant_ref;name;phone;language;due_day;monthly_rent;balance;balance_as_of;demand_sent_on;at_risk\n"
    lines = [
        "A-1;Prøve Eksempelsen;20 12 35 01;da;1;7.100,50;0;01-03-2026;;nej\n",
        "A-2;Fiktiv Testperson;+45 20 12 35 02;en;5;6.250;12.501,25;2026-03-02;10-02-2026;ja\n",
        "A-3;Opdigtet Testesen;004520123503;;;5000,5;-150,00;2026-03-02;;\n",
    ]
    path = tmp_path / "tenants.csv"
    await asyncio.to_thread(path.write_text, header + "".join(lines), "utf-8")
    assert await run_import(settings, path, False, io.StringIO(), io.StringIO()) == 0
    # What the tenant said and their status are no part of the file: the same file is still "0 changed".
    async with database.write() as conn:
        await conn.execute(update(tenants).where(tenants.c.tenant_ref == "A-2").values(status="stopped"))
        await conn.execute(update(rent_positions).values(promise_on=date(2026, 3, 10)))
    for dry_run in (True, False):
        out = io.StringIO()
        assert await run_import(settings, path, dry_run, out, io.StringIO()) == 0
        assert "3 tenants: 0 new, 0 changed, 3 unchanged" in out.getvalue()
    # One value of one row (a balance) and a new row are counted as such, by the dry run and the import alike.
    lines[1] = lines[1].replace("12.501,25", "12.001,25")
    lines.append("A-9;Ny Testperson;20 12 35 09;da;1;0;0;2026-03-02;;nej\n")
    rows = rows_of(header + "".join(lines))
    preview = await preview_import(database, rows, secret_key=None)
    summary = await import_tenants(database, rows, NOW, settings)
    counted = (summary.created, summary.changed, summary.unchanged)
    assert counted == (preview.created, preview.changed, preview.unchanged) == (1, 1, 2)
    assert str(summary) == "4 tenants: 1 new, 1 changed, 2 unchanged"


@pytest.mark.parametrize("dry_run", [False, True])
async def test_run_import_refuses_a_number_another_tenant_holds_with_a_report(
    database: Database, database_url: str, tmp_path: Path, dry_run: bool
) -> None:
    settings = make_settings(database_url)
    await import_tenants(database, rows_of("tenant_ref,name,phone\nA-1,First Holder,+4520123501\n"), NOW, settings)
    path = tmp_path / "second.csv"
    await asyncio.to_thread(path.write_text, "tenant_ref,name,phone\nB-1,Second Person,20 12 35 01\n", "utf-8")
    out, err = io.StringIO(), io.StringIO()
    assert await run_import(settings, path, dry_run, out, err) == 1
    report = out.getvalue().splitlines()
    assert report[0] == f"{path}: 1 problem, nothing was imported:"
    assert report[1].startswith("  line 2:") and "A-1" in report[1]
    assert "Traceback" not in err.getvalue()
    assert await count(database) == 1


async def test_run_import_of_a_missing_file(database_url: str, tmp_path: Path) -> None:
    err = io.StringIO()
    assert await run_import(make_settings(database_url), tmp_path / "nope.csv", False, io.StringIO(), err) == 2
    assert "cannot read" in err.getvalue() and "nope.csv" in err.getvalue()


@pytest.mark.postgres
async def test_run_import_refuses_a_postgres_schema_that_is_behind(pg_url: str) -> None:
    err = io.StringIO()
    settings = make_settings(pg_url)
    assert await run_import(settings, FIXTURES / "tenants_comma.csv", False, io.StringIO(), err) == 2
    assert "keephome db upgrade" in err.getvalue()


@pytest.mark.slow
async def test_twenty_thousand_rows_import_on_sqlite_with_progress(sqlite_url: str, tmp_path: Path) -> None:
    n = 20_000  # the speed of 100,000 is bench/fanout.py's and bench/api_bulk.py's to show, not a test's
    path = tmp_path / "big.csv"
    lines = ["tenant_ref;name;phone;monthly_rent;balance;due_day"]
    lines += [f"T{i:06d};Test Person {i};+4526{i:06d};7.100,50;{i % 2}.000,25;{i % 28 + 1}" for i in range(n)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    settings = make_settings(sqlite_url)
    out, err = io.StringIO(), io.StringIO()
    assert await run_import(settings, path, False, out, err) == 0  # a fresh SQLite file is migrated first
    assert out.getvalue() == f"{path}: {n} tenants: {n} new, 0 changed, 0 unchanged\n"
    assert "importing [" in err.getvalue() and f"100% {n}/{n}" in err.getvalue()
    db = Database(sqlite_url)
    try:
        assert await count(db) == n
        assert await count(db, rent_positions) == n
        last = await tenant(db, f"T{n - 1:06d}")
        assert (last["phone"], last["balance_ore"], last["monthly_rent_ore"]) == ("+4526019999", 100025, 710050)
    finally:
        await db.dispose()


async def test_a_dry_run_against_a_new_sqlite_file_reports_every_row_as_new(tmp_path: Path) -> None:
    settings = make_settings(f"sqlite+aiosqlite:///{tmp_path / 'new.db'}")
    out, err = io.StringIO(), io.StringIO()
    path = FIXTURES / "tenants_semicolon.csv"
    assert await run_import(settings, path, True, out, err) == 0, err.getvalue()
    assert " new, 0 changed, 0 unchanged" in out.getvalue()
    db = Database(settings.database_url)
    try:
        async with db.read() as conn:
            assert (await conn.execute(select(func.count()).select_from(tenants))).scalar_one() == 0
    finally:
        await db.dispose()


async def test_a_number_held_by_a_stored_tenant_outside_the_file_refuses_the_import(database: Database) -> None:
    settings = make_settings(database.url)
    await import_tenants(database, rows_of("tenant_ref,name,phone\nA,Test Person,+4520123501\n"), NOW, settings)
    data = "tenant_ref,name,phone\nB,Other Person,+4520123502\nC,Third Person,20 12 35 01\n"
    with pytest.raises(ImportRefused) as refused:
        await import_tenants(database, rows_of(data), NOW, settings)
    assert [str(e) for e in refused.value.errors] == [
        'line 3: phone +4520123501 belongs to tenant_ref "A", who is not in this file: one number belongs to one tenant'
    ]
    assert str(refused.value).startswith("1 problem, nothing was imported: line 3: phone +4520123501 belongs to")
    # The dry run says the same, and neither wrote anything.
    with pytest.raises(ImportRefused):
        await preview_import(database, rows_of(data), secret_key=None)
    assert await count(database) == 1
    assert await count(database, audit_log) == 1


async def test_numbers_may_pass_between_tenants_of_one_file(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings(database.url)
    before = "tenant_ref,name,phone\nA,Test Person,+4520123501\nB,Test Person,+4520123502\nC,Test Person,+4520123503\n"
    await import_tenants(database, rows_of(before), NOW, settings)
    # A and B swap numbers; C's number goes to the new D and C gets a new one. One row per chunk, so each
    # number is taken in a statement before the one that frees it.
    monkeypatch.setattr(upsert, "CHUNK", 1)
    after = (
        "tenant_ref,name,phone\nD,Test Person,+4520123503\nA,Test Person,+4520123502\n"
        "B,Test Person,+4520123501\nC,Test Person,+4520123504\n"
    )
    summary = await import_tenants(database, rows_of(after), NOW, settings)
    assert summary == ImportSummary(created=1, updated=3)
    phones = {ref: (await tenant(database, ref))["phone"] for ref in "ABCD"}
    assert phones == {"A": "+4520123502", "B": "+4520123501", "C": "+4520123504", "D": "+4520123503"}


async def test_an_erased_tenant_holds_no_number(database: Database) -> None:
    settings = make_settings(database.url)
    await import_tenants(database, rows_of("tenant_ref,name,phone\nA,Test Person,+4520123501\n"), NOW, settings)
    async with database.write() as conn:
        await conn.execute(update(tenants).where(tenants.c.tenant_ref == "A").values(status="erased"))
    summary = await import_tenants(
        database, rows_of("tenant_ref,name,phone\nB,New Tenant,+4520123501\n"), NOW, settings
    )
    assert summary == ImportSummary(created=1, updated=0)
    assert (await tenant(database, "B"))["phone"] == "+4520123501"


async def test_the_database_keeps_one_number_to_one_live_tenant(database: Database) -> None:
    """uq_tenants_phone_live: whatever writes tenants, two live tenants never share a number."""
    await add_tenant(database, "A", phone="+4520123501")
    await add_tenant(database, "B", phone=None)
    await add_tenant(database, "C", phone=None)  # any number of tenants without a phone
    await add_tenant(database, "D", phone="+4520123502", status="erased")
    await add_tenant(database, "E", phone="+4520123502")  # the erased D holds no claim
    for status in ("active", "stopped", "wrong_number"):
        with pytest.raises(IntegrityError):
            await add_tenant(database, f"X-{status}", phone="+4520123501", status=status)
    async with database.write() as conn:
        with pytest.raises(IntegrityError):
            await conn.execute(update(tenants).where(tenants.c.tenant_ref == "D").values(status="active"))
    assert await count(database) == 5


async def test_an_upgrade_stops_while_two_tenants_share_a_number(empty_database_url: str) -> None:
    """Migration 0004 names the tenant_refs (never the number) and leaves the choice to a person."""

    db = Database(empty_database_url)
    try:
        await migrate_to(db, "0003")
        for ref in ("A-1", "A-2"):
            await add_tenant(db, ref, phone="+4520123501")
        with pytest.raises(RuntimeError, match=r"tenants share a phone number: A-1 and A-2\.") as stop:
            await upgrade(db)
        assert "+45" not in str(stop.value)
        assert await current_revision(db) == "0003"
        async with db.write() as conn:
            await conn.execute(update(tenants).where(tenants.c.tenant_ref == "A-2").values(phone=None))
        await upgrade(db)
        assert await current_revision(db) == head_revision()
    finally:
        await db.dispose()
