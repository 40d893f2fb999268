"""The outcome page: what the reminders and the advisers change, for a period and a stage, computed in SQL.

The funnel follows the tenants first reminded in the period (at the chosen stage, or at any): reminded →
delivered (the reminder's message reached the phone; Telegram has no delivery receipt, so sent counts) →
replied (they wrote back) → consented (to an adviser reading along) → reached (the first message a person on
the staff wrote them, or a "contact made" an adviser recorded for a call) → an outcome (a case of theirs
closed with one) — everything after their first reminder in the period counts, up to today. Each tenant
counts under the stage and the channel of that first reminder. Beside it: the days from the first reminder
to the adviser's contact, delivery failures by error code, outcomes by type over time, and the share of
reminded tenants whose balance reached 0 within 7 and 14 days of the reminder, by ledger date
(`balance_events`), of those whose 7 or 14 days have run out (the others are still waiting, and the page says how
many). Every chart is an SVG drawn on the server and has a CSV download (bot/tenants/csv_out.py).
The SQL groups the cohort by stage, channel, outcome and days to contact, so the page reads a few hundred
rows however many tenants there are (bot/console/outcome_queries.py). The figures are in
bot/console/outcome_figures.py, the charts' geometry and CSV rows in bot/console/outcome_charts.py.
"""

from __future__ import annotations

import io
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.console.audit import record
from bot.console.outcome_charts import (
    CHARTS,
    FAILED_SHOWN,
    OUTCOME_COLOURS,
    OUTCOME_LABELS,
    closed_columns,
    contact_bars,
    failure_bars,
    funnel_bars,
    settled_bars,
)
from bot.console.outcome_figures import Outcomes, load_outcomes, percent
from bot.console.outcome_period import SETTLED_WITHIN, STAGES, STEPS, calendar_periods, period_of
from bot.console.report import report_values
from bot.console.report_figures import load_report
from bot.console.sessions import StaffSession, guard
from bot.console.web import NotFound, now, render, runtime, today
from bot.i18n import N_, current_language
from bot.tenants.csv_out import CsvWriter

__all__ = ["routes"]


async def _load(request: Request) -> Outcomes:
    rt = runtime(request)
    period = period_of(request.query_params, today(request), ZoneInfo(rt.settings.timezone))
    async with rt.db.read() as conn:
        return await load_outcomes(conn, period)


@guard("admin", "adviser")
async def _outcomes_page(request: Request, me: StaffSession) -> Response:
    found = await _load(request)
    rt = runtime(request)
    async with rt.db.read() as conn:
        # With every stage shown the page's own funnel is the report's: it is not read a second time.
        funnel = found.total if found.period.stage is None else None
        report = await load_report(conn, found.period, rt.settings.eviction_cost, funnel)
    return render(
        request,
        "outcomes.html",
        found=found,
        period=found.period,
        stages=STAGES,
        calendar_periods=calendar_periods(today(request)),
        steps=STEPS,
        funnel=funnel_bars(found.total),
        contact=contact_bars(found.contact_days),
        failures=failure_bars(found.failures),
        failures_left=max(0, len(found.failures) - FAILED_SHOWN),
        settled=settled_bars(found.by_stage),
        settled_within=SETTLED_WITHIN,
        columns=closed_columns(found.closed),
        outcome_labels=OUTCOME_LABELS,
        outcome_colours=OUTCOME_COLOURS,
        percent=percent,
        printing=False,
        **report_values(report),
    )


@guard("admin", "adviser")
async def _outcomes_csv(request: Request, me: StaffSession) -> Response:
    chart = str(request.path_params.get("chart", ""))
    rows = CHARTS.get(chart)
    if rows is None:
        raise NotFound(N_("There is no such chart."))
    found = await _load(request)
    out = io.StringIO()
    CsvWriter.download(out, current_language()).writerows(rows(found))
    period = found.period
    async with runtime(request).db.write() as conn:
        await record(
            conn, now(request), me.actor, "outcomes.export", None, f"chart={chart} {period.query().replace('&', ' ')}"
        )
    name = f"keephome-{chart}-{period.first.isoformat()}-{period.last.isoformat()}.csv"
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )


def routes() -> list[BaseRoute]:
    """The page and its downloads."""
    return [
        Route("/console/outcomes", _outcomes_page, methods=["GET"]),
        Route("/console/outcomes/{chart}.csv", _outcomes_csv, methods=["GET"]),
    ]
