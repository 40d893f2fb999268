"""Signing in and out, and setting a password from a one-time link; wrong passwords get slower."""

from __future__ import annotations

import logging
import math
import time
from collections import deque
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.console import csrf
from bot.console.accounts import MIN_PASSWORD_LENGTH, hash_password, redeem_setup_token, verify_password
from bot.console.audit import record
from bot.console.sessions import StaffSession, clear_cookie, create_session, end_session, guard, set_cookie
from bot.console.web import now, redirect, render, runtime
from bot.store.schema import staff

__all__ = ["IP_LIMIT", "LOCK_AFTER", "IpThrottle", "lock_delay", "routes"]

log = logging.getLogger(__name__)

LOCK_AFTER = 3  # wrong passwords in a row before the account waits
IP_LIMIT = 20  # wrong attempts per address in IP_WINDOW before the address waits
IP_WINDOW = 15 * 60.0


def lock_delay(failures: int) -> timedelta:
    """How long an account waits after this many wrong passwords in a row: doubling, at most 15 minutes."""
    if failures < LOCK_AFTER:
        return timedelta(0)
    return timedelta(seconds=min(30 * 2 ** (failures - LOCK_AFTER), 15 * 60))


class IpThrottle:
    """Wrong attempts per client address (also for e-mails that have no account)."""

    def __init__(self, limit: int = IP_LIMIT, window: float = IP_WINDOW) -> None:
        self.limit = limit
        self.window = window
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, address: str) -> deque[float]:
        seen = self._failures.setdefault(address, deque())
        while seen and seen[0] < time.monotonic() - self.window:
            seen.popleft()
        return seen

    def wait_seconds(self, address: str) -> float:
        """Seconds this address must wait before trying again (0 when it may try)."""
        seen = self._recent(address)
        if len(seen) < self.limit:
            return 0.0
        return max(seen[0] + self.window - time.monotonic(), 1.0)

    def failed(self, address: str) -> None:
        """Count one wrong attempt."""
        self._recent(address).append(time.monotonic())


def _throttle(request: Request) -> IpThrottle:
    state = request.app.state
    if not hasattr(state, "login_throttle"):
        state.login_throttle = IpThrottle()
    throttle: IpThrottle = state.login_throttle
    return throttle


def _login_page(request: Request, status: int = 200, error: str | None = None, email: str = "") -> Response:
    token = csrf.login_token(request)
    notice = "Your password is set. Sign in." if request.query_params.get("set") else None
    response = render(request, "login.html", status_code=status, error=error, email=email, token=token, notice=notice)
    return csrf.remember_login_token(response, token, runtime(request).settings.secure_cookies)


def _too_many(request: Request, seconds: float, email: str) -> Response:
    minutes = max(1, math.ceil(seconds / 60))
    response = _login_page(request, 429, f"Too many wrong attempts. Try again in {minutes} minute(s).", email)
    response.headers["Retry-After"] = str(math.ceil(seconds))
    return response


async def _login_form(request: Request) -> Response:
    return _login_page(request)


async def _login(request: Request) -> Response:
    form = await request.form()
    if not csrf.login_token_ok(request, form):
        return render(
            request, "message.html", 403, title="Not allowed", message="Reload the sign-in page and try again."
        )
    email = str(form.get("email") or "").strip().lower()[:200]
    password = str(form.get("password") or "")[:1000]
    address = request.client.host if request.client else "unknown"
    throttle = _throttle(request)
    if (wait := throttle.wait_seconds(address)) > 0:
        return _too_many(request, wait, email)
    rt = runtime(request)
    at = now(request)
    async with rt.db.read() as conn:
        account = (await conn.execute(select(staff).where(func.lower(staff.c.email) == email))).first()
    if account is not None and account.locked_until is not None and account.locked_until > at:
        return _too_many(request, (account.locked_until - at).total_seconds(), email)
    ok = await verify_password(account.password_hash if account is not None else None, password)
    if account is None or not ok or not account.active:
        throttle.failed(address)
        if account is not None:
            await _count_failure(request, account.id, account.failed_logins + 1, at)
        return _login_page(request, 401, "Wrong e-mail or password.", email)
    async with rt.db.write() as conn:
        await conn.execute(update(staff).where(staff.c.id == account.id).values(failed_logins=0, locked_until=None))
        value = await create_session(conn, account.id, at)
        await record(conn, at, f"staff:{account.id}", "login")
    response = redirect("/console/tasks" if account.role == "volunteer" else "/console/")
    set_cookie(request, response, value)
    return response


async def _count_failure(request: Request, staff_id: int, failures: int, at: datetime) -> None:
    delay = lock_delay(failures)
    async with runtime(request).db.write() as conn:
        await conn.execute(
            update(staff)
            .where(staff.c.id == staff_id)
            .values(failed_logins=staff.c.failed_logins + 1, locked_until=at + delay if delay else None)
        )
        await record(conn, at, "system", "login.failed", f"staff:{staff_id}", f"failures={failures}")
    log.info("wrong password for staff %s (%d in a row)", staff_id, failures)


@guard("admin", "adviser", "volunteer")
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
            title="Link not valid",
            message="This link has expired or was used. Ask an admin for a new one.",
        )
    if request.method == "GET":
        return _setup_page(request, account.email, None, 200)
    form = await request.form()
    if not csrf.login_token_ok(request, form):
        return render(request, "message.html", 403, title="Not allowed", message="Reload the page and try again.")
    password, repeat = str(form.get("password") or ""), str(form.get("repeat") or "")
    if len(password) < MIN_PASSWORD_LENGTH or len(password) > 1000:
        return _setup_page(request, account.email, f"Use at least {MIN_PASSWORD_LENGTH} characters.", 422)
    if password != repeat:
        return _setup_page(request, account.email, "The two passwords differ.", 422)
    hashed = await hash_password(password)  # before the transaction: argon2 takes a moment
    async with rt.db.write() as conn:
        done = await redeem_setup_token(conn, token, now(request), hashed)
    if done is None:
        return render(request, "message.html", 404, title="Link not valid", message="This link was used meanwhile.")
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
