"""Engine behaviour around the flows: state round-trips, waits, facts, changed flows, help word."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from conversations.engine import accepts_help_word, current_question, resume, start
from conversations.model import (
    ButtonPressed,
    Context,
    ConversationEnded,
    FactReported,
    FlowSettings,
    MessageRequested,
    PaidClaimed,
    TextReceived,
    WaitExpired,
)
from conversations.state import State

NOW = datetime(2026, 12, 3, 10, 0, tzinfo=ZoneInfo("Europe/Copenhagen"))
SETTINGS = FlowSettings(paid_pause_days=5, nudge_after_hours=24, give_up_after_hours=48)


def _start(channel: str = "sms", trigger: str | None = "missed") -> State:
    context = Context("", "da", "sms" if channel == "sms" else "telegram", trigger, SETTINGS)
    state, _events = start("payment_check", context, NOW)
    return state


def test_state_round_trips_through_json() -> None:
    state = _start()
    state, _ = resume(state, TextReceived("2", "sms"), NOW)
    assert State.load(json.dumps(state.to_dict())) == state  # as the host stores it and reads it back
    assert state.waiting_until == NOW + timedelta(hours=24)
    assert state.expires_at == NOW + timedelta(hours=48)


def test_waiting_question_exposes_when_the_host_should_deliver_wait_expired() -> None:
    state = _start()
    assert state.waiting_until == NOW + timedelta(hours=24)
    early, events = resume(state, WaitExpired(), NOW + timedelta(hours=1))
    assert events == [] and early == state
    nudged, events = resume(state, WaitExpired(), NOW + timedelta(hours=24))
    assert [e.template for e in events if isinstance(e, MessageRequested)] == ["common.nudge"]
    assert nudged.waiting_until == NOW + timedelta(hours=48)
    ended, events = resume(nudged, WaitExpired(), NOW + timedelta(hours=48))
    assert ended.ended and events == [ConversationEnded("no_response")]


def test_paid_claim_pauses_reminders_from_the_local_date() -> None:
    late_evening_utc = datetime(2026, 12, 3, 23, 30, tzinfo=ZoneInfo("UTC"))
    state = _start()
    _, events = resume(state, TextReceived("1", "sms"), late_evening_utc)
    paid = [e for e in events if isinstance(e, PaidClaimed)]
    assert paid and paid[0].pause_until.isoformat() == "2026-12-09"


def test_a_conversation_waiting_when_its_flow_changed_ends_and_offers_a_person() -> None:
    state = replace(_start(), flow_version=0)
    ended, events = resume(state, TextReceived("1", "sms"), NOW)
    assert ended.ended and ended.end_reason == "flow_changed"
    assert [e.template for e in events if isinstance(e, MessageRequested)] == ["common.flow_changed"]
    gone = replace(_start(), step="a step that no longer exists")
    assert resume(gone, TextReceived("1", "sms"), NOW)[0].end_reason == "flow_changed"


def test_payment_fact_ends_only_a_reminder_conversation() -> None:
    _, events = resume(_start(trigger=None), FactReported("balance_cleared"), NOW)
    assert events == []
    ended, events = resume(_start(), FactReported("balance_cleared"), NOW)
    assert ended.end_reason == "paid" and isinstance(events[0], MessageRequested)


@pytest.mark.parametrize("fact", ["case_taken", "case_closed"])
def test_adviser_facts_end_without_a_message(fact: str) -> None:
    ended, events = resume(_start(), FactReported(fact), NOW)
    assert ended.end_reason == "handed_off" and events == [ConversationEnded("handed_off")]


def test_unknown_fact_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown fact"):
        resume(_start(), FactReported("rent_raised"), NOW)


def test_ended_conversation_ignores_input() -> None:
    ended, _ = resume(_start(), TextReceived("4", "sms"), NOW)
    assert ended.ended
    assert resume(ended, TextReceived("1", "sms"), NOW) == (ended, [])


def test_help_word_is_an_answer_only_where_the_question_offers_help() -> None:
    state = _start()
    assert accepts_help_word(state)
    when, _ = resume(state, TextReceived("2", "sms"), NOW)
    assert not accepts_help_word(when)


def test_sms_never_offers_part_payment_and_telegram_does() -> None:
    def offered(state: State) -> list[str]:
        return [c.key for e in current_question(state) if isinstance(e, MessageRequested) for c in e.choices]

    assert "part" not in offered(_start("sms"))
    assert "part" in offered(_start("telegram"))
    _state, events = resume(_start("sms"), ButtonPressed("part", "sms"), NOW)
    assert [e.template for e in events if isinstance(e, MessageRequested)] == [
        "common.not_understood",
        "payment_check.question",
    ]


def test_two_unplaceable_answers_in_the_last_question_end_with_a_phone_number() -> None:
    state, _ = resume(_start(), TextReceived("3", "sms"), NOW)
    state, _ = resume(state, TextReceived("hvad?", "sms"), NOW)
    state, events = resume(state, TextReceived("ved ikke", "sms"), NOW)
    assert state.end_reason == "not_understood"
    assert "common.call_adviser" in [e.template for e in events if isinstance(e, MessageRequested)]


def test_now_must_be_timezone_aware_and_flow_must_exist() -> None:
    context = Context("", "da", "sms", None, SETTINGS)
    with pytest.raises(ValueError, match="timezone"):
        start("payment_check", context, datetime(2026, 12, 3, 10, 0))
    with pytest.raises(ValueError, match="unknown flow"):
        start("nope", context, NOW)


def test_a_wait_on_a_changed_flow_ends_quietly_instead_of_nudging_an_unanswerable_question() -> None:
    state = replace(_start(), flow_version=0)
    assert state.waiting_until is not None
    ended, events = resume(state, WaitExpired(), state.waiting_until)
    assert ended.end_reason == "flow_changed"
    assert events == [ConversationEnded("flow_changed")]


def test_a_state_saved_with_a_setting_since_removed_still_loads() -> None:
    data = _start().to_dict()
    data["settings"]["a_setting_since_removed"] = 3
    assert State.from_dict(data).settings == SETTINGS


def test_answers_are_kept_by_question_for_the_adviser() -> None:
    context = Context("", "da", "telegram", None, SETTINGS)
    state, _events = start("payment_check", context, NOW)
    for given in (ButtonPressed("part", "telegram"), TextReceived("2.500 kr", "telegram")):
        state, _events = resume(state, given, NOW)
    state, _events = resume(state, TextReceived("  Min bil gik i stykker ", "telegram"), NOW)
    assert state.data == {"question": "part", "amount": 250000, "reason": "Min bil gik i stykker"}
    state = State.load(json.dumps(state.to_dict()))
    state, _events = resume(state, ButtonPressed("other_reason", "telegram"), NOW)  # not open: not understood
    assert state.data["reason"] == "Min bil gik i stykker"


def test_current_question_asks_the_open_question_again_in_the_state_language() -> None:
    state = replace(_start("telegram"), language="en")
    events = current_question(state)
    assert [(e.template, [c.key for c in e.choices]) for e in events if isinstance(e, MessageRequested)] == [
        ("payment_check.question", ["paid", "will_pay", "part", "adviser", "info"])
    ]
    assert current_question(replace(state, ended=True)) == []
