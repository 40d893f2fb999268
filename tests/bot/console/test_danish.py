"""The console, the phone simulator and the demo's front page in Danish (and in English), every page.

How a page is checked: while it is rendered, every translation the catalogue gives (`bot/i18n.py`) comes back
wrapped in invisible marks, and the values put into it in marks of their own. A page is then read as a person
reads it — every text node outside script, style and code, a button's value, a field's placeholder, a title,
an alt or aria-label — and:

- text outside the marks (a template's or the code's own words) must be data: what the test stored (names,
  e-mails, the bot's messages, audit entries), a date, an amount, a number, a reference like `case:3`, a command
  or path, or one of a few names that are the same in every language (keephome, Telegram, SMS, …). A word left
  over is a string that never went through the catalogue;
- every msgid a page asked for must have a Danish entry in `da.po` (neither missing nor empty nor fuzzy).

The same pages in English (the other console language) must hold no text outside the marks either, so neither
language shows words the other one wrote. A second test keeps `da.po` itself whole: no empty or fuzzy entry,
and no entry the code no longer asks for.
"""

from __future__ import annotations

import gettext as gettext_module
import re
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest
from babel.messages.pofile import read_po
from sqlalchemy import insert, select
from starlette.routing import Route

from bot import i18n
from bot.api.keys import SCOPES
from bot.app import create_app
from bot.console import routes as console_routes
from bot.console.accounts import ROLES, issue_setup_link
from bot.console.outcome_charts import CHARTS
from bot.i18n import LANGUAGE_NAMES
from bot.inbound.inbox import InboundMessage
from bot.runtime import Runtime
from bot.store import schema
from tests.conftest import make_settings, started_runtime
from tests.support.console import add_case, add_person, add_tenant, csrf_of, login, today
from tests.support.drive import drain, process_all

ROOT = Path(__file__).resolve().parents[3]
PO = ROOT / "templates" / "console" / "locale" / "da.po"

# The marks: a translation is OPEN … CLOSE, a value inside it VALUE … END (private-use characters).
OPEN, CLOSE, VALUE, END = "\ue000", "\ue001", "\ue002", "\ue003"
_PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")

# Words that are the same in Danish and English: names of things, commands, keywords a tenant types.
PROPER_NOUNS = {
    "keephome",
    "Telegram",
    "SMS",
    "Twilio",
    "CSV",
    "API",
    "REST",
    "JSON",
    "HTML",
    "STOP",
    "START",
    "HJÆLP",
    "FORKERT",
    "NUMMER",
    "ENGLISH",
    "TELEGRAM",
    "STAFF",
    "hej",
    "Ctrl",
}
_DATA_SHAPES = [
    # Dates and times as the console shows them (Babel, da_DK and en_GB) and ISO.
    re.compile(r"\d{1,2}\. (jan|feb|mar|apr|maj|jun|jul|aug|sep|okt|nov|dec)\.?(\s\d{4})?(\s\d{1,2}[:.]\d{2})?"),
    re.compile(r"\d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)(\s\d{4})?(\s\d{1,2}:\d{2})?"),
    re.compile(r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sept?|Oct|Nov|Dec) \d{4}"),
    re.compile(r"\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2})?)?"),
    # Money (Babel's Danish kroner, British English DKK) and plain numbers.
    re.compile(r"-?[\d.]+(,\d+)?\s?kr\.?"),
    re.compile(r"-?DKK\s?-?[\d,]+(\.\d+)?"),
    # E-mail addresses, URLs and paths, environment settings, commands and codes like case:12 or role=adviser.
    re.compile(r"\S+@\S+"),
    re.compile(r"https?://\S+|/[\w./{}…-]+"),
    re.compile(r"KEEPHOME_\w+"),
    re.compile(r"keephome(\s+[a-z-]+)*(\s+[A-Z_]+)?"),
    re.compile(r"\b[a-z_]+[:=]\S*"),
    # A form field's name, quoted in an error ("'due' skal udfyldes").
    re.compile(r"'[\w-]+'"),
    re.compile(r"@\w+"),
    re.compile(r"\d+"),
]
_WORD = re.compile(r"[^\W\d_]{2,}")
# What the test types into the console's forms (shown back on a page as data).
TYPED = (
    "Ringer mandag.",
    "Du skylder 7.100 kr.",
    "Vi ringer i morgen.",
    "Ring til lejeren",
    "Lejesystem",
    "nobody",
    "Jobcenter Aarhus, Ydelse",
    "Hjælp til huslejen",
    # The SMS check names the debt word it found in what the test typed.
    "skyld",
    # A search for a part of two tenants' names, said back above what it found.
    "sen",
)
_SKIPPED_TAGS = {"script", "style", "code", "pre"}
_SHOWN_ATTRIBUTES = ("title", "alt", "placeholder", "aria-label")


