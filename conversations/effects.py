"""Turning a flow's declared effects into the events the host applies."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from conversations.flow import (
    ClaimPaid,
    Effect,
    GiveConsent,
    GiveShareConsent,
    RecordPromise,
    RequestHandoff,
    RequestTelegramLink,
    WithdrawChosenConsent,
    WithdrawClaim,
    WithdrawConsent,
)
from conversations.model import (
    ClaimWithdrawn,
    ConsentGiven,
    ConsentWithdrawn,
    Event,
    HandoffRequested,
    PaidClaimed,
    PromiseRecorded,
    TelegramLinkRequested,
)
from conversations.state import State

__all__ = ["SHARE_SCOPE", "SHARE_WORDING_VERSION", "chosen_recipient", "effect_event", "local_today"]

# A consent to share with a named recipient beyond the organisation's own advisers.
SHARE_SCOPE = "share"
# v2 (2026-12-02): the household names the address, the contact no longer does (what a referral and a volunteer
# are given of each: bot/console/referrals.py, bot/host/consents.py).
# v3 (2026-12-07): "din husleje" / "your rent" names what is shared, not "huslejesituation" / "rent position".
SHARE_WORDING_VERSION = "share-v3"


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
        case WithdrawClaim():
            return ClaimWithdrawn()
        case GiveConsent(scope=scope):
            return ConsentGiven(scope, state.settings.consent_wording_version)
        case GiveShareConsent():
            return _share_consent(state)
        case WithdrawConsent(scope=scope):
            return ConsentWithdrawn(scope)
        case WithdrawChosenConsent():
            kind, recipient = chosen_recipient(state)
            if kind == "organisation":
                return ConsentWithdrawn("adviser")
            return ConsentWithdrawn(SHARE_SCOPE, kind, recipient)
        case RequestHandoff(reason=reason):
            return HandoffRequested(reason)
        case RequestTelegramLink():
            return TelegramLinkRequested()


def _text(state: State, key: str) -> str | None:
    value = state.data.get(key)
    return value if isinstance(value, str) and value else None


def _share_consent(state: State) -> ConsentGiven:
    kinds = _text(state, "kinds") or ""
    case_id = state.data.get("case_id")
    return ConsentGiven(
        SHARE_SCOPE,
        SHARE_WORDING_VERSION,
        recipient_kind=_text(state, "recipient_kind"),
        recipient=_text(state, "recipient"),
        source=_text(state, "source"),
        data_kinds=tuple(kind for kind in kinds.split(",") if kind),
        purpose=_text(state, "purpose"),
        wording=_text(state, "wording"),
        case_id=case_id if isinstance(case_id, int) else None,
        method="telegram",
    )


def chosen_recipient(state: State) -> tuple[str, str | None]:
    """The (recipient kind, recipient) the tenant picked from the numbered list of their consents: the list is
    kept in the data as `c1`, `c2`, … ("kommune:Aarhus Kommune"; "organisation:" for the organisation)."""
    entry = str(state.data.get(f"c{state.data.get('choose', '')}", "organisation:"))
    kind, _, recipient = entry.partition(":")
    return kind, recipient or None
