"""The organisation's report, beside the outcome page: a printable page and a CSV of the figures for a period,
and the admins' form for the yearly figures from before go-live (the report's "before").

The figures are computed in bot/console/report_figures.py (the SQL in report_queries.py) and shown on the
outcome page too. Like the outcome page's charts the report is aggregates only; its downloads (the CSV and the
printable page) are in the audit log, and so is every change to the figures from before go-live.
"""

from __future__ import annotations

import io
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.console.audit import record
from bot.console.outcome_figures import both_words, number
from bot.console.outcome_period import period_of
from bot.console.report_figures import (
    CASE_OUTCOMES,
    COURT_OUTCOMES,
    DECISIONS,
    EVICTIONS,
    RENT_STEPS,
    Report,
    load_report,
    median_text,
    rate_text,
    report_rows,
)
from bot.console.report_queries import baselines_query, go_live_query
from bot.console.sessions import StaffSession, guard
from bot.console.web import money, now, read_form, redirect, render, runtime, today
from bot.i18n import N_, current_language
from bot.i18n import gettext as _
from bot.store.dialect import insert_for
from bot.store.schema import report_baselines
from bot.tenants.csv_out import CsvWriter

__all__ = ["BASELINE_FIELDS", "FIRST_YEAR", "MAX_FIGURE", "report_values", "routes"]

FIRST_YEAR = 1990
MAX_FIGURE = 10_000_000
# The yearly figures an admin enters: (column, label, required).
BASELINE_FIELDS = (
    ("tenancies", N_("Tenancies"), False),
    ("demands", N_("Påkrav sent"), False),
    ("terminations", N_("Tenancies terminated (ophævelse)"), False),
    ("filings", N_("Cases filed with the fogedret"), True),
    ("evictions", N_("Evictions carried out by the fogedret"), True),
    ("evictions_with_moves", N_("Evictions including moves after a filing"), False),
)


def report_values(report: Report) -> dict[str, Any]:
    """What the report's partial template needs beside the report itself."""
    return {
        "report": report,
        "rent_steps": RENT_STEPS,
        "case_outcomes": CASE_OUTCOMES,
        "both_words": both_words,
        "court_outcomes": COURT_OUTCOMES,
        "eviction_counts": EVICTIONS,
        "decisions": DECISIONS,
        "rate_text": rate_text,
        "kroner": lambda kr: money(kr * 100),
        "number": number,
        "median_text": median_text,
    }


async def _load(request: Request) -> Report:
    rt = runtime(request)
    period = period_of(request.query_params, today(request), ZoneInfo(rt.settings.timezone))
    async with rt.db.read() as conn:
        return await load_report(conn, period, rt.settings.eviction_cost)


async def _audit(request: Request, me: StaffSession, action: str, report: Report) -> None:
    period = report.period
    async with runtime(request).db.write() as conn:
        await record(conn, now(request), me.actor, action, None, f"from={period.first} to={period.last}")


@guard("admin", "adviser")
async def _print_page(request: Request, me: StaffSession) -> Response:
    report = await _load(request)
    await _audit(request, me, "report.print", report)
    # The paper names whose figures they are and when they were printed: it is read away from the console.
    values = report_values(report)
    return render(
        request,
        "report_print.html",
        printing=True,
        org_name=runtime(request).settings.org_name,
        printed=now(request),
        **values,
    )


@guard("admin", "adviser")
async def _csv(request: Request, me: StaffSession) -> Response:
    report = await _load(request)
    out = io.StringIO()
    CsvWriter.download(out, current_language()).writerows(report_rows(report))
    await _audit(request, me, "report.export", report)
    period = report.period
    name = f"keephome-report-{period.first.isoformat()}-{period.last.isoformat()}.csv"
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )


async def _baselines_page(
    request: Request,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    entered: dict[str, str] | None = None,
) -> Response:
    async with runtime(request).db.read() as conn:
        years = list((await conn.execute(baselines_query())).all())
        go_live: date | None = (await conn.execute(go_live_query())).scalar()
    return render(
        request,
        "report_baselines.html",
        status_code=status_code,
        years=years,
        go_live=go_live,
        fields=BASELINE_FIELDS,
        errors=errors or {},
        entered=entered or {},
        last_year=today(request).year,
        number=number,
        error=_("The figures were not saved: please check the fields marked below.") if errors else None,
    )


