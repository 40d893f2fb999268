"""Reading tenant CSV files: formats, defaults and a line-numbered report of every bad row."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot.tenants.csv_rows import ISO_639_1, ImportRow, ParseResult, known_languages, local_today, parse_csv

FIXTURES = Path(__file__).resolve().parents[2] / "support" / "fixtures"
TODAY = date(2026, 3, 5)
LANGUAGES = known_languages()


def parse(data: bytes | str, enabled: tuple[str, ...] = ("da", "en"), fallback: str = "da") -> ParseResult:
    raw = data.encode() if isinstance(data, str) else data
    return parse_csv(raw, TODAY, LANGUAGES, list(enabled), fallback)


def one_row(header: str, line: str) -> ImportRow:
    result = parse(f"{header}\n{line}\n")
    assert result.errors == (), [str(e) for e in result.errors]
    (row,) = result.rows
    return row


def reasons(result: ParseResult) -> list[str]:
    return [str(e) for e in result.errors]


def test_semicolon_file_with_bom_uses_danish_numbers_and_both_date_forms() -> None:
    data = (FIXTURES / "tenants_semicolon.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data
    result = parse(data)
    assert result.ok
    first, second, third = result.rows
    assert first == ImportRow(
        line=2,
        tenant_ref="DK-1001",
        name="Prøve Eksempelsen",
        phone="+4520123501",
        language="da",
        due_day=1,
        monthly_rent_ore=710050,
        balance_ore=0,
        balance_as_of=date(2026, 3, 1),
        demand_sent_on=None,
        termination_on=None,
        court_date=None,
        at_risk=False,
    )
    assert (second.name, second.phone, second.language, second.due_day) == (
        "Fiktiv; Testperson",
        "+4520123502",
        "en",
        5,
    )
    assert (second.monthly_rent_ore, second.balance_ore) == (625000, 1250125)
    assert (second.balance_as_of, second.demand_sent_on, second.at_risk) == (date(2026, 3, 2), date(2026, 2, 10), True)
    # Empty language, due day and balance date take their defaults; a negative balance is a credit.
    assert (third.phone, third.language, third.due_day) == ("+4520123503", "da", 1)
    assert (third.monthly_rent_ore, third.balance_ore, third.balance_as_of) == (500050, -15000, TODAY)


def test_comma_file_in_any_column_order_with_a_disabled_language() -> None:
    result = parse((FIXTURES / "tenants_comma.csv").read_bytes())
    assert result.ok
    first, second = result.rows
    assert (first.tenant_ref, first.name, first.balance_ore, first.monthly_rent_ore) == (
        "EN-1",
        "Sample, Alex",
        710050,
        710000,
    )
    assert (first.court_date, first.termination_on, first.demand_sent_on) == (
        date(2026, 4, 20),
        date(2026, 2, 25),
        date(2026, 2, 6),
    )
    assert first.at_risk is True
    # Arabic is a known language but not enabled in this deployment: the fallback language is used.
    assert (second.tenant_ref, second.language, second.due_day, second.monthly_rent_ore) == ("EN-2", "da", 15, 690050)


def test_a_disabled_language_falls_back_to_the_configured_fallback() -> None:
    data = "tenant_ref,name,phone,language\nA,Test Person,+4520123501,ar\nB,Test Person,+4520123502,DA\n"
    result = parse(data, enabled=("en", "sv"), fallback="en")
    assert [r.language for r in result.rows] == ["en", "en"]
    enabled = parse(data, enabled=("ar", "da"), fallback="da")
    assert [r.language for r in enabled.rows] == ["ar", "da"]


def test_a_language_not_enabled_is_a_notice_with_its_line_not_an_error() -> None:
    data = (
        "tenant_ref,name,phone,language\n"
        "A,Test Person,+4520123501,ar\n"
        "B,Test Person,+4520123502,EN\n"
        "C,Test Person,+4520123503,\n"
        "D,Test Person,+4520123504,so\n"
    )
    result = parse(data)
    assert result.ok and [r.language for r in result.rows] == ["da", "en", "da", "da"]
    assert [str(n) for n in result.notices] == [
        'line 2 (notice): language "ar" is not enabled here (KEEPHOME_LANGUAGES: da, en): this tenant will read da, '
        "the fallback language (KEEPHOME_FALLBACK_LANGUAGE)",
        'line 5 (notice): language "so" is not enabled here (KEEPHOME_LANGUAGES: da, en): this tenant will read da, '
        "the fallback language (KEEPHOME_FALLBACK_LANGUAGE)",
    ]
    # Danish not enabled: an empty cell (Danish by default) is told of too, and English is the fallback.
    english = parse(data, enabled=("en",), fallback="en")
    assert [n.line for n in english.notices] == [2, 4, 5]
    assert "language (empty: da) is not enabled here (KEEPHOME_LANGUAGES: en)" in str(english.notices[1])


@pytest.mark.parametrize(
    ("column", "what_to_write"),
    [
        ("demand_sent_on", "write the day the påkrav was sent, or leave the cell empty until it is"),
        (
            "demand_received_on",
            "write the day the påkrav reached the tenant, or leave the cell empty until it has (demand_sent_on plus "
            "KEEPHOME_DEMAND_DELIVERY_DAYS counts meanwhile)",
        ),
        ("termination_on", "write the day the tenancy was terminated, or leave the cell empty until it is"),
        ("court_filed_on", "write the day the case was filed with the fogedret, or leave the cell empty until it is"),
        ("kommune_notified_on", "write the day the kommune was notified, or leave the cell empty until it is"),
    ],
)
def test_a_day_that_must_be_past_is_refused_when_after_today(column: str, what_to_write: str) -> None:
    """A påkrav sent, a termination, a filing or a kommune notice after today is a typo or a plan, and would drive
    the reminders' timing silently: the row is refused at its line, saying what to write. Today itself is fine."""
    header = f"tenant_ref,name,phone,{column}"
    result = parse(f"{header}\nA,Test Person,+4520123501,06-03-2026\nB,Test Person,+4520123502,2026-03-05\n")
    assert reasons(result) == [f"line 2: {column} 2026-03-06 is after today (2026-03-05): {what_to_write}"]
    assert result.errors[0].column == column
    assert getattr(one_row(header, "B,Test Person,+4520123502,2026-03-05"), column) == TODAY


