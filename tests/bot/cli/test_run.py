"""`keephome run` at start: a service that can reach no tenant says so before it serves."""

from __future__ import annotations

import logging
import os

import pytest
from sqlalchemy import make_url

from bot.cli import run
from bot.cli import serve as serving
from bot.runtime import Runtime
from bot.settings import Settings
from bot.store.db import Database
from tests.conftest import make_settings
from tests.support.schema import migrated

WARNING = "no channel is configured: set the Twilio or Telegram variables (see README)"


@pytest.fixture
async def served(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> list[Runtime]:
    """`run` on a migrated database goes as far as serving; the server itself is left out (the runtime it would
    serve is kept)."""
    db = Database(settings.database_url)
    await migrated(db)
    await db.dispose()
    runtimes: list[Runtime] = []

    async def serve(rt: Runtime) -> int:
        runtimes.append(rt)
        await rt.db.dispose()
        return 0

    monkeypatch.setattr(serving, "serve", serve)
    return runtimes


async def test_run_without_a_channel_warns_at_start(
    settings: Settings, served: list[Runtime], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="bot.cli.run"):
        assert await run.run_service(settings) == 0
    assert [r.getMessage() for r in caplog.records if r.name == "bot.cli.run"] == [WARNING]
    assert [rt.channels for rt in served] == [{}]


async def test_run_with_twilio_configured_does_not(
    settings: Settings, served: list[Runtime], caplog: pytest.LogCaptureFixture
) -> None:
    twilio = make_settings(
        settings.database_url, twilio_account_sid="AC0123", twilio_auth_token="token", twilio_from="+4570102030"
    )
    with caplog.at_level(logging.WARNING, logger="bot.cli.run"):
        assert await run.run_service(twilio) == 0
    assert [r for r in caplog.records if r.name == "bot.cli.run"] == []
    assert [sorted(rt.channels) for rt in served] == [["sms"]]


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"twilio_account_sid": "AC0123", "twilio_auth_token": "token", "twilio_from": "+4570102030"}, "Twilio"),
        ({"telegram_token": "1:abc", "telegram_secret": "s3cret"}, "Telegram"),
    ],
)
async def test_run_with_a_provider_and_public_url_on_this_machine_warns_at_start(
    settings: Settings,
    served: list[Runtime],
    caplog: pytest.LogCaptureFixture,
    overrides: dict[str, str],
    named: str,
) -> None:
    # The default public address: the real provider signs what it posts with the address it posted to, and
    # cannot reach this one, so every tenant's message would be refused.
    local = make_settings(settings.database_url, public_url="http://127.0.0.1:8000", **overrides)
    with caplog.at_level(logging.WARNING, logger="bot.cli.run"):
        assert await run.run_service(local) == 0
    messages = [r.getMessage() for r in caplog.records if r.name == "bot.cli.run"]
    assert len(messages) == 1
    assert messages[0].startswith(
        f"KEEPHOME_PUBLIC_URL is http://127.0.0.1:8000, an address on this machine: {named} cannot post"
    )


@pytest.mark.parametrize(
    "overrides",
    [
        # A provider stand-in on this machine (the tests', the benchmarks') posts to this machine.
        {
            "twilio_account_sid": "AC0123",
            "twilio_auth_token": "token",
            "twilio_from": "+4570102030",
            "twilio_api_url": "http://127.0.0.1:9999",
        },
        # Polling: Telegram posts nowhere.
        {"telegram_token": "1:abc", "telegram_mode": "polling"},
    ],
)
async def test_run_with_no_provider_posting_from_elsewhere_does_not(
    settings: Settings, served: list[Runtime], caplog: pytest.LogCaptureFixture, overrides: dict[str, str]
) -> None:
    local = make_settings(settings.database_url, public_url="http://localhost:8000", **overrides)
    with caplog.at_level(logging.WARNING, logger="bot.cli.run"):
        assert await run.run_service(local) == 0
    assert [r for r in caplog.records if r.name == "bot.cli.run"] == []


async def test_a_second_run_on_the_same_sqlite_file_stops_in_one_line(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """SQLite has no advisory locks to elect by: a second `run` on the file held every role too (two senders, two
    schedulers). It stops before it touches the file, saying which process serves it; once that one has stopped, a
    `run` starts again."""
    db = Database(settings.database_url)
    await migrated(db)
    await db.dispose()
    second: list[int] = []

    async def serve(rt: Runtime) -> int:
        if not second:  # while the first serves, the operator starts another on the same file
            second.append(-1)
            second[0] = await run.run_service(settings)
        await rt.db.dispose()
        return 0

    monkeypatch.setattr(serving, "serve", serve)
    assert await run.run_service(settings) == 0
    assert second == [2]
    path = make_url(settings.database_url).database
    assert capsys.readouterr().err.splitlines() == [
        f"keephome: another keephome run or demo (process {os.getpid()}) serves {path}: SQLite is one process, so "
        "stop that one first (several processes need PostgreSQL)"
    ]
    assert await run.run_service(settings) == 0  # the first one's lock went with it


@pytest.mark.parametrize(
    ("public_url", "host"),
    [
        ("http://keephome.lan:8000", "127.0.0.1"),  # a proxy without TLS in front
        ("http://127.0.0.1:8000", "0.0.0.0"),  # listening on every address, reached directly
        ("http://localhost:8000", "::"),
    ],
)
async def test_run_reached_from_other_machines_over_http_warns_at_start(
    settings: Settings, served: list[Runtime], caplog: pytest.LogCaptureFixture, public_url: str, host: str
) -> None:
    """Staff passwords and sessions would cross the network in the clear, and the session cookie is not Secure."""
    plain = make_settings(settings.database_url, public_url=public_url, host=host)
    with caplog.at_level(logging.WARNING, logger="bot.cli.run"):
        assert await run.run_service(plain) == 0
    assert [r.getMessage() for r in caplog.records if r.name == "bot.cli.run"] == [
        WARNING,
        f"KEEPHOME_PUBLIC_URL is {public_url} and keephome listens on {host}: staff passwords, sessions and tenants' "
        "messages would cross the network unencrypted, and the console's cookies are not marked Secure; serve it "
        "behind TLS (README: the nginx example) and set KEEPHOME_PUBLIC_URL to its https address",
    ]
    assert not plain.secure_cookies


@pytest.mark.parametrize(
    ("public_url", "host"),
    [
        ("https://keephome.example.org", "0.0.0.0"),
        ("http://127.0.0.1:8000", "127.0.0.1"),
        ("http://localhost:8000", "::1"),
    ],
)
async def test_run_behind_tls_or_on_this_machine_alone_does_not(
    settings: Settings, served: list[Runtime], caplog: pytest.LogCaptureFixture, public_url: str, host: str
) -> None:
    with caplog.at_level(logging.WARNING, logger="bot.cli.run"):
        assert await run.run_service(make_settings(settings.database_url, public_url=public_url, host=host)) == 0
    assert [r.getMessage() for r in caplog.records if r.name == "bot.cli.run"] == [WARNING]
