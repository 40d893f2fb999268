"""Understanding answers: yes/no, option numbers, amounts, dates, and messages that must not crash."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from conversations.answers import parse_amount, parse_date, parse_number, tag_strength
from conversations.engine import resume, start
from conversations.model import AnswerRecorded, ButtonPressed, Channel, Context, TextReceived

TODAY = date(2026, 12, 3)
NOW = datetime(2026, 12, 3, 10, 0, tzinfo=ZoneInfo("Europe/Copenhagen"))


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("ja", "da", "yes"),
        ("Jo", "da", "yes"),
        ("jep", "da", "yes"),
        ("ok", "da", "yes"),
        ("Okay 👍", "da", "yes"),
        ("yes", "da", "yes"),
        ("y", "en", "yes"),
        ("Ja tak!", "da", "yes"),
        ("nej", "da", "no"),
        ("nope", "da", "no"),
        ("no", "en", "no"),
        ("Nej tak.", "da", "no"),
        ("ja nej", "da", "no"),  # the longer word wins: a muddled answer never counts as consent
        ("måske", "da", "unrecognised"),
        ("🙂", "da", "unrecognised"),
        ("evet", "tr", "yes"),
        ("نعم", "ar", "yes"),
    ],
)
@pytest.mark.parametrize("channel", ["sms", "telegram"])
def test_yes_and_no_words_answer_consent(text: str, language: str, expected: str, channel: Channel) -> None:
    state, _events = start("payment_check", Context("", language, channel), NOW)
    state, _events = resume(state, ButtonPressed("adviser", channel), NOW)
    assert state.step == "consent"
    _state, events = resume(state, TextReceived(text, channel), NOW)
    assert [e.value for e in events if isinstance(e, AnswerRecorded)] == [expected]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1", 1),
        (" 2. ", 2),
        ("nr 3", 3),
        ("4️⃣", 4),
        ("5", None),
        ("0", None),
        ("12", None),
        ("1 eller 2", None),
    ],
)
def test_option_number(text: str, expected: int | None) -> None:
    assert parse_number(text, 4) == expected


@pytest.mark.parametrize(
    ("text", "ore"),
    [
        ("2500", 250000),
        ("2.500", 250000),
        ("2.500,50 kr", 250050),
        ("kr. 2500", 250000),
        ("2500,-", 250000),
        ("2 500 kr", 250000),
        ("2500,5", 250050),
        ("1.250", 125000),
        ("Jeg kan betale 900 kr", 90000),
        ("0", None),
        ("to tusind", None),
        ("2500 eller 3000", None),
        ("💰💰", None),
    ],
)
def test_amount_in_ore(text: str, ore: int | None) -> None:
    assert parse_amount(text) == ore


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15", date(2026, 12, 15)),
        ("den 15.", date(2026, 12, 15)),
        ("d. 15", date(2026, 12, 15)),
        ("15/12", date(2026, 12, 15)),
        ("15-12-2026", date(2026, 12, 15)),
        ("15.12.26", date(2026, 12, 15)),
        ("3", date(2026, 12, 3)),
        ("1", date(2027, 1, 1)),
        ("2/1", date(2027, 1, 2)),
        ("15. januar", date(2027, 1, 15)),
        ("i morgen", date(2026, 12, 4)),
        ("tomorrow", date(2026, 12, 4)),
        ("31", date(2026, 12, 31)),
        ("1/1/2020", None),
        ("30/2", None),
        ("32", None),
        ("snart", None),
        ("😅😅", None),
    ],
)
def test_date_is_next_such_date_on_or_after_today(text: str, expected: date | None) -> None:
    assert parse_date(text, TODAY) == expected


def test_day_that_this_month_lacks_moves_to_the_next_month_that_has_it() -> None:
    assert parse_date("31", date(2027, 2, 1)) == date(2027, 3, 31)


@pytest.mark.parametrize(
    ("text", "tag", "expected"),
    [
        ("jeg har betalt", "paid", True),
        ("Jeg har ikke betalt", "paid", False),
        ("betalt ✅", "paid", True),
        ("hjælp", "help", True),
        ("I already paid", "paid", True),
        ("ikke betalt endnu", "paid", False),
    ],
)
def test_option_words(text: str, tag: str, expected: bool) -> None:
    assert (tag_strength(text, "da", tag) > 0) is expected


@pytest.mark.parametrize("text", ["", " ", "\u200f", "💥" * 50, "ﷺ", "1" * 400, "\x00", "２５００"])
def test_odd_input_never_crashes(text: str) -> None:
    parse_amount(text)
    parse_date(text, TODAY)
    tag_strength(text, "da", "yes")
    parse_number(text, 4)


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("jeg kan betale en del", "da", "part"),
        ("Jeg kan betale noget", "da", "part"),
        ("jeg betaler på fredag", "da", "will_pay"),
        ("I can pay part", "en", "part"),
        ("I will pay", "en", "will_pay"),
    ],
)
def test_part_payment_in_own_words_is_not_mistaken_for_will_pay(text: str, language: str, expected: str) -> None:
    strengths = {tag: tag_strength(text, language, tag) for tag in ("part", "will_pay", "paid")}
    assert max(strengths, key=lambda tag: strengths[tag]) == expected
    assert sorted(strengths.values())[-1] > sorted(strengths.values())[-2]
