"""A command given another KEEPHOME_SECRET_KEY than the database's refuses, rather than bring erased tenants back."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.cli.main import main

KEY = "test-secret-key-test-secret-key-0123"
OLD_ENV_KEY = "another-key-from-an-old-env-file-4567"
CSV = "tenant_ref,name,phone\nW-1,Amira Hansen,+4540123456\nW-2,Bo Jensen,+4540123457\n"
REFUSED = (
    "KEEPHOME_SECRET_KEY is not the key this database was used with: give this command the key `run` has (its .env); "
    "to change the key on purpose, `keephome db change-key --yes` with the new key set (it forgets the erased "
    "tenants' tombstones, so an import can bring them back)"
)


@pytest.fixture
def erased(database: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Path:
    """W-1 and W-2 imported with KEY, W-2 erased; the SQLite file."""
    monkeypatch.setenv("KEEPHOME_SECRET_KEY", KEY)
    (database.parent / "good.csv").write_text(CSV, encoding="utf-8")
    assert main(["import", "good.csv"]) == 0
    assert main(["erase", "W-2", "--yes"]) == 0
    capsys.readouterr()
    return database


def _tenants(database: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(database) as conn:
        return sorted((str(n), str(s)) for n, s in conn.execute("SELECT name, status FROM tenants"))


@pytest.mark.parametrize(
    "command", [["import", "good.csv"], ["import", "--dry-run", "good.csv"], ["erase", "W-1", "--yes"]]
)
def test_a_command_with_another_key_refuses_in_one_line_and_changes_nothing(
    erased: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    monkeypatch.setenv("KEEPHOME_SECRET_KEY", OLD_ENV_KEY)
    assert main(command) == 2
    said = capsys.readouterr()
    assert said.out == ""
    assert said.err.startswith(f"keephome {command[0]}: {REFUSED}")
    assert said.err.count("\n") == 1
    assert _tenants(erased) == [("", "erased"), ("Amira Hansen", "active")]


@pytest.mark.timeout(60)  # with the check undone, `run` serves until stopped
def test_run_with_another_key_does_not_start(
    erased: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KEEPHOME_SECRET_KEY", OLD_ENV_KEY)
    assert main(["run"]) == 2
    assert capsys.readouterr().err == f"keephome: {REFUSED}\n"


def test_the_key_changed_on_purpose_forgets_the_tombstones(
    erased: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # A number no tenant had said STOP: kept as a hash keyed with the old key, which the new one cannot match.
    with sqlite3.connect(erased) as conn:
        conn.execute(
            "INSERT INTO unknown_senders (address_hash, failed_codes, stopped_at) VALUES ('a1', 0, '2026-12-01 10:00')"
        )
    monkeypatch.setenv("KEEPHOME_SECRET_KEY", OLD_ENV_KEY)
    assert main(["db", "change-key"]) == 2  # without --yes it says what would be lost and changes nothing
    said = capsys.readouterr().err
    assert "tombstones are forgotten" in said and "so are the STOPs kept of numbers no tenant had" in said
    assert main(["import", "good.csv"]) == 2
    assert main(["db", "change-key", "--yes"]) == 0
    assert capsys.readouterr().out.startswith(
        "KEEPHOME_SECRET_KEY is now this database's key; 1 erased tenants' tombstones forgotten\n"
        "1 STOPs kept of numbers no tenant had forgotten (an import stores a tenant given one active)\n"
    )
    with sqlite3.connect(erased) as conn:
        assert conn.execute("SELECT count(*) FROM unknown_senders WHERE stopped_at IS NOT NULL").fetchone() == (0,)
    assert main(["import", "good.csv"]) == 0
    assert _tenants(erased) == [("", "erased"), ("Amira Hansen", "active"), ("Bo Jensen", "active")]
    # The old key is now the other one.
    monkeypatch.setenv("KEEPHOME_SECRET_KEY", KEY)
    assert main(["import", "good.csv"]) == 2


def test_a_database_from_before_the_check_takes_the_first_key_it_is_given(
    erased: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with sqlite3.connect(erased) as conn:
        conn.execute("DELETE FROM settings_flags WHERE name = 'key_check'")
    assert main(["import", "good.csv"]) == 0
    assert _tenants(erased) == [("", "erased"), ("Amira Hansen", "active")]
    monkeypatch.setenv("KEEPHOME_SECRET_KEY", OLD_ENV_KEY)
    assert main(["import", "good.csv"]) == 2