class Marking(gettext_module.NullTranslations):
    """A catalogue that returns its translations inside the marks and notes every msgid asked for."""

    def __init__(self, real: gettext_module.NullTranslations, asked: set[str]) -> None:
        super().__init__()
        self.real = real
        self.asked = asked

    @staticmethod
    def _mark(text: str) -> str:
        return OPEN + _PLACEHOLDER.sub(lambda m: VALUE + m.group(0) + END, text) + CLOSE

    def gettext(self, message: str) -> str:
        self.asked.add(message)
        return self._mark(self.real.gettext(message))

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        self.asked.add(msgid1)
        return self._mark(self.real.ngettext(msgid1, msgid2, n))


class _Reader(HTMLParser):
    """What a person reads on a page: text nodes (in order, one string) and the attributes shown apart."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.attributes: list[str] = []
        self._skipping: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag in _SKIPPED_TAGS:
            self._skipping.append(tag)
        for name in _SHOWN_ATTRIBUTES:
            if values.get(name):
                self.attributes.append(str(values[name]))
        if tag == "input" and values.get("type") in ("submit", "button", "reset") and values.get("value"):
            self.attributes.append(str(values["value"]))

    def handle_endtag(self, tag: str) -> None:
        if self._skipping and self._skipping[-1] == tag:
            self._skipping.pop()

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.text.append(data)


def _free_text(text: str) -> list[str]:
    """The runs of `text` outside any translation: a template's own words, or the values put into one."""
    runs: list[str] = []
    current: list[str] = []
    stack: list[str] = []
    for ch in text:
        if ch in (OPEN, VALUE):
            stack.append(ch)
            runs.append("".join(current))
            current = []
        elif ch in (CLOSE, END):
            if stack:
                stack.pop()
            runs.append("".join(current))
            current = []
        elif not stack or stack[-1] == VALUE:
            current.append(ch)
    runs.append("".join(current))
    return [run.strip() for run in runs if run.strip()]


def _words_left(run: str, data: re.Pattern[str]) -> list[str]:
    """The words of `run` that are not data, a shape of data, or a proper noun."""
    run = data.sub(" ", " ".join(run.split()))
    for shape in _DATA_SHAPES:
        run = shape.sub(" ", run)
    run = data.sub(" ", " ".join(run.split()))
    return [word for word in _WORD.findall(run) if word not in PROPER_NOUNS]


@dataclass
class Findings:
    """What the pages showed that no catalogue said, and the msgids without a Danish entry."""

    untranslated_text: dict[str, set[str]] = field(default_factory=dict)
    pages: int = 0
    words: dict[str, list[str]] = field(default_factory=dict)

    def read(self, where: str, html: str, data: re.Pattern[str]) -> None:
        reader = _Reader()
        reader.feed(html)
        self.pages += 1
        for part in ("\n".join(reader.text), *reader.attributes):
            for run in _free_text(part):
                left = _words_left(run, data)
                if left:
                    key = " ".join(run.split())[:120]
                    self.untranslated_text.setdefault(key, set()).add(where)
                    self.words[key] = left

    def report(self) -> str:
        return "\n".join(
            f"  {' '.join(self.words[text])!r} in {text!r} on {sorted(pages)[:2]}"
            for text, pages in sorted(self.untranslated_text.items())
        )


@pytest.fixture
def asked(monkeypatch: pytest.MonkeyPatch) -> set[str]:
    """Every msgid the pages ask the catalogue for; the translations come back marked."""
    real = i18n.translations
    seen: set[str] = set()
    monkeypatch.setattr(i18n, "translations", lambda language: Marking(real(language), seen))
    return seen


