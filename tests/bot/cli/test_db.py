"""`keephome db upgrade` says which database it migrated (never its password); commands refuse an empty one."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest

from bot.cli.db import run_db_upgrade
from bot.cli.import_csv import run_import
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
    assert f"migrated: from an empty database to revision {head_revision()}" in out


async def test_a_second_upgrade_says_there_was_nothing_to_migrate(
    sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = make_settings(sqlite_url)
    assert await run_db_upgrade(settings) == 0
    assert await run_db_upgrade(settings) == 0
    first, second = capsys.readouterr().out.splitlines()
    assert first.endswith(f"migrated: from an empty database to revision {head_revision()} (newest: {head_revision()})")
    assert second.endswith(f"was already at revision {head_revision()} (the newest): nothing to migrate")


async def test_an_empty_database_is_called_empty(sqlite_url: str) -> None:
    db = Database(sqlite_url)
    try:
        with pytest.raises(SchemaBehind, match=r"is an empty database: run `keephome db upgrade` first"):
            await ensure_current(db)
    finally:
        await db.dispose()


async def test_upgrade_makes_the_schema_its_search_path_names(pg_url: str) -> None:
    """`run` on an empty database sends the operator to `db upgrade`: a schema not made yet is made there, not a
    traceback that sends them round in a circle."""
    import uuid

    import asyncpg

    from tests.conftest import PG_URL
    from tests.support.schema import asyncpg_dsn

    name = f"new_{uuid.uuid4().hex[:10]}"
    url = f"{PG_URL}?search_path={name}"
    try:
        assert await run_db_upgrade(make_settings(url)) == 0
        db = Database(url)
        try:
            await ensure_current(db)
        finally:
            await db.dispose()
    finally:
        admin = await asyncpg.connect(asyncpg_dsn(PG_URL))
        try:
            await admin.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
        finally:
            await admin.close()


@pytest.mark.parametrize(
    ("written", "made"),
    [("hC_Upper{}", "hc_upper{}"), ("%22hC_Upper{}%22", "hC_Upper{}")],
)
async def test_a_schema_named_in_capitals_is_made_and_found_as_postgresql_reads_the_name(
    pg_url: str, written: str, made: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The audit's `?search_path=hA_S2` made the schema "hA_S2" and then looked for ha_s2 (a traceback): an unquoted
    name is the lower-case one, as in SQL, and a quoted one (%22 in a URL) keeps its capitals."""
    import uuid

    import asyncpg

    from tests.conftest import PG_URL
    from tests.support.schema import asyncpg_dsn

    tag = uuid.uuid4().hex[:8]
    url, schema = f"{PG_URL}?search_path={written.format(tag)}", made.format(tag)
    admin = await asyncpg.connect(asyncpg_dsn(PG_URL))
    try:
        assert await run_db_upgrade(make_settings(url)) == 0
        assert f"migrated: from an empty database to revision {head_revision()}" in capsys.readouterr().out
        db = Database(url)
        try:
            await ensure_current(db)  # what `run` asks before it starts
        finally:
            await db.dispose()
        tables = await admin.fetch("SELECT table_name FROM information_schema.tables WHERE table_schema = $1", schema)
        assert {"alembic_version", "tenants"} <= {t["table_name"] for t in tables}
    finally:
        try:
            await admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        finally:
            await admin.close()


async def test_a_sqlite_file_named_from_the_working_folder_is_shown_as_the_file_it_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`db upgrade` run in another folder than the service's (say, without `cd /var/lib/keephome`) makes a new file
    there: the line names it, so the operator sees it is not the service's database."""
    monkeypatch.chdir(tmp_path)
    assert await run_db_upgrade(make_settings("sqlite+aiosqlite:///keephome.db")) == 0
    assert capsys.readouterr().out.startswith(f"sqlite+aiosqlite:///keephome.db (the file {tmp_path / 'keephome.db'}) ")


async def test_a_command_that_migrates_a_sqlite_file_says_so_in_the_log_once(
    sqlite_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A SQLite deployment migrates itself when `run` (or any command) starts: after an upgrade of keephome, the log
    says it did, from which revision to which; a start with nothing to migrate says nothing."""
    csv = tmp_path / "tenants.csv"
    csv.write_text("tenant_ref,name,phone\nT-1,Amira Hansen,+4540123456\n", encoding="utf-8")
    settings = make_settings(sqlite_url)
    with caplog.at_level(logging.INFO, logger="bot.store.migrate"):
        assert await run_import(settings, csv, True, io.StringIO()) == 0
        assert await run_import(settings, csv, True, io.StringIO()) == 0
    said = [r.getMessage() for r in caplog.records if r.name == "bot.store.migrate"]
    assert said == [
        f"{sqlite_url} migrated: from an empty database to revision {head_revision()} (newest: {head_revision()})"
    ]