def test_the_court_date_may_be_ahead_the_hearing_is() -> None:
    row = one_row("tenant_ref,name,phone,court_filed_on,court_date", "A,Test Person,+4520123501,2026-03-01,2026-04-02")
    assert row.court_date == date(2026, 4, 2)


@pytest.mark.parametrize("ahead", [1, 2])
def test_a_balance_dated_a_day_or_two_ahead_is_taken_as_of_today_with_a_notice(ahead: int) -> None:
    """A ledger dated ahead (another time zone, a nightly export stamped with the next day): the balance is taken,
    as of today, so it never counts as newer than a balance given tomorrow; the row's line says so."""
    written = TODAY + timedelta(days=ahead)
    result = parse(f"tenant_ref,name,phone,balance,balance_as_of\nA,Test Person,+4520123501,100,{written}\n")
    assert result.ok and result.rows[0].balance_as_of == TODAY
    assert [str(n) for n in result.notices] == [
        f"line 2 (notice): balance_as_of {written} is after today (2026-03-05): the balance is taken as of today "
        "(a ledger dated ahead, or in another time zone)"
    ]
    assert result.notices[0].column == "balance_as_of"


def test_a_balance_dated_further_ahead_is_refused() -> None:
    result = parse("tenant_ref,name,phone,balance,balance_as_of\nA,Test Person,+4520123501,100,2026-03-08\n")
    assert reasons(result) == [
        "line 2: balance_as_of 2026-03-08 is after today (2026-03-05): write the day of the ledger's balance"
    ]


def test_a_filing_before_the_termination_is_imported_with_a_notice() -> None:
    """The latest termination and an earlier termination's filing may both be on the row: not refused, but told."""
    header = "tenant_ref,name,phone,termination_on,court_filed_on"
    rows = "A,Test Person,+4520123501,2026-02-20,2026-02-10\nB,Test Person,+4520123502,2026-02-10,2026-02-20\n"
    result = parse(f"{header}\n{rows}")
    assert result.ok and len(result.rows) == 2
    assert [str(n) for n in result.notices] == [
        "line 2 (notice): court_filed_on 2026-02-10 is before termination_on 2026-02-20: a case is filed with the "
        "fogedret after the termination; if this filing belongs to an earlier termination nothing is wrong, else "
        "correct the dates"
    ]
    assert result.notices[0].column == "court_filed_on"


