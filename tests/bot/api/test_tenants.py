"""PUT and GET one tenant: the CSV's fields as JSON, the import's validation, and nothing a key may not read."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.api import tenants as api_tenants
from bot.cli.remind import run_remind
from bot.store.schema import (
    audit_log,
    case_events,
    cases,
    conversations,
    messages,
    outbox,
    rent_positions,
    tenants,
)
from bot.tenants import upsert as upsert_module
from bot.tenants.csv_rows import known_languages, parse_csv
from bot.tenants.upsert import upsert_rows
from tests.bot.api.conftest import NOW, PHONE, TODAY, Api, open_api, tenant
from tests.support.drive import drain


def reasons(answer: object) -> list[tuple[int | None, str | None, str]]:
    body = answer.json()  # type: ignore[attr-defined]
    return [(p["index"], p["field"], p["reason"]) for p in body["errors"]]


async def test_a_put_creates_then_updates_and_get_shows_the_csv_fields(api: Api) -> None:
    body = tenant(
        language="en",
        due_day=5,
        monthly_rent="7100.50",
        balance_as_of="2026-03-02",
        demand_sent_on="2026-02-20",
        demand_received_on="2026-02-21",
        at_risk=True,
    )
    created = await api.put("T-1", body)
    assert (created.status_code, created.json()) == (
        201,
        {"tenant_ref": "T-1", "result": "created", "older_balance_kept": False},
    )
    shown = await api.get("tenants/T-1")
    assert shown.status_code == 200
    got = shown.json()
    assert {k: got[k] for k in ("tenant_ref", "name", "phone", "language", "due_day", "at_risk", "status")} == {
        "tenant_ref": "T-1",
        "name": "Amira Hansen",
        "phone": PHONE,
        "language": "en",
        "due_day": 5,
        "at_risk": True,
        "status": "active",
    }
    # Money stays a string with two decimals; dates are YYYY-MM-DD.
    assert (got["balance"], got["monthly_rent"], got["balance_as_of"]) == ("7100.00", "7100.50", "2026-03-02")
    assert (got["demand_sent_on"], got["demand_received_on"], got["termination_on"]) == (
        "2026-02-20",
        "2026-02-21",
        None,
    )
    assert got["stage"].startswith("påkrav, deadline in")
    assert (got["conversation"], got["case"], got["reminders"]) == (None, None, [])

    updated = await api.put("T-1", tenant(balance="0", phone="20 12 34 57"))
    assert (updated.status_code, updated.json()["result"]) == (200, "updated")
    # The same body again changes nothing, and says so (as a bulk and the CSV import count it).
    same = await api.put("T-1", tenant(balance="0", phone="20 12 34 57"))
    assert (same.status_code, same.json()["result"]) == (200, "unchanged")
    again = (await api.get("tenants/T-1")).json()
    # A PUT is the whole row, as a re-import is: a field left out takes its default.
    assert (again["balance"], again["phone"], again["language"], again["monthly_rent"]) == (
        "0.00",
        "+4520123457",
        "da",
        None,
    )
    assert again["stage"] == "paid up, at risk"  # it owed rent this year: reminded before the next due day


async def test_a_language_not_enabled_is_written_and_said_as_the_csv_import_says_it(sqlite_api: Api) -> None:
    """Arabic is known but not enabled here: the tenant is written and reads Danish, and the answer says so (a PUT
    and each bulk item, by its index), in the CSV import's words; an answer with nothing to say names no notices."""
    reason = (
        'language "ar" is not enabled here (KEEPHOME_LANGUAGES: da, en): this tenant will read da, the fallback '
        "language (KEEPHOME_FALLBACK_LANGUAGE)"
    )
    put = await sqlite_api.put("T-1", tenant(language="ar"))
    assert put.status_code == 201
    assert put.json()["notices"] == [{"index": None, "field": "language", "reason": reason}]
    assert (await sqlite_api.get("tenants/T-1")).json()["language"] == "da"
    items = [tenant("B-1", "+4520123401", language="en"), tenant("B-2", "+4520123402", language="ar")]
    bulk = await sqlite_api.post("tenants/bulk", {"tenants": items})
    assert bulk.status_code == 200
    assert bulk.json()["notices"] == [{"index": 1, "field": "language", "reason": reason}]
    plain = await sqlite_api.put("T-2", tenant("T-2", "+4520123403", language="en"))
    assert "notices" not in plain.json()


