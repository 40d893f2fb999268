"""The outcome page: the funnel from reminder to outcome, days to contact, failures, outcomes over time and
balances back to 0, as charts and CSV downloads, on SQLite and PostgreSQL; and the "contact made" action."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import UTC, date, datetime, time, timedelta

import httpx
import pytest
from sqlalchemy import select, update

from bot.app import create_app
from bot.i18n import speaking
from bot.reminders.plan import plan_reminders
from bot.runtime import Clock, Runtime
from bot.store.db import utcnow
from bot.store.schema import audit_log, case_events, staff
from tests.conftest import make_settings, started_runtime
from tests.support.console import add_person, add_tenant, login, post_form
from tests.support.drive import drain
from tests.support.outcomes_world import FIRST, LAST, TZ, World, at, build

PERIOD = f"from={FIRST.isoformat()}&to={LAST.isoformat()}"


async def signed_in(rt: Runtime, client: httpx.AsyncClient, role: str = "adviser") -> None:
    email = f"{role}-reader@example.org"
    await add_person(rt, email, role)
    assert (await login(client, email)).status_code == 303


async def download(client: httpx.AsyncClient, chart: str, query: str = PERIOD, separator: str = ",") -> list[list[str]]:
    response = await client.get(f"/console/outcomes/{chart}.csv?{query}")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"].startswith("attachment;")
    # A byte order mark first, so a spreadsheet reads æøå as UTF-8; a program strips it with utf-8-sig.
    assert response.content.startswith(b"\xef\xbb\xbf") and not response.content.startswith(b"\xef\xbb\xbf" * 2)
    text = response.content.decode("utf-8-sig")
    # Separated as a spreadsheet in the reader's language splits it by double click (a Danish one on semicolons).
    # Every row splits into the header's cells (more than one) on the reader's separator; a cell may hold the other one
    # (a Danish heading with commas).
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=separator))
    assert len(rows[0]) > 1 and all(len(row) == len(rows[0]) for row in rows)
    return rows


def by_first_cells(rows: list[list[str]], width: int = 2) -> dict[tuple[str, ...], list[str]]:
    return {tuple(row[:width]): row[width:] for row in rows[1:]}


async def test_the_funnel_follows_each_reminded_tenant_to_an_outcome(served: tuple[Runtime, httpx.AsyncClient]) -> None:
    rt, client = served
    await build(rt)
    await signed_in(rt, client)
    rows = await download(client, "funnel")
    steps = ["Reminded", "Delivered", "Replied", "Consented", "Reached by an adviser", "Outcome recorded"]
    assert rows[0][:8] == ["group", "Stage / channel", *steps]
    assert rows[0][8:] == [
        "Balance back to 0 (tenants whose 7 days have passed)",
        "Balance back to 0 (tenants whose 14 days have passed)",
        "Balance back to 0 (within 7 days)",
        "Balance back to 0 (within 14 days)",
    ]
    found = by_first_cells(rows)
    # reminded, delivered, replied, consented, reached, outcome; of the reminded, those whose 7 and 14 days have
    # passed (all of them, long ago), and their balances 0 within 7 days, within 14 days
    assert found[("all", "all")] == ["4", "3", "1", "1", "2", "2", "4", "4", "1", "2"]
    assert found[("stage", "rent missed")] == ["3", "3", "1", "1", "1", "1", "3", "3", "1", "2"]
    assert found[("stage", "påkrav")] == ["1", "0", "0", "0", "1", "1", "1", "1", "0", "0"]
    assert found[("stage", "before the due day")] == ["0", "0", "0", "0", "0", "0", "0", "0", "0", "0"]
    assert found[("channel", "SMS")] == ["3", "2", "1", "1", "2", "2", "3", "3", "1", "1"]
    assert found[("channel", "Telegram")] == ["1", "1", "0", "0", "0", "0", "1", "1", "0", "1"]
    outcomes = {row[1]: row[7] for row in rows if row[0] == "Outcomes of these tenants' cases"}
    assert outcomes["paid"] == "1" and outcomes["payment plan"] == "1" and outcomes["kommune"] == "0"

    contact = await download(client, "contact")
    # T-01 a day after its reminder, T-03 (a call) after five: in the chart's buckets, as the page shows them.
    assert contact[1:] == [
        ["under 24 hours", "0"],
        ["1 day", "1"],
        ["2–3", "0"],
        ["4–7", "1"],
        ["8–14", "0"],
        ["15–30", "0"],
        ["over 30", "0"],
    ]
    balance = by_first_cells(await download(client, "balance"))
    assert balance[("rent missed", "3")] == ["3", "3", "1", "2"]
    assert balance[("påkrav", "1")] == ["1", "1", "0", "0"]


async def test_a_tenant_counts_within_7_or_14_days_only_once_those_days_have_passed(
    served: tuple[Runtime, httpx.AsyncClient],
) -> None:
    """On the day of the reminders no one has failed to pay within 14 days: the share is of the tenants whose days
    have run out, and the page says how many are still waiting."""
    rt, client = served
    today = date(2026, 3, 10)
    rt.clock.offset = at(today) - utcnow()
    w = World(rt)
    # Reminded 3 days ago and paid the next day: in neither share yet, paid or not.
    recent = await w.tenant("T-01")
    await w.remind(recent, "missed", today - timedelta(days=3))
    await w.balance(recent, today - timedelta(days=2), 0)
    # Reminded 10 days ago and paid the next day: its 7 days are over, its 14 are not.
    paid = await w.tenant("T-02")
    await w.remind(paid, "missed", today - timedelta(days=10))
    await w.balance(paid, today - timedelta(days=9), 0)
    # Reminded 20 days ago and never paid: in both, settled in neither.
    unpaid = await w.tenant("T-03")
    await w.remind(unpaid, "missed", today - timedelta(days=20))
    await signed_in(rt, client)
    query = f"from={today - timedelta(days=29)}&to={today}"
    # reminded; whose 7 days, 14 days have passed; balance 0 within 7 days, within 14 days
    assert by_first_cells(await download(client, "balance", query))[("rent missed", "3")] == ["2", "1", "1", "0"]
    assert by_first_cells(await download(client, "funnel", query))[("all", "all")][6:] == ["2", "1", "1", "0"]
    page = html.unescape((await client.get(f"/console/outcomes?{query}")).text)
    card = page.split('id="balance-card"')[1].split("</section>")[0]
    assert "50% (1 of 2)" in card and "0% (0 of 1)" in card
    waiting = re.findall(r'<p class="muted waiting">([^<]*)</p>', card)
    assert waiting == [
        "Not counted within 7 days yet: 1 tenant is still waiting for the 7 days to pass.",
        "Not counted within 14 days yet: 2 tenants are still waiting for the 14 days to pass.",
    ]
    await in_danish(rt)
    page = html.unescape((await client.get(f"/console/outcomes?{query}")).text)
    card = page.split('id="balance-card"')[1].split("</section>")[0]
    assert "0\xa0% (0 af 1)" in card
    assert re.findall(r'<p class="muted waiting">([^<]*)</p>', card) == [
        "Endnu ikke talt med inden for 7 dage: 1 lejer venter stadig på, at de 7 dage går.",
        "Endnu ikke talt med inden for 14 dage: 2 lejere venter stadig på, at de 14 dage går.",
    ]


async def test_a_stage_narrows_the_funnel_to_the_tenants_reminded_at_it(
    served: tuple[Runtime, httpx.AsyncClient],
) -> None:
    rt, client = served
    await build(rt)
    await signed_in(rt, client)
    found = by_first_cells(await download(client, "funnel", f"{PERIOD}&stage=demand"))
    # T-03, and T-05 from its påkrav reminder on: each counts once, at the stage chosen.
    assert found[("all", "all")][:6] == ["2", "1", "0", "0", "1", "1"]
    assert ("stage", "rent missed") not in found
    page = await client.get(f"/console/outcomes?{PERIOD}&stage=demand")
    assert page.status_code == 200
    assert '<option value="demand" selected>' in page.text


async def test_failures_by_code_and_outcomes_over_time(served: tuple[Runtime, httpx.AsyncClient]) -> None:
    rt, client = served
    await build(rt)
    await signed_in(rt, client)
    assert (await download(client, "failures"))[1:] == [["sms", "30007", "1"]]
    closed = await download(client, "outcomes")
    assert closed[0][:3] == ["from", "paid", "payment plan"]
    weeks = {row[0]: row[1:] for row in closed[1:]}
    assert list(weeks) == ["2026-02-02", "2026-02-09", "2026-02-16", "2026-02-23"]
    assert weeks["2026-02-09"][:2] == ["1", "0"]  # T-01 closed paid on 11 February
    assert weeks["2026-02-23"][:2] == ["0", "1"]  # T-03 closed with a payment plan on 25 February
    assert sum(int(n) for row in closed[1:] for n in row[1:]) == 2
    # A period from a Thursday: its first week from that day, the others from Monday, as a calendar has them.
    thursday = await download(client, "outcomes", f"from=2026-02-05&to={LAST.isoformat()}")
    weeks = {row[0]: row[1:] for row in thursday[1:]}
    assert list(weeks) == ["2026-02-05", "2026-02-09", "2026-02-16", "2026-02-23"]
    assert weeks["2026-02-09"][:2] == ["1", "0"]


async def test_the_page_draws_every_chart_and_links_its_csv(served: tuple[Runtime, httpx.AsyncClient]) -> None:
    rt, client = served
    await build(rt)
    await signed_in(rt, client)
    page = await client.get(f"/console/outcomes?{PERIOD}")
    assert page.status_code == 200
    html = page.text
    for chart in ("funnel", "contact", "closed", "failures", "balance-1"):
        assert f'<svg id="{chart}"' in html
    assert html.count('class="bar"') >= 6 + 7 + 1  # six funnel steps, seven day buckets, one failure code
    assert 'data-label="Reminded"' in html and "4 (100%)" in html and "2 (50%)" in html
    for chart in ("funnel", "contact", "failures", "outcomes", "balance"):
        assert f"/console/outcomes/{chart}.csv?from=2026-02-02&amp;to=2026-03-01&amp;stage=" in html
    assert 'href="/console/outcomes"' in html  # in the navigation


async def test_a_period_without_reminders_says_so(served: tuple[Runtime, httpx.AsyncClient]) -> None:
    rt, client = served
    await signed_in(rt, client)
    page = await client.get("/console/outcomes")
    assert page.status_code == 200
    assert 'id="no-reminders"' in page.text
    assert (await download(client, "funnel", ""))[1][:3] == ["all", "all", "0"]


async def test_downloads_are_audited_and_cells_cannot_run_as_formulas(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    w = World(runtime)
    tenant = await w.tenant("T-01")
    await w.remind(tenant, "missed", date(2026, 2, 3), status="failed", error="=HYPERLINK(1)")
    await signed_in(runtime, client)
    rows = await download(client, "failures")
    assert rows[1] == ["sms", "'=HYPERLINK(1)", "1"]
    async with runtime.db.read() as conn:
        entries = (await conn.execute(select(audit_log.c.action, audit_log.c.detail))).all()
    exported = [detail for action, detail in entries if action == "outcomes.export"]
    assert exported == ["chart=failures from=2026-02-02 to=2026-03-01 stage="]


@pytest.mark.parametrize(
    ("stage", "said"), [("", "alle trin"), ("missed", "husleje ikke betalt"), ("demand", "påkrav")]
)
async def test_the_audit_page_says_which_chart_was_downloaded_in_words(
    runtime: Runtime, client: httpx.AsyncClient, stage: str, said: str
) -> None:
    """An admin reading the audit page in Danish sees the chart by its heading and the stage by its name, not
    `chart=failures`."""
    await signed_in(runtime, client, "admin")
    async with runtime.db.write() as conn:
        await conn.execute(update(staff).values(language="da"))
    await download(client, "failures", f"{PERIOD}&stage={stage}", separator=";")
    page = (await client.get("/console/audit?action=outcomes.export")).text
    shown = re.findall(r'<td class="detail">(.*?)<br>', page)
    assert len(shown) == 1, page
    assert shown[0].startswith("Diagram: Fejl ved levering efter fejlkode; Fra: ")
    assert shown[0].endswith(f"; Påmindet på trinnet: {said}")
    assert "<code>" not in shown[0]


@pytest.mark.parametrize(
    ("query", "why"),
    [
        ("from=2026-03-02&to=2026-03-01", "after"),
        ("from=2026-13-01", "a date like"),
        # Days no period can hold: they overflowed the period's end (a 500) or its default start.
        ("to=9999-12-31", "a date like"),
        ("to=0001-01-15", "a date like"),
        ("from=2024-01-01&to=2026-03-01", "at most 731 days"),
        ("stage=eviction", "must be one of"),
    ],
)
async def test_a_period_that_cannot_be_is_a_422(
    runtime: Runtime, client: httpx.AsyncClient, query: str, why: str
) -> None:
    await signed_in(runtime, client)
    for path in ("/console/outcomes", "/console/outcomes/funnel.csv"):
        response = await client.get(f"{path}?{query}")
        assert response.status_code == 422
        assert why in response.text


async def test_a_period_running_past_today_ends_today(runtime: Runtime, client: httpx.AsyncClient) -> None:
    await signed_in(runtime, client)
    today = runtime.clock().astimezone(TZ).date()
    ahead = today + timedelta(days=40)
    page = await client.get(f"/console/outcomes?from={today - timedelta(days=5)}&to={ahead}")
    assert page.status_code == 200
    assert f"to={today}" in page.text and f"to={ahead}" not in page.text  # its downloads are of the days that were
    rows = await download(client, "funnel", f"from={today - timedelta(days=5)}&to={ahead}")
    assert rows[0]  # the download of such a period works too


async def test_only_advisers_and_admins_see_outcomes(runtime: Runtime, client: httpx.AsyncClient) -> None:
    assert (await client.get("/console/outcomes")).headers["location"].startswith("/console/login")
    await signed_in(runtime, client, "volunteer")
    assert (await client.get("/console/outcomes")).status_code == 403
    assert (await client.get(f"/console/outcomes/funnel.csv?{PERIOD}")).status_code == 403
    await signed_in(runtime, client, "admin")
    assert (await client.get("/console/outcomes")).status_code == 200
    assert (await client.get("/console/outcomes/secrets.csv")).status_code == 404


async def test_a_planned_reminder_counts_under_the_channel_it_went_on(database_url: str) -> None:
    """The real planner and sender: the funnel finds the reminder's message by its outbox key."""
    async with started_runtime(make_settings(database_url), clock=Clock()) as rt:
        day = date(2026, 3, 3)  # rent due Sunday 1 March is missed on Tuesday 3 March
        rt.clock.offset = datetime.combine(day, time(10), TZ).astimezone(UTC) - utcnow()
        await add_tenant(rt, "T-1", name="Test Lejer", phone="+4520000001", balance_ore=710_000, balance_as_of=day)
        assert len((await plan_reminders(rt.db, rt.settings, rt.clock())).rows) == 1
        await drain(rt.sender)
        transport = httpx.ASGITransport(app=create_app(rt))
        async with httpx.AsyncClient(transport=transport, base_url="https://keephome.example.org") as client:
            await signed_in(rt, client)
            found = by_first_cells(await download(client, "funnel", f"from={day}&to={day}"))
    assert found[("channel", "SMS")][0] == "1"
    assert found[("stage", "rent missed")][0] == "1"


