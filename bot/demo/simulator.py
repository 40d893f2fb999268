"""The demo's phone simulator: a person plays a tenant over "SMS" or "Telegram" (never mounted by `run`)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import select, update
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.channels.base import button_data
from bot.channels.sandbox import SandboxChannel
from bot.demo.data import DEMO_PREFIX
from bot.i18n import N_, install, local_day, reason_words, stage_words, use_language
from bot.i18n import gettext as _
from bot.inbound.inbox import InboundMessage, clean_payload, clean_text
from bot.paths import TEMPLATES_DIR
from bot.reminders.plan import PlanOutcome, plan_reminders, policy_settings
from bot.reminders.reads import load_snapshots
from bot.runtime import Runtime
from bot.store.schema import rent_positions, tenants
from scheduler.stage import stage_of

__all__ = ["routes", "simulated_chat_id"]

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


@dataclass(frozen=True)
class _Typed:
    at: datetime
    text: str


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


def _phone_log(request: Request) -> dict[tuple[str, str], list[_Typed]]:
    state = request.app.state
    if not hasattr(state, "phone_log"):
        state.phone_log = {}
    log: dict[tuple[str, str], list[_Typed]] = state.phone_log
    return log


_env = Environment(loader=FileSystemLoader(str(Path(TEMPLATES_DIR) / "simulator")), autoescape=select_autoescape())
install(_env)


def _speak(rt: Runtime) -> str:
    """The simulator speaks the deployment's console language (it has no staff session to choose another)."""
    use_language(rt.settings.console_language)
    return rt.settings.console_language


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
        "already": _("%(count)s already contacted or planned that day."),
        "preview": _("%(day)s would bring (preview, nothing sent):"),
        "planned": _("Planned for %(day)s:"),
    }


async def _page(request: Request) -> Response:
    language = _speak(_rt(request))
    return HTMLResponse(_env.get_template("index.html").render(page_language=language, words=_words()))


def _today(rt: Runtime) -> date:
    return rt.clock().astimezone(ZoneInfo(rt.settings.timezone)).date()


async def _tenants(request: Request) -> Response:
    rt = _rt(request)
    _speak(rt)
    today = _today(rt)
    policy = policy_settings(rt.settings)
    async with rt.db.read() as conn:
        snapshots = await conn.run_sync(load_snapshots)
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
                "ref": r.tenant_ref,
                "name": r.name,
                "phone": r.phone,
                "language": r.language,
                "status": r.status,
                "status_words": _(_STATUS_WORDS[r.status]) if r.status in _STATUS_WORDS else r.status,
                "telegram_linked": r.telegram_chat_id is not None,
                "owes": bool(r.balance_ore and r.balance_ore > 0),
                "stage": stages.get(r.id, ""),
            }
            for r in rows
        ]
    )


async def _address(rt: Runtime, tenant_id: int, channel: str) -> str | None:
    async with rt.db.read() as conn:
        row = (
            await conn.execute(select(tenants.c.phone, tenants.c.telegram_chat_id).where(tenants.c.id == tenant_id))
        ).first()
    if row is None:
        return None
    if channel == "sms":
        return str(row.phone) if row.phone else None
    return str(row.telegram_chat_id or simulated_chat_id(tenant_id))


async def _thread(request: Request) -> Response:
    rt = _rt(request)
    try:
        tenant_id = _tenant_id(request.query_params["tenant"])
        channel = request.query_params.get("channel", "sms")
    except (KeyError, ValueError):
        return JSONResponse({"error": "tenant (a number) is required"}, status_code=422)
    address = await _address(rt, tenant_id, channel)
    sandbox = rt.channels.get(channel)
    if address is None or not isinstance(sandbox, SandboxChannel):
        return JSONResponse({"error": "no such tenant or channel"}, status_code=404)
    items: list[dict[str, Any]] = [
        {"dir": "in", "at": t.at.isoformat(), "text": t.text, "buttons": []}
        for t in _phone_log(request).get((channel, address), [])
    ]
    for m in sandbox.to(address):
        items.append(
            {
                "dir": "out",
                "at": m.sent_at.isoformat(),
                "text": m.text,
                "buttons": [
                    {"label": label, "data": button_data(m.outbox_id, i)} for i, (label, _) in enumerate(m.buttons)
                ],
            }
        )
    items.sort(key=lambda item: str(item["at"]))
    return JSONResponse({"address": address, "messages": items, "now": rt.clock().isoformat()})


