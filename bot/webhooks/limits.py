"""Request bodies are bounded before any route reads them: one ASGI middleware for the whole app.

Each route prefix has a byte limit and a cap on form fields. A body declared larger (`Content-Length`) is
refused with 413 before a byte of it is read; a streamed (chunked) body is counted as it arrives and refused
as soon as it passes the limit. A body within its limit is read here once and handed to the route whole, so a
route never parses more than its limit, and a form is counted (its fields) before any parser sees it.
A refusal closes the connection, so the rest of a large body is never read either. The REST API's refusals are
JSON in the API's own error shape (`bot/api/errors.py`); the webhooks', the console's and the simulator's are
plain text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.api.errors import ApiError, is_api_path

__all__ = ["DEFAULT_LIMIT", "ROUTE_LIMITS", "BodyLimit", "BodyLimits", "form_fields"]

KIB = 1024
MIB = 1024 * KIB


@dataclass(frozen=True)
class BodyLimit:
    """The most a request body may carry on a route: bytes, and fields when it is a form."""

    max_bytes: int
    max_fields: int


# The first prefix that matches a path decides (the most specific first).
ROUTE_LIMITS: tuple[tuple[str, BodyLimit], ...] = (
    # Twilio's forms are small (a body of 1,600 characters at most, a few dozen fields with media).
    ("/webhooks/twilio/", BodyLimit(64 * KIB, 200)),
    # A Telegram Update is JSON; a long text with its entities stays far below this.
    ("/webhooks/telegram", BodyLimit(1 * MIB, 20)),
    # The API's bulk upload: up to 10,000 tenants in one JSON body. Every field at its published maxLength, written
    # in Danish or Arabic letters that json.dumps escapes (\u00f8: six bytes each), makes 37 MiB.
    ("/api/v1/tenants/bulk", BodyLimit(40 * MIB, 20)),
    # Every console form: a reply is at most 4,000 characters.
    ("/console/", BodyLimit(64 * KIB, 50)),
)
# Everything else (the API's other routes, the demo's simulator): small JSON or nothing.
DEFAULT_LIMIT = BodyLimit(16 * KIB, 50)


def form_fields(content_type: bytes, body: bytes) -> int:
    """How many fields a form body holds (0 for a body that is not a form)."""
    kind, _, params = content_type.partition(b";")
    kind = kind.strip().lower()
    if kind == b"application/x-www-form-urlencoded":
        return body.count(b"&") + 1 if body else 0
    if kind == b"multipart/form-data":
        for param in params.split(b";"):
            name, _, value = param.strip().partition(b"=")
            if name.lower() == b"boundary" and value:
                # n parts are framed by n + 1 delimiters (the last one ends with "--").
                return max(0, body.count(b"--" + value.strip(b'"')) - 1)
        return 0
    return 0


class BodyLimits:
    """The ASGI middleware: refuses with 413 a body over its route's limit, or a form with too many fields."""

    def __init__(
        self,
        app: ASGIApp,
        limits: Sequence[tuple[str, BodyLimit]] = ROUTE_LIMITS,
        default: BodyLimit = DEFAULT_LIMIT,
    ) -> None:
        self.app = app
        self.limits = tuple(limits)
        self.default = default

    def limit_for(self, path: str) -> BodyLimit:
        """The limit of the route at `path`."""
        for prefix, limit in self.limits:
            if path.startswith(prefix):
                return limit
        return self.default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared, chunked, content_type = _framing(scope)
        if not chunked and (declared is None or declared.strip() == b"0"):
            await self.app(scope, receive, send)  # no body at all
            return
        limit = self.limit_for(scope["path"])
        refusal = None if chunked else _declared_refusal(declared, limit)
        if refusal is not None:
            await _refuse(scope, send, *refusal)  # before a byte of the body is read
            return
        body, refusal = await _read(receive, limit)
        if body is None:
            return  # the client left; nobody is waiting for an answer
        if refusal is None and form_fields(content_type, body) > limit.max_fields:
            refusal = (413, f"the form has too many fields: at most {limit.max_fields}")
        if refusal is not None:
            await _refuse(scope, send, *refusal)
            return
        await self.app(scope, _replay(body, receive), send)


def _framing(scope: Scope) -> tuple[bytes | None, bool, bytes]:
    """The request's Content-Length (if any), whether it is chunked, and its content type."""
    declared: bytes | None = None
    chunked = False
    content_type = b""
    for name, value in scope["headers"]:
        if name == b"content-length":
            declared = value
        elif name == b"transfer-encoding":
            chunked = True
        elif name == b"content-type":
            content_type = value
    return declared, chunked, content_type


def _too_large(limit: BodyLimit) -> tuple[int, str]:
    return 413, f"the request body is too large here: at most {limit.max_bytes} bytes"


def _declared_refusal(declared: bytes | None, limit: BodyLimit) -> tuple[int, str] | None:
    """Why a declared length is refused before anything is read, or None."""
    if declared is None:
        return None
    if not declared.strip().isdigit():
        return 400, "Content-Length is not a number"
    return _too_large(limit) if int(declared) > limit.max_bytes else None


async def _read(receive: Receive, limit: BodyLimit) -> tuple[bytes | None, tuple[int, str] | None]:
    """The body, counted as it streams: (body, None); (b"", refusal) past the limit; (None, None) if the client left."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None, None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit.max_bytes:
            return b"", _too_large(limit)
        if not message.get("more_body", False):
            # Most bodies come in one piece: no list to join then.
            return (b"".join([*chunks, chunk]) if chunks else chunk), None
        chunks.append(chunk)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive that hands the route the whole body at once, then passes on what comes after (a disconnect)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _refuse(scope: Scope, send: Send, status: int, text: str) -> None:
    """Answer at once and close the connection: what the client is still sending is never read. On the API the
    answer is its JSON refusal (`{"error": …, "errors": []}`), elsewhere plain text."""
    if is_api_path(str(scope["path"])):
        refusal = ApiError(status, text).response()
        body = bytes(refusal.body)
        headers = [*refusal.raw_headers, (b"connection", b"close")]
    else:
        body = text.encode()
        headers = [
            (b"content-type", b"text/plain; charset=utf-8"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
