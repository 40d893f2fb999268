"""Generated values in every console form (hypothesis), on SQLite and PostgreSQL.

With a valid session and CSRF token, each example posts generated values to every console POST route — the
known fields with plausible and odd values (NUL, lone surrogates, control characters, very long text, numbers out
of range), fields left out, extra fields, url-encoded or multipart — from the role the route is for, with the case,
tenant and people behind it in a drawn state. Whatever is posted, the answer is never a 5xx, and a refused request
(4xx) leaves every table as it was (a wrong password only counts its attempt). Without a valid token, every request
only meets the 403 and nothing is stored.

A POST route these tables do not know yet (a new page) is still posted to, with generated fields, so a new form
is covered the day it is added; `test_every_console_post_route_is_known_here` says which ones to describe.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

import httpx
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import inspect, make_url, select, text, update
from starlette.routing import Route

from bot.app import create_app
from bot.console import routes as console_routes
from bot.console.accounts import hash_token, issue_setup_link
from bot.console.sessions import COOKIE, create_session
from bot.host.cases import OUTCOMES
from bot.runtime import Clock, Runtime
from bot.store.schema import audit_log, cases, metadata, staff, staff_sessions, tenants
from bot.webhooks.limits import BodyLimits
from tests.conftest import make_settings, started_runtime
from tests.support.console import PASSWORD, add_case, add_person, add_tenant, csrf_of, login

BASE = "https://keephome.example.org"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TODAY = START.date()
CONSOLE_LIMIT = BodyLimits(None).limit_for("/console/")  # type: ignore[arg-type]
# Every example posts to every route: a tenth of the profile's examples keeps the suite quick.
EXAMPLES = max(1, settings.default.max_examples // 10)
shared_runtime = settings(
    max_examples=EXAMPLES, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)


class FixedClock(Clock):
    def __call__(self) -> datetime:
        return START + self.offset


# --- generated values ------------------------------------------------------------------------------------------------

ODD = [
    "\x00", "a\x00b", "\ud800", "x\udfffy", "\u202e", "\ufeff", "\r\n", "\t", "%00", "&", "=", "+", "'", '"', "\\",
    "<script>alert(1)</script>", "{{ 7*7 }}", "../../etc/passwd", "🙂", "ﷺ", " ", "", "-1", "0", "1e309", "NaN",
    str(2**63), str(2**64), "9" * 40, "١٢", "²", "2026-02-30", "9999-12-31", "0001-01-01",
]  # fmt: skip
odd = st.one_of(
    st.sampled_from(ODD),
    st.sampled_from([301, 1001, 5000, 70_000]).map(lambda n: "x" * n),  # past a field's limit, past the body's
    st.text(st.characters(exclude_categories=()), max_size=30),
    st.lists(st.sampled_from(ODD) | st.text(max_size=4), max_size=5).map("".join),
)


def mostly(good: st.SearchStrategy[str], *bad: st.SearchStrategy[str], oddly: bool = True) -> st.SearchStrategy[str]:
    """Good values three times in four (so that requests also get past the first check), else odd ones."""
    worse = st.one_of(odd, *bad) if oddly else st.one_of(*bad)
    return st.integers(0, 3).flatmap(lambda n: worse if n == 3 else good)


plain = st.text("abcæøå ÆØÅ0123456789.,-?!", min_size=1, max_size=60)
# A form's one-time value as keephome makes it (any length it accepts), else an odd one.
nonce = mostly(st.text("abcdefABCDEF0123456789_-", min_size=8, max_size=64))
FIELD_NAMES = ["text", "reason", "name", "scope", "email", "role", "note", "outcome", "ref", "tenant_ref", "confirm"]


@dataclass
class World:
    """The runtime, signed-in browsers with their tokens, and the ids of the people and records the forms name."""

    rt: Runtime
    app: Any
    clients: dict[str, httpx.AsyncClient]
    tokens: dict[str, str]
    ids: dict[str, int]
    emails: dict[str, str]
    extra: dict[str, Any] = field(default_factory=dict)
    # The forms and the ids' strategies, made once: hypothesis validates a strategy the first time it draws from it,
    # and the few hundred made anew for every example cost about as much as the posts.
    forms: list[Form] = field(default_factory=list)
    id_strategies: dict[str, st.SearchStrategy[str]] = field(default_factory=dict)
    # What `_snapshot` reads: the schema's tables the database has, on SQLite through a read-only connection.
    tables: list[str] = field(default_factory=list)
    reader: sqlite3.Connection | None = None


def _client(app: Any, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 40000))  # type: ignore[arg-type]
    return httpx.AsyncClient(transport=transport, base_url=BASE)


@pytest.fixture
async def world(database_url: str) -> AsyncIterator[World]:
    async with started_runtime(make_settings(database_url), FixedClock()) as rt:
        app = create_app(rt)
        emails = {
            role: f"{role}@example.org"
            for role in ("admin", "adviser", "colleague", "volunteer", "target", "newcomer", "leaver")
        }
        ids = {
            "admin": await add_person(rt, emails["admin"], "admin"),
            "adviser": await add_person(rt, emails["adviser"], "adviser"),
            "colleague": await add_person(rt, emails["colleague"], "adviser"),
            "volunteer": await add_person(rt, emails["volunteer"], "volunteer"),
            "target": await add_person(rt, emails["target"], "adviser"),
            "newcomer": await add_person(rt, emails["newcomer"], "adviser"),
            "leaver": await add_person(rt, emails["leaver"], "adviser"),
        }
        ids["tenant"] = await add_tenant(rt, "R-1", phone="+4520000001", balance_ore=250000)
        ids["case"] = await add_case(rt, ids["tenant"])
        clients: dict[str, httpx.AsyncClient] = {}
        tokens: dict[str, str] = {}
        for n, role in enumerate(("admin", "adviser", "volunteer")):
            clients[role] = _client(app, f"198.51.100.{n + 1}")
            assert (await login(clients[role], emails[role])).status_code == 303
            tokens[role] = csrf_of((await clients[role].get("/console/me")).text)
        clients["anonymous"] = _client(app, "198.51.100.9")
        tokens["anonymous"] = csrf_of((await clients["anonymous"].get("/console/login")).text)
        world = World(rt, app, clients, tokens, ids, emails)
        try:
            yield world
        finally:
            for c in clients.values():
                await c.aclose()
            if world.reader is not None:
                world.reader.close()


# --- what each route gets ------------------------------------------------------------------------------------------

Prepare = Callable[[World, st.DataObject], Awaitable[None]]


@dataclass(frozen=True)
class Form:
    """One console POST route: who posts to it, its path (with ids drawn), its fields, the state to set first."""

    pattern: str
    role: str
    fields: dict[str, st.SearchStrategy[str]]
    prepare: Prepare | None = None
    path_ids: dict[str, str] = field(default_factory=dict)  # path parameter -> key of World.ids


def _ids(world: World, key: str) -> st.SearchStrategy[str]:
    """Mostly the id of the record the form is about; else another, one that does not exist, or no id at all."""
    if key not in world.id_strategies:
        world.id_strategies[key] = _new_ids(world, key)
    return world.id_strategies[key]


def _new_ids(world: World, key: str) -> st.SearchStrategy[str]:
    return mostly(
        st.just(str(world.ids[key])),
        st.sampled_from([str(i) for i in world.ids.values()] + ["999999", "0", "-1", str(2**63), "abc", "1.0", "%00"]),
        # Any text that keeps the URL on its route (an empty, dotted or slashed segment is another URL).
        st.text(st.characters(exclude_categories=()), min_size=1, max_size=20).filter(
            lambda s: "/" not in s and s not in (".", "..")
        ),
        oddly=False,
    )


async def _case_in(world: World, data: st.DataObject) -> None:
    """The case in a drawn state: waiting, held by the adviser (also with a volunteer's task), held by a
    colleague, or closed; the tenant active or stopped."""
    state = data.draw(
        st.sampled_from(["waiting", "mine", "mine_waiting", "volunteer", "colleague", "closed"]), label="case"
    )
    event(f"case {state}")
    values: dict[str, Any] = {
        "waiting": {"status": "waiting", "assignee_id": None},
        "mine": {"status": "taken", "assignee_id": world.ids["adviser"]},
        "mine_waiting": {"status": "waiting_tenant", "assignee_id": world.ids["adviser"]},
        "volunteer": {
            "status": "volunteer",
            "assignee_id": world.ids["adviser"],
            "volunteer_id": world.ids["volunteer"],
        },
        "colleague": {"status": "taken", "assignee_id": world.ids["colleague"]},
        "closed": {"status": "closed", "assignee_id": world.ids["adviser"]},
    }[state]
    values.setdefault("volunteer_id", None)
    status = data.draw(mostly(st.just("active"), st.just("stopped"), oddly=False), label="tenant")
    async with world.rt.db.write() as conn:
        # A case an earlier example opened for the tenant (the tenant page's form, while this one was closed) ends
        # first: a tenant has one open case, and this one is the case the forms are about.
        others = (cases.c.tenant_id == world.ids["tenant"]) & (cases.c.id != world.ids["case"])
        await conn.execute(update(cases).where(others, cases.c.status != "closed").values(status="closed"))
        await conn.execute(update(cases).where(cases.c.id == world.ids["case"]).values(**values))
        await conn.execute(update(tenants).where(tenants.c.id == world.ids["tenant"]).values(status=status))


async def _target_active(world: World, data: st.DataObject) -> None:
    async with world.rt.db.write() as conn:
        await conn.execute(update(staff).where(staff.c.id == world.ids["target"]).values(active=True))


async def _setup_link(world: World, data: st.DataObject) -> None:
    """A fresh one-time link for the newcomer (the form's path uses it, or a made-up one)."""
    async with world.rt.db.write() as conn:
        await conn.execute(update(staff).where(staff.c.id == world.ids["newcomer"]).values(active=True))
        link = await issue_setup_link(conn, world.ids["newcomer"], START, BASE)
    world.extra["setup_token"] = link.rsplit("/", 1)[1]


async def _leaver_signed_in(world: World, data: st.DataObject) -> None:
    """Signing out ends a session: a throwaway one per example, so the other browsers stay signed in."""
    async with world.rt.db.write() as conn:
        cookie = await create_session(conn, world.ids["leaver"], START)
        world.tokens["leaver"] = (
            await conn.execute(select(staff_sessions.c.csrf_token).where(staff_sessions.c.id == hash_token(cookie)))
        ).scalar_one()
    if "leaver" not in world.clients:
        world.clients["leaver"] = _client(world.app, "198.51.100.8")
    world.clients["leaver"].cookies.set(COOKIE, cookie, domain="keephome.example.org", path="/console/")


def _forms(world: World) -> list[Form]:
    ids = world.ids
    day = st.integers(-3, 400).map(lambda d: (TODAY + timedelta(days=d)).isoformat())
    return [
        Form(
            "/console/login",
            "anonymous",
            {
                "email": mostly(
                    st.sampled_from([world.emails["admin"], world.emails["volunteer"], "nobody@example.org"])
                ),
                "password": mostly(st.sampled_from([PASSWORD, "wrong password"])),
            },
        ),
        Form("/console/logout", "leaver", {}, _leaver_signed_in),
        Form(
            "/console/setup/{token}",
            "anonymous",
            {
                "password": mostly(st.just("a new long pass phrase"), plain),
                "repeat": mostly(st.just("a new long pass phrase"), plain),
            },
            _setup_link,
        ),
        Form("/console/cases/{case_id}/take", "adviser", {"nonce": nonce}, _case_in, {"case_id": "case"}),
        Form("/console/cases/{case_id}/release", "adviser", {"nonce": nonce}, _case_in, {"case_id": "case"}),
        Form(
            "/console/cases/{case_id}/reply",
            "adviser",
            {
                "text": mostly(plain, st.just("Du skylder 2.500 kr")),
                "nonce": nonce,
                "confirm": mostly(st.sampled_from(["1", "0"])),
            },
            _case_in,
            {"case_id": "case"},
        ),
        Form("/console/cases/{case_id}/note", "adviser", {"text": mostly(plain)}, _case_in, {"case_id": "case"}),
        Form(
            "/console/cases/{case_id}/cancel-appointment",
            "adviser",
            {"task_id": mostly(st.integers(0, 10**6).map(str), plain), "nonce": nonce},
            _case_in,
            {"case_id": "case"},
        ),
        Form(
            "/console/cases/{case_id}/task",
            "adviser",
            {
                "task": mostly(plain, st.just("Ring om gælden på 2.500 kr")),
                "due": mostly(day),
                "volunteer_id": mostly(st.just(str(ids["volunteer"])), st.sampled_from([str(ids["adviser"]), "0"])),
            },
            _case_in,
            {"case_id": "case"},
        ),
        Form(
            "/console/cases/{case_id}/close",
            "adviser",
            {"outcome": mostly(st.sampled_from(OUTCOMES)), "note": mostly(plain)},
            _case_in,
            {"case_id": "case"},
        ),
        Form(
            "/console/cases/{case_id}/reassign",
            "admin",
            {
                "adviser_id": mostly(
                    st.sampled_from([str(ids["colleague"]), str(ids["adviser"]), str(ids["volunteer"])])
                )
            },
            _case_in,
            {"case_id": "case"},
        ),
        Form(
            "/console/tenants/{tenant_id}/cases",
            "adviser",
            {"reason": mostly(plain)},
            _case_in,
            {"tenant_id": "tenant"},
        ),
        Form(
            "/console/tasks/{case_id}/send",
            "volunteer",
            {"template": mostly(st.sampled_from(["volunteer.appointment_reminder", "volunteer.call_tomorrow"]))},
            _case_in,
            {"case_id": "case"},
        ),
        Form("/console/tasks/{case_id}/done", "volunteer", {}, _case_in, {"case_id": "case"}),
        Form("/console/tasks/{case_id}/needs-adviser", "volunteer", {}, _case_in, {"case_id": "case"}),
        Form(
            "/console/staff",
            "admin",
            {
                "email": mostly(
                    st.integers(0, 10**6).map(lambda n: f"person{n}@example.org"), st.just(world.emails["target"])
                ),
                "role": mostly(st.sampled_from(["admin", "adviser", "volunteer"])),
            },
        ),
        Form("/console/staff/{staff_id}/reset-password", "admin", {}, _target_active, {"staff_id": "target"}),
        Form(
            "/console/staff/{staff_id}/role",
            "admin",
            {"role": mostly(st.sampled_from(["admin", "adviser", "volunteer"]))},
            _target_active,
            {"staff_id": "target"},
        ),
        Form(
            "/console/staff/{staff_id}/deactivate",
            "admin",
            {"confirmed": mostly(st.just("yes"))},
            _target_active,
            {"staff_id": "target"},
        ),
        Form("/console/me", "adviser", {"notify_telegram": mostly(st.sampled_from(["1", "0"]))}),
        Form("/console/me/telegram-code", "adviser", {}),
        Form("/console/admin/pause", "admin", {"paused": mostly(st.sampled_from(["on", "off"]))}),
    ]


def post_routes() -> list[str]:
    """Every console route that takes a POST, as the app mounts them."""
    return sorted({r.path for r in console_routes() if isinstance(r, Route) and r.methods and "POST" in r.methods})


_PARAM = re.compile(r"\{(\w+)\}")


def _unknown(pattern: str) -> Form:
    """A route these tables do not describe: the usual field names with generated values, from an admin, with
    drawn ids in its path."""
    fields = {name: mostly(plain) for name in FIELD_NAMES}
    return Form(pattern, "admin", fields, None, {name: "case" for name in _PARAM.findall(pattern)})


def _all_forms(world: World) -> list[Form]:
    if not world.forms:
        known = _forms(world)
        described = {f.pattern for f in known}
        world.forms = known + [_unknown(p) for p in post_routes() if p not in described]
    return world.forms


# --- posting -------------------------------------------------------------------------------------------------------


def _path(world: World, form: Form, data: st.DataObject) -> str:
    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "token":
            made_up = st.sampled_from(["x" * 43, "%00", "\x00", "ä" * 300])
            raw = data.draw(mostly(st.just(world.extra.get("setup_token", "")), made_up, oddly=False), label="link")
        else:
            raw = data.draw(_ids(world, form.path_ids.get(name, "case")), label=name)
        return quote(raw.encode("utf-8", "surrogatepass"), safe="")

    return _PARAM.sub(fill, form.pattern)


def _body(pairs: list[tuple[str, str]], multipart: bool) -> tuple[bytes, str]:
    if not multipart:
        return urlencode(pairs, encoding="utf-8", errors="surrogatepass").encode(), "application/x-www-form-urlencoded"
    boundary = "keephome-form-boundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode("utf-8", "surrogatepass")
        + value.encode("utf-8", "surrogatepass")
        + b"\r\n"
        for name, value in pairs
    ]
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


_LEAVE_OUT = st.integers(0, 7)
_EXTRA_FIELDS = st.lists(st.tuples(st.sampled_from(FIELD_NAMES) | odd, odd), max_size=2)


def _pairs(form: Form, data: st.DataObject) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for name, values in form.fields.items():
        if data.draw(_LEAVE_OUT, label=f"leave out {name}?") != 0:
            pairs.append((name, data.draw(values, label=name)))
    extra = data.draw(_EXTRA_FIELDS, label="extra fields")
    return pairs + extra


@dataclass(frozen=True)
class Snapshot:
    """A digest of every row of every table, and the newest audit entry's id (the entries a request added follow)."""

    digests: dict[str, str]
    last_audit_id: int


def _sqlite_snapshot(conn: sqlite3.Connection, names: list[str]) -> Snapshot:
    """The snapshot of a SQLite file read with plain sqlite3 in one read transaction (through aiosqlite every row
    crossed threads: the snapshots were most of this file's time)."""
    conn.execute("BEGIN")
    try:
        digests: dict[str, str] = {}
        for name in names:
            rows = sorted(repr(row) for row in conn.execute(f'SELECT * FROM "{name}"'))
            digests[name] = hashlib.sha256("\n".join(rows).encode("utf-8", "surrogatepass")).hexdigest()
        [(last,)] = conn.execute(f'SELECT coalesce(max(id), 0) FROM "{audit_log.name}"')
        return Snapshot(digests, int(last))
    finally:
        conn.rollback()


async def _snapshot(world: World) -> Snapshot:
    """The rows of every table and the newest audit id, in one read (PostgreSQL computes them in one statement).

    SQLite's is read in the event loop through a read-only connection the world keeps: nothing else runs while the
    test waits for it, and a new connection per snapshot parsed the schema every time."""
    rt = world.rt
    if not world.tables:
        async with rt.db.read() as conn:
            present = set(await conn.run_sync(lambda sync: inspect(sync).get_table_names()))
        world.tables = [t.name for t in metadata.sorted_tables if t.name in present]
    if rt.db.is_sqlite:
        if world.reader is None:
            path = str(make_url(rt.db.url).database)
            world.reader = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
        return _sqlite_snapshot(world.reader, world.tables)
    columns = ", ".join(
        f"(SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM \"{name}\" t)"
        for name in world.tables
    )
    last = f'(SELECT coalesce(max(id), 0) FROM "{audit_log.name}")'
    async with rt.db.read() as conn:
        row = (await conn.execute(text(f"SELECT {columns}, {last}"))).one()
    return Snapshot(dict(zip(world.tables, map(str, row[:-1]), strict=True)), int(row[-1]))


def _changed(before: Snapshot, after: Snapshot) -> list[str]:
    """The tables whose rows differ."""
    return sorted(name for name, digest in before.digests.items() if after.digests.get(name) != digest)


# The reason a form sent back at itself says, at the form (templates/console/_sent_back.html).
_SENT_BACK = re.compile(r'<p class="error" role="alert" id="[a-z0-9-]+-error" tabindex="-1" autofocus>')
# The page a form came back on says its address (base.html), unless the form posts to its page's own address.
_ADDRESS = re.compile(r'<main id="main" tabindex="-1" data-address="([^"]*)">')
# The view each page that shows a tenant's data audits (every other page a form comes back on audits nothing).
_VIEWS = [
    (re.compile(r"/console/cases/\d+"), "case.view"),
    (re.compile(r"/console/tenants/\d+"), "tenant.view"),
    (re.compile(r"/console/tenants/\d+/kommune-notice"), "kommune_notice.view"),
    (re.compile(r"/console/tasks"), "tasks.view"),
]


def _view_of(response: httpx.Response) -> str | None:
    """The audit entry of the view of the page a form came back on, if that page audits its view."""
    said = _ADDRESS.search(response.text)
    address = said.group(1) if said is not None else response.url.path
    return next((view for page, view in _VIEWS if page.fullmatch(address)), None)


async def _check_refusal(world: World, form: Form, response: httpx.Response, changed: list[str], seen: int) -> None:
    """A 4xx stores nothing; a refused sign-in only counts its attempt (and says so in the audit log)."""
    if form.pattern == "/console/login" and response.status_code in (401, 429):
        assert set(changed) <= {"audit_log", "login_attempts"}, changed
        async with world.rt.db.read() as conn:
            new = (await conn.execute(select(audit_log.c.action).where(audit_log.c.id > seen))).scalars().all()
        assert new in ([], ["login.failed"]), new
        return
    if response.status_code == 422 and _SENT_BACK.search(response.text):
        # A form sent back at itself on its page (bot/console/sent_back.py): a page that shows the tenant's data again
        # audits that view (the tasks page in as many entries as its ids need), and nothing else is stored.
        assert set(changed) <= {"audit_log", "audit_names"}, changed  # the entry, and the tenant it names
        async with world.rt.db.read() as conn:
            new = (await conn.execute(select(audit_log.c.action).where(audit_log.c.id > seen))).scalars().all()
        view = _view_of(response)
        assert set(new) <= ({view} if view else set()), (form.pattern, response.url.path, view, new)
        return
    assert changed == [], (form.pattern, response.status_code, response.text[:300], changed)


_MULTIPART = st.integers(0, 4)


async def _post(
    world: World, form: Form, data: st.DataObject, *, token: str | None, client: httpx.AsyncClient | None = None
) -> httpx.Response:
    client = client or world.clients[form.role]
    path = _path(world, form, data)
    pairs = _pairs(form, data)
    if token is not None:
        pairs.append(("csrf_token", token))  # last: the form's value of a repeated field is its last one
    multipart = data.draw(_MULTIPART, label="multipart?") == 0
    body, content_type = _body(pairs, multipart)
    response = await client.post(path, content=body, headers={"content-type": content_type})
    if response.status_code == 413:  # refused before any route reads it, and only then
        assert len(body) > CONSOLE_LIMIT.max_bytes or len(pairs) > CONSOLE_LIMIT.max_fields, response.text
    return response


# --- the properties ------------------------------------------------------------------------------------------------


def test_the_routes_described_here_are_the_consoles() -> None:
    """A described route that was renamed or removed would leave its form untested (a new route still gets
    generated fields from `_unknown`)."""
    described = {
        "/console/login", "/console/logout", "/console/setup/{token}", "/console/staff", "/console/me",
        "/console/me/telegram-code", "/console/admin/pause", "/console/tenants/{tenant_id}/cases",
        *(f"/console/cases/{{case_id}}/{a}" for a in ("take", "release", "reply", "note", "task", "close", "reassign")),
        *(f"/console/tasks/{{case_id}}/{a}" for a in ("send", "done", "needs-adviser")),
        *(f"/console/staff/{{staff_id}}/{a}" for a in ("reset-password", "role", "deactivate")),
    }  # fmt: skip
    assert described <= set(post_routes())


@pytest.mark.slow
@shared_runtime
@given(data=st.data())
async def test_generated_values_in_every_form_never_fail_and_a_refusal_stores_nothing(
    world: World, data: st.DataObject
) -> None:
    for form in _all_forms(world):
        if form.prepare is not None:
            await form.prepare(world, data)
        before = await _snapshot(world)
        response = await _post(world, form, data, token=world.tokens[form.role])
        assert response.status_code < 500, (form.pattern, response.status_code, response.text[:500])
        event(f"{form.pattern} {response.status_code}")
        if 400 <= response.status_code < 500:
            changed = _changed(before, await _snapshot(world))
            await _check_refusal(world, form, response, changed, before.last_audit_id)


# SQLite only: the 403 is the session's and the form token's, which every form meets before its own statements; the
# sessions' reads on PostgreSQL are the generated-values test's and the access table's (test_access.py).
@pytest.mark.slow
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@shared_runtime
@given(data=st.data())
async def test_without_a_valid_token_every_form_only_meets_the_403(world: World, data: st.DataObject) -> None:
    forms = _all_forms(world)
    # Each request would be a valid one with its token: a setup link, a session to end. Each state is set once: the
    # forms about the case share its one drawn state (set anew for each form, only the last one's stood).
    for prepare in dict.fromkeys(form.prepare for form in forms if form.prepare is not None):
        await prepare(world, data)
    before = await _snapshot(world)
    for form in forms:
        right = world.tokens[form.role]
        token = data.draw(
            st.one_of(
                st.none(),
                st.sampled_from(["", right[:-1], right + "x", right.upper(), " " + right]),
                st.sampled_from([t for t in world.tokens.values() if t != right]),
                odd,
            ).filter(lambda t, right=right: t != right),
            label="token",
        )
        signed_out = form.role != "anonymous" and data.draw(st.booleans(), label="without the session cookie?")
        if signed_out:
            async with _client(world.app, "198.51.100.7") as stranger:
                response = await _post(world, form, data, token=token, client=stranger)
        else:
            response = await _post(world, form, data, token=token)
        if form.pattern == "/console/setup/{token}" and response.status_code == 404:
            # A made-up setup link is refused before its form is read (the page would say the same).
            event("setup link made up: 404")
        elif response.status_code != 413:  # a body over the console's limit is refused before it is read
            assert response.status_code == 403, (form.pattern, response.status_code, response.text[:300])
    assert _changed(before, await _snapshot(world)) == []
