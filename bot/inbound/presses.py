"""A Telegram button press's own answer (answerCallbackQuery), given once the press was handled and committed.

Telegram's app shows a spinner on a pressed button until the bot answers the press, and the answer may carry a short
text the app shows over the chat for a moment (a toast). A press that keephome answers in the chat (the next question,
"that button belongs to an earlier message") needs no text: the answer only stops the spinner. A press keephome must
stay quiet about in the chat (the case is with an adviser, the day's receipt went already; the same answer tapped
twice; the tenant opted out; the press could not be handled and waits for staff) gets a toast instead, which says that
the press arrived and what happens now without a message in the chat, so silence is never all a pressed button gets.
A toast is in the tenant's language, as the chat is, whatever language their Telegram app is set to.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Collection, Coroutine, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select
from telegram import Bot
from telegram.error import TelegramError

from bot.channels.base import Channel
from bot.channels.sandbox import SandboxChannel
from bot.inbound.senders import Addressed, address_queries, tenants_by_address
from bot.inbound.telegram_updates import telegram_bot
from bot.outbox.render import Renderer
from bot.store.schema import tenants

__all__ = [
    "ANSWER_SECONDS",
    "NOT_HANDLED",
    "OLD_BUTTON",
    "SAME_ANSWER",
    "STOPPED",
    "TOASTS",
    "TOAST_LENGTH",
    "WAITING",
    "WITH_ADVISER",
    "AnswerPresses",
    "Press",
    "press_answerer",
    "query_id",
    "set_aside_language",
]

log = logging.getLogger(__name__)

# The texts of a toast (templates/<language>/<key>.telegram.txt).
WAITING = "press.waiting"  # the case waits for an adviser with the tenant's yes; today's receipt went already
WITH_ADVISER = "press.with_adviser"  # a person holds the case: the press is theirs to read and answer
SAME_ANSWER = "press.same_answer"  # the same answer again (a double tap): it was heard the first time
STOPPED = "press.stopped"  # the tenant opted out; today's word about START went already
OLD_BUTTON = "press.old_button"  # a button keephome no longer knows (its message gone, or a chat no longer linked)
# The press could not be handled (its handling failed: a conversation stored in a form keephome cannot read, a chat two
# tenants share): it is set aside, and the admin page and the tenant's case page list it until staff deal with it.
NOT_HANDLED = "press.not_handled"
TOASTS = (WAITING, WITH_ADVISER, SAME_ANSWER, STOPPED, OLD_BUTTON, NOT_HANDLED)

# The Bot API takes 0-200 characters of text in answerCallbackQuery; a longer one fails the whole answer.
TOAST_LENGTH = 200
# How long a batch's answers are waited for (in the background: the next tenants' messages do not wait for them), and
# at most how long a stop waits for them: an answer later than this comes after the app has long given up its spinner.
ANSWER_SECONDS = 3.0

_PREFIX = "cb:"  # an inbound row's provider id for a button press (bot/inbound/telegram_updates.py)


def query_id(channel: str, provider_id: str) -> str | None:
    """The callback query id of a committed button press; None for any other inbound message."""
    if channel != "telegram" or not provider_id.startswith(_PREFIX):
        return None
    return provider_id[len(_PREFIX) :]


@dataclass(frozen=True, slots=True)
class Press:
    """A handled button press to answer: its query id and the toast's text key (None: no text) and language."""

    query_id: str
    toast: str | None = None
    language: str = ""


AnswerPresses = Callable[[Sequence[Press]], Coroutine[Any, Any, None]]

_LANGUAGE_OF = address_queries(select(tenants.c.language))


def set_aside_language(
    conn: Connection, row: Addressed, app_language: str | None, languages: Collection[str], fallback: str
) -> str:
    """The language of the toast of a press that could not be handled (set aside, NOT_HANDLED): the tenant's, when
    the chat is linked to one tenant and keephome speaks their language (their own choice, or the organisation's
    file), as every other toast and message in the chat is; else the Telegram app's (`app_language`, a chat two
    tenants share), else the fallback language. Only the language is read: the rest of the tenant may be what could
    not be."""
    found = tenants_by_address(conn, [row], _LANGUAGE_OF)[(row.channel, row.sender)]
    if len(found) == 1 and found[0].language in languages:
        return str(found[0].language)
    return app_language or fallback


def _toast_text(renderer: Renderer, press: Press) -> str | None:
    if press.toast is None:
        return None
    text = renderer.render(press.toast, {}, press.language, "telegram").text
    return text if len(text) <= TOAST_LENGTH else text[: TOAST_LENGTH - 1] + "…"


async def _answer(bot: Bot, renderer: Renderer, press: Press) -> None:
    try:
        await bot.answer_callback_query(press.query_id, text=_toast_text(renderer, press))
    except TelegramError as exc:
        # Too late (a press handled long after it came), or Telegram out of reach: only the spinner is lost.
        log.info("answering callback query failed: %s", type(exc).__name__)


def press_answerer(channels: Mapping[str, Channel], renderer: Renderer) -> AnswerPresses | None:
    """What answers handled presses: the real Telegram channel's bot, or the sandbox's, whose simulated phone shows
    the toast (the demo); None without Telegram."""
    sandbox = channels.get("telegram")
    if isinstance(sandbox, SandboxChannel):

        async def record(presses: Sequence[Press]) -> None:
            for press in presses:
                sandbox.answer_press(press.query_id, _toast_text(renderer, press))

        return record
    bot = telegram_bot(channels)
    if bot is None:
        return None

    async def answer(presses: Sequence[Press]) -> None:
        with contextlib.suppress(TimeoutError):  # not wait_for: see bot/worker.py
            async with asyncio.timeout(ANSWER_SECONDS):
                await asyncio.gather(*(_answer(bot, renderer, press) for press in presses))

    return answer
