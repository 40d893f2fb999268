"""The REST API's routes under /api/v1: authorize, check, do, answer in JSON.

Every route is one function over (request, caller); `_endpoint` wraps it with the key check (401/403/429),
the Idempotency-Key's replay for writes, and one JSON shape for every refusal. A wrong method is a JSON
405 with `Allow`, an unknown path a JSON 404.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.api import openapi
from bot.api.auth import Caller, authorize
from bot.api.cases import list_cases, parse_query
from bot.api.erase import erase_by_ref
from bot.api.errors import ApiError, Problem, json_response, no_tenant
from bot.api.idempotency import Answer, fingerprint, idempotency_key, remember_refusal, replay
from bot.api.models import PaymentIn, TenantIn, parse_bulk, parse_fields
from bot.api.payments import record_payment
from bot.api.tenant_view import read_tenant
from bot.api.tenants import Write, put_tenant, rules_for, write_bulk
from bot.runtime import Runtime
from bot.store.audit import record_entry
from bot.tenants.csv_rows import control_character

__all__ = ["routes"]

log = logging.getLogger(__name__)

Handler = Callable[[Request, Caller, datetime], Awaitable[Response]]
_SCOPE = {"GET": "read", "PUT": "write", "POST": "write", "DELETE": "erase"}
# A route answers every method itself, so a wrong one gets the API's JSON 405 (with Allow), not a plain one.
_ANY = ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]


def _rt(request: Request) -> Runtime:
    rt: Runtime = request.app.state.rt
    return rt


def _answer(answer: Answer) -> Response:
    headers = {"Idempotent-Replayed": "true"} if answer.replayed else None
    return json_response(answer.body, answer.status, headers)


def _ref(request: Request) -> str:
    """The path's tenant_ref; 400 when its %xx escapes are not UTF-8 or one is a control character. The server
    reads each escape that is not UTF-8 as U+FFFD: "Sønderg%E5rd-4" sent in Latin-1 would be stored with U+FFFD for
    the å, the same reference as every other letter lost that way, and one tenant's PUT would overwrite another's."""
    ref = str(request.path_params["tenant_ref"])
    if "\ufffd" in ref:
        reason = "tenant_ref in the path is not UTF-8: percent-encode the UTF-8 bytes of each letter (ø is %C3%B8)"
        raise ApiError(400, reason, [Problem(reason, "tenant_ref")])
    # No stored tenant_ref holds one (an import refuses it), and PostgreSQL refuses a NUL in any text it is asked
    # about: the lookup would be a 500 there.
    control = control_character(ref)
    if control is not None:
        reason = f"tenant_ref in the path contains {control}: a tenant_ref holds none"
        raise ApiError(400, reason, [Problem(reason, "tenant_ref")])
    return ref


# The refusals a write's own checks give (the request, the tenant it names, what is stored): kept under the key.
_KEPT_REFUSALS = frozenset({400, 404, 409, 422})


def _sent_as_json(request: Request) -> None:
    """A body sent as another type than JSON (a form, text) is refused with 415; no Content-Type at all is taken."""
    declared = request.headers.get("content-type")
    if declared is None:
        return
    kind = declared.partition(";")[0].strip().lower()
    if kind == "application/json" or (kind.startswith("application/") and kind.endswith("+json")):
        return
    raise ApiError(415, f'the body must be sent as JSON (Content-Type: application/json), not as "{kind[:80]}"')


def _write(handler: Callable[[Request, Write], Awaitable[Answer]]) -> Handler:
    """A POST or PUT: a repeat of an Idempotency-Key gets the stored answer, before the body is even read."""

    async def write(request: Request, caller: Caller, now: datetime) -> Response:
        _sent_as_json(request)
        key = idempotency_key(request)
        print_ = fingerprint(request, await request.body())
        stored = await replay(_rt(request).db, caller.key_id, key, print_, now)
        if stored is not None:
            return _answer(stored)
        try:
            return _answer(await handler(request, Write(caller, now, key, print_)))
        except ApiError as exc:
            # A refusal is the first response too: a repeat gets it again (never the key's other use, a 422).
            if key is not None and exc.status in _KEPT_REFUSALS and not exc.headers:
                await remember_refusal(_rt(request).db, caller.key_id, key, print_, now, Answer(exc.status, exc.body()))
            raise

    return write


async def _put_tenant(request: Request, req: Write) -> Answer:
    item = parse_fields(await request.body(), TenantIn)
    rt = _rt(request)
    return await put_tenant(rt.db, rt.settings, req, _ref(request), item)


async def _bulk(request: Request, req: Write) -> Answer:
    items = parse_bulk(await request.body())
    rt = _rt(request)
    return await write_bulk(rt.db, rt.settings, req, items)


async def _payment(request: Request, req: Write) -> Answer:
    body = parse_fields(await request.body(), PaymentIn)
    rt = _rt(request)
    return await record_payment(rt.db, rt.settings, req, _ref(request), body)


async def _audit_read(request: Request, caller: Caller, now: datetime, action: str, target: str | None) -> None:
    async with _rt(request).db.write() as conn:
        await record_entry(
            conn, at=now, actor=caller.actor, action=action, target=target, detail=f'key "{caller.name}"'
        )


async def _get_tenant(request: Request, caller: Caller, now: datetime) -> Response:
    rt = _rt(request)
    today = now.astimezone(ZoneInfo(rt.settings.timezone)).date()
    async with rt.db.read() as conn:
        found = await read_tenant(conn, _ref(request), today, rt.settings, frozenset(rt.channels))
    if found is None:
        raise no_tenant(_ref(request))
    tenant_id, tenant = found
    # Reading a tenant's data is audited as a view by staff is.
    await _audit_read(request, caller, now, "api.tenant.view", f"tenant:{tenant_id}")
    return json_response(tenant.model_dump(mode="json"))


async def _delete_tenant(request: Request, caller: Caller, now: datetime) -> Response:
    rt = _rt(request)
    if not await erase_by_ref(rt.db, rt.settings, _ref(request), now, caller):
        raise no_tenant(_ref(request))
    return Response(status_code=204)


async def _cases(request: Request, caller: Caller, now: datetime) -> Response:
    rt = _rt(request)
    query = parse_query(request.query_params, rules_for(rt.settings, now), rt.settings)
    async with rt.db.read() as conn:
        found = await list_cases(conn, query)
    await _audit_read(request, caller, now, "api.cases.list", None)
    return json_response(found.model_dump(mode="json"))


async def _openapi(request: Request) -> Response:
    return JSONResponse(openapi.document())


def _endpoint(methods: Mapping[str, Handler]) -> Callable[[Request], Awaitable[Response]]:
    allowed = ", ".join(methods)

    async def endpoint(request: Request) -> Response:
        handler = methods.get(request.method)
        try:
            if handler is None:
                raise ApiError(405, f"{request.method} is not allowed here: {allowed}", headers={"Allow": allowed})
            rt = _rt(request)
            now = rt.clock()
            caller = await authorize(request, rt.db, now, _SCOPE[request.method], rt.settings.api_rate_per_minute)
            return await handler(request, caller, now)
        except ApiError as exc:
            if exc.status >= 500:
                log.error("API %s refused with %d: %s", request.method, exc.status, exc.message)
            return exc.response()

    return endpoint


async def _not_found(request: Request) -> Response:
    return ApiError(404, "there is no such API route (see /api/v1/openapi.json)").response()


class _Route(Route):
    """A route whose parameters may hold any character, a line break too: a tenant_ref with one is then refused
    by the API itself (422, or 404 for no such tenant), not by a plain-text 404 of the router."""

    def __init__(self, path: str, endpoint: Callable[[Request], Awaitable[Response]], methods: list[str]) -> None:
        super().__init__(path, endpoint, methods=methods)
        self.path_regex = re.compile(self.path_regex.pattern, re.DOTALL)


def routes() -> list[BaseRoute]:
    """The API's routes under /api/v1."""
    prefix = "/api/v1"
    return [
        Route(f"{prefix}/openapi.json", _openapi, methods=["GET"]),
        # Another method on these two paths is a method on the tenant "bulk" or "…/payments".
        _Route(f"{prefix}/tenants/bulk", _endpoint({"POST": _write(_bulk)}), methods=["POST"]),
        _Route(
            f"{prefix}/tenants/{{tenant_ref:path}}/payments", _endpoint({"POST": _write(_payment)}), methods=["POST"]
        ),
        _Route(
            f"{prefix}/tenants/{{tenant_ref:path}}",
            _endpoint({"PUT": _write(_put_tenant), "GET": _get_tenant, "DELETE": _delete_tenant}),
            _ANY,
        ),
        _Route(f"{prefix}/cases", _endpoint({"GET": _cases}), methods=_ANY),
        _Route(f"{prefix}/{{rest:path}}", _not_found, methods=_ANY),
    ]
