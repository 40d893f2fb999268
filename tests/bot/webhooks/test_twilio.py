"""Twilio webhooks end to end: signed inbound SMS, replies through the real SDK, delivery status callbacks."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from twilio.request_validator import HMAC_SHA256, RequestValidator

from bot.alarms import Alarm
from bot.app import create_app
from bot.channels.twilio_sms import TwilioChannel
from bot.runtime import Clock, Runtime
from bot.settings import Settings
from bot.store.db import Database
from bot.store.schema import conversations, early_statuses, inbound, messages, outbox, rent_positions, tenants
from bot.webhooks import refusals
from tests.conftest import make_settings, started_runtime
from tests.support.drive import drain, process_all
from tests.support.ids import MessageSids
from tests.support.twilio_standin import (
    ACCOUNT_SID,
    FROM_NUMBER,
    Answer,
    Posted,
    TwilioStandin,
    credentials,
    sign,
    twilio_standin,
)

__all__ = ["twilio_standin"]

PUBLIC = "https://keephome.example.org"
SMS_URL = PUBLIC + "/webhooks/twilio/sms"
STATUS_URL = PUBLIC + "/webhooks/twilio/status"
PHONE = "+4520123456"


new_sid = MessageSids()


@pytest.fixture(autouse=True)
def _sids_from_one() -> None:
    new_sid.restart()


def sms_form(text: str = "hej", sid: str | None = None, sender: str = PHONE) -> dict[str, str]:
    return {
        "AccountSid": ACCOUNT_SID,
        "MessageSid": sid or new_sid(),
        "From": sender,
        "To": FROM_NUMBER,
        "Body": text,
        "NumMedia": "0",
    }


@pytest.fixture
def sms_settings(database_url: str, twilio_standin: TwilioStandin) -> Settings:
    # The default send timeout: none of these tests waits on a slow provider, and 2 s was too short on a loaded
    # 2-core machine (the reply went back unsent and the test found nothing posted).
    return make_settings(database_url, **credentials(twilio_standin))


@pytest.fixture
async def rt(sms_settings: Settings) -> AsyncIterator[Runtime]:
    async with started_runtime(sms_settings, clock=Clock(), sms=TwilioChannel(sms_settings)) as runtime:
        yield runtime


@pytest.fixture
async def http(rt: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(rt))
    async with httpx.AsyncClient(transport=transport, base_url=PUBLIC) as c:
        yield c


async def add_tenant(db: Database, phone: str = PHONE, ref: str = "T-1") -> int:
    now = datetime.now(UTC)
    async with db.write() as conn:
        tenant_id = (
            await conn.execute(
                tenants.insert()
                .values(tenant_ref=ref, name="Lejer", phone=phone, language="da", created_at=now, updated_at=now)
                .returning(tenants.c.id)
            )
        ).scalar_one()
        await conn.execute(
            rent_positions.insert().values(
                tenant_id=tenant_id, due_day=1, balance_ore=0, balance_as_of=date.today(), updated_at=now
            )
        )
    return int(tenant_id)


async def post(
    http: httpx.AsyncClient, url: str, form: Mapping[str, str], signed_for: str | None = None
) -> httpx.Response:
    """POST a form to `url` signed for `signed_for` (the same URL unless given)."""
    headers = {"X-Twilio-Signature": sign(signed_for or url, form)}
    return await http.post(url.removeprefix(PUBLIC), data=dict(form), headers=headers)


async def count(db: Database, table: Any) -> int:
    async with db.read() as conn:
        return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())


async def out_rows(db: Database) -> list[Any]:
    async with db.read() as conn:
        stmt = select(messages, outbox.c.state, outbox.c.attempts, outbox.c.next_attempt_at).join(
            outbox, outbox.c.message_id == messages.c.id
        )
        return list((await conn.execute(stmt.order_by(messages.c.id))).all())


async def message_rows(db: Database) -> list[Any]:
    async with db.read() as conn:
        return list((await conn.execute(select(messages).order_by(messages.c.id))).all())


async def tenant_status(db: Database, tenant_id: int) -> str:
    async with db.read() as conn:
        return str((await conn.execute(select(tenants.c.status).where(tenants.c.id == tenant_id))).scalar_one())


async def settle(rt: Runtime) -> None:
    await process_all(rt.processor)
    await drain(rt.sender)


async def test_inbound_sms_is_committed_before_200_and_answered_through_twilio(
    rt: Runtime, http: httpx.AsyncClient, twilio_standin: TwilioStandin
) -> None:
    await add_tenant(rt.db)
    form = sms_form("hej")
    response = await post(http, SMS_URL, form)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/xml")
    assert response.text.endswith("<Response/>")
    async with rt.db.read() as conn:
        row = (await conn.execute(select(inbound))).one()
    assert (row.channel, row.provider_id, row.sender, row.text) == ("sms", form["MessageSid"], PHONE, "hej")
    assert twilio_standin.posted == []  # nothing is sent from inside the webhook
    await settle(rt)
    [reply] = twilio_standin.sent
    assert (reply.to, reply.from_, reply.status_callback) == (PHONE, FROM_NUMBER, STATUS_URL)
    assert "Lejer" in reply.body
    [out] = [m for m in await out_rows(rt.db) if m.direction == "out"]
    assert (out.provider_id, out.status, out.state) == (reply.sid, "sent", "sent")


@pytest.mark.parametrize(
    "signature",
    ["", "not-a-signature", sign(SMS_URL, {"MessageSid": "SMx"}), sign(SMS_URL, sms_form(), token="0" * 32)],
    ids=["none", "garbage", "another-form", "another-token"],
)
async def test_forged_or_missing_signature_is_refused_and_nothing_is_stored(
    rt: Runtime, http: httpx.AsyncClient, signature: str
) -> None:
    headers = {"X-Twilio-Signature": signature} if signature else {}
    response = await http.post("/webhooks/twilio/sms", data=sms_form(), headers=headers)
    assert response.status_code == 403
    assert "X-Twilio-Signature" in response.text
    assert await count(rt.db, inbound) == 0
    metrics = (await http.get("/metrics")).text
    assert 'keephome_inbound_messages_total{channel="sms",result="bad_signature"} 1.0' in metrics


async def test_a_request_signed_with_a_webhooks_shared_key_is_refused_saying_so(
    rt: Runtime, http: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """An account whose Webhook Rule matches keephome's URL has Twilio sign with that rule's SharedKey (HMAC-SHA256)
    and say so in a header: the operator must hear that, not "forged, or the URL, or the Auth Token"."""
    monkeypatch.setattr(refusals, "_ALARM", Alarm())
    form = sms_form()
    settings = "key=webhooks_sharedkey_0123,algorithm=HMAC_SHA256"
    signature = RequestValidator("a-shared-key-secret").compute_signature(SMS_URL, form, HMAC_SHA256)
    headers = {"X-Twilio-Signature": signature, "X-Twilio-Webhooks-Signature-Settings": settings}
    response = await http.post("/webhooks/twilio/sms", data=form, headers=headers)
    assert (response.status_code, response.text) == (
        403,
        "invalid X-Twilio-Signature: signed with a SharedKey, not the Auth Token",
    )
    [warning] = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert f"X-Twilio-Webhooks-Signature-Settings: {settings}" in warning
    assert "remove the Webhook Rule that matches this URL" in warning
    assert await count(rt.db, inbound) == 0


async def test_a_message_that_cannot_be_stored_is_a_500_counted_and_warned(
    rt: Runtime, http: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A full disk or a locked database: Twilio does not send the message again, so the operator must see it."""

    async def cannot(message: object) -> str:
        raise OSError("disk full")

    monkeypatch.setattr(rt.inbox, "submit", cannot)
    monkeypatch.setattr(refusals, "_ALARM", Alarm())
    form = sms_form()
    response = await http.post("/webhooks/twilio/sms", data=form, headers={"X-Twilio-Signature": sign(SMS_URL, form)})
    assert response.status_code == 500
    metrics = (await http.get("/metrics")).text
    assert 'keephome_inbound_messages_total{channel="sms",result="error"} 1.0' in metrics
    assert any(r.levelname == "WARNING" and "could not be stored" in r.getMessage() for r in caplog.records)


