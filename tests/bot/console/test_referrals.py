"""Consents per recipient and referrals to the kommune, through the console and the service (SQLite and PostgreSQL).

An adviser holds a tenant's case, asks on Telegram for a consent to share with a kommune unit (the tenant presses
yes), or records a signed form; makes a referral; prints it and downloads it (audited); records the kommune's
decision and the steps beside it. Nothing is shared without the matching consent: another unit's, another
case's, a withdrawn or a lapsed one is refused; an SMS yes creates none; oral consent is refused for a kommune.
"""

from __future__ import annotations

import html
import json
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import select, update

from bot.app import create_app
from bot.inbound.inbox import InboundMessage
from bot.runtime import Clock, Runtime
from bot.store.schema import (
    audit_log,
    case_events,
    case_tasks,
    cases,
    consents,
    court_cases,
    outbox,
    referrals,
    staff,
    tenants,
)
from bot.tenants.csv_rows import known_languages, local_today, parse_csv
from bot.tenants.erase import erase
from bot.tenants.export import export_tenant
from tests.conftest import make_settings, started_runtime
from tests.support.console import (
    add_case,
    add_person,
    add_tenant,
    adviser_client,
    csrf_of,
    form_nonce_of,
    login,
    post_form,
    posted_twice,
)
from tests.support.drive import drain, process_all, sandbox

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday morning
PHONE = "+4520000001"
CHAT = 777001
UNIT = "Aarhus Kommune, Ydelsescenter"


class FixedClock(Clock):
    def __call__(self) -> datetime:
        return START + self.offset


@pytest.fixture
async def rt(database_url: str) -> AsyncIterator[Runtime]:
    settings = make_settings(database_url, telegram_token="123:ABC", telegram_secret="s3cret")
    async with started_runtime(settings, FixedClock()) as runtime:
        yield runtime


