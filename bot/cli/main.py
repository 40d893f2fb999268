"""The `keephome` command line: the parser and the dispatch; each command lives in a module of its own."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Coroutine, Sequence
from datetime import date, datetime
from importlib import metadata
from pathlib import Path
from typing import Any, TypeVar

from bot.settings import ConfigError, Settings, load_settings

T = TypeVar("T")

__all__ = ["ROLE_DUTIES", "main"]

# What each staff role may do, one line each for `keephome staff add --help` (bot/console/accounts.ROLES).
ROLE_DUTIES = {
    "admin": "everything an adviser does, plus staff, API keys, the audit log, the pause switch, export, erasure",
    "adviser": "the inbox and case pages: take a case, reply through the bot, notes, tasks for volunteers, close",
    "volunteer": "only the follow-up tasks and appointments given to them: first name, channel and task; prepared "
    "texts only; marks an appointment held, missed or moved. Of a volunteer organisation (--organisation): a case "
    "goes to them only with the tenant's consent to share with it",
    "caretaker": "only the door knocks and postcards for tenants nobody reached: first name, address and the task; "
    "prints the postcard, marks a knock reached or not",
}


# What a command that acts on one tenant is given.
_TENANT_REF = "the housing organisation's reference for the tenant, as in the import's tenant_ref column"


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date: write YYYY-MM-DD, e.g. 2026-12-01") from None


def _moment(text: str) -> datetime:
    from bot.cli.chat import clock_time

    try:
        return clock_time(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _command(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    summary: str,
    description: str | None = None,
    **kwargs: Any,
) -> argparse.ArgumentParser:
    """A command: its line in `keephome --help`, and at the top of its own `--help` the same said as a sentence
    (or a longer description)."""
    said = description or f"{summary[0].upper()}{summary[1:]}."
    return sub.add_parser(name, help=summary, description=said, **kwargs)


def _version() -> str:
    """The installed distribution's version (what `pip install` put there, which an upgrade changes)."""
    try:
        return metadata.version("keephome")
    except metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return "(not installed)"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="keephome",
        description="Rent reminders, guided conversations and adviser handoff for social-housing tenants.",
    )
    p.add_argument("--version", action="version", version=f"%(prog)s {_version()}", help="print the version and exit")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _command(sub, "demo", "run on SQLite with sandbox channels, fictional tenants and a phone simulator")
    _command(
        sub,
        "run",
        "run the real service with the configured channels",
        "Run the real service: the HTTP server (webhooks, console, API, /healthz, /metrics), the sender, the "
        "scheduler and the channels, with the settings of the environment and of .env in this folder. SIGTERM or "
        "Ctrl-C stops it and hands its roles over.",
    )
    db = _command(
        sub,
        "db",
        "database schema",
        "The database: `upgrade` migrates the database KEEPHOME_DATABASE_URL names to this version; `change-key` "
        "makes the KEEPHOME_SECRET_KEY set now the database's key, forgetting the erased tenants' tombstones.",
        usage="%(prog)s [-h] {upgrade,change-key} [--yes]",
    )
    # Optional only so that `keephome db` alone can show this help rather than "required: action" (`_main`).
    db.add_argument(
        "action",
        nargs="?",
        choices=["upgrade", "change-key"],
        help="upgrade: migrate the schema to this version; change-key: use the new KEEPHOME_SECRET_KEY from now on "
        "(erased tenants' tombstones are forgotten: an import can bring them back)",
    )
    db.add_argument("--yes", action="store_true", help="change-key: go ahead (without it, only says what it would do)")
    db.set_defaults(help_text=db.format_help)
    imp = _command(
        sub,
        "import",
        "import or update tenants from a CSV file",
        "Import or update tenants from a CSV file, one row per tenancy, matched by tenant_ref. A file with any bad "
        "row imports nothing and lists every bad row with its line number.",
    )
    imp.add_argument(
        "file",
        type=Path,
        help="UTF-8 (with or without BOM), columns separated by , or ; (Danish numbers with ;), the first line names "
        'them: tenant_ref, name and phone are required (README, "Tenant import")',
    )
    imp.add_argument("--dry-run", action="store_true", help="check the file and say what would change")
    check = _command(
        sub,
        "check",
        "check flows and texts together; non-zero on a problem",
        "Check flows and texts together: every key in every language, SMS encoding and length, no amounts, dates "
        "or debt words in SMS. Exit status 1 on a problem; warnings do not fail it. Prints a summary of the SMS "
        "sizes and the Danish texts' LIX, then every warning and problem.",
    )
    check.add_argument(
        "--verbose",
        action="store_true",
        help="list every SMS text's encoding, segments and characters, and every Danish text's LIX",
    )
    chat = _command(sub, "chat", "step through a flow in the terminal as a tenant")
    chat.add_argument(
        "--flow",
        default="payment_check",
        metavar="NAME",
        help="the flow to step through (default: payment_check; a name it does not know lists the flows)",
    )
    chat.add_argument(
        "--channel",
        choices=["sms", "telegram"],
        default="sms",
        help="the tenant's channel and its texts (default: sms)",
    )
    chat.add_argument("--language", default="da", metavar="CODE", help="one of KEEPHOME_LANGUAGES (default: da)")
    chat.add_argument("--trigger", default=None, help="the reminder that started it, e.g. missed")
    chat.add_argument("--now", type=_moment, default=None, help="the clock, ISO time, e.g. 2026-12-03T10:00")
    tg = _command(sub, "telegram", "Telegram bot set-up", usage="%(prog)s [-h] {set-webhook}")
    tg.add_argument(
        "action", nargs="?", choices=["set-webhook"], help="set-webhook: register KEEPHOME_PUBLIC_URL/webhooks/telegram"
    )
    tg.set_defaults(help_text=tg.format_help)
    staff = _command(sub, "staff", "staff accounts: add one, or reset a forgotten password")
    accounts = staff.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = accounts.add_parser(
        "add",
        help="create an account and print a one-time link to set its password",
        description="Create a staff account and print a one-time link to set its password.",
        epilog="roles:\n" + "\n".join(f"  {role:<10} {duty}" for role, duty in ROLE_DUTIES.items()),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add.add_argument("email", help="the address they sign in with")
    add.add_argument("--role", required=True, choices=list(ROLE_DUTIES), help="one of the roles below")
    add.add_argument(
        "--organisation",
        default=None,
        help="a volunteer's organisation: a case goes to them only with the tenant's consent to share with it",
    )
    add.add_argument("--name", default=None, help="the name the console shows the others instead of the e-mail")
    reset = accounts.add_parser(
        "reset-password",
        help="end the password and sessions of an account and print a new one-time link",
        description="The old password, any earlier link and every session stop working; a new one-time link "
        "to set a password is printed (and the reset is in the audit log).",
    )
    reset.add_argument("email", help="the address the account signs in with")
    apikey = _command(sub, "apikey", "keys for the REST API (listed and revoked on the console's admin page)")
    keys = apikey.add_subparsers(dest="action", required=True, metavar="ACTION")
    key = keys.add_parser(
        "add",
        help="make a key and print it once",
        description="Make a key for the REST API and print it once, on a line of its own (keephome keeps a hash).",
    )
    key.add_argument("name", help="what system uses the key")
    key.add_argument(
        "--scope", required=True, choices=["read", "write", "erase"], help="read < write < erase (erase can delete)"
    )
    remind = _command(sub, "remind", "plan today's reminders, or show what a day would bring")
    remind.add_argument(
        "--date",
        type=_day,
        default=None,
        help="YYYY-MM-DD (default: today); a day other than today only with --dry-run, as reminders are planned for "
        "real only on their day",
    )
    remind.add_argument("--dry-run", action="store_true", help="only show who would get which reminder")
    remind.add_argument("--csv", action="store_true", help="print CSV instead of a table")
    notices = _command(
        sub, "kommune-notices", "filings whose kommune notice (almenlejeloven § 92 stk. 2) is missing or late"
    )
    notices.add_argument("--csv", action="store_true", help="print CSV instead of a table")
    export = _command(sub, "export", "everything held about a tenant: JSON on stdout, or a readable page")
    export.add_argument("tenant_ref", help=_TENANT_REF)
    export.add_argument("--html", type=Path, metavar="FILE", help="write a readable HTML page to FILE instead")
    erase = _command(sub, "erase", "remove a tenant's personal data and message texts (kept: the counts)")
    erase.add_argument("tenant_ref", help=f"{_TENANT_REF}; what is erased cannot be brought back")
    erase.add_argument("--demo", action="store_true", help="in `keephome demo`'s database, with the demo's secret key")
    erase.add_argument(
        "--yes", action="store_true", help="erase without asking first (needed where no terminal can answer: a script)"
    )
    return p


def _run(work: Coroutine[Any, Any, T]) -> T:
    """Run a command on uvloop where it is installed (everywhere but Windows), the loop uvicorn picks by itself
    when it owns the process; `keephome run` owns the loop and serves uvicorn inside it, so it picks here."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - Windows
        return asyncio.run(work)
    return uvloop.run(work)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `keephome` console script."""
    try:
        code = _main(argv)
        sys.stdout.flush()  # a reader that went away shows here, not in the interpreter's flush at exit
    except BrokenPipeError:
        # `keephome … | head -1`: the Python docs' recipe (signal module, "Note on SIGPIPE"): what is left to
        # write goes to devnull, so the flush at exit cannot fail again, and the exit code is 1, as for EPIPE.
        try:
            fd = sys.stdout.fileno()
        except (AttributeError, OSError, ValueError):  # not a file (a test's capture)
            return 1
        os.dup2(os.open(os.devnull, os.O_WRONLY), fd)
        return 1
    return code


def _main(argv: Sequence[str] | None) -> int:
    args = _parser().parse_args(argv)
    if getattr(args, "action", "") is None:  # `keephome db` or `keephome telegram` alone: what they can do
        print(args.help_text(), file=sys.stderr, end="")
        return 2
    try:
        # Settings first: the level is one of them, read from the environment or from `.env` alike.
        settings = _settings_for(args.command, demo=getattr(args, "demo", False))
        level = logging.getLevelNamesMapping()[settings.log_level]
        # DEBUG is keephome's own lines only (by ids): the libraries' debug output carries the database queries'
        # parameters (phone numbers) and the texts sent, which no log may (DESIGN.md).
        logging.basicConfig(level=max(level, logging.INFO), format="%(levelname)s %(name)s: %(message)s")
        logging.getLogger("bot").setLevel(level)
        # The SDKs log every request's URL and headers at INFO; keephome logs each send by id itself (at INFO
        # only those that did not go).
        for noisy in ("twilio", "httpx", "telegram", "apscheduler", "alembic"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
        return int(_run(_dispatch(args, settings)) or 0)
    except ConfigError as exc:
        print(f"keephome: configuration problem: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        # Only a failure to connect to (or open) the database, which bot/store/migrate.py turned into one line
        # naming KEEPHOME_DATABASE_URL; anything else is a bug and keeps its traceback. Imported here: a command
        # that never touches the database does not load Alembic.
        from bot.store.migrate import DatabaseUnreachable

        if not isinstance(exc, DatabaseUnreachable):
            raise
        print(f"keephome: {exc}", file=sys.stderr)
        return 2


def _settings_for(command: str, *, demo: bool = False) -> Settings:
    """The command's settings; with `demo` (`erase --demo`) those of a `keephome demo` that ran here before."""
    if command == "demo" or demo:
        from bot.cli.demo import demo_settings

        return demo_settings(existing=command != "demo")
    if command == "run":
        from bot.cli.run import run_settings

        return run_settings()
    return load_settings()


async def _data_rights(args: argparse.Namespace, settings: Settings) -> int:
    """`export` and `erase`: a tenant's right to see and to remove what keephome holds about them."""
    # The streams of now, not the defaults bound when the module was first imported (a test's capture since closed).
    if args.command == "export":
        from bot.cli.export import run_export

        return await run_export(settings, args.tenant_ref, args.html, sys.stdout, sys.stderr)
    from bot.cli.erase import run_erase

    return await run_erase(
        settings, args.tenant_ref, sys.stdout, sys.stderr, yes=args.yes, answers=sys.stdin, demo=args.demo
    )


async def _reports(args: argparse.Namespace, settings: Settings) -> int:
    """`remind` and `kommune-notices`: what a day brings, and the filings whose kommune notice is missing."""
    if args.command == "remind":
        from bot.cli.remind import run_remind

        return await run_remind(settings, args.date, args.dry_run, args.csv, sys.stdout)
    from bot.cli.kommune_notices import run_kommune_notices

    return await run_kommune_notices(settings, args.csv, sys.stdout, sys.stderr)


async def _dispatch(args: argparse.Namespace, settings: Settings) -> int:
    # Each command's module is imported only when it runs: `keephome check` never loads uvicorn or PTB.
    match args.command:
        case "demo":
            from bot.cli.demo import run_demo

            return await run_demo(settings)
        case "run":
            from bot.cli.run import run_service

            return await run_service(settings)
        case "db":
            from bot.cli.db import run_db

            return await run_db(settings, args.action, yes=args.yes)
        case "import":
            from bot.cli.import_csv import run_import

            return await run_import(settings, args.file, args.dry_run, sys.stdout)
        case "check":
            from bot.cli.check import main as check_main

            return check_main(settings, verbose=args.verbose)
        case "chat":
            from bot.cli.chat import run_chat

            return run_chat(
                args.flow,
                args.channel,
                args.language,
                args.now,
                input,
                print,
                settings,
                trigger=args.trigger,
                err=sys.stderr,
            )
        case "telegram":
            from bot.cli.telegram import run_set_webhook

            return await run_set_webhook(settings)
        case "staff":
            from bot.cli.staff import run_staff

            role, organisation = getattr(args, "role", None), getattr(args, "organisation", None)
            return await run_staff(settings, args.action, args.email, role, organisation, getattr(args, "name", None))
        case "apikey":
            from bot.cli.apikey import run_apikey_add

            return await run_apikey_add(settings, args.name, args.scope)
        case "remind" | "kommune-notices":
            return await _reports(args, settings)
        case "export" | "erase":
            return await _data_rights(args, settings)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
