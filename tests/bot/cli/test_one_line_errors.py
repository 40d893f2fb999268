"""What an operator gets wrong meets one line on stderr naming the setting and the fix, and a non-zero exit code,
never a traceback (README, "Settings"): run through the command line's own entry point, as `keephome` runs."""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import os
import re
import socket
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy import make_url

from bot.cli.main import main
from bot.settings import NOT_SETTINGS
from bot.store import db as db_module
from bot.store.migrate import head_revision
from tests.conftest import PG_URL
from tests.support.schema import asyncpg_dsn

SECRET = "test-secret-key-test-secret-key-0123"
REPO = Path(__file__).resolve().parents[3]
CSV = "tenant_ref,name,phone\nT-1,Amira Hansen,+4540123456\n"


@pytest.fixture
def env(database: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The operator's shell (tests/bot/cli/conftest.py) with a secret key; the SQLite file's path is returned. A `run`
    that gets as far as serving fails at once (every `run` here must stop before), instead of serving for ever."""
    monkeypatch.setenv("KEEPHOME_SECRET_KEY", SECRET)

    async def served(rt: Any) -> int:
        await rt.db.dispose()
        raise AssertionError("`run` started serving")

    monkeypatch.setattr("bot.cli.serve.serve", served)
    return database


def _one_line(capsys: pytest.CaptureFixture[str]) -> str:
    """The command's only line on stderr (no traceback, nothing else)."""
    err = capsys.readouterr().err
    lines = err.splitlines()
    assert len(lines) == 1, err
    return lines[0]


# 0. A KEEPHOME_ name keephome does not read


@pytest.mark.parametrize("command", [["db", "upgrade"], ["import", "tenants.csv"], ["run"], ["remind", "--dry-run"]])
def test_a_misspelled_variable_stops_every_command_naming_the_one_meant(
    env: Path, command: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The audit's case: a typo in the database URL's name migrated a SQLite file here and said all was well."""
    (env.parent / "tenants.csv").write_text(CSV, encoding="utf-8")
    monkeypatch.delenv("KEEPHOME_DATABASE_URL")
    monkeypatch.setenv("KEEPHOME_DATABSE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
    assert main(command) == 2
    assert _one_line(capsys) == (
        "keephome: configuration problem: KEEPHOME_DATABSE_URL is not a keephome setting "
        "(did you mean KEEPHOME_DATABASE_URL?)"
    )
    assert not (env.parent / "keephome.db").exists()  # nothing was migrated or written


def test_a_misspelled_variable_in_the_env_file_is_named_with_the_file(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (env.parent / ".env").write_text(
        "# keephome\nKEEPHOME_TELEGRAM_SECRETS=abc\nAPI_KEY=not-keephome's\n", encoding="utf-8"
    )
    assert main(["db", "upgrade"]) == 2
    assert _one_line(capsys) == (
        "keephome: configuration problem: KEEPHOME_TELEGRAM_SECRETS in .env is not a keephome setting "
        "(did you mean KEEPHOME_TELEGRAM_SECRET?)"
    )
    assert not env.exists()


def test_an_env_file_saved_in_latin_1_is_one_line_naming_its_line(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An editor's "Western" encoding writes ø as one byte: reading the file ended in a UnicodeDecodeError traceback."""
    (env.parent / ".env").write_bytes(b"# keephome\nKEEPHOME_ORG_NAME=Boligselskabet N\xf8rrebro\n")
    assert main(["db", "upgrade"]) == 2
    assert _one_line(capsys) == (
        "keephome: configuration problem: .env is not UTF-8 text (line 2): save it with the encoding UTF-8"
    )
    assert not env.exists()  # nothing was migrated


def test_an_env_line_that_is_no_setting_is_one_line_naming_it_not_a_default_kept(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """python-dotenv only warns of a line it cannot read ("KEEPHOME_PAUSED true", a quote not closed) and the setting
    quietly kept its default: a pause switch written so was no pause. The line is not printed: it may be a secret's."""
    (env.parent / ".env").write_text('# keephome\nKEEPHOME_PAUSED true\nKEEPHOME_SECRET_KEY="abc\n', encoding="utf-8")
    assert main(["db", "upgrade"]) == 2
    assert _one_line(capsys) == (
        "keephome: configuration problem: .env line 2 is not NAME=value (a missing '=', or a quote not closed): "
        "write it as NAME=value, e.g. KEEPHOME_PAUSED=true"
    )
    assert not env.exists()  # nothing was migrated


def test_a_keephome_name_alone_on_its_env_line_is_refused_not_read_as_its_default(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A line of only KEEPHOME_PAUSED, with no '=', read as no value at all, so the service ran unpaused: it is told
    as the line with a space is. Another tool's bare name is left alone, as names without the prefix are."""
    (env.parent / ".env").write_text("# keephome\nOTHER_TOOL\nKEEPHOME_PAUSED\n", encoding="utf-8")
    assert main(["db", "upgrade"]) == 2
    assert _one_line(capsys) == (
        "keephome: configuration problem: .env line 3 is not NAME=value (a missing '=', or a quote not closed): "
        "write it as NAME=value, e.g. KEEPHOME_PAUSED=true"
    )
    assert not env.exists()  # nothing was migrated


def test_every_unknown_name_is_on_the_one_line(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("keephome_colour", "red")  # names are read in any case, as the settings read them
    monkeypatch.setenv("KEEPHOME_PORTT", "8080")
    (env.parent / ".env").write_text("KEEPHOME_SCREENSHOT_DIR=shots\n", encoding="utf-8")
    assert main(["db", "upgrade"]) == 2
    assert _one_line(capsys) == (
        "keephome: configuration problem: KEEPHOME_COLOUR is not a keephome setting (the README's Settings list "
        "every one); KEEPHOME_PORTT is not a keephome setting (did you mean KEEPHOME_PORT?); KEEPHOME_SCREENSHOT_DIR "
        "in .env is not read from there: set it in the environment"
    )


def test_the_variables_of_the_tools_around_keephome_are_allowed(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`./dev`'s interpreter, the tests' screenshot folder and the bench's pinning are no settings, and an environment
    that has them runs."""
    for name in NOT_SETTINGS:
        monkeypatch.setenv(name, "1")
    monkeypatch.setenv("KEEPHOME_TEST_DATABASE_URL", PG_URL)
    (env.parent / ".env").write_text("KEEPHOME_ORG_NAME=Boligselskabet Syd\nOTHER_TOOL=1\n", encoding="utf-8")
    assert main(["db", "upgrade"]) == 0
    assert capsys.readouterr().err == ""
    assert env.exists()


def test_a_twilio_sender_that_is_no_number_stops_run_in_one_line(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KEEPHOME_TWILIO_ACCOUNT_SID", "AC" + "0" * 32)
    monkeypatch.setenv("KEEPHOME_TWILIO_AUTH_TOKEN", "t" * 32)
    monkeypatch.setenv("KEEPHOME_TWILIO_FROM", "Boligsel")
    assert main(["run"]) == 2
    assert _one_line(capsys) == (
        "keephome: configuration problem: KEEPHOME_TWILIO_FROM: 'Boligsel' is not a phone number: set the "
        "reply-capable number Twilio gave the account, e.g. +4570102030 or 70 10 20 30 (a sender name cannot take "
        "the tenants' answers)"
    )


def test_a_telegram_secret_telegram_would_refuse_stops_run_in_one_line(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KEEPHOME_TELEGRAM_TOKEN", "123:abc")
    monkeypatch.setenv("KEEPHOME_TELEGRAM_SECRET", "q83v+Y/aB9==")  # base64, "a random string"
    assert main(["run"]) == 2
    assert _one_line(capsys) == (
        "keephome: configuration problem: KEEPHOME_TELEGRAM_SECRET holds a character Telegram refuses in a webhook "
        'secret: use only A-Z, a-z, 0-9, _ and -, 1 to 256 of them (e.g. python3 -c "import secrets; '
        'print(secrets.token_urlsafe(32))")'
    )


@pytest.mark.parametrize("key", [None, "too-short"])
def test_the_command_a_missing_or_short_secret_key_is_told_to_run_makes_one_run_takes(
    env: Path, key: str | None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The operator pastes the command the line shows into a Debian shell, where there is `python3` and no `python`:
    it must print a key, and `run` must take that key. The shell finds a `python3` (this interpreter) and no `python`
    in a folder of its own, then Debian's folders."""
    shell = env.parent / "debian-bin"
    shell.mkdir()
    (shell / "python3").symlink_to(sys.executable)
    debian = f"{shell}:/usr/bin:/bin"
    if key is None:
        monkeypatch.delenv("KEEPHOME_SECRET_KEY")
    else:
        monkeypatch.setenv("KEEPHOME_SECRET_KEY", key)
    assert main(["run"]) == 2
    line = _one_line(capsys)
    assert line.startswith("keephome: configuration problem: KEEPHOME_SECRET_KEY ")
    command = line[line.index("(e.g. ") + len("(e.g. ") : line.rindex(")")]
    made = subprocess.run(["sh", "-c", command], env={"PATH": debian}, capture_output=True, text=True, check=False)
    assert made.returncode == 0, made.stderr
    monkeypatch.setenv("KEEPHOME_SECRET_KEY", made.stdout.strip())
    with pytest.raises(AssertionError, match="started serving"):  # past the settings: the key was taken
        main(["run"])


@pytest.mark.parametrize("channel", ["sms", "telegram"])
def test_the_example_numbers_told_to_tenants_stop_run_with_a_real_provider(
    env: Path, channel: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every reminder says "ring til os på …": with the example numbers a live deployment sends tenants to nobody."""
    if channel == "sms":
        monkeypatch.setenv("KEEPHOME_TWILIO_ACCOUNT_SID", "AC" + "0" * 32)
        monkeypatch.setenv("KEEPHOME_TWILIO_AUTH_TOKEN", "t" * 32)
        monkeypatch.setenv("KEEPHOME_TWILIO_FROM", "+4570102030")
    else:
        monkeypatch.setenv("KEEPHOME_TELEGRAM_TOKEN", "123:abc")
        monkeypatch.setenv("KEEPHOME_TELEGRAM_SECRET", "s3cret")
    monkeypatch.setenv("KEEPHOME_ORG_NAME", "Boligselskabet Syd")
    monkeypatch.setenv("KEEPHOME_KOMMUNE_PHONE", "+4533663366")
    assert main(["run"]) == 2
    assert _one_line(capsys) == (
        "keephome: configuration problem: KEEPHOME_ADVISER_PHONE is still keephome's example +4570000000: the texts "
        "tell tenants to call it: set the real number"
    )
    # With a stand-in on this machine instead (a test, a rehearsal), the examples may stay.
    monkeypatch.setenv("KEEPHOME_TWILIO_API_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("KEEPHOME_TELEGRAM_API_URL", "http://127.0.0.1:9/bot")
    with pytest.raises(AssertionError, match="started serving"):
        main(["run"])


def test_the_readmes_env_copied_as_it_stands_stops_run_with_a_real_provider(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """An operator who pastes the README's `.env` and adds Twilio is told to write the organisation's own name and
    numbers: SMS would otherwise send every tenant to a number that may be a stranger's."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = readme[readme.index("cat > .env <<EOF") :].split("\n", 1)[1]
    dotenv = block[: block.index("\nEOF\n") + 1]
    (env.parent / ".env").write_text(re.sub(r"\$\(python3 [^\n]*\)", SECRET, dotenv), encoding="utf-8")
    monkeypatch.delenv("KEEPHOME_SECRET_KEY")  # the .env's
    monkeypatch.setenv("KEEPHOME_TWILIO_ACCOUNT_SID", "AC" + "0" * 32)
    monkeypatch.setenv("KEEPHOME_TWILIO_AUTH_TOKEN", "t" * 32)
    monkeypatch.setenv("KEEPHOME_TWILIO_FROM", "+4570102030")
    assert main(["run"]) == 2
    assert _one_line(capsys) == (
        "keephome: configuration problem: KEEPHOME_ORG_NAME is still keephome's example Boligselskabet: the texts "
        "are signed with it: set the organisation's name; KEEPHOME_ADVISER_PHONE is still keephome's example "
        "+4570000000; KEEPHOME_KOMMUNE_PHONE is still keephome's example +4570000001: the texts tell tenants to call "
        "it: set the real number"
    )


def test_a_real_bot_beside_sms_without_its_username_stops_run(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The link-code SMS would say "write the code to us on Telegram" and name none."""
    monkeypatch.setenv("KEEPHOME_TWILIO_ACCOUNT_SID", "AC" + "0" * 32)
    monkeypatch.setenv("KEEPHOME_TWILIO_AUTH_TOKEN", "t" * 32)
    monkeypatch.setenv("KEEPHOME_TWILIO_FROM", "+4570102030")
    monkeypatch.setenv("KEEPHOME_TELEGRAM_TOKEN", "123:abc")
    monkeypatch.setenv("KEEPHOME_TELEGRAM_SECRET", "s3cret")
    monkeypatch.setenv("KEEPHOME_ORG_NAME", "Boligselskabet Syd")
    monkeypatch.setenv("KEEPHOME_ADVISER_PHONE", "+4533663300")
    monkeypatch.setenv("KEEPHOME_KOMMUNE_PHONE", "+4533663366")
    assert main(["run"]) == 2
    assert _one_line(capsys) == (
        "keephome: configuration problem: KEEPHOME_TELEGRAM_BOT is missing: the SMS with a Telegram code tells "
        "tenants which bot to write to: set the bot's username (e.g. BoligselskabetBot)"
    )
    monkeypatch.setenv("KEEPHOME_TELEGRAM_BOT", "BoligselskabetBot")
    with pytest.raises(AssertionError, match="started serving"):
        main(["run"])


@pytest.mark.parametrize(
    ("name", "value", "said"),
    [
        ("KEEPHOME_PAUSED", "maybe", "'maybe' is not true or false: write true or false"),
        ("KEEPHOME_PORT", "8000a", "'8000a' is not a whole number: write digits only"),
        ("KEEPHOME_PORT", "99999", "'99999' is out of range: write at most 65535"),
        ("KEEPHOME_PLAN_HOUR", "24", "'24' is out of range: write at most 23"),
        ("KEEPHOME_QUIET_START", "25:00", "'25:00' is not a time of day: write HH:MM, e.g. 20:00"),
        ("KEEPHOME_TWILIO_RATE", "0,5", "'0,5' is not a number: write digits, with a point before a fraction (0.5)"),
    ],
)
def test_a_value_of_the_wrong_kind_is_told_with_the_fix(
    env: Path, name: str, value: str, said: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Not pydantic's "Input should be a valid boolean, unable to interpret input": what to write instead."""
    monkeypatch.setenv(name, value)
    assert main(["run"]) == 2
    assert _one_line(capsys) == f"keephome: configuration problem: {name}: {said}"


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("postgres://keephome:pw@db.example.org/keephome", "starts with postgres://: write postgresql+asyncpg://"),
        ("postgresql://keephome@db.example.org/keephome", "starts with postgresql://: write postgresql+asyncpg://"),
        ("sqlite:////var/lib/keephome/keephome.db", "starts with sqlite://: write sqlite+aiosqlite://"),
    ],
)
def test_a_database_url_without_keephome_s_driver_is_told_the_one_to_write(
    env: Path, url: str, said: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A URL copied from another tool (a hosting panel's postgres://) names the database, not the driver."""
    monkeypatch.setenv("KEEPHOME_DATABASE_URL", url)
    assert main(["db", "upgrade"]) == 2
    line = _one_line(capsys)
    assert (
        line == f"keephome: configuration problem: KEEPHOME_DATABASE_URL {said} in its place (the rest stays as it is)"
    )
    assert "pw" not in line


@pytest.mark.parametrize(
    ("query", "said"),
    [
        (
            "sslmode=require",
            "?sslmode= is libpq's name: write ?ssl=require (the name keephome's driver, asyncpg, reads)",
        ),
        (
            "ssl=on",
            "?ssl=on is no SSL mode: write ?ssl= with one of disable, allow, prefer, require, verify-ca, verify-full",
        ),
        (
            "connect_timeout=10",
            "?connect_timeout= is not read by keephome's PostgreSQL driver (asyncpg): remove it (a PostgreSQL URL may "
            "carry ?search_path= and ?ssl=)",
        ),
    ],
)
def test_a_postgresql_url_parameter_the_driver_does_not_take_is_one_line(
    env: Path, query: str, said: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A managed PostgreSQL's panel gives `?sslmode=require`: it reached asyncpg's connect() as a keyword it does not
    know, a TypeError traceback."""
    monkeypatch.setenv("KEEPHOME_DATABASE_URL", f"{PG_URL}?search_path=keephome&{query}")
    assert main(["db", "upgrade"]) == 2
    assert _one_line(capsys) == f"keephome: configuration problem: KEEPHOME_DATABASE_URL: {said}"


def test_a_postgresql_host_that_never_answers_is_one_line_that_says_so(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A firewall that drops the packets, here a port that takes the connection and never says a word: the command
    was silent for asyncpg's 60 s and then said "cannot connect (TimeoutError)". It gives up after keephome's own
    time (shortened here) and says what that means."""
    monkeypatch.setattr(db_module, "CONNECT_SECONDS", 0.5)
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()  # the kernel completes the handshake; nothing ever answers PostgreSQL's startup
        port = silent.getsockname()[1]
        monkeypatch.setenv("KEEPHOME_DATABASE_URL", f"postgresql+asyncpg://keephome:pw@127.0.0.1:{port}/keephome")
        with ThreadPoolExecutor(1) as pool:
            # Given none of keephome's own time, asyncpg's 60 s would pass first: this waits 30 s at most for the end.
            assert pool.submit(main, ["db", "upgrade"]).result(timeout=30) == 2
    assert _one_line(capsys) == (
        f"keephome: KEEPHOME_DATABASE_URL=postgresql+asyncpg://keephome:***@127.0.0.1:{port}/keephome: cannot connect "
        "(no answer from the host in time): is the host right, is PostgreSQL running there, and does a firewall let "
        "this machine reach its port?"
    )


def test_the_ssl_parameter_is_passed_on_to_postgresql(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`?ssl=disable` connects (to a schema never made: the command stops there, having written nothing)."""
    monkeypatch.setenv("KEEPHOME_DATABASE_URL", f"{PG_URL}?search_path=never_made_{uuid.uuid4().hex[:8]}&ssl=disable")
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        assert main(["kommune-notices"]) == 2
    assert err.getvalue().endswith("is an empty database: run `keephome db upgrade` first\n")


# 1. KEEPHOME_TIMEZONE


@pytest.mark.parametrize("command", [["run"], ["remind", "--dry-run"]])
def test_an_unknown_time_zone_is_one_line(
    env: Path, command: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KEEPHOME_TIMEZONE", "Mars/Base")
    assert main(command) == 2
    assert _one_line(capsys) == (
        "keephome: configuration problem: KEEPHOME_TIMEZONE: 'Mars/Base' is not a time zone: "
        "write an IANA name such as Europe/Copenhagen"
    )


def test_a_language_without_texts_is_one_line(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KEEPHOME_LANGUAGES", "da,xx")
    assert main(["run"]) == 2
    assert _one_line(capsys) == (
        "keephome: configuration problem: KEEPHOME_LANGUAGES: names xx, for which keephome has no texts: "
        "choose from ar, da, en, tr"
    )


# 2. KEEPHOME_LOG_LEVEL


@pytest.mark.parametrize(
    ("written", "level", "libraries"),
    [
        ("debug", logging.DEBUG, logging.INFO),
        ("Warning", logging.WARNING, logging.WARNING),
        (" info ", logging.INFO, logging.INFO),
    ],
)
def test_a_log_level_in_any_case_is_taken(
    env: Path,
    written: str,
    level: int,
    libraries: int,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The level is keephome's own loggers'; DEBUG never reaches the libraries, whose debug lines carry the queries'
    parameters (a tenant's phone number) and the texts sent."""
    configured: list[dict[str, Any]] = []
    monkeypatch.setattr("logging.basicConfig", lambda **kwargs: configured.append(kwargs))
    monkeypatch.setattr(logging.getLogger("bot"), "level", logging.NOTSET)  # put back after the test
    monkeypatch.setenv("KEEPHOME_LOG_LEVEL", written)
    assert main(["remind", "--dry-run"]) == 0
    assert [c["level"] for c in configured] == [libraries]
    assert logging.getLogger("bot").level == level
    assert "Traceback" not in capsys.readouterr().err


def test_a_log_level_in_env_is_taken_as_from_the_environment(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """KEEPHOME_LOG_LEVEL in `.env` once stopped every command as a name keephome did not read there."""
    monkeypatch.setattr("logging.basicConfig", lambda **kwargs: None)
    monkeypatch.setattr(logging.getLogger("bot"), "level", logging.NOTSET)  # put back after the test
    (env.parent / ".env").write_text("KEEPHOME_LOG_LEVEL=warning\n", encoding="utf-8")
    assert main(["remind", "--dry-run"]) == 0
    assert logging.getLogger("bot").level == logging.WARNING
    assert "configuration problem" not in capsys.readouterr().err


def test_an_unknown_log_level_is_one_line_listing_the_levels(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KEEPHOME_LOG_LEVEL", "LOUD")
    assert main(["remind", "--dry-run"]) == 2
    assert _one_line(capsys) == (
        "keephome: configuration problem: KEEPHOME_LOG_LEVEL: 'LOUD' is not a log level: "
        "use one of DEBUG, INFO, WARNING, ERROR, CRITICAL"
    )


# 3. KEEPHOME_DEMAND_OFFSETS


@pytest.mark.parametrize("offsets", ["abc", "7,3,-1", "7;3"])
def test_demand_offsets_that_are_not_days_are_one_line_at_start(
    env: Path, offsets: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KEEPHOME_DEMAND_OFFSETS", offsets)
    assert main(["remind", "--dry-run"]) == 2
    line = _one_line(capsys)
    assert line.startswith("keephome: configuration problem: KEEPHOME_DEMAND_OFFSETS: '")
    assert line.endswith(
        "is not a number of days: write whole days before the påkrav deadline, comma-separated (e.g. 7,3,1)"
    )
    assert not env.exists()  # refused before the database was touched


def test_demand_offsets_with_spaces_are_days(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KEEPHOME_DEMAND_OFFSETS", " 14, 7 ,1,")
    assert main(["remind", "--dry-run"]) == 0
    assert capsys.readouterr().err == ""


# 4. A database keephome cannot reach


@pytest.mark.parametrize("command", [["db", "upgrade"], ["import", "tenants.csv"], ["run"]])
def test_a_sqlite_file_in_a_missing_folder_is_one_line(
    env: Path, command: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (env.parent / "tenants.csv").write_text(CSV, encoding="utf-8")
    missing = env.parent / "no-such-folder" / "keephome.db"
    monkeypatch.setenv("KEEPHOME_DATABASE_URL", f"sqlite+aiosqlite:///{missing}")
    assert main(command) == 2
    assert _one_line(capsys) == (
        f"keephome: KEEPHOME_DATABASE_URL=sqlite+aiosqlite:///{missing}: cannot open the file {missing}: "
        "does its folder exist, and may this user write in it?"
    )


@pytest.fixture
def refused_port() -> Iterator[int]:
    """A local port bound without listening: a connection to it is refused, with no race for the port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


@pytest.mark.parametrize("command", [["run"], ["db", "upgrade"], ["staff", "add", "a@example.org", "--role", "admin"]])
def test_a_postgresql_that_refuses_the_connection_is_one_line_without_the_password(
    env: Path,
    refused_port: int,
    command: list[str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("KEEPHOME_DATABASE_URL", f"postgresql+asyncpg://keephome:hunter2@127.0.0.1:{refused_port}/x")
    assert main(command) == 2
    line = _one_line(capsys)
    shown_url = f"postgresql+asyncpg://keephome:***@127.0.0.1:{refused_port}/x"
    assert line.startswith(f"keephome: KEEPHOME_DATABASE_URL={shown_url}: cannot connect (")
    assert "Connect call failed" in line or "Connection refused" in line
    assert line.endswith("): is PostgreSQL running there, and are the host, port, user and password right?")
    assert "hunter2" not in line


@pytest.mark.postgres
def test_a_postgresql_database_that_does_not_exist_is_one_line(
    env: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # `pg_url` only makes sure the server answers; the database named is one it does not have.
    name = f"keephome_missing_{uuid.uuid4().hex[:8]}"
    url = make_url(PG_URL).set(database=name, password="hunter2")
    monkeypatch.setenv("KEEPHOME_DATABASE_URL", url.render_as_string(hide_password=False))
    for command in (["run"], ["db", "upgrade"]):
        assert main(command) == 2
        assert _one_line(capsys) == (
            f"keephome: KEEPHOME_DATABASE_URL={url.render_as_string(hide_password=True)}: no such database "
            f"{name!r} on that server: create it (createdb) or correct the name in the URL"
        )


def test_a_programming_error_keeps_its_traceback(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only a failure to connect is told in one line: a bug in a command is not hidden behind it."""

    async def broken(*_args: object) -> int:
        raise OSError("a bug, not the database")

    monkeypatch.setattr("bot.cli.db.run_db_upgrade", broken)
    with pytest.raises(OSError, match="a bug, not the database"):
        main(["db", "upgrade"])


# 5. A schema a newer keephome migrated


def _newer() -> str:
    return f"{int(head_revision() or 0) + 1:04d}"


def _ahead_line(shown_url: str) -> str:
    return (
        f"the schema of {shown_url} is at revision {_newer()}, which this keephome does not know (its newest is "
        f"{head_revision()}): a newer keephome migrated it, and this older one must not run against it; "
        "install the newer keephome"
    )


def test_a_sqlite_schema_from_a_newer_keephome_is_refused_in_one_line(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["db", "upgrade"]) == 0
    capsys.readouterr()
    with sqlite3.connect(env) as conn:
        conn.execute("UPDATE alembic_version SET version_num = ?", (_newer(),))
    shown_url = f"sqlite+aiosqlite:///{env}"
    for command, prefix in ((["run"], "keephome"), (["db", "upgrade"], "keephome"), (["remind"], "keephome remind")):
        assert main(command) == 2
        assert _one_line(capsys) == f"{prefix}: {_ahead_line(shown_url)}"
    with sqlite3.connect(env) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [(_newer(),)]


@pytest.mark.postgres
def test_a_postgresql_schema_from_a_newer_keephome_is_refused_in_one_line(
    env: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KEEPHOME_DATABASE_URL", pg_url)
    assert main(["db", "upgrade"]) == 0
    capsys.readouterr()
    schema = pg_url.rsplit("search_path=", 1)[1]

    async def set_revision() -> None:
        conn = await asyncpg.connect(asyncpg_dsn(pg_url))
        try:
            await conn.execute(f'UPDATE "{schema}".alembic_version SET version_num = $1', _newer())
        finally:
            await conn.close()

    asyncio.run(set_revision())
    for command in (["run"], ["db", "upgrade"]):
        assert main(command) == 2
        # Not "run `keephome db upgrade` first": that cannot help.
        assert _one_line(capsys) == f"keephome: {_ahead_line(pg_url)}"


# 6. A reader of stdout that goes away


def test_a_closed_pipe_ends_quietly_with_exit_code_1(env: Path) -> None:
    """`keephome staff add … | head -1`: the reader is gone before keephome writes (here before it starts)."""
    assert main(["db", "upgrade"]) == 0  # migrated already: the only line on stderr would be the migration's
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "bot.cli.main", "staff", "add", "a@example.org", "--role", "admin"],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            timeout=120,
            check=False,
        )
    finally:
        os.close(write_end)
    assert (done.returncode, done.stderr) == (1, "")
    with sqlite3.connect(env) as conn:  # the account was made: only its printout was lost
        assert conn.execute("SELECT email FROM staff").fetchall() == [("a@example.org",)]


# `keephome db` alone


@pytest.mark.parametrize(
    ("command", "actions", "options"), [("db", "upgrade,change-key", " [--yes]"), ("telegram", "set-webhook", "")]
)
def test_a_command_without_its_action_shows_its_help(
    env: Path, command: str, actions: str, options: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([command]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"usage: keephome {command} [-h] {{{actions}}}{options}\n")
    assert f"  {{{actions}}}" in err
    assert [action for action in actions.split(",") if f"{action}: " not in err] == []


# 7. An import without KEEPHOME_SECRET_KEY once a tenant was erased


@pytest.mark.parametrize("dry_run", [[], ["--dry-run"]])
def test_an_import_without_the_secret_key_after_an_erasure_is_one_line_naming_no_line(
    env: Path, dry_run: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The key reads the erased tenants' tombstones: a problem of the setting, not of the file's line 2."""
    (env.parent / "tenants.csv").write_text(CSV, encoding="utf-8")
    assert main(["import", "tenants.csv"]) == 0
    assert main(["erase", "--yes", "T-1"]) == 0
    capsys.readouterr()
    monkeypatch.delenv("KEEPHOME_SECRET_KEY")
    assert main(["import", *dry_run, "tenants.csv"]) == 2
    assert _one_line(capsys) == (
        "keephome import: KEEPHOME_SECRET_KEY is not set, and tenants have been erased from this database: without "
        "the key keephome cannot tell whether any row is one of them; set it to the key the service runs with "
        "(nothing was imported)"
    )
    with sqlite3.connect(env) as conn:  # still the one erased tenant, not a new T-1
        assert conn.execute("SELECT status FROM tenants").fetchall() == [("erased",)]


def test_erase_says_what_it_blanked_in_words_that_count(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """ "1 messages, 1 cases" read as a slip: one of a kind is said in the singular, none and many in the plural."""
    (env.parent / "tenants.csv").write_text(CSV, encoding="utf-8")
    assert main(["import", "tenants.csv"]) == 0
    with sqlite3.connect(env) as conn:
        [(tenant_id,)] = conn.execute("SELECT id FROM tenants WHERE tenant_ref = 'T-1'").fetchall()
        conn.execute(
            "INSERT INTO messages (tenant_id, direction, channel, text, status, status_rank, proactive, author,"
            " created_at, updated_at) VALUES (?, 'in', 'sms', 'hej', 'received', 0, 0, 'tenant',"
            " '2026-03-02 09:00:00.000000', '2026-03-02 09:00:00.000000')",
            (tenant_id,),
        )
    capsys.readouterr()
    assert main(["erase", "--yes", "T-1"]) == 0
    said = capsys.readouterr().out
    assert "1 message," in said and "0 cases" in said and "messages" not in said, said


def test_erase_without_the_secret_key_is_one_line_naming_the_demos_way(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The console's Data page sends an operator to `keephome erase`; in the demo no key is set in the shell (the demo
    keeps its own beside its database), so the line names `--demo`, and nothing is erased."""
    (env.parent / "tenants.csv").write_text(CSV, encoding="utf-8")
    assert main(["import", "tenants.csv"]) == 0
    capsys.readouterr()
    monkeypatch.delenv("KEEPHOME_SECRET_KEY")
    assert main(["erase", "T-1"]) == 2
    assert _one_line(capsys) == (
        "keephome erase: KEEPHOME_SECRET_KEY is not set: set the key the service runs with "
        "(in the demo: keephome erase --demo TENANT_REF)"
    )
    with sqlite3.connect(env) as conn:
        assert conn.execute("SELECT status FROM tenants").fetchall() == [("active",)]