@pytest.fixture
async def adviser(rt: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    async with adviser_client(rt) as client:
        yield client


async def held_case(rt: Runtime, adviser: httpx.AsyncClient, *, chat: int | None = CHAT) -> tuple[int, int]:
    """A tenant with children, an address, a påkrav, a termination and a filing; their case, held by the adviser."""
    tenant_id = await add_tenant(
        rt,
        "R-1",
        name="Amira Hansen",
        phone=PHONE,
        chat_id=chat,
        balance_ore=1_420_000,
        monthly_rent_ore=710_000,
        demand_sent_on=date(2026, 1, 10),
        termination_on=date(2026, 2, 1),
        court_date=date(2026, 3, 20),
    )
    async with rt.db.write() as conn:
        await conn.execute(
            update(tenants).where(tenants.c.id == tenant_id).values(children=True, address="Byvej 12, 8220 Brabrand")
        )
        await conn.execute(
            court_cases.insert().values(
                tenant_id=tenant_id,
                filed_on=date(2026, 2, 20),
                court_date=date(2026, 3, 20),
                retskreds="Retten i Aarhus",
                status="open",
                opened_at=START,
                updated_at=START,
            )
        )
    case_id = await add_case(rt, tenant_id, consent=False)
    page = f"/console/cases/{case_id}"
    assert (await post_form(adviser, page, f"{page}/take", {})).status_code == 303
    return tenant_id, case_id


async def signed_form(
    adviser: httpx.AsyncClient, case_id: int, *, recipient: str = UNIT, kinds: tuple[str, ...] = ("rent_position",
    "letters", "household", "contact"), kind: str = "kommune", method: str = "signed_form",
    signed_on: str = "2026-03-01",
) -> httpx.Response:  # fmt: skip
    page = f"/console/cases/{case_id}"
    shown = await adviser.get(page)
    data: list[tuple[str, str]] = [
        ("csrf_token", csrf_of(shown.text)),
        ("nonce", form_nonce_of(shown.text, f"{page}/consents/record") or ""),
        ("method", method),
        ("recipient_kind", kind),
        ("recipient", recipient),
        ("purpose", "Ansøgning om hjælp til huslejen"),
        ("signed_on", signed_on),
        ("wording", "Samtykkeerklæring, version 3"),
        *(("kinds", k) for k in kinds),
    ]
    return await adviser.post(f"{page}/consents/record", data=form(data))


async def make_referral(adviser: httpx.AsyncClient, case_id: int, consent_id: int | str) -> httpx.Response:
    page = f"/console/cases/{case_id}"
    shown = await adviser.get(page)
    data = [
        ("csrf_token", csrf_of(shown.text)),
        # A page without the form (no kommune consent): the post a forged form would make.
        ("nonce", form_nonce_of(shown.text, f"{page}/referrals") or "forged-nonce-0001"),
        ("consent_id", str(consent_id)),
        ("help", "one_off_grant"),
        ("help", "money_management"),
    ]
    return await adviser.post(f"{page}/referrals", data=form(data))


def form(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    """A form with repeated fields (checkboxes), as a browser posts it."""
    fields: dict[str, list[str]] = {}
    for name, value in pairs:
        fields.setdefault(name, []).append(value)
    return fields


async def rows(rt: Runtime, table: Any) -> list[Any]:
    async with rt.db.read() as conn:
        return list((await conn.execute(select(table).order_by(table.c.id))).all())


async def actions(rt: Runtime) -> list[str]:
    async with rt.db.read() as conn:
        return list((await conn.execute(select(audit_log.c.action).order_by(audit_log.c.id))).scalars())


async def test_a_yes_on_telegram_to_the_full_wording_is_the_consent_with_its_evidence(
    rt: Runtime, adviser: httpx.AsyncClient
) -> None:
    _, case_id = await held_case(rt, adviser)
    page = f"/console/cases/{case_id}"
    shown = await adviser.get(page)
    # The tenant says yes or no to the purpose as written: the form asks for it in their language.
    assert "Purpose, in the tenant's language (Danish)" in shown.text
    nonce = "ask-nonce-0001"
    data = [
        ("csrf_token", csrf_of(shown.text)),
        ("nonce", nonce),
        ("recipient_kind", "kommune"),
        ("recipient", UNIT),
        ("purpose", "at søge hjælp til huslejen"),
        ("kinds", "rent_position"),
        ("kinds", "household"),
    ]
    assert (await adviser.post(f"{page}/consents/ask", data=form(data))).status_code == 303
    assert (await adviser.post(f"{page}/consents/ask", data=form(data))).status_code == 303  # a double submit asks once
    await drain(rt.sender)
    asked = [m for m in sandbox(rt)["telegram"].to(str(CHAT)) if UNIT in m.text]  # besides "a person reads along"
    assert len(asked) == 1
    wording = asked[0].text
    assert UNIT in wording and "Boligselskabet" in wording and "TILBAGEKALD" in wording
    assert "børn under 18" in wording and "at søge hjælp til huslejen" in wording
    assert [label for label, _ in asked[0].buttons] == ["Ja", "Nej"]
    assert sandbox(rt)["sms"].to(PHONE) == []  # never by SMS
    assert await rows(rt, consents) == []  # nothing until the tenant says yes

    # The case is held by a person, yet the answer reaches the question the adviser asked.
    press = InboundMessage("telegram", "cb:1", str(CHAT), None, {"callback": f"{asked[0].outbox_id}.0"})
    await rt.inbox.submit(press)
    await process_all(rt.processor)
    await drain(rt.sender)

    (consent,) = await rows(rt, consents)
    assert (consent.scope, consent.recipient_kind, consent.recipient) == ("share", "kommune", UNIT)
    assert (consent.method, consent.case_id, consent.source) == ("telegram", case_id, "Boligselskabet")
    assert consent.data_kinds == ["rent_position", "household"]
    assert consent.purpose == "at søge hjælp til huslejen"
    assert consent.wording == wording  # exactly what the tenant was shown
    assert consent.evidence_message_id is not None and consent.withdrawn_at is None
    confirmation = sandbox(rt)["telegram"].to(str(CHAT))[-1].text
    assert confirmation.startswith("Tak.") and UNIT in confirmation

    body = html.unescape((await adviser.get(page)).text)
    # The tests' console speaks English (tests/conftest.py make_settings); Danish is test_danish.py's.
    assert UNIT in body and "Yes on Telegram to the full wording" in body
    # The evidence: the tenant's press of Yes, by channel in words and when (as the conversation dates it).
    assert "Evidence: the tenant's Telegram message of " in body and f"#{consent.evidence_message_id}" not in body
    assert "consent.ask" in await actions(rt)


async def test_a_yes_answers_the_question_it_was_pressed_under(rt: Runtime, adviser: httpx.AsyncClient) -> None:
    """The adviser asks two consents (a kommune unit, then a volunteer organisation): the tenant's "Ja" under the
    first is a consent to the first, never to the newer one; under a question that ended it is none."""
    _, case_id = await held_case(rt, adviser)
    page = f"/console/cases/{case_id}"
    other = "Dansk Folkehjælp"
    for nonce, kind, recipient in (("ask-nonce-000a", "kommune", UNIT), ("ask-nonce-000b", "volunteer_org", other)):
        shown = await adviser.get(page)
        data = [
            ("csrf_token", csrf_of(shown.text)),
            ("nonce", nonce),
            ("recipient_kind", kind),
            ("recipient", recipient),
            ("purpose", "at søge hjælp til huslejen"),
            ("kinds", "rent_position"),
        ]
        assert (await adviser.post(f"{page}/consents/ask", data=form(data))).status_code == 303
        await drain(rt.sender)
    chat = sandbox(rt)["telegram"].to(str(CHAT))
    (first,) = [m for m in chat if UNIT in m.text and m.buttons]
    (second,) = [m for m in chat if other in m.text and m.buttons]

    for n, (message, index) in enumerate(((first, 0), (first, 0), (second, 1)), start=1):
        press = InboundMessage("telegram", f"cb:{n}", str(CHAT), None, {"callback": f"{message.outbox_id}.{index}"})
        await rt.inbox.submit(press)
        await process_all(rt.processor)
        await drain(rt.sender)
    # The first "Ja": the kommune's consent. The second, under a question that has ended: nothing more. "Nej" under
    # the second question: no consent to the volunteer organisation.
    given = await rows(rt, consents)
    assert [(c.recipient_kind, c.recipient) for c in given] == [("kommune", UNIT)]
    assert any(
        m.text.startswith("Den knap hører til en tidligere besked") for m in sandbox(rt)["telegram"].to(str(CHAT))
    )


async def test_an_sms_yes_creates_no_consent_to_share(rt: Runtime, adviser: httpx.AsyncClient) -> None:
    """The question is asked on Telegram only; the tenant answering "ja" by SMS shares nothing."""
    _, case_id = await held_case(rt, adviser)
    page = f"/console/cases/{case_id}"
    shown = await adviser.get(page)
    data = [
        ("csrf_token", csrf_of(shown.text)),
        ("nonce", "ask-nonce-0002"),
        ("recipient_kind", "kommune"),
        ("recipient", UNIT),
        ("purpose", "hjælp"),
        ("kinds", "rent_position"),
    ]
    assert (await adviser.post(f"{page}/consents/ask", data=form(data))).status_code == 303
    await drain(rt.sender)
    for n, text in enumerate(("ja", "JA", "1"), start=1):
        await rt.inbox.submit(InboundMessage("sms", f"SM-{n}", PHONE, text))
        await process_all(rt.processor)
    await drain(rt.sender)
    assert await rows(rt, consents) == []


async def test_a_tenant_without_telegram_is_not_asked_there(rt: Runtime, adviser: httpx.AsyncClient) -> None:
    _, case_id = await held_case(rt, adviser, chat=None)
    page = f"/console/cases/{case_id}"
    body = (await adviser.get(page)).text
    assert 'id="ask-consent"' not in body
    data = {"nonce": "ask-nonce-0003", "recipient_kind": "kommune", "recipient": UNIT, "purpose": "x"}
    data["kinds"] = "contact"
    refused = await post_form(adviser, page, f"{page}/consents/ask", data)
    assert refused.status_code == 409
    assert await rows(rt, consents) == []
    assert sandbox(rt)["sms"].to(PHONE) == []


async def test_the_text_about_help_goes_on_telegram_to_an_active_linked_tenant_only(
    rt: Runtime, adviser: httpx.AsyncClient
) -> None:
    tenant_id, case_id = await held_case(rt, adviser)
    page = f"/console/cases/{case_id}"
    assert f"/console/cases/{case_id}/help-text" in (await adviser.get(page)).text
    sent = await post_form(adviser, page, f"{page}/help-text", {"nonce": "help-nonce-0001"})
    assert sent.status_code == 303
    await drain(rt.sender)
    (told,) = [m for m in sandbox(rt)["telegram"].to(str(CHAT)) if "kommune" in m.text.lower()]
    assert "Søg hurtigt, og før du betaler" in told.text
    assert sandbox(rt)["sms"].to(PHONE) == []  # never by SMS
    before = len(sandbox(rt)["telegram"].to(str(CHAT)))

    blocked = {"telegram_blocked": True}
    for change in (blocked, {"status": "stopped"}, {"status": "moved_out"}):
        async with rt.db.write() as conn:
            await conn.execute(
                update(tenants).where(tenants.c.id == tenant_id).values(telegram_blocked=False, status="active")
            )
            await conn.execute(update(tenants).where(tenants.c.id == tenant_id).values(**change))
        body = (await adviser.get(page)).text
        assert f"/console/cases/{case_id}/help-text" not in body, change
        assert 'id="ask-consent"' not in body, change
        refused = await post_form(adviser, page, f"{page}/help-text", {"nonce": "help-nonce-0002"})
        assert refused.status_code == 409, change
        data = {"nonce": "ask-nonce-0004", "recipient_kind": "kommune", "recipient": UNIT, "purpose": "x"}
        data["kinds"] = "contact"
        assert (await post_form(adviser, page, f"{page}/consents/ask", data)).status_code == 409, change
    await drain(rt.sender)
    assert len(sandbox(rt)["telegram"].to(str(CHAT))) == before
    assert await rows(rt, consents) == []


async def test_oral_consent_is_refused_for_a_kommune_and_kept_for_the_own_advice(
    rt: Runtime, adviser: httpx.AsyncClient
) -> None:
    _, case_id = await held_case(rt, adviser)
    refused = await signed_form(adviser, case_id, method="oral")
    assert refused.status_code == 422
    refused = await signed_form(adviser, case_id, method="oral", kind="volunteer_org", recipient="Dansk Folkehjælp")
    assert refused.status_code == 422
    assert await rows(rt, consents) == []

    kept = await signed_form(adviser, case_id, method="oral", kind="organisation", kinds=())
    assert kept.status_code == 303
    (consent,) = await rows(rt, consents)
    assert (consent.scope, consent.recipient_kind, consent.method) == ("adviser", "organisation", "oral")
    assert consent.recorded_by is not None
    async with rt.db.read() as conn:
        assert (await conn.execute(select(cases.c.consented).where(cases.c.id == case_id))).scalar_one() is True


async def test_a_referral_needs_the_kommune_consent_of_this_case(rt: Runtime, adviser: httpx.AsyncClient) -> None:
    _, case_id = await held_case(rt, adviser)
    page = f"/console/cases/{case_id}"
    assert 'id="no-kommune-consent"' in (await adviser.get(page)).text
    # A volunteer organisation's consent is no kommune consent.
    assert (await signed_form(adviser, case_id, kind="volunteer_org", recipient="Dansk Folkehjælp")).status_code == 303
    (volunteer_consent,) = await rows(rt, consents)
    assert (await make_referral(adviser, case_id, volunteer_consent.id)).status_code == 409
    assert await rows(rt, referrals) == []


async def test_the_referral_holds_what_the_consent_covers_printed_and_downloaded_with_an_audit(
    rt: Runtime, adviser: httpx.AsyncClient
) -> None:
    _, case_id = await held_case(rt, adviser)
    assert (await signed_form(adviser, case_id)).status_code == 303
    (consent,) = await rows(rt, consents)
    assert (consent.method, consent.recipient, consent.case_id) == ("signed_form", UNIT, case_id)
    assert consent.given_at.date() == date(2026, 3, 1)  # the day the form was signed

    made = await make_referral(adviser, case_id, consent.id)
    assert made.status_code == 303
    again = await make_referral(adviser, case_id, consent.id)  # a double click: the same referral, not a second
    assert again.headers["location"] == made.headers["location"]
    (referral,) = await rows(rt, referrals)
    assert made.headers["location"] == f"/console/referrals/{referral.id}"
    for odd in ("99999999999999999999", "9223372036854775808", "x"):  # no such consent id: refused, no 500
        assert (await make_referral(adviser, case_id, odd)).status_code == 422
    assert (referral.case_id, referral.consent_id) == (case_id, consent.id)
    assert referral.help_sought == ["one_off_grant", "money_management"]
    contents = referral.contents
    assert contents["recipient"] == UNIT
    assert contents["rent_position"]["balance"] == "14200.00"
    assert contents["rent_position"]["monthly_rent"] == "7100.00"
    letters = contents["letters"]
    assert (letters["demand_sent_on"], letters["termination_on"]) == ("2026-01-10", "2026-02-01")
    assert [(c["filed_on"], c["court_date"]) for c in letters["court_cases"]] == [("2026-02-20", "2026-03-20")]
    assert contents["household"] == {"children_under_18": True, "address": "Byvej 12, 8220 Brabrand"}
    assert (contents["contact"]["name"], contents["contact"]["phone"]) == ("Amira Hansen", PHONE)
    assert contents["left_out"] == []

    printed = await adviser.get(f"/console/referrals/{referral.id}")
    assert printed.status_code == 200
    text = html.unescape(printed.text)
    assert UNIT in text and "Byvej 12, 8220 Brabrand" in text and "Retten i Aarhus" in text
    assert "14.200,00" in text and "7.100,00" in text  # amounts the Danish way
    # The adviser reads the console in English; the referral, for a Danish authority, is in Danish.
    document = text[text.index('<article id="referral"') :]
    assert f"Henvisning til {UNIT}" in document and "Søgt hjælp" in document
    assert "Referral to" not in document and "Back to the case" in text
    assert "lavet 2. mar. 2026 kl. 10.00" in document  # a document that leaves the console names its year
    downloaded = await adviser.get(f"/console/referrals/{referral.id}.json")
    assert downloaded.status_code == 200
    assert downloaded.headers["content-disposition"] == f'attachment; filename="referral-{referral.id}.json"'
    body = json.loads(downloaded.text)
    assert body["household"]["children_under_18"] is True and body["help_sought"] == referral.help_sought
    assert [a for a in await actions(rt) if a.startswith("referral.")] == [
        "referral.create",
        "referral.view",
        "referral.download",
    ]
    assert sandbox(rt)["sms"].to(PHONE) == []  # a referral is never sent to anyone by SMS


async def test_a_consent_without_a_kind_leaves_that_part_out(rt: Runtime, adviser: httpx.AsyncClient) -> None:
    _, case_id = await held_case(rt, adviser)
    assert (await signed_form(adviser, case_id, kinds=("contact",))).status_code == 303
    (consent,) = await rows(rt, consents)
    assert (await make_referral(adviser, case_id, consent.id)).status_code == 303
    (referral,) = await rows(rt, referrals)
    assert "contact" in referral.contents
    assert not {"rent_position", "letters", "household"} & set(referral.contents)
    assert referral.contents["left_out"] == ["rent_position", "letters", "household"]
    printed = html.unescape((await adviser.get(f"/console/referrals/{referral.id}")).text)
    assert "Byvej 12" not in printed and "Retten i Aarhus" not in printed


async def test_a_withdrawn_or_lapsed_consent_stops_the_next_request(rt: Runtime, adviser: httpx.AsyncClient) -> None:
    _, case_id = await held_case(rt, adviser)
    assert (await signed_form(adviser, case_id)).status_code == 303
    (consent,) = await rows(rt, consents)
    assert (await make_referral(adviser, case_id, consent.id)).status_code == 303
    (referral,) = await rows(rt, referrals)
    page = f"/console/cases/{case_id}"

    # The case closes: the kommune consent lapses with it, and the referral is no longer shown.
    closed = await post_form(adviser, page, f"{page}/close", {"outcome": "kommune"})
    assert closed.status_code == 303
    (lapsed,) = await rows(rt, consents)
    assert lapsed.ended_reason == "case_closed" and lapsed.withdrawn_at is not None
    assert (await adviser.get(f"/console/referrals/{referral.id}")).status_code == 409
    assert (await adviser.get(f"/console/referrals/{referral.id}.json")).status_code == 409


async def test_the_decision_and_the_steps_beside_the_referral_are_tracked(
    rt: Runtime, adviser: httpx.AsyncClient
) -> None:
    _, case_id = await held_case(rt, adviser)
    assert (await signed_form(adviser, case_id)).status_code == 303
    (consent,) = await rows(rt, consents)
    assert (await make_referral(adviser, case_id, consent.id)).status_code == 303
    (referral,) = await rows(rt, referrals)
    page = f"/console/cases/{case_id}"
    decided = await post_form(
        adviser,
        page,
        f"/console/referrals/{referral.id}/decision",
        {"decision": "granted_with_conditions", "decided_on": "2026-03-02"},
    )
    assert decided.status_code == 303
    (referral,) = await rows(rt, referrals)
    assert (referral.decision, referral.decided_on) == ("granted_with_conditions", date(2026, 3, 2))
    future = await post_form(
        adviser, page, f"/console/referrals/{referral.id}/decision", {"decision": "refused", "decided_on": "2027-01-01"}
    )
    assert future.status_code == 422
    # Half past midnight in Copenhagen (23:30 UTC): a decision dated today, the organisation's day, is no future.
    rt.clock.offset = datetime(2026, 3, 3, 23, 30, tzinfo=UTC) - START
    adviser.cookies.clear()
    assert (await login(adviser, "adviser@example.org")).status_code == 303
    today_there = await post_form(
        adviser, page, f"/console/referrals/{referral.id}/decision", {"decision": "refused", "decided_on": "2026-03-04"}
    )
    assert today_there.status_code == 303
    rt.clock.offset = timedelta(0)

    for kind in ("boligstoette", "debt_counselling"):
        assert (await post_form(adviser, page, f"{page}/steps", {"kind": kind})).status_code == 303
    steps = await rows(rt, case_tasks)
    assert [(s.kind, s.status) for s in steps] == [("boligstoette", "open"), ("debt_counselling", "open")]
    moved = await post_form(adviser, page, f"{page}/steps/{steps[0].id}", {"status": "applied"})
    assert moved.status_code == 303
    wrong = await post_form(adviser, page, f"{page}/steps/{steps[1].id}", {"status": "granted"})
    assert wrong.status_code == 422  # debt counselling is booked and done, not granted
    steps = await rows(rt, case_tasks)
    assert [(s.kind, s.status) for s in steps] == [("boligstoette", "applied"), ("debt_counselling", "open")]


async def test_each_referral_form_sent_twice_does_its_work_once(rt: Runtime, adviser: httpx.AsyncClient) -> None:
    """A double click, or a resend after a slow answer, sends a form again with the same one-time value: the referral,
    the kommune's decision, a step tracked, a step moved on and the text about help are each done, audited and sent
    once, and the case page says the second did nothing."""
    _, case_id = await held_case(rt, adviser)
    assert (await signed_form(adviser, case_id)).status_code == 303
    (consent,) = await rows(rt, consents)
    page = f"/console/cases/{case_id}"
    seconds = {}
    made = await posted_twice(adviser, page, f"{page}/referrals", {"consent_id": str(consent.id), "help": "rent_help"})
    seconds["This referral was made already"] = made
    (referral,) = await rows(rt, referrals)
    decision = {"decision": "granted", "decided_on": "2026-03-02"}
    seconds["This decision was recorded already"] = await posted_twice(
        adviser, page, f"/console/referrals/{referral.id}/decision", decision
    )
    seconds["This step is tracked already"] = await posted_twice(
        adviser, page, f"{page}/steps", {"kind": "boligstoette"}
    )
    (step,) = await rows(rt, case_tasks)
    moved = await posted_twice(adviser, page, f"{page}/steps/{step.id}", {"status": "applied"})
    seconds["This step was moved on already"] = moved
    seconds["The text about help was sent already"] = await posted_twice(adviser, page, f"{page}/help-text", {})

    for said, (first, second) in seconds.items():
        assert (first.status_code, second.status_code) == (303, 303), said
        assert said in (await adviser.get(second.headers["location"])).text, said
    done = Counter(await actions(rt))
    once = ("referral.create", "referral.decision", "step.add", "step.update", "message.send")
    assert [done[action] for action in once] == [1, 1, 1, 1, 1]
    assert [(r.decision, r.decided_on) for r in await rows(rt, referrals)] == [("granted", date(2026, 3, 2))]
    assert [(s.kind, s.status) for s in await rows(rt, case_tasks)] == [("boligstoette", "applied")]
    events = Counter(e.kind for e in await rows(rt, case_events))
    assert [events[k] for k in ("referral", "referral_decision", "step_added", "step_moved")] == [1, 1, 1, 1]
    assert [m.template for m in await rows(rt, outbox)].count("help.kommune") == 1
    await drain(rt.sender)
    assert len([m for m in sandbox(rt)["telegram"].to(str(CHAT)) if "kommune" in m.text.lower()]) == 1
    # The case's history names what was done, once each.
    history = html.unescape((await adviser.get(page)).text)
    assert history.count("referral to the kommune made") == 1
    assert history.count("other help: a step moved on") == 1


async def test_two_steps_moved_from_one_page_are_both_moved(rt: Runtime, adviser: httpx.AsyncClient) -> None:
    """One page's forms for two steps are two forms: moving the second (the browser's back to the page that moved the
    first) is no repeat of the first."""
    _, case_id = await held_case(rt, adviser)
    page = f"/console/cases/{case_id}"
    for kind in ("boligstoette", "debt_counselling"):
        assert (await post_form(adviser, page, f"{page}/steps", {"kind": kind})).status_code == 303
    first, second = await rows(rt, case_tasks)
    shown = (await adviser.get(page)).text
    for step, status in ((first, "applied"), (second, "done")):
        action = f"{page}/steps/{step.id}"
        data = {"status": status, "nonce": form_nonce_of(shown, action) or "", "csrf_token": csrf_of(shown)}
        assert (await adviser.post(action, data=data)).headers["location"] == f"{page}#referrals"
    assert [s.status for s in await rows(rt, case_tasks)] == ["applied", "done"]
    assert Counter(await actions(rt))["step.update"] == 2


@pytest.mark.parametrize(
    "at",
    [
        datetime(2026, 3, 28, 23, 30, tzinfo=UTC),  # 00:30 on the night summer time begins in Copenhagen
        datetime(2026, 6, 10, 22, 30, tzinfo=UTC),  # 00:30 on the 11th (summer time)
        datetime(2026, 10, 24, 22, 30, tzinfo=UTC),  # 00:30 on the night it ends
        datetime(2026, 12, 14, 23, 30, tzinfo=UTC),  # 00:30 on the 15th (winter time)
    ],
    ids=str,
)
async def test_the_signed_form_and_the_decision_refuse_the_future_days_an_import_refuses(
    rt: Runtime, adviser: httpx.AsyncClient, at: datetime
) -> None:
    """Past UTC's midnight's hour or two behind Copenhagen's, the day a consent form was signed and the day of the
    kommune's decision are refused exactly when an import refuses the day a påkrav was sent: the organisation's day is
    accepted, the day after it refused."""
    _, case_id = await held_case(rt, adviser)
    assert (await signed_form(adviser, case_id)).status_code == 303
    (consent,) = await rows(rt, consents)
    assert (await make_referral(adviser, case_id, consent.id)).status_code == 303
    (referral,) = await rows(rt, referrals)
    rt.clock.offset = at - START
    adviser.cookies.clear()
    assert (await login(adviser, "adviser@example.org")).status_code == 303
    day = local_today(at, rt.settings.timezone)
    assert day == at.date() + timedelta(days=1)
    page = f"/console/cases/{case_id}"
    for when, ok in ((day + timedelta(days=1), False), (day, True)):
        line = f"tenant_ref;name;phone;demand_sent_on\nR-9;Amira Hansen;20123459;{when}"
        parsed = parse_csv(line.encode(), day, known_languages(), ["da"], "da")
        assert parsed.ok is ok and [e.column for e in parsed.errors] == ([] if ok else ["demand_sent_on"])
        signed = await signed_form(adviser, case_id, signed_on=when.isoformat())
        assert signed.status_code == (303 if ok else 422)
        assert ("cannot be signed in the future" in html.unescape(signed.text)) is not ok
        decision = {"decision": "refused", "decided_on": when.isoformat()}
        decided = await post_form(adviser, page, f"/console/referrals/{referral.id}/decision", decision)
        assert decided.status_code == (303 if ok else 422)
        assert ("cannot be dated in the future" in html.unescape(decided.text)) is not ok
    signed_on = [c.given_at.astimezone(ZoneInfo(rt.settings.timezone)).date() for c in await rows(rt, consents)]
    assert signed_on == [date(2026, 3, 1), day]
    (referral,) = await rows(rt, referrals)
    assert (referral.decision, referral.decided_on) == ("refused", day)


async def test_no_api_key_reaches_a_referral(rt: Runtime, adviser: httpx.AsyncClient) -> None:
    from bot.api.keys import add_key

    _, case_id = await held_case(rt, adviser)
    assert (await signed_form(adviser, case_id)).status_code == 303
    (consent,) = await rows(rt, consents)
    assert (await make_referral(adviser, case_id, consent.id)).status_code == 303
    (referral,) = await rows(rt, referrals)
    async with rt.db.write() as conn:
        _, key = await add_key(conn, "erp", "erase", rt.clock(), "admin:test")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(rt)), base_url="https://keephome.example.org"
    ) as machine:
        bearer = {"Authorization": f"Bearer {key}"}
        for path in (
            f"/api/v1/referrals/{referral.id}",
            f"/api/v1/cases/{case_id}/referrals",
            f"/console/referrals/{referral.id}.json",
            f"/console/referrals/{referral.id}",
        ):
            answer = await machine.get(path, headers=bearer)
            signing_in = answer.headers.get("location", "").startswith("/console/login")
            assert answer.status_code in (401, 404) or signing_in, path
            assert "Byvej" not in answer.text