async def test_signature_for_the_internal_url_is_refused(rt: Runtime) -> None:
    transport = httpx.ASGITransport(app=create_app(rt))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as internal:
        for signed_for in ("http://testserver/webhooks/twilio/sms", "http://keephome.example.org/webhooks/twilio/sms"):
            form = sms_form()
            headers = {"X-Twilio-Signature": sign(signed_for, form)}
            response = await internal.post("/webhooks/twilio/sms", data=form, headers=headers)
            assert response.status_code == 403
    assert await count(rt.db, inbound) == 0


async def test_public_url_is_checked_whatever_host_the_proxy_forwards_to(rt: Runtime) -> None:
    transport = httpx.ASGITransport(app=create_app(rt))
    async with httpx.AsyncClient(transport=transport, base_url="http://10.0.0.5:8000") as internal:
        form = sms_form()
        response = await internal.post(
            "/webhooks/twilio/sms", data=form, headers={"X-Twilio-Signature": sign(SMS_URL, form)}
        )
    assert response.status_code == 200
    assert await count(rt.db, inbound) == 1


async def test_duplicate_webhook_is_stored_and_answered_once(
    rt: Runtime, http: httpx.AsyncClient, twilio_standin: TwilioStandin
) -> None:
    await add_tenant(rt.db)
    form = sms_form("hej")
    assert (await post(http, SMS_URL, form)).status_code == 200
    await settle(rt)
    assert (await post(http, SMS_URL, form)).status_code == 200
    await settle(rt)
    assert await count(rt.db, inbound) == 1
    assert len(twilio_standin.sent) == 1
    assert len([m for m in await out_rows(rt.db) if m.direction == "out"]) == 1


