"""The demo's clock panel: move to a day, preview who that day would remind, then plan it for real."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from bot.app import create_app
from bot.demo.data import Seeded, seed_demo
from bot.demo.simulator import restore_clock
from bot.inbound.inbox import InboundMessage
from bot.outbox.enqueue import enqueue
from bot.reminders.jobs import JobServices, catch_up
from bot.runtime import Clock, Runtime
from bot.settings import Settings
from bot.store.scene import Scene
from bot.store.schema import messages, planned_reminders, rent_positions, tenants
from bot.tenants.erase import erase
from tests.conftest import make_settings, started_runtime
from tests.support.drive import drain, process_all

SEEDED = date(2026, 3, 3)
SEEDED_AT = datetime(2026, 3, 3, 7, 0, tzinfo=UTC)


class SeededClock(Clock):
    """The real time stands still on the seeded morning; the demo's clock moves from it."""

    def __call__(self) -> datetime:
        return SEEDED_AT + self.offset


ARABIC = re.compile("[\u0600-\u06ff]")


@pytest.fixture
async def demo(settings: Settings) -> AsyncIterator[tuple[Runtime, httpx.AsyncClient]]:
    async with started_runtime(settings, SeededClock()) as rt:
        rt.demo = True
        await seed_demo(rt.db, SEEDED, SEEDED_AT)
        transport = httpx.ASGITransport(app=create_app(rt))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as client:
            yield rt, client


async def planned(rt: Runtime) -> int:
    async with rt.db.read() as conn:
        return int((await conn.execute(select(func.count()).select_from(planned_reminders))).scalar_one())


async def move(client: httpx.AsyncClient, day: str) -> None:
    response = await client.post("/simulator/api/clock", json={"date": day})
    assert response.status_code == 200
    assert response.json()["day"] == day


async def test_the_tenant_list_shows_each_tenants_stage(demo: tuple[Runtime, httpx.AsyncClient]) -> None:
    _, client = demo
    await move(client, "2026-03-03")
    stages = {t["name"]: t["stage"] for t in (await client.get("/simulator/api/tenants")).json()}
    assert stages["Anna Eksempel"] == "paid up"
    assert stages["Dorte Opdigtet"] == "påkrav, deadline in 7 days"
    assert stages["Erik Fiktiv"] == "påkrav, deadline in 1 day"
    assert stages["Robin Placeholder"] == "court date 17 Mar 2026"
    assert stages["Hans Prøve"] == "promised to pay on 5 Mar 2026"
    assert stages["Carl Testesen"] == "owes rent"


async def test_preview_shows_the_day_and_plans_nothing(demo: tuple[Runtime, httpx.AsyncClient]) -> None:
    rt, client = demo
    await move(client, "2026-03-03")
    body = (await client.get("/simulator/api/preview")).json()
    assert (
        body["day"] == "2026-03-03" and body["day_words"] == "3 Mar 2026"
    )  # the heading's day, as the page writes one
    stages = sorted(row["stage"] for row in body["would_plan"])
    assert stages == ["before_due", "court", "court", "demand", "demand", "demand", "missed", "missed"]
    assert all(row["channel"] == "sms" and row["reason"] for row in body["would_plan"])
    # Written as the console writes a moment: the clock's 10:00 on the day moved to, the day the Danish way.
    assert {row["send_after"] for row in body["would_plan"]} == {"3 Mar 2026 10:00"}
    assert await planned(rt) == 0
    planned_now = (await client.post("/simulator/api/remind")).json()
    assert sorted(row["tenant"] for row in planned_now["planned"]) == sorted(r["tenant"] for r in body["would_plan"])
    assert await planned(rt) == 8
    assert (await client.get("/simulator/api/preview")).json()["would_plan"] == []


async def test_a_later_day_brings_that_days_reminders(demo: tuple[Runtime, httpx.AsyncClient]) -> None:
    rt, client = demo
    await move(client, "2026-03-06")
    body = (await client.get("/simulator/api/preview")).json()
    # Thursday 5 March was promised; the promise is checked the next hverdag, Friday 6 March.
    assert ("DEMO-11", "promise_check") in {(r["tenant"], r["stage"]) for r in body["would_plan"]}
    # Nine days after seeding the ledger is kept fresh, as a daily import would: the court date still counts.
    await move(client, "2026-03-12")
    body = (await client.get("/simulator/api/preview")).json()
    assert ("DEMO-09", "court") in {(r["tenant"], r["stage"]) for r in body["would_plan"]}
    assert await planned(rt) == 0


