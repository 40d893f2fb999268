"""Admins' API keys: make one (shown once), see each key's scope and last use, revoke one at once."""

from __future__ import annotations

import secrets

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.api.keys import SCOPES, ApiKeyError, MadeAlready, add_key, list_keys, revoke_key
from bot.console.ids import path_id
from bot.console.sent_back import NONE_SENT_BACK, SentBack, send_back_on
from bot.console.sessions import StaffSession, guard
from bot.console.web import FormError, NotFound, field, form_nonce, now, redirect, render, runtime
from bot.i18n import N_, shown

__all__ = ["routes"]

PAGE = "/console/admin/api-keys"


async def _page(
    request: Request,
    *,
    key: str | None = None,
    key_name: str = "",
    status_code: int = 200,
    again: str | None = None,
    sent_back: SentBack | None = None,
) -> Response:
    """The key list and the form to make one; with `sent_back`, that form refused and shown again at itself, at the
    page's own address (base.html)."""
    async with runtime(request).db.read() as conn:
        keys = await list_keys(conn)
    return render(
        request,
        "api_keys.html",
        status_code=status_code,
        sent_back=sent_back or NONE_SENT_BACK,
        own_address=None if sent_back is None else PAGE,
        keys=keys,
        scopes=SCOPES,
        new_key=key,
        new_name=key_name,
        again=again,
        nonce=secrets.token_urlsafe(12),  # the form's one-time value: sent again, it makes no second key
    )


@guard("admin")
async def _list(request: Request, me: StaffSession) -> Response:
    return await _page(request)


async def _with_form(request: Request, me: StaffSession, status: int, sent_back: SentBack) -> Response:
    return await _page(request, status_code=status, sent_back=sent_back)


# A key refused for its name (none, too long, a live key's) or scope: the form again with why, the name and scope as
# typed, and a new one-time value.
@guard("admin", send_back=send_back_on(_with_form, "make-key", "name", "scope"))
async def _add(request: Request, me: StaffSession) -> Response:
    form = await request.form()
    name = field(form, "name", max_length=100)
    scope = field(form, "scope", max_length=8)
    nonce = form_nonce(form)
    try:
        async with runtime(request).db.write() as conn:
            _, key = await add_key(conn, name, scope, now(request), me.actor, nonce, made_by=me.staff_id)
    except MadeAlready as exc:
        return await _page(request, again=shown(exc))
    except ApiKeyError as exc:
        raise FormError(exc.msgid, **exc.values) from None
    # The key itself is shown on this answer only; the database keeps its hash.
    return await _page(request, key=key, key_name=" ".join(name.split()))


@guard("admin")
async def _revoke(request: Request, me: StaffSession) -> Response:
    key_id = path_id(request, "key_id", N_("There is no such key."))
    try:
        async with runtime(request).db.write() as conn:
            await revoke_key(conn, key_id, now(request), me.actor)
    except ApiKeyError as exc:
        raise NotFound(exc.msgid, **exc.values) from None
    return redirect(PAGE)


def routes() -> list[BaseRoute]:
    """The key list with its form, and revoking."""
    return [
        Route(PAGE, _list, methods=["GET"]),
        Route(PAGE, _add, methods=["POST"]),
        Route(PAGE + "/{key_id}/revoke", _revoke, methods=["POST"]),
    ]
