"""telegram_offer: over SMS, offer to continue on Telegram with a one-time code."""

from __future__ import annotations

from conversations.flow import Ask, End, Flow, Option, RequestTelegramLink, Say

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
                Option("yes", goto="requested", tags=("yes", "telegram")),
                # "Helst sms", "sms please": staying on SMS is what the no says.
                Option("no", goto="declined", tags=("no", "sms")),
            ),
            # Its text asks for JA or NEJ and numbers nothing: a "1" is likely the reminder menu's sent again, and a
            # code for an app a basic phone cannot run is never sent on a guess. It is asked again, with its words.
            numbered=(),
        ),
        # "A code follows" comes first, then the host's SMS with the code itself.
        "requested": Say("telegram_offer.requested", goto="code_sent"),
        "code_sent": End("link_requested", effects=(RequestTelegramLink(),)),
        "declined": End("declined", "telegram_offer.declined"),
    },
)
