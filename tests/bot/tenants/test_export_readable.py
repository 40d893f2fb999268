"""The readable export as a person reads it: times in the deployment's zone, who did what by role, the planner's
reasons in the page's language, keephome's own numbers left out, amounts in kroner as the console writes them,
a conversation as what the tenant was asked and answered, and what a text not yet written is to be made of as a
list — the engine's own state left to the JSON, which keeps everything."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from jinja2 import Environment, meta
from sqlalchemy import Connection, insert

from bot.cli.check import SAMPLE_VALUES, VARIANTS
from bot.console.data_rights import EXPORT_WORDS
from bot.host.appointments import appointment_values
from bot.host.consents import record_consent
from bot.i18n import local_day, local_moment, reason_words, speaking
from bot.outbox.render import Renderer
from bot.paths import TEMPLATES_DIR
from bot.runtime import Runtime
from bot.settings import Settings
from bot.store.schema import conversations, messages, outbox, planned_reminders, referrals
from bot.tenants.export import export_tenant, render_html, staff_roles, to_json
from conversations.state import State
from conversations.values import Money, Value, encode_values
from tests.support.console import add_case, add_tenant
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
            # The last reminder planned before quiet days that would hold it past the deadline: the days actually left.
            "demand",
            {
                "demand_sent_on": "2029-12-10",
                "delivery_days": "0",
                "due_date": "2029-12-01",
                "deadline": "2029-12-24",
                "offset": "1",
                "days_left": "2",
            },
            "beregnet frist 24. dec. 2029, 2 dage tilbage",
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
    assert "(tidspunkter i dansk tid, beløb i kroner)" in html and "Europe/Copenhagen" not in html
    # When the rent falls due, as a sentence; each reminder's month by its name.
    assert "<dt>Huslejen forfalder</dt><dd>den 1. i måneden</dd>" in html
    reminders = html.split("<h2>Påmindelser</h2>")[1].split("<h2>")[0]
    assert reminders.count("<td>december 2026</td>") == 1 and reminders.count("<td>november 2026</td>") == 1
    assert not re.search(r"\b2026-1[12]\b(?!-)", reminders), reminders
    # The planner's reason in words, its dates the Danish way.
    assert "sidste rettidige betalingsdag 3. dec. 2026" in html and "last on-time day" not in html
    assert "rent due 2026-11-01, an older wording" in html
    # What it was computed from stays on the page, under its own heading, each value under its own in words.
    assert "<th>Beregnet ud fra</th>" in html and "<dt>Første bankdag derefter</dt><dd>4. dec. 2026</dd>" in html
    assert "first_bank_day" not in html and "2026-12-04" not in html
    # Who did what by role and number, never a bare number or an e-mail of the staff.
    assert "rådgiver (medarbejder nr." in html and "adviser@example.org" not in html
    assert "<dt>Rådgiver</dt><dd>rådgiver (medarbejder nr." in html
    # keephome's own numbers, which mean nothing to the tenant, are the JSON's only: the inbox's ranking of the case,
    # the tenant's number in the database; the tenant is named by the reference the organisation gives them.
    ranking = str(data["cases"][0]["priority"])
    assert data["tenant"]["id"] == history.tenant_id and len(ranking) > 3
    assert ranking not in html and "Rækkefølge i indbakken" not in html and "Lejerens nummer" not in html
    tenancy = html.split("<h2>Lejemål og kontakt</h2>")[1].split("<h2>Sager i fogedretten</h2>")[0]
    assert f"<dt>Lejemålsnummer</dt><dd>{history.ref}</dd>" in tenancy and "<dt>Nummer</dt>" not in tenancy
    # JSON only where it is the tenant's message as received; the answers as lists.
    receipts = sum(1 for r in data["inbound_receipts"] if r["payload"])
    assert html.count("<pre>") == receipts + sum(1 for c in data["consents"] if c["wording"])
    conversations = html.split("<h2>Samtaler</h2>")[1].split("<h2>")[0]
    assert "<pre>" not in conversations and "<dl>" in conversations
    # A signed form's day, with no time nobody entered.
    signed_row = html.split("<h2>Samtykker</h2>")[1].split("<h2>")[0].split("<tr>")[-1]
    day = f"{signed.day}. "
    assert day in signed_row.split("</td>")[8] and not re.search(r"\d\d:\d\d", signed_row.split("</td>")[8]), signed_row


# What a tenant would stumble on if the engine's state or the stored codes reached the page.
INTERNALS = (
    "missed",
    "paid_pause_days",
    "nudge_after_hours",
    "consent_wording_version",
    "flow_version",
    "recipient_kinds",
    "retries",
    "nudged",
    "held",
    "waiting",
    "deadline",
    "other_reason",
    "part",
    "580000",
    "6900.00",
    "7100.50",
)


async def test_the_page_shows_kroner_and_each_question_with_its_answer_not_the_engines_state(
    served: tuple[Runtime, httpx.AsyncClient],
) -> None:
    rt, client = served
    history = await a_tenant_with_a_history(rt, client)
    now = rt.clock()

    def more(conn: Connection) -> None:
        def talk(flow: str, trigger: str | None, data: dict[str, str | int]) -> None:
            state = State(flow, 1, "x", "da", "telegram", "Amira", trigger, data=data, retries=1, ended=True)
            row = {"flow": flow, "trigger": trigger, "state": state.to_dict(), "active": False}
            conn.execute(
                insert(conversations).values(
                    tenant_id=history.tenant_id, ended_reason="declined", started_at=now, updated_at=now, **row
                )
            )

        # Over Telegram after a missed rent: part of it, how much, and why in their own words.
        answers = {"question": "part", "amount": 580_000, "reason": "other_reason", "reason_text": "Min datter var syg"}
        talk("payment_check", "missed", answers)
        # The withdrawal's list, given by the word that started it, and the tenant's choice from it.
        given: dict[str, str | int] = {
            "c1": "organisation:",
            "c2": "volunteer_org:Frivilligrådgivningen (demo)",
            "recipients": "|Frivilligrådgivningen (demo)",
            "recipient_kinds": "organisation|volunteer_org",
            "held": 1,
            "waiting": 0,
        }
        talk("withdraw_choice", None, {**given, "choose": "2"})
        # A message not yet written: only what it is to be made of.
        queued = {"direction": "out", "channel": "telegram", "author": "bot", "status": "queued"}
        message = conn.execute(
            insert(messages).values(
                tenant_id=history.tenant_id, template="payment_check.promised", created_at=now, updated_at=now, **queued
            )
        ).inserted_primary_key[0]
        values = {"first_name": "Amira", "amount": Money(125_050), "pay_on": date(2026, 12, 12), "trigger": "missed"}
        conn.execute(
            insert(outbox).values(
                message_id=message,
                tenant_id=history.tenant_id,
                channel="telegram",
                template="payment_check.promised",
                values=encode_values({**values, "held": 1, "deadline_running": 1}),
                language="da",
                not_before=now,
                next_attempt_at=now,
                idempotency_key="export-queued-1",
                created_at=now,
            )
        )

    await rt.db.run(more)
    data = await export_tenant(rt.db, history.ref, now, "cli")
    zone, roles = ZoneInfo("Europe/Copenhagen"), await staff_roles(rt.db)
    with speaking("da"):
        danish = render_html(data, EXPORT_WORDS, zone=zone, staff=roles)
    with speaking("en"):
        english = render_html(data, EXPORT_WORDS, zone=zone, staff=roles)
    # The rent and the balance in kroner, the console's way, in each language.
    assert "<dd>6.900,00\xa0kr.</dd>" in danish and "<dd>7.100,50\xa0kr.</dd>" in danish
    assert "<dd>DKK\xa06,900.00</dd>" in english and "<dd>DKK\xa07,100.50</dd>" in english
    assert "<dt>The rent is due</dt><dd>on day 1 of the month</dd>" in english
    assert "(times are Danish time, amounts in kroner)" in english and "Europe/Copenhagen" not in english
    talks = danish.split("<h2>Samtaler</h2>")[1].split("<h2>")[0]
    # Each question with its answer in words: the amount in kroner, the reason's option, the tenant's own words.
    for asked_and_answered in (
        "<dt>Første svar</dt><dd>kan betale en del</dd>",
        "<dt>Kan betale</dt><dd>5.800,00\xa0kr.</dd>",
        "<dt>Hvorfor</dt><dd>en anden grund</dd>",
        "<dt>Hvorfor, med lejerens egne ord</dt><dd>Min datter var syg</dd>",
        "<dt>Det ja, der blev trukket tilbage</dt><dd>En frivillig organisation: Frivilligrådgivningen (demo)</dd>",
        "<dt>Sagde ja til at dele</dt><dd>ja</dd>",  # the history's SMS yes
        "<th>Spurgt og svaret</th>",
        "<td>husleje ikke betalt</td>",  # who started it: the trigger in words
    ):
        assert asked_and_answered in talks, asked_and_answered
    # What the queued message is to be made of, in words; what only keephome reads left out.
    for made_of in ("<dt>Fornavn</dt><dd>Amira</dd>", "<dd>1.250,50\xa0kr.</dd>", "<dd>12. dec. 2026</dd>"):
        assert made_of in danish, made_of
    # No code, setting, try or internal key of the engine anywhere on the page.
    for internal in INTERNALS:
        assert not re.search(rf"\b{re.escape(internal)}\b", danish), internal
    english_talks = english.split("<h2>Conversations</h2>")[1].split("<h2>")[0]
    assert "<dt>Can pay</dt><dd>DKK\xa05,800.00</dd>" in english_talks and "<td>rent missed</td>" in english_talks
    assert "<dt>Why</dt><dd>another reason</dd>" in english_talks
    # In English "held", "waiting" and "part" are words too ("Data held about …"): the names and numbers, and
    # "missed" only as the words "rent missed".
    for internal in (i for i in INTERNALS if "_" in i or i[0].isdigit()):
        assert internal not in english, internal
    assert not re.search(r"(?<!rent )\bmissed\b", english)
    # The JSON keeps all of it: the stored amounts, codes and the engine's state.
    kept = json.loads(to_json(data))
    assert kept["rent_position"]["balance"] == "7100.50" and kept["rent_position"]["monthly_rent"] == "6900.00"
    states = [c["state"] for c in kept["conversations"]]
    assert any(s["trigger"] == "missed" and s["data"]["amount"] == 580_000 for s in states)
    assert any(s["data"].get("recipient_kinds") == "organisation|volunteer_org" for s in states)
    assert all("paid_pause_days" in s["settings"] and "retries" in s for s in states)
    assert any(m["template_values"] and m["template_values"].get("held") == 1 for m in kept["messages"])


async def test_an_urgent_outreach_and_a_conversation_the_tenant_began_read_in_danish(runtime: Runtime) -> None:
    """The case an urgent outreach opened is said as the case page says it, not in the planner's English; a
    conversation about the rent the tenant began is not called a reminder's questions (one a reminder began is)."""
    tenant_id = await add_tenant(runtime, "4711-3-12", name="Omega Tenant", balance_ore=690000)
    planner = "urgent outreach: court date 2026-12-19 known; balance owed as of 2026-12-01"
    await add_case(runtime, tenant_id, origin="outreach", consent=False, reason=planner)
    now = runtime.clock()

    def talks(conn: Connection) -> None:
        for trigger in (None, "missed"):
            state = State("payment_check", 1, "x", "da", "sms", "Omega", trigger, data={"question": "part"}, ended=True)
            row = {"flow": "payment_check", "trigger": trigger, "state": state.to_dict(), "active": False}
            conn.execute(insert(conversations).values(tenant_id=tenant_id, started_at=now, updated_at=now, **row))

    await runtime.db.run(talks)
    data = await export_tenant(runtime.db, "4711-3-12", now, "cli")
    assert [c["reason"] for c in data["cases"]] == [planner]  # the JSON keeps what is stored
    with speaking("da"):
        html = render_html(data, EXPORT_WORDS, zone=ZoneInfo("Europe/Copenhagen"), staff=await staff_roles(runtime.db))
    words = "hasteopsøgning: en ophævelse eller et retsmøde er kendt (se huslejestatus)"
    assert html.count(words) == 2  # the case's reason and its opening event's
    assert "urgent outreach" not in html and "court date" not in html and "known;" not in html
    talked = html.split("<h2>Samtaler</h2>")[1].split("<h2>")[0]
    assert talked.count("huslejen: en samtale, lejeren selv begyndte") == 1
    assert talked.count("huslejen: en påmindelses spørgsmål") == 1


