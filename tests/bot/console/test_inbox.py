"""The inbox at real volume: a count and pages, tenants with the same first name told apart, the order the
README writes down ("How the inbox is ordered"), and a close form that makes the adviser choose."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, timedelta
from typing import Any

import httpx
from sqlalchemy import insert, select

from bot.console.inbox import NOTICES_PAGE_SIZE, PAGE_SIZE, TO_CHECK_PAGE_SIZE, tell_apart
from bot.reminders.ledger import import_tenants
from bot.runtime import Runtime
from bot.store.schema import cases, consents, rent_positions, staff, tenants
from bot.tenants.csv_rows import known_languages, parse_csv
from bot.tenants.erase import erase
from tests.support.console import add_case, add_person, add_tenant, case_row, login, post_form, today, without_tokens

_ROW = re.compile(r'<tr data-case="(\d+)"[^>]*>\s*<td><a href="/console/cases/\d+" class="who">([^<]+)</a>')


def _listed(page: str) -> list[tuple[int, str]]:
    return [(int(case_id), who) for case_id, who in _ROW.findall(page)]


async def _adviser(rt: Runtime, client: httpx.AsyncClient) -> None:
    await add_person(rt, "adviser@example.org", "adviser")
    assert (await login(client, "adviser@example.org")).status_code == 303


# The written rule, as a table: each row is more urgent than the next (days are counted from today).
RULE = [
    ("court date in 3 days", {"court_date": 3}),
    ("court date in 10 days, more owed", {"court_date": 10, "balance_ore": 2_000_000}),
    ("court date in 10 days", {"court_date": 10}),
    ("terminated 60 days ago, in effect", {"termination_on": -60, "balance_ore": 3_000_000}),
    ("terminated yesterday, in effect", {"termination_on": -1}),
    ("terminated today, less owed", {"termination_on": 0, "balance_ore": 100_000}),
    ("court date in 20 days", {"court_date": 20}),
    ("terminated, in effect in 10 days", {"termination_on": 10}),
    ("court date in two months", {"court_date": 60}),
    ("påkrav deadline passed", {"demand_received_on": -20}),
    ("påkrav deadline in 4 days", {"demand_received_on": -10}),
    ("påkrav deadline in 13 days", {"demand_received_on": -1}),
    ("three months' rent unpaid", {"balance_ore": 2_100_000}),
    ("a month's rent unpaid", {"balance_ore": 700_000}),
    ("nothing owed", {"balance_ore": 0}),
]


def _position(values: dict[str, Any], day: date) -> dict[str, Any]:
    position: dict[str, Any] = {"balance_ore": 500_000, "monthly_rent_ore": 700_000, "balance_as_of": day}
    for name, value in values.items():
        position[name] = day + timedelta(days=value) if name.endswith(("_date", "_on")) else value
    return position


async def test_the_inbox_follows_the_written_rule(runtime: Runtime, client: httpx.AsyncClient) -> None:
    day = today(runtime)
    ids: dict[int, str] = {}
    # Opened in reverse order, so the order seen is the rule's and not the order of arrival.
    for n, (what, values) in enumerate(reversed(RULE)):
        tenant = await add_tenant(runtime, f"R-{n:02}", name=f"T{n:02} Tenant", phone=None, **_position(values, day))
        ids[await add_case(runtime, tenant)] = what
    await _adviser(runtime, client)
    shown = [ids[case_id] for case_id, _ in _listed((await client.get("/console/")).text)]
    assert shown == [what for what, _ in RULE]


async def test_a_termination_in_effect_says_so(runtime: Runtime, client: httpx.AsyncClient) -> None:
    day = today(runtime)
    await add_case(runtime, await add_tenant(runtime, "R-1", phone=None, **_position({"termination_on": -3}, day)))
    await _adviser(runtime, client)
    assert (
        "(3 days ago), in effect: the landlord may ask the fogedret to evict at any time"
        in (await client.get("/console/")).text
    )


def test_tenants_with_the_same_first_name_are_told_apart() -> None:
    people = [
        ("Amira Hansen", "1042-3-0011"),
        ("Amira Jensen", "1042-3-0012"),
        ("Amira Hansen", "2001-1-0101"),
        ("Bo Lund", "1042-3-0013"),
        ("Amira", "3000-0007"),
        ("Amira", "3000-0008"),
    ]
    assert tell_apart(people) == ["Amira H. ·0011", "Amira J.", "Amira H. ·0101", "Bo", "Amira ·0007", "Amira ·0008"]
    assert all("+45" not in label for label in tell_apart(people))


async def _many_open_cases(rt: Runtime, count: int) -> dict[int, int]:
    """`count` open cases in three statements (returns case id -> n): every fifth tenant is called Amira, and
    tenant n has a court date n % 30 days ahead, so the ranking has ties to break."""
    at, day = rt.clock(), today(rt)
    surnames = ("Hansen", "Jensen", "Nielsen", "Hansen")
    people = [
        {
            "tenant_ref": f"V-{n:04}",
            "name": f"Amira {surnames[n % 4]}" if n % 5 == 0 else f"Tenant{n:04} Test",
            "language": "da",
            "status": "active",
            "created_at": at,
            "updated_at": at,
        }
        for n in range(count)
    ]
    async with rt.db.write() as conn:
        found = await conn.execute(insert(tenants).returning(tenants.c.id, tenants.c.tenant_ref), people)
        ids = {ref: int(tenant_id) for tenant_id, ref in found.all()}
        await conn.execute(
            insert(rent_positions),
            [
                {
                    "tenant_id": ids[f"V-{n:04}"],
                    "balance_ore": 100_000 * (n % 7),
                    "balance_as_of": day,
                    "court_date": day + timedelta(days=n % 30),
                    "due_day": 1,
                    "updated_at": at,
                }
                for n in range(count)
            ],
        )
        opened = await conn.execute(
            insert(cases).returning(cases.c.id, cases.c.tenant_id),
            [
                {
                    "tenant_id": ids[f"V-{n:04}"],
                    "status": "waiting",
                    "origin": "outreach",
                    "reason": "urgent outreach",
                    "priority": 0,
                    "consented": False,
                    "opened_at": at,
                    "updated_at": at,
                }
                for n in range(count)
            ],
        )
        number = {tenant_id: n for n, tenant_id in enumerate(ids[f"V-{n:04}"] for n in range(count))}
        return {int(case_id): number[int(tenant_id)] for case_id, tenant_id in opened.all()}


async def test_a_thousand_open_cases_are_counted_paged_and_told_apart(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    numbers = await _many_open_cases(runtime, 1000)
    await _adviser(runtime, client)
    first = (await client.get("/console/")).text
    assert "1000 open cases</strong> · showing 1–50" in first
    assert "page 1 of 20" in first and 'href="?page=2#case-list"' in first
    assert len(_listed(first)) == PAGE_SIZE
    seen: list[tuple[int, str]] = []
    for page in range(1, 21):
        seen.extend(_listed((await client.get(f"/console/?page={page}")).text))
    # Every case once, none twice, across the pages.
    assert len(seen) == 1000
    assert Counter(case_id for case_id, _ in seen).most_common(1)[0][1] == 1
    # The pages follow one ranking: court dates day by day, whatever page they fall on.
    court_day = {case_id: n % 30 for case_id, n in numbers.items()}
    assert [court_day[case_id] for case_id, _ in seen] == sorted(court_day[case_id] for case_id, _ in seen)
    # 200 tenants are called Amira: no two share a label, and none is just "Amira".
    amiras = [who for _, who in seen if who.startswith("Amira")]
    assert len(amiras) == 200 and len(set(amiras)) == 200
    assert all(re.fullmatch(r"Amira [HJN]\. ·\d{4}", who) for who in amiras), amiras[:5]
    last = (await client.get("/console/?page=20")).text
    assert "showing 951–1000" in last and 'rel="next"' not in last and 'href="?page=19#case-list"' in last
    beyond = (await client.get("/console/?page=99")).text
    assert "showing 951–1000" in beyond  # past the end: the last page
    assert (await client.get("/console/?page=0")).status_code == 422
    assert (await client.get("/console/?page=two")).status_code == 422


async def test_the_closed_filter_is_paged_too(runtime: Runtime, client: httpx.AsyncClient) -> None:
    await _many_open_cases(runtime, 60)
    async with runtime.db.write() as conn:
        await conn.execute(cases.update().values(status="closed", outcome="paid", closed_at=runtime.clock()))
    await _adviser(runtime, client)
    first = (await client.get("/console/?status=closed")).text
    assert "60 closed cases</strong> · showing 1–50" in first and "page 1 of 2" in first
    second = (await client.get("/console/?status=closed&page=2")).text
    both = _listed(first) + _listed(second)
    assert len(both) == 60 and len({case_id for case_id, _ in both}) == 60
    assert "0 open cases" in (await client.get("/console/")).text


async def test_the_pages_of_a_filtered_list_keep_its_filters_as_the_other_lists_do(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    """The case list pages with the console's shared pager: its count, page n of m, and links that keep the status
    and "only mine" chosen and land on the list."""
    await _many_open_cases(runtime, PAGE_SIZE + 10)
    adviser_id = await add_person(runtime, "adviser@example.org", "adviser")
    assert (await login(client, "adviser@example.org")).status_code == 303
    async with runtime.db.write() as conn:
        await conn.execute(cases.update().values(assignee_id=adviser_id))
    first = (await client.get("/console/?status=waiting&mine=1")).text
    pager = first.split('id="page-pager"')[1].split("</nav>")[0]
    assert f"{PAGE_SIZE + 10} waiting cases of yours" in pager and "page 1 of 2" in pager
    assert f'<a href="?status=waiting&amp;mine=1&amp;page=2#case-list" rel="next">Next {PAGE_SIZE} →</a>' in pager
    second = (await client.get("/console/?status=waiting&mine=1&page=2")).text
    assert f"showing {PAGE_SIZE + 1}–{PAGE_SIZE + 10}" in second and len(_listed(second)) == 10
    back = second.split('id="page-pager"')[1].split("</nav>")[0]
    assert f'<a href="?status=waiting&amp;mine=1&amp;page=1#case-list" rel="prev">← Previous {PAGE_SIZE}</a>' in back


async def test_a_closed_case_shows_its_outcome_not_why_it_was_urgent(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    """Under the closed filter a case is no longer urgent: its row says when it closed and how, never the påkrav's
    deadline or what is owed, nor what the tenant told the bot to check."""
    day = today(runtime)
    tenant = await add_tenant(
        runtime,
        "R-1",
        balance_ore=710_000,
        demand_received_on=day - timedelta(days=6),
        promise_on=day + timedelta(days=30),
    )
    case_id = await add_case(runtime, tenant)
    await _adviser(runtime, client)
    row = re.compile(rf'<tr data-case="{case_id}".*?</tr>', re.S)
    listed = row.search((await client.get("/console/")).text)
    assert listed is not None and "påkrav received" in listed.group(0) and "owes" in listed.group(0)
    page = f"/console/cases/{case_id}"
    await post_form(client, page, f"{page}/take", {})
    assert (await post_form(client, page, f"{page}/close", {"outcome": "paid", "note": ""})).status_code == 303
    closed = (await client.get("/console/?status=closed")).text
    listed = row.search(closed)
    assert listed is not None
    for urgent in ("påkrav", "deadline", "owes", "7,100", "7.100", "promised"):
        assert urgent not in listed.group(0)
    assert re.search(r"Closed \d+ \w+ \d\d:\d\d: paid", listed.group(0))
    assert "<th>Outcome</th>" in closed and "<th>Why now</th>" not in closed


async def test_closing_needs_a_chosen_outcome(runtime: Runtime, client: httpx.AsyncClient) -> None:
    case_id = await add_case(runtime, await add_tenant(runtime, "R-1", phone="+4520000001"))
    await _adviser(runtime, client)
    page = f"/console/cases/{case_id}"
    await post_form(client, page, f"{page}/take", {})
    form = (await client.get(page)).text
    select = re.search(r'<select id="outcome" name="outcome" required>(.*?)</select>', form, flags=re.S)
    assert select is not None
    options = re.findall(r"<option[^>]*>", select.group(1))
    assert options[0] == '<option value="" selected disabled>'
    assert sum("selected" in option for option in options) == 1  # only the empty choice
    refused = await post_form(client, page, f"{page}/close", {"note": ""})
    assert refused.status_code == 422 and "outcome" in refused.text
    refused = await post_form(client, page, f"{page}/close", {"outcome": "", "note": ""})
    assert refused.status_code == 422
    assert (await case_row(runtime, case_id)).status == "taken"
    closed = await post_form(client, page, f"{page}/close", {"outcome": "paid", "note": ""})
    assert closed.status_code == 303 and (await case_row(runtime, case_id)).outcome == "paid"


async def test_an_erased_tenants_closed_case_is_listed_without_their_former_reference(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    tenant_id = await add_tenant(runtime, "R-9", name="Carl Berg")
    await add_case(runtime, tenant_id)
    await erase(runtime.db, "R-9", runtime.clock(), "cli", runtime.settings.secret_key)
    await _adviser(runtime, client)
    closed = without_tokens((await client.get("/console/?status=closed")).text)
    assert "(erased tenant)" in closed and re.search(r"Closed \d+ \w+ \d\d:\d\d</td>", closed)
    assert "erased:" not in closed and "Carl" not in closed and "R-9" not in closed


async def test_the_inbox_view_is_audited_once_a_session_for_what_it_shows(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    """The inbox shows each case's tenant, why and the rent stage: a view of tenants' data, audited with the cases
    it showed. It refreshes itself every 20 seconds, so each case is audited once a session, a new one when it
    appears."""
    from sqlalchemy import select

    from bot.store.schema import audit_log

    first = await add_case(runtime, await add_tenant(runtime, "R-1", name="Amira Hansen"))
    await _adviser(runtime, client)
    for _ in range(3):
        assert (await client.get("/console/")).status_code == 200
    second = await add_case(runtime, await add_tenant(runtime, "R-2", name="Bo Jensen", phone="+4520000002"))
    assert (await client.get("/console/")).status_code == 200
    async with runtime.db.read() as conn:
        views = (
            (
                await conn.execute(
                    select(audit_log.c.detail).where(audit_log.c.action == "inbox.view").order_by(audit_log.c.id)
                )
            )
            .scalars()
            .all()
        )
    assert views == [f"case:{first}", f"case:{second}"]


async def test_the_filings_without_a_kommune_notice_are_audited_with_their_tenants(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    """The list of filings whose kommune notice is missing shows each tenant's name and reference: a view of their
    data, in the audit log with each tenant it showed (once a session, as the cases are)."""
    from sqlalchemy import select

    from bot.store.schema import audit_log

    day = today(runtime)
    header = "tenant_ref;name;phone;balance;address;court_filed_on;kommune_notified_on"
    lines = [f"F-{n};Filed{n} Tenant;2012000{n};0;Byvej {n};{day - timedelta(days=n + 1)};" for n in range(2)]
    parsed = parse_csv("\n".join([header, *lines]).encode(), day, known_languages(), ["da", "en"], "da")
    assert parsed.ok, parsed.errors
    await import_tenants(runtime.db, parsed.rows, runtime.clock(), runtime.settings)
    await _adviser(runtime, client)
    page = (await client.get("/console/")).text
    listed = _section(page, "kommune-not-notified")
    assert len(listed) == 2
    assert (await client.get("/console/")).status_code == 200
    async with runtime.db.read() as conn:
        details = (
            (await conn.execute(select(audit_log.c.detail).where(audit_log.c.action == "inbox.view"))).scalars().all()
        )
    named = [part for detail in details for part in str(detail).split(",")]
    assert sorted(named) == sorted(f"tenant:{tenant}" for tenant in listed)


def _section(page: str, start: str, end: str | None = None) -> list[str]:
    """The tenants (`data-tenant`) one of the inbox's lists shows, from its card's id to the next's."""
    part = page[page.index(f'id="{start}"') : page.index(f'id="{end}"') if end else None]
    return re.findall(r'<tr data-tenant="(\d+)"', part)


