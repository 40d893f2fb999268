"""Telegram set-up and polling: `keephome telegram set-webhook`, and getUpdates for a machine without a public URL."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from telegram import Bot
from telegram.error import Conflict, RetryAfter, TelegramError

from bot.channels.telegram import TelegramChannel, retry_seconds
from bot.runtime import Runtime
from bot.settings import ConfigError, Settings
from bot.webhooks.telegram import receive_update

__all__ = ["ALLOWED_UPDATES", "Poller", "set_webhook", "start_polling"]

log = logging.getLogger(__name__)

ALLOWED_UPDATES = ["message", "callback_query"]
WEBHOOK_PATH = "/webhooks/telegram"


async def set_webhook(settings: Settings) -> str:
    """Register KEEPHOME_PUBLIC_URL/webhooks/telegram with the secret; returns what was registered."""
    if not settings.telegram_token:
        raise ConfigError("KEEPHOME_TELEGRAM_TOKEN is missing: there is no bot to register")
    if not settings.telegram_secret:
        raise ConfigError("KEEPHOME_TELEGRAM_SECRET is missing: the webhook needs a secret token")
    url = settings.public_url + WEBHOOK_PATH
    bot = Bot(settings.telegram_token, base_url=settings.telegram_api_url)
    try:
        async with bot:
            await bot.set_webhook(url=url, secret_token=settings.telegram_secret, allowed_updates=ALLOWED_UPDATES)
            name = bot.username
    except TelegramError as exc:
        raise ConfigError(f"Telegram refused the webhook: {exc.message}") from None
    return f"webhook for @{name} registered: {url} (updates: {', '.join(ALLOWED_UPDATES)}; secret token set)"


class Poller:
    """Fetches updates with getUpdates and feeds them through the webhook's own mapping and commit."""

    def __init__(self, rt: Runtime, bot: Bot, *, timeout: int = 25, pause: float = 5.0) -> None:
        self._rt = rt
        self._bot = bot
        self._timeout = timeout
        self._pause = pause
        self._offset: int | None = None
        self._webhook_removed = False
        self._task: asyncio.Task[None] | None = None

    async def poll_once(self) -> int:
        """Fetch one batch, commit each update, then confirm it; returns how many arrived."""
        if not self._webhook_removed:
            # getUpdates answers 409 Conflict while a webhook is registered.
            await self._bot.delete_webhook()
            self._webhook_removed = True
        updates = await self._bot.get_updates(
            offset=self._offset, timeout=self._timeout, allowed_updates=ALLOWED_UPDATES
        )
        for update in updates:
            await receive_update(self._rt, update)
            # Confirmed only after the commit: a crash re-fetches it, and the inbox drops the duplicate.
            self._offset = update.update_id + 1
        return len(updates)

    async def run(self) -> None:
        """Poll until cancelled; a network problem waits and tries again."""
        while True:
            try:
                await self.poll_once()
            except RetryAfter as exc:
                await asyncio.sleep(retry_seconds(exc))
            except Conflict:
                log.warning("getUpdates conflict: another poller or a webhook is active")
                self._webhook_removed = False
                await asyncio.sleep(self._pause)
            except TelegramError as exc:
                log.warning("telegram polling failed: %s", type(exc).__name__)
                await asyncio.sleep(self._pause)
            except Exception:
                # A database hiccup must not end polling for good; the update is fetched again.
                log.exception("committing a polled update failed")
                await asyncio.sleep(self._pause)

    async def start(self) -> None:
        """Start polling in the background."""
        if self._task is None:
            self._task = asyncio.create_task(self.run(), name="telegram-poller")

    async def stop(self) -> None:
        """Stop polling."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None


async def start_polling(rt: Runtime) -> Poller | None:
    """Start a poller when Telegram runs in polling mode with the real channel; None otherwise."""
    if rt.settings.telegram_mode != "polling" or not isinstance(rt.telegram, TelegramChannel):
        return None
    poller = Poller(rt, rt.telegram.bot)
    await poller.start()
    return poller