async def test_how_a_pakrav_deadline_was_worked_out_reads_in_danish_and_english(runtime: Runtime) -> None:
    """A reminder's `computed_from` under headings in the reader's language, its days as they write them, never the
    planner's names for them (the JSON keeps those)."""
    tenant_id = await add_tenant(runtime, "4711-3-13", name="Sigma Tenant")
    now = runtime.clock()
    computed = {
        "demand_sent_on": "2026-11-02",
        "delivery_days": "3",
        "due_date": "2026-11-01",
        "deadline": "2026-11-19",
        "offset": "5",
    }

    def plan(conn: Connection) -> None:
        row = {"trigger": "demand", "period": "2026-11", "offset_days": 5, "reason": "påkrav", "created_at": now}
        conn.execute(
            insert(planned_reminders).values(tenant_id=tenant_id, planned_for=now.date(), computed_from=computed, **row)
        )

    await runtime.db.run(plan)
    data = await export_tenant(runtime.db, "4711-3-13", now, "cli")
    assert data["reminders"][0]["computed_from"] == computed
    pages = {}
    for language in ("da", "en"):
        with speaking(language):
            pages[language] = render_html(data, EXPORT_WORDS).split("<h2>")[-3]
    da, en = pages["da"], pages["en"]
    assert "<dt>Dage et påkrav regnes om at være undervejs</dt><dd>3</dd>" in da, da
    assert "<dt>Beregnet frist</dt><dd>19. nov. 2026</dd>" in da and "<dt>Dage før fristen</dt><dd>5</dd>" in da
    assert "<dt>Huslejens forfaldsdag</dt><dd>1. nov. 2026</dd>" in da
    assert "<dt>Påkrav sendt</dt><dd>2. nov. 2026</dd>" in da
    assert "<dt>Days a påkrav is counted to take to arrive</dt><dd>3</dd>" in en and "<dt>Computed deadline</dt>" in en
    for page in (da, en):
        for name in (n for n in computed if "_" in n or page is da or n == "offset"):
            assert name not in page, name
        assert not re.search(r"\d{4}-\d\d-\d\d", page), page