async def test_a_tenant_whose_language_is_off_reads_danish(demo: tuple[Runtime, httpx.AsyncClient]) -> None:
    rt, client = demo
    await move(client, "2026-03-03")
    await client.post("/simulator/api/remind")
    await drain(rt.sender)
    layla = next(t for t in (await client.get("/simulator/api/tenants")).json() if t["name"] == "Layla Demo")
    assert layla["language"] == "da"  # KEEPHOME_LANGUAGES=da,en: Arabic is off, its texts unreviewed
    assert layla["language_words"] == "Danish"  # as the case page names it, not the code
    thread = (await client.get(f"/simulator/api/thread?tenant={layla['id']}&channel=sms")).json()["messages"]
    texts = [m["text"] for m in thread if m["dir"] == "out"]
    assert texts and "Boligselskabet" in texts[0] and not ARABIC.search(" ".join(texts))


async def test_the_chosen_day_is_the_day_previewed_and_planned(demo: tuple[Runtime, httpx.AsyncClient]) -> None:
    rt, client = demo
    await move(client, "2026-03-03")
    body = (await client.get("/simulator/api/preview?date=2026-03-06")).json()
    assert body["day"] == "2026-03-06"  # not the clock's day: the clock goes to the chosen one
    assert ("DEMO-11", "promise_check") in {(r["tenant"], r["stage"]) for r in body["would_plan"]}
    assert (await client.get("/simulator/api/clock")).json()["day"] == "2026-03-06"
    planned_now = (await client.post("/simulator/api/remind?date=2026-03-09")).json()
    assert planned_now["day"] == "2026-03-09"
    assert await planned(rt) == len(planned_now["planned"]) > 0
    # Recorded as the morning's plan is: a restart that day finds it done and does not plan it again.
    jobs = JobServices(rt.db, rt.settings, rt.clock, rt.sender.wake)
    assert await catch_up(jobs) is False


async def balances_as_of(rt: Runtime) -> set[date]:
    async with rt.db.read() as conn:
        query = select(rent_positions.c.balance_as_of).join(tenants, tenants.c.id == rent_positions.c.tenant_id)
        return set((await conn.execute(query)).scalars())


async def test_the_clock_stays_near_today_and_leaves_no_later_day_behind(
    demo: tuple[Runtime, httpx.AsyncClient],
) -> None:
    rt, client = demo
    for far in ("2020-01-01", "2099-12-31", "2026-01-31", "2026-06-02"):
        refused = await client.post("/simulator/api/clock", json={"date": far})
        assert refused.status_code == 422 and "1 Feb 2026" in refused.json()["error"], far
        assert "1 Jun 2026" in refused.json()["error"]
        assert (await client.get(f"/simulator/api/preview?date={far}")).status_code == 422
    assert (await client.get("/simulator/api/clock")).json()["day"] == "2026-03-03"
    page = (await client.get("/simulator")).text
    assert 'min="2026-02-01" max="2026-06-01"' in page
    await move(client, "2026-06-01")
    assert await balances_as_of(rt) == {date(2026, 6, 1)}
    await move(client, "2026-03-03")
    assert await balances_as_of(rt) == {SEEDED}  # "saldo pr." never shows the day the clock came back from


async def test_a_deadline_today_says_today(demo: tuple[Runtime, httpx.AsyncClient]) -> None:
    _, client = demo
    await move(client, "2026-03-04")  # Erik's påkrav deadline
    stages = {t["name"]: t["stage"] for t in (await client.get("/simulator/api/tenants")).json()}
    assert stages["Erik Fiktiv"] == "påkrav, deadline today"


