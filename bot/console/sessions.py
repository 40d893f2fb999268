"""Server-side sessions (only a hash of the cookie is stored) and the guard every console page uses."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import wraps
from urllib.parse import urlencode

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Match

from bot.api.errors import is_api_path
from bot.api.errors import server_error as api_server_error
from bot.console import csrf, kept_text
from bot.console.accounts import StaffError, hash_token
from bot.console.web import FormError, NotFound, now, read_form, redirect, render, runtime
from bot.host.cases import CaseError, TypedRefused
from bot.i18n import N_, language_of, shown, use_language
from bot.i18n import gettext as _
from bot.store.schema import staff, staff_sessions

__all__ = [
    "COOKIE",
    "SESSION_HOURS",
    "SendBack",
    "StaffSession",
    "clear_cookie",
    "create_session",
    "end_session",
    "guard",
    "load_session",
    "method_not_allowed",
    "page_not_found",
    "sentence",
    "server_error",
    "set_cookie",
]

log = logging.getLogger(__name__)

COOKIE = "keephome_session"
SESSION_HOURS = 12

Handler = Callable[[Request, "StaffSession"], Awaitable[Response]]
Endpoint = Callable[[Request], Awaitable[Response]]
# A form's page with the form sent back at itself (status, why): what a refused form of that page shows; None when the
# form is not on its page any more (the refusal page every form has says why then).
SendBack = Callable[[Request, "StaffSession", int, str], Awaitable[Response | None]]


@dataclass(frozen=True)
class StaffSession:
    """The signed-in person behind a request."""

    session_id: str
    staff_id: int
    email: str
    role: str
    csrf_token: str
    # The console language this person chose in "Me"; None: the deployment's KEEPHOME_CONSOLE_LANGUAGE.
    language: str | None = None

    @property
    def actor(self) -> str:
        """How the audit log names this person."""
        return f"staff:{self.staff_id}"


async def create_session(conn: AsyncConnection, staff_id: int, at: datetime) -> str:
    """Start a session; returns the cookie value (the database keeps only its hash)."""
    value = secrets.token_urlsafe(32)
    await conn.execute(
        staff_sessions.insert().values(
            id=hash_token(value),
            staff_id=staff_id,
            csrf_token=csrf.new_token(),
            created_at=at,
            expires_at=at + timedelta(hours=SESSION_HOURS),
            revoked=False,
        )
    )
    return value


async def end_session(conn: AsyncConnection, session_id: str) -> None:
    """Revoke one session (logout)."""
    await conn.execute(update(staff_sessions).where(staff_sessions.c.id == session_id).values(revoked=True))


async def load_session(request: Request) -> StaffSession | None:
    """The live session of an active account for this request's cookie, if any."""
    value = request.cookies.get(COOKIE)
    if not value or len(value) > 200:
        return None
    rt = runtime(request)
    query = (
        select(
            staff_sessions.c.id,
            staff.c.id,
            staff.c.email,
            staff.c.role,
            staff_sessions.c.csrf_token,
            staff.c.language,
        )
        .join(staff, staff.c.id == staff_sessions.c.staff_id)
        .where(
            staff_sessions.c.id == hash_token(value),
            staff_sessions.c.revoked.is_(False),
            staff_sessions.c.expires_at > now(request),
            staff.c.active.is_(True),
        )
    )
    async with rt.db.read() as conn:
        row = (await conn.execute(query)).first()
    if row is None:
        return None
    session = StaffSession(row[0], int(row[1]), row[2], row[3], row[4], row[5])
    use_language(language_of(session.language, rt.settings.console_language))
    return session


def set_cookie(request: Request, response: Response, value: str) -> None:
    """The session cookie: HttpOnly, SameSite=Lax, Secure behind https."""
    response.set_cookie(
        COOKIE,
        value,
        max_age=SESSION_HOURS * 3600,
        httponly=True,
        samesite="lax",
        secure=runtime(request).settings.secure_cookies,
        path="/console/",
    )


def clear_cookie(request: Request, response: Response) -> None:
    """Forget the session cookie in the browser."""
    response.delete_cookie(
        COOKIE, path="/console/", httponly=True, samesite="lax", secure=runtime(request).settings.secure_cookies
    )


def _refused_json(error: BaseException | str, status: int) -> Response:
    """A refusal to the console's own script (the case page's poller), which shows its `error` to the person: a
    msgid or an error raised with one, in the reader's language as the pages are."""
    text = shown(error) if isinstance(error, BaseException) else _(error)
    return JSONResponse({"error": sentence(text)}, status_code=status)


def _refuse(request: Request, status: int, message: str, as_json: bool) -> Response:
    """A refusal: `message` is a msgid, shown in the reader's language."""
    if as_json:
        return _refused_json(message, status)
    return render(request, "message.html", status_code=status, title=_("Not allowed"), message=_(message))