async def _queue_a_text(rt: Runtime, tenant_id: int, template: str, values: dict[str, Value], key: str) -> None:
    """A text to the tenant not yet written (an appointment's confirmation waits for the morning): only its values."""
    now = rt.clock()

    def queue(conn: Connection) -> None:
        row = {"direction": "out", "channel": "sms", "author": "bot", "status": "queued"}
        message = conn.execute(
            insert(messages).values(tenant_id=tenant_id, template=template, created_at=now, updated_at=now, **row)
        ).inserted_primary_key[0]
        conn.execute(
            insert(outbox).values(
                message_id=message,
                tenant_id=tenant_id,
                channel="sms",
                template=template,
                values=encode_values(values),
                language="da",
                not_before=now,
                next_attempt_at=now,
                idempotency_key=key,
                created_at=now,
            )
        )

    await rt.db.run(queue)


def _made_of(html: str) -> list[tuple[str, str]]:
    """The names and values the messages' section lists (what the texts not yet written are made of)."""
    section = html.split("<h2>Beskeder</h2>")[1].split("<h2>")[0]
    return re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", section)


@dataclass(frozen=True)
class Omega:
    """The tenant as an appointment's texts read it: by name."""

    name: str = "Omega Tenant"


async def test_an_appointment_not_yet_confirmed_reads_in_danish(runtime: Runtime) -> None:
    """The confirmation of a moved appointment waits for the morning: the page handed to the tenant says its day and
    time (and the ones it replaces) under Danish headings, the time as the Danish page writes one."""
    tenant_id = await add_tenant(runtime, "4711-3-12", name="Omega Tenant")
    at = datetime(2026, 12, 8, 13, 30, tzinfo=UTC)  # 14.30 in Copenhagen
    values = appointment_values(Omega(), at, "Byvej 12", runtime.settings)
    moved = {**values, "old_day": date(2026, 12, 7), "old_time": "09:05"}
    await _queue_a_text(runtime, tenant_id, "appointment.moved", moved, "appt:1:booked")
    data = await export_tenant(runtime.db, "4711-3-12", runtime.clock(), "cli")
    with speaking("da"):
        html = render_html(data, EXPORT_WORDS, zone=ZoneInfo("Europe/Copenhagen"))
    assert _made_of(html) == [
        ("Fornavn", "Omega"),
        ("Dag", "8. dec. 2026"),
        ("Tid", "14.30"),
        ("Sted", "Byvej 12"),
        ("Tidligere dag", "7. dec. 2026"),
        ("Tidligere tidspunkt", "09.05"),
    ]
    with speaking("en"):
        english = render_html(data, EXPORT_WORDS, zone=ZoneInfo("Europe/Copenhagen"))
    assert "<dt>Time</dt><dd>14:30</dd>" in english