async def test_after_a_restart_the_phones_and_the_clock_are_as_they_were(settings: Settings) -> None:
    async with started_runtime(settings, SeededClock()) as rt:
        rt.demo = True
        await seed_demo(rt.db, SEEDED, SEEDED_AT)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(rt)), base_url="http://x") as client:
            await move(client, "2026-03-05")
            erik = next(t for t in (await client.get("/simulator/api/tenants")).json() if t["name"] == "Erik Fiktiv")
            await client.post("/simulator/api/send", json={"tenant": erik["id"], "channel": "sms", "text": "hej"})
            await drain_all(rt)
            thread = f"/simulator/api/thread?tenant={erik['id']}&channel=sms"
            before = (await client.get(thread)).json()["messages"]
    assert [m["dir"] for m in before][:2] == ["in", "out"] and before[0]["text"] == "hej"
    assert all(m["buttons"] == [] for m in before)  # an SMS lists its options in its text

    async with started_runtime(settings, SeededClock()) as rt:  # a new process on the same database
        rt.demo = True
        await seed_demo(rt.db, SEEDED, SEEDED_AT)
        assert await restore_clock(rt) == date(2026, 3, 5)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(rt)), base_url="http://x") as client:
            assert (await client.get(thread)).json()["messages"] == before
            assert (await client.get("/simulator/api/clock")).json()["day"] == "2026-03-05"
            # The phone goes on where it was: the answer to the next message comes after the ones before.
            await client.post("/simulator/api/send", json={"tenant": erik["id"], "channel": "sms", "text": "1"})
            await drain_all(rt)
            after = (await client.get(thread)).json()["messages"]
            assert after[: len(before)] == before and [m["dir"] for m in after[len(before) :]] == ["in", "out"]
            # The ledger follows the day the clock kept, as it did before the restart.
            assert await balances_as_of(rt) == {date(2026, 3, 5)}


async def test_a_restart_keeps_what_the_tenants_said(settings: Settings) -> None:
    """The walk: Dorte writes STOP, Gitte START, Layla ENGLISH, Carl promises to pay on the 10th; the demo starts
    again on the same file. Each is as they left it: Dorte stopped (a reply then reaches her by no SMS), Gitte
    active, Layla in English, Carl's promise kept."""

    async def say(client: httpx.AsyncClient, rt: Runtime, name: str, *texts: str) -> None:
        who = next(t for t in (await client.get("/simulator/api/tenants")).json() if t["name"] == name)
        for text in texts:
            await client.post("/simulator/api/send", json={"tenant": who["id"], "channel": "sms", "text": text})
            await drain_all(rt)

    async with started_runtime(settings, SeededClock()) as rt:
        rt.demo = True
        await seed_demo(rt.db, SEEDED, SEEDED_AT)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(rt)), base_url="http://x") as client:
            await say(client, rt, "Dorte Opdigtet", "stop")
            await say(client, rt, "Gitte Attrap", "start")
            await say(client, rt, "Layla Demo", "english")
            await say(client, rt, "Carl Testesen", "hej", "2", "den 10.")
            said = {
                t["name"]: (t["status"], t["language"]) for t in (await client.get("/simulator/api/tenants")).json()
            }

    async with started_runtime(settings, SeededClock()) as rt:  # the demo started again on the same file
        rt.demo = True
        assert await seed_demo(rt.db, SEEDED, SEEDED_AT + timedelta(minutes=5)) == Seeded(12, ())
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(rt)), base_url="http://x") as client:
            now = {t["name"]: (t["status"], t["language"]) for t in (await client.get("/simulator/api/tenants")).json()}
            stages = {t["name"]: t["stage"] for t in (await client.get("/simulator/api/tenants")).json()}
    assert said["Dorte Opdigtet"] == now["Dorte Opdigtet"] == ("stopped", "da")
    assert said["Gitte Attrap"] == now["Gitte Attrap"] == ("active", "da")
    assert said["Layla Demo"] == now["Layla Demo"] == ("active", "en")
    assert stages["Carl Testesen"] == "promised to pay on 10 Mar 2026"