@pytest.mark.parametrize(
    "field", ["demand_sent_on", "demand_received_on", "termination_on", "court_filed_on", "kommune_notified_on"]
)
async def test_a_day_that_must_be_past_is_a_422_when_after_today_as_in_the_csv_import(
    sqlite_api: Api, field: str
) -> None:
    """A påkrav sent (or received), a termination, a filing or a kommune notice after the runtime's today is refused
    with the import's reason, in a PUT and in a bulk (by its index), and nothing is written; today itself is fine."""
    api = sqlite_api
    before = await api.counts()
    tomorrow = (TODAY + timedelta(days=1)).isoformat()
    answer = await api.put("T-1", tenant(**{field: tomorrow}))
    assert answer.status_code == 422
    ((index, named, reason),) = reasons(answer)
    assert (index, named) == (None, field)
    assert reason.startswith(f"{field} {tomorrow} is after today ({TODAY.isoformat()}): write the day ")
    items = [tenant("B-1", "+4520123401"), tenant("B-2", "+4520123402", **{field: tomorrow})]
    bulk = await api.post("tenants/bulk", {"tenants": items})
    assert bulk.status_code == 422 and reasons(bulk) == [(1, field, reason)]
    assert await api.counts() == before
    assert (await api.put("T-1", tenant(**{field: TODAY.isoformat()}))).status_code == 201


async def test_a_balance_a_day_ahead_is_taken_as_of_today_with_a_notice_and_further_ahead_is_a_422(
    sqlite_api: Api,
) -> None:
    api = sqlite_api
    tomorrow = (TODAY + timedelta(days=1)).isoformat()
    put = await api.put("T-1", tenant(balance_as_of=tomorrow))
    assert put.status_code == 201
    reason = (
        f"balance_as_of {tomorrow} is after today ({TODAY.isoformat()}): the balance is taken as of today (a ledger "
        "dated ahead, or in another time zone)"
    )
    assert put.json()["notices"] == [{"index": None, "field": "balance_as_of", "reason": reason}]
    assert (await api.get("tenants/T-1")).json()["balance_as_of"] == TODAY.isoformat()
    far = (TODAY + timedelta(days=3)).isoformat()
    refused = await api.put("T-1", tenant(balance_as_of=far))
    assert refused.status_code == 422
    assert reasons(refused) == [
        (
            None,
            "balance_as_of",
            f"balance_as_of {far} is after today ({TODAY.isoformat()}): write the day of the ledger's balance",
        )
    ]


async def test_a_filing_before_the_termination_is_written_with_a_notice(sqlite_api: Api) -> None:
    items = [
        tenant("B-1", "+4520123401", termination_on="2026-02-20", court_filed_on="2026-02-10"),
        tenant("B-2", "+4520123402", termination_on="2026-02-10", court_filed_on="2026-02-20"),
    ]
    bulk = await sqlite_api.post("tenants/bulk", {"tenants": items})
    assert bulk.status_code == 200 and bulk.json()["created"] == 2
    reason = (
        "court_filed_on 2026-02-10 is before termination_on 2026-02-20: a case is filed with the fogedret after the "
        "termination; if this filing belongs to an earlier termination nothing is wrong, else correct the dates"
    )
    assert bulk.json()["notices"] == [{"index": 0, "field": "court_filed_on", "reason": reason}]