def _values_texts_read(settings: Settings) -> dict[str, set[str]]:
    """Each value a text to a tenant reads (templates/<language>/, every language), and the texts that read it;
    the organisation's values, which the renderer adds when it writes a text, left out."""
    env = Environment()
    env.filters.update(dict.fromkeys(("money", "date", "clock", "phone"), str))
    added = {*Renderer(TEMPLATES_DIR, settings).org_values(), "language", "call_day"}
    read: dict[str, set[str]] = {}
    for path in TEMPLATES_DIR.glob("*/*.txt"):
        # A notice to staff (staff.*) goes to a staff member's chat, never to a tenant nor onto their page.
        if path.name.startswith("staff."):
            continue
        for name in meta.find_undeclared_variables(env.parse(path.read_text(encoding="utf-8"))) - added:
            read.setdefault(name, set()).add(path.name)
    return read


async def test_every_value_a_text_can_be_made_of_has_danish_words_on_the_page(runtime: Runtime) -> None:
    """A text not yet written, made of every value any text to a tenant can read: no value shows under its stored
    name, and no value only keephome reads shows at all."""
    read = _values_texts_read(runtime.settings)
    # The check's sample values, with the ones it renders only some texts with (bot/cli/check.py's VARIANTS) and a
    # few more a text reads when they are given.
    samples: dict[str, Value] = {
        **SAMPLE_VALUES,
        "part_on": date(2026, 12, 20),
        "waiting": 1,
        "buttons": 1,
        "nothing_open": 1,
    }
    for variant in VARIANTS:
        samples.update(variant)
    missing = sorted(set(read) - set(samples))
    assert not missing, f"no sample value for {missing}"
    tenant_id = await add_tenant(runtime, "4711-3-12", name="Omega Tenant")
    everything = {name: samples[name] for name in sorted(read)}
    await _queue_a_text(runtime, tenant_id, "every.value", everything, "every-value")
    data = await export_tenant(runtime.db, "4711-3-12", runtime.clock(), "cli")
    with speaking("da"):
        shown = _made_of(render_html(data, EXPORT_WORDS, zone=ZoneInfo("Europe/Copenhagen")))
    headings = [heading for heading, _ in shown]
    raw = [h for h in headings if h.replace(" ", "_") in read or h.startswith("<code")]
    assert not raw, f"shown under their stored names: {raw}"
    assert len(headings) == len(set(headings)), headings
    assert ("Tid", "14.30") in shown and ("Tidligere tidspunkt", "10.00") in shown
    assert ("Modtager", "Aarhus Kommune, Borgerservice") in shown
    # The codes a consent's wording is made of, in the words the consents' section uses for them.
    assert ("Delt med", "En enhed i kommunen") in shown
    assert any(heading == "Slags oplysninger" and value.startswith("Huslejestatus, ") for heading, value in shown)


