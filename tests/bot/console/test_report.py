"""The organisation's report beside the outcome page: its figures on a seeded data set (tenants, rent_events,
referrals, outreach tasks, baselines) number by number, on SQLite and PostgreSQL; the saving's arithmetic and
what the report says when it cannot be computed; the CSV and the printable page (aggregates only, audited); the
admins' form for the figures from before go-live (validated, audited, admins only)."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import date, datetime, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import select

from bot.app import create_app
from bot.console.report_figures import (
    CSV_FIGURES,
    CSV_SECTIONS,
    NO_BASELINE,
    NO_BASELINE_FILINGS,
    NO_FILINGS_AFTER,
    NO_GO_LIVE,
    Rate,
    estimate_saving,
    figure_words,
)
from bot.console.web import money
from bot.i18n import gettext as _
from bot.i18n import speaking
from bot.runtime import Runtime
from bot.store.schema import audit_log, case_tasks, referrals, rent_events, report_baselines
from bot.tenants.erase import erase
from tests.conftest import make_settings, started_runtime
from tests.support.console import add_person, csrf_of, login, post_form
from tests.support.outcomes_world import FIRST, LAST, World, at, build

PERIOD = f"from={FIRST.isoformat()}&to={LAST.isoformat()}"
BASELINES = "/console/report/baselines"


async def signed_in(rt: Runtime, client: httpx.AsyncClient, role: str = "adviser") -> None:
    email = f"{role}-report@example.org"
    await add_person(rt, email, role)
    assert (await login(client, email)).status_code == 303


async def report_csv(client: httpx.AsyncClient, query: str = PERIOD, separator: str = ",") -> list[list[str]]:
    response = await client.get(f"/console/report.csv?{query}")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"].startswith("attachment;")
    # A byte order mark first, so a spreadsheet reads æøå as UTF-8; a program strips it with utf-8-sig.
    assert response.content.startswith(b"\xef\xbb\xbf") and not response.content.startswith(b"\xef\xbb\xbf" * 2)
    text = response.content.decode("utf-8-sig")
    # Separated as a spreadsheet in the reader's language splits it by double click (a Danish one on semicolons).
    assert text.splitlines()[0].count(separator) == 2
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=separator))


def figures(rows: list[list[str]], language: str = "en") -> dict[tuple[str, str], str]:
    """The figures of an English (or `language`) report by their keys: ("tenants", "reached")."""
    with speaking(language):
        keys = {(_(CSV_SECTIONS[s]), figure_words(s, f)): (s, f) for s, f in CSV_FIGURES}
        assert rows[0] == [_(word) for word in ("section", "figure", "value")]
    words = [(section, figure) for section, figure, _value in rows[1:]]
    assert len(words) == len(set(words)), "a figure appears twice"
    assert len(keys) == len(CSV_FIGURES), "two figures have the same words"
    return {keys[section, figure]: value for section, figure, value in rows[1:]}


async def event(rt: Runtime, tenant_id: int, kind: str, on: date, seen: date | None = None) -> None:
    """A step of the rent path on day `on`, first reported on `seen` (default: that day)."""
    async with rt.db.write() as conn:
        await conn.execute(
            rent_events.insert().values(tenant_id=tenant_id, kind=kind, on=on, source="import", seen_at=at(seen or on))
        )


async def referral(rt: Runtime, tenant_id: int, case_id: int, made: date, decision: str | None) -> None:
    async with rt.db.write() as conn:
        await conn.execute(
            referrals.insert().values(
                tenant_id=tenant_id,
                case_id=case_id,
                help_sought=["one_off_grant"],
                decision=decision,
                decided_on=None if decision is None else made + timedelta(days=5),
                created_at=at(made),
                updated_at=at(made),
            )
        )


async def task(rt: Runtime, tenant_id: int, case_id: int, kind: str, status: str, made: date) -> None:
    async with rt.db.write() as conn:
        await conn.execute(
            case_tasks.insert().values(
                case_id=case_id,
                tenant_id=tenant_id,
                kind=kind,
                status=status,
                created_at=at(made),
                updated_at=at(made),
            )
        )


async def baseline(rt: Runtime, year: int, filings: int, evictions: int, with_moves: int | None) -> None:
    async with rt.db.write() as conn:
        await conn.execute(
            report_baselines.insert().values(
                year=year,
                filings=filings,
                evictions=evictions,
                evictions_with_moves=with_moves,
                updated_at=at(date(2026, 1, 5)),
            )
        )


async def seed(rt: Runtime, *, baselines: bool = True) -> dict[str, int]:
    """The outcome page's five tenants (reminded 4, reached 2, consented 1; go-live 30 January, T-04's reminder),
    and what the report counts besides."""
    ids = await build(rt)
    w = World(rt)
    t1, t2, t3, t4, t5 = (ids[f"T-0{n}"] for n in range(1, 6))
    # The rent path, in the period (2 February to 1 March)...
    for tenant, kind, on in (
        (t1, "demand", date(2026, 2, 5)),
        (t2, "demand", date(2026, 2, 6)),
        (t3, "demand", date(2026, 2, 20)),
        (t3, "termination", date(2026, 2, 10)),
        (t3, "filing", date(2026, 2, 12)),
        (t5, "filing", date(2026, 2, 14)),
        (t3, "kommune_notified", date(2026, 2, 12)),
        (t5, "kommune_notified", date(2026, 2, 15)),
        (t3, "court_date", date(2026, 2, 26)),
        (t3, "postponed", date(2026, 2, 26)),
        (t5, "called_off", date(2026, 2, 27)),
        (t4, "carried_out", date(2026, 2, 25)),
        (t2, "moved_out", date(2026, 2, 28)),
    ):
        await event(rt, tenant, kind, on)
    # ...and outside it: a filing after go-live but before the period (counts in "after"), one before go-live
    # (counts nowhere), a påkrav the day after the period.
    await event(rt, t4, "filing", date(2026, 1, 31))
    await event(rt, t1, "filing", date(2026, 1, 10))
    await event(rt, t1, "demand", LAST + timedelta(days=1))
    # Referrals: four made in the period (one of each decision, one waiting), one made before it.
    cases = {ref: await w.case(tenant, at(date(2026, 2, 3))) for ref, tenant in ids.items()}
    await referral(rt, t1, cases["T-01"], date(2026, 2, 4), "granted")
    await referral(rt, t2, cases["T-02"], date(2026, 2, 11), "refused")
    await referral(rt, t3, cases["T-03"], date(2026, 2, 18), "granted_with_conditions")
    await referral(rt, t5, cases["T-05"], LAST, None)
    await referral(rt, t4, cases["T-04"], FIRST - timedelta(days=1), "granted")
    # Outreach: T-01 reached by a knock after a call that did not; T-02 never (a call, a postcard); T-03 a call
    # still open on its open case; T-05 a call that did not reach (its appointment is not outreach); T-04's call
    # was before the period.
    await task(rt, t1, cases["T-01"], "call", "not_reached", date(2026, 2, 5))
    await task(rt, t1, cases["T-01"], "knock", "reached", date(2026, 2, 7))
    await task(rt, t2, cases["T-02"], "call", "not_reached", date(2026, 2, 12))
    await task(rt, t2, cases["T-02"], "postcard", "sent", date(2026, 2, 14))
    await task(rt, t3, cases["T-03"], "call", "open", date(2026, 2, 20))
    await task(rt, t5, cases["T-05"], "call", "not_reached", date(2026, 2, 21))
    await task(rt, t5, cases["T-05"], "appointment", "held", date(2026, 2, 22))
    await task(rt, t4, cases["T-04"], "call", "not_reached", FIRST - timedelta(days=2))
    if baselines:
        await baseline(rt, 2023, 10, 5, 8)
        await baseline(rt, 2024, 10, 3, 5)
    return ids


async def test_the_report_counts_every_figure_of_the_period(served: tuple[Runtime, httpx.AsyncClient]) -> None:
    rt, client = served
    await seed(rt)
    await signed_in(rt, client)
    found = figures(await report_csv(client))
    assert found[("period", "from")] == "2026-02-02" and found[("period", "to")] == "2026-03-01"
    # As the outcome page's funnel defines them.
    assert [found[("tenants", k)] for k in ("reminded", "reached", "consented")] == ["4", "2", "1"]
    path = {k: found[("rent_path", k)] for k in ("demand", "termination", "filing", "court_date", "kommune_notified")}
    assert path == {"demand": "3", "termination": "1", "filing": "2", "court_date": "1", "kommune_notified": "2"}
    court = {k: found[("court_outcomes", k)] for k in ("postponed", "called_off", "carried_out", "moved_out")}
    assert court == {"postponed": "1", "called_off": "1", "carried_out": "1", "moved_out": "1"}
    assert found[("evictions", "carried_out")] == "1"
    assert found[("evictions", "with_moves")] == "2"
    assert found[("referrals", "made")] == "4"
    decisions = ("granted", "granted_with_conditions", "refused", "pending")
    assert [found[("referrals", k)] for k in decisions] == ["1", "1", "1", "1"]
    # Outreach (bot/host/outreach.py's count): T-02 and T-05; T-01 was reached, T-03's call is still open.
    assert found[("outreach", "never_reached")] == "2"
    # Before: 2023 and 2024, 20 filings and 8 evictions (13 with moves). After: go-live 30 January to 1 March,
    # three filings (one in January), one eviction (two with the move).
    assert found[("before_after", "go_live")] == "2026-01-30"
    assert found[("before_after", "baseline_years")] == "2023 2024"
    assert found[("before_after", "before_filings")] == "20"
    assert found[("before_after", "before_evictions")] == "8"
    assert found[("before_after", "before_evictions_per_filing")] == "0.400"
    assert found[("before_after", "before_evictions_with_moves_per_filing")] == "0.650"
    assert found[("before_after", "after_from")] == "2026-01-30"
    assert found[("before_after", "after_to")] == "2026-03-01"
    assert found[("before_after", "after_filings")] == "3"
    assert found[("before_after", "after_evictions")] == "1"
    assert found[("before_after", "after_evictions_per_filing")] == "0.333"
    assert found[("before_after", "after_evictions_with_moves_per_filing")] == "0.667"
    # (0.4 − 1/3) × 3 × 50,000 kr = 0.2 evictions avoided = 10,000 kr.
    assert found[("saving", "eviction_cost_kr")] == "50000"
    assert found[("saving", "evictions_avoided")] == "0.20"
    assert found[("saving", "estimated_kr")] == "10000"
    assert found[("saving", "not_computed")] == ""


async def test_court_dates_count_in_the_period_they_were_set_not_when_the_court_meets(
    served: tuple[Runtime, httpx.AsyncClient],
) -> None:
    """Three court dates set in the period for days after it count as set; a court meeting in the period whose
    date was set before it does not. The other steps still count on the day they happened."""
    rt, client = served
    ids = await build(rt)
    t1, t2, t3, t4 = (ids[f"T-0{n}"] for n in range(1, 5))
    await event(rt, t1, "court_date", LAST + timedelta(days=20), seen=date(2026, 2, 10))
    await event(rt, t2, "court_date", LAST + timedelta(days=35), seen=date(2026, 2, 20))
    await event(rt, t3, "court_date", LAST + timedelta(days=2), seen=LAST)
    await event(rt, t4, "court_date", date(2026, 2, 18), seen=FIRST - timedelta(days=1))
    await event(rt, t4, "filing", date(2026, 2, 3), seen=LAST + timedelta(days=3))
    await signed_in(rt, client)
    found = figures(await report_csv(client))
    assert found[("rent_path", "court_date")] == "3"
    assert found[("rent_path", "filing")] == "1"
    page = (await client.get(f"/console/report?{PERIOD}")).text
    assert "<tr><th>Court dates set</th><td>3</td></tr>" in page
    # The period before: the one set then (for a day in February), nothing else.
    before = figures(await report_csv(client, "from=2026-01-01&to=2026-02-01"))
    assert before[("rent_path", "court_date")] == "1"


async def test_the_outcome_page_shows_the_report_with_its_formula(served: tuple[Runtime, httpx.AsyncClient]) -> None:
    rt, client = served
    await seed(rt)
    await signed_in(rt, client)
    page = await client.get(f"/console/outcomes?{PERIOD}")
    assert page.status_code == 200
    html = page.text
    assert 'id="report"' in html
    assert f"/console/report.csv?{PERIOD.replace('&', '&amp;')}" in html
    assert f"/console/report?{PERIOD.replace('&', '&amp;')}" in html
    assert "× filings after × the cost of one eviction" in html
    assert f"(0.400 − 0.333) × 3 × {money(5_000_000)} = <strong>{money(1_000_000)}</strong>" in html
    assert "That is 0.2 evictions fewer" in html
    assert 'id="baselines-link"' not in html  # advisers read the report; admins enter the figures
    assert "<tr><th>Reminded</th><td>4</td></tr>" in html
    # The report covers every stage, whichever one the charts above are narrowed to (two were reminded at påkrav).
    narrowed = (await client.get(f"/console/outcomes?{PERIOD}&stage=demand")).text
    assert "<tr><th>Reminded</th><td>4</td></tr>" in narrowed


async def test_the_cost_of_an_eviction_is_a_setting(database_url: str) -> None:
    async with started_runtime(make_settings(database_url, eviction_cost=120_000)) as rt:
        await seed(rt)
        transport = httpx.ASGITransport(app=create_app(rt))
        async with httpx.AsyncClient(transport=transport, base_url="https://keephome.example.org") as client:
            await signed_in(rt, client)
            found = figures(await report_csv(client))
    assert found[("saving", "eviction_cost_kr")] == "120000"
    assert found[("saving", "estimated_kr")] == "24000"


def test_the_saving_is_the_difference_in_rates_times_filings_after_times_the_cost() -> None:
    saving = estimate_saving(Rate(8, 20), Rate(1, 3), 50_000)
    assert (saving.before, saving.after, saving.filings) == (Fraction(2, 5), Fraction(1, 3), 3)
    assert saving.avoided == Fraction(1, 5)
    assert saving.amount == 10_000 and saving.missing is None
    # More evictions per filing than before: a negative saving, shown as it is.
    worse = estimate_saving(Rate(1, 10), Rate(2, 4), 50_000)
    assert worse.avoided == Fraction(-8, 5) and worse.amount == -80_000
    # Rounded to whole kroner, half up: (1/3 − 0) × 1 × 50,000 = 16,666.67.
    assert estimate_saving(Rate(1, 3), Rate(0, 1), 50_000).amount == 16_667
    assert estimate_saving(Rate(1, 2), Rate(1, 2), 50_000).amount == 0


def test_a_saving_that_cannot_be_computed_says_why_instead_of_zero() -> None:
    assert estimate_saving(None, Rate(1, 3), 50_000).missing == NO_BASELINE
    assert estimate_saving(Rate(0, 0), Rate(1, 3), 50_000).missing == NO_BASELINE_FILINGS
    assert estimate_saving(Rate(8, 20), None, 50_000).missing == NO_GO_LIVE
    assert estimate_saving(Rate(8, 20), Rate(0, 0), 50_000).missing == NO_FILINGS_AFTER
    for saving in (estimate_saving(None, None, 50_000), estimate_saving(Rate(8, 20), Rate(0, 0), 50_000)):
        assert saving.amount is None and saving.avoided is None


async def test_without_a_baseline_the_report_says_the_saving_cannot_be_computed(
    served: tuple[Runtime, httpx.AsyncClient],
) -> None:
    rt, client = served
    await seed(rt, baselines=False)
    await signed_in(rt, client)
    found = figures(await report_csv(client))
    assert found[("saving", "estimated_kr")] == ""
    assert found[("saving", "not_computed")] == NO_BASELINE
    assert found[("before_after", "baseline_years")] == ""
    assert found[("before_after", "before_filings")] == found[("before_after", "before_evictions")] == ""
    assert found[("before_after", "before_evictions_per_filing")] == ""
    assert found[("before_after", "after_evictions_per_filing")] == "0.333"
    page = (await client.get(f"/console/outcomes?{PERIOD}")).text
    assert 'id="saving-missing"' in page and 'id="saving"' not in page
    assert NO_BASELINE in page


async def test_with_nothing_yet_the_report_is_zeros_and_no_go_live(runtime: Runtime, client: httpx.AsyncClient) -> None:
    await baseline(runtime, 2024, 10, 3, None)
    await signed_in(runtime, client)
    found = figures(await report_csv(client, "from=2026-02-01&to=2026-02-28"))
    assert found[("tenants", "reminded")] == "0" and found[("evictions", "with_moves")] == "0"
    assert found[("before_after", "go_live")] == ""
    assert found[("before_after", "before_evictions_per_filing")] == "0.300"
    assert found[("before_after", "before_evictions_with_moves_per_filing")] == ""  # not entered for 2024
    assert found[("saving", "not_computed")] == NO_GO_LIVE
    page = await client.get("/console/report?from=2026-02-01&to=2026-02-28")
    assert page.status_code == 200 and NO_GO_LIVE in page.text


async def test_the_report_names_no_tenant_and_its_downloads_are_audited(
    served: tuple[Runtime, httpx.AsyncClient],
) -> None:
    rt, client = served
    await seed(rt)
    await signed_in(rt, client)
    rows = await report_csv(client)
    printed = await client.get(f"/console/report?{PERIOD}")
    assert printed.status_code == 200
    assert printed.headers["cache-control"] == "no-store"
    assert 'id="report"' in printed.text and "<header>" not in printed.text  # no navigation on paper
    assert 'href="/console/static/report.css"' in printed.text
    # On paper it says whose figures they are and when they were printed.
    assert f"<h1>{rt.settings.org_name}</h1>" in printed.text and 'id="printed"' in printed.text
    outcome_page = (await client.get(f"/console/outcomes?{PERIOD}")).text
    section = outcome_page[outcome_page.index('id="report"') :]
    for text in ("\n".join(",".join(row) for row in rows), printed.text, section):
        for ref in ("T-01", "T-02", "T-03", "T-04", "T-05"):
            assert ref not in text and f"Tenant {ref}" not in text
        assert "+4520" not in text and "adviser@example.org" not in text
    async with rt.db.read() as conn:
        entries = (await conn.execute(select(audit_log.c.action, audit_log.c.detail).order_by(audit_log.c.id))).all()
    report_entries = [(action, detail) for action, detail in entries if action.startswith("report.")]
    assert report_entries == [
        ("report.export", "from=2026-02-02 to=2026-03-01"),
        ("report.print", "from=2026-02-02 to=2026-03-01"),
    ]


async def test_a_period_that_cannot_be_is_a_422(runtime: Runtime, client: httpx.AsyncClient) -> None:
    await signed_in(runtime, client)
    for path in ("/console/report", "/console/report.csv"):
        response = await client.get(f"{path}?from=2026-03-02&to=2026-03-01")
        assert response.status_code == 422
        assert "after" in response.text
        for day in ("9999-12-31", "0001-01-15"):
            response = await client.get(f"{path}?to={day}")
            assert response.status_code == 422 and "a date like" in response.text


async def test_only_advisers_and_admins_read_the_report(runtime: Runtime, client: httpx.AsyncClient) -> None:
    assert (await client.get("/console/report")).headers["location"].startswith("/console/login")
    await signed_in(runtime, client, "volunteer")
    assert (await client.get("/console/report")).status_code == 403
    assert (await client.get(f"/console/report.csv?{PERIOD}")).status_code == 403
    assert (await client.get(BASELINES)).status_code == 403


async def stored_years(rt: Runtime) -> list[tuple[object, ...]]:
    b = report_baselines.c
    async with rt.db.read() as conn:
        rows = await conn.execute(
            select(b.year, b.filings, b.evictions, b.evictions_with_moves, b.tenancies).order_by(b.year)
        )
        return [tuple(row) for row in rows.all()]


async def test_an_admin_enters_and_corrects_the_figures_from_before_go_live(
    served: tuple[Runtime, httpx.AsyncClient],
) -> None:
    rt, client = served
    await signed_in(rt, client, "admin")
    form = {"year": "2024", "tenancies": "1200", "filings": "50", "evictions": "27", "evictions_with_moves": ""}
    response = await post_form(client, BASELINES, BASELINES, form)
    assert response.status_code == 303
    assert await stored_years(rt) == [(2024, 50, 27, None, 1200)]
    # The same year again replaces its figures; another year is added.
    await post_form(client, BASELINES, BASELINES, {**form, "evictions": "25", "evictions_with_moves": "40"})
    await post_form(client, BASELINES, BASELINES, {"year": "2023", "filings": "48", "evictions": "30"})
    assert await stored_years(rt) == [(2023, 48, 30, None, None), (2024, 50, 25, 40, 1200)]
    page = await client.get(BASELINES)
    assert page.text.count("<tr><td>20") == 2
    assert 'id="baselines-link"' in (await client.get(f"/console/outcomes?{PERIOD}")).text
    removed = await post_form(client, BASELINES, f"{BASELINES}/delete", {"year": "2023"})
    assert removed.status_code == 303
    assert [year for year, *_ in await stored_years(rt)] == [2024]
    async with rt.db.read() as conn:
        entries = (
            await conn.execute(
                select(audit_log.c.action, audit_log.c.target, audit_log.c.detail)
                .where(audit_log.c.action.like("report.baseline.%"))
                .order_by(audit_log.c.id)
            )
        ).all()
    assert [(action, target) for action, target, _detail in entries] == [
        ("report.baseline.save", "year:2024"),
        ("report.baseline.save", "year:2024"),
        ("report.baseline.save", "year:2023"),
        ("report.baseline.delete", "year:2023"),
    ]
    assert entries[0].detail.startswith("tenancies=1200 demands= terminations= filings=50 evictions=27")


@pytest.mark.parametrize(
    ("change", "field", "why"),
    [
        ({"filings": "-1"}, "filings", "Must be a whole number from 0 to 10,000,000."),
        ({"evictions": "2,5"}, "evictions", "Must be a whole number from 0 to 10,000,000."),
        ({"tenancies": "many"}, "tenancies", "Must be a whole number from 0 to 10,000,000."),
        ({"filings": ""}, "filings", "Required."),
        ({"year": "1989"}, "year", "Must be a year from 1990 to"),
        ({"year": "3000"}, "year", "Must be a year from 1990 to"),
        ({"evictions_with_moves": "20"}, "evictions_with_moves", "Cannot be fewer than the evictions"),
    ],
)
async def test_the_figures_are_checked_field_by_field(
    runtime: Runtime, client: httpx.AsyncClient, change: dict[str, str], field: str, why: str
) -> None:
    await signed_in(runtime, client, "admin")
    form = {"year": "2024", "filings": "50", "evictions": "27", "evictions_with_moves": "40", **change}
    response = await post_form(client, BASELINES, BASELINES, form)
    assert response.status_code == 422
    assert f'data-field="{field}">{why}' in response.text
    assert response.text.count('class="field-error"') == 1
    assert f'id="{field}" name="{field}"' in response.text and 'aria-invalid="true"' in response.text
    assert await stored_years(runtime) == []


async def test_advisers_and_volunteers_cannot_change_the_figures(runtime: Runtime, client: httpx.AsyncClient) -> None:
    await signed_in(runtime, client, "adviser")
    assert (await client.get(BASELINES)).status_code == 403
    page = await client.get("/console/outcomes")
    token = csrf_of(page.text)
    form = {"year": "2024", "filings": "50", "evictions": "27", "csrf_token": token}
    assert (await client.post(BASELINES, data=form)).status_code == 403
    assert (await client.post(f"{BASELINES}/delete", data={"year": "2024", "csrf_token": token})).status_code == 403
    assert await stored_years(runtime) == []


async def test_the_report_reads_in_danish(database_url: str) -> None:
    async with started_runtime(make_settings(database_url, console_language="da")) as rt:
        await seed(rt)
        transport = httpx.ASGITransport(app=create_app(rt))
        async with httpx.AsyncClient(transport=transport, base_url="https://keephome.example.org") as client:
            await signed_in(rt, client)
            page = await client.get(f"/console/report?{PERIOD}")
    assert page.status_code == 200 and '<html lang="da">' in page.text
    with speaking("da"):
        for msgid in ("Report for the organisation", "Evictions carried out by the fogedret", "Estimated saving"):
            assert _(msgid) != msgid, f"no Danish for {msgid!r}"
            assert _(msgid) in page.text
    assert "Report for the organisation" not in page.text
    # Saved as PDF, the file is named by the page's title: the period says which quarter or month it is.
    assert "<title>Rapport til organisationen 2026-02-02 – 2026-03-01 · keephome</title>" in page.text


async def test_the_report_csv_is_in_the_readers_language(database_url: str) -> None:
    """As the outcome page's CSVs: a Danish reader gets Danish words throughout, separated by semicolons and with a
    decimal comma, as a Danish spreadsheet opens it by double click, and each figure the page shows is named in the
    file as the page names it (the adviser's contact is "Nået af en rådgiver" in both, not a call's "truffet")."""
    async with started_runtime(make_settings(database_url, console_language="da")) as rt:
        await seed(rt, baselines=False)
        transport = httpx.ASGITransport(app=create_app(rt))
        async with httpx.AsyncClient(transport=transport, base_url="https://keephome.example.org") as client:
            await signed_in(rt, client)
            rows = await report_csv(client, separator=";")
            page = html.unescape((await client.get(f"/console/outcomes?{PERIOD}")).text)
    assert rows[0] == ["afsnit", "tal", "værdi"]
    found = {(section, figure): value for section, figure, value in rows[1:]}
    assert len(found) == len(rows) - 1, "a figure appears twice"
    assert found[("Periode", "Fra")] == "2026-02-02"
    assert found[("Lejere", "Påmindet")] == "4"
    assert found[("Lejere", "Nået af en rådgiver")] == "2"
    assert found[("Forløbet fra påkrav til fogedret", "Retsmøder fastsat")] == "1"
    assert found[("Udsættelser, talt på to måder", "Udsættelser gennemført af fogedretten")] == "1"
    assert found[("Opsøgende arbejde: opkald, dørbank og postkort", "Lejere, der aldrig blev nået")] == "2"
    assert found[("Før og efter start med keephome", "Udsættelser pr. fogedsag (Efter)")] == "0,333"
    assert (
        found[("Anslået besparelse", "Ikke beregnet, fordi")]
        == "Der er ikke indtastet tal fra før start endnu (det gør en administrator)."
    )
    # Every figure of the page's tables, under the heading the page shows it under, has its row in the file.
    report = page[page.index('id="report"') :]
    for part in report.split("<h3>")[1:]:
        heading = part[: part.index("</h3>")]
        for label, value in re.findall(r"<tr><th>([^<]+)</th><td>([^<]*)</td></tr>", part):
            assert (heading, label) in found, (heading, label)
            assert found[heading, label] == value.replace(".", ""), (heading, label)
    # The before and after table: each row's words with its column's ("Før", "Efter"), a cell each.
    table = report[
        report.index('id="report-before-after"') : report.index("</table>", report.index('id="report-before-after"'))
    ]
    columns = [c.split(" (")[0] for c in re.findall(r"<th>([^<]+)</th>", table.split("</thead>")[0])]
    assert columns == ["Før", "Efter"]
    compared = re.findall(r"<tr><th>([^<]+)</th><td>([^<]*)</td><td>([^<]*)</td></tr>", table)
    assert [label for label, _before, _after in compared] == [
        "Sager indgivet til fogedretten",
        "Udsættelser gennemført af fogedretten",
        "Udsættelser pr. fogedsag",
        "Udsættelser inkl. fraflytninger pr. fogedsag",
    ]
    heading = "Før og efter start med keephome"
    for label, *values in compared:
        for column, value in zip(columns, values, strict=True):
            assert found[heading, f"{label} ({column})"] == ("" if value == "–" else value.replace(".", "")), label
    assert "truffet" not in {cell for row in rows for cell in row}
    english = {"section", "period", "tenants", "rent_path", "court_date", "never_reached", "no_baseline", "saving"}
    assert not english & {cell for row in rows for cell in row}
    with speaking("da"):
        words = [w for word in CSV_FIGURES.values() for w in (word if isinstance(word, tuple) else (word,))]
        # "boligstøtte" is the Danish word in English too.
        untranslated = [word for word in (*CSV_SECTIONS.values(), *words) if _(word) == word != "boligstøtte"]
    # A case's outcome is a part of the cases closed, in the file as on the page.
    assert found[("Sager", "Sager lukket med et udfald (betalt)")] == "1"
    assert untranslated == []


async def test_go_live_is_the_first_day_a_reminder_went_out(runtime: Runtime, client: httpx.AsyncClient) -> None:
    """A reminder the sender dropped (paid meanwhile) reminded no one: keephome went live with the first that left."""

    w = World(runtime)
    first, second = await w.tenant("T-01"), await w.tenant("T-02")
    await w.remind(first, "missed", date(2026, 2, 3), status="dropped")
    await w.remind(second, "missed", date(2026, 2, 5))
    await signed_in(runtime, client)
    found = figures(await report_csv(client, "from=2026-02-01&to=2026-02-28"))
    assert (found[("before_after", "go_live")], found[("tenants", "reminded")]) == ("2026-02-05", "1")


async def test_outreach_never_reached_counts_in_the_period_it_was_carried_out(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    """A call offered on 28 January and made, not reached, on 3 February is February's attempt."""
    w = World(runtime)
    tenant = await w.tenant("T-01")
    offered, made = at(date(2026, 1, 28)), at(date(2026, 2, 3))
    case_id = await w.case(tenant, offered, closed=at(date(2026, 2, 20)), outcome="no_contact")
    async with runtime.db.write() as conn:
        await conn.execute(
            case_tasks.insert().values(
                case_id=case_id, tenant_id=tenant, kind="call", status="not_reached",
                created_at=offered, updated_at=made, done_at=made,
            )
        )  # fmt: skip
    await signed_in(runtime, client)
    february = figures(await report_csv(client, "from=2026-02-01&to=2026-02-28"))
    january = figures(await report_csv(client, "from=2026-01-01&to=2026-01-31"))
    assert (february[("outreach", "never_reached")], january[("outreach", "never_reached")]) == ("1", "0")


