"""Everything keephome holds about one tenant, as JSON and as a readable page (`keephome export`, the console).

The tenancy (contact, rent position, balance history), every message with its text or what it was to be
rendered with, the webhook receipts of their messages, conversations with their answers, consents with the
message that is their proof, cases with their events, notes and tasks, the reminders planned for them, link
codes (never their secrets: neither the codes' rows nor the messages that carry them hold a usable code or token)
and the audit entries about them, with only what concerns them (`_theirs_only`: GDPR art. 15 gives a tenant their own
data, and a list page's view names every case and tenant it showed). Money is a string with a decimal point
("7100.50"), times ISO 8601 in UTC. Whoever exports is audited (`tenant.export`).

The JSON keeps the stored names and codes (its field names are a contract). The page is in the staff pages'
language (bot/i18n.py: the request's, or the one a command line chose with `speaking`): its headings through the
catalogue, yes and no as words, and a stored code in the words of the table the caller gives for its column
(the console's labels, which live above this package); a code without words is shown as the code. Amounts are
kroner as the console writes them, and a conversation is what the tenant was asked and answered: the engine's own
state (its settings, tries, versions and what its starter gave it) stays in the JSON only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from markupsafe import Markup, escape
from sqlalchemy import Connection, or_, select

from bot.i18n import (
    LANGUAGE_NAMES,
    N_,
    clock,
    console_templates,
    current_language,
    day_in,
    gettext,
    local_day,
    local_moment,
    money,
    reason_words,
    why_words,
)
from bot.store.audit import names_in, record_entry
from bot.store.db import Database
from bot.store.schema import (
    balance_events,
    case_events,
    case_tasks,
    cases,
    consents,
    conversations,
    court_cases,
    inbound,
    link_codes,
    messages,
    outbox,
    planned_reminders,
    referrals,
    rent_events,
    rent_positions,
    staff,
    tenants,
)
from bot.tenants.audit_scope import TENANT_PARTS, entries_about
from bot.tenants.linking import SECRET_TEMPLATES
from bot.tenants.lookup import tenant_by_typed_ref
from conversations.engine import answer_keys

__all__ = [
    "FORMAT_VERSION",
    "CodeWords",
    "audit_words",
    "export_tenant",
    "render_html",
    "staff_roles",
    "tenant_data",
    "to_json",
]

FORMAT_VERSION = 1
_MONEY = ("monthly_rent_ore", "balance_ore")

_env = console_templates()

# For the page: "section.column" (the JSON's names, "case_events" for a case's events), or
# "section.column@kind" for the rows of one kind ("conversations.…@untriggered" for conversations no reminder
# started) -> {code: msgid}. A code ending in "*" stands for every value that begins with what is before it (a
# reason whose rest is the planner's English).
CodeWords = Mapping[str, Mapping[str, str]]

# The page's heading of each column (by the JSON's field name); a name missing here is shown as it is.
_HEADINGS = {
    "id": N_("Number"),
    "tenant_ref": N_("Tenant reference"),
    "name": N_("Name"),
    "phone": N_("Phone"),
    "language": N_("Language"),
    # When the tenant wrote ENGLISH, DANSK, …: an import of the organisation's file keeps the language then.
    "language_chosen_at": N_("Chose their language themselves"),
    "channel_preference": N_("Preferred channel"),
    "telegram_chat_id": N_("Telegram chat"),
    "telegram_blocked": N_("Blocked keephome on Telegram"),
    "status": N_("Status"),
    "address": N_("Address"),
    "children": N_("Children under 18"),
    "created_at": N_("Created"),
    "updated_at": N_("Last changed"),
    "sent_at": N_("Went out"),
    # Read with its value as one sentence: "Huslejen forfalder | den 1. i måneden" (`_spelled`).
    "due_day": N_("The rent is due"),
    "monthly_rent": N_("Monthly rent"),
    "balance": N_("Balance"),
    "balance_as_of": N_("Balance as of"),
    "last_payment_on": N_("Last payment"),
    "demand_sent_on": N_("Påkrav sent"),
    "demand_received_on": N_("Påkrav received"),
    "termination_on": N_("Termination"),
    "court_date": N_("Court date"),
    "court_filed_on": N_("Filed with the fogedret"),
    "at_risk": N_("At risk"),
    "arrears_last_12m": N_("Behind with the rent in the last 12 months"),
    "last_arrears_on": N_("Last behind with the rent"),
    "promise_on": N_("Promised to pay on"),
    "paid_claim_until": N_("Says paid, checked until"),
    "filed_on": N_("Filed"),
    "kommune_notified_on": N_("Kommune notified"),
    "retskreds": N_("Court district"),
    "meeting_kind": N_("Meeting place"),
    "reached_by_phone": N_("Reached by phone"),
    "outcome": N_("Outcome"),
    "outcome_on": N_("Outcome on"),
    "on": N_("Day"),
    "kind": N_("Kind"),
    "source": N_("Source"),
    "as_of": N_("As of"),
    "direction": N_("Direction"),
    "channel": N_("Channel"),
    "author": N_("Written by"),
    "text": N_("Text"),
    "template": N_("Message about"),
    "error_code": N_("Error"),
    "proactive": N_("Sent by keephome unasked"),
    "conversation_id": N_("Conversation"),
    "case_id": N_("Case"),
    "received_at": N_("Received"),
    "sender": N_("Sender"),
    "payload": N_("As received"),
    "started_at": N_("Started"),
    "flow": N_("Conversation about"),
    "trigger": N_("Started by"),
    "active": N_("Ongoing"),
    "ended_reason": N_("Why it ended"),
    # The page's own column: a conversation's questions and the tenant's answers, in words.
    "answers": N_("Asked and answered"),
    "first_name": N_("First name"),
    "scope": N_("Scope"),
    "recipient_kind": N_("Shared with"),
    "recipient": N_("Recipient"),
    "data_kinds": N_("Data shared"),
    "purpose": N_("Purpose"),
    "method": N_("Given how"),
    "wording_version": N_("Wording version"),
    "given_at": N_("Given"),
    "withdrawn_at": N_("Withdrawn"),
    "recorded_by": N_("Recorded by"),
    "evidence": N_("Proof"),
    "wording": N_("Wording"),
    "help_sought": N_("Help sought"),
    "contents": N_("Contents sent"),
    "decision": N_("Decision"),
    "decided_on": N_("Decided on"),
    "origin": N_("Opened because"),
    "reason": N_("Reason"),
    "computed_from": N_("Computed from"),
    "assignee_id": N_("Adviser"),
    "volunteer_id": N_("Volunteer"),
    "volunteer_task": N_("Volunteer's task"),
    "volunteer_due": N_("Volunteer's task due"),
    "outcome_note": N_("Note on the outcome"),
    "consented": N_("Agreed to share"),
    "scam": N_("Asked whether it was a scam"),
    "opened_at": N_("Opened"),
    "closed_at": N_("Closed"),
    "at": N_("When"),
    "staff_id": N_("Staff member"),
    "due_on": N_("Due"),
    "place": N_("Place"),
    "advice_kind": N_("Advice given"),
    "note": N_("Note"),
    "created_by": N_("Created by"),
    "done_at": N_("Done"),
    "planned_for": N_("Planned for"),
    "period": N_("Rent period"),
    "expires_at": N_("Expires"),
    "used_at": N_("Used"),
    "actor": N_("By"),
    "action": N_("Action"),
    "target": N_("About"),
    "detail": N_("Detail"),
}
# Where a message went (messages.direction); the other codes' words come from the caller.
_DIRECTIONS = {"in": N_("from the tenant"), "out": N_("to the tenant")}
# Columns whose code is a version of a text (a consent's question): shown in words with the version beside them.
_VERSIONED = frozenset({"consents.wording_version"})
# Columns that hold a code keephome stores (not words a person wrote): without words for it, it is shown as code.
_CODES = {
    "tenant.language",
    "tenant.channel_preference",
    "tenant.status",
    "court_cases.meeting_kind",
    "court_cases.status",
    "court_cases.outcome",
    "rent_events.kind",
    "rent_events.source",
    "balance_history.source",
    "messages.channel",
    "messages.author",
    "messages.template",
    "messages.status",
    "messages.error_code",
    "inbound_receipts.channel",
    "conversations.flow",
    "conversations.trigger",
    "conversations.ended_reason",
    "consents.scope",
    "consents.recipient_kind",
    "consents.method",
    "consents.wording_version",
    "consents.ended_reason",
    "referrals.decision",
    "cases.status",
    "cases.origin",
    "cases.outcome",
    "case_events.kind",
    "case_tasks.kind",
    "case_tasks.status",
    "case_tasks.advice_kind",
    "reminders.trigger",
    "telegram_link_codes.kind",
    "audit.actor",
    "audit.action",
}


def _plain(key: str, value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if key in _MONEY and isinstance(value, int):
        return str((Decimal(value) / 100).quantize(Decimal("0.01")))
    return value


def _money_key(key: str) -> str:
    return key.removesuffix("_ore") if key in _MONEY else key


def _rows(conn: Connection, query: Any) -> list[dict[str, Any]]:
    return [{_money_key(k): _plain(k, v) for k, v in row._mapping.items()} for row in conn.execute(query).all()]


def _messages(conn: Connection, tenant_id: int, case_ids: list[int]) -> list[dict[str, Any]]:
    m, o = messages.c, outbox.c
    mine = m.tenant_id == tenant_id
    query = (
        select(
            m.id,
            m.created_at,
            m.sent_at,
            m.direction,
            m.channel,
            m.provider_id,
            m.author,
            m.text,
            m.template,
            o["values"].label("template_values"),
            m.status,
            m.error_code,
            m.proactive,
            m.conversation_id,
            m.case_id,
        )
        .outerjoin(outbox, o.message_id == m.id)
        .where(or_(mine, m.case_id.in_(case_ids)) if case_ids else mine)
        .order_by(m.id)
    )
    found = _rows(conn, query)
    for message in found:
        if message["template"] in SECRET_TEMPLATES:
            # A link code not yet sent still has its code and its deep link's token among its values: never exported
            # (the message, its status and its times say that one was queued or sent, and when).
            message["template_values"] = None
    return found


def _receipts(conn: Connection, tenant: Any, found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The webhook's receipts of the tenant's messages (kept KEEPHOME_RETENTION_DAYS): by the provider ids of
    their messages, and by their number and chat."""
    i = inbound.c
    ours = {(m["channel"], m["provider_id"]) for m in found if m["direction"] == "in" and m["provider_id"]}
    addresses = set()
    if tenant.phone:
        addresses.add(("sms", tenant.phone))
    if tenant.telegram_chat_id is not None:
        addresses.add(("telegram", str(tenant.telegram_chat_id)))
    wanted = [i.sender.in_([address for _, address in addresses])] if addresses else []
    if ours:
        wanted.append(i.provider_id.in_([pid for _, pid in ours]))
    if not wanted:
        return []
    query = select(i.id, i.received_at, i.channel, i.provider_id, i.sender, i.text, i.payload).where(or_(*wanted))
    rows = _rows(conn, query.order_by(i.id))
    keep = [r for r in rows if (r["channel"], r["provider_id"]) in ours or (r["channel"], r["sender"]) in addresses]
    return [{k: v for k, v in r.items() if k != "provider_id"} for r in keep]