async def test_export_holds_consents_and_referrals_and_erase_blanks_them(
    rt: Runtime, adviser: httpx.AsyncClient
) -> None:
    _, case_id = await held_case(rt, adviser)
    assert (await signed_form(adviser, case_id)).status_code == 303
    (consent,) = await rows(rt, consents)
    assert (await make_referral(adviser, case_id, consent.id)).status_code == 303

    data = await export_tenant(rt.db, "R-1", rt.clock(), "admin:test")
    (exported,) = data["consents"]
    assert (exported["recipient"], exported["method"], exported["purpose"]) == (
        UNIT,
        "signed_form",
        "Ansøgning om hjælp til huslejen",
    )
    assert exported["data_kinds"] == ["rent_position", "letters", "household", "contact"]
    (referral,) = data["referrals"]
    assert referral["contents"]["household"]["address"] == "Byvej 12, 8220 Brabrand"

    await erase(rt.db, "R-1", rt.clock(), "admin:test", rt.settings.secret_key)
    (erased,) = await rows(rt, consents)
    assert (erased.wording, erased.purpose, erased.ended_reason) == (None, None, "erased")
    assert erased.recipient == UNIT  # who received it stays: a counted fact, not a person
    (blanked,) = await rows(rt, referrals)
    assert blanked.contents is None and blanked.help_sought == ["one_off_grant", "money_management"]


