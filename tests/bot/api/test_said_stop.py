"""The API writes a tenant whose number had said STOP before it was theirs as the CSV import does: stopped, and the
answer says so (a PUT with `said_stop_before`, a bulk with how many); a number that said nothing answers as ever."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.api import tenants as tenants_api
from bot.api.idempotency import Claim
from bot.store.schema import audit_log
from tests.bot.api.conftest import Api, tenant
from tests.bot.tenants.test_language_choice import say
from tests.bot.tenants.test_said_stop import stop_after_the_read

SAID_STOP, SAID_NOTHING, ALSO_STOP = "+4520123701", "+4520123702", "+4520123703"


async def status(api: Api, ref: str) -> str:
    return str((await api.get(f"tenants/{ref}")).json()["status"])


async def test_a_put_and_a_bulk_store_a_number_that_said_stop_stopped_and_say_so(api: Api) -> None:
    await say(api.rt, "STOP", "SM1", SAID_STOP)
    await say(api.rt, "AFMELD", "SM2", ALSO_STOP)
    put = await api.put("A", tenant("A", SAID_STOP))
    assert (put.status_code, put.json()) == (
        201,
        {"tenant_ref": "A", "result": "created", "older_balance_kept": False, "said_stop_before": True},
    )
    async with api.rt.db.read() as conn:
        detail = (await conn.scalars(select(audit_log.c.detail).where(audit_log.c.action == "api.tenant.put"))).one()
    assert detail.endswith("result=created said_stop_before=1")
    assert await status(api, "A") == "stopped"

    bulk = await api.post("tenants/bulk", {"tenants": [tenant("B", SAID_NOTHING), tenant("C", ALSO_STOP)]})
    assert bulk.json() == {
        "created": 2, "updated": 0, "unchanged": 0, "left_out": 0, "older_balances_kept": 0, "said_stop_before": 1
    }  # fmt: skip
    assert (await status(api, "B"), await status(api, "C")) == ("active", "stopped")
    # Written again, nothing more is said: the STOP is the tenant's status now.
    again = await api.put("A", tenant("A", SAID_STOP))
    assert again.json() == {"tenant_ref": "A", "result": "unchanged", "older_balance_kept": False}


async def test_a_put_that_commits_after_a_stop_it_did_not_see_stores_the_tenant_stopped_and_says_so(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The PUT read the number's STOP before it was kept: it looks again after its commit, and its answer (the one a
    repeat with its Idempotency-Key gets too) says the tenant had said STOP."""
    stop_after_the_read(api.rt, monkeypatch, SAID_STOP)
    put = await api.put("A", tenant("A", SAID_STOP), **{"Idempotency-Key": "put-a"})
    said = {"tenant_ref": "A", "result": "created", "older_balance_kept": False, "said_stop_before": True}
    assert (put.status_code, put.json()) == (201, said)
    assert await status(api, "A") == "stopped"
    again = await api.put("A", tenant("A", SAID_STOP), **{"Idempotency-Key": "put-a"})
    assert (again.status_code, again.json()) == (201, said)


async def test_a_put_whose_look_after_its_commit_fails_is_still_answered_as_saved(
    api: Api, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The write is committed before the look: its failure is no 500 that would have the client repeat a saved write,
    and the log says what was not done."""

    async def broken(*_: object) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(tenants_api, "stops_since", broken)
    put = await api.put("A", tenant("A", SAID_NOTHING))
    assert put.status_code == 201 and put.json()["result"] == "created"
    assert await status(api, "A") == "active"
    assert "the write was saved, but looking for a STOP said meanwhile" in caplog.text


async def test_a_look_after_the_commit_that_fails_before_its_own_commit_says_no_stop(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The look found the STOP, but its transaction did not commit (storing the repeat's answer failed): the tenant
    is active still, and the answer must not say they are stopped."""
    stop_after_the_read(api.rt, monkeypatch, SAID_STOP)
    kept = Claim.remember
    calls: list[int] = []

    async def second_fails(self: Claim, *args: object) -> None:
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("the database went away")
        await kept(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(Claim, "remember", second_fails)
    put = await api.put("A", tenant("A", SAID_STOP), **{"Idempotency-Key": "put-a"})
    assert put.status_code == 201 and "said_stop_before" not in put.json()
    assert await status(api, "A") == "active"
