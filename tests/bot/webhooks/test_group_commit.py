"""One poison message never fails its neighbours, and a database that cannot commit answers 500 with nothing written.

Both webhooks submit to one inbox, which commits everything that queued up meanwhile in one transaction.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import Connection, Engine, event, select
from sqlalchemy.exc import OperationalError

from bot.app import create_app
from bot.inbound.inbox import InboundMessage, Outcome
from bot.runtime import Runtime
from bot.store.schema import inbound
from tests.conftest import make_settings, started_runtime
from tests.support.drive import process_all
from tests.support.ids import message_sid
from tests.support.telegram_harness import text_update
from tests.support.twilio_standin import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, sign

PUBLIC = "https://keephome.example.org"
SMS_PATH = "/webhooks/twilio/sms"
TELEGRAM_PATH = "/webhooks/telegram"
SECRET = {"X-Telegram-Bot-Api-Secret-Token": "s3cret"}
LONE_SURROGATE = "Jeg har betalt \ud800"


@pytest.fixture
async def rt(database_url: str) -> AsyncIterator[Runtime]:
    """SMS and the Telegram webhook both on (sandbox channels: the webhooks only commit)."""
    settings = make_settings(
        database_url,
        twilio_account_sid=ACCOUNT_SID,
        twilio_auth_token=AUTH_TOKEN,
        twilio_from=FROM_NUMBER,
        telegram_token="123:ABC",
        telegram_secret="s3cret",
    )
    async with started_runtime(settings) as runtime:
        yield runtime


@pytest.fixture
async def http(rt: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(rt)), base_url=PUBLIC) as client:
        yield client


def sms_form(n: int, text: str = "hej") -> dict[str, str]:
    return {
        "AccountSid": ACCOUNT_SID,
        "MessageSid": message_sid(n),
        "From": f"+45201234{n:02d}",
        "To": FROM_NUMBER,
        "Body": text,
    }


async def post_sms(http: httpx.AsyncClient, form: dict[str, str]) -> httpx.Response:
    return await http.post(SMS_PATH, data=form, headers={"X-Twilio-Signature": sign(PUBLIC + SMS_PATH, form)})


async def post_update(http: httpx.AsyncClient, update: dict[str, Any]) -> httpx.Response:
    # json.dumps escapes a lone surrogate as \ud800, exactly as a sender that means harm would.
    body = json.dumps(update).encode()
    return await http.post(TELEGRAM_PATH, content=body, headers={**SECRET, "content-type": "application/json"})


async def rows(rt: Runtime) -> list[Any]:
    async with rt.db.read() as conn:
        return list((await conn.execute(select(inbound).order_by(inbound.c.id))).all())


def metric(text: str, channel: str, result: str) -> float:
    prefix = f'keephome_inbound_messages_total{{channel="{channel}",result="{result}"}} '
    return sum(float(line.removeprefix(prefix)) for line in text.splitlines() if line.startswith(prefix))


class Gate:
    """Holds the inbox's group commits until opened, and records how many messages each one carried."""

    def __init__(self, rt: Runtime) -> None:
        self.opened = asyncio.Event()
        self.groups: list[int] = []
        self._commit = rt.inbox.commit

        async def held(batch: list[InboundMessage], received_at: Any = None) -> list[Outcome]:
            self.groups.append(len(batch))
            await self.opened.wait()
            return await self._commit(batch, received_at)

        rt.inbox.commit = held  # type: ignore[method-assign]


async def until(check: Callable[[], bool]) -> None:
    for _ in range(2000):
        if check():
            return
        await asyncio.sleep(0.005)
    raise AssertionError("never happened")