def tenant_data(conn: Connection, tenant_id: int, now: datetime) -> dict[str, Any]:
    """Everything held about the tenant, as plain JSON data (raises LookupError for no such tenant)."""
    t = tenants.c
    tenant = conn.execute(select(tenants).where(t.id == tenant_id, t.status != "erased")).first()
    if tenant is None:
        raise LookupError("there is no such tenant")
    case_ids = [int(c) for c in conn.execute(select(cases.c.id).where(cases.c.tenant_id == tenant_id)).scalars()]
    found = _messages(conn, tenant_id, case_ids)
    receipts = _receipts(conn, tenant, found)
    for m in found:
        del m["provider_id"]
    evidence = {m["id"]: m for m in found}
    given = _rows(
        conn,
        select(
            consents.c.id,
            consents.c.scope,
            consents.c.wording_version,
            consents.c.given_at,
            consents.c.withdrawn_at,
            consents.c.evidence_message_id,
            consents.c.recipient_kind,
            consents.c.recipient,
            consents.c.source,
            consents.c.data_kinds,
            consents.c.purpose,
            consents.c.wording,
            consents.c.method,
            consents.c.case_id,
            consents.c.recorded_by,
            consents.c.ended_reason,
        )
        .where(consents.c.tenant_id == tenant_id)
        .order_by(consents.c.id),
    )
    for consent in given:
        proof = evidence.get(consent["evidence_message_id"])
        consent["evidence"] = None if proof is None else {k: proof[k] for k in ("id", "created_at", "channel", "text")}
    held_cases = _rows(conn, select(cases).where(cases.c.tenant_id == tenant_id).order_by(cases.c.id))
    events = _rows(conn, select(case_events).where(case_events.c.case_id.in_(case_ids)).order_by(case_events.c.id))
    for held in held_cases:
        held["events"] = [e for e in events if e["case_id"] == held["id"]]
    own = _own_names(conn, tenant_id)
    audit = [_their_entry(dict(row._mapping), own) for row in entries_about(conn, tenant_id)]
    return {
        "format": FORMAT_VERSION,
        "exported_at": now.isoformat(),
        "tenant": {_money_key(k): _plain(k, v) for k, v in tenant._mapping.items()},
        "rent_position": next(
            iter(_rows(conn, select(rent_positions).where(rent_positions.c.tenant_id == tenant_id))), None
        ),
        "balance_history": _rows(
            conn,
            select(balance_events.c.as_of, balance_events.c.balance_ore, balance_events.c.source)
            .where(balance_events.c.tenant_id == tenant_id)
            .order_by(balance_events.c.id),
        ),
        "messages": found,
        "inbound_receipts": receipts,
        "conversations": _rows(
            conn,
            select(
                conversations.c.id,
                conversations.c.flow,
                conversations.c.trigger,
                conversations.c.started_at,
                conversations.c.updated_at,
                conversations.c.active,
                conversations.c.ended_reason,
                conversations.c.state,
            )
            .where(conversations.c.tenant_id == tenant_id)
            .order_by(conversations.c.id),
        ),
        "consents": given,
        "cases": held_cases,
        "court_cases": _rows(
            conn, select(court_cases).where(court_cases.c.tenant_id == tenant_id).order_by(court_cases.c.id)
        ),
        "rent_events": _rows(
            conn,
            select(rent_events.c.kind, rent_events.c.on, rent_events.c.source, rent_events.c.court_case_id)
            .where(rent_events.c.tenant_id == tenant_id)
            .order_by(rent_events.c.on, rent_events.c.id),
        ),
        # Referrals to the kommune: what was put together (as it stood), the help sought and the decision.
        "referrals": _rows(conn, select(referrals).where(referrals.c.tenant_id == tenant_id).order_by(referrals.c.id)),
        "notes": [e for e in events if e["kind"] == "note"],
        "tasks": [e for e in events if e["kind"] == "task"],
        # Calls, door knocks, postcards and appointments on the tenant's cases (bot/host/outreach.py, appointments.py).
        "case_tasks": _rows(
            conn, select(case_tasks).where(case_tasks.c.tenant_id == tenant_id).order_by(case_tasks.c.id)
        ),
        "reminders": _rows(
            conn,
            select(
                planned_reminders.c.trigger,
                planned_reminders.c.period,
                planned_reminders.c.planned_for,
                planned_reminders.c.reason,
                planned_reminders.c.computed_from,
            )
            .where(planned_reminders.c.tenant_id == tenant_id)
            .order_by(planned_reminders.c.id),
        ),
        "telegram_link_codes": _rows(
            conn,
            select(link_codes.c.kind, link_codes.c.created_at, link_codes.c.expires_at, link_codes.c.used_at)
            .where(link_codes.c.tenant_id == tenant_id)
            .order_by(link_codes.c.id),
        ),
        "audit": audit,
    }


