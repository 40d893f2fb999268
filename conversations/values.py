"""Typed template values and their JSON form for the outbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

__all__ = ["Money", "Value", "decode_values", "encode_values"]


@dataclass(frozen=True)
class Money:
    """An amount of Danish kroner in øre; never a float."""

    ore: int

    def __post_init__(self) -> None:
        if isinstance(self.ore, bool) or not isinstance(self.ore, int):
            raise TypeError("Money.ore must be an int")


Value = str | int | Money | date


def _encode(value: Value) -> Any:
    match value:
        case bool():
            raise TypeError("a template value cannot be a bool")
        case Money(ore=ore):
            return {"money": ore}
        case date():
            return {"date": value.isoformat()}
        case str() | int():
            return value
    raise TypeError(f"unsupported template value: {type(value).__name__}")


def _decode(raw: Any) -> Value:
    match raw:
        case bool():
            raise ValueError("a template value cannot be a bool")
        case str() | int():
            return raw
        case {"money": int() as ore}:
            return Money(ore)
        case {"date": str() as iso}:
            return date.fromisoformat(iso)
    raise ValueError(f"not an encoded template value: {raw!r}")


def encode_values(values: dict[str, Value]) -> dict[str, Any]:
    """Turn template values into JSON-ready data."""
    return {key: _encode(value) for key, value in values.items()}


def decode_values(data: dict[str, Any]) -> dict[str, Value]:
    """Turn JSON data from `encode_values` back into template values."""
    return {str(key): _decode(raw) for key, raw in data.items()}
