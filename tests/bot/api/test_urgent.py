"""A court or termination date posted through the API opens the urgent case at once, not at the next plan."""

from __future__ import annotations

import logging
from datetime import datetime

import pytest
from sqlalchemy import select, text

from bot.outbox.enqueue import enqueue
from bot.reminders.plan import plan_reminders
from bot.store.scene import Scene
from bot.store.schema import cases, conversations, outbox, planned_reminders, staff, tenants
from tests.bot.api.conftest import TZ, Api, tenant


async def urgent_cases(api: Api) -> list[tuple[str, str, str]]:
    async with api.rt.db.read() as conn:
        rows = await conn.execute(select(cases.c.origin, cases.c.status, cases.c.reason).order_by(cases.c.id))
        return [tuple(r) for r in rows]  # type: ignore[misc]


async def first_messages(api: Api) -> list[tuple[str, datetime, bool]]:
    async with api.rt.db.read() as conn:
        rows = await conn.execute(
            select(outbox.c.template, outbox.c.not_before, outbox.c.proactive).where(outbox.c.tenant_id.is_not(None))
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


async def test_a_court_date_in_a_put_opens_the_urgent_case_and_queues_the_court_message(api: Api) -> None:
    answer = await api.put("T-1", tenant(court_date="2026-04-15"))
    assert answer.status_code == 201
    assert await urgent_cases(api) == [
        ("outreach", "waiting", "urgent outreach: court date 2026-04-15 known; balance owed as of 2026-03-03")
    ]
    ((template, not_before, proactive),) = await first_messages(api)
    assert (template, proactive) == ("payment_check.question", True)
    assert not_before == api.rt.clock()  # 10:00 on a Tuesday: inside the send window
    shown = (await api.get("tenants/T-1")).json()
    assert shown["case"]["origin"] == "outreach"
    assert (shown["conversation"]["trigger"], shown["reminders"][0]["trigger"]) == ("court", "court")
    # The same date again changes nothing; the morning's plan finds it recorded too.
    await api.put("T-1", tenant(court_date="2026-04-15"))
    await plan_reminders(api.rt.db, api.rt.settings, api.rt.clock())
    assert len(await urgent_cases(api)) == 1 and len(await first_messages(api)) == 1


async def test_a_termination_in_a_bulk_opens_a_case_per_tenant_and_a_paid_up_one_none(api: Api) -> None:
    items = [
        tenant("A", "+4520123401", termination_on="2026-02-28"),
        tenant("B", "+4520123402", termination_on="2026-02-28", balance="0"),
        tenant("C", "+4520123403"),
    ]
    assert (await api.post("tenants/bulk", {"tenants": items})).status_code == 200
    assert [c[2] for c in await urgent_cases(api)] == [
        "urgent outreach: termination 2026-02-28 known; balance owed as of 2026-03-03"
    ]


async def test_in_a_bulk_only_the_tenant_already_written_to_today_waits_for_tomorrow(api: Api) -> None:
    """A proactive message queued today for one tenant of the bulk (a timer's, say): that tenant's court message
    goes the next morning, never a second one today; the others' go now."""
    items = [tenant(ref, f"+45201234{n:02d}", court_date="2026-04-15") for n, ref in enumerate(["A", "B", "C"], 1)]
    await api.post("tenants/bulk", {"tenants": [{**item, "court_date": None} for item in items]})
    async with api.rt.db.write() as conn:
        b = (await conn.execute(text("SELECT id FROM tenants WHERE tenant_ref = 'B'"))).scalar_one()
        values = {"first_name": "Amira"}
        await conn.run_sync(
            lambda sync: enqueue(
                Scene.of(sync),
                now=api.rt.clock(),
                channel="sms",
                template="payment_check.question",
                values=values,
                language="da",
                idempotency_key="earlier today",
                tenant_id=b,
                proactive=True,
                not_before=api.rt.clock(),
            )
        )
    assert (await api.post("tenants/bulk", {"tenants": items})).status_code == 200
    assert len(await urgent_cases(api)) == 3
    async with api.rt.db.read() as conn:
        rows = await conn.execute(
            select(tenants.c.tenant_ref, outbox.c.not_before)
            .join(tenants, tenants.c.id == outbox.c.tenant_id)
            .where(outbox.c.idempotency_key != "earlier today")
            .order_by(tenants.c.tenant_ref)
        )
        firsts = [(ref, at.astimezone(TZ)) for ref, at in rows]
    now = api.rt.clock().astimezone(TZ)
    assert firsts == [("A", now), ("B", datetime(2026, 3, 4, 9, 0, tzinfo=TZ)), ("C", now)]


async def test_each_urgent_case_of_a_bulk_tells_every_admin_and_adviser_who_asked_once(api: Api) -> None:
    people = [("admin", 501, True), ("adviser", 502, True), ("adviser", 503, False), ("volunteer", 504, True)]
    async with api.rt.db.write() as conn:
        for n, (role, chat, notify) in enumerate(people):
            await conn.execute(
                staff.insert().values(
                    email=f"person{n}@example.org",
                    role=role,
                    active=True,
                    telegram_chat_id=chat,
                    notify_telegram=notify,
                    failed_logins=0,
                    created_at=api.rt.clock(),
                )
            )
    items = [tenant(ref, f"+45201234{n:02d}", court_date="2026-04-15") for n, ref in enumerate(["A", "B"], 1)]
    assert (await api.post("tenants/bulk", {"tenants": items})).status_code == 200
    async with api.rt.db.read() as conn:
        rows = await conn.execute(
            select(outbox.c.address, outbox.c.template).where(outbox.c.tenant_id.is_(None)).order_by(outbox.c.address)
        )
        notices = [tuple(r) for r in rows]
    assert notices == [("501", "staff.urgent_case")] * 2 + [("502", "staff.urgent_case")] * 2


async def test_at_night_the_case_opens_now_and_the_message_waits_for_the_morning(api: Api) -> None:
    api.rt.clock.offset = datetime(2026, 3, 3, 22, 30, tzinfo=TZ) - datetime(2026, 3, 3, 10, 0, tzinfo=TZ)
    await api.put("T-1", tenant(court_date="2026-04-15"))
    assert len(await urgent_cases(api)) == 1
    ((_, not_before, _),) = await first_messages(api)
    assert not_before.astimezone(TZ) == datetime(2026, 3, 4, 9, 0, tzinfo=TZ)


async def test_a_tenant_reminded_today_gets_the_case_now_and_no_second_message_today(api: Api) -> None:
    await api.put("T-1", tenant(balance_as_of="2026-03-03"))
    assert len((await plan_reminders(api.rt.db, api.rt.settings, api.rt.clock())).rows) == 1  # the "missed" one
    await api.put("T-1", tenant(balance_as_of="2026-03-03", court_date="2026-04-15"))
    assert [c[0] for c in await urgent_cases(api)] == ["outreach"]
    assert len(await first_messages(api)) == 1
    async with api.rt.db.read() as conn:
        triggers = [t for (t,) in await conn.execute(select(planned_reminders.c.trigger))]
        waiting = (await conn.execute(select(conversations.c.trigger).where(conversations.c.active.is_(True)))).all()
    assert triggers == ["missed"] and [w.trigger for w in waiting] == ["missed"]
    # The next morning's plan sends the court message and keeps the one case.
    api.rt.clock.offset = datetime(2026, 3, 4, 10, 0, tzinfo=TZ) - datetime(2026, 3, 3, 10, 0, tzinfo=TZ)
    planned = await plan_reminders(api.rt.db, api.rt.settings, api.rt.clock())
    assert [r.trigger for r in planned.rows] == ["court"]
    assert len(await urgent_cases(api)) == 1 and len(await first_messages(api)) == 2
    async with api.rt.db.read() as conn:
        triggers = sorted(t for (t,) in await conn.execute(select(planned_reminders.c.trigger)))
    assert triggers == ["court", "missed"]


async def test_a_write_saved_when_its_urgent_case_cannot_open_answers_what_it_saved(
    sqlite_api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    api = sqlite_api
    # The database refuses every new case: the urgent case's opening fails after the tenant's write committed.
    async with api.rt.db.write() as conn:
        await conn.execute(text("CREATE TRIGGER no_cases BEFORE INSERT ON cases BEGIN SELECT RAISE(ABORT, 'no'); END"))
    body = tenant(court_date="2026-04-15")
    with caplog.at_level(logging.ERROR, logger="bot.api.tenants"):
        answer = await api.put("T-1", body, **{"Idempotency-Key": "sync-1"})
    assert answer.status_code == 201 and answer.json()["result"] == "created"
    # What the answer says is stored: the tenant with its court date; of the urgent case, nothing half-made.
    shown = (await api.get("tenants/T-1")).json()
    assert shown["court_date"] == "2026-04-15" and shown["case"] is None
    async with api.rt.db.read() as conn:
        assert (await conn.execute(select(planned_reminders.c.id))).first() is None
        assert (await conn.execute(select(conversations.c.id))).first() is None
    (record,) = caplog.records
    assert "the write was saved" in record.getMessage() and "keephome remind" in record.getMessage()
    assert record.exc_info is not None
    # The client's repeat gets the same answer, not a second write.
    again = await api.put("T-1", body, **{"Idempotency-Key": "sync-1"})
    assert (again.status_code, again.json(), again.headers["idempotent-replayed"]) == (201, answer.json(), "true")
    # Once the fault is gone, the planning opens the case the write could not.
    async with api.rt.db.write() as conn:
        await conn.execute(text("DROP TRIGGER no_cases"))
    await plan_reminders(api.rt.db, api.rt.settings, api.rt.clock())
    assert [c[:2] for c in await urgent_cases(api)] == [("outreach", "waiting")]
