"""What an operator's monitoring sees: the health check and the Prometheus metrics."""

from __future__ import annotations

import html
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta

import httpx
import pytest

from bot.app import create_app
from bot.channels.base import SendResult
from bot.inbound.inbox import InboundMessage
from bot.metrics import Metrics
from bot.outbox.depth import refresh_depth
from bot.outbox.enqueue import enqueue
from bot.runtime import Runtime
from bot.store.flags import PAUSED, write_flag
from bot.store.scene import Scene
from tests.conftest import make_settings, started_runtime
from tests.support.console import staff_client
from tests.support.drive import FailingSandbox, drain, process_all, sandbox
from tests.support.helpers import add_tenant


async def test_healthz_checks_the_database(
    client: httpx.AsyncClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    answer = await client.get("/healthz")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok", "database": "ok", "channels": "sms, telegram"}

    @asynccontextmanager
    async def unreachable() -> AsyncIterator[None]:
        raise OSError("unable to open database file")
        yield

    monkeypatch.setattr(runtime.db, "read", unreachable)
    broken = await client.get("/healthz")
    assert broken.status_code == 503
    assert broken.json()["database"] == "unreachable"


TOKEN = "metrics-token-0123456789"


def gauge(text: str, name: str) -> float:
    [value] = [line.split()[1] for line in text.splitlines() if line.startswith(name + " ")]
    return float(value)


async def test_metrics_count_messages_by_channel_and_result(client: httpx.AsyncClient, runtime: Runtime) -> None:
    await add_tenant(runtime.db)
    await runtime.inbox.submit(InboundMessage("sms", "SM1", "+4520123456", "hej"))
    await runtime.inbox.submit(InboundMessage("sms", "SM2", "+4520123456", "STOP"))
    await process_all(runtime.processor)
    await drain(runtime.sender)
    text = (await client.get("/metrics")).text
    assert 'keephome_inbound_messages_total{channel="sms",result="conversation"} 1.0' in text
    assert 'keephome_inbound_messages_total{channel="sms",result="keyword_opt_out"} 1.0' in text
    # The question was still queued when STOP came: only the confirmation leaves.
    assert 'keephome_outbound_messages_total{channel="sms",result="sent"} 1.0' in text
    assert gauge(text, "keephome_outbox_depth") == 0
    assert 'keephome_send_latency_seconds_count{channel="sms"} 1.0' in text


async def test_the_outbox_depth_follows_the_senders_work_and_a_scrape_reads_no_database(
    client: httpx.AsyncClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    await add_tenant(runtime.db, "T-1", phone="+4520123456")
    await add_tenant(runtime.db, "T-2", phone="+4520123457")
    phones = sandbox(runtime)["sms"]
    assert isinstance(phones, FailingSandbox)
    phones.fail_next = [SendResult("transient", detail="provider down")] * 2
    for n, phone in enumerate(("+4520123456", "+4520123457")):
        await runtime.inbox.submit(InboundMessage("sms", f"SM{n}", phone, "hej"))
    await process_all(runtime.processor)
    await drain(runtime.sender)  # both answers fail for now and wait for their retry
    assert gauge((await client.get("/metrics")).text, "keephome_outbox_depth") == 2

    # A scrape answers from memory: with the database gone it still answers, the same.
    @asynccontextmanager
    async def unreachable() -> AsyncIterator[None]:
        raise OSError("unable to open database file")
        yield

    with monkeypatch.context() as gone:
        gone.setattr(runtime.db, "read", unreachable)
        scrape = await client.get("/metrics")
    assert scrape.status_code == 200 and gauge(scrape.text, "keephome_outbox_depth") == 2

    # The first tenant writes STOP: the queued question is held, and the sender's next round says so.
    await runtime.inbox.submit(InboundMessage("sms", "SM-stop", "+4520123456", "STOP"))
    await process_all(runtime.processor)
    runtime.clock.offset += timedelta(hours=2)
    await drain(runtime.sender)
    text = (await client.get("/metrics")).text
    assert gauge(text, "keephome_outbox_depth") == 0
    assert len(phones.to("+4520123457")) == 1 and len(phones.to("+4520123456")) == 1  # the answer and the STOP reply


@pytest.mark.parametrize(
    ("authorization", "status"),
    [
        (None, 401),
        ("Bearer wrong-token", 401),
        ("metrics-token-0123456789", 401),
        ("Bearer metrics-token-0123456789", 200),
    ],
)
async def test_metrics_can_require_a_bearer_token(sqlite_url: str, authorization: str | None, status: int) -> None:
    settings = make_settings(sqlite_url, metrics_token=TOKEN)
    async with started_runtime(settings) as rt:
        transport = httpx.ASGITransport(app=create_app(rt))
        async with httpx.AsyncClient(transport=transport, base_url="https://keephome.example.org") as client:
            headers = {"Authorization": authorization} if authorization else {}
            answer = await client.get("/metrics", headers=headers)
    assert answer.status_code == status
    assert ("keephome_role_held" in answer.text) is (status == 200)
    if status == 401:
        assert answer.headers["www-authenticate"].startswith("Bearer")


async def test_without_a_token_metrics_are_open(client: httpx.AsyncClient) -> None:
    answer = await client.get("/metrics")
    assert answer.status_code == 200 and "keephome_role_held" in answer.text


async def _answer(rt: Runtime, tenant_id: int, key: str, not_before: datetime | None = None) -> None:
    async with rt.db.write() as conn:
        await conn.run_sync(
            lambda sync: enqueue(
                Scene.of(sync),
                now=rt.clock(),
                channel="sms",
                template="keyword.opted_in",
                values={},
                language="da",
                idempotency_key=key,
                tenant_id=tenant_id,
                not_before=not_before,
            )
        )


async def test_a_backlog_of_messages_due_shows_on_metrics(database_url: str) -> None:
    """Rows due and not sent (a stuck sender, a rate too low for the day) are counted apart from those waiting for a
    later time (a retry, the end of quiet hours), with how long the oldest has waited."""
    async with started_runtime(make_settings(database_url)) as runtime:
        tenant_id = await add_tenant(runtime.db, "T-1", phone="+4520123456")
        for n in range(2):
            await _answer(runtime, tenant_id, f"due-{n}")
        await _answer(runtime, tenant_id, "later", not_before=runtime.clock() + timedelta(hours=1))
        await refresh_depth(runtime.db, runtime.metrics, now=runtime.clock())
        text = runtime.metrics.render().decode()
        assert gauge(text, "keephome_outbox_depth") == 3 and gauge(text, "keephome_outbox_due") == 2
        assert gauge(text, "keephome_outbox_oldest_due_seconds") < 5

        runtime.clock.offset += timedelta(minutes=10)  # nothing was sent meanwhile
        await refresh_depth(runtime.db, runtime.metrics, now=runtime.clock())
        text = runtime.metrics.render().decode()
        assert gauge(text, "keephome_outbox_due") == 2
        assert 595 < gauge(text, "keephome_outbox_oldest_due_seconds") < 610

        await drain(runtime.sender)
        text = runtime.metrics.render().decode()
        assert gauge(text, "keephome_outbox_due") == 0 and gauge(text, "keephome_outbox_oldest_due_seconds") == 0
        assert gauge(text, "keephome_outbox_depth") == 1  # the row for later


async def test_the_admin_page_names_a_backlog_of_messages_due_for_some_minutes(runtime: Runtime) -> None:
    tenant_id = await add_tenant(runtime.db, "T-1", phone="+4520123456")
    async with staff_client(runtime, "admin") as c:
        for n in range(2):
            await _answer(runtime, tenant_id, f"due-{n}")
        assert 'id="send-backlog"' not in (await c.get("/console/admin")).text  # just queued: no backlog yet
        runtime.clock.offset += timedelta(minutes=10)  # nothing was sent meanwhile
        page = html.unescape((await c.get("/console/admin")).text)
        assert "2 messages are due and not sent yet; the oldest has waited since" in page
        assert "If the number does not fall, tell whoever runs keephome." in page
        await drain(runtime.sender)
        assert 'id="send-backlog"' not in (await c.get("/console/admin")).text


def _has(text: str, name: str) -> bool:
    return any(line.startswith(name + " ") for line in text.splitlines())


def _has_labelled(text: str, name: str) -> bool:
    return any(line.startswith(name + "{") for line in text.splitlines())


# The sender's counts by label: rows that cannot go now, and rows not sent by state and reason.
SENDERS_OWN_BY_LABEL = ("keephome_outbox_waiting", "keephome_outbox_not_sent")


# Kept by the process that sends, from the rows and the switch: no other process knows them.
SENDERS_OWN = (
    "keephome_inbound_waiting",
    "keephome_inbound_oldest_waiting_seconds",
    "keephome_inbound_failed",
    "keephome_outbox_depth",
    "keephome_outbox_due",
    "keephome_outbox_oldest_due_seconds",
    "keephome_paused",
)


def test_a_process_that_does_not_send_does_not_say_no_message_waits() -> None:
    """On PostgreSQL only the sender's holder counts the waiting messages: the other processes said 0 while one
    waited unhandled, then NaN, which a dashboard shows as a number that means nothing (and keephome_paused 0 while
    the switch was on). They show no sample: max() over every process reads the sender's, and absent() says no
    process counts."""
    text = Metrics().render().decode()
    for name in SENDERS_OWN:
        assert not _has(text, name), text
        assert f"# TYPE {name} gauge" not in text
    assert "NaN" not in text


async def test_a_process_that_stops_sending_stops_showing_its_last_count(database_url: str) -> None:
    """The sender role moved to another process: this one's last count would go stale (a message it counted, since
    handled by the other, would read as waiting for ever), so its inbound gauges go."""
    async with started_runtime(make_settings(database_url)) as runtime:
        await add_tenant(runtime.db, "T-1", phone="+4520123456")
        assert await runtime.inbox.submit(InboundMessage("sms", "SM-stale", "+4520123456", "hej")) == "stored"
        await refresh_depth(runtime.db, runtime.metrics, now=runtime.clock())
        assert gauge(runtime.metrics.render().decode(), "keephome_inbound_waiting") == 1
        await drain(runtime.sender)  # a claim reads the pause switch
        assert all(_has(runtime.metrics.render().decode(), name) for name in SENDERS_OWN)
        assert _has_labelled(runtime.metrics.render().decode(), "keephome_outbox_waiting")
        await runtime.sender.stop()
        text = runtime.metrics.render().decode()
        assert [name for name in SENDERS_OWN if _has(text, name)] == []
        assert [name for name in SENDERS_OWN_BY_LABEL if _has_labelled(text, name)] == []


async def test_messages_from_tenants_stored_and_not_handled_show_on_metrics(database_url: str) -> None:
    """A webhook committed the message and the processor has not handled it (stopped, or failing every round): the
    sender's refresh counts them and how long the oldest has waited."""
    async with started_runtime(make_settings(database_url)) as runtime:
        await add_tenant(runtime.db, "T-1", phone="+4520123456")
        for n in range(2):
            assert await runtime.inbox.submit(InboundMessage("sms", f"SM-wait-{n}", "+4520123456", "hej")) == "stored"
        runtime.clock.offset += timedelta(minutes=3)  # the processor did not run meanwhile
        await refresh_depth(runtime.db, runtime.metrics, now=runtime.clock())
        text = runtime.metrics.render().decode()
        assert gauge(text, "keephome_inbound_waiting") == 2
        assert 175 < gauge(text, "keephome_inbound_oldest_waiting_seconds") < 190

        await process_all(runtime.processor)
        await refresh_depth(runtime.db, runtime.metrics, now=runtime.clock())
        text = runtime.metrics.render().decode()
        assert gauge(text, "keephome_inbound_waiting") == 0
        assert gauge(text, "keephome_inbound_oldest_waiting_seconds") == 0


async def test_the_admin_page_says_when_messages_from_tenants_wait_to_be_handled(runtime: Runtime) -> None:
    await add_tenant(runtime.db, "T-1", phone="+4520123456")
    async with staff_client(runtime, "admin") as c:
        for n in range(2):
            await runtime.inbox.submit(InboundMessage("sms", f"SM-wait-{n}", "+4520123456", "hej"))
        assert 'id="inbound-backlog"' not in (await c.get("/console/admin")).text  # just stored
        runtime.clock.offset += timedelta(minutes=3)
        page = " ".join(html.unescape((await c.get("/console/admin")).text).split())
        assert "2 messages from tenants are stored and not handled yet; the oldest came" in page
        assert "Nothing is lost" in page and "its log says why the processing fails" in page
        await process_all(runtime.processor)
        assert 'id="inbound-backlog"' not in (await c.get("/console/admin")).text


async def test_the_pause_shows_on_metrics_while_it_holds(sqlite_url: str) -> None:
    """Paused, no reminder goes out however long: an alert can see the switch (stored, or KEEPHOME_PAUSED)."""
    async with started_runtime(make_settings(sqlite_url)) as runtime:
        await drain(runtime.sender)
        assert runtime.metrics.registry.get_sample_value("keephome_paused") == 0
        async with runtime.db.write() as conn:
            await conn.run_sync(write_flag, PAUSED, "1", runtime.clock())
        await drain(runtime.sender)
        assert runtime.metrics.registry.get_sample_value("keephome_paused") == 1
        async with runtime.db.write() as conn:
            await conn.run_sync(write_flag, PAUSED, "0", runtime.clock())
        await drain(runtime.sender)
        assert runtime.metrics.registry.get_sample_value("keephome_paused") == 0
    async with started_runtime(make_settings(sqlite_url, paused=True)) as runtime:
        await drain(runtime.sender)
        assert runtime.metrics.registry.get_sample_value("keephome_paused") == 1
