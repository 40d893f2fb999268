"""What became of a message to a tenant, in plain words: every delivery word the console shows lives here.

The facts come from the message (`status`, `error_code`: the provider's answer and its delivery reports) and
its outbox row (`state`, `last_error`: why the sender held, dropped, retried or failed it, and when it tries
next). The tables hold msgids (`N_`): `explain` and `delivery` translate them in the request's language.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, exists, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.i18n import N_
from bot.i18n import gettext as _
from bot.store.schema import FAILED_STATUSES, messages, outbox, tenants

__all__ = [
    "LABELS",
    "NUMBER_CODES",
    "Delivery",
    "DeliveryFacts",
    "RefusedNumber",
    "delivery",
    "explain",
    "explained",
    "facts_by_message",
    "last_failed",
    "recent_facts",
    "refused_numbers",
]

# Twilio's error codes (https://www.twilio.com/docs/api/errors) an SMS to a Danish number meets.
_TWILIO = {
    "21211": N_("the phone number is not valid"),
    "21408": N_("SMS to this country is not switched on in the Twilio account"),
    "21610": N_("the tenant's phone sent STOP to our number, so Twilio sends nothing to it"),
    "21612": N_("our sender number cannot reach this number"),
    "21614": N_("the number cannot receive SMS (perhaps a landline)"),
    "30001": N_("Twilio's queue was full"),
    "30002": N_("the Twilio account is suspended"),
    "30003": N_("the phone was off or out of reach"),
    "30004": N_("the phone or its carrier blocks our messages"),
    "30005": N_("the number does not exist"),
    "30006": N_("the number is a landline or its carrier cannot take SMS"),
    "30007": N_("the carrier filtered the message as unwanted"),
    "30008": N_("the carrier gave no reason"),
}
# Twilio's codes that say the number itself cannot get SMS (not valid, a landline, not in use): every message to it
# fails the same way until the housing organisation corrects it (the admin page lists them, `refused_numbers`).
NUMBER_CODES = ("21211", "21614", "30005", "30006")
# How far back the admin page looks for them, and how many it lists.
REFUSED_DAYS = 30
REFUSED_LISTED = 50
# The Bot API's answers, as bot/channels/telegram.py records them.
_TELEGRAM = {
    "400": N_("Telegram refused the message (the chat may be gone)"),
    "403": N_("the tenant blocked the bot or never started it"),
    "429": N_("Telegram asked us to slow down"),
}
# What the sender, a rule or the host wrote as the reason (outbox.last_error).
_REASONS = {
    "channel off": N_("no channel was set up to send it"),
    "does not render": N_("its text could not be made (a template problem: run keephome check)"),
    "timeout": N_("the provider did not answer in time"),
    "held": N_("the tenant could not receive messages when it was due"),
    "stopped": N_("the tenant opted out (STOP)"),
    "wrong_number": N_("the number was reported as not the tenant's"),
    "moved_out": N_("the tenant moved out or was evicted"),
    "erased": N_("the tenant's data was erased"),
    "balance cleared": N_("the balance was paid, so the question was no longer needed"),
    "blocked": N_("the tenant blocked the Telegram bot, so it goes by SMS"),
    "permanent": N_("Telegram could not deliver it, so it goes by SMS"),
    # Telegram failed every try for a passing reason (bot/outbox/record.py): the row goes by SMS instead.
    "transient": N_("Telegram could not be reached in any of its tries, so it goes by SMS"),
    "opted_out": N_("the tenant opted out at their carrier"),
    # A proactive message that cannot go now (bot/outbox/claim.py), or was no longer due when it could
    # (bot/reminders/recheck.py, scheduler/model.py).
    "no channel": N_("no channel can send it yet"),
    "paused": N_("sending is paused"),
    "quiet hours": N_("nothing goes out in quiet hours (or on a quiet day): it goes when they end"),
    "stage passed": N_("its moment on the rent timeline had passed before it could go out"),
    "nothing owed": N_("the balance it was about had been paid"),
    "no longer due": N_(
        "it was no longer due (a case, a paid claim or promise, old balance data, or no way to reach the tenant)"
    ),
    "conversation ended": N_("its conversation had ended"),
    "conversation moved on": N_("its conversation had moved on"),
    "one a day": N_("the tenant already had a message from keephome that day"),
    # A volunteer moved the appointment before its reminder went (bot/host/appointments.py).
    "appointment moved": N_("the appointment was moved: the reminder of the new time goes instead"),
    # The appointment was cancelled: its volunteer may no longer see it (bot/host/appointments.py, cancel_unseen).
    "appointment cancelled": N_("the appointment was cancelled: the consent it needed ended, or the case closed"),
    "superseded": N_("a newer reminder took its place before it went out"),
    # The tenant wrote before the reminder's question went (bot/host/unseen.py, give_way).
    "tenant wrote first": N_("the tenant wrote before it went out: their message was answered as their own"),
    # A person took the case before the bot's question or nudge went (bot/host/unseen.py, taken_over).
    "case taken": N_("a person took the case before it went out: the bot asks nothing while a person has the case"),
    # A release waiting for the end of quiet hours, undone by a take (bot/host/cases.py, tell_of_change).
    "undone before it went": N_(
        "the case was taken again before it went out: the tenant was told neither that it was released nor taken"
    ),
    # A volunteer's prepared text waiting for the morning when the task ended (bot/tenants/case_closing.py).
    "task ended before it went": N_(
        "the volunteer's task ended before it went out (handed on, taken back or the case closed): the tenant did "
        "not get it"
    ),
    "recipient opted out": N_("the tenant opted out at their carrier"),
    "not a chat id": N_("the Telegram chat is not valid"),
    # A Telegram text whose chat was blocked or gone, with an amount or debt words (bot/outbox/sender.py).
    "sms rule": N_(
        "Telegram could not deliver it, and its amount or debt words may not go by SMS: call the tenant, or write it "
        "again without them"
    ),
    "answer without a message sid": N_("Twilio's answer named no message"),
    # The sender holding it stopped (killed, crashed) before it recorded the send (bot/outbox/claim.py).
    "lease lapsed": N_("the sender stopped while sending it (a restart or a crash), so it goes again"),
}
# A message's state, as a word a person reads; `failed` is also shown with a mark, not only a colour.
LABELS = {
    "queued": N_("queued"),
    "waiting": N_("waiting"),
    "sending": N_("being sent"),
    "sent": N_("sent"),
    "delivered": N_("delivered"),
    "failed": N_("FAILED"),
    "held": N_("held, not sent"),
    "dropped": N_("dropped, not sent"),
}
# A proactive message whose time has not come while the pause switch is on.
_PAUSED_UNTIL = N_("sending is paused now: it goes then only if sending is resumed by then")
# Reasons a row waits that are no failure (it goes elsewhere next, or later): no "trying again" after them.
_NOT_FAILED = ("blocked", "permanent", "transient", "quiet hours")


@dataclass(frozen=True, slots=True)
class DeliveryFacts:
    """A message to a tenant as stored: its delivery status and its outbox row (None for an old message)."""

    status: str
    error_code: str | None
    channel: str | None
    outbox_state: str | None = None
    last_error: str | None = None
    next_attempt_at: datetime | None = None
    attempts: int = 0
    maybe_sent: bool = False  # a try's outcome was unknown: the tenant may have the message already
    sent_at: datetime | None = None  # when it went out (messages.sent_at); None: not sent, or sent before it was kept
    created_at: datetime | None = None  # when it was made (queued)
    proactive: bool = False  # a reminder or nudge keephome starts: the pause switch holds it (a reply goes on)


@dataclass(frozen=True, slots=True)
class Delivery:
    """What became of a message: `state` (one of LABELS' keys), the words shown, and why (may be empty)."""

    state: str
    label: str
    why: str
    failed: bool

    def as_json(self) -> dict[str, Any]:
        """For the case page's poller."""
        return {"state": self.state, "label": self.label, "why": self.why, "failed": self.failed}


def explain(code: str | None, reason: str | None, channel: str | None) -> str:
    """Plain words for a provider's error code or a recorded reason; the code itself in brackets."""
    words, detail = explained(code, reason, channel)
    return _("%(words)s (%(detail)s)") % {"words": words, "detail": detail} if detail else words


def explained(code: str | None, reason: str | None, channel: str | None) -> tuple[str, str]:
    """`explain` in two parts: the plain words, and the technical detail they leave out (the error a provider that
    could not be reached raised, as the channel recorded it; "" when the words say it all)."""
    if code:
        words = (_TELEGRAM if channel == "telegram" else _TWILIO).get(code)
        if words:
            return _("%(words)s (error %(code)s)") % {"words": _(words), "code": code}, ""
        if channel != "telegram" and len(code) == 3:
            # Twilio answered with an HTTP status and no error code of its own (a 5xx page): the status was kept
            # where the code goes (bot/channels/twilio_sms.py); Twilio's own codes have five digits.
            return _("Twilio answered HTTP %(status)s") % {"status": code}, ""
        return _("the provider answered with error %(code)s") % {"code": code}, ""
    if not reason:
        return "", ""
    text = reason.strip()
    if text.isdigit():  # a retried row's last_error is the provider's code when it gave one
        return explained(text, None, channel)
    if text in _REASONS:
        return _(_REASONS[text]), ""
    if text.startswith("twilio http "):
        return _("Twilio answered HTTP %(status)s") % {"status": text.removeprefix("twilio http ")}, ""
    # The Twilio channel's network failures, and the Bot API's as bot/channels/telegram.py records them.
    if text.startswith(("network: ", "bad answer: ", "NetworkError: ", "TimedOut: ")):
        return _("the provider could not be reached"), text
    return text.replace("_", " "), ""


def delivery(
    facts: DeliveryFacts, now: datetime, local_time: Callable[[datetime | None], str], *, paused: bool = False
) -> Delivery:
    """The state a staff member reads: queued until …, sent, delivered, failed — and why; `paused`: the pause switch
    is on now (the console's or `KEEPHOME_PAUSED`), as the caller read it."""
    status, state = facts.status, facts.outbox_state
    # A try whose outcome was unknown (bot/outbox/record.py): the tenant may have that message already.
    twice = _("the tenant may have it twice: an earlier try got no answer") if facts.maybe_sent else ""
    if status in ("delivered", "read"):
        return Delivery("delivered", _(LABELS["delivered"]), twice, False)
    if status in FAILED_STATUSES or state == "failed":
        why = explain(facts.error_code, facts.last_error, facts.channel) or _("the provider gave no reason")
        if state == "failed" and facts.attempts > 1:
            # Given up after retrying (hours, by the backoff): say so, not only the last answer.
            why = _("%(reason)s; tried %(count)d times") % {"reason": why, "count": facts.attempts}
        return Delivery("failed", _(LABELS["failed"]), _may_have_it(why, facts), True)
    if state == "dropped" or state == "held" or status == "held":
        kind = "dropped" if state == "dropped" else "held"
        return Delivery(kind, _(LABELS[kind]), _may_have_it(explain(None, facts.last_error, None), facts), False)
    if status in ("sent", "sending") or state == "sent":
        kind = "sending" if status == "sending" else "sent"
        return Delivery(kind, _(LABELS[kind]), twice, False)
    waiting = _waiting(facts, now, local_time, paused)
    return replace(waiting, why=_may_have_it(waiting.why, facts))


def _may_have_it(why: str, facts: DeliveryFacts) -> str:
    """For a message not sent (yet), or failed: `why`, and that a try may have reached the tenant."""
    if not facts.maybe_sent:
        return why
    return _("%(reason)s; a try got no answer, so it may have reached the tenant") % {
        "reason": why or _("the provider gave no reason")
    }


def _waiting(
    facts: DeliveryFacts, now: datetime, local_time: Callable[[datetime | None], str], paused: bool
) -> Delivery:
    """A message not sent yet: until when, and why it waits (a retry says what went wrong last time)."""
    reason = explain(None, facts.last_error, facts.channel)
    if facts.outbox_state == "waiting" or facts.status == "waiting":
        return Delivery("waiting", _(LABELS["waiting"]), reason, False)
    if facts.outbox_state not in (None, "pending"):
        # A state the sender added that this page does not know yet: say it as it is.
        label = f"{_(LABELS['waiting'])} ({facts.outbox_state.replace('_', ' ')})"
        return Delivery("waiting", label, reason, False)
    when = facts.next_attempt_at
    if paused and facts.proactive:
        if when is not None and when > now:
            # Its time has not come: the sender leaves it queued (it sets aside only rows that are due), and it goes
            # at its time if sending is resumed by then. Say both, not only "paused" for a reminder of tomorrow.
            label = _("queued until %(when)s") % {"when": local_time(when)}
            return Delivery("queued", label, _(_PAUSED_UNTIL), False)
        # The sender sets it aside, waiting for the pause to end, only when it next looks (bot/outbox/claim.py): say
        # so from the start, not "going out now" while nothing may go.
        return Delivery("waiting", _(LABELS["waiting"]), _(_REASONS["paused"]), False)
    if facts.attempts and facts.last_error and facts.last_error not in _NOT_FAILED:
        reason = _("trying again; last time %(reason)s") % {"reason": reason}
    if when is not None and when > now:
        return Delivery("queued", _("queued until %(when)s") % {"when": local_time(when)}, reason, False)
    return Delivery("queued", _("queued, going out now"), reason, False)


def _facts(row: Any) -> DeliveryFacts:
    return DeliveryFacts(
        row.status,
        row.error_code,
        row.channel,
        row.outbox_state,
        row.last_error,
        row.next_attempt_at,
        int(row.attempts or 0),
        bool(row.maybe_sent),
        row.sent_at,
        row.created_at,
        bool(row.proactive),
    )


def _with_outbox(*where: Any) -> Any:
    return (
        select(
            messages.c.id,
            messages.c.tenant_id,
            messages.c.status,
            messages.c.error_code,
            messages.c.sent_at,
            messages.c.created_at,
            func.coalesce(messages.c.channel, outbox.c.channel).label("channel"),
            outbox.c.state.label("outbox_state"),
            outbox.c.last_error,
            outbox.c.next_attempt_at,
            outbox.c.attempts,
            outbox.c.maybe_sent,
            outbox.c.proactive,
        )
        .outerjoin(outbox, outbox.c.message_id == messages.c.id)
        .where(messages.c.direction == "out", *where)
    )


async def facts_by_message(conn: AsyncConnection, ids: Iterable[int]) -> dict[int, DeliveryFacts]:
    """The delivery facts of these outgoing messages (one query; ids of incoming messages are skipped)."""
    wanted = list(ids)
    if not wanted:
        return {}
    rows = (await conn.execute(_with_outbox(messages.c.id.in_(wanted)))).all()
    return {int(row.id): _facts(row) for row in rows}


async def recent_facts(conn: AsyncConnection, tenant_id: int, limit: int) -> dict[int, DeliveryFacts]:
    """The delivery facts of the tenant's last `limit` messages from keephome (the case page's poller keeps
    the states it shows up to date with these)."""
    query = _with_outbox(messages.c.tenant_id == tenant_id).order_by(messages.c.id.desc()).limit(limit)
    return {int(row.id): _facts(row) for row in (await conn.execute(query)).all()}


async def last_failed(conn: AsyncConnection, tenant_ids: Iterable[int]) -> dict[int, str]:
    """Tenants whose last message from keephome failed, with why (for the inbox's flag)."""
    wanted = list(tenant_ids)
    if not wanted:
        return {}
    last = (
        select(func.max(messages.c.id).label("id"))
        .where(messages.c.tenant_id.in_(wanted), messages.c.direction == "out")
        .group_by(messages.c.tenant_id)
    )
    rows = (await conn.execute(_with_outbox(messages.c.id.in_(last)))).all()
    found: dict[int, str] = {}
    for row in rows:
        facts = _facts(row)
        if facts.status in FAILED_STATUSES or facts.outbox_state == "failed":
            found[int(row.tenant_id)] = explain(facts.error_code, facts.last_error, facts.channel)
    return found


@dataclass(frozen=True, slots=True)
class RefusedNumber:
    """An active tenant whose last SMS from keephome failed because of the number itself (`NUMBER_CODES`)."""

    tenant_id: int
    tenant_ref: str
    name: str
    error_code: str
    at: datetime


def refused_numbers(conn: Connection, now: datetime) -> list[RefusedNumber]:
    """Active tenants whose number Twilio said cannot get SMS, within `REFUSED_DAYS`, and to whom no SMS went out
    since: the latest `REFUSED_LISTED`, one row a tenant (the failed messages' partial index `ix_messages_failed_at`
    holds the candidates)."""
    later = messages.alias("later")
    went_since = exists().where(
        later.c.tenant_id == messages.c.tenant_id,
        later.c.direction == "out",
        later.c.channel == "sms",
        later.c.id > messages.c.id,
        later.c.status.in_(("sent", "delivered", "read")),
    )
    rows = conn.execute(
        select(messages.c.tenant_id, tenants.c.tenant_ref, tenants.c.name, messages.c.error_code, messages.c.created_at)
        .select_from(messages.join(tenants, and_(tenants.c.id == messages.c.tenant_id, tenants.c.status == "active")))
        .where(
            messages.c.status.in_(FAILED_STATUSES),
            messages.c.created_at >= now - timedelta(days=REFUSED_DAYS),
            messages.c.direction == "out",
            messages.c.channel == "sms",
            messages.c.error_code.in_(NUMBER_CODES),
            ~went_since,
        )
        .order_by(messages.c.created_at.desc(), messages.c.id.desc())
    ).all()
    found: dict[int, RefusedNumber] = {}
    for row in rows:
        if row.tenant_id not in found:
            found[int(row.tenant_id)] = RefusedNumber(
                int(row.tenant_id), row.tenant_ref, row.name, row.error_code, row.created_at
            )
            if len(found) == REFUSED_LISTED:
                break
    return list(found.values())
