"""The demo's phone simulator: a person plays a tenant over "SMS" or "Telegram" (never mounted by `run`)."""

from __future__ import annotations

import math
import uuid
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, TemplateError, select_autoescape
from sqlalchemy import Connection, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.channels.base import CHANNEL_KEYS, button_data, parse_button_data
from bot.channels.sandbox import SandboxChannel
from bot.demo.data import DEMO_PREFIX
from bot.i18n import (
    N_,
    format_locale,
    install,
    language_of,
    language_words,
    local_day,
    local_moment,
    reason_words,
    stage_words,
    use_language,
)
from bot.i18n import gettext as _
from bot.inbound.inbox import InboundMessage, clean_payload, clean_text
from bot.inbound.presses import query_id
from bot.outbox.record import SECRET_TEMPLATES
from bot.outbox.render import TemplateMissing
from bot.paths import TEMPLATES_DIR
from bot.reminders.jobs import JobServices, plan_today
from bot.reminders.plan import PlanOutcome, plan_reminders, policy_settings
from bot.reminders.reads import load_snapshots
from bot.runtime import Runtime
from bot.store.flags import read_flag, write_flag
from bot.store.schema import case_events, consents, inbound, messages, outbox, rent_positions, tenants
from conversations.values import decode_values
from scheduler.stage import stage_of

__all__ = ["CLOCK_AHEAD", "CLOCK_BACK", "restore_clock", "routes", "simulated_chat_id"]

# The words the page shows for a reminder's trigger and a tenant's status (the console's msgids for them).
_TRIGGER_WORDS = {
    "before_due": N_("before the due day"),
    "missed": N_("rent missed"),
    "demand": N_("påkrav"),
    "court": N_("termination or court date"),
    "promise_check": N_("promise check"),
}
_STATUS_WORDS = {
    "active": N_("active"),
    "stopped": N_("stopped (wrote STOP)"),
    "wrong_number": N_("wrong number"),
    "moved_out": N_("moved out"),
    "erased": N_("erased"),
}

# Telegram chat ids the simulator uses for tenants who have not linked a real chat.
SIMULATED_CHAT_BASE = 700_000_000
# The days the demo's clock may be moved to, around the real today: the fictional tenants are placed around
# today, and a day far off would leave its dates (balances, reminders, messages) behind when the clock comes back.
CLOCK_BACK = timedelta(days=30)
CLOCK_AHEAD = timedelta(days=90)
# The demo clock's offset from the real time, in whole seconds, kept across restarts.
CLOCK_FLAG = "demo_clock_offset"
# A phone shows this many of its newest messages each way.
THREAD_SIZE = 200


def simulated_chat_id(tenant_id: int) -> int:
    """The chat id the simulator's Telegram side uses for a tenant."""
    return SIMULATED_CHAT_BASE + tenant_id


def _tenant_id(value: object) -> int:
    """A tenant id from the page; ValueError for what cannot be one (a database integer is 64 bits)."""
    number = int(str(value))
    if not 0 < number < 2**63:
        raise ValueError("no such tenant id")
    return number


def _rt(request: Request) -> Runtime:
    rt: Runtime = request.app.state.rt
    return rt


_env = Environment(loader=FileSystemLoader(str(Path(TEMPLATES_DIR) / "simulator")), autoescape=select_autoescape())
install(_env)


def _speak(rt: Runtime) -> str:
    """The simulator speaks the deployment's console language (it has no staff session to choose another)."""
    use_language(rt.settings.console_language)
    return rt.settings.console_language


def _refused(msgid: str, status: int, **values: str) -> JSONResponse:
    """A request the page (or a script) sent that cannot be done: `msgid` in the page's language (`_speak`)."""
    message = _(msgid)
    return JSONResponse({"error": message % values if values else message}, status_code=status)


