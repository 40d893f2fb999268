"""Host tests per event (mailroom's `handlers/testdata`): a small world, one turn, the rows it writes.

Each case seeds a fresh migrated database (SQLite and PostgreSQL), applies its events with `apply_events`
at a fixed clock, and compares the rows that changed with `handlers/<case>.md`. Without a flag a
difference fails with a diff; `pytest tests/bot/host --update-transcripts` rewrites the part of each file
below its marker line, keeping the hand-written header that explains the case.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import MISSING, Field, dataclass, field, fields, replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, get_args

import pytest
from sqlalchemy import Connection, Table

from bot.host.handlers import HANDLERS, apply_events
from bot.host.turn import Turn, save_state
from bot.outbox.enqueue import enqueue, record_inbound
from bot.settings import Settings
from bot.store.db import Database
from bot.store.scene import Scene
from bot.store.schema import (
    audit_log,
    case_events,
    cases,
    consents,
    conversations,
    link_codes,
    messages,
    metadata,
    outbox,
    rent_positions,
    staff,
    tenants,
)
from bot.tenants import linking
from bot.tenants.status import set_status
from conversations import engine
from conversations.model import (
    AnswerRecorded,
    Channel,
    Choice,
    ClaimWithdrawn,
    ConsentGiven,
    ConsentWithdrawn,
    Context,
    ConversationEnded,
    Event,
    HandoffRequested,
    LanguageChanged,
    MessageRequested,
    OptedIn,
    OptedOut,
    PaidClaimed,
    PromiseRecorded,
    TelegramLinkRequested,
    WrongNumberReported,
)
from conversations.values import encode_values
from tests.conftest import make_settings
from tests.support.helpers import add_tenant
from tests.support.rows import MARKER, IdLabels, Snapshot, check_golden, diff, plain_value, print_changes, snapshot

GOLDEN = Path(__file__).resolve().parent / "handlers"
CET = timezone(timedelta(hours=1))
IMPORTED = datetime(2026, 12, 2, 8, 0, tzinfo=CET)  # the tenant list and balances were imported
MORNING = datetime(2026, 12, 3, 9, 0, tzinfo=CET)  # this morning's reminder started a conversation
NOW = datetime(2026, 12, 3, 10, 0, tzinfo=CET)
TOMORROW = datetime(2026, 12, 4, 9, 0, tzinfo=CET)  # after quiet hours, one proactive message a day
BOT = "keephome_bot"
# The tables a handler may touch first, then every other table, so a stray write shows too.
_FIRST = (tenants, rent_positions, conversations, messages, outbox, consents, cases, case_events, link_codes, audit_log)
TABLES: tuple[Table, ...] = (*_FIRST, *sorted(set(metadata.sorted_tables) - set(_FIRST), key=lambda t: t.name))
QUESTION = MessageRequested(
    "payment_check.question",
    {"first_name": "Amira", "trigger": "missed"},
    tuple(Choice(key, f"choice.{key}") for key in ("paid", "will_pay", "part", "adviser", "info")),
)


def _mask_values(values: dict[str, Any]) -> dict[str, Any]:
    masked = dict(values)
    if "code" in masked:
        masked["code"] = "<code>"
    if "link" in masked:
        masked["link"] = re.sub(r"start=.*", "start=<token>", masked["link"])
    return masked


MASKS = {("outbox", "values"): _mask_values, ("link_codes", "secret_hash"): lambda _: "<hash>"}


@dataclass(frozen=True)
class World:
    """What a case's seed made: the ids its turn needs."""

    tenant_id: int
    conversation_id: int | None = None
    evidence_id: int | None = None


# Seeds: each writes through the product's own writers where it has one (scene, status, codes).


async def _tenant(db: Database, *, status: str = "active", chat_id: int | None = None, **position: Any) -> int:
    """Amira, who owes this month's rent of 6.500 kr (due on the 1st)."""
    values: dict[str, Any] = {"monthly_rent_ore": 650_000, "balance_ore": 650_000, **position}
    return await add_tenant(
        db, "T-1", status=status, chat_id=chat_id, now=IMPORTED, today=IMPORTED.date(), due_day=1, **values
    )


async def _conversation(db: Database, tenant_id: int, channel: Channel = "sms") -> int:
    """payment_check, started by this morning's reminder, waiting for the answer to its question."""

    def write(conn: Connection) -> int:
        state, _events = engine.start("payment_check", Context("Amira", "da", channel, "missed"), MORNING)
        turn = Turn(tenant_id, None, channel, "da", MORNING, MORNING.date(), "rem:1", proactive=True)
        return save_state(Scene.of(conn), turn, state, "missed")

    return await db.run(write)


