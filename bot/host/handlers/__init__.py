"""Applying events: one small handler per event kind, looked up in a table (mailroom's handlers/).

A handler writes what its event says happened: it adds rows to the transaction's scene (written with
one insert per table when the transaction ends) or changes rows that later events read. Single
messages, timers and the morning's reminders all go through `apply_events`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from bot.host.handlers import (
    answer_recorded,
    claim_withdrawn,
    consent_given,
    consent_withdrawn,
    conversation_ended,
    handoff_requested,
    language_changed,
    message_requested,
    opted_in,
    opted_out,
    paid_claimed,
    promise_recorded,
    telegram_link_requested,
    wrong_number_reported,
)
from bot.host.turn import Turn
from bot.settings import Settings
from bot.store.scene import Scene
from conversations.model import (
    AnswerRecorded,
    ClaimWithdrawn,
    ConsentGiven,
    ConsentWithdrawn,
    ConversationEnded,
    Event,
    HandoffRequested,
    LanguageChanged,
    MessageRequested,
    OptedIn,
    OptedOut,
    PaidClaimed,
    PromiseRecorded,
    TelegramLinkRequested,
    WrongNumberReported,
)

__all__ = ["HANDLERS", "Handler", "apply_events"]

# (scene, turn, event, index of the event in its turn, settings) -> the turn for the events after it
Handler = Callable[[Scene, Turn, Any, int, Settings], Turn]

HANDLERS: Mapping[type[Event], Handler] = {
    MessageRequested: message_requested.handle,
    AnswerRecorded: answer_recorded.handle,
    ConsentGiven: consent_given.handle,
    ConsentWithdrawn: consent_withdrawn.handle,
    HandoffRequested: handoff_requested.handle,
    PromiseRecorded: promise_recorded.handle,
    PaidClaimed: paid_claimed.handle,
    ClaimWithdrawn: claim_withdrawn.handle,
    TelegramLinkRequested: telegram_link_requested.handle,
    ConversationEnded: conversation_ended.handle,
    OptedOut: opted_out.handle,
    OptedIn: opted_in.handle,
    WrongNumberReported: wrong_number_reported.handle,
    LanguageChanged: language_changed.handle,
}


def apply_events(scene: Scene, turn: Turn, events: Sequence[Event], settings: Settings) -> Turn:
    """Write what the events say happened, in order; messages are queued, sent after the commit."""
    for index, event in enumerate(events):
        turn = HANDLERS[type(event)](scene, turn, event, index, settings)
    return turn
