"""The court path as data: the one writer of `court_cases` and `rent_events`.

A filing with the fogedret (`court_filed_on`) or a court date that arrives by import, API or console opens a court
case when no open one exists; a new, later filing while an old one is open closes the old one first. The open
case's filing day and court date are mirrored into the rent position (`court_filed_on`, `court_date`), which is what
the reminders, the urgency and the inbox read. A step of the path is a `rent_events` row the first time it is seen
(unique by tenant, kind and day), so a re-import adds nothing — and a date already seen never moves the case again:
a stale ledger that still carries a court date the adviser recorded as called off, or the date before a
postponement, changes nothing. An empty cell changes nothing either.

An adviser records the rest in the console (bot/console/court.py): the retskreds, the kind of meeting, whether the
court reached the tenant by phone, and the outcome — called off (after payment or agreement: the case closes and
the rent position's court dates clear, so court-stage reminders end, and the termination behind it no longer counts
as the court stage: `termination_called_off` is that one rule, read by the reminders, the inbox and the pages'
legal clock), postponed (a new court date, after today and
after the one it replaces, so the court-eve reminder moves), carried out or moved out (the case closes and the
tenant's status becomes `moved_out` through the one writer of tenant status, so nothing proactive goes any more);
no outcome comes before the filing day. The kommune notice of almenlejeloven § 92 stk. 2 is due no later than the
filing day: `notices_due` lists every filing whose notice is missing or late, for `keephome kommune-notices` and
the inbox alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, bindparam, exists, insert, null, or_, select, type_coerce, update
from sqlalchemy import case as sql_case

from bot.i18n import N_, Explained, local_day
from bot.store.dialect import insert_for
from bot.store.schema import court_cases, rent_events, rent_positions, tenants
from bot.tenants.status import set_status

__all__ = [
    "EVENT_KINDS",
    "MEETING_KINDS",
    "OUTCOMES",
    "CourtError",
    "CourtFacts",
    "CourtView",
    "Mirror",
    "NoticeDue",
    "Step",
    "apply_court_facts",
    "clock_columns",
    "clock_position",
    "court_stage_termination",
    "court_view",
    "notice_case",
    "notices_due",
    "record_details",
    "record_filing",
    "record_notice_sent",
    "record_outcome",
    "termination_called_off",
]

EVENT_KINDS = (
    "demand",
    "termination",
    "filing",
    "court_date",
    "postponed",
    "called_off",
    "carried_out",
    "moved_out",
    "kommune_notified",
)
# What became of a court case: the first closes it and ends the court stage; postponed moves the court date; the
# last two close it and the tenant has left the home.
OUTCOMES = ("called_off", "postponed", "carried_out", "moved_out")
_LEFT_HOME = ("carried_out", "moved_out")
MEETING_KINDS = ("court", "address")
_MOVABLE_FROM = ("active", "stopped", "wrong_number")


class CourtError(Explained, ValueError):
    """What an adviser asked cannot be done to the court path as it stands (no open court case, say)."""


@dataclass(frozen=True, slots=True)
class CourtFacts:
    """The dates of the rent path one import row (or API item) carries for a tenant; None: not given."""

    tenant_id: int
    demand_sent_on: date | None = None
    termination_on: date | None = None
    court_filed_on: date | None = None
    court_date: date | None = None
    kommune_notified_on: date | None = None


def _events(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Add events; one already seen (the same tenant, kind and day) is left as it was."""
    if rows:
        stmt = insert_for(conn, rent_events).on_conflict_do_nothing(
            index_elements=[rent_events.c.tenant_id, rent_events.c.kind, rent_events.c.on]
        )
        conn.execute(stmt, list(rows))


def _event(
    tenant_id: int, kind: str, on: date, case: dict[str, Any] | int | None, source: str, now: datetime
) -> dict[str, Any]:
    """An event row; `case` is the court case (its dict, whose id a new case gets later, or its id)."""
    return {"tenant_id": tenant_id, "kind": kind, "on": on, "court_case_id": case, "source": source, "seen_at": now}


