"""Helpers for the console tests: staff with passwords, signing in, cases with or without consent."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import date
from typing import Any

import httpx
from sqlalchemy import select, update

from bot.app import create_app
from bot.console.accounts import create_staff, hash_password
from bot.host.cases import open_case
from bot.host.consents import record_consent
from bot.runtime import Runtime
from bot.store.schema import cases, consents, staff
from tests.support import helpers

__all__ = [
    "PASSWORD",
    "PASSWORD_HASH",
    "VOLUNTEER_ORG",
    "add_case",
    "add_person",
    "add_tenant",
    "csrf_of",
    "login",
    "post_form",
    "posted_twice",
    "today",
    "volunteers_may_see",
    "without_tokens",
]

PASSWORD = "a long test pass phrase"
# PASSWORD hashed once, ahead of time, with argon2id at its cheapest cost: a verify takes microseconds
# instead of the production cost, which hash_password keeps (see the setup-link test).
PASSWORD_HASH = "$argon2id$v=19$m=8,t=1,p=1$jG64tQb97YhwWB+tK4PW6w$vElfwlgm0/V/9kV5hJ69acuzyVXYT8artfi+tJQOlmw"
# The volunteer organisation the tests' volunteers belong to.
VOLUNTEER_ORG = "Dansk Folkehjælp"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def today(rt: Runtime) -> date:
    """Today where the organisation is."""
    from zoneinfo import ZoneInfo

    return rt.clock().astimezone(ZoneInfo(rt.settings.timezone)).date()


async def add_person(
    rt: Runtime,
    email: str,
    role: str,
    password: str = PASSWORD,
    organisation: str | None = VOLUNTEER_ORG,
    name: str | None = None,
) -> int:
    """A staff account that has set its password (a volunteer is of VOLUNTEER_ORG unless told otherwise)."""
    hashed = PASSWORD_HASH if password == PASSWORD else await hash_password(password)
    of = organisation if role == "volunteer" else None
    async with rt.db.write() as conn:
        staff_id, _ = await create_staff(
            conn, email, role, rt.clock(), rt.settings.public_url, organisation=of, name=name
        )
        await conn.execute(update(staff).where(staff.c.id == staff_id).values(password_hash=hashed))
    return staff_id


async def volunteers_may_see(
    rt: Runtime, case_id: int, organisation: str = VOLUNTEER_ORG, kinds: tuple[str, ...] = ("contact",)
) -> int:
    """The tenant's consent (a signed form) to share these kinds with a volunteer organisation for the case: what a
    case needs before a volunteer gets its task or an appointment. Returns the consent's id."""
    now = rt.clock()
    async with rt.db.write() as conn:
        tenant_id = (await conn.execute(select(cases.c.tenant_id).where(cases.c.id == case_id))).scalar_one()
        return int(
            await conn.run_sync(
                lambda sync: record_consent(
                    sync,
                    tenant_id=tenant_id,
                    case_id=case_id,
                    recipient_kind="volunteer_org",
                    recipient=organisation,
                    source=rt.settings.org_name,
                    data_kinds=list(kinds),
                    purpose="Et budget med en frivillig rådgiver",
                    wording=None,
                    method="signed_form",
                    recorded_by=None,
                    given_at=now,
                    now=now,
                )
            )
        )


async def add_tenant(
    rt: Runtime,
    ref: str,
    *,
    name: str = "Alpha Tenant",
    phone: str | None = "+4520000001",
    chat_id: int | None = None,
    language: str = "da",
    status: str = "active",
    **position: Any,
) -> int:
    """A tenant with a rent position (balance in øre, dates as keyword arguments)."""
    position.setdefault("balance_ore", 0)
    return await helpers.add_tenant(
        rt.db,
        ref,
        name=name,
        phone=phone,
        chat_id=chat_id,
        language=language,
        status=status,
        now=rt.clock(),
        today=today(rt),
        **position,
    )