def test_a_påkrav_sent_before_the_law_allows_is_imported_with_a_notice() -> None:
    """A påkrav on Tue 3 February for rent due Sunday 1 February 2026 (last on time Mon 2; the earliest påkrav day
    Fri 6): imported, with a notice at its line; on the earliest day itself, or with no påkrav, nothing is said; on the
    last on-time day it concerns January's rent, which it is in time for."""
    header = "tenant_ref,name,phone,due_day,demand_sent_on"
    rows = (
        "A,Test Person,+4520123501,1,2026-02-03\n"
        "B,Test Person,+4520123502,1,2026-02-06\n"
        "C,Test Person,+4520123503,1,\n"
        "D,Test Person,+4520123504,,03-03-2026\n"
        "E,Test Person,+4520123505,1,2026-02-02\n"
    )
    result = parse(f"{header}\n{rows}")
    assert result.ok and len(result.rows) == 5
    assert [str(n) for n in result.notices] == [
        'line 2 (notice): demand_sent_on 2026-02-03 for tenant_ref "A" is before 2026-02-06, the earliest day a '
        "påkrav may be sent for rent due 2026-02-01: check which rent it concerns (a påkrav sent too early may have "
        "no legal effect)",
        'line 5 (notice): demand_sent_on 2026-03-03 for tenant_ref "D" is before 2026-03-06, the earliest day a '
        "påkrav may be sent for rent due 2026-03-01: check which rent it concerns (a påkrav sent too early may have "
        "no legal effect)",
    ]
    assert [n.column for n in result.notices] == ["demand_sent_on", "demand_sent_on"]


@pytest.mark.parametrize(
    ("raw", "ore"),
    [
        ("7.100,50", 710050),
        ("1.234.567,5", 123456750),
        ("7100,50", 710050),
        ("7100", 710000),
        ("0", 0),
        ("0,05", 5),
        ("-1.250,00", -125000),
        (" 12.000 ", 1200000),
    ],
)
def test_danish_amounts(raw: str, ore: int) -> None:
    assert one_row("tenant_ref;name;phone;balance", f"A;Test Person;+4520123501;{raw}").balance_ore == ore


@pytest.mark.parametrize(
    "raw", ["7100.50", "7.10,00", "71.00", "7,100", "7.100.5", "kr 100", "1,2,3", "--5", "٧١٠٠", "７.１００,５０"]
)
def test_danish_amounts_refused(raw: str) -> None:
    result = parse(f"tenant_ref;name;phone;balance\nA;Test Person;+4520123501;{raw}\n")
    assert reasons(result) == [f'line 2: balance "{raw}" is not an amount (write it like 7.100,50)']


@pytest.mark.parametrize(
    ("header", "line", "said"),
    [
        ("tenant_ref;name;phone;balance", "A;Test Person;+4520123501;10.000.000.000,01", "10.000.000.000,00"),
        ("tenant_ref,name,phone,balance", "A,Test Person,+4520123501,-10000000000.01", "10000000000.00"),
    ],
)
def test_an_amount_past_the_limit_is_refused_naming_the_limit_as_the_file_writes_numbers(
    header: str, line: str, said: str
) -> None:
    """A person fixing the row must know how far they may go, in the number format their file uses."""
    amount = line.rsplit(line[1], 1)[1]
    assert reasons(parse(f"{header}\n{line}\n")) == [
        f'line 2: balance "{amount}" is too large: at most {said}, owed or in credit'
    ]
    at_the_limit = line.replace(amount, amount[:-1] + "0")
    assert parse(f"{header}\n{at_the_limit}\n").errors == ()


@pytest.mark.parametrize(("raw", "ore"), [("7100.50", 710050), ("7100.5", 710050), ("7100", 710000), ("-3.25", -325)])
def test_decimal_point_amounts(raw: str, ore: int) -> None:
    assert one_row("tenant_ref,name,phone,balance", f"A,Test Person,+4520123501,{raw}").balance_ore == ore


@pytest.mark.parametrize("raw", ['"7,100.50"', '"7100,50"', "7.100", "7100.505", "1e3", "٧١٠٠.٥٠", "７１００"])
def test_decimal_point_amounts_refused(raw: str) -> None:
    result = parse(f"tenant_ref,name,phone,balance\nA,Test Person,+4520123501,{raw}\n")
    shown = raw.strip('"')
    assert reasons(result) == [f'line 2: balance "{shown}" is not an amount (write it like 7100.50)']


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("2026-02-28", date(2026, 2, 28)), ("28-02-2026", date(2026, 2, 28)), ("1-3-2026", date(2026, 3, 1))],
)
def test_both_date_forms(raw: str, expected: date) -> None:
    row = one_row("tenant_ref,name,phone,court_date,balance_as_of", f"A,Test Person,+4520123501,{raw},{raw}")
    assert (row.court_date, row.balance_as_of) == (expected, expected)


