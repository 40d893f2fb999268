"""The court path through the API: the same optional fields as the CSV, kept when left out, and court cases."""

from __future__ import annotations

from collections import Counter
from datetime import date

from sqlalchemy import select

from bot.store.schema import court_cases, rent_events
from bot.tenants.court import record_outcome
from tests.bot.api.conftest import TODAY, Api, tenant


def reasons(answer: object) -> dict[str, str]:
    body = answer.json()  # type: ignore[attr-defined]
    return {e["field"]: e["reason"] for e in body["errors"]}


async def events(api: Api) -> Counter[tuple[str, date]]:
    async with api.rt.db.read() as conn:
        return Counter((k, on) for k, on in await conn.execute(select(rent_events.c.kind, rent_events.c.on)))


async def test_a_put_keeps_the_court_path_and_leaving_a_field_out_keeps_the_stored_value(api: Api) -> None:
    body = tenant(
        address="Eksempelvej 1, 2. tv",
        children=True,
        court_filed_on="2026-03-02",
        court_date="2026-03-25",
        kommune_notified_on="2026-03-02",
    )
    assert (await api.put("T-1", body)).status_code == 201
    assert (await api.put("T-1", tenant())).status_code == 200  # the fields left out: nothing changes
    async with api.rt.db.read() as conn:
        cc = court_cases.c
        rows = (await conn.execute(select(cc.status, cc.filed_on, cc.court_date, cc.kommune_notified_on))).all()
    assert [tuple(r) for r in rows] == [("open", date(2026, 3, 2), date(2026, 3, 25), date(2026, 3, 2))]
    shown = (await api.get("tenants/T-1")).json()
    assert (shown["court_filed_on"], shown["court_date"], shown["address"], shown["children"]) == (
        "2026-03-02",
        "2026-03-25",
        "Eksempelvej 1, 2. tv",
        True,
    )
    assert shown["kommune_notified_on"] == "2026-03-02"  # what a PUT sends, a GET shows
    assert await events(api) == Counter(
        {
            ("filing", date(2026, 3, 2)): 1,
            ("court_date", date(2026, 3, 25)): 1,
            ("kommune_notified", date(2026, 3, 2)): 1,
        }
    )


async def test_a_bulk_repeated_adds_no_event(api: Api) -> None:
    items = [
        tenant("A", "+4520123401", court_filed_on="2026-03-02", termination_on="2026-02-10"),
        tenant("B", "+4520123402", demand_sent_on="2026-02-01"),
    ]
    for _ in range(2):
        assert (await api.post("tenants/bulk", {"tenants": items})).status_code == 200
    assert await events(api) == Counter(
        {("filing", date(2026, 3, 2)): 1, ("termination", date(2026, 2, 10)): 1, ("demand", date(2026, 2, 1)): 1}
    )


async def test_bad_court_fields_are_422_and_nothing_is_written(sqlite_api: Api) -> None:
    api = sqlite_api
    before = await api.counts()
    answer = await api.put(
        "T-1",
        tenant(
            address="x" * 301,
            children="ja",
            court_filed_on="2026-02-30",
            court_date="2026-03-01",
            kommune_notified_on="soon",
        ),
    )
    assert answer.status_code == 422
    found = reasons(answer)
    assert sorted(found) == ["address", "children", "court_filed_on", "kommune_notified_on"]
    assert found["address"] == "address is longer than 300 characters"
    answer = await api.put("T-1", tenant(court_filed_on="2026-03-02", court_date="2026-03-01"))
    assert reasons(answer) == {"court_date": "court_date 2026-03-01 is before court_filed_on 2026-03-02"}
    assert await api.counts() == before


async def test_a_tenant_who_moved_out_reads_as_moved_out(api: Api) -> None:
    assert (await api.put("T-1", tenant(court_filed_on="2026-02-20", court_date="2026-03-03"))).status_code == 201
    async with api.rt.db.read() as conn:
        tid = (await conn.execute(select(court_cases.c.tenant_id))).scalar_one()
    async with api.rt.db.write() as conn:
        await conn.run_sync(record_outcome, tid, "carried_out", TODAY, api.rt.clock(), today=TODAY)
    shown = await api.get("tenants/T-1")
    assert shown.status_code == 200 and shown.json()["status"] == "moved_out"