async def _queued(db: Database, tenant_id: int, template: str, key: str, **kwargs: Any) -> None:
    """A message on its way out, not sent yet."""
    await db.run(
        lambda conn: enqueue(
            Scene.of(conn),
            now=MORNING,
            channel="sms",
            template=template,
            values={},
            language="da",
            idempotency_key=key,
            tenant_id=tenant_id,
            **kwargs,
        )
    )


async def _inbound(db: Database, tenant_id: int, text: str, channel: Channel = "sms") -> int:
    """What the tenant just wrote (kept as evidence)."""
    provider_id = "777:42" if channel == "telegram" else "SM42"
    return await db.run(
        lambda conn: record_inbound(
            Scene.of(conn),
            now=NOW,
            tenant_id=tenant_id,
            case_id=None,
            channel=channel,
            provider_id=provider_id,
            text=text,
        )
    )


async def _insert(db: Database, table: Table, **values: Any) -> None:
    async with db.write() as conn:
        await conn.execute(table.insert().values(**values))


async def _case(db: Database, tenant_id: int, status: str = "waiting", consented: bool = False) -> None:
    closed = status == "closed"
    await _insert(
        db,
        cases,
        tenant_id=tenant_id,
        status=status,
        origin="outreach",
        reason="missed" if not closed else "demand",
        priority=1,
        consented=consented,
        outcome="paid" if closed else None,
        opened_at=IMPORTED - timedelta(days=200 if closed else 1),
        updated_at=IMPORTED - timedelta(days=150 if closed else 1),
        closed_at=IMPORTED - timedelta(days=150) if closed else None,
    )


async def _consent(db: Database, tenant_id: int, given: datetime, withdrawn: datetime | None = None) -> None:
    await _insert(
        db,
        consents,
        tenant_id=tenant_id,
        scope="adviser",
        wording_version="consent-v1",
        given_at=given,
        withdrawn_at=withdrawn,
    )


async def _staff(db: Database) -> None:
    """An adviser and a volunteer with Telegram notices on, an admin with them off."""
    for email, role, chat, notify in (
        ("r@x.dk", "adviser", 555, True),
        ("a@x.dk", "admin", 556, False),
        ("v@x.dk", "volunteer", 557, True),
    ):
        await _insert(
            db,
            staff,
            email=email,
            role=role,
            active=True,
            telegram_chat_id=chat,
            notify_telegram=notify,
            failed_logins=0,
            created_at=IMPORTED,
        )


async def _waiting(db: Database, text: str, channel: Channel = "sms", **position: Any) -> World:
    """A tenant whose conversation waits for an answer, and what they just wrote."""
    tenant_id = await _tenant(db, chat_id=777 if channel == "telegram" else None, **position)
    conversation_id = await _conversation(db, tenant_id, channel)
    return World(tenant_id, conversation_id, await _inbound(db, tenant_id, text, channel))


async def _with_queue(db: Database, text: str) -> World:
    """A waiting conversation, a proactive nudge queued for tomorrow and an earlier reply still queued."""
    world = await _waiting(db, text)
    await _queued(
        db,
        world.tenant_id,
        "common.nudge",
        "wait:1:1",
        conversation_id=world.conversation_id,
        proactive=True,
        not_before=TOMORROW,
    )
    await _queued(db, world.tenant_id, "help_info.about", "in:41:0")
    return world


async def _stopped(db: Database) -> World:
    """A tenant who said STOP this morning: conversation ended, the queued nudge held."""
    world = await _with_queue(db, "START")
    await db.run(lambda conn: set_status(conn, world.tenant_id, "stopped", MORNING))
    return replace(world, conversation_id=None)


async def _wrong_number(db: Database) -> World:
    tenant_id = await _tenant(db, status="wrong_number")
    return World(tenant_id, None, await _inbound(db, tenant_id, "START"))


async def _open_case(db: Database) -> World:
    """An outreach case waiting for an adviser, and a case closed in July (both without consent)."""
    world = await _waiting(db, "ja")
    await _case(db, world.tenant_id, "closed")
    await _case(db, world.tenant_id)
    return world


async def _consented_case(db: Database) -> World:
    world = await _waiting(db, "TRÆK SAMTYKKE")
    await _consent(db, world.tenant_id, datetime(2026, 5, 1, 12, tzinfo=CET), datetime(2026, 6, 1, 12, tzinfo=CET))
    await _consent(db, world.tenant_id, MORNING)
    await _case(db, world.tenant_id, consented=True)
    return world


