"""`keephome telegram set-webhook` and polling mode, against the stand-in Bot API."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import select

from bot.app import create_app
from bot.channels.telegram import TelegramChannel
from bot.cli.telegram import set_webhook
from bot.inbound.poller import Poller, polling_role
from bot.settings import ConfigError
from bot.store.schema import inbound
from tests.conftest import make_settings, started_runtime
from tests.support.drive import process_all
from tests.support.telegram_harness import callback_update, text_update
from tests.support.telegram_standin import TelegramStandIn


@pytest.fixture
async def standin() -> AsyncIterator[TelegramStandIn]:
    server = TelegramStandIn()
    await server.start()
    yield server
    await server.stop()


async def test_set_webhook_registers_public_url_and_secret(standin: TelegramStandIn, sqlite_url: str) -> None:
    settings = make_settings(
        sqlite_url, telegram_token="123:ABC", telegram_api_url=standin.api_url, telegram_secret="s3cret"
    )
    said = await set_webhook(settings)
    [call] = standin.calls_to("setWebhook")
    assert call.params["url"] == "https://keephome.example.org/webhooks/telegram"
    assert call.params["secret_token"] == "s3cret"
    assert call.params["allowed_updates"] == ["message", "callback_query"]
    assert "https://keephome.example.org/webhooks/telegram" in said
    assert "@keephome_bot" in said
    assert "s3cret" not in said


async def test_set_webhook_in_polling_mode_says_the_poller_would_remove_it(
    standin: TelegramStandIn, sqlite_url: str
) -> None:
    """A webhook registered while `run` polls is deleted by the poller at its start: registering one then is a
    step that silently undoes itself (and, before the poller starts, every update goes to a URL nothing serves)."""
    settings = make_settings(
        sqlite_url,
        telegram_token="123:ABC",
        telegram_api_url=standin.api_url,
        telegram_secret="s3cret",
        telegram_mode="polling",
    )
    with pytest.raises(ConfigError, match="KEEPHOME_TELEGRAM_MODE is polling"):
        await set_webhook(settings)
    assert standin.calls_to("setWebhook") == []


async def test_set_webhook_with_the_bot_api_out_of_reach_says_so(sqlite_url: str) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once the socket closes
    api = f"http://127.0.0.1:{port}/bot"
    settings = make_settings(sqlite_url, telegram_token="123:ABC", telegram_api_url=api, telegram_secret="s3cret")
    with pytest.raises(ConfigError) as refused:
        await set_webhook(settings)
    said = str(refused.value)
    assert said.startswith(f"could not reach the Bot API at {api} (") and "refused" not in said


async def test_polling_commits_updates_through_the_same_mapping(standin: TelegramStandIn, sqlite_url: str) -> None:
    settings = make_settings(
        sqlite_url, telegram_token="123:ABC", telegram_api_url=standin.api_url, telegram_mode="polling"
    )
    channel = TelegramChannel(settings)
    async with started_runtime(settings, telegram=channel) as rt:
        standin.push_update(text_update(40, 777001, 5, "hej"))
        standin.push_update(callback_update(41, 777001, 6, "cbq-9", "3.0"))
        standin.push_update(text_update(42, -100200, 7, "hej alle", chat_type="group"))
        poller = Poller(rt.inbox, channel.bot, timeout=0)
        assert await poller.poll_once() == 3
        assert await poller.poll_once() == 0
        assert standin.calls_to("deleteWebhook")
        assert standin.calls_to("getUpdates")[-1].params["offset"] == 43
        async with rt.db.read() as conn:
            rows = (await conn.execute(select(inbound.c.provider_id, inbound.c.text))).all()
        assert sorted(map(tuple, rows)) == [("777001:5", "hej"), ("cb:cbq-9", None)]
        # The press is answered once it is handled, as the webhook's (bot/inbound/presses.py).
        await process_all(rt.processor)
        assert len(standin.calls_to("answerCallbackQuery")) == 1
        # The webhook is off in polling mode.
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(rt)), base_url="https://x") as c:
            response = await c.post("/webhooks/telegram", json=text_update(50, 1, 1, "hej"))
        assert response.status_code == 404


async def test_polling_runs_in_the_background_only_in_polling_mode(standin: TelegramStandIn, sqlite_url: str) -> None:
    settings = make_settings(
        sqlite_url, telegram_token="123:ABC", telegram_api_url=standin.api_url, telegram_mode="polling"
    )
    async with started_runtime(settings, telegram=TelegramChannel(settings)) as rt:
        poller = polling_role(rt.settings, rt.inbox, rt.channels, rt.metrics)
        assert poller is not None
        await poller.start()
        standin.push_update(text_update(60, 777001, 8, "hej"))
        for _ in range(100):
            async with rt.db.read() as conn:
                if (await conn.execute(select(inbound.c.id))).first() is not None:
                    break
            await asyncio.sleep(0.02)
        else:
            pytest.fail("the poller stored nothing")
        await poller.stop()


async def test_no_poller_in_webhook_mode(standin: TelegramStandIn, sqlite_url: str) -> None:
    settings = make_settings(
        sqlite_url, telegram_token="123:ABC", telegram_api_url=standin.api_url, telegram_secret="s3cret"
    )
    async with started_runtime(settings, telegram=TelegramChannel(settings)) as rt:
        assert polling_role(rt.settings, rt.inbox, rt.channels, rt.metrics) is None
        assert standin.calls_to("getUpdates") == []


async def test_a_polled_update_no_database_could_store_is_confirmed_and_counted(
    standin: TelegramStandIn, sqlite_url: str
) -> None:
    settings = make_settings(
        sqlite_url, telegram_token="123:ABC", telegram_api_url=standin.api_url, telegram_mode="polling"
    )
    channel = TelegramChannel(settings)
    async with started_runtime(settings, telegram=channel) as rt:
        broken = text_update(70, 777001, 9, "hej")
        broken["message"]["chat"]["id"] = "not a number"
        standin.push_update(broken)
        standin.push_update(text_update(71, 777001, 10, "hej igen"))
        poller = polling_role(rt.settings, rt.inbox, rt.channels, rt.metrics)
        assert poller is not None
        assert await poller.poll_once() == 2
        assert await poller.poll_once() == 0  # confirmed: never fetched again
        assert standin.calls_to("getUpdates")[-1].params["offset"] == 72
        rejected = rt.metrics.registry.get_sample_value(
            "keephome_inbound_messages_total", {"channel": "telegram", "result": "rejected"}
        )
        assert rejected == 1
        async with rt.db.read() as conn:
            rows = (await conn.execute(select(inbound.c.provider_id))).all()
        assert [r.provider_id for r in rows] == ["777001:10"]
