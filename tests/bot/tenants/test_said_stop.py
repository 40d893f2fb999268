"""A number no tenant had that said STOP keeps its word when the organisation imports a tenant with it: the tenant is
stored stopped, gets no reminder, and the import says how many; START from the number before the import undoes it,
and a number that said nothing is imported as ever."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import Connection, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.console.audit import AUDIT_WORDS
from bot.console.labels import AUDIT_ACTION_LABELS
from bot.i18n import gettext, speaking
from bot.inbound import handler, processor
from bot.inbound.handler import InboundHandler, InboundRow
from bot.inbound.strangers import Stranger, stop_or_start, stranger_key
from bot.reminders import ledger
from bot.reminders.ledger import import_tenants
from bot.reminders.plan import plan_reminders
from bot.runtime import Runtime
from bot.store.schema import audit_log, outbox, tenants, unknown_senders
from bot.tenants import upsert
from bot.tenants.csv_rows import ImportRow, known_languages, parse_csv
from bot.tenants.export import audit_words
from bot.tenants.said_stop import StopsUnchecked
from bot.tenants.status import set_status
from bot.tenants.upsert import ImportSummary, preview_import
from tests.bot.api.conftest import NOW, TODAY, FixedClock
from tests.bot.tenants.test_language_choice import say
from tests.conftest import make_settings, started_runtime
from tests.support.drive import drain, sandbox

SAID = "tenant.said_stop_before"  # the audit action
SAID_STOP, SAID_NOTHING = "+4520123601", "+4520123602"
HEARD = "; 1 tenant had already said STOP from their number; they get nothing until they write START"


@pytest.fixture
async def rt(database_url: str) -> AsyncIterator[Runtime]:
    # Tuesday 3 March 2026, 10:00: the rent due on the 1st was last on time yesterday, so a reminder is due today.
    async with started_runtime(make_settings(database_url), FixedClock(NOW)) as runtime:
        yield runtime


def rows(*tenants_: tuple[str, str]) -> list[ImportRow]:
    lines = "".join(f"{ref},Amira Hansen,{phone},7100.00,{TODAY}\n" for ref, phone in tenants_)
    result = parse_csv(
        f"tenant_ref,name,phone,balance,balance_as_of\n{lines}".encode(), TODAY, known_languages(), ["da"], "da"
    )
    assert result.ok, [str(e) for e in result.errors]
    return result.rows


async def imported(rt: Runtime, *tenants_: tuple[str, str]) -> ImportSummary:
    """The dry run's report, then the import's (the same), as `keephome import` prints them."""
    preview = await preview_import(rt.db, rows(*tenants_), secret_key=rt.settings.secret_key)
    summary = await import_tenants(rt.db, rows(*tenants_), rt.clock(), rt.settings)
    assert str(preview) == str(summary)
    return summary


async def statuses(rt: Runtime) -> dict[str, str]:
    async with rt.db.read() as conn:
        return {ref: status for ref, status in await conn.execute(select(tenants.c.tenant_ref, tenants.c.status))}


async def reminded(rt: Runtime) -> list[str]:
    """Plan today's reminders and send them: the numbers that got one."""
    await plan_reminders(rt.db, rt.settings, rt.clock())
    await drain(rt.sender)
    async with rt.db.read() as conn:
        queued = (await conn.execute(select(outbox.c.tenant_id).where(outbox.c.proactive.is_(True)))).scalars().all()
        ids = {tid: phone for tid, phone in await conn.execute(select(tenants.c.id, tenants.c.phone))}
    return sorted(ids[tenant_id] for tenant_id in queued)


async def stop_kept(rt: Runtime, phone: str) -> bool:
    key = stranger_key(rt.settings.secret_key or "", "sms", phone)
    async with rt.db.read() as conn:
        found = await conn.execute(select(unknown_senders.c.stopped_at).where(unknown_senders.c.address_hash == key))
        return found.scalar_one_or_none() is not None


