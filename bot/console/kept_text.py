"""Text a person typed into a form sent after their session ended, carried through signing in again and put back into
the form's box: only for the person who typed it, never in an address, and sent only when they send the form again.

The page that says the session ended (bot/console/sessions.py) shows the text in a sign-in form, sealed with who typed
it (the session the form's CSRF token belongs to, ended as it is) and the form's address. Signing in as that person
(bot/console/login.py) opens the form's page with the text in its box (`kept_request`: the form's route, through its
guard, answers with the form sent back at itself, bot/console/sent_back.py)."""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import urlencode

from sqlalchemy import select
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.routing import Match
from starlette.types import Message, Receive, Scope

from bot.console import csrf
from bot.console.web import runtime
from bot.store.schema import staff_sessions

__all__ = ["FIELDS", "KEPT", "author", "kept_request", "posting", "seal", "sealed_by"]

# The sign-in form's fields that carry it: the form's address, the text, and the seal.
FIELDS = ("kept_form", "kept_text", "kept_seal")
# The scope's key of a request made by signing in again to put the text back: set by the server only, never by a client.
KEPT = "keephome.kept_text"


def _mac(secret: str, staff_id: int, path: str, text: str) -> str:
    # A browser posts a box's line breaks as CR LF and reads them from a page as LF: the same text either way.
    lines = text.replace("\r\n", "\n").replace("\r", "\n")
    message = f"kept\n{staff_id}\n{path}\n{lines}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def seal(secret: str, staff_id: int, path: str, text: str) -> str:
    """Who typed `text` into the form at `path`, sealed with the deployment's key."""
    return f"{staff_id}.{_mac(secret, staff_id, path, text)}"


def sealed_by(secret: str, sealed: object, path: object, text: object) -> int | None:
    """The staff member a seal says typed the text into the form at `path`; None for a seal that does not hold."""
    if not (isinstance(sealed, str) and isinstance(path, str) and isinstance(text, str)):
        return None
    staff_id, _, mac = sealed.partition(".")
    if not staff_id.isdigit() or len(staff_id) > 18:
        return None
    return int(staff_id) if hmac.compare_digest(mac, _mac(secret, int(staff_id), path, text)) else None


async def author(request: Request, posted: FormData) -> int | None:
    """Who sent the form: the staff member of the session whose CSRF token it carries, though the session has ended
    (signed out, its hours over); None when no session has that token (or it is purged)."""
    token = posted.get(csrf.FIELD)
    if not isinstance(token, str) or not token or len(token) > 64 or "\x00" in token:
        return None  # no token has it (and PostgreSQL refuses a NUL in a query)
    async with runtime(request).db.read() as conn:
        found = await conn.scalar(select(staff_sessions.c.staff_id).where(staff_sessions.c.csrf_token == token))
    return None if found is None else int(found)


def kept_request(request: Request, path: str, cookie: str, text: str) -> Request | None:
    """The form at `path` posted again by the person just signed in (`cookie`, the new session's), carrying only the
    text they typed, in the scope (`KEPT`), so its guard sends the form back at itself with it rather than doing it;
    None when no route takes a form at `path`."""
    for route in request.app.routes:
        match, child = route.matches({"type": "http", "path": path, "method": "POST"})
        if match is Match.FULL:
            break
    else:
        return None
    headers = [(k, v) for k, v in request.scope["headers"] if k not in (b"cookie", b"content-length", b"content-type")]
    headers += [(b"cookie", cookie.encode()), (b"content-type", b"application/x-www-form-urlencoded")]
    scope: Scope = {
        **request.scope,
        **child,
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "method": "POST",
        "headers": headers,
        "state": dict(request.scope.get("state", {})),
        KEPT: text,
    }
    return Request(scope, receive=posting({}))


def posting(fields: dict[str, str]) -> Receive:
    """A request body that posts these fields as a form does."""

    async def receive() -> Message:
        return {"type": "http.request", "body": urlencode(fields).encode(), "more_body": False}

    return receive
