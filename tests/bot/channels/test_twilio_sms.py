"""The Twilio SMS channel with the real SDK against a stand-in Twilio REST server."""

from __future__ import annotations

import logging
import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.alarms import Alarm
from bot.channels.base import OutgoingMessage
from bot.channels.twilio_sms import TwilioChannel
from bot.settings import Settings
from tests.conftest import make_settings
from tests.support.sockets import full_listener
from tests.support.twilio_standin import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, Answer, TwilioStandin, twilio_standin

__all__ = ["twilio_standin"]

CALLBACK = "https://keephome.example.org/webhooks/twilio/status"
TENANT = "+4520123456"


def sms_settings(url: str, api_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "twilio_account_sid": ACCOUNT_SID,
        "twilio_auth_token": AUTH_TOKEN,
        "twilio_from": FROM_NUMBER,
        "twilio_api_url": api_url,
        "send_timeout_seconds": 1.0,
    }
    values.update(overrides)
    return make_settings(url, **values)


@pytest.fixture
async def channel(sqlite_url: str, twilio_standin: TwilioStandin) -> AsyncIterator[TwilioChannel]:
    ch = TwilioChannel(sms_settings(sqlite_url, twilio_standin.url))
    await ch.start()
    yield ch
    await ch.stop()


def message(text: str = "Hej, husk huslejen.", callback: str | None = CALLBACK) -> OutgoingMessage:
    return OutgoingMessage(outbox_id=7, address=TENANT, text=text, status_callback=callback)


async def test_accepted_message_is_sent_with_sender_body_and_status_callback(
    channel: TwilioChannel, twilio_standin: TwilioStandin
) -> None:
    result = await channel.send(message("Hej æøå, svar 1 eller 2"))
    assert result.outcome == "sent"
    [posted] = twilio_standin.posted
    assert result.provider_id == posted.sid and posted.sid is not None and posted.sid.startswith("SM")
    assert (posted.to, posted.from_, posted.body) == (TENANT, FROM_NUMBER, "Hej æøå, svar 1 eller 2")
    assert posted.status_callback == CALLBACK
    assert posted.messaging_service_sid is None
    assert twilio_standin.unauthorised == 0


async def test_messaging_service_is_used_when_no_sender_number(sqlite_url: str, twilio_standin: TwilioStandin) -> None:
    service = "MG" + "a" * 32
    ch = TwilioChannel(
        sms_settings(sqlite_url, twilio_standin.url, twilio_from=None, twilio_messaging_service_sid=service)
    )
    await ch.start()
    try:
        result = await ch.send(message(callback=None))
    finally:
        await ch.stop()
    assert result.outcome == "sent"
    [posted] = twilio_standin.posted
    assert posted.messaging_service_sid == service and posted.from_ is None and posted.status_callback is None


@pytest.mark.parametrize(
    ("answer", "outcome", "code"),
    [
        (Answer(400, 21610, "Attempt to send to unsubscribed recipient"), "opted_out", "21610"),
        (Answer(400, 21211, "Invalid 'To' Phone Number"), "permanent", "21211"),
        (Answer(404, 20404, "Not found"), "permanent", "20404"),
        (Answer(429, 20429, "Too Many Requests"), "transient", "20429"),
        (Answer(503, 20503, "Service unavailable"), "transient", "20503"),
        (Answer(500), "transient", "500"),
        (Answer(502), "transient", "502"),
    ],
)
async def test_provider_errors_map_to_outcomes_without_sdk_retries(
    channel: TwilioChannel, twilio_standin: TwilioStandin, answer: Answer, outcome: str, code: str
) -> None:
    twilio_standin.answer_next(answer)
    result = await channel.send(message())
    assert (result.outcome, result.error_code, result.provider_id) == (outcome, code, None)
    # One request only: retries belong to the outbox.
    assert len(twilio_standin.posted) == 1
    assert (await channel.send(message())).outcome == "sent"


