"""Golden whole-conversation transcripts: every flow, both channels, Danish and English, fixed clock."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.outbox.render import Renderer
from bot.settings import Settings
from conversations.engine import resume, start
from conversations.model import (
    ButtonPressed,
    Context,
    Event,
    FactReported,
    Input,
    MessageRequested,
    TextReceived,
    WaitExpired,
)
from conversations.state import State

ROOT = Path(__file__).resolve().parents[2]
TRANSCRIPTS = sorted((Path(__file__).resolve().parent / "transcripts").glob("*.json"))


def _settings() -> Settings:
    return Settings(_env_file=None)  # type: ignore[call-arg]


def _event_json(event: Event, state: State, renderer: Renderer) -> dict[str, Any]:
    if isinstance(event, MessageRequested):
        rendered = renderer.render(event.template, event.values, state.language, state.channel, event.choices)
        shown: dict[str, Any] = {"message": event.template, "text": rendered.text}
        if rendered.buttons:
            shown["buttons"] = [list(button) for button in rendered.buttons]
        return shown
    fields = {k: v.isoformat() if isinstance(v, date) else v for k, v in asdict(event).items()}
    return {"event": event.name, **fields}


def _input(turn: dict[str, Any], state: State) -> Input:
    if "text" in turn:
        return TextReceived(turn["text"], state.channel)
    if "button" in turn:
        return ButtonPressed(turn["button"], state.channel)
    if "fact" in turn:
        return FactReported(turn["fact"])
    if turn.get("wait"):
        return WaitExpired()
    raise ValueError(f"unknown turn: {turn}")


def replay(spec: dict[str, Any], scenario: dict[str, Any]) -> list[dict[str, Any]]:
    """Run a scenario's inputs and return what the tenant saw and what the engine recorded, per turn."""
    settings = _settings()
    renderer = Renderer(ROOT / "templates", settings, telegram_on=True)
    now = datetime.fromisoformat(spec["now"])
    context = Context("", spec["language"], spec["channel"], scenario.get("trigger"), settings.flow_settings())
    state, events = start(spec["flow"], context, now)
    turns = [{"start": scenario.get("trigger"), "out": [_event_json(e, state, renderer) for e in events]}]
    for turn in scenario["inputs"]:
        if turn.get("wait"):
            assert state.waiting_until is not None, "a wait with nothing waiting"
            now = state.waiting_until
        else:
            now += timedelta(minutes=turn.get("after_minutes", 5))
        state = State.from_json(state.to_json())
        state, events = resume(state, _input(turn, state), now)
        turns.append({"in": turn, "out": [_event_json(e, state, renderer) for e in events]})
    turns.append({"ended": state.end_reason})
    return turns


@pytest.mark.parametrize("path", TRANSCRIPTS, ids=lambda p: p.stem)
def test_transcript(path: Path) -> None:
    spec = json.loads(path.read_text(encoding="utf-8"))
    for scenario in spec["scenarios"]:
        assert replay(spec, scenario) == scenario["expected"], f"{path.name}: {scenario['name']}"


def test_every_flow_has_transcripts_on_its_channels_in_danish_and_english() -> None:
    from conversations.flows import FLOWS

    covered = {path.stem for path in TRANSCRIPTS}
    for flow in FLOWS.values():
        for channel in flow.channels:
            for language in ("da", "en"):
                assert f"{flow.name}.{channel}.{language}" in covered
