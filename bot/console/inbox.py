"""The advisers' inbox: open cases ordered by the legal clock, with filters."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Sequence
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.console.accounts import HOME_OF
from bot.console.audit import record_shown
from bot.console.crisis import CrisisHold, crisis_holds, hold_words
from bot.console.delivery import last_failed
from bot.console.ids import id_from
from bot.console.labels import CASE_STATUS_LABELS
from bot.console.paging import page_of
from bot.console.seen import seen_by_sessions
from bot.console.sessions import StaffSession, guard
from bot.console.unanswered import left_unanswered
from bot.console.web import FormError, local_day, money, now, redirect, render, runtime, today
from bot.host.cases import OPEN_STATUSES, consented_among, reply_channel
from bot.i18n import N_, Labels, ngettext
from bot.i18n import gettext as _
from bot.inbound.stopped import STOPPED_ASKED
from bot.store.schema import cases, messages, rent_positions, staff, tenants
from bot.store.staff_names import staff_name
from bot.tenants.court import NoticeDue, court_stage_termination, notices_due
from bot.tenants.erase import ERASED_PREFIX
from bot.tenants.names import first_name
from scheduler.urgency import case_priority, demand_deadline_of, urgency_of

__all__ = [
    "NOTICES_PAGE_SIZE",
    "ORIGINS",
    "OUTREACH_PREFIX",
    "OUTREACH_REASON",
    "PAGE_SIZE",
    "REASONS",
    "STATUS_FILTERS",
    "TENANT_ASKED",
    "TO_CHECK_PAGE_SIZE",
    "case_origin",
    "checks",
    "origin_words",
    "reason_words",
    "routes",
    "tell_apart",
    "urgency",
]

STATUS_FILTERS = ("open", *OPEN_STATUSES, "closed")
PAGE_SIZE = 50
# The case list's filters (`?status=waiting&mine=1`), which the links to its other pages keep.
_FILTERS = ("status", "mine")
# When two tenants in the list share a first name and a surname initial, this many last characters of the
# tenant_ref tell them apart.
REF_DIGITS = 4
# The tenants to check and the filings whose kommune notice is missing or late, under the first page of open cases: a
# page of each at a time (bot/console/paging.py), so neither list grows past what a page (and its audit entry) holds.
TO_CHECK_PAGE_SIZE = 50
NOTICES_PAGE_SIZE = 50
ORIGINS = {
    "handoff": N_("the tenant asked for an adviser"),
    "outreach": N_("urgent outreach"),
    "manual": N_("opened by hand"),
}
# The reason a case has when the tenant asked for an adviser and agreed to share (conversations/flows).
TENANT_ASKED = "tenant_asked"
REASONS = {
    TENANT_ASKED: N_("The tenant asked to talk to an adviser and agreed to share their answers."),
    # Opened by the words of a tenant who opted out (bot/inbound/stopped.py), a wish for a person or words of crisis,
    # which the reason does not tell apart: keephome writes nothing to them on its own, and after the carrier's STOP
    # no reply reaches them at all (after keephome's own AFMELD one does).
    STOPPED_ASKED: N_(
        "The tenant, who has opted out of keephome's messages, wrote something that needs a person: call them. "
        "keephome writes nothing to them on its own, and after the carrier's STOP no reply through keephome reaches "
        "them."
    ),
}
# How the reminder planner begins the reason of an urgent outreach case it opens.
OUTREACH_PREFIX = "urgent outreach: "
# Such a reason in the reader's words: the planner's own words for the legal dates (bot/reminders/plan.py) stay its
# English audit text, and the rent position says the dates.
OUTREACH_REASON = N_("urgent outreach: a termination or a court date is known (see the rent position)")


def reason_words(reason: str | None) -> str:
    """A case's or an event's reason: a known code in the reader's language, else as written."""
    if reason is None:
        return ""
    if reason.startswith(OUTREACH_PREFIX):
        return _(OUTREACH_REASON)
    return _(REASONS[reason]) if reason in REASONS else reason