async def test_a_body_longer_than_twilio_sends_is_kept_to_its_cap_and_marked_cut(
    rt: Runtime, http: httpx.AsyncClient
) -> None:
    """Twilio caps an inbound SMS at 1,600 characters: a signed body of 60,000 is not refused (the tenant's words would
    be lost with the rest) but kept to 1,600, ending in a mark the adviser sees in the conversation."""
    await add_tenant(rt.db)
    words = "Jeg kan ikke betale i denne måned. " + "x" * 59_965
    form = sms_form(words)
    assert (await post(http, SMS_URL, form)).status_code == 200
    async with rt.db.read() as conn:
        row = (await conn.execute(select(inbound))).one()
    assert row.text == words[:1600] + " […]"
    assert row.payload == {"cut": 58_400}
    await settle(rt)
    [received] = [m for m in await message_rows(rt.db) if m.direction == "in"]
    assert received.text == words[:1600] + " […]"


@pytest.mark.parametrize(
    ("change", "status", "message"),
    [
        ({"MessageSid": ""}, 422, "MessageSid is missing"),
        ({"MessageSid": "12345"}, 422, "MessageSid is not a Twilio message sid"),
        ({"From": ""}, 422, "From is missing"),
        ({"From": "abc"}, 422, "From is not a valid E.164 phone number"),
        ({"From": "+4512"}, 422, "From is not a valid E.164 phone number"),
    ],
)
async def test_malformed_signed_form_is_refused_with_a_clear_message(
    rt: Runtime, http: httpx.AsyncClient, change: dict[str, str], status: int, message: str
) -> None:
    form = {k: v for k, v in {**sms_form(), **change}.items() if v}
    response = await post(http, SMS_URL, form)
    assert (response.status_code, response.text) == (status, message)
    assert await count(rt.db, inbound) == 0


async def test_body_that_is_not_a_form_is_refused(rt: Runtime, http: httpx.AsyncClient) -> None:
    # Forged, whatever the body: 403 before anything is said about the body.
    json_body = await http.post("/webhooks/twilio/sms", json=sms_form(), headers={"X-Twilio-Signature": "x"})
    assert (json_body.status_code, json_body.text) == (403, "invalid X-Twilio-Signature")
    headers = {"content-type": "application/x-www-form-urlencoded", "X-Twilio-Signature": "x"}
    binary = await http.post("/webhooks/twilio/sms", content=b"Body=\xff\xfe", headers=headers)
    assert (binary.status_code, binary.text) == (403, "invalid X-Twilio-Signature")
    # Signed (over the URL: a body that is no form has no parameters to sign) and still no form: 400, and why.
    signed = {"X-Twilio-Signature": sign(SMS_URL, {})}
    json_body = await http.post("/webhooks/twilio/sms", json=sms_form(), headers=signed)
    assert (json_body.status_code, json_body.text) == (400, "expected an application/x-www-form-urlencoded body")
    binary = await http.post("/webhooks/twilio/sms", content=b"Body=\xff\xfe", headers={**headers, **signed})
    assert (binary.status_code, binary.text) == (400, "the body is not valid UTF-8 form data")
    huge = await http.post("/webhooks/twilio/sms", content=b"Body=" + b"a" * 100_000, headers=headers)
    assert huge.status_code == 413
    assert await count(rt.db, inbound) == 0


