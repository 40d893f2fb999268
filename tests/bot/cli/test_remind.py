"""`keephome remind`: CSV and table output, dry runs for any day, real planning only for today."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, func, insert, select, update

from bot.cli.main import main
from bot.cli.remind import run_remind
from bot.i18n import speaking
from bot.reminders.plan_state import last_plan, plan_state
from bot.settings import Settings
from bot.store.db import Database
from bot.store.flags import PAUSED, write_flag
from bot.store.schema import cases, messages, outbox, planned_reminders
from bot.tenants.status import set_status
from tests.conftest import make_settings
from tests.support.helpers import add_tenant
from tests.support.schema import migrated

TZ = ZoneInfo("Europe/Copenhagen")
DAY = date(2026, 3, 3)
NOW = datetime(2026, 3, 3, 10, 0, tzinfo=TZ)


async def _tenants(settings: Settings) -> None:
    db = Database(settings.database_url)
    await migrated(db)
    try:
        await add_tenant(db, "T-missed", name="Test Lejer", balance_ore=500_000, balance_as_of=DAY)
        await add_tenant(
            db,
            "T-tg",
            name="Test Lejer",
            phone="+4520000009",
            chat_id=42,
            balance_ore=500_000,
            balance_as_of=DAY,
            court_date=date(2026, 3, 20),
        )
        await add_tenant(db, "T-paid", name="Test Lejer", phone="+4520000008", balance_as_of=DAY)
    finally:
        await db.dispose()


async def _count(settings: Settings, table: object) -> int:
    db = Database(settings.database_url)
    try:
        async with db.read() as conn:
            return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())  # type: ignore[arg-type]
    finally:
        await db.dispose()


def with_channels(settings: Settings, **overrides: object) -> Settings:
    """The same database, with Twilio and Telegram configured (nothing is sent: these commands only plan)."""
    return make_settings(
        settings.database_url,
        twilio_account_sid="AC0123",
        twilio_auth_token="token",
        twilio_from="+4570102030",
        telegram_token="123:abc",
        telegram_secret="secret-token",
        **overrides,
    )


async def test_csv_lists_who_gets_which_stage_on_which_channel(settings: Settings) -> None:
    await _tenants(settings)
    out = io.StringIO()
    assert await run_remind(with_channels(settings), DAY, True, True, out, now=NOW) == 0
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert {"tenant_ref", "stage", "channel", "reason"} <= set(rows[0])
    found = {r["tenant_ref"]: (r["stage"], r["channel"]) for r in rows}
    assert found == {"T-tg": ("court", "telegram"), "T-missed": ("missed", "sms")}
    # Without a configured channel the same reminders would wait for one.
    bare = io.StringIO()
    assert await run_remind(settings, DAY, True, True, bare, now=NOW) == 0
    assert {r["channel"] for r in csv.DictReader(io.StringIO(bare.getvalue()))} == {"none"}
    missed = next(r for r in rows if r["tenant_ref"] == "T-missed")
    assert "due_date=2026-03-01" in missed["computed_from"]
    assert "last on-time day 2026-03-02" in missed["reason"]
    assert await _count(settings, planned_reminders) == 0  # a dry run records nothing


async def test_table_for_another_day_in_a_dry_run(settings: Settings) -> None:
    await _tenants(settings)
    out = io.StringIO()
    assert await run_remind(with_channels(settings), DAY, True, False, out, now=NOW - timedelta(days=2)) == 0
    text = out.getvalue()
    assert "dry run" in text
    lines = text.splitlines()
    assert lines[1].split() == ["tenant_ref", "stage", "channel", "send", "after", "reason"]
    assert set(lines[2]) == {"-", " "}
    row = next(line for line in lines if line.startswith("T-missed"))
    assert row.split()[:5] == ["T-missed", "missed", "sms", "2026-03-03", "09:00"]
    assert "rent due 2026-03-01, last on-time day 2026-03-02" in row
    # Columns line up under the header, and no line is wider than the widest row needs.
    assert row.index(" missed") + 1 == lines[1].index("stage")
    assert max(len(line) for line in lines[1:4]) < 140
    assert "3 tenants considered" in text


async def test_real_planning_for_another_day_is_refused(settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    await _tenants(settings)
    out = io.StringIO()
    assert await run_remind(settings, DAY + timedelta(days=1), False, False, out, now=NOW) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "only for today" in err and "--dry-run" in err
    assert out.getvalue() == ""
    assert await _count(settings, planned_reminders) == 0


async def test_real_planning_today_records_and_queues_once(settings: Settings) -> None:
    await _tenants(settings)
    out = io.StringIO()
    assert await run_remind(with_channels(settings), None, False, False, out, now=NOW) == 0
    assert "planned for 2026-03-03: 2 new" in out.getvalue()
    assert "They are queued; the running service sends each one from its send-after time." in out.getvalue()
    assert "Waiting for a channel" not in out.getvalue()
    again = io.StringIO()
    assert await run_remind(with_channels(settings), None, False, False, again, now=NOW) == 0
    assert "2 new" not in again.getvalue() and "(no reminders)" in again.getvalue()
    assert await _count(settings, planned_reminders) == 2
    assert await _count(settings, outbox) == 2


async def test_a_plan_made_by_hand_is_recorded_as_the_days_plan(settings: Settings) -> None:
    """`keephome remind` planning for real records the day as the scheduler does: the admin page says today was
    planned, and the scheduler's catch-up does not plan it again. A dry run records nothing."""
    await _tenants(settings)
    db = Database(settings.database_url)
    try:
        assert await run_remind(with_channels(settings), None, True, False, io.StringIO(), now=NOW) == 0
        async with db.read() as conn:
            assert await conn.run_sync(last_plan) is None
        assert await run_remind(with_channels(settings), None, False, False, io.StringIO(), now=NOW) == 0
        async with db.read() as conn:
            record = await conn.run_sync(last_plan)
    finally:
        await db.dispose()
    assert record is not None and (record.day, record.at) == (DAY, NOW)
    assert plan_state(record, NOW, "Europe/Copenhagen", 9).state == "late"