@dataclass
class World:
    """A small organisation with something on every page."""

    rt: Runtime
    ids: dict[str, Any]
    emails: dict[str, str]


async def _tenant_writes(rt: Runtime, phone: str, texts: list[str]) -> None:
    for n, text in enumerate(texts):
        await rt.inbox.submit(InboundMessage("sms", f"SM-danish-{phone}-{n}", phone, text))
        await process_all(rt.processor)
        await drain(rt.sender)


async def _build(rt: Runtime) -> World:
    day = today(rt)
    emails = {role: f"{role}@boligselskab.example.dk" for role in ROLES}
    ids: dict[str, Any] = {}
    for role, email in emails.items():
        person = await add_person(rt, email, role)
        if role == "adviser":
            ids["staff_id"] = person  # the admin's question before deactivating someone
    ids["tenant_id"] = await add_tenant(
        rt,
        "1042-3-12",
        name="Birgitte Sørensen",
        phone="+4520000001",
        balance_ore=710_050,
        monthly_rent_ore=650_000,
        demand_sent_on=day - timedelta(days=5),
        court_date=day + timedelta(days=20),
        promise_on=day + timedelta(days=30),
    )
    ids["case_id"] = await add_case(rt, ids["tenant_id"], reason="tenant_asked")
    await _tenant_writes(rt, "+4520000001", ["Hej"])
    # A tenant with a running påkrav who says they have paid (the inbox's "to check" list).
    await add_tenant(
        rt,
        "1042-5-01",
        name="Karim Nielsen",
        phone="+4520000002",
        balance_ore=300_000,
        demand_sent_on=day - timedelta(days=3),
        paid_claim_until=day + timedelta(days=5),
    )
    # An urgent outreach case the planner opened, in the planner's words.
    outreach_reason = f"urgent outreach: court date {(day + timedelta(days=9)).isoformat()} known; owes"
    karim = (await _ids_of(rt, "1042-5-01"))[0]
    await add_case(rt, karim, origin="outreach", consent=False, reason=outreach_reason)
    # A wrong number (the admin page) and a case the adviser closes (outcomes).
    await add_tenant(rt, "1042-7-02", name="Lone Berg", phone="+4520000003", status="wrong_number")
    closed_tenant = await add_tenant(rt, "1042-9-09", name="Mads Holm", phone="+4520000004", balance_ore=90_000)
    ids["closed_case"] = await add_case(rt, closed_tenant, origin="manual", reason="ringede selv")
    async with rt.db.write() as conn:
        token_link = await issue_setup_link(conn, 1, rt.clock(), rt.settings.public_url)
        if "caretaker" in ROLES and hasattr(schema, "case_tasks"):
            caretaker = (
                await conn.execute(select(schema.staff.c.id).where(schema.staff.c.email == emails["caretaker"]))
            ).scalar_one()
            at = rt.clock()
            ids["task_id"] = (
                await conn.execute(
                    insert(schema.case_tasks)
                    .values(
                        case_id=ids["case_id"],
                        tenant_id=ids["tenant_id"],
                        kind="postcard",
                        status="open",
                        assignee_id=caretaker,
                        due_on=day,
                        created_at=at,
                        updated_at=at,
                    )
                    .returning(schema.case_tasks.c.id)
                )
            ).scalar_one()
    ids["token"] = token_link.rsplit("/", 1)[1]
    ids["chart"] = next(iter(CHARTS))
    return World(rt, ids, emails)


