"""A turn moved into another conversation keeps everything else it says."""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import UTC, date, datetime

from bot.host.cases import BeforeOpening
from bot.host.turn import Turn


def test_a_turn_in_another_conversation_keeps_every_other_field() -> None:
    at = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    turn = Turn(
        tenant_id=4,
        conversation_id=5,
        channel="telegram",
        language="en",
        now=at,
        today=date(2026, 3, 2),
        key="rem:9",
        proactive=True,
        not_before=at.replace(hour=10),
        evidence_id=11,
        opening=BeforeOpening(None, None, True, 12),
    )
    # Every field holds something other than its default, so a field the copy forgot would show.
    assert all(getattr(turn, f.name) != f.default for f in fields(Turn))
    assert turn.in_conversation(6) == replace(turn, conversation_id=6)
    assert turn.in_conversation(None) == replace(turn, conversation_id=None)
