"""Telegram polling: getUpdates for a machine without a public URL, committed like the webhook's updates."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping

from telegram import Bot
from telegram.error import Conflict, RetryAfter, TelegramError

from bot.channels.base import Channel
from bot.channels.telegram import retry_seconds
from bot.inbound.inbox import Inbox
from bot.inbound.telegram_updates import receive_update, telegram_bot
from bot.metrics import Metrics
from bot.settings import Settings

__all__ = ["ALLOWED_UPDATES", "Poller", "polling_role"]

log = logging.getLogger(__name__)

# The update kinds keephome reads, asked for by the poller and by `keephome telegram set-webhook`.
ALLOWED_UPDATES = ["message", "callback_query"]


class Poller:
    """Fetches updates with getUpdates and feeds them through the webhook's own mapping and commit."""

    def __init__(
        self, inbox: Inbox, bot: Bot, metrics: Metrics | None = None, *, timeout: int = 25, pause: float = 5.0
    ) -> None:
        self._inbox = inbox
        self._bot = bot
        self._metrics = metrics
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
            outcome = await receive_update(self._inbox, self._bot, update)
            if outcome in ("rejected", "duplicate") and self._metrics is not None:
                self._metrics.inbound.labels("telegram", outcome).inc()  # as the webhook counts them
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


def polling_role(
    settings: Settings, inbox: Inbox, channels: Mapping[str, Channel], metrics: Metrics | None = None
) -> Poller | None:
    """A poller, not yet started, when Telegram runs in polling mode with the real channel; None otherwise.

    Polling is a role one process holds at a time (Telegram answers a second poller with 409 Conflict): the
    starter starts it through the election.
    """
    bot = telegram_bot(channels)
    if settings.telegram_mode != "polling" or bot is None:
        return None
    return Poller(inbox, bot, metrics)