@pytest.mark.parametrize("edge_cleans", [True, False], ids=["cleaned at the edge", "poison reaches the database"])
async def test_a_telegram_update_with_a_lone_surrogate_never_fails_the_19_sms_in_its_group_commit(
    rt: Runtime, http: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, edge_cleans: bool
) -> None:
    if not edge_cleans:  # as if a new kind of poison slipped past the edge: the inbox must still cope
        monkeypatch.setattr("bot.inbound.telegram_updates.clean_text", lambda text: text)
    gate = Gate(rt)
    await rt.inbox.start()
    try:
        # A first message holds a transaction in flight; everything that arrives meanwhile shares the next one.
        first = asyncio.create_task(post_sms(http, sms_form(99)))
        await until(lambda: gate.groups == [1])
        requests = [asyncio.create_task(post_sms(http, sms_form(n))) for n in range(19)]
        requests.insert(7, asyncio.create_task(post_update(http, text_update(1, 777001, 15, LONE_SURROGATE))))
        await until(lambda: rt.inbox._queue.qsize() == 20)
        gate.opened.set()
        answers = await asyncio.gather(*requests)
        assert (await first).status_code == 200
    finally:
        await rt.inbox.stop()
    assert gate.groups[:2] == [1, 20]  # the 19 SMS and the update were committed together
    telegram = answers.pop(7)
    assert [a.status_code for a in answers] == [200] * 19
    assert telegram.status_code == 200  # Telegram sends any update again that was not answered 2xx
    stored = await rows(rt)
    assert sorted(r.provider_id for r in stored if r.channel == "sms") == sorted(
        [sms_form(n)["MessageSid"] for n in range(19)] + [sms_form(99)["MessageSid"]]
    )
    updates = [r for r in stored if r.channel == "telegram"]
    metrics = (await http.get("/metrics")).text
    if edge_cleans:
        assert telegram.json()["result"] == "stored"
        assert [r.text for r in updates] == ["Jeg har betalt \ufffd"]
        assert metric(metrics, "telegram", "rejected") == 0
    else:
        assert telegram.json()["result"] == "rejected"
        assert updates == []
        assert metric(metrics, "telegram", "rejected") == 1


