"""withdraw_choice: the withdrawal word when the tenant has consents to more than one recipient.

The withdrawal command starts it with the consents in its data: `c1`, `c2`, … ("kommune:Aarhus Kommune";
"organisation:" for the organisation's own advisers), `recipients`, their names in the same order joined by "|"
(empty for the organisation), for the numbered list of all of them, and `recipient_kinds`, their kinds likewise: over
SMS the list names each by its kind only ("kommunen"), as a debt-advice charity's name in an SMS would tell whoever
holds the phone what the tenant is going through. The tenant answers with a number (or a button on Telegram, each
labelled with its recipient by `choice.consent`); that consent alone ends. Answered while a person holds the case and
while the tenant is not active, like the word itself.
"""

from __future__ import annotations

from conversations.flow import Ask, End, Flow, Option, WithdrawChosenConsent

__all__ = ["MAX_CHOICES", "WITHDRAW_CHOICE"]

# Every consent is listed: an answer is a number of at most two digits (`conversations.answers.parse_number`), and
# Telegram shows at most 100 buttons.
MAX_CHOICES = 99

WITHDRAW_CHOICE = Flow(
    name="withdraw_choice",
    version=1,
    start="choose",
    shows=("recipients", "recipient_kinds", "choose", "held", "waiting"),
    always_on=True,
    steps={
        "choose": Ask(
            "consent.withdrawn_list",
            options=tuple(
                Option(str(n), goto="chosen", needs=f"c{n}", button="choice.consent") for n in range(1, MAX_CHOICES + 1)
            ),
        ),
        "chosen": End("consent_withdrawn", "consent.withdrawn_one", effects=(WithdrawChosenConsent(),)),
    },
)
