"""`GET /cases?status=&since=&after=&limit=`: cases with reason, outcome and dates; no notes, no messages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.datastructures import QueryParams

from bot.api.errors import ApiError, Problem
from bot.api.models import CaseList
from bot.api.tenant_view import case_out
from bot.host.cases import OPEN_STATUSES
from bot.settings import Settings
from bot.store.schema import cases, tenants
from bot.tenants.csv_rows import FieldReader, RowRules

__all__ = ["DEFAULT_LIMIT", "MAX_LIMIT", "STATUSES", "CaseQuery", "list_cases", "parse_query"]

# `open` stands for every status but closed.
STATUSES = ("open", *OPEN_STATUSES, "closed")
DEFAULT_LIMIT = 500
MAX_LIMIT = 1000
_KNOWN = ("status", "since", "after", "limit")


@dataclass(frozen=True, slots=True)
class CaseQuery:
    """The filters of one listing: the statuses (None: all), changed since, the id to start after, the page size."""

    statuses: tuple[str, ...] | None
    since: datetime | None
    after: int
    limit: int


def _whole(params: QueryParams, name: str, default: int, low: int, high: int, problems: list[Problem]) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isascii() or not raw.isdigit() or not low <= int(raw) <= high:
        problems.append(Problem(f"{name} must be a whole number from {low} to {high}", name))
        return default
    return int(raw)


def parse_query(params: QueryParams, rules: RowRules, settings: Settings) -> CaseQuery:
    """The query's filters; 422 naming every one that is wrong."""
    problems: list[Problem] = []
    known = ", ".join(_KNOWN)
    problems.extend(
        Problem(f"{name} is not a filter here (the filters are {known})", name) for name in params if name not in _KNOWN
    )
    # A filter given twice is not "either": only one would be read, and a client asking for two statuses would take
    # one status's cases for all of them.
    problems.extend(
        Problem(f"{name} is given {count} times: give it once", name)
        for name in _KNOWN
        if (count := len(params.getlist(name))) > 1
    )
    status = params.get("status", "")
    statuses: tuple[str, ...] | None = None
    if status == "open":
        statuses = OPEN_STATUSES
    elif status:
        if status in STATUSES:
            statuses = (status,)
        else:
            problems.append(Problem(f"status must be one of {', '.join(STATUSES)}", "status"))
    # The same date rule as everywhere in the API (the CSV import's): YYYY-MM-DD, a day in the calendar.
    read = FieldReader(0, {"since": params.get("since", "")})
    day = read.get("since", rules.day, None)
    problems.extend(Problem(e.reason, "since") for e in read.errors)
    since = None
    if day is not None:
        since = datetime.combine(day, time(0), ZoneInfo(settings.timezone)).astimezone(UTC)
    after = _whole(params, "after", 0, 0, 2**62, problems)
    limit = _whole(params, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT, problems)
    if problems:
        raise ApiError(422, "the query has problems", problems)
    return CaseQuery(statuses, since, after, limit)


async def list_cases(conn: AsyncConnection, query: CaseQuery) -> CaseList:
    """Cases in id order after `query.after`, changed on or after `since` (local midnight), of the statuses."""
    stmt = (
        select(cases, tenants.c.tenant_ref.label("ref"))
        .join(tenants, tenants.c.id == cases.c.tenant_id)
        .where(cases.c.id > query.after, tenants.c.status != "erased")
        .order_by(cases.c.id)
        .limit(query.limit + 1)
    )
    if query.statuses is not None:
        stmt = stmt.where(cases.c.status.in_(query.statuses))
    if query.since is not None:
        stmt = stmt.where(cases.c.updated_at >= query.since)
    rows = (await conn.execute(stmt)).all()
    page = rows[: query.limit]
    more = len(rows) > query.limit
    return CaseList(cases=[case_out(r, r.ref) for r in page], next_after=page[-1].id if more else None)
