"""The readable export as a person reads it: times in the deployment's zone, who did what by role, the planner's
reasons in the page's language, an internal ranking said to be one, and the values a text was made of and a
conversation's answers as lists rather than JSON — while everything stays on the page."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import Connection, insert

from bot.console.data_rights import EXPORT_WORDS
from bot.host.consents import record_consent
from bot.i18n import local_day, reason_words, speaking
from bot.runtime import Runtime
from bot.store.schema import planned_reminders
from bot.tenants.export import export_tenant, render_html, staff_roles
from tests.support.history import a_tenant_with_a_history

MISSED = "rent due 2026-12-01, last on-time day 2026-12-03; balance owed as of 2026-12-07"
MISSED_FROM = {
    "due_date": "2026-12-01",
    "last_on_time_day": "2026-12-03",
    "first_bank_day": "2026-12-04",
    "balance_as_of": "2026-12-07",
}


@pytest.mark.parametrize(
    ("trigger", "computed_from", "danish"),
    [
        (
            "missed",
            MISSED_FROM,
            "husleje forfaldt 1. dec. 2026, sidste rettidige betalingsdag 3. dec. 2026; skylder pr. 7. dec. 2026",
        ),
        (
            "court",
            {
                "balance_as_of": "2026-12-08",
                "balance_owed": "no",
                "court_date": "2026-12-10",
                "court_eve": "2026-12-09",
            },
            "retsmøde 10. dec. 2026 om 1 dag: hverdagen før, en påmindelse mere; skylder intet pr. 8. dec. 2026",
        ),
        (
            "court",
            {"balance_as_of": "2026-12-01", "balance_owed": "yes", "termination_on": "2026-11-30"},
            "ophævelse 30. nov. 2026 er kendt; skylder pr. 1. dec. 2026",
        ),
        (
            "demand",
            {
                "demand_sent_on": "2026-11-02",
                "delivery_days": "3",
                "due_date": "2026-11-01",
                "deadline": "2026-11-19",
                "offset": "5",
            },
            "påkrav sendt 2. nov. 2026, regnet som modtaget efter 3 dage, for husleje med forfald 1. nov. 2026; "
            "beregnet frist 19. nov. 2026, 5 dage tilbage",
        ),
        (
            "demand",
            {"demand_received_on": "2026-11-03", "due_date": "2026-11-01", "deadline": "2026-11-19", "offset": "1"},
            "påkrav modtaget 3. nov. 2026, for husleje med forfald 1. nov. 2026; beregnet frist 19. nov. 2026, "
            "1 dag tilbage",
        ),
        (
            "demand",
            {
                "demand_sent_on": "2026-11-02",
                "delivery_days": "0",
                "due_date": "2026-11-01",
                "deadline": "2026-11-19",
                "offset": "2",
            },
            "påkrav sendt 2. nov. 2026, modtaget samme dag (Digital Post), for husleje",
        ),
        (
            "promise_check",
            {"promise_on": "2026-12-12", "balance_as_of": "2026-12-13"},
            "har lovet at betale 12. dec. 2026",
        ),
        (
            "before_due",
            {"due_date": "2027-01-01", "before_due_days": "5", "why": "at_risk"},
            "husleje forfalder 1. jan. 2027 om 5 dage; lejeren er markeret som i risiko",
        ),
        ("other", {"something": "else"}, "something=else"),
    ],
)
def test_each_of_the_planners_reasons_reads_in_danish(trigger: str, computed_from: dict[str, str], danish: str) -> None:
    with speaking("da"):
        words = reason_words(trigger, computed_from, local_day)
    assert danish in words, words
    if trigger != "other":
        assert not re.search(r"\d{4}-\d\d-\d\d|rent due|balance|owed", words), words


async def test_the_page_shows_local_times_roles_and_words_and_keeps_everything(
    served: tuple[Runtime, httpx.AsyncClient],
) -> None:
    rt, client = served
    history = await a_tenant_with_a_history(rt, client)
    now = rt.clock()
    signed = now - timedelta(days=3)

    def more(conn: Connection) -> None:
        row = {"trigger": "missed", "period": "2026-12", "offset_days": -1, "reason": MISSED, "created_at": now}
        conn.execute(
            insert(planned_reminders).values(
                tenant_id=history.tenant_id, planned_for=now.date(), computed_from=MISSED_FROM, **row
            )
        )
        # One planned before what it was computed from was kept: its reason as stored.
        older = {**row, "period": "2026-11", "reason": "rent due 2026-11-01, an older wording"}
        conn.execute(insert(planned_reminders).values(tenant_id=history.tenant_id, planned_for=now.date(), **older))
        record_consent(
            conn,
            tenant_id=history.tenant_id,
            case_id=history.case_id,
            recipient_kind="organisation",
            recipient=None,
            source="Boligselskabet Test",
            data_kinds=[],
            purpose=None,
            wording=None,
            method="signed_form",
            recorded_by=None,
            given_at=signed.replace(hour=11, minute=0, second=0, microsecond=0),  # noon in Copenhagen
            now=now,
        )

    await rt.db.run(more)
    data = await export_tenant(rt.db, history.ref, now, "cli")
    with speaking("da"):
        html = render_html(data, EXPORT_WORDS, zone=ZoneInfo("Europe/Copenhagen"), staff=await staff_roles(rt.db))
    # Times in the deployment's zone, the Danish way; none in ISO 8601 or UTC.
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d", html) and "+00:00" not in html
    assert "tidszonen <code>Europe/Copenhagen</code>" in html
    # The planner's reason in words, its dates the Danish way.
    assert "sidste rettidige betalingsdag 3. dec. 2026" in html and "last on-time day" not in html
    assert "rent due 2026-11-01, an older wording" in html
    # What it was computed from stays on the page, under its own heading.
    assert "<th>Beregnet ud fra</th>" in html and "<code>first_bank_day</code>" in html
    # Who did what by role and number, never a bare number or an e-mail of the staff.
    assert "rådgiver (medarbejder nr." in html and "adviser@example.org" not in html
    assert "<dt>Rådgiver</dt><dd>rådgiver (medarbejder nr." in html
    # The inbox's ranking said to be internal.
    assert "Rækkefølge i indbakken (et internt tal)" in html and "<dt>Prioritet</dt>" not in html
    # JSON only where it is the tenant's message as received; the values a text was made of and the answers as lists.
    receipts = sum(1 for r in data["inbound_receipts"] if r["payload"])
    assert html.count("<pre>") == receipts + sum(1 for c in data["consents"] if c["wording"])
    conversations = html.split("<h2>Samtaler</h2>")[1].split("<h2>")[0]
    assert "<pre>" not in conversations and "<dl>" in conversations
    # A signed form's day, with no time nobody entered.
    signed_row = html.split("<h2>Samtykker</h2>")[1].split("<h2>")[0].split("<tr>")[-1]
    day = f"{signed.day}. "
    assert day in signed_row.split("</td>")[8] and not re.search(r"\d\d:\d\d", signed_row.split("</td>")[8]), signed_row
