"""Numbers Twilio says cannot get SMS (not valid, a landline, not in use) are listed for the admins, who can correct
them: refused when sent (21614 through the real SDK against the Twilio stand-in) or reported by a status callback later
(30005); a number that got an SMS since, or a failure that says nothing of the number (the phone was off), is not."""

from __future__ import annotations

import html
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import select

from bot.app import create_app
from bot.channels.twilio_sms import TwilioChannel
from bot.outbox.enqueue import enqueue
from bot.runtime import Runtime
from bot.store.scene import Scene
from bot.store.schema import audit_log, messages
from tests.conftest import make_settings, started_runtime
from tests.support.console import add_person, add_tenant, login
from tests.support.drive import drain
from tests.support.twilio_standin import ACCOUNT_SID, Answer, TwilioStandin, credentials, sign, twilio_standin

__all__ = ["twilio_standin"]

STATUS_URL = "https://keephome.example.org/webhooks/twilio/status"


@pytest.fixture
async def rt(database_url: str, twilio_standin: TwilioStandin) -> AsyncIterator[Runtime]:
    settings = make_settings(database_url, **credentials(twilio_standin))
    async with started_runtime(settings, sms=TwilioChannel(settings)) as runtime:
        yield runtime


async def _send(rt: Runtime, tenant_id: int, key: str) -> None:
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
            )
        )
    await drain(rt.sender)


async def _status(http: httpx.AsyncClient, rt: Runtime, tenant_id: int, status: str, code: str) -> None:
    async with rt.db.read() as conn:
        sid = (
            await conn.execute(
                select(messages.c.provider_id).where(messages.c.tenant_id == tenant_id).order_by(messages.c.id.desc())
            )
        ).scalar()
    form = {"AccountSid": ACCOUNT_SID, "MessageSid": str(sid), "MessageStatus": status, "ErrorCode": code}
    answer = await http.post(
        "/webhooks/twilio/status", data=form, headers={"X-Twilio-Signature": sign(STATUS_URL, form)}
    )
    assert answer.status_code == 200


async def test_numbers_twilio_says_cannot_get_sms_are_listed_for_the_admins(
    rt: Runtime, twilio_standin: TwilioStandin
) -> None:
    landline = await add_tenant(rt, "R-LAND", name="Landline Tenant", phone="+4533000001")
    gone = await add_tenant(rt, "R-GONE", name="Gone Tenant", phone="+4520000002")
    fixed = await add_tenant(rt, "R-FIXED", name="Fixed Tenant", phone="+4520000003")
    off = await add_tenant(rt, "R-OFF", name="Off Tenant", phone="+4520000004")
    await add_person(rt, "admin@example.org", "admin")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(rt)), base_url="https://keephome.example.org"
    ) as http:
        twilio_standin.answer_next(Answer(400, 21614, "To number is not a mobile number"))
        await _send(rt, landline, "land")
        await _send(rt, gone, "gone")
        await _status(http, rt, gone, "undelivered", "30005")
        twilio_standin.answer_next(Answer(400, 21614, "To number is not a mobile number"))
        await _send(rt, fixed, "fixed-1")
        await _send(rt, fixed, "fixed-2")  # the number was corrected, and this one went out
        await _send(rt, off, "off")
        await _status(http, rt, off, "undelivered", "30003")

        assert (await login(http, "admin@example.org")).status_code == 303
        page = html.unescape((await http.get("/console/admin")).text)
    card = " ".join(page.split('id="refused-numbers"', 1)[1].split("</div>", 1)[0].split())
    assert "R-LAND" in card and "Landline Tenant" in card
    assert "the number cannot receive SMS (perhaps a landline) (error 21614)" in card
    assert "R-GONE" in card and "the number does not exist (error 30005)" in card
    assert "R-FIXED" not in card and "R-OFF" not in card
    assert "correct the number in your system and re-import" in card
    async with rt.db.read() as conn:
        shown = (
            await conn.execute(select(audit_log.c.detail).where(audit_log.c.action == "tenants.refused_numbers.view"))
        ).scalars()
        # The view is audited with each tenant it showed, newest failure first.
        assert list(shown) == [f"tenant:{gone},tenant:{landline}"]