async def test_the_clock_moved_back_to_a_day_never_goes_before_what_happened_that_day(
    demo: tuple[Runtime, httpx.AsyncClient],
) -> None:
    """The walk: on the 3rd Erik writes at 11:33, the clock goes to the 5th and back to the 3rd (or to the 3rd
    again). It stands after 11:33, not at 10:00: his next message shows below the one before, not above it."""
    rt, client = demo
    await move(client, "2026-03-03")
    rt.clock.offset += timedelta(hours=1, minutes=33)  # 11:33 in Copenhagen
    erik = next(t for t in (await client.get("/simulator/api/tenants")).json() if t["name"] == "Erik Fiktiv")
    thread = f"/simulator/api/thread?tenant={erik['id']}&channel=sms"
    await client.post("/simulator/api/send", json={"tenant": erik["id"], "channel": "sms", "text": "hej"})
    await drain_all(rt)
    latest = max(datetime.fromisoformat(m["at"]) for m in (await client.get(thread)).json()["messages"])
    for day in ("2026-03-05", "2026-03-03", "2026-03-03"):
        await move(client, day)
    assert (await client.get("/simulator/api/preview?date=2026-03-03")).json()["day"] == "2026-03-03"
    now = datetime.fromisoformat((await client.get("/simulator/api/clock")).json()["now"])
    assert latest <= now < latest + timedelta(minutes=1)
    await client.post("/simulator/api/send", json={"tenant": erik["id"], "channel": "sms", "text": "ring til mig"})
    await drain_all(rt)
    texts = [m["text"] for m in (await client.get(thread)).json()["messages"]]
    assert texts.count("hej") == 1 and texts.index("hej") < texts.index("ring til mig")
    # A day on which nothing happened yet still begins at 10:00.
    await move(client, "2026-03-04")
    assert (await client.get("/simulator/api/clock")).json()["now"] == "2026-03-04T09:00:00+00:00"


class NoonClock(Clock):
    """The real time stands still at noon in Copenhagen on the seeded day."""

    def __call__(self) -> datetime:
        return datetime(2026, 3, 3, 11, 0, tzinfo=UTC) + self.offset


async def test_the_clock_moved_back_to_today_shows_the_real_time(settings: Settings) -> None:
    async with started_runtime(settings, NoonClock()) as rt:
        rt.demo = True
        await seed_demo(rt.db, SEEDED, SEEDED_AT)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(rt)), base_url="http://x") as client:
            await move(client, "2026-03-05")
            await move(client, "2026-03-03")
            assert (await client.get("/simulator/api/clock")).json()["now"] == "2026-03-03T11:00:00+00:00"
    async with started_runtime(settings, NoonClock()) as rt:  # no clock kept to move at the next start
        assert await restore_clock(rt) is None


async def test_a_button_press_shows_its_label_on_the_phone(demo: tuple[Runtime, httpx.AsyncClient]) -> None:
    rt, client = demo
    await move(client, "2026-03-03")
    jamie = next(t for t in (await client.get("/simulator/api/tenants")).json() if t["name"] == "Jamie Sample")
    await client.post("/simulator/api/send", json={"tenant": jamie["id"], "channel": "telegram", "contact": True})
    await drain_all(rt)
    await client.post("/simulator/api/send", json={"tenant": jamie["id"], "channel": "telegram", "text": "hi"})
    await drain_all(rt)
    thread = f"/simulator/api/thread?tenant={jamie['id']}&channel=telegram"
    asked = next(m for m in (await client.get(thread)).json()["messages"] if m["buttons"])
    button = asked["buttons"][0]
    await client.post(
        "/simulator/api/send", json={"tenant": jamie["id"], "channel": "telegram", "button": button["data"]}
    )
    await drain_all(rt)
    typed = [m["text"] for m in (await client.get(thread)).json()["messages"] if m["dir"] == "in"]
    assert typed == ["[shared my phone number]", "hi", f"[{button['label']}]"]


async def test_a_press_the_chat_stays_quiet_about_shows_the_toast_the_bot_answered(
    demo: tuple[Runtime, httpx.AsyncClient],
) -> None:
    rt, client = demo
    await move(client, "2026-03-03")
    jamie = next(t for t in (await client.get("/simulator/api/tenants")).json() if t["name"] == "Jamie Sample")
    await client.post("/simulator/api/send", json={"tenant": jamie["id"], "channel": "telegram", "contact": True})
    await client.post("/simulator/api/send", json={"tenant": jamie["id"], "channel": "telegram", "text": "hi"})
    await drain_all(rt)
    thread = f"/simulator/api/thread?tenant={jamie['id']}&channel=telegram"
    asked = next(m for m in (await client.get(thread)).json()["messages"] if m["buttons"])
    press = {"tenant": jamie["id"], "channel": "telegram", "button": asked["buttons"][0]["data"]}
    for _ in range(2):  # the first press is answered in the chat; the second, a double tap, only by its toast
        await client.post("/simulator/api/send", json=press)
        await drain_all(rt)
    shown = (await client.get(thread)).json()["messages"]
    pressed = [m for m in shown if m["dir"] == "in" and m["text"] == "[I have paid]"]
    assert [m["toast"]["text"] if m["toast"] else None for m in pressed] == [
        None,
        "Thank you, we already have your answer.",
    ]
    assert shown[-1] == pressed[-1]  # nothing more in the chat