async def _data(world: World) -> re.Pattern[str]:
    """Every text the test stored or the bot wrote: shown on pages as it is, in any language."""
    columns = {
        "tenants": ("name", "tenant_ref", "phone", "address"),
        "messages": ("text",),
        "staff": ("email", "organisation"),
        "cases": ("volunteer_task",),
        "audit_log": ("actor", "target", "detail"),
        "api_keys": ("name",),
    }
    found: set[str] = set()
    async with world.rt.db.read() as conn:
        for table_name, names in columns.items():
            table = getattr(schema, table_name)
            wanted = [table.c[name] for name in names if name in table.c]
            assert wanted, f"{table_name} has none of {names}"
            for row in (await conn.execute(select(*wanted))).all():
                found.update(str(value) for value in row if isinstance(value, str) and value.strip())
    settings = world.rt.settings
    found.update([settings.org_name, settings.adviser_name, settings.adviser_hours, *settings.forbidden_words])
    # What the test typed into forms, the API's scope codes and each language's own name ("Dansk", "English").
    found.update(TYPED)
    found.update(SCOPES)
    found.update(LANGUAGE_NAMES.values())
    # Tenant texts (templates/<language>/*.txt, their own catalogue): the console shows them as the tenant reads them.
    for path in (ROOT / "templates").glob("*/*.txt"):
        for line in path.read_text(encoding="utf-8").splitlines():
            found.update(piece.strip() for piece in re.split(r"{{.*?}}|{%.*?%}", line) if len(piece.strip()) > 1)
    async with world.rt.db.read() as conn:
        names = (await conn.execute(select(schema.tenants.c.name))).scalars().all()
        # What an adviser typed as the reason of a case opened by hand (other reasons are codes or the planner's).
        typed = select(schema.cases.c.reason).where(schema.cases.c.origin == "manual")
        found.update((await conn.execute(typed)).scalars().all())
    found.update(word for name in names if name for word in name.split())
    return _pattern(found)


def _pattern(texts: set[str]) -> re.Pattern[str]:
    """One pattern for all the data, whole words only, longest first, spaces as any run of white space."""
    pieces = sorted({" ".join(t.split()) for t in texts if t.strip()}, key=len, reverse=True)
    alternatives = "|".join(r"\s+".join(re.escape(word) for word in piece.split()) for piece in pieces)
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")


async def _ids_of(rt: Runtime, ref: str) -> list[int]:
    async with rt.db.read() as conn:
        query = select(schema.tenants.c.id).where(schema.tenants.c.tenant_ref == ref)
        return [int(i) for i in (await conn.execute(query)).scalars().all()]


def _get_routes() -> list[str]:
    return [r.path for r in console_routes() if isinstance(r, Route) and "GET" in (r.methods or ())]


def _filled(path: str, ids: dict[str, Any]) -> str | None:
    names = re.findall(r"{(\w+)}", path)
    missing = [name for name in names if name not in ids]
    assert not missing, f"{path}: the test does not know which {missing} to open; seed one in _build"
    for name in names:
        path = path.replace("{" + name + "}", str(ids[name]))
    return path


