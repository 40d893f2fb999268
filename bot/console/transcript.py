"""What an adviser may read of a tenant's messages: DESIGN.md's consent rule in one place."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from jinja2 import TemplateError
from sqlalchemy import ColumnElement, and_, false, func, not_, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.channels.base import parse_button_data
from bot.console.delivery import DeliveryFacts, facts_by_message
from bot.host.cases import RELEASED, TAKEN, has_consent
from bot.host.unseen import WENT_OUT
from bot.i18n import N_, gettext
from bot.outbox.record import SECRET_TEMPLATES
from bot.outbox.render import Renderer, TemplateMissing
from bot.store.schema import CRISIS_LINE, conversations, inbound, messages, outbox
from conversations.engine import answer_keys
from conversations.model import Channel
from conversations.values import decode_values

__all__ = [
    "MAX_ANSWERED",
    "MAX_MESSAGES",
    "WHOLE_MESSAGES",
    "Answered",
    "Shown",
    "Transcript",
    "answers",
    "read_along",
    "transcript",
]

MAX_MESSAGES = 200  # the newest a case page shows unless the adviser asks for the whole conversation
WHOLE_MESSAGES = 10_000  # the whole conversation (years of a tenant's messages stay far below it)
# What a message whose text is gone reads as.
_DELETED = N_("(message deleted)")
# The bot's answers that say what the tenant wrote (the crisis line answers words of crisis): without consent shown
# only where the tenant's own words are, never as "the bot's own messages" DESIGN lets an adviser see.
_TELLING = (CRISIS_LINE,)
# Button labels are shown to the adviser in the organisation's language.
_CONSOLE_LANGUAGE = "da"


@dataclass(frozen=True)
class Shown:
    """One message as the console shows it: a queued text is rendered, a button press named; a message to the
    tenant carries what became of it (`bot/console/delivery.py` puts that in words)."""

    id: int
    direction: str
    author: str
    channel: str | None
    text: str
    status: str
    created_at: datetime
    delivery: DeliveryFacts | None = None


@dataclass(frozen=True)
class Transcript:
    """The visible messages, oldest first, how many of the tenant's replies are hidden, and how many visible messages
    are older than the first one shown (the page says so and offers them all)."""

    consent: bool
    messages: list[Shown]
    hidden: int
    earlier: int = 0


async def read_along(
    conn: AsyncConnection, case_id: int, written_at: ColumnElement[datetime] = messages.c.created_at
) -> ColumnElement[bool]:
    """Which of the tenant's messages were written (`written_at`: a message's, or a message keephome could not handle
    and kept only in `inbound`, its `received_at`) while they had been told that a person reads along: after a
    case.taken message went out, until a case.released one went out (their adviser let go of the case, and they were
    told the bot answers meanwhile). Each notice counts as it went out (when the sender recorded it sent), not as it
    was queued: one still waiting for the sender (or for quiet hours to end), or that failed, told the tenant nothing,
    and what they write meanwhile stays theirs (or, after a release they were not told of, stays in view). A release
    that a take undid before the morning is held, and the take was not told: neither went out, and the periods stay
    as they were."""
    notices = (
        await conn.execute(
            # When it went out: the sender's record of it (a receipt moves updated_at on; messages sent before
            # revision 0017 have only that).
            select(messages.c.template, func.coalesce(messages.c.sent_at, messages.c.updated_at).label("went"))
            .where(
                messages.c.case_id == case_id,
                messages.c.template.in_((TAKEN, RELEASED)),
                messages.c.status.in_(WENT_OUT),  # queued, held or failed: told nothing
            )
            # In the order the notices were made (a take, its release, the next take).
            .order_by(messages.c.id)
        )
    ).all()
    periods = []
    since = None
    for notice in notices:
        if notice.template == TAKEN and since is None:
            since = notice.went
        elif notice.template == RELEASED and since is not None:
            periods.append(and_(written_at > since, written_at <= notice.went))
            since = None
    if since is not None:
        periods.append(written_at > since)
    return or_(false(), *periods)


def _render(
    renderer: Renderer, key: str, values: dict[str, Any], language: str, channel: str, at: datetime | None = None
) -> str | None:
    """The text as the tenant reads it; `at`, when it is to go: a text that asks for a call names that day."""
    try:
        return renderer.render(key, decode_values(values), language, cast(Channel, channel), now=at).text
    except (TemplateMissing, TemplateError, TypeError, ValueError):
        return None


async def _queued(conn: AsyncConnection, renderer: Renderer, rows: list[Any]) -> dict[int, str]:
    """Messages not sent (yet) have no text: render what the outbox holds."""
    ids = [r.id for r in rows if r.direction == "out" and r.text is None]
    if not ids:
        return {}
    found = await conn.execute(
        select(
            outbox.c.message_id,
            outbox.c.template,
            outbox.c["values"].label("template_values"),
            outbox.c.language,
            outbox.c.channel,
            outbox.c.next_attempt_at,
        ).where(outbox.c.message_id.in_(ids))
    )
    shown: dict[int, str] = {}
    for o in found:
        # Rendered for the moment it is to go, as the sender will render it (a held or dropped one: when it was due).
        at = o.next_attempt_at
        text = _render(renderer, o.template, o.template_values or {}, o.language, o.channel, at)
        if text is not None:
            shown[o.message_id] = text
    return shown


# What came without words, or with only a caption: the adviser sees that it came and that nobody can see it here
# (the tenant may believe it was seen: "which letter?"). Telegram's kinds (bot/inbound/telegram_updates.py).
_SEEN_NOT = N_("[an attachment: it cannot be seen here]")
_ATTACHMENTS = {
    "photo": N_("[a photo: it cannot be seen here]"),
    "document": N_("[a file: it cannot be opened here]"),
    "voice": N_("[a voice message: it cannot be heard here]"),
    "audio": N_("[a sound file: it cannot be heard here]"),
    "video": N_("[a video: it cannot be seen here]"),
    "video_note": N_("[a video: it cannot be seen here]"),
    "animation": N_("[a video: it cannot be seen here]"),
    "sticker": N_("[a sticker]"),
    "location": N_("[a location: it cannot be seen here]"),
    "venue": N_("[a location: it cannot be seen here]"),
}


async def _pressed(conn: AsyncConnection, renderer: Renderer, rows: list[Any]) -> dict[int, str]:
    """What a tenant's message was beyond its words: a button (named by its label), a shared contact, a start, a
    photo or a voice message (with its caption, if any). Messages of words alone are not in it."""
    keys = [(r.channel, r.provider_id) for r in rows if r.direction == "in" and r.provider_id]
    if not keys:
        return {}
    by_key = {(r.channel, r.provider_id): r for r in rows if r.direction == "in"}
    found = (
        await conn.execute(
            select(inbound.c.channel, inbound.c.provider_id, inbound.c.payload).where(
                inbound.c.provider_id.in_([provider_id for _, provider_id in keys])
            )
        )
    ).all()
    found = [row for row in found if (row.channel, row.provider_id) in by_key]
    choices: dict[int, Any] = {}
    outbox_ids: set[int] = set()
    for row in found:
        payload = row.payload if isinstance(row.payload, dict) else {}
        callback = payload.get("callback")
        parsed = parse_button_data(callback) if isinstance(callback, str) else None
        if parsed is not None:
            outbox_ids.add(parsed[0])
    if outbox_ids:
        # Only a button of a message this tenant was sent: the data is the client's to write (bot/inbound/handler.py).
        result = await conn.execute(
            select(outbox.c.id, outbox.c.choices)
            .join(messages, messages.c.id == outbox.c.message_id)
            .where(outbox.c.id.in_(outbox_ids), messages.c.tenant_id.in_({r.tenant_id for r in rows}))
        )
        choices = {o.id: o.choices for o in result}
    named: dict[int, str] = {}
    for row in found:
        message = by_key.get((row.channel, row.provider_id))
        if message is None:
            continue
        payload = row.payload if isinstance(row.payload, dict) else {}
        described = _describe(renderer, payload, choices, message.text)
        if described is not None:
            named[message.id] = described
    return named


def _describe(renderer: Renderer, payload: dict[str, Any], choices: dict[int, Any], text: str | None) -> str | None:
    kind = payload.get("kind")
    if isinstance(kind, str):
        shown = gettext(_ATTACHMENTS.get(kind, _SEEN_NOT))
        return f"{shown} {text}" if text else shown
    if text is not None:
        return None  # words alone: shown as they are
    callback = payload.get("callback")
    if isinstance(callback, str):
        parsed = parse_button_data(callback)
        options = choices.get(parsed[0]) if parsed is not None else None
        if parsed is not None and isinstance(options, list) and parsed[1] < len(options):
            key, label = options[parsed[1]]
            text = _render(renderer, str(label), {}, _CONSOLE_LANGUAGE, "telegram")
            return gettext("[pressed the button “%(label)s”]") % {"label": text or key}
        return gettext("[pressed a button]")
    if "contact_phone" in payload:
        return gettext("[shared their phone number]")
    if "start" in payload:
        return gettext("[opened the Telegram bot]")
    return gettext("[a message without text]")


async def transcript(
    conn: AsyncConnection, case: Any, renderer: Renderer, after_id: int = 0, *, limit: int = MAX_MESSAGES
) -> Transcript:
    """The newest `limit` visible messages. Without consent only the bot's and staff's messages, plus replies written
    while the tenant had been told that a person reads along."""
    consent = await conn.run_sync(has_consent, case.tenant_id)
    query = select(messages).where(messages.c.tenant_id == case.tenant_id, messages.c.id > after_id)
    hidden = 0
    if not consent:
        visible_in = await read_along(conn, case.id)
        hidden_query = select(func.count()).where(
            messages.c.tenant_id == case.tenant_id,
            messages.c.direction == "in",
            messages.c.id > after_id,
            not_(visible_in),
        )
        hidden = int((await conn.execute(hidden_query)).scalar_one())
        # The bot's answer to words of crisis tells what the tenant wrote: it is theirs as those words are.
        told = messages.c.template.is_not(None) & messages.c.template.in_(_TELLING)
        shown_out = and_(messages.c.direction == "out", not_(told))
        query = query.where(or_(shown_out, and_(or_(messages.c.direction == "in", told), visible_in)))
    rows = list(reversed((await conn.execute(query.order_by(messages.c.id.desc()).limit(limit))).all()))
    earlier = 0
    if len(rows) == limit:
        older = query.where(messages.c.id < rows[0].id).with_only_columns(func.count()).order_by(None)
        earlier = int((await conn.execute(older)).scalar_one())
    queued = await _queued(conn, renderer, rows)
    pressed = await _pressed(conn, renderer, rows)
    delivered = await facts_by_message(conn, (r.id for r in rows if r.direction == "out"))
    shown: list[Shown] = []
    for r in rows:
        text = pressed.get(r.id) or r.text
        if text is None:
            # Neither kept nor to be rendered: its text was blanked (an erasure, the retention purge). The key of
            # its text is no words for the adviser.
            text = queued.get(r.id) or gettext(_DELETED)
        elif r.template in SECRET_TEMPLATES:
            text = gettext(text)  # what stands in for a one-time code, in the reader's language
        shown.append(Shown(r.id, r.direction, r.author, r.channel, text, r.status, r.created_at, delivered.get(r.id)))
    return Transcript(consent, shown, hidden, earlier)


# Their data is what their starter gave them (a consent the adviser asked for, the list to choose from): no answer
# of the tenant's, though a step's name holds the choice (the consents card shows those).
_GIVEN_DATA = ("share_consent", "withdraw_choice")
# The conversations with answers a case page shows at most, and how many of the newest it looks through for them.
MAX_ANSWERED = 10
_LOOKED_AT = 100


@dataclass(frozen=True)
class Answered:
    """One conversation's answers: its flow, when it was last answered, and the answers under their questions."""

    flow: str
    at: datetime
    data: dict[str, Any]
    trigger: str | None = None  # the reminder's stage that started it; None: no reminder did


async def answers(conn: AsyncConnection, tenant_id: int) -> list[Answered]:
    """The answers of the tenant's conversations that hold any, newest first — and none while the tenant has not
    consented (the rule `transcript` follows). A conversation whose data is what its starter gave it (a consent the
    adviser asked for, the withdrawal's list) holds no answers of the tenant."""
    if not await conn.run_sync(has_consent, tenant_id):
        return []
    rows = await conn.execute(
        select(conversations.c.flow, conversations.c.trigger, conversations.c.state, conversations.c.updated_at)
        .where(conversations.c.tenant_id == tenant_id, conversations.c.flow.not_in(_GIVEN_DATA))
        .order_by(conversations.c.updated_at.desc(), conversations.c.id.desc())
        .limit(_LOOKED_AT)
    )
    found: list[Answered] = []
    for row in rows:
        data = row.state.get("data") if isinstance(row.state, dict) else None
        if not isinstance(data, dict):
            continue
        if keys := answer_keys(row.flow, data):
            found.append(Answered(row.flow, row.updated_at, {key: data[key] for key in keys}, row.trigger))
        if len(found) == MAX_ANSWERED:
            break
    return found