async def test_a_consents_proof_is_the_tenants_message_by_channel_and_time_never_its_number(
    served: tuple[Runtime, httpx.AsyncClient],
) -> None:
    rt, client = served
    history = await a_tenant_with_a_history(rt, client)
    data = await export_tenant(rt.db, history.ref, rt.clock(), "cli")
    yes = next(m for m in data["messages"] if m["direction"] == "in" and m["text"] == "JA")
    assert data["consents"][0]["evidence_message_id"] == yes["id"]  # the JSON names it by the number it lists
    with speaking("da"):
        html = render_html(data, EXPORT_WORDS, zone=ZoneInfo("Europe/Copenhagen"))
        when = local_moment(datetime.fromisoformat(yes["created_at"]).astimezone(ZoneInfo("Europe/Copenhagen")))
    given = html.split("<h2>Samtykker</h2>")[1].split("<h2>")[0].split("<tr>")[2]
    proof = given.split("</td>")[12]
    assert f'lejerens sms {when}: <q dir="auto">JA</q>' in proof
    assert "<dl>" not in proof and "Nummer" not in proof


async def test_a_consents_wording_version_says_which_question_with_the_version_beside_it(
    served: tuple[Runtime, httpx.AsyncClient],
) -> None:
    """A tenant reads which question they said yes to, not a bare "consent-v2"; an audit still finds the version."""
    rt, client = served
    history = await a_tenant_with_a_history(rt, client)
    data = await export_tenant(rt.db, history.ref, rt.clock(), "cli")
    versions = [c["wording_version"] for c in data["consents"]]
    assert "consent-v3" in versions  # the JSON keeps the code as stored
    pages = {}
    for language in ("da", "en"):
        with speaking(language):
            pages[language] = _section(
                render_html(data, EXPORT_WORDS, zone=ZoneInfo("Europe/Copenhagen")),
                "Samtykker" if language == "da" else "Consents",
            )
    danish = "Spørgsmålet i samtalen, om en rådgiver må se dine svar <code>consent-v3</code>"
    english = "The question in the conversation whether an adviser may see your answers <code>consent-v3</code>"
    assert pages["da"].count(danish) == versions.count("consent-v3")
    assert pages["en"].count(english) == versions.count("consent-v3")
    assert "<td>consent-v3</td>" not in pages["da"] + pages["en"]


