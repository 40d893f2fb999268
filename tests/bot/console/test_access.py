"""Who may open or send what in the console: every route, as every role, as nobody and with a session that ended.

`RIGHTS` is the console's rights as a person meets them. A route it does not name is for advisers and admins; a new
route for other roles (or for admins only) is named here, and a name here that is no route fails the test. Every
route is visited with real HTTP against the app, as each role:

- a role the route is not for gets 403, whether the case, tenant or task in the address exists or not (a volunteer
  who types another case's address learns nothing, not even that it exists), sees none of the tenant's data, and
  changes nothing;
- a role it is for gets no 401 or 403 for a form with the session's CSRF token, and 403 for the same form without
  it or with another token, which changes nothing; what it sends (the tenant's name and number in every field) and
  what it is answered never reach the log (DESIGN: logs carry ids);
- nobody (no cookie, a made-up one, one signed out, one of a deactivated person, one older than 12 hours) is led to
  the sign-in for a page, gets 401 from the case page's poll and 403 for a form.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from starlette.routing import Route

from bot.app import create_app
from bot.console import routes as console_routes
from bot.console.accounts import ROLES, deactivate_staff
from bot.console.web import FIELD_LABELS
from bot.runtime import Runtime
from bot.store import schema
from tests.support.console import add_case, add_person, add_tenant, csrf_of, login, post_form

BASE = "https://keephome.example.org"

# Before signing in: the sign-in, the one-time link to set a password, and /console leading to /console/.
PUBLIC = {"/console/login", "/console/setup/{token}", "/console"}
# Every signed-in person: their start page (each role's own), "Me" (their own password too) and signing out.
EVERYONE = {
    "/console/",
    "/console/me",
    "/console/me/telegram-code",
    "/console/me/language",
    "/console/me/password",
    "/console/logout",
}
# The routes only one role may use; every other route is for advisers and admins.
RIGHTS: dict[str, set[str]] = {
    "volunteer": {
        "/console/tasks",
        "/console/tasks/{case_id}/send",
        "/console/tasks/{case_id}/done",
        "/console/tasks/{case_id}/needs-adviser",
        "/console/tasks/{case_id}/answered",
        "/console/appointments/{task_id}/held",
        "/console/appointments/{task_id}/missed",
        "/console/appointments/{task_id}/move",
    },
    "caretaker": {
        "/console/visits",
        "/console/visits/{task_id}/postcard",
        "/console/visits/{task_id}/reached",
        "/console/visits/{task_id}/not-reached",
        "/console/visits/{task_id}/sent",
    },
    "admin": {
        # People and keys, the pause switch, the audit log, a tenant's data, volunteers' activity, the baselines.
        "/console/staff",
        "/console/staff/{staff_id}/reset-password",
        "/console/staff/{staff_id}/role",
        "/console/staff/{staff_id}/organisation",
        "/console/staff/{staff_id}/name",
        "/console/staff/{staff_id}/deactivate",
        "/console/staff/{staff_id}/reactivate",
        "/console/admin",
        "/console/admin/pause",
        "/console/admin/api-keys",
        "/console/admin/api-keys/{key_id}/revoke",
        # A tenant's message keephome could not handle, marked dealt with.
        "/console/admin/unanswered/{inbound_id}/dealt-with",
        "/console/audit",
        "/console/data",
        "/console/data/export",
        "/console/activity",
        "/console/activity.csv",
        "/console/report/baselines",
        "/console/report/baselines/delete",
        # A held case handed to another adviser.
        "/console/cases/{case_id}/reassign",
    },
}
# The script's poll of the case page: answers in JSON, so a refusal is 401 or 403, never a page.
JSON = {"/console/cases/{case_id}/messages.json"}

# What the tenant's data looks like on a page or in a log: their name, reference, number (as stored and as shown),
# the debt.
TENANT = {"name": "Birgitte Sørensen", "ref": "R-4711", "phone": "+4520004711", "shown": "20 00 47 11"}
# The number's digits too: a URL writes its "+" as "%2B".
_DATA = re.compile("|".join(re.escape(v) for v in (*TENANT.values(), "Birgitte", "20004711", "7.100", "7100")))


def allowed(path: str) -> set[str]:
    """The roles that may use this route."""
    if path in EVERYONE:
        return set(ROLES)
    for role, paths in RIGHTS.items():
        if path in paths:
            return {role}
    return {"admin", "adviser"}


def _routes() -> list[tuple[str, str]]:
    """(method, path) of every console route a person signs in for."""
    found = []
    for route in console_routes():
        assert isinstance(route, Route), route
        if route.path in PUBLIC:
            continue
        found.extend((method, route.path) for method in sorted(route.methods or ()) if method != "HEAD")
    return found


def test_every_name_in_the_table_is_a_route_and_every_role_is_known() -> None:
    paths = {route.path for route in console_routes() if isinstance(route, Route)}
    named = PUBLIC | EVERYONE | JSON | set().union(*RIGHTS.values())
    assert named <= paths, sorted(named - paths)
    assert set(RIGHTS) <= set(ROLES) and set(ROLES) == {"admin", "adviser", "volunteer", "caretaker"}


class World:
    """A tenant with a debt, a case with consent, and a person of each role (and one more for the staff forms)."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.ids: dict[str, Any] = {}
        self.emails = {role: f"{role}@example.org" for role in ROLES}

    async def build(self) -> World:
        rt = self.rt
        for role, email in self.emails.items():
            self.ids[role] = await add_person(rt, email, role)
        tenant = await add_tenant(
            rt, TENANT["ref"], name=TENANT["name"], phone=TENANT["phone"], balance_ore=710_000, monthly_rent_ore=650_000
        )
        self.ids |= {
            "tenant_id": tenant,
            "case_id": await add_case(rt, tenant),
            # The staff forms act on a person who is none of the signed-in ones.
            "staff_id": await add_person(rt, "spare@example.org", "adviser"),
            "task_id": 1,
            "referral_id": 1,
            "key_id": 1,
            "consent_id": 1,
            "inbound_id": 1,
            "chart": "reached",
        }
        return self

    def path(self, route: str, missing: bool = False) -> str:
        """The route's address with this world's ids (or ids of nothing, with `missing`)."""
        for name in re.findall(r"{(\w+)}", route):
            value = "999999" if missing and name.endswith("_id") else str(self.ids[name])
            route = route.replace("{" + name + "}", value)
        return route

    async def snapshot(self) -> dict[str, list[Any]]:
        """What a refused request must not change: every table but the logs of who looked and signed in."""
        skipped = {"audit_log", "login_attempts", "staff_sessions", "alembic_version"}
        taken = {}
        async with self.rt.db.read() as conn:
            for table in schema.metadata.sorted_tables:
                if table.name not in skipped:
                    taken[table.name] = [tuple(row) for row in (await conn.execute(select(table))).all()]
        return taken

    @asynccontextmanager
    async def browser(self, role: str | None = None) -> AsyncIterator[httpx.AsyncClient]:
        """A client of the app, signed in through the form as this role's person (or nobody)."""
        transport = httpx.ASGITransport(app=create_app(self.rt))
        async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
            if role is not None:
                assert (await login(client, self.emails[role])).status_code == 303
            yield client


