"""share_consent: on Telegram, the full wording of a consent to share named data with a named recipient.

An adviser asks from the case page; the conversation starts with the request in its data (`recipient_kind`,
`recipient`, `source`, `kinds`, `purpose`, `case_id`, and the `wording` exactly as the tenant is shown it).
A yes records the consent with all of that; a no records nothing. Telegram only: an SMS yes never creates a
consent to share beyond the organisation (the flow is never started over SMS, and its texts exist only for
Telegram, so a message that falls back to SMS is never sent).
"""

from __future__ import annotations

from conversations.flow import TELEGRAM_ONLY, Ask, End, Flow, GiveShareConsent, Option

__all__ = ["SHARE_CONSENT"]

SHARE_CONSENT = Flow(
    name="share_consent",
    version=1,
    start="share",
    channels=TELEGRAM_ONLY,
    shows=("recipient_kind", "recipient", "source", "kinds", "purpose"),
    while_held=True,
    steps={
        "share": Ask(
            "share_consent.ask",
            options=(
                Option("yes", goto="given", tags=("yes",), effects=(GiveShareConsent(),), channels=TELEGRAM_ONLY),
                Option("no", goto="declined", tags=("no",), channels=TELEGRAM_ONLY),
            ),
            numbered=(),
        ),
        "given": End("share_consented", "share_consent.given"),
        "declined": End("declined", "share_consent.declined"),
    },
)