async def test_a_tenants_phone_greets_in_their_language_before_the_chat_is_linked(
    demo: tuple[Runtime, httpx.AsyncClient],
) -> None:
    """Jamie's Telegram app is in English, as a real app says in its updates: the welcome of a chat not linked yet
    is English, Danish for Anna."""
    rt, client = demo
    tenants = {t["name"]: t["id"] for t in (await client.get("/simulator/api/tenants")).json()}
    for name, first_words in (("Jamie Sample", "Welcome to"), ("Anna Eksempel", "Velkommen til")):
        start = {"tenant": tenants[name], "channel": "telegram", "text": "/start"}
        await client.post("/simulator/api/send", json=start)
        await drain_all(rt)
        thread = (await client.get(f"/simulator/api/thread?tenant={tenants[name]}&channel=telegram")).json()
        assert [m["text"][: len(first_words)] for m in thread["messages"] if m["dir"] == "out"] == [first_words]
        # Telegram's share button is the phone's own (always under the chat), not a button under the welcome.
        assert [m["buttons"] for m in thread["messages"]] == [[], []]


async def drain_all(rt: Runtime) -> None:
    await process_all(rt.processor)
    await drain(rt.sender)


# Why the plan table says each reminder is due, per page language: the påkrav tenants (one received by paper,
# two by Digital Post) and the court tenant on the seeded day, and the court tenant again on the court date's eve.
WHY = {
    "da": {
        ("2026-03-03", "DEMO-05"): "påkrav modtaget 24. feb. 2026, for husleje med forfald 1. feb. 2026; "
        "beregnet frist 10. mar. 2026, 7 dage tilbage",
        (
            "2026-03-03",
            "DEMO-06",
        ): "påkrav sendt 20. feb. 2026, modtaget samme dag (Digital Post), for husleje med forfald 1. feb. 2026; "
        "beregnet frist 6. mar. 2026, 3 dage tilbage",
        (
            "2026-03-03",
            "DEMO-07",
        ): "påkrav sendt 18. feb. 2026, modtaget samme dag (Digital Post), for husleje med forfald 1. feb. 2026; "
        "beregnet frist 4. mar. 2026, 1 dag tilbage",
        ("2026-03-03", "DEMO-09"): "retsmøde 17. mar. 2026 er kendt; skylder pr. 3. mar. 2026",
        ("2026-03-16", "DEMO-09"): "retsmøde 17. mar. 2026 om 1 dag: hverdagen før, en påmindelse mere; "
        "skylder pr. 16. mar. 2026",
    },
    "en": {
        ("2026-03-03", "DEMO-05"): "påkrav received 24 Feb 2026, for rent due 1 Feb 2026; "
        "computed deadline 10 Mar 2026, 7 days left",
        (
            "2026-03-03",
            "DEMO-06",
        ): "påkrav sent 20 Feb 2026, received the same day (Digital Post), for rent due 1 Feb 2026; "
        "computed deadline 6 Mar 2026, 3 days left",
        (
            "2026-03-03",
            "DEMO-07",
        ): "påkrav sent 18 Feb 2026, received the same day (Digital Post), for rent due 1 Feb 2026; "
        "computed deadline 4 Mar 2026, 1 day left",
        ("2026-03-03", "DEMO-09"): "court date 17 Mar 2026 known; balance owed as of 3 Mar 2026",
        ("2026-03-16", "DEMO-09"): "court date 17 Mar 2026 in 1 day: the weekday before it, a second reminder; "
        "balance owed as of 16 Mar 2026",
    },
}