def _section(html: str, heading: str) -> str:
    return html.split(f"<h2>{heading}</h2>")[1].split("<h2>")[0]


async def test_each_message_says_what_it_was_about_in_words_never_by_its_templates_name(
    served: tuple[Runtime, httpx.AsyncClient],
) -> None:
    rt, client = served
    history = await a_tenant_with_a_history(rt, client)
    data = await export_tenant(rt.db, history.ref, rt.clock(), "cli")
    sent = [m["template"] for m in data["messages"] if m["template"]]
    with speaking("da"):
        danish = _section(render_html(data, EXPORT_WORDS), "Beskeder")
    with speaking("en"):
        english = _section(render_html(data, EXPORT_WORDS), "Messages")
    assert "<th>Besked om</th>" in danish and "<th>Message about</th>" in english
    # One cell for each message, in words of what it belongs to: the rent's questions, the consent, the case.
    for prefix, da, en in (
        ("payment_check.", "huslejen", "the rent"),
        ("consent.", "lejerens samtykke", "the tenant&#39;s consent"),
        ("case.", "lejerens sag hos en rådgiver", "the tenant&#39;s case with an adviser"),
    ):
        count = sum(1 for name in sent if name.startswith(prefix))
        assert count >= 1, prefix
        assert danish.count(f"<td>{da}</td>") == count, da
        assert english.count(f"<td>{en}</td>") == count, en
    for name in sent:
        assert name not in danish and name not in english, name