async def test_the_lists_to_check_and_of_missing_kommune_notices_are_shown_a_page_at_a_time(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    """Each list showed up to 300 rows at once and no more, with no way on: a page of each now, its count, and links
    that keep the other list's page."""
    day = today(runtime)
    more = 3
    to_check = [
        await add_tenant(
            runtime,
            f"K-{n:03d}",
            name=f"Check{n:03d} Tenant",
            phone=f"+452000{n:04d}",
            balance_ore=90000,
            demand_sent_on=day - timedelta(days=5),
            paid_claim_until=day + timedelta(days=3),
        )
        for n in range(TO_CHECK_PAGE_SIZE + more)
    ]
    async with runtime.db.write() as conn:
        await conn.execute(
            consents.insert(),
            [
                {"tenant_id": t, "scope": "adviser", "wording_version": "consent-v1", "given_at": runtime.clock()}
                for t in to_check
            ],
        )
    header = "tenant_ref;name;phone;balance;address;court_filed_on;kommune_notified_on"
    lines = [
        f"F-{n:03d};Filed{n:03d} Tenant;2012{n:04d};0;Byvej {n + 1};{day - timedelta(days=n + 1)};"
        for n in range(NOTICES_PAGE_SIZE + more)
    ]
    parsed = parse_csv("\n".join([header, *lines]).encode(), day, known_languages(), ["da", "en"], "da")
    assert parsed.ok, parsed.errors
    await import_tenants(runtime.db, parsed.rows, runtime.clock(), runtime.settings)
    await add_person(runtime, "adviser@example.org", "adviser")
    await login(client, "adviser@example.org")

    first = (await client.get("/console/")).text
    later = (await client.get("/console/?check=2&notices=2")).text
    checks = _section(first, "to-check", "kommune-not-notified"), _section(later, "to-check", "kommune-not-notified")
    notices = _section(first, "kommune-not-notified"), _section(later, "kommune-not-notified")
    assert [len(checks[0]), len(checks[1])] == [TO_CHECK_PAGE_SIZE, more]
    assert Counter(checks[0] + checks[1]) == Counter(str(t) for t in to_check)
    assert [len(notices[0]), len(notices[1])] == [NOTICES_PAGE_SIZE, more]
    assert len(set(notices[0] + notices[1])) == NOTICES_PAGE_SIZE + more
    assert f"{TO_CHECK_PAGE_SIZE + more} tenants to check" in first
    assert f"{NOTICES_PAGE_SIZE + more} filings without a notice in time" in first
    assert 'href="?check=2#to-check"' in first and 'href="?notices=2#kommune-not-notified"' in first
    # On, back: the other list stays on its page.
    assert 'href="?notices=2&amp;check=1#to-check"' in later
    assert 'href="?check=2&amp;notices=1#kommune-not-notified"' in later
    assert "check=3" not in later and "notices=3" not in later


async def test_a_tenant_who_writes_stop_while_an_adviser_holds_the_case_is_flagged_in_the_inbox_row(
    served: tuple[Runtime, httpx.AsyncClient],
) -> None:
    """STOP on Telegram works while a person holds the case: the inbox row itself says keephome can no longer write
    to the tenant, so the adviser does not learn it only by opening the case (a reply there would be refused)."""
    from bot.host.cases import take_case
    from bot.inbound.inbox import InboundMessage
    from tests.support.drive import drain, process_all

    runtime, client = served
    chat = 4242
    tenant = await add_tenant(runtime, "R-1", name="Jamie Holm", chat_id=chat)
    other = await add_tenant(runtime, "R-2", name="Bodil Berg", phone="+4520000002")
    case_id = await add_case(runtime, tenant)
    await add_case(runtime, other)
    await _adviser(runtime, client)
    async with runtime.db.write() as conn:
        adviser = await conn.scalar(select(staff.c.id))
        await take_case(conn, case_id, int(adviser), runtime.clock())
    assert "tenant-unreachable" not in (await client.get("/console/")).text
    await runtime.inbox.submit(InboundMessage("telegram", f"{chat}:1", str(chat), "STOP"))
    await process_all(runtime.processor)
    await drain(runtime.sender)
    page = (await client.get("/console/")).text
    flagged = re.findall(r'<tr data-case="(\d+)".*?</tr>', page, re.S)
    rows = dict(zip(flagged, re.findall(r'<tr data-case="\d+".*?</tr>', page, re.S), strict=True))
    assert "keephome cannot write to the tenant: stopped (wrote STOP)" in rows[str(case_id)]
    assert len([r for r in rows.values() if "tenant-unreachable" in r]) == 1
