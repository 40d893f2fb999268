"""The Alembic migrations build exactly the schema the code uses, on SQLite and PostgreSQL."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from bot.paths import MIGRATIONS_DIR
from bot.store.db import Database
from bot.store.migrate import SchemaBehind, current_revision, ensure_current, first_schema, head_revision, upgrade
from bot.store.schema import metadata


async def test_migrations_match_the_schema(empty_database_url: str) -> None:
    db = Database(empty_database_url)
    try:
        await upgrade(db)
        async with db.writer.connect() as conn:
            diff = await conn.run_sync(lambda c: compare_metadata(MigrationContext.configure(c), metadata))
        assert diff == []
        assert await current_revision(db) == head_revision()
        await upgrade(db)  # a second upgrade is a no-op
        await ensure_current(db)
    finally:
        await db.dispose()


async def test_an_empty_database_is_behind_and_says_what_to_run(empty_database_url: str) -> None:
    db = Database(empty_database_url)
    try:
        with pytest.raises(SchemaBehind, match="keephome db upgrade"):
            await ensure_current(db)
    finally:
        await db.dispose()


@pytest.mark.parametrize(
    ("search_path", "schema"),
    [
        ("keephome", "keephome"),
        ("hA_S2", "ha_s2"),  # unquoted: A-Z folded, as PostgreSQL reads the setting
        (" hA_S2 , public", "ha_s2"),
        ('"hA_S2"', "hA_S2"),  # quoted: as written
        ('"a""b", public', 'a"b'),
        ('"a,b"', "a,b"),
        ('"$user", public', "$user"),
        ("Ærø_X", "Ærø_x"),  # only A-Z fold in a UTF-8 database
        ("", None),
        ('"unclosed', None),
    ],
)
def test_the_first_schema_of_a_search_path_is_the_one_postgresql_finds(search_path: str, schema: str | None) -> None:
    assert first_schema(search_path) == schema


def _imports_from_bot(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules = [node.module]
        else:
            continue
        found += [f"{path.name}:{node.lineno} {m}" for m in modules if m.split(".")[0] == "bot"]
    return found


def test_no_migration_imports_from_bot() -> None:
    """A migration does to a database what it did when it was written, however late that database is upgraded: a
    rule it needs is copied into it (0026's names), never imported from bot/, whose code changes with the app. The
    schema's UTCDateTime only converts values in Python: a migration writes its column, sa.DateTime(timezone=True)."""
    versions = sorted((MIGRATIONS_DIR / "versions").glob("*.py"))
    assert len(versions) >= 26
    assert [found for path in versions for found in _imports_from_bot(path)] == []
    # A new migration starts from the template.
    template = (MIGRATIONS_DIR / "script.py.mako").read_text(encoding="utf-8")
    assert "import bot" not in template
    assert "from bot" not in template