# The kinds of name (`kind:id`, bot/store/audit.py) that belong to one tenant: the tenant and their parts.
_TENANT_KINDS = frozenset({"tenant", *(prefix for prefix, _, _ in TENANT_PARTS)})


def _own_names(conn: Connection, tenant_id: int) -> frozenset[str]:
    """The names of the tenant and of every part of theirs (`tenant:4`, `case:7`, `court_case:2`, `task:9`)."""
    names = {f"tenant:{tenant_id}"}
    for prefix, part_id, owner in TENANT_PARTS:
        names.update(f"{prefix}:{n}" for n in conn.execute(select(part_id).where(owner == tenant_id)).scalars())
    return frozenset(names)


def _someone_elses(item: str, own: frozenset[str]) -> bool:
    """Whether a detail's item (`case:3`, `new=task:9`) names another tenant or a part of another's."""
    name = item.rpartition("=")[2]
    return names_in(name) == {name} and name.partition(":")[0] in _TENANT_KINDS and name not in own


def _theirs_only(text: str | None, own: frozenset[str]) -> str | None:
    """An audit entry's target or detail without what names other tenants or their parts: a list page's view names
    every case and tenant it showed (`case:3,case:2,tenant:9`), and the tenant is given their own data, not
    others' (GDPR art. 15). Everything else in it is kept as written; None when nothing is left."""
    if text is None:
        return None
    words = []
    for word in text.split(" "):
        items = word.split(",")
        kept = [item for item in items if not _someone_elses(item, own)]
        if kept:
            words.append(",".join(kept))
    return " ".join(words) or None


