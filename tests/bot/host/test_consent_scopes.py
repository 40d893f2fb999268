"""The one gate (`may_share`) on SQLite and PostgreSQL: nothing goes to a recipient without a consent that names
that recipient, that case and that kind of data, and is neither withdrawn nor lapsed with its case. And the
withdrawal word through the service, while a person holds the case: two consents listed, the chosen one ended."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.host.cases import close_case, take_case
from bot.host.consents import ConsentRefused, may_share, record_consent
from bot.inbound.inbox import InboundMessage
from bot.runtime import Runtime
from bot.store.schema import consents
from tests.bot.host.conftest import START
from tests.support.console import add_case, add_person, add_tenant
from tests.support.drive import drain, process_all, sandbox

UNIT = "Aarhus Kommune, Ydelsescenter"
PHONE = "+4520000001"


async def _record(rt: Runtime, tenant_id: int, case_id: int | None, **overrides: object) -> int:
    values: dict[str, object] = {
        "tenant_id": tenant_id,
        "case_id": case_id,
        "recipient_kind": "kommune",
        "recipient": UNIT,
        "source": "Boligselskabet",
        "data_kinds": ["rent_position", "household"],
        "purpose": "hjælp til huslejen",
        "wording": None,
        "method": "signed_form",
        "recorded_by": None,
        "given_at": START,
        "now": START,
    }
    values.update(overrides)
    async with rt.db.write() as conn:
        return int(await conn.run_sync(lambda sync: record_consent(sync, **values)))  # type: ignore[arg-type]


async def _may(rt: Runtime, tenant_id: int, case_id: int, kind: str, recipient: str | None, data: str) -> bool:
    async with rt.db.read() as conn:
        return bool(await conn.run_sync(may_share, tenant_id, case_id, kind, recipient, data, START))


async def test_sharing_needs_the_matching_recipient_case_and_kind(rt: Runtime) -> None:
    tenant_id = await add_tenant(rt, "R-1")
    other_tenant = await add_tenant(rt, "R-2", phone="+4520000002")
    case_id = await add_case(rt, tenant_id, consent=False)
    other_case = await add_case(rt, other_tenant, consent=False)
    assert not await _may(rt, tenant_id, case_id, "kommune", UNIT, "rent_position")  # no consent at all

    await _record(rt, tenant_id, case_id)
    assert await _may(rt, tenant_id, case_id, "kommune", UNIT, "rent_position")
    assert await _may(rt, tenant_id, case_id, "kommune", "  aarhus kommune,  YDELSESCENTER ", "household")
    assert not await _may(rt, tenant_id, case_id, "kommune", UNIT, "contact")  # a kind the consent does not name
    assert not await _may(rt, tenant_id, case_id, "kommune", "Aarhus Kommune, Jobcenter", "rent_position")
    assert not await _may(rt, tenant_id, case_id, "volunteer_org", UNIT, "rent_position")
    assert not await _may(rt, tenant_id, other_case, "kommune", UNIT, "rent_position")  # another case
    assert not await _may(rt, other_tenant, other_case, "kommune", UNIT, "rent_position")
    # Before it was given it covered nothing.
    async with rt.db.read() as conn:
        earlier = await conn.run_sync(
            may_share, tenant_id, case_id, "kommune", UNIT, "rent_position", START - timedelta(minutes=1)
        )
    assert not earlier


async def test_a_withdrawn_consent_covers_nothing(rt: Runtime) -> None:
    from bot.host.consents import withdraw_consent

    tenant_id = await add_tenant(rt, "R-1")
    case_id = await add_case(rt, tenant_id, consent=False)
    consent_id = await _record(rt, tenant_id, case_id)
    async with rt.db.write() as conn:
        assert await conn.run_sync(withdraw_consent, consent_id, START)
        assert not await conn.run_sync(withdraw_consent, consent_id, START)  # once
    assert not await _may(rt, tenant_id, case_id, "kommune", UNIT, "rent_position")


async def test_the_same_consent_recorded_twice_is_one_which_one_withdrawal_ends(rt: Runtime) -> None:
    """A double click on the form: one consent, so withdrawing it leaves nothing shared; another kind of data or
    another recipient is a consent of its own."""
    from bot.host.consents import withdraw_consent

    tenant_id = await add_tenant(rt, "R-1")
    case_id = await add_case(rt, tenant_id, consent=False)
    first = await _record(rt, tenant_id, case_id)
    assert await _record(rt, tenant_id, case_id, data_kinds=["household", "rent_position"]) == first
    assert await _record(rt, tenant_id, case_id, data_kinds=["rent_position"]) != first
    assert await _record(rt, tenant_id, case_id, recipient="Aarhus Kommune, Jobcenter") != first
    async with rt.db.write() as conn:
        assert await conn.run_sync(withdraw_consent, first, START)
    assert not await _may(rt, tenant_id, case_id, "kommune", UNIT, "household")
    assert await _record(rt, tenant_id, case_id) != first  # given again after the withdrawal: a new consent


async def test_a_kommune_consent_lapses_when_its_case_closes_a_volunteer_one_does_not(rt: Runtime) -> None:
    tenant_id = await add_tenant(rt, "R-1")
    case_id = await add_case(rt, tenant_id, consent=False)
    staff_id = await add_person(rt, "adviser@example.org", "adviser")
    kommune = await _record(rt, tenant_id, case_id)
    volunteers = await _record(rt, tenant_id, case_id, recipient_kind="volunteer_org", recipient="Dansk Folkehjælp")
    async with rt.db.write() as conn:
        await take_case(conn, case_id, staff_id, START)
        await close_case(conn, case_id, staff_id, "kommune", None, START)
    async with rt.db.read() as conn:
        ended = {r.id: r for r in (await conn.execute(select(consents))).all()}
    assert (ended[kommune].ended_reason, ended[kommune].withdrawn_at is not None) == ("case_closed", True)
    assert ended[volunteers].withdrawn_at is None
    assert not await _may(rt, tenant_id, case_id, "kommune", UNIT, "rent_position")
    # A closed case shares nothing with anyone, even by a consent that stands.
    assert not await _may(rt, tenant_id, case_id, "volunteer_org", "Dansk Folkehjælp", "rent_position")


async def test_oral_consent_is_only_for_the_organisation_s_own_advice(rt: Runtime) -> None:
    tenant_id = await add_tenant(rt, "R-1")
    case_id = await add_case(rt, tenant_id, consent=False)
    for kind in ("kommune", "volunteer_org"):
        with pytest.raises(ConsentRefused):
            await _record(rt, tenant_id, case_id, method="oral", recipient_kind=kind)
    with pytest.raises(ConsentRefused):  # a consent to share names its case
        await _record(rt, tenant_id, None)
    await _record(rt, tenant_id, case_id, method="oral", recipient_kind="organisation", recipient=None, data_kinds=[])
    assert await _may(rt, tenant_id, case_id, "organisation", None, "conversation")
    async with rt.db.read() as conn:
        scopes = [(r.scope, r.method) for r in (await conn.execute(select(consents).order_by(consents.c.id))).all()]
    assert scopes == [("adviser", "oral")]


async def test_the_withdrawal_word_lists_the_consents_and_ends_the_chosen_one_while_the_case_is_held(
    rt: Runtime,
) -> None:
    tenant_id = await add_tenant(rt, "R-1", phone=PHONE)
    case_id = await add_case(rt, tenant_id, consent=True)  # the organisation's own
    staff_id = await add_person(rt, "adviser@example.org", "adviser")
    async with rt.db.write() as conn:
        await take_case(conn, case_id, staff_id, START)
    await _record(rt, tenant_id, case_id)
    await _record(rt, tenant_id, case_id, recipient="Aarhus kommune,  ydelsescenter")  # the same unit, spelt apart

    for n, text in enumerate(("TILBAGEKALD", "2"), start=1):
        await rt.inbox.submit(InboundMessage("sms", f"SM-{n}", PHONE, text))
        await process_all(rt.processor)
    await drain(rt.sender)

    listed, confirmed = (m.text for m in sandbox(rt)["sms"].to(PHONE))
    assert "1: rådgiverne hos Boligselskabet" in listed and "2: kommunen" in listed  # by SMS: its kind, no name
    assert "3:" not in listed  # one recipient, listed once
    assert "til kommunen" in confirmed and UNIT not in listed + confirmed
    async with rt.db.read() as conn:
        found = [
            (r.scope, r.withdrawn_at is not None)
            for r in (await conn.execute(select(consents).order_by(consents.c.id))).all()
        ]
    assert found == [("adviser", False), ("share", True), ("share", True)]
