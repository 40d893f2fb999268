"""Admins manage staff (add, change role, deactivate, reactivate); everyone sets their own Telegram notices."""

from __future__ import annotations

import math
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any, NoReturn
from urllib.parse import urlencode

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.api.keys import live_keys_made_by
from bot.console import throttle
from bot.console.accounts import (
    MAX_PASSWORD_LENGTH,
    ROLES,
    AccountExists,
    StaffError,
    change_password,
    create_staff,
    deactivate_staff,
    hash_password,
    reactivate_staff,
    reset_access,
    set_name,
    set_organisation,
    set_role,
    verify_password,
)
from bot.console.audit import record
from bot.console.ids import path_id
from bot.console.login import client_address, new_password_refused, wait_words
from bot.console.sent_back import NONE_SENT_BACK, SentBack, row_form, send_back_on
from bot.console.sessions import StaffSession, guard
from bot.console.web import FormError, NotFound, field, now, redirect, render, runtime
from bot.host.handover import HandedBack, hand_back_work
from bot.i18n import CONSOLE_LANGUAGES, LANGUAGE_NAMES, N_
from bot.i18n import gettext as _
from bot.runtime import Runtime
from bot.store.schema import login_attempts, staff
from bot.store.staff_names import staff_name
from bot.tenants.linking import hash_secret, new_code, shown_code

__all__ = ["NOTICE_ROLES", "routes"]

NOTICE_ROLES = ("admin", "adviser")  # the roles notify_urgent_case writes to


def _staff_id(request: Request) -> int:
    return path_id(request, "staff_id", N_("There is no such person."))


async def _people(request: Request) -> dict[str, Any]:
    """The staff list as the page shows it: each person, the roles, and until when signing in waits for a person
    after wrong passwords (`waits`, by staff id): what an admin asked "it says too many attempts" needs to see."""
    rt = runtime(request)
    at = now(request)
    async with rt.db.read() as conn:
        people = (
            await conn.execute(
                select(
                    staff.c.id,
                    staff.c.email,
                    staff.c.name,
                    staff.c.role,
                    staff.c.active,
                    staff.c.organisation,
                    staff.c.password_hash.is_not(None).label("has_password"),
                ).order_by(staff.c.active.desc(), staff.c.email)
            )
        ).all()
        slots = {throttle.account_slot(rt.settings.secret_key or "", p.email).key: p.id for p in people if p.active}
        waiting = await conn.execute(
            select(login_attempts.c.key, login_attempts.c.blocked_until).where(
                login_attempts.c.key.in_(list(slots)), login_attempts.c.blocked_until > at
            )
        )
        waits = {slots[key]: until for key, until in waiting}
    return {"people": people, "roles": ROLES, "waits": waits, "sent_back": NONE_SENT_BACK}


@guard("admin")
async def _staff_page(request: Request, me: StaffSession) -> Response:
    back = _back_said(request)
    keys = _count_said(request, "keys")
    return render(request, "staff.html", **await _people(request), link=None, back=back, keys_left=keys)


async def _staff_with(request: Request, me: StaffSession, status: int, sent_back: SentBack) -> Response:
    """The staff page with one of its forms refused and shown again at itself (`send_back_on`): why, at the form, and
    what was entered; at the staff page's address (base.html)."""
    people = {**await _people(request), "sent_back": sent_back}
    return render(request, "staff.html", status, **people, link=None, own_address="/console/staff")


def _count_said(request: Request, name: str) -> int:
    """A count the last deactivation or role change put in its redirect (`_back_to_staff`); 0 for anything else."""
    value = request.query_params.get(name, "0")
    # ASCII digits only: str.isdigit() takes "²" too, which int() cannot read (a 500 from a hand-typed address).
    return int(value) if value.isascii() and value.isdigit() and len(value) < 7 else 0


def _back_said(request: Request) -> HandedBack | None:
    """What the last deactivation or role change gave back, as its redirect says (`_back_to_staff`)."""
    back = HandedBack(**{name: _count_said(request, name) for name in HandedBack.__dataclass_fields__})
    return back if back.total() else None


# A person added with an e-mail that is none or has an account, no role, an organisation too long: the form again with
# why and what was typed.
@guard("admin", send_back=send_back_on(_staff_with, "add-person", "email", "name", "role", "organisation"))
async def _add(request: Request, me: StaffSession) -> Response:
    form = await request.form()
    email = field(form, "email", max_length=200)
    name = field(form, "name", max_length=200, required=False)
    role = field(form, "role", max_length=16)
    organisation = field(form, "organisation", max_length=200, required=False)
    rt = runtime(request)
    try:
        async with rt.db.write() as conn:
            _, link = await create_staff(
                conn,
                email,
                role,
                now(request),
                rt.settings.public_url,
                actor=me.actor,
                organisation=organisation,
                name=name,
            )
    except AccountExists as exc:
        _exists(exc)
    return render(request, "staff.html", **await _people(request), link=link, link_for=email)