async def test_without_a_channel_the_planned_reminders_are_said_to_wait_for_one(settings: Settings) -> None:
    # Neither Twilio nor Telegram configured: each row is on channel "none", and neither the note under the table
    # nor the tally says it is queued to go; the API's reminders say the same (tests/bot/api/test_tenants.py).
    await _tenants(settings)
    out = io.StringIO()
    assert await run_remind(settings, None, False, False, out, now=NOW) == 0
    text = out.getvalue()
    rows = {line.split()[0]: line.split()[2] for line in text.splitlines() if line.startswith("T-")}
    assert rows == {"T-missed": "none", "T-tg": "none"}
    assert "queued" not in text and "going out now" not in text
    assert "Waiting for a channel: 2 (channel none), as no configured channel reaches the tenant." in text
    tally = [" ".join(line.split()) for line in text.split("what became of them so far:")[1].splitlines()]
    assert "waiting 2 (2 no channel can send it yet)" in tally


async def test_with_telegram_only_the_sms_tenants_reminder_waits_and_the_other_is_queued(settings: Settings) -> None:
    await _tenants(settings)
    telegram_only = make_settings(settings.database_url, telegram_token="123:abc", telegram_secret="secret-token")
    out = io.StringIO()
    assert await run_remind(telegram_only, None, False, False, out, now=NOW) == 0
    text = out.getvalue()
    rows = {line.split()[0]: line.split()[2] for line in text.splitlines() if line.startswith("T-")}
    assert rows == {"T-missed": "none", "T-tg": "telegram"}
    assert "Those on a channel are queued; the running service sends each one from its send-after time." in text
    assert "Waiting for a channel: 1 (channel none)" in text
    tally = [" ".join(line.split()) for line in text.split("what became of them so far:")[1].splitlines()]
    assert "waiting 2 (1 no channel can send it yet; 1 queued, going out now)" in tally


