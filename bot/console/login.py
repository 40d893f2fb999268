"""Signing in and out, and setting a password from a one-time link; wrong passwords get slower.

Attempts are counted in the database before a password is checked (`bot.console.throttle`), per e-mail
typed and per client address, so concurrent guesses and several processes cannot get past the limits, and
an e-mail without an account is answered exactly like one with an account.
"""

from __future__ import annotations

import logging
import math

from sqlalchemy import func, select
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.console import csrf, kept_text, throttle
from bot.console.accounts import (
    HOME_OF,
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    as_checked,
    hash_password,
    redeem_setup_token,
    verify_password,
)
from bot.console.audit import record
from bot.console.sessions import COOKIE, StaffSession, clear_cookie, create_session, end_session, guard, set_cookie
from bot.console.web import now, read_form, redirect, render, runtime
from bot.i18n import gettext as _
from bot.i18n import ngettext
from bot.inbound.inbox import clean_text
from bot.store.schema import staff

__all__ = ["client_address", "new_password_refused", "return_to", "routes", "wait_words"]

log = logging.getLogger(__name__)


def client_address(request: Request) -> str:
    """The client's address as uvicorn gives it: a proxy's `X-Forwarded-For` only when the proxy is in
    `KEEPHOME_TRUSTED_PROXIES` (`bot.cli.serve.server_config`); otherwise the connecting peer."""
    return request.client.host if request.client else "unknown"


def return_to(value: object) -> str | None:
    """A console page to return to after signing in (`?next=`, the sign-in form's `next`): a path of the console
    only, never another site (`//host`, a backslash), the sign-in pages themselves or anything with a scheme."""
    if not isinstance(value, str) or len(value) > 500 or not value.startswith("/console/"):
        return None
    if "//" in value or "\\" in value or any(ord(ch) < 33 for ch in value):
        return None
    if value.startswith(("/console/login", "/console/logout", "/console/setup/", "/console/static/")):
        return None
    return value


def _login_page(
    request: Request, status: int = 200, error: str | None = None, email: str = "", then: str | None = None
) -> Response:
    token = csrf.login_token(request)
    notice = _("Your password is set. Sign in.") if request.query_params.get("set") else None
    then = then or return_to(request.query_params.get("next"))
    response = render(
        request,
        "login.html",
        status_code=status,
        error=error,
        email=email,
        token=token,
        notice=notice,
        then=then,
        demo=runtime(request).demo,
    )
    return csrf.remember_login_token(response, token, runtime(request).settings.secure_cookies)


def _home(role: str, then: str | None) -> str:
    """Where a sign-in leads: the page the person came back for when their role may open it, else their start."""
    home = HOME_OF.get(role)
    if then is not None and (home is None or then.startswith(home)):
        return then
    return home or "/console/"


def new_password_refused(password: str, repeat: str) -> str | None:
    """Why a new password (typed twice: a setup link's form, "Me") cannot be set, in the reader's language; None when
    it can."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return _("Use at least %(length)d characters.") % {"length": MIN_PASSWORD_LENGTH}
    if len(password) > MAX_PASSWORD_LENGTH:
        return _("Use at most %(length)d characters.") % {"length": MAX_PASSWORD_LENGTH}
    if password != repeat:
        return _("The two passwords differ.")
    return None


def wait_words(refusal: throttle.Refusal) -> str:
    """Why a password was not checked, and how long to wait, in the reader's language."""
    if refusal.reason == "busy":
        message = _("Too many sign-ins at once. Try again in a moment.")
    elif refusal.seconds < 60:
        # The first wait is 30 seconds: said in seconds, not rounded up to a minute.
        seconds = max(1, math.ceil(refusal.seconds))
        message = ngettext(
            "Too many wrong attempts. Try again in %(seconds)d second.",
            "Too many wrong attempts. Try again in %(seconds)d seconds.",
            seconds,
        ) % {"seconds": seconds}
    else:
        minutes = math.ceil(refusal.seconds / 60)
        message = ngettext(
            "Too many wrong attempts. Try again in %(minutes)d minute.",
            "Too many wrong attempts. Try again in %(minutes)d minutes.",
            minutes,
        ) % {"minutes": minutes}
    return message


def _refused(request: Request, refusal: throttle.Refusal, email: str, then: str | None = None) -> Response:
    response = _login_page(request, 429, wait_words(refusal), email, then)
    response.headers["Retry-After"] = str(max(1, math.ceil(refusal.seconds)))
    return response


async def _login_form(request: Request) -> Response:
    return _login_page(request)