def _exists(exc: AccountExists) -> NoReturn:
    """What the staff page says of an e-mail that has an account: where on the list to go on from."""
    if not exc.active:
        raise FormError(
            N_("An account for %(email)s exists and is deactivated: reactivate it on its row of the list."),
            email=exc.email,
        ) from None
    # Sent twice (a reload repeats the POST): the first answer's link is not shown again; a new one is made on the
    # person's row.
    raise FormError(
        N_("An account for %(email)s exists already: a new password link for it is made on its row of the list."),
        email=exc.email,
    ) from None


@guard("admin")
async def _reactivate(request: Request, me: StaffSession) -> Response:
    """A deactivated person comes back in the role chosen, with a one-time link to set a new password."""
    staff_id = _staff_id(request)
    role = field(await request.form(), "role", max_length=16)
    rt = runtime(request)
    try:
        async with rt.db.write() as conn:
            email, link = await reactivate_staff(conn, staff_id, role, now(request), rt.settings.public_url, me.actor)
    except AccountExists as exc:
        _exists(exc)
    return render(request, "staff.html", **await _people(request), link=link, link_for=email)


@guard("admin")
async def _reset_password(request: Request, me: StaffSession) -> Response:
    """Recovery, as `keephome staff reset-password` does it (`reset_access`): the person's password and any earlier
    link stop working at once, every session of theirs ends, and the admin gets a new one-time link to send them.
    The only way the console makes a new link for an active person: a link that left the old password working would
    leave a leaked password or a lost phone's session open until the person used it."""
    staff_id = _staff_id(request)
    if staff_id == me.staff_id:
        # It would sign the admin out with no password; their own is changed under "Me".
        raise StaffError(N_("you change your own password under “Me”"))
    rt = runtime(request)
    async with rt.db.write() as conn:
        reset = await reset_access(conn, staff_id, now(request), rt.settings.public_url, me.actor)
    if reset is None:
        raise NotFound(N_("There is no such active person."))
    email, link = reset
    return render(request, "staff.html", **await _people(request), link=link, link_for=email, reset=True)


@guard("admin", send_back=send_back_on(_staff_with, row_form("role", "staff_id"), "role"))
async def _role(request: Request, me: StaffSession) -> Response:
    staff_id = _staff_id(request)
    role = field(await request.form(), "role", max_length=16)
    if staff_id == me.staff_id and role != "admin":
        raise StaffError(N_("you cannot take your own admin role away; ask another admin"))
    rt = runtime(request)
    at = now(request)
    async with rt.db.write() as conn:
        old = await set_role(conn, staff_id, role, at, me.actor)
        back = await _hand_back(conn, staff_id, old, at, rt, me, new_role=role)
        keys = await live_keys_made_by(conn, staff_id) if old == "admin" and role != "admin" else 0
    rt.sender.wake()
    return _back_to_staff(back, keys)


@guard("admin", send_back=send_back_on(_staff_with, row_form("organisation", "staff_id"), "organisation"))
async def _organisation(request: Request, me: StaffSession) -> Response:
    """Record the volunteer organisation a person belongs to (a case goes to a volunteer only with the tenant's
    consent to share with it)."""
    staff_id = _staff_id(request)
    organisation = field(await request.form(), "organisation", max_length=200, required=False)
    async with runtime(request).db.write() as conn:
        await set_organisation(conn, staff_id, organisation, now(request), me.actor)
    return redirect("/console/staff")


@guard("admin", send_back=send_back_on(_staff_with, row_form("name", "staff_id"), "name"))
async def _name(request: Request, me: StaffSession) -> Response:
    """Record (or clear) the name the console shows for a person to the others, in place of their e-mail."""
    staff_id = _staff_id(request)
    name = field(await request.form(), "name", max_length=200, required=False)
    async with runtime(request).db.write() as conn:
        await set_name(conn, staff_id, name, now(request), me.actor)
    return redirect("/console/staff")


@guard("admin")
async def _confirm_deactivate(request: Request, me: StaffSession) -> Response:
    staff_id = _staff_id(request)
    if staff_id == me.staff_id:
        raise StaffError(N_("you cannot deactivate yourself; ask another admin"))
    return await _deactivation_question(request, staff_id)


async def _deactivation_question(request: Request, staff_id: int) -> Response:
    """The question before a deactivation, as a page of its own: it is asked with or without JavaScript."""
    async with runtime(request).db.read() as conn:
        person = (
            await conn.execute(select(staff.c.id, staff.c.email, staff_name()).where(staff.c.id == staff_id))
        ).first()
    if person is None:
        raise NotFound(N_("There is no such person."))
    return render(request, "staff_deactivate.html", person=person)


