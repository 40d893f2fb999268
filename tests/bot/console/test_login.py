"""Signing in: argon2id hashes, server-side sessions, CSRF, slower wrong passwords, setup links."""

from __future__ import annotations

import hashlib
import time
from datetime import timedelta

import httpx
from sqlalchemy import select

from bot.app import create_app
from bot.console.accounts import add_staff
from bot.console.login import IpThrottle, lock_delay
from bot.runtime import Runtime
from bot.store.schema import audit_log, staff, staff_sessions
from tests.support.console import PASSWORD, add_person, csrf_of, login, post_form


async def test_sign_in_sets_a_hardened_cookie_and_stores_only_its_hash(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    await add_person(runtime, "adviser@example.org", "adviser")
    response = await login(client, "Adviser@Example.org")
    assert response.status_code == 303
    assert response.headers["location"] == "/console/"
    cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith("keephome_session="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" in cookie
    value = cookie.split(";")[0].split("=", 1)[1]
    async with runtime.db.read() as conn:
        ids = (await conn.execute(select(staff_sessions.c.id))).scalars().all()
    assert ids == [hashlib.sha256(value.encode()).hexdigest()]
    inbox = await client.get("/console/")
    assert inbox.status_code == 200 and "Inbox" in inbox.text


async def test_pages_need_a_session(client: httpx.AsyncClient) -> None:
    response = await client.get("/console/")
    assert response.status_code == 303 and response.headers["location"] == "/console/login"
    assert (await client.get("/console/cases/1/messages.json")).status_code == 401
    assert (await client.post("/console/cases/1/take", data={"csrf_token": "x"})).status_code == 403


async def test_a_post_without_the_csrf_token_is_refused(runtime: Runtime, client: httpx.AsyncClient) -> None:
    await add_person(runtime, "adviser@example.org", "adviser")
    await login(client, "adviser@example.org")
    assert (await client.post("/console/logout")).status_code == 403
    assert (await client.post("/console/logout", data={"csrf_token": "forged"})).status_code == 403
    # still signed in: the refused posts changed nothing
    assert (await client.get("/console/")).status_code == 200
    page = await client.get("/console/login")
    token = csrf_of(page.text)
    client.cookies.delete("keephome_login_csrf")
    refused = await client.post("/console/login", data={"email": "a@b.dk", "password": "x", "csrf_token": token})
    assert refused.status_code == 403


async def test_wrong_passwords_lock_the_account_for_longer_each_time(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    await add_person(runtime, "adviser@example.org", "adviser")
    for _ in range(3):
        assert (await login(client, "adviser@example.org", "wrong password")).status_code == 401
    locked = await login(client, "adviser@example.org")  # even the right password waits now
    assert locked.status_code == 429
    assert "Try again in 1 minute" in locked.text
    assert int(locked.headers["Retry-After"]) <= 30
    runtime.clock.offset += timedelta(seconds=31)
    assert (await login(client, "adviser@example.org", "wrong again")).status_code == 401
    locked = await login(client, "adviser@example.org")
    assert locked.status_code == 429 and 30 < int(locked.headers["Retry-After"]) <= 60
    runtime.clock.offset += timedelta(seconds=61)
    assert (await login(client, "adviser@example.org")).status_code == 303
    async with runtime.db.read() as conn:
        row = (await conn.execute(select(staff.c.failed_logins, staff.c.locked_until))).one()
        failures = (await conn.execute(select(audit_log.c.id).where(audit_log.c.action == "login.failed"))).all()
    assert row.failed_logins == 0 and row.locked_until is None
    assert len(failures) == 4


async def test_many_wrong_attempts_from_one_address_are_slowed_even_for_unknown_emails(runtime: Runtime) -> None:
    app = create_app(runtime)
    app.state.login_throttle = IpThrottle(limit=3, window=60)
    transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 4000))
    async with httpx.AsyncClient(transport=transport, base_url="https://keephome.example.org") as client:
        for n in range(3):
            assert (await login(client, f"nobody{n}@example.org", "guess")).status_code == 401
        response = await login(client, "nobody@example.org", "guess")
        assert response.status_code == 429 and "Too many wrong attempts" in response.text
    other = httpx.ASGITransport(app=app, client=("203.0.113.10", 4000))
    async with httpx.AsyncClient(transport=other, base_url="https://keephome.example.org") as client:
        assert (await login(client, "nobody@example.org", "guess")).status_code == 401


def test_the_address_throttle_forgets_old_attempts() -> None:
    throttle = IpThrottle(limit=2, window=0.05)
    throttle.failed("a")
    throttle.failed("a")
    assert throttle.wait_seconds("a") > 0 and throttle.wait_seconds("b") == 0
    time.sleep(0.06)
    assert throttle.wait_seconds("a") == 0


def test_the_lock_doubles_and_is_capped() -> None:
    assert [lock_delay(n).total_seconds() for n in (1, 2, 3, 4, 5)] == [0, 0, 30, 60, 120]
    assert lock_delay(30) == timedelta(minutes=15)


async def test_logout_ends_the_session_on_the_server(runtime: Runtime, client: httpx.AsyncClient) -> None:
    await add_person(runtime, "adviser@example.org", "adviser")
    await login(client, "adviser@example.org")
    old = client.cookies.get("keephome_session")
    assert (await post_form(client, "/console/", "/console/logout", {})).status_code == 303
    client.cookies.set("keephome_session", old or "", domain="keephome.example.org", path="/console/")
    assert (await client.get("/console/")).headers["location"] == "/console/login"


async def test_a_setup_link_sets_a_password_once(runtime: Runtime, client: httpx.AsyncClient) -> None:
    link = await add_staff(runtime.db, "new@example.org", "adviser", runtime.clock(), runtime.settings.public_url)
    assert link.startswith("https://keephome.example.org/console/setup/")
    path = link.removeprefix("https://keephome.example.org")
    page = await client.get(path)
    assert page.status_code == 200 and "new@example.org" in page.text
    token = csrf_of(page.text)
    short = await client.post(path, data={"password": "short", "repeat": "short", "csrf_token": token})
    assert short.status_code == 422 and "at least 12" in short.text
    differ = await client.post(path, data={"password": PASSWORD, "repeat": PASSWORD + "x", "csrf_token": token})
    assert differ.status_code == 422
    done = await client.post(path, data={"password": PASSWORD, "repeat": PASSWORD, "csrf_token": token})
    assert done.status_code == 303
    assert (await client.get(path)).status_code == 404  # used
    assert (await login(client, "new@example.org")).status_code == 303
    async with runtime.db.read() as conn:
        hashed = (await conn.execute(select(staff.c.password_hash))).scalar_one()
    # argon2id at the library's production cost (the test accounts elsewhere use a cheap precomputed hash)
    assert hashed.startswith("$argon2id$v=19$m=65536,t=3,p=4$")


async def test_a_setup_link_expires(runtime: Runtime, client: httpx.AsyncClient) -> None:
    link = await add_staff(runtime.db, "late@example.org", "volunteer", runtime.clock(), runtime.settings.public_url)
    runtime.clock.offset += timedelta(hours=73)
    response = await client.get(link.removeprefix("https://keephome.example.org"))
    assert response.status_code == 404 and "expired" in response.text


async def test_a_deactivated_persons_open_session_stops_working(runtime: Runtime, client: httpx.AsyncClient) -> None:
    await add_person(runtime, "admin@example.org", "admin")
    adviser_id = await add_person(runtime, "adviser@example.org", "adviser")
    await login(client, "adviser@example.org")
    adviser_cookie = client.cookies.get("keephome_session") or ""
    client.cookies.clear()
    await login(client, "admin@example.org")
    done = await post_form(client, "/console/staff", f"/console/staff/{adviser_id}/deactivate", {})
    assert done.status_code == 303
    client.cookies.clear()
    client.cookies.set("keephome_session", adviser_cookie, domain="keephome.example.org", path="/console/")
    assert (await client.get("/console/")).headers["location"] == "/console/login"
    assert (await login(client, "adviser@example.org")).status_code == 401