def _their_entry(entry: Mapping[str, Any], own: frozenset[str]) -> dict[str, Any]:
    """An audit entry as the tenant's export holds it: its target and detail with only what concerns them."""
    row = {_money_key(k): _plain(k, v) for k, v in entry.items()}
    row["target"] = _theirs_only(row["target"], own)
    row["detail"] = _theirs_only(row["detail"], own)
    return row


def to_json(data: dict[str, Any]) -> str:
    """The export as JSON text (UTF-8, indented)."""
    return json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n"


def _heading(key: str) -> str:
    found = _HEADINGS.get(key)
    return gettext(found) if found is not None else key.replace("_", " ")


# Columns that hold a moment (ISO 8601 in UTC in the JSON) or a day; the page shows them in the deployment's zone.
_DAY_COLUMNS = {"on", "as_of", "court_date", "planned_for", "volunteer_due", "balance_as_of"}
# Columns that name a staff member by their number; `messages.author` and `audit.actor` as `staff:<number>`.
_STAFF_COLUMNS = {"staff_id", "assignee_id", "volunteer_id", "created_by", "recorded_by"}
_STAFF_REF = re.compile(r"staff:(\d+)")
# Columns whose value is shown as stored, JSON and all: the tenant's message as a provider sent it, and what a
# referral held as it stood when it went out.
_AS_RECEIVED = {"inbound_receipts.payload", "referrals.contents"}
# A stored name or code inside a value (a text's key, a step of a conversation): shown as code, not as words.
_NAME = re.compile(r"[a-z][a-z0-9_.]*")
# Columns that hold an amount (a string with a decimal point in the JSON); the page writes them as the console does.
_MONEY_COLUMNS = frozenset(_money_key(key) for key in _MONEY)
# The values a text was made of that only keephome reads (which case, which list the tenant chose from, which way a
# text is worded: thanked already, a yes/no question, how many options, when the adviser answers, which language words
# a hint offers): no words for the
# tenant, never on the page (the JSON keeps them).
_INTERNAL_VALUES = frozenset(
    {
        "trigger",
        "held",
        "waiting",
        "recipient_kinds",
        "choose",
        "option",
        "deadline_running",
        "already",
        "queued",
        "offer",
        "thanked",
        "yes_no",
        "adviser_word",
        "options",
        "buttons",
        "nothing_open",
        "payments",
        "call_on",
        "call_until",
        "words",
        "english",
        "danish",
        "handed_on",
    }
)
# The heading of each value a text to the tenant is made of (the values given to `enqueue`), where the page's column
# heading of the same name is not the right one or there is none; the rest by `_HEADINGS`.
_VALUE_HEADINGS = {
    "amount": N_("Amount"),
    "pay_on": N_("Will pay on"),
    "part_on": N_("When they can pay"),
    # An appointment: its day and time, and for a moved one the day and time it replaces.
    "day": N_("Day"),
    "time": N_("Time"),
    "old_day": N_("Earlier day"),
    "old_time": N_("Earlier time"),
    # The code and the link that connect the tenant's Telegram to keephome: a text's values by these names, never the
    # link code's own message, whose values are not exported (`SECRET_TEMPLATES`).
    "code": N_("Code for Telegram"),
    "link": N_("Link for Telegram"),
    "kinds": N_("Kinds of data"),
    "recipients": N_("Recipients"),
}
# Values that are a time of day ("HH:MM" in every language), written as the page's language writes one.
_CLOCK_VALUES = frozenset({"time", "old_time"})
# Words a person wrote, never read as a date or a code.
_WRITTEN = {"text", "wording", "purpose", "note", "outcome_note", "volunteer_task", "place", "detail", "reason"}


@dataclass(frozen=True)
class _Page:
    """What the page's cells are shown with: the codes' words, the zone of its times, the staff's roles."""

    words: CodeWords
    zone: ZoneInfo
    staff: Mapping[int, str] | None
    # Whether the page is about one tenant (the export): `tenant:N` is then "the tenant", elsewhere by the reference
    # in `tenant_refs` (a staff page's, as its other pages name the tenant), else by number.
    one_tenant: bool = True
    tenant_refs: Mapping[int, str] | None = None


def _moment(page: _Page, value: str) -> str | None:
    """An ISO 8601 moment in the page's zone, as the console writes one ("4. dec. 2026 kl. 12.00"); None for anything
    else."""
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        return None
    at = at if at.tzinfo else at.replace(tzinfo=UTC)
    return local_moment(at.astimezone(page.zone))