# The most of a form's typed text a signed-out page shows back: the longest field a console form takes (a note).
_TYPED_SHOWN = 4000


async def _signed_out(request: Request, typed: str | None, send_back: SendBack | None) -> Response:
    """A form posted without a session (signed out meanwhile, in another tab, the session's hours over, a password
    reset): the way on is signing in, which then leads back to the form's page. A form that carries typed text (its
    field `typed`: a reply, a note) shows it back as typed, for nothing of the form is done: without a session there is
    no CSRF token to trust it by, so the text is only shown (escaped), never sent or saved. When the form can come back
    at itself (`send_back`) and its token names who typed it, the page signs in there, and signing in as that person
    puts the text back into the form's box (bot/console/kept_text.py); otherwise it is there to copy."""
    then = form_page(request)
    sign_in = "/console/login?" + urlencode({"next": then})
    text = ""
    posted = await read_form(request) if request.method == "POST" else None
    if typed is not None and posted is not None:
        value = posted.get(typed)
        text = value[:_TYPED_SHOWN] if isinstance(value, str) else ""
    if text.strip() and posted is not None:
        by = await kept_text.author(request, posted) if send_back is not None else None
        values = {
            "title": _("Your session has ended"),
            "message": _("You were signed out before this was sent, so nothing was sent or saved. Sign in again."),
            "sign_in": sign_in,
            "typed": text,
        }
        if by is None:
            return render(request, "message.html", status_code=403, **values)
        token = csrf.login_token(request)
        secret = runtime(request).settings.secret_key or ""
        kept = {"form": request.url.path, "seal": kept_text.seal(secret, by, request.url.path, text), "then": then}
        response = render(request, "message.html", status_code=403, **values, kept=kept, token=token)
        return csrf.remember_login_token(response, token, runtime(request).settings.secure_cookies)
    return render(
        request, "message.html", status_code=403, title=_("Not allowed"), message=_("Sign in first."), sign_in=sign_in
    )


async def _kept_back(
    request: Request, me: StaffSession, text: str, typed: str | None, send_back: SendBack | None
) -> Response:
    """The form's page just after signing in again, with the text the person typed before their session ended back in
    the form's box, and nothing of the form done (bot/console/kept_text.py); the page alone when the form is not on it
    as things are now."""
    if typed is not None and send_back is not None:
        posted = Request(request.scope, receive=kept_text.posting({typed: text}))
        said = _("Your text is back in the box. Nothing was sent or saved: send it when it is ready.")
        sent = await send_back(posted, me, 200, said)
        if sent is not None:
            return sent
    return redirect(form_page(request))


def sentence(message: str) -> str:
    """A message shown on its own as a sentence: its first letter a capital (a message is also a part of other
    sentences, so its msgid may begin in lower case)."""
    return message[:1].upper() + message[1:]


def form_page(request: Request) -> str:
    """The page a request's form is on: the path itself when it is a page (a GET form, or a page posting to its
    own address), else the nearest page above it (`/console/cases/7/note` is on `/console/cases/7`)."""
    path = request.url.path
    while path.startswith("/console/"):
        scope = {"type": "http", "path": path, "method": "GET"}
        if any(route.matches(scope)[0] is Match.FULL for route in request.app.routes):
            return path
        path = path.rsplit("/", 1)[0]
    return "/console/"


async def _refused_change(
    request: Request, me: StaffSession, error: Exception, as_json: bool, send_back: SendBack | None
) -> Response:
    """A page that says why nothing happened, in the reader's language: 404 for a missing thing, 422 for a form
    or staff change that cannot be made, 409 for a case whose state does not allow it. Its "Back to the form"
    returns to the form as it was (history) or, without scripts, to the form's page; a form whose route has
    `send_back`, refused for what it asked (a FormError; a StaffError: a staff change that cannot be made as chosen;
    a TypedRefused: a case change refused for what was typed), comes back instead at itself on its page, with why
    and what was entered (bot/console/sent_back.py)."""
    if isinstance(error, NotFound):
        if as_json:
            return _refused_json(error, 404)
        return render(request, "message.html", status_code=404, title=_("Not found"), message=sentence(shown(error)))
    if isinstance(error, (FormError, TypedRefused)):
        title, status = _("Please check the form"), 422
    else:
        title, status = _("Not changed"), 409 if isinstance(error, CaseError) else 422
    if isinstance(error, FormError | StaffError | TypedRefused) and send_back is not None and not as_json:
        # Refused for what the form asked (a field, a staff change that cannot be made as chosen, a case change refused
        # for what was typed): at itself.
        sent = await send_back(request, me, status, sentence(shown(error)))
        if sent is not None:
            return sent
    if as_json:
        return _refused_json(error, status)
    message = sentence(shown(error))
    return render(request, "message.html", status_code=status, title=title, message=message, back=form_page(request))