async def _login(request: Request) -> Response:
    form = await read_form(request)
    if not csrf.login_token_ok(request, form):
        return render(
            request, "message.html", 403, title=_("Not allowed"), message=_("Reload the sign-in page and try again.")
        )
    then = return_to(form.get("next"))
    # As every database can store it: a NUL in a typed address failed the account's lookup on PostgreSQL with a 500.
    email = clean_text(str(form.get("email") or "")).strip().lower()[:200]
    password = str(form.get("password") or "")[:MAX_PASSWORD_LENGTH]
    rt = runtime(request)
    at = now(request)
    counted = throttle.slots(rt.settings.secret_key or "", email, client_address(request))
    # Counted before the check, atomically: concurrent guesses cannot all reach argon2.
    refusal = await rt.db.run(throttle.reserve, counted, at)
    if refusal is not None:
        log.info("sign-in refused without a check (%s)", refusal.reason)
        return _refused(request, refusal, email, then)
    async with rt.db.read() as conn:
        account = (await conn.execute(select(staff).where(func.lower(staff.c.email) == email))).first()
    # No account, no password yet, or deactivated: the same argon2 work and the same answer as a wrong password.
    right = await verify_password(account.password_hash if account is not None else None, password)
    ok = right and account is not None and bool(account.active)
    cookie: str | None = None
    async with rt.db.write() as conn:
        if ok and account is not None:
            ok = await as_checked(conn, account.id, account.password_hash)
        failures = await conn.run_sync(throttle.settle, counted, at, ok)
        if account is not None and ok:
            cookie = await create_session(conn, account.id, at)
            await record(conn, at, f"staff:{account.id}", "login")
        else:
            target = f"staff:{account.id}" if account is not None else None
            await record(conn, at, "system", "login.failed", target, f"failures={failures}")
    if account is None or cookie is None:
        log.info("wrong sign-in%s (%d in a row)", f" for staff {account.id}" if account is not None else "", failures)
        return _login_page(request, 401, _("Wrong e-mail or password."), email, then)
    kept = await _with_kept_text(request, form, int(account.id), cookie)
    response = kept if kept is not None else redirect(_home(account.role, then))
    set_cookie(request, response, cookie)
    return response


async def _with_kept_text(request: Request, form: FormData, staff_id: int, cookie: str) -> Response | None:
    """Signed in again from the page that said the session had ended with a text typed (bot/console/kept_text.py): the
    form's page with the text back in its box, when the one who typed it signed in and the form is on its page as
    things are now; None otherwise (the sign-in leads on as any does)."""
    path, text, sealed = (form.get(name) for name in kept_text.FIELDS)
    if kept_text.sealed_by(runtime(request).settings.secret_key or "", sealed, path, text) != staff_id:
        return None
    assert isinstance(path, str) and isinstance(text, str)
    posted = kept_text.kept_request(request, path, f"{COOKIE}={cookie}", text)
    if posted is None:
        return None
    page: Response = await posted.scope["endpoint"](posted)
    return page if page.status_code == 200 else None


@guard("admin", "adviser", "volunteer", "caretaker")
async def _logout(request: Request, me: StaffSession) -> Response:
    at = now(request)
    async with runtime(request).db.write() as conn:
        await end_session(conn, me.session_id)
        await record(conn, at, me.actor, "logout")
    response = redirect("/console/login")
    clear_cookie(request, response)
    return response


async def _setup(request: Request) -> Response:
    token = request.path_params["token"]
    rt = runtime(request)
    async with rt.db.read() as conn:
        account = await redeem_setup_token(conn, token, now(request), None)
    if account is None:
        return render(
            request,
            "message.html",
            404,
            title=_("Link not valid"),
            message=_("This link has expired or was used. Ask an admin for a new one."),
        )
    if request.method == "GET":
        return _setup_page(request, account.email, None, 200)
    form = await read_form(request)
    if not csrf.login_token_ok(request, form):
        return render(request, "message.html", 403, title=_("Not allowed"), message=_("Reload the page and try again."))
    password, repeat = str(form.get("password") or ""), str(form.get("repeat") or "")
    if (error := new_password_refused(password, repeat)) is not None:
        return _setup_page(request, account.email, error, 422)
    hashed = await hash_password(password)  # before the transaction: argon2 takes a moment
    async with rt.db.write() as conn:
        done = await redeem_setup_token(conn, token, now(request), hashed)
        if done is not None:
            await conn.run_sync(throttle.forget, [throttle.account_slot(rt.settings.secret_key or "", done.email)])
    if done is None:
        return render(
            request, "message.html", 404, title=_("Link not valid"), message=_("This link was used meanwhile.")
        )
    return redirect("/console/login?set=1")


def _setup_page(request: Request, email: str, error: str | None, status: int) -> Response:
    token = csrf.login_token(request)
    response = render(request, "setup.html", status_code=status, email=email, token=token, error=error)
    return csrf.remember_login_token(response, token, runtime(request).settings.secure_cookies)


def routes() -> list[BaseRoute]:
    """Sign-in, sign-out and password setup."""
    return [
        Route("/console/login", _login_form, methods=["GET"]),
        Route("/console/login", _login, methods=["POST"]),
        Route("/console/logout", _logout, methods=["POST"]),
        Route("/console/setup/{token}", _setup, methods=["GET", "POST"]),
    ]