async def add_case(
    rt: Runtime, tenant_id: int, *, origin: str = "handoff", consent: bool = True, reason: str = "wants to talk"
) -> int:
    """An open, waiting case; with consent the tenant agreed to an adviser reading along."""
    at = rt.clock()
    async with rt.db.write() as conn:
        if consent:
            await conn.execute(
                consents.insert().values(
                    tenant_id=tenant_id, scope="adviser", wording_version="consent-v1", given_at=at
                )
            )
        opened = await conn.run_sync(
            open_case,
            tenant_id,
            origin=origin,
            reason=reason,
            now=at,
            today=today(rt),
            delivery_days=rt.settings.demand_delivery_days,
        )
        return opened.case_id


async def case_row(rt: Runtime, case_id: int) -> Any:
    """The case as stored."""
    async with rt.db.read() as conn:
        return (await conn.execute(select(cases).where(cases.c.id == case_id))).one()


def csrf_of(html: str) -> str:
    """The CSRF token a page's forms carry."""
    found = _CSRF.search(html)
    assert found is not None, "the page has no form token"
    return found.group(1)


async def login(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> httpx.Response:
    """Sign in through the real form (fetching its token first)."""
    page = await client.get("/console/login")
    return await client.post(
        "/console/login", data={"email": email, "password": password, "csrf_token": csrf_of(page.text)}
    )


async def signed_in(rt: Runtime, client: httpx.AsyncClient, *, role: str = "adviser", danish: bool = False) -> None:
    """Add a person of `role` (who reads the console in Danish with `danish`) and sign them in through the form."""
    email = f"{role}@example.org"
    await add_person(rt, email, role)
    if danish:
        async with rt.db.write() as conn:
            await conn.execute(update(staff).where(staff.c.email == email).values(language="da"))
    assert (await login(client, email)).status_code == 303


@asynccontextmanager
async def staff_client(rt: Runtime, role: str) -> AsyncIterator[httpx.AsyncClient]:
    """A console client of the app, signed in through the real form as a new person of `role` (role@example.org)."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(rt)), base_url="https://keephome.example.org"
    ) as client:
        await add_person(rt, f"{role}@example.org", role)
        assert (await login(client, f"{role}@example.org")).status_code == 303
        yield client


def adviser_client(rt: Runtime) -> AbstractAsyncContextManager[httpx.AsyncClient]:
    """A console client signed in as a new adviser (adviser@example.org)."""
    return staff_client(rt, "adviser")


_TOKENS = re.compile(r'(name="(?:csrf_token|nonce)" value=")[^"]+(")')


def without_tokens(html: str) -> str:
    """The page with its forms' random tokens blanked, so a search for a short secret ("R-1") cannot find it inside
    a token by chance."""
    return _TOKENS.sub(r"\1\2", html)


def form_nonce_of(html: str, action: str) -> str | None:
    """The one-time value (`nonce`) the page's form for `action` carries, as a browser would send it; None without."""
    form = re.search(r'<form[^>]*action="' + re.escape(action) + r'"[^>]*>(.*?)</form>', html, re.S)
    found = re.search(r'name="nonce" value="([^"]+)"', form.group(1)) if form else None
    return found.group(1) if found else None


async def post_form(client: httpx.AsyncClient, page: str, action: str, data: dict[str, str]) -> httpx.Response:
    """Open a page, then post one of its forms with the page's token (and its one-time value, when it has one)."""
    shown = await client.get(page)
    assert shown.status_code == 200, shown.text
    nonce = form_nonce_of(shown.text, action)
    extra = {"nonce": nonce} if nonce is not None and "nonce" not in data else {}
    return await client.post(action, data={**data, **extra, "csrf_token": csrf_of(shown.text)})


async def posted_twice(
    client: httpx.AsyncClient, page: str, action: str, data: dict[str, str]
) -> tuple[httpx.Response, httpx.Response]:
    """Open a page and post one of its forms twice, as a double click, the browser's back and resubmit or a phone's
    retry sends it: the same token and the same one-time value both times."""
    shown = await client.get(page)
    assert shown.status_code == 200, shown.text
    form = {**data, "nonce": form_nonce_of(shown.text, action) or "", "csrf_token": csrf_of(shown.text)}
    return await client.post(action, data=form), await client.post(action, data=form)


__all__ += ["case_row"]
