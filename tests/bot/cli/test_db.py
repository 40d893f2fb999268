"""`keephome db upgrade` says which database it migrated (never its password); commands refuse an empty one."""

from __future__ import annotations

import pytest

from bot.cli.db import run_db_upgrade
from bot.store.db import Database
from bot.store.migrate import SchemaBehind, ensure_current, head_revision
from tests.conftest import make_settings


async def test_upgrade_names_the_database_without_its_password(pg_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    # The server trusts local connections, so any password works: it must not be printed.
    url = pg_url.replace("postgres@", "postgres:hunter2-secret@", 1)
    assert await run_db_upgrade(make_settings(url)) == 0
    out = capsys.readouterr().out
    assert "hunter2-secret" not in out
    assert "127.0.0.1:5432/test" in out
    assert f"migrated: at revision {head_revision()}" in out


async def test_an_empty_database_is_called_empty(sqlite_url: str) -> None:
    db = Database(sqlite_url)
    try:
        with pytest.raises(SchemaBehind, match=r"is an empty database: run `keephome db upgrade` first"):
            await ensure_current(db)
    finally:
        await db.dispose()
