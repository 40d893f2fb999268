"""A state's copies: `state.replace` gives what `dataclasses.replace` gives, for every field, and still round-trips."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from typing import Any

import pytest

from conversations.model import FlowSettings
from conversations.state import State, StateChanges, replace

STATE = State(
    "payment_check",
    3,
    "ask_when",
    "da",
    "sms",
    "Anna",
    "missed",
    FlowSettings(),
    {"pay_on": "2026-12-11"},
    1,
    False,
    datetime(2026, 12, 3, 10, tzinfo=UTC),
    datetime(2026, 12, 5, 10, tzinfo=UTC),
    False,
    None,
    date(2026, 12, 20),
)
# Another value for each field.
OTHER: dict[str, Any] = {
    "flow": "consent",
    "flow_version": 4,
    "step": "ask_amount",
    "language": "en",
    "channel": "telegram",
    "first_name": "Bo",
    "trigger": None,
    "settings": FlowSettings(paid_pause_days=7),
    "data": {"amount": 200000},
    "retries": 2,
    "nudged": True,
    "waiting_until": None,
    "expires_at": datetime(2026, 12, 6, 10, tzinfo=UTC),
    "ended": True,
    "end_reason": "completed",
    "deadline": None,
}


def test_every_field_can_be_changed_and_nothing_else_moves() -> None:
    names = [f.name for f in dataclasses.fields(State)]
    assert sorted(StateChanges.__annotations__) == sorted(names) == sorted(OTHER)
    for name in names:
        changed = replace(STATE, **{name: OTHER[name]})
        assert changed == dataclasses.replace(STATE, **{name: OTHER[name]})
        assert getattr(changed, name) == OTHER[name]
    everything = replace(STATE, **OTHER)
    assert everything == State(**OTHER)
    assert STATE.step == "ask_when" and STATE.data == {"pay_on": "2026-12-11"}  # the original is untouched


def test_a_copy_is_a_frozen_state_that_round_trips_through_json() -> None:
    copy = replace(STATE, step="ask_amount", nudged=True)
    with pytest.raises(dataclasses.FrozenInstanceError):
        copy.step = "x"  # type: ignore[misc]
    assert State.load(copy.to_dict()) == copy
    assert hash(copy.settings) == hash(STATE.settings)


def test_an_unknown_field_is_refused() -> None:
    with pytest.raises(TypeError, match="no field colour"):
        replace(STATE, colour="red")  # type: ignore[call-arg]
