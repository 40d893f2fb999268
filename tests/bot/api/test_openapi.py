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


async def test_each_operation_has_an_id_a_code_generator_can_name_a_method_by(sqlite_api: Api) -> None:
    """Before, `"{tenant_ref}"` lost only its last brace: `put_tenants_{tenant_ref`, which a client generated from
    the schema cannot name a method by."""
    doc = (await sqlite_api.client.get("/api/v1/openapi.json")).json()
    ids = {(method, path): op["operationId"] for path, ops in doc["paths"].items() for method, op in ops.items()}
    assert ids == {
        ("put", "/api/v1/tenants/{tenant_ref}"): "put_tenants_tenant_ref",
        ("get", "/api/v1/tenants/{tenant_ref}"): "get_tenants_tenant_ref",
        ("delete", "/api/v1/tenants/{tenant_ref}"): "delete_tenants_tenant_ref",
        ("post", "/api/v1/tenants/bulk"): "post_tenants_bulk",
        ("post", "/api/v1/tenants/{tenant_ref}/payments"): "post_tenants_tenant_ref_payments",
        ("get", "/api/v1/cases"): "get_cases",
    }


async def test_each_refusal_is_described_as_its_route_can_give_it(sqlite_api: Api) -> None:
    """Before, every route's 400 spoke of a body (a GET has none) and not of the path's tenant_ref, and the bulk's
    and the payment's 409 of an erased tenant (a bulk leaves it out, a payment to one is a 404)."""
    api = sqlite_api
    paths = (await api.client.get("/api/v1/openapi.json")).json()["paths"]
    tenant_path, payments = paths["/api/v1/tenants/{tenant_ref}"], paths["/api/v1/tenants/{tenant_ref}/payments"]
    read = tenant_path["get"]["responses"]["400"]["description"]
    assert "body" not in read and "tenant_ref in the path" in read
    assert "tenant_ref in the path" in payments["post"]["responses"]["400"]["description"]
    assert "body is not JSON" in paths["/api/v1/tenants/bulk"]["post"]["responses"]["400"]["description"]
    assert "erased" in tenant_path["put"]["responses"]["409"]["description"]
    for bulk_or_payment in (paths["/api/v1/tenants/bulk"]["post"], payments["post"]):
        assert "erased" not in bulk_or_payment["responses"]["409"]["description"]
    # As the routes answer: a path's tenant_ref that is not UTF-8 is a 400 on a read too; an erased tenant's
    # payment is a 404.
    assert (await api.get("tenants/S%F8ren")).status_code == 400
    await api.put("T-1", tenant())
    assert (await api.client.delete("/api/v1/tenants/T-1", headers=api.auth("erase"))).status_code == 204
    assert (await api.post("tenants/T-1/payments", {"amount": "1.00", "paid_on": "2026-03-02"})).status_code == 404


async def test_a_cases_priority_says_how_to_read_it(sqlite_api: Api) -> None:
    """A priority such as 306319900 is a sort key, not a scale: the schema says so (before, nothing)."""
    schemas = (await sqlite_api.client.get("/api/v1/openapi.json")).json()["components"]["schemas"]
    said = schemas["CaseOut"]["properties"]["priority"]["description"]
    assert "higher first" in said and "not a scale" in said