@dataclass
class Visit:
    """One pass over every page as every role, reading each HTML answer into `findings`."""

    world: World
    data: re.Pattern[str]
    findings: Findings = field(default_factory=Findings)
    statuses: dict[str, int] = field(default_factory=dict)

    def read(self, where: str, response: httpx.Response) -> None:
        self.statuses[where] = response.status_code
        assert response.status_code < 500, f"{where}: {response.status_code}"
        if response.headers.get("content-type", "").startswith("text/html"):
            self.findings.read(where, response.text, self.data)

    async def token(self, client: httpx.AsyncClient) -> str:
        return csrf_of((await client.get("/console/me")).text)

    async def post(self, client: httpx.AsyncClient, where: str, path: str, form: dict[str, str]) -> httpx.Response:
        response = await client.post(path, data={**form, "csrf_token": await self.token(client)})
        self.read(where, response)
        return response

    async def every_page(self) -> None:
        world = self.world
        async with _client(world.rt) as anonymous:
            self.read("login", await anonymous.get("/console/login"))
            self.read("setup", await anonymous.get(f"/console/setup/{world.ids['token']}"))
            self.read("setup, a spent link", await anonymous.get("/console/setup/not-a-token"))
            self.read("wrong password", await login(anonymous, world.emails["adviser"], "not the password"))
            # Too many wrong passwords: the first wait is said in seconds.
            for _ in range(4):
                locked = await login(anonymous, "laast@boligselskab.example.dk", "not the password")
            assert locked.status_code == 429
            self.read("wrong passwords, a wait", locked)
            # A password too long for the setup form.
            setup = await anonymous.get(f"/console/setup/{world.ids['token']}")
            huge = {"password": "x" * 5000, "repeat": "x" * 5000, "csrf_token": csrf_of(setup.text)}
            self.read("setup, too long", await anonymous.post(f"/console/setup/{world.ids['token']}", data=huge))
            # A form sent after signing out: the page links the sign-in, which leads back.
            signed_out = await anonymous.post(f"/console/cases/{world.ids['case_id']}/note", data={"csrf_token": "x"})
            assert signed_out.status_code == 403 and 'id="sign-in"' in signed_out.text
            self.read("a form after signing out", signed_out)
            # A reply typed before the session ended: shown back to copy.
            typed = {"csrf_token": "x", "text": "Vi ringer i morgen."}
            kept = await anonymous.post(f"/console/cases/{world.ids['case_id']}/reply", data=typed)
            assert kept.status_code == 403 and 'id="typed"' in kept.text
            self.read("a reply after signing out", kept)
            self.read("login, then back", await anonymous.get("/console/login?next=/console/staff"))
            self.read("simulator", await anonymous.get("/simulator"))
            # The words the simulator's script writes into its page: each tenant's stage and status, and each
            # reminder of the day's plan: its stage and why.
            tenants = (await anonymous.get("/simulator/api/tenants")).json()
            words = [t["stage"] for t in tenants] + [t["status_words"] for t in tenants]
            plan = (await anonymous.get("/simulator/api/preview")).json()["would_plan"]
            words += [r["stage_words"] for r in plan] + [r["reason_words"] for r in plan]
            assert words and all(word.startswith(OPEN) for word in words), words
            self.read("demo front page", await anonymous.get("/"))
        for role in ("adviser", "admin"):
            async with _client(world.rt) as client:
                assert (await login(client, world.emails[role])).status_code == 303
                await (self.adviser_works(client) if role == "adviser" else self.admin_works(client))
        for role, email in world.emails.items():
            async with _client(world.rt) as client:
                assert (await login(client, email)).status_code == 303
                for path in _get_routes():
                    target = _filled(path, world.ids)
                    self.read(f"{role} {path}", await client.get(target))
                self.read(f"{role} 404", await client.get("/console/cases/999999"))
                self.read(f"{role} 404 tenant", await client.get("/console/tenants/999999"))
                self.read(f"{role} empty lookup", await client.get("/console/tenants?ref="))
                # "sen" is in two names (Birgitte Sørensen, Karim Nielsen): the list of those found.
                self.read(f"{role} lookup by name", await client.get("/console/tenants?ref=sen"))
                self.read(f"{role} 422 inbox filter", await client.get("/console/?status=nonsense"))
                self.read(f"{role} me, saved", await client.get("/console/me?saved=1"))
                if role == "adviser":
                    await self.poller(client)

    async def poller(self, client: httpx.AsyncClient) -> None:
        """The words the case page's script writes in (the case's status, what became of each message)."""
        answer = await client.get(f"/console/cases/{self.world.ids['case_id']}/messages.json")
        data = answer.json()
        shown = [data["status_label"], *(d["label"] for d in data["deliveries"].values())]
        shown += [d["why"] for d in data["deliveries"].values() if d["why"]]
        assert data["deliveries"] and all(text.startswith(OPEN) for text in shown), shown

    async def adviser_works(self, client: httpx.AsyncClient) -> None:
        case = self.world.ids["case_id"]
        await self.post(client, "take", f"/console/cases/{case}/take", {})
        await self.post(client, "note", f"/console/cases/{case}/note", {"text": "Ringer mandag."})
        await self.refer(client, case)
        reply = {"text": "Du skylder 7.100 kr.", "nonce": "danish-1"}
        await self.post(client, "reply by SMS, with warnings", f"/console/cases/{case}/reply", reply)
        await self.post(client, "reply", f"/console/cases/{case}/reply", {"text": "Vi ringer i morgen.", "nonce": "d2"})
        self.read("case page after work", await client.get(f"/console/cases/{case}"))
        await self.post(client, "task, no volunteer", f"/console/cases/{case}/task", {"task": "Ring til lejeren"})
        closed = self.world.ids["closed_case"]
        await self.post(client, "take the other", f"/console/cases/{closed}/take", {})
        await self.post(client, "close", f"/console/cases/{closed}/close", {"outcome": "paid", "note": ""})
        self.read("inbox, a case closed", await client.get(f"/console/?closed={closed}&cancelled=1"))
        other = {"outcome": "other", "note": ""}
        assert (
            await self.post(client, "close, other without a note", f"/console/cases/{case}/close", other)
        ).status_code == 422
        await self.post(client, "close, no outcome", f"/console/cases/{case}/close", {"outcome": "nonsense"})
        await self.post(client, "a closed case taken", f"/console/cases/{closed}/take", {})
        await self.post(client, "telegram code", "/console/me/telegram-code", {})

    async def refer(self, client: httpx.AsyncClient, case: int) -> None:
        """A signed consent for the kommune, then a referral resting on it."""
        consent = {
            "method": "signed_form",
            "recipient_kind": "kommune",
            "recipient": TYPED[6],
            "kinds": ["rent_position", "letters", "household", "contact"],
            "purpose": TYPED[7],
            "signed_on": today(self.world.rt).isoformat(),
            "nonce": "consent-form-1",
        }
        await self.post(client, "consent", f"/console/cases/{case}/consents/record", consent)
        async with self.world.rt.db.read() as conn:
            consent_id = (
                await conn.execute(select(schema.consents.c.id).where(schema.consents.c.recipient_kind == "kommune"))
            ).scalar()
        referral = {"help": ["one_off_grant", "rent_help"], "consent_id": str(consent_id), "nonce": "referral-form-1"}
        await self.post(client, "referral", f"/console/cases/{case}/referrals", referral)
        async with self.world.rt.db.read() as conn:
            found = (await conn.execute(select(schema.referrals.c.id))).scalar()
        if found is not None:
            self.world.ids["referral_id"] = found

    async def admin_works(self, client: httpx.AsyncClient) -> None:
        await self.post(client, "api key", "/console/admin/api-keys", {"name": "Lejesystem", "scope": "read"})
        await self.post(client, "api key, no name", "/console/admin/api-keys", {"name": " ", "scope": "read"})
        await self.post(client, "staff, bad e-mail", "/console/staff", {"email": "nobody", "role": "adviser"})
        await self.post(client, "staff link", "/console/staff/2/link", {})
        await self.post(client, "pause, wrong", "/console/admin/pause", {"paused": "maybe"})
        await self.post(client, "export, wrong format", "/console/data/export", {"ref": "1042-3-12", "format": "x"})
        # The tenant's data as a readable page (after the adviser's work: a case with notes, consents, a referral).
        page = await self.post(client, "export page", "/console/data/export", {"ref": "1042-3-12", "format": "html"})
        language = self.world.rt.settings.console_language
        assert page.status_code == 200 and f'<html lang="{language}">' in page.text