async def test_bad_fields_are_422_each_with_its_field_and_reason_and_nothing_is_written(sqlite_api: Api) -> None:
    api = sqlite_api  # checks before the database is asked: SQLite is enough
    before = await api.counts()
    answer = await api.put(
        "T-1",
        {
            "name": "Amira\tHansen",
            "phone": "12",
            "language": "xx",
            "balance": 7100.5,
            "balance_as_of": "03-03-2026",
            "court_date": "2026-02-30",
            "colour": "blue",
        },
    )
    assert answer.status_code == 422
    found = {field: reason for _, field, reason in reasons(answer)}
    # A wrong JSON type (a number where money goes) and an unknown field, and the values of the other fields by
    # the CSV import's own rules: every bad field in one answer.
    assert sorted(found) == ["balance", "balance_as_of", "colour", "court_date", "language", "name", "phone"]
    assert found["balance"].startswith("balance must be a JSON string with a decimal point")
    assert (
        found["colour"]
        == "colour is not a field keephome knows (the fields this request takes are in /api/v1/openapi.json)"
    )
    assert found["name"] == "name contains a tab: remove it"
    answer = await api.put(
        "T-1",
        {
            "name": "Amira\tHansen",
            "phone": "12",
            "language": "xx",
            "balance": "7.100,50",
            "balance_as_of": "03-03-2026",
            "court_date": "2026-02-30",
        },
    )
    assert answer.status_code == 422
    found = {field: reason for _, field, reason in reasons(answer)}
    assert sorted(found) == ["balance", "balance_as_of", "court_date", "language", "name", "phone"]
    assert found["name"] == "name contains a tab: remove it"
    assert (
        found["phone"]
        == 'phone "12" is not a valid phone number: a Danish number has 8 digits (not counting +45), this one has 2'
    )
    assert "is not a date (write YYYY-MM-DD)" in found["balance_as_of"]  # the CSV's DD-MM-YYYY is not the API's
    assert found["court_date"] == 'court_date "2026-02-30" is not a date in the calendar'
    assert found["balance"] == 'balance "7.100,50" is not an amount (write it like 7100.50)'
    assert await api.counts() == before


async def test_a_phone_field_with_two_numbers_is_a_422_naming_it_and_writes_nothing(sqlite_api: Api) -> None:
    api = sqlite_api
    before = await api.counts()
    two = "is not a valid phone number: it holds more than one number (keep the one to text)"
    answer = await api.put("T-1", tenant(phone="20123456, 86123456"))
    assert answer.status_code == 422
    assert reasons(answer) == [(None, "phone", f'phone "20123456, 86123456" {two}')]
    answer = await api.post("tenants/bulk", {"tenants": [tenant(phone="20123456; 86123456")]})
    assert answer.status_code == 422
    assert reasons(answer) == [(0, "phone", f'phone "20123456; 86123456" {two}')]
    assert await api.counts() == before


async def test_the_api_and_the_csv_import_give_the_same_reason_for_the_same_value(sqlite_api: Api) -> None:
    api = sqlite_api  # checks before the database is asked: SQLite is enough
    csv = parse_csv(
        b"tenant_ref,name,phone,balance_as_of\nT-1,Amira,+4520123456,2030-01-01\n",
        TODAY,
        known_languages(),
        ["da", "en"],
        "da",
    )
    (csv_error,) = csv.errors
    answer = await api.put("T-1", tenant(balance_as_of="2030-01-01"))
    assert reasons(answer) == [(None, "balance_as_of", csv_error.reason)]


async def test_money_and_dates_in_other_digits_are_refused_as_the_schema_says(sqlite_api: Api) -> None:
    api = sqlite_api  # checks before the database is asked: SQLite is enough
    answer = await api.put("T-1", tenant(balance="٧١٠٠", balance_as_of="٢٠٢٦-٠٣-٠١"))
    assert answer.status_code == 422
    assert reasons(answer) == [
        (None, "balance", 'balance "٧١٠٠" is not an amount (write it like 7100.50)'),
        (None, "balance_as_of", 'balance_as_of "٢٠٢٦-٠٣-٠١" is not a date (write YYYY-MM-DD)'),
    ]
    assert (await api.counts())["tenants"] == 0


@pytest.mark.parametrize("field", ["demand_sent_on", "demand_received_on", "termination_on", "court_date"])
async def test_a_legal_date_of_year_9999_is_refused_not_stored_to_fail_every_read(sqlite_api: Api, field: str) -> None:
    """A ledger writes 9999-12-31 for "never": the påkrav's deadline and a court date's urgency are computed from
    it, past the calendar's end (a 500 on the PUT after its write, or on every GET of the tenant)."""
    api = sqlite_api
    answer = await api.put("T-1", tenant(**{field: "9999-12-31"}))
    assert (answer.status_code, reasons(answer)) == (
        422,
        [(None, field, f'{field} "9999-12-31" is not in the years 1900 to 2099')],
    )
    assert (await api.counts())["tenants"] == 0
    # The last day each may hold: the calendar's for the hearing, today for what has happened (a påkrav, a termination).
    last = "2099-12-31" if field == "court_date" else TODAY.isoformat()
    assert (await api.put("T-1", tenant(**{field: last}))).status_code == 201
    assert (await api.get("tenants/T-1")).status_code == 200


