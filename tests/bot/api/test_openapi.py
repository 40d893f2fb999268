"""The served schema: every route of the contract, generated from the models, open to read without a key."""

from __future__ import annotations

from bot.tenants.csv_rows import FIELDS
from tests.bot.api.conftest import Api, tenant


async def test_the_schema_names_every_route_of_the_contract_with_its_bodies(sqlite_api: Api) -> None:
    answer = await sqlite_api.client.get("/api/v1/openapi.json")
    assert answer.status_code == 200
    doc = answer.json()
    assert doc["openapi"].startswith("3.1")
    routes = sorted((method.upper(), path) for path, ops in doc["paths"].items() for method in ops)
    assert routes == [
        ("DELETE", "/api/v1/tenants/{tenant_ref}"),
        ("GET", "/api/v1/cases"),
        ("GET", "/api/v1/tenants/{tenant_ref}"),
        ("POST", "/api/v1/tenants/bulk"),
        ("POST", "/api/v1/tenants/{tenant_ref}/payments"),
        ("PUT", "/api/v1/tenants/{tenant_ref}"),
    ]
    schemas = doc["components"]["schemas"]
    put = schemas["TenantIn"]["properties"]
    # The CSV's column names; money a string with a decimal point, dates YYYY-MM-DD.
    assert set(put) == {
        "tenant_ref", "name", "phone", "language", "due_day", "monthly_rent", "balance", "balance_as_of",
        "demand_sent_on", "demand_received_on", "termination_on", "court_date", "at_risk", "reactivate",
        "address", "children", "court_filed_on", "kommune_notified_on",
    }  # fmt: skip
    # Both doors take the same columns: a column the CSV import learns must reach the API too.
    assert set(put) == set(FIELDS) == set(schemas["BulkTenant"]["properties"])
    money = put["balance"]["anyOf"][0]
    assert (money["type"], money["pattern"]) == ("string", r"^-?\d+(?:\.\d{1,2})?$")
    assert put["court_date"]["anyOf"][0]["format"] == "date"
    assert schemas["BulkIn"]["properties"]["tenants"]["maxItems"] == 10_000
    # What a key may read: no message text, no answers, no notes.
    shown = set(schemas["TenantOut"]["properties"]) | set(schemas["CaseOut"]["properties"])
    assert not shown & {"text", "answers", "data", "note", "notes", "outcome_note", "state"}
    put_op = doc["paths"]["/api/v1/tenants/{tenant_ref}"]["put"]
    assert {"200", "201", "401", "403", "415", "422", "429"} <= set(put_op["responses"])
    assert any(p["name"] == "Idempotency-Key" for p in put_op["parameters"])


async def test_the_phone_fields_published_max_length_is_what_a_write_accepts(sqlite_api: Api) -> None:
    api = sqlite_api
    schemas = (await api.client.get("/api/v1/openapi.json")).json()["components"]["schemas"]
    longest = schemas["TenantIn"]["properties"]["phone"]["maxLength"]
    assert schemas["BulkTenant"]["properties"]["phone"]["maxLength"] == longest

    def written(length: int) -> str:  # +4520123456 with spaces between its country code and its number
        return "+45" + " " * (length - len("+4520123456")) + "20123456"

    answer = await api.put("T-1", tenant(phone=written(longest)))
    assert answer.status_code == 201
    too_long = written(longest + 1)
    answer = await api.put("T-2", tenant("T-2", phone=too_long))
    assert answer.status_code == 422
    assert [(p["field"], p["reason"]) for p in answer.json()["errors"]] == [
        ("phone", f'phone "{too_long}" is not a valid phone number: it is longer than 32 characters')
    ]