async def test_an_sms_that_cannot_be_stored_is_answered_400_and_logged_by_its_ids_only(
    rt: Runtime, http: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr("bot.webhooks.twilio.clean_text", lambda text: text + "\ud800")
    form = sms_form(1, "my secret words")
    with caplog.at_level(logging.INFO):
        answer = await post_sms(http, form)
    # 400: Twilio does not send it again (it would fail the same way every time).
    assert answer.status_code == 400
    assert await rows(rt) == []
    assert metric((await http.get("/metrics")).text, "sms", "rejected") == 1
    rejected = [r.getMessage() for r in caplog.records if "rejected" in r.getMessage()]
    assert len(rejected) == 1 and form["MessageSid"] in rejected[0]
    assert "my secret words" not in caplog.text and form["From"] not in caplog.text


def failing_commit(rt: Runtime, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every write transaction does its work, then its commit fails (the database went away): rolled back."""
    real_run = rt.db.run
    attempts: list[int] = []

    async def run(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        def then_fail(conn: Connection, *a: Any, **kw: Any) -> Any:
            fn(conn, *a, **kw)
            attempts.append(1)
            raise OperationalError("COMMIT", {}, Exception("disk I/O error"))

        return await real_run(then_fail, *args, **kwargs)

    async def run_statement(stmt: Any, params: Any) -> None:  # the statement in a transaction whose commit fails
        await run(lambda conn: conn.execute(stmt, params))

    monkeypatch.setattr(rt.db, "run", run)
    monkeypatch.setattr(rt.db, "run_statement", run_statement)
    return attempts


@pytest.mark.parametrize("grouped", [False, True], ids=["alone", "group commit"])
async def test_when_the_commit_fails_both_webhooks_answer_500_and_nothing_is_half_written(
    rt: Runtime, http: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, grouped: bool
) -> None:
    if grouped:
        await rt.inbox.start()
    try:
        form = sms_form(1)
        update = text_update(1, 777001, 15, "hej")
        with monkeypatch.context() as broken:
            attempts = failing_commit(rt, broken)
            sms, telegram = await asyncio.gather(post_sms(http, form), post_update(http, update))
            assert attempts  # the rows were written inside the transaction, then it failed
        assert (sms.status_code, telegram.status_code) == (500, 500)
        assert await rows(rt) == []
        metrics = (await http.get("/metrics")).text
        assert metric(metrics, "sms", "rejected") == metric(metrics, "telegram", "rejected") == 0
        # The database is back: a provider's retry of the same message is stored, once.
        for _ in range(2):
            assert (await post_sms(http, form)).status_code == 200
            assert (await post_update(http, update)).status_code == 200
    finally:
        await rt.inbox.stop()
    assert sorted((r.channel, r.provider_id) for r in await rows(rt)) == [
        ("sms", form["MessageSid"]),
        ("telegram", "777001:15"),
    ]


async def test_text_is_cleaned_at_the_edge_and_stored(rt: Runtime, http: httpx.AsyncClient) -> None:
    assert (await post_sms(http, sms_form(1, "STOP\x00"))).status_code == 200
    assert (await post_update(http, text_update(1, 777001, 15, "hej\x00 \udc80"))).status_code == 200
    callback = {
        "update_id": 2,
        "callback_query": {
            "id": "4471829",
            "from": {"id": 777001, "is_bot": False, "first_name": "Tenant"},
            "chat_instance": "1",
            "data": "12.1\ud83d",
        },
    }
    assert (await post_update(http, callback)).status_code == 200
    assert [(r.text, r.payload) for r in await rows(rt)] == [
        ("STOP", None),
        ("hej \ufffd", {"language_code": "da"}),
        (None, {"callback": "12.1\ufffd"}),
    ]


@contextmanager
def statements(rt: Runtime) -> Iterator[list[str]]:
    """The statements the database is sent meanwhile: every one through SQLAlchemy, and those sent straight to asyncpg
    on the connection the group commit keeps (PostgreSQL; made by the first commit)."""
    seen: list[str] = []

    def note(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    def logged(record: Any) -> None:
        seen.append(record.query)

    kept = rt.db._kept
    driver = kept.driver if kept is not None else None
    assert rt.db.is_sqlite or driver is not None
    event.listen(Engine, "before_cursor_execute", note)
    if driver is not None:
        driver.add_query_logger(logged)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", note)
        if driver is not None:
            driver.remove_query_logger(logged)


async def test_a_retried_sms_and_a_resent_update_are_answered_200_counted_once_and_handled_once(
    rt: Runtime, http: httpx.AsyncClient
) -> None:
    form = sms_form(1)
    update = text_update(1, 777001, 15, "hej")
    for _ in range(2):
        assert (await post_sms(http, form)).status_code == 200
        assert (await post_update(http, update)).status_code == 200
    metrics = (await http.get("/metrics")).text
    assert metric(metrics, "sms", "duplicate") == 1
    assert metric(metrics, "telegram", "duplicate") == 1
    assert metric(metrics, "sms", "rejected") == metric(metrics, "telegram", "rejected") == 0
    assert await process_all(rt.processor) == 2  # each handled once
    assert sorted((r.channel, r.provider_id) for r in await rows(rt)) == [
        ("sms", form["MessageSid"]),
        ("telegram", "777001:15"),
    ]


async def test_a_group_commit_mixing_new_and_repeated_messages_tells_each_webhook_in_its_one_insert(
    rt: Runtime, http: httpx.AsyncClient
) -> None:
    assert (await post_sms(http, sms_form(1))).status_code == 200  # stored before: its retry comes in the group
    gate = Gate(rt)
    await rt.inbox.start()
    try:
        with statements(rt) as sent:
            first = asyncio.create_task(post_sms(http, sms_form(99)))
            await until(lambda: gate.groups == [1])
            posts = [post_sms(http, sms_form(1)), post_sms(http, sms_form(2)), post_sms(http, sms_form(2))]
            requests = [asyncio.create_task(p) for p in posts]
            requests.append(asyncio.create_task(post_update(http, text_update(1, 777001, 15, "hej"))))
            await until(lambda: rt.inbox._queue.qsize() == 4)
            gate.opened.set()
            answers = await asyncio.gather(*requests)
            assert (await first).status_code == 200
    finally:
        await rt.inbox.stop()
    assert gate.groups[:2] == [1, 4]
    # One statement a group, as before duplicates were told apart: its INSERT, and no read of the messages' ids to find
    # them (the processor's hold reads how far behind it is, whatever the messages).
    assert [s.split(" (", 1)[0] for s in sent if "provider_id" in s] == ["INSERT INTO inbound"] * 2
    assert [a.status_code for a in answers] == [200] * 4
    assert answers[3].json()["result"] == "stored"
    metrics = (await http.get("/metrics")).text
    assert metric(metrics, "sms", "duplicate") == 2  # the retry of SMS 1, and SMS 2 sent twice in the group
    assert metric(metrics, "telegram", "duplicate") == 0
    stored = [(r.channel, r.provider_id) for r in await rows(rt)]
    assert sorted(stored) == sorted(
        [("sms", sms_form(n)["MessageSid"]) for n in (1, 2, 99)] + [("telegram", "777001:15")]
    )
    assert await process_all(rt.processor) == 4  # each of the four messages once
