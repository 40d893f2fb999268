"""The API's PUT and bulk keep the language a tenant chose themselves (wrote ENGLISH), as the CSV import does: the
item's language sets only a tenant who never chose, and a kept choice is no change."""

from __future__ import annotations

from tests.bot.api.conftest import Api, tenant
from tests.bot.tenants.test_language_choice import say

CHOOSER, FOLLOWER = "+4520123401", "+4520123402"


def bulk(language: str) -> dict[str, object]:
    return {"tenants": [tenant("A", CHOOSER, language=language), tenant("B", FOLLOWER, language=language)]}


async def language(api: Api, ref: str) -> str:
    return str((await api.get(f"tenants/{ref}")).json()["language"])


async def test_a_bulk_and_a_put_keep_the_language_the_tenant_chose(api: Api) -> None:
    assert (await api.post("tenants/bulk", bulk("da"))).json()["created"] == 2
    [danish_hint] = await say(api.rt, "HJÆLP", "SM1", CHOOSER)
    await say(api.rt, "ENGLISH", "SM2", CHOOSER)

    again = await api.post("tenants/bulk", bulk("da"))
    assert again.json() == {"created": 0, "updated": 0, "unchanged": 2, "left_out": 0, "older_balances_kept": 0}
    put = await api.put("A", tenant("A", CHOOSER, language="da"))
    assert (put.status_code, put.json()["result"]) == (200, "unchanged")
    assert (await language(api, "A"), await language(api, "B")) == ("en", "da")
    [english_hint] = await say(api.rt, "HJÆLP", "SM3", CHOOSER)
    assert english_hint != danish_hint

    # The tenant who never chose follows the items.
    english = await api.post("tenants/bulk", bulk("en"))
    assert (english.json()["updated"], english.json()["unchanged"]) == (1, 1)
    assert (await language(api, "A"), await language(api, "B")) == ("en", "en")
    assert await say(api.rt, "HJÆLP", "SM4", FOLLOWER) == [english_hint]


async def test_the_tenants_view_says_who_chose_their_language(api: Api) -> None:
    """An integrator sees why the language it sent did not take: the tenant chose theirs, and the schema says so."""
    await api.post("tenants/bulk", bulk("da"))
    await say(api.rt, "ENGLISH", "SM1", CHOOSER)
    chosen = [(await api.get(f"tenants/{ref}")).json()["language_chosen_by_tenant"] for ref in ("A", "B")]
    assert chosen == [True, False]
    schemas = (await api.client.get("/api/v1/openapi.json")).json()["components"]["schemas"]
    field = schemas["TenantOut"]["properties"]["language_chosen_by_tenant"]
    assert field["type"] == "boolean" and "chose `language` themselves" in field["description"]
    assert "language_chosen_by_tenant" in schemas["TenantOut"]["required"]