async def test_a_body_ref_must_match_the_path_and_missing_fields_are_named(sqlite_api: Api) -> None:
    api = sqlite_api  # checks before the database is asked: SQLite is enough
    answer = await api.put("T-1", tenant("T-2"))
    # Which two differ, and what to send (before: "tenant_ref in the body differs from the one in the path").
    assert (answer.status_code, reasons(answer)) == (
        422,
        [(None, "tenant_ref", 'tenant_ref "T-2" in the body differs from "T-1" in the path: send the same, or none')],
    )
    answer = await api.put("T-1", {"name": "Amira Hansen"})
    assert answer.status_code == 422 and reasons(answer) == [(None, "phone", "phone is required")]
    not_json = await api.client.put("/api/v1/tenants/T-1", content=b"{", headers=api.auth())
    assert not_json.status_code == 400
    assert not_json.json()["error"] == "the body is not valid JSON (EOF while parsing an object at line 1 column 1)"
    # No body at all (a client that sent none): said so, not as JSON that ends at column 0.
    for path, empty in (("tenants/T-1", b""), ("tenants/bulk", b"\r\n"), ("tenants/T-1/payments", b" ")):
        method = "PUT" if path == "tenants/T-1" else "POST"
        answer = await api.client.request(method, f"/api/v1/{path}", content=empty, headers=api.auth())
        assert (answer.status_code, answer.json()["error"]) == (
            400,
            "the body is empty: send the request's JSON object (see /api/v1/openapi.json)",
        ), path
    assert (await api.counts())["tenants"] == 0


async def test_a_ref_percent_encoded_in_latin1_is_refused_not_stored_with_its_letters_lost(sqlite_api: Api) -> None:
    """A Windows client encoding "Søndergård-4" in Latin-1 sends S%F8nderg%E5rd-4; read as UTF-8, each escape is
    U+FFFD, so "Sønder…" and "Sander…" written that way would be one tenant, each PUT overwriting the other's."""
    api = sqlite_api
    latin1 = "/api/v1/tenants/S%F8nderg%E5rd-4"
    reason = "tenant_ref in the path is not UTF-8: percent-encode the UTF-8 bytes of each letter (ø is %C3%B8)"
    for method, path, body, scope in (
        ("PUT", latin1, {"name": "Amira Hansen", "phone": PHONE}, "write"),
        ("GET", latin1, None, "read"),
        ("DELETE", latin1, None, "erase"),
        ("POST", latin1 + "/payments", {"amount": "1.00", "paid_on": "2026-03-02"}, "write"),
    ):
        answer = await api.client.request(method, path, json=body, headers=api.auth(scope))
        assert (answer.status_code, answer.json()) == (
            400,
            {"error": reason, "errors": [{"index": None, "field": "tenant_ref", "reason": reason}]},
        ), method
    assert (await api.counts())["tenants"] == 0
    utf8 = await api.client.put(
        "/api/v1/tenants/S%C3%B8nderg%C3%A5rd-4", json={"name": "Amira Hansen", "phone": PHONE}, headers=api.auth()
    )
    assert (utf8.status_code, utf8.json()["tenant_ref"]) == (201, "Søndergård-4")


async def test_a_ref_with_a_control_character_is_a_400_on_every_route_and_every_database(api: Api) -> None:
    """No tenant_ref holds a NUL (an import refuses one), and PostgreSQL refuses a NUL in any text it is asked about:
    a read with %00 in its path was a 500 there and a 404 on SQLite; now every route says what is wrong, the same on
    both."""
    await api.put("T-1", tenant())
    reason = "tenant_ref in the path contains the control character U+0000: a tenant_ref holds none"
    for method, path, body, scope in (
        ("PUT", "/api/v1/tenants/T-1%00", {"name": "Amira Hansen", "phone": PHONE}, "write"),
        ("GET", "/api/v1/tenants/T-1%00", None, "read"),
        ("DELETE", "/api/v1/tenants/T-1%00", None, "erase"),
        ("POST", "/api/v1/tenants/T-1%00/payments", {"amount": "1.00", "paid_on": "2026-03-02"}, "write"),
    ):
        answer = await api.client.request(method, path, json=body, headers=api.auth(scope))
        assert (answer.status_code, answer.json()) == (
            400,
            {"error": reason, "errors": [{"index": None, "field": "tenant_ref", "reason": reason}]},
        ), method
    tab = await api.get("tenants/T-1%09")
    assert (tab.status_code, tab.json()["error"]) == (
        400,
        "tenant_ref in the path contains a tab: a tenant_ref holds none",
    )
    assert (await api.counts())["tenants"] == 1