async def test_a_closed_case_s_referral_contents_and_ended_consent_texts_go_with_retention(
    rt: Runtime, adviser: httpx.AsyncClient
) -> None:
    from datetime import timedelta

    from bot.store.retention import purge

    _, case_id = await held_case(rt, adviser)
    assert (await signed_form(adviser, case_id)).status_code == 303
    (consent,) = await rows(rt, consents)
    assert (await make_referral(adviser, case_id, consent.id)).status_code == 303
    page = f"/console/cases/{case_id}"
    assert (await post_form(adviser, page, f"{page}/close", {"outcome": "kommune"})).status_code == 303

    await purge(rt.db, rt.clock() + timedelta(days=30), 30, message_days=365, case_days=365)
    (referral,) = await rows(rt, referrals)
    assert referral.contents is not None  # not yet: the case closed a month ago
    await purge(rt.db, rt.clock() + timedelta(days=366), 30, message_days=365, case_days=365)
    (referral,) = await rows(rt, referrals)
    (consent,) = await rows(rt, consents)
    assert referral.contents is None and referral.help_sought == ["one_off_grant", "money_management"]
    assert (consent.wording, consent.purpose) == (None, None)
    assert (consent.recipient, consent.ended_reason) == (UNIT, "case_closed")


async def test_the_answers_shown_are_the_tenant_s_not_what_the_adviser_asked(
    rt: Runtime, adviser: httpx.AsyncClient
) -> None:
    _, case_id = await held_case(rt, adviser)
    assert (await signed_form(adviser, case_id, method="oral", kind="organisation", kinds=())).status_code == 303
    page = f"/console/cases/{case_id}"
    shown = await adviser.get(page)
    data = [
        ("csrf_token", csrf_of(shown.text)),
        ("nonce", "ask-nonce-0004"),
        ("recipient_kind", "kommune"),
        ("recipient", UNIT),
        ("purpose", "hjælp"),
        ("kinds", "contact"),
    ]
    assert (await adviser.post(f"{page}/consents/ask", data=form(data))).status_code == 303
    body = html.unescape((await adviser.get(page)).text)
    lowered = body.lower()
    # The message itself is in the conversation; its request is no answer of the tenant's.
    assert "<dt>recipient kind</dt>" not in lowered and "<dt>wording</dt>" not in lowered


