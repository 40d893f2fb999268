"""Turning a flow's declared effects into the events the host applies."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from conversations.flow import (
    ClaimPaid,
    Effect,
    GiveConsent,
    RecordPromise,
    RequestHandoff,
    RequestTelegramLink,
    WithdrawConsent,
)
from conversations.model import (
    ConsentGiven,
    ConsentWithdrawn,
    Event,
    HandoffRequested,
    PaidClaimed,
    PromiseRecorded,
    TelegramLinkRequested,
)
from conversations.state import State

__all__ = ["effect_event", "local_today"]


def local_today(state: State, now: datetime) -> date:
    """Today's date where the tenant lives (the conversation's time zone)."""
    return now.astimezone(ZoneInfo(state.settings.timezone)).date()


def effect_event(effect: Effect, state: State, now: datetime) -> Event:
    """The event an effect records, given the state it happens in."""
    match effect:
        case ClaimPaid():
            return PaidClaimed(local_today(state, now) + timedelta(days=state.settings.paid_pause_days))
        case RecordPromise():
            pay_on = date.fromisoformat(str(state.data["pay_on"]))
            return PromiseRecorded(pay_on, after_deadline=state.deadline is not None and pay_on > state.deadline)
        case GiveConsent(scope=scope):
            return ConsentGiven(scope, state.settings.consent_wording_version)
        case WithdrawConsent(scope=scope):
            return ConsentWithdrawn(scope)
        case RequestHandoff(reason=reason):
            return HandoffRequested(reason)
        case RequestTelegramLink():
            return TelegramLinkRequested()