def _words() -> dict[str, str]:
    """The words simulator.js writes into the page, in the page's language."""
    return {
        "share_phone": _("Share my phone number"),
        "or_start": _("or type /start, or the code from the SMS"),
        "write": _("Write as the tenant…"),
        "not_sent": _("not sent"),
        "no_reminders": _("No reminders."),
        "tenant": _("tenant"),
        "stage": _("stage"),
        "channel": _("channel"),
        "send_after": _("send after"),
        "why": _("why"),
        "already": _("%(count)s already contacted that day or reminded of the same before."),
        "preview": _("%(day)s would bring (preview, nothing sent):"),
        "planned": _("Planned for %(day)s:"),
        # "Move clock" pressed with no day (or half a day) in the field: said, not nothing.
        "choose_day": _("Choose a day in the field first, then press “Move clock”."),
    }


def _phone_words() -> dict[str, str]:
    """What a phone shows in place of what it cannot show as stored, in the request's language."""
    return {
        # A one-time code's message after a restart: the database keeps a placeholder, never the code.
        "code_not_kept": _("[code sent — not kept]"),
        "shared_phone": _("[shared my phone number]"),
        "button": _("[pressed a button]"),
    }


def _window(rt: Runtime) -> tuple[date, date]:
    """The first and last day the clock may be moved to: around the real today, whatever the clock says now."""
    real = (rt.clock() - rt.clock.offset).astimezone(ZoneInfo(rt.settings.timezone)).date()
    return real - CLOCK_BACK, real + CLOCK_AHEAD


async def _page(request: Request) -> Response:
    language = _speak(_rt(request))
    first, last = _window(_rt(request))
    page = _env.get_template("index.html").render(
        page_language=language,
        # The locale the chosen day is said in beside the date field (the console's static/dates.js).
        date_locale=format_locale(language).replace("_", "-"),
        words=_words(),
        first=first.isoformat(),
        last=last.isoformat(),
        back=CLOCK_BACK.days,
        ahead=CLOCK_AHEAD.days,
    )
    return HTMLResponse(page)


def _today(rt: Runtime) -> date:
    return rt.clock().astimezone(ZoneInfo(rt.settings.timezone)).date()


async def _tenants(request: Request) -> Response:
    rt = _rt(request)
    _speak(rt)
    today = _today(rt)
    policy = policy_settings(rt.settings)
    async with rt.db.read() as conn:
        snapshots = await conn.run_sync(load_snapshots, None, ZoneInfo(rt.settings.timezone))
        stages = {s.tenant_id: stage_words(stage_of(s, today, policy), local_day) for s in snapshots}
        rows = (
            await conn.execute(
                select(
                    tenants.c.id,
                    tenants.c.tenant_ref,
                    tenants.c.name,
                    tenants.c.phone,
                    tenants.c.language,
                    tenants.c.status,
                    tenants.c.telegram_chat_id,
                    rent_positions.c.balance_ore,
                )
                .select_from(tenants.outerjoin(rent_positions, rent_positions.c.tenant_id == tenants.c.id))
                .order_by(tenants.c.id)
                .limit(200)
            )
        ).all()
    return JSONResponse(
        [
            {
                "id": r.id,
                # An erased tenant keeps no name, and a tombstone for a reference: nothing a person can read.
                "ref": "" if r.status == "erased" else r.tenant_ref,
                "name": _("Erased tenant") if r.status == "erased" else r.name,
                "phone": r.phone,
                "language": r.language,
                "language_words": language_words(r.language),
                "status": r.status,
                "status_words": _(_STATUS_WORDS[r.status]) if r.status in _STATUS_WORDS else r.status,
                "telegram_linked": r.telegram_chat_id is not None,
                "owes": bool(r.balance_ore and r.balance_ore > 0),
                "stage": stages.get(r.id, ""),
            }
            for r in rows
        ]
    )


async def _phone_of(rt: Runtime, tenant_id: int) -> Any | None:
    """What the tenant's phone knows of them: number, chat, language (None: no such tenant)."""
    t = tenants.c
    async with rt.db.read() as conn:
        query = select(t.phone, t.telegram_chat_id, t.language).where(t.id == tenant_id)
        return (await conn.execute(query)).first()


def _address(row: Any, tenant_id: int, channel: str) -> str | None:
    if channel == "sms":
        return str(row.phone) if row.phone else None
    return str(row.telegram_chat_id or simulated_chat_id(tenant_id))


def _label(rt: Runtime, key: str, values: dict[str, Any], language: str) -> str | None:
    try:
        return rt.renderer.render(key, values, language, "telegram").text
    except (TemplateMissing, TemplateError, TypeError, ValueError):
        return None