async def test_contact_made_is_recorded_on_an_open_case_and_counts_as_reached(
    served: tuple[Runtime, httpx.AsyncClient],
) -> None:
    rt, client = served
    w = World(rt)
    tenant = await w.tenant("T-01")
    await w.remind(tenant, "missed", date(2026, 2, 3))
    case_id = await w.case(tenant, at(date(2026, 2, 3)))
    await signed_in(rt, client)
    page = f"/console/cases/{case_id}"
    response = await post_form(client, page, f"{page}/contact", {})
    assert response.status_code == 303
    async with rt.db.read() as conn:
        kinds = (await conn.execute(select(case_events.c.kind).where(case_events.c.case_id == case_id))).scalars().all()
        audited = (
            (await conn.execute(select(audit_log.c.target).where(audit_log.c.action == "case.contact"))).scalars().all()
        )
    assert list(kinds).count("contact") == 1
    assert list(audited) == [f"case:{case_id}"]
    found = by_first_cells(await download(client, "funnel", "from=2026-02-01&to=2026-02-28"))
    assert found[("all", "all")][4] == "1"  # reached


async def test_contact_made_is_refused_on_a_closed_case(served: tuple[Runtime, httpx.AsyncClient]) -> None:
    rt, client = served
    w = World(rt)
    tenant = await w.tenant("T-01")
    case_id = await w.case(tenant, at(date(2026, 2, 3)), closed=at(date(2026, 2, 5)), outcome="paid")
    await signed_in(rt, client)
    page = f"/console/cases/{case_id}"
    shown = await client.get(page)
    assert 'id="contact-made"' not in shown.text
    response = await post_form(client, page, f"{page}/contact", {})
    assert response.status_code == 409
    async with rt.db.read() as conn:
        kinds = (await conn.execute(select(case_events.c.kind).where(case_events.c.case_id == case_id))).scalars().all()
    assert "contact" not in kinds


