"""Everything keephome holds about one tenant, as JSON and as a readable page (`keephome export`, the console).

The tenancy (contact, rent position, balance history), every message with its text or what it was to be
rendered with, the webhook receipts of their messages, conversations with their answers, consents with the
message that is their proof, cases with their events, notes and tasks, the reminders planned for them, link
codes (never their secrets) and the audit entries about them. Money is a string with a decimal point
("7100.50"), times ISO 8601 in UTC. Whoever exports is audited (`tenant.export`).
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlalchemy import Connection, or_, select

from bot.paths import TEMPLATES_DIR
from bot.store.db import Database
from bot.store.schema import (
    audit_log,
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
    tenants,
)

__all__ = ["FORMAT_VERSION", "export_tenant", "find_tenant", "render_html", "tenant_data", "to_json"]

FORMAT_VERSION = 1
_MONEY = ("monthly_rent_ore", "balance_ore")

_env = Environment(
    loader=FileSystemLoader(str(TEMPLATES_DIR / "console")),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


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


def find_tenant(conn: Connection, tenant_ref: str) -> int | None:
    """The id of the tenant (not erased) with this tenant_ref."""
    found = conn.execute(
        select(tenants.c.id).where(tenants.c.tenant_ref == tenant_ref, tenants.c.status != "erased")
    ).scalar_one_or_none()
    return None if found is None else int(found)


def _messages(conn: Connection, tenant_id: int, case_ids: list[int]) -> list[dict[str, Any]]:
    m, o = messages.c, outbox.c
    mine = m.tenant_id == tenant_id
    query = (
        select(
            m.id,
            m.created_at,
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
    return _rows(conn, query)


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
    a = audit_log.c
    targets = [f"tenant:{tenant_id}", *(f"case:{c}" for c in case_ids)]
    found_audit = _rows(
        conn,
        select(audit_log)
        .where(or_(a.target.in_(targets), a.detail.contains(f"tenant:{tenant_id}", autoescape=True)))
        .order_by(a.id),
    )
    # `tenant:1` is inside `tenant:12`: a detail counts when it names this tenant as a whole word.
    named = re.compile(rf"(?<![\w:-])tenant:{tenant_id}(?![\w-])")
    audit = [e for e in found_audit if e["target"] in targets or named.search(e["detail"] or "")]
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


def to_json(data: dict[str, Any]) -> str:
    """The export as JSON text (UTF-8, indented)."""
    return json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n"


def _shown(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, indent=1, default=str)
    return str(value)


def render_html(data: dict[str, Any]) -> str:
    """The export as one readable HTML page (no script, no style: it is read as a file)."""
    return _env.get_template("export.html").render(data=data, shown=_shown)


async def export_tenant(db: Database, tenant_ref: str, now: datetime, actor: str, what: str = "json") -> dict[str, Any]:
    """Read everything about the tenant and audit the export; raises LookupError for no such tenant."""
    async with db.read() as conn:
        tenant_id = await conn.run_sync(find_tenant, tenant_ref)
        if tenant_id is None:
            raise LookupError(f'there is no tenant with tenant_ref "{tenant_ref}"')
        data: dict[str, Any] = await conn.run_sync(tenant_data, tenant_id, now)
    async with db.write() as conn:
        entry = {"at": now, "actor": actor, "action": "tenant.export", "target": f"tenant:{tenant_id}"}
        await conn.execute(audit_log.insert().values(**entry, detail=f"format={what}"))
    return data