def _shown(rt: Runtime, channel: str, template: str | None, provider_id: str | None, stored: str | None) -> str | None:
    """The text a phone shows for a sent message: what is stored, except for a one-time code (the database keeps a
    placeholder for it): the text this process's sandbox delivered, or None when it forgot it (a restart)."""
    if template not in SECRET_TEMPLATES:
        return stored or ""
    sandbox = rt.channels.get(channel)
    sent = sandbox.delivered(provider_id) if isinstance(sandbox, SandboxChannel) else None
    return sent.text if sent is not None else None


def _phone(
    rt: Runtime, conn: Connection, tenant_id: int, channel: str, address: str, words: dict[str, str]
) -> list[dict[str, Any]]:
    """What the tenant's phone holds on this channel, from the database (so a restart loses nothing): what was
    written from its address, and what was sent to the tenant or to that address, with a message's buttons. A
    one-time code shows as the sandbox delivered it, kept in memory only; after a restart, as `words` say.

    In the order the phone got them: what was sent by when it went out (a notice that waited for the morning comes
    after what the tenant wrote that night), what the tenant wrote by when it came in; at the same moment, in the
    order they were stored."""
    sent = conn.execute(
        select(
            outbox.c.id,
            outbox.c.message_id,
            outbox.c.choices,
            outbox.c["values"].label("template_values"),
            outbox.c.language,
            outbox.c.template,
            messages.c.text,
            messages.c.provider_id,
            messages.c.updated_at,
            messages.c.sent_at,
        )
        .join(messages, messages.c.id == outbox.c.message_id)
        .where(
            outbox.c.channel == channel,
            outbox.c.state == "sent",
            or_(outbox.c.tenant_id == tenant_id, outbox.c.address == address),
        )
        .order_by(outbox.c.id.desc())
        .limit(THREAD_SIZE)
    ).all()
    typed = conn.execute(
        select(
            inbound.c.id,
            inbound.c.provider_id,
            inbound.c.text,
            inbound.c.payload,
            inbound.c.received_at,
            messages.c.id.label("message_id"),
        )
        .outerjoin(
            messages,
            (messages.c.channel == inbound.c.channel) & (messages.c.provider_id == inbound.c.provider_id),
        )
        .where(inbound.c.channel == channel, inbound.c.sender == address)
        .order_by(inbound.c.id.desc())
        .limit(THREAD_SIZE)
    ).all()
    items: list[tuple[tuple[datetime, float, int, int], datetime, dict[str, Any]]] = []
    labels: dict[int, list[str]] = {}
    answers: list[tuple[datetime, int]] = []
    for row in sorted(sent, key=lambda row: int(row.message_id)):
        values = decode_values(row.template_values or {})
        buttons = []
        # An SMS lists its options in its text; only Telegram shows them as buttons. Telegram's keyboard (the channel's
        # own keys) is the phone's share button, always there.
        for index, (key, label) in enumerate(row.choices or [] if channel == "telegram" else []):
            if key in CHANNEL_KEYS:
                continue
            shown = _label(rt, str(label), {**values, "option": key}, row.language) or str(key)
            buttons.append({"label": shown, "data": button_data(row.id, index)})
        labels[row.id] = [b["label"] for b in buttons]
        # When it went out (messages sent before sent_at was kept: their last change).
        at = _utc(row.sent_at or row.updated_at)
        answers.append((at, int(row.message_id)))
        text = _shown(rt, channel, row.template, row.provider_id, row.text)
        shown_text = words["code_not_kept"] if text is None else text
        place = float(row.message_id)
        items.append(((at, place, 1, 0), at, {"dir": "out", "text": shown_text, "buttons": buttons, "toast": None}))
    for came in typed:
        at = _utc(came.received_at)
        # At the same moment (a clock that stands still), in the order stored: a message from a chat not yet linked
        # (it has no message of the tenant's) before the first answer sent after it.
        if came.message_id is not None:
            place = float(came.message_id)
        else:
            place = next((float(message_id) for sent_at, message_id in answers if sent_at >= at), float("inf"))
        item: dict[str, Any] = {
            "dir": "in",
            "text": _typed(came.text, came.payload, labels, words),
            "buttons": [],
            "toast": _toast(rt, channel, came.provider_id),
        }
        items.append(((at, place, 0, int(came.id)), at, item))
    items.sort(key=lambda item: item[0])
    return [{**item, "at": at.isoformat()} for _, at, item in items]