def _with_case_ids(events: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for e in events:
        case = e["court_case_id"]
        rows.append({**e, "court_case_id": case["id"] if isinstance(case, dict) else case})
    return rows


def _open_cases(conn: Connection, tenant_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    cc = court_cases.c
    found: dict[int, dict[str, Any]] = {}
    query = select(court_cases).where(cc.tenant_id.in_(list(tenant_ids)), cc.status == "open").order_by(cc.id)
    for row in conn.execute(query).mappings():
        found[int(row["tenant_id"])] = dict(row)  # the latest open one, should there ever be two
    return found


def _seen_dates(conn: Connection, tenant_ids: Sequence[int]) -> set[tuple[int, str, date]]:
    """Every step already recorded for these tenants (tenant, kind, day)."""
    e = rent_events.c
    query = select(e.tenant_id, e.kind, e.on).where(e.tenant_id.in_(list(tenant_ids)))
    return {(int(t), str(k), d) for t, k, d in conn.execute(query)}


def _new_case(
    conn: Connection, tenant_id: int, filed_on: date | None, court_date: date | None, now: datetime
) -> dict[str, Any]:
    """A court case to insert with the others of the batch (`_insert_new`): its id comes then."""
    return {
        "tenant_id": tenant_id,
        "filed_on": filed_on,
        "court_date": court_date,
        "kommune_notified_on": None,
        "status": "open",
        "opened_at": now,
        "updated_at": now,
        "id": None,
    }


_NEW_COLUMNS = ("tenant_id", "filed_on", "court_date", "kommune_notified_on", "status", "opened_at", "updated_at")


def _insert_new(conn: Connection, cases: Sequence[dict[str, Any]]) -> None:
    """The batch's new court cases in one statement; each gets its id."""
    if cases:
        stmt = insert(court_cases).returning(court_cases.c.id, sort_by_parameter_order=True)
        ids = conn.execute(stmt, [{k: c[k] for k in _NEW_COLUMNS} for c in cases]).scalars().all()
        for case, case_id in zip(cases, ids, strict=True):
            case["id"] = int(case_id)


def _save(conn: Connection, case: dict[str, Any], now: datetime, **values: Any) -> None:
    case.update(values)
    if case["id"] is not None:  # a new case is written whole by _insert_new
        conn.execute(update(court_cases).where(court_cases.c.id == case["id"]).values(**values, updated_at=now))


def _dates(tenant_ids: Iterable[int], open_cases: dict[int, dict[str, Any]]) -> Mirror:
    found: Mirror = {}
    for tid in tenant_ids:
        case = open_cases.get(tid)
        found[tid] = (None, None) if case is None else (case["filed_on"], case["court_date"])
    return found


def _mirror(conn: Connection, dates: Mirror) -> None:
    """The rent position's court dates are the open court case's (none without one)."""
    params = [{"tid": tid, "filed": filed, "court": court} for tid, (filed, court) in dates.items()]
    if params:
        stmt = (
            update(rent_positions)
            .where(rent_positions.c.tenant_id == bindparam("tid"))
            .values(
                court_filed_on=bindparam("filed", type_=rent_positions.c.court_filed_on.type),
                court_date=bindparam("court", type_=rent_positions.c.court_date.type),
            )
        )
        conn.execute(stmt, params)


def _stamp_notice(
    conn: Connection, case: dict[str, Any], notified: date, events: list[dict[str, Any]], now: datetime, source: str
) -> None:
    """The kommune notice's day on the open case: the earliest day said counts (the notice is due no later than the
    filing), so a later day changes nothing and an earlier one — a correction — replaces it, with its event."""
    if case["kommune_notified_on"] is None or notified < case["kommune_notified_on"]:
        _save(conn, case, now, kommune_notified_on=notified)
    if case["kommune_notified_on"] == notified:
        events.append(_event(case["tenant_id"], "kommune_notified", notified, case, source, now))


def _apply_one(
    conn: Connection,
    f: CourtFacts,
    case: dict[str, Any] | None,
    seen: set[tuple[int, str, date]],
    events: list[dict[str, Any]],
    now: datetime,
    source: str,
) -> dict[str, Any] | None:
    """One tenant's facts: returns the tenant's open court case afterwards (None without one)."""
    tid, filed, court = f.tenant_id, f.court_filed_on, f.court_date
    if filed is not None and (tid, "filing", filed) not in seen:
        if case is not None and case["filed_on"] is not None and case["filed_on"] < filed:
            # A new, later filing: the old case is over (its outcome was never recorded).
            _save(conn, case, now, status="closed", closed_at=now)
            case = None
        if case is None:
            case = _new_case(conn, tid, filed, court, now)
        elif case["filed_on"] is None:
            _save(conn, case, now, filed_on=filed)
        seen.add((tid, "filing", filed))
        events.append(_event(tid, "filing", filed, case if case["filed_on"] == filed else None, source, now))
    if court is not None and (tid, "court_date", court) not in seen:
        if case is None:
            case = _new_case(conn, tid, filed, court, now)
        elif case["court_date"] != court:
            _save(conn, case, now, court_date=court)
        seen.add((tid, "court_date", court))
        events.append(_event(tid, "court_date", court, case, source, now))
    if f.kommune_notified_on is not None and case is not None and case["filed_on"] is not None:
        _stamp_notice(conn, case, f.kommune_notified_on, events, now, source)
    for kind, on in (("demand", f.demand_sent_on), ("termination", f.termination_on)):
        if on is not None:
            events.append(_event(tid, kind, on, None, source, now))
    return case


Mirror = dict[int, tuple[date | None, date | None]]


def apply_court_facts(
    conn: Connection, facts: Sequence[CourtFacts], now: datetime, source: str, *, mirror: bool = True
) -> Mirror:
    """Open, move and stamp court cases from what an import, the API or the console says, and record each step
    first seen (inside the caller's transaction). Returns each tenant's (court_filed_on, court_date) as the rent
    position must hold them: the open court case's, or none. With `mirror` they are written here; an import
    writes them with the rent position itself (bot/tenants/upsert.py)."""
    if not facts:
        return {}
    ids = [f.tenant_id for f in facts]
    opened = _open_cases(conn, ids)
    known = _seen_dates(conn, ids)
    seen = set(known)
    events: list[dict[str, Any]] = []
    for f in facts:
        case = _apply_one(conn, f, opened.get(f.tenant_id), seen, events, now, source)
        if case is not None:
            opened[f.tenant_id] = case
    _insert_new(conn, [case for case in opened.values() if case["id"] is None])
    _events(conn, _with_case_ids(e for e in events if (e["tenant_id"], e["kind"], e["on"]) not in known))
    dates = _dates(ids, opened)
    if mirror:
        _mirror(conn, dates)
    return dates


def termination_called_off(
    tenant_id: ColumnElement[Any] = rent_positions.c.tenant_id,
    termination_on: ColumnElement[Any] = rent_positions.c.termination_on,
) -> ColumnElement[bool]:
    """The one rule for when a termination no longer counts as the court stage: a court case of the tenant was
    called off (after payment or agreement) on or after the termination's day. The ledger may go on carrying the
    termination; a later termination counts again. SQL, correlated with the query it stands in (by default one
    that reads `rent_positions`): the reminders' snapshots (bot/reminders/reads.py), the inbox's ranking and the
    legal clock the case and tenant pages show all read it here."""
    cc = court_cases.c
    return exists().where(cc.tenant_id == tenant_id, cc.outcome == "called_off", cc.outcome_on >= termination_on)


def court_stage_termination(
    tenant_id: ColumnElement[Any] = rent_positions.c.tenant_id,
    termination_on: ColumnElement[Any] = rent_positions.c.termination_on,
) -> ColumnElement[date | None]:
    """The termination as the court stage counts it: the rent position's, or NULL once it was called off
    (`termination_called_off`)."""
    chosen = sql_case((termination_called_off(tenant_id, termination_on), null()), else_=termination_on)
    return type_coerce(chosen, rent_positions.c.termination_on.type)


def clock_columns() -> list[ColumnElement[Any]]:
    """The rent position's columns as the legal clock (`scheduler.urgency`) reads them: `termination_on` is the
    court stage's (`court_stage_termination`), `ledger_termination_on` the ledger's as it stands."""
    rp = rent_positions.c
    chosen: list[ColumnElement[Any]] = [
        court_stage_termination().label("termination_on") if c.name == "termination_on" else c for c in rp
    ]
    return [*chosen, rp.termination_on.label("ledger_termination_on")]


def clock_position(conn: Connection, tenant_id: int) -> Any | None:
    """A tenant's rent position as the legal clock reads it (`clock_columns`), or None without one."""
    query = select(*clock_columns()).where(rent_positions.c.tenant_id == tenant_id)
    return conn.execute(query).first()


def _open_case(conn: Connection, tenant_id: int) -> dict[str, Any]:
    case = _open_cases(conn, [tenant_id]).get(tenant_id)
    if case is None:
        raise CourtError(N_("there is no open court case: record the filing first"))
    return case


def record_details(
    conn: Connection,
    tenant_id: int,
    now: datetime,
    *,
    retskreds: str | None,
    meeting_kind: str | None,
    reached_by_phone: bool | None,
) -> int:
    """The retskreds, the kind of meeting (at the court or at the address) and whether the court reached the
    tenant by phone, on the open court case; returns its id."""
    if meeting_kind is not None and meeting_kind not in MEETING_KINDS:
        raise CourtError(N_("unknown kind of meeting %(kind)s"), kind=repr(meeting_kind))
    case = _open_case(conn, tenant_id)
    _save(conn, case, now, retskreds=retskreds, meeting_kind=meeting_kind, reached_by_phone=reached_by_phone)
    return int(case["id"])


def _check_postponed(case: dict[str, Any], new_court_date: date, today: date) -> None:
    """A postponement moves the court meeting later: after today and after the date it replaces (a date in the
    past would be a meeting that never happens, counted and reminded of as if it were coming)."""
    if new_court_date <= today:
        raise CourtError(N_("the new court date must be after today, %(today)s"), today=local_day(today))
    old = case["court_date"]
    if old is not None and new_court_date <= old:
        raise CourtError(N_("the new court date must be after %(day)s, the court date it replaces"), day=local_day(old))


def record_outcome(
    conn: Connection,
    tenant_id: int,
    outcome: str,
    on: date,
    now: datetime,
    *,
    today: date,
    new_court_date: date | None = None,
    source: str = "console",
) -> int:
    """What became of the open court case on `on`; returns its id. Called off: closed, court dates cleared.
    Postponed: the court date becomes `new_court_date`. Carried out or moved out: closed, and the tenant's status
    becomes moved_out (nothing proactive goes any more). `today` is the organisation's day (`local_today`; `now`'s
    UTC date is the day before in Copenhagen's first hour or two)."""
    if outcome not in OUTCOMES:
        raise CourtError(N_("unknown outcome %(outcome)s"), outcome=repr(outcome))
    case = _open_case(conn, tenant_id)
    if case["filed_on"] is not None and on < case["filed_on"]:
        raise CourtError(
            N_("the court case cannot end on %(day)s: it was filed on %(filed)s"),
            day=local_day(on),
            filed=local_day(case["filed_on"]),
        )
    events = [_event(tenant_id, outcome, on, case["id"], source, now)]
    if outcome == "postponed":
        if new_court_date is None:
            raise CourtError(N_("a postponement needs the new court date"))
        _check_postponed(case, new_court_date, today)
        _save(conn, case, now, court_date=new_court_date)
        events.append(_event(tenant_id, "court_date", new_court_date, case["id"], source, now))
        opened = {tenant_id: case}
    else:
        _save(conn, case, now, status="closed", outcome=outcome, outcome_on=on, closed_at=now)
        opened = {}
    _events(conn, events)
    _mirror(conn, _dates([tenant_id], opened))
    if outcome in _LEFT_HOME:
        set_status(conn, tenant_id, "moved_out", now, only_from=_MOVABLE_FROM)
    return int(case["id"])


def record_filing(
    conn: Connection, tenant_id: int, filed_on: date, court_date: date | None, now: datetime, source: str = "console"
) -> None:
    """A filing (and its court date, when known) an adviser learned of: as an import would bring it."""
    if court_date is not None and court_date < filed_on:
        raise CourtError(N_("the court date is before the filing day"))
    apply_court_facts(conn, [CourtFacts(tenant_id, court_filed_on=filed_on, court_date=court_date)], now, source)


def notice_case(conn: Connection, tenant_id: int) -> Any | None:
    """The court case a kommune notice is about: the open one when it has a filing day, else the latest filing."""
    cc = court_cases.c
    query = (
        select(court_cases)
        .where(cc.tenant_id == tenant_id, cc.filed_on.is_not(None))
        .order_by((cc.status == "open").desc(), cc.filed_on.desc(), cc.id.desc())
        .limit(1)
    )
    return conn.execute(query).first()


def record_notice_sent(conn: Connection, tenant_id: int, on: date, now: datetime, source: str = "console") -> int:
    """The kommune was notified of the filing on `on`: stamps the notice's court case; returns its id."""
    case = notice_case(conn, tenant_id)
    if case is None:
        raise CourtError(N_("no filing is recorded for this tenant"))
    conn.execute(update(court_cases).where(court_cases.c.id == case.id).values(kommune_notified_on=on, updated_at=now))
    _events(conn, [_event(tenant_id, "kommune_notified", on, int(case.id), source, now)])
    return int(case.id)


@dataclass(frozen=True, slots=True)
class NoticeDue:
    """A filing whose kommune notice is missing or came after the filing day. Never the children flag: the
    notice carries that a rent case was filed, with the tenant's name and address, and nothing more."""

    tenant_id: int
    tenant_ref: str
    name: str
    address: str | None
    court_filed_on: date
    kommune_notified_on: date | None

    @property
    def late(self) -> bool:
        """Notified, but after the filing day."""
        return self.kommune_notified_on is not None


def notices_due(conn: Connection, limit: int | None = None) -> list[NoticeDue]:
    """Every filing whose kommune notice is missing or later than the filing day, missing first, oldest filing
    first (the CLI's `keephome kommune-notices` and the inbox's "kommune not notified")."""
    cc, t = court_cases.c, tenants.c
    query = (
        select(t.id, t.tenant_ref, t.name, t.address, cc.filed_on, cc.kommune_notified_on)
        .join(tenants, t.id == cc.tenant_id)
        .where(
            t.status != "erased",
            cc.filed_on.is_not(None),
            or_(cc.kommune_notified_on.is_(None), cc.kommune_notified_on > cc.filed_on),
        )
        .order_by(cc.kommune_notified_on.is_not(None), cc.filed_on, cc.id)
    )
    if limit is not None:
        query = query.limit(limit)
    return [NoticeDue(int(r[0]), r[1], r[2], r[3], r[4], r[5]) for r in conn.execute(query)]


@dataclass(frozen=True, slots=True)
class Step:
    """One dated step of the rent path. `shown` is what the step reads as now: its `kind`, except for a court date
    that is no longer the court date — `court_date_moved` (a postponement replaced it) or `court_date_called_off`
    (the last court date of a case called off before that day)."""

    kind: str
    on: date
    source: str | None
    court_case_id: int | None
    shown: str


@dataclass(frozen=True, slots=True)
class CourtView:
    """A tenant's court path as the case page shows it."""

    open_case: Any | None
    cases: list[Any]
    events: list[Step]


def _shown(kind: str, on: date, case: Any | None) -> str:
    """What a step reads as: a court date its case moved away from, or the one a called-off case ended with, is
    no longer the court date."""
    if kind != "court_date" or case is None:
        return kind
    if case.court_date != on:
        return "court_date_moved"
    # Called off before the court met (a date already passed then was a meeting that took place).
    if case.status != "open" and case.outcome == "called_off" and (case.outcome_on is None or case.outcome_on < on):
        return "court_date_called_off"
    return kind


def court_view(conn: Connection, tenant_id: int) -> CourtView:
    """The tenant's court cases (newest first) and the steps of the rent path (in date order)."""
    cc, e = court_cases.c, rent_events.c
    found = list(conn.execute(select(court_cases).where(cc.tenant_id == tenant_id).order_by(cc.id.desc())))
    by_id = {int(c.id): c for c in found}
    rows = conn.execute(
        select(e.kind, e.on, e.source, e.court_case_id).where(e.tenant_id == tenant_id).order_by(e.on, e.id)
    )
    steps = [
        Step(kind, on, source, case_id, _shown(kind, on, by_id.get(case_id) if case_id is not None else None))
        for kind, on, source, case_id in rows
    ]
    return CourtView(next((c for c in found if c.status == "open"), None), found, steps)
