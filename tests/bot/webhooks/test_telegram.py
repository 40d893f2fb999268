"""POST /webhooks/telegram: the secret, the shapes of Updates, and what gets committed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from bot.alarms import Alarm
from bot.app import create_app
from bot.channels.telegram import TelegramChannel
from bot.runtime import Runtime
from bot.store.schema import inbound
from bot.webhooks import refusals
from tests.conftest import make_settings, started_runtime
from tests.support.drive import process_all
from tests.support.telegram_harness import (
    callback_update,
    contact_update,
    edited_update,
    message_update,
    photo_update,
    sticker_update,
    text_update,
)
from tests.support.telegram_standin import TelegramStandIn

SECRET = {"X-Telegram-Bot-Api-Secret-Token": "s3cret"}


@pytest.fixture
async def standin() -> AsyncIterator[TelegramStandIn]:
    server = TelegramStandIn()
    await server.start()
    yield server
    await server.stop()


@asynccontextmanager
async def _client(standin: TelegramStandIn, url: str) -> AsyncIterator[tuple[httpx.AsyncClient, Runtime]]:
    settings = make_settings(url, telegram_token="123:ABC", telegram_api_url=standin.api_url, telegram_secret="s3cret")
    async with started_runtime(settings, telegram=TelegramChannel(settings)) as rt:
        transport = httpx.ASGITransport(app=create_app(rt))
        async with httpx.AsyncClient(transport=transport, base_url="https://keephome.example.org") as c:
            yield c, rt


@pytest.fixture
async def pair(standin: TelegramStandIn, sqlite_url: str) -> AsyncIterator[tuple[httpx.AsyncClient, Runtime]]:
    """The webhook on SQLite."""
    async with _client(standin, sqlite_url) as c:
        yield c


@pytest.fixture
async def pair_any(standin: TelegramStandIn, database_url: str) -> AsyncIterator[tuple[httpx.AsyncClient, Runtime]]:
    """The webhook on SQLite and on PostgreSQL."""
    async with _client(standin, database_url) as c:
        yield c


@pytest.fixture
def tg(pair: tuple[httpx.AsyncClient, Runtime]) -> httpx.AsyncClient:
    return pair[0]


@pytest.fixture
def tg_runtime(pair: tuple[httpx.AsyncClient, Runtime]) -> Runtime:
    return pair[1]


async def _rows(rt: Runtime) -> list[Any]:
    async with rt.db.read() as conn:
        return list((await conn.execute(select(inbound).order_by(inbound.c.id))).all())


async def _post(client: httpx.AsyncClient, update: object) -> httpx.Response:
    return await client.post("/webhooks/telegram", json=update, headers=SECRET)


async def test_text_message_is_committed_before_200(pair_any: tuple[httpx.AsyncClient, Runtime]) -> None:
    tg, tg_runtime = pair_any
    response = await _post(tg, text_update(1, 777001, 15, "Jeg har betalt"))
    assert response.status_code == 200
    [row] = await _rows(tg_runtime)
    assert (row.channel, row.provider_id, row.sender, row.text) == ("telegram", "777001:15", "777001", "Jeg har betalt")
    assert row.processed_at is None


async def test_duplicate_update_is_stored_once(pair_any: tuple[httpx.AsyncClient, Runtime]) -> None:
    tg, tg_runtime = pair_any
    for _ in range(2):
        assert (await _post(tg, text_update(1, 777001, 15, "hej"))).status_code == 200
    assert len(await _rows(tg_runtime)) == 1


async def test_a_text_longer_than_telegram_sends_is_kept_to_its_cap_and_marked_cut(
    pair_any: tuple[httpx.AsyncClient, Runtime],
) -> None:
    """Telegram caps a text at 4,096 characters: a longer one is kept to that, its end marked cut, not refused."""
    tg, tg_runtime = pair_any
    words = "Hej, jeg har brug for hjælp. " + "ø" * 9_971
    assert (await _post(tg, text_update(1, 777001, 15, words))).status_code == 200
    [row] = await _rows(tg_runtime)
    assert row.text == words[:4096] + " […]"
    assert row.payload["cut"] == 10_000 - 4096


@pytest.mark.parametrize(
    "update",
    [
        text_update(1, 10**30, 15, "hej"),
        text_update(1, 777001, 2**63, "hej"),
        callback_update(1, 777001, 3, "9" * 78, "a"),
    ],
    ids=["chat-id-past-64-bits", "message-id-past-64-bits", "callback-id-longer-than-any"],
)
async def test_an_id_no_telegram_update_carries_is_rejected_and_never_stops_the_processing(
    pair_any: tuple[httpx.AsyncClient, Runtime], update: dict[str, Any]
) -> None:
    """Telegram's ids fit in 64 bits (a callback query's is a number in a string): a chat id past that was stored,
    and the processor then failed on it every round (the database's integer columns cannot hold it), so no message
    from any tenant was answered any more."""
    tg, tg_runtime = pair_any
    answer = await _post(tg, update)
    assert (answer.status_code, answer.json()) == (200, {"ok": True, "result": "rejected"})
    assert await _rows(tg_runtime) == []
    assert (await _post(tg, text_update(2, 777002, 15, "hej"))).json()["result"] == "stored"
    assert await process_all(tg_runtime.processor) == 1


@pytest.mark.parametrize("headers", [{}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}])
async def test_wrong_or_missing_secret_is_403_and_stores_nothing(
    tg: httpx.AsyncClient, tg_runtime: Runtime, headers: dict[str, str]
) -> None:
    response = await tg.post("/webhooks/telegram", json=text_update(1, 777001, 15, "hej"), headers=headers)
    assert response.status_code == 403
    assert "Secret-Token" in response.json()["error"]
    assert await _rows(tg_runtime) == []


async def test_a_refused_secret_is_counted_and_warned_once_a_minute(
    tg: httpx.AsyncClient, tg_runtime: Runtime, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A secret changed without `set-webhook` again refuses every tenant's update: the operator must see it."""
    monkeypatch.setattr(refusals, "_ALARM", Alarm())
    for n in range(3):
        wrong = {"X-Telegram-Bot-Api-Secret-Token": "old-secret"}
        assert (
            await tg.post("/webhooks/telegram", json=text_update(n, 777001, 15, "STOP"), headers=wrong)
        ).status_code == 403
    counted = tg_runtime.metrics.registry.get_sample_value(
        "keephome_inbound_messages_total", {"channel": "telegram", "result": "bad_secret"}
    )
    assert counted == 3.0
    warned = [r for r in caplog.records if r.levelname == "WARNING" and "set-webhook" in r.getMessage()]
    assert len(warned) == 1


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{not json", "not valid JSON"),
        (b"[1, 2]", "JSON object"),
        (b'{"message": {"text": "hej"}}', "update_id"),
        (b'{"update_id": 5, "message": "hej"}', "not a Telegram Update: message must be an object"),
        (b'{"update_id": 5, "message": {"text": "hi"}}', "not a Telegram Update: message.message_id is missing"),
        (
            b'{"update_id": 5, "message": {"message_id": 1, "date": 1, "chat": {"id": "abc", "type": "private"}}}',
            "not a Telegram Update: message.chat.id must be an integer",
        ),
        (b'{"update_id": 5, "callback_query": {"id": "q1"}}', "not a Telegram Update: callback_query.from is missing"),
        (b'{"update_id": 5, "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "nested too deep"),
        (b"\xff\xfe{}", "not valid JSON"),
    ],
    ids=[
        "not json",
        "a list",
        "no update_id",
        "message not an object",
        "no message_id",
        "chat id not a number",
        "press from no one",
        "nested too deep",
        "not utf-8",
    ],
)
async def test_bad_body_is_400_with_a_reason(
    tg: httpx.AsyncClient, tg_runtime: Runtime, body: bytes, reason: str
) -> None:
    response = await tg.post("/webhooks/telegram", content=body, headers=SECRET)
    assert response.status_code == 400
    assert reason in response.json()["error"]
    assert await _rows(tg_runtime) == []
    # Counted as the SMS webhook counts a signed form that is no message.
    malformed = {"channel": "telegram", "result": "malformed"}
    assert tg_runtime.metrics.registry.get_sample_value("keephome_inbound_messages_total", malformed) == 1.0


@pytest.mark.parametrize(
    ("update", "text", "payload"),
    [
        (text_update(3, 777001, 20, "/start Zx9_-ab"), None, {"start": "Zx9_-ab"}),
        (text_update(3, 777001, 20, "/start"), None, {"start": ""}),
        (sticker_update(3, 777001, 20), None, {"kind": "sticker"}),
        # A photo's caption is the tenant's words: kept as the message's text.
        (photo_update(3, 777001, 20), "kvittering", {"kind": "photo"}),
        # Someone else's words, forwarded: marked, and never read as Start.
        (
            message_update(
                3,
                777001,
                20,
                text="/start Zx9",
                forward_origin={"type": "hidden_user", "date": 1, "sender_user_name": "Nabo"},
            ),
            "/start Zx9",
            {"forwarded": True},
        ),
        # The same from a Bot API server older than 7.0: only the legacy fields say it was forwarded.
        (
            message_update(3, 777001, 20, text="1234 5678", forward_sender_name="Nabo", forward_date=1),
            "1234 5678",
            {"forwarded": True},
        ),
        (
            contact_update(3, 777001, 20, "4512345678", 777001),
            None,
            {"contact_user_id": 777001, "from_id": 777001, "contact_phone": "4512345678"},
        ),
    ],
)
async def test_message_shapes_map_to_payloads(
    tg: httpx.AsyncClient, tg_runtime: Runtime, update: dict[str, Any], text: str | None, payload: dict[str, Any]
) -> None:
    assert (await _post(tg, update)).status_code == 200
    [row] = await _rows(tg_runtime)
    # The sender's app language comes along (the harness's person reads Danish): it greets a chat not linked yet.
    assert (row.provider_id, row.text, row.payload) == ("777001:20", text, {**payload, "language_code": "da"})


@pytest.mark.parametrize(("app", "kept"), [("en-GB", "en"), ("EN", "en"), ("zz-", None), (None, None)])
async def test_the_app_language_is_kept_as_its_first_part_and_only_when_it_is_a_language_tag(
    tg: httpx.AsyncClient, tg_runtime: Runtime, app: str | None, kept: str | None
) -> None:
    assert (await _post(tg, text_update(3, 777001, 20, "hej", language=app))).status_code == 200
    [row] = await _rows(tg_runtime)
    assert row.payload == ({"language_code": kept} if kept else None)


@pytest.mark.parametrize(
    "update",
    [
        edited_update(4, 777001, 15, "Jeg har betalt (rettet)"),
        text_update(4, -100200, 9, "hej", chat_type="group"),
        # Service messages: the app wrote them (a pin, an auto-delete timer), not the person.
        message_update(
            4, 777001, 16, pinned_message={"message_id": 3, "chat": {"id": 777001, "type": "private"}, "date": 1}
        ),
        message_update(4, 777001, 17, message_auto_delete_timer_changed={"message_auto_delete_time": 86400}),
        # A kind of update keephome does not ask for (a newer Bot API's, or a reaction): answered, so never sent again.
        {"update_id": 4, "business_message": text_update(4, 777001, 18, "hej")["message"]},
        {"update_id": 4, "something_new": {"id": 1}},
    ],
    ids=["edited", "group", "pin", "auto_delete", "business_message", "unknown_kind"],
)
async def test_edits_and_group_messages_are_ignored(
    tg: httpx.AsyncClient, tg_runtime: Runtime, update: dict[str, Any]
) -> None:
    response = await _post(tg, update)
    assert response.status_code == 200
    assert response.json()["result"] == "ignored"
    assert await _rows(tg_runtime) == []


async def test_button_press_is_stored_then_answered_once_handled(
    tg: httpx.AsyncClient, tg_runtime: Runtime, standin: TelegramStandIn
) -> None:
    assert (await _post(tg, callback_update(6, 777001, 3, "4471829", "12.1"))).status_code == 200
    [row] = await _rows(tg_runtime)
    expected = ("cb:4471829", "777001", None, {"callback": "12.1", "language_code": "da"})
    assert (row.provider_id, row.sender, row.text, row.payload) == expected
    # The answer may say what became of the press (bot/inbound/presses.py): it waits until the press is handled.
    assert standin.calls_to("answerCallbackQuery") == []
    await process_all(tg_runtime.processor)
    [answer] = standin.calls_to("answerCallbackQuery")
    assert str(answer.params["callback_query_id"]) == "4471829"


async def test_webhook_is_404_when_telegram_is_off(client: httpx.AsyncClient) -> None:
    response = await client.post("/webhooks/telegram", json=text_update(1, 1, 1, "hej"), headers=SECRET)
    assert response.status_code == 404
