"""telegram_offer: over SMS, offer to continue on Telegram with a one-time code."""

from __future__ import annotations

from conversations.flow import Ask, End, Flow, Option, RequestTelegramLink

__all__ = ["TELEGRAM_OFFER"]

TELEGRAM_OFFER = Flow(
    name="telegram_offer",
    version=1,
    start="offer",
    channels=("sms",),
    steps={
        "offer": Ask(
            "telegram_offer.question",
            options=(
                Option("yes", goto="requested", tags=("yes", "telegram"), effects=(RequestTelegramLink(),)),
                Option("no", goto="declined", tags=("no",)),
            ),
        ),
        "requested": End("link_requested", "telegram_offer.requested"),
        "declined": End("declined", "telegram_offer.declined"),
    },
)
