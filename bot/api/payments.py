"""`POST /tenants/{tenant_ref}/payments`: a payment lowers the balance; at 0 the reminders stop the same day.

The amount and the day are checked by the CSV import's field rules (money with a decimal point, a real date,
not in the future). The balance goes down by the amount (below 0 is a credit, no larger than a balance may be: a
payment that would leave more is a 422, so GET's balance can always be PUT back), `last_payment_on` and
`balance_as_of` move to the payment's day when it is later, and a tenant whose balance is now settled is
handled as an import that shows it settled (`bot/reminders/ledger.py`): what the tenant said (a promise, "I
have paid") is cleared, and a waiting reminder conversation ends (`balance_updated`), in the same
transaction as the audit entry and the Idempotency-Key's answer.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import case, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.api.errors import ApiError, Problem, from_row_errors, no_tenant
from bot.api.idempotency import Answer, claim
from bot.api.models import Misfit, PaymentIn, PaymentOut, money, problems_found
from bot.api.tenants import Write, rules_for
from bot.reminders.timers import balance_updated
from bot.settings import Settings
from bot.store.audit import record_entry
from bot.store.db import Database
from bot.store.schema import rent_positions, tenants
from bot.tenants.csv_rows import MAX_AMOUNT, MAX_ORE, FieldError, FieldReader, RowRules
from bot.tenants.upsert import balance_event, record_balances

__all__ = ["record_payment"]


def _checked(body: PaymentIn | Misfit, rules: RowRules) -> tuple[int, date]:
    """The amount in øre and the day; 422 naming every bad field, a wrong JSON type or a wrong value."""
    if isinstance(body, Misfit):
        problems, fitting = body.problems, body.fitting or {}
    else:
        problems, fitting = [], {"amount": body.amount, "paid_on": body.paid_on}
    refused = {p["field"] for p in problems} if fitting else {"amount", "paid_on"}
    read = FieldReader(0, {name: str(fitting.get(name, "")) for name in ("amount", "paid_on")})

    def positive(column: str, raw: str) -> int:
        ore = rules.amount(column, raw)
        if ore is None:
            raise FieldError(f"{column} is empty")
        if ore <= 0:
            raise FieldError(f"{column} {raw} must be more than 0")
        return ore

    def paid_day(column: str, raw: str) -> date:
        if not raw:
            raise FieldError(f"{column} is empty")
        found = rules.past_day(column, raw)  # a real date, not in the future
        assert found is not None  # the cell is not empty
        return found

    amount = read.get("amount", positive, 0)
    paid_on = read.get("paid_on", paid_day, rules.today)
    problems += [p for p in from_row_errors(read.errors, indexed=False) if p["field"] not in refused]
    if problems:
        raise ApiError(422, problems_found(len(problems)), problems)
    return amount, paid_on


async def _refused(conn: AsyncConnection, tenant_id: int | None, amount: int, tenant_ref: str) -> ApiError:
    """Why a payment changed nothing: 404 for no such tenant, 422 for one it would leave a credit larger than a
    balance may be (a CSV row or a PUT with that balance would be refused, so GET's balance could not be PUT back)."""
    balance = None
    if tenant_id is not None:
        query = select(rent_positions.c.balance_ore).where(rent_positions.c.tenant_id == tenant_id)
        balance = (await conn.execute(query)).scalar()
    if balance is None:
        return no_tenant(tenant_ref)
    reason = (
        f"amount {money(amount)} would leave a credit of {money(amount - balance)}, more than a balance may be "
        f"(at most {MAX_AMOUNT} either way): the balance is {money(balance)}"
    )
    return ApiError(422, problems_found(1), [Problem(reason, "amount")])


async def record_payment(
    db: Database, settings: Settings, req: Write, tenant_ref: str, body: PaymentIn | Misfit
) -> Answer:
    """Lower the tenant's balance by the payment and answer with the balance it leaves (200)."""
    amount, paid_on = _checked(body, rules_for(settings, req.now))
    rp = rent_positions.c
    async with db.write() as conn:
        held = await claim(conn, req.caller.key_id, req.idempotency_key, req.fingerprint, req.now)
        if isinstance(held, Answer):
            return held
        tenant_id = (
            await conn.execute(
                select(tenants.c.id).where(tenants.c.tenant_ref == tenant_ref, tenants.c.status != "erased")
            )
        ).scalar()
        left = rp.balance_ore - amount
        position = None
        if tenant_id is not None:
            position = (
                await conn.execute(
                    update(rent_positions)
                    # Not past the largest credit a balance may be (`_refused`).
                    .where(rp.tenant_id == tenant_id, left >= -MAX_ORE)
                    .values(
                        balance_ore=left,
                        balance_as_of=case((rp.balance_as_of < paid_on, paid_on), else_=rp.balance_as_of),
                        last_payment_on=case(
                            (rp.last_payment_on.is_(None) | (rp.last_payment_on < paid_on), paid_on),
                            else_=rp.last_payment_on,
                        ),
                        # What the tenant said stands only until the ledger shows the balance settled.
                        promise_on=case((left <= 0, None), else_=rp.promise_on),
                        paid_claim_until=case((left <= 0, None), else_=rp.paid_claim_until),
                        updated_at=req.now,
                    )
                    .returning(rp.balance_ore, rp.balance_as_of, rp.last_payment_on)
                )
            ).first()
        if tenant_id is None or position is None:
            raise await _refused(conn, tenant_id, amount, tenant_ref)
        balance, as_of, last = int(position[0]), position[1], position[2]
        # The balance history the outcome page reads (did a reminded tenant's balance reach 0, and when).
        await conn.run_sync(record_balances, [balance_event(tenant_id, balance, as_of, req.now, "payment")])
        if balance <= 0:
            await conn.run_sync(balance_updated, [tenant_id], req.now, settings)
        out = PaymentOut(
            tenant_ref=tenant_ref,
            amount=money(amount),
            paid_on=paid_on,
            balance=money(balance),
            balance_as_of=as_of,
            last_payment_on=last,
        )
        answer = Answer(200, out.model_dump(mode="json"))
        # As `key=value`s the audit page says in the reader's words (bot/tenants/export.py, `audit_words`).
        state = "settled" if balance <= 0 else "owing"
        await record_entry(
            conn,
            at=req.now,
            actor=req.caller.actor,
            action="api.payment",
            target=f"tenant:{tenant_id}",
            detail=f'key "{req.caller.name}" paid_on={paid_on.isoformat()} balance={state}'[:500],
        )
        if held is not None:
            await held.remember(conn, answer.status, answer.body)
    return answer
