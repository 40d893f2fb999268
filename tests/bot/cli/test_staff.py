"""`keephome staff add EMAIL --role ROLE`, run through the command line's own entry point."""

from __future__ import annotations

import hashlib
import os
import sqlite3
from pathlib import Path

import pytest

from bot.cli.main import main

PUBLIC = "https://keephome.example.org"


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh SQLite file named by the environment, as an operator would; no .env, no other KEEPHOME_ variable."""
    for name in list(os.environ):
        if name.startswith("KEEPHOME_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "keephome.db"
    monkeypatch.setenv("KEEPHOME_DATABASE_URL", f"sqlite+aiosqlite:///{path}")
    monkeypatch.setenv("KEEPHOME_PUBLIC_URL", PUBLIC)
    return path


def _rows(path: Path, query: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as conn:
        return conn.execute(query).fetchall()


def test_staff_add_creates_an_account_and_prints_a_one_time_link(
    database: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["staff", "add", "New.Adviser@Example.org", "--role", "adviser"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "adviser new.adviser@example.org added. Send them this one-time link to set a password:"
    link = out[1]
    assert link.startswith(f"{PUBLIC}/console/setup/") and len(out) == 2
    token = link.rsplit("/", 1)[1]
    [(email, role, active, password, token_hash)] = _rows(
        database, "SELECT email, role, active, password_hash, setup_token_hash FROM staff"
    )
    assert (email, role, active, password) == ("new.adviser@example.org", "adviser", 1, None)
    assert token_hash == hashlib.sha256(token.encode()).hexdigest()  # only the link's hash is kept
    assert _rows(database, "SELECT actor, action, target FROM audit_log") == [("cli", "staff.add", "staff:1")]


def test_staff_add_refuses_a_second_account_for_the_same_email(
    database: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["staff", "add", "admin@example.org", "--role", "admin"]) == 0
    capsys.readouterr()
    assert main(["staff", "add", "ADMIN@example.org", "--role", "volunteer"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == "keephome: a staff account for admin@example.org already exists"
    assert _rows(database, "SELECT email, role FROM staff") == [("admin@example.org", "admin")]


def test_staff_add_refuses_a_bad_email_or_role(database: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["staff", "add", "not-an-email", "--role", "adviser"]) == 2
    assert "not a valid e-mail address" in capsys.readouterr().err
    with pytest.raises(SystemExit) as refused:
        main(["staff", "add", "boss@example.org", "--role", "boss"])
    assert refused.value.code == 2
    assert "invalid choice: 'boss'" in capsys.readouterr().err
    assert _rows(database, "SELECT count(*) FROM staff") == [(0,)]
