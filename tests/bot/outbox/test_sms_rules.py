"""The SMS rules: amounts however written, debt words as whole words, typographic quotes, segments."""

from __future__ import annotations

import pytest

from bot.outbox.sms_rules import amount_like, forbidden_words_in, sms_segments, typographic


@pytest.mark.parametrize(
    ("text", "encoding", "segments"),
    [
        ("a" * 160, "GSM-7", 1),
        ("a" * 161, "GSM-7", 2),
        ("æøå ÆØÅ é", "GSM-7", 1),
        ("€" * 80, "GSM-7", 1),
        ("€" * 81, "GSM-7", 2),
        ("It’s", "UCS-2", 1),
        ("ş" * 71, "UCS-2", 2),
        ("🙂" * 35, "UCS-2", 1),
    ],
)
def test_sms_segments(text: str, encoding: str, segments: int) -> None:
    assert sms_segments(text) == (encoding, segments)


@pytest.mark.parametrize(
    ("text", "amount", "bare"),
    [
        ("Du skylder 2.500 kr", True, True),
        ("kr. 300 i dag", True, True),
        ("1 200,50 kr", True, True),
        ("300,- tak", True, True),
        ("resten 7.100,50", True, True),
        ("jeg kan betale 4500", False, True),
        ("2.500 på fredag", False, True),
        ("Ring 70 00 00 00 eller +4570000000", False, False),
        ("Din kode er 482913", False, False),
        ("man-fre 9-15", False, False),
    ],
)
def test_amounts_are_found_however_written(text: str, amount: bool, bare: bool) -> None:
    assert amount_like(text) is amount
    assert amount_like(text, bare_numbers=True) is bare


def test_forbidden_words_count_only_as_whole_words() -> None:
    words = ["gæld", "udsat", "court"]
    assert forbidden_words_in("Din GÆLD er stor, og du bliver udsat.", words) == ["gæld", "udsat"]
    assert forbidden_words_in("Gældsrådgivning og courtesy", words) == []


def test_typographic_quotes_are_caught() -> None:
    assert typographic("It’s") and not typographic("It's")
