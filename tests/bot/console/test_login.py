"""Signing in: argon2id hashes, server-side sessions, CSRF, limits counted in the database, setup links."""

from __future__ import annotations

import asyncio
import hashlib
import html
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import func, select

from bot.app import create_app
from bot.cli.serve import server_config
from bot.console import login as login_module
from bot.console import throttle
from bot.console.accounts import add_staff, issue_setup_link, reset_password, verify_password
from bot.runtime import Clock, Runtime
from bot.settings import ConfigError, Settings
from bot.store.retention import purge
from bot.store.schema import audit_log, login_attempts, staff, staff_sessions
from tests.conftest import make_settings, started_runtime
from tests.support.console import PASSWORD, add_person, csrf_of, login, post_form

BASE = "https://keephome.example.org"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class FixedClock(Clock):
    """A clock that stands still unless a test moves it (`offset`)."""

    def __call__(self) -> datetime:
        return START + self.offset


class CountedChecks:
    """verify_password, counting how many checks run and how many at once."""

    def __init__(self) -> None:
        self.calls = 0
        self.running = 0
        self.most = 0

    async def __call__(self, password_hash: str | None, password: str) -> bool:
        self.calls += 1
        self.running += 1
        self.most = max(self.most, self.running)
        try:
            await asyncio.sleep(0.005)  # a check takes a moment: concurrent attempts overlap
            return await verify_password(password_hash, password)
        finally:
            self.running -= 1


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> CountedChecks:
    counted = CountedChecks()
    monkeypatch.setattr(login_module, "verify_password", counted)
    return counted


@pytest.fixture
async def fixed(settings: Settings) -> AsyncIterator[Runtime]:
    async with started_runtime(settings, FixedClock()) as rt:
        yield rt


def client_for(app: object, address: str = "198.51.100.7") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 40000))  # type: ignore[arg-type]
    return httpx.AsyncClient(transport=transport, base_url=BASE)