@pytest.mark.parametrize(
    ("raw", "ok"),
    [
        ("9999-12-31", False),
        ("31-12-9999", False),
        ("0001-01-01", False),
        ("2100-01-01", False),
        ("2099-12-31", True),
        ("1900-01-01", True),
        ("01-01-1900", True),
    ],
)
def test_a_date_past_the_calendar_the_deadlines_use_is_refused_at_its_line(raw: str, ok: bool) -> None:
    """9999-12-31 ("never") or .NET's 0001-01-01 ("not set") in a ledger's export is no day of a tenancy."""
    # The court date (the hearing) may lie ahead, so the bound is the calendar's, not today's.
    result = parse(f"tenant_ref,name,phone,court_date\nA,Test Person,+4520123501,{raw}\n")
    expected = [] if ok else [f'line 2: court_date "{raw}" is not in the years 1900 to 2099']
    assert reasons(result) == expected


@pytest.mark.parametrize("raw", ["٢٠٢٦-٠٢-٢٨", "２８-０２-２０２６"])
def test_dates_in_other_digits_are_refused(raw: str) -> None:
    result = parse(f"tenant_ref,name,phone,court_date\nA,Test Person,+4520123501,{raw}\n")
    assert reasons(result) == [f'line 2: court_date "{raw}" is not a date (write YYYY-MM-DD or DD-MM-YYYY)']


@pytest.mark.parametrize(
    ("raw", "flag"),
    [("1", True), ("ja", True), ("YES", True), ("0", False), ("Nej", False), ("no", False), ("", False)],
)
def test_at_risk_words(raw: str, flag: bool) -> None:
    assert one_row("tenant_ref,name,phone,at_risk", f"A,Test Person,+4520123501,{raw}").at_risk is flag


@pytest.mark.parametrize(
    ("raw", "e164"),
    [("20 12 34 01", "+4520123401"), ("0045 20123401", "+4520123401"), ("+46 70 123 45 67", "+46701234567")],
)
def test_phone_numbers_are_normalised(raw: str, e164: str) -> None:
    assert one_row("tenant_ref,name,phone", f"A,Test Person,{raw}").phone == e164


@pytest.mark.parametrize("raw", ["20 12 ABCD", "2012ABCD", "20123456 ext 9", "20 12 34 5O"])
def test_a_phone_with_letters_is_refused_not_read_as_keypad_digits(raw: str) -> None:
    # phonenumbers reads letters as a keypad's digits: "20 12 ABCD" would be +4520122223, someone else's number.
    result = parse(f"tenant_ref,name,phone\nA,Test Person,{raw}\n")
    said = "is not a valid phone number: it has letters in it (write the digits only)"
    assert reasons(result) == [f'line 2: phone "{raw}" {said}']


@pytest.mark.parametrize("raw", ["20123456, 86123456", "20123456; 86123456"])
def test_a_cell_with_two_numbers_is_a_line_numbered_problem_not_the_first_number(raw: str) -> None:
    result = parse(f'tenant_ref,name,phone\nA,Test Person,"{raw}"\n')
    # Named as what it is: the person fixing the ledger keeps one number (the first was kept before, silently).
    said = "is not a valid phone number: it holds more than one number (keep the one to text)"
    assert reasons(result) == [f'line 2: phone "{raw}" {said}']


@pytest.mark.parametrize("raw", ["²", "٥", "５"])
def test_a_due_day_in_other_digits_is_a_line_numbered_problem_not_a_crash(raw: str) -> None:
    result = parse(f"tenant_ref,name,phone,due_day\nA,Test Person,+4520123501,{raw}\n")
    assert reasons(result) == [f'line 2: due_day "{raw}" must be a whole number from 1 to 31']


