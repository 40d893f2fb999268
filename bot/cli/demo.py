"""`keephome demo`: SQLite, sandbox channels, fictional tenants, the phone simulator and the console."""

from __future__ import annotations

import os
import secrets
import sys
from typing import Any
from zoneinfo import ZoneInfo

from bot.cli.serve import serve
from bot.console.accounts import ensure_demo_staff
from bot.demo.data import seed_demo
from bot.demo.simulator import restore_clock
from bot.runtime import build_runtime
from bot.settings import Settings, load_settings
from bot.store.db import utcnow
from bot.store.migrate import prepare

__all__ = ["DEMO_DATABASE", "demo_settings", "run_demo", "served_url"]

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
    settings = load_settings(**overrides)
    if "public_url" in settings.model_fields_set:
        return settings
    # The links the demo gives (a password's setup link, a notice's link to a case) lead to where it serves.
    return load_settings(**overrides, public_url=served_url(settings))


def served_url(settings: Settings) -> str:
    """Where a browser on this machine reaches the server: KEEPHOME_HOST and KEEPHOME_PORT (a wildcard host is
    reached as 127.0.0.1)."""
    host = "127.0.0.1" if settings.host in ("", "0.0.0.0", "::") else settings.host
    return f"http://{f'[{host}]' if ':' in host else host}:{settings.port}"


async def run_demo(settings: Settings) -> int:
    """Seed the fictional tenants and the demo's staff accounts, print where to go, then serve."""
    rt = build_runtime(settings, demo=True)
    problem = await prepare(rt.db)
    if problem is not None:
        print(f"keephome: {problem}", file=sys.stderr)
        await rt.db.dispose()
        return 2
    now = rt.clock()
    await seed_demo(
        rt.db,
        now.astimezone(ZoneInfo(settings.timezone)).date(),
        now,
        delivery_days=settings.demand_delivery_days,
        before_due_days=settings.before_due_days,
        languages=settings.language_list,
        fallback=settings.fallback_language,
    )
    moved = await restore_clock(rt)
    logins = await ensure_demo_staff(rt.db, utcnow())
    base = served_url(settings)
    print(f"keephome demo: open {base}/", flush=True)
    print("  sandbox channels, fictional tenants, nothing leaves this machine", flush=True)
    print(f"  phone simulator: {base}/simulator", flush=True)
    if moved is not None:
        print(f"  the demo's clock stands at {moved.isoformat()}, where it was moved before", flush=True)
    print(f"  staff console:   {base}/console/", flush=True)
    for role, email, password in logins:
        print(f"    {role:<9} {email}  password: {password}", flush=True)
    return await serve(rt)