@pytest.fixture
async def world(runtime: Runtime) -> World:
    return await World(runtime).build()


async def _send(client: httpx.AsyncClient, method: str, path: str, token: str | None) -> httpx.Response:
    if method == "GET":  # with a query a search would carry (the tenant's number typed as their reference)
        return await client.get(path, params={"ref": TENANT["phone"]})
    return await client.post(path, data={} if token is None else {"csrf_token": token})


def _refused(answer: httpx.Response, where: str, status: int = 403) -> None:
    assert answer.status_code == status, f"{where}: {answer.status_code}"
    assert not _DATA.search(answer.text), f"{where} shows the tenant's data"


@pytest.mark.parametrize("role", ROLES)
async def test_each_role_opens_and_sends_only_what_it_may(
    world: World, role: str, caplog: pytest.LogCaptureFixture
) -> None:
    # As `keephome` logs at its most (KEEPHOME_LOG_LEVEL=DEBUG, bot/cli/main.py): its own loggers at DEBUG, the
    # libraries at INFO, the HTTP clients' (the test's own client among them) at WARNING.
    with (
        caplog.at_level(logging.INFO),
        caplog.at_level(logging.WARNING, logger="httpx"),
        caplog.at_level(logging.DEBUG, logger="bot"),
    ):
        before = await world.snapshot()
        async with world.browser(role) as client:
            token = csrf_of((await client.get("/console/me")).text)
            mine = []
            for method, route in _routes():
                where = f"{role} {method} {route}"
                if role in allowed(route):
                    mine.append((method, route))
                    continue
                # Refused alike whether what the address names exists or not.
                for missing in (False, True):
                    _refused(await _send(client, method, world.path(route, missing), token), where)
            # A form without the session's token, or with another one, is refused before it is read.
            for method, route in mine:
                if method == "POST":
                    for forged in (None, "x" * 43):
                        answer = await _send(client, method, world.path(route), forged)
                        _refused(answer, f"{role} POST {route} without its token")
                        assert "security token" in answer.text
            assert await world.snapshot() == before, f"a refused request as {role} changed something"
            # The role's own routes open (what they find there, or a form's 409/422, is theirs), each form filled with
            # the tenant's name and number in every field a console form has: the log keeps ids, never those.
            typed = {name: f"{TENANT['name']} {TENANT['phone']}" for name in FIELD_LABELS}
            for method, route in mine:
                if route in ("/console/logout", "/console/staff/{staff_id}/deactivate"):
                    continue
                if method == "GET":
                    answer = await _send(client, method, world.path(route), token)
                else:
                    answer = await client.post(world.path(route), data={**typed, "csrf_token": token})
                assert answer.status_code not in (401, 403), f"{role} {method} {route}: {answer.status_code}"
                assert answer.status_code < 500, f"{role} {method} {route}: {answer.status_code}"
    logged = [record.getMessage() for record in caplog.records]
    assert logged and not [line for line in logged if _DATA.search(line)], "the tenant's data in the log"