async def test_an_unknown_or_erased_tenant_is_404(api: Api) -> None:
    assert (await api.get("tenants/NOPE")).status_code == 404
    await api.put("T-1", tenant())
    async with api.rt.db.write() as conn:
        await conn.execute(tenants.update().values(status="erased"))
    answer = await api.get("tenants/T-1")
    assert answer.status_code == 404 and answer.json()["error"] == 'there is no tenant "T-1"'
    assert (await api.client.get("/api/v1/nowhere", headers=api.auth())).status_code == 404


async def test_a_path_with_no_tenant_ref_says_where_it_goes(sqlite_api: Api) -> None:
    """A client's variable left empty (`/api/v1/tenants/`): before, 'there is no tenant ""', or for a PUT
    "tenant_ref is empty" beside a body's tenant_ref said to differ from ""."""
    api = sqlite_api
    said = "tenant_ref in the path is empty: write it after /api/v1/tenants/"
    problem = [{"index": None, "field": "tenant_ref", "reason": said}]
    put = await api.put("", tenant("T-1"))
    assert (put.status_code, put.json()) == (422, {"error": "1 problem; nothing was written", "errors": problem})
    for answer in (
        await api.get("tenants/"),
        await api.client.delete("/api/v1/tenants/", headers=api.auth("erase")),
        await api.post("tenants//payments", {"amount": "1.00", "paid_on": "2026-03-02"}),
    ):
        assert (answer.status_code, answer.json()) == (404, {"error": said, "errors": problem})
    assert (await api.counts())["tenants"] == 0


async def test_a_reference_may_hold_a_slash(sqlite_api: Api) -> None:
    api = sqlite_api  # checks before the database is asked: SQLite is enough
    assert (await api.put("1234/56", tenant("1234/56"))).status_code == 201
    assert (await api.get("tenants/1234/56")).json()["tenant_ref"] == "1234/56"


async def test_a_ref_in_the_path_that_would_be_stored_otherwise_is_refused(sqlite_api: Api) -> None:
    api = sqlite_api  # checks before the database is asked: SQLite is enough
    # " T-6" would be stored as "T-6", and a GET of the same URL would then find no tenant.
    for path, ref in (("%20T-6", " T-6"), ("T-6%20", "T-6 "), ("T%20%206", "T  6")):
        answer = await api.client.put(f"/api/v1/tenants/{path}", json=tenant(ref), headers=api.auth())
        assert answer.status_code == 422, answer.json()
        (problem,) = reasons(answer)
        assert problem[:2] == (None, "tenant_ref")
        assert problem[2].startswith(f'tenant_ref "{ref}" in the path has spaces at its ends or several in a row')
    assert (await api.counts())["tenants"] == 0
    assert (await api.put("T 6", tenant("T 6"))).status_code == 201  # one space inside is a reference's own
    assert (await api.client.get("/api/v1/tenants/T%206", headers=api.auth("read"))).status_code == 200


async def test_get_shows_stage_step_case_and_delivery_but_never_texts_answers_or_notes(api: Api) -> None:
    await api.put("T-1", tenant())
    secret_answer, secret_note = "I lost my job in January", "Called her sister, she cries a lot"
    at = api.rt.clock()
    async with api.rt.db.write() as conn:
        tenant_id = (await conn.execute(select(tenants.c.id))).scalar_one()
        state = {
            "flow": "payment_check",
            "flow_version": 1,
            "step": "consent",
            "language": "da",
            "channel": "sms",
            "first_name": "Amira",
            "trigger": "missed",
            "settings": {},
            "data": {"reason_text": secret_answer},
            "retries": 0,
            "nudged": False,
            "waiting_until": (at + timedelta(hours=24)).isoformat(),
            "expires_at": (at + timedelta(hours=48)).isoformat(),
            "ended": False,
            "end_reason": None,
            "deadline": None,
        }
        await conn.execute(
            conversations.insert().values(
                tenant_id=tenant_id,
                flow="payment_check",
                trigger="missed",
                state=state,
                active=True,
                waiting_until=at + timedelta(hours=24),
                version=3,
                started_at=at,
                updated_at=at,
            )
        )
        await conn.execute(
            messages.insert().values(
                tenant_id=tenant_id,
                direction="in",
                channel="sms",
                text=secret_answer,
                author="tenant",
                status="received",
                created_at=at,
                updated_at=at,
            )
        )
        case_id = (
            await conn.execute(
                cases.insert()
                .values(
                    tenant_id=tenant_id,
                    status="closed",
                    origin="handoff",
                    reason="tenant_asked",
                    priority=1,
                    outcome="payment_plan",
                    outcome_note=secret_note,
                    opened_at=at,
                    updated_at=at,
                    closed_at=at,
                )
                .returning(cases.c.id)
            )
        ).scalar_one()
        await conn.execute(case_events.insert().values(case_id=case_id, kind="note", text=secret_note, at=at))
    answer = await api.get("tenants/T-1")
    assert answer.status_code == 200
    got = answer.json()
    assert got["conversation"]["step"] == "consent" and got["conversation"]["trigger"] == "missed"
    assert got["case"] is None  # closed: the open case is shown, the list of all is /cases
    assert secret_answer not in answer.text and secret_note not in answer.text
    listed = await api.get("cases")
    assert listed.json()["cases"][0]["outcome"] == "payment_plan"
    assert secret_answer not in listed.text and secret_note not in listed.text