@pytest.mark.parametrize("language", ["da", "en"])
async def test_the_plan_says_why_in_the_pages_language(settings: Settings, language: str) -> None:
    async with started_runtime(make_settings(settings.database_url, console_language=language), SeededClock()) as rt:
        rt.demo = True
        await seed_demo(rt.db, SEEDED, SEEDED_AT)
        transport = httpx.ASGITransport(app=create_app(rt))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as client:
            shown: dict[tuple[str, str], list[str]] = {}
            english: dict[tuple[str, str], list[str]] = {}
            for day in ("2026-03-03", "2026-03-16"):
                await move(client, day)
                for row in (await client.get("/simulator/api/preview")).json()["would_plan"]:
                    shown.setdefault((day, row["tenant"]), []).append(row["reason_words"])
                    english.setdefault((day, row["tenant"]), []).append(row["reason"])
        assert await planned(rt) == 0
    for key, words in WHY[language].items():
        assert shown[key] == [words], key
    # The API keeps the policy's English sentence (the operators' audit text) beside the page's words.
    assert english[("2026-03-03", "DEMO-06")] == [
        "påkrav sent 2026-02-20, received the same day (Digital Post), for rent due 2026-02-01; "
        "computed deadline 2026-03-06, 3 days left"
    ]


@pytest.mark.parametrize(("language", "said"), [("da", "Slettet lejer"), ("en", "Erased tenant")])
async def test_an_erased_tenant_is_listed_as_erased_in_the_pages_language(
    settings: Settings, language: str, said: str
) -> None:
    settings = make_settings(settings.database_url, console_language=language)
    async with started_runtime(settings, SeededClock()) as rt:
        rt.demo = True
        await seed_demo(rt.db, SEEDED, SEEDED_AT)
        await erase(rt.db, "DEMO-07", SEEDED_AT, "cli", settings.secret_key)
        transport = httpx.ASGITransport(app=create_app(rt))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as client:
            listed = (await client.get("/simulator/api/tenants")).json()
    erased = [t for t in listed if t["status"] == "erased"]
    assert [(t["name"], t["ref"]) for t in erased] == [(said, "")]
    assert sum(t["name"] == said for t in listed) == 1


CODE = re.compile(r"\b(\d{8})\b")


async def stored_texts(rt: Runtime, tenant_id: int) -> list[str]:
    """Every text the database keeps of the tenant's messages."""
    async with rt.db.read() as conn:
        query = select(messages.c.text).where(messages.c.tenant_id == tenant_id)
        return [str(text) for text in (await conn.execute(query)).scalars() if text]


async def test_the_sms_phone_shows_the_link_code_it_received_and_the_database_keeps_none(settings: Settings) -> None:
    """TELEGRAM over SMS: the phone shows the code the sandbox delivered (kept in memory, never stored); the code
    typed on the tenant's Telegram phone links the chat. After a restart the phone says, in Danish, that the code
    is not kept."""
    async with started_runtime(settings, SeededClock()) as rt:
        rt.demo = True
        await seed_demo(rt.db, SEEDED, SEEDED_AT)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(rt)), base_url="http://x") as client:
            anna = next(t for t in (await client.get("/simulator/api/tenants")).json() if t["name"] == "Anna Eksempel")
            assert anna["language"] == "da" and not anna["telegram_linked"]
            await client.post("/simulator/api/send", json={"tenant": anna["id"], "channel": "sms", "text": "TELEGRAM"})
            await drain_all(rt)
            sms = f"/simulator/api/thread?tenant={anna['id']}&channel=sms"
            shown = [m["text"] for m in (await client.get(sms)).json()["messages"] if m["dir"] == "out"]
            codes = [found[1] for text in shown if (found := CODE.search(text))]
            assert len(codes) == 1 and not any("[" in text for text in shown), shown
            stored = await stored_texts(rt, anna["id"])
            assert "[link code sent]" in stored and not any(codes[0] in text for text in stored)
            await client.post(
                "/simulator/api/send", json={"tenant": anna["id"], "channel": "telegram", "text": codes[0]}
            )
            await drain_all(rt)
            telegram = f"/simulator/api/thread?tenant={anna['id']}&channel=telegram"
            answers = [m["text"] for m in (await client.get(telegram)).json()["messages"] if m["dir"] == "out"]
            assert answers and answers[-1].startswith("Du er nu forbundet"), answers
            tenants_now = (await client.get("/simulator/api/tenants")).json()
            assert next(t for t in tenants_now if t["id"] == anna["id"])["telegram_linked"]

    async with started_runtime(settings, SeededClock()) as rt:  # a new process: the code is gone
        rt.demo = True
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(rt)), base_url="http://x") as client:
            shown = [m["text"] for m in (await client.get(sms)).json()["messages"] if m["dir"] == "out"]
    assert "[koden er sendt – den gemmes ikke]" in shown and not any(CODE.search(text) for text in shown)