async def test_at_info_a_sent_message_leaves_no_line_and_a_refused_one_does(
    channel: TwilioChannel, twilio_standin: TwilioStandin, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="bot.channels.twilio_sms"):
        assert (await channel.send(message())).outcome == "sent"
        twilio_standin.answer_next(Answer(400, 21211, "Invalid 'To' Phone Number"))
        assert (await channel.send(message())).outcome == "permanent"
    lines = [r.getMessage() for r in caplog.records if r.name == "bot.channels.twilio_sms"]
    assert lines == ["sms outbox=7 outcome=permanent code=21211 sid=None detail=twilio http 400"]
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="bot.channels.twilio_sms"):
        assert (await channel.send(message())).outcome == "sent"
    [line] = [r.getMessage() for r in caplog.records if r.name == "bot.channels.twilio_sms"]
    assert "outcome=sent" in line and TENANT not in line


async def test_wrong_credentials_wait_and_say_so(
    sqlite_url: str, twilio_standin: TwilioStandin, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rotated token refuses every message the same way: they wait to be tried again (transient) while an error
    names the settings to check, once a minute, instead of each failing for good at the first try."""
    from bot.channels import twilio_sms

    monkeypatch.setattr(twilio_sms, "_ACCOUNT_ALARM", Alarm())
    ch = TwilioChannel(sms_settings(sqlite_url, twilio_standin.url, twilio_auth_token="0" * 32))
    await ch.start()
    try:
        results = [await ch.send(message()) for _ in range(2)]
    finally:
        await ch.stop()
    assert [(r.outcome, r.error_code) for r in results] == [("transient", "20003")] * 2
    assert twilio_standin.unauthorised == 2 and twilio_standin.posted == []
    errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert len(errors) == 1 and "KEEPHOME_TWILIO_AUTH_TOKEN" in errors[0]


async def test_slow_provider_is_transient(sqlite_url: str, twilio_standin: TwilioStandin) -> None:
    ch = TwilioChannel(sms_settings(sqlite_url, twilio_standin.url, send_timeout_seconds=0.3))
    twilio_standin.answer_next(Answer(delay=0.6))
    await ch.start()
    try:
        result = await ch.send(message())
    finally:
        await ch.stop()
    assert (result.outcome, result.detail) == ("transient", "timeout")


async def test_unreachable_provider_is_transient(sqlite_url: str, caplog: pytest.LogCaptureFixture) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    ch = TwilioChannel(sms_settings(sqlite_url, f"http://127.0.0.1:{port}"))
    await ch.start()
    try:
        with caplog.at_level(logging.INFO, logger="bot.channels.twilio_sms"):
            result = await ch.send(message())
    finally:
        await ch.stop()
    assert result.outcome == "transient"
    # The row, the console and the log say where it could not connect, not only that it could not.
    assert result.detail.startswith("network") and f"127.0.0.1:{port}" in result.detail
    assert [r.getMessage() for r in caplog.records if f"detail={result.detail}" in r.getMessage()] != []


def test_constructing_outside_an_event_loop_opens_nothing(sqlite_url: str) -> None:
    # Warnings are errors in this suite: an aiohttp session made here would fail the test.
    ch = TwilioChannel(sms_settings(sqlite_url, "http://127.0.0.1:9"))
    assert ch.name == "sms"


def test_channel_refuses_settings_without_credentials(sqlite_url: str) -> None:
    with pytest.raises(ValueError, match="KEEPHOME_TWILIO_AUTH_TOKEN"):
        TwilioChannel(make_settings(sqlite_url))


async def test_send_after_stop_reopens_the_client(channel: TwilioChannel, twilio_standin: TwilioStandin) -> None:
    await channel.stop()
    assert (await channel.send(message())).outcome == "sent"
    assert len(twilio_standin.sent) == 1


@pytest.mark.parametrize(
    ("answer", "outcome", "code"),
    [
        (Answer(400, 21610, "Attempt to send to unsubscribed recipient", problem=True), "opted_out", "21610"),
        (Answer(400, 21211, "Invalid 'To' Phone Number", problem=True), "permanent", "21211"),
        (Answer(429, 20429, "Too Many Requests", problem=True, retry_after=3), "transient", "20429"),
        (Answer(503, 20503, "Service unavailable", problem=True), "transient", "20503"),
    ],
)
async def test_rfc_9457_problem_answers_map_like_classic_errors(
    channel: TwilioChannel, twilio_standin: TwilioStandin, answer: Answer, outcome: str, code: str
) -> None:
    twilio_standin.answer_next(answer)
    result = await channel.send(message())
    assert (result.outcome, result.error_code, result.provider_id) == (outcome, code, None)
    assert len(twilio_standin.posted) == 1


@pytest.mark.parametrize(
    ("answer", "code", "detail"),
    [
        # A proxy's page with 200: whether Twilio took the message is unknown, so it is tried again.
        (Answer(200, raw="<html>gateway says hello</html>"), None, "bad answer"),
        (Answer(502, raw="<html>Bad Gateway</html>"), "502", "twilio http 502"),
        (Answer(201, raw=""), None, "answer without a message sid"),
    ],
)
async def test_a_reply_that_is_not_json_is_transient(
    channel: TwilioChannel, twilio_standin: TwilioStandin, answer: Answer, code: str | None, detail: str
) -> None:
    twilio_standin.answer_next(answer)
    result = await channel.send(message())
    assert (result.outcome, result.error_code, result.provider_id) == ("transient", code, None)
    assert result.detail.startswith(detail)
    assert (await channel.send(message())).outcome == "sent"  # the client is still usable afterwards


@pytest.mark.parametrize("accepted", [True, False], ids=["after-accepting", "before-accepting"])
async def test_a_dropped_connection_is_transient(
    channel: TwilioChannel, twilio_standin: TwilioStandin, accepted: bool
) -> None:
    twilio_standin.answer_next(Answer(201 if accepted else 500, reset=True))
    result = await channel.send(message())
    assert (result.outcome, result.provider_id) == ("transient", None)
    assert result.detail.startswith("network")
    assert len(twilio_standin.sent) == (1 if accepted else 0)
    assert (await channel.send(message())).outcome == "sent"


async def test_a_connection_not_made_in_time_is_not_sent(sqlite_url: str) -> None:
    # The host takes no connection (its backlog full): the send ends at the connect limit, before a byte left, so
    # a retry cannot make the tenant get it twice (with a maybe-sent the console would say they may have it twice).
    with full_listener() as port:
        ch = TwilioChannel(sms_settings(sqlite_url, f"http://127.0.0.1:{port}", send_timeout_seconds=2.0))
        await ch.start()
        try:
            result = await ch.send(message())
        finally:
            await ch.stop()
    assert (result.outcome, result.detail, result.maybe_sent) == ("transient", "timeout", False)


async def test_an_answer_slower_than_the_limit_is_transient_even_when_accepted(
    sqlite_url: str, twilio_standin: TwilioStandin
) -> None:
    ch = TwilioChannel(sms_settings(sqlite_url, twilio_standin.url, send_timeout_seconds=0.3))
    twilio_standin.answer_next(Answer(201, delay=0.6))
    await ch.start()
    try:
        result = await ch.send(message())
    finally:
        await ch.stop()
    # The message went out, but keephome cannot know: it is tried again (the one repeat at-least-once allows).
    assert (result.outcome, result.detail, result.maybe_sent) == ("transient", "timeout", True)
    assert len(twilio_standin.sent) == 1


async def test_a_429s_retry_after_reaches_the_outbox(channel: TwilioChannel, twilio_standin: TwilioStandin) -> None:
    twilio_standin.answer_next(Answer(429, 20429, "Too Many Requests", retry_after=5))
    result = await channel.send(message())
    assert (result.outcome, result.retry_after) == ("transient", 5.0)