async def test_a_number_that_said_stop_before_it_was_imported_gets_no_reminder(rt: Runtime) -> None:
    assert await say(rt, "STOP", "SM1", SAID_STOP) == []
    summary = await imported(rt, ("T-1", SAID_STOP), ("T-2", SAID_NOTHING))
    assert str(summary) == "2 tenants: 2 new, 0 changed, 0 unchanged" + HEARD
    assert await statuses(rt) == {"T-1": "stopped", "T-2": "active"}
    assert await reminded(rt) == [SAID_NOTHING]
    assert sandbox(rt)["sms"].to(SAID_STOP) == []
    # The import's audit entry counts them, and the console's audit page says it in an admin's words.
    async with rt.db.read() as conn:
        detail = (await conn.scalars(select(audit_log.c.detail).order_by(audit_log.c.id.desc()).limit(1))).one()
    assert detail == "created=2 changed=0 unchanged=0 said_stop_before=1"
    with speaking("da"):
        worded = str(audit_words("tenants.import", detail, AUDIT_WORDS))
    assert "Lejere, der allerede havde skrevet STOP fra deres nummer (intet, før de skriver START): 1" in worded
    # And an entry about the tenant says why they hear nothing (their own export shows it).
    async with rt.db.read() as conn:
        about = (
            await conn.execute(select(audit_log.c.actor, audit_log.c.target).where(audit_log.c.action == SAID))
        ).all()
        stopped_id = (await conn.scalars(select(tenants.c.id).where(tenants.c.tenant_ref == "T-1"))).one()
    assert [tuple(entry) for entry in about] == [("system", f"tenant:{stopped_id}")]
    with speaking("da"):
        assert gettext(AUDIT_ACTION_LABELS[SAID]).startswith("en lejer blev gemt som afmeldt")
    # The STOP now lives in the tenant's status: START from them opts them in, and the next import leaves them be.
    assert not await stop_kept(rt, SAID_STOP)
    assert len(await say(rt, "START", "SM2", SAID_STOP)) == 1
    again = await imported(rt, ("T-1", SAID_STOP), ("T-2", SAID_NOTHING))
    assert str(again) == "2 tenants: 0 new, 0 changed, 2 unchanged"
    assert await statuses(rt) == {"T-1": "active", "T-2": "active"}


async def test_start_from_the_number_before_the_import_leaves_the_tenant_active(rt: Runtime) -> None:
    await say(rt, "AFMELD", "SM1", SAID_STOP)
    await say(rt, "START", "SM2", SAID_STOP)
    summary = await imported(rt, ("T-1", SAID_STOP), ("T-2", SAID_NOTHING))
    assert str(summary) == "2 tenants: 2 new, 0 changed, 0 unchanged"
    assert await statuses(rt) == {"T-1": "active", "T-2": "active"}
    assert await reminded(rt) == [SAID_STOP, SAID_NOTHING]


async def test_a_tenant_given_a_number_that_said_stop_is_stopped(rt: Runtime) -> None:
    await imported(rt, ("T-1", SAID_NOTHING))
    await say(rt, "stop", "SM1", SAID_STOP)
    summary = await imported(rt, ("T-1", SAID_STOP))
    assert str(summary) == "1 tenant: 0 new, 1 changed, 0 unchanged" + HEARD
    assert await statuses(rt) == {"T-1": "stopped"}
    assert await reminded(rt) == []


async def test_without_the_key_an_import_that_could_meet_a_kept_stop_is_refused(rt: Runtime) -> None:
    await say(rt, "STOP", "SM1", SAID_STOP)
    with pytest.raises(StopsUnchecked, match="KEEPHOME_SECRET_KEY is not set"):
        await preview_import(rt.db, rows(("T-2", SAID_NOTHING)), secret_key=None)


async def test_a_stop_from_a_number_reported_wrong_holds_for_the_tenant_it_is_given_to(rt: Runtime) -> None:
    """Whoever holds T-1's number said it is a wrong number, then STOP: the number is not T-1's, so the STOP is the
    holder's and is kept for the number. The organisation mends T-1's number, and later imports the holder as a tenant
    with it: stored stopped, no reminder."""
    await imported(rt, ("T-1", SAID_STOP))
    await say(rt, "FORKERT NUMMER", "SM1", SAID_STOP)
    await say(rt, "STOP", "SM2", SAID_STOP)
    assert await statuses(rt) == {"T-1": "wrong_number"}
    assert await stop_kept(rt, SAID_STOP)
    await imported(rt, ("T-1", SAID_NOTHING))
    summary = await imported(rt, ("T-1", SAID_NOTHING), ("T-2", SAID_STOP))
    assert str(summary) == "2 tenants: 1 new, 0 changed, 1 unchanged" + HEARD
    assert await statuses(rt) == {"T-1": "active", "T-2": "stopped"}
    assert await reminded(rt) == [SAID_NOTHING]