def test_every_bad_row_is_reported_with_its_line_and_reason() -> None:
    result = parse((FIXTURES / "tenants_bad.csv").read_bytes())
    assert reasons(result) == [
        'line 3: phone "12" is not a valid phone number: a Danish number has 8 digits (not counting +45), this one '
        "has 2",
        'line 4: due_day "0" must be a whole number from 1 to 31',
        'line 5: language "xx" is not a known ISO 639-1 code (e.g. da, en, ar)',
        'line 6: balance "7,100.50" is not an amount (write it like 7100.50)',
        'line 7: balance_as_of "2026/03/01" is not a date (write YYYY-MM-DD or DD-MM-YYYY)',
        'line 8: balance_as_of "2026-02-30" is not a date in the calendar',
        'line 9: at_risk "maybe" must be 1/0, ja/nej or yes/no',
        'line 10: tenant_ref "B-1" already appears on line 2',
        "line 11: name is empty",
        'line 12: has 4 fields, the header has 9 (separator ",")',
        "line 13: balance_as_of 2099-04-01 is after today (2026-03-05): write the day of the ledger's balance",
        # Lines 14-15 are one row whose quoted name spans two lines: refused, and the lines keep counting.
        "line 14: name contains a line break: remove it",
        'line 16: phone "abc" is not a valid phone number: it has letters in it (write the digits only)',
        'line 17: monthly_rent "-7000" is negative',
        'line 18: phone "+4599" is not a valid phone number: a Danish number has 8 digits (not counting +45), this '
        "one has 2",
        'line 18: due_day "32" must be a whole number from 1 to 31',
        # "20 12 35 21" is B-1's +4520123521 written another way.
        'line 19: phone +4520123521 is also on line 2 (tenant_ref "B-1"): one number belongs to one tenant',
        "line 20: name contains a tab: remove it",
        "line 21: tenant_ref contains the control character U+0007: remove it",
    ]
    assert [r.tenant_ref for r in result.rows] == ["B-1", "B-20"]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("tenant_ref,name,phone,email", ['line 1: unknown column "email"']),
        ("tenant_ref,name", ['line 1: required column "phone" is missing']),
        ("tenant_ref,name,phone,name", ['line 1: column "name" appears twice']),
        ("name;phone", ['line 1: required column "tenant_ref" is missing']),
    ],
)
def test_header_problems(header: str, expected: list[str]) -> None:
    result = parse(f"{header}\nA,Test Person,+4520123501\n")
    assert [r.split(" (known")[0] for r in reasons(result)] == expected
    assert result.rows == ()


@pytest.mark.parametrize(
    ("header", "column", "hidden"),
    [
        (
            "\ufeff\ufefftenant_ref;name;phone",
            "tenant_ref",
            "FEFF",
        ),  # a second byte order mark, from a tool adding its own
        ("tenant_ref;name\u200b;phone", "name", "200B"),
        ("tenant_ref;name;\x00phone", "phone", "0000"),
    ],
)
def test_an_invisible_character_in_a_column_name_is_one_problem_naming_it(
    header: str, column: str, hidden: str
) -> None:
    """It was 'unknown column "tenant_ref"' and 'required column "tenant_ref" is missing': two problems that
    contradict what the person sees in the file."""
    result = parse(f"{header}\nA;Test Person;+4520123501\n")
    assert reasons(result) == [
        f'line 1: the column name "{column}" holds the invisible character U+{hidden}: remove it (type the name anew)'
    ]


def test_header_names_ignore_case_and_spaces_and_blank_lines_still_count() -> None:
    result = parse("\n Tenant_Ref ; NAME ;Phone\n\nA;Test Person;+4520123501\nB;;+4520123502\n")
    assert [r.line for r in result.rows] == [4]
    assert reasons(result) == ["line 5: name is empty"]


def test_a_spreadsheet_s_trailing_empty_columns_are_read_past_while_empty() -> None:
    """Excel saves columns once touched as empty ones ("tenant_ref;name;phone;;"): they were refused as an unknown
    column "" per empty column, a report nobody could act on. A value under one is refused at its line, the file's
    other rows with it (nothing is imported from a file with a bad row)."""
    result = parse("tenant_ref;name;phone;;\r\nA;Test Person;+4520123501;;\r\nB;Other Person;+4520123502;;\r\n")
    assert reasons(result) == []
    assert [r.tenant_ref for r in result.rows] == ["A", "B"]
    result = parse("tenant_ref;;name;phone\nA;;Test Person;+4520123501\nB;x;Other Person;+4520123502\n")
    assert reasons(result) == ["line 3: has a value in column 2, which has no name in the header line"]


@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", b"\n\n"])
def test_an_empty_file_is_refused(data: bytes) -> None:
    result = parse(data)
    assert len(result.errors) == 1
    assert str(result.errors[0]).startswith("line 1: the file is empty")


@pytest.mark.parametrize(
    ("data", "line"),
    [
        ("tenant_ref,name,phone\n", 1),
        ("tenant_ref,name,phone", 1),
        ("tenant_ref;name;phone\n\n\n", 1),
        ("tenant_ref;name;phone\r\n;;\r\n", 1),
        ("\n\ntenant_ref,name,phone\n\n", 3),
        ("sep=;\ntenant_ref;name;phone\n", 2),
    ],
)
def test_a_file_with_only_its_header_is_refused_at_its_header_line(data: str, line: int) -> None:
    # Named at the header, the last line with anything on it: not at a line after it the file does not have.
    result = parse(data)
    assert reasons(result) == [
        f"line {line}: the file has no tenants: there is no row below its header line (a truncated export?)"
    ]
    assert result.rows == ()