@guard("admin")
async def _baselines(request: Request, me: StaffSession) -> Response:
    return await _baselines_page(request)


def _text(form: FormData, name: str) -> str:
    raw = form.get(name)
    return raw.strip() if isinstance(raw, str) else ""


def _whole(text: str, minimum: int, maximum: int) -> int | None:
    if not (0 < len(text) <= 9) or not (text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if minimum <= value <= maximum else None


def _checked(form: FormData, last_year: int) -> tuple[dict[str, int | None], dict[str, str]]:
    """The year's figures, and every field that is wrong with its reason (in the reader's language)."""
    values: dict[str, int | None] = {}
    errors: dict[str, str] = {}
    year = _whole(_text(form, "year"), FIRST_YEAR, last_year)
    if year is None:
        errors["year"] = _("Must be a year from %(first)d to %(last)d.") % {"first": FIRST_YEAR, "last": last_year}
    values["year"] = year
    for name, _label, required in BASELINE_FIELDS:
        text = _text(form, name)
        if not text:
            values[name] = None
            if required:
                errors[name] = _("Required.")
            continue
        values[name] = _whole(text, 0, MAX_FIGURE)
        if values[name] is None:
            errors[name] = _("Must be a whole number from 0 to %(most)s.") % {"most": number(MAX_FIGURE)}
    with_moves, evictions = values.get("evictions_with_moves"), values.get("evictions")
    if with_moves is not None and evictions is not None and with_moves < evictions:
        errors["evictions_with_moves"] = _(
            "Cannot be fewer than the evictions carried out by the fogedret: it counts them too."
        )
    return values, errors


@guard("admin")
async def _save_baseline(request: Request, me: StaffSession) -> Response:
    form = await read_form(request)
    last_year = today(request).year
    values, errors = _checked(form, last_year)
    if errors:
        entered = {name: _text(form, name)[:20] for name in ("year", *(f for f, _l, _r in BASELINE_FIELDS))}
        return await _baselines_page(request, 422, errors, entered)
    at = now(request)
    row = {**values, "updated_by": me.staff_id, "updated_at": at}
    async with runtime(request).db.write() as conn:
        stmt = insert_for(conn.dialect.name, report_baselines).values(**row)
        changed = {k: stmt.excluded[k] for k in row if k != "year"}
        await conn.execute(stmt.on_conflict_do_update(index_elements=["year"], set_=changed))
        await record(
            conn,
            at,
            me.actor,
            "report.baseline.save",
            f"year:{values['year']}",
            " ".join(f"{k}={'' if v is None else v}" for k, v in values.items() if k != "year"),
        )
    return redirect("/console/report/baselines")


@guard("admin")
async def _delete_baseline(request: Request, me: StaffSession) -> Response:
    form = await read_form(request)
    year = _whole(_text(form, "year"), FIRST_YEAR, today(request).year)
    if year is None:
        reason = _("Must be a year from %(first)d to %(last)d.") % {"first": FIRST_YEAR, "last": today(request).year}
        return await _baselines_page(request, 422, {"year": reason})
    async with runtime(request).db.write() as conn:
        gone = await conn.execute(delete(report_baselines).where(report_baselines.c.year == year))
        if gone.rowcount:
            await record(conn, now(request), me.actor, "report.baseline.delete", f"year:{year}")
    return redirect("/console/report/baselines")


def routes() -> list[BaseRoute]:
    """The printable report, its CSV and the figures from before go-live."""
    return [
        Route("/console/report", _print_page, methods=["GET"]),
        Route("/console/report.csv", _csv, methods=["GET"]),
        Route("/console/report/baselines", _baselines, methods=["GET"]),
        Route("/console/report/baselines", _save_baseline, methods=["POST"]),
        Route("/console/report/baselines/delete", _delete_baseline, methods=["POST"]),
    ]
