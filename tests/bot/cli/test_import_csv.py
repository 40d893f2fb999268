"""`keephome import`: a file is checked and imported as of the clock it is given, whose day is Copenhagen's."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.cli.import_csv import run_import
from bot.store.db import Database
from bot.store.schema import rent_positions, tenants
from tests.conftest import make_settings

HEADER = "tenant_ref;name;phone;balance;demand_sent_on"


async def stored(url: str) -> list[tuple[str, date, date | None]]:
    db = Database(url)
    try:
        query = select(tenants.c.tenant_ref, rent_positions.c.balance_as_of, rent_positions.c.demand_sent_on).join(
            rent_positions, rent_positions.c.tenant_id == tenants.c.id
        )
        async with db.read() as conn:
            return [tuple(row) for row in (await conn.execute(query)).all()]
    finally:
        await db.dispose()


@pytest.mark.parametrize(
    ("at", "day"),
    [
        # 00:30 in Copenhagen: UTC still has the day before.
        (datetime(2026, 1, 14, 23, 30, tzinfo=UTC), date(2026, 1, 15)),
        # The night summer time begins (01:00 UTC): 00:30 winter time.
        (datetime(2026, 3, 28, 23, 30, tzinfo=UTC), date(2026, 3, 29)),
        # The night it ends (01:00 UTC): 00:30 summer time.
        (datetime(2026, 10, 24, 22, 30, tzinfo=UTC), date(2026, 10, 25)),
        # 23:30 winter time after it ended: UTC and Copenhagen share the day.
        (datetime(2026, 10, 25, 22, 30, tzinfo=UTC), date(2026, 10, 25)),
    ],
    ids=str,
)
async def test_an_import_across_midnight_in_copenhagen_counts_copenhagens_day(
    sqlite_url: str, tmp_path: Path, at: datetime, day: date
) -> None:
    settings = make_settings(sqlite_url)
    later = tmp_path / "later.csv"
    later.write_text(f"{HEADER}\nA-1;Amira Hansen;20123456;100,00;{day + timedelta(days=1)}\n", "utf-8")
    out = io.StringIO()
    assert await run_import(settings, later, False, out, io.StringIO(), now=at) == 1
    assert out.getvalue().splitlines()[1] == (
        f"  line 2: demand_sent_on {day + timedelta(days=1)} is after today ({day}): write the day the påkrav "
        "was sent, or leave the cell empty until it is"
    )
    today = tmp_path / "today.csv"
    today.write_text(f"{HEADER}\nA-1;Amira Hansen;20123456;100,00;{day}\n", "utf-8")
    assert await run_import(settings, today, False, io.StringIO(), io.StringIO(), now=at) == 0
    # The balance, with no balance_as_of of its own, is as of the import's day.
    assert await stored(sqlite_url) == [("A-1", day, day)]


async def test_the_progress_line_counts_the_tenants_not_the_lines(sqlite_url: str, tmp_path: Path) -> None:
    """A file of 10,000 tenants (a header, a line each, a blank line at the end) showed "10002/10002": the lines."""
    path = tmp_path / "large.csv"
    lines = [f"T-{i};Amira Hansen;2012{i:04d};100,00;" for i in range(10_000)]
    path.write_text("\n".join([HEADER, *lines, "", ""]), "utf-8")
    err = io.StringIO()
    assert await run_import(make_settings(sqlite_url), path, True, io.StringIO(), err) == 0
    shown = [step.rstrip("\n") for step in err.getvalue().split("\r") if step]
    assert [step.rsplit(" ", 1)[-1] for step in shown] == ["5000/10000", "10000/10000", "10000/10000"]
    assert shown[-1].startswith("checking [##############################] 100%")


async def test_an_early_påkrav_is_judged_with_the_due_day_the_tenant_keeps(sqlite_url: str, tmp_path: Path) -> None:
    """A file without a due_day column leaves a known tenant's due day as stored, so its early-påkrav notice uses
    that day, as the tenant and case pages do; a new tenant has the default, the 1st. With the stored 15th, a påkrav
    on Wed 4 February 2026 concerns rent due 15 January and is in time (for the 1st it would be early: Sunday 1
    February is on time until Mon 2, the earliest påkrav day is Fri 6); one on Wed 18 February is early for rent due
    Sunday 15 February (on time until Mon 16, the earliest påkrav day Fri 20)."""
    settings = make_settings(sqlite_url)
    at = datetime(2026, 2, 20, 12, tzinfo=UTC)
    first = tmp_path / "first.csv"
    first.write_text("tenant_ref;name;phone;due_day\nA-1;Amira Hansen;20123456;15\nC-1;Carl Berg;20123457;15\n")
    assert await run_import(settings, first, False, io.StringIO(), io.StringIO(), now=at) == 0
    update = tmp_path / "update.csv"
    update.write_text(
        f"{HEADER}\nA-1;Amira Hansen;20123456;100,00;2026-02-04\nC-1;Carl Berg;20123457;100,00;2026-02-18\n"
        "N-1;Nora Dahl;20123458;100,00;2026-02-04\n",
        "utf-8",
    )
    expected = [
        '  line 3 (notice): demand_sent_on 2026-02-18 for tenant_ref "C-1" is before 2026-02-20, the earliest day a '
        "påkrav may be sent for rent due 2026-02-15: check which rent it concerns (a påkrav sent too early may have no "
        "legal effect)",
        '  line 4 (notice): demand_sent_on 2026-02-04 for tenant_ref "N-1" is before 2026-02-06, the earliest day a '
        "påkrav may be sent for rent due 2026-02-01: check which rent it concerns (a påkrav sent too early may have no "
        "legal effect)",
    ]
    for dry_run in (True, False):
        out = io.StringIO()
        assert await run_import(settings, update, dry_run, out, io.StringIO(), now=at) == 0
        assert out.getvalue().splitlines()[1:] == expected, dry_run
    db = Database(sqlite_url)
    try:
        query = select(tenants.c.tenant_ref, rent_positions.c.due_day).join(
            rent_positions, rent_positions.c.tenant_id == tenants.c.id
        )
        async with db.read() as conn:
            assert sorted(tuple(row) for row in (await conn.execute(query)).all()) == [
                ("A-1", 15),
                ("C-1", 15),
                ("N-1", 1),
            ]
    finally:
        await db.dispose()


GOOD = "A-1;Amira Hansen;20123456;100,00;"
BAD_FILES = {
    "empty": (b"", "line 1: the file is empty"),
    "header only": (f"{HEADER}\n".encode(), "line 1: the file has no tenants: there is no row below its header"),
    "utf-16": (f"{HEADER}\r\n{GOOD}\r\n".encode("utf-16"), "line 1: the file is UTF-16 text"),
    # Windows-1252 (Danish Excel's semicolon CSV) is read; rows in UTF-8 pasted under it are not.
    "mixed encodings": (
        f"{HEADER}\nA-1;Bjørn Hansen;20123456;100,00;\n".encode("cp1252") + "A-2;Søren Bo;20123457;1,00;\n".encode(),
        "line 2: the file is not UTF-8",
    ),
    "duplicated header": (f"{HEADER};name\n{GOOD};Bo\n".encode(), 'line 1: column "name" appears twice'),
    "missing column": (b"tenant_ref;name\nA-1;Amira Hansen\n", 'line 1: required column "phone" is missing'),
    "quoted newline": (
        f'\ufeff{HEADER}\r\n{GOOD}\r\nA-2;"Søren\r\nBo";20123457;1,00;\r\n'.encode(),
        "line 3: name contains a line break: remove it",
    ),
    "quote left open": (f'{HEADER}\n{GOOD}\nA-2;"Søren Bo;20123457;1,00;\n'.encode(), "line 3: has 2 fields"),
}


@pytest.mark.parametrize("name", BAD_FILES)
async def test_a_bad_file_is_a_line_numbered_report_and_imports_nothing(
    sqlite_url: str, tmp_path: Path, name: str
) -> None:
    """Each way a ledger export goes wrong: exit code 1, the problem at its line, and nothing
    written, the file's good rows neither (the tenant imported before stays as it was)."""
    settings = make_settings(sqlite_url)
    at = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
    before = tmp_path / "before.csv"
    before.write_text(f"\ufeff{HEADER}\r\nB-1;Bo Berg;20123499;1.250,50;\r\n", "utf-8")  # Danish Excel: BOM and ";"
    assert await run_import(settings, before, False, io.StringIO(), io.StringIO(), now=at) == 0
    data, problem = BAD_FILES[name]
    path = tmp_path / "bad.csv"
    path.write_bytes(data)
    out = io.StringIO()
    assert await run_import(settings, path, False, out, io.StringIO(), now=at) == 1
    head, first = out.getvalue().splitlines()[:2]
    assert head == f"{path}: 1 problem, nothing was imported:"
    assert first.startswith(f"  {problem}")
    assert await stored(sqlite_url) == [("B-1", at.date(), None)]


