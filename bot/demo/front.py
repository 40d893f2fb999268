"""The demo's front door, `GET /`: where the phone simulator and the console are, and who can sign in."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from bot.demo.simulator import CLOCK_AHEAD, CLOCK_BACK
from bot.i18n import N_, gettext, install, use_language
from bot.paths import TEMPLATES_DIR
from bot.runtime import Runtime
from bot.store.schema import staff

__all__ = ["ROLE_NAMES", "routes"]

# The roles in the order the page lists them, each with its name (a msgid, shown in the page's language).
ROLE_NAMES = {
    "admin": N_("admin"),
    "adviser": N_("adviser"),
    "volunteer": N_("volunteer"),
    "caretaker": N_("caretaker"),
}

_env = Environment(loader=FileSystemLoader(str(TEMPLATES_DIR / "demo")), autoescape=select_autoescape())
install(_env)


def _front(seeded: Sequence[tuple[str, str]]) -> Callable[[Request], Awaitable[Response]]:
    """The page for a demo that seeds these `(role, e-mail)` accounts (bot/console/accounts.py, DEMO_STAFF)."""
    emails = [email for _, email in seeded]

    async def front(request: Request) -> Response:
        rt: Runtime = request.app.state.rt
        # The deployment's console language: the page has no staff session to choose another.
        use_language(rt.settings.console_language)
        async with rt.db.read() as conn:
            found = await conn.execute(select(staff.c.role, staff.c.email, staff.c.organisation).where(staff.c.active))
            rows = list(found.all())
        # Only the demo's own accounts, whose passwords the terminal prints: one added on the Staff page has a
        # password of its own (or none yet), and is only counted.
        own = sorted((r for r in rows if r.email in emails), key=lambda row: emails.index(row.email))
        accounts = [(gettext(ROLE_NAMES[row.role]) if row.role in ROLE_NAMES else row.role, row.email) for row in own]
        page = _env.get_template("index.html").render(
            accounts=accounts,
            others=len(rows) - len(own),
            page_language=rt.settings.console_language,
            # How far the simulator moves the demo's clock, either way.
            clock_back=CLOCK_BACK.days,
            clock_ahead=CLOCK_AHEAD.days,
            # The organisation a consent must name for the demo's volunteer (as their account has it now).
            volunteer_organisation=next((r.organisation for r in own if r.role == "volunteer" and r.organisation), ""),
        )
        return HTMLResponse(page)

    return front


def routes(seeded: Sequence[tuple[str, str]]) -> list[BaseRoute]:
    """The front page, listing the demo's `seeded` accounts; only `keephome demo` mounts it (`run` sends `/` to the
    console)."""
    return [Route("/", _front(seeded), methods=["GET"])]
