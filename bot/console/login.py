"""Signing in and out, and setting a password from a one-time link; wrong passwords get slower.

Attempts are counted in the database before a password is checked (`bot.console.throttle`), per e-mail
typed and per client address, so concurrent guesses and several processes cannot get past the limits, and
an e-mail without an account is answered exactly like one with an account.
"""

from __future__ import annotations

import logging
import math

from sqlalchemy import func, select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.console import csrf, throttle
from bot.console.accounts import (
    HOME_OF,
    MIN_PASSWORD_LENGTH,
    hash_password,
    redeem_setup_token,
    verify_password,
)
from bot.console.audit import record
from bot.console.sessions import StaffSession, clear_cookie, create_session, end_session, guard, set_cookie
from bot.console.web import now, read_form, redirect, render, runtime
from bot.i18n import gettext as _
from bot.i18n import ngettext
from bot.store.schema import staff

__all__ = ["client_address", "routes"]

log = logging.getLogger(__name__)


def client_address(request: Request) -> str:
    """The client's address as uvicorn gives it: a proxy's `X-Forwarded-For` only when the proxy is in
    `KEEPHOME_TRUSTED_PROXIES` (`bot.cli.serve.server_config`); otherwise the connecting peer."""
    return request.client.host if request.client else "unknown"


def _login_page(request: Request, status: int = 200, error: str | None = None, email: str = "") -> Response:
    token = csrf.login_token(request)
    notice = _("Your password is set. Sign in.") if request.query_params.get("set") else None
    response = render(request, "login.html", status_code=status, error=error, email=email, token=token, notice=notice)
    return csrf.remember_login_token(response, token, runtime(request).settings.secure_cookies)


def _refused(request: Request, refusal: throttle.Refusal, email: str) -> Response:
    if refusal.reason == "busy":
        message = _("Too many sign-ins at once. Try again in a moment.")
    else:
        minutes = max(1, math.ceil(refusal.seconds / 60))
        message = ngettext(
            "Too many wrong attempts. Try again in %(minutes)d minute.",
            "Too many wrong attempts. Try again in %(minutes)d minutes.",
            minutes,
        ) % {"minutes": minutes}
    response = _login_page(request, 429, message, email)
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
    email = str(form.get("email") or "").strip().lower()[:200]
    password = str(form.get("password") or "")[:1000]
    rt = runtime(request)
    at = now(request)
    counted = throttle.slots(rt.settings.secret_key or "", email, client_address(request))
    # Counted before the check, atomically: concurrent guesses cannot all reach argon2.
    refusal = await rt.db.run(throttle.reserve, counted, at)
    if refusal is not None:
        log.info("sign-in refused without a check (%s)", refusal.reason)
        return _refused(request, refusal, email)
    async with rt.db.read() as conn:
        account = (await conn.execute(select(staff).where(func.lower(staff.c.email) == email))).first()
    # No account, no password yet, or deactivated: the same argon2 work and the same answer as a wrong password.
    right = await verify_password(account.password_hash if account is not None else None, password)
    ok = right and account is not None and bool(account.active)
    cookie: str | None = None
    async with rt.db.write() as conn:
        failures = await conn.run_sync(throttle.settle, counted, at, ok)
        if account is not None and ok:
            cookie = await create_session(conn, account.id, at)
            await record(conn, at, f"staff:{account.id}", "login")
        else:
            target = f"staff:{account.id}" if account is not None else None
            await record(conn, at, "system", "login.failed", target, f"failures={failures}")
    if account is None or cookie is None:
        log.info("wrong sign-in%s (%d in a row)", f" for staff {account.id}" if account is not None else "", failures)
        return _login_page(request, 401, _("Wrong e-mail or password."), email)
    response = redirect(HOME_OF.get(account.role, "/console/"))
    set_cookie(request, response, cookie)
    return response


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
    if len(password) < MIN_PASSWORD_LENGTH or len(password) > 1000:
        error = _("Use at least %(length)d characters.") % {"length": MIN_PASSWORD_LENGTH}
        return _setup_page(request, account.email, error, 422)
    if password != repeat:
        return _setup_page(request, account.email, _("The two passwords differ."), 422)
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
