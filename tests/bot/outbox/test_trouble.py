"""A provider that stops answering: the messages wait and are tried again, and that must show where operators look —
a WARNING once the sends have failed for a minute, `keephome_send_failing_since_seconds` in /metrics, and the admin
page, which otherwise says that messages go out."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import update

from bot.app import create_app
from bot.channels.base import SendResult
from bot.channels.twilio_sms import TwilioChannel
from bot.metrics import Metrics
from bot.outbox.trouble import WARN_AFTER_SECONDS, WARN_AFTER_TRIES, SendTrouble
from bot.runtime import Runtime
from bot.store.schema import outbox
from tests.conftest import make_settings, started_runtime
from tests.support.console import add_case, add_person, add_tenant, login, post_form
from tests.support.drive import daytime, drain
from tests.support.twilio_standin import Answer, TwilioStandin, credentials, twilio_standin

__all__ = ["twilio_standin"]

DOWN = SendResult("transient", detail="network: ClientConnectorError: Cannot connect to host 127.0.0.1:9")


def _failing_since(metrics: Metrics, channel: str) -> float | None:
    return metrics.registry.get_sample_value("keephome_send_failing_since_seconds", {"channel": channel})


def test_a_channel_failing_for_a_minute_is_warned_of_once_a_minute_and_shown_until_it_answers(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = [100.0]
    metrics = Metrics()
    trouble = SendTrouble(metrics, clock=lambda: clock[0], wall=lambda: 1_700_000_000.0)
    caplog.set_level(logging.INFO, logger="bot.outbox.trouble")
    trouble.saw("sms", DOWN)
    assert _failing_since(metrics, "sms") == 1_700_000_000.0
    assert _failing_since(metrics, "telegram") is None  # never failed: not shown
    for _ in range(WARN_AFTER_TRIES - 3):
        trouble.saw("sms", DOWN)
    clock[0] += WARN_AFTER_SECONDS
    trouble.saw("sms", DOWN)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]  # a minute, but four tries: no alarm yet
    clock[0] += WARN_AFTER_SECONDS  # a row's sparse retries alone are no outage; a fifth try a minute on is one
    trouble.saw("sms", DOWN)
    trouble.saw("sms", DOWN)  # said once a minute, not once a try
    [warning] = [r for r in caplog.records if r.levelno >= logging.WARNING]
    said = warning.getMessage()
    assert "sms: no message has gone out for 120 s: 5 tries failed" in said
    assert "Cannot connect to host 127.0.0.1:9" in said and "KEEPHOME_TWILIO_API_URL" in said
    trouble.saw("sms", SendResult("permanent", error_code="21211"))  # Twilio answers: it refused that one number
    assert _failing_since(metrics, "sms") == 0
    assert "sms: the provider answers again, after 6 failed tries" in caplog.text
    trouble.saw("sms", DOWN)
    trouble.forget()  # the sender stops here (its role went to another process): its gauge says nothing stale
    assert _failing_since(metrics, "sms") == 0


@pytest.fixture
async def rt(sqlite_url: str, twilio_standin: TwilioStandin) -> AsyncIterator[Runtime]:
    settings = make_settings(sqlite_url, **credentials(twilio_standin))
    async with started_runtime(settings, sms=TwilioChannel(settings)) as runtime:
        yield runtime


@pytest.fixture
async def admin(rt: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    await add_person(rt, "admin@example.org", "admin")
    await add_person(rt, "adviser@example.org", "adviser")
    transport = httpx.ASGITransport(app=create_app(rt))
    async with httpx.AsyncClient(transport=transport, base_url="https://keephome.example.org") as client:
        yield client


def _sending_card(page: str) -> str:
    [card] = re.findall(r'<div class="card" id="sending">.*?</div>', page, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", card).split())


async def test_messages_that_wait_after_failed_tries_show_on_the_admin_page_and_in_metrics(
    rt: Runtime, admin: httpx.AsyncClient, twilio_standin: TwilioStandin
) -> None:
    daytime(rt)  # the case's notices go now, not after quiet hours, whatever the hour the test runs at
    assert (await login(admin, "adviser@example.org")).status_code == 303
    # Before any try: 0, not an absent series (an alert on it would never see the channel).
    assert 'keephome_send_failing_since_seconds{channel="sms"} 0.0' in (await admin.get("/metrics")).text
    for n in (1, 2):
        case_id = await add_case(rt, await add_tenant(rt, f"T{n}", name="Tove Tenant", phone=f"+452000000{n}"))
        await post_form(admin, f"/console/cases/{case_id}", f"/console/cases/{case_id}/take", {})
    twilio_standin.answer_next(Answer(503), Answer(503))  # Twilio is down for both
    await drain(rt.sender)
    assert (await login(admin, "admin@example.org")).status_code == 303
    card = _sending_card((await admin.get("/console/admin")).text)
    assert "Some messages could not be sent: they wait to be tried again." in card
    assert "Messages go out" not in card
    assert "SMS: 2 messages wait to be tried again; the latest reason: Twilio answered HTTP 503" in card
    metrics = (await admin.get("/metrics")).text
    assert re.search(r'keephome_send_failing_since_seconds\{channel="sms"\} 1\.\d+e\+09', metrics), metrics
    await rt.sender.stop()  # the role goes elsewhere: this process's gauge says nothing stale
    assert 'keephome_send_failing_since_seconds{channel="sms"} 0.0' in (await admin.get("/metrics")).text
    async with rt.db.write() as conn:  # the next try is due: Twilio takes both
        await conn.execute(update(outbox).values(next_attempt_at=rt.clock() - timedelta(seconds=1)))
    await drain(rt.sender)
    assert len(twilio_standin.sent) == 2
    card = _sending_card((await admin.get("/console/admin")).text)
    assert "Messages go out, and tenants who write get their answers." in card and "tried again" not in card
    assert 'keephome_send_failing_since_seconds{channel="sms"} 0.0' in (await admin.get("/metrics")).text
    async with rt.db.write() as conn:  # a row put off to the end of quiet hours has not failed
        await conn.execute(update(outbox).values(state="pending", last_error="quiet hours"))
    assert "Messages go out" in _sending_card((await admin.get("/console/admin")).text)
