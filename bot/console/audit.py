"""The audit log: who saw or changed what, when. Written by many pages, read (never edited) by admins."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Row, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.console import accounts, labels, sharing
from bot.console.outcome_charts import CHART_TITLES
from bot.console.outcome_period import STAGES
from bot.console.paging import page_of
from bot.console.sessions import StaffSession, guard
from bot.console.web import from_before_to, parse_day, render, runtime
from bot.i18n import N_, gettext
from bot.store.audit import names_in, record_entry
from bot.store.schema import audit_log, staff, tenants
from bot.store.staff_names import staff_name
from bot.tenants.audit_scope import about, is_tenant_target
from bot.tenants.export import audit_words

__all__ = ["AUDIT_WORDS", "PAGE_SIZE", "record", "record_shown", "routes"]

PAGE_SIZE = 100
# The filters, in the order of the form; the pager's links keep them.
_FILTERS = ("actor", "action", "target", "from", "to")
_DETAIL_LENGTH = 500  # an entry's detail is cut here
_REFS_AT_ONCE = 500  # tenant ids looked up in one query (SQLite limits its parameters)
# What an export was downloaded as (`tenant.export`'s `format=`).
_FORMAT_WORDS = {"html": N_("a readable page (HTML)"), "json": N_("the data (JSON)")}
# What a write through the API did (bot/api/payments.py, bot/api/tenants.py).
_BALANCE_WORDS = {"settled": N_("settled"), "owing": N_("still owing")}
_RESULT_WORDS = {"created": N_("created"), "updated": N_("updated"), "unchanged": N_("unchanged")}
# An entry in words, for this page and a tenant's readable export (bot/tenants/export.py, `audit_words`): what was
# done, and each `key=value` of a detail ("audit.detail.<key>", "…@<action>" for one action's; "audit.detail.step"
# a referral's steps, "audit.detail.step@<step>" its statuses).
AUDIT_WORDS = {
    "audit.action": labels.AUDIT_ACTION_LABELS,
    "audit.detail.channel": labels.CHANNEL_LABELS,
    "audit.detail.method": sharing.METHOD_LABELS,
    "audit.detail.recipient_kind": sharing.RECIPIENT_LABELS,
    "audit.detail.kinds": sharing.DATA_KIND_LABELS,
    "audit.detail.outcome": labels.OUTCOME_LABELS,
    "audit.detail.outcome@court.outcome": labels.COURT_OUTCOME_LABELS,
    "audit.detail.decision": sharing.DECISIONS,
    "audit.detail.meeting": labels.MEETING_LABELS,
    "audit.detail.format": _FORMAT_WORDS,
    # A text a volunteer or an adviser chose to send from a case, by its own words.
    "audit.detail.template": labels.MESSAGE_LABELS,
    "audit.detail.role": accounts.ROLE_LABELS,
    "audit.detail.scope": labels.API_SCOPE_LABELS,
    "audit.detail.balance@api.payment": _BALANCE_WORDS,
    "audit.detail.result@api.tenant.put": _RESULT_WORDS,
    "audit.detail.step": sharing.STEP_KINDS,
    # A download of the outcome page's figures: the chart by its heading, the stage as the page's choice names it.
    "audit.detail.chart@outcomes.export": CHART_TITLES,
    "audit.detail.stage@outcomes.export": {"": N_("all stages"), **STAGES},
    **{f"audit.detail.step@{kind}": statuses for kind, statuses in sharing.STEP_STATUSES.items()},
}


async def record(
    conn: AsyncConnection, at: datetime, actor: str, action: str, target: str | None = None, detail: str | None = None
) -> None:
    """Append one entry; there is no function that changes or removes one."""
    await record_entry(
        conn, at=at, actor=actor, action=action, target=target, detail=detail[:_DETAIL_LENGTH] if detail else None
    )


async def record_shown(conn: AsyncConnection, at: datetime, actor: str, action: str, shown: list[str]) -> None:
    """A list page's view: one entry per as many of the ids it showed (`case:7`, `task:9`, `tenant:4`) as a detail
    holds, so every one is named — a detail is cut at 500 characters, and an id cut off would leave its tenant's
    export and the audit filter without this view."""
    parts: list[str] = []
    for name in shown:
        if parts and len(parts[-1]) + 1 + len(name) <= _DETAIL_LENGTH:
            parts[-1] += "," + name
        else:
            parts.append(name)
    for part in parts:
        await record(conn, at, actor, action, None, part)


async def _tenant_refs(conn: AsyncConnection, entries: Sequence[Row[Any]]) -> dict[int, str]:
    """The reference of each tenant the entries' details name (`tenant:10`), as the console's other pages name them;
    an erased tenant has none (their entries say their number)."""
    named = (name.partition(":") for e in entries for name in names_in(e.detail))
    ids = sorted({int(number) for kind, _, number in named if kind == "tenant"})
    found: dict[int, str] = {}
    for start in range(0, len(ids), _REFS_AT_ONCE):
        query = select(tenants.c.id, tenants.c.tenant_ref).where(
            tenants.c.id.in_(ids[start : start + _REFS_AT_ONCE]), tenants.c.status != "erased"
        )
        found.update((int(tid), str(ref)) for tid, ref in await conn.execute(query))
    return found


def _day(raw: str, zone: ZoneInfo, name: str) -> datetime | None:
    """A filter's day as the start of that day in `zone`; none when the field is left empty."""
    if not raw.strip():
        return None
    return datetime.combine(parse_day(raw, name), time(0), zone)