def _toast(rt: Runtime, channel: str, provider_id: str) -> dict[str, str] | None:
    """The toast a button press was answered with (its query id and text), as this process's sandbox recorded the
    answer; None for anything else, a press answered in the chat, or one from before a restart."""
    query = query_id(channel, provider_id)
    sandbox = rt.channels.get(channel)
    text = sandbox.answers.get(query) if query is not None and isinstance(sandbox, SandboxChannel) else None
    return {"id": query, "text": text} if query is not None and text else None


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _typed(text: str | None, payload: Any, labels: dict[int, list[str]], words: dict[str, str]) -> str:
    """What the tenant did, as their phone shows it: the words, the button pressed, the number shared (`words`:
    the phone's own placeholders, in its language)."""
    if text:
        return text
    payload = payload if isinstance(payload, dict) else {}
    callback = payload.get("callback")
    if isinstance(callback, str):
        parsed = parse_button_data(callback)
        shown = labels.get(parsed[0], []) if parsed is not None else []
        return f"[{shown[parsed[1]]}]" if parsed is not None and parsed[1] < len(shown) else words["button"]
    if "contact_phone" in payload:
        return words["shared_phone"]
    if "start" in payload:
        return f"/start {payload['start']}".strip()
    return ""


async def _thread(request: Request) -> Response:
    rt = _rt(request)
    _speak(rt)
    try:
        tenant_id = _tenant_id(request.query_params["tenant"])
        channel = request.query_params.get("channel", "sms")
    except (KeyError, ValueError):
        return _refused(N_("The tenant is missing: ask with tenant= and the tenant's number."), 422)
    phone = await _phone_of(rt, tenant_id) if channel in ("sms", "telegram") else None
    address = _address(phone, tenant_id, channel) if phone is not None else None
    if phone is None or address is None:
        no_phone = N_("There is no such tenant, or the tenant has no phone on that channel (sms or telegram).")
        return _refused(no_phone, 404)
    # A phone speaks its tenant's language when the simulator has words in it, else the simulator's.
    use_language(language_of(str(phone.language), rt.settings.console_language))
    words = _phone_words()
    async with rt.db.read() as conn:
        items = await conn.run_sync(lambda sync: _phone(rt, sync, tenant_id, channel, address, words))
    return JSONResponse({"address": address, "messages": items, "now": rt.clock().isoformat()})


async def _send(request: Request) -> Response:
    rt = _rt(request)
    _speak(rt)
    try:
        body = await request.json()
        tenant_id = _tenant_id(body["tenant"])
        channel = str(body.get("channel", "sms"))
    except (ValueError, KeyError, TypeError, RecursionError):
        return _refused(N_("Send JSON with the tenant, the channel and a text or a button."), 422)
    if channel not in ("sms", "telegram"):
        return _refused(N_("The channel must be sms or telegram."), 422)
    phone = await _phone_of(rt, tenant_id)
    address = _address(phone, tenant_id, channel) if phone is not None else None
    if phone is None or address is None:
        return _refused(N_("There is no such tenant."), 404)
    text = clean_text(str(body.get("text") or "")).strip()
    payload: dict[str, Any] = {}
    if body.get("button"):
        payload = {"callback": str(body["button"])}
        text = ""
    elif body.get("contact") and channel == "telegram":
        payload = {"contact_user_id": int(address), "from_id": int(address), "contact_phone": phone.phone}
        text = ""
    elif channel == "telegram" and text.startswith("/start"):
        payload = {"start": text.removeprefix("/start").strip()}
        text = ""
    elif not text:
        return _refused(N_("type a message"), 422)
    if channel == "telegram":
        # The person's Telegram app speaks their language (what greets a chat keephome has not linked yet).
        payload["language_code"] = str(phone.language)
    # A press's provider id is a callback query's ("cb:<id>", bot/inbound/presses.py): the processor answers it as
    # Telegram's presses are answered, with a toast where the chat stays quiet, and the phone shows that toast.
    press = channel == "telegram" and "callback" in payload
    provider_id = f"{'cb:' if press else ''}sim-{uuid.uuid4().hex}"
    outcome = await rt.inbox.submit(
        InboundMessage(
            channel=channel,
            provider_id=provider_id,
            sender=address,
            text=text or None,
            payload=clean_payload(payload),
        )
    )
    if outcome == "rejected":
        return _refused(N_("this message could not be stored; try other words"), 422)
    return JSONResponse({"ok": True})