def _the_day(page: _Page, value: str) -> str | None:
    """A day as the page's language writes it; a moment's day in the page's zone; None for anything else."""
    try:
        return local_day(date.fromisoformat(value))
    except ValueError:
        pass
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        return None
    return local_day((at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(page.zone).date())


def _staff_words(page: _Page, number: int) -> str:
    """A staff member by their role and number (never their e-mail: the page may be handed to the tenant)."""
    role = page.staff.get(number) if page.staff is not None else None
    table = page.words.get("staff.role", {})
    if role is None:
        return gettext("staff member no. %(num)d") % {"num": number}
    return gettext("%(role)s (staff member no. %(num)d)") % {
        "role": gettext(table[role]) if role in table else role,
        "num": number,
    }


def _kroner(value: str) -> str | None:
    """An amount as the JSON writes it ("5800.00") in kroner as the console writes it ("5.800,00 kr.")."""
    try:
        ore = Decimal(value) * 100
    except InvalidOperation:
        return None
    return money(int(ore)) if ore == ore.to_integral_value() else None


def _clock(value: str) -> str:
    """A time of day as a text's values hold it ("14:30") as the page's language writes it ("14.30" in Danish)."""
    try:
        return clock(time.fromisoformat(value))
    except ValueError:
        return value


def _list(rows: list[tuple[str, str]]) -> Markup:
    """Names and values as a list a person reads; a dash for none."""
    if not rows:
        return Markup("–")
    return Markup("<dl>{}</dl>").format(
        Markup("").join(Markup("<dt>{}</dt><dd>{}</dd>").format(name, value) for name, value in rows)
    )


def _word(page: _Page, table: str, code: str) -> str:
    """A code in the words of one of the caller's tables; the code itself, its underscores as spaces, without."""
    found = page.words.get(table, {}).get(code)
    return gettext(found) if found is not None else code.replace("_", " ")


def _recipient(page: _Page, kind: str, name: str) -> str:
    """Who a consent is to: its kind in words, and its name when it has one ("A volunteer organisation: …")."""
    words = _word(page, "consents.recipient_kind", kind)
    return f"{words}: {name}" if name else words


def _answer(page: _Page, data: Mapping[str, Any], key: str) -> str:
    """One answer in words: an amount in kroner, a day as the page's language writes it, the yes taken back by its
    recipient, a chosen option in the reader's language, the tenant's own words as written."""
    value = data[key]
    if key == "amount" and isinstance(value, int) and not isinstance(value, bool):
        return money(value)
    if key == "pay_on" and isinstance(value, str):
        return _the_day(page, value) or value
    if key == "choose" and isinstance(data.get(f"c{value}"), str):
        kind, _, name = str(data[f"c{value}"]).partition(":")
        return _recipient(page, kind, name)
    table = page.words.get("conversations.answer", {})
    return gettext(table[value]) if isinstance(value, str) and value in table else str(value)


def _answers(page: _Page, row: Mapping[str, Any]) -> Markup:
    """A conversation as what the tenant was asked and answered, in words (the recipient a consent to share was
    asked for first); none of the engine's own state."""
    state = row.get("state")
    data = state.get("data") if isinstance(state, dict) else None
    if not isinstance(data, dict):
        return Markup("–")
    rows: list[tuple[str, str]] = []
    kind = data.get("recipient_kind")
    if row.get("flow") == "share_consent" and isinstance(kind, str):
        rows.append((_heading("recipient"), _recipient(page, kind, str(data.get("recipient") or ""))))
    flow = str(row.get("flow"))
    rows.extend((_word(page, "conversations.question", k), _answer(page, data, k)) for k in answer_keys(flow, data))
    return _list(rows)


def _made_of(page: _Page, values: Mapping[str, Any]) -> Markup:
    """What a message not yet written is to be made of, in words: each value under its heading, amounts in kroner, days
    and times of day as the page's language writes them, codes in their words; what only keephome reads
    left out."""
    rows: list[tuple[str, str]] = []
    for name, raw in values.items():
        if name in _INTERNAL_VALUES:
            continue
        match raw:
            case {"money": int() as ore}:
                shown = money(ore)
            case {"date": str() as day}:
                shown = _the_day(page, day) or day
            case str() if name == "recipients":
                shown = ", ".join(n for n in raw.split("|") if n)
            case str() if name in _CLOCK_VALUES:
                shown = _clock(raw)
            case str() if name == "recipient_kind":
                shown = _word(page, "consents.recipient_kind", raw)
            case str() if name == "kinds":
                shown = ", ".join(_word(page, "consents.data_kinds", kind) for kind in raw.split(",") if kind)
            case _:
                shown = str(raw)
        found = _VALUE_HEADINGS.get(name)
        rows.append((gettext(found) if found is not None else _heading(name), shown))
    return _list(rows)


def _nested(page: _Page, value: Any) -> Markup:
    """A value that holds others (the values put into a text, a conversation's answers, what a referral held),
    each part under its name, as a list a person reads; nothing of it left out."""
    if isinstance(value, dict):
        if not value:
            return Markup("–")
        parts = Markup("").join(
            Markup("<dt>{}</dt><dd>{}</dd>").format(
                _heading(str(k)) if str(k) in _HEADINGS else Markup("<code>{}</code>").format(k), _nested(page, v)
            )
            for k, v in value.items()
        )
        return Markup("<dl>{}</dl>").format(parts)
    if isinstance(value, list):
        if not value:
            return Markup("–")
        if all(not isinstance(v, dict | list) for v in value):
            return escape(", ".join("–" if v is None else str(v) for v in value))
        return Markup("<ol>{}</ol>").format(
            Markup("").join(Markup("<li>{}</li>").format(_nested(page, v)) for v in value)
        )
    if value is None:
        return Markup("–")
    if isinstance(value, bool):
        return escape(gettext("yes") if value else gettext("no"))
    if isinstance(value, str):
        shown = _moment(page, value) if "T" in value else None
        if shown is None and _NAME.fullmatch(value):
            # A name keephome uses inside (a step, a text's key), not a code with words of its own.
            return Markup('<code class="name">{}</code>').format(value)
        return escape(value if shown is None else shown)
    return escape(str(value))


def _spelled(column: str, value: Any) -> str | None:
    """The day of the month the rent falls due, read with its heading as a sentence ("Huslejen forfalder | den 1. i
    måneden"); the month a reminder belongs to ("2026-12") as the page's language names it ("december 2026"); None
    for any other value."""
    if column == "rent_position.due_day" and isinstance(value, int):
        return gettext("on day %(day)d of the month") % {"day": value}
    if column == "reminders.period" and isinstance(value, str) and _MONTH.fullmatch(value):
        return day_in(date.fromisoformat(f"{value}-01"), "yMMMM")
    return None


def _in_words(page: _Page, section: str, row: Mapping[str, Any], key: str) -> str | None:
    """A staff member by role, a reminder's reason in words, a time in the page's zone; None for another value."""
    value = row.get(key)
    column = f"{section}.{key}"
    if key in _STAFF_COLUMNS and isinstance(value, int) and not isinstance(value, bool):
        return _staff_words(page, value)
    spelled = _spelled(column, value)
    if spelled is not None:
        return spelled
    if not isinstance(value, str):
        return None
    found = _STAFF_REF.fullmatch(value) if column in ("messages.author", "audit.actor") else None
    if found is not None:
        return _staff_words(page, int(found.group(1)))
    if column == "reminders.reason":
        # In the reader's words from what the planner computed it from; one planned before those were kept (or
        # blanked): as stored, the planner's English.
        computed_from = row.get("computed_from")
        if isinstance(computed_from, dict) and computed_from:
            return reason_words(str(row.get("trigger")), computed_from, local_day)
        return None
    if section == "case_events" and key == "text" and row.get("kind") == "reassigned":
        return value.removeprefix("to ")  # "to <e-mail>": the kind's words say "handed to"
    if key in _WRITTEN:
        return None
    if key in _MONEY_COLUMNS:
        return _kroner(value)
    # A signed form's consent holds the day it was signed (stored at noon of it): no time of day is known.
    if (
        key in _DAY_COLUMNS
        or key.endswith("_on")
        or (column == "consents.given_at" and row.get("method") == "signed_form")
    ):
        return _the_day(page, value)
    if key == "at" or key.endswith("_at"):
        return _moment(page, value)
    return None


def _code_words(page: _Page, column: str, row: Mapping[str, Any], code: object) -> str | None:
    """The msgid of a stored code in this row's column: the words of the row's kind first (a conversation no reminder
    started: 'untriggered'), then the column's; a code matched whole, else by a beginning ("…*"); None without."""
    if not isinstance(code, str):
        return None
    if column == "messages.direction":
        return _DIRECTIONS.get(code)
    kind = "untriggered" if column.startswith("conversations.") and row.get("trigger") is None else row.get("kind")
    for table in (page.words.get(f"{column}@{kind}"), page.words.get(column)):
        if table is None:
            continue
        if code in table:
            return table[code]
        begun = [words for start, words in table.items() if start.endswith("*") and code.startswith(start[:-1])]
        if begun:
            return begun[0]
    return None


# What a link code's message says on the page before it went out (after, its stored text says it was sent).
_SECRET_NOT_SENT = N_("[link code not sent]")
# A consent's proof, as the case page names the tenant's message: by its channel and when it came.
_EVIDENCE = {
    "sms": N_("the tenant's SMS of %(when)s"),
    "telegram": N_("the tenant's Telegram message of %(when)s"),
}
_EVIDENCE_OTHER = N_("the tenant's message of %(when)s")


def _evidence(page: _Page, proof: Mapping[str, Any]) -> Markup:
    """The message a consent rests on, as the messages above list it: its channel, when it came and what it said,
    never its number in the database (the JSON keeps that, as `evidence_message_id`)."""
    at = proof.get("created_at")
    when = (_moment(page, at) if isinstance(at, str) else None) or "–"
    said = gettext(_EVIDENCE.get(str(proof.get("channel")), _EVIDENCE_OTHER)) % {"when": when}
    text = proof.get("text")
    if not isinstance(text, str):
        return escape(said)
    return Markup('{}: <q dir="auto">{}</q>').format(said, text)


# What a reminder was computed from (`PlannedReminder.computed_from`, bot/reminders/plan.py), each value's heading
# where the page's column heading of the same name is not the right one or there is none; the rest by `_HEADINGS`.
_COMPUTED_HEADINGS = {
    "due_date": N_("Rent due"),
    "last_on_time_day": N_("Last on-time day"),
    "first_bank_day": N_("First bank day after it"),
    "balance_owed": N_("Balance owed"),
    "court_eve": N_("Weekday before the court date"),
    "delivery_days": N_("Days a påkrav is counted to take to arrive"),
    "deadline": N_("Computed deadline"),
    "offset": N_("Days before the deadline"),
    "days_left": N_("Days left"),
    "before_due_days": N_("Days before the rent is due"),
    "why": N_("Why"),
}


def _computed_from(page: _Page, values: Mapping[str, Any]) -> Markup:
    """What a reminder was computed from, each value under its heading in words: days as the page's language writes
    them, yes and no as words, numbers as they are."""
    rows: list[tuple[str, str]] = []
    for name, raw in values.items():
        value = str(raw)
        found = _COMPUTED_HEADINGS.get(name)
        heading = gettext(found) if found is not None else _heading(name)
        shown: str | None = gettext(value) if value in ("yes", "no") else None
        if name == "why":
            shown = why_words(value)
        if _ISO_DAY.fullmatch(value):
            shown = _the_day(page, value)
        rows.append((heading, shown or value))
    return _list(rows)


_ISO_DAY = re.compile(r"\d{4}-\d\d-\d\d")
_MONTH = re.compile(r"\d{4}-\d\d")
# A name in an audit entry (`kind:id`) in words; a staff member's by role (`_staff_words`).
_NAME_WORDS = {
    "tenant": N_("tenant %(num)s"),
    "case": N_("case %(num)s"),
    "court_case": N_("court case %(num)s"),
    "task": N_("task %(num)s"),
    "consent": N_("consent %(num)s"),
    "referral": N_("referral %(num)s"),
    "inbound": N_("message no. %(num)s as received"),
}
# The heading of each `key=value` of an audit entry's detail (the stored key stays the same in every language);
# "<key>@<action>" for one action's own.
_DETAIL_HEADINGS = {
    "template": N_("Message text used"),
    "channel": N_("Channel"),
    "method": N_("Given how"),
    "recipient_kind": N_("Shared with"),
    "kinds": N_("Data shared"),
    "outcome": N_("Outcome"),
    "decision": N_("Decision"),
    "format": N_("Format"),
    "volunteer": N_("Volunteer"),
    "from": N_("From"),
    "to": N_("To"),
    "new": N_("Moved to"),
    "meeting": N_("Meeting place"),
    "phone": N_("Reached by phone"),
    "on": N_("Day"),
    "court_date": N_("Court date"),
    "filed_on": N_("Filed"),
    "sent_on": N_("Sent on"),
    "messages": N_("Messages read"),
    "unanswered": N_("Messages keephome could not handle, read"),
    "through": N_("Up to"),
    "role": N_("Role"),
    "language": N_("Language"),
    "failures": N_("Failed sign-ins in a row"),
    "count": N_("How many"),
    "organisation": N_("Organisation"),
    # An import of the organisation's tenant file (bot/reminders/ledger.py): how many of its tenants were what.
    "created": N_("New tenants"),
    "changed": N_("Tenants changed"),
    "unchanged": N_("Tenants unchanged"),
    "erased_left_out": N_("Erased tenants left out (reactivate=1 brings one back)"),
    "older_balances_kept": N_("Older balances not taken (keephome has a newer one)"),
    "chosen_languages_kept": N_("Languages the tenants chose themselves, kept over the file's"),
    "said_stop_before": N_("Tenants who had already said STOP from their number (nothing until they write START)"),
    "balances_emptied": N_("Tenants who owed, set to 0 by an empty balance cell (no reminders)"),
    # A staff member leaving a role (bot/host/handover.py): what went back to others.
    "cases_back": N_("Cases back in the queue"),
    "tasks_back": N_("Volunteer tasks back with their advisers"),
    "appointments_cancelled": N_("Appointments cancelled"),
    "visits_back": N_("Visits back to any caretaker"),
    # A staff member's choice of their notices on Telegram (bot/console/staff_admin.py).
    "notify": N_("Notices on Telegram"),
    # An erasure (bot/tenants/erase.py): how many of each kind of row it blanked.
    "messages@tenant.erase": N_("Messages blanked"),
    "cases@tenant.erase": N_("Cases blanked"),
    "inbound@tenant.erase": N_("Messages as received blanked"),
    "conversations@tenant.erase": N_("Conversations blanked"),
    "audit_details@tenant.erase": N_("Audit details blanked"),
    "api_answers@tenant.erase": N_("Answers kept for the API blanked"),
    # A key made (bot/api/keys.py) and what a write through the API did (bot/api/payments.py, bot/api/tenants.py).
    "scope": N_("Scope"),
    "paid_on": N_("Paid on"),
    "balance@api.payment": N_("Balance"),
    "result@api.tenant.put": N_("Result"),
    # A download of the outcome page's figures (bot/console/outcomes.py).
    "chart@outcomes.export": N_("Chart"),
    "stage@outcomes.export": N_("Reminded at the stage"),
}
# An API call's detail: the key it came with, by the name its admin gave it (bot/api/app.py), alone or followed by
# `key=value`s (the name may hold spaces and quotes; no `key=value` after it holds a space).
_API_KEY = re.compile(r'key "(.*)"((?: [a-z_]+=\S*)*)')


def _name_words(page: _Page, name: str) -> str | None:
    """A `kind:id` name in words ("case 7", a staff member by role); None for anything else."""
    if names_in(name) != {name}:
        return None
    kind, _, number = name.partition(":")
    if kind == "staff":
        return _staff_words(page, int(number))
    if kind == "tenant" and page.one_tenant:
        return gettext("the tenant")
    if kind == "tenant" and page.tenant_refs and int(number) in page.tenant_refs:
        return gettext("tenant %(num)s") % {"num": page.tenant_refs[int(number)]}
    found = _NAME_WORDS.get(kind)
    return gettext(found) % {"num": number} if found is not None else None


def _detail_value(page: _Page, action: str, key: str, value: str) -> str:
    """One value of an audit entry's detail in words: a name, a day, yes or no, a code in the words of the caller's
    table for it ("audit.detail.<key>", or "…@<action>" for one action's), else as written."""
    named = _name_words(page, value)
    if named is not None:
        return named
    if _ISO_DAY.fullmatch(value):
        return _the_day(page, value) or value
    if value in ("True", "False"):
        return gettext("yes") if value == "True" else gettext("no")
    if value in ("-", "None"):
        return "–"
    table = page.words.get(f"audit.detail.{key}@{action}") or page.words.get(f"audit.detail.{key}") or {}
    codes = value.split(",")
    if all(code in table for code in codes):
        return ", ".join(gettext(table[code]) for code in codes)
    return value


def _audit_item(page: _Page, action: str, item: str) -> str | None:
    """One item of an audit entry's target or detail in words: a name (`case:7`, `staff:3`), a `key=value` as its
    heading and its value in words (a referral's step by the step's own words); None for one without words."""
    steps = page.words.get("audit.detail.step", {})
    key, eq, value = item.partition("=")
    if not eq:
        named = _name_words(page, item)
        return named if named is not None else gettext(steps[item]) if item in steps else None
    if key in steps:
        statuses = page.words.get(f"audit.detail.step@{key}", {})
        return f"{gettext(steps[key])}: {gettext(statuses[value]) if value in statuses else value}"
    found = _DETAIL_HEADINGS.get(f"{key}@{action}") or _DETAIL_HEADINGS.get(key)
    if found is None:
        return None
    return f"{gettext(found)}: {_detail_value(page, action, key, value)}"


def _audit_words(page: _Page, action: str, text: str) -> Markup | None:
    """An audit entry's target or detail in words, in the page's language: its names and `key=value`s each in words
    (`_audit_item`), apart by ";"; one without words as the code it is (`chart=funnel`), and words as written kept
    together as written. None when nothing in it has words (the export holds only what concerns the tenant:
    `_theirs_only`)."""
    key_found = _API_KEY.fullmatch(text)
    if key_found is not None:
        key = escape(gettext("API key %(name)s") % {"name": f"“{key_found.group(1)}”"})
        rest = key_found.group(2).strip()
        return Markup("; ").join([key, _audit_words(page, action, rest) or escape(rest)]) if rest else key
    parts: list[Markup] = []
    written: list[str] = []
    worded = False
    for word in text.split(" "):
        items = [(item, _audit_item(page, action, item)) for item in word.split(",") if item]
        if not items or all(said is None and "=" not in item for item, said in items):
            written.append(word)
            continue
        if written:
            parts.append(escape(" ".join(written)))
            written = []
        for item, said in items:
            worded = worded or said is not None
            parts.append(Markup("<code>{}</code>").format(item) if said is None else escape(said))
    if written:
        parts.append(escape(" ".join(written)))
    return Markup("; ").join(part for part in parts if part) if worded else None


def audit_words(
    action: str,
    text: str,
    words: CodeWords,
    *,
    staff: Mapping[int, str] | None = None,
    zone: ZoneInfo | None = None,
    tenant_refs: Mapping[int, str] | None = None,
) -> Markup | None:
    """An audit entry's target or detail in words in the language being spoken, as the tenant's readable export
    shows it (a tenant by reference from `tenant_refs`, else by number: the page is about many); None when nothing in
    it has words. The one home of these words, for the export and the console's audit page. `words` names the codes
    (`render_html`'s, with its "audit.*" tables), `staff` each staff member's role by number."""
    page = _Page(words, zone or ZoneInfo("UTC"), staff, one_tenant=False, tenant_refs=tenant_refs)
    return _audit_words(page, action, text)


def _composed(page: _Page, column: str, row: Mapping[str, Any], value: Any) -> Markup | None:
    """A cell the page puts together from more than its value: a conversation's answers, a text not yet written, a
    link code's message (never its code), a consent's proof; None for any other."""
    if column == "conversations.answers":
        return _answers(page, row)
    if column == "messages.text" and row.get("template") in SECRET_TEMPLATES:
        return escape(gettext(SECRET_TEMPLATES[row["template"]] if value is not None else _SECRET_NOT_SENT))
    if column == "messages.text" and value is None and isinstance(row.get("template_values"), dict):
        return _made_of(page, row["template_values"])
    if column == "consents.evidence" and isinstance(value, dict):
        return _evidence(page, value)
    if column == "reminders.computed_from" and isinstance(value, dict) and value:
        return _computed_from(page, value)
    if column in ("audit.target", "audit.detail") and isinstance(value, str):
        return _audit_words(page, str(row.get("action")), value)
    return None


def _cell(page: _Page, section: str, row: Mapping[str, Any], key: str) -> Markup:
    """One value on the page in the reader's language: yes/no, a code in its words, a time in the deployment's
    zone, a staff member by role, else as stored. A row with a `kind` may have words of its own for a column
    ("case_events.text@closed": a closed case's outcome)."""
    value = row.get(key)
    column = f"{section}.{key}"
    composed = _composed(page, column, row, value)
    if composed is not None:
        return composed
    if value is None:
        return Markup("–")
    if column == "tenant.language" and value in LANGUAGE_NAMES:
        return escape(LANGUAGE_NAMES[value])  # each language in its own words, as "Me" offers them
    if isinstance(value, bool):
        return escape(gettext("yes") if value else gettext("no"))
    special = _in_words(page, section, row, key)
    if special is not None:
        return escape(special)
    version = _version_words(page, column, row, value)
    if version is not None:
        return version
    codes = value if isinstance(value, list) else [value]
    found = [_code_words(page, column, row, code) for code in codes]
    if found and all(words is not None for words in found):
        return escape(", ".join(gettext(words) for words in found if words is not None))
    if isinstance(value, dict | list):
        if column in _AS_RECEIVED:
            return Markup("<pre>{}</pre>").format(json.dumps(value, ensure_ascii=False, indent=1, default=str))
        return _nested(page, value)
    if column in _CODES:
        return Markup("<code>{}</code>").format(value)
    return escape(str(value))


def _version_words(page: _Page, column: str, row: Mapping[str, Any], value: object) -> Markup | None:
    """A version of a question in words, the version's code beside them (what an audit compares); None for another
    value. A version is a code its column's words match by its beginning ("consent-*"): "consent-v2"."""
    if column not in _VERSIONED or not isinstance(value, str) or value in page.words.get(column, {}):
        return None
    words = _code_words(page, column, row, value)
    return None if words is None else Markup("{} <code>{}</code>").format(gettext(words), value)


def render_html(
    data: dict[str, Any],
    words: CodeWords,
    *,
    zone: ZoneInfo | None = None,
    staff: Mapping[int, str] | None = None,
) -> str:
    """The export as one readable HTML page (no script, no style: it is read as a file), in the language being
    spoken (bot/i18n.py); `words` names the stored codes of its columns ("staff.role" a staff member's role).
    Times are shown in `zone` (the deployment's; UTC when none is given), staff members by their role in `staff`
    (id -> role, `staff_roles`) and number, or by number alone when none is given."""
    page = _Page(words, zone or ZoneInfo("UTC"), staff)

    def cell(section: str, row: Mapping[str, Any], key: str) -> Markup:
        return _cell(page, section, row, key)

    exported = data.get("exported_at")
    at = (_moment(page, exported) if isinstance(exported, str) else None) or exported
    return _env.get_template("export.html").render(
        data=data,
        cell=cell,
        heading=_heading,
        page_language=current_language(),
        exported_at=at,
        # The deployment's zone, as a Danish reader knows it; another by its name.
        danish_time=page.zone.key == "Europe/Copenhagen",
        zone=Markup("<code>{}</code>").format(page.zone.key),
    )


async def staff_roles(db: Database) -> dict[int, str]:
    """Each staff member's role by their number, for the page to name who did what (`render_html`)."""
    async with db.read() as conn:
        return {int(row.id): str(row.role) for row in await conn.execute(select(staff.c.id, staff.c.role))}


async def export_tenant(db: Database, tenant_ref: str, now: datetime, actor: str, what: str = "json") -> dict[str, Any]:
    """Read everything about the tenant (its reference in any case: bot/tenants/lookup.py) and audit the export;
    raises LookupError for no such tenant, SeveralTenants for references that differ only in case."""
    async with db.read() as conn:
        tenant_id = await conn.run_sync(tenant_by_typed_ref, tenant_ref)
        if tenant_id is None:
            raise LookupError(f'there is no tenant with tenant_ref "{tenant_ref}"')
        data: dict[str, Any] = await conn.run_sync(tenant_data, tenant_id, now)
    async with db.write() as conn:
        await record_entry(conn, now, actor, "tenant.export", f"tenant:{tenant_id}", f"format={what}")
    return data
