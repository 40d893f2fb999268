"""Idempotency-Key: a repeat within 24 h gets the first answer and changes nothing; another body is 422."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.api import app as app_module
from bot.store.retention import purge
from bot.store.schema import api_idempotency, audit_log, rent_positions, tenants
from tests.bot.api.conftest import Api, tenant

KEY = "order-2026-03-03-0001"


async def balance(api: Api) -> int:
    async with api.rt.db.read() as conn:
        return int((await conn.execute(select(rent_positions.c.balance_ore))).scalar_one())


async def test_a_repeated_payment_is_paid_once_and_answered_the_same(api: Api) -> None:
    await api.put("T-1", tenant(balance="7100.00"))
    body = {"amount": "1000.00", "paid_on": "2026-03-02"}
    first = await api.post("tenants/T-1/payments", body, **{"Idempotency-Key": KEY})
    again = await api.post("tenants/T-1/payments", body, **{"Idempotency-Key": KEY})
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json() == first.json() and again.json()["balance"] == "6100.00"
    assert again.headers["idempotent-replayed"] == "true" and "idempotent-replayed" not in first.headers
    assert await balance(api) == 610000
    async with api.rt.db.read() as conn:
        audited = (await conn.execute(select(func.count()).where(audit_log.c.action == "api.payment"))).scalar_one()
    assert audited == 1
    # Without a key, the same body is a second payment.
    await api.post("tenants/T-1/payments", body)
    assert await balance(api) == 510000


async def test_a_repeat_sent_while_the_first_is_being_handled_is_paid_once_and_said_to_be_a_replay(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A client that times out and sends again at once: the repeat's early look finds no answer yet, and it finds
    the first one's answer only when it claims the key (after the first committed). It is a replay all the same."""
    await api.put("T-1", tenant(balance="7100.00"))

    async def not_answered_yet(*args: Any) -> None:
        return None

    monkeypatch.setattr(app_module, "replay", not_answered_yet)
    body = {"amount": "1000.00", "paid_on": "2026-03-02"}
    first, again = await asyncio.gather(
        api.post("tenants/T-1/payments", body, **{"Idempotency-Key": KEY}),
        api.post("tenants/T-1/payments", body, **{"Idempotency-Key": KEY}),
    )
    assert (first.status_code, again.status_code) == (200, 200) and again.json() == first.json()
    assert sorted(a.headers.get("idempotent-replayed", "") for a in (first, again)) == ["", "true"]
    assert await balance(api) == 610000
    bulk = {"tenants": [tenant("T-2", "+4520123457")]}
    first, again = await asyncio.gather(
        api.post("tenants/bulk", bulk, **{"Idempotency-Key": KEY + "-bulk"}),
        api.post("tenants/bulk", bulk, **{"Idempotency-Key": KEY + "-bulk"}),
    )
    assert [a.json()["created"] for a in (first, again)] == [1, 1]
    assert sorted(a.headers.get("idempotent-replayed", "") for a in (first, again)) == ["", "true"]


async def test_a_repeated_put_answers_201_again_and_undoes_nothing(api: Api) -> None:
    created = await api.put("T-1", tenant(balance="7100.00"), **{"Idempotency-Key": KEY})
    assert created.status_code == 201
    await api.put("T-1", tenant(balance="10.00"))  # a later change, without a key
    replay = await api.put("T-1", tenant(balance="7100.00"), **{"Idempotency-Key": KEY})
    assert (replay.status_code, replay.json()) == (201, created.json())
    assert await balance(api) == 1000


async def test_the_same_key_with_another_body_or_route_is_422(api: Api) -> None:
    await api.put("T-1", tenant(), **{"Idempotency-Key": KEY})
    other_body = await api.put("T-1", tenant(balance="1.00"), **{"Idempotency-Key": KEY})
    assert other_body.status_code == 422 and "another request" in other_body.json()["error"]
    other_route = await api.post("tenants/bulk", {"tenants": []}, **{"Idempotency-Key": KEY})
    assert other_route.status_code == 422
    assert await balance(api) == 710000
    # Keys are each API key's own: another key may use the same one.
    assert (
        await api.put("T-2", tenant("T-2", "+4520123457"), scope="erase", **{"Idempotency-Key": KEY})
    ).status_code == 201


async def test_a_refusal_is_the_first_response_too(api: Api) -> None:
    """A refused request keeps its refusal under the key: its repeat gets the same refusal and changes nothing,
    even once what it named exists; the same key with a corrected body is another request (422)."""
    bad = await api.put("T-1", tenant(phone="12"), **{"Idempotency-Key": KEY})
    assert bad.status_code == 422
    again = await api.put("T-1", tenant(phone="12"), **{"Idempotency-Key": KEY})
    assert (again.status_code, again.json()) == (422, bad.json()) and again.headers["idempotent-replayed"] == "true"
    corrected = await api.put("T-1", tenant(), **{"Idempotency-Key": KEY})
    assert (corrected.status_code, corrected.json()["error"]) == (
        422,
        "this Idempotency-Key was used for another request (another method, path or body) in the last 24 hours: "
        "give each request a key of its own (a corrected request too)",
    )
    assert (await api.counts())["tenants"] == 0
    assert (await api.put("T-1", tenant(balance="7100.00"), **{"Idempotency-Key": KEY + "-b"})).status_code == 201
    # A payment to a tenant nobody knew: 404, and its repeat after the tenant came is still that 404, unpaid.
    body = {"amount": "1000.00", "paid_on": "2026-03-02"}
    missing = await api.post("tenants/T-9/payments", body, **{"Idempotency-Key": "pay-1"})
    assert missing.status_code == 404
    await api.put("T-9", tenant("T-9", "+4520123459", balance="500.00"))
    repeat = await api.post("tenants/T-9/payments", body, **{"Idempotency-Key": "pay-1"})
    assert (repeat.status_code, repeat.json()) == (404, missing.json())
    async with api.rt.db.read() as conn:
        paid = await conn.execute(
            select(rent_positions.c.balance_ore).join(tenants).where(tenants.c.tenant_ref == "T-9")
        )
        assert paid.scalar_one() == 50000


async def test_after_a_day_the_key_is_free_and_the_nightly_purge_forgets_it(api: Api) -> None:
    await api.put("T-1", tenant(balance="7100.00"), **{"Idempotency-Key": KEY})
    api.rt.clock.offset = timedelta(hours=23)
    assert (await api.put("T-1", tenant(balance="1.00"), **{"Idempotency-Key": KEY})).status_code == 422
    api.rt.clock.offset = timedelta(hours=24, seconds=1)
    later = await api.put("T-1", tenant(balance="1.00"), **{"Idempotency-Key": KEY})
    assert later.status_code == 200 and await balance(api) == 100
    api.rt.clock.offset = timedelta(hours=49)
    removed = await purge(api.rt.db, api.rt.clock(), 30)
    assert removed["api_idempotency"] == 1
    async with api.rt.db.read() as conn:
        assert (await conn.execute(select(func.count()).select_from(api_idempotency))).scalar_one() == 0


async def test_a_malformed_key_is_400(sqlite_api: Api) -> None:
    api = sqlite_api  # checks before the database is asked: SQLite is enough
    for key in (b"", b"with space", b"x" * 201, "nøgle".encode()):
        headers = {**api.auth(), "Idempotency-Key": key}
        answer = await api.client.put("/api/v1/tenants/T-1", json=tenant(), headers=headers)
        assert answer.status_code == 400, key
    assert (await api.counts())["tenants"] == 0