# When what has happened in the demo happened: a tenant's message, a message sent, a consent given or withdrawn, a
# step of a case. The clock never moves to a moment before the latest of them on its day.
_HAPPENED = (
    inbound.c.received_at,
    messages.c.created_at,
    messages.c.sent_at,
    consents.c.given_at,
    consents.c.withdrawn_at,
    case_events.c.at,
)


async def _move_to(rt: Runtime, day: date) -> None:
    """Move the demo's clock to `day` and keep the offset for the next start: to 10:00 local time, or later when
    something already happened later that day (a message, a consent), else a new message would show above older
    ones and a consent given at 11:33 would not count yet; the real today is never put before its real time.

    The fictional ledger is as fresh as a daily import would keep it: balances are dated the new day, so they are
    never too old to act on, and never dated after it when the clock goes back.
    """
    tz = ZoneInfo(rt.settings.timezone)
    target = datetime.combine(day, time(10, 0), tzinfo=tz)
    real = _real_now(rt)
    if real.astimezone(tz).date() == day:
        target = max(target, real)
    next_day = datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=tz)
    async with rt.db.read() as conn:
        for column in _HAPPENED:
            latest = (await conn.execute(select(func.max(column)).where(column < next_day))).scalar()
            if latest is not None:
                target = max(target, _utc(latest))
    # Whole seconds (the offset is kept as a number), rounded up: the clock lands at 10:00:00, never at 09:59:59,
    # and never a moment before what happened.
    rt.clock.offset = timedelta(seconds=math.ceil((target - real).total_seconds()))
    async with rt.db.write() as conn:
        await _fresh_ledger(conn, day)
        await conn.run_sync(
            lambda sync: write_flag(sync, CLOCK_FLAG, str(int(rt.clock.offset.total_seconds())), _real_now(rt))
        )


def _real_now(rt: Runtime) -> datetime:
    """The real time (the demo clock less its offset)."""
    return rt.clock() - rt.clock.offset


async def _fresh_ledger(conn: AsyncConnection, day: date) -> None:
    demo_ids = select(tenants.c.id).where(tenants.c.tenant_ref.startswith(DEMO_PREFIX))
    await conn.execute(
        update(rent_positions)
        .where(rent_positions.c.tenant_id.in_(demo_ids), rent_positions.c.balance_as_of != day)
        .values(balance_as_of=day)
    )


async def restore_clock(rt: Runtime) -> date | None:
    """At the demo's start: move the clock by the offset kept at the last move (none when that day is outside the
    window now); returns the day it shows, or None when it shows today."""
    async with rt.db.read() as conn:
        kept = await conn.run_sync(lambda sync: read_flag(sync, CLOCK_FLAG))
    try:
        offset = timedelta(seconds=int(kept or 0))
    except ValueError:
        return None
    if not offset:
        return None
    tz = ZoneInfo(rt.settings.timezone)
    day = (rt.clock() - rt.clock.offset + offset).astimezone(tz).date()
    first, last = _window(rt)
    if not first <= day <= last:
        return None
    rt.clock.offset = offset
    async with rt.db.write() as conn:
        await _fresh_ledger(conn, day)
    return day


async def _day(rt: Runtime, raw: object) -> date | JSONResponse:
    """The day the page asks for, moved to when it is not the clock's day; a 422 outside the clock's window."""
    try:
        day = date.fromisoformat(str(raw))
    except ValueError:
        return _refused(N_("“%(day)s” is not a day in the calendar: write it as 2026-03-01."), 422, day=str(raw)[:40])
    first, last = _window(rt)
    if not first <= day <= last:
        window = N_("The demo's clock moves from %(first)s to %(last)s: the fictional tenants are placed around today.")
        return _refused(window, 422, first=local_day(first), last=local_day(last))
    if day != _today(rt):
        await _move_to(rt, day)
    return day


