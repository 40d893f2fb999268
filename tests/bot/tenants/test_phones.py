"""Phone numbers as a ledger writes them (`bot.tenants.phones.e164`) and as a person dials them from a postcard
(`readable`)."""

from __future__ import annotations

import pytest

from bot.tenants.phones import e164, readable, refusal


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("+4570102030", "70 10 20 30"),  # Danish: the national form, as Danes write it
        ("+45 33 12 00 00", "33 12 00 00"),
        ("+442079460000", "+44 20 7946 0000"),  # another country keeps its code
        ("kontoret", "kontoret"),  # what is no number stays as written
        ("+45123", "+45123"),
    ],
)
def test_a_printed_number_is_written_as_it_is_dialled(raw: str, shown: str) -> None:
    assert readable(raw) == shown


@pytest.mark.parametrize(
    "raw",
    [
        "20 12 34 56",
        "+45 20 12 34 56",
        "0045 20123456",
        "(+45) 2012 3456",
        "20-12-34-56",
        "20\u00a012\u00a034\u00a056",
        "+4520123456",
    ],
)
def test_one_number_as_a_danish_ledger_writes_it_is_read(raw: str) -> None:
    assert e164(raw) == "+4520123456"


@pytest.mark.parametrize(
    "raw",
    [
        "20123456, 86123456",
        "20123456,86123456",
        "20123456; 86123456",
        "20123456,,86123456",
        "20123456 ~ 86123456",
        "20123456 # 86",
        "+45 20123456, 1",
        "20123456 / 86123456",
        "20123456 86123456",
    ],
)
def test_a_cell_with_more_than_one_number_is_refused_not_half_read(raw: str) -> None:
    # phonenumbers reads what follows a comma, a semicolon, "#" or "~" as an extension of the first number.
    assert e164(raw) is None


@pytest.mark.parametrize(
    ("raw", "said"),
    [
        ("20123456, 86123456", "is not a valid phone number: it holds more than one number (keep the one to text)"),
        ("20123456 / 86123456", "is not a valid phone number: it holds more than one number (keep the one to text)"),
        ("+4520123456#12", "is not a valid phone number: it has an extension, which a text cannot reach"),
        ("20 12 ABCD", "is not a valid phone number: it has letters in it (write the digits only)"),
        ("2" * 33, "is not a valid phone number: it is longer than 32 characters"),
        ("12", "is not a valid phone number: a Danish number has 8 digits (not counting +45), this one has 2"),
        # What to fix: a digit too many, a series no number is given out in, a code no country has.
        (
            "+4520000001",
            "is not a valid phone number: it has the 8 digits of a Danish number, but no Danish number is "
            "given out in that series (check the digits)",
        ),
        (
            "0045 2012 34567",
            "is not a valid phone number: a Danish number has 8 digits (not counting +45), this one has 9",
        ),
        ("+44 20 7946 0000 00", "is not a valid phone number: it has too many digits for a number of +44"),
        ("+999 1234 5678", "is not a valid phone number: what follows + is no country's code (+45 for Denmark)"),
        ("+45", "is not a valid phone number"),
    ],
)
def test_a_number_refused_is_told_why_so_the_ledger_can_be_mended(raw: str, said: str) -> None:
    """An import's report said "is not a valid phone number" of a cell with two numbers, a number with an extension
    and one too long alike: whoever mends the ledger could not tell what to change."""
    assert (e164(raw), refusal(raw)) == (None, said)


_FIGURE = (
    "is not a valid phone number: the spreadsheet turned the number into a figure (format the phone column as text "
    "and export again)"
)


@pytest.mark.parametrize(
    ("raw", "said"),
    [
        ("4,52012E+09", _FIGURE),
        ("4.52012E+09", _FIGURE),
        ("4,52012e+9", _FIGURE),
        (" 2,01235E+07 ", _FIGURE),
    ],
)
def test_a_phone_excel_turned_into_a_figure_says_so(raw: str, said: str) -> None:
    """A phone column a spreadsheet read as figures came back as "4,52012E+09": "it has letters in it", of a cell the
    ledger's keeper typed digits into. What to fix is the column's format."""
    assert (e164(raw), refusal(raw)) == (None, said)


@pytest.mark.parametrize("space", ["\u00a0", "\u202f", "\u2009", "\u2007", "\u3000"])
def test_every_unicode_space_between_digits_is_a_space(space: str) -> None:
    """A narrow no-break space (U+202F, what a French or Swiss number format puts between groups of digits) or any
    other Unicode space inside a phone was refused with no reason: it is read as the space it is."""
    for raw in (f"20{space}12{space}34{space}56", f"+45{space}2012{space}3456"):
        assert (e164(raw), refusal(raw)) == ("+4520123456", None)
        assert readable(raw) == "20 12 34 56"


@pytest.mark.parametrize("raw", ["20123456", "2012/3456", "+45 20 12 34 56", "0045 20123456", "(+45) 2012 3456"])
def test_one_number_however_written_has_no_refusal(raw: str) -> None:
    assert (e164(raw), refusal(raw)) == ("+4520123456", None)