async def test_a_stop_kept_as_the_import_commits_stops_the_tenant_it_gave_the_number(
    rt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The STOP commits last: the import gave T-1 the number (no STOP kept yet), and the inbound path had read the
    number's holder before that committed, so it kept the STOP as a stranger's. After its commit it looks again."""
    await imported(rt, ("T-1", SAID_STOP), ("T-2", SAID_NOTHING))
    with monkeypatch.context() as unseen:
        unseen.setattr(InboundHandler, "_find_tenant", lambda *_: None)
        assert await say(rt, "STOP", "SM1", SAID_STOP) == []
    assert await statuses(rt) == {"T-1": "stopped", "T-2": "active"}
    assert not await stop_kept(rt, SAID_STOP)
    assert await reminded(rt) == [SAID_NOTHING]
    async with rt.db.read() as conn:
        about = (await conn.scalars(select(audit_log.c.target).where(audit_log.c.action == SAID))).all()
    assert len(about) == 1


def stop_after_the_read(rt: Runtime, monkeypatch: pytest.MonkeyPatch, phone: str) -> None:
    """The next write of tenants reads the numbers' STOPs before `phone` says STOP. On PostgreSQL the STOP comes
    through the inbound path and commits while the write runs (the inbound path does not wait for one); SQLite has one
    writer, so there it is kept within the write's transaction, after its read."""
    read_stops = upsert._stops_kept

    async def read_then_stop(conn: AsyncConnection, *args: object) -> dict[str, str]:
        found = await read_stops(conn, *args)  # type: ignore[arg-type]
        monkeypatch.setattr(upsert, "_stops_kept", read_stops)
        if rt.db.is_sqlite:
            key = stranger_key(rt.settings.secret_key or "", "sms", phone)

            def keep(sync: Connection) -> None:
                stop_or_start(sync, lambda: Stranger(sync, key), "sms", "STOP", ["da"], TODAY, rt.clock())

            await conn.run_sync(keep)
        else:
            assert await say(rt, "STOP", "SM-crossing", phone) == []
        return found

    monkeypatch.setattr(upsert, "_stops_kept", read_then_stop)


async def test_an_import_that_commits_after_a_stop_it_did_not_see_stores_the_tenant_stopped(
    rt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The import commits last: it read the numbers' STOPs before the STOP was kept, and gives T-1 the number."""
    stop_after_the_read(rt, monkeypatch, SAID_STOP)
    summary = await import_tenants(rt.db, rows(("T-1", SAID_STOP), ("T-2", SAID_NOTHING)), rt.clock(), rt.settings)
    assert str(summary) == "2 tenants: 2 new, 0 changed, 0 unchanged" + HEARD
    assert await statuses(rt) == {"T-1": "stopped", "T-2": "active"}
    assert not await stop_kept(rt, SAID_STOP)
    assert await reminded(rt) == [SAID_NOTHING]


async def moved_out(rt: Runtime, ref: str) -> None:
    """The adviser recorded that the tenant moved out (bot/tenants/court.py sets it through the one writer)."""
    async with rt.db.write() as conn:
        tenant_id = (await conn.scalars(select(tenants.c.id).where(tenants.c.tenant_ref == ref))).one()
        await conn.run_sync(lambda sync: set_status(sync, tenant_id, "moved_out", rt.clock()))


async def test_a_stop_given_to_a_tenant_who_moved_out_holds_when_the_person_is_a_tenant_again(rt: Runtime) -> None:
    """T-1 moved out; the organisation gives their record a number that had said STOP. They get nothing as it is,
    and the STOP stays with the number: the tenancy the person comes back with, given it, is stored stopped."""
    await imported(rt, ("T-1", SAID_NOTHING))
    await moved_out(rt, "T-1")
    await say(rt, "STOP", "SM1", SAID_STOP)
    summary = await imported(rt, ("T-1", SAID_STOP))
    assert str(summary) == "1 tenant: 0 new, 1 changed, 0 unchanged"
    assert await statuses(rt) == {"T-1": "moved_out"}
    assert await stop_kept(rt, SAID_STOP)
    back = await imported(rt, ("T-1", "+4520123609"), ("T-2", SAID_STOP))
    assert str(back) == "2 tenants: 1 new, 1 changed, 0 unchanged" + HEARD
    assert await statuses(rt) == {"T-1": "moved_out", "T-2": "stopped"}
    assert await reminded(rt) == []


async def test_start_from_a_moved_out_tenants_number_forgets_its_stop(rt: Runtime) -> None:
    """The person holding the number a moved-out tenant was given said START: the number's STOP is forgotten, so
    the tenancy they come back with is reached."""
    await imported(rt, ("T-1", SAID_NOTHING))
    await moved_out(rt, "T-1")
    await say(rt, "STOP", "SM1", SAID_STOP)
    await imported(rt, ("T-1", SAID_STOP))
    await say(rt, "START", "SM2", SAID_STOP)
    assert not await stop_kept(rt, SAID_STOP)
    back = await imported(rt, ("T-1", "+4520123609"), ("T-2", SAID_STOP))
    assert str(back) == "2 tenants: 1 new, 1 changed, 0 unchanged"
    assert await statuses(rt) == {"T-1": "moved_out", "T-2": "active"}


async def test_a_wrong_numbers_stop_kept_as_the_import_gives_the_number_on_stops_the_new_tenant(
    rt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """T-1's number was reported wrong. The import gives T-1 another number and the number to T-2, and commits while
    the inbound path, which had read T-1 as the number's holder, keeps the holder's STOP for the number: after its
    commit it looks again and finds T-2."""
    await imported(rt, ("T-1", SAID_STOP))
    await say(rt, "FORKERT NUMMER", "SM1", SAID_STOP)
    row = InboundRow(0, "sms", "SM2", SAID_STOP, "STOP", None)
    async with rt.db.read() as conn:
        read_before = await conn.run_sync(lambda sync: handler._read_tenants(sync, [row]))
    await imported(rt, ("T-1", SAID_NOTHING), ("T-2", SAID_STOP))
    with monkeypatch.context() as stale:
        stale.setattr(handler, "_read_tenants", lambda *_: read_before)
        await say(rt, "STOP", "SM2", SAID_STOP)
    assert await statuses(rt) == {"T-1": "active", "T-2": "stopped"}
    assert not await stop_kept(rt, SAID_STOP)


async def test_only_a_stop_kept_for_its_number_makes_the_processor_look_again(
    rt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The look after the commit is for a STOP kept for a number (a stranger's, a wrong number's holder's): a tenant's
    own STOP stops the tenant in the batch itself, and a transaction more for each would be work for nothing."""
    looked: list[list[str]] = []
    saved = processor.stop_holders

    def counted(conn: Connection, secret: str, phones: list[str], now: object) -> list[int]:
        looked.append(list(phones))
        return saved(conn, secret, phones, now)  # type: ignore[arg-type]

    monkeypatch.setattr(processor, "stop_holders", counted)
    await imported(rt, ("T-1", SAID_NOTHING))
    said = await say(rt, "STOP", "SM-tenant", SAID_NOTHING)
    assert len(said) == 1 and said[0].startswith("Du er nu afmeldt")
    assert await statuses(rt) == {"T-1": "stopped"}
    assert looked == []
    assert await say(rt, "STOP", "SM-stranger", SAID_STOP) == []
    assert looked == [[SAID_STOP]]


async def test_an_import_whose_look_after_its_commit_fails_is_still_done(
    rt: Runtime, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The import is committed before the look: its failure leaves the tenants imported, and the log says what was
    not done, rather than an error for an import that was made."""

    async def broken(*_: object) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(ledger, "stops_since", broken)
    summary = await import_tenants(rt.db, rows(("T-1", SAID_NOTHING)), rt.clock(), rt.settings)
    assert summary.created == 1
    assert await statuses(rt) == {"T-1": "active"}
    assert "the import was saved, but looking for a STOP said meanwhile" in caplog.text