@pytest.fixture
async def browser(fixed: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(create_app(fixed)) as c:
        yield c


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


@pytest.mark.parametrize("typed", ["adviser@example.org\x00", "nobody\x00@example.org"])
async def test_a_nul_typed_into_the_address_is_no_error(database_url: str, typed: str) -> None:
    """A NUL pasted into the e-mail field failed the account's lookup on PostgreSQL with a 500: it is read as the
    address without it, a right or a wrong sign-in like any."""
    async with started_runtime(make_settings(database_url)) as rt, client_for(create_app(rt)) as client:
        await add_person(rt, "adviser@example.org", "adviser")
        response = await login(client, typed)
    assert response.status_code == (303 if typed.startswith("adviser") else 401)


async def test_pages_need_a_session(client: httpx.AsyncClient) -> None:
    response = await client.get("/console/")
    assert response.status_code == 303 and response.headers["location"] == "/console/login"
    assert (await client.get("/console/cases/1/messages.json")).status_code == 401
    # A page's link (a Telegram notice opens a case) leads back to that page once signed in.
    linked = await client.get("/console/cases/5?tab=messages")
    assert linked.headers["location"] == "/console/login?next=%2Fconsole%2Fcases%2F5%3Ftab%3Dmessages"
    assert (await client.post("/console/cases/1/take", data={"csrf_token": "x"})).status_code == 403


async def test_a_form_sent_after_signing_out_leads_to_the_sign_in_and_back(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    """Signed out in another tab, the adviser sends a form: the page says to sign in, links the sign-in, and the
    sign-in leads back to the form's page."""
    await add_person(runtime, "adviser@example.org", "adviser")
    refused = await client.post("/console/cases/7/take", data={"csrf_token": "x"})
    assert refused.status_code == 403 and "Sign in first." in refused.text
    assert 'href="/console/login?next=%2Fconsole%2Fcases%2F7" class="button" id="sign-in"' in refused.text
    page = await client.get("/console/login?next=/console/cases/7")
    assert '<input type="hidden" name="next" value="/console/cases/7">' in page.text
    form = {"email": "adviser@example.org", "password": PASSWORD, "next": "/console/cases/7"}
    # A wrong password keeps where the sign-in leads.
    wrong = await client.post("/console/login", data={**form, "password": "wrong", "csrf_token": csrf_of(page.text)})
    assert wrong.status_code == 401 and 'name="next" value="/console/cases/7"' in wrong.text
    signed = await client.post("/console/login", data={**form, "csrf_token": csrf_of(wrong.text)})
    assert signed.status_code == 303 and signed.headers["location"] == "/console/cases/7"


@pytest.mark.parametrize(
    "then",
    ["https://evil.example", "//evil.example/console/", "/console//evil.example", "/console/\\evil", "/elsewhere",
     "/console/logout", "/console/login?next=/console/"],
)  # fmt: skip
def test_the_sign_in_returns_only_to_a_console_page(then: str) -> None:
    assert login_module.return_to(then) is None
    assert login_module.return_to("/console/cases/7?x=1") == "/console/cases/7?x=1"


async def test_a_volunteer_signing_in_for_a_case_page_goes_to_their_tasks(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    await add_person(runtime, "volunteer@example.org", "volunteer")
    page = await client.get("/console/login?next=/console/cases/7")
    form = {"email": "volunteer@example.org", "password": PASSWORD, "next": "/console/cases/7"}
    signed = await client.post("/console/login", data={**form, "csrf_token": csrf_of(page.text)})
    assert signed.status_code == 303 and signed.headers["location"] == "/console/tasks"


async def test_a_session_ends_after_twelve_hours(fixed: Runtime, browser: httpx.AsyncClient) -> None:
    await add_person(fixed, "adviser@example.org", "adviser")
    assert (await login(browser, "adviser@example.org")).status_code == 303
    fixed.clock.offset = timedelta(hours=12) - timedelta(seconds=1)
    assert (await browser.get("/console/")).status_code == 200
    fixed.clock.offset = timedelta(hours=12)
    expired = await browser.get("/console/")
    assert expired.status_code == 303 and expired.headers["location"] == "/console/login"
    assert (await browser.get("/console/cases/1/messages.json")).status_code == 401


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


async def test_wrong_passwords_make_the_account_wait_longer_each_time(
    fixed: Runtime, browser: httpx.AsyncClient
) -> None:
    await add_person(fixed, "adviser@example.org", "adviser")
    for _ in range(3):
        assert (await login(browser, "adviser@example.org", "wrong password")).status_code == 401
    locked = await login(browser, "adviser@example.org")  # even the right password waits now
    assert locked.status_code == 429
    # The first wait is 30 seconds, and the page says so (not rounded up to a minute).
    assert "Try again in 30 seconds." in locked.text and "minute" not in locked.text
    assert locked.headers["Retry-After"] == "30"
    fixed.clock.offset += timedelta(seconds=31)
    assert (await login(browser, "adviser@example.org", "wrong again")).status_code == 401
    locked = await login(browser, "adviser@example.org")
    assert locked.status_code == 429 and locked.headers["Retry-After"] == "60"
    assert "Try again in 1 minute." in locked.text
    fixed.clock.offset += timedelta(seconds=61)
    assert (await login(browser, "adviser@example.org")).status_code == 303
    # A right password clears the count: three more wrong ones are needed before the next wait.
    browser.cookies.delete("keephome_session")
    for _ in range(2):
        assert (await login(browser, "adviser@example.org", "wrong password")).status_code == 401
    assert (await login(browser, "adviser@example.org")).status_code == 303
    async with fixed.db.read() as conn:
        failures = (await conn.execute(select(audit_log.c.detail).where(audit_log.c.action == "login.failed"))).all()
    assert len(failures) == 6


def test_the_wait_doubles_and_is_capped() -> None:
    assert [throttle.ACCOUNT.wait(n).total_seconds() for n in (1, 2, 3, 4, 5)] == [0, 0, 30, 60, 120]
    assert throttle.ACCOUNT.wait(30) == timedelta(minutes=15)
    assert throttle.ACCOUNT.wait(10_000) == timedelta(minutes=15)


async def test_forty_concurrent_guesses_from_two_processes_reach_argon2_at_most_the_cap(
    database_url: str, checks: CountedChecks
) -> None:
    settings = make_settings(database_url)
    async with started_runtime(settings, FixedClock()) as one, started_runtime(settings, FixedClock()) as two:
        await add_person(one, "adviser@example.org", "adviser")
        async with client_for(create_app(one)) as first, client_for(create_app(two)) as second:
            tokens = [csrf_of((await c.get("/console/login")).text) for c in (first, second)]

            async def guess(n: int) -> int:
                c, token = (first, tokens[0]) if n % 2 else (second, tokens[1])
                data = {"email": "adviser@example.org", "password": f"guess {n}", "csrf_token": token}
                return (await c.post("/console/login", data=data)).status_code

            answers = await asyncio.gather(*(guess(n) for n in range(39)))
            assert set(answers) <= {401, 429} and answers.count(429) >= 39 - throttle.ACCOUNT.free
            assert checks.calls <= throttle.ACCOUNT.free
            assert checks.most <= throttle.ACCOUNT.concurrent
            # The lock holds: the right password, fortieth, does not sign in.
            right = await first.post(
                "/console/login", data={"email": "adviser@example.org", "password": PASSWORD, "csrf_token": tokens[0]}
            )
            assert right.status_code == 429 and "keephome_session" not in right.headers.get("set-cookie", "")
        async with one.db.read() as conn:
            sessions = (await conn.execute(select(func.count()).select_from(staff_sessions))).scalar_one()
            running = (await conn.execute(select(func.sum(login_attempts.c.in_flight)))).scalar_one()
        assert sessions == 0 and running == 0


def _as_seen(response: httpx.Response, email: str) -> tuple[int, str, str | None]:
    """What the person at the form sees, with the e-mail they typed blanked out."""
    return response.status_code, response.text.replace(email, "EMAIL"), response.headers.get("Retry-After")


async def test_an_unknown_email_is_answered_like_a_known_one(
    fixed: Runtime, browser: httpx.AsyncClient, checks: CountedChecks
) -> None:
    await add_person(fixed, "adviser@example.org", "adviser")

    async def four_tries(email: str) -> list[tuple[int, str, str | None]]:
        return [_as_seen(await login(browser, email, "not it"), email) for _ in range(4)]

    known = await four_tries("adviser@example.org")
    checked_known = checks.calls
    unknown = await four_tries("nobody@example.org")
    assert [status for status, _, _ in known] == [401, 401, 401, 429]
    assert unknown == known
    # The same argon2 work for both, so the time taken does not tell them apart either.
    assert checks.calls == 2 * checked_known == 2 * throttle.ACCOUNT.free


async def test_too_many_checks_at_once_are_refused_and_a_dead_check_frees_its_place(
    fixed: Runtime, browser: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    await add_person(fixed, "adviser@example.org", "adviser")
    monkeypatch.setattr(throttle, "ACCOUNT", replace(throttle.ACCOUNT, free=100))
    release, full = asyncio.Event(), asyncio.Event()
    inside: list[str] = []

    async def slow_check(password_hash: str | None, password: str) -> bool:
        inside.append(password)
        if len(inside) == throttle.ACCOUNT.concurrent:
            full.set()
        await release.wait()
        return await verify_password(password_hash, password)

    monkeypatch.setattr(login_module, "verify_password", slow_check)
    token = csrf_of((await browser.get("/console/login")).text)

    async def attempt(password: str) -> httpx.Response:
        data = {"email": "adviser@example.org", "password": password, "csrf_token": token}
        return await browser.post("/console/login", data=data)

    held = [asyncio.create_task(attempt(f"guess {n}")) for n in range(throttle.ACCOUNT.concurrent)]
    try:
        await asyncio.wait_for(full.wait(), 10)
        busy = await asyncio.wait_for(attempt(PASSWORD), 10)  # refused at once, not queued behind the others
    finally:
        release.set()
    assert busy.status_code == 429 and "at once" in busy.text
    assert [r.status_code for r in await asyncio.gather(*held)] == [401] * throttle.ACCOUNT.concurrent
    # A check whose process died never gives its place back; the place is free again after IN_FLIGHT.
    counted = throttle.slots(fixed.settings.secret_key or "", "adviser@example.org", "198.51.100.7")
    for _ in range(throttle.ACCOUNT.concurrent):
        assert await fixed.db.run(throttle.reserve, counted, fixed.clock()) is None
    assert (await attempt(PASSWORD)).status_code == 429
    fixed.clock.offset += throttle.IN_FLIGHT + timedelta(seconds=1)
    assert (await attempt(PASSWORD)).status_code == 303


async def test_many_wrong_attempts_from_one_address_wait_even_for_unknown_emails(
    fixed: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(throttle, "ADDRESS", replace(throttle.ADDRESS, free=3))
    app = create_app(fixed)
    async with client_for(app, "203.0.113.9") as guesser:
        for n in range(3):
            assert (await login(guesser, f"nobody{n}@example.org", "guess")).status_code == 401
        response = await login(guesser, "someone.else@example.org", "guess")
        assert response.status_code == 429 and "Too many wrong attempts" in response.text
    async with client_for(app, "203.0.113.10") as neighbour:
        assert (await login(neighbour, "someone.else@example.org", "guess")).status_code == 401
    # After a quiet spell the address's count is forgotten: three free tries again.
    fixed.clock.offset += throttle.ADDRESS.forget_after + timedelta(seconds=1)
    async with client_for(app, "203.0.113.9") as guesser:
        answers = [(await login(guesser, f"later{n}@example.org", "guess")).status_code for n in range(3)]
    assert answers == [401, 401, 401]
    async with fixed.db.read() as conn:
        keys = (await conn.execute(select(login_attempts.c.key))).scalars().all()
    stored = " ".join(keys)
    assert "203.0.113" not in stored and "example.org" not in stored  # keyed hashes only


async def _guesses_through_uvicorn(rt: Runtime, forwarded: Callable[[int], str]) -> list[int]:
    """Wrong passwords for unknown e-mails sent by a proxy at 10.0.0.5, through uvicorn's own app wrapper."""
    config = server_config(rt)
    config.load()
    answers = []
    async with client_for(config.loaded_app, "10.0.0.5") as proxy:
        token = csrf_of((await proxy.get("/console/login")).text)
        for n in range(3):
            data = {"email": f"nobody{n}@example.org", "password": "guess", "csrf_token": token}
            response = await proxy.post("/console/login", data=data, headers={"X-Forwarded-For": forwarded(n)})
            answers.append(response.status_code)
    return answers


@pytest.mark.parametrize(
    ("trusted", "forwarded", "answers"),
    [
        # Nobody is trusted by default: the header is ignored and every guess counts against the proxy's address.
        ("", lambda n: f"203.0.113.{n}", [401, 401, 429]),
        # A trusted proxy's header names the client: three clients, one guess each.
        ("10.0.0.0/24", lambda n: f"203.0.113.{n}", [401, 401, 401]),
        ("10.0.0.5", lambda n: "203.0.113.1", [401, 401, 429]),
        # A proxy that is not the trusted one cannot make up clients.
        ("10.0.9.9", lambda n: f"203.0.113.{n}", [401, 401, 429]),
    ],
)
async def test_x_forwarded_for_counts_only_from_trusted_proxies(
    sqlite_url: str,
    monkeypatch: pytest.MonkeyPatch,
    trusted: str,
    forwarded: Callable[[int], str],
    answers: list[int],
) -> None:
    monkeypatch.setattr(throttle, "ADDRESS", replace(throttle.ADDRESS, free=2))
    settings = make_settings(sqlite_url, trusted_proxies=trusted)
    async with started_runtime(settings, FixedClock()) as rt:
        assert server_config(rt).proxy_headers is bool(trusted)
        assert await _guesses_through_uvicorn(rt, forwarded) == answers


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
    # A password past the longest one taken is told so, not told to be longer.
    huge = "x" * 5000
    long = await client.post(path, data={"password": huge, "repeat": huge, "csrf_token": token})
    assert long.status_code == 422 and "Use at most 1000 characters." in long.text
    assert "Use at least 12 characters." not in long.text
    assert 'maxlength="1000"' in page.text
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


async def test_a_new_setup_link_replaces_the_old_one_and_ends_the_wait(
    fixed: Runtime, browser: httpx.AsyncClient
) -> None:
    staff_id = await add_person(fixed, "adviser@example.org", "adviser")
    for _ in range(3):
        await login(browser, "adviser@example.org", "forgot it")
    assert (await login(browser, "adviser@example.org")).status_code == 429
    async with fixed.db.write() as conn:
        old = await issue_setup_link(conn, staff_id, fixed.clock(), fixed.settings.public_url)
        new = await issue_setup_link(conn, staff_id, fixed.clock(), fixed.settings.public_url)
    assert (await browser.get(old.removeprefix(BASE))).status_code == 404  # the earlier link stopped working
    path = new.removeprefix(BASE)
    token = csrf_of((await browser.get(path)).text)
    fresh = "a brand new pass phrase"
    done = await browser.post(path, data={"password": fresh, "repeat": fresh, "csrf_token": token})
    assert done.status_code == 303
    assert (await login(browser, "adviser@example.org", fresh)).status_code == 303


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
    done = await post_form(client, "/console/staff", f"/console/staff/{adviser_id}/deactivate", {"confirmed": "yes"})
    assert done.status_code == 303
    client.cookies.clear()
    client.cookies.set("keephome_session", adviser_cookie, domain="keephome.example.org", path="/console/")
    assert (await client.get("/console/")).headers["location"] == "/console/login"
    assert (await login(client, "adviser@example.org")).status_code == 401


def test_the_secret_key_must_be_long_enough(sqlite_url: str) -> None:
    with pytest.raises(ConfigError, match=re.escape("KEEPHOME_SECRET_KEY must be at least 32 characters")):
        make_settings(sqlite_url, secret_key="x" * 31)
    assert make_settings(sqlite_url, secret_key="x" * 32).secret_key == "x" * 32
    with pytest.raises(ConfigError, match="KEEPHOME_TRUSTED_PROXIES"):
        make_settings(sqlite_url, trusted_proxies="10.0.0.1, proxy.example.org")


async def _set_password_from_a_new_link(rt: Runtime, staff_id: int, password: str) -> None:
    """What the person does with an admin's new one-time link: opens it and sets a password through its form."""
    async with rt.db.write() as conn:
        link = await issue_setup_link(conn, staff_id, rt.clock(), rt.settings.public_url)
    async with client_for(create_app(rt), "203.0.113.9") as owner:
        path = link.removeprefix(BASE)
        token = csrf_of((await owner.get(path)).text)
        done = await owner.post(path, data={"password": password, "repeat": password, "csrf_token": token})
        assert done.status_code == 303


async def _as_admin(rt: Runtime, action: str, form: dict[str, str]) -> None:
    """An admin's form on the staff page, sent through the console."""
    async with client_for(create_app(rt), "203.0.113.10") as admin:
        assert (await login(admin, "admin@example.org")).status_code == 303
        assert (await post_form(admin, "/console/staff", action, form)).status_code in (200, 303)


async def _recover(rt: Runtime, way: str, staff_id: int) -> None:
    """One of the ways an account's access is taken back or its password replaced."""
    if way == "a new password from a link":
        await _set_password_from_a_new_link(rt, staff_id, "a brand new pass phrase")
    elif way == "staff reset-password":
        await reset_password(rt.db, "adviser@example.org", rt.clock(), rt.settings.public_url)
    elif way == "reset by an admin in the console":
        await _as_admin(rt, f"/console/staff/{staff_id}/reset-password", {})
    elif way == "deactivated and reactivated":
        await _as_admin(rt, f"/console/staff/{staff_id}/deactivate", {"confirmed": "yes"})
        await _as_admin(rt, f"/console/staff/{staff_id}/reactivate", {"role": "adviser"})
    else:
        assert way == "role changed"
        await _as_admin(rt, f"/console/staff/{staff_id}/role", {"role": "volunteer"})


async def _signed_out(client: httpx.AsyncClient) -> None:
    """The client's session cookie opens nothing: no page, no poll, no form."""
    assert (await client.get("/console/")).headers["location"] == "/console/login"
    assert (await client.get("/console/me")).headers["location"] == "/console/login?next=%2Fconsole%2Fme"
    assert (await client.get("/console/cases/1/messages.json")).status_code == 401
    assert (await client.post("/console/me/language", data={"language": "da"})).status_code == 403


RECOVERIES = [
    "a new password from a link",
    "staff reset-password",
    "reset by an admin in the console",
    "deactivated and reactivated",
    "role changed",
]


@pytest.mark.parametrize("way", RECOVERIES)
async def test_every_session_of_an_account_ends_when_its_password_or_rights_change(
    served: tuple[Runtime, httpx.AsyncClient], way: str
) -> None:
    """A person signed in on two devices: a password set from a new link, `staff reset-password` or an admin's reset in
    the console, a deactivation undone or a role change ends both sessions, so an old cookie (a lost phone's, a stolen
    one) opens nothing."""
    rt, _ = served
    await add_person(rt, "admin@example.org", "admin")
    staff_id = await add_person(rt, "adviser@example.org", "adviser")
    async with client_for(create_app(rt)) as phone, client_for(create_app(rt), "198.51.100.8") as desk:
        for device in (phone, desk):
            assert (await login(device, "adviser@example.org")).status_code == 303
        await _recover(rt, way, staff_id)
        for device in (phone, desk):
            await _signed_out(device)


@pytest.mark.parametrize("way", RECOVERIES[:4])
async def test_a_sign_in_checked_against_a_password_replaced_meanwhile_opens_no_session(
    served: tuple[Runtime, httpx.AsyncClient], monkeypatch: pytest.MonkeyPatch, way: str
) -> None:
    """Someone who knows the old password signs in again and again; the owner's recovery lands while one of those
    sign-ins is being checked (argon2 takes a moment). That sign-in was checked against the password as it was: it
    opens no session that outlives the recovery, and the old password opens nothing after it."""
    rt, client = served
    await add_person(rt, "admin@example.org", "admin")
    staff_id = await add_person(rt, "adviser@example.org", "adviser")
    recovered: list[str] = []

    async def checked_while_recovered(password_hash: str | None, password: str) -> bool:
        right = await verify_password(password_hash, password)
        if not recovered:
            recovered.append(way)
            await _recover(rt, way, staff_id)
        return right

    monkeypatch.setattr(login_module, "verify_password", checked_while_recovered)
    answer = await login(client, "adviser@example.org")
    assert recovered == [way]
    assert answer.status_code == 401 and "Wrong e-mail or password." in answer.text
    await _signed_out(client)
    async with rt.db.read() as conn:
        live = (
            await conn.execute(
                select(func.count()).where(staff_sessions.c.staff_id == staff_id, staff_sessions.c.revoked.is_(False))
            )
        ).scalar_one()
    assert live == 0
    assert (await login(client, "adviser@example.org")).status_code == 401


async def test_a_session_that_ended_is_forgotten_by_the_nightly_purge(
    fixed: Runtime, browser: httpx.AsyncClient
) -> None:
    """A row per sign-in, kept for ever, would say when each person worked for as long as keephome runs: a session past
    its 12 hours (a revoked one is past them by then at the latest) goes at the next purge; a live one stays."""
    await add_person(fixed, "adviser@example.org", "adviser")
    await add_person(fixed, "admin@example.org", "admin")
    assert (await login(browser, "adviser@example.org")).status_code == 303
    assert (await post_form(browser, "/console/", "/console/logout", {})).status_code == 303
    fixed.clock.offset = timedelta(hours=6)
    assert (await login(browser, "admin@example.org")).status_code == 303
    fixed.clock.offset = timedelta(hours=12, seconds=1)
    removed = await purge(fixed.db, fixed.clock(), 30)
    assert removed["staff_sessions"] == 1
    async with fixed.db.read() as conn:
        left = (await conn.execute(select(staff_sessions.c.staff_id))).scalars().all()
    assert len(left) == 1 and (await browser.get("/console/")).status_code == 200


async def _change(client: httpx.AsyncClient, current: str, new: str, repeat: str | None = None) -> httpx.Response:
    """The "Password" form under "Me", sent as the browser sends it."""
    form = {"current": current, "password": new, "repeat": new if repeat is None else repeat}
    return await post_form(client, "/console/me", "/console/me/password", form)


async def test_a_person_changes_their_password_and_is_signed_out_everywhere_else(
    served: tuple[Runtime, httpx.AsyncClient],
) -> None:
    """Signed in at the desk and on a phone left somewhere: the password changed at the desk ends the phone's session,
    the desk's goes on; the old password opens nothing, the new one does. Audited."""
    rt, _ = served
    staff_id = await add_person(rt, "volunteer@example.org", "volunteer")
    fresh = "a brand new pass phrase"
    async with client_for(create_app(rt)) as desk, client_for(create_app(rt), "198.51.100.8") as phone:
        for device in (desk, phone):
            assert (await login(device, "volunteer@example.org")).status_code == 303
        form = (await desk.get("/console/me")).text
        assert 'action="/console/me/password"' in form and 'autocomplete="current-password"' in form
        changed = await _change(desk, PASSWORD, fresh)
        assert changed.status_code == 303 and changed.headers["location"] == "/console/me?changed=1"
        said = await desk.get(changed.headers["location"])
        assert said.status_code == 200 and 'id="password-changed"' in said.text
        assert (await desk.get("/console/tasks")).status_code == 200
        await _signed_out(phone)
        assert (await login(phone, "volunteer@example.org")).status_code == 401
        assert (await login(phone, "volunteer@example.org", fresh)).status_code == 303
    async with rt.db.read() as conn:
        entries = (await conn.execute(select(audit_log.c.actor, audit_log.c.target, audit_log.c.action))).all()
        hashed = (await conn.execute(select(staff.c.password_hash).where(staff.c.id == staff_id))).scalar_one()
    assert (f"staff:{staff_id}", f"staff:{staff_id}", "staff.password_change") in entries
    assert hashed.startswith("$argon2id$") and fresh not in hashed


async def test_a_wrong_current_password_changes_nothing_and_counts_as_a_wrong_sign_in(
    fixed: Runtime, browser: httpx.AsyncClient
) -> None:
    """A session left open somewhere is no way to guess the password: a wrong current one changes nothing, ends no
    session and counts with the wrong sign-ins, so the third one makes the account wait, here and at the sign-in."""
    await add_person(fixed, "adviser@example.org", "adviser")
    assert (await login(browser, "adviser@example.org")).status_code == 303
    fresh = "a brand new pass phrase"
    for short, repeat in (("short", None), (fresh, fresh + "x")):
        refused = await _change(browser, PASSWORD, short, repeat)
        assert refused.status_code == 422 and 'id="password-error"' in refused.text
    for _ in range(3):
        wrong = await _change(browser, "a guess at the password", fresh)
        assert wrong.status_code == 422 and "The current password is not right" in wrong.text
    waiting = await _change(browser, PASSWORD, fresh)
    assert waiting.status_code == 429 and "Try again in 30 seconds." in waiting.text
    assert waiting.headers["retry-after"] == "30"
    async with client_for(create_app(fixed), "198.51.100.9") as other:
        assert (await login(other, "adviser@example.org")).status_code == 429
    assert (await browser.get("/console/")).status_code == 200
    fixed.clock.offset = timedelta(seconds=31)
    assert (await _change(browser, PASSWORD, fresh)).status_code == 303


async def test_the_staff_page_shows_whose_sign_in_waits_and_a_reset_ends_it(
    fixed: Runtime, browser: httpx.AsyncClient
) -> None:
    """Someone says "it says too many wrong attempts": the admin sees on the person's row until when signing in
    waits (Copenhagen time: 09:00:30 UTC is 10:00 there), and the reset's link, once used, ends the wait."""
    await add_person(fixed, "admin@example.org", "admin")
    adviser = await add_person(fixed, "adviser@example.org", "adviser")
    async with client_for(create_app(fixed), "203.0.113.20") as guesser:
        for _ in range(3):
            assert (await login(guesser, "adviser@example.org", "a guess at it")).status_code == 401
        assert (await login(guesser, "adviser@example.org")).status_code == 429
    assert (await login(browser, "admin@example.org")).status_code == 303

    def row(page: str, staff_id: int) -> str:
        return page.split(f'data-staff="{staff_id}"')[1].split("</tr>")[0]

    page = (await browser.get("/console/staff")).text
    assert "signing in waits until 2 Mar 10:00." in row(page, adviser)
    assert "sign-in-waits" not in page.replace(row(page, adviser), "")  # nobody else's
    reset = await post_form(browser, "/console/staff", f"/console/staff/{adviser}/reset-password", {})
    link = re.search(r'value="([^"]+)" id="setup-link"', reset.text)
    assert link is not None
    async with client_for(create_app(fixed), "203.0.113.21") as owner:
        path = link.group(1).removeprefix(BASE)
        token = csrf_of((await owner.get(path)).text)
        fresh = {"password": "a brand new pass phrase", "repeat": "a brand new pass phrase", "csrf_token": token}
        assert (await owner.post(path, data=fresh)).status_code == 303
    assert "sign-in-waits" not in (await browser.get("/console/staff")).text


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", "This is the demo: the front page lists its accounts, and the terminal that runs keephome demo prints"),
        ("da", "Dette er demoen: forsiden viser dens konti, og terminalen, hvor keephome demo kører, viser deres"),
    ],
)
async def test_the_demos_sign_in_says_where_its_accounts_and_passwords_are_and_run_says_nothing(
    settings: Settings, language: str, said: str
) -> None:
    async with started_runtime(make_settings(settings.database_url, console_language=language)) as rt:
        async with client_for(create_app(rt)) as c:
            served = (await c.get("/console/login")).text
        rt.demo = True
        async with client_for(create_app(rt)) as c:
            page = (await c.get("/console/login")).text
            front = await c.get("/")
    assert 'id="demo-accounts"' not in served and "keephome demo" not in served
    note = re.search(r'<p class="muted" id="demo-accounts">(.*?)</p>', page, re.S)
    assert note is not None and said in html.unescape(note.group(1)) and '<a href="/">' in note.group(1)
    assert front.status_code == 200  # the demo's front page, which lists the accounts