async def test_every_text_a_tenant_can_get_has_words_on_the_page(runtime: Runtime) -> None:
    """A message by each template a tenant can be sent (templates/da/, every channel): each is named in words, none
    shows as code."""
    names = sorted(
        {p.name.rsplit(".", 2)[0] for p in (TEMPLATES_DIR / "da").glob("*.txt") if not p.name.startswith("staff.")}
    )
    await add_tenant(runtime, "4711-3-12", name="Omega Tenant")
    data = await export_tenant(runtime.db, "4711-3-12", runtime.clock(), "cli")
    row = {"direction": "out", "channel": "sms", "author": "bot", "status": "sent", "template_values": None}
    data["messages"] = [{**row, "created_at": None, "sent_at": None, "text": "…", "template": n} for n in names]
    with speaking("da"):
        shown = _section(render_html(data, EXPORT_WORDS), "Beskeder")
    assert shown.count("<tr>") == len(names) + 1
    assert "<code>" not in shown, shown
    for name in names:
        assert name not in shown, name


async def test_why_a_reminder_before_the_due_day_was_planned_reads_in_words(runtime: Runtime) -> None:
    """What a reminder before the due day was computed from: the tenant marked at risk, in words, not the code."""
    tenant_id = await add_tenant(runtime, "4711-3-14", name="Tau Tenant")
    now = runtime.clock()
    computed = {"due_date": "2027-01-01", "before_due_days": "5", "why": "at_risk"}

    def plan(conn: Connection) -> None:
        row = {"trigger": "before_due", "period": "2027-01", "offset_days": 5, "reason": "before", "created_at": now}
        conn.execute(
            insert(planned_reminders).values(tenant_id=tenant_id, planned_for=now.date(), computed_from=computed, **row)
        )

    await runtime.db.run(plan)
    data = await export_tenant(runtime.db, "4711-3-14", now, "cli")
    with speaking("da"):
        danish = _section(render_html(data, EXPORT_WORDS), "Påmindelser")
    with speaking("en"):
        english = _section(render_html(data, EXPORT_WORDS), "Reminders")
    assert danish.count("<dt>Hvorfor</dt><dd>lejeren er markeret som i risiko</dd>") == 1, danish
    assert english.count("<dt>Why</dt><dd>the tenant is marked at risk</dd>") == 1, english
    assert "at_risk" not in danish and "at_risk" not in english


async def test_a_referral_shows_what_was_sought_and_decided_not_the_number_of_its_consent(runtime: Runtime) -> None:
    """The consent a referral rests on is listed among the consents by its recipient; its number in keephome, which
    nothing on the page is named by, is the JSON's only."""
    tenant_id = await add_tenant(runtime, "4711-3-15", name="Ypsilon Tenant")
    case_id = await add_case(runtime, tenant_id)
    now = runtime.clock()

    def refer(conn: Connection) -> None:
        consent = record_consent(
            conn,
            tenant_id=tenant_id,
            case_id=case_id,
            recipient_kind="kommune",
            recipient="Aarhus Kommune, Borgerservice",
            source="Boligselskabet Test",
            data_kinds=["contact"],
            purpose="Hjælp til huslejen",
            wording=None,
            method="signed_form",
            recorded_by=None,
            given_at=now,
            now=now,
        )
        row = {"help_sought": ["rent_help"], "decision": "granted", "created_at": now, "updated_at": now}
        conn.execute(insert(referrals).values(tenant_id=tenant_id, case_id=case_id, consent_id=consent, **row))

    await runtime.db.run(refer)
    data = await export_tenant(runtime.db, "4711-3-15", now, "cli")
    kommune = [c["id"] for c in data["consents"] if c["recipient_kind"] == "kommune"]
    assert [r["consent_id"] for r in data["referrals"]] == kommune
    with speaking("da"):
        html = render_html(data, EXPORT_WORDS)
    referred = _section(html, "Henvisninger til kommunen")
    assert "<th>Samtykke</th>" not in referred and referred.count("<td>") == 6, referred
    assert "<td>Midlertidig hjælp til huslejen</td>" in referred and "<td>Bevilget</td>" in referred
    assert "Aarhus Kommune, Borgerservice" in _section(html, "Samtykker")