def _client(rt: Runtime) -> httpx.AsyncClient:
    rt.demo = True  # the simulator and the front page are mounted in the demo only
    transport = httpx.ASGITransport(app=create_app(rt))
    return httpx.AsyncClient(transport=transport, base_url="https://keephome.example.org")


@pytest.fixture
async def danish(tmp_path: Path) -> AsyncIterator[World]:
    settings = make_settings(f"sqlite+aiosqlite:///{tmp_path / 'keephome.db'}", console_language="da")
    async with started_runtime(settings) as rt:
        yield await _build(rt)


def _danish_catalogue() -> dict[str, Any]:
    with PO.open("rb") as po:
        catalog = read_po(po, locale="da")
    return {message.id if isinstance(message.id, str) else message.id[0]: message for message in catalog if message.id}


async def test_every_page_is_in_danish(danish: World, asked: set[str]) -> None:
    visit = Visit(danish, await _data(danish))
    await visit.every_page()
    assert visit.findings.pages > 40, visit.statuses
    # The error pages were reached, so their words were checked too.
    codes = set(visit.statuses.values())
    assert {200, 401, 403, 404, 409, 422} <= codes, visit.statuses
    assert not visit.findings.untranslated_text, "text in no catalogue:\n" + visit.findings.report()
    catalogue = _danish_catalogue()
    missing = sorted(
        msgid
        for msgid in asked
        if _WORD.search(msgid)
        and (msgid not in catalogue or not catalogue[msgid].string or catalogue[msgid].fuzzy)
        and msgid not in PROPER_NOUNS
    )
    assert not missing, "msgids without a Danish entry in da.po:\n" + "\n".join(f"  {m!r}" for m in missing)


