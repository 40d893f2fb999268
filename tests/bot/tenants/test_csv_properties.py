"""Generated tenant files (hypothesis): whatever bytes arrive, the reading ends in rows or in problems each at a line
of the file, never in an exception, and a file with any problem gives no row to import."""

from __future__ import annotations

from datetime import date

from hypothesis import example, given
from hypothesis import strategies as st

from bot.tenants.csv_rows import known_languages, parse_csv

TODAY = date(2026, 3, 5)
LANGUAGES = known_languages()

# Cells that have broken CSV readers somewhere: quotes, separators, line breaks, BOMs, NUL, escapes, long cells.
ODD = [
    '"', '""', '"a;b"', ";", ",", "\n", "\r", "\r\n", "\t", "\ufeff", "\x00", "\u200b", "sep=;", "tenant_ref", "æøå",
    "7.100,50", "7100.50", "-0", "31-02-2026", "2026-02-31", "9999-12-31", "+4520123501", "20 12 35 01", "ja", " ",
]  # fmt: skip
HEADERS = ["tenant_ref", "name", "phone", "balance", "due_day", "language", "demand_sent_on", "at_risk", "", "email"]
cells = st.one_of(st.sampled_from(ODD), st.text(max_size=8), st.sampled_from(["x" * 300, "9" * 40]))


@st.composite
def tenant_files(draw: st.DrawFn) -> bytes:
    """A header and rows, nearly right: columns left out or doubled, odd cells, odd separators and encodings."""
    separator = draw(st.sampled_from([";", ",", "\t"]))
    header = draw(st.lists(st.sampled_from(HEADERS), min_size=1, max_size=6))
    rows = draw(st.lists(st.lists(cells, min_size=len(header) - 1, max_size=len(header) + 1), max_size=5))
    end = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    text = end.join(separator.join(row) for row in [header, *rows]) + draw(st.sampled_from(["", end]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "latin-1"]))
    data = text.encode(encoding, "replace")
    return draw(st.sampled_from([data, data[: len(data) // 2]]))


@given(data=st.one_of(tenant_files(), st.binary(max_size=200)))
@example(data=b'tenant_ref;name;phone\nA;"B\nC;+4520123501\n')
@example(data=b"sep=;")
@example(data=b"\xff\xfe")
def test_any_file_ends_in_rows_or_in_problems_at_its_lines(data: bytes) -> None:
    result = parse_csv(data, TODAY, LANGUAGES, ["da", "en"], "da")
    lines = data.count(b"\n") + data.count(b"\r") + 2  # every way a line can end, and the line after the last
    assert all(1 <= error.line <= lines for error in result.errors), [str(e) for e in result.errors]
    assert all(2 <= row.line <= lines for row in result.rows)
    assert result.ok == (not result.errors)
    # Never an import of nobody: a file without a row to import has a problem saying why.
    assert result.errors or result.rows
