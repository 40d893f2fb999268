"""Starting the HTTP server: `keephome run` (real channels) and `keephome demo` (sandbox)."""

from __future__ import annotations

import logging
import sys
from zoneinfo import ZoneInfo

import uvicorn

from bot.app import create_app
from bot.runtime import Runtime, build_runtime
from bot.settings import Settings
from bot.store.migrate import SchemaBehind, ensure_current, upgrade

__all__ = ["serve_demo", "serve_run"]

log = logging.getLogger(__name__)


async def _serve(rt: Runtime) -> int:
    app = create_app(rt)
    config = uvicorn.Config(
        app,
        host=rt.settings.host,
        port=rt.settings.port,
        log_level="info",
        proxy_headers=True,
        access_log=False,
    )
    await uvicorn.Server(config).serve()
    return 0


async def _prepare_schema(rt: Runtime) -> bool:
    if rt.db.is_sqlite:
        await upgrade(rt.db)
        return True
    try:
        await ensure_current(rt.db)
    except SchemaBehind as exc:
        print(f"keephome: {exc}", file=sys.stderr)
        return False
    return True


async def serve_run(settings: Settings) -> int:
    """The real service with whichever channels are configured; no simulator, no clock control."""
    rt = build_runtime(settings)
    if not await _prepare_schema(rt):
        await rt.db.dispose()
        return 2
    if not rt.channels:
        log.warning("no channel is configured: set the Twilio or Telegram variables (see README)")
    return await _serve(rt)


async def serve_demo(settings: Settings) -> int:
    """SQLite, sandbox channels, fictional tenants and the phone simulator."""
    from bot.console.accounts import ensure_demo_staff
    from bot.demo.data import seed_demo
    from bot.store.db import utcnow

    rt = build_runtime(settings, demo=True)
    await upgrade(rt.db)
    now = rt.clock()
    await seed_demo(rt.db, now.astimezone(ZoneInfo(settings.timezone)).date(), now)
    logins = await ensure_demo_staff(rt.db, utcnow())
    base = f"http://{settings.host}:{settings.port}"
    print("keephome demo — sandbox channels, fictional tenants, nothing leaves this machine", flush=True)
    print(f"  phone simulator: {base}/simulator", flush=True)
    print(f"  staff console:   {base}/console/", flush=True)
    for role, email, password in logins:
        print(f"    {role:<9} {email}  password: {password}", flush=True)
    return await _serve(rt)
