"""`keephome demo`: SQLite, sandbox channels, fictional tenants, the phone simulator and the console."""

from __future__ import annotations

import contextlib
import os
import secrets
import sys
from pathlib import Path
from typing import Any

from bot.cli.key_check import other_key
from bot.cli.serve import bind, serve
from bot.console.accounts import ensure_demo_staff
from bot.demo.data import seed_demo
from bot.demo.simulator import restore_clock
from bot.runtime import build_runtime
from bot.settings import MIN_SECRET_LENGTH, ConfigError, Settings, load_settings, served_url
from bot.store.db import sqlite_file, utcnow
from bot.store.election import AnotherProcess, sqlite_alone
from bot.store.migrate import prepare
from bot.tenants.csv_rows import local_today

__all__ = ["DEMO_DATABASE", "afresh", "demo_key_file", "demo_settings", "run_demo"]

DEMO_DATABASE = "sqlite+aiosqlite:///keephome-demo.db"


def demo_key_file(database_url: str) -> Path:
    """Where the demo keeps its secret key: beside its SQLite file (`keephome-demo.db.key`), or for a database that
    is no file (PostgreSQL) `keephome-demo.key` in the working folder."""
    file = sqlite_file(database_url)
    return Path("keephome-demo.key") if file is None else file.with_name(file.name + ".key")


def _demo_secret(database_url: str) -> str:
    """The demo's secret key, made once and kept with its database (mode 0600): the tombstones of tenants erased in
    the demo are keyed with it, so a demo started again must read them with the same key. The key is written whole
    to a file of its own and then linked into place, so a start stopped halfway never leaves a key file empty (one
    found empty or short is replaced). A folder it cannot write to gets a key for this start only (opening the
    database there says what is wrong)."""
    path = demo_key_file(database_url)
    kept = _read_key(path)
    if kept is not None:
        return kept
    made = secrets.token_urlsafe(32)
    draft = path.with_name(f".{path.name}.{os.getpid()}")
    try:
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(made + "\n")
            out.flush()
            os.fsync(out.fileno())
        try:
            os.link(draft, path)  # only where no key file is: two demos starting at once keep the first one's key
        except FileExistsError:
            kept = _read_key(path)
            if kept is not None:
                return kept
            os.replace(draft, path)  # the file there is empty or short: no key was ever kept in it
    except OSError:
        return made
    finally:
        with contextlib.suppress(OSError):
            os.unlink(draft)
    return made


def _read_key(path: Path) -> str | None:
    """The key kept in `path`; None when there is none, or too short to be one."""
    try:
        kept = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return kept if len(kept) >= MIN_SECRET_LENGTH else None


def demo_settings(*, existing: bool = False) -> Settings:
    """The environment's settings with the demo's own database and secret, and never a real provider.

    `existing` (`keephome erase --demo`): the demo must have run here before; nothing is made. A SQLite file that is
    not there, or no key kept beside it, raises ConfigError saying where it looked and how to point at the demo's."""
    overrides: dict[str, Any] = {}
    if "KEEPHOME_DATABASE_URL" not in os.environ:
        overrides["database_url"] = DEMO_DATABASE
    url = overrides.get("database_url") or os.environ["KEEPHOME_DATABASE_URL"]
    if existing:
        _demo_was_here(url)
    if "KEEPHOME_SECRET_KEY" not in os.environ:
        overrides["secret_key"] = _kept_secret(url) if existing else _demo_secret(url)
    # The demo never talks to real providers, whatever the environment says.
    overrides.update(twilio_account_sid=None, twilio_auth_token=None, telegram_token=None)
    return load_settings(**overrides)


def _demo_was_here(database_url: str) -> None:
    """Raise ConfigError when the demo's SQLite file is not where `database_url` says: `keephome demo` makes it in
    the folder it was started in, so a command run from another folder would otherwise open an empty one."""
    file = sqlite_file(database_url)
    if file is not None and not file.is_file():
        raise ConfigError(
            f"no demo database at {file}: run this in the folder where `keephome demo` was started, or name its file "
            "with KEEPHOME_DATABASE_URL=sqlite+aiosqlite:////path/to/keephome-demo.db"
        )


def _kept_secret(database_url: str) -> str:
    """The key the demo keeps beside its database; ConfigError naming the file when none is kept there."""
    path = demo_key_file(database_url)
    kept = _read_key(path)
    if kept is None:
        raise ConfigError(f"no demo key at {path.absolute()}: set KEEPHOME_SECRET_KEY to the key the demo ran with")
    return kept


def afresh(settings: Settings) -> str:
    """How to start the demo afresh, with every fictional tenant back: a new database (the tombstones are in it)."""
    file = sqlite_file(settings.database_url)
    if file is None:
        return "a new database brings them back"
    return f"to start afresh, stop the demo and delete {file}"


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
        problem = await prepare(rt.db) or await other_key(rt.db, settings.secret_key, utcnow())
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
    seeded = await seed_demo(
        rt.db,
        local_today(now, settings.timezone),
        now,
        delivery_days=settings.demand_delivery_days,
        before_due_days=settings.before_due_days,
        languages=settings.language_list,
        fallback=settings.fallback_language,
        secret_key=settings.secret_key,
    )
    moved = await restore_clock(rt)
    logins = await ensure_demo_staff(rt.db, utcnow())
    base = served_url(settings.host, settings.port)
    print(f"keephome demo: open {base}/", flush=True)
    print("  sandbox channels, fictional tenants, nothing leaves this machine", flush=True)
    print(f"  phone simulator: {base}/simulator", flush=True)
    if moved is not None:
        print(f"  the demo's clock stands at {moved.isoformat()}, where it was moved before", flush=True)
    if seeded.erased:
        print(f"  erased in this demo, and kept so: {', '.join(seeded.erased)}; {afresh(settings)}", flush=True)
    print(f"  staff console:   {base}/console/", flush=True)
    for role, email, password in logins:
        print(f"    {role:<9} {email}  password: {password}", flush=True)
    try:
        return await serve(rt, sockets)
    finally:
        if release is not None:
            release()
