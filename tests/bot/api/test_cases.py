"""GET /cases: cases with reason, outcome and dates, filtered by status and day, a page at a time."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.store.schema import audit_log, cases, tenants
from tests.bot.api.conftest import NOW, Api, tenant
from tests.support.console import add_person, login, post_form


async def add_cases(api: Api) -> None:
    await api.put("T-1", tenant())
    await api.put("T-2", tenant("T-2", "+4520123457"))
    async with api.rt.db.write() as conn:
        first, second = (await conn.execute(select(tenants.c.id).order_by(tenants.c.id))).scalars()
        # A tenant has one open case at a time: the second open case is another tenant's.
        for tenant_id, days_ago, status, outcome in (
            (first, 10, "closed", "paid"),
            (first, 3, "waiting", None),
            (second, 0, "taken", None),
        ):
            at = NOW - timedelta(days=days_ago)
            await conn.execute(
                cases.insert().values(
                    tenant_id=tenant_id,
                    status=status,
                    origin="handoff",
                    reason="tenant_asked",
                    priority=5,
                    outcome=outcome,
                    outcome_note="private words" if outcome else None,
                    opened_at=at,
                    updated_at=at,
                    closed_at=at if status == "closed" else None,
                )
            )


def ids(answer: object) -> list[tuple[int, str]]:
    return [(c["id"], c["status"]) for c in answer.json()["cases"]]  # type: ignore[attr-defined]


async def test_cases_are_listed_with_filters_and_pages(api: Api) -> None:
    await add_cases(api)
    everything = await api.get("cases")
    assert ids(everything) == [(1, "closed"), (2, "waiting"), (3, "taken")]
    first = everything.json()["cases"][0]
    assert (first["tenant_ref"], first["outcome"], first["reason"], first["closed_at"]) == (
        "T-1",
        "paid",
        "tenant_asked",
        "2026-02-21T09:00:00Z",  # times are UTC
    )
    assert "private words" not in everything.text and "outcome_note" not in everything.text
    assert ids(await api.get("cases", status="open")) == [(2, "waiting"), (3, "taken")]
    assert ids(await api.get("cases", status="closed")) == [(1, "closed")]
    assert ids(await api.get("cases", since="2026-02-28")) == [(2, "waiting"), (3, "taken")]
    page = await api.get("cases", limit="2")
    assert (ids(page), page.json()["next_after"]) == ([(1, "closed"), (2, "waiting")], 2)
    rest = await api.get("cases", limit="2", after="2")
    assert (ids(rest), rest.json()["next_after"]) == ([(3, "taken")], None)
    async with api.rt.db.read() as conn:
        listed = [
            a for (a,) in await conn.execute(select(audit_log.c.action).where(audit_log.c.action == "api.cases.list"))
        ]
    assert len(listed) == 6


async def test_bad_filters_are_422_naming_each(sqlite_api: Api) -> None:
    api = sqlite_api  # checks before the database is asked: SQLite is enough
    answer = await api.get("cases", status="lost", since="03-03-2026", limit="0", after="-1", colour="red")
    assert answer.status_code == 422
    assert sorted(p["field"] for p in answer.json()["errors"]) == ["after", "colour", "limit", "since", "status"]
    # A filter it does not know says which it does (before: "colour is not a filter here").
    said = {p["field"]: p["reason"] for p in answer.json()["errors"]}
    assert said["colour"] == "colour is not a filter here (the filters are status, since, after, limit)"


async def test_a_filter_given_twice_is_422_not_one_of_them_read_as_if_it_were_all(sqlite_api: Api) -> None:
    """status=waiting&status=taken reads, to many clients, as either; only one would be read."""
    api = sqlite_api
    answer = await api.client.get("/api/v1/cases?status=waiting&status=taken&limit=5", headers=api.auth("read"))
    assert (answer.status_code, answer.json()["errors"]) == (
        422,
        [{"index": None, "field": "status", "reason": "status is given 2 times: give it once"}],
    )


async def test_a_case_an_adviser_opened_by_hand_shows_not_what_they_typed(api: Api) -> None:
    await api.put("T-1", tenant())
    async with api.rt.db.read() as conn:
        tenant_id = (await conn.execute(select(tenants.c.id))).scalar_one()
    await add_person(api.rt, "adviser@example.org", "adviser")
    assert (await login(api.client, "adviser@example.org")).status_code == 303
    page = f"/console/tenants/{tenant_id}"
    words = "Her husband left in May, she is ashamed to ask"
    assert (await post_form(api.client, page, f"{page}/cases", {"reason": words})).status_code == 303
    listed = await api.get("cases")
    shown = await api.get("tenants/T-1")
    assert [(c["origin"], c["reason"]) for c in listed.json()["cases"]] == [("manual", "opened by an adviser")]
    assert shown.json()["case"]["reason"] == "opened by an adviser"
    assert words not in listed.text and words not in shown.text


async def test_an_erased_tenants_cases_are_left_out_of_the_list(api: Api) -> None:
    """The list names each case's tenant_ref, which an erased tenant no longer has: their cases are left out (the
    console's report still counts them, without a name)."""
    await add_cases(api)
    erased = await api.client.delete("/api/v1/tenants/T-1", headers=api.auth("erase"))
    assert erased.status_code == 204
    answer = await api.get("cases")
    assert ids(answer) == [(3, "taken")]
    assert "T-1" not in answer.text
