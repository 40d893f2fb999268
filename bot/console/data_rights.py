"""A tenant's data for admins: everything keephome holds about one tenant, downloaded as JSON or as a page.

The same export as `keephome export` (bot/tenants/export.py), audited as `tenant.export` with the admin as the
actor. Erasing is not a button: it is `keephome erase TENANT_REF` or the API's DELETE, both audited.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.console.sessions import StaffSession, guard
from bot.console.web import FormError, NotFound, field, now, render, runtime
from bot.i18n import N_
from bot.tenants.export import export_tenant, render_html, to_json

__all__ = ["routes"]

_FORMATS = {"json": ("application/json", "json"), "html": ("text/html; charset=utf-8", "html")}


@guard("admin")
async def _data_page(request: Request, me: StaffSession) -> Response:
    return render(request, "data.html")


@guard("admin")
async def _export(request: Request, me: StaffSession) -> Response:
    form = await request.form()
    ref = field(form, "ref", max_length=64)
    what = field(form, "format", max_length=4)
    if what not in _FORMATS:
        raise FormError(N_("'format' must be json or html"))
    try:
        data = await export_tenant(runtime(request).db, ref, now(request), me.actor, what)
    except LookupError:
        raise NotFound(N_("No tenant has that reference (an erased tenant has nothing left to export).")) from None
    media, suffix = _FORMATS[what]
    body = to_json(data) if what == "json" else render_html(data)
    name = f"keephome-tenant-{data['tenant']['id']}.{suffix}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"}
    return Response(body, media_type=media, headers=headers)


def routes() -> list[BaseRoute]:
    """The page and its download (a POST: the form carries the CSRF token)."""
    return [
        Route("/console/data", _data_page, methods=["GET"]),
        Route("/console/data/export", _export, methods=["POST"]),
    ]