async def test_a_volunteer_or_caretaker_reaches_no_consent_or_referral(rt: Runtime, adviser: httpx.AsyncClient) -> None:
    _, case_id = await held_case(rt, adviser)
    assert (await signed_form(adviser, case_id)).status_code == 303
    (consent,) = await rows(rt, consents)
    assert (await make_referral(adviser, case_id, consent.id)).status_code == 303
    (referral,) = await rows(rt, referrals)
    for email, role in (("volunteer@example.org", "volunteer"), ("caretaker@example.org", "caretaker")):
        await add_person(rt, email, role)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=create_app(rt)), base_url="https://keephome.example.org"
        ) as other:
            assert (await login(other, email)).status_code == 303
            for path in (f"/console/referrals/{referral.id}", f"/console/referrals/{referral.id}.json"):
                answer = await other.get(path)
                assert answer.status_code == 403, (role, path)
                assert "Byvej" not in answer.text
    # Refused requests are not audited as views.
    assert [a for a in await actions(rt) if a.startswith("referral.")] == ["referral.create"]


async def test_the_consent_and_the_referral_name_the_adviser_who_made_them(
    rt: Runtime, adviser: httpx.AsyncClient
) -> None:
    async with rt.db.write() as conn:
        await conn.execute(update(staff).where(staff.c.email == "adviser@example.org").values(name="Mette Holm"))
    _, case_id = await held_case(rt, adviser)
    assert (await signed_form(adviser, case_id)).status_code == 303
    (consent,) = await rows(rt, consents)
    assert (await make_referral(adviser, case_id, consent.id)).status_code == 303
    page = (await adviser.get(f"/console/cases/{case_id}")).text
    made = page.split('class="referral"')[1].split("</p>")[0]
    assert "· Mette Holm" in made
    assert "adviser@example.org" not in page.replace('href="mailto:', "")