def _actions_in_words(typed: str) -> list[str]:
    """The actions whose words, in the reader's language or in English, hold what was typed: the filter offers each
    action by its words, and a person may type them rather than choose the code."""
    wanted = " ".join(typed.casefold().split())
    return [
        code
        for code, words in labels.AUDIT_ACTION_LABELS.items()
        if wanted in gettext(words).casefold() or wanted in words.casefold()
    ]


@guard("admin")
async def _audit_page(request: Request, me: StaffSession) -> Response:
    q = request.query_params
    actor, action, target = q.get("actor", "").strip(), q.get("action", "").strip(), q.get("target", "").strip()
    zone = ZoneInfo(runtime(request).settings.timezone)
    since, until = _day(q.get("from", ""), zone, "from"), _day(q.get("to", ""), zone, "to")
    from_before_to(since.date() if since else None, until.date() if until else None)
    async with runtime(request).db.read() as conn:
        accounts_ = (await conn.execute(select(staff.c.id, staff.c.email, staff_name(), staff.c.role))).all()
    people = {f"staff:{row.id}": str(row.name) for row in accounts_}
    roles = {int(row.id): str(row.role) for row in accounts_}
    # A person is found by their name as the page shows it, or by the e-mail they sign in with; a name two people
    # share (or a name that is another's e-mail) finds them all.
    called: dict[str, list[str]] = {}
    for row in accounts_:
        for said in dict.fromkeys((str(row.name).lower(), str(row.email).lower())):
            called.setdefault(said, []).append(f"staff:{row.id}")
    chosen: list[ColumnElement[bool]] = []
    if actor:
        chosen.append(audit_log.c.actor.in_(called.get(actor.lower(), [actor])))
    if action:
        # A code's beginning ("case."), or the words of actions as the page shows them ("sendte en besked").
        meant = _actions_in_words(action)
        by_code = audit_log.c.action.startswith(action, autoescape=True)
        chosen.append(or_(by_code, audit_log.c.action.in_(meant)) if meant else by_code)
    if target:
        # A tenant's entries include those on their cases, court cases and tasks (the page says so).
        chosen.append(about(target))
    if since is not None:
        chosen.append(audit_log.c.at >= since)
    if until is not None:
        chosen.append(audit_log.c.at < until + timedelta(days=1))
    async with runtime(request).db.read() as conn:
        count = int((await conn.execute(select(func.count()).select_from(audit_log).where(*chosen))).scalar_one())
        page = page_of(request, "page", PAGE_SIZE, count, keep=_FILTERS)
        query = select(audit_log).where(*chosen).order_by(audit_log.c.id.desc())
        rows = (await conn.execute(query.offset(page.offset).limit(page.size))).all()
        refs = await _tenant_refs(conn, rows)
    return render(
        request,
        "audit.html",
        entries=rows,
        people=people,
        # The filter's actions to choose from, each in its words (the browser offers them as one types).
        actions=sorted(labels.AUDIT_ACTION_LABELS),
        # A detail in words, as a tenant's readable export says it; the stored detail stays beside it.
        detail_words=lambda e: (
            audit_words(e.action, e.detail, AUDIT_WORDS, staff=roles, zone=zone, tenant_refs=refs) if e.detail else None
        ),
        zone=zone,
        page=page,
        tenant_filter=is_tenant_target(target),
        filters={"actor": actor, "action": action, "target": target, "from": q.get("from", ""), "to": q.get("to", "")},
    )


def routes() -> list[BaseRoute]:
    """Read-only: GET only."""
    return [Route("/console/audit", _audit_page, methods=["GET"])]
