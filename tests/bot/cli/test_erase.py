"""`keephome erase`: it asks before it erases, names the tenant, and says in plain words how to import them again."""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path

import pytest

from bot.cli.demo import demo_settings
from bot.cli.main import main

SECRET = "test-secret-key-test-secret-key-0123"
CSV = "tenant_ref,name,phone\nT-1,Amira Hansen,+4540123456\n"


class Terminal(io.StringIO):
    """What a person types at a terminal (the command's stdin is one)."""

    def isatty(self) -> bool:
        return True


@pytest.fixture
def imported(database: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Path:
    """The operator's shell (tests/bot/cli/conftest.py) with a secret key and one tenant, T-1; the SQLite file."""
    monkeypatch.setenv("KEEPHOME_SECRET_KEY", SECRET)
    (database.parent / "tenants.csv").write_text(CSV, encoding="utf-8")
    assert main(["import", "tenants.csv"]) == 0
    capsys.readouterr()
    return database


def _statuses(database: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(database) as conn:
        return [(str(name), str(status)) for name, status in conn.execute("SELECT name, status FROM tenants")]


@pytest.mark.parametrize("answer", ["\n", "n\n", "nej\n", ""])
def test_at_a_terminal_erase_asks_first_and_erases_nothing_without_a_yes(
    imported: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], answer: str
) -> None:
    monkeypatch.setattr("sys.stdin", Terminal(answer))
    assert main(["erase", "T-1"]) == 1
    said = capsys.readouterr()
    assert said.out == "Erase tenant T-1 (Amira Hansen)? This cannot be undone [y/N] "
    assert said.err == "keephome erase: nothing was erased\n"
    assert _statuses(imported) == [("Amira Hansen", "active")]


def test_at_a_terminal_a_yes_erases_and_says_how_to_import_the_tenant_again(
    imported: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", Terminal("y\n"))
    assert main(["erase", "T-1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("Erase tenant T-1 (Amira Hansen)? This cannot be undone [y/N] erased tenant 'T-1' ")
    assert lines[1:] == [
        "to import 'T-1' again, add the column reactivate to the file with 1 on that tenant's row "
        '(through the API: "reactivate": true)'
    ]
    assert _statuses(imported) == [("", "erased")]
    # What the line says works: the same file is left out, the file with the column brings the tenant back.
    assert main(["import", "tenants.csv"]) == 0
    assert _statuses(imported) == [("", "erased")]
    (imported.parent / "again.csv").write_text(
        "tenant_ref,name,phone,reactivate\nT-1,Amira Hansen,+4540123456,1\n", encoding="utf-8"
    )
    assert main(["import", "again.csv"]) == 0
    assert sorted(_statuses(imported)) == [("", "erased"), ("Amira Hansen", "active")]


def test_without_a_terminal_erase_needs_yes_and_says_so(
    imported: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))  # a pipe: nobody can be asked, whatever it holds
    assert main(["erase", "T-1"]) == 2
    said = capsys.readouterr()
    assert said.out == ""
    assert said.err == (
        "keephome erase: no terminal to confirm at: add --yes to erase tenant 'T-1' (it cannot be undone); "
        "nothing was erased\n"
    )
    assert _statuses(imported) == [("Amira Hansen", "active")]
    assert main(["erase", "--yes", "T-1"]) == 0
    assert capsys.readouterr().out.startswith("erased tenant 'T-1' (id 1): ")
    assert _statuses(imported) == [("", "erased")]


def test_a_tenant_that_is_not_there_is_said_before_anything_is_asked(
    imported: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", Terminal("y\n"))
    assert main(["erase", "T-2"]) == 2
    said = capsys.readouterr()
    assert said.out == "" and said.err == 'keephome erase: there is no tenant with tenant_ref "T-2"\n'


def test_erase_in_the_demo_from_another_folder_makes_nothing_and_says_where_it_looked(
    database: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The walk: the demo ran in one folder; `keephome erase --demo DEMO-11` typed in another made an empty demo
    database and key there, then said there was no such tenant. Now it makes nothing and says where it looked; the
    file it names, given as it says, erases the tenant in the demo's own database with the demo's own key."""
    demo = database.parent / "demo"
    demo.mkdir()
    monkeypatch.chdir(demo)
    monkeypatch.delenv("KEEPHOME_DATABASE_URL")
    demo_file = demo / "keephome-demo.db"
    # The demo's database and its key beside it, as `keephome demo` leaves them, with DEMO-11 in it.
    assert demo_settings().secret_key
    monkeypatch.setenv("KEEPHOME_DATABASE_URL", f"sqlite+aiosqlite:///{demo_file}")
    (demo / "tenants.csv").write_text("tenant_ref,name,phone\nDEMO-11,Hans Prøve,+4520123411\n", encoding="utf-8")
    assert main(["import", "tenants.csv"]) == 0
    monkeypatch.delenv("KEEPHOME_DATABASE_URL")
    elsewhere = database.parent / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    capsys.readouterr()

    assert main(["erase", "--demo", "--yes", "DEMO-11"]) == 2
    said = capsys.readouterr()
    assert said.out == ""
    assert said.err == (
        f"keephome: configuration problem: no demo database at {elsewhere / 'keephome-demo.db'}: run this in the "
        "folder where `keephome demo` was started, or name its file with "
        "KEEPHOME_DATABASE_URL=sqlite+aiosqlite:////path/to/keephome-demo.db\n"
    )
    assert list(elsewhere.iterdir()) == []  # no database, no key

    monkeypatch.setenv("KEEPHOME_DATABASE_URL", f"sqlite+aiosqlite:///{demo_file}")
    # Without the key beside it a new one would not read the demo's tombstones: named, and none made.
    key = demo / "keephome-demo.db.key"
    key.rename(demo / "moved.key")
    assert main(["erase", "--demo", "--yes", "DEMO-11"]) == 2
    assert capsys.readouterr().err == (
        f"keephome: configuration problem: no demo key at {key}: set KEEPHOME_SECRET_KEY to the key the demo ran with\n"
    )
    assert not key.exists()
    (demo / "moved.key").rename(key)
    capsys.readouterr()
    assert main(["erase", "--demo", "--yes", "DEMO-11"]) == 0
    assert _statuses(demo_file) == [("", "erased")]
    assert list(elsewhere.iterdir()) == []
    # The demo's way back, not an import's: the demo seeds its tenants itself and leaves the erased out.
    assert capsys.readouterr().out.splitlines()[1:] == [
        f"the demo keeps 'DEMO-11' erased when it starts again; to start afresh, stop the demo and delete {demo_file}"
    ]
