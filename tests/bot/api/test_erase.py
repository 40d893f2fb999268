"""DELETE /tenants/{ref}: erasure needs the erase scope; the tenant_ref then stays out unless reactivated."""

from __future__ import annotations

from sqlalchemy import select

from bot.store.schema import api_idempotency, audit_log, balance_events, tenants
from tests.bot.api.conftest import PHONE, Api, tenant


async def test_delete_erases_the_tenant_and_needs_the_erase_scope(api: Api) -> None:
    await api.put("T-1", tenant())
    refused = await api.client.delete("/api/v1/tenants/T-1", headers=api.auth("write"))
    assert refused.status_code == 403
    assert (await api.get("tenants/T-1")).status_code == 200
    erased = await api.client.delete("/api/v1/tenants/T-1", headers=api.auth("erase"))
    assert (erased.status_code, erased.content) == (204, b"")
    assert (await api.get("tenants/T-1")).status_code == 404
    assert (await api.client.delete("/api/v1/tenants/T-1", headers=api.auth("erase"))).status_code == 404
    async with api.rt.db.read() as conn:
        row = (await conn.execute(select(tenants.c.name, tenants.c.phone, tenants.c.status))).one()
        entries = (
            await conn.execute(
                select(audit_log.c.actor, audit_log.c.action, audit_log.c.detail).order_by(audit_log.c.id)
            )
        ).all()
    assert tuple(row) == ("", None, "erased")
    assert entries[-1].action == "api.tenant.erase" and entries[-1].detail == 'key "ledger (erase)"'
    assert not any("Amira" in (e.detail or "") or "T-1" in (e.detail or "") for e in entries)


async def test_an_erased_tenant_ref_stays_out_unless_the_write_says_reactivate(api: Api) -> None:
    await api.put("T-1", tenant())
    await api.client.delete("/api/v1/tenants/T-1", headers=api.auth("erase"))
    before = await api.counts()
    again = await api.put("T-1", tenant())
    assert again.status_code == 409
    assert again.json()["errors"][0]["field"] == "reactivate"
    assert await api.counts() == before
    bulk = await api.post("tenants/bulk", {"tenants": [tenant(), tenant("T-2", "+4520123457")]})
    assert bulk.json() == {"created": 1, "updated": 0, "unchanged": 0, "left_out": 1, "older_balances_kept": 0}
    back = await api.put("T-1", tenant(reactivate=True))
    assert back.status_code == 201
    assert (await api.get("tenants/T-1")).json()["name"] == "Amira Hansen"


async def test_a_payment_is_kept_in_the_balance_history(api: Api) -> None:
    await api.put("T-1", tenant(balance="100.00"))
    await api.post("tenants/T-1/payments", {"amount": "100.00", "paid_on": "2026-03-02"})
    async with api.rt.db.read() as conn:
        history = (
            await conn.execute(
                select(balance_events.c.balance_ore, balance_events.c.settled, balance_events.c.source).order_by(
                    balance_events.c.id
                )
            )
        ).all()
    assert [tuple(h) for h in history] == [(10000, False, "api"), (0, True, "payment")]


async def test_erasing_a_tenant_removes_the_stored_refusals_that_name_them(api: Api) -> None:
    """A refusal kept for an Idempotency-Key repeat names the tenant whose number another write wanted: erasure
    removes it (the reason quotes the tenant_ref inside its text, and carries the number)."""
    assert (await api.put("T-1", tenant())).status_code == 201
    clash = await api.put("T-2", tenant("T-2"), **{"Idempotency-Key": "k-clash"})
    assert clash.status_code == 422 and PHONE in clash.text and '"T-1"' in clash.json()["errors"][0]["reason"]
    assert (await api.client.delete("/api/v1/tenants/T-1", headers=api.auth("erase"))).status_code == 204
    async with api.rt.db.read() as conn:
        bodies = [str(b) for b in (await conn.execute(select(api_idempotency.c.body))).scalars()]
    assert [b for b in bodies if PHONE in b or "T-1" in b] == []


async def test_the_api_and_an_erasure_take_the_reference_exactly_as_written(api: Api) -> None:
    """A reference is the organisation's system's key (a PUT of "t-1" would be a second tenant), and an erasure is not
    undone: "t-1" neither reads nor erases T-1, unlike the console's search and data page."""
    await api.put("T-1", tenant())
    assert (await api.get("tenants/t-1")).status_code == 404
    assert (await api.client.delete("/api/v1/tenants/t-1", headers=api.auth("erase"))).status_code == 404
    assert (await api.get("tenants/T-1")).status_code == 200
