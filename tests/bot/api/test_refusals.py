"""Every refusal of the API is JSON in its one shape, in plain words: a body over its limit, a body nested too
deeply, a value of the wrong JSON type; a bulk names every problem of an item, and says what it left unchanged."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from pydantic import BaseModel, Field, ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.api.errors import from_validation
from bot.api.models import MAX_BULK
from bot.app import create_app
from bot.webhooks.limits import DEFAULT_LIMIT, ROUTE_LIMITS
from tests.bot.api.conftest import Api, tenant

PYDANTIC_WORDS = ("Input should", "Field required", "TenantIn", "BulkTenant", "_BulkEnvelope", "after validation")


def problems(answer: httpx.Response) -> list[tuple[int | None, str | None, str]]:
    return [(p["index"], p["field"], p["reason"]) for p in answer.json()["errors"]]


def no_pydantic_words(answer: httpx.Response) -> bool:
    return not any(words in answer.text for words in PYDANTIC_WORDS)


async def test_a_body_over_its_limit_is_a_json_413_on_the_api_and_plain_text_elsewhere(sqlite_api: Api) -> None:
    api = sqlite_api
    small = DEFAULT_LIMIT.max_bytes
    put = await api.client.put(
        "/api/v1/tenants/T-1", content=json.dumps({**tenant(), "name": "x" * small}), headers=api.auth()
    )
    assert put.status_code == 413
    assert put.headers["content-type"] == "application/json"
    assert put.headers["connection"] == "close"
    assert put.json() == {"error": f"the request body is too large here: at most {small} bytes", "errors": []}

    bulk_limit = dict(ROUTE_LIMITS)["/api/v1/tenants/bulk"].max_bytes

    async def streamed() -> AsyncIterator[bytes]:  # chunked: no Content-Length, counted as it arrives
        for _ in range(bulk_limit // (64 * 1024) + 1):
            yield b" " * (64 * 1024)

    bulk = await api.client.post("/api/v1/tenants/bulk", content=streamed(), headers=api.auth())
    assert bulk.status_code == 413
    assert bulk.json() == {"error": f"the request body is too large here: at most {bulk_limit} bytes", "errors": []}

    # The other doors keep their plain answers.
    console = await api.client.post("/console/login", content=b"a" * (64 * 1024 + 1))
    assert console.status_code == 413
    assert console.headers["content-type"].startswith("text/plain")
    assert console.text == f"the request body is too large here: at most {64 * 1024} bytes"
    assert (await api.counts())["tenants"] == 0


async def test_a_body_sent_as_another_type_than_json_is_a_415(sqlite_api: Api) -> None:
    api = sqlite_api
    body = json.dumps(tenant()).encode()
    for kind in ("application/x-www-form-urlencoded", "text/plain; charset=utf-8", "multipart/form-data; boundary=x"):
        answer = await api.client.put("/api/v1/tenants/T-1", content=body, headers=api.auth(**{"Content-Type": kind}))
        assert answer.status_code == 415, (kind, answer.text)
        reason = f'the body must be sent as JSON (Content-Type: application/json), not as "{kind.split(";")[0]}"'
        assert answer.json() == {"error": reason, "errors": []}
    payment = {"amount": "1.00", "paid_on": "2026-03-02"}
    sent = await api.client.post(
        "/api/v1/tenants/T-1/payments", content=json.dumps(payment), headers=api.auth(**{"Content-Type": "text/csv"})
    )
    assert sent.status_code == 415
    assert (await api.counts())["tenants"] == 0
    # JSON under its own name, a +json type, or no type at all is taken.
    for kind in ("application/json; charset=utf-8", "application/merge-patch+json", None):
        headers = api.auth(**({"Content-Type": kind} if kind else {}))
        answer = await api.client.put("/api/v1/tenants/T-1", content=body, headers=headers)
        assert answer.status_code in (200, 201), (kind, answer.text)


async def test_pydantic_wording_never_reaches_the_client(sqlite_api: Api) -> None:
    api = sqlite_api
    item = {**tenant("A", "+4520123401"), "due_day": "5", "at_risk": "yes"}
    del item["tenant_ref"]
    answer = await api.post("tenants/bulk", {"tenants": [item, None]})
    assert answer.status_code == 422 and no_pydantic_words(answer)
    assert answer.json()["error"] == "4 problems; nothing was written"
    assert problems(answer) == [
        (0, "due_day", "due_day must be a whole number"),
        (0, "at_risk", "at_risk must be true or false"),
        (0, "tenant_ref", "tenant_ref is required"),
        (1, None, "the item must be a JSON object"),
    ]

    not_a_list = await api.post("tenants/bulk", {"tenants": "A"})
    assert problems(not_a_list) == [(None, "tenants", "tenants must be a list")]
    too_many = await api.post("tenants/bulk", {"tenants": [{}] * (MAX_BULK + 1)})
    assert too_many.status_code == 422 and no_pydantic_words(too_many)
    assert problems(too_many) == [
        (None, "tenants", f"tenants must be a list of at most {MAX_BULK} tenants (got {MAX_BULK + 1})")
    ]
    for path in ("tenants/bulk", "tenants/T-1/payments"):
        null = await api.client.post(f"/api/v1/{path}", content=b"null", headers=api.auth())
        assert null.status_code == 422 and no_pydantic_words(null)
        assert problems(null) == [(None, None, "the body must be a JSON object")]
    null = await api.client.put("/api/v1/tenants/T-1", content=b"null", headers=api.auth())
    assert problems(null) == [(None, None, "the body must be a JSON object")]
    missing = await api.put("T-1", {"name": "Amira Hansen", "due_day": 1.5})
    assert problems(missing) == [
        (None, "phone", "phone is required"),
        (None, "due_day", "due_day must be a whole number"),
    ]
    assert (await api.counts())["tenants"] == 0


def test_an_error_type_without_words_of_its_own_gets_a_plain_fallback() -> None:
    class Coded(BaseModel):
        code: str = Field(pattern="^[A-Z]+$")

    try:
        Coded.model_validate({"code": "abc"})
    except ValidationError as exc:
        (problem,) = from_validation(exc, index=3)
    assert problem == {
        "index": 3,
        "field": "code",
        "reason": "code is not a value keephome can take here (see /api/v1/openapi.json)",
    }


async def test_a_number_another_tenant_holds_is_said_to_be_outside_this_request(api: Api) -> None:
    await api.put("KEEP", tenant("KEEP", "+4520123400"))
    said = 'phone +4520123400 belongs to tenant_ref "KEEP", who is not in this request: one number belongs to one '
    said += "tenant"
    bulk = await api.post("tenants/bulk", {"tenants": [tenant("A", "+4520123400")]})
    assert (bulk.status_code, problems(bulk)) == (422, [(0, "phone", said)])
    put = await api.put("B", tenant("B", "+4520123400"))
    assert (put.status_code, problems(put)) == (422, [(None, "phone", said)])
    assert (await api.counts())["tenants"] == 1


COLOUR = "colour is not a field keephome knows (the fields this request takes are in /api/v1/openapi.json)"


async def test_an_item_with_an_unknown_field_is_checked_for_duplicates_too(sqlite_api: Api) -> None:
    api = sqlite_api
    items = [tenant("A", "+4520123401"), {**tenant("B", "+4520123401"), "colour": "blue"}]
    answer = await api.post("tenants/bulk", {"tenants": items})
    assert answer.status_code == 422
    assert problems(answer) == [
        (1, "colour", COLOUR),
        (1, "phone", 'phone +4520123401 is also on item 0 (tenant_ref "A"): one number belongs to one tenant'),
    ]
    # The misfit item is the earlier one: the later, well-formed item is named as its duplicate.
    answer = await api.post("tenants/bulk", {"tenants": items[::-1]})
    assert problems(answer) == [
        (0, "colour", COLOUR),
        (1, "phone", 'phone +4520123401 is also on item 0 (tenant_ref "B"): one number belongs to one tenant'),
    ]
    assert (await api.counts())["tenants"] == 0


def deep(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


async def test_json_nested_too_deeply_is_said_as_such(sqlite_api: Api) -> None:
    api = sqlite_api
    bodies: list[tuple[str, str, bytes]] = [
        ("PUT", "/api/v1/tenants/T-1", deep(5000)),
        ("POST", "/api/v1/tenants/T-1/payments", b'{"amount": ' + deep(1000) + b"}"),
        ("POST", "/api/v1/tenants/bulk", b'{"tenants": ' + deep(5000) + b"}"),
    ]
    for method, path, body in bodies:
        answer = await api.client.request(method, path, content=body, headers=api.auth())
        assert (answer.status_code, answer.json()) == (400, {"error": "the body is nested too deeply", "errors": []})
    broken = await api.client.post("/api/v1/tenants/bulk", content=b'{"tenants": [', headers=api.auth())
    assert (broken.status_code, broken.json()["error"]) == (
        400,
        "the body is not valid JSON (EOF while parsing a list at line 1 column 13)",
    )
    assert (await api.counts())["tenants"] == 0


async def test_a_body_from_a_windows_ledger_is_read_or_refused_saying_it_is_not_utf8(sqlite_api: Api) -> None:
    """Windows tools write UTF-8 with a byte order mark, or Windows-1252 ("Søren" as one byte 0xF8): the first is
    JSON as RFC 8259 lets a parser read it (the CSV import takes it too), the second needs re-encoding, and the
    answer says so instead of calling the JSON broken."""
    api = sqlite_api
    text = json.dumps(tenant(name="Søren Ærø"), ensure_ascii=False)
    with_bom = await api.client.put("/api/v1/tenants/T-1", content=b"\xef\xbb\xbf" + text.encode(), headers=api.auth())
    assert with_bom.status_code == 201
    assert (await api.get("tenants/T-1")).json()["name"] == "Søren Ærø"
    bulk = {"tenants": [tenant("T-2", "+4520123457", name="Søren")]}
    with_bom = await api.client.post(
        "/api/v1/tenants/bulk", content=b"\xef\xbb\xbf" + json.dumps(bulk).encode(), headers=api.auth()
    )
    assert (with_bom.status_code, with_bom.json()["created"]) == (200, 1)
    for encoding in ("cp1252", "utf-16"):
        answer = await api.client.put("/api/v1/tenants/T-3", content=text.encode(encoding), headers=api.auth())
        assert answer.status_code == 400
        assert answer.json()["error"].startswith("the body is not UTF-8 text (byte ")
        assert answer.json()["error"].endswith("): send the JSON in UTF-8")
    assert (await api.counts())["tenants"] == 2


_LONE = (
    "is half of a UTF-16 surrogate pair, alone: it is no character; write the character itself in UTF-8, or both "
    "halves of its pair)"
)


@pytest.mark.parametrize(
    ("body", "error"),
    [
        # The parser's own words were "unexpected end of hex escape" and "lone leading surrogate" (for a trailing one).
        (b'{"name": "\\ud800"}', f"the body is not valid JSON (the escape \\ud800 at line 1 column 11 {_LONE}"),
        (b'{"name": "Bo \\udc00"}', f"the body is not valid JSON (the escape \\udc00 at line 1 column 14 {_LONE}"),
        (
            '{"tenant_ref": "T-1",\n "name": "Søren \\ud83d\\ude00 \\ud83d"}'.encode(),
            f"the body is not valid JSON (the escape \\ud83d at line 2 column 30 {_LONE}",
        ),
        (b'{"\\udbff\\udbff": 1}', f"the body is not valid JSON (the escape \\udbff at line 1 column 3 {_LONE}"),
        # An escaped backslash before "ud800" is no escape of a surrogate; the fault before it is the one said.
        (b'{"a": "\\\\ud800", "b": "\\u12"}', "the body is not valid JSON (invalid escape at line 1 column 28)"),
        # A surrogate as raw bytes (CESU-8, Java's "modified UTF-8"), and a Windows-1252 letter.
        (
            b'{"name":\n  "Bo \xed\xa0\x80"}',
            "the body is not UTF-8 text (byte 15, line 2 column 7: 0xED 0xA0 0x80, a UTF-16 surrogate written as "
            "UTF-8, which is no character): send the JSON in UTF-8",
        ),
        (
            '{"name": "Søren"}'.encode("cp1252"),
            "the body is not UTF-8 text (byte 11, line 1 column 12: 0xF8): send the JSON in UTF-8",
        ),
    ],
)
async def test_a_body_with_a_surrogate_alone_says_what_and_where(sqlite_api: Api, body: bytes, error: str) -> None:
    api = sqlite_api
    answer = await api.client.put("/api/v1/tenants/T-1", content=body, headers=api.auth())
    assert (answer.status_code, answer.json()) == (400, {"error": error, "errors": []})
    # A pair that makes one character is that character.
    pair = b'{"phone": "+4520123456", "name": "Bo \\ud83d\\ude00"}'
    assert (await api.client.put("/api/v1/tenants/T-1", content=pair, headers=api.auth())).status_code == 201
    assert (await api.get("tenants/T-1")).json()["name"] == "Bo \U0001f600"


async def test_a_repeated_bulk_counts_its_tenants_unchanged_as_the_csv_import_does(api: Api) -> None:
    items: list[dict[str, Any]] = [tenant(f"T-{n}", f"+45201234{n:02d}") for n in range(3)]
    first = await api.post("tenants/bulk", {"tenants": items})
    assert first.json() == {"created": 3, "updated": 0, "unchanged": 0, "left_out": 0, "older_balances_kept": 0}
    again = await api.post("tenants/bulk", {"tenants": items})
    assert (again.status_code, again.json()) == (
        200,
        {"created": 0, "updated": 0, "unchanged": 3, "left_out": 0, "older_balances_kept": 0},
    )
    items[1] = {**items[1], "balance": "0"}
    changed = await api.post("tenants/bulk", {"tenants": [*items, tenant("T-9", "+4520123499")]})
    assert changed.json() == {"created": 1, "updated": 1, "unchanged": 2, "left_out": 0, "older_balances_kept": 0}


async def test_a_fault_of_keephome_s_own_is_a_json_500_in_the_refusals_shape(
    sqlite_api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*args: object) -> None:
        raise RuntimeError("cases query broke in /srv/keephome/bot/api/cases.py")

    async def crash(request: Request) -> Response:
        raise RuntimeError("a webhook broke")

    monkeypatch.setattr("bot.api.app.list_cases", broken)
    app = create_app(sqlite_api.rt)
    app.router.routes.insert(0, Route("/webhooks/crash", crash, methods=["POST"]))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="https://keephome.example.org") as client:
        answer = await client.get("/api/v1/cases", headers=sqlite_api.auth("read"))
        assert answer.status_code == 500
        assert answer.headers["content-type"] == "application/json"
        assert answer.headers["cache-control"] == "no-store"
        body = answer.json()
        assert set(body) == {"error", "errors"} and body["errors"] == []
        assert "may not have carried out this request" in body["error"]
        # Nothing of the fault itself: no exception, no path, no traceback.
        assert not any(word in answer.text for word in ("RuntimeError", "/srv/", "Traceback", "broke"))
        # A webhook's fault stays the plain 500 (Twilio and Telegram read no JSON).
        webhook = await client.post("/webhooks/crash")
        assert webhook.status_code == 500 and webhook.text == "Internal Server Error"
    # The fault still reaches the server, which logs it with its traceback.
    with pytest.raises(RuntimeError, match="cases query broke"):
        await sqlite_api.client.get("/api/v1/cases", headers=sqlite_api.auth("read"))


async def test_a_field_a_write_does_not_take_says_what_to_do_with_it(sqlite_api: Api) -> None:
    """Before, each was "… is not a field keephome knows": also what GET had just shown (an integrator's GET sent
    back as the PUT), and a misspelt field, with nothing said of the field meant."""
    api = sqlite_api
    await api.put("T-1", tenant())
    shown = (await api.get("tenants/T-1")).json()
    answer = await api.put("T-1", shown)
    assert answer.status_code == 422
    leave_out = "is shown by GET but not written by this request: leave it out"
    assert problems(answer) == [
        (None, field, f"{field} {leave_out}")
        for field in (
            "language_chosen_by_tenant",
            "status",
            "telegram_linked",
            "last_payment_on",
            "stage",
            "conversation",
            "case",
            "reminders",
        )
    ]
    typo = await api.put("T-1", {**tenant(), "balance_asof": "2026-03-01"})
    assert problems(typo) == [
        (None, "balance_asof", "balance_asof is not a field keephome knows: did you mean balance_as_of?")
    ]
    bulk = await api.post("tenants/bulk", {"tenant": [tenant()]})
    assert problems(bulk) == [
        (None, "tenants", "tenants is required"),
        (None, "tenant", "tenant is not a field keephome knows: did you mean tenants?"),
    ]
    item = await api.post("tenants/bulk", {"tenants": [{**tenant(), "stage": "owes rent"}]})
    assert problems(item) == [(0, "stage", f"stage {leave_out}")]
    # A payment takes two fields; the tenant's balance is not one of them, and is not said to be.
    payment = await api.post("tenants/T-1/payments", {"amont": "10.00", "paid_on": "2026-03-02", "balance": "0"})
    assert problems(payment) == [
        (None, "amount", "amount is required"),
        (None, "amont", "amont is not a field keephome knows: did you mean amount?"),
        (None, "balance", COLOUR.replace("colour", "balance")),
    ]
    assert (await api.get("tenants/T-1")).json() == shown


async def test_a_key_an_object_gives_twice_is_a_422_naming_it_and_nothing_is_written(sqlite_api: Api) -> None:
    """An integrator's system that writes `phone` twice would otherwise have the last one taken without a word."""
    api = sqlite_api
    twice = '{"tenant_ref": "T-1", "name": "Amira Hansen", "phone": "+4520123401", "phone": "+4520123402"}'
    put = await api.client.put("/api/v1/tenants/T-1", content=twice, headers=api.auth())
    assert put.status_code == 422
    assert problems(put) == [(None, "phone", "phone is given more than once: send each field once")]
    payment = await api.client.post(
        "/api/v1/tenants/T-1/payments",
        content='{"amount": "100.00", "amount": "6500.00", "paid_on": "2026-03-02"}',
        headers=api.auth(),
    )
    assert payment.status_code == 422
    assert problems(payment) == [(None, "amount", "amount is given more than once: send each field once")]
    # In a bulk, every item's repeated key with the item's index, beside the other items' problems, in one answer.
    good, bad = json.dumps(tenant("T-2", "+4520123403")), json.dumps(tenant("T-3", "+4520123404", due_day="1"))
    bulk = '{"tenants": [' + good + ", " + twice + ", " + bad + "]}"
    answer = await api.client.post("/api/v1/tenants/bulk", content=bulk, headers=api.auth())
    assert answer.status_code == 422
    assert problems(answer) == [
        (1, "phone", "phone is given more than once: send each field once"),
        (2, "due_day", "due_day must be a whole number"),
    ]
    envelope = '{"tenants": [' + good + '], "tenants": []}'
    answer = await api.client.post("/api/v1/tenants/bulk", content=envelope, headers=api.auth())
    assert answer.status_code == 422
    assert problems(answer) == [(None, "tenants", "tenants is given more than once: send each field once")]
    assert (await api.counts())["tenants"] == 0
