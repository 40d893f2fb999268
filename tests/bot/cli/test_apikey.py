"""`keephome apikey add NAME --scope read|write|erase`, run through the command line's own entry point."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from bot.cli.main import main


def _rows(path: Path, query: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as conn:
        return conn.execute(query).fetchall()


def test_apikey_add_prints_the_key_once_on_a_line_of_its_own_and_keeps_its_hash(
    database: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["apikey", "add", "Ledger sync", "--scope", "write"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "API key 1 (write) for Ledger sync added. It is shown only now; keephome keeps its hash:"
    key = out[1]
    assert key.startswith("kh_") and len(key) == 46 and " " not in key
    rows = _rows(database, "SELECT name, scope, key_hash, last_used_at, revoked_at FROM api_keys")
    assert rows == [("Ledger sync", "write", hashlib.sha256(key.encode()).hexdigest(), None, None)]
    assert _rows(database, "SELECT actor, action, target FROM audit_log") == [("cli", "apikey.add", "apikey:1")]
    assert main(["apikey", "add", "Second", "--scope", "erase"]) == 0
    second = capsys.readouterr().out.splitlines()[1]
    assert second != key


def test_a_bad_scope_or_name_is_refused_and_nothing_is_stored(
    database: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["apikey", "add", "Ledger", "--scope", "admin"])
    assert exited.value.code == 2
    assert main(["apikey", "add", "   ", "--scope", "read"]) == 2
    assert "a key needs a name" in capsys.readouterr().err
    assert _rows(database, "SELECT COUNT(*) FROM api_keys") == [(0,)]
