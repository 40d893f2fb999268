"""Without a channel nothing reaches a tenant: every console page says so to whoever is signed in, and `/healthz`
and `/metrics` tell the operator's monitoring (the waiting rows as a gauge the sender keeps, not a count per
scrape)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from sqlalchemy import update

from bot.app import create_app
from bot.channels.base import Channel
from bot.outbox.enqueue import enqueue
from bot.runtime import Runtime, build_runtime
from bot.settings import Settings
from bot.starter import running
from bot.store.scene import Scene
from bot.store.schema import outbox
from tests.support.console import add_case, add_person, add_tenant, login
from tests.support.drive import FailingSandbox, drain
from tests.support.schema import migrated

BANNER = "No channel is set up: no message reaches a tenant."
# Every page an admin reaches from the menu, and a case's and a tenant's page.
ADMIN_PAGES = (
    "/console/",
    "/console/cases/{case}",
    "/console/tenants/{tenant}",
    "/console/outcomes",
    "/console/staff",
    "/console/admin",
    "/console/admin/api-keys",
    "/console/audit",
    "/console/data",
    "/console/me",
)


@asynccontextmanager
async def _service(settings: Settings, channels: dict[str, Channel]) -> AsyncIterator[Runtime]:
    """`keephome run` with these channels (none: neither Twilio nor Telegram configured)."""
    rt = build_runtime(settings, channels=channels)
    await migrated(rt.db)
    async with running(rt, background=False):
        yield rt


@asynccontextmanager
async def _browser(rt: Runtime, email: str | None = None) -> AsyncIterator[httpx.AsyncClient]:
    """A browser on the console, signed in as `email` (or not signed in)."""
    transport = httpx.ASGITransport(app=create_app(rt))
    async with httpx.AsyncClient(transport=transport, base_url="https://keephome.example.org") as client:
        if email is not None:
            assert (await login(client, email)).status_code == 303
        yield client


async def _admin_pages(rt: Runtime) -> dict[str, str]:
    tenant = await add_tenant(rt, "T-1", name="Test Lejer", phone="+4520000001")
    case = await add_case(rt, tenant)
    await add_person(rt, "admin@example.org", "admin")
    shown = {}
    async with _browser(rt, "admin@example.org") as client:
        for path in ADMIN_PAGES:
            page = await client.get(path.format(case=case, tenant=tenant))
            assert page.status_code == 200, path
            shown[path] = page.text
    return shown


async def test_every_console_page_says_that_no_channel_is_set_up(settings: Settings) -> None:
    async with _service(settings, {}) as rt:
        pages = await _admin_pages(rt)
        await add_person(rt, "volunteer@example.org", "volunteer")
        async with _browser(rt, "volunteer@example.org") as client:
            tasks = (await client.get("/console/tasks")).text
        async with _browser(rt) as client:
            sign_in = (await client.get("/console/login")).text
    assert [path for path, text in pages.items() if BANNER not in text] == []
    assert BANNER in tasks
    assert BANNER not in sign_in  # a stranger learns nothing about the set-up


async def test_no_such_banner_once_a_channel_is_set_up(settings: Settings) -> None:
    async with _service(settings, {"sms": FailingSandbox("sms")}) as rt:
        pages = await _admin_pages(rt)
    assert [path for path, text in pages.items() if BANNER in text] == []


def _waiting(scraped: str, reason: str) -> float:
    prefix = f'keephome_outbox_waiting{{reason="{reason}"}} '
    [value] = [line.removeprefix(prefix) for line in scraped.splitlines() if line.startswith(prefix)]
    return float(value)


async def _question(rt: Runtime, tenant_id: int, key: str) -> None:
    def write(sync: object) -> None:
        enqueue(
            Scene.of(sync),  # type: ignore[arg-type]
            now=rt.clock(),
            channel="sms",
            template="payment_check.question",
            values={"first_name": "Test", "trigger": ""},
            language="da",
            idempotency_key=key,
            tenant_id=tenant_id,
            proactive=True,
        )

    await rt.db.run(write)


async def test_healthz_and_metrics_say_that_messages_wait_for_a_channel(settings: Settings) -> None:
    async with _service(settings, {}) as rt:
        tenant = await add_tenant(rt, "T-1", name="Test Lejer", phone="+4520000001")
        async with _browser(rt) as client:
            assert (await client.get("/healthz")).json() == {"status": "ok", "database": "ok", "channels": "none"}
            await _question(rt, tenant, "test:1")
            await drain(rt.sender)  # no channel: the row waits, and the sender counts it
            scraped = (await client.get("/metrics")).text
            assert (_waiting(scraped, "no_channel"), _waiting(scraped, "paused")) == (1.0, 0.0)
            # A scrape reads the gauge, never the table: a row set waiting behind the sender's back shows only
            # once the sender has looked again.
            await _question(rt, tenant, "test:2")
            async with rt.db.write() as conn:
                await conn.execute(
                    update(outbox).where(outbox.c.state == "pending").values(state="waiting", last_error="no channel")
                )
            assert _waiting((await client.get("/metrics")).text, "no_channel") == 1.0
            await drain(rt.sender)
            assert _waiting((await client.get("/metrics")).text, "no_channel") == 2.0
