"""Staff see delivery: each message to a tenant says what became of it, a failure unmistakably, and the inbox
flags a case whose last message failed."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select, update

from bot.app import create_app
from bot.channels.base import SendResult
from bot.console.delivery import DeliveryFacts, delivery, explain
from bot.outbox.enqueue import enqueue
from bot.outbox.status import record_delivery
from bot.runtime import Clock, Runtime, build_runtime
from bot.settings import Settings
from bot.starter import running
from bot.store.scene import Scene
from bot.store.schema import messages, outbox
from tests.conftest import make_settings, started_runtime
from tests.support.console import (
    add_case,
    add_person,
    add_tenant,
    adviser_client,
    login,
    post_form,
    staff_client,
)
from tests.support.drive import FailingSandbox, daytime, drain, sandbox
from tests.support.helpers import queue_question
from tests.support.schema import migrated

NOW = datetime(2026, 3, 3, 12, 0, tzinfo=UTC)


def _time(value: datetime | None) -> str:
    return "–" if value is None else value.strftime("%d/%m %H:%M")


@pytest.mark.parametrize(
    ("facts", "label", "why", "failed"),
    [
        (DeliveryFacts("delivered", None, "sms", "sent"), "delivered", "", False),
        (DeliveryFacts("sent", None, "telegram", "sent"), "sent", "", False),
        (
            DeliveryFacts("undelivered", "30003", "sms", "sent"),
            "FAILED",
            "the phone was off or out of reach (error 30003)",
            True,
        ),
        (
            DeliveryFacts("failed", "21211", "sms", "failed"),
            "FAILED",
            "the phone number is not valid (error 21211)",
            True,
        ),
        (
            DeliveryFacts("failed", "403", "telegram", "failed"),
            "FAILED",
            "the tenant blocked the bot or never started it (error 403)",
            True,
        ),
        (DeliveryFacts("failed", "99999", "sms", "failed"), "FAILED", "the provider answered with error 99999", True),
        # Twilio answered with an HTTP status and no error code (a 5xx page) until the sender gave up: the status is
        # stored where the code goes, and a status is not one of Twilio's error codes.
        (
            DeliveryFacts("failed", "503", "sms", "failed", "503", attempts=14),
            "FAILED",
            "Twilio answered HTTP 503; tried 14 times",
            True,
        ),
        (
            DeliveryFacts("queued", None, "sms", "pending", "503", NOW, attempts=1),
            "queued, going out now",
            "trying again; last time Twilio answered HTTP 503",
            False,
        ),
        (
            DeliveryFacts("queued", None, "telegram", "pending", "429", NOW, attempts=1),
            "queued, going out now",
            "trying again; last time Telegram asked us to slow down (error 429)",
            False,
        ),
        (
            DeliveryFacts("failed", None, "sms", "failed", "channel off"),
            "FAILED",
            "no channel was set up to send it",
            True,
        ),
        (DeliveryFacts("failed", None, "sms", "failed"), "FAILED", "the provider gave no reason", True),
        (DeliveryFacts("held", None, "sms", "held", "stopped"), "held, not sent", "the tenant opted out (STOP)", False),
        (
            DeliveryFacts("held", None, "sms", "held", "balance cleared"),
            "held, not sent",
            "the balance was paid, so the question was no longer needed",
            False,
        ),
        (
            DeliveryFacts("held", None, "sms", "dropped", "stage passed"),
            "dropped, not sent",
            "its moment on the rent timeline had passed before it could go out",
            False,
        ),
        (
            DeliveryFacts("queued", None, "sms", "pending", None, NOW + timedelta(hours=9)),
            "queued until 03/03 21:00",
            "",
            False,
        ),
        (DeliveryFacts("queued", None, "sms", "pending", None, NOW), "queued, going out now", "", False),
        (
            DeliveryFacts("queued", None, "sms", "pending", "timeout", NOW + timedelta(minutes=2), attempts=1),
            "queued until 03/03 12:02",
            "trying again; last time the provider did not answer in time",
            False,
        ),
        (
            DeliveryFacts("queued", None, "sms", "pending", "blocked", NOW, attempts=1),
            "queued, going out now",
            "the tenant blocked the Telegram bot, so it goes by SMS",
            False,
        ),
        (
            # Telegram could not be reached through all its tries: the row goes by SMS, with attempts of its own.
            DeliveryFacts("queued", None, "sms", "pending", "transient", NOW, attempts=1),
            "queued, going out now",
            "Telegram could not be reached in any of its tries, so it goes by SMS",
            False,
        ),
        (
            DeliveryFacts("waiting", None, "sms", "waiting", "no channel", NOW),
            "waiting",
            "no channel can send it yet",
            False,
        ),
        (DeliveryFacts("waiting", None, "sms", "waiting", "paused", NOW), "waiting", "sending is paused", False),
        (
            DeliveryFacts("queued", None, "sms", "pending", "quiet hours", NOW + timedelta(hours=9), attempts=2),
            "queued until 03/03 21:00",
            "nothing goes out in quiet hours (or on a quiet day): it goes when they end",
            False,
        ),
        (
            DeliveryFacts("dropped", None, "sms", "dropped", "one a day", NOW),
            "dropped, not sent",
            "the tenant already had a message from keephome that day",
            False,
        ),
    ],
)
def test_each_state_in_plain_words(facts: DeliveryFacts, label: str, why: str, failed: bool) -> None:
    shown = delivery(facts, NOW, _time)
    assert (shown.label, shown.why, shown.failed) == (label, why, failed)


def test_while_paused_a_proactive_message_not_sent_yet_waits_and_a_reply_goes() -> None:
    reminder = DeliveryFacts("queued", None, "sms", "pending", None, NOW, proactive=True)
    reply = DeliveryFacts("queued", None, "sms", "pending", None, NOW)
    paused = delivery(reminder, NOW, _time, paused=True)
    assert (paused.state, paused.label, paused.why) == ("waiting", "waiting", "sending is paused")
    assert delivery(reply, NOW, _time, paused=True).label == "queued, going out now"
    assert delivery(reminder, NOW, _time).label == "queued, going out now"


def test_while_paused_a_reminder_for_tomorrow_morning_says_its_time_and_the_pause() -> None:
    """A reminder planned for 09:00 tomorrow is not set aside by the pause (its time has not come): it reads queued
    until its time, and that it goes then only if sending is resumed by then."""
    tomorrow = DeliveryFacts("queued", None, "sms", "pending", None, NOW + timedelta(hours=21), proactive=True)
    shown = delivery(tomorrow, NOW, _time, paused=True)
    assert (shown.state, shown.label) == ("queued", f"queued until {_time(NOW + timedelta(hours=21))}")
    assert shown.why == "sending is paused now: it goes then only if sending is resumed by then"
    assert delivery(tomorrow, NOW, _time).why == ""


def test_an_unknown_reason_is_shown_as_written() -> None:
    assert explain(None, "some_new_reason", None) == "some new reason"
    assert explain(None, "twilio http 503", "sms") == "Twilio answered HTTP 503"


def _sms(rt: Runtime) -> FailingSandbox:
    channel = sandbox(rt)["sms"]
    assert isinstance(channel, FailingSandbox)
    return channel


async def _taken_by_adviser(rt: Runtime, client: httpx.AsyncClient, ref: str, phone: str) -> int:
    case_id = await add_case(rt, await add_tenant(rt, ref, name=f"{ref} Tenant", phone=phone))
    await post_form(client, f"/console/cases/{case_id}", f"/console/cases/{case_id}/take", {})
    return case_id


def _thread_items(page: str) -> list[str]:
    return re.findall(r"<li class=\"out[^\"]*\" data-id=\"\d+\">.*?</li>", page, flags=re.S)


async def test_a_failed_message_is_unmistakable_on_the_case_page_and_flagged_in_the_inbox(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    daytime(runtime)  # the case's notices go now, not after quiet hours, whatever the hour the test runs at
    await add_person(runtime, "adviser@example.org", "adviser")
    assert (await login(client, "adviser@example.org")).status_code == 303
    failing = await _taken_by_adviser(runtime, client, "Failing", "+4520000001")
    fine = await _taken_by_adviser(runtime, client, "Fine", "+4520000002")
    # The first send (to Failing: case ids and outbox rows go in order) is refused by the provider.
    _sms(runtime).fail_next.append(SendResult("permanent", error_code="21211", detail="twilio http 400"))
    await drain(runtime.sender)
    page = (await client.get(f"/console/cases/{failing}")).text
    [item] = _thread_items(page)
    assert re.match(r'<li class="out[a-z ]* failed"', item)
    assert "⚠ <strong>FAILED</strong>: the phone number is not valid (error 21211)" in item
    assert "FAILED" not in (await client.get(f"/console/cases/{fine}")).text
    inbox = (await client.get("/console/")).text
    assert inbox.count("Last message FAILED") == 1
    row = re.search(rf'<tr data-case="{failing}" class="last-failed">.*?</tr>', inbox, flags=re.S)
    assert row is not None and "the phone number is not valid" in row.group(0)
    assert re.search(rf'<tr data-case="{fine}">', inbox)
    assert "1 on this page whose last message failed" in inbox
    # A later message that goes through clears the flag: it is about the last message.
    page_url = f"/console/cases/{failing}"
    await post_form(client, page_url, f"{page_url}/reply", {"text": "Ring til mig", "nonce": "nonce-0001"})
    await drain(runtime.sender)
    assert "Last message FAILED" not in (await client.get("/console/")).text


async def test_the_state_moves_on_the_page_and_in_its_poller(runtime: Runtime, client: httpx.AsyncClient) -> None:
    daytime(runtime)  # the case's notices go now, not after quiet hours, whatever the hour the test runs at
    await add_person(runtime, "adviser@example.org", "adviser")
    assert (await login(client, "adviser@example.org")).status_code == 303
    case_id = await _taken_by_adviser(runtime, client, "Moving", "+4520000001")
    [queued] = _thread_items((await client.get(f"/console/cases/{case_id}")).text)
    assert "<strong>queued, going out now</strong>" in queued
    await drain(runtime.sender)
    [sent] = _thread_items((await client.get(f"/console/cases/{case_id}")).text)
    assert "<strong>sent</strong>" in sent
    polled = (await client.get(f"/console/cases/{case_id}/messages.json")).json()
    message_id = polled["messages"][0]["id"]
    assert polled["messages"][0]["delivery"]["label"] == "sent"
    # The carrier reports it undelivered later: the poller brings the new state for a message already shown.
    sid = _sms(runtime).sent[0].provider_id
    await runtime.db.run(record_delivery, sid, "undelivered", "30003", runtime.clock())
    later = (await client.get(f"/console/cases/{case_id}/messages.json?after={message_id}")).json()
    assert later["messages"] == []
    assert later["deliveries"][str(message_id)] == {
        "state": "failed",
        "label": "FAILED",
        "why": "the phone was off or out of reach (error 30003)",
        "failed": True,
        "when": polled["messages"][0]["when"],  # sent the moment it was made: one time, unmoved by the receipt
    }


class _Still(Clock):
    """A clock that stands where the test puts it."""

    def __init__(self, at: datetime) -> None:
        super().__init__()
        self.at = at

    def __call__(self) -> datetime:
        return self.at


async def test_a_message_that_went_out_later_says_when_it_went_out(database_url: str) -> None:
    """A text made on a Saturday evening that went on Monday morning reads so, on the page and in its poller: not as
    sent at night, and not dated by its delivery receipt either."""
    saturday = datetime(2026, 12, 5, 19, 33, tzinfo=UTC)  # 20.33 in Copenhagen
    clock = _Still(saturday)
    async with (
        started_runtime(make_settings(database_url, console_language="da"), clock) as rt,
        adviser_client(rt) as client,
    ):
        tenant = await add_tenant(rt, "Later", name="Later Tenant", phone="+4520000001")
        case_id = await add_case(rt, tenant)

        def queue(conn: object) -> None:
            enqueue(
                Scene.of(conn),  # type: ignore[arg-type]
                now=saturday,
                channel="sms",
                template="case.closed",
                values={},
                language="da",
                idempotency_key="for-monday",
                tenant_id=tenant,
            )

        await rt.db.run(queue)
        page = f"/console/cases/{case_id}"
        [queued] = _thread_items((await client.get(page)).text)
        assert "· <span data-when=" in queued and ">5. dec. kl. 20.33</span>" in queued  # not gone yet: when made
        clock.at = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)  # Monday, 10.00 in Copenhagen
        await drain(rt.sender)
        clock.at += timedelta(minutes=5)  # the receipt comes later, and moves the message's last change
        await rt.db.run(record_delivery, sandbox(rt)["sms"].sent[0].provider_id, "delivered", None, clock.at)

        when = "sat i kø 5. dec. kl. 20.33 · sendt 7. dec. kl. 10.00"
        assert (await login(client, "adviser@example.org")).status_code == 303  # two days on: signed in anew
        [sent] = _thread_items((await client.get(page)).text)
        assert f">{when}</span>" in sent and "10.05" not in sent
        assert "<strong>leveret</strong>" in sent
        polled = (await client.get(f"{page}/messages.json")).json()
        [message] = polled["messages"]
        assert message["when"] == when
        # A page shown while it was queued is dated anew by its poller, as a reload would date it.
        assert polled["deliveries"][str(message["id"])]["when"] == when


async def test_held_and_queued_messages_say_why_and_until_when(runtime: Runtime, client: httpx.AsyncClient) -> None:
    await add_person(runtime, "adviser@example.org", "adviser")
    assert (await login(client, "adviser@example.org")).status_code == 303
    tenant = await add_tenant(runtime, "Held", name="Held Tenant", phone="+4520000001")
    case_id = await add_case(runtime, tenant)
    morning = runtime.clock() + timedelta(hours=10)

    def queue(conn: object, key: str) -> None:
        enqueue(
            Scene.of(conn),  # type: ignore[arg-type]
            now=runtime.clock(),
            channel="sms",
            template="case.closed",
            values={},
            language="da",
            idempotency_key=key,
            tenant_id=tenant,
            proactive=True,
            not_before=morning,
        )

    await runtime.db.run(queue, "for-the-morning")
    await runtime.db.run(queue, "held-one")
    async with runtime.db.write() as conn:
        held = (await conn.execute(select(outbox.c.message_id).where(outbox.c.idempotency_key == "held-one"))).scalar()
        await conn.execute(
            update(outbox).where(outbox.c.idempotency_key == "held-one").values(state="held", last_error="stopped")
        )
        await conn.execute(update(messages).where(messages.c.id == held).values(status="held", status_rank=3))
    page = (await client.get(f"/console/cases/{case_id}")).text
    first, second = _thread_items(page)
    assert "<strong>queued until " in first and "held" not in first
    assert "<strong>held, not sent</strong>: the tenant opted out (STOP)" in second
    assert "failed" not in first + second


async def test_a_message_that_failed_for_want_of_a_channel_says_so(settings: Settings) -> None:
    rt = build_runtime(settings, channels={"sms": FailingSandbox("sms")})  # no Telegram channel
    await migrated(rt.db)
    async with running(rt, background=False):
        daytime(rt)  # the case's notices go now, not after quiet hours, whatever the hour the test runs at
        tenant = await add_tenant(rt, "NoTg", name="NoTg Tenant", phone=None, chat_id=555)
        case_id = await add_case(rt, tenant)
        await add_person(rt, "adviser@example.org", "adviser")
        transport = httpx.ASGITransport(app=create_app(rt))
        async with httpx.AsyncClient(transport=transport, base_url="https://keephome.example.org") as client:
            assert (await login(client, "adviser@example.org")).status_code == 303
            await post_form(client, f"/console/cases/{case_id}", f"/console/cases/{case_id}/take", {})
            await drain(rt.sender)
            [item] = _thread_items((await client.get(f"/console/cases/{case_id}")).text)
    # Whatever the sender does with it (fail it, or keep it waiting for a channel), the page says why.
    assert "no channel" in item


async def test_a_reminder_queued_while_paused_says_paused_before_the_sender_looks_at_it(database_url: str) -> None:
    """Paused from the console, a reminder queued since reads "waiting: sending is paused" on the case page and in
    its poller at once, as it does once the sender has set it aside; the adviser's reply is not held by the pause."""
    async with (
        started_runtime(make_settings(database_url)) as rt,
        staff_client(rt, "admin") as admin,
        adviser_client(rt) as client,
    ):
        daytime(rt)
        tenant = await add_tenant(rt, "Paused", name="Paused Tenant", phone="+4520000001")
        case_id = await add_case(rt, tenant)
        paused = await post_form(admin, "/console/admin", "/console/admin/pause", {"paused": "on"})
        assert paused.status_code == 303
        question = await queue_question(rt.db, rt.clock(), tenant, "rem:1:0")
        page = f"/console/cases/{case_id}"
        await post_form(client, page, f"{page}/take", {})
        await post_form(client, page, f"{page}/reply", {"text": "Ring til mig", "nonce": "nonce-0001"})
        reminder, reply = _thread_items((await client.get(page)).text)[:2]
        assert "<strong>waiting</strong>: sending is paused" in reminder
        assert "going out now" not in reminder
        assert "<strong>queued, going out now</strong>" in reply
        polled = (await client.get(f"{page}/messages.json")).json()
        first = polled["messages"][0]["delivery"]
        assert (first["label"], first["why"]) == ("waiting", "sending is paused")
        await drain(rt.sender)
        [after, *_] = _thread_items((await client.get(page)).text)
        assert "<strong>waiting</strong>: sending is paused" in after
        sent = [m.outbox_id for m in sandbox(rt)["sms"].sent]
        assert question not in sent and "Ring til mig" in [m.text for m in sandbox(rt)["sms"].sent]
