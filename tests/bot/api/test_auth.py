"""Keys: 401 without a live one, 403 for a scope that does not cover the route, 429 past the rate, last use."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select

from bot.api.keys import add_key, covers, list_keys, revoke_key
from bot.app import create_app
from bot.store.schema import api_keys
from tests.bot.api.conftest import NOW, Api, FixedClock, open_api, tenant
from tests.conftest import make_settings, started_runtime


async def test_no_key_a_wrong_key_or_a_revoked_key_is_401(api: Api) -> None:
    for headers in ({}, {"Authorization": "Bearer kh_wrong"}, {"Authorization": api.keys["read"]}):
        answer = await api.client.get("/api/v1/cases", headers=headers)
        assert answer.status_code == 401
        assert answer.headers["www-authenticate"].startswith("Bearer")
        assert answer.json()["error"].startswith("a valid API key is required")
    assert (await api.get("cases")).status_code == 200
    async with api.rt.db.write() as conn:
        key_id = (await conn.execute(select(api_keys.c.id).where(api_keys.c.scope == "read"))).scalar_one()
        await revoke_key(conn, key_id, api.rt.clock(), "staff:1")
    assert (await api.get("cases")).status_code == 401


async def test_a_401_and_a_403_say_in_their_challenge_whether_to_replace_the_key_or_fix_the_request(
    api: Api,
) -> None:
    """RFC 6750: no key sent is the realm alone; a key sent that is unknown or revoked is invalid_token (the
    body says which, so the ledger's operator knows to ask for a new key or to copy this one whole); a key whose
    scope falls short is insufficient_scope, naming the scope the route needs."""
    challenges = {}
    for case, authorization in (("none", None), ("basic", "Basic dXNlcjpwYXNz"), ("unknown", "Bearer kh_wrong")):
        answer = await api.client.get(
            "/api/v1/cases", headers={"Authorization": authorization} if authorization else {}
        )
        challenges[case] = (answer.status_code, answer.headers["www-authenticate"], answer.json()["error"])
    assert challenges == {
        "none": (401, 'Bearer realm="keephome api"', "a valid API key is required: Authorization: Bearer <key>"),
        "basic": (401, 'Bearer realm="keephome api"', "a valid API key is required: Authorization: Bearer <key>"),
        "unknown": (
            401,
            'Bearer realm="keephome api", error="invalid_token", '
            'error_description="this key is not one keephome knows"',
            "a valid API key is required: this key is not one keephome knows",
        ),
    }
    async with api.rt.db.write() as conn:
        key_id = (await conn.execute(select(api_keys.c.id).where(api_keys.c.scope == "read"))).scalar_one()
        await revoke_key(conn, key_id, api.rt.clock(), "staff:1")
    revoked = await api.get("cases")
    assert (revoked.status_code, revoked.json()["error"]) == (
        401,
        "a valid API key is required: this key was revoked: an admin can make a new one",
    )
    assert 'error="invalid_token"' in revoked.headers["www-authenticate"]
    short = await api.put("T-1", tenant(), scope="write")
    assert short.status_code == 201
    short = await api.client.delete("/api/v1/tenants/T-1", headers=api.auth("write"))
    assert (short.status_code, short.headers["www-authenticate"]) == (
        403,
        'Bearer realm="keephome api", error="insufficient_scope", scope="erase"',
    )


async def test_each_scope_covers_its_own_routes_and_those_below(sqlite_api: Api) -> None:
    api = sqlite_api  # checks before the database is asked: SQLite is enough
    assert [covers(s, "write") for s in ("read", "write", "erase")] == [False, True, True]
    refused = await api.put("T-1", tenant(), scope="read")
    # Which key would do (before: only that this one does not).
    assert (refused.status_code, refused.json()["error"]) == (
        403,
        "this key's scope (read) does not cover this route (it needs write): use a key of scope write or erase",
    )
    assert (
        await api.post("tenants/T-1/payments", {"amount": "1", "paid_on": "2026-03-02"}, scope="read")
    ).status_code == 403
    assert (await api.post("tenants/bulk", {"tenants": []}, scope="read")).status_code == 403
    assert (await api.counts())["tenants"] == 0
    assert (await api.put("T-1", tenant(), scope="erase")).status_code == 201
    assert (await api.get("tenants/T-1", scope="write")).status_code == 200


async def test_a_key_is_stamped_when_used_and_the_list_never_holds_the_key(api: Api) -> None:
    async with api.rt.db.read() as conn:
        before = {k.scope: k.last_used_at for k in await list_keys(conn)}
    assert before == {"read": None, "write": None, "erase": None}
    api.rt.clock.offset = timedelta(minutes=5)
    await api.get("cases")
    async with api.rt.db.read() as conn:
        after = {k.scope: k.last_used_at for k in await list_keys(conn)}
        hashes = [h for (h,) in await conn.execute(select(api_keys.c.key_hash))]
    assert after == {"read": NOW + timedelta(minutes=5), "write": None, "erase": None}
    assert not set(hashes) & set(api.keys.values())


@pytest.fixture
async def limited(sqlite_url: str) -> AsyncIterator[Api]:
    async for opened in open_api(sqlite_url, api_rate_per_minute=3):
        yield opened


async def test_past_the_rate_a_key_gets_429_with_retry_after_until_the_minute_is_over(limited: Api) -> None:
    api = limited
    statuses = [(await api.get("cases")).status_code for _ in range(3)]
    assert statuses == [200, 200, 200]
    api.rt.clock.offset = timedelta(seconds=20)
    refused = await api.get("cases")
    assert (refused.status_code, refused.headers["retry-after"]) == (429, "40")
    # When, in the words too (before: "try again later").
    said = "this key made more than 3 requests in a minute: try again in 40 s (Retry-After)"
    assert refused.json()["error"] == said
    # A refused write changes nothing; another key has its own count.
    assert (await api.put("T-1", tenant(), scope="erase")).status_code == 201
    api.rt.clock.offset = timedelta(seconds=61)
    assert (await api.get("cases")).status_code == 200


async def test_the_count_is_shared_by_every_process_on_the_database(sqlite_url: str) -> None:
    settings = make_settings(sqlite_url, api_rate_per_minute=2)
    async with started_runtime(settings, FixedClock(NOW)) as one, started_runtime(settings, FixedClock(NOW)) as two:
        async with one.db.write() as conn:
            _, key = await add_key(conn, "ledger", "read", one.clock(), "cli")
        headers = {"Authorization": f"Bearer {key}"}
        statuses = []
        for rt in (one, two, one, two):
            transport = httpx.ASGITransport(app=create_app(rt))
            async with httpx.AsyncClient(transport=transport, base_url="https://keephome.example.org") as client:
                statuses.append((await client.get("/api/v1/cases", headers=headers)).status_code)
    assert statuses == [200, 200, 429, 429]
