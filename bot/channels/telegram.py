"""The Telegram channel: python-telegram-bot's Application without an Updater, sending our outbox rows."""

from __future__ import annotations

import logging
import warnings
from datetime import timedelta
from typing import cast

import httpx
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.ext import Application, ApplicationBuilder

from bot.channels.base import DROP_KEYBOARD, SHARE_PHONE, OutgoingMessage, SendResult, button_data
from bot.settings import Settings

__all__ = ["TelegramChannel", "keyboard", "retry_seconds"]

log = logging.getLogger(__name__)


Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove


def keyboard(message: OutgoingMessage) -> Markup | None:
    """One button per row; each carries the opaque `<outbox id>.<index>` the dispatcher resolves. The channel's
    own keys are Telegram's keyboard instead: the button that shares the person's own number (once pressed, the
    app folds it away), or taking that button away."""
    if not message.buttons:
        return None
    label, key = message.buttons[0]
    if key == SHARE_PHONE:
        button = KeyboardButton(label, request_contact=True)
        return ReplyKeyboardMarkup([[button]], resize_keyboard=True, one_time_keyboard=True)
    if key == DROP_KEYBOARD:
        return ReplyKeyboardRemove()
    rows = [
        [InlineKeyboardButton(label, callback_data=button_data(message.outbox_id, index))]
        for index, (label, _choice) in enumerate(message.buttons)
    ]
    return InlineKeyboardMarkup(rows)


def retry_seconds(exc: RetryAfter) -> float:
    """The wait Telegram asked for, in seconds, whichever form PTB reports it in."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class TelegramChannel:
    """Sends rendered messages through the Bot API; provider errors become a SendResult, never an exception."""

    name = "telegram"

    def __init__(self, settings: Settings) -> None:
        if not settings.telegram_token:
            raise ValueError("KEEPHOME_TELEGRAM_TOKEN is not set")
        # Below the outbox's own timeout, so a slow call ends here first with a clear outcome.
        timeout = max(1.0, settings.send_timeout_seconds - 2.0)
        # No Updater: updates arrive through our own webhook route or the poller in bot/inbound/poller.py.
        builder: ApplicationBuilder = (  # type: ignore[type-arg]
            Application.builder()
            .token(settings.telegram_token)
            .base_url(settings.telegram_api_url)
            .connect_timeout(min(5.0, timeout))
            .read_timeout(timeout)
            .write_timeout(timeout)
            .updater(None)
        )
        self.application: Application = builder.build()  # type: ignore[type-arg]
        self._api_url = settings.telegram_api_url  # as written: a `{token}` in it stays a placeholder
        self._started = False

    @property
    def bot(self) -> Bot:
        """The PTB bot (webhook parsing and callback answers use it)."""
        return cast(Bot, self.application.bot)

    async def start(self) -> None:
        """Initialise the Application (getMe) and start it; an unreachable Bot API is retried on send."""
        try:
            await self._ensure_started()
        except InvalidToken:
            # The Bot API was reached and answered: it knows no bot by this token (the token itself is never logged).
            log.warning(
                "the Telegram Bot API at %s refused KEEPHOME_TELEGRAM_TOKEN at start: set the token @BotFather gave "
                "the bot; no Telegram message goes until then",
                self._api_url,
            )
        except TelegramError as exc:
            log.warning("Telegram Bot API not reachable at start (%s); will retry on first send", type(exc).__name__)

    async def _ensure_started(self) -> None:
        if self._started:
            return
        await self.application.initialize()
        await self.application.start()
        self._started = True

    async def stop(self) -> None:
        """Stop and shut down the Application."""
        if self._started:
            await self.application.stop()
            await self.application.shutdown()
            self._started = False
        else:
            # A start that failed at getMe (a token refused, an answer too late) left the bot's connections open.
            await self.bot.shutdown()

    async def send(self, message: OutgoingMessage) -> SendResult:
        """Post the text with inline buttons; map the Bot API's answer onto a SendResult."""
        try:
            chat_id = int(message.address)
        except ValueError:
            return SendResult("permanent", detail="not a chat id")
        asked = False  # whether sendMessage was called: until then no failure can have carried the message
        try:
            await self._ensure_started()
            asked = True
            sent = await self.bot.send_message(chat_id=chat_id, text=message.text, reply_markup=keyboard(message))
        except RetryAfter as exc:
            return SendResult("transient", error_code="429", detail="flood control", retry_after=retry_seconds(exc))
        except Forbidden as exc:
            log.info("telegram outbox %s: forbidden (%s)", message.outbox_id, _short(exc))
            return SendResult("blocked", error_code="403", detail=_short(exc))
        except BadRequest as exc:
            log.warning("telegram outbox %s: bad request (%s)", message.outbox_id, _short(exc))
            return SendResult("permanent", error_code="400", detail=_short(exc))
        except TimedOut as exc:
            return SendResult("transient", detail="timeout", maybe_sent=asked and not _not_sent(exc))
        except NetworkError as exc:
            return SendResult("transient", detail=_short(exc), maybe_sent=asked and not _not_sent(exc))
        except TelegramError as exc:
            log.warning("telegram outbox %s: %s", message.outbox_id, type(exc).__name__)
            return SendResult("permanent", detail=_short(exc))
        return SendResult("sent", provider_id=f"{sent.chat.id}:{sent.message_id}")


# What httpx raises before a byte of the request left: no connection was made (refused, no route, a name that does not
# resolve, a failed TLS handshake: ConnectError), none was made in time (ConnectTimeout), or none was free in the
# client's pool (PoolTimeout). Anything later (a write or read that failed, a connection dropped or an answer that did
# not come in time once the request was out) may have reached Telegram.
_BEFORE_THE_REQUEST = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def _not_sent(exc: TelegramError) -> bool:
    """Whether a NetworkError or TimedOut is sure not to have carried the message: its cause is an httpx error raised
    before the request was sent. PTB 22's HTTPXRequest raises both `from` the httpx error; any other shape counts as
    maybe sent, the safe side (the tenant may get it twice, never not at all)."""
    return isinstance(exc.__cause__, _BEFORE_THE_REQUEST)


def _short(exc: TelegramError) -> str:
    # The Bot API's descriptions name the problem, never the recipient or the text.
    return f"{type(exc).__name__}: {exc.message}"[:200]
