"""TelegramChannel with the real python-telegram-bot against the stand-in Bot API on 127.0.0.1."""

from __future__ import annotations

import logging
import socket
from collections.abc import AsyncIterator, Iterator

import pytest

from bot.channels.base import OutgoingMessage
from bot.channels.telegram import TelegramChannel
from tests.conftest import make_settings
from tests.support.sockets import full_listener
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


@pytest.fixture
def refused_port() -> Iterator[int]:
    """A local port bound without listening: a connection to it is refused, with no race for the port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


async def test_unreachable_api_is_transient_and_start_does_not_fail(sqlite_url: str, refused_port: int) -> None:
    settings = make_settings(
        sqlite_url,
        telegram_token="123:ABC",
        telegram_api_url=f"http://127.0.0.1:{refused_port}/bot",
        telegram_secret="s3cret",
    )
    tg = TelegramChannel(settings)
    await tg.start()  # logs and carries on: the outbox retries later
    result = await tg.send(_message())
    # The connection was refused: nothing reached Telegram, so a retry cannot make the tenant get it twice.
    assert (result.outcome, result.maybe_sent) == ("transient", False)
    assert result.detail.startswith("NetworkError: httpx.ConnectError")
    await tg.stop()


async def test_a_token_the_api_refuses_at_start_is_said_as_such_without_the_token(
    standin: TelegramStandIn, sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The Bot API answered 401: it was reached, and the operator is told which variable to fix, not "not
    reachable"; the token is a secret and is never in the line."""
    settings = make_settings(
        sqlite_url, telegram_token="999:WRONG", telegram_api_url=standin.api_url, telegram_secret="s3cret"
    )
    tg = TelegramChannel(settings)
    with caplog.at_level(logging.WARNING, logger="bot.channels.telegram"):
        await tg.start()
    assert [r.getMessage() for r in caplog.records] == [
        f"the Telegram Bot API at {standin.api_url} refused KEEPHOME_TELEGRAM_TOKEN at start: set the token "
        "@BotFather gave the bot; no Telegram message goes until then"
    ]
    assert "999:WRONG" not in caplog.text and "WRONG" not in caplog.text
    await tg.stop()


async def test_an_api_that_stops_listening_after_start_is_not_sent(
    channel: TelegramChannel, standin: TelegramStandIn
) -> None:
    # getMe was answered at start; then the Bot API goes away and sendMessage's connection is refused.
    await standin.stop()
    result = await channel.send(_message())
    assert (result.outcome, result.maybe_sent) == ("transient", False)
    assert standin.calls_to("sendMessage") == []
    await standin.start()  # back on the same port: the channel sends again
    assert (await channel.send(_message())).outcome == "sent"


async def test_a_start_that_times_out_is_not_sent(standin: TelegramStandIn, sqlite_url: str) -> None:
    # The channel starts (getMe) on the first send when it could not at start-up: a getMe that answers too late is
    # a timeout before sendMessage was ever called.
    settings = make_settings(
        sqlite_url,
        telegram_token="123:ABC",
        telegram_api_url=standin.api_url,
        telegram_secret="s3cret",
        send_timeout_seconds=2.0,  # read timeout 1 s
        lease_seconds=10.0,
    )
    standin.get_me_seconds = 1.5
    tg = TelegramChannel(settings)
    try:
        await tg.start()
        result = await tg.send(_message())
        assert (result.outcome, result.detail, result.maybe_sent) == ("transient", "timeout", False)
        assert standin.calls_to("sendMessage") == []
        standin.get_me_seconds = 0.0
        assert (await tg.send(_message())).outcome == "sent"
    finally:
        await tg.stop()


async def test_a_connection_not_made_in_time_is_not_sent(standin: TelegramStandIn, sqlite_url: str) -> None:
    settings = make_settings(
        sqlite_url,
        telegram_token="123:ABC",
        telegram_api_url=standin.api_url,
        telegram_secret="s3cret",
        send_timeout_seconds=2.0,  # connect timeout 1 s
        lease_seconds=10.0,
    )
    tg = TelegramChannel(settings)
    await tg.start()
    await standin.stop()
    try:
        with full_listener(standin.port):
            result = await tg.send(_message())
    finally:
        await tg.stop()
    assert (result.outcome, result.detail, result.maybe_sent) == ("transient", "timeout", False)
    assert standin.calls_to("sendMessage") == []


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
        assert result.maybe_sent  # and the outbox says so
        assert (await tg.send(_message())).outcome == "sent"  # the client is still usable
    finally:
        await tg.stop()


async def test_a_dropped_connection_is_transient(channel: TelegramChannel, standin: TelegramStandIn) -> None:
    standin.fail_next.append("reset")
    result = await channel.send(_message())
    assert (result.outcome, result.provider_id, result.retry_after) == ("transient", None, None)
    assert standin.delivered == []
    # The request was out when the connection dropped: Telegram may have taken it (here it did not; the client
    # cannot know), so a retry may deliver it twice.
    assert result.maybe_sent
    assert (await channel.send(_message())).outcome == "sent"
