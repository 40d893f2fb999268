"""The transcript text format: inputs are read back exactly; the expected lines print as documented."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.conversations.transcript_format import (
    Note,
    Played,
    Recorded,
    Scenario,
    Shown,
    Step,
    TenantInput,
    parse,
    print_transcript,
)

NOW = datetime(2026, 12, 3, 10, 0, tzinfo=ZoneInfo("Europe/Copenhagen"))

TRICKY = (
    TenantInput("text", "ja"),
    TenantInput("text", "[wait]"),
    TenantInput("text", ' "quoted" '),
    TenantInput("text", "two\nlines"),
    TenantInput("text", ""),
    TenantInput("text", "Ja 👍 tak, 15/12"),
    TenantInput("button", "will_pay"),
    TenantInput("wait"),
    TenantInput("fact", "case_taken"),
)


def test_inputs_and_options_read_back_exactly() -> None:
    scenario = Scenario("tricky inputs", {"flow": "payment_check", "held": ""}, TRICKY)
    played = Played(scenario, tuple(Step(given, ()) for given in TRICKY), ("still waiting",))
    text = print_transcript("commands on sms in da", NOW, [played])
    assert parse(text).scenarios == (scenario,)
    assert parse(text).now == NOW
    assert "## tricky inputs (flow: payment_check, held)" in text
    assert '> "[wait]"' in text and "> [wait]" in text and '> "two\\nlines"' in text


def test_expected_lines() -> None:
    outputs = (
        Shown("consent.ask", "Må vi?\n\nSvar JA.", (("Ja", "yes"), ("Nej", "no"))),
        Recorded("answer_recorded", (("question", "question"), ("value", "paid"), ("raw", "1"))),
        Recorded("answer_recorded", (("question", "reason"), ("value", "text"), ("raw", "Min bil gik i stykker"))),
        Recorded("promise_recorded", (("pay_on", "2026-12-15"),)),
        Recorded("answer_recorded", (("question", "how_much"), ("value", 250000), ("raw", "2.500 kr"))),
        Recorded("opted_out"),
        Note("keyword opt_out"),
    )
    played = Played(Scenario("lines", {"trigger": "missed"}), (Step(None, outputs),), ("ended: paid",))
    text = print_transcript("payment_check on telegram in da", NOW, [played])
    assert text.splitlines()[4:] == [
        "## lines (trigger: missed)",
        "",
        "< consent.ask",
        "<   Må vi?",
        "<",
        "<   Svar JA.",
        "< [button: yes] Ja",
        "< [button: no] Nej",
        '= answer_recorded question=question value=paid raw="1"',
        '= answer_recorded question=reason value=text raw="Min bil gik i stykker"',
        "= promise_recorded pay_on=2026-12-15",
        '= answer_recorded question=how_much value=250000 raw="2.500 kr"',
        "= opted_out",
        "! keyword opt_out",
        "",
        "ended: paid",
    ]


@pytest.mark.parametrize(
    ("source", "complaint"),
    [
        ("now: 2026-12-03T10:00:00+01:00\n", "title"),
        ("# x\n## a\n> 1\n", "now"),
        ("# x\nnow: 2026-12-03T10:00:00\n", "now"),
        ("# x\nnow: 2026-12-03T10:00:00+01:00\n> 1\n", "before the first scenario"),
        ("# x\nnow: 2026-12-03T10:00:00+01:00\n## a\n> [wait: 5]\n", "bad input"),
        ("# x\nnow: 2026-12-03T10:00:00+01:00\n## a\n> [button]\n", "bad input"),
    ],
)
def test_malformed_files_are_refused(source: str, complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint):
        parse(source)