@guard("admin")
async def _deactivate(request: Request, me: StaffSession) -> Response:
    staff_id = _staff_id(request)
    if staff_id == me.staff_id:
        raise StaffError(N_("you cannot deactivate yourself; ask another admin"))
    if field(await request.form(), "confirmed", max_length=3, required=False) != "yes":
        # Not sent from the question's page (a list loaded before it asked, a form made elsewhere): ask first.
        return await _deactivation_question(request, staff_id)
    rt = runtime(request)
    at = now(request)
    back: HandedBack | None = None
    async with rt.db.write() as conn:
        person = (await conn.execute(select(staff.c.role, staff.c.email).where(staff.c.id == staff_id))).first()
        if person is None:
            raise StaffError(N_("no such staff account"))
        if await deactivate_staff(conn, staff_id, at, me.actor):
            back = await _hand_back(conn, staff_id, str(person.role), at, rt, me)
            keys = await live_keys_made_by(conn, staff_id)
    if back is None:
        # Deactivated already (the form sent twice, or another admin was first): nothing changed, as the page says.
        return render(request, "staff.html", **await _people(request), link=None, already_off=str(person.email))
    rt.sender.wake()
    return _back_to_staff(back, keys)


async def _hand_back(
    conn: AsyncConnection,
    staff_id: int,
    role: str,
    at: datetime,
    rt: Runtime,
    me: StaffSession,
    new_role: str | None = None,
) -> HandedBack:
    """What the person held in the role they leave goes where others find it (bot/host/handover.py), audited."""
    back = await hand_back_work(conn, staff_id, role, at, rt.settings, new_role)
    if back.total():
        await record(conn, at, me.actor, f"staff.{role}_left", f"staff:{staff_id}", back.detail())
    return back


def _back_to_staff(back: HandedBack, keys: int) -> Response:
    """The staff page, saying what went back, if anything, and how many live API keys the person made: keys are the
    organisation's integrations and go on working, so the admins left are told to look at them."""
    said = {name: count for name, count in asdict(back).items() if count}
    if keys:
        said["keys"] = keys
    return redirect(f"/console/staff?{urlencode(said)}" if said else "/console/staff")


@guard("admin", "adviser", "volunteer", "caretaker")
async def _me(request: Request, me: StaffSession) -> Response:
    return await _me_page(request, me)


async def _me_page(
    request: Request, me: StaffSession, status: int = 200, error: str | None = None, **values: Any
) -> Response:
    """The "Me" page as it stands, with what the last form said (`error`: the password form's refusal)."""
    async with runtime(request).db.read() as conn:
        row = (await conn.execute(select(staff).where(staff.c.id == me.staff_id))).one()
    query = request.query_params
    return render(
        request,
        "me.html",
        status,
        account=row,
        telegram_on=_telegram_on(request),
        saved=query.get("saved") == "1",
        changed=query.get("changed") == "1",
        password_error=error,
        **_languages(),
        **values,
    )


@guard("admin", "adviser", "volunteer", "caretaker")
async def _change_password(request: Request, me: StaffSession) -> Response:
    """A person changes their own password: the current one first (a wrong one counts as a wrong sign-in, so a
    session left open somewhere is no way to guess it), then the new one twice. Every other session of theirs ends
    (a browser left signed in elsewhere, whoever saw the old password); this one goes on. Audited."""
    form = await request.form()
    current = str(form.get("current") or "")[:MAX_PASSWORD_LENGTH]
    password, repeat = str(form.get("password") or ""), str(form.get("repeat") or "")
    if (error := new_password_refused(password, repeat)) is not None:
        return await _me_page(request, me, 422, error)
    rt = runtime(request)
    at = now(request)
    # Counted as a sign-in is, before the check, in the same counts: the limits hold here too.
    counted = throttle.slots(rt.settings.secret_key or "", me.email, client_address(request))
    refusal = await rt.db.run(throttle.reserve, counted, at)
    if refusal is not None:
        response = await _me_page(request, me, 429, wait_words(refusal))
        response.headers["Retry-After"] = str(max(1, math.ceil(refusal.seconds)))
        return response
    async with rt.db.read() as conn:
        checked = (await conn.execute(select(staff.c.password_hash).where(staff.c.id == me.staff_id))).scalar()
    right = checked is not None and await verify_password(checked, current)
    hashed = await hash_password(password) if right else ""
    async with rt.db.write() as conn:
        changed = right and await change_password(conn, me.staff_id, str(checked), hashed, me.session_id, at)
        await conn.run_sync(throttle.settle, counted, at, changed)
        if not changed:
            await record(conn, at, me.actor, "staff.password_change_refused", f"staff:{me.staff_id}")
    if not changed:
        return await _me_page(request, me, 422, _("The current password is not right: nothing was changed."))
    return redirect("/console/me?changed=1")


