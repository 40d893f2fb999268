"""CSRF tokens: one per session for signed-in forms, a short-lived cookie pair for the login form."""

from __future__ import annotations

import hmac
import secrets

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

__all__ = [
    "FIELD",
    "LOGIN_COOKIE",
    "form_token_ok",
    "login_token",
    "login_token_ok",
    "new_token",
    "remember_login_token",
]

FIELD = "csrf_token"
LOGIN_COOKIE = "keephome_login_csrf"


def new_token() -> str:
    """A fresh random token."""
    return secrets.token_urlsafe(32)


def form_token_ok(expected: str, form: FormData) -> bool:
    """Whether the form carries the session's token (compared in constant time)."""
    sent = form.get(FIELD)
    return isinstance(sent, str) and bool(sent) and hmac.compare_digest(sent.encode(), expected.encode())


def login_token(request: Request) -> str:
    """The token for a form shown before sign-in: the browser's current one or a new one."""
    return request.cookies.get(LOGIN_COOKIE) or new_token()


def remember_login_token(response: Response, token: str, secure: bool) -> Response:
    """Set the cookie half of the pre-sign-in token pair."""
    response.set_cookie(
        LOGIN_COOKIE, token, max_age=3600, httponly=True, samesite="lax", secure=secure, path="/console/"
    )
    return response


def login_token_ok(request: Request, form: FormData) -> bool:
    """Whether a pre-sign-in form's token matches the browser's cookie (double submit)."""
    cookie = request.cookies.get(LOGIN_COOKIE)
    return bool(cookie) and form_token_ok(cookie or "", form)
