"""`keephome demo`: SQLite, sandbox channels, fictional tenants, the phone simulator and the console."""

from __future__ import annotations

import os
import secrets
import sys
from typing import Any

from bot.cli.serve import bind, serve
from bot.console.accounts import ensure_demo_staff
from bot.demo.data import seed_demo
from bot.demo.simulator import restore_clock
from bot.runtime import build_runtime
from bot.settings import Settings, load_settings, served_url
from bot.store.db import utcnow
from bot.store.election import AnotherProcess, sqlite_alone
from bot.store.migrate import prepare
from bot.tenants.csv_rows import local_today

__all__ = ["DEMO_DATABASE", "demo_settings", "run_demo"]

DEMO_DATABASE = "sqlite+aiosqlite:///keephome-demo.db"


def demo_settings() -> Settings:
    """The environment's settings with the demo's own database and secret, and never a real provider."""
    overrides: dict[str, Any] = {}
    if "KEEPHOME_DATABASE_URL" not in os.environ:
        overrides["database_url"] = DEMO_DATABASE
    if "KEEPHOME_SECRET_KEY" not in os.environ:
        overrides["secret_key"] = secrets.token_urlsafe(32)
    # The demo never talks to real providers, whatever the environment says.
    overrides.update(twilio_account_sid=None, twilio_auth_token=None, telegram_token=None)
    return load_settings(**overrides)


async def run_demo(settings: Settings) -> int:
    """Seed the fictional tenants and the demo's staff accounts, print where to go, then serve."""
    rt = build_runtime(settings, demo=True)
    # The address first: a second demo on a port in use stops here, before it gives the running demo's staff new
    # passwords and prints them.
    sockets = await bind(rt)
    if sockets is None:
        await rt.db.dispose()
        return 2
    try:
        # A demo or a run on the same SQLite file on another port: two senders and two schedulers on one file.
        release = sqlite_alone(settings.database_url)
        problem = await prepare(rt.db)
    except AnotherProcess as exc:
        release, problem = None, str(exc)
    if problem is not None:
        print(f"keephome: {problem}", file=sys.stderr)
        await rt.db.dispose()
        for sock in sockets:
            sock.close()
        if release is not None:
            release()
        return 2
    now = rt.clock()
    await seed_demo(
        rt.db,
        local_today(now, settings.timezone),
        now,
        delivery_days=settings.demand_delivery_days,
        before_due_days=settings.before_due_days,
        languages=settings.language_list,
        fallback=settings.fallback_language,
    )
    moved = await restore_clock(rt)
    logins = await ensure_demo_staff(rt.db, utcnow())
    base = served_url(settings.host, settings.port)
    print(f"keephome demo: open {base}/", flush=True)
    print("  sandbox channels, fictional tenants, nothing leaves this machine", flush=True)
    print(f"  phone simulator: {base}/simulator", flush=True)
    if moved is not None:
        print(f"  the demo's clock stands at {moved.isoformat()}, where it was moved before", flush=True)
    print(f"  staff console:   {base}/console/", flush=True)
    for role, email, password in logins:
        print(f"    {role:<9} {email}  password: {password}", flush=True)
    try:
        return await serve(rt, sockets)
    finally:
        if release is not None:
            release()