async def test_reads_and_writes_are_audited_with_the_keys_name(api: Api) -> None:
    await api.put("T-1", tenant())
    await api.put("T-1", tenant(balance="1.00"))
    await api.get("tenants/T-1")
    async with api.rt.db.read() as conn:
        rows = (await conn.execute(select(audit_log).where(audit_log.c.actor.startswith("api:")))).all()
        tenant_id = (await conn.execute(select(tenants.c.id))).scalar_one()
    assert [(r.action, r.target, r.detail) for r in rows] == [
        ("api.tenant.put", f"tenant:{tenant_id}", 'key "ledger (write)" result=created'),
        ("api.tenant.put", f"tenant:{tenant_id}", 'key "ledger (write)" result=updated'),
        ("api.tenant.view", f"tenant:{tenant_id}", 'key "ledger (read)"'),
    ]
    assert all(r.at == NOW for r in rows)


async def test_a_settled_balance_in_a_put_keeps_what_a_payment_recorded(api: Api) -> None:
    await api.put("T-1", tenant())
    await api.post("tenants/T-1/payments", {"amount": "100.00", "paid_on": "2026-03-02"})
    await api.put("T-1", tenant(balance="0"))
    async with api.rt.db.read() as conn:
        last = (await conn.execute(select(rent_positions.c.last_payment_on))).scalar_one()
    assert last.isoformat() == "2026-03-02"


async def _reminders(api: Api, ref: str) -> list[tuple[str, str | None, str | None]]:
    shown = (await api.get(f"tenants/{ref}")).json()["reminders"]
    return [(r["trigger"], r["channel"], r["delivery"]) for r in shown]


async def test_without_a_channel_a_reminder_is_on_channel_none_and_waiting_as_keephome_remind_says(
    bare_api: Api,
) -> None:
    # Neither Twilio nor Telegram configured: a court date opens the urgent outreach now, and `keephome remind`
    # plans another tenant's missed rent; no question can go out, and neither is said to be queued on SMS.
    assert (await bare_api.put("T-1", tenant(court_date="2026-04-15"))).status_code == 201
    assert (await bare_api.put("T-2", tenant("T-2", "+4520123457", balance_as_of="2026-03-03"))).status_code == 201
    settings = bare_api.rt.settings
    planned = io.StringIO()
    assert await run_remind(settings, None, False, False, planned, now=NOW) == 0
    assert [line.split()[:3] for line in planned.getvalue().splitlines() if line.startswith("T-")] == [
        ["T-2", "missed", "none"]
    ]
    assert await _reminders(bare_api, "T-1") == [("court", "none", "waiting")]
    assert await _reminders(bare_api, "T-2") == [("missed", "none", "waiting")]
    # The sender sets both aside to wait for a channel, neither sent nor failed; the answer stays the same.
    await drain(bare_api.rt.sender)
    async with bare_api.rt.db.read() as conn:
        rows = (await conn.execute(select(outbox.c.state, outbox.c.last_error))).all()
    assert [tuple(r) for r in rows] == [("waiting", "no channel"), ("waiting", "no channel")]
    assert await _reminders(bare_api, "T-1") == [("court", "none", "waiting")]
    tally = io.StringIO()
    assert await run_remind(settings, None, True, False, tally, now=NOW) == 0
    lines = [" ".join(line.split()) for line in tally.getvalue().splitlines()]
    assert "waiting 2 (2 no channel can send it yet)" in lines
    assert {"T-1 court waiting no channel", "T-2 missed waiting no channel"} <= set(lines)


