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


@pytest.mark.parametrize("public_url", ["http://127.0.0.1:8000", "https://localhost"])
async def test_a_public_url_on_this_machine_is_not_registered_with_telegram(sqlite_url: str, public_url: str) -> None:
    """Without KEEPHOME_PUBLIC_URL (or with this machine's own), Telegram would be told to post where it cannot: the
    line names the setting before anything is sent to the Bot API."""
    settings = make_settings(
        sqlite_url,
        telegram_token="123:ABC",
        telegram_api_url="https://api.telegram.org/bot",
        telegram_secret="s3cret",
        public_url=public_url,
    )
    with pytest.raises(ConfigError) as refused:
        await set_webhook(settings)
    assert str(refused.value) == (
        f"KEEPHOME_PUBLIC_URL is {public_url}, an address on this machine: Telegram cannot post to it; set it to the "
        'https address Telegram reaches (README, "Connecting a Telegram bot")'
    )


async def test_a_bot_api_on_this_machine_may_post_to_it(standin: TelegramStandIn, sqlite_url: str) -> None:
    """A self-hosted Bot API server beside keephome (or a rehearsal's stand-in) reaches this machine's address."""
    settings = make_settings(
        sqlite_url,
        telegram_token="123:ABC",
        telegram_api_url=standin.api_url,
        telegram_secret="s3cret",
        public_url="http://127.0.0.1:8000",
    )
    await set_webhook(settings)
    [call] = standin.calls_to("setWebhook")
    assert call.params["url"] == "http://127.0.0.1:8000/webhooks/telegram"