async def test_a_shared_phone_number_is_said_in_the_phones_language(demo: tuple[Runtime, httpx.AsyncClient]) -> None:
    rt, client = demo
    tenants = {t["name"]: t["id"] for t in (await client.get("/simulator/api/tenants")).json()}
    for name, shared in (("Anna Eksempel", "[delte mit telefonnummer]"), ("Jamie Sample", "[shared my phone number]")):
        await client.post("/simulator/api/send", json={"tenant": tenants[name], "channel": "telegram", "contact": True})
        await drain_all(rt)
        thread = (await client.get(f"/simulator/api/thread?tenant={tenants[name]}&channel=telegram")).json()
        assert [m["text"] for m in thread["messages"] if m["dir"] == "in"] == [shared]


async def test_a_phone_shows_messages_in_the_order_they_reached_it(demo: tuple[Runtime, httpx.AsyncClient]) -> None:
    rt, client = demo
    await move(client, "2026-03-03")
    carl = next(t for t in (await client.get("/simulator/api/tenants")).json() if t["name"] == "Carl Testesen")
    later = "Vi ringer til dig i eftermiddag."
    # Queued first, to go an hour from now (as a notice waiting for quiet hours): its id is older than the reply's.
    async with rt.db.write() as conn:
        await conn.run_sync(
            lambda sync: enqueue(
                Scene.of(sync),
                now=rt.clock(),
                channel="sms",
                template="case.reply",
                values={"text": later},
                text=later,
                language="da",
                idempotency_key="later",
                tenant_id=carl["id"],
                author="system",
                not_before=rt.clock() + timedelta(hours=1),
            )
        )
    await rt.inbox.submit(InboundMessage(channel="sms", provider_id="SM-meanwhile", sender=carl["phone"], text="hej"))
    await process_all(rt.processor)
    await drain(rt.sender)
    rt.clock.offset += timedelta(hours=2)
    await drain(rt.sender)
    thread = (await client.get(f"/simulator/api/thread?tenant={carl['id']}&channel=sms")).json()["messages"]
    texts = [m["text"] for m in thread]
    went_later = next(i for i, text in enumerate(texts) if later in text)
    assert texts.index("hej") < went_later  # written before it went, so above it, whatever the ids
    assert [m["at"] for m in thread] == sorted(m["at"] for m in thread)


async def test_the_day_field_s_words_are_in_the_page_s_language(settings: Settings) -> None:
    """The simulator's date field says the chosen day beside it with the console's script, in the page's language:
    an English demo writes it the British way ("Sunday, 1 March 2026")."""
    async with started_runtime(make_settings(settings.database_url, console_language="en"), SeededClock()) as rt:
        rt.demo = True
        transport = httpx.ASGITransport(app=create_app(rt))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as client:
            page = (await client.get("/simulator")).text
    assert '<script src="/console/static/dates.js" data-locale="en-GB"></script>' in page


REFUSALS = {
    "da": [
        "“2026-02-30” er ikke en dag i kalenderen: skriv den som 2026-03-01.",
        'Send dagen som JSON: {"date": "2026-03-01"}.',
        "“i morgen” er ikke en dag i kalenderen: skriv den som 2026-03-01.",
        "Kanalen skal være sms eller telegram.",
        "Lejeren findes ikke.",
        "Send JSON med lejeren, kanalen og en tekst eller en knap.",
        "Lejeren mangler: spørg med tenant= og lejerens nummer.",
        "Lejeren findes ikke, eller lejeren har ingen telefon på den kanal (sms eller telegram).",
    ],
    "en": [
        "“2026-02-30” is not a day in the calendar: write it as 2026-03-01.",
        'Send the day as JSON: {"date": "2026-03-01"}.',
        "“i morgen” is not a day in the calendar: write it as 2026-03-01.",
        "The channel must be sms or telegram.",
        "There is no such tenant.",
        "Send JSON with the tenant, the channel and a text or a button.",
        "The tenant is missing: ask with tenant= and the tenant's number.",
        "There is no such tenant, or the tenant has no phone on that channel (sms or telegram).",
    ],
}


