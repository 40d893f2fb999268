"""The court path as data: the import's optional columns, court cases as rows, and the steps as dated events."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from bot.reminders.ledger import import_tenants
from bot.store.db import Database
from bot.store.schema import court_cases, rent_events, rent_positions, tenants
from bot.tenants.court import notices_due, record_outcome
from bot.tenants.csv_rows import ImportRow, known_languages, parse_csv
from bot.tenants.upsert import preview_import
from tests.conftest import make_settings

NOW = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)
TODAY = NOW.date()
HEADER = "tenant_ref;name;phone;balance;address;children;court_filed_on;court_date;kommune_notified_on"


def rows_of(*lines: str, header: str = HEADER) -> tuple[ImportRow, ...]:
    result = parse_csv("\n".join([header, *lines]).encode(), TODAY, known_languages(), ["da", "en"], "da")
    assert result.ok, [str(e) for e in result.errors]
    return result.rows


def errors_of(*lines: str, header: str = HEADER) -> list[str]:
    result = parse_csv("\n".join([header, *lines]).encode(), TODAY, known_languages(), ["da", "en"], "da")
    assert not result.rows or result.errors
    return [str(e) for e in result.errors]


async def load(db: Database, *lines: str, header: str = HEADER, at: datetime = NOW) -> None:
    await import_tenants(db, rows_of(*lines, header=header), at, make_settings(db.url))


async def tenant(db: Database, ref: str = "T-1") -> dict[str, Any]:
    async with db.read() as conn:
        query = select(tenants, rent_positions).join(rent_positions, rent_positions.c.tenant_id == tenants.c.id)
        return dict((await conn.execute(query.where(tenants.c.tenant_ref == ref))).mappings().one())


async def cases_of(db: Database) -> list[dict[str, Any]]:
    async with db.read() as conn:
        return [dict(r) for r in (await conn.execute(select(court_cases).order_by(court_cases.c.id))).mappings()]


async def events_of(db: Database) -> Counter[tuple[str, date]]:
    async with db.read() as conn:
        return Counter((k, on) for k, on in await conn.execute(select(rent_events.c.kind, rent_events.c.on)))


def test_the_columns_are_read_and_an_empty_cell_is_none() -> None:
    (full, empty) = rows_of(
        "T-1;Amira Hansen;20123456;100,00;Eksempelvej 1, 2. tv;ja;01-03-2026;2026-03-20;2026-03-01",
        "T-2;Bo Berg;20123457;0;;;;;",
    )
    assert (full.address, full.children, full.court_filed_on, full.court_date, full.kommune_notified_on) == (
        "Eksempelvej 1, 2. tv",
        True,
        date(2026, 3, 1),
        date(2026, 3, 20),
        date(2026, 3, 1),
    )
    assert (empty.address, empty.children, empty.court_filed_on, empty.kommune_notified_on) == (None,) * 4
    for word, flag in (("1", True), ("0", False), ("nej", False), ("YES", True), ("no", False)):
        (row,) = rows_of(f"T-1;A B;20123456;0;;{word};;;")
        assert row.children is flag


def test_bad_values_are_line_numbered_and_nothing_is_imported() -> None:
    found = errors_of(
        "T-1;A B;20123456;0;;maybe;;;",
        "T-2;C D;20123457;0;;;2026-02-30;;",
        "T-3;E F;20123458;0;;;2026-03-04;2026-03-01;",
        "T-4;G H;20123459;0;" + "x" * 301 + ";;;;",
        "T-5;I J;20123460;0;;;;;soon",
    )
    assert found == [
        'line 2: children "maybe" must be 1/0, ja/nej or yes/no',
        'line 3: court_filed_on "2026-02-30" is not a date in the calendar',
        "line 4: court_date 2026-03-01 is before court_filed_on 2026-03-04",
        "line 5: address is longer than 300 characters",
        'line 6: kommune_notified_on "soon" is not a date (write YYYY-MM-DD or DD-MM-YYYY)',
    ]


async def test_an_import_keeps_the_columns_and_an_empty_cell_keeps_the_stored_value(database: Database) -> None:
    await load(database, "T-1;Amira Hansen;20123456;100,00;Eksempelvej 1;ja;2026-03-01;2026-03-20;2026-03-01")
    first = await tenant(database)
    assert (first["address"], first["children"], first["court_filed_on"], first["court_date"]) == (
        "Eksempelvej 1",
        True,
        date(2026, 3, 1),
        date(2026, 3, 20),
    )
    # A file without the columns, and one with empty cells: everything stays.
    await load(database, "T-1;Amira Hansen;20123456;100,00", header="tenant_ref;name;phone;balance")
    await load(database, "T-1;Amira Hansen;20123456;100,00;;;;;")
    kept = await tenant(database)
    assert (kept["address"], kept["children"], kept["court_filed_on"], kept["court_date"]) == (
        "Eksempelvej 1",
        True,
        date(2026, 3, 1),
        date(2026, 3, 20),
    )
    # A value replaces the stored one; "no" is a value.
    await load(database, "T-1;Amira Hansen;20123456;100,00;Ny Vej 2;nej;;;")
    changed = await tenant(database)
    assert (changed["address"], changed["children"]) == ("Ny Vej 2", False)


async def test_children_are_none_until_the_organisation_says(database: Database) -> None:
    await load(database, "T-1;Amira Hansen;20123456;0;;;;;")
    assert (await tenant(database))["children"] is None


async def test_a_filing_opens_one_court_case_and_a_reimport_adds_no_event(database: Database) -> None:
    header = f"{HEADER};demand_sent_on;termination_on"
    line = "T-1;Amira Hansen;20123456;100,00;Eksempelvej 1;;2026-03-01;2026-03-20;2026-02-27;2026-01-10;2026-02-10"
    await load(database, line, header=header)
    await load(database, line, header=header, at=NOW + timedelta(days=1))
    (case,) = await cases_of(database)
    assert (case["status"], case["filed_on"], case["court_date"], case["kommune_notified_on"]) == (
        "open",
        date(2026, 3, 1),
        date(2026, 3, 20),
        date(2026, 2, 27),
    )
    assert await events_of(database) == Counter(
        {
            ("demand", date(2026, 1, 10)): 1,
            ("termination", date(2026, 2, 10)): 1,
            ("filing", date(2026, 3, 1)): 1,
            ("court_date", date(2026, 3, 20)): 1,
            ("kommune_notified", date(2026, 2, 27)): 1,
        }
    )


async def test_a_court_date_alone_opens_a_case_that_a_later_filing_day_completes(database: Database) -> None:
    await load(database, "T-1;Amira Hansen;20123456;100,00;;;;2026-03-20;")
    await load(database, "T-1;Amira Hansen;20123456;100,00;;;2026-03-01;;2026-03-02")
    (case,) = await cases_of(database)
    assert (case["filed_on"], case["court_date"], case["kommune_notified_on"]) == (
        date(2026, 3, 1),
        date(2026, 3, 20),
        date(2026, 3, 2),
    )


async def test_a_new_later_filing_closes_the_open_case_first(database: Database) -> None:
    await load(database, "T-1;Amira Hansen;20123456;100,00;;;2026-01-05;2026-01-25;")
    await load(database, "T-1;Amira Hansen;20123456;100,00;;;2026-03-01;2026-03-20;")
    old, new = await cases_of(database)
    assert (old["status"], old["filed_on"], new["status"], new["filed_on"]) == (
        "closed",
        date(2026, 1, 5),
        "open",
        date(2026, 3, 1),
    )
    position = await tenant(database)
    assert (position["court_filed_on"], position["court_date"]) == (date(2026, 3, 1), date(2026, 3, 20))


async def test_a_stale_ledger_does_not_undo_what_the_adviser_recorded(database: Database) -> None:
    line = "T-1;Amira Hansen;20123456;100,00;;;2026-03-01;2026-03-20;"
    await load(database, line)
    tid = (await tenant(database))["tenant_id"]
    async with database.write() as conn:
        await conn.run_sync(record_outcome, tid, "postponed", TODAY, NOW, today=TODAY, new_court_date=date(2026, 4, 8))
    await load(database, line)  # the ledger still says 20 March
    assert (await tenant(database))["court_date"] == date(2026, 4, 8)
    async with database.write() as conn:
        await conn.run_sync(record_outcome, tid, "called_off", TODAY, NOW, today=TODAY)
    await load(database, line)  # and still says it after the case was called off
    position = await tenant(database)
    assert (position["court_filed_on"], position["court_date"]) == (None, None)
    assert [c["status"] for c in await cases_of(database)] == ["closed"]
    # A court date the ledger has not shown before is news: it opens a case again.
    await load(database, "T-1;Amira Hansen;20123456;100,00;;;2026-03-01;2026-05-12;")
    assert [c["status"] for c in await cases_of(database)] == ["closed", "open"]
    assert (await tenant(database))["court_date"] == date(2026, 5, 12)


async def test_an_unchanged_row_with_empty_cells_counts_as_unchanged(database: Database) -> None:
    await load(database, "T-1;Amira Hansen;20123456;100,00;Eksempelvej 1;ja;;;")
    summary = await import_tenants(
        database, rows_of("T-1;Amira Hansen;20123456;100,00;;;;;"), NOW, make_settings(database.url)
    )
    assert (summary.unchanged, summary.changed) == (1, 0)
    summary = await import_tenants(
        database, rows_of("T-1;Amira Hansen;20123456;100,00;Ny Vej;;;;"), NOW, make_settings(database.url)
    )
    assert (summary.unchanged, summary.changed) == (0, 1)


async def test_export_holds_the_court_path_and_erase_blanks_the_personal_part(database: Database) -> None:
    from bot.tenants.court import record_details
    from bot.tenants.erase import erase_tenant
    from bot.tenants.export import tenant_data

    await load(database, "T-1;Amira Hansen;20123456;100,00;Eksempelvej 1;ja;2026-03-01;2026-03-20;")
    tid = (await tenant(database))["tenant_id"]
    async with database.write() as conn:
        await conn.run_sync(
            lambda c: record_details(
                c, tid, NOW, retskreds="Retten i Aarhus", meeting_kind="address", reached_by_phone=True
            )
        )
    async with database.read() as conn:
        data = await conn.run_sync(tenant_data, tid, NOW)
    assert (data["tenant"]["address"], data["tenant"]["children"]) == ("Eksempelvej 1", True)
    assert data["rent_position"]["court_filed_on"] == "2026-03-01"
    ((case,),) = [data["court_cases"]]
    assert (case["filed_on"], case["court_date"], case["retskreds"]) == (
        "2026-03-01",
        "2026-03-20",
        "Retten i Aarhus",
    )
    assert Counter(e["kind"] for e in data["rent_events"]) == Counter({"filing": 1, "court_date": 1})
    async with database.write() as conn:
        await conn.run_sync(
            lambda c: erase_tenant(c, tid, NOW, "cli", secret_key="test-secret-key-test-secret-key-0123")
        )
    async with database.read() as conn:
        row = (await conn.execute(select(tenants.c.address, tenants.c.children).where(tenants.c.id == tid))).one()
        kept = (
            await conn.execute(select(court_cases.c.filed_on, court_cases.c.retskreds, court_cases.c.meeting_kind))
        ).one()
    assert tuple(row) == (None, None)
    # The filing stays as a dated fact of an erased tenant (the report counts it); where the court met goes.
    assert tuple(kept) == (date(2026, 3, 1), None, None)
    assert sum((await events_of(database)).values()) == 2


async def test_the_earliest_notice_day_counts_a_later_one_changes_nothing(database: Database) -> None:
    await load(database, "T-1;Amira Hansen;20123456;100,00;;;2026-03-01;;2026-03-01")
    await load(database, "T-1;Amira Hansen;20123456;100,00;;;2026-03-01;;2026-03-04")
    (case,) = await cases_of(database)
    assert case["kommune_notified_on"] == date(2026, 3, 1)
    assert [
        on for (kind, on), n in (await events_of(database)).items() for _ in range(n) if kind == "kommune_notified"
    ] == [date(2026, 3, 1)]


async def test_an_earlier_notice_day_in_a_later_file_corrects_the_one_stored(database: Database) -> None:
    """The ledger had a typo (the 2nd for the 1st): the corrected file is taken, so the filing is no longer listed as
    notified late (the notice is due no later than the filing day)."""
    await load(database, "T-1;Amira Hansen;20123456;100,00;;;2026-03-01;;2026-03-02")
    corrected = rows_of("T-1;Amira Hansen;20123456;100,00;;;2026-03-01;;2026-03-01", header=HEADER)
    previewed = await preview_import(database, corrected, secret_key=None)
    imported = await import_tenants(database, corrected, NOW, make_settings(database.url))
    assert (previewed.changed, imported.changed) == (1, 1)  # said so, in the dry run too
    later = await import_tenants(
        database, rows_of("T-1;Amira Hansen;20123456;100,00;;;2026-03-01;;2026-03-04"), NOW, make_settings(database.url)
    )
    assert later.unchanged == 1  # a later day changes nothing, and is said to
    (case,) = await cases_of(database)
    assert case["kommune_notified_on"] == date(2026, 3, 1)
    async with database.read() as conn:
        assert await conn.run_sync(notices_due) == []
    notices = sorted(on for (kind, on), n in (await events_of(database)).items() if kind == "kommune_notified")
    assert notices == [date(2026, 3, 1), date(2026, 3, 2)]  # both said, in the history


async def test_a_file_that_brings_a_filing_or_court_date_first_counts_it_as_changed(database: Database) -> None:
    """A court case that opens is a change, in the dry run too; the same days again, or days of a case the adviser
    has since called off (a stale ledger), change nothing and are said to."""
    settings = make_settings(database.url)
    await load(database, "T-1;Amira Hansen;20123456;100,00;;;;;")
    filed = rows_of("T-1;Amira Hansen;20123456;100,00;;;2026-03-01;;")
    assert (
        (await preview_import(database, filed, secret_key=None)).changed,
        (await import_tenants(database, filed, NOW, settings)).changed,
    ) == (1, 1)
    dated = rows_of("T-1;Amira Hansen;20123456;100,00;;;2026-03-01;2026-03-20;")
    assert (await import_tenants(database, dated, NOW, settings)).changed == 1
    assert (await import_tenants(database, dated, NOW, settings)).unchanged == 1
    tid = (await tenant(database))["tenant_id"]
    async with database.write() as conn:
        await conn.run_sync(record_outcome, tid, "called_off", TODAY, NOW, today=TODAY)
    assert (await import_tenants(database, dated, NOW, settings)).unchanged == 1
    assert [c["status"] for c in await cases_of(database)] == ["closed"]  # and indeed nothing reopened