def _console_page(request: Request) -> bool:
    path = request.url.path
    return path.startswith("/console/") and not path.startswith("/console/static/")


async def _leading_on(request: Request, status: int, title: str, message: str) -> Response:
    """A console page in the signed-in person's language (the console's without a session) that leads to their
    start page."""
    request.state.staff = await load_session(request)
    return render(request, "message.html", status_code=status, title=_(title), message=_(message), home=True)


async def page_not_found(request: Request, exc: Exception) -> Response:
    """The app's answer to a path no route has: under /console/ a page in the person's language that leads to
    their start page; elsewhere (webhooks, the API, static files) the plain 404 it always was."""
    if not _console_page(request):
        detail = exc.detail if isinstance(exc, HTTPException) else "Not Found"
        return PlainTextResponse(detail, status_code=404)
    return await _leading_on(request, 404, N_("Page not found"), N_("There is no page at this address in the console."))


async def method_not_allowed(request: Request, exc: Exception) -> Response:
    """An address a console form posts to, opened as a page (a refused form's page, shown at that address, reloaded
    without scripts or bookmarked; an error page's address reloaded): the page the form is on (`form_page`); with no
    page but the start page above it (/console/logout typed), a page in the person's language that leads on, with the
    methods the address takes. Elsewhere the plain 405 it always was."""
    headers = exc.headers if isinstance(exc, HTTPException) else None
    if not _console_page(request) or request.method not in ("GET", "HEAD"):
        detail = exc.detail if isinstance(exc, HTTPException) else "Method Not Allowed"
        return PlainTextResponse(detail, status_code=405, headers=headers)
    page = form_page(request)
    if page != "/console/":
        return redirect(page)
    response = await _leading_on(
        request,
        405,
        N_("This is no page"),
        N_("This address belongs to a button in the console, not to a page of its own."),
    )
    response.headers.update(headers or {})
    return response


async def server_error(request: Request, exc: Exception) -> Response:
    """A fault of keephome's own (the error and its traceback go to the log): under /console/ a page in the
    console's language that says what it means for the person; under /api/ JSON in the API's refusals' shape;
    elsewhere (the webhooks) the plain 500."""
    plain = PlainTextResponse("Internal Server Error", status_code=500)
    if is_api_path(request.url.path):
        return api_server_error()
    if not _console_page(request):
        return plain
    try:
        use_language(runtime(request).settings.console_language)
        return render(
            request,
            "message.html",
            status_code=500,
            title=_("Something went wrong"),
            message=_(
                "keephome could not finish this, and it may have saved nothing of it: look at the page again "
                "before you try once more. The error is in the service's log."
            ),
            home=True,
        )
    except Exception:
        return plain


def guard(
    *roles: str, as_json: bool = False, send_back: SendBack | None = None, typed: str | None = None
) -> Callable[[Handler], Endpoint]:
    """Only these roles; POSTs must carry the session's CSRF token; form errors become 409/422 pages (a form with
    `send_back`, refused, comes back at itself on its page); a form whose field `typed` carries text a person typed
    (a reply, a note) shows it back when it comes without a session, and signing in again from there brings the form
    back at itself with the text (bot/console/kept_text.py)."""

    def wrap(handler: Handler) -> Endpoint:
        @wraps(handler)
        async def endpoint(request: Request) -> Response:
            session = await load_session(request)
            if session is None:
                if request.method == "GET" and not as_json:
                    # Back to this page after signing in (a link in a Telegram notice opens the case, not the inbox).
                    page = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                    return redirect("/console/login" + ("" if page == "/console/" else "?" + urlencode({"next": page})))
                if not as_json:
                    return await _signed_out(request, typed, send_back)
                return _refuse(request, 401, N_("Sign in first."), as_json)
            request.state.staff = session
            if session.role not in roles:
                log.info("staff %s (%s) refused %s", session.staff_id, session.role, request.url.path)
                return _refuse(request, 403, N_("Your role cannot open this page."), as_json)
            kept = request.scope.get(kept_text.KEPT)
            if request.method == "POST" and isinstance(kept, str):
                # Signing in again put it here (bot/console/login.py): the form comes back with the text, not done.
                return await _kept_back(request, session, kept, typed, send_back)
            if request.method == "POST":
                form = await read_form(request)
                if not csrf.form_token_ok(session.csrf_token, form):
                    return _refuse(
                        request, 403, N_("The form's security token is missing or old: reload the page."), as_json
                    )
            try:
                return await handler(request, session)
            except (NotFound, FormError, StaffError, CaseError) as exc:
                return await _refused_change(request, session, exc, as_json, send_back)

        return endpoint

    return wrap
