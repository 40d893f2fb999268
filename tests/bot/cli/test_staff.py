"""`keephome staff add EMAIL --role ROLE` and `keephome staff reset-password EMAIL`, run through the command
line's own entry point."""

from __future__ import annotations

import hashlib
import re
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.cli.main import ROLE_DUTIES, main
from bot.console.accounts import ROLES

PUBLIC = "https://keephome.example.org"


@pytest.fixture
def database(database: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The operator's shell (tests/bot/cli/conftest.py) with the public URL the set-up links start with."""
    monkeypatch.setenv("KEEPHOME_PUBLIC_URL", PUBLIC)
    return database


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
    assert link.startswith(f"{PUBLIC}/console/setup/") and len(out) == 3
    assert out[2].startswith("The link works once, for 72 hours (until 20")
    token = link.rsplit("/", 1)[1]
    [(email, role, active, password, token_hash)] = _rows(
        database, "SELECT email, role, active, password_hash, setup_token_hash FROM staff"
    )
    assert (email, role, active, password) == ("new.adviser@example.org", "adviser", 1, None)
    assert token_hash == hashlib.sha256(token.encode()).hexdigest()  # only the link's hash is kept
    assert _rows(database, "SELECT actor, action, target FROM audit_log") == [("cli", "staff.add", "staff:1")]


def test_staff_add_with_a_name_keeps_the_name_the_console_shows(
    database: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["staff", "add", "mette@example.org", "--role", "adviser", "--name", "  Mette   Holm "]) == 0
    assert main(["staff", "add", "jonas@example.org", "--role", "adviser"]) == 0
    assert _rows(database, "SELECT email, name FROM staff ORDER BY id") == [
        ("mette@example.org", "Mette Holm"),
        ("jonas@example.org", None),
    ]


def test_staff_add_refuses_a_second_account_for_the_same_email(
    database: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["staff", "add", "admin@example.org", "--role", "admin"]) == 0
    capsys.readouterr()
    assert main(["staff", "add", "ADMIN@example.org", "--role", "volunteer"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == (
        "keephome: a staff account for admin@example.org already exists; "
        "`keephome staff reset-password admin@example.org` makes a new one-time link for it"
    )
    assert _rows(database, "SELECT email, role FROM staff") == [("admin@example.org", "admin")]


def test_a_deactivated_account_is_pointed_to_its_reactivation(
    database: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Adding or resetting the e-mail of a deactivated person changes nothing and says the way back: reactivation on
    the Staff page, in a role chosen there (the role they had may not be the one they come back to)."""
    assert main(["staff", "add", "gone@example.org", "--role", "admin"]) == 0
    capsys.readouterr()
    with sqlite3.connect(database) as conn:
        conn.execute("UPDATE staff SET active = 0, password_hash = 'a-hash', setup_token_hash = NULL")
    for command in (
        ["staff", "add", "gone@example.org", "--role", "adviser"],
        ["staff", "reset-password", "gone@example.org"],
    ):
        assert main(command) == 2
        captured = capsys.readouterr()
        assert captured.out == "" and captured.err == (
            "keephome: the account for gone@example.org is deactivated: an admin reactivates it on the console's "
            "Staff page, in the role chosen there, which makes its new one-time link\n"
        )
    assert _rows(database, "SELECT role, active, password_hash, setup_token_hash FROM staff") == [
        ("admin", 0, "a-hash", None)
    ]
    assert [a for (a,) in _rows(database, "SELECT action FROM audit_log")] == ["staff.add"]


def test_staff_add_refuses_a_bad_email_or_role(database: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["staff", "add", "not-an-email", "--role", "adviser"]) == 2
    assert "not a valid e-mail address" in capsys.readouterr().err
    with pytest.raises(SystemExit) as refused:
        main(["staff", "add", "boss@example.org", "--role", "boss"])
    assert refused.value.code == 2
    assert "invalid choice: 'boss'" in capsys.readouterr().err
    assert _rows(database, "SELECT count(*) FROM staff") == [(0,)]


def _token(link: str) -> str:
    assert link.startswith(f"{PUBLIC}/console/setup/")
    return link.rsplit("/", 1)[1]


def test_a_volunteer_is_added_with_their_organisation(database: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["staff", "add", "helper@example.org", "--role", "volunteer", "--organisation", "Dansk Folkehjælp"]
    assert main(args) == 0
    assert _rows(database, "SELECT email, organisation FROM staff") == [("helper@example.org", "Dansk Folkehjælp")]


def test_a_printed_link_says_until_when_it_works(database: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = datetime.now(UTC)
    assert main(["staff", "add", "someone@example.org", "--role", "volunteer"]) == 0
    lasts = capsys.readouterr().out.splitlines()[2]
    found = re.search(r"until (\d{4}-\d\d-\d\d \d\d:\d\d) Europe/Copenhagen", lasts)
    assert found is not None and "72 hours" in lasts and "reset-password" in lasts
    [(expires,)] = _rows(database, "SELECT setup_expires_at FROM staff")
    stored = datetime.fromisoformat(str(expires)).replace(tzinfo=UTC)
    assert stored - before >= timedelta(hours=72)
    shown = datetime.strptime(found.group(1), "%Y-%m-%d %H:%M")
    local = stored.astimezone(ZoneInfo("Europe/Copenhagen")).replace(tzinfo=None)
    assert abs(local - shown) < timedelta(minutes=1)


def test_reset_password_ends_the_old_password_link_and_sessions(
    database: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["staff", "add", "adviser@example.org", "--role", "adviser"]) == 0
    first = _token(capsys.readouterr().out.splitlines()[1])
    with sqlite3.connect(database) as conn:
        conn.execute("UPDATE staff SET password_hash = 'a-hash', setup_token_hash = NULL")
        conn.execute(
            "INSERT INTO staff_sessions (id, staff_id, csrf_token, created_at, expires_at, revoked) "
            "VALUES ('s1', 1, 'c', '2026-01-01 00:00:00', '2999-01-01 00:00:00', 0)"
        )
    assert main(["staff", "reset-password", " Adviser@Example.org "]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(
        "adviser@example.org: the old password no longer works, every session has ended and Telegram notices stop"
    )
    new = _token(out[1])
    assert out[2].startswith("The link works once, for 72 hours") and len(out) == 3
    [(password, token_hash)] = _rows(database, "SELECT password_hash, setup_token_hash FROM staff")
    assert password is None and token_hash == hashlib.sha256(new.encode()).hexdigest() != first
    assert _rows(database, "SELECT revoked FROM staff_sessions") == [(1,)]
    audited = _rows(database, "SELECT actor, action, target FROM audit_log ORDER BY id")
    assert audited[-1] == ("cli", "staff.password_reset", "staff:1")
    # A second reset makes the link just printed stop working too.
    assert main(["staff", "reset-password", "adviser@example.org"]) == 0
    newer = _token(capsys.readouterr().out.splitlines()[1])
    [(token_hash,)] = _rows(database, "SELECT setup_token_hash FROM staff")
    assert token_hash == hashlib.sha256(newer.encode()).hexdigest() != hashlib.sha256(new.encode()).hexdigest()
    assert [a for (a,) in _rows(database, "SELECT action FROM audit_log")].count("staff.password_reset") == 2


def test_reset_password_of_no_active_account_says_so(database: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["staff", "add", "gone@example.org", "--role", "adviser"]) == 0
    capsys.readouterr()
    with sqlite3.connect(database) as conn:
        conn.execute("UPDATE staff SET active = 0")
    assert main(["staff", "reset-password", "nobody@example.org"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == "keephome: no active staff account for nobody@example.org\n"
    assert main(["staff", "reset-password", "gone@example.org"]) == 2
    assert "is deactivated" in capsys.readouterr().err
    assert [a for (a,) in _rows(database, "SELECT action FROM audit_log")] == ["staff.add"]


def test_staff_add_help_has_one_line_per_role(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as shown:
        main(["staff", "add", "--help"])
    assert shown.value.code == 0
    lines = capsys.readouterr().out.splitlines()
    described = [line.split()[0] for line in lines[lines.index("roles:") + 1 :] if line.strip()]
    assert described == list(ROLES) == list(ROLE_DUTIES)
    assert all(len(ROLE_DUTIES[role]) > 20 for role in ROLES)


def test_without_a_public_url_the_link_leads_to_where_keephome_serves(
    database: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Trying keephome on one machine on another port: the link must open the console that port serves.
    monkeypatch.delenv("KEEPHOME_PUBLIC_URL")
    monkeypatch.setenv("KEEPHOME_PORT", "18032")
    assert main(["staff", "add", "local@example.org", "--role", "admin"]) == 0
    assert capsys.readouterr().out.splitlines()[1].startswith("http://127.0.0.1:18032/console/setup/")


@pytest.mark.parametrize(
    "action", [["add", "other@example.org", "--role", "adviser"], ["reset-password", "new@example.org"]]
)
def test_a_link_to_this_machine_is_said_to_open_only_here(
    database: Path, action: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without KEEPHOME_PUBLIC_URL the link is http://127.0.0.1:8000/…: sent to a colleague, it opens nothing."""
    assert main(["staff", "add", "new@example.org", "--role", "adviser"]) == 0
    capsys.readouterr()
    monkeypatch.delenv("KEEPHOME_PUBLIC_URL")
    assert main(["staff", *action]) == 0
    said = capsys.readouterr()
    assert "http://127.0.0.1:8000/console/setup/" in said.out
    assert said.err.splitlines() == [
        "note: the link opens only on this machine (http://127.0.0.1:8000): set KEEPHOME_PUBLIC_URL to the address "
        "staff reach the console at, and make a new link with `keephome staff reset-password EMAIL`"
    ]


def test_a_link_to_the_public_address_has_no_note(database: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["staff", "add", "new@example.org", "--role", "adviser"]) == 0
    assert capsys.readouterr().err == ""