def test_danish_excels_semicolon_csv_in_windows_1252_is_read_with_its_letters_and_a_notice() -> None:
    # What Danish Excel's "CSV (semikolonsepareret)" saves: Windows-1252, æ, ø and å one byte each.
    text = "tenant_ref;name;phone\nA;Test Person;+4520123501\nB;Prøve Æblesen Ågård;+4520123502\n"
    result = parse(text.encode("cp1252"))
    assert reasons(result) == []
    assert [row.name for row in result.rows] == ["Test Person", "Prøve Æblesen Ågård"]
    [notice] = result.notices
    assert notice.line == 3 and "read as Windows-1252" in notice.reason and "CSV UTF-8" in notice.reason


@pytest.mark.parametrize(
    "data",
    [
        # Rows in UTF-8 pasted under rows in Windows-1252: no one reading gets both right.
        "tenant_ref;name;phone\nA;Søren Test;+4520123501\n".encode("cp1252") + "B;Prøve Person;+4520123502\n".encode(),
        # A byte Windows-1252 has no letter for.
        b"tenant_ref;name;phone\nA;Test Person;+4520123501\nB;Pr\x81ve Person;+4520123502\n",
    ],
)
def test_a_file_that_is_neither_utf8_nor_windows_1252_names_the_line(data: bytes) -> None:
    line = 2 if b"S\xf8ren" in data else 3
    assert reasons(parse(data)) == [f"line {line}: the file is not UTF-8 text (save it as CSV UTF-8)"]


@pytest.mark.parametrize(
    "data",
    [
        "tenant_ref;name;phone\r\nA;Test Person;+4520123501\r\n".encode("utf-16"),  # with its byte order mark
        "tenant_ref\tname\tphone\r\nA\tTest Person\t+4520123501\r\n".encode("utf-16"),  # Excel's "Unicode text"
        "tenant_ref;name;phone\r\nA;Test Person;+4520123501\r\n".encode("utf-16-le"),  # without one
        "tenant_ref;name;phone\r\nA;Test Person;+4520123501\r\n".encode("utf-16-be"),
    ],
    ids=["bom", "unicode text", "le without bom", "be without bom"],
)
def test_a_utf16_file_is_one_problem_saying_so(data: bytes) -> None:
    """Not "not UTF-8" alone, nor (without a byte order mark) three unknown columns whose NUL bytes print as nothing,
    "tenant_ref" among them: what the file is and how to save it, once."""
    assert reasons(parse(data)) == [
        'line 1: the file is UTF-16 text (Excel\'s "Unicode text"): save it as CSV UTF-8, with commas or semicolons '
        "between the columns"
    ]


@pytest.mark.parametrize(
    "data", [b"PK\x03\x04\x14\x00\x06\x00" + bytes(40), b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(40)]
)
def test_a_spreadsheet_workbook_is_one_problem_saying_so(data: bytes) -> None:
    assert reasons(parse(data)) == [
        "line 1: the file is a spreadsheet workbook (.xlsx, .xls or .ods), not CSV: save it as CSV UTF-8"
    ]


def test_a_quote_left_open_is_named_with_the_lines_it_swallowed() -> None:
    """A quote that is not closed takes the lines after it into one cell: the row "has 2 fields" where the person
    sees 4, and the rows after it vanish from the report. Said as it is, with the line where the cell ends."""
    data = 'tenant_ref;name;phone;balance\nA-1;"Amira Hansen;+4520123501;100,00\nA-2;Bo Berg;+4520123502;1,00\n'
    assert reasons(parse(data)) == [
        'line 2: has 2 fields, the header has 4 (separator ";"): the quote (") before a cell on this line is not '
        "closed until line 3, so lines 2 to 3 were read as one row: close the quote, or remove it"
    ]


def test_the_header_line_again_is_named_as_such() -> None:
    """Two exports joined into one file: the second header is no tenant with the phone number "phone"."""
    header = "tenant_ref;name;phone;balance"
    result = parse(f"{header}\nA-1;Amira Hansen;+4520123501;100,00\n{header.upper()}\nA-2;Bo Berg;+4520123502;1,00\n")
    assert reasons(result) == ["line 3: repeats the header line (two files joined into one?): remove it"]


def test_too_long_values_are_refused() -> None:
    result = parse(f"tenant_ref,name,phone\n{'R' * 65},{'N' * 201},+4520123501\n")
    assert reasons(result) == [
        "line 2: tenant_ref is longer than 64 characters",
        "line 2: name is longer than 200 characters",
    ]