async def in_danish(rt: Runtime, role: str = "adviser") -> None:
    async with rt.db.write() as conn:
        await conn.execute(update(staff).where(staff.c.email == f"{role}-reader@example.org").values(language="da"))


async def test_a_danish_reader_downloads_every_csv_in_danish(served: tuple[Runtime, httpx.AsyncClient]) -> None:
    rt, client = served
    await build(rt)
    await signed_in(rt, client)
    await in_danish(rt)
    funnel = await download(client, "funnel", separator=";")
    # The steps in the words the Danish page heads its table with: the file and the page never differ.
    page = html.unescape((await client.get(f"/console/outcomes?{PERIOD}")).text)
    heads = re.findall(r"<th>([^<]*)</th>", page.split('id="funnel-card"')[1].split("</thead>")[0])
    assert heads == [
        "Trin / kanal",
        "Påmindet",
        "Leveret",
        "Svarede",
        "Gav samtykke",
        "Nået af en rådgiver",
        "Udfald registreret",
    ]
    assert funnel[0][:8] == ["gruppe", *heads]
    # "Within 7 days" is said under the heading "Balance back to 0": the file, which has no heading, says both.
    balance_card = page.split('id="balance-card"')[1].split("</section>")[0]
    heading = re.findall(r"<h2>([^<]*?) <a", balance_card)[0]
    bars = list(dict.fromkeys(re.findall(r'data-label="([^"]*)"', balance_card)))
    assert (heading, bars) == ("Saldo tilbage på 0", ["inden for 7 dage", "inden for 14 dage"])
    assert funnel[0][-2:] == [f"{heading} ({bar})" for bar in bars]
    assert (await download(client, "balance", separator=";"))[0][-2:] == funnel[0][-2:]
    found = by_first_cells(funnel)
    assert found[("alle", "alle")][0] == "4" and ("trin", "rent missed") not in found
    assert found[("trin", "husleje ikke betalt")][0] == "3"
    # The outcome rows under the words the page puts above them.
    assert "Udfald af disse lejeres sager" in page
    outcomes = {row[1]: row[7] for row in funnel if row[0] == "Udfald af disse lejeres sager"}
    assert outcomes["betalt"] == "1" and outcomes["afdragsordning"] == "1" and outcomes["gældsrådgivning"] == "0"
    english = {"paid", "payment plan", "debt counselling", "no contact", "all", "stage", "channel", "outcome"}
    assert not english & {cell for row in funnel for cell in row}
    assert (await download(client, "outcomes", separator=";"))[0][:3] == ["fra", "betalt", "afdragsordning"]
    # The days to contact: the page's heading and chart title head the file, and its rows are the chart's bars.
    contact = await download(client, "contact", separator=";")
    contact_card = page.split('id="contact-card"')[1].split("</section>")[0]
    title = re.findall(r'<title id="contact-title">([^<]*)</title>', contact_card)[0]
    assert contact[0] == ["Dage fra første påmindelse til en rådgivers kontakt", title]
    assert "Dage fra første påmindelse til en rådgivers kontakt" in contact_card
    assert [row[0] for row in contact[1:]] == re.findall(r'data-label="([^"]*)"', contact_card)
    assert contact[1][0] == "under et døgn" and [row[1] for row in contact[1:3]] == ["0", "1"]