def origin_words(origin: str) -> str:
    """How a case came about, in the reader's language."""
    return _(ORIGINS[origin]) if origin in ORIGINS else origin


def case_origin(case: Any) -> str:
    """How the case came about, in a few words (the rent position says the rest)."""
    origin = origin_words(case.origin)
    return f"{origin}: {case.reason}" if case.origin == "manual" else origin


def _relative(days: int) -> str:
    if days == 0:
        return _("today")
    if days > 0:
        return ngettext("in %(n)d day", "in %(n)d days", days) % {"n": days}
    return ngettext("%(n)d day ago", "%(n)d days ago", -days) % {"n": -days}


def urgency(position: Any, day: date, delivery_days: int = 0) -> str:
    """Why a case sits where it does in the queue, in a few words (the adviser's view of the legal clock).
    `position` is read as the legal clock reads it (`bot.tenants.court.clock_columns`: a termination called off
    no longer counts)."""
    if position is None or position.balance_as_of is None:
        return _("no rent position")
    stage, when = urgency_of(position, delivery_days)
    parts: list[str] = []
    if stage == "court" and when is not None:
        parts.append(
            _("court date %(day)s (%(when)s)") % {"day": local_day(when), "when": _relative((when - day).days)}
        )
    elif stage == "termination" and when is not None:
        values = {"day": local_day(when), "when": _relative((when - day).days)}
        if when <= day:
            parts.append(
                _("terminated %(day)s (%(when)s), in effect: the landlord may ask the fogedret to evict at any time")
                % values
            )
        else:
            parts.append(_("terminated %(day)s (%(when)s)") % values)
    elif stage == "demand" and when is not None:
        if position.demand_received_on is not None:
            letter = _("påkrav received %(day)s") % {"day": local_day(position.demand_received_on)}
        else:
            letter = _("påkrav sent %(day)s") % {"day": local_day(position.demand_sent_on)}
        values = {"letter": letter, "day": local_day(when), "when": _relative((when - day).days)}
        parts.append(_("%(letter)s, deadline about %(day)s (%(when)s)") % values)
    elif stage == "overdue" and when is not None:
        values = {"day": local_day(when), "when": _relative((when - day).days)}
        parts.append(_("rent unpaid since %(day)s (%(when)s)") % values)
    if position.balance_ore > 0:
        parts.append(_("owes %(amount)s") % {"amount": money(position.balance_ore)})
    return "; ".join(parts) or _("paid up")


def checks(position: Any, day: date, delivery_days: int = 0) -> list[str]:
    """What the tenant said that the adviser should check against the ledger while rent is owed: a running
    "I have paid", and a promise dated after the påkrav deadline (the reminders do not wait for either) or on or after
    the court date (the fogedret's meeting: a payment then may come too late to save the home)."""
    if position is None or position.balance_ore <= 0:
        return []
    found: list[str] = []
    if position.paid_claim_until is not None and position.paid_claim_until >= day:
        found.append(_("says paid — check"))
    deadline = demand_deadline_of(position, delivery_days)
    promise = position.promise_on
    if deadline is not None and promise is not None and promise >= day and promise > deadline:
        values = {"day": local_day(promise), "deadline": local_day(deadline)}
        found.append(_("promised to pay %(day)s, after the påkrav deadline %(deadline)s") % values)
    court = position.court_date
    if court is not None and promise is not None and promise >= court >= day:
        values = {"day": local_day(promise), "court": local_day(court)}
        found.append(_("promised to pay %(day)s, not before the court date %(court)s") % values)
    return found


def _priority(row: Any, day: date, delivery_days: int, raised: Collection[int] = ()) -> int:
    """The case's rank today (children under 18 in the household raise it; words of crisis the adviser may read,
    `raised` holds those tenants, put it first)."""
    return case_priority(_position(row), day, delivery_days, children=row.children, crisis=row.tenant_id in raised)


def _position(row: Any) -> Any | None:
    """The rent position columns of an inbox row, or None when the tenant has none."""
    return row if row.balance_as_of is not None else None