async def test_without_twilio_credentials_the_endpoints_do_not_exist(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    form = sms_form()
    for url in (SMS_URL, STATUS_URL):
        response = await post(client, url, form)
        assert response.status_code == 404
    assert await count(runtime.db, inbound) == 0


async def test_opted_out_number_stops_the_tenant_and_nothing_more_is_sent(
    rt: Runtime, http: httpx.AsyncClient, twilio_standin: TwilioStandin
) -> None:
    tenant_id = await add_tenant(rt.db)
    twilio_standin.answer_next(Answer(400, 21610, "Attempt to send to unsubscribed recipient"))
    await post(http, SMS_URL, sms_form("hej"))
    await settle(rt)
    assert len(twilio_standin.posted) == 1 and twilio_standin.sent == []
    assert await tenant_status(rt.db, tenant_id) == "stopped"
    [out] = [m for m in await out_rows(rt.db) if m.direction == "out"]
    assert (out.state, out.status, out.error_code) == ("failed", "failed", "21610")
    async with rt.db.read() as conn:
        waiting = select(func.count()).select_from(conversations).where(conversations.c.active.is_(True))
        assert (await conn.execute(waiting)).scalar_one() == 0
    await post(http, SMS_URL, sms_form("er der nogen?"))
    await settle(rt)
    assert len(twilio_standin.posted) == 1


async def test_provider_error_is_retried_later_then_sent(
    rt: Runtime, http: httpx.AsyncClient, twilio_standin: TwilioStandin
) -> None:
    await add_tenant(rt.db)
    twilio_standin.answer_next(Answer(500))
    await post(http, SMS_URL, sms_form("hej"))
    await settle(rt)
    [out] = [m for m in await out_rows(rt.db) if m.direction == "out"]
    assert (out.state, out.attempts, out.status) == ("pending", 1, "queued")
    assert out.next_attempt_at > rt.clock()
    assert twilio_standin.sent == []
    await drain(rt.sender)  # not due yet: nothing goes out
    assert len(twilio_standin.posted) == 1
    rt.clock.offset = timedelta(hours=2)
    await drain(rt.sender)
    [out] = [m for m in await out_rows(rt.db) if m.direction == "out"]
    [sent] = twilio_standin.sent
    assert (out.state, out.attempts, out.status, out.provider_id) == ("sent", 2, "sent", sent.sid)


async def _sent_reply(rt: Runtime, http: httpx.AsyncClient, twilio_standin: TwilioStandin) -> str:
    await add_tenant(rt.db)
    await post(http, SMS_URL, sms_form("hej"))
    await settle(rt)
    [reply] = twilio_standin.sent
    assert reply.sid is not None
    return reply.sid


async def _delivery(db: Database, sid: str) -> tuple[str, str | None]:
    async with db.read() as conn:
        row = (
            await conn.execute(
                select(messages.c.status, messages.c.error_code).where(
                    messages.c.channel == "sms", messages.c.provider_id == sid
                )
            )
        ).one()
    return row.status, row.error_code


async def test_status_callbacks_twice_and_out_of_order_end_delivered(
    rt: Runtime, http: httpx.AsyncClient, twilio_standin: TwilioStandin
) -> None:
    sid = await _sent_reply(rt, http, twilio_standin)
    for status in ("delivered", "delivered", "sent", "queued", "undelivered"):
        form = {"MessageSid": sid, "MessageStatus": status, "AccountSid": ACCOUNT_SID, "To": PHONE}
        response = await post(http, STATUS_URL, form)
        assert response.status_code == 200
    assert await _delivery(rt.db, sid) == ("delivered", None)


async def test_status_callbacks_move_forward_and_record_the_error_code(
    rt: Runtime, http: httpx.AsyncClient, twilio_standin: TwilioStandin
) -> None:
    sid = await _sent_reply(rt, http, twilio_standin)
    await post(http, STATUS_URL, {"MessageSid": sid, "MessageStatus": "sent"})
    assert await _delivery(rt.db, sid) == ("sent", None)
    await post(http, STATUS_URL, {"MessageSid": sid, "MessageStatus": "undelivered", "ErrorCode": "30003"})
    assert await _delivery(rt.db, sid) == ("undelivered", "30003")


async def test_a_delivery_that_failed_after_the_send_is_counted_once_in_metrics(
    rt: Runtime, http: httpx.AsyncClient, twilio_standin: TwilioStandin
) -> None:
    # The send went (keephome_outbound_messages_total says "sent"); the carrier's report that it never reached the
    # phone is the only sign an operator gets that the tenant did not have it.
    sid = await _sent_reply(rt, http, twilio_standin)
    for _ in range(2):  # Twilio repeats a callback: the message failed once
        await post(http, STATUS_URL, {"MessageSid": sid, "MessageStatus": "undelivered", "ErrorCode": "30003"})
    await post(http, STATUS_URL, {"MessageSid": sid, "MessageStatus": "failed", "ErrorCode": "30008"})
    metrics = (await http.get("/metrics")).text
    assert 'keephome_delivery_failed_total{channel="sms",status="undelivered"} 1.0' in metrics
    assert 'status="failed"' not in metrics


async def test_at_info_only_the_failed_delivery_leaves_a_line(
    rt: Runtime, http: httpx.AsyncClient, twilio_standin: TwilioStandin, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="bot.webhooks.twilio"):
        sid = await _sent_reply(rt, http, twilio_standin)
        await post(http, STATUS_URL, {"MessageSid": sid, "MessageStatus": "sent"})
        await post(http, STATUS_URL, {"MessageSid": sid, "MessageStatus": "undelivered", "ErrorCode": "30003"})
    lines = [r.getMessage() for r in caplog.records if r.name == "bot.webhooks.twilio"]
    assert lines == [f"sms status sid={sid} status=undelivered code=30003 result=status_applied"]


async def test_status_callback_with_opt_out_code_stops_the_tenant(
    rt: Runtime, http: httpx.AsyncClient, twilio_standin: TwilioStandin
) -> None:
    sid = await _sent_reply(rt, http, twilio_standin)
    await post(http, STATUS_URL, {"MessageSid": sid, "MessageStatus": "failed", "ErrorCode": "21610"})
    assert await _delivery(rt.db, sid) == ("failed", "21610")
    async with rt.db.read() as conn:
        assert (await conn.execute(select(tenants.c.status))).scalar_one() == "stopped"
        # The same as the tenant's own STOP: the question it waited on is over.
        waiting = select(func.count()).select_from(conversations).where(conversations.c.active.is_(True))
        assert (await conn.execute(waiting)).scalar_one() == 0


async def test_a_failure_reported_before_the_sid_is_recorded_ends_failed_and_counted_once(
    rt: Runtime, http: httpx.AsyncClient, twilio_standin: TwilioStandin
) -> None:
    # An unreachable number: Twilio's "failed" comes while the sender still waits for the SDK's answer, before
    # the message has its sid. It used to be dropped, and the tenant's message said "sent" for ever.
    early: list[str] = []

    async def report_at_once(posted: Posted) -> None:
        assert posted.sid is not None
        for status in ("failed", "failed", "sent"):  # repeated, and a lower-ranked one after it
            form = {"MessageSid": posted.sid, "MessageStatus": status, "ErrorCode": "30003"}
            response = await post(http, STATUS_URL, form)
            assert response.status_code == 200
            early.append(status)

    twilio_standin.on_accept = report_at_once
    await add_tenant(rt.db)
    await post(http, SMS_URL, sms_form("hej"))
    await settle(rt)
    [reply] = twilio_standin.sent
    assert reply.sid is not None and early == ["failed", "failed", "sent"]
    assert await _delivery(rt.db, reply.sid) == ("failed", "30003")
    # Twilio repeats it, and a late lower-ranked callback comes: neither moves it, and it failed once.
    await post(http, STATUS_URL, {"MessageSid": reply.sid, "MessageStatus": "failed", "ErrorCode": "30003"})
    await post(http, STATUS_URL, {"MessageSid": reply.sid, "MessageStatus": "sent"})
    assert await _delivery(rt.db, reply.sid) == ("failed", "30003")
    metrics = (await http.get("/metrics")).text
    assert 'keephome_delivery_failed_total{channel="sms",status="failed"} 1.0' in metrics
    assert 'keephome_inbound_messages_total{channel="sms",result="status_kept_early"} 1.0' in metrics
    assert 'keephome_inbound_messages_total{channel="sms",result="status_applied"} 1.0' in metrics
    assert await count(rt.db, early_statuses) == 0


async def test_a_delivery_reported_before_the_sid_is_recorded_is_kept_until_it_is(
    rt: Runtime, http: httpx.AsyncClient, twilio_standin: TwilioStandin
) -> None:
    async def delivered_at_once(posted: Posted) -> None:
        await post(http, STATUS_URL, {"MessageSid": str(posted.sid), "MessageStatus": "delivered"})

    twilio_standin.on_accept = delivered_at_once
    await add_tenant(rt.db)
    await post(http, SMS_URL, sms_form("hej"))
    await settle(rt)
    [reply] = twilio_standin.sent
    assert await _delivery(rt.db, str(reply.sid)) == ("delivered", None)
    metrics = (await http.get("/metrics")).text
    assert "keephome_delivery_failed_total{" not in metrics


async def test_an_opt_out_reported_before_the_sid_is_recorded_stops_the_tenant(
    rt: Runtime, http: httpx.AsyncClient, twilio_standin: TwilioStandin
) -> None:
    # The carrier says the number replied STOP, before the sender has the sid: the tenant is stopped all the same.
    async def opted_out_at_once(posted: Posted) -> None:
        form = {"MessageSid": str(posted.sid), "MessageStatus": "failed", "ErrorCode": "21610"}
        await post(http, STATUS_URL, form)

    twilio_standin.on_accept = opted_out_at_once
    tenant_id = await add_tenant(rt.db)
    await post(http, SMS_URL, sms_form("hej"))
    await settle(rt)
    [reply] = twilio_standin.sent
    assert await _delivery(rt.db, str(reply.sid)) == ("failed", "21610")
    assert await tenant_status(rt.db, tenant_id) == "stopped"


async def test_status_callback_for_an_unknown_message_changes_nothing(
    rt: Runtime, http: httpx.AsyncClient, twilio_standin: TwilioStandin
) -> None:
    sid = await _sent_reply(rt, http, twilio_standin)
    response = await post(http, STATUS_URL, {"MessageSid": new_sid(), "MessageStatus": "failed", "ErrorCode": "21610"})
    assert response.status_code == 200
    assert await _delivery(rt.db, sid) == ("sent", None)
    async with rt.db.read() as conn:
        assert (await conn.execute(select(tenants.c.status))).scalar_one() == "active"


@pytest.mark.parametrize(
    ("form", "signed_for", "status"),
    [
        ({"MessageSid": "SM" + "0" * 32, "MessageStatus": "delivered"}, SMS_URL, 403),
        ({"MessageStatus": "delivered"}, STATUS_URL, 422),
        ({"MessageSid": "SM" + "0" * 32}, STATUS_URL, 422),
        ({"MessageSid": "SM" + "0" * 32, "MessageStatus": "Delivered!"}, STATUS_URL, 422),
        ({"MessageSid": "SM" + "0" * 32, "MessageStatus": "failed", "ErrorCode": "x1"}, STATUS_URL, 422),
        # Digits of another script are digits to str.isdigit(), but "٢١٦١٠" would never be 21610 (opted out).
        ({"MessageSid": "SM" + "0" * 32, "MessageStatus": "failed", "ErrorCode": "٢١٦١٠"}, STATUS_URL, 422),
        ({"MessageSid": "SM" + "0" * 32, "MessageStatus": "failed", "ErrorCode": "２１６１０"}, STATUS_URL, 422),
    ],
)
async def test_bad_status_callbacks_are_refused(
    rt: Runtime, http: httpx.AsyncClient, form: dict[str, str], signed_for: str, status: int
) -> None:
    response = await post(http, STATUS_URL, form, signed_for=signed_for)
    assert response.status_code == status
