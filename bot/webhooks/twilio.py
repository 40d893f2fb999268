"""Twilio webhooks: inbound SMS and delivery status, signed with the account's auth token.

The body's size and its number of fields are bounded before this runs (`bot.webhooks.limits`). An inbound
SMS that is committed, or was already (a retry, counted as a duplicate), gets 200; one that can never be
stored gets 400 (Twilio does not send it again); a database that cannot commit now gets 500, which Twilio
retries only when the webhook URL asks it to.

Both routes are plain ASGI endpoints: every SMS a tenant sends comes through here, so the form is parsed
once, the signature is one HMAC over those pairs, and the answer is two ASGI messages, without a request or
response object in between.
"""

from __future__ import annotations

import base64
import hmac
import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from hashlib import sha1
from itertools import chain
from typing import TYPE_CHECKING
from urllib.parse import unquote

from starlette.datastructures import FormData, UploadFile
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send
from twilio.request_validator import RequestValidator

from bot.inbound.inbox import InboundMessage, clean_text
from bot.outbox.status import record_delivery
from bot.store.schema import FAILED_STATUSES
from bot.tenants.phones import e164
from bot.webhooks.refusals import refused

if TYPE_CHECKING:
    from bot.runtime import Runtime

__all__ = ["EMPTY_TWIML", "SMS_PATH", "STATUS_PATH", "parse_form", "routes", "signature_base"]

log = logging.getLogger(__name__)

SMS_PATH = "/webhooks/twilio/sms"
STATUS_PATH = "/webhooks/twilio/status"
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'
SID_PATTERN = re.compile(r"^[A-Z]{2}[0-9a-fA-F]{32}$")
STATUS_PATTERN = re.compile(r"^[a-z_]{1,20}$")

_FORM_TYPE = b"application/x-www-form-urlencoded"
_TWIML = EMPTY_TWIML.encode()
_XML = b"text/xml; charset=utf-8"
_TEXT = b"text/plain; charset=utf-8"

# What a route does with a request Twilio signed: (status, content type, body).
Answer = tuple[int, bytes, bytes]


class Rejected(Exception):
    """A request we refuse, with the status and the message the caller gets."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def parse_form(text: str) -> list[tuple[str, str]]:
    """The pairs of a form body, exactly as `urllib.parse.parse_qsl(text, keep_blank_values=True)` reads them.

    Most of Twilio's fields need no decoding at all; only a piece holding `+` or `%` is decoded.
    """
    pairs = []
    for piece in text.split("&"):
        if not piece:
            continue
        name, _, value = piece.partition("=")
        if "+" in name:
            name = name.replace("+", " ")
        if "%" in name:
            name = unquote(name)
        if "+" in value:
            value = value.replace("+", " ")
        if "%" in value:
            value = unquote(value)
        pairs.append((name, value))
    return pairs


def signature_base(url: str, pairs: Sequence[tuple[str, str]]) -> str:
    """What Twilio signs: the URL, then each parameter name (sorted) followed by each of its values (sorted),
    as `RequestValidator.compute_signature` builds it. A repeated pair counts once there (a set of each name's
    values), so the distinct pairs sorted are that same order."""
    return url + "".join(chain.from_iterable(sorted(set(pairs))))


def _signature_ok(token: str, url: str, pairs: list[tuple[str, str]], signature: str) -> bool:
    """One HMAC for the usual case; the validator's full check (port variants) only when that fails."""
    digest = hmac.new(token.encode(), signature_base(url, pairs).encode(), sha1).digest()
    if hmac.compare_digest(base64.b64encode(digest), signature.encode()):
        return True
    form: list[tuple[str, str | UploadFile]] = list(pairs)
    return bool(RequestValidator(token).validate(url, FormData(form), signature))


async def _body(receive: Receive) -> bytes:
    """The whole request body (`BodyLimits` has read and bounded it already, and hands it over in one piece)."""
    message = await receive()
    body: bytes = message.get("body", b"")
    while message.get("more_body", False):
        message = await receive()
        body += message.get("body", b"")
    return body


