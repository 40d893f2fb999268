"""The court path in the console: the court case on the case page, its outcomes, and the kommune notice."""

from __future__ import annotations

import html
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select, update

from bot.app import create_app
from bot.i18n import local_day
from bot.reminders.ledger import import_tenants
from bot.reminders.plan import plan_reminders
from bot.runtime import Clock, Runtime
from bot.settings import Settings
from bot.store.schema import audit_log, court_cases, rent_events, rent_positions, staff, tenants
from bot.tenants.csv_rows import known_languages, local_today, parse_csv
from scheduler.rent_day import court_eve
from tests.conftest import make_settings, started_runtime
from tests.support.console import add_case, add_person, csrf_of, login, today


@pytest.fixture
def settings(sqlite_url: str) -> Settings:
    """Balance data stays fresh for a quarter: planning is looked at weeks ahead, up to the court date."""
    return make_settings(sqlite_url, balance_max_age_days=90)


HEADER = "tenant_ref;name;phone;balance;address;children;court_filed_on;court_date;kommune_notified_on"


def wednesday_after(day: date) -> date:
    return day + timedelta(days=(2 - day.weekday()) % 7 or 7)


async def court_tenant(
    rt: Runtime, *, filed: date, court: date | None, notified: str = "", children: str = "", ref: str = "C-1"
) -> int:
    line = f"{ref};Amira Hansen;20123456;100,00;Eksempelvej 1, 2. tv;{children};{filed};{court or ''};{notified}"
    parsed = parse_csv(f"{HEADER}\n{line}".encode(), today(rt), known_languages(), ["da", "en"], "da")
    assert parsed.ok, parsed.errors
    await import_tenants(rt.db, parsed.rows, rt.clock(), rt.settings)
    async with rt.db.read() as conn:
        return int((await conn.execute(select(tenants.c.id).where(tenants.c.tenant_ref == ref))).scalar_one())


async def adviser(rt: Runtime, client: httpx.AsyncClient, role: str = "adviser") -> None:
    await add_person(rt, f"{role}@example.org", role)
    assert (await login(client, f"{role}@example.org")).status_code == 303


async def in_danish(rt: Runtime, email: str = "adviser@example.org") -> None:
    """This person chose Danish in "Me" (the tests' console is English)."""
    async with rt.db.write() as conn:
        await conn.execute(update(staff).where(staff.c.email == email).values(language="da"))


def said_on(page: httpx.Response) -> str:
    """The page's text in lower case (a message shown on its own starts with a capital)."""
    return html.unescape(page.text).lower()


async def post(client: httpx.AsyncClient, page: str, action: str, data: dict[str, str]) -> httpx.Response:
    shown = await client.get(page)
    assert shown.status_code == 200, shown.text
    return await client.post(action, data={**data, "csrf_token": csrf_of(shown.text)})


async def court_rows(rt: Runtime, day: date) -> list[dict[str, str]]:
    """The court reminders a day would bring (a dry run), by what they were computed from."""
    outcome = await plan_reminders(rt.db, rt.settings, rt.clock(), day=day, dry_run=True)
    return [row.computed_from for row in outcome.rows if row.trigger == "court"]


async def position(rt: Runtime, tenant_id: int) -> tuple[date | None, date | None]:
    async with rt.db.read() as conn:
        rp = rent_positions.c
        row = (await conn.execute(select(rp.court_filed_on, rp.court_date).where(rp.tenant_id == tenant_id))).one()
    return row.court_filed_on, row.court_date


async def events(rt: Runtime) -> Counter[str]:
    async with rt.db.read() as conn:
        return Counter((await conn.execute(select(rent_events.c.kind))).scalars())


async def audited(rt: Runtime, action: str) -> int:
    async with rt.db.read() as conn:
        found = await conn.execute(select(audit_log.c.id).where(audit_log.c.action == action))
        return len(found.all())