async def test_with_a_channel_a_reminder_not_sent_yet_is_queued_on_it(sqlite_api: Api) -> None:
    assert (await sqlite_api.put("T-1", tenant(court_date="2026-04-15"))).status_code == 201
    assert await _reminders(sqlite_api, "T-1") == [("court", "sms", "queued")]
    await drain(sqlite_api.rt.sender)
    assert await _reminders(sqlite_api, "T-1") == [("court", "sms", "sent")]


@pytest.fixture
async def pg_api(pg_migrated_url: str) -> AsyncIterator[Api]:
    async for opened in open_api(pg_migrated_url):
        yield opened


@pytest.mark.postgres
async def test_two_writes_at_once_take_turns_so_a_number_given_twice_is_a_422_not_a_500(
    pg_api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A ledger syncing with parallel PUTs: the second write of one number must hear whose number it is, as it does
    when the two come one after the other, and a tenant sent twice at once is created once. The first write holds
    back after its checks until the second has begun its own, so both would check before either has written."""
    api = pg_api
    entered = 0
    both_in = asyncio.Event()

    async def upsert_counting(*args: Any, **kwargs: Any) -> Any:
        nonlocal entered
        entered += 1
        if entered == 2:
            both_in.set()
        return await upsert_rows(*args, **kwargs)

    checks = upsert_module._phones_taken

    async def first_waits(*args: Any, **kwargs: Any) -> Any:
        found = await checks(*args, **kwargs)
        await both_in.wait()  # the second write has begun (and, taking turns, waits for this one)
        return found

    monkeypatch.setattr(api_tenants, "upsert_rows", upsert_counting)
    monkeypatch.setattr(upsert_module, "_phones_taken", first_waits)
    one, two = await asyncio.gather(api.put("T-1", tenant("T-1")), api.put("T-2", tenant("T-2")))
    assert sorted([one.status_code, two.status_code]) == [201, 422]
    refused = two if two.status_code == 422 else one
    owner = "T-1" if refused is two else "T-2"
    assert reasons(refused) == [
        (
            None,
            "phone",
            f'phone {PHONE} belongs to tenant_ref "{owner}", who is not in this request: one number belongs to one '
            "tenant",
        )
    ]
    entered = 0
    both_in.clear()
    again = await asyncio.gather(
        api.put("T-3", tenant("T-3", "+4520123457")), api.put("T-3", tenant("T-3", "+4520123457"))
    )
    assert sorted(a.json()["result"] for a in again) == ["created", "unchanged"]
    assert (await api.counts())["tenants"] == 2


async def test_a_påkrav_sent_before_the_law_allows_is_written_with_a_notice(sqlite_api: Api) -> None:
    """As in the CSV import: a PUT or a bulk item whose påkrav came before the earliest day for the rent it most
    plausibly concerns is written and the answer says so; one sent on the earliest day says nothing."""
    reason = (
        'demand_sent_on 2026-02-03 for tenant_ref "{ref}" is before 2026-02-06, the earliest day a påkrav may be sent '
        "for rent due 2026-02-01: check which rent it concerns (a påkrav sent too early may have no legal effect)"
    )
    put = await sqlite_api.put("T-1", tenant(demand_sent_on="2026-02-03"))
    assert put.status_code == 201
    assert put.json()["notices"] == [{"index": None, "field": "demand_sent_on", "reason": reason.format(ref="T-1")}]
    assert (await sqlite_api.get("tenants/T-1")).json()["demand_sent_on"] == "2026-02-03"
    items = [
        tenant("B-1", "+4520123401", demand_sent_on="2026-02-06"),
        tenant("B-2", "+4520123402", demand_sent_on="2026-02-03"),
    ]
    bulk = await sqlite_api.post("tenants/bulk", {"tenants": items})
    assert bulk.status_code == 200 and bulk.json()["created"] == 2
    assert bulk.json()["notices"] == [{"index": 1, "field": "demand_sent_on", "reason": reason.format(ref="B-2")}]
