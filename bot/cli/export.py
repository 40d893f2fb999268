"""`keephome export TENANT_REF [--html FILE]`: everything held about a tenant, JSON on stdout or a readable page."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from bot.console.data_rights import EXPORT_WORDS
from bot.i18n import speaking
from bot.settings import Settings
from bot.store.db import Database, utcnow
from bot.store.migrate import prepare
from bot.tenants.export import export_tenant, render_html, staff_roles, to_json

__all__ = ["run_export"]


def _write_new(path: Path, text: str) -> None:
    """Write a file that did not exist, readable by its owner only: it holds a person's data."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)


async def run_export(
    settings: Settings, tenant_ref: str, html: Path | None, out: TextIO = sys.stdout, err: TextIO = sys.stderr
) -> int:
    """0 with the export written; 2 with one line saying what is wrong (no such tenant, the file exists)."""
    if html is not None and await asyncio.to_thread(html.exists):
        print(f"keephome export: {html} exists: choose a new name (an export never replaces a file)", file=err)
        return 2
    db = Database(settings.database_url)
    try:
        problem = await prepare(db)
        if problem is not None:
            print(f"keephome export: {problem}", file=err)
            return 2
        try:
            data = await export_tenant(db, tenant_ref, utcnow(), "cli", "html" if html is not None else "json")
        except LookupError as exc:
            print(f"keephome export: {exc}", file=err)
            return 2
        roles = await staff_roles(db) if html is not None else {}
    finally:
        await db.dispose()
    if html is None:
        out.write(to_json(data))
        return 0
    # The page in the console's language (KEEPHOME_CONSOLE_LANGUAGE, Danish unless set): it may be handed to the tenant.
    with speaking(settings.console_language):
        page = render_html(data, EXPORT_WORDS, zone=ZoneInfo(settings.timezone), staff=roles)
    try:
        await asyncio.to_thread(_write_new, html, page)
    except OSError as exc:
        print(f"keephome export: cannot write {html}: {exc.strerror}", file=err)
        return 2
    print(f"keephome export: wrote {html}", file=err)
    return 0