async def test_the_page_counts_days_and_tenants_in_singular_or_plural_and_names_weeks_by_day(
    served: tuple[Runtime, httpx.AsyncClient],
) -> None:
    rt, client = served
    await build(rt)
    await signed_in(rt, client)
    await in_danish(rt)
    page = html.unescape((await client.get(f"/console/outcomes?{PERIOD}")).text)
    assert "Median: 3 dage for de 2 lejere, der blev nået." in page
    assert ">2. feb.</text>" in page and ">9. feb.</text>" in page and "2026-02-09" not in page.split('id="closed"')[1]
    one = html.unescape((await client.get(f"/console/outcomes?{PERIOD}&stage=demand")).text)
    assert "Median: 5 dage for den 1 lejer, der blev nået." in one
    empty = html.unescape((await client.get("/console/outcomes?from=2025-01-01&to=2025-01-31")).text)
    assert 'id="no-closed">Ingen.' in empty and 'id="closed"' not in empty
    assert "Ingen lejer blev nået." in empty


# What the organisation reports: a tenant counts as reminded, reached or consented only for what happened to them.


async def test_a_reminder_that_never_went_out_reminded_no_one(runtime: Runtime, client: httpx.AsyncClient) -> None:
    from bot.store.schema import planned_reminders

    w = World(runtime)
    sent, dropped, held, failed = [await w.tenant(r) for r in ("T-01", "T-02", "T-03", "T-04")]
    await w.remind(sent, "missed", date(2026, 2, 3))
    await w.remind(dropped, "missed", date(2026, 2, 3), status="dropped")  # paid overnight: the sender dropped it
    await w.remind(held, "missed", date(2026, 2, 3), status="held")
    await w.remind(failed, "missed", date(2026, 2, 3), status="failed", error="30003")  # tried: a reminder
    # A reminder recorded while a person held the case: no message at all.
    quiet = await w.tenant("T-05")
    async with runtime.db.write() as conn:
        await conn.execute(
            planned_reminders.insert().values(
                tenant_id=quiet, trigger="missed", period="2026-02", offset_days=3,
                planned_for=date(2026, 2, 3), reason="test", created_at=at(date(2026, 2, 3)),
            )
        )  # fmt: skip
    # The dropped tenant's second reminder went out: they count from it.
    await w.remind(dropped, "demand", date(2026, 2, 10))
    await signed_in(runtime, client)
    funnel = by_first_cells(await download(client, "funnel"))
    assert funnel[("all", "all")][0] == "3"


