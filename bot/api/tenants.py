"""Writing tenants through the API: `PUT /tenants/{tenant_ref}` and `POST /tenants/bulk`.

Each item is checked by the CSV import's validator (`check_row`: E.164, languages, dates, control
characters, money; `Duplicates`: a tenant_ref or number twice in one bulk) and written by the import's own
writer (`upsert_rows`), in one transaction with the audit entry and the Idempotency-Key's answer: all or
nothing. A balance the write shows settled ends the tenant's waiting reminder conversation the same day
(`balance_updated`, as an import does); a court or termination date opens the urgent case at once
(`bot/api/urgent.py`), right after the commit. Should that fail, the write stays saved and answers what it saved
(the same answer a repeat with its Idempotency-Key gets); the failure is logged, and the next morning's planning opens
the case (its court rule finds the date), as it does for a date that came by import.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.api.auth import Caller
from bot.api.errors import EMPTY_REF, ApiError, Problem, from_row_errors
from bot.api.idempotency import Answer, Claim, claim
from bot.api.models import BulkTenant, BulkWritten, Misfit, Notice, TenantIn, TenantWritten, problems_found
from bot.api.urgent import open_urgent_cases
from bot.reminders.timers import balance_updated
from bot.settings import Settings
from bot.store.audit import record_entry
from bot.store.db import Database
from bot.store.schema import tenants
from bot.tenants.csv_rows import Duplicates, ImportRow, RowError, RowRules, check_row, known_languages, local_today
from bot.tenants.upsert import CHUNK, ImportRefused, ImportSummary, stops_since, upsert_rows

__all__ = ["Write", "checked_rows", "put_tenant", "rules_for", "write_bulk"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Write:
    """One API write as the routes hand it over: who, when, and its Idempotency-Key and fingerprint."""

    caller: Caller
    now: datetime
    idempotency_key: str | None
    fingerprint: str


def rules_for(settings: Settings, now: datetime) -> RowRules:
    """The CSV import's field rules, as the API writes fields: decimal points and YYYY-MM-DD only."""
    return RowRules(
        danish=False,
        today=local_today(now, settings.timezone),
        languages=known_languages(),
        enabled=frozenset(settings.language_list),
        fallback=settings.fallback_language,
        iso_dates=True,
    )


def _raw(value: object) -> str:
    """A JSON value as the text a CSV cell would hold."""
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def checked_rows(
    items: Sequence[tuple[int, str | None, BaseModel | Misfit]],
    rules: RowRules,
    *,
    indexed: bool,
    found: Sequence[Problem] = (),
    notices: list[Problem] | None = None,
) -> list[ImportRow]:
    """Every item (index, the tenant_ref it is written under or None for its own, the model or what did not fit)
    checked as a CSV row is; 422 listing every problem of every item, with those `found` before. `notices` gets what
    the caller should know of items written as they are (a language not enabled here), as the CSV import says it."""
    rows: list[ImportRow] = []
    errors: list[RowError] = []
    problems = list(found)
    refused: set[tuple[int | None, str | None]] = set()  # fields whose JSON type was wrong: said once, not twice
    seen = Duplicates(unit="item")
    for index, ref, item in items:
        if isinstance(item, Misfit):
            problems.extend(item.problems)
            refused.update((p["index"], p["field"]) for p in item.problems)
            if item.fitting is None:
                continue
            values = {name: _raw(value) for name, value in item.fitting.items() if value is not None}
        else:
            values = {name: _raw(value) for name, value in item.model_dump(exclude_none=True).items()}
        if ref is not None:
            values["tenant_ref"] = ref
        parsed = check_row(index, values, rules)
        if isinstance(parsed, list):
            repeat = seen.clash_of_refused(index, values, rules)
            errors.extend(parsed if repeat is None else [*parsed, repeat])
            continue
        # An item with a misfit (an unknown field, a wrong JSON type) is still checked against the others, so one
        # 422 names its duplicate tenant_ref or number too; it is never written.
        clash = seen.clash(parsed)
        if clash is not None:
            errors.append(clash)
        elif not isinstance(item, Misfit):
            rows.append(parsed)
            if notices is not None:
                notices.extend(
                    Problem(n.reason, n.column, index if indexed else None)
                    for n in rules.notices(index, values, parsed)
                )
    problems += [p for p in from_row_errors(errors, indexed=indexed) if (p["index"], p["field"]) not in refused]
    if problems:
        problems.sort(key=lambda p: p["index"] or 0)
        raise ApiError(422, problems_found(len(problems)), problems)
    return rows


