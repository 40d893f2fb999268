"""payment_check: "Do you need help with the rent?" after a reminder, or when the tenant writes first."""

from __future__ import annotations

from dataclasses import replace

from conversations.flow import (
    PAID_PART,
    SMS_ONLY,
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
    Say,
    WithdrawClaim,
    WithdrawConsent,
)

__all__ = ["PAYMENT_CHECK"]

# A part payment offered, at the opening question or asked when ("kan betale 500 den 21."): read the same at both.
_PART = (
    # The opening question's last button on Telegram, after the four the SMS lists 1 to 4 (in the same order).
    Option("part", goto="how_much", tags=("part",), channels=TELEGRAM_ONLY),
    # Over SMS a part payment is not asked about: it is heard, and help is offered. A day said with it
    # ("kan betale 500 den 15.", "500 kr den 15., jeg er syg") is a promise for that day, confirmed as a
    # part's (the amount neither kept nor said) before the help, as on Telegram.
    Option("part", goto="heard", tags=("part",), channels=SMS_ONLY, listed=False, when="part_when"),
)

# "Jeg har betalt", "I did pay": the payment claimed and reminders paused, at the opening question (its first answer)
# and at the consent question too, where it is no answer listed: a tenant who says they paid is not handed to an
# adviser, nor told they were not understood.
_PAID = Option("paid", goto="paid", tags=("paid",), effects=(ClaimPaid(),))

