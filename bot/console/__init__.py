"""The staff console under /console/: server-rendered pages for advisers, volunteers and admins."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.paths import TEMPLATES_DIR

__all__ = ["routes"]

_CSS = (TEMPLATES_DIR / "console" / "console.css").read_text(encoding="utf-8")


async def _css(request: Request) -> Response:
    return Response(_CSS, media_type="text/css", headers={"Cache-Control": "max-age=3600"})


def routes() -> list[BaseRoute]:
    """Every console route; the app mounts them next to the webhooks."""
    from bot.console import admin, audit, case_actions, case_page, inbox, login, staff_admin, tenant_page, volunteer

    return [
        Route("/console/static/console.css", _css, methods=["GET"]),
        *login.routes(),
        *inbox.routes(),
        *case_page.routes(),
        *case_actions.routes(),
        *tenant_page.routes(),
        *volunteer.routes(),
        *staff_admin.routes(),
        *admin.routes(),
        *audit.routes(),
    ]
