"""payment_check: "Do you need help with the rent?" after a reminder, or when the tenant writes first."""

from __future__ import annotations

from conversations.flow import (
    TELEGRAM_ONLY,
    Ask,
    AskAmount,
    AskDate,
    AskText,
    ClaimPaid,
    End,
    Flow,
    GiveConsent,
    Option,
    RecordPromise,
    RequestHandoff,
)

__all__ = ["PAYMENT_CHECK"]

PAYMENT_CHECK = Flow(
    name="payment_check",
    version=1,
    start="question",
    fallback="consent",
    reminder=True,
    steps={
        "question": Ask(
            "payment_check.question",
            options=(
                Option("paid", goto="paid", tags=("paid",), effects=(ClaimPaid(),)),
                Option("will_pay", goto="when", tags=("will_pay",)),
                Option("part", goto="how_much", tags=("part",), channels=TELEGRAM_ONLY),
                Option("adviser", goto="consent", tags=("adviser", "yes", "help")),
                Option("info", goto="info", tags=("info",)),
                Option("no_thanks", goto="no_help", tags=("no",), listed=False),
            ),
        ),
        "paid": End("paid_claimed", "payment_check.paid"),
        "when": AskDate("payment_check.when", goto="promised", effects=(RecordPromise(),)),
        "promised": End("promised", "payment_check.promised"),
        # Telegram only: an app channel bound to a verified account.
        "how_much": AskAmount("payment_check.how_much", goto="reason"),
        "reason": Ask(
            "payment_check.reason",
            options=(
                Option("lost_job", goto="consent", channels=TELEGRAM_ONLY),
                Option("illness", goto="consent", channels=TELEGRAM_ONLY),
                Option("benefits_delayed", goto="consent", channels=TELEGRAM_ONLY),
                Option("unexpected_expense", goto="consent", channels=TELEGRAM_ONLY),
                Option("other_reason", goto="reason_text", channels=TELEGRAM_ONLY),
            ),
            free_text="consent",
        ),
        "reason_text": AskText("payment_check.reason_text", goto="consent"),
        "consent": Ask(
            "consent.ask",
            options=(
                Option(
                    "yes",
                    goto="handed_off",
                    tags=("yes",),
                    effects=(GiveConsent("adviser"), RequestHandoff("tenant_asked")),
                ),
                Option("no", goto="declined", tags=("no",)),
            ),
        ),
        "handed_off": End("handed_off", "consent.confirmed"),
        "declined": End("declined", "consent.declined"),
        "no_help": End("declined", "payment_check.no_help"),
        "info": End("info_given", "help_info.text"),
    },
)
