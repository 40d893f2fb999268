"""The demo's front door, `GET /`: where the phone simulator and the console are, and who can sign in."""

from __future__ import annotations

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from bot.paths import TEMPLATES_DIR
from bot.runtime import Runtime
from bot.store.schema import staff

__all__ = ["ROLE_NAMES", "routes"]

# The roles in the order the page lists them, each with its Danish name.
ROLE_NAMES = {"admin": "administrator", "adviser": "rådgiver", "volunteer": "frivillig"}

_env = Environment(loader=FileSystemLoader(str(TEMPLATES_DIR / "demo")), autoescape=select_autoescape())


async def _front(request: Request) -> Response:
    rt: Runtime = request.app.state.rt
    async with rt.db.read() as conn:
        rows = list((await conn.execute(select(staff.c.role, staff.c.email).where(staff.c.active))).all())
    order = {role: index for index, role in enumerate(ROLE_NAMES)}
    rows.sort(key=lambda row: (order.get(row.role, len(order)), row.email))
    accounts = [(ROLE_NAMES.get(row.role, row.role), row.email) for row in rows]
    return HTMLResponse(_env.get_template("index.html").render(accounts=accounts))


def routes() -> list[BaseRoute]:
    """The front page; only `keephome demo` mounts it (`run` sends `/` to the console)."""
    return [Route("/", _front, methods=["GET"])]
