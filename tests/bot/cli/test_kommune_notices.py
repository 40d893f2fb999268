"""`keephome kommune-notices`: every filing whose § 92 notice is missing or late, and never the children flag."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.cli.kommune_notices import run_kommune_notices
from bot.cli.main import main
from bot.reminders.ledger import import_tenants
from bot.settings import Settings
from bot.store.db import Database
from bot.store.schema import audit_log
from bot.tenants.csv_rows import known_languages, parse_csv
from tests.conftest import make_settings
from tests.support.schema import migrated

NOW = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)
HEADER = "tenant_ref;name;phone;balance;address;children;court_filed_on;kommune_notified_on"
LEDGER = [
    "T-missing;Amira Hansen;20123401;100,00;Eksempelvej 1, 2. tv;ja;2026-03-02;",
    "T-late;Bo Berg;20123402;100,00;Prøvevej 3;nej;2026-03-01;2026-03-03",
    "T-on-time;Cem Kaya;20123403;100,00;Testgade 5;ja;2026-03-01;2026-03-01",
    "T-early;Dorte Dam;20123404;100,00;Lånevej 7;;2026-03-01;2026-02-26",
    "T-no-filing;Ea Eriksen;20123405;100,00;Modelvej 9;ja;;",
]


@pytest.fixture
async def settings(database_url: str) -> Settings:
    chosen = make_settings(database_url)
    db = Database(chosen.database_url)
    try:
        await migrated(db)
        parsed = parse_csv("\n".join([HEADER, *LEDGER]).encode(), NOW.date(), known_languages(), ["da"], "da")
        assert parsed.ok, parsed.errors
        await import_tenants(db, parsed.rows, NOW, chosen)
    finally:
        await db.dispose()
    return chosen


async def test_the_csv_lists_missing_and_late_notices_only(settings: Settings) -> None:
    out = io.StringIO()
    assert await run_kommune_notices(settings, True, out) == 0
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows == [
        ["tenant_ref", "name", "address", "court_filed_on", "kommune_notified_on"],
        ["T-missing", "Amira Hansen", "Eksempelvej 1, 2. tv", "2026-03-02", ""],
        ["T-late", "Bo Berg", "Prøvevej 3", "2026-03-01", "2026-03-03"],
    ]
    # The notice carries a filing, a name and an address: nothing about the household.
    assert "children" not in out.getvalue() and "ja" not in out.getvalue().split()


async def test_the_table_says_which_is_missing_and_which_late_and_is_audited(settings: Settings) -> None:
    out = io.StringIO()
    assert await run_kommune_notices(settings, False, out) == 0
    text = out.getvalue()
    assert "1 missing, 1 late" in text
    assert "MISSING" in text and "late: 2026-03-03" in text
    assert "T-on-time" not in text and "T-early" not in text and "T-no-filing" not in text
    db = Database(settings.database_url)
    try:
        async with db.read() as conn:
            actions = list((await conn.execute(select(audit_log.c.action, audit_log.c.detail))).all())
    finally:
        await db.dispose()
    assert actions.count(("kommune_notices.list", "count=2")) == 1


async def test_every_notice_sent_leaves_an_empty_list_and_exit_code_0(database_url: str) -> None:
    chosen = make_settings(database_url)
    db = Database(chosen.database_url)
    try:
        await migrated(db)
    finally:
        await db.dispose()
    out = io.StringIO()
    assert await run_kommune_notices(chosen, False, out) == 0
    assert "(every filing has its notice)" in out.getvalue()


def test_the_command_is_wired(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KEEPHOME_DATABASE_URL", settings.database_url)
    assert main(["kommune-notices", "--csv"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "tenant_ref,name,address,court_filed_on,kommune_notified_on"
