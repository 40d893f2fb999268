"""Flow shape checks and the template values' JSON form."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from conversations.engine import resume, start
from conversations.flow import Ask, AskAmount, AskDate, End, Flow, Option, Say
from conversations.flowcheck import check_flow, templates_used
from conversations.flows import FLOWS
from conversations.flows.payment_check import PAYMENT_CHECK
from conversations.model import Channel, Context, MessageRequested, TextReceived
from conversations.values import Money, Value, decode_values, encode_values


@pytest.mark.parametrize("name", sorted(FLOWS))
def test_registered_flows_are_sound(name: str) -> None:
    assert FLOWS[name].name == name
    assert check_flow(FLOWS[name]) == []


def test_check_finds_missing_unreachable_and_dead_end_steps() -> None:
    broken = Flow(
        name="broken",
        version=1,
        start="q",
        steps={
            "q": Ask("t.q", options=(Option("a", goto="nowhere"), Option("b", goto="loop"))),
            "loop": Say("t.loop", goto="loop"),
            "orphan": End("done"),
        },
    )
    problems = "\n".join(check_flow(broken))
    assert "missing step 'nowhere'" in problems
    assert "broken.loop: dead end" in problems
    assert "broken.orphan: unreachable" in problems


def test_check_finds_an_amount_question_or_option_whose_date_question_is_none() -> None:
    broken = Flow(
        name="broken",
        version=1,
        start="much",
        steps={"much": AskAmount("t.much", goto="done", when="done"), "done": End("done")},
    )
    assert check_flow(broken) == ["broken.much: its date question 'done' is no date question"]
    broken = Flow(
        name="broken",
        version=1,
        start="much",
        steps={"much": AskAmount("t.much", goto="done", rest="done"), "done": End("done")},
    )
    assert check_flow(broken) == ["broken.much: its date question 'done' is no date question"]
    option = Option("part", goto="done", when="done")
    broken = Flow(name="broken", version=1, start="q", steps={"q": Ask("t.q", (option,)), "done": End("done")})
    assert check_flow(broken) == ["broken.q.part: its date question 'done' is no date question"]


def test_check_follows_where_a_date_questions_part_leads() -> None:
    """A part said at a date question leads where its options say: a step it names must exist, be a date question
    where a day goes, and be counted as reached (the steps only a part leads to are no orphans)."""

    def flow(*part: Option) -> Flow:
        steps = {"when": AskDate("t.when", goto="done", part=part), "heard": Say("t.heard", goto="done")}
        return Flow(name="f", version=1, start="when", steps={**steps, "done": End("done")})

    assert check_flow(flow(Option("part", goto="heard"))) == []
    assert check_flow(flow(Option("part", goto="nowhere"))) == [
        "f.when: goes to missing step 'nowhere'",
        "f.heard: unreachable step",
    ]
    assert check_flow(flow(Option("part", goto="heard", when="heard"))) == [
        "f.when.part: its date question 'heard' is no date question"
    ]


def test_sensitive_questions_are_telegram_only() -> None:
    sms = templates_used(PAYMENT_CHECK, "sms")
    telegram = templates_used(PAYMENT_CHECK, "telegram")
    for key in ("payment_check.how_much", "payment_check.reason", "payment_check.reason_text"):
        assert key not in sms and key in telegram


@pytest.mark.parametrize("channel", ["sms", "telegram"])
@pytest.mark.parametrize(("language", "text"), [("da", "jeg har betalt en del"), ("en", "I have paid part of it")])
def test_a_part_already_paid_is_thanked_and_the_rest_asked_about_never_an_amount(
    channel: Channel, language: str, text: str
) -> None:
    now = datetime(2026, 12, 3, 10, 0, tzinfo=ZoneInfo("Europe/Copenhagen"))
    state, _events = start("payment_check", Context("", language, channel, "missed"), now)
    state, events = resume(state, TextReceived(text, channel), now)
    assert [e.template for e in events if isinstance(e, MessageRequested)] == ["payment_check.rest_when"]
    assert isinstance(PAYMENT_CHECK.step(state.step), AskDate)  # when the rest can come: a day, no amount
    assert "payment_check.rest_when" in templates_used(PAYMENT_CHECK, channel)


def test_values_round_trip_through_json() -> None:
    values: dict[str, Value] = {"first_name": "x", "count": 3, "amount": Money(250050), "pay_on": date(2026, 12, 15)}
    encoded = encode_values(values)
    assert encoded["amount"] == {"money": 250050}
    assert decode_values(encoded) == values


def test_money_is_integer_ore_only() -> None:
    with pytest.raises(TypeError):
        Money(25.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        encode_values({"flag": True})
