"""Seeded random walks: no input, in any state of any flow, crashes the engine or strands a conversation."""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.outbox.render import Renderer
from bot.settings import Settings
from conversations.engine import current_question, resume, start
from conversations.flows import FLOWS
from conversations.model import (
    FACTS,
    TRIGGERS,
    ButtonPressed,
    Channel,
    Choice,
    Context,
    FactReported,
    Input,
    MessageRequested,
    TextReceived,
    WaitExpired,
)
from conversations.state import State

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 12, 3, 10, 0, tzinfo=ZoneInfo("Europe/Copenhagen"))
WORDS = [
    "1", "2", "3", "4", "5", "6", "0", "99", "ja", "nej", "jo", "ok", "yes", "no", "hjælp", "help", "info",
    "telegram", "betalt", "jeg betaler", "en del", "2.500", "2.500,50 kr", "kr. 2500", "den 15.", "15/12",
    "15-12-2026", "i morgen", "31", "32/13", "29/2", "🙂", "👍👍", "1️⃣", "", " ", "\u200f", "ﷺ", "نعم", "evet",
    "hayır", "ja nej", "jeg har ikke betalt", "ring til mig", "stop", "1" * 300, "\x00", "２５００", "-5", "0,00",
    "jeg kan ikke betale", "betaler på fredag", "kan betale 2000", "har betalt en del", "hvem er du?", "ingenting",
    "efter den 10.", "næste fredag", "den femtende", "mistet mit arbejde og kan ikke betale før d 15",
]  # fmt: skip
ALPHABET = "abcæøå ÆØÅ0123456789.,-/!?🙂ğışçöü،؟ابت\n\t"


def _random_text(rng: random.Random) -> str:
    if rng.random() < 0.7:
        return rng.choice(WORDS)
    return "".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 40)))


def _choices(state: State) -> tuple[Choice, ...]:
    """The buttons of the open question, as the host shows them when it asks again."""
    return tuple(c for e in current_question(state) if isinstance(e, MessageRequested) for c in e.choices)


def _random_input(rng: random.Random, state: State, now: datetime) -> tuple[Input, datetime]:
    roll = rng.random()
    if roll < 0.55:
        return TextReceived(_random_text(rng), state.channel), now + timedelta(minutes=5)
    if roll < 0.8:
        keys = [c.key for c in _choices(state)] + ["part", "yes", "nonsense", ""]
        return ButtonPressed(rng.choice(keys), state.channel), now + timedelta(minutes=5)
    if roll < 0.93:
        later = state.waiting_until or now
        return WaitExpired(), later + timedelta(minutes=rng.choice([-30, 0, 1]))
    return FactReported(rng.choice(FACTS)), now + timedelta(minutes=5)


def _has_a_way_forward(state: State) -> bool:
    """A waiting conversation waits until a time and its question can be answered on its channel."""
    if state.ended:
        return state.waiting_until is None and state.end_reason is not None
    if state.waiting_until is None or state.expires_at is None:
        return False
    step = FLOWS[state.flow].step(state.step)
    return not hasattr(step, "options") or bool(_choices(state))


CASES = [
    (flow.name, channel, language)
    for flow in FLOWS.values()
    for channel in flow.channels
    for language in ("da", "en", "ar", "tr")
]


@pytest.mark.parametrize(("flow", "channel", "language"), CASES)
def test_random_walks_never_crash_or_strand_and_every_message_renders(
    flow: str, channel: Channel, language: str
) -> None:
    rng = random.Random(f"{flow}-{channel}-{language}")
    renderer = Renderer(ROOT / "templates", Settings(_env_file=None))  # type: ignore[call-arg]
    settings = Settings(_env_file=None).flow_settings()  # type: ignore[call-arg]
    for walk in range(40):
        trigger = rng.choice((None, *TRIGGERS))
        now = NOW + timedelta(hours=walk)
        state, events = start(flow, Context("Ana", language, channel, trigger, settings), now)
        for _turn in range(12):
            for event in events:
                if isinstance(event, MessageRequested):
                    rendered = renderer.render(event.template, event.values, language, channel, event.choices)
                    assert rendered.text.strip(), event.template
            assert _has_a_way_forward(state), state
            if state.ended:
                break
            given, now = _random_input(rng, state, now)
            state = State.load(json.dumps(state.to_dict()))  # as stored in and read from the database
            state, events = resume(state, given, now)
