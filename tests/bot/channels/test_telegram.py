"""TelegramChannel with the real python-telegram-bot against the stand-in Bot API on 127.0.0.1."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import pytest

from bot.channels.base import OutgoingMessage
from bot.channels.telegram import TelegramChannel
from tests.conftest import make_settings
from tests.support.telegram_standin import TelegramStandIn


@pytest.fixture
async def standin() -> AsyncIterator[TelegramStandIn]:
    server = TelegramStandIn()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def channel(standin: TelegramStandIn, sqlite_url: str) -> AsyncIterator[TelegramChannel]:
    settings = make_settings(
        sqlite_url, telegram_token="123:ABC", telegram_api_url=standin.api_url, telegram_secret="s3cret"
    )
    tg = TelegramChannel(settings)
    await tg.start()
    yield tg
    await tg.stop()


def _message(**kw: object) -> OutgoingMessage:
    values: dict[str, object] = {"outbox_id": 41, "address": "777001", "text": "Har du betalt?"}
    values.update(kw)
    return OutgoingMessage(**values)  # type: ignore[arg-type]


async def test_start_asks_get_me(channel: TelegramChannel, standin: TelegramStandIn) -> None:
    assert [c.method for c in standin.calls] == ["getMe"]
    assert channel.bot.username == "keephome_bot"


async def test_send_with_buttons_carries_opaque_callback_data(
    channel: TelegramChannel, standin: TelegramStandIn
) -> None:
    result = await channel.send(_message(buttons=(("Ja, betalt", "paid"), ("Nej", "no"))))
    assert result.outcome == "sent"
    call = standin.calls_to("sendMessage")[0]
    assert result.provider_id == "777001:10001"
    assert call.params["chat_id"] == 777001
    assert call.params["text"] == "Har du betalt?"
    rows = call.params["reply_markup"]["inline_keyboard"]
    assert [[b["text"], b["callback_data"]] for row in rows for b in row] == [["Ja, betalt", "41.0"], ["Nej", "41.1"]]


async def test_send_without_buttons_has_no_keyboard(channel: TelegramChannel, standin: TelegramStandIn) -> None:
    result = await channel.send(_message())
    assert result.outcome == "sent"
    assert "reply_markup" not in standin.calls_to("sendMessage")[0].params


@pytest.mark.parametrize(
    ("failure", "outcome", "code"),
    [("blocked", "blocked", "403"), ("bad_request", "permanent", "400"), (7, "transient", "429")],
)
async def test_provider_errors_become_outcomes(
    channel: TelegramChannel, standin: TelegramStandIn, failure: str | int, outcome: str, code: str
) -> None:
    standin.fail_next.append(failure)
    result = await channel.send(_message())
    assert (result.outcome, result.error_code) == (outcome, code)
    if outcome == "transient":
        assert result.retry_after == 7.0
    else:
        assert result.retry_after is None


async def test_unreachable_api_is_transient_and_start_does_not_fail(sqlite_url: str) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings = make_settings(
        sqlite_url,
        telegram_token="123:ABC",
        telegram_api_url=f"http://127.0.0.1:{port}/bot",
        telegram_secret="s3cret",
    )
    tg = TelegramChannel(settings)
    await tg.start()  # logs and carries on: the outbox retries later
    result = await tg.send(_message())
    assert result.outcome == "transient"
    await tg.stop()


async def test_address_that_is_not_a_chat_id_is_permanent(channel: TelegramChannel, standin: TelegramStandIn) -> None:
    result = await channel.send(_message(address="+4512345678x"))
    assert result.outcome == "permanent"
    assert standin.calls_to("sendMessage") == []


async def test_an_answer_slower_than_the_limit_is_a_transient_timeout(
    standin: TelegramStandIn, sqlite_url: str
) -> None:
    # The shortest limit the channel allows (1 s); the Bot API delivers the message but answers later.
    settings = make_settings(
        sqlite_url,
        telegram_token="123:ABC",
        telegram_api_url=standin.api_url,
        telegram_secret="s3cret",
        send_timeout_seconds=2.0,
        lease_seconds=10.0,
    )
    tg = TelegramChannel(settings)
    await tg.start()
    standin.slow_seconds = 1.5
    standin.fail_next.append("slow")
    try:
        result = await tg.send(_message())
        assert (result.outcome, result.detail, result.provider_id) == ("transient", "timeout", None)
        assert len(standin.delivered) == 1  # it did arrive: the retry may repeat it, as at-least-once allows
        assert (await tg.send(_message())).outcome == "sent"  # the client is still usable
    finally:
        await tg.stop()


async def test_a_dropped_connection_is_transient(channel: TelegramChannel, standin: TelegramStandIn) -> None:
    standin.fail_next.append("reset")
    result = await channel.send(_message())
    assert (result.outcome, result.provider_id, result.retry_after) == ("transient", None, None)
    assert standin.delivered == []
    assert (await channel.send(_message())).outcome == "sent"