async def test_cases_count_by_the_local_day_they_opened_and_closed_across_quarters(
    served: tuple[Runtime, httpx.AsyncClient],
) -> None:
    """The report's cases for the first quarter of 2026 and the second, each case on its day in Copenhagen: a case
    closed 15 minutes into the year (still 2025 in UTC), one closed 30 minutes into April in summer time (still 31
    March in UTC), one opened on the night summer time began; a tenant with two cases, erased since; a case closed
    without an outcome (opened, not closed with one). Two of the quarter's cases were reached, after 5 and 2 whole
    hours (median 3.5): a "case taken" notice is no contact, nor a message after the case closed."""
    rt, client = served
    w = World(rt)
    zone = ZoneInfo("Europe/Copenhagen")

    def local(*parts: int) -> datetime:
        return datetime(*parts, tzinfo=zone)

    a, b, c, d, e, f = [await w.tenant(ref) for ref in ("A-01", "B-02", "C-03", "D-04", "E-05", "F-06")]
    await w.case(a, local(2025, 12, 31, 23, 30), closed=local(2026, 1, 1, 0, 15), outcome="paid")
    await w.case(b, local(2026, 3, 31, 23, 59), call=local(2026, 4, 1, 2, 10))
    await w.case(c, local(2026, 2, 10, 10), closed=local(2026, 4, 1, 0, 30), outcome="payment_plan")
    staff_id = await add_person(rt, "cases@example.org", "adviser")
    await w.writes(c, local(2026, 2, 10, 10, 5), f"staff:{staff_id}", "case.taken")
    await w.writes(c, local(2026, 2, 10, 15, 30), f"staff:{staff_id}", "case.reply")
    await w.case(d, local(2026, 2, 10, 10), closed=local(2026, 2, 20, 15), outcome="kommune")
    await w.writes(d, local(2026, 2, 21, 9), f"staff:{staff_id}", "case.reply")
    await w.case(d, local(2026, 3, 29, 3, 30))  # the day summer time began: still open when the tenant is erased
    await w.case(e, local(2026, 4, 1, 1, 30))
    await w.case(f, local(2026, 3, 1, 9), closed=local(2026, 3, 2, 9))  # the tenant took back their yes
    await erase(rt.db, "D-04", rt.clock(), "cli", rt.settings.secret_key)
    await signed_in(rt, client)
    q1 = figures(await report_csv(client, "from=2026-01-01&to=2026-03-31"))
    q2 = figures(await report_csv(client, "from=2026-04-01&to=2026-06-30"))
    outcomes = ("paid", "payment_plan", "kommune", "boligstoette", "debt_counselling", "no_contact", "moved", "other")
    # Opened in the first quarter: B, C, D's two, F. Closed in it with an outcome: A (paid) and D's first (kommune).
    assert (q1[("cases", "opened")], q1[("cases", "closed")]) == ("5", "2")
    assert (q1[("cases", "reached")], q1[("cases", "median_hours_to_contact")]) == ("2", "3.5")
    assert [q1[("cases", o)] for o in outcomes] == ["1", "0", "1", "0", "0", "0", "0", "0"]
    # The second: E opened, C closed with a payment plan.
    assert (q2[("cases", "opened")], q2[("cases", "closed")]) == ("1", "1")
    assert (q2[("cases", "reached")], q2[("cases", "median_hours_to_contact")]) == ("0", "")
    assert [q2[("cases", o)] for o in outcomes] == ["0", "1", "0", "0", "0", "0", "0", "0"]
    page = (await client.get("/console/report?from=2026-01-01&to=2026-03-31")).text
    assert "<tr><th>Cases opened</th><td>5</td></tr>" in page
    assert "<tr><th>Cases closed with an outcome</th><td>2</td></tr>" in page
    assert "<tr><th>Cases closed with an outcome (kommune)</th><td>1</td></tr>" in page
    median = "<tr><th>Median hours from a case's opening to an adviser's first contact</th><td>3.5</td></tr>"
    assert median in html.unescape(page)
    # The same as the outcome page's chart of the cases closed (its months), which counts them there.
    chart = (await client.get("/console/outcomes/outcomes.csv?from=2026-01-01&to=2026-06-30")).content
    months = {row[0]: row[1:] for row in csv.reader(io.StringIO(chart.decode("utf-8-sig")))}
    assert sum(int(n) for m in ("2026-01", "2026-02", "2026-03") for n in months[m]) == 2