@pytest.mark.parametrize("language", ["da", "en"])
async def test_a_refused_clock_move_or_message_says_why_in_the_pages_language(
    settings: Settings, language: str
) -> None:
    """Before, these were English on the Danish page (a day not in the calendar typed into the clock's field, a
    message to a tenant that is gone): now in the page's language, as the clock's window already was."""
    async with started_runtime(make_settings(settings.database_url, console_language=language), SeededClock()) as rt:
        rt.demo = True
        await seed_demo(rt.db, SEEDED, SEEDED_AT)
        transport = httpx.ASGITransport(app=create_app(rt))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as client:
            tenant_id = (await client.get("/simulator/api/tenants")).json()[0]["id"]
            answers = [
                await client.post("/simulator/api/clock", json={"date": "2026-02-30"}),
                await client.post("/simulator/api/clock", content=b"2026-03-04"),
                await client.get("/simulator/api/preview", params={"date": "i morgen"}),
                await client.post("/simulator/api/send", json={"tenant": tenant_id, "channel": "mms", "text": "hej"}),
                await client.post("/simulator/api/send", json={"tenant": 999_999, "channel": "sms", "text": "hej"}),
                await client.post("/simulator/api/send", json={"channel": "sms", "text": "hej"}),
                await client.get("/simulator/api/thread", params={"channel": "sms"}),
                await client.get("/simulator/api/thread", params={"tenant": tenant_id, "channel": "mms"}),
            ]
            assert (await client.get("/simulator/api/clock")).json()["day"] == "2026-03-03"  # not moved
    assert [a.json()["error"] for a in answers] == REFUSALS[language]
    assert [a.status_code for a in answers] == [422, 422, 422, 422, 404, 422, 422, 404]


@pytest.mark.parametrize("language", ["da", "en"])
async def test_the_simulator_names_every_word_the_readme_says_to_try(settings: Settings, language: str) -> None:
    """The README's demo walkthrough says to try `TELEGRAM` and the other words; the page a newcomer then has in front
    of them names each one too, and says that TELEGRAM's code goes to the same tenant's Telegram phone."""
    readme = (Path(__file__).parents[3] / "README.md").read_text(encoding="utf-8")
    found = re.search(r"Try `hej`[^.]*\.", readme)
    assert found is not None, "the README's demo walkthrough no longer says what to try"
    words = re.findall(r"`([^`]+)`", found[0])
    assert "TELEGRAM" in words, words
    async with started_runtime(make_settings(settings.database_url, console_language=language), SeededClock()) as rt:
        rt.demo = True
        transport = httpx.ASGITransport(app=create_app(rt))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as client:
            page = (await client.get("/simulator")).text
    hint = html.unescape(page.split("<h3>", 2)[2].split("</p>", 1)[0])
    missing = [word for word in words if word not in hint]
    assert not missing, (missing, hint)
    telegram_phone = {"da": "Telegram-telefon", "en": "Telegram phone"}[language]
    assert hint.index("TELEGRAM") < hint.index(telegram_phone), hint


async def test_the_simulator_leads_back_to_the_front_page_with_the_accounts(
    demo: tuple[Runtime, httpx.AsyncClient],
) -> None:
    """A newcomer in the simulator who wants to sign in to the console finds the way back to the front page, which
    names the demo's accounts and walks a case; before, the simulator led only to the console's login."""
    _, client = demo
    page = (await client.get("/simulator")).text
    header = page.split("<header>", 1)[1].split("</header>", 1)[0]
    assert re.search(r'<a href="/">[^<]*accounts[^<]*</a>', header), header
    front = (await client.get("/")).text
    assert "<h2>Demo accounts</h2>" in front