def test_known_languages_adds_template_folders(tmp_path: Path) -> None:
    (tmp_path / "qq").mkdir()
    (tmp_path / "console").mkdir()
    assert known_languages(tmp_path) == ISO_639_1 | {"qq"}
    assert {"da", "en", "ar", "tr", "uk", "pl", "so", "ur", "fa", "ku"} <= ISO_639_1
    assert known_languages(tmp_path / "missing") == ISO_639_1


def test_progress_is_reported_for_large_files() -> None:
    lines = ["tenant_ref,name,phone"] + [f"R{i},Test Person,+4526{i:06d}" for i in range(12_000)]
    seen: list[int] = []
    result = parse_csv("\n".join(lines).encode(), TODAY, LANGUAGES, ["da"], "da", progress=seen.append)
    assert result.ok and len(result.rows) == 12_000
    assert seen == [5000, 10000]


@pytest.mark.parametrize(
    ("cell", "what"),
    [
        ('"Test\tPerson"', "a tab"),
        ('"Test\nPerson"', "a line break"),
        ('"Test\r\nPerson"', "a line break"),
        ('"Test Person\t"', "a tab"),  # at the end, where trimming spaces would have hidden it
        ("Test\x00Person", "the control character U+0000"),
        ("Test\x1b[31mPerson", "the control character U+001B"),
        ("Test\x7fPerson", "the control character U+007F"),
        ("Test\x85Person", "the control character U+0085"),
        ("Test\u2028Person", "a line break"),
        ("Amira \u202enesnaH", "the direction control U+202E, which shows the text in another order"),
        ("Amira \u2067Hansen", "the direction control U+2067, which shows the text in another order"),
    ],
)
def test_control_characters_are_refused_with_line_and_column(cell: str, what: str) -> None:
    result = parse(f"tenant_ref;name;phone\nA;Test Person;+4520123501\nB;{cell};+4520123502\n")
    assert reasons(result) == [f"line 3: name contains {what}: remove it"]
    assert not result.ok


def test_a_control_character_in_any_column_names_that_column() -> None:
    result = parse("tenant_ref,name,phone,language,balance\nA,Test Person,+4520123501\x07,da\x00,1\t00\n")
    assert reasons(result) == [
        "line 2: phone contains the control character U+0007: remove it",
        "line 2: language contains the control character U+0000: remove it",
        "line 2: balance contains a tab: remove it",
    ]


def test_letters_and_marks_of_every_script_are_not_control_characters() -> None:
    # A right-to-left mark (U+200F, a format character) belongs in an Arabic name; a no-break space is a space.
    row = one_row("tenant_ref;name;phone", "Å-1;Amira\u200f حسن Ærø\u00a0Øst;+4520123501")
    assert row.name == "Amira\u200f حسن Ærø Øst"


def test_an_invisible_character_in_a_tenant_ref_is_refused() -> None:
    # "A\u200b" and "A" would be two tenants who look the same everywhere; a BOM pasted mid-file is as invisible.
    data = "tenant_ref,name,phone\nA\u200b,Test Person,20123456\nA,Test Person,20123457\nB\ufeff,Test Person,20123458\n"
    assert reasons(parse(data)) == [
        "line 2: tenant_ref contains the invisible character U+200B: remove it",
        "line 4: tenant_ref contains the invisible character U+FEFF: remove it",
    ]


def test_one_number_on_two_lines_is_refused_naming_both() -> None:
    data = (
        "tenant_ref;name;phone\n"
        "A;Test Person;+45 20 12 34 56\n"
        "B;Test Person;+4520123457\n"
        "C;Test Person;20123456\n"
        "D;Test Person;0045 2012 3456\n"
    )
    result = parse(data)
    assert reasons(result) == [
        'line 4: phone +4520123456 is also on line 2 (tenant_ref "A"): one number belongs to one tenant',
        'line 5: phone +4520123456 is also on line 2 (tenant_ref "A"): one number belongs to one tenant',
    ]
    assert [r.tenant_ref for r in result.rows] == ["A", "B"]


@pytest.mark.parametrize(
    ("data", "line"),
    [
        ("tenant_ref\tname\tphone\nA\tTest Person\t+4520123501\n", 1),
        ("\n\ntenant_ref\tname\tphone\tbalance\r\nA\tTest Person\t+4520123501\t7.100,50\r\n", 3),
        ("tenant_ref\tname\tphone\tnote,with,comma\nA\tTest\t+4520123501\tx\n", 1),
    ],
)
def test_a_tab_separated_file_gets_one_problem_saying_so(data: str, line: int) -> None:
    """Not one unknown column and three missing ones: what to do about it, once."""
    result = parse(data)
    assert reasons(result) == [
        f"line {line}: the columns are separated by tabs: save the file as CSV, with commas or semicolons between "
        "the columns"
    ]
    assert result.rows == ()