async def test_reached_by_an_adviser_is_a_message_that_got_to_them(runtime: Runtime, client: httpx.AsyncClient) -> None:
    w = World(runtime)
    staff_id = await add_person(runtime, "adviser@example.org", "adviser")
    failed, booked, reached = [await w.tenant(r) for r in ("T-01", "T-02", "T-03")]
    for t in (failed, booked, reached):
        await w.remind(t, "missed", date(2026, 2, 3))
    async with runtime.db.write() as conn:
        await w._message(conn, failed, "out", f"staff:{staff_id}", at(date(2026, 2, 4)), "sms", "failed", "30003")
    # An appointment's confirmation is written in the booker's name, but it is the system's text.
    await w.writes(booked, at(date(2026, 2, 5)), f"staff:{staff_id}", "appointment.booked")
    await w.writes(reached, at(date(2026, 2, 5)), f"staff:{staff_id}", "case.reply")
    await signed_in(runtime, client)
    assert by_first_cells(await download(client, "funnel"))[("all", "all")][4] == "1"


async def test_a_consent_to_share_is_not_consent_to_an_adviser(runtime: Runtime, client: httpx.AsyncClient) -> None:
    from bot.store.schema import consents
    from conversations.effects import SHARE_SCOPE

    w = World(runtime)
    shared, agreed = await w.tenant("T-01"), await w.tenant("T-02")
    for t in (shared, agreed):
        await w.remind(t, "missed", date(2026, 2, 3))
    async with runtime.db.write() as conn:
        await conn.execute(
            consents.insert().values(
                tenant_id=shared, scope=SHARE_SCOPE, wording_version="share-v1", given_at=at(date(2026, 2, 4))
            )
        )
    await w.consents(agreed, at(date(2026, 2, 4)))
    await signed_in(runtime, client)
    assert by_first_cells(await download(client, "funnel"))[("all", "all")][3] == "1"