def _headers(scope: Scope) -> tuple[bytes, bytes, bytes]:
    """The request's Content-Type, X-Twilio-Signature and X-Twilio-Webhooks-Signature-Settings (empty when absent)."""
    content_type = signature = shared_key = b""
    for name, value in scope["headers"]:
        if name == b"content-type":
            content_type = value
        elif name == b"x-twilio-signature":
            signature = value
        elif name == b"x-twilio-webhooks-signature-settings":
            shared_key = value
    return content_type, signature, shared_key


def _forged(rt: Runtime, url: str, shared_key: bytes) -> Rejected:
    """Count and warn of a request whose signature is not the Auth Token's; the 403 to raise."""
    if shared_key:
        # A Webhook Rule of the account matches this URL: Twilio signed with that rule's SharedKey, not with the Auth
        # Token, and every SMS would be refused with the usual words pointing elsewhere.
        why = (
            f"a request for {url} signed with a Twilio Webhooks SharedKey (X-Twilio-Webhooks-Signature-Settings: "
            f"{shared_key.decode('latin-1')[:100]}) was refused (403): keephome checks the signature of the account's "
            "Auth Token; remove the Webhook Rule that matches this URL"
        )
        refused(rt.metrics, "sms", "bad_signature", why)
        return Rejected(403, "invalid X-Twilio-Signature: signed with a SharedKey, not the Auth Token")
    refused(
        rt.metrics,
        "sms",
        "bad_signature",
        f"a request without a valid X-Twilio-Signature for {url} was refused (403): forged, or "
        "KEEPHOME_PUBLIC_URL is not the URL Twilio calls, or KEEPHOME_TWILIO_AUTH_TOKEN is not the account's",
    )
    return Rejected(403, "invalid X-Twilio-Signature")


async def _signed_form(scope: Scope, receive: Receive, path: str) -> tuple[Runtime, dict[str, str]]:
    """The fields of a request Twilio signed for `KEEPHOME_PUBLIC_URL` + path; raises Rejected otherwise."""
    rt: Runtime = scope["app"].state.rt
    token = rt.settings.twilio_auth_token
    if not rt.settings.sms_enabled or not token:
        raise Rejected(404, "SMS is not configured")
    content_type, signature, shared_key = _headers(scope)
    # Twilio signs the URL it called: the public one, never what a proxy forwarded to us.
    url = rt.settings.public_url + path
    query = scope.get("query_string", b"")
    if query:
        url += "?" + query.decode("latin-1")
    given = signature.decode("latin-1")

    def signed(pairs: list[tuple[str, str]]) -> None:
        # A signature is base64: anything else is forged (and hmac.compare_digest refuses non-ASCII text).
        if not given or not given.isascii() or not _signature_ok(token, url, pairs, given):
            raise _forged(rt, url, shared_key)

    # The signature first, so a forged request is a 403 whatever its body; a body that is no form is signed (if at
    # all) over the URL alone, and only a signed one hears what is wrong with it.
    pairs: list[tuple[str, str]] | None = None
    if content_type.split(b";", 1)[0].strip().lower() == _FORM_TYPE:
        try:
            pairs = parse_form((await _body(receive)).decode("utf-8"))
        except ValueError:  # UnicodeDecodeError is a ValueError
            signed([])
            raise Rejected(400, "the body is not valid UTF-8 form data") from None
    signed(pairs or [])
    if pairs is None:
        raise Rejected(400, "expected an application/x-www-form-urlencoded body")
    return rt, dict(pairs)  # a repeated name keeps its last value, as a form's get() does


def _required(form: dict[str, str], name: str) -> str:
    value = form.get(name)
    if value is None or not value.strip():
        raise Rejected(422, f"{name} is missing")
    return value.strip()


def _sid(form: dict[str, str]) -> str:
    sid = _required(form, "MessageSid")
    if not SID_PATTERN.match(sid):
        raise Rejected(422, "MessageSid is not a Twilio message sid")
    return sid


