"""`keephome telegram set-webhook` told what went wrong, against the stand-in Bot API."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.cli.telegram import set_webhook
from bot.settings import ConfigError
from tests.conftest import make_settings
from tests.support.telegram_standin import TelegramStandIn


@pytest.fixture
async def standin() -> AsyncIterator[TelegramStandIn]:
    server = TelegramStandIn()
    await server.start()
    yield server
    await server.stop()


async def test_a_token_the_bot_api_refuses_is_named_not_shown(standin: TelegramStandIn, sqlite_url: str) -> None:
    """The bot token is a secret: the line an operator reads (and a terminal or a log keeps) names the setting."""
    token = "7123456789:AAH-not-the-standins-token"
    settings = make_settings(
        sqlite_url, telegram_token=token, telegram_api_url=standin.api_url, telegram_secret="s3cret"
    )
    with pytest.raises(ConfigError) as refused:
        await set_webhook(settings)
    said = str(refused.value)
    assert token not in said and token.split(":")[1] not in said
    assert said == (
        f"the Bot API at {standin.api_url} refused KEEPHOME_TELEGRAM_TOKEN: set the token @BotFather gave the bot "
        "(with a self-hosted Bot API server, check KEEPHOME_TELEGRAM_API_URL too)"
    )
    assert standin.calls_to("setWebhook") == []
