"""A send whose outcome is unknown (Twilio took the message, then the answer never came) is sent again, so the
tenant may get it twice: that must never happen without saying so — on the message in the console and in /metrics.
A send that failed in a way that says it did not go (an HTTP 503; on Telegram a connection refused) is sent again
without such a note."""

from __future__ import annotations

import re
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select, update

from bot.app import create_app
from bot.channels.telegram import TelegramChannel
from bot.channels.twilio_sms import TwilioChannel
from bot.runtime import Runtime
from bot.store.flags import PAUSED, write_flag
from bot.store.schema import outbox
from bot.tenants.status import set_status
from tests.conftest import make_settings, started_runtime
from tests.support.console import add_case, add_person, add_tenant, login, post_form
from tests.support.drive import daytime, drain
from tests.support.telegram_standin import TelegramStandIn
from tests.support.twilio_standin import (
    Answer,
    TwilioStandin,
    credentials,
    twilio_standin,
)

__all__ = ["twilio_standin"]


@pytest.fixture
async def rt(sqlite_url: str, twilio_standin: TwilioStandin) -> AsyncIterator[Runtime]:
    settings = make_settings(
        sqlite_url,
        **credentials(twilio_standin),
        send_timeout_seconds=3.0,
    )
    async with started_runtime(settings, sms=TwilioChannel(settings)) as runtime:
        daytime(runtime)  # a reminder's retry goes now, not after quiet hours, whatever the hour the test runs at
        yield runtime