@asynccontextmanager
async def _ended(world: World, how: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client whose session cookie no longer opens anything, ended in one of the ways a session ends."""
    role = "adviser"
    async with world.browser(None if how == "no cookie" else role) as client:
        rt = world.rt
        if how == "a made-up cookie":
            client.cookies.set("keephome_session", "x" * 43, domain="keephome.example.org", path="/console/")
        elif how == "signed out":
            # Someone kept a copy of the cookie the sign-out told the browser to forget.
            kept = client.cookies.get("keephome_session") or ""
            assert (await post_form(client, "/console/me", "/console/logout", {})).status_code == 303
            client.cookies.set("keephome_session", kept, domain="keephome.example.org", path="/console/")
        elif how == "deactivated":
            async with rt.db.write() as conn:
                await deactivate_staff(conn, world.ids[role], rt.clock(), "staff:1")
        elif how == "older than 12 hours":
            rt.clock.offset += timedelta(hours=12)
        yield client


ENDINGS = ["no cookie", "a made-up cookie", "signed out", "deactivated", "older than 12 hours"]


@pytest.mark.parametrize("how", ENDINGS)
async def test_without_a_live_session_every_page_leads_to_the_sign_in_and_every_form_is_refused(
    world: World, how: str
) -> None:
    async with _ended(world, how) as client:
        before = await world.snapshot()
        for method, route in _routes():
            answer = await _send(client, method, world.path(route), "x" * 43)
            where = f"{how}: {method} {route}"
            if method == "POST":
                _refused(answer, where)
                assert 'id="sign-in"' in answer.text, where
            elif route in JSON:
                _refused(answer, where, 401)
            else:
                assert answer.status_code == 303, f"{where}: {answer.status_code}"
                assert answer.headers["location"].startswith("/console/login"), where
    assert await world.snapshot() == before
