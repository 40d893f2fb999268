"""`keephome staff add EMAIL --role ROLE [--name NAME]` and `keephome staff reset-password EMAIL`: print a one-time
link to set a password, and how long it lasts."""

from __future__ import annotations

import sys
from datetime import datetime, timedelta
from typing import TextIO
from zoneinfo import ZoneInfo

from bot.console.accounts import SETUP_LINK_HOURS, AccountExists, StaffError, add_staff, reset_password
from bot.settings import Settings
from bot.store.db import Database, utcnow
from bot.store.migrate import prepare

__all__ = ["link_lasts", "run_staff", "run_staff_add", "run_staff_reset"]


def link_lasts(issued: datetime, settings: Settings) -> str:
    """How long a one-time set-up link works, with the local time it stops."""
    until = (issued + timedelta(hours=SETUP_LINK_HOURS)).astimezone(ZoneInfo(settings.timezone))
    return (
        f"The link works once, for {SETUP_LINK_HOURS} hours (until {until:%Y-%m-%d %H:%M} {settings.timezone}); "
        "`keephome staff reset-password EMAIL` makes a new one."
    )


async def _with_database(settings: Settings, err: TextIO) -> Database | None:
    db = Database(settings.database_url)
    problem = await prepare(db)
    if problem is None:
        return db
    await db.dispose()
    print(f"keephome: {problem}", file=err)
    return None


async def run_staff_add(
    settings: Settings,
    email: str,
    role: str,
    out: TextIO | None = None,
    err: TextIO | None = None,
    organisation: str | None = None,
    name: str | None = None,
) -> int:
    """Print the one-time link, or one line saying what is wrong (exit status 2)."""
    out, err = out or sys.stdout, err or sys.stderr
    db = await _with_database(settings, err)
    if db is None:
        return 2
    now = utcnow()
    try:
        link = await add_staff(db, email, role, now, settings.public_url, organisation, name)
    except StaffError as exc:
        print(f"keephome: {_refusal(exc)}", file=err)
        return 2
    finally:
        await db.dispose()
    print(f"{role} {email.strip().lower()} added. Send them this one-time link to set a password:", file=out)
    print(link, file=out)
    print(link_lasts(now, settings), file=out)
    _only_here(settings, err)
    return 0


def _refusal(exc: StaffError) -> str:
    """Why nothing was done, and for an account that exists, the way on from the command line or the console."""
    if not isinstance(exc, AccountExists):
        return str(exc)
    if not exc.active:
        return (
            f"the account for {exc.email} is deactivated: an admin reactivates it on the console's Staff page, "
            "in the role chosen there, which makes its new one-time link"
        )
    return f"{exc}; `keephome staff reset-password {exc.email}` makes a new one-time link for it"


def _only_here(settings: Settings, err: TextIO) -> None:
    """A link to this machine's own address (KEEPHOME_PUBLIC_URL not set) opens nowhere else: the person it is sent
    to could not use it. Said on stderr, under the link, which stays printed as it is."""
    from bot.cli.run import on_this_machine

    if on_this_machine(settings.public_url):
        print(
            f"note: the link opens only on this machine ({settings.public_url}): set KEEPHOME_PUBLIC_URL to the "
            "address staff reach the console at, and make a new link with `keephome staff reset-password EMAIL`",
            file=err,
        )


async def run_staff_reset(settings: Settings, email: str, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Recovery: the old password, link and sessions stop working; print the new one-time link (exit status 2
    and one line when there is no such active account)."""
    out, err = out or sys.stdout, err or sys.stderr
    db = await _with_database(settings, err)
    if db is None:
        return 2
    now = utcnow()
    try:
        link = await reset_password(db, email, now, settings.public_url)
    except StaffError as exc:
        print(f"keephome: {_refusal(exc)}", file=err)
        return 2
    finally:
        await db.dispose()
    address = email.strip().lower()
    print(
        f"{address}: the old password no longer works, every session has ended and Telegram notices stop until they "
        "connect a chat again. Send them this one-time link to set a new password:",
        file=out,
    )
    print(link, file=out)
    print(link_lasts(now, settings), file=out)
    _only_here(settings, err)
    return 0


async def run_staff(
    settings: Settings,
    action: str,
    email: str,
    role: str | None,
    organisation: str | None = None,
    name: str | None = None,
) -> int:
    """`keephome staff ACTION EMAIL`: `add` (with a role, a name, a volunteer's organisation) or `reset-password`."""
    if action == "reset-password":
        return await run_staff_reset(settings, email)
    if role is None:
        print("keephome staff add: --role is required", file=sys.stderr)
        return 2
    return await run_staff_add(settings, email, role, organisation=organisation, name=name)