@pytest.fixture
async def http(rt: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    await add_person(rt, "adviser@example.org", "adviser")
    transport = httpx.ASGITransport(app=create_app(rt))
    async with httpx.AsyncClient(transport=transport, base_url="https://keephome.example.org") as client:
        assert (await login(client, "adviser@example.org")).status_code == 303
        yield client


async def _taken(rt: Runtime, http: httpx.AsyncClient, phone: str) -> int:
    """A case the adviser takes: the tenant is sent one message (that a person now reads along)."""
    case_id = await add_case(rt, await add_tenant(rt, f"T{phone[-2:]}", name="Tove Tenant", phone=phone))
    await post_form(http, f"/console/cases/{case_id}", f"/console/cases/{case_id}/take", {})
    return case_id


async def _retry_now(rt: Runtime) -> None:
    async with rt.db.write() as conn:
        await conn.execute(update(outbox).values(next_attempt_at=rt.clock() - timedelta(seconds=1)))
    await drain(rt.sender)


async def _shown(http: httpx.AsyncClient, case_id: int) -> str:
    page = (await http.get(f"/console/cases/{case_id}")).text
    [item] = re.findall(r"<span class=\"delivery [^\"]*\" data-delivery=\"\d+\">.*?</span>", page, flags=re.S)
    return re.sub(r"<[^>]+>", "", item)


async def test_a_message_sent_again_after_an_unanswered_send_says_it_may_have_gone_twice(
    rt: Runtime, http: httpx.AsyncClient, twilio_standin: TwilioStandin
) -> None:
    case_id = await _taken(rt, http, "+4520000001")
    twilio_standin.answer_next(Answer(delay=4.0))  # Twilio takes it, and answers after the client stopped waiting
    await drain(rt.sender)
    shown = await _shown(http, case_id)
    assert "the provider did not answer in time; a try got no answer, so it may have reached" in shown
    await _retry_now(rt)
    assert [p.to for p in twilio_standin.sent] == ["+4520000001", "+4520000001"]  # the tenant has it twice
    assert await _shown(http, case_id) == "sent: the tenant may have it twice: an earlier try got no answer"
    metrics = (await http.get("/metrics")).text
    assert 'keephome_outbound_unknown_outcome_total{channel="sms"} 1.0' in metrics


async def test_a_message_sent_again_after_a_refused_send_says_nothing_of_twice(
    rt: Runtime, http: httpx.AsyncClient, twilio_standin: TwilioStandin
) -> None:
    case_id = await _taken(rt, http, "+4520000002")
    twilio_standin.answer_next(Answer(503))  # Twilio did not take it
    await drain(rt.sender)
    await _retry_now(rt)
    assert len(twilio_standin.sent) == 1
    assert await _shown(http, case_id) == "sent"
    assert "keephome_outbound_unknown_outcome_total{" not in (await http.get("/metrics")).text


async def test_a_message_that_failed_after_an_unanswered_send_says_it_may_have_reached_the_tenant(
    rt: Runtime, http: httpx.AsyncClient, twilio_standin: TwilioStandin
) -> None:
    # The first try got no answer (Twilio took it), the second was refused for good: FAILED, and yet the tenant may
    # have the message; the page says both.
    case_id = await _taken(rt, http, "+4520000003")
    twilio_standin.answer_next(Answer(delay=4.0))
    await drain(rt.sender)
    twilio_standin.answer_next(Answer(400, code=21610, message="unsubscribed recipient"))
    await _retry_now(rt)
    assert [p.to for p in twilio_standin.sent] == ["+4520000003"]
    shown = await _shown(http, case_id)
    assert "FAILED" in shown and "21610" in shown and "tried 2 times" in shown
    assert shown.count("may have reached the tenant") == 1


async def _reminder_unanswered(rt: Runtime, http: httpx.AsyncClient, standin: TwilioStandin, phone: str) -> int:
    """A case whose one message is made proactive, as a reminder is, and whose first try Twilio takes and answers
    too late: the tenant may have it."""
    case_id = await _taken(rt, http, phone)
    async with rt.db.write() as conn:
        await conn.execute(update(outbox).values(proactive=True))
    standin.answer_next(Answer(delay=4.0))
    await drain(rt.sender)
    return case_id


async def test_a_message_held_after_an_unanswered_send_says_it_may_have_reached_the_tenant(
    rt: Runtime, http: httpx.AsyncClient, twilio_standin: TwilioStandin
) -> None:
    # A reminder's first try got no answer; before the retry the tenant opts out (STOP): the row is held, and yet
    # the tenant may have the message: the page says so, not only "held".
    case_id = await _reminder_unanswered(rt, http, twilio_standin, "+4520000004")
    async with rt.db.write() as conn:
        [tenant_id] = (await conn.execute(select(outbox.c.tenant_id))).scalars()
        await conn.run_sync(lambda c: set_status(c, tenant_id, "stopped", rt.clock()))
    await _retry_now(rt)
    assert len(twilio_standin.sent) == 1
    assert await _shown(http, case_id) == (
        "held, not sent: the tenant opted out (STOP); a try got no answer, so it may have reached the tenant"
    )
    # /metrics counts it as held for the reason it was held.
    held = {"state": "held", "reason": "stopped"}
    assert rt.metrics.registry.get_sample_value("keephome_outbox_not_sent", held) == 1.0


async def test_a_message_the_pause_kept_back_after_an_unanswered_send_still_says_it_may_go_twice(
    rt: Runtime, http: httpx.AsyncClient, twilio_standin: TwilioStandin
) -> None:
    # A reminder's first try got no answer; the sending is paused before its retry: it waits, saying the tenant may
    # have it, and goes after the resume, saying the tenant may have it twice.
    case_id = await _reminder_unanswered(rt, http, twilio_standin, "+4520000005")
    async with rt.db.write() as conn:
        await conn.run_sync(write_flag, PAUSED, "1", rt.clock())
    await _retry_now(rt)
    assert await _shown(http, case_id) == (
        "waiting: sending is paused; a try got no answer, so it may have reached the tenant"
    )
    async with rt.db.write() as conn:
        await conn.run_sync(write_flag, PAUSED, "0", rt.clock())
    await _retry_now(rt)
    assert [p.to for p in twilio_standin.sent] == ["+4520000005", "+4520000005"]
    assert await _shown(http, case_id) == "sent: the tenant may have it twice: an earlier try got no answer"


async def test_a_message_whose_last_try_got_no_answer_fails_saying_it_may_have_reached_the_tenant(
    sqlite_url: str, twilio_standin: TwilioStandin
) -> None:
    # One try allowed, and it got no answer: the row fails for good, and the tenant may have the message all the same.
    settings = make_settings(sqlite_url, **credentials(twilio_standin), send_timeout_seconds=3.0, max_attempts=1)
    async with started_runtime(settings, sms=TwilioChannel(settings)) as rt:
        daytime(rt)  # the case's notices go now, not after quiet hours, whatever the hour the test runs at
        await add_person(rt, "adviser@example.org", "adviser")
        transport = httpx.ASGITransport(app=create_app(rt))
        async with httpx.AsyncClient(transport=transport, base_url="https://keephome.example.org") as http:
            assert (await login(http, "adviser@example.org")).status_code == 303
            case_id = await _taken(rt, http, "+4520000006")
            twilio_standin.answer_next(Answer(delay=4.0))
            await drain(rt.sender)
            assert await _shown(http, case_id) == (
                "⚠ FAILED: the provider did not answer in time; a try got no answer, so it may have reached the tenant"
            )


@asynccontextmanager
async def _telegram_case(sqlite_url: str, standin: TelegramStandIn) -> AsyncIterator[tuple[Runtime, httpx.AsyncClient]]:
    """A runtime whose Telegram is the real PTB client against `standin`'s address (listening or not), and an adviser
    signed in to the console."""
    settings = make_settings(
        sqlite_url, telegram_token="123:ABC", telegram_api_url=standin.api_url, telegram_secret="s3cret"
    )
    async with started_runtime(settings, telegram=TelegramChannel(settings)) as rt:
        await add_person(rt, "adviser@example.org", "adviser")
        transport = httpx.ASGITransport(app=create_app(rt))
        async with httpx.AsyncClient(transport=transport, base_url="https://keephome.example.org") as http:
            assert (await login(http, "adviser@example.org")).status_code == 303
            yield rt, http


async def _taken_on_telegram(rt: Runtime, http: httpx.AsyncClient) -> int:
    """A case the adviser takes, of a tenant reached on Telegram only: the one message goes to the chat."""
    case_id = await add_case(rt, await add_tenant(rt, "T-TG", name="Tove Tenant", phone=None, chat_id=777001))
    await post_form(http, f"/console/cases/{case_id}", f"/console/cases/{case_id}/take", {})
    return case_id


async def _maybe_sent(rt: Runtime) -> bool:
    async with rt.db.read() as conn:
        return bool((await conn.execute(select(outbox.c.maybe_sent))).scalar_one())


async def test_a_telegram_api_nobody_listens_on_says_nothing_of_twice(sqlite_url: str) -> None:
    # The operator audit's case: KEEPHOME_TELEGRAM_API_URL names a port nobody listens on. The connection is refused,
    # nothing reached Telegram: the retry, once the Bot API is back, sends the message once and says nothing of twice.
    with socket.socket() as reserved:
        reserved.bind(("127.0.0.1", 0))  # bound, not listening: connections are refused
        standin = TelegramStandIn(port=reserved.getsockname()[1])
        async with _telegram_case(sqlite_url, standin) as (rt, http):
            case_id = await _taken_on_telegram(rt, http)
            await drain(rt.sender)
            assert not await _maybe_sent(rt)
            reserved.close()
            await standin.start()
            try:
                await _retry_now(rt)
                assert [m["chat"]["id"] for m in standin.delivered] == [777001]
                assert await _shown(http, case_id) == "sent"
                assert "keephome_outbound_unknown_outcome_total{" not in (await http.get("/metrics")).text
            finally:
                await standin.stop()


async def test_a_telegram_connection_dropped_after_the_request_says_it_may_have_gone_twice(sqlite_url: str) -> None:
    standin = TelegramStandIn()
    await standin.start()
    try:
        async with _telegram_case(sqlite_url, standin) as (rt, http):
            daytime(rt)  # the case's notices go now, not after quiet hours, whatever the hour the test runs at
            case_id = await _taken_on_telegram(rt, http)
            standin.fail_next.append("reset")  # the Bot API read the request, then the connection dropped
            await drain(rt.sender)
            assert await _maybe_sent(rt)
            await _retry_now(rt)
            assert await _shown(http, case_id) == "sent: the tenant may have it twice: an earlier try got no answer"
            metrics = (await http.get("/metrics")).text
            assert 'keephome_outbound_unknown_outcome_total{channel="telegram"} 1.0' in metrics
    finally:
        await standin.stop()