async def _clock(request: Request) -> Response:
    """Move the demo's clock to a day (10:00 local time, or after what already happened that day); the reminders of
    that day can then be planned."""
    rt = _rt(request)
    _speak(rt)
    if request.method == "POST":
        try:
            body = await request.json()
            raw = body["date"]
        except (ValueError, KeyError, TypeError, RecursionError):
            return _refused(N_('Send the day as JSON: {"date": "2026-03-01"}.'), 422)
        day = await _day(rt, raw)
        if isinstance(day, JSONResponse):
            return day
        if day == _today(rt):
            await _move_to(rt, day)  # the same day again: back to its 10:00, never before what happened
    first, last = _window(rt)
    return JSONResponse(
        {
            "now": rt.clock().isoformat(),
            "day": _today(rt).isoformat(),
            "first": first.isoformat(),
            "last": last.isoformat(),
        }
    )


def _rows(outcome: PlanOutcome, tz: ZoneInfo) -> list[dict[str, str]]:
    return [
        {
            "tenant": r.tenant_ref,
            "stage": r.trigger,
            "stage_words": _(_TRIGGER_WORDS[r.trigger]) if r.trigger in _TRIGGER_WORDS else r.trigger,
            "channel": r.channel,
            "send_after": local_moment(r.send_after.astimezone(tz)),  # as the console writes a moment
            # The policy's English sentence stays in the API (the operators' audit text); the page shows why in
            # its own language, from the dates the reminder was computed from.
            "reason": r.reason,
            "reason_words": reason_words(r.trigger, r.computed_from, local_day),
        }
        for r in outcome.rows
    ]


async def _preview(request: Request) -> Response:
    """Who the simulated day's planning would remind, on which channel and why; nothing is recorded. With
    `?date=` the clock moves to that day first (as "Move clock" does): the day's planning is the clock's."""
    rt = _rt(request)
    _speak(rt)
    if "date" in request.query_params:
        day = await _day(rt, request.query_params["date"])
        if isinstance(day, JSONResponse):
            return day
    outcome = await plan_reminders(rt.db, rt.settings, rt.clock(), dry_run=True)
    return JSONResponse(
        {
            "day": outcome.day.isoformat(),
            "day_words": local_day(outcome.day),  # as the page writes a day
            "would_plan": _rows(outcome, ZoneInfo(rt.settings.timezone)),
            "already_contacted_today": outcome.already_contacted,
        }
    )


async def _remind(request: Request) -> Response:
    """Plan the reminders of the simulated day and send them (the same path `run` takes each morning); with
    `?date=` the clock moves to that day first."""
    rt = _rt(request)
    _speak(rt)
    if "date" in request.query_params:
        day = await _day(rt, request.query_params["date"])
        if isinstance(day, JSONResponse):
            return day
    # As `run` plans each morning: the day is recorded as planned, so a restart does not plan it again.
    outcome = await plan_today(JobServices(rt.db, rt.settings, rt.clock, rt.sender.wake, rt.metrics))
    return JSONResponse(
        {
            "day": outcome.day.isoformat(),
            "day_words": local_day(outcome.day),  # as the page writes a day
            "planned": _rows(outcome, ZoneInfo(rt.settings.timezone)),
            "already_contacted_today": outcome.already_contacted,
        }
    )


def routes() -> list[BaseRoute]:
    """The simulator's routes; only `keephome demo` mounts them."""
    return [
        Route("/simulator", _page, methods=["GET"]),
        Route("/simulator/api/tenants", _tenants, methods=["GET"]),
        Route("/simulator/api/thread", _thread, methods=["GET"]),
        Route("/simulator/api/send", _send, methods=["POST"]),
        Route("/simulator/api/clock", _clock, methods=["GET", "POST"]),
        Route("/simulator/api/preview", _preview, methods=["GET"]),
        Route("/simulator/api/remind", _remind, methods=["POST"]),
    ]
