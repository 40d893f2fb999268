"""Flow shape checks and the template values' JSON form."""

from __future__ import annotations

from datetime import date

import pytest

from conversations.flow import Ask, End, Flow, Option, Say
from conversations.flowcheck import check_flow, templates_used
from conversations.flows import FLOWS
from conversations.flows.payment_check import PAYMENT_CHECK
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


def test_sensitive_questions_are_telegram_only() -> None:
    sms = templates_used(PAYMENT_CHECK, "sms")
    telegram = templates_used(PAYMENT_CHECK, "telegram")
    for key in ("payment_check.how_much", "payment_check.reason", "payment_check.reason_text"):
        assert key not in sms and key in telegram


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