async def _send(request: Request) -> Response:
    rt = _rt(request)
    _speak(rt)
    try:
        body = await request.json()
        tenant_id = _tenant_id(body["tenant"])
        channel = str(body.get("channel", "sms"))
    except (ValueError, KeyError, TypeError, RecursionError):
        return JSONResponse({"error": "send JSON with tenant, channel and text or button"}, status_code=422)
    if channel not in ("sms", "telegram"):
        return JSONResponse({"error": "channel must be sms or telegram"}, status_code=422)
    address = await _address(rt, tenant_id, channel)
    if address is None:
        return JSONResponse({"error": "no such tenant"}, status_code=404)
    text = clean_text(str(body.get("text") or "")).strip()
    payload: dict[str, Any] = {}
    shown = text
    if body.get("button"):
        payload = {"callback": str(body["button"])}
        text, shown = "", clean_text(f"[{body.get('label', 'button')}]")
    elif body.get("contact") and channel == "telegram":
        async with rt.db.read() as conn:
            phone = (await conn.execute(select(tenants.c.phone).where(tenants.c.id == tenant_id))).scalar_one()
        payload = {"contact_user_id": int(address), "from_id": int(address), "contact_phone": phone}
        text, shown = "", "[shared my phone number]"
    elif channel == "telegram" and text.startswith("/start"):
        payload = {"start": text.removeprefix("/start").strip()}
        text = ""
    elif not text:
        return JSONResponse({"error": _("type a message")}, status_code=422)
    outcome = await rt.inbox.submit(
        InboundMessage(
            channel=channel,
            provider_id=f"sim-{uuid.uuid4().hex}",
            sender=address,
            text=text or None,
            payload=clean_payload(payload),
        )
    )
    if outcome == "rejected":
        return JSONResponse({"error": _("this message could not be stored; try other words")}, status_code=422)
    _phone_log(request).setdefault((channel, address), []).append(_Typed(datetime.now(UTC), shown))
    return JSONResponse({"ok": True})


async def _clock(request: Request) -> Response:
    """Move the demo's clock to a day (10:00 local time); the reminders of that day can then be planned.

    The fictional ledger is as fresh as a daily import would keep it: balances are dated the new day, so
    they are never too old to act on.
    """
    rt = _rt(request)
    if request.method == "POST":
        try:
            body = await request.json()
            day = date.fromisoformat(str(body["date"]))
        except (ValueError, KeyError, TypeError, RecursionError):
            return JSONResponse({"error": 'send JSON {"date": "YYYY-MM-DD"}'}, status_code=422)
        tz = ZoneInfo(rt.settings.timezone)
        target = datetime.combine(day, time(10, 0), tzinfo=tz)
        rt.clock.offset = timedelta(0)
        rt.clock.offset = target - rt.clock()
        demo_ids = select(tenants.c.id).where(tenants.c.tenant_ref.startswith(DEMO_PREFIX))
        async with rt.db.write() as conn:
            await conn.execute(
                update(rent_positions)
                .where(rent_positions.c.tenant_id.in_(demo_ids), rent_positions.c.balance_as_of < day)
                .values(balance_as_of=day)
            )
    return JSONResponse({"now": rt.clock().isoformat(), "day": _today(rt).isoformat()})


def _rows(outcome: PlanOutcome, tz: ZoneInfo) -> list[dict[str, str]]:
    return [
        {
            "tenant": r.tenant_ref,
            "stage": r.trigger,
            "stage_words": _(_TRIGGER_WORDS[r.trigger]) if r.trigger in _TRIGGER_WORDS else r.trigger,
            "channel": r.channel,
            "send_after": r.send_after.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
            # The policy's English sentence stays in the API (the operators' audit text); the page shows why in
            # its own language, from the dates the reminder was computed from.
            "reason": r.reason,
            "reason_words": reason_words(r.trigger, r.computed_from, local_day),
        }
        for r in outcome.rows
    ]


async def _preview(request: Request) -> Response:
    """Who the simulated day's planning would remind, on which channel and why; nothing is recorded."""
    rt = _rt(request)
    _speak(rt)
    outcome = await plan_reminders(rt.db, rt.settings, rt.clock(), dry_run=True)
    return JSONResponse(
        {
            "day": outcome.day.isoformat(),
            "would_plan": _rows(outcome, ZoneInfo(rt.settings.timezone)),
            "already_contacted_today": outcome.already_contacted,
        }
    )


async def _remind(request: Request) -> Response:
    """Plan the reminders of the simulated day and send them (the same path `run` takes each morning)."""
    rt = _rt(request)
    _speak(rt)
    outcome = await plan_reminders(rt.db, rt.settings, rt.clock())
    rt.sender.wake()
    return JSONResponse(
        {
            "day": outcome.day.isoformat(),
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