def _refuse(scope: Scope, exc: Rejected) -> Answer:
    if exc.status == 422:
        rt: Runtime = scope["app"].state.rt
        rt.metrics.inbound.labels("sms", "malformed").inc()
    return exc.status, _TEXT, exc.message.encode()


async def inbound_sms(scope: Scope, receive: Receive) -> Answer:
    """Commit an inbound SMS, then answer 200 with empty TwiML; replies go out through the outbox."""
    try:
        rt, form = await _signed_form(scope, receive, SMS_PATH)
        sid = _sid(form)
        sender = e164(_required(form, "From"), region=None)
        if sender is None:
            raise Rejected(422, "From is not a valid E.164 phone number")
    except Rejected as exc:
        return _refuse(scope, exc)
    body = form.get("Body")
    # Cleaned at the edge: a NUL cannot be stored by PostgreSQL and would fail the whole group commit.
    text = clean_text(body) if body else None
    try:
        outcome = await rt.inbox.submit(InboundMessage(channel="sms", provider_id=sid, sender=sender, text=text))
    except Exception:
        log.exception("sms inbound sid=%s could not be committed", sid)
        refused(rt.metrics, "sms", "error", "a message could not be stored (500): Twilio does not send it again")
        return 500, _TEXT, b"the message could not be stored now; try again later"
    if outcome == "rejected":
        rt.metrics.inbound.labels("sms", "rejected").inc()
        return 400, _TEXT, b"the message cannot be stored"
    if outcome == "duplicate":  # Twilio sent it again: answered as the first time, handled once
        rt.metrics.inbound.labels("sms", "duplicate").inc()
    log.debug("sms inbound %s sid=%s", outcome, sid)  # the row is the record; a line per message only at DEBUG
    return 200, _XML, _TWIML


async def delivery_status(scope: Scope, receive: Receive) -> Answer:
    """Record a delivery status callback: monotonic, idempotent, unknown sids ignored."""
    try:
        rt, form = await _signed_form(scope, receive, STATUS_PATH)
        sid = _sid(form)
        status = _required(form, "MessageStatus").lower()
        if not STATUS_PATTERN.match(status):
            raise Rejected(422, "MessageStatus is not a Twilio message status")
        raw_code = form.get("ErrorCode")
        error_code = raw_code.strip() if raw_code is not None and raw_code.strip() else None
        # ASCII digits only: str.isdigit() takes "٢١٦١٠" too, which no rule would read as 21610 (opted out).
        if error_code is not None and not (error_code.isascii() and error_code.isdigit() and len(error_code) <= 10):
            raise Rejected(422, "ErrorCode must be a number")
    except Rejected as exc:
        return _refuse(scope, exc)
    result = await rt.db.run(record_delivery, sid, status, error_code, rt.clock())
    rt.metrics.inbound.labels("sms", result).inc()
    if result == "status_applied" and status in FAILED_STATUSES:
        # The status moved to a failure just now (a repeat or a later failure is stale): one count a message.
        rt.metrics.delivery_failed.labels("sms", status).inc()
    # A delivery that went well only at DEBUG (three callbacks a message); a failure or an error code at INFO.
    level = logging.INFO if error_code is not None or status in FAILED_STATUSES else logging.DEBUG
    log.log(level, "sms status sid=%s status=%s code=%s result=%s", sid, status, error_code, result)
    return 200, _XML, _TWIML


class _Endpoint:
    """An ASGI endpoint around a route function: it gets the scope and the body, and says what to answer."""

    def __init__(self, route: Callable[[Scope, Receive], Awaitable[Answer]]) -> None:
        self.route = route

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        status, content_type, body = await self.route(scope, receive)
        headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def routes() -> list[BaseRoute]:
    """The two Twilio webhook routes."""
    return [
        Route(SMS_PATH, _Endpoint(inbound_sms), methods=["POST"]),
        Route(STATUS_PATH, _Endpoint(delivery_status), methods=["POST"]),
    ]
