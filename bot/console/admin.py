"""The admins' page: the global pause switch and the numbers tenants said were wrong."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.console.audit import record
from bot.console.sessions import StaffSession, guard
from bot.console.web import FormError, field, now, redirect, render, runtime
from bot.runtime import Runtime
from bot.store.schema import settings_flags, tenants

__all__ = ["PAUSE_FLAG", "load_pause_flag", "routes", "save_pause_flag"]

PAUSE_FLAG = "paused"


async def save_pause_flag(conn: AsyncConnection, is_sqlite: bool, paused: bool, at: datetime) -> None:
    """Store the switch so every process (and the next start) sees it."""
    insert = sqlite.insert if is_sqlite else postgresql.insert
    value = "1" if paused else "0"
    await conn.execute(
        insert(settings_flags)
        .values(name=PAUSE_FLAG, value=value, updated_at=at)
        .on_conflict_do_update(index_elements=["name"], set_={"value": value, "updated_at": at})
    )


async def load_pause_flag(rt: Runtime) -> bool:
    """Read the stored switch into the runtime (call at start-up); returns it."""
    async with rt.db.read() as conn:
        value = (
            await conn.execute(select(settings_flags.c.value).where(settings_flags.c.name == PAUSE_FLAG))
        ).scalar_one_or_none()
    rt.pause_flag = value == "1"
    return rt.pause_flag


@guard("admin")
async def _admin_page(request: Request, me: StaffSession) -> Response:
    rt = runtime(request)
    async with rt.db.read() as conn:
        wrong = (
            await conn.execute(
                select(tenants.c.id, tenants.c.tenant_ref, tenants.c.name, tenants.c.updated_at)
                .where(tenants.c.status == "wrong_number")
                .order_by(tenants.c.updated_at.desc())
            )
        ).all()
    if wrong:
        async with rt.db.write() as conn:
            await record(conn, now(request), me.actor, "tenants.wrong_numbers.view", None, f"count={len(wrong)}")
    return render(request, "admin.html", wrong=wrong, setting_paused=rt.settings.paused, flag_paused=rt.pause_flag)


@guard("admin")
async def _pause(request: Request, me: StaffSession) -> Response:
    choice = field(await request.form(), "paused", max_length=3)
    if choice not in ("on", "off"):
        raise FormError("'paused' must be on or off")
    rt = runtime(request)
    at = now(request)
    async with rt.db.write() as conn:
        await save_pause_flag(conn, rt.db.is_sqlite, choice == "on", at)
        await record(conn, at, me.actor, "pause.on" if choice == "on" else "pause.off")
    rt.pause_flag = choice == "on"
    return redirect("/console/admin")


def routes() -> list[BaseRoute]:
    """The admin page and the pause switch."""
    return [
        Route("/console/admin", _admin_page, methods=["GET"]),
        Route("/console/admin/pause", _pause, methods=["POST"]),
    ]
