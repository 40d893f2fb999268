"""withdraw_consent: the tenant's withdrawal word; effective at once and confirmed."""

from __future__ import annotations

from conversations.flow import End, Flow, WithdrawConsent

__all__ = ["WITHDRAW_CONSENT"]

WITHDRAW_CONSENT = Flow(
    name="withdraw_consent",
    version=1,
    start="withdrawn",
    steps={"withdrawn": End("consent_withdrawn", "consent.withdrawn", effects=(WithdrawConsent("adviser"),))},
)