def _languages() -> dict[str, Any]:
    """The languages "Me" offers, each named in its own words."""
    return {"languages": [(code, LANGUAGE_NAMES[code]) for code in CONSOLE_LANGUAGES]}


@guard("admin", "adviser", "volunteer", "caretaker")
async def _save_language(request: Request, me: StaffSession) -> Response:
    """The console's language for this person (Dansk or English); the next page is shown in it. Audited."""
    choice = field(await request.form(), "language", max_length=8)
    if choice not in CONSOLE_LANGUAGES:
        raise FormError(N_("choose one of the languages offered"))
    at = now(request)
    async with runtime(request).db.write() as conn:
        await conn.execute(update(staff).where(staff.c.id == me.staff_id).values(language=choice))
        await record(conn, at, me.actor, "staff.language", f"staff:{me.staff_id}", f"language={choice}")
    return redirect("/console/me?saved=1")


@guard("admin", "adviser", "volunteer", "caretaker")
async def _save_me(request: Request, me: StaffSession) -> Response:
    """Notices on or off. The chat itself is linked only by the one-time code (`_telegram_code`): a chat id
    typed here would send a case's notices to whatever chat someone names."""
    if me.role not in NOTICE_ROLES:
        raise FormError(N_("notices of urgent cases go to advisers and admins"))
    notify = (await request.form()).get("notify_telegram") == "1"
    at = now(request)
    async with runtime(request).db.write() as conn:
        chat = (await conn.execute(select(staff.c.telegram_chat_id).where(staff.c.id == me.staff_id))).scalar()
        if notify and chat is None:
            raise FormError(N_("connect your Telegram with a one-time code first"))
        await conn.execute(update(staff).where(staff.c.id == me.staff_id).values(notify_telegram=notify))
        await record(conn, at, me.actor, "staff.notices", f"staff:{me.staff_id}", f"notify={notify}")
    return redirect("/console/me?saved=1")


TELEGRAM_CODE_MINUTES = 30


def _telegram_on(request: Request) -> bool:
    """Whether keephome has a Telegram bot to write a code to (KEEPHOME_TELEGRAM_TOKEN, or the demo's sandbox)."""
    return "telegram" in runtime(request).channels


@guard("admin", "adviser", "volunteer", "caretaker")
async def _telegram_code(request: Request, me: StaffSession) -> Response:
    """A one-time code to type to the bot ("STAFF 1234 5678"): it links this person's chat for notices."""
    if me.role not in NOTICE_ROLES:
        raise FormError(N_("notices of urgent cases go to advisers and admins"))
    if not _telegram_on(request):
        # A code nobody can write to a bot that does not run would only wait out its 30 minutes.
        raise FormError(N_("Telegram is not set up for this keephome: there is no bot to write a code to"))
    code = new_code()
    at = now(request)
    async with runtime(request).db.write() as conn:
        await conn.execute(
            update(staff)
            .where(staff.c.id == me.staff_id)
            .values(
                telegram_code_hash=hash_secret(f"staff:{code}"),
                telegram_code_expires_at=at + timedelta(minutes=TELEGRAM_CODE_MINUTES),
            )
        )
        await record(conn, at, me.actor, "staff.telegram_code", f"staff:{me.staff_id}")
    rt = runtime(request)
    return await _me_page(
        request,
        me,
        code=shown_code(code),
        code_minutes=TELEGRAM_CODE_MINUTES,
        bot=rt.settings.telegram_bot.lstrip("@"),
    )


def routes() -> list[BaseRoute]:
    """Staff administration and the personal settings page."""
    return [
        Route("/console/staff", _staff_page, methods=["GET"]),
        Route("/console/staff", _add, methods=["POST"]),
        Route("/console/staff/{staff_id}/reset-password", _reset_password, methods=["POST"]),
        Route("/console/staff/{staff_id}/role", _role, methods=["POST"]),
        Route("/console/staff/{staff_id}/organisation", _organisation, methods=["POST"]),
        Route("/console/staff/{staff_id}/name", _name, methods=["POST"]),
        Route("/console/staff/{staff_id}/deactivate", _confirm_deactivate, methods=["GET"]),
        Route("/console/staff/{staff_id}/deactivate", _deactivate, methods=["POST"]),
        Route("/console/staff/{staff_id}/reactivate", _reactivate, methods=["POST"]),
        Route("/console/me", _me, methods=["GET"]),
        Route("/console/me", _save_me, methods=["POST"]),
        Route("/console/me/telegram-code", _telegram_code, methods=["POST"]),
        Route("/console/me/language", _save_language, methods=["POST"]),
        Route("/console/me/password", _change_password, methods=["POST"]),
    ]
