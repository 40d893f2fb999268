"""What an operator's monitoring sees: the health check and the Prometheus metrics."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest

from bot.inbound.inbox import InboundMessage
from bot.runtime import Runtime
from tests.support.drive import drain, process_all
from tests.support.helpers import add_tenant


async def test_healthz_checks_the_database(
    client: httpx.AsyncClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    answer = await client.get("/healthz")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok", "database": "ok"}

    @asynccontextmanager
    async def unreachable() -> AsyncIterator[None]:
        raise OSError("unable to open database file")
        yield

    monkeypatch.setattr(runtime.db, "read", unreachable)
    broken = await client.get("/healthz")
    assert broken.status_code == 503
    assert broken.json()["database"] == "unreachable"


async def test_metrics_count_messages_by_channel_and_result(client: httpx.AsyncClient, runtime: Runtime) -> None:
    await add_tenant(runtime.db)
    await runtime.inbox.submit(InboundMessage("sms", "SM1", "+4520123456", "hej"))
    await runtime.inbox.submit(InboundMessage("sms", "SM2", "+4520123456", "STOP"))
    await process_all(runtime.processor)
    before = (await client.get("/metrics")).text
    assert "keephome_outbox_depth 2.0" in before
    await drain(runtime.sender)
    text = (await client.get("/metrics")).text
    assert 'keephome_inbound_messages_total{channel="sms",result="conversation"} 1.0' in text
    assert 'keephome_inbound_messages_total{channel="sms",result="keyword_opt_out"} 1.0' in text
    # The question was still queued when STOP came: only the confirmation leaves.
    assert 'keephome_outbound_messages_total{channel="sms",result="sent"} 1.0' in text
    assert "keephome_outbox_depth 0.0" in text
    assert 'keephome_send_latency_seconds_count{channel="sms"} 1.0' in text