async def _shared_consents(db: Database) -> World:
    """The organisation's consent, and consents to share with a kommune unit and a volunteer organisation."""
    world = await _consented_case(db)
    for kind, recipient in (("kommune", "Aarhus Kommune"), ("volunteer_org", "Dansk Folkehjælp")):
        await _insert(
            db,
            consents,
            tenant_id=world.tenant_id,
            scope="share",
            wording_version="share-v1",
            given_at=MORNING,
            recipient_kind=kind,
            recipient=recipient,
            data_kinds=["rent_position"],
            purpose="help with rent",
            method="telegram",
            case_id=1,
        )
    return world


async def _handoff(db: Database, **position: Any) -> World:
    world = await _waiting(db, "ja", **position)
    await _staff(db)
    return world


async def _handoff_with_court_date(db: Database) -> World:
    """A consented handoff of a tenant whose court date is set."""
    world = await _handoff(db, court_date=date(2026, 12, 15), balance_ore=1_950_000)
    await _consent(db, world.tenant_id, NOW)
    return world


async def _handoff_to_open_case(db: Database) -> World:
    world = await _handoff(db)
    await _case(db, world.tenant_id)
    return world


async def _earlier_code(db: Database) -> World:
    world = await _waiting(db, "TELEGRAM")
    await db.run(lambda conn: linking.create_code(conn, world.tenant_id, MORNING, 60 * 24))
    return world


@dataclass(frozen=True)
class Case:
    """One golden file: a seeded world, a turn at NOW and its events."""

    name: str
    seed: Callable[[Database], Awaitable[World]]
    events: tuple[Event, ...]
    channel: Channel = "sms"
    proactive: bool = False
    settings: Mapping[str, Any] = field(default_factory=dict)
    inbound_in_turn: str | None = None  # recorded in the turn's transaction, as the inbound handler does

    def turn(self, world: World) -> Turn:
        return Turn(
            tenant_id=world.tenant_id,
            conversation_id=world.conversation_id,
            channel=self.channel,
            language="da",
            now=NOW,
            today=NOW.date(),
            key="wait:1:1" if self.proactive else "in:42",
            proactive=self.proactive,
            not_before=TOMORROW if self.proactive else None,
            evidence_id=world.evidence_id,
        )

    def apply(self, conn: Connection, turn: Turn, settings: Settings) -> tuple[Turn, Turn]:
        """The turn as applied (with its evidence) and the turn the handlers return."""
        scene = Scene.of(conn)
        if self.inbound_in_turn is not None:
            evidence = record_inbound(
                scene,
                now=NOW,
                tenant_id=turn.tenant_id,
                case_id=None,
                channel="sms",
                provider_id="SM43",
                text=self.inbound_in_turn,
            )
            turn = replace(turn, evidence_id=evidence)
        return turn, apply_events(scene, turn, self.events, settings)


def _waiting_for(text: str, channel: Channel = "sms") -> Callable[[Database], Awaitable[World]]:
    return lambda db: _waiting(db, text, channel)