def tell_apart(people: Sequence[tuple[str, str]]) -> list[str]:
    """How the list names each tenant (`people` holds each one's full name and tenant_ref): the first name,
    plus the surname's initial when another tenant in the list shares that first name, plus the end of the
    tenant_ref when that is still not enough. Never the phone number."""
    firsts = [first_name(name) for name, _ in people]
    shared = Counter(firsts)
    labels = []
    for (name, _ref), first in zip(people, firsts, strict=True):
        words = name.split()
        initial = f" {words[-1][0]}." if shared[first] > 1 and len(words) > 1 else ""
        labels.append(first + initial)
    shared = Counter(labels)
    return [
        f"{label} ·{ref[-REF_DIGITS:]}" if shared[label] > 1 else label
        for label, (_, ref) in zip(labels, people, strict=True)
    ]


_CASE_COLUMNS = (
    cases,
    tenants.c.name.label("tenant_name"),
    tenants.c.tenant_ref,
    tenants.c.phone,
    tenants.c.telegram_chat_id,
    tenants.c.telegram_blocked,
    tenants.c.children,
    # Whether keephome may still write to the tenant (STOP, a wrong number): the row says so, not only the case page.
    tenants.c.status.label("tenant_status"),
    rent_positions.c.balance_ore,
    rent_positions.c.balance_as_of,
    rent_positions.c.demand_sent_on,
    rent_positions.c.demand_received_on,
    # The termination as the court stage counts it: none once a court case was called off on or after it (the
    # reminders' rule, bot.tenants.court.termination_called_off), so such a case no longer ranks as the court path.
    court_stage_termination().label("termination_on"),
    rent_positions.c.court_date,
    rent_positions.c.due_day,
    rent_positions.c.monthly_rent_ore,
    rent_positions.c.promise_on,
    rent_positions.c.paid_claim_until,
)


async def _page_facts(
    conn: AsyncConnection, rows: Sequence[Any]
) -> tuple[dict[int, Any], dict[int, Any], dict[int, str], set[int]]:
    """For the cases on one page only: assignees' e-mails, each tenant's last reply, failed last messages, and the
    tenants whose adviser consent stands."""
    tenant_ids = [int(r.tenant_id) for r in rows]
    staff_ids = {int(r.assignee_id) for r in rows if r.assignee_id is not None}
    emails: dict[int, Any] = {}
    if staff_ids:
        found = await conn.execute(select(staff.c.id, staff_name()).where(staff.c.id.in_(staff_ids)))
        emails = {int(i): e for i, e in found.all()}
    last_in: dict[int, Any] = {}
    if tenant_ids:
        found = await conn.execute(
            select(messages.c.tenant_id, func.max(messages.c.created_at))
            .where(messages.c.tenant_id.in_(tenant_ids), messages.c.direction == "in")
            .group_by(messages.c.tenant_id)
        )
        last_in = {int(t): at for t, at in found.all()}
    consented = await conn.run_sync(consented_among, tenant_ids)
    return emails, last_in, await last_failed(conn, tenant_ids), consented