async def test_an_empty_balance_cell_that_clears_a_stored_debt_is_named_by_line(
    database_url: str, tmp_path: Path
) -> None:
    """A half-filled export: the documented rule stays (an empty balance is 0), but the dry run and the import say,
    counted and by line, which tenant who owed it sets to 0; an explicit 0 (paid) and a new tenant are not named."""
    settings = make_settings(database_url)
    at = datetime(2026, 3, 3, 10, tzinfo=UTC)
    header = "tenant_ref;name;phone;balance;at_risk"
    owing = tmp_path / "owing.csv"
    owing.write_text(
        f"{header}\nDK-2001;Bo Berg;20123455;900,00;1\nDK-2002;Amira Hansen;20123456;12.501,25;1\n"
        "DK-2003;Carl Dahl;20123457;100,00;0\n",
        "utf-8",
    )
    assert await run_import(settings, owing, False, io.StringIO(), io.StringIO(), now=at) == 0
    half = tmp_path / "half.csv"
    half.write_text(
        f"{header}\nDK-2001;Bo Berg;20123455;0;1\nDK-2002;Amira Hansen;20123456;;1\n"
        "DK-2003;Carl Dahl;20123457;100,00;0\nDK-2004;Nora Dahl;20123458;;0\n",
        "utf-8",
    )
    notice = (
        '  line 3 (notice): balance is empty for tenant_ref "DK-2002", who owes 12501.25: an empty balance is 0, so '
        "the import sets their debt to 0.00 and they get no reminders; give their balance if they have not paid"
    )
    counted = "1 tenant who owed had an empty balance cell (line 3): an empty balance is 0, so their debt is set to 0"
    dry = io.StringIO()
    assert await run_import(settings, half, True, dry, io.StringIO(), now=at) == 0
    said = dry.getvalue().splitlines()
    assert counted in said[0] and "(nothing written)" in said[0]
    assert said[1:] == [notice]
    real = io.StringIO()
    assert await run_import(settings, half, False, real, io.StringIO(), now=at) == 0
    said = real.getvalue().splitlines()
    assert counted in said[0] and said[1:] == [notice]
    db = Database(database_url)
    try:
        async with db.read() as conn:
            query = select(rent_positions.c.balance_ore).join(tenants, tenants.c.id == rent_positions.c.tenant_id)
            balance = (await conn.execute(query.where(tenants.c.tenant_ref == "DK-2002"))).scalar_one()
    finally:
        await db.dispose()
    assert balance == 0  # the rule itself stands