LINKS = {"telegram_bot": BOT}
CONSENT = ConsentGiven("adviser", "consent-v1")
CASES = (
    Case("answer_recorded", _waiting_for("2"), (AnswerRecorded("question", "will_pay", "2"),)),
    Case(
        "message_requested",
        _waiting_for("hvad?", "telegram"),
        (
            AnswerRecorded("question", "unrecognised", "hvad?"),
            MessageRequested("common.not_understood", {"first_name": "Amira", "trigger": "missed"}),
            QUESTION,
        ),
        channel="telegram",
    ),
    Case(
        "message_requested.proactive",
        _waiting_for("2"),
        (MessageRequested("common.nudge", {"first_name": "Amira", "trigger": "missed"}),),
        proactive=True,
    ),
    Case("consent_given", _waiting_for("ja"), (CONSENT,)),
    Case("consent_given.open_case", _open_case, (CONSENT,)),
    Case("consent_given.evidence_in_turn", _waiting_for("3"), (CONSENT,), inbound_in_turn="ja"),
    Case("consent_withdrawn", _consented_case, (ConsentWithdrawn("adviser"),)),
    # The consent is still in the scene when the handoff asks for it: the case opens consented.
    Case("consent_given.then_handoff", lambda db: _handoff(db), (CONSENT, HandoffRequested("tenant_asked"))),
    # A no at the consent question with no yes standing (an urgent outreach waits): nothing is taken back, and the
    # case gets no event saying a yes was.
    Case("consent_withdrawn.none_standing", _open_case, (ConsentWithdrawn("adviser"),)),
    # A yes and its withdrawal in one transaction: the consent is written, and withdrawn.
    Case("consent_withdrawn.given_in_turn", _open_case, (CONSENT, ConsentWithdrawn("adviser")), inbound_in_turn="ja"),
    # The tenant chose one recipient from the numbered list: only that consent ends (spelt as stored or not).
    Case(
        "consent_withdrawn.one_recipient", _shared_consents, (ConsentWithdrawn("share", "kommune", "aarhus  KOMMUNE"),)
    ),
    # A yes on Telegram to the full wording: the recipient, kinds, purpose, wording, case and evidence are kept,
    # written with the turn's other rows (after the evidence message) rather than at once.
    Case(
        "consent_given.share",
        _open_case,
        (
            ConsentGiven(
                "share",
                "share-v1",
                recipient_kind="kommune",
                recipient="Aarhus Kommune, Ydelsescenter",
                source="Boligselskabet",
                data_kinds=("rent_position", "household"),
                purpose="help with rent",
                wording="May Boligselskabet give …",
                case_id=2,
                method="telegram",
            ),
        ),
        inbound_in_turn="ja",
    ),
    Case("handoff_requested", lambda db: _handoff(db), (HandoffRequested("tenant_asked"),)),
    Case("handoff_requested.court_date", _handoff_with_court_date, (HandoffRequested("tenant_asked"),)),
    Case("handoff_requested.open_case", _handoff_to_open_case, (HandoffRequested("tenant_asked"),)),
    Case("promise_recorded", _waiting_for("10/12"), (PromiseRecorded(date(2026, 12, 10)),)),
    # "Jeg har betalt" on Monday, "jeg betaler den 10." today: the promise is the word that stands.
    Case(
        "promise_recorded.after_paid_claim",
        lambda db: _waiting(db, "10/12", paid_claim_until=date(2026, 12, 6)),
        (PromiseRecorded(date(2026, 12, 10)),),
    ),
    Case("paid_claimed", _waiting_for("1"), (PaidClaimed(date(2026, 12, 8)),)),
    # "Ja men først om 2 uger" on Monday, "kan ikke betale" today: the promise no longer stands.
    Case(
        "claim_withdrawn",
        lambda db: _waiting(db, "kan ikke betale", promise_on=date(2026, 12, 17)),
        (ClaimWithdrawn(),),
    ),
    # "1" (paid) on Monday, "nej jeg har ikke betalt endnu, trykkede forkert" today: the paid claim ends.
    Case(
        "claim_withdrawn.paid_claim",
        lambda db: _waiting(db, "nej jeg har ikke betalt endnu", paid_claim_until=date(2026, 12, 6)),
        (ClaimWithdrawn(),),
    ),
    Case("telegram_link_requested", _waiting_for("TELEGRAM"), (TelegramLinkRequested(),), settings=LINKS),
    Case(
        "telegram_link_requested.sms_links",
        _waiting_for("TELEGRAM"),
        (TelegramLinkRequested(),),
        settings={**LINKS, "sms_links": True},
    ),
    Case("telegram_link_requested.earlier_code", _earlier_code, (TelegramLinkRequested(),), settings=LINKS),
    Case("conversation_ended", _waiting_for("nej"), (ConversationEnded("no_help"),)),
    Case(
        "opted_out",
        lambda db: _with_queue(db, "STOP"),
        (OptedOut(), MessageRequested("keyword.opted_out")),
    ),
    Case("opted_in", _stopped, (OptedIn(), MessageRequested("keyword.opted_in"))),
    Case("opted_in.wrong_number", _wrong_number, (OptedIn(),)),
    Case("opted_out.wrong_number", _wrong_number, (OptedOut(),)),
    Case(
        "wrong_number_reported",
        lambda db: _with_queue(db, "FORKERT NUMMER"),
        (MessageRequested("keyword.wrong_number"), WrongNumberReported()),
    ),
    Case("language_changed", _waiting_for("english"), (LanguageChanged("en"),)),
    Case(
        "language_changed.then_message",
        _waiting_for("english"),
        (LanguageChanged("en"), MessageRequested("keyword.language_changed")),
    ),
)


def _shown(item: Field[Any], value: Any) -> bool:
    """Whether a field differs from its default (fields at their default are left out of a line)."""
    if item.default is not MISSING:
        return bool(value != item.default)
    if item.default_factory is not MISSING:
        return bool(value != item.default_factory())
    return True


def _event_line(event: Event) -> str:
    parts = [f"= {event.name}"]
    for item in fields(event):
        value = getattr(event, item.name)
        if not _shown(item, value):
            continue
        if item.name == "values":
            value = encode_values(value)
        elif item.name == "choices":
            value = [[choice.key, choice.label] for choice in value]
        parts.append(f"{item.name}={plain_value(value, CET)}")
    return " ".join(parts)