@guard("admin", "adviser", "volunteer", "caretaker")
async def _inbox(request: Request, me: StaffSession) -> Response:
    if me.role in HOME_OF:
        return redirect(HOME_OF[me.role])
    status = request.query_params.get("status", "open")
    if status not in STATUS_FILTERS:
        raise FormError(
            N_("unknown status filter: choose one of %(statuses)s"),
            statuses=Labels(CASE_STATUS_LABELS[s] for s in STATUS_FILTERS),
        )
    mine = request.query_params.get("mine") == "1"
    query = (
        select(*_CASE_COLUMNS)
        .join(tenants, tenants.c.id == cases.c.tenant_id)
        .outerjoin(rent_positions, rent_positions.c.tenant_id == cases.c.tenant_id)
    )
    counted = select(func.count()).select_from(cases)
    if status == "closed":
        query = query.where(cases.c.status == "closed")
        counted = counted.where(cases.c.status == "closed")
    else:
        chosen = cases.c.status.in_(OPEN_STATUSES) if status == "open" else cases.c.status == status
        query, counted = query.where(chosen), counted.where(chosen)
    if mine:
        query, counted = (
            query.where(cases.c.assignee_id == me.staff_id),
            counted.where(cases.c.assignee_id == me.staff_id),
        )
    day = today(request)
    settings = runtime(request).settings
    delivery_days = settings.demand_delivery_days
    holds: dict[int, CrisisHold] = {}
    raised: set[int] = set()
    async with runtime(request).db.read() as conn:
        total = int((await conn.execute(counted)).scalar_one())
        # Its pager's links keep the filters that made the list, as every paged list's do (bot/console/paging.py).
        listing = page_of(request, "page", PAGE_SIZE, total, keep=_FILTERS)
        page = listing.number
        if status == "closed":
            # Closed cases newest first, one page read at a time.
            order = query.order_by(cases.c.closed_at.desc(), cases.c.id.desc())
            rows = list((await conn.execute(order.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE))).all())
            everyone = rows
        else:
            # Open cases are ranked by what the rent position says today (it may have changed since the case
            # was opened), so every open case is read and ranked before a page is cut from the list; first those
            # whose tenant wrote words of crisis in the last days, where their consent lets the adviser read them.
            everyone = list((await conn.execute(query)).all())
            ids = [int(r.tenant_id) for r in everyone]
            holds = await conn.run_sync(crisis_holds, ZoneInfo(settings.timezone), ids, day, settings.crisis_hold_days)
            raised = await conn.run_sync(consented_among, list(holds))
            everyone.sort(key=lambda r: (-_priority(r, day, delivery_days, raised), r.opened_at, r.id))
            rows = everyone[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        emails, last_in, failed, consented = await _page_facts(conn, rows)
        # What tenants wrote back to a volunteer's task that has left the volunteer, not answered (the adviser's).
        left = await conn.run_sync(left_unanswered, [int(r.id) for r in rows])
    # Names are told apart across the whole list, so a name reads the same on every page.
    names = dict(
        zip((r.id for r in everyone), tell_apart([(r.tenant_name, r.tenant_ref) for r in everyone]), strict=True)
    )
    items: list[dict[str, Any]] = [
        {
            "case": row,
            "who": names[row.id],
            # An erased tenant's case (closed) keeps no name or reference to show.
            "erased": row.tenant_ref.startswith(ERASED_PREFIX),
            "channel": reply_channel(row),
            # A closed case is not urgent: it shows its outcome instead (the template), and nothing to check.
            "urgency": None if row.status == "closed" else urgency(_position(row), day, delivery_days),
            # Why it is first: words of crisis, said only where the adviser may read them (bot/console/crisis.py).
            "crisis": hold_words(holds.get(row.tenant_id), True) if row.tenant_id in raised else None,
            # What the tenant told the bot (paid, a promise) is their answer: on a case only with their consent (an
            # urgent outreach without it shows what the organisation holds and the bot's own messages).
            "checks": (
                checks(_position(row), day, delivery_days)
                if row.tenant_id in consented and row.status != "closed"
                else []
            ),
            "origin": case_origin(row),
            # An open case whose tenant keephome may no longer write to (they opted out, even while a person holds
            # it; a wrong number): the adviser sees it in the list before opening the case to write.
            "unreachable": (row.tenant_status if row.tenant_status != "active" and row.status != "closed" else None),
            "assignee": emails.get(row.assignee_id) if row.assignee_id is not None else None,
            "last_in": last_in.get(row.tenant_id),
            "failed": failed.get(row.tenant_id),
            "left_unanswered": len(left.get(row.id, [])),
        }
        for row in rows
    ]
    to_check: list[dict[str, Any]] = []
    notices: list[NoticeDue] = []
    check_page = notices_page = None
    if status == "open" and not mine and page == 1:
        async with runtime(request).db.read() as conn:
            every_check = await _to_check(conn, day, delivery_days)
            # The same list as `keephome kommune-notices`: filings whose § 92 notice is missing or late.
            every_notice = await conn.run_sync(notices_due)
        check_page = page_of(request, "check", TO_CHECK_PAGE_SIZE, len(every_check))
        notices_page = page_of(request, "notices", NOTICES_PAGE_SIZE, len(every_notice))
        to_check, notices = check_page.cut(every_check), notices_page.cut(every_notice)
    # A view of tenants' data: audited with the cases and tenants shown, each once a session (the list refreshes
    # itself every 20 seconds).
    shown = (
        [f"case:{row.id}" for row in rows]
        + [f"tenant:{item['id']}" for item in to_check]
        + [f"tenant:{notice.tenant_id}" for notice in notices]  # a filing's tenant: their name and reference
    )
    seen = seen_by_sessions(request)
    new = seen.unseen(me.session_id, "inbox", shown)
    if new:
        async with runtime(request).db.write() as conn:
            await record_shown(conn, now(request), me.actor, "inbox.view", [str(i) for i in new])
        seen.shown(me.session_id, "inbox", new)
    first = (page - 1) * PAGE_SIZE
    return render(
        request,
        "inbox.html",
        closed=await _just_closed(request),
        items=items,
        to_check=to_check,
        check_page=check_page,
        notices=notices,
        notices_page=notices_page,
        status=status,
        mine=mine,
        statuses=STATUS_FILTERS,
        total=total,
        listing=listing,
        shown_from=first + 1 if items else 0,
        shown_to=first + len(items),
        failed_count=len(failed),
    )


async def _just_closed(request: Request) -> dict[str, Any] | None:
    """The case the adviser has just closed (`?closed=<id>`, where closing leads): its tenant's first name, and
    how many of its appointments with a volunteer the closing cancelled (`&cancelled=`). None for another link."""
    case_id = id_from(request.query_params.get("closed", ""))
    if case_id is None:
        return None
    async with runtime(request).db.read() as conn:
        row = (
            await conn.execute(
                select(cases.c.id, tenants.c.name)
                .join(tenants, tenants.c.id == cases.c.tenant_id)
                .where(cases.c.id == case_id, cases.c.status == "closed")
            )
        ).first()
    if row is None:
        return None
    cancelled = id_from(request.query_params.get("cancelled", "")) or 0
    return {"id": int(row.id), "name": first_name(row.name) if row.name else None, "cancelled": cancelled}


async def _to_check(conn: AsyncConnection, day: date, delivery_days: int) -> list[dict[str, Any]]:
    """Tenants whose word the adviser should check while a påkrav runs: usually there is no case yet. Only while the
    tenant's adviser consent stands: "I have paid" and a promised day are the tenant's answers, which the tenant's page
    and a case show only then (a listed tenant whose page then showed nothing would be a riddle, or a leak)."""
    rp = rent_positions.c
    query = (
        select(tenants.c.id, tenants.c.name, tenants.c.tenant_ref, rent_positions)
        .join(rent_positions, rp.tenant_id == tenants.c.id)
        .where(
            tenants.c.status != "erased",
            rp.balance_ore > 0,
            court_stage_termination().is_(None),
            rp.court_date.is_(None),
            rp.demand_sent_on.is_not(None) | rp.demand_received_on.is_not(None),
            (rp.paid_claim_until >= day) | (rp.promise_on >= day),
        )
    )
    rows = (await conn.execute(query)).all()
    consented = await conn.run_sync(consented_among, [row.id for row in rows])
    found = []
    for row in rows:
        if row.id not in consented:
            continue
        notes = checks(row, day, delivery_days)
        deadline = demand_deadline_of(row, delivery_days)
        if notes and deadline is not None:
            found.append(
                {
                    "id": row.id,
                    "first_name": first_name(row.name),
                    "ref": row.tenant_ref,
                    "notes": notes,
                    "deadline": deadline,
                }
            )
    found.sort(key=lambda item: (item["deadline"], item["id"]))
    return found


async def _console_root(request: Request) -> Response:
    return redirect("/console/")


def routes() -> list[BaseRoute]:
    """The inbox."""
    return [
        Route("/console", _console_root, methods=["GET"]),
        Route("/console/", _inbox, methods=["GET"]),
    ]
