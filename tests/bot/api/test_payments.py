"""POST /tenants/{ref}/payments: the balance goes down, and at 0 the tenant's reminders stop the same day."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from bot.api.models import TenantIn
from bot.reminders.ledger import import_tenants
from bot.reminders.plan import plan_reminders
from bot.store.schema import audit_log, conversations, outbox, rent_positions
from bot.tenants.csv_rows import known_languages, parse_csv
from tests.bot.api.conftest import TZ, Api, tenant
from tests.support.drive import drain, sandbox


def pay(amount: str, paid_on: str = "2026-03-02") -> dict[str, str]:
    return {"amount": amount, "paid_on": paid_on}


async def test_a_payment_lowers_the_balance_and_says_what_is_left(api: Api) -> None:
    await api.put("T-1", tenant(balance="7100.50", balance_as_of="2026-03-01"))
    answer = await api.post("tenants/T-1/payments", pay("6500.00"))
    assert (answer.status_code, answer.json()) == (
        200,
        {
            "tenant_ref": "T-1",
            "amount": "6500.00",
            "paid_on": "2026-03-02",
            "balance": "600.50",
            "balance_as_of": "2026-03-02",
            "last_payment_on": "2026-03-02",
        },
    )
    # An earlier payment posted later moves neither date back; more than is owed is a credit.
    late = await api.post("tenants/T-1/payments", pay("700", "2026-02-27"))
    assert late.json()["balance"] == "-99.50"
    assert (late.json()["last_payment_on"], late.json()["balance_as_of"]) == ("2026-03-02", "2026-03-02")
    async with api.rt.db.read() as conn:
        details = [
            d
            for (d,) in await conn.execute(
                select(audit_log.c.detail).where(audit_log.c.action == "api.payment").order_by(audit_log.c.id)
            )
        ]
    assert details == [
        'key "ledger (write)" paid_on=2026-03-02 balance=owing',
        'key "ledger (write)" paid_on=2026-02-27 balance=settled',
    ]


async def test_a_bad_payment_is_422_with_every_reason_and_changes_nothing(sqlite_api: Api) -> None:
    api = sqlite_api  # checks before the database is asked: SQLite is enough
    await api.put("T-1", tenant())
    before = await api.counts()
    cases = {
        "a number, not a string": ({"amount": 6500.0, "paid_on": "2026-03-02"}, ["amount"]),
        "a number and a day not in the calendar": ({"amount": 6500, "paid_on": "2026-02-30"}, ["amount", "paid_on"]),
        "not an object": (["6500.00", "2026-03-02"], [None]),
        "zero and a future day": (pay("0.00", "2026-03-04"), ["amount", "paid_on"]),
        "negative, Danish form": (pay("-10", "02-03-2026"), ["amount", "paid_on"]),
        "a comma": (pay("6.500,00"), ["amount"]),
        "missing day": ({"amount": "10.00"}, ["paid_on"]),
        "empty": (pay("", ""), ["amount", "paid_on"]),
    }
    for name, (body, fields) in cases.items():
        answer = await api.post("tenants/T-1/payments", body)
        assert answer.status_code == 422, name
        assert [p["field"] for p in answer.json()["errors"]] == fields, name
    assert await api.counts() == before
    async with api.rt.db.read() as conn:
        assert (await conn.execute(select(rent_positions.c.balance_ore))).scalar_one() == 710000


async def test_a_payment_for_an_unknown_tenant_is_404(sqlite_api: Api) -> None:
    api = sqlite_api  # checks before the database is asked: SQLite is enough
    answer = await api.post("tenants/NOPE/payments", pay("10.00"))
    assert (answer.status_code, answer.json()["error"]) == (404, 'there is no tenant "NOPE"')


async def test_a_payment_to_zero_ends_the_reminder_with_thanks_and_nothing_more_is_planned(api: Api) -> None:
    # The rent due Sunday 1 March was last on time Monday 2 March: on the 3rd a tenant who owes is reminded.
    await api.put("T-1", tenant(balance="7100.00", balance_as_of="2026-03-03"))
    first = await plan_reminders(api.rt.db, api.rt.settings, api.rt.clock())
    assert len(first.rows) == 1
    await drain(api.rt.sender)
    assert len(sandbox(api.rt)["sms"].sent) == 1
    api.rt.clock.offset = datetime(2026, 3, 3, 14, 0, tzinfo=TZ) - datetime(2026, 3, 3, 10, 0, tzinfo=TZ)
    answer = await api.post("tenants/T-1/payments", pay("7100.00", "2026-03-03"))
    assert answer.json()["balance"] == "0.00"
    async with api.rt.db.read() as conn:
        conversation = (await conn.execute(select(conversations.c.active, conversations.c.ended_reason))).one()
        thanks = (await conn.execute(select(outbox.c.template).order_by(outbox.c.id.desc()).limit(1))).scalar_one()
    assert (conversation.active, conversation.ended_reason) == (False, "paid")
    assert thanks == "payment_check.paid_registered"
    again = await plan_reminders(api.rt.db, api.rt.settings, api.rt.clock())
    assert again.rows == []


async def test_an_older_balance_written_after_a_payment_does_not_undo_it(sqlite_api: Api) -> None:
    api = sqlite_api
    ledger = tenant("T-1", balance="7100.00", balance_as_of="2026-03-01")
    await api.put("T-1", ledger)
    assert (await api.post("tenants/T-1/payments", pay("7100.00"))).json()["balance"] == "0.00"
    # The ledger of 1 March again, by PUT, by bulk and by a CSV file: none of them knows of the payment.
    put = await api.put("T-1", ledger)
    assert (put.status_code, put.json()) == (
        200,
        {"tenant_ref": "T-1", "result": "unchanged", "older_balance_kept": True},
    )
    bulk = await api.post("tenants/bulk", {"tenants": [ledger]})
    assert bulk.json() == {"created": 0, "updated": 0, "unchanged": 1, "left_out": 0, "older_balances_kept": 1}
    data = b"tenant_ref,name,phone,balance,balance_as_of\nT-1,Amira Hansen,+4520123456,7100.00,2026-03-01\n"
    rows = parse_csv(data, api.rt.clock().astimezone(TZ).date(), known_languages(), ["da", "en"], "da").rows
    said = await import_tenants(api.rt.db, rows, api.rt.clock(), api.rt.settings)
    assert said.older_balances_kept == 1
    got = (await api.get("tenants/T-1")).json()
    assert (got["balance"], got["balance_as_of"]) == ("0.00", "2026-03-02")
    # A balance of the payment's day or later is the ledger's word again.
    newer = await api.put("T-1", tenant("T-1", balance="300.00", balance_as_of="2026-03-03"))
    assert newer.json()["older_balance_kept"] is False
    assert (await api.get("tenants/T-1")).json()["balance"] == "300.00"


def as_put(got: dict[str, Any]) -> dict[str, Any]:
    """The fields of a GET's answer that a PUT takes, as GET gave them."""
    return {name: value for name, value in got.items() if name in TenantIn.model_fields and value is not None}


