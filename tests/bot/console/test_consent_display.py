"""A consent on the case page: a signed form's consent shows the day it was signed and no time nobody entered,
and the button beside a standing consent reads as what the adviser does, not as its state."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import httpx
from sqlalchemy import select, update

from bot.inbound.inbox import InboundMessage
from bot.runtime import Runtime
from bot.store.schema import consents, messages, staff
from tests.bot.console.test_outreach import SetClock, clock
from tests.bot.console.test_referrals import adviser, held_case, rt, signed_form  # noqa: F401
from tests.conftest import make_settings, started_runtime
from tests.support.console import add_case, add_tenant, adviser_client
from tests.support.drive import process_all


def _consent(page: str) -> str:
    found = re.search(r'<li class="consent active" data-consent="\d+">(.*?)</li>', page, re.S)
    assert found is not None
    return " ".join(found.group(1).split())


async def test_a_signed_forms_consent_shows_its_day_without_a_time_and_a_withdrawal_reads_as_an_action(
    rt: Runtime,  # noqa: F811
    adviser: httpx.AsyncClient,  # noqa: F811
) -> None:
    _, case_id = await held_case(rt, adviser)
    assert (await signed_form(adviser, case_id)).status_code == 303  # signed on 2026-03-01
    shown = _consent((await adviser.get(f"/console/cases/{case_id}")).text)
    assert "given 1 Mar 2026 ·" in shown, shown
    assert "a form signed 1 Mar 2026" in shown
    assert not re.search(r"\d\d:\d\d", shown), shown  # no time of day was entered
    assert ">Record that the tenant withdrew it</button>" in shown


async def test_a_consents_evidence_is_the_tenants_message_as_the_conversation_dates_it(
    database_url: str,
) -> None:
    """The evidence names the tenant's message as a person finds it in the conversation: its channel in words and
    when it came ("lejerens sms 6. dec. kl. 10.02"), never the database's number for it nor the channel's code."""
    async with started_runtime(make_settings(database_url), SetClock(datetime(2026, 12, 5, 9, 0, tzinfo=UTC))) as app:
        other = await add_tenant(app, "R-2", name="Other Tenant", phone="+4520000002")
        tenant = await add_tenant(app, "R-1", name="Beta Tenant", phone="+4520000001")
        await add_case(app, other)
        case_id = await add_case(app, tenant)
        for n in range(5):  # another tenant's messages first: the database's numbers are not this tenant's count
            await app.inbox.submit(InboundMessage("sms", f"SM-other-{n}", "+4520000002", "hej"))
        await process_all(app.processor)
        clock(app).at = datetime(2026, 12, 6, 9, 2, tzinfo=UTC)  # 10.02 in Copenhagen
        await app.inbox.submit(InboundMessage("sms", "SM-yes", "+4520000001", "Ja tak"))
        await process_all(app.processor)
        async with app.db.write() as conn:
            said = (await conn.execute(select(messages.c.id).where(messages.c.provider_id == "SM-yes"))).scalar_one()
            await conn.execute(update(consents).where(consents.c.tenant_id == tenant).values(evidence_message_id=said))
        assert said > 1
        async with adviser_client(app) as client:
            english = _consent((await client.get(f"/console/cases/{case_id}")).text)
            assert "Evidence: the tenant's SMS of 6 Dec 10:02" in english, english
            assert f"#{said}" not in english and "on sms" not in english
            async with app.db.write() as conn:
                await conn.execute(update(staff).values(language="da"))
            page = (await client.get(f"/console/cases/{case_id}")).text
            danish = _consent(page)
            assert "Dokumentation: lejerens sms 6. dec. kl. 10.02" in danish, danish
            assert f"nr. {said}" not in danish
            # The conversation on the same page dates the tenant's "Ja tak" the same way: the adviser finds it there.
            conversation = page.split('<li class="consent', 1)[0]
            assert re.search(
                r"6\. dec\. kl\. 10\.02.{0,400}Ja tak|Ja tak.{0,400}6\. dec\. kl\. 10\.02", conversation, re.S
            )


async def test_the_reason_the_case_opened_says_when_the_tenant_withdrew_the_consent_it_names(database_url: str) -> None:
    """The line "the tenant asked … and agreed to share their answers" stays why the case opened; after the tenant's own
    withdrawal word the same line says they withdrew it, so the adviser does not read it as standing."""
    async with started_runtime(make_settings(database_url), SetClock(datetime(2026, 12, 5, 9, 0, tzinfo=UTC))) as app:
        tenant = await add_tenant(app, "R-1", name="Beta Tenant", phone="+4520000001")
        case_id = await add_case(app, tenant, reason="tenant_asked")
        async with adviser_client(app) as client:
            before = (await client.get(f"/console/cases/{case_id}")).text
            assert "agreed to share their answers" in before
            assert 'id="reason-withdrawn"' not in before
            clock(app).at = datetime(2026, 12, 5, 9, 2, tzinfo=UTC)  # 10.02 in Copenhagen
            await app.inbox.submit(InboundMessage("sms", "SM-back", "+4520000001", "TILBAGEKALD"))
            await process_all(app.processor)
            response = await client.get(f"/console/cases/{case_id}")
            assert response.status_code == 200, (response.status_code, response.headers)
            after = response.text
            why = re.search(r"<p class=\"why\" id=\"why\">(.*?)</p>", after, re.S)
            assert why is not None
            assert "agreed to share their answers" in why.group(1)
            assert "The tenant withdrew that consent 5 Dec 10:02." in " ".join(why.group(1).split()), why.group(1)