async def test_every_page_in_english_shows_no_words_from_outside_the_catalogue(tmp_path: Path, asked: set[str]) -> None:
    settings = make_settings(f"sqlite+aiosqlite:///{tmp_path / 'keephome.db'}", console_language="en")
    async with started_runtime(settings) as rt:
        world = await _build(rt)
        visit = Visit(world, await _data(world))
        await visit.every_page()
    assert visit.findings.pages > 40
    assert not visit.findings.untranslated_text, "text in no catalogue:\n" + visit.findings.report()
    # English is the source: every msgid is shown as it is, never a Danish translation.
    danish_only = {m.string for m in _danish_catalogue().values() if isinstance(m.string, str) and m.string != m.id}
    assert not danish_only & asked


def test_the_danish_catalogue_is_whole_and_holds_only_what_the_code_asks_for(tmp_path: Path) -> None:
    catalogue = _danish_catalogue()
    empty = [m.id for m in catalogue.values() if not m.string or (isinstance(m.string, tuple) and not all(m.string))]
    fuzzy = [m.id for m in catalogue.values() if m.fuzzy]
    assert not empty, f"empty entries in da.po: {empty}"
    assert not fuzzy, f"fuzzy entries in da.po (a guess is not a translation): {fuzzy}"
    pot = tmp_path / "keephome.pot"
    mapping = ROOT / "templates" / "console" / "locale" / "babel.cfg"
    pybabel = Path(sys.executable).with_name("pybabel")
    command = [str(pybabel), "extract", "-F", str(mapping), "--no-location", "-o", str(pot), "."]
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
    with pot.open("rb") as template:
        extracted = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(template) if m.id}
    assert not extracted - set(catalogue), (
        f"msgids in the code without a Danish entry: {sorted(extracted - set(catalogue))}"
    )
    unused = sorted(set(catalogue) - extracted)
    assert not unused, f"entries in da.po that the code no longer asks for: {unused}"


def test_placeholders_match_between_english_and_danish() -> None:
    for msgid, message in _danish_catalogue().items():
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for text in strings:
            assert set(_PLACEHOLDER.findall(text)) <= set(_PLACEHOLDER.findall(msgid + " " + str(message.id))), msgid


def test_the_marks_find_a_word_outside_the_catalogue() -> None:
    """The rule itself: a template's own English word is found, a translation and data are not."""
    page = f"<p>{OPEN}Indbakke{CLOSE} Inbox</p><p>{OPEN}Lejer {VALUE}Birgitte{END}{CLOSE}</p><code>staff.add</code>"
    findings = Findings()
    findings.read("sample", page, _pattern({"Birgitte"}))
    assert list(findings.untranslated_text) == ["Inbox"]


async def test_each_person_chooses_their_language_in_me_and_it_is_audited(tmp_path: Path) -> None:
    settings = make_settings(f"sqlite+aiosqlite:///{tmp_path / 'keephome.db'}", console_language="da")
    async with started_runtime(settings) as rt, _client(rt) as mine, _client(rt) as theirs:
        await add_person(rt, "frivillig@example.org", "volunteer")
        await add_person(rt, "kollega@example.org", "volunteer")
        await login(mine, "frivillig@example.org")
        await login(theirs, "kollega@example.org")
        page = (await mine.get("/console/me")).text
        assert '<html lang="da">' in page and "Mine opgaver" in page and 'value="da" lang="da" selected' in page
        token = csrf_of(page)
        refused = await mine.post("/console/me/language", data={"language": "fr", "csrf_token": token})
        assert refused.status_code == 422 and "Vælg et af de sprog, der tilbydes" in refused.text
        chosen = await mine.post("/console/me/language", data={"language": "en", "csrf_token": token})
        assert chosen.status_code == 303 and chosen.headers["location"] == "/console/me?saved=1"
        page = (await mine.get("/console/me?saved=1")).text
        assert '<html lang="en">' in page and "My tasks" in page and "Saved." in page
        # Only this person's pages changed.
        assert "Mine opgaver" in (await theirs.get("/console/me")).text
        async with rt.db.read() as conn:
            entries = (
                await conn.execute(
                    select(schema.audit_log.c.detail).where(schema.audit_log.c.action == "staff.language")
                )
            ).all()
        assert [row.detail for row in entries] == ["language=en"]