def test_a_separator_line_before_the_header_says_the_separator() -> None:
    """Excel's "sep=;" line, which some exports write: it was an unknown column "sep=" and every required column
    missing. Each line keeps its number."""
    result = parse(
        "sep=;\r\ntenant_ref;name;phone;balance\r\nA;Test Person;+4520123501;7.100,50\r\nB;;+4520123502;1\r\n"
    )
    assert [(row.line, row.balance_ore) for row in result.rows] == [(3, 710050)]
    assert reasons(result) == ["line 4: name is empty"]
    (row,) = parse("SEP=,\ntenant_ref,name,phone,balance\nA,Test Person;Bo,+4520123501,7100.50\n").rows
    assert (row.name, row.balance_ore) == ("Test Person;Bo", 710050)
    assert reasons(parse("sep=|\ntenant_ref|name|phone\n")) == [
        'line 1: the file declares "|" as its separator: save the file as CSV, with commas or semicolons between the '
        "columns"
    ]
    assert reasons(parse("sep=\t\ntenant_ref\tname\tphone\n"))[0].startswith(
        "line 1: the columns are separated by tabs"
    )


def test_a_comma_or_semicolon_file_is_not_taken_for_a_tab_file() -> None:
    assert one_row("tenant_ref;name;phone", "A;Test Person;+4520123501").name == "Test Person"
    # A tab inside a cell is still that row's problem, named with its column.
    assert reasons(parse("tenant_ref,name,phone\nA,Test\tPerson,+4520123501\n")) == [
        "line 2: name contains a tab: remove it"
    ]


@pytest.mark.parametrize(
    ("at", "day"),
    [
        (datetime(2026, 3, 28, 22, 59, tzinfo=UTC), date(2026, 3, 28)),  # 23:59 winter time
        (datetime(2026, 3, 28, 23, 0, tzinfo=UTC), date(2026, 3, 29)),  # midnight: summer time begins at 01:00 UTC
        (datetime(2026, 3, 29, 21, 59, tzinfo=UTC), date(2026, 3, 29)),  # 23:59 summer time
        (datetime(2026, 3, 29, 22, 0, tzinfo=UTC), date(2026, 3, 30)),
        (datetime(2026, 10, 24, 22, 0, tzinfo=UTC), date(2026, 10, 25)),  # midnight before summer time ends
        (datetime(2026, 10, 25, 22, 59, tzinfo=UTC), date(2026, 10, 25)),  # 23:59 winter time again
        (datetime(2026, 10, 25, 23, 0, tzinfo=UTC), date(2026, 10, 26)),
    ],
    ids=str,
)
def test_today_is_the_day_in_copenhagen_and_a_day_after_it_is_refused(at: datetime, day: date) -> None:
    assert local_today(at, "Europe/Copenhagen") == day
    header = "tenant_ref,name,phone,demand_sent_on"
    for sent, refused in ((day, []), (day + timedelta(days=1), ["demand_sent_on"])):
        found = parse_csv(
            f"{header}\nA-1,Amira Hansen,20123456,{sent}".encode(),
            local_today(at, "Europe/Copenhagen"),
            LANGUAGES,
            ["da"],
            "da",
        )
        assert [e.column for e in found.errors] == refused


def test_a_repeat_of_a_bad_row_is_named_at_once() -> None:
    """The first report names every bad row: a row repeating a refused one's tenant_ref (or number) among them, not
    only once the refused row is mended."""
    result = parse(
        "tenant_ref;name;phone;balance\r\n"
        "B-1;Amira Hansen;26123460;7.100,5O\r\n"
        "B-1;Amira Hansen;26123460;7.100,50\r\n"
        "B-2;Bent Jensen;+45 26 12 34 60;100,00\r\n"
        "B-3;Carl Holm;2612346;100,00\r\n"
        "B-3;Carl Holm;26123463;100,00\r\n"
    )
    assert reasons(result) == [
        'line 2: balance "7.100,5O" is not an amount (write it like 7.100,50)',
        'line 3: tenant_ref "B-1" already appears on line 2',
        'line 4: phone +4526123460 is also on line 2 (tenant_ref "B-1"): one number belongs to one tenant',
        'line 5: phone "2612346" is not a valid phone number: a Danish number has 8 digits (not counting +45), this '
        "one has 7",
        'line 6: tenant_ref "B-3" already appears on line 5',
    ]