def test_a_share_is_rounded_half_up_as_a_reader_rounds_it() -> None:
    from bot.console.outcome_figures import percent

    with speaking("da"):
        assert (percent(1, 8), percent(5, 8), percent(1, 3), percent(0, 0)) == ("13\xa0%", "63\xa0%", "33\xa0%", "–")
    with speaking("en"):
        assert (percent(1, 8), percent(5, 8), percent(1, 3), percent(0, 0)) == ("13%", "63%", "33%", "–")


async def test_a_case_closed_just_after_midnight_in_summer_counts_on_its_own_day(database_url: str) -> None:
    """Cases closed by their local day across the change to summer time: 00:30 on 1 April is April (24-hour steps
    from a period that began in winter put it in March), and 23:30 on 31 October, after the change back, October."""
    from datetime import timedelta

    async with started_runtime(make_settings(database_url), clock=Clock()) as rt:
        w = World(rt)
        for ref, closed in (
            ("T-01", datetime(2026, 4, 1, 0, 30, tzinfo=TZ)),
            ("T-02", datetime(2026, 10, 31, 23, 30, tzinfo=TZ)),
        ):
            tenant = await w.tenant(ref)
            await w.case(tenant, closed - timedelta(days=3), closed=closed, outcome="paid")
        transport = httpx.ASGITransport(app=create_app(rt))
        async with httpx.AsyncClient(transport=transport, base_url="https://keephome.example.org") as client:
            await signed_in(rt, client)
            rows = await download(client, "outcomes", "from=2026-01-01&to=2026-12-31")
    months = {row[0]: row[1] for row in rows[1:]}
    assert (months["2026-03"], months["2026-04"], months["2026-10"], months["2026-11"]) == ("0", "1", "1", "0")