def _turn_lines(applied: Turn, returned: Turn, labels: IdLabels) -> list[str]:
    refers = {"tenant_id": "tenants", "conversation_id": "conversations", "evidence_id": "messages"}

    def show(name: str, value: Any) -> str:
        return labels.label(refers[name], value) if name in refers and value is not None else plain_value(value, CET)

    given = " ".join(
        f"{item.name}={show(item.name, getattr(applied, item.name))}"
        for item in fields(applied)
        if _shown(item, getattr(applied, item.name))
    )
    changed = [item.name for item in fields(applied) if getattr(applied, item.name) != getattr(returned, item.name)]
    after = " ".join(f"{name}={show(name, getattr(returned, name))}" for name in changed) or "unchanged"
    return [f"turn: {given}", f"turn after: {after}"]


def _print(case: Case, applied: Turn, returned: Turn, before: Snapshot, after: Snapshot) -> str:
    labels = IdLabels(TABLES, before, after)
    lines = [*_turn_lines(applied, returned, labels), "", *(_event_line(event) for event in case.events)]
    lines += print_changes(diff(TABLES, before, after), labels, tz=CET, masks=MASKS)
    return "\n".join(lines) + "\n"


def _check_secrets(after: Snapshot, settings: Settings) -> None:
    """The masked values are well formed: an eight-digit code and a t.me deep link, each stored as its hash."""
    hashes = {row["secret_hash"] for row in after["link_codes"].values()}
    for row in after["outbox"].values():
        values = row["values"]
        if "code" in values:
            assert re.fullmatch(r"\d{8}", values["code"]), values["code"]
            assert linking.hash_secret(f"code:{values['code']}") in hashes
        if "link" in values:
            prefix = f"https://t.me/{settings.telegram_bot}?start="
            assert values["link"].startswith(prefix), values["link"]
            token = values["link"].removeprefix(prefix)
            assert re.fullmatch(r"[A-Za-z0-9_-]{32}", token) and linking.hash_secret(f"token:{token}") in hashes


# What each case produced on the database that ran it first: every database must print the same.
_PRODUCED: dict[str, str] = {}


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
async def test_the_rows_an_event_writes(
    case: Case, database: Database, database_url: str, update_transcripts: bool
) -> None:
    settings = make_settings(database_url, **case.settings)
    turn = case.turn(await case.seed(database))
    before = await database.run(snapshot, TABLES)
    applied, returned = await database.run(case.apply, turn, settings)
    after = await database.run(snapshot, TABLES)
    _check_secrets(after, settings)
    produced = _print(case, applied, returned, before, after)
    first = _PRODUCED.setdefault(case.name, produced)
    assert produced == first, f"{case.name} prints differently on {database.writer.dialect.name}"
    header = f"# {case.name}\n\n(Say what this case shows and why.)\n\n"
    problem = check_golden(GOLDEN / f"{case.name}.md", produced, update_transcripts, header=header)
    if problem is not None:
        hint = "run `pytest tests/bot/host --update-transcripts` if the change is meant"
        pytest.fail(f"handlers/{case.name}.md differs from the rows written now ({hint}):\n{problem}", pytrace=False)


def test_every_event_kind_has_a_handler() -> None:
    assert set(get_args(Event)) == set(HANDLERS)


def test_every_event_kind_has_a_golden_file_that_applies_it() -> None:
    by_name = {case.name: case for case in CASES}
    for kind in get_args(Event):
        case = by_name.get(kind.name)
        assert case is not None and any(isinstance(event, kind) for event in case.events), kind.name
        assert (GOLDEN / f"{kind.name}.md").exists(), kind.name


def test_every_golden_file_has_a_case() -> None:
    assert sorted(path.stem for path in GOLDEN.glob("*.md")) == sorted(case.name for case in CASES)


def test_a_changed_golden_fails_with_a_diff_and_is_only_rewritten_when_asked(tmp_path: Path) -> None:
    source = GOLDEN / "opted_out.md"
    copy = tmp_path / source.name
    written = source.read_text(encoding="utf-8")
    produced = written.partition(MARKER + "\n")[2]
    edited = written.replace("status: active → stopped", "status: active → active")
    copy.write_text(edited, encoding="utf-8")
    problem = check_golden(copy, produced, update=False)
    assert problem is not None and "-    status: active → active\n+    status: active → stopped" in problem
    assert copy.read_text(encoding="utf-8") == edited
    assert check_golden(copy, produced, update=True) is None
    assert copy.read_text(encoding="utf-8") == written  # the hand-written header is kept
