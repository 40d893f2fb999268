"""POST /tenants/bulk: up to 10,000 tenants, all or nothing, every bad item named by index, field and reason."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.api.models import MAX_BULK
from bot.store.schema import audit_log, conversations, tenants
from tests.bot.api.conftest import Api, tenant
from tests.bot.api.test_audit_page_words import _audit_page


def problems(answer: object) -> list[tuple[int | None, str | None, str]]:
    return [(p["index"], p["field"], p["reason"]) for p in answer.json()["errors"]]  # type: ignore[attr-defined]


async def test_a_bulk_creates_and_updates_and_says_how_many(api: Api) -> None:
    first = await api.post("tenants/bulk", {"tenants": [tenant("A", "+4520123401"), tenant("B", "+4520123402")]})
    assert (first.status_code, first.json()) == (
        200,
        {"created": 2, "updated": 0, "unchanged": 0, "left_out": 0, "older_balances_kept": 0},
    )
    second = await api.post("tenants/bulk", {"tenants": [tenant("B", "+4520123402"), tenant("C", "+4520123403")]})
    assert second.json() == {"created": 1, "updated": 0, "unchanged": 1, "left_out": 0, "older_balances_kept": 0}
    assert (await api.counts())["tenants"] == 3
    async with api.rt.db.read() as conn:
        details = (
            await conn.execute(
                select(audit_log.c.detail).where(audit_log.c.action == "api.tenants.bulk").order_by(audit_log.c.id)
            )
        ).all()
    # The key's name, then the counts as the CSV import's entry keeps them (the audit page says them in words).
    assert [d for (d,) in details] == [
        'key "ledger (write)" created=2 changed=0 unchanged=0',
        'key "ledger (write)" created=1 changed=0 unchanged=1',
    ]


async def test_one_bad_item_refuses_the_whole_bulk_naming_every_bad_item(api: Api) -> None:
    await api.post("tenants/bulk", {"tenants": [tenant("KEEP", "+4520123400")]})
    before = await api.counts()
    items = [
        tenant("A", "+4520123401"),
        tenant("B", "not a phone"),
        tenant("C", "+4520123401"),  # A's number
        tenant("A", "+4520123404"),  # A again
        {**tenant("E", "+4520123405"), "balance": 10, "language": "xx"},  # money as a number, and a bad language
        tenant("F", "+4520123400"),  # a stored tenant's number, and that tenant is not in the bulk
        tenant("G", "+4520123407", due_day=32, at_risk=True),
    ]
    answer = await api.post("tenants/bulk", {"tenants": items})
    assert answer.status_code == 422
    assert answer.json()["error"] == "6 problems; nothing was written"
    assert problems(answer) == [
        (1, "phone", 'phone "not a phone" is not a valid phone number: it has letters in it (write the digits only)'),
        (2, "phone", 'phone +4520123401 is also on item 0 (tenant_ref "A"): one number belongs to one tenant'),
        (3, "tenant_ref", 'tenant_ref "A" already appears on item 0'),
        (4, "balance", 'balance must be a JSON string with a decimal point, e.g. "7100.50" (never a number)'),
        (4, "language", 'language "xx" is not a known ISO 639-1 code (e.g. da, en, ar)'),
        (6, "due_day", 'due_day "32" must be a whole number from 1 to 31'),
    ]
    assert await api.counts() == before
    # The number a stored tenant holds is found once the items themselves are right.
    answer = await api.post("tenants/bulk", {"tenants": [tenant("A", "+4520123401"), items[5]]})
    assert problems(answer) == [
        (
            1,
            "phone",
            'phone +4520123400 belongs to tenant_ref "KEEP", who is not in this request: '
            "one number belongs to one tenant",
        )
    ]
    assert await api.counts() == before


async def test_a_bulk_is_an_object_with_a_list_of_at_most_ten_thousand(sqlite_api: Api) -> None:
    api = sqlite_api
    assert (await api.post("tenants/bulk", [tenant()])).status_code == 422
    assert problems(await api.post("tenants/bulk", {"tenants": [tenant()], "more": 1}))[0][1] == "more"
    empty = await api.post("tenants/bulk", {"tenants": []})
    assert empty.json() == {"created": 0, "updated": 0, "unchanged": 0, "left_out": 0, "older_balances_kept": 0}
    too_many = {"tenants": [{"tenant_ref": "x"}] * (MAX_BULK + 1)}
    answer = await api.post("tenants/bulk", too_many)
    assert answer.status_code == 422 and problems(answer)[0][1] == "tenants"
    assert (await api.counts())["tenants"] == 0


async def test_the_bulk_route_takes_up_to_40_mib_and_others_16_kib(sqlite_api: Api) -> None:
    api = sqlite_api
    padding = {"tenants": [], "pad": "x" * (41 * 1024 * 1024)}
    big = await api.client.post("/api/v1/tenants/bulk", content=json.dumps(padding), headers=api.auth())
    assert big.status_code == 413
    within = {"tenants": [], "pad": "x" * (39 * 1024 * 1024)}
    answer = await api.client.post("/api/v1/tenants/bulk", content=json.dumps(within), headers=api.auth())
    assert answer.status_code == 422 and problems(answer)[0][1] == "pad"  # read, then refused for its field
    put = await api.client.put(
        "/api/v1/tenants/T-1", content=json.dumps({**tenant(), "name": "x" * 20_000}), headers=api.auth()
    )
    assert put.status_code == 413


async def test_a_bulk_that_settles_a_balance_ends_the_waiting_reminder(api: Api) -> None:
    await api.post("tenants/bulk", {"tenants": [tenant("A", "+4520123401")]})
    at = api.rt.clock()
    async with api.rt.db.write() as conn:
        tenant_id = (await conn.execute(select(tenants.c.id))).scalar_one()
        await conn.execute(
            conversations.insert().values(
                tenant_id=tenant_id,
                flow="payment_check",
                trigger="missed",
                state={
                    "flow": "payment_check",
                    "step": "question",
                    "language": "da",
                    "channel": "sms",
                    "first_name": "Amira",
                    "trigger": "missed",
                    "flow_version": 1,
                },
                active=True,
                waiting_until=at,
                version=1,
                started_at=at,
                updated_at=at,
            )
        )
    await api.post("tenants/bulk", {"tenants": [tenant("A", "+4520123401", balance="0")]})
    async with api.rt.db.read() as conn:
        active = (await conn.execute(select(func.count()).where(conversations.c.active.is_(True)))).scalar_one()
    assert active == 0


def _longest(i: int, most: dict[str, Any]) -> dict[str, Any]:
    """Tenant i with every string at the length the schema publishes, in letters json.dumps escapes (six bytes)."""
    letters = ("ØÆÅøæå" * 60)[: most["address"]]
    return {
        "tenant_ref": f"{i:05d}{letters}"[: most["tenant_ref"]],
        "name": letters[: most["name"]],
        "phone": f"+45201{i:05d}".ljust(most["phone"]),  # spaces around a number are trimmed
        "language": "da",
        "due_day": 31,
        "monthly_rent": "7100.50".zfill(most["monthly_rent"]),
        "balance": "7100.50".zfill(most["balance"]),
        "balance_as_of": "2026-03-01",
        "demand_sent_on": "2026-02-10",
        "demand_received_on": "2026-02-11",
        "termination_on": "2026-02-25",
        "court_date": "2026-05-01",
        "court_filed_on": "2026-02-27",
        "kommune_notified_on": "2026-02-27",
        "address": letters,
        "at_risk": True,
        "children": True,
        "reactivate": False,
    }


@pytest.mark.slow
async def test_ten_thousand_tenants_with_every_field_at_its_longest_go_in_one_bulk(sqlite_api: Api) -> None:
    api = sqlite_api
    published = (await api.client.get("/api/v1/openapi.json")).json()["components"]["schemas"]["BulkTenant"]
    fields = published["properties"]
    most = {
        name: field.get("maxLength") or field.get("anyOf", [{}])[0].get("maxLength") for name, field in fields.items()
    }
    items = [_longest(i, most) for i in range(MAX_BULK)]
    assert set(items[0]) == set(fields)  # every field the schema publishes
    body = json.dumps({"tenants": items})  # json.dumps' own spacing and escapes
    assert len(body) > 32 * 1024 * 1024
    answer = await api.client.post("/api/v1/tenants/bulk", content=body, headers=api.auth())
    assert (answer.status_code, answer.json()) == (
        200,
        {"created": MAX_BULK, "updated": 0, "unchanged": 0, "left_out": 0, "older_balances_kept": 0},
    )
    # The bulk of the most tenants a request takes, each as long as the schema lets it be, is all written.
    assert (await api.counts())["tenants"] == MAX_BULK


async def test_a_repeat_of_a_bad_item_is_named_in_the_same_answer(api: Api) -> None:
    items = [tenant("A", "+4520123401", due_day=32), tenant("A", "+4520123402"), tenant("B", "+4520123401")]
    answer = await api.post("tenants/bulk", {"tenants": items})
    assert problems(answer) == [
        (0, "due_day", 'due_day "32" must be a whole number from 1 to 31'),
        (1, "tenant_ref", 'tenant_ref "A" already appears on item 0'),
        (2, "phone", 'phone +4520123401 is also on item 0 (tenant_ref "A"): one number belongs to one tenant'),
    ]


async def test_a_bulk_names_each_item_without_a_balance_that_clears_a_stored_debt(api: Api) -> None:
    """As the CSV import names the line: a known tenant who owed and whose item has no balance is set to 0 (a field
    left out takes its default), and the answer counts it and names its index, so a half-filled export is seen."""
    owing = [tenant("DK-2001", "+4520123401", balance="12501.25"), tenant("DK-2002", "+4520123402")]
    assert (await api.post("tenants/bulk", {"tenants": owing})).status_code == 200
    without = {k: v for k, v in tenant("DK-2001", "+4520123401").items() if k != "balance"}
    answer = await api.post("tenants/bulk", {"tenants": [tenant("DK-2002", "+4520123402"), without]})
    assert answer.status_code == 200
    body = answer.json()
    assert (body["updated"], body["balances_emptied"]) == (1, 1)
    assert body["notices"] == [
        {
            "index": 1,
            "field": "balance",
            "reason": 'balance is empty for tenant_ref "DK-2001", who owes 12501.25: an empty balance is 0, so the '
            "import sets their debt to 0.00 and they get no reminders; give their balance if they have not paid",
        }
    ]
    async with api.rt.db.read() as conn:
        detail = (
            await conn.execute(
                select(audit_log.c.detail).where(audit_log.c.action == "api.tenants.bulk").order_by(audit_log.c.id)
            )
        ).all()[-1][0]
    assert detail.endswith("balances_emptied=1")
    # The console's audit page says it in the admin's language.
    danish = await _audit_page(api, "da")
    assert "Lejere i restance, sat til 0 af et tomt saldofelt (ingen påmindelser): 1" in danish, danish