async def test_whole_months_quarters_and_years_are_one_click_by_the_day_in_copenhagen(database_url: str) -> None:
    """At 00:30 on New Year's Day in Copenhagen (still 31 December in UTC) an admin sending the quarter's report
    finds last quarter, last month and last year whole, and this month, quarter and year begun today; last quarter's
    link shows October to December, a case closed at 23:45 on New Year's Eve in it and one closed at 00:10 on New
    Year's Day not."""
    moment = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)
    async with started_runtime(make_settings(database_url, console_language="da"), clock=Clock()) as rt:
        rt.clock.offset = moment - utcnow()
        w = World(rt)
        for ref, closed in (
            ("T-01", datetime(2026, 12, 31, 23, 45, tzinfo=TZ)),
            ("T-02", datetime(2027, 1, 1, 0, 10, tzinfo=TZ)),
        ):
            tenant = await w.tenant(ref)
            await w.case(tenant, closed - timedelta(days=2), closed=closed, outcome="paid")
        transport = httpx.ASGITransport(app=create_app(rt))
        async with httpx.AsyncClient(transport=transport, base_url="https://keephome.example.org") as client:
            await signed_in(rt, client, "admin")
            page = html.unescape((await client.get("/console/outcomes?stage=demand")).text)
            nav = page[page.index('id="calendar-periods"') : page.index("</nav>", page.index('id="calendar-periods"'))]
            links = re.findall(
                r'<a href="/console/outcomes\?from=([\d-]+)&to=([\d-]+)&stage=demand"[^>]*>([^<]+)</a>', nav
            )
            assert links == [
                ("2027-01-01", "2027-01-01", "Denne måned"),
                ("2026-12-01", "2026-12-31", "Sidste måned"),
                ("2027-01-01", "2027-01-01", "Dette kvartal"),
                ("2026-10-01", "2026-12-31", "Sidste kvartal"),
                ("2027-01-01", "2027-01-01", "I år"),
                ("2026-01-01", "2026-12-31", "Sidste år"),
            ]
            quarter = html.unescape((await client.get("/console/outcomes?from=2026-10-01&to=2026-12-31&stage=")).text)
    assert re.search(r'aria-current="true"[^>]*>Sidste kvartal<', quarter)
    assert "<tr><th>Sager lukket med et udfald</th><td>1</td></tr>" in quarter


async def test_the_danish_page_says_what_each_step_of_the_funnel_counts(database_url: str) -> None:
    """Under the funnel a Danish adviser reads what each step counts: delivered and reached were explained, replied,
    consented and outcome recorded were not."""
    async with started_runtime(make_settings(database_url, console_language="da")) as rt:
        await build(rt)
        transport = httpx.ASGITransport(app=create_app(rt))
        async with httpx.AsyncClient(transport=transport, base_url="https://keephome.example.org") as client:
            await signed_in(rt, client)
            page = html.unescape((await client.get(f"/console/outcomes?{PERIOD}")).text)
    card = page[page.index('id="funnel-card"') : page.index('id="contact-card"')]
    note = re.findall(r'<p class="muted">([^<]+)</p>', card)[0]
    for step in ("Leveret:", "Svarede:", "Gav samtykke:", "Nået:", "Udfald registreret:"):
        assert step in note, step
