"""What a Danish adviser reads on the case page, and a kommune on a referral, said as Danish says it: the day rent
falls due is a day of the month ("den 5. i måneden"), not a bare number; a phone number is written as on paper
("20 00 00 01"); and the notes on the conversation speak of one tenant as one."""

from __future__ import annotations

import html
import re

import httpx

from bot.console.delivery import explain
from bot.i18n import speaking
from bot.runtime import Runtime
from bot.store.schema import consents
from tests.bot.console.test_referrals import adviser, held_case, make_referral, rt, signed_form  # noqa: F401
from tests.support.console import add_case, add_tenant, post_form, signed_in


def _paragraph(page: str, id_: str) -> str:
    found = re.search(rf'<p class="[^"]*" id="{id_}">(.*?)</p>', html.unescape(page), re.S)
    assert found is not None, page
    return " ".join(found.group(1).split())


def _dd_after(page: str, term: str) -> str:
    found = re.search(rf"<dt>{re.escape(term)}</dt><dd>(.*?)</dd>", html.unescape(page), re.S)
    assert found is not None, page
    return " ".join(found.group(1).split())


async def test_the_due_day_reads_as_a_day_of_the_month_in_danish(runtime: Runtime, client: httpx.AsyncClient) -> None:
    case_id = await add_case(runtime, await add_tenant(runtime, "R-1", balance_ore=500_000, due_day=5))
    await signed_in(runtime, client, danish=True)
    page = (await client.get(f"/console/cases/{case_id}")).text
    assert _dd_after(page, "Forfaldsdag") == "den 5. i måneden"


async def test_the_case_page_speaks_of_one_tenant_as_one_in_danish(runtime: Runtime, client: httpx.AsyncClient) -> None:
    tenant_id = await add_tenant(runtime, "R-1", balance_ore=500_000)
    case_id = await add_case(runtime, tenant_id, origin="outreach", consent=False)
    await signed_in(runtime, client, danish=True)
    page = f"/console/cases/{case_id}"
    assert (await post_form(client, page, f"{page}/take", {})).status_code == 303
    shown = (await client.get(page)).text
    assert _paragraph(shown, "no-consent").endswith(
        "Du ser også de svar, lejeren skrev, mens lejeren vidste, at en person læste med (fra beskeden om, at en "
        "rådgiver har taget sagen, til beskeden om, at rådgiveren har sluppet den)."
    )
    assert _paragraph(shown, "close-tells") == (
        "Når sagen lukkes, får lejeren besked om, at rådgiveren har afsluttet samtalen, og at lejeren kan skrive her, "
        "hvis der er brug for mere hjælp; om natten først, når stilletiden er slut."
    )


def test_a_reminder_dropped_because_the_tenant_wrote_first_says_so_in_plain_danish() -> None:
    with speaking("da"):
        said = explain(None, "tenant wrote first", "sms")
    assert said == "lejeren skrev, før den blev sendt, og fik svar på sin egen besked i stedet"


async def test_the_referral_for_the_kommune_writes_the_phone_and_the_due_day_the_danish_way(
    rt: Runtime,  # noqa: F811
    adviser: httpx.AsyncClient,  # noqa: F811
) -> None:
    _, case_id = await held_case(rt, adviser)
    assert (await signed_form(adviser, case_id)).status_code == 303
    async with rt.db.read() as conn:
        (consent_id,) = (await conn.execute(consents.select().with_only_columns(consents.c.id))).scalars()
    made = await make_referral(adviser, case_id, consent_id)
    document = (await adviser.get(made.headers["location"])).text
    document = document[document.index('<article id="referral"') :]
    assert _dd_after(document, "Telefon") == "20 00 00 01"  # as on the case page, not +4520000001
    assert _dd_after(document, "Forfaldsdag") == "den 1. i måneden"