async def test_the_case_page_shows_the_court_case_the_address_and_children(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    day = today(runtime)
    tid = await court_tenant(runtime, filed=day - timedelta(days=3), court=day + timedelta(days=20), children="ja")
    case_id = await add_case(runtime, tid, origin="outreach", consent=False)
    await adviser(runtime, client)
    page = html.unescape((await client.get(f"/console/cases/{case_id}")).text)
    assert 'id="court"' in page and 'id="children"' in page
    assert "Eksempelvej 1, 2. tv" in page
    assert f'href="/console/tenants/{tid}/kommune-notice"' in page


async def test_no_children_flag_no_children_line(runtime: Runtime, client: httpx.AsyncClient) -> None:
    day = today(runtime)
    tid = await court_tenant(runtime, filed=day - timedelta(days=3), court=day + timedelta(days=20), children="nej")
    case_id = await add_case(runtime, tid, origin="outreach", consent=False)
    await adviser(runtime, client)
    page = (await client.get(f"/console/cases/{case_id}")).text
    assert 'id="court"' in page and 'id="children"' not in page


async def test_details_are_kept_on_the_open_court_case_and_audited(runtime: Runtime, client: httpx.AsyncClient) -> None:
    day = today(runtime)
    tid = await court_tenant(runtime, filed=day - timedelta(days=3), court=day + timedelta(days=20))
    case_id = await add_case(runtime, tid, origin="outreach", consent=False)
    await adviser(runtime, client)
    answer = await post(
        client,
        f"/console/cases/{case_id}",
        f"/console/tenants/{tid}/court/details",
        {
            "retskreds": "Retten i Aarhus",
            "meeting_kind": "address",
            "reached_by_phone": "no",
            "back": f"/console/cases/{case_id}",
        },
    )
    assert answer.status_code == 303 and answer.headers["location"] == f"/console/cases/{case_id}"
    async with runtime.db.read() as conn:
        cc = court_cases.c
        row = (await conn.execute(select(cc.retskreds, cc.meeting_kind, cc.reached_by_phone))).one()
    assert tuple(row) == ("Retten i Aarhus", "address", False)
    assert await audited(runtime, "court.details") == 1


async def test_a_postponement_moves_the_court_date_and_the_court_eve_reminder(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    day = today(runtime)
    old = wednesday_after(day + timedelta(days=14))
    new = wednesday_after(old + timedelta(days=14))
    tid = await court_tenant(runtime, filed=day - timedelta(days=3), court=old)
    case_id = await add_case(runtime, tid, origin="outreach", consent=False)
    assert [r.get("court_eve") for r in await court_rows(runtime, court_eve(old))] == [court_eve(old).isoformat()]
    await adviser(runtime, client)
    answer = await post(
        client,
        f"/console/cases/{case_id}",
        f"/console/tenants/{tid}/court/outcome",
        {"outcome": "postponed", "court_date": new.isoformat()},
    )
    assert answer.status_code == 303
    assert (await position(runtime, tid))[1] == new
    # The eve of the old date brings no court-eve reminder any more; the eve of the new one does.
    assert [r for r in await court_rows(runtime, court_eve(old)) if "court_eve" in r] == []
    assert [r.get("court_eve") for r in await court_rows(runtime, court_eve(new))] == [court_eve(new).isoformat()]
    assert (await events(runtime))["postponed"] == 1
    assert await audited(runtime, "court.outcome") == 1


async def test_a_postponement_without_a_new_date_is_refused(runtime: Runtime, client: httpx.AsyncClient) -> None:
    day = today(runtime)
    tid = await court_tenant(runtime, filed=day - timedelta(days=3), court=day + timedelta(days=20))
    case_id = await add_case(runtime, tid, origin="outreach", consent=False)
    await adviser(runtime, client)
    answer = await post(
        client, f"/console/cases/{case_id}", f"/console/tenants/{tid}/court/outcome", {"outcome": "postponed"}
    )
    assert answer.status_code == 422
    assert (await position(runtime, tid))[1] == day + timedelta(days=20)


@pytest.mark.parametrize(
    ("days", "said"),
    [
        (-2500, "skal ligge efter i dag"),  # a court date years ago
        (0, "skal ligge efter i dag"),  # today: the meeting is not moved
        (10, "skal ligge efter"),  # later than today but before the date it replaces (in 20 days)
    ],
)
async def test_a_postponement_to_a_day_that_is_not_later_is_refused_in_danish(
    runtime: Runtime, client: httpx.AsyncClient, days: int, said: str
) -> None:
    day = today(runtime)
    court = day + timedelta(days=20)
    tid = await court_tenant(runtime, filed=day - timedelta(days=3), court=court)
    case_id = await add_case(runtime, tid, origin="outreach", consent=False)
    await adviser(runtime, client)
    await in_danish(runtime)
    new = day + timedelta(days=days)
    answer = await post(
        client,
        f"/console/cases/{case_id}",
        f"/console/tenants/{tid}/court/outcome",
        {"outcome": "postponed", "court_date": new.isoformat()},
    )
    assert answer.status_code == 422
    assert "den nye dato i fogedretten " + said in said_on(answer)
    # Nothing moved: the court date, no postponement counted, no court reminder for the refused day.
    assert (await position(runtime, tid))[1] == court
    assert (await events(runtime))["postponed"] == 0
    assert await audited(runtime, "court.outcome") == 0
    if new > day:
        assert [r for r in await court_rows(runtime, court_eve(new)) if "court_eve" in r] == []


async def test_an_outcome_before_the_filing_day_is_refused(runtime: Runtime, client: httpx.AsyncClient) -> None:
    day = today(runtime)
    tid = await court_tenant(runtime, filed=day - timedelta(days=3), court=day + timedelta(days=20))
    case_id = await add_case(runtime, tid, origin="outreach", consent=False)
    await adviser(runtime, client)
    await in_danish(runtime)
    answer = await post(
        client,
        f"/console/cases/{case_id}",
        f"/console/tenants/{tid}/court/outcome",
        {"outcome": "called_off", "on": "2020-01-01"},
    )
    assert answer.status_code == 422
    assert "fogedsagen kan ikke være endt 1. jan. 2020" in said_on(answer)
    assert await position(runtime, tid) == (day - timedelta(days=3), day + timedelta(days=20))


async def test_a_filing_whose_court_date_comes_before_it_is_refused(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    day = today(runtime)
    tid = await court_tenant(runtime, filed=day - timedelta(days=40), court=day - timedelta(days=20))
    case_id = await add_case(runtime, tid, origin="outreach", consent=False)
    await adviser(runtime, client)
    await in_danish(runtime)
    await post(client, f"/console/cases/{case_id}", f"/console/tenants/{tid}/court/outcome", {"outcome": "called_off"})
    answer = await post(
        client,
        f"/console/cases/{case_id}",
        f"/console/tenants/{tid}/court/filing",
        {"filed_on": day.isoformat(), "court_date": (day - timedelta(days=1)).isoformat()},
    )
    assert answer.status_code == 422
    assert "datoen i fogedretten ligger før indgivelsen" in said_on(answer)
    assert await position(runtime, tid) == (None, None)


async def test_a_court_date_that_has_passed_is_recorded_only_when_the_adviser_says_it_is_meant(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    """A year typed wrong would leave the tenant without the court eve's reminder: the form asks first."""
    day = today(runtime)
    tid = await court_tenant(runtime, filed=day - timedelta(days=90), court=day - timedelta(days=60))
    case_id = await add_case(runtime, tid, origin="outreach", consent=False)
    await adviser(runtime, client)
    await in_danish(runtime)
    await post(client, f"/console/cases/{case_id}", f"/console/tenants/{tid}/court/outcome", {"outcome": "called_off"})
    filed, passed = day - timedelta(days=30), day - timedelta(days=2)
    filing = {"filed_on": filed.isoformat(), "court_date": passed.isoformat()}
    answer = await post(client, f"/console/cases/{case_id}", f"/console/tenants/{tid}/court/filing", filing)
    assert answer.status_code == 422
    said = said_on(answer)
    assert f"datoen i fogedretten, {local_day(passed)}, er passeret" in said
    assert "“datoen i fogedretten er passeret”" in said
    assert await position(runtime, tid) == (None, None) and await audited(runtime, "court.filing") == 0
    filing["court_date_passed"] = "yes"
    answer = await post(client, f"/console/cases/{case_id}", f"/console/tenants/{tid}/court/filing", filing)
    assert answer.status_code == 303
    assert await position(runtime, tid) == (filed, passed) and await audited(runtime, "court.filing") == 1


async def test_called_off_closes_the_court_case_and_court_reminders_end(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    day = today(runtime)
    court = wednesday_after(day + timedelta(days=14))
    tid = await court_tenant(runtime, filed=day - timedelta(days=3), court=court)
    case_id = await add_case(runtime, tid, origin="outreach", consent=False)
    assert len(await court_rows(runtime, court_eve(court))) == 1
    await adviser(runtime, client)
    answer = await post(
        client, f"/console/cases/{case_id}", f"/console/tenants/{tid}/court/outcome", {"outcome": "called_off"}
    )
    assert answer.status_code == 303
    assert await position(runtime, tid) == (None, None)
    assert await court_rows(runtime, court_eve(court)) == []
    assert await court_rows(runtime, day) == []
    async with runtime.db.read() as conn:
        cc = court_cases.c
        row = (await conn.execute(select(cc.status, cc.outcome, cc.outcome_on))).one()
    assert tuple(row) == ("closed", "called_off", day)
    assert (await events(runtime))["called_off"] == 1


@pytest.mark.parametrize("outcome", ["carried_out", "moved_out"])
async def test_an_eviction_or_a_move_ends_every_reminder_through_the_tenant_status(
    runtime: Runtime, client: httpx.AsyncClient, outcome: str
) -> None:
    day = today(runtime)
    tid = await court_tenant(runtime, filed=day - timedelta(days=20), court=day)
    case_id = await add_case(runtime, tid, origin="outreach", consent=False)
    await adviser(runtime, client)
    answer = await post(
        client, f"/console/cases/{case_id}", f"/console/tenants/{tid}/court/outcome", {"outcome": outcome}
    )
    assert answer.status_code == 303
    async with runtime.db.read() as conn:
        status = (await conn.execute(select(tenants.c.status).where(tenants.c.id == tid))).scalar_one()
    assert status == "moved_out"
    # Thirty days of planning bring this tenant nothing (the balance is still owed).
    planned = 0
    for ahead in range(30):
        outcome_ = await plan_reminders(
            runtime.db, runtime.settings, runtime.clock(), day=day + timedelta(ahead), dry_run=True
        )
        planned += sum(1 for row in outcome_.rows if row.tenant_id == tid)
    assert planned == 0
    assert (await events(runtime))[outcome] == 1


async def test_the_kommune_notice_carries_the_filing_the_name_and_the_address_only(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    day = today(runtime)
    tid = await court_tenant(runtime, filed=day - timedelta(days=2), court=None, children="ja")
    await adviser(runtime, client)
    inbox = (await client.get("/console/")).text
    assert 'id="kommune-not-notified"' in inbox and f'href="/console/tenants/{tid}/kommune-notice"' in inbox
    page = await client.get(f"/console/tenants/{tid}/kommune-notice")
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert "Amira Hansen" in text and "Eksempelvej 1, 2. tv" in text and "§ 92, stk. 2" in text  # in Danish
    assert 'id="children"' not in text and "100" not in text  # no household, no amount
    assert await audited(runtime, "kommune_notice.view") == 1
    sent_on = day - timedelta(days=1)
    answer = await client.post(
        f"/console/tenants/{tid}/kommune-notice", data={"sent_on": sent_on.isoformat(), "csrf_token": csrf_of(text)}
    )
    assert answer.status_code == 303
    async with runtime.db.read() as conn:
        notified = (await conn.execute(select(court_cases.c.kommune_notified_on))).scalar_one()
    assert notified == sent_on
    assert (await events(runtime))["kommune_notified"] == 1
    # Sent after the filing day: still listed, as late.
    inbox = (await client.get("/console/")).text
    assert f'data-tenant="{tid}"' in inbox


async def test_a_notice_recorded_today_for_a_filing_today_leaves_the_list(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    day = today(runtime)
    tid = await court_tenant(runtime, filed=day, court=None)
    await adviser(runtime, client)
    answer = await post(client, f"/console/tenants/{tid}/kommune-notice", f"/console/tenants/{tid}/kommune-notice", {})
    assert answer.status_code == 303
    assert 'id="kommune-not-notified"' not in (await client.get("/console/")).text


@pytest.mark.parametrize("role", ["volunteer", "caretaker"])
async def test_a_volunteer_or_caretaker_gets_403_for_every_court_route(
    runtime: Runtime, client: httpx.AsyncClient, role: str
) -> None:
    day = today(runtime)
    tid = await court_tenant(runtime, filed=day - timedelta(days=2), court=day + timedelta(days=20))
    await adviser(runtime, client, role=role)
    assert (await client.get(f"/console/tenants/{tid}/kommune-notice")).status_code == 403
    token = csrf_of((await client.get("/console/me")).text)
    for action in ("court/filing", "court/details", "court/outcome", "kommune-notice"):
        answer = await client.post(
            f"/console/tenants/{tid}/{action}", data={"outcome": "called_off", "csrf_token": token}
        )
        assert answer.status_code == 403, action
    assert await position(runtime, tid) == (day - timedelta(days=2), day + timedelta(days=20))
    assert await audited(runtime, "kommune_notice.view") == 0


async def test_a_filing_recorded_by_hand_opens_a_court_case(runtime: Runtime, client: httpx.AsyncClient) -> None:
    day = today(runtime)
    tid = await court_tenant(runtime, filed=day - timedelta(days=40), court=day - timedelta(days=20))
    case_id = await add_case(runtime, tid, origin="outreach", consent=False)
    await adviser(runtime, client)
    await post(client, f"/console/cases/{case_id}", f"/console/tenants/{tid}/court/outcome", {"outcome": "called_off"})
    answer = await post(
        client,
        f"/console/cases/{case_id}",
        f"/console/tenants/{tid}/court/filing",
        {"filed_on": day.isoformat(), "court_date": (day + timedelta(days=21)).isoformat()},
    )
    assert answer.status_code == 303
    assert await position(runtime, tid) == (day, day + timedelta(days=21))
    assert await audited(runtime, "court.filing") == 1


async def test_children_under_18_bring_a_case_up_the_inbox(runtime: Runtime, client: httpx.AsyncClient) -> None:
    day = today(runtime)
    court = day + timedelta(days=20)
    # Opened first and a few days sooner, but without children: it comes second.
    first = await court_tenant(runtime, filed=day, court=court - timedelta(days=3), children="nej", ref="C-1")
    await add_case(runtime, first, origin="outreach", consent=False)
    parsed = parse_csv(
        f"{HEADER}\nC-2;Bo Berg;20123457;100,00;Prøvevej 3;ja;{day};{court};".encode(),
        day,
        known_languages(),
        ["da"],
        "da",
    )
    await import_tenants(runtime.db, parsed.rows, runtime.clock(), runtime.settings)
    async with runtime.db.read() as conn:
        second = int((await conn.execute(select(tenants.c.id).where(tenants.c.tenant_ref == "C-2"))).scalar_one())
    await add_case(runtime, second, origin="outreach", consent=False)
    await adviser(runtime, client)
    page = (await client.get("/console/")).text
    assert page.index(">Bo<") < page.index(">Amira<")


async def test_called_off_ends_the_court_stage_though_the_ledger_still_shows_the_termination(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    day = today(runtime)
    court = day + timedelta(days=10)
    line = (
        f"C-1;Amira Hansen;20123456;100,00;Eksempelvej 1;;{day - timedelta(days=5)};{court};;{day - timedelta(days=40)}"
    )
    parsed = parse_csv(f"{HEADER};termination_on\n{line}".encode(), day, known_languages(), ["da"], "da")
    await import_tenants(runtime.db, parsed.rows, runtime.clock(), runtime.settings)
    async with runtime.db.read() as conn:
        tid = int((await conn.execute(select(tenants.c.id).where(tenants.c.tenant_ref == "C-1"))).scalar_one())
    case_id = await add_case(runtime, tid, origin="outreach", consent=False)
    await adviser(runtime, client)
    await post(client, f"/console/cases/{case_id}", f"/console/tenants/{tid}/court/outcome", {"outcome": "called_off"})
    # The next import still carries the termination (and the old filing and court date): no court stage returns.
    await import_tenants(runtime.db, parsed.rows, runtime.clock(), runtime.settings)
    court_stage = 0
    for ahead in range(30):
        found = await plan_reminders(
            runtime.db, runtime.settings, runtime.clock(), day=day + timedelta(ahead), dry_run=True
        )
        court_stage += sum(1 for row in found.rows if row.tenant_id == tid and row.trigger == "court")
    assert court_stage == 0


async def test_the_tenant_page_holds_the_court_case_when_there_is_no_case(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    day = today(runtime)
    tid = await court_tenant(runtime, filed=day - timedelta(days=2), court=None, children="ja")
    await adviser(runtime, client)
    page = (await client.get(f"/console/tenants/{tid}")).text
    assert 'id="court"' in page and 'id="children"' in page
    assert f'name="back" value="/console/tenants/{tid}"' in page
    answer = await post(
        client,
        f"/console/tenants/{tid}",
        f"/console/tenants/{tid}/court/details",
        {"retskreds": "Retten i Glostrup", "back": f"/console/tenants/{tid}"},
    )
    assert (answer.status_code, answer.headers["location"]) == (303, f"/console/tenants/{tid}")
    # A back link elsewhere is never followed.
    answer = await post(
        client, f"/console/tenants/{tid}", f"/console/tenants/{tid}/court/details", {"back": "https://example.org/"}
    )
    assert answer.headers["location"] == f"/console/tenants/{tid}"
    assert "Retten i Glostrup" not in (await client.get(f"/console/tenants/{tid}")).text


class SetClock(Clock):
    """A clock standing at one instant."""

    def __init__(self, at: datetime) -> None:
        super().__init__()
        self.at = at

    def __call__(self) -> datetime:
        return self.at


@pytest.mark.parametrize(
    "at",
    [
        datetime(2026, 1, 14, 23, 30, tzinfo=UTC),  # 00:30 on the 15th in Copenhagen (winter time)
        datetime(2026, 6, 10, 22, 30, tzinfo=UTC),  # 00:30 on the 11th (summer time)
        datetime(2026, 3, 28, 23, 30, tzinfo=UTC),  # 00:30 on the night summer time begins
        datetime(2026, 10, 24, 22, 30, tzinfo=UTC),  # 00:30 on the night it ends
    ],
    ids=str,
)
async def test_the_court_forms_and_an_import_refuse_the_same_future_days(settings: Settings, at: datetime) -> None:
    """Past UTC's midnight's hour or two behind Copenhagen's, the forms' "today" is the organisation's, as an
    import's is: the day in Copenhagen is accepted by both, the day after it refused by both."""
    async with started_runtime(settings, SetClock(at)) as rt:
        day = local_today(at, rt.settings.timezone)
        assert day == at.date() + timedelta(days=1)
        line = "C-2;Amira Hansen;20123457;100,00;;;{filed};;"
        for filed, ok in ((day, True), (day + timedelta(days=1), False)):
            parsed = parse_csv(f"{HEADER}\n{line.format(filed=filed)}".encode(), day, known_languages(), ["da"], "da")
            assert parsed.ok is ok and [e.column for e in parsed.errors] == ([] if ok else ["court_filed_on"])
        tid = await court_tenant(rt, filed=day - timedelta(days=40), court=day - timedelta(days=20))
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=create_app(rt)), base_url="https://keephome.example.org"
        ) as client:
            await adviser(rt, client)
            page = f"/console/tenants/{tid}"
            await post(client, page, f"{page}/court/outcome", {"outcome": "called_off"})
            ahead = await post(
                client, page, f"{page}/court/filing", {"filed_on": (day + timedelta(days=1)).isoformat()}
            )
            assert ahead.status_code == 422 and "is in the future" in said_on(ahead)
            notice = await post(
                client, page, f"{page}/kommune-notice", {"sent_on": (day + timedelta(days=1)).isoformat()}
            )
            assert notice.status_code == 422 and "is in the future" in said_on(notice)
            assert (await post(client, page, f"{page}/court/filing", {"filed_on": day.isoformat()})).status_code == 303
            assert await position(rt, tid) == (day, None)
