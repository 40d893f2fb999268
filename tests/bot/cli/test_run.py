"""`keephome run` at start: a service that can reach no tenant says so before it serves."""

from __future__ import annotations

import logging

import pytest

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
        settings.database_url, twilio_account_sid="AC0123", twilio_auth_token="token", twilio_from="+4570000000"
    )
    with caplog.at_level(logging.WARNING, logger="bot.cli.run"):
        assert await run.run_service(twilio) == 0
    assert [r for r in caplog.records if r.name == "bot.cli.run"] == []
    assert [sorted(rt.channels) for rt in served] == [["sms"]]
