"""A conversation's state between turns: plain data that round-trips through JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from typing import Any, TypedDict, Unpack, cast

from conversations.model import Channel, FlowSettings

__all__ = ["State", "StateChanges", "replace"]


def _dt(value: object) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def _day(value: object) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else None


_SETTING_FIELDS = tuple(f.name for f in fields(FlowSettings))
_SETTING_NAMES = frozenset(_SETTING_FIELDS)


def _settings(raw: object) -> FlowSettings:
    # A state saved before a setting was added or removed must still load (and then end gracefully).
    known = {k: v for k, v in raw.items() if k in _SETTING_NAMES} if isinstance(raw, dict) else {}
    return FlowSettings(**known)


def _settings_data(settings: FlowSettings) -> dict[str, Any]:
    # The settings are flat (numbers and strings): their fields as they are, without asdict's deep copy.
    return {name: getattr(settings, name) for name in _SETTING_FIELDS}


@dataclass(frozen=True)
class State:
    """Where a conversation stands: flow, step, collected answers and when it waits until."""

    flow: str
    flow_version: int
    step: str
    language: str
    channel: Channel
    first_name: str = ""
    trigger: str | None = None
    settings: FlowSettings = field(default_factory=FlowSettings)
    data: dict[str, str | int] = field(default_factory=dict)
    retries: int = 0
    nudged: bool = False
    waiting_until: datetime | None = None
    expires_at: datetime | None = None
    ended: bool = False
    end_reason: str | None = None
    deadline: date | None = None  # the påkrav deadline the conversation started with (Context.deadline)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (what the database stores)."""
        return {
            "flow": self.flow,
            "flow_version": self.flow_version,
            "step": self.step,
            "language": self.language,
            "channel": self.channel,
            "first_name": self.first_name,
            "trigger": self.trigger,
            "settings": _settings_data(self.settings),
            "data": dict(self.data),
            "retries": self.retries,
            "nudged": self.nudged,
            "waiting_until": self.waiting_until.isoformat() if self.waiting_until else None,
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            "ended": self.ended,
            "end_reason": self.end_reason,
            "deadline": self.deadline.isoformat() if self.deadline else None,
        }

    @classmethod
    def from_json(cls, text: str) -> State:
        """Read a state from JSON text (what `to_dict` wrote, as a database may return it)."""
        return cls.from_dict(json.loads(text))

    @classmethod
    def load(cls, stored: str | dict[str, Any]) -> State:
        """Read a state as a database returns its JSON column: text or already decoded."""
        return cls.from_json(stored) if isinstance(stored, str) else cls.from_dict(stored)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> State:
        """Read a state written by `to_dict`."""
        channel = raw["channel"]
        if channel not in ("sms", "telegram"):
            raise ValueError(f"unknown channel in state: {channel!r}")
        return cls(
            flow=str(raw["flow"]),
            flow_version=int(raw["flow_version"]),
            step=str(raw["step"]),
            language=str(raw["language"]),
            channel=cast(Channel, channel),
            first_name=str(raw.get("first_name", "")),
            trigger=raw.get("trigger"),
            settings=_settings(raw.get("settings")),
            data=dict(raw.get("data", {})),
            retries=int(raw.get("retries", 0)),
            nudged=bool(raw.get("nudged", False)),
            waiting_until=_dt(raw.get("waiting_until")),
            expires_at=_dt(raw.get("expires_at")),
            ended=bool(raw.get("ended", False)),
            end_reason=raw.get("end_reason"),
            deadline=_day(raw.get("deadline")),  # a state saved before deadlines existed has none
        )


class StateChanges(TypedDict, total=False):
    """The fields of `State`, each optional: what `replace` may change (typed as the fields are)."""

    flow: str
    flow_version: int
    step: str
    language: str
    channel: Channel
    first_name: str
    trigger: str | None
    settings: FlowSettings
    data: dict[str, str | int]
    retries: int
    nudged: bool
    waiting_until: datetime | None
    expires_at: datetime | None
    ended: bool
    end_reason: str | None
    deadline: date | None


_STATE_FIELDS = frozenset(f.name for f in fields(State))


def replace(state: State, /, **changes: Unpack[StateChanges]) -> State:
    """`dataclasses.replace` for a state, without its per-field work (a conversation turn makes several copies,
    and `dataclasses.replace` reads and passes all sixteen fields through `__init__` for each)."""
    unknown = changes.keys() - _STATE_FIELDS
    if unknown:
        raise TypeError(f"State has no field {', '.join(sorted(unknown))}")
    copy = object.__new__(State)
    vars(copy).update(vars(state), **changes)  # frozen: the instance dict is written directly, as __init__ does
    return copy