async def test_a_payment_that_would_leave_a_credit_past_the_accepted_balance_is_422_and_get_put_round_trips(
    api: Api,
) -> None:
    """Before, payments could push the balance below -10,000,000,000.00: GET then showed a balance that a PUT of
    the same tenant was refused for (422, too large)."""
    await api.put("T-1", tenant(balance="7100.00", balance_as_of="2026-03-01"))
    first = await api.post("tenants/T-1/payments", pay("10000000000.00"))
    assert (first.status_code, first.json()["balance"]) == (200, "-9999992900.00")
    before = await api.counts()
    again = await api.post("tenants/T-1/payments", pay("7100.01", "2026-03-03"))
    assert again.status_code == 422
    assert again.json() == {
        "error": "1 problem; nothing was written",
        "errors": [
            {
                "index": None,
                "field": "amount",
                "reason": "amount 7100.01 would leave a credit of 10000000000.01, more than a balance may be "
                "(at most 10000000000.00 either way): the balance is -9999992900.00",
            }
        ],
    }
    assert await api.counts() == before  # no audit entry, no balance event
    got = (await api.get("tenants/T-1")).json()
    assert (got["balance"], got["balance_as_of"], got["last_payment_on"]) == (
        "-9999992900.00",
        "2026-03-02",
        "2026-03-02",
    )
    # Up to the limit itself a payment is taken, and the balance it leaves is one a PUT takes back as it is.
    last = await api.post("tenants/T-1/payments", pay("7100.00", "2026-03-03"))
    assert (last.status_code, last.json()["balance"]) == (200, "-10000000000.00")
    got = (await api.get("tenants/T-1")).json()
    put = await api.put("T-1", as_put(got))
    assert (put.status_code, put.json()["result"]) == (200, "unchanged")
    assert (await api.get("tenants/T-1")).json() == got
