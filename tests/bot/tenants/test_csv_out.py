"""CSV keephome writes: a cell a spreadsheet would read as a formula is written as text, in every column."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from bot.cli.remind import run_remind
from bot.settings import Settings
from bot.store.db import Database
from bot.tenants.csv_out import BOM, CsvWriter, neutralise
from tests.support.helpers import add_tenant
from tests.support.schema import migrated

TZ = ZoneInfo("Europe/Copenhagen")
DAY = date(2026, 3, 3)
NOW = datetime(2026, 3, 3, 10, 0, tzinfo=TZ)


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("http://x","klik")', '\'=HYPERLINK("http://x","klik")'),
        ("+SUM(A1:A9)", "'+SUM(A1:A9)"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        # A phone number in E.164 begins with "+": written as text too, so the plus stays and nothing runs.
        ("+4520123456", "'+4520123456"),
        (-150, "'-150"),
        ("T-1", "T-1"),
        ("a=b", "a=b"),
        ("Søren Ærø", "Søren Ærø"),
        (7100, "7100"),
        ("", ""),
        (None, ""),
    ],
)
def test_formula_starts_get_a_leading_quote(value: object, written: str) -> None:
    assert neutralise(value) == written


def test_the_writer_neutralises_every_cell_and_stays_valid_csv() -> None:
    out = io.StringIO()
    writer = CsvWriter(out)
    writer.writerow(["tenant_ref", "phone", "reason"])
    writer.writerows([["=1+1", "+4520123456", 'owes, "a lot"\nreally'], ["T-2", None, "@me"]])
    assert list(csv.reader(io.StringIO(out.getvalue()))) == [
        ["tenant_ref", "phone", "reason"],
        ["'=1+1", "'+4520123456", 'owes, "a lot"\nreally'],
        ["T-2", "", "'@me"],
    ]


def test_a_download_is_written_as_a_spreadsheet_in_the_readers_language_opens_it() -> None:
    # A Danish Excel, opened by double click, splits on semicolons and reads a decimal comma; an English one
    # commas and a point. Both begin with the byte order mark; a decimal number takes the reader's mark.
    for language, separator, rate in (("da", ";", "0,333"), ("en", ",", "0.333")):
        out = io.StringIO()
        CsvWriter.download(out, language).writerows([["figure", "value"], ["rate", Decimal("0.333")], ["n", 7]])
        text = out.getvalue()
        assert text.startswith(BOM) and text.count(BOM) == 1
        rows = list(csv.reader(io.StringIO(text[1:]), delimiter=separator))
        assert rows == [["figure", "value"], ["rate", rate], ["n", "7"]]
    # Written plainly: no quotes around a decimal comma in a semicolon-separated file.
    out = io.StringIO()
    CsvWriter.download(out, "da").writerow(["a", Decimal("1.5")])
    assert out.getvalue() == f"{BOM}a;1,5\n"


async def test_remind_csv_writes_a_hostile_tenant_ref_as_text(settings: Settings) -> None:
    """`keephome remind --csv`: the ledger's own values come back out, and a spreadsheet runs none of them."""
    db = Database(settings.database_url)
    await migrated(db)
    try:
        hostile = "=cmd|' /C calc'!A0"
        await add_tenant(db, hostile, name="Test Lejer", balance_ore=500_000, balance_as_of=DAY)
        await add_tenant(db, "-1", name="Test Lejer", phone="+4520000009", balance_ore=500_000, balance_as_of=DAY)
    finally:
        await db.dispose()
    out = io.StringIO()
    assert await run_remind(settings, DAY, True, True, out, now=NOW) == 0
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert sorted(r["tenant_ref"] for r in rows) == ["'-1", f"'{hostile}"]
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for row in rows for cell in row.values())
