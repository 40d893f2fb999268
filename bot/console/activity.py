"""The volunteers' activity for the volunteer organisation's own reporting: appointments held, by month and kind
of advice, for all volunteers together and per volunteer; a page and a CSV for admins. Counts only: no tenant,
no place, no time of day. The CSV download is audited (`activity.export`)."""

from __future__ import annotations

import io
from zoneinfo import ZoneInfo

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.console.audit import record
from bot.console.labels import label
from bot.console.sessions import StaffSession, guard
from bot.console.web import now, render, runtime
from bot.host.appointments import activity
from bot.i18n import N_, current_language
from bot.i18n import gettext as _
from bot.store.schema import staff
from bot.store.staff_names import staff_name
from bot.tenants.csv_out import CsvWriter

__all__ = ["routes"]


async def _counts(request: Request) -> tuple[list[tuple[str, str, int]], list[tuple[str, list[tuple[str, str, int]]]]]:
    """All volunteers' held appointments, and each volunteer's, newest month first."""
    rt = runtime(request)
    zone = ZoneInfo(rt.settings.timezone)
    async with rt.db.read() as conn:
        total = await conn.run_sync(activity, zone)
        people = (
            await conn.execute(
                select(staff.c.id, staff_name()).where(staff.c.role == "volunteer").order_by(staff.c.email)
            )
        ).all()
        each = [(p.name, await conn.run_sync(activity, zone, int(p.id))) for p in people]
    return total, [(name, counts) for name, counts in each if counts]


@guard("admin")
async def _page(request: Request, me: StaffSession) -> Response:
    total, each = await _counts(request)
    return render(request, "activity.html", total=total, each=each)


# The page's own words (the same msgids): the file says what the page says, in the reader's language.
_HEADER = (N_("Volunteer"), N_("Month"), N_("Kind of advice"), N_("Held"))


@guard("admin")
async def _csv(request: Request, me: StaffSession) -> Response:
    total, each = await _counts(request)
    out = io.StringIO()
    # In the reader's language, as the outcome page's CSVs.
    writer = CsvWriter.download(out, current_language())
    writer.writerow([_(word) for word in _HEADER])
    everyone = _(N_("All volunteers"))
    writer.writerows((everyone, month, label("advice_kind", kind), n) for month, kind, n in total)
    writer.writerows((name, month, label("advice_kind", kind), n) for name, counts in each for month, kind, n in counts)
    async with runtime(request).db.write() as conn:
        await record(conn, now(request), me.actor, "activity.export", None)
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="keephome-activity.csv"', "Cache-Control": "no-store"},
    )


def routes() -> list[BaseRoute]:
    """The activity page and its CSV."""
    return [
        Route("/console/activity", _page, methods=["GET"]),
        Route("/console/activity.csv", _csv, methods=["GET"]),
    ]
