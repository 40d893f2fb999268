"""`keephome telegram set-webhook`: register KEEPHOME_PUBLIC_URL/webhooks/telegram with the secret token."""

from __future__ import annotations

from telegram import Bot
from telegram.error import BadRequest, InvalidToken, NetworkError, TelegramError

from bot.cli.run import on_this_machine
from bot.inbound.poller import ALLOWED_UPDATES
from bot.settings import ConfigError, Settings
from bot.webhooks.telegram import WEBHOOK_PATH

__all__ = ["run_set_webhook", "set_webhook"]


async def set_webhook(settings: Settings) -> str:
    """Register the webhook; returns what was registered, or raises ConfigError saying what is wrong."""
    if not settings.telegram_token:
        raise ConfigError("KEEPHOME_TELEGRAM_TOKEN is missing: there is no bot to register")
    if settings.telegram_mode == "polling":
        # `run` in polling mode deletes the webhook as it starts (getUpdates works only without one).
        raise ConfigError(
            "KEEPHOME_TELEGRAM_MODE is polling: keephome asks Telegram for updates itself and removes a webhook as it "
            "starts; set KEEPHOME_TELEGRAM_MODE=webhook (and KEEPHOME_TELEGRAM_SECRET) to use one"
        )
    if on_this_machine(settings.public_url) and not on_this_machine(settings.telegram_api_url):
        # Telegram would be told to post every tenant's message to an address only this machine reaches.
        raise ConfigError(
            f"KEEPHOME_PUBLIC_URL is {settings.public_url}, an address on this machine: Telegram cannot post to it; "
            'set it to the https address Telegram reaches (README, "Connecting a Telegram bot")'
        )
    # In webhook mode the settings have the secret token (bot/settings.py refuses to load without it).
    url = settings.public_url + WEBHOOK_PATH
    bot = Bot(settings.telegram_token, base_url=settings.telegram_api_url)
    try:
        async with bot:
            await bot.set_webhook(url=url, secret_token=settings.telegram_secret, allowed_updates=ALLOWED_UPDATES)
            name = bot.username
    except BadRequest as exc:  # an answer from the Bot API (BadRequest is a NetworkError in the library)
        raise ConfigError(f"Telegram refused the webhook: {exc.message}") from None
    except NetworkError as exc:  # no answer: nothing was refused, the Bot API was not reached
        raise ConfigError(
            f"could not reach the Bot API at {settings.telegram_api_url} ({exc.message}): "
            "check the network and KEEPHOME_TELEGRAM_API_URL"
        ) from None
    except InvalidToken:
        # The library's own words repeat the token, a secret that would end up in a terminal's scrollback or a log.
        # The Bot API answers 401 for a token it does not know and 404 for an address that is no bot's.
        raise ConfigError(
            f"the Bot API at {settings.telegram_api_url} refused KEEPHOME_TELEGRAM_TOKEN: set the token @BotFather "
            "gave the bot (with a self-hosted Bot API server, check KEEPHOME_TELEGRAM_API_URL too)"
        ) from None
    except TelegramError as exc:
        raise ConfigError(f"Telegram refused the webhook: {exc.message}") from None
    return f"webhook for @{name} registered: {url} (updates: {', '.join(ALLOWED_UPDATES)}; secret token set)"


async def run_set_webhook(settings: Settings) -> int:
    """Register the webhook and print what was registered."""
    print(await set_webhook(settings))
    return 0