async def test_the_report_gives_the_median_days_to_an_advisers_contact(database_url: str) -> None:
    """The outcome page's median, in the report too: T-01 reached after 1 day, T-03 after 5 (the outcome world), two
    more after 2 and 8 days: 3.5 days, written '3,5' in a Danish reader's file and on the Danish page."""
    async with started_runtime(make_settings(database_url, console_language="da")) as rt:
        await build(rt)
        w = World(rt)
        staff_id = await add_person(rt, "median@example.org", "adviser")
        for ref, days in (("T-06", 2), ("T-07", 8)):
            tenant = await w.tenant(ref)
            await w.remind(tenant, "missed", date(2026, 2, 5))
            await w.writes(tenant, at(date(2026, 2, 5) + timedelta(days=days)), f"staff:{staff_id}", "case.reply")
        transport = httpx.ASGITransport(app=create_app(rt))
        async with httpx.AsyncClient(transport=transport, base_url="https://keephome.example.org") as client:
            await signed_in(rt, client)
            rows = await report_csv(client, separator=";")
            page = (await client.get(f"/console/outcomes?{PERIOD}")).text
    assert figures(rows, "da")[("tenants", "median_days_to_contact")] == "3,5"
    # A case is "åbnet" in the report as on the case page and the inbox.
    assert ["Sager", "Sager åbnet", "2"] in rows
    with speaking("da"):
        label = _("Median days from the first reminder to an adviser's contact")
    assert f"<tr><th>{html.escape(label)}</th><td>3,5</td></tr>" in page
    assert "Median: 3,5 dage" in html.unescape(page)
