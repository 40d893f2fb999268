"""The OpenAPI 3.1 document served at `GET /api/v1/openapi.json`, generated from the pydantic models.

Each operation is one `Operation` here: its scope, its body model and its answers. The schemas of the
bodies are pydantic's own JSON Schema (OpenAPI 3.1 is JSON Schema 2020-12), so the document cannot drift
from what the routes accept and answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from bot.api.cases import MAX_LIMIT, STATUSES
from bot.api.idempotency import HEADER
from bot.api.models import (
    MAX_BULK,
    BulkIn,
    BulkWritten,
    CaseList,
    ErrorOut,
    PaymentIn,
    PaymentOut,
    TenantIn,
    TenantOut,
    TenantWritten,
)

__all__ = ["OPERATIONS", "Operation", "document"]

_REF = "#/components/schemas/{model}"
_ERRORS = {
    400: "a header is malformed",
    401: "no valid API key",
    403: "the key's scope does not cover this route",
    404: "no such tenant",
    409: "a request with this Idempotency-Key is still being handled",
    422: "every bad field, with the item's index in a bulk, and the reason; nothing was written",
    415: "the body was sent with another Content-Type than application/json (or a +json type)",
    429: "too many requests from this key in a minute; Retry-After says when to try again",
    503: "KEEPHOME_SECRET_KEY is not set, so nothing can be erased",
}

# RFC 6750's challenges: what a client reads to tell a key to replace from a request to fix.
_CHALLENGES = {
    401: 'Bearer realm="keephome api"; with error="invalid_token" when the key sent is unknown or revoked',
    403: 'Bearer realm="keephome api", error="insufficient_scope", scope="<the scope the route needs>"',
}


@dataclass(frozen=True)
class Operation:
    """One route and method as the document describes it."""

    method: str
    path: str
    summary: str
    scope: str
    body: type[BaseModel] | None = None
    answers: dict[int, type[BaseModel] | None] = field(default_factory=dict)
    errors: tuple[int, ...] = (400, 401, 403, 429)
    query: tuple[dict[str, Any], ...] = ()


_TENANT = "/api/v1/tenants/{tenant_ref}"
_WRITE_ERRORS = (400, 401, 403, 409, 415, 422, 429)

OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "put",
        _TENANT,
        "Create (201) or update (200) one tenant; fields as the CSV's columns",
        "write",
        TenantIn,
        {200: TenantWritten, 201: TenantWritten},
        _WRITE_ERRORS,
    ),
    Operation(
        "get",
        _TENANT,
        "The tenant, rent position, status, stage, waiting conversation, open case and last reminders",
        "read",
        answers={200: TenantOut},
        errors=(400, 401, 403, 404, 429),
    ),
    Operation(
        "delete",
        _TENANT,
        "Erase the tenant's personal data (204); the tenant_ref stays out of later writes unless reactivated",
        "erase",
        answers={204: None},
        errors=(400, 401, 403, 404, 429, 503),
    ),
    Operation(
        "post",
        "/api/v1/tenants/bulk",
        f"Create or update up to {MAX_BULK:,} tenants, all or none",
        "write",
        BulkIn,
        {200: BulkWritten},
        _WRITE_ERRORS,
    ),
    Operation(
        "post",
        "/api/v1/tenants/{tenant_ref}/payments",
        "Record a payment: the balance goes down; at 0 the tenant's reminders stop the same day",
        "write",
        PaymentIn,
        {200: PaymentOut},
        (*_WRITE_ERRORS, 404),
    ),
    Operation(
        "get",
        "/api/v1/cases",
        "Cases with reason, outcome and dates (no notes, no messages), in id order",
        "read",
        answers={200: CaseList},
        errors=(400, 401, 403, 422, 429),
        query=(
            {"name": "status", "schema": {"type": "string", "enum": list(STATUSES)}},
            {"name": "since", "schema": {"type": "string", "format": "date"}, "description": "changed on or after"},
            {"name": "after", "schema": {"type": "integer", "minimum": 0}, "description": "the last id of a page"},
            {"name": "limit", "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}},
        ),
    ),
)


def _json(model: type[BaseModel] | None) -> dict[str, Any]:
    if model is None:
        return {}
    return {"content": {"application/json": {"schema": {"$ref": _REF.format(model=model.__name__)}}}}


def _parameters(op: Operation) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = []
    if "{tenant_ref}" in op.path:
        params.append(
            {
                "name": "tenant_ref",
                "in": "path",
                "required": True,
                "schema": {"type": "string", "minLength": 1, "maxLength": 64},
            }
        )
    if op.body is not None:
        params.append(
            {
                "name": HEADER,
                "in": "header",
                "required": False,
                "description": "a repeat within 24 hours gets the first answer, a refusal too, and changes nothing",
                "schema": {"type": "string", "pattern": "^[!-~]{1,200}$"},
            }
        )
    params.extend({"in": "query", "required": False, **q} for q in op.query)
    return params


def _operation_id(op: Operation) -> str:
    """`post_tenants_tenant_ref_payments`: letters, digits and `_` only, as code generators name a method by it."""
    words = op.path.removeprefix("/api/v1/").replace("{", "").replace("}", "").split("/")
    return "_".join([op.method, *words])


def _error(op: Operation, status: int) -> str:
    """What a refusal with `status` means on this route: only what it can refuse there."""
    if status == 400:
        causes = ["a header is malformed"]
        if "{tenant_ref}" in op.path:
            causes.insert(
                0,
                "the tenant_ref in the path is not percent-encoded UTF-8 (ø is %C3%B8) or holds a control character",
            )
        if op.body is not None:
            causes.insert(0, "the body is not JSON, not UTF-8 or nested too deeply")
        return ", or ".join(causes)
    if status == 409 and op.method == "put":
        return f'the tenant was erased ("reactivate": true brings them back), or {_ERRORS[409]}'
    return _ERRORS[status]


def _responses(op: Operation) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    for status, model in op.answers.items():
        responses[str(status)] = {"description": "done", **_json(model)}
    for status in sorted(op.errors):
        answer: dict[str, Any] = {"description": _error(op, status), **_json(ErrorOut)}
        if status == 429:
            answer["headers"] = {"Retry-After": {"schema": {"type": "integer"}, "description": "seconds"}}
        if status in (401, 403):
            answer["headers"] = {"WWW-Authenticate": {"schema": {"type": "string"}, "description": _CHALLENGES[status]}}
        responses[str(status)] = answer
    responses["413"] = {
        "description": "the body is larger than the route allows (40 MiB for a bulk, 16 KiB otherwise)",
        **_json(ErrorOut),
    }
    return responses


def _operation(op: Operation) -> dict[str, Any]:
    out: dict[str, Any] = {
        "summary": op.summary,
        "description": f"Needs a key of scope `{op.scope}` or above (read < write < erase).",
        "operationId": _operation_id(op),
        "parameters": _parameters(op),
        "responses": _responses(op),
    }
    if op.body is not None:
        out["requestBody"] = {"required": True, **_json(op.body)}
    return out


@cache
def document() -> dict[str, Any]:
    """The whole document (built once)."""
    inputs = {op.body for op in OPERATIONS if op.body is not None}
    outputs = {m for op in OPERATIONS for m in op.answers.values() if m is not None} | {ErrorOut}
    pairs: list[tuple[type[BaseModel], JsonSchemaMode]] = [
        (m, "validation") for m in sorted(inputs, key=lambda m: m.__name__)
    ]
    pairs += [(m, "serialization") for m in sorted(outputs, key=lambda m: m.__name__)]
    _, schemas = models_json_schema(pairs, ref_template=_REF)
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        paths.setdefault(op.path, {})[op.method] = _operation(op)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "keephome",
            "version": "1",
            "description": (
                "Tenants and their rent position in, cases and reminder states out. Fields are the CSV's "
                'column names; money is a JSON string with a decimal point ("7100.50"), dates YYYY-MM-DD. '
                "Answers never carry message texts, tenants' answers or notes."
            ),
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": schemas.get("$defs", {}),
        },
        "paths": paths,
    }
