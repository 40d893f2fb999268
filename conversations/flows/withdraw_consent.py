"""withdraw_consent: the tenant's withdrawal word; effective at once and confirmed."""

from __future__ import annotations

from conversations.flow import End, Flow, WithdrawConsent

__all__ = ["WITHDRAW_CONSENT"]

WITHDRAW_CONSENT = Flow(
    name="withdraw_consent",
    version=1,
    start="withdrawn",
    steps={"withdrawn": End("consent_withdrawn", "consent.withdrawn", effects=(WithdrawConsent("adviser"),))},
    # Whether a person holds the tenant's case: that adviser still reads what the tenant writes to them, and the
    # text says so instead of promising that no adviser sees more. Whether the case stays in the advisers' queue
    # without the consent (an urgent outreach, or one an adviser opened; the case the tenant's yes opened closes with
    # it): the adviser sees the rent position and the number, not the answers, and may still call; the text says so.
    shows=("held", "waiting"),
)