def test_the_command_line_refuses_a_real_run_for_another_day(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KEEPHOME_DATABASE_URL", settings.database_url)
    assert main(["remind", "--date", "2000-01-01"]) == 2
    assert "only for today" in capsys.readouterr().err


async def _fates_world(settings: Settings) -> dict[str, int]:
    """Seven tenants due a `missed` reminder today and one whose court date is known while an adviser holds
    their case (a reminder is planned, but no question goes out)."""
    db = Database(settings.database_url)
    await migrated(db)
    ids: dict[str, int] = {}
    try:
        for n in range(1, 8):
            ids[f"T-{n}"] = await add_tenant(
                db, f"T-{n}", name="Test Lejer", phone=f"+452000001{n}", balance_ore=500_000, balance_as_of=DAY
            )
        held = await add_tenant(
            db,
            "T-held",
            name="Test Lejer",
            phone="+4520000020",
            balance_ore=900_000,
            balance_as_of=DAY,
            court_date=date(2026, 3, 20),
        )
        ids["T-held"] = held
        async with db.write() as conn:
            await conn.execute(
                insert(cases).values(
                    tenant_id=held,
                    status="taken",
                    origin="handoff",
                    reason="talking",
                    priority=0,
                    consented=True,
                    opened_at=NOW,
                    updated_at=NOW,
                )
            )
    finally:
        await db.dispose()
    return ids


async def _befall(settings: Settings, ids: dict[str, int]) -> None:
    """What the sender, the carriers and the rules did to the questions since: one of each."""
    db = Database(settings.database_url)
    try:
        async with db.write() as conn:
            question = {
                ref: (
                    await conn.execute(select(outbox.c.id, outbox.c.message_id).where(outbox.c.tenant_id == tenant))
                ).one()
                for ref, tenant in ids.items()
                if ref != "T-held"
            }

            async def mark(
                ref: str, state: str, status: str, error: str | None = None, code: str | None = None
            ) -> None:
                row = question[ref]
                await conn.execute(update(outbox).where(outbox.c.id == row.id).values(state=state, last_error=error))
                await conn.execute(
                    update(messages).where(messages.c.id == row.message_id).values(status=status, error_code=code)
                )

            await mark("T-1", "sent", "delivered")
            await mark("T-2", "sent", "sent")
            await mark("T-3", "sent", "undelivered", code="30003")
            await mark("T-5", "dropped", "dropped", "stage passed")
            await mark("T-6", "waiting", "waiting", "no channel")
            # A dropped reminder's planned row is forgotten (bot/reminders/recheck.py); its question still counts.
            await conn.execute(delete(planned_reminders).where(planned_reminders.c.tenant_id == ids["T-5"]))
        await db.run(set_status, ids["T-4"], "stopped", NOW)  # an opt-out holds the queued question
    finally:
        await db.dispose()


async def test_a_dry_run_after_planning_says_what_became_of_the_day_and_it_adds_up(settings: Settings) -> None:
    ids = await _fates_world(settings)
    settings = with_channels(settings)  # the question that waits for a channel waited before Twilio was set up
    planned = io.StringIO()
    assert await run_remind(settings, None, False, False, planned, now=NOW) == 0
    assert "planned for 2026-03-03: 8 new" in planned.getvalue()
    assert "Reminders planned on 2026-03-03: 8, and what became of them so far:" in planned.getvalue()
    await _befall(settings, ids)
    out = io.StringIO()
    with speaking("da"):  # the console's language, whatever it is, is not the command's
        assert await run_remind(settings, None, True, False, out, now=NOW + timedelta(minutes=5)) == 0
    lines = out.getvalue().splitlines()
    start = lines.index("Reminders planned on 2026-03-03: 8, and what became of them so far:")
    tally = [" ".join(line.split()) for line in lines[start + 1 : start + 8]]
    assert tally == [
        "sent 2 (1 delivered)",
        "waiting 2 (1 no channel can send it yet; 1 queued, going out now)",
        "held 1 (1 the tenant opted out (STOP))",
        "dropped 1 (1 its moment on the rent timeline had passed before it could go out)",
        "failed 1 (1 the phone was off or out of reach (error 30003))",
        "no message 1 (1 a person holds the tenant's case)",
        "2 sent + 2 waiting + 1 held + 1 dropped + 1 failed + 1 no message = 8 planned",
    ]
    counts = [int(part.split()[0]) for part in tally[-1].split("=")[0].split("+")]
    assert sum(counts) == 8 == len(ids)


async def test_planned_late_in_the_evening_the_tally_says_which_morning(settings: Settings) -> None:
    await _tenants(settings)
    out = io.StringIO()
    with speaking("da"):
        assert (
            await run_remind(with_channels(settings), None, False, False, out, now=NOW.replace(hour=23, minute=45)) == 0
        )
    tally = out.getvalue().split("what became of them so far:")[1]
    assert "(2 queued until 2026-03-04 09:00)" in tally, tally


async def test_no_tally_for_a_day_nothing_was_planned_on(settings: Settings) -> None:
    await _tenants(settings)
    out = io.StringIO()
    assert await run_remind(settings, DAY, True, False, out, now=NOW) == 0
    assert "what became of them" not in out.getvalue()


async def _pause(settings: Settings, value: str) -> None:
    db = Database(settings.database_url)
    try:
        async with db.write() as conn:
            await conn.run_sync(write_flag, PAUSED, value, NOW)  # what the console's switch stores
    finally:
        await db.dispose()


def _tally(text: str) -> list[str]:
    return [" ".join(line.split()) for line in text.split("what became of them so far:")[1].splitlines()]


async def test_while_sending_is_paused_a_real_run_and_a_dry_run_say_so_before_the_sender_looks(
    database_url: str,
) -> None:
    """Paused from the console (or by KEEPHOME_PAUSED), the reminders a run plans wait, and both the run and a dry run
    right after say so: not "going out now", before the sender has set them aside."""
    settings = with_channels(make_settings(database_url))
    await _tenants(settings)
    await _pause(settings, "1")
    out = io.StringIO()
    assert await run_remind(settings, None, False, False, out, now=NOW) == 0
    text = out.getvalue()
    assert "going out now" not in text and "the running service sends each one" not in text
    assert "Sending is paused (the console's switch or KEEPHOME_PAUSED): none of them goes out while it is" in text
    assert "waiting 2 (2 sending is paused)" in _tally(text)
    dry = io.StringIO()
    assert await run_remind(settings, None, True, False, dry, now=NOW) == 0
    assert "waiting 2 (2 sending is paused)" in _tally(dry.getvalue())
    # The setting pauses as the switch does; resumed, they go out now.
    await _pause(settings, "0")
    by_setting = with_channels(settings, paused=True)
    assert "waiting 2 (2 sending is paused)" in _tally(await _dry_run(by_setting))
    assert "waiting 2 (2 queued, going out now)" in _tally(await _dry_run(settings))


async def test_while_paused_reminders_planned_late_in_the_evening_say_their_morning_and_the_pause(
    database_url: str,
) -> None:
    """Planned at 23:45 while paused, the reminders are queued until 09:00 the next morning: the tally says that time
    and that they go then only if sending is resumed by then, not only that sending is paused."""
    settings = with_channels(make_settings(database_url))
    await _tenants(settings)
    await _pause(settings, "1")
    out = io.StringIO()
    assert await run_remind(settings, None, False, False, out, now=NOW.replace(hour=23, minute=45)) == 0
    tally = " ".join(_tally(out.getvalue()))
    assert (
        "(2 queued until 2026-03-04 09:00, sending is paused now: it goes then only if sending is resumed by then)"
        in tally
    ), tally


async def _dry_run(settings: Settings) -> str:
    out = io.StringIO()
    assert await run_remind(settings, None, True, False, out, now=NOW) == 0
    return out.getvalue()
