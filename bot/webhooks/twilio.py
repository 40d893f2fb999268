"""Twilio webhooks: inbound SMS and delivery status, signed with the account's auth token.

The body's size and its number of fields are bounded before this runs (`bot.webhooks.limits`). An inbound
SMS that is committed gets 200; one that can never be stored gets 400 (Twilio does not send it again); a
database that cannot commit now gets 500, which Twilio retries only when the webhook URL asks it to.
"""

from __future__ import annotations

import hmac
import logging
import re
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route
from twilio.request_validator import RequestValidator

from bot.inbound.inbox import InboundMessage, clean_text
from bot.outbox.status import record_delivery
from bot.tenants.phones import e164

if TYPE_CHECKING:
    from bot.runtime import Runtime

__all__ = ["EMPTY_TWIML", "SMS_PATH", "STATUS_PATH", "routes"]

log = logging.getLogger(__name__)

SMS_PATH = "/webhooks/twilio/sms"
STATUS_PATH = "/webhooks/twilio/status"
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'
SID_PATTERN = re.compile(r"^[A-Z]{2}[0-9a-fA-F]{32}$")
STATUS_PATTERN = re.compile(r"^[a-z_]{1,20}$")


class Rejected(Exception):
    """A request we refuse, with the status and the message the caller gets."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _signature_ok(validator: RequestValidator, url: str, form: FormData, signature: str) -> bool:
    """One HMAC for the usual case; the validator's full check (port variants) only when that fails."""
    if hmac.compare_digest(validator.compute_signature(url, form), signature):
        return True
    return bool(validator.validate(url, form, signature))


async def _signed_form(request: Request, path: str) -> tuple[Runtime, FormData]:
    """The form of a request Twilio signed for `KEEPHOME_PUBLIC_URL` + path; raises Rejected otherwise."""
    rt: Runtime = request.app.state.rt
    token = rt.settings.twilio_auth_token
    if not rt.settings.sms_enabled or not token:
        raise Rejected(404, "SMS is not configured")
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        raise Rejected(400, "expected an application/x-www-form-urlencoded body")
    body = await request.body()
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True)
    except ValueError:  # UnicodeDecodeError is a ValueError
        raise Rejected(400, "the body is not valid UTF-8 form data") from None
    form = FormData([(name, value) for name, value in pairs])
    signature = request.headers.get("x-twilio-signature", "")
    # Twilio signs the URL it called: the public one, never what a proxy forwarded to us.
    url = rt.settings.public_url + path
    if request.url.query:
        url += "?" + request.url.query
    if not signature or not _signature_ok(RequestValidator(token), url, form, signature):
        rt.metrics.inbound.labels("sms", "bad_signature").inc()
        raise Rejected(403, "invalid X-Twilio-Signature")
    return rt, form


def _required(form: FormData, name: str) -> str:
    value = form.get(name)
    if not isinstance(value, str) or not value.strip():
        raise Rejected(422, f"{name} is missing")
    return value.strip()


def _sid(form: FormData) -> str:
    sid = _required(form, "MessageSid")
    if not SID_PATTERN.match(sid):
        raise Rejected(422, "MessageSid is not a Twilio message sid")
    return sid


def _refuse(request: Request, exc: Rejected) -> Response:
    if exc.status == 422:
        rt: Runtime = request.app.state.rt
        rt.metrics.inbound.labels("sms", "malformed").inc()
    return PlainTextResponse(exc.message, status_code=exc.status)


async def inbound_sms(request: Request) -> Response:
    """Commit an inbound SMS, then answer 200 with empty TwiML; replies go out through the outbox."""
    try:
        rt, form = await _signed_form(request, SMS_PATH)
        sid = _sid(form)
        sender = e164(_required(form, "From"), region=None)
        if sender is None:
            raise Rejected(422, "From is not a valid E.164 phone number")
    except Rejected as exc:
        return _refuse(request, exc)
    body = form.get("Body")
    # Cleaned at the edge: a NUL cannot be stored by PostgreSQL and would fail the whole group commit.
    text = clean_text(body) if isinstance(body, str) and body else None
    try:
        outcome = await rt.inbox.submit(InboundMessage(channel="sms", provider_id=sid, sender=sender, text=text))
    except Exception:
        log.exception("sms inbound sid=%s could not be committed", sid)
        return PlainTextResponse("the message could not be stored now; try again later", status_code=500)
    if outcome == "rejected":
        rt.metrics.inbound.labels("sms", "rejected").inc()
        return PlainTextResponse("the message cannot be stored", status_code=400)
    log.info("sms inbound committed sid=%s", sid)
    return Response(EMPTY_TWIML, media_type="text/xml")


async def delivery_status(request: Request) -> Response:
    """Record a delivery status callback: monotonic, idempotent, unknown sids ignored."""
    try:
        rt, form = await _signed_form(request, STATUS_PATH)
        sid = _sid(form)
        status = _required(form, "MessageStatus").lower()
        if not STATUS_PATTERN.match(status):
            raise Rejected(422, "MessageStatus is not a Twilio message status")
        raw_code = form.get("ErrorCode")
        error_code = raw_code.strip() if isinstance(raw_code, str) and raw_code.strip() else None
        if error_code is not None and not (error_code.isdigit() and len(error_code) <= 10):
            raise Rejected(422, "ErrorCode must be a number")
    except Rejected as exc:
        return _refuse(request, exc)
    result = await rt.db.run(record_delivery, sid, status, error_code, rt.clock())
    rt.metrics.inbound.labels("sms", result).inc()
    log.info("sms status sid=%s status=%s code=%s result=%s", sid, status, error_code, result)
    return Response(EMPTY_TWIML, media_type="text/xml")


def routes() -> list[BaseRoute]:
    """The two Twilio webhook routes."""
    return [
        Route(SMS_PATH, inbound_sms, methods=["POST"]),
        Route(STATUS_PATH, delivery_status, methods=["POST"]),
    ]