PAYMENT_CHECK = Flow(
    name="payment_check",
    version=1,
    start="question",
    reminder=True,
    steps={
        "question": Ask(
            "payment_check.question",
            options=(
                _PAID,
                Option("will_pay", goto="when", tags=("will_pay",)),
                Option("adviser", goto="consent", tags=("adviser", "yes", "help")),
                Option("info", goto="info", tags=("info",)),
                *_PART,
                # "Jeg har betalt en del": the part paid is thanked for and the rest is asked about (when, or a
                # person), never "how much can you pay?" as if it had not been heard. No amount on either channel.
                Option("part", goto="rest_when", tags=("paid_part",), listed=False, kept=PAID_PART),
                # "Kan betale halvdelen nu og resten den 20.": a part now, and the day for the rest is the promise, kept
                # and confirmed as the rest's at "when" (no amount asked on either channel).
                Option("part", goto="when", tags=("part_rest",), listed=False),
                Option("no_thanks", goto="no_help", tags=("no",), listed=False),
                Option("hardship", goto="cannot_pay", tags=("hardship",), listed=False),
            ),
            # Four words or more that say nothing it can place are someone telling us something: heard.
            free_text="heard",
            free_text_words=4,
            # By SMS its text lists 1 to 4; on Telegram its answers are buttons its text numbers nowhere, so a number
            # typed there picks none (which one is meant is asked, the buttons again), as with nothing open.
            numbered=SMS_ONLY,
        ),
        "heard": Say("payment_check.heard", goto="consent", thanks=True),
        # "Kan ikke betale", "har ikke betalt endnu", at any question: heard as above, and a promise or an "I have paid"
        # given before ends (the reminders it held go again; the console no longer shows it). "Ved ikke", "nej", a plan
        # with someone else or a day said for something else, asked when, are heard ("heard") and take nothing back.
        "cannot_pay": Say("payment_check.heard", goto="consent", thanks=True, effects=(WithdrawClaim(),)),
        "paid": End("paid_claimed", "payment_check.paid"),
        "when": AskDate(
            "payment_check.when",
            goto="promised",
            effects=(RecordPromise(),),
            late="promised_late",
            asked="promised_asked",
            asked_late="promised_asked_late",
            told="promised_told",
            hardship="cannot_pay",
            heard="heard",
            paid="paid",
            paid_part="rest_when",
            adviser="consent",
            rest="rest_promised",
            # "Kan betale 500 den 21." is a part for that day, not the whole: help is offered, as at the opening.
            part=_PART,
        ),
        "rest_when": AskDate(
            "payment_check.rest_when",
            goto="promised",
            effects=(RecordPromise(),),
            late="promised_late",
            asked="promised_asked",
            asked_late="promised_asked_late",
            told="promised_told",
            hardship="cannot_pay",
            heard="heard",
            paid="paid",
            adviser="consent",
            part=_PART,  # a part of the rest, too
        ),
        "promised": End("promised", "payment_check.promised"),
        "promised_late": End("promised", "payment_check.promised_late"),
        "rest_promised": End("promised", "payment_check.rest_promised"),
        # A day said with a wish for a person or for help, or with "I cannot pay now" ("kan først betale den 20, kan en
        # rådgiver ringe til mig?"): the promise confirmed without the words that close ("write to us if anything
        # changes"), then help offered and the consent question, as after a part's day; one thank-you.
        "promised_asked": Say("payment_check.promised_asked", goto="heard", thanks=True),
        "promised_asked_late": Say("payment_check.promised_asked_late", goto="heard", thanks=True),
        # A day said with why paying is hard, asking for nothing ("jeg er syg og kan først betale den 20."): the promise
        # confirmed as above, then one kind line on how to ask for help if they want it (RÅDGIVER), and the end: no
        # consent question they did not ask for, and no second offer beside it.
        "promised_told": Say("payment_check.promised_asked", goto="promised_help_open", thanks=True),
        "promised_help_open": End("promised", "payment_check.help_open"),
        # Telegram only: an app channel bound to a verified account.
        # "500 kr den 15.": the day answers "when can you pay?" for the part they can pay (a promise, confirmed with
        # its day as that question confirms one), and the reason comes next.
        # "3000 nu og resten den 20": the rest's day is the promise, confirmed by "when" with the amount.
        # "Ring til mig" asked how much: a person is wanted, and the consent question comes, as at "when?".
        "how_much": AskAmount(
            "payment_check.how_much",
            goto="reason",
            hardship="cannot_pay",
            heard="heard",
            adviser="consent",
            when="part_when",
            rest="when",
        ),
        # The day of a part, on both channels: by SMS it comes with the opening question's words.
        "part_when": AskDate(
            "payment_check.when",
            goto="part_promised",
            effects=(RecordPromise(),),
            late="part_promised_late",
            hardship="cannot_pay",
            heard="heard",
            adviser="consent",
        ),
        # The promise confirmed (the amount and the day on Telegram, the day only by SMS; the letter's deadline), then
        # why, and the way to a person: one turn, so the confirmation thanks and closes nothing ("write to us if
        # anything changes" before a question reads as the end), and the reason question, after it, thanks no more.
        # By SMS the reason is never asked: the tenant is heard ("heard", thanking no more) and asked for consent.
        "part_promised": Say("payment_check.part_promised", goto="reason", thanks=True),
        "part_promised_late": Say("payment_check.part_promised_late", goto="reason", thanks=True),
        "reason": Ask(
            "payment_check.reason",
            options=(
                Option("lost_job", goto="reason_heard", tags=("lost_job",), channels=TELEGRAM_ONLY),
                Option("illness", goto="reason_heard", tags=("illness",), channels=TELEGRAM_ONLY),
                Option("benefits_delayed", goto="reason_heard", tags=("benefits_delayed",), channels=TELEGRAM_ONLY),
                Option("unexpected_expense", goto="reason_heard", tags=("unexpected_expense",), channels=TELEGRAM_ONLY),
                Option("other_reason", goto="reason_text", tags=("other_reason",), channels=TELEGRAM_ONLY),
                # Nobody has to say why: a button that goes on without a reason (a "nej" typed is this too).
                Option("no_reason", goto="consent", tags=("no",), channels=TELEGRAM_ONLY),
                # "Ja" to "Vil du fortælle, hvad der er sket?": they will, in their own words (not kept as the reason).
                Option("will_tell", goto="reason_text", tags=("yes",), channels=TELEGRAM_ONLY, listed=False),
            ),
            # What happened in their own words is thanked before the consent question ("heard"), not passed over.
            free_text="heard",
            # Its text numbers nothing (buttons, or own words): a number typed is no reason, and which one is asked.
            numbered=(),
        ),
        "reason_text": AskText("payment_check.reason_text", goto="heard"),
        # What happened, told by a button or in words it can place ("jeg har været syg"), is thanked before the
        # consent question too, as what is told in other words is ("heard").
        "reason_heard": Say("payment_check.reason_heard", goto="consent", thanks=True),
        "consent": Ask(
            "consent.ask",
            options=(
                Option(
                    "yes",
                    goto="handed_off",
                    tags=("yes",),
                    effects=(GiveConsent("adviser"), RequestHandoff("tenant_asked")),
                ),
                # A no is a no to advisers reading along: a yes given before (another case) ends with it, so "that
                # is completely fine" is true (it stood before, seeing every answer after).
                Option("no", goto="declined", tags=("no",), effects=(WithdrawConsent("adviser"),)),
                replace(_PAID, listed=False),
            ),
            numbered=(),
        ),
        "handed_off": End("handed_off", "consent.confirmed"),
        "declined": End("declined", "consent.declined"),
        "no_help": End("declined", "payment_check.no_help"),
        "info": End("info_given", "help_info.text"),
    },
)