def _quiet(notices: Sequence[Problem], said_stop_before: int) -> set[str]:
    """An answer names `notices`, and the tenants whose number had said STOP, only when there are some: the answers
    before them stay as they were."""
    quiet = set() if notices else {"notices"}
    if not said_stop_before:
        quiet.add("said_stop_before")
    return quiet


async def _ids(conn: AsyncConnection, refs: Sequence[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for start in range(0, len(refs), CHUNK):
        query = select(tenants.c.tenant_ref, tenants.c.id).where(tenants.c.tenant_ref.in_(refs[start : start + CHUNK]))
        found.update((str(ref), int(tid)) for ref, tid in await conn.execute(query))
    return found


@dataclass(frozen=True, slots=True)
class _Outcome:
    """How a write answers and what its audit entry says, given what the upsert did."""

    action: str
    answer: Callable[[ImportSummary], Answer]
    detail: Callable[[ImportSummary], str]  # `key=value`s, after the key's name (bot/tenants/export.py words them)
    one_tenant: bool  # the audit entry names the tenant


async def _write(
    db: Database, settings: Settings, req: Write, rows: Sequence[ImportRow], outcome: _Outcome, *, indexed: bool
) -> Answer:
    """Upsert the rows with their consequences, the audit entry and the stored answer, in one transaction."""
    legal = [r.tenant_ref for r in rows if r.court_date is not None or r.termination_on is not None]
    async with db.write() as conn:
        held = await claim(conn, req.caller.key_id, req.idempotency_key, req.fingerprint, req.now)
        if isinstance(held, Answer):
            return held
        try:
            summary = await upsert_rows(
                conn, rows, req.now, secret_key=settings.secret_key, source="api", batch="request"
            )
        except ImportRefused as exc:
            problems = from_row_errors(exc.errors, indexed=indexed)
            raise ApiError(422, problems_found(len(problems)), problems) from None
        if summary.settled_ids:
            await conn.run_sync(balance_updated, summary.settled_ids, req.now, settings)
        if outcome.one_tenant and summary.erased_skipped:
            reason = f'tenant_ref "{rows[0].tenant_ref}" was erased: send "reactivate": true to create it anew'
            raise ApiError(409, "the tenant was erased; nothing was written", [Problem(reason, "reactivate")])
        # An erased tenant_ref a bulk left out has no row of that name: it opens nothing.
        ids = await _ids(conn, [*legal, *([rows[0].tenant_ref] if outcome.one_tenant else [])])
        answer = outcome.answer(summary)
        await record_entry(
            conn,
            at=req.now,
            actor=req.caller.actor,
            action=outcome.action,
            target=f"tenant:{ids[rows[0].tenant_ref]}" if outcome.one_tenant else None,
            detail=f'key "{req.caller.name}" {outcome.detail(summary)}'[:500],
        )
        if held is not None:
            await held.remember(conn, answer.status, answer.body)
    if summary.numbers_given:
        answer = await _stops_since(db, summary, req, settings, answer, outcome.answer, held)
    urgent = [ids[ref] for ref in legal if ref in ids]
    if urgent:
        await _open_urgent(db, urgent, req, settings)
    return answer


async def _stops_since(
    db: Database,
    summary: ImportSummary,
    req: Write,
    settings: Settings,
    answer: Answer,
    answer_for: Callable[[ImportSummary], Answer],
    held: Claim | None,
) -> Answer:
    """A STOP from a number the write gave, kept while it ran, is found now that both are committed; the answer (and
    the one a repeat gets) counts that tenant too. A failure is not the client's, as for `_open_urgent`: the write is
    saved and its answer stands."""
    try:
        async with db.write() as conn:
            late = await stops_since(conn, summary, req.now, settings.secret_key)
            if late is summary:
                return answer
            told = answer_for(late)
            if held is not None:
                await held.remember(conn, told.status, told.body)
        return told  # committed: the tenant is stopped, and a repeat hears so too
    except Exception:
        log.exception(
            'API key "%s": the write was saved, but looking for a STOP said meanwhile from a number it gave failed: '
            "such a tenant is active until they say STOP again",
            req.caller.name,
        )
        return answer


async def _open_urgent(db: Database, tenant_ids: Sequence[int], req: Write, settings: Settings) -> None:
    """Open the urgent cases of a committed write. A failure is not the client's: the tenants are saved and the
    answer (already stored under the Idempotency-Key) says so; a 500 would have the client repeat a write that
    was done."""
    try:
        await open_urgent_cases(db, tenant_ids, req.now, settings)
    except Exception:
        log.exception(
            'API key "%s": the write was saved, but opening the urgent case of tenant id(s) %s failed; the '
            "next morning's planning opens it, or run `keephome remind` to open it now once the error below is fixed",
            req.caller.name,
            ", ".join(str(i) for i in tenant_ids),
        )


async def put_tenant(db: Database, settings: Settings, req: Write, path_ref: str, item: TenantIn | Misfit) -> Answer:
    """Create (201) or update (200) one tenant."""
    if not path_ref:
        raise ApiError(422, problems_found(1), [Problem(EMPTY_REF, "tenant_ref")])
    body_ref = item.tenant_ref if isinstance(item, TenantIn) else (item.fitting or {}).get("tenant_ref")
    found = []
    if body_ref is not None and body_ref != path_ref:
        reason = f'tenant_ref "{body_ref}" in the body differs from "{path_ref}" in the path: send the same, or none'
        found.append(Problem(reason, "tenant_ref"))
    notices: list[Problem] = []
    rules = rules_for(settings, req.now)
    (row,) = checked_rows([(0, path_ref, item)], rules, indexed=False, found=found, notices=notices)
    if row.tenant_ref != path_ref:
        # The import stores a reference with its spaces tidied; a URL that differs from it would be created here and
        # then be a 404 on GET, DELETE and payments.
        reason = (
            f'tenant_ref "{path_ref}" in the path has spaces at its ends or several in a row: it is stored as '
            f'"{row.tenant_ref}", so write that in the path'
        )
        raise ApiError(422, problems_found(1), [Problem(reason, "tenant_ref")])

    def result(summary: ImportSummary) -> Literal["created", "updated", "unchanged"]:
        if summary.created:
            return "created"
        return "unchanged" if summary.unchanged else "updated"

    def answer(summary: ImportSummary) -> Answer:
        body = TenantWritten(
            tenant_ref=row.tenant_ref,
            result=result(summary),
            older_balance_kept=summary.older_balances_kept > 0,
            said_stop_before=summary.said_stop_before > 0,
            notices=[Notice.model_validate(n) for n in notices],
        )
        exclude = _quiet(notices, summary.said_stop_before)
        return Answer(201 if summary.created else 200, body.model_dump(mode="json", exclude=exclude))

    def detail(summary: ImportSummary) -> str:
        said_stop = " said_stop_before=1" if summary.said_stop_before else ""
        return f"result={result(summary)}{said_stop}"

    outcome = _Outcome("api.tenant.put", answer, detail, one_tenant=True)
    return await _write(db, settings, req, [row], outcome, indexed=False)


async def write_bulk(
    db: Database, settings: Settings, req: Write, items: Sequence[tuple[int, BulkTenant | Misfit]]
) -> Answer:
    """Create or update every tenant of the bulk, or none (200 with the counts)."""
    rules = rules_for(settings, req.now)
    notices: list[Problem] = []
    rows = checked_rows([(i, None, item) for i, item in items], rules, indexed=True, notices=notices)

    def answer(summary: ImportSummary) -> Answer:
        # Counted as the CSV import counts: a known tenant whose item changes nothing is unchanged, not updated.
        # A stored debt an item without a balance set to 0 is named at its index, as the CSV import names its line.
        emptied = [Problem(n.reason, n.column, n.line) for n in summary.balances_emptied]
        said = sorted([*notices, *emptied], key=lambda p: p["index"] or 0)
        written = BulkWritten(
            created=summary.created,
            updated=summary.changed,
            unchanged=summary.unchanged,
            left_out=summary.erased_skipped,
            older_balances_kept=summary.older_balances_kept,
            said_stop_before=summary.said_stop_before,
            balances_emptied=len(emptied),
            notices=[Notice.model_validate(n) for n in said],
        )
        quiet = _quiet(said, summary.said_stop_before) | (set() if emptied else {"balances_emptied"})
        return Answer(200, written.model_dump(mode="json", exclude=quiet))

    outcome = _Outcome("api.tenants.bulk", answer, ImportSummary.audit_detail, one_tenant=False)
    return await _write(db, settings, req, rows, outcome, indexed=True)
