"""What keephome does with one committed inbound message: commands first, then the case or the conversation.

Everything here is synchronous and runs inside the processor's transaction (`Database.run`); what it
writes goes to the transaction's scene, so a batch of messages costs a few statements, not several each.
What it reads is read for the whole batch at once (`InboundHandler.prepare`): the senders' tenants with their
case, conversation, consent and påkrav dates in one statement per channel.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Row, bindparam, exists, func, literal_column, or_, select, update

from bot.channels.base import CHANNEL_KEYS, parse_button_data
from bot.host.cases import (
    ADVISER_SCOPE,
    HELD_STATUSES,
    NOTICE_WAITING,
    OPEN_STATUSES,
    RELEASED,
    TAKEN,
    BeforeOpening,
    among,
    bring_forward,
    has_consent,
)
from bot.host.consents import active_recipients
from bot.host.handlers import apply_events
from bot.host.notices import notify_crisis
from bot.host.turn import Turn, save_state
from bot.host.unseen import give_way, question_unseen
from bot.inbound.presses import OLD_BUTTON, SAME_ANSWER, STOPPED, WAITING, WITH_ADVISER
from bot.inbound.senders import address_queries, tenants_by_address
from bot.inbound.stopped import keep_for_staff, sms_reaches
from bot.inbound.strangers import STOP_KEPT, Stranger, answer_once_today, stop_or_start, stranger_key
from bot.inbound.unlinked import Unlinked, handle_unlinked, other_tenancy
from bot.outbox.enqueue import enqueue, queued_among, record_inbound
from bot.settings import ConfigError, Settings
from bot.store.scene import Scene
from bot.store.schema import (
    FAILED_STATUSES,
    cases,
    consents,
    conversations,
    inbound,
    messages,
    outbox,
    rent_positions,
    tenants,
)
from bot.tenants.court import court_stage_termination
from bot.tenants.linking import heard_on_telegram
from bot.tenants.names import first_name
from bot.tenants.said_stop import KEPT_FOR_NUMBER, NUMBER_CHANNEL
from conversations import engine
from conversations.answers import sounds_in_crisis
from conversations.commands import (
    CommandResult,
    ConsentRef,
    TenantFacts,
    chat_linked,
    command,
    pressed_earlier,
    pressed_start,
)
from conversations.effects import SHARE_SCOPE
from conversations.model import ButtonPressed, Channel, Context, Event, Input, MessageRequested, TextReceived
from conversations.state import State
from conversations.values import Value
from scheduler.urgency import running_deadline, spoken_stage

__all__ = ["AmbiguousTenant", "InboundHandler", "InboundRow", "resolve_callback"]


class AmbiguousTenant(RuntimeError):
    """Two tenants answer to one address: the message is set aside rather than given to either."""


@dataclass(frozen=True)
class InboundRow:
    """A committed inbound message as the processor reads it."""

    id: int
    channel: str
    provider_id: str
    sender: str
    text: str | None
    payload: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class Pressed:
    """A Telegram button: the choice key it stood for and the conversation whose message carried it."""

    choice: str
    conversation_id: int | None
    question: str | None  # the template of the message it was under (of the question a nudge reminds of)


def resolve_callback(conn: Connection, data: str, tenant_id: int) -> Pressed | None:
    """Turn a button's opaque callback data (`<outbox id>.<index>`) into what it stood for; None for a button no
    message to this tenant carried (forged: the data is the client's to write, and may name another tenant's
    message), or for the channel's own keyboard (it sends no callback: bot/channels/base.py)."""
    parsed = parse_button_data(data)
    if parsed is None:
        return None
    outbox_id, index = parsed
    found = conn.execute(
        select(outbox.c.choices, messages.c.id, messages.c.conversation_id, messages.c.template)
        .join(messages, messages.c.id == outbox.c.message_id)
        .where(outbox.c.id == outbox_id, messages.c.tenant_id == tenant_id)
    ).first()
    if found is None or not isinstance(found.choices, list) or not 0 <= index < len(found.choices):
        return None
    if found.choices[index][0] in CHANNEL_KEYS:
        return None
    question = found.template
    if question == _NUDGE and found.conversation_id is not None:
        # The nudge carries the buttons of the question it reminds of: a press under it answers that question.
        question = conn.execute(_NUDGED, {"conversation_id": found.conversation_id, "nudge": found.id}).scalar()
    return Pressed(str(found.choices[index][0]), found.conversation_id, question)


_NUDGE = "common.nudge"
# The question a nudge reminds of: its conversation's last question before it.
_NUDGED = (
    select(messages.c.template)
    .where(
        messages.c.conversation_id == bindparam("conversation_id"),
        messages.c.direction == "out",
        messages.c.id < bindparam("nudge"),
        messages.c.template.is_not(None),
        messages.c.template != _NUDGE,
    )
    .order_by(messages.c.id.desc())
    .limit(1)
)


def _pressed(conn: Connection, row: InboundRow, tenant_id: int) -> Pressed | None:
    callback = (row.payload or {}).get("callback")
    return resolve_callback(conn, callback, tenant_id) if isinstance(callback, str) else None


def _open_state(conn: Connection, tenant_id: int, conversation_id: int) -> State | None:
    """The state of the tenant's conversation `conversation_id` while it is open; None once it ended (or is not
    theirs: a button's data names any outbox row)."""
    return _conversation_state(conn, tenant_id, conversation_id, conversations.c.active.is_(True))


def _conversation_state(conn: Connection, tenant_id: int, conversation_id: int | None, *where: Any) -> State | None:
    """The state of the tenant's conversation `conversation_id`, open or ended (None when it is not theirs)."""
    if conversation_id is None:
        return None
    found = conn.execute(
        select(conversations.c.state).where(
            conversations.c.id == conversation_id, conversations.c.tenant_id == tenant_id, *where
        )
    ).scalar()
    return None if found is None else State.load(found)


# The tenant's last messages before the one being handled (`evidence`), built once: the one before, for a button pressed
# again (`_pressed_again`), and enough to see a run of the same words sent again (`_repeated`).
_SAID_LAST = (
    select(messages.c.id, messages.c.channel, messages.c.provider_id, messages.c.text, messages.c.created_at)
    .where(
        messages.c.tenant_id == bindparam("tenant_id"),
        messages.c.direction == "in",
        messages.c.id < bindparam("evidence"),
    )
    .order_by(messages.c.id.desc())
    .limit(5)
)


def _pressed_again(conn: Connection, tenant_id: int, evidence: int, pressed: Pressed) -> bool:
    """Whether the tenant's message before this one (`evidence`) was the same press: the same choice under the same
    question of the same conversation, nothing said between (a double tap)."""
    before = conn.execute(_SAID_LAST, {"tenant_id": tenant_id, "evidence": evidence}).first()
    if before is None or before.channel != "telegram" or before.provider_id is None:
        return False
    payload = conn.execute(
        select(inbound.c.payload).where(
            inbound.c.channel == before.channel, inbound.c.provider_id == before.provider_id
        )
    ).scalar()
    callback = payload.get("callback") if isinstance(payload, dict) else None
    return isinstance(callback, str) and resolve_callback(conn, callback, tenant_id) == pressed


def _moved_on(state: State | None, pressed: Pressed) -> bool:
    """Whether the open conversation (`state`) took the pressed button's choice as the answer to the question it was
    under, and asks another question now: the press is that answer again, not an answer to what is asked now."""
    asked = () if state is None else engine.current_question(state)
    now_asked = any(isinstance(event, MessageRequested) and event.template == pressed.question for event in asked)
    return engine.took(state, pressed.question, pressed.choice) and not now_asked


# How soon after the same words a message is their resend (a basic phone sending again, two sent at once): later, the
# same words are asked anew and answered (the tenant may think the answer never came).
RESENT_WITHIN = timedelta(minutes=10)

# The tenant's last reply that went, or will go (none failed).
_LAST_ANSWER = select(func.max(messages.c.id)).where(
    messages.c.tenant_id == bindparam("tenant_id"),
    messages.c.direction == "out",
    messages.c.status.not_in(FAILED_STATUSES),
)


def _repeated(conn: Connection, turn: Turn, words: TextReceived) -> State | None:
    """The tenant's last conversation when their messages just before this one said the same words on the same channel
    within `RESENT_WITHIN` of this turn, and a reply went after the first of them, which `engine.said_again` reads;
    else None, and the words are answered: silence only where the answer is already there."""
    if turn.evidence_id is None:
        return None
    same = words.text.strip().casefold()
    first: int | None = None
    for before in conn.execute(_SAID_LAST, {"tenant_id": turn.tenant_id, "evidence": turn.evidence_id}):
        if before.text is None or before.text.strip().casefold() != same or before.channel != words.channel:
            break
        if turn.now - before.created_at > RESENT_WITHIN:
            break
        first = before.id
    if first is None:
        return None
    answer = conn.execute(_LAST_ANSWER, {"tenant_id": turn.tenant_id}).scalar()
    if answer is None or answer < first:
        return None
    return _last_conversation(conn, turn.tenant_id)


# The tenant's newest conversation; and the newest they have seen. Built once: a bare yes or the same words again
# read it, and building the statement anew cost as much as running it (bench/README.md, 2026-12-07 15:41).
_NEWEST = (
    select(conversations.c.state)
    .where(conversations.c.tenant_id == bindparam("tenant_id"))
    .order_by(conversations.c.id.desc())
    .limit(1)
)
_NEWEST_SEEN = _NEWEST.where(~question_unseen(conversations.c.id))


def _last_conversation(conn: Connection, tenant_id: int, *, seen: bool = False) -> State | None:
    """The state of the tenant's newest conversation, open or ended; None when they have had none. `seen`: the newest
    the tenant has seen, leaving out a reminder's whose question never went out (ended by their own message,
    `give_way`, or by a newer reminder): a question they never saw was never left unanswered."""
    found = conn.execute(_NEWEST_SEEN if seen else _NEWEST, {"tenant_id": tenant_id}).scalar()
    return None if found is None else State.load(found)


def _daily_word(
    scene: Scene,
    turn: Turn,
    template: str,
    key: str,
    case_id: int | None = None,
    values: Mapping[str, Value] | None = None,
) -> None:
    """Queue a word the tenant hears at most once a day (`key` holds the day), in reply to what they wrote."""
    enqueue(
        scene,
        now=turn.now,
        channel=turn.channel,
        template=template,
        values=values or {},
        language=turn.language,
        idempotency_key=key,
        tenant_id=turn.tenant_id,
        case_id=case_id,
    )


def _input(row: InboundRow, pressed: Pressed | None, conversation_id: int | None, queued: bool) -> Input | None:
    """What the tenant said, for the engine: a button under another conversation's message (one that ended)
    answers nothing open now (`earlier`); a forged button is nothing. `queued`: their case waits with their yes."""
    if isinstance((row.payload or {}).get("callback"), str):
        if pressed is None:
            return None
        return ButtonPressed(pressed.choice, _channel(row), earlier=pressed.conversation_id != conversation_id)
    # A sticker, photo or voice message arrives without text, or with a caption: the flow says it cannot be read
    # here (a caption it cannot read uses no try).
    return TextReceived(row.text or "", _channel(row), attached="kind" in (row.payload or {}), queued=queued)


_open_case = (
    select(cases.c.id, cases.c.status)
    .where(cases.c.tenant_id == tenants.c.id, among(cases.c.status, OPEN_STATUSES))
    .order_by(cases.c.id)
    .limit(1)
)
_active_conversation = (
    select(conversations.c.id)
    .where(conversations.c.tenant_id == tenants.c.id, conversations.c.active.is_(True))
    .order_by(conversations.c.id.desc())
    .limit(1)
)
_consented = exists().where(
    consents.c.tenant_id == tenants.c.id, consents.c.scope == ADVISER_SCOPE, consents.c.withdrawn_at.is_(None)
)
# A consent to share with a kommune unit or a volunteer organisation: the withdrawal word then lists them.
_shared = exists().where(
    consents.c.tenant_id == tenants.c.id, consents.c.scope == SHARE_SCOPE, consents.c.withdrawn_at.is_(None)
)
_rp = rent_positions.c
# The tenant, their open case, their active conversation (and its state), their consent, the påkrav dates a
# new conversation is told and what a case's priority is computed from, in one statement; `has_position` tells a
# missing rent position from an empty one.
_TENANT = select(
    tenants.c.id,
    tenants.c.name,
    tenants.c.language,
    tenants.c.status,
    tenants.c.telegram_blocked,
    _open_case.with_only_columns(cases.c.id).scalar_subquery().label("case_id"),
    _open_case.with_only_columns(cases.c.status).scalar_subquery().label("case_status"),
    _open_case.with_only_columns(cases.c.origin).scalar_subquery().label("case_origin"),
    _active_conversation.scalar_subquery().label("conversation_id"),
    _active_conversation.with_only_columns(conversations.c.state).scalar_subquery().label("state"),
    # A reminder's conversation whose question has not reached the tenant yet (`give_way`).
    _active_conversation.with_only_columns(question_unseen(conversations.c.id))
    .scalar_subquery()
    .label("question_unseen"),
    _consented.label("consented"),
    _shared.label("shared"),
    # A notice about their case not sent yet (`bring_forward`).
    NOTICE_WAITING.label("notice_waiting"),
    _rp.tenant_id.is_not(None).label("has_position"),
    _rp.demand_sent_on,
    _rp.demand_received_on,
    # A termination behind a court case called off since counts no more (the one rule, bot/tenants/court.py).
    court_stage_termination(_rp.tenant_id, _rp.termination_on).label("termination_on"),
    _rp.court_date,
    # With the above, what a case opened by a message needs (`BeforeOpening`: its priority), read here rather
    # than by the handoff itself.
    _rp.balance_ore,
    _rp.balance_as_of,
    _rp.monthly_rent_ore,
    _rp.due_day,
    tenants.c.children,
).select_from(tenants.outerjoin(rent_positions, _rp.tenant_id == tenants.c.id))
# A batch reads all its senders at once (bot/inbound/senders.py).
_BY_ADDRESS = address_queries(_TENANT)


# The commands whose words an opted-out tenant's message is kept for staff after (`_stopped_wrote`): words of crisis,
# HJÆLP, "hvem er du?"; not a word that changes what keephome may do (STOP, START, a language, a withdrawal).
_KEPT_WHEN_STOPPED = ("crisis", "help", "who")


# The tenant wrote while their case is open (built once): a change of the scene, written with the batch's rows in
# one statement (nothing in the batch reads the case again before a later message of the tenant flushes it).
_CASE_HEARD = (
    update(cases)
    .where(cases.c.id == bindparam("case_id"))
    .values(
        status=bindparam("new_status", type_=cases.c.status.type),
        updated_at=bindparam("now", type_=cases.c.updated_at.type),
    )
)


def _receipt_key(case_id: int, today: date, channel: str) -> str:
    """The idempotency key of the day's receipt to a tenant who waits for their adviser: at most one a day on each
    channel (a tenant told on Telegram who writes by SMS would otherwise meet silence where they write)."""
    return f"case:{case_id}:waiting:{today.isoformat()}:{channel}"


# The latest release notice to a case after the message under a receipt's key (`case.released` says "until then, we
# answer you here"): None when there is none since.
_RELEASED_SINCE = select(func.max(messages.c.id)).where(
    messages.c.case_id == bindparam("case_id"),
    messages.c.template == RELEASED,
    messages.c.id > select(outbox.c.message_id).where(outbox.c.idempotency_key == bindparam("key")).scalar_subquery(),
)


def _receipt_since_release(conn: Connection, case_id: int, key: str) -> str | None:
    """The key of a receipt owed although today's went already: the case was released (or its adviser left) after
    it, and the tenant was told they would be answered here; None when not. One receipt after each release."""
    released = conn.execute(_RELEASED_SINCE, {"case_id": case_id, "key": key}).scalar()
    return None if released is None else f"{key}:r{released}"


class _Known:
    """The tenants a batch's senders were found to be, read at once; valid only in the scene it was read in."""

    __slots__ = ("handled", "scene", "tenants", "told")

    def __init__(self, scene: Scene, found: dict[tuple[str, str], list[Row[Any]]]) -> None:
        self.scene = scene
        self.tenants = found
        self.handled: set[int] = set()  # tenants a message of this scene was applied to
        self.told: dict[str, bool] = {}  # receipts' keys looked up: whether one was queued (committed or here)


class InboundHandler:
    """Handles one message at a time inside the caller's transaction; returns a result label for metrics."""

    def __init__(self, settings: Settings, *, telegram_on: bool | None = None) -> None:
        if not settings.secret_key:
            raise ConfigError("KEEPHOME_SECRET_KEY is missing: it keys the hashes kept of unknown senders")
        self._settings = settings
        self._secret = settings.secret_key
        self._telegram_on = settings.telegram_enabled if telegram_on is None else telegram_on
        self._tz = ZoneInfo(settings.timezone)
        self._flow_settings = settings.flow_settings()
        self._languages = tuple(settings.language_list)
        self._known: _Known | None = None
        self._toast: tuple[int, str, str] | None = None  # the row handled last, if a press: its toast and language
        self._kept_stop: int | None = None  # the row handled last, if its STOP was kept for its number

    def toast(self, row_id: int) -> tuple[str, str] | None:
        """The toast a button press (inbound row `row_id`, just handled) is answered with, and its language: what
        the press would otherwise meet in the chat is silence (bot/inbound/presses.py); None when a message in the
        chat answers it."""
        if self._toast is None or self._toast[0] != row_id:
            return None
        return self._toast[1], self._toast[2]

    def kept_stop(self, row_id: int) -> bool:
        """Whether the message of inbound row `row_id` (just handled) said STOP and it was kept for its number, no
        tenant holding it as the message was read (bot/tenants/said_stop.py: the processor looks again after its
        commit)."""
        return self._kept_stop == row_id

    def _stop_kept(self, row: InboundRow) -> None:
        if row.channel == NUMBER_CHANNEL:
            self._kept_stop = row.id

    def _quiet_press(self, row: InboundRow, toast: str, language: str) -> None:
        """The press in `row`, if it is one, gets no message in the chat: its answer says `toast` instead."""
        if "callback" in (row.payload or {}):
            self._toast = (row.id, toast, language)

    def prepare(self, scene: Scene, rows: Sequence[InboundRow]) -> None:
        """Read the tenants of these rows' senders in one statement per channel, for `handle` in this scene.

        A batch reads a chunk at a time, and what the earlier chunks' messages wrote is still in the scene: the
        tenants they were applied to stay marked, so a later message of one of them reads what it wrote
        (`_find_tenant`) instead of the tenant as the chunk's read found them (a second conversation begun, a
        question answered twice)."""
        earlier = self._known
        self._known = _Known(scene, _read_tenants(scene.conn, rows))
        if earlier is not None and earlier.scene is scene:
            self._known.handled |= earlier.handled
            self._known.told.update(earlier.told)

    def handle(self, scene: Scene, row: InboundRow, now: datetime) -> str:
        """Apply one message; every write lands in the scene's transaction."""
        self._toast = self._kept_stop = None
        tenant = self._find_tenant(scene, row)
        if tenant is None:
            result = self._stranger(scene, row, now)
            if result.startswith("linked_by_"):
                self._linked(scene, row, now)
            return result
        checked = self._other_tenancy(scene, row, tenant, now) if row.channel == "telegram" else None
        if checked in ("link_other_tenancy", "link_code_again"):
            # Not recorded: the text is a code (another tenant's, which keephome never keeps, or their own sent again),
            # answered already, and no answer to the tenant's open question.
            return checked
        result = self._handle_tenant(scene, row, tenant, now)
        # The alarm of a spent budget of wrong codes is counted even when the miss was the tenant's own words.
        return "link_budget_exceeded" if checked == "link_budget_exceeded" else result

    def _linked(self, scene: Scene, row: InboundRow, now: datetime) -> None:
        """The chat was linked just now: the question the tenant's conversation waits on (asked by SMS, say) is asked
        again in the chat, with its buttons, after the word that it is connected; a yes there then answers a question
        shown there (`chat_linked`). Not a reminder's question that has not gone out yet: it goes where it goes."""
        scene.flush()  # the link and what this batch wrote of the tenant before it
        tenant = self._find_tenant(scene, row)
        if tenant is None or tenant.conversation_id is None or tenant.question_unseen:
            return
        state = self._state(tenant)
        turn = Turn(
            tenant_id=tenant.id,
            conversation_id=tenant.conversation_id,
            channel=row.channel,
            language=tenant.language,
            now=now,
            today=now.astimezone(self._tz).date(),
            key=f"in:{row.id}",
        )
        facts = self._facts(scene.conn, tenant, row, tenant.case_status in HELD_STATUSES, state)
        self._apply_command(scene, turn, chat_linked(facts))

    def _handle_tenant(self, scene: Scene, row: InboundRow, tenant: Any, now: datetime) -> str:
        conn = scene.conn
        evidence = record_inbound(
            scene,
            now=now,
            tenant_id=tenant.id,
            case_id=tenant.case_id,
            channel=row.channel,
            provider_id=row.provider_id,
            text=row.text,
        )
        if row.channel == "telegram" and tenant.telegram_blocked:
            heard_on_telegram(conn, tenant.id, now)  # they wrote from the chat: the bot is theirs again
        if tenant.notice_waiting:
            bring_forward(conn, tenant.id, now)  # awake: what changed on their case is told before any answer
        pressed = _pressed(conn, row, tenant.id)
        conversation_id, state = self._answering(conn, tenant, pressed, now)
        turn = Turn(
            tenant_id=tenant.id,
            conversation_id=conversation_id,
            channel=row.channel,
            language=tenant.language,
            now=now,
            today=now.astimezone(self._tz).date(),
            key=f"in:{row.id}",
            evidence_id=evidence,
            opening=BeforeOpening(
                tenant if tenant.has_position else None,
                tenant.children if tenant.has_position else None,
                bool(tenant.consented),
                tenant.case_id,
            ),
        )
        held = tenant.case_status in HELD_STATUSES
        facts = self._facts(scene.conn, tenant, row, held, state)
        if row.channel == "telegram" and "start" in (row.payload or {}) and not row.text:
            self._apply_command(scene, turn, pressed_start(facts, now))
            return "start"
        # A forwarded message is someone else's words: a STOP in it is not the tenant's (it still reaches the case or
        # the conversation below).
        forwarded = (row.payload or {}).get("forwarded") is True
        result = None if forwarded else command(row.text, facts, now)
        if result is not None:
            return self._commanded(scene, turn, row, tenant, result, to_case=held or facts.queued)
        # The choice after a withdrawal word, and a question the adviser asked, are answered while a person
        # holds the case; the withdrawal's choice also while the tenant is not active.
        if tenant.status != "active" and not engine.answers_while_held(state, active=False):
            return self._not_active(scene, turn, row, tenant, facts)
        if held and not engine.answers_while_held(state):
            # A person holds the case: the message is theirs to answer, the bot stays quiet.
            self._case_heard(scene, tenant, now)
            self._quiet_press(row, WITH_ADVISER, tenant.language)
            return "to_case_consent" if self._consent_while_held(scene, turn, row, state, pressed) else "to_case"
        if pressed is not None and (pressed.conversation_id != conversation_id or _moved_on(state, pressed)):
            earlier = self._pressed_earlier(scene, turn, row, pressed, facts, evidence)
            if earlier is not None:
                return earlier
        if state is None and facts.queued:
            self._heard_while_waiting(scene, turn, row, tenant.case_id)
            return "to_case_waiting"
        user_input = _input(row, pressed, conversation_id, facts.queued)
        if user_input is None:
            self._quiet_press(row, OLD_BUTTON, tenant.language)
            return "not_understood"
        self._converse(scene, turn, tenant, state, user_input, pressed)
        return "conversation"

    def _pressed_earlier(
        self, scene: Scene, turn: Turn, row: InboundRow, pressed: Pressed, facts: TenantFacts, evidence: int
    ) -> str | None:
        """A button under a question that has ended, or that the open conversation answered and moved on from: the
        same answer pressed again says nothing in the chat (before the day's receipt or the opening question; the
        press's toast says it was heard); the "Nej" under a consent still standing is answered before the day's
        receipt (said once), so a change of mind never meets silence. The label, or None when the button goes the
        way of any other (the flow's rule for an earlier message's)."""
        conn = scene.conn
        # An answer the open conversation took and moved on from is the same answer again, whatever was said between.
        moved_on = pressed.conversation_id == turn.conversation_id
        again = moved_on or _pressed_again(conn, turn.tenant_id, evidence, pressed)
        under = _conversation_state(conn, turn.tenant_id, pressed.conversation_id) if again else None
        earlier = pressed_earlier(pressed.choice, pressed.question, facts, again=again, under=under)
        if earlier is None:
            return None
        self._apply_command(scene, turn, earlier)
        if not earlier.events:
            self._quiet_press(row, SAME_ANSWER, turn.language)
        return earlier.kind

    def _commanded(
        self, scene: Scene, turn: Turn, row: InboundRow, tenant: Any, result: CommandResult, *, to_case: bool
    ) -> str:
        """Apply what a command made of the message; its label for metrics. Words of crisis to a case a person holds,
        or that waits with the tenant's yes (`to_case`), also reach the case as any message to it does: the bot said
        only where to call, and what comes next is the person's. An opted-out tenant's words of crisis, HJÆLP or "hvem
        er du?" are kept for staff besides, as any of their words are (`_stopped_wrote`): the answer, where one may
        reach them at all, settles nothing."""
        self._apply_command(scene, turn, result)
        if tenant.status in KEPT_FOR_NUMBER and result.kind in ("opt_out", "opt_in"):
            # Whoever holds a number reported wrong is no tenant, and a tenant who moved out has no status an opt-out
            # can change: their STOP is kept for the number as a stranger's is, so the tenant a later import gives
            # the number to (the person back as a new tenancy) is stored stopped; START forgets it.
            stranger = partial(self._stranger_row, scene, row.channel, row)
            today = turn.now.astimezone(self._tz).date()
            if stop_or_start(scene.conn, stranger, row.channel, row.text, self._languages, today, turn.now):
                self._stop_kept(row)
        if result.kind == "crisis" and to_case:
            self._case_heard(scene, tenant, turn.now)
            if has_consent(scene.conn, turn.tenant_id):  # without it, the words are not theirs to be told of
                notify_crisis(scene, tenant.case_id, turn.now, self._settings.public_url)
        elif tenant.status == "stopped" and result.kind in _KEPT_WHEN_STOPPED and not to_case:
            self._stopped_wrote(scene, turn, row, tenant, crisis=result.kind == "crisis")
        return result.kind if result.kind == "stop_hint" else f"keyword_{result.kind}"

    def _not_active(self, scene: Scene, turn: Turn, row: InboundRow, tenant: Any, facts: TenantFacts) -> str:
        """A message of a tenant keephome does not write to, that no command or open question of theirs takes: an
        opted-out tenant hears once a day how to come back where a reply reaches them, and their words reach staff; a
        wrong number's holder or a tenant who moved out is not read."""
        if tenant.status != "stopped":
            return "ignored_inactive"
        if facts.reached:
            self._still_stopped(scene, turn, row)
        if "callback" in (row.payload or {}):
            return "ignored_inactive"  # a button says nothing to keep: its toast told them they opted out
        return self._stopped_wrote(scene, turn, row, tenant)

    def _stopped_wrote(self, scene: Scene, turn: Turn, row: InboundRow, tenant: Any, *, crisis: bool = False) -> str:
        """An opted-out tenant wrote: nothing proactive goes to them, but their words reach staff. Their open case hears
        it as it hears any message to it (a person holding it sees they wrote); without one, it is kept for staff
        (`keep_for_staff`: a case to take when they ask for a person or are in crisis, else set aside)."""
        if tenant.case_id is not None:
            self._case_heard(scene, tenant, turn.now)
            return "stopped_to_case"
        return keep_for_staff(scene, turn, row.id, row.text, self._settings, crisis=crisis)

    @staticmethod
    def _case_heard(scene: Scene, tenant: Any, now: datetime) -> None:
        """The tenant wrote to the case a person holds or that waits with their yes: the case's time moves (the console
        shows the person that they wrote), and one that waited for the tenant is the person's to answer again. So do
        words of crisis, answered by the bot with only where to call: what comes next is the person's."""
        status = "taken" if tenant.case_status == "waiting_tenant" else tenant.case_status
        scene.change(_CASE_HEARD, {"case_id": tenant.case_id, "new_status": status, "now": now})

    def _consent_while_held(
        self, scene: Scene, turn: Turn, row: InboundRow, state: State | None, pressed: Pressed | None
    ) -> bool:
        """A clear yes or no to the consent question the tenant's conversation is open at, while a person holds the
        case: recorded as the conversation records it (the consent and its evidence, or the refusal), the conversation
        moves on, and the bot says nothing (the person reads the message and answers). A typed yes right after the
        person wrote may answer the person, so it is theirs (the question's own button is not). False when nothing
        was recorded."""
        user_input = _input(row, pressed, turn.conversation_id, queued=False)
        answered = None if user_input is None else engine.consent_answer(state, user_input, turn.now)
        if answered is None or turn.conversation_id is None:
            return False
        if isinstance(user_input, TextReceived) and _person_wrote_since(scene.conn, turn):
            return False
        self._resumed(scene, turn, *answered, quiet=True)
        return True

    def _resumed(self, scene: Scene, turn: Turn, state: State, events: list[Event], *, quiet: bool = False) -> None:
        """Save the conversation as the tenant's message left it and apply its events; `quiet`: without its words."""
        save_state(scene, turn, state)
        said = [event for event in events if not isinstance(event, MessageRequested)] if quiet else events
        apply_events(scene, turn, said, self._settings)

    def _answering(
        self, conn: Connection, tenant: Any, pressed: Pressed | None, now: datetime
    ) -> tuple[int | None, State | None]:
        """The conversation the message answers, and its state: the open one (none when its question never
        reached the tenant), or the older open one a button was pressed under."""
        conversation_id = tenant.conversation_id
        if tenant.question_unseen and give_way(conn, tenant.id, now):
            # The reminder's question was still waiting to go: the tenant's message is their own first word.
            conversation_id = None
        state = self._state(tenant) if conversation_id is not None else None
        if pressed is not None and pressed.conversation_id not in (None, conversation_id):
            # A button under a question an older open conversation still waits on (the adviser asked two consents)
            # answers that question, not the newest one.
            own = _open_state(conn, tenant.id, pressed.conversation_id)
            if own is not None:
                return pressed.conversation_id, self._spoken(own, tenant)
        return conversation_id, state

    def _still_stopped(self, scene: Scene, turn: Turn, row: InboundRow) -> None:
        """An opted-out tenant writes (a button, "jeg kan ikke betale"): once a day they hear how START brings
        messages back and how to reach a person, instead of silence. Over SMS only when the carrier does not block
        the number (`TenantFacts.reached`, from `sms_reaches`). A button pressed after that word is told it again
        in the press's toast."""
        key = f"stopped:{turn.tenant_id}:{turn.today.isoformat()}"
        if self._told(scene, key, turn.today):
            self._quiet_press(row, STOPPED, turn.language)
            return
        _daily_word(scene, turn, "keyword.still_stopped", key)

    def _heard_while_waiting(self, scene: Scene, turn: Turn, row: InboundRow, case_id: int) -> None:
        """The tenant said yes to an adviser and waits for one: what they write is kept on their case for the
        adviser (the case's time moves, so the console shows they wrote), and they hear that it arrived, at most
        once a day, instead of the opening question they already answered. A button pressed after the day's receipt
        is told the same in the press's toast (the receipt's limit keeps the chat from filling; a toast fills
        nothing)."""
        scene.change(_CASE_HEARD, {"case_id": case_id, "new_status": "waiting", "now": turn.now})
        key = _receipt_key(case_id, turn.today, _channel_of(turn))
        if self._told(scene, key, turn.today):
            # Told today already, but perhaps before the case went back to the queue: answered once after that.
            again = _receipt_since_release(scene.conn, case_id, key)
            if again is None or self._told(scene, again, turn.today):
                self._quiet_press(row, WAITING, turn.language)
                return
            key = again
        _daily_word(scene, turn, "case.waiting", key, case_id)

    def _told(self, scene: Scene, key: str, today: date) -> bool:
        """Whether the receipt under `key` was queued, committed or in this batch; marks it as queued now. The
        keys of every waiting case the batch's tenants have are looked up together, the first time one is asked."""
        known = self._known
        assert known is not None and known.scene is scene  # _find_tenant made it for this scene
        told = known.told
        if key not in told:
            keys = {key} | {
                _receipt_key(tenant.case_id, today, _channel_named(channel))
                for (channel, _), found in known.tenants.items()
                for tenant in found
                if tenant.case_status == "waiting" and tenant.consented
            }
            keys -= told.keys()
            taken = queued_among(scene.conn, sorted(keys))
            told.update((each, each in taken) for each in keys)
        already = told[key]
        told[key] = True
        return already

    def _find_tenant(self, scene: Scene, row: InboundRow) -> Any | None:
        known = self._known
        if known is None or known.scene is not scene:
            known = self._known = _Known(scene, {})
        key = (row.channel, row.sender)
        found = known.tenants.get(key)
        if found is None:  # not read with the batch
            found = _read_tenants(scene.conn, [row])[key]
        elif any(tenant.id in known.handled for tenant in found):
            # An earlier message of this tenant (on any channel) changed them: this one reads what it wrote.
            scene.flush()
            found = _read_tenants(scene.conn, [row])[key]
        known.tenants[key] = found
        if len(found) > 1:
            ids = " and ".join(str(tenant.id) for tenant in found)
            raise AmbiguousTenant(f"inbound {row.id}: tenants {ids} share one {row.channel} address")
        if not found:
            return None
        known.handled.add(found[0].id)
        return found[0]

    def _state(self, tenant: Any) -> State | None:
        if tenant.conversation_id is None:
            return None
        return self._spoken(State.load(tenant.state), tenant)

    @staticmethod
    def _spoken(state: State, tenant: Any) -> State:
        # The tenant may have switched language since the conversation began.
        return state if state.language == tenant.language else replace(state, language=tenant.language)

    def _facts(self, conn: Connection, tenant: Any, row: InboundRow, held: bool, state: State | None) -> TenantFacts:
        shared = active_recipients(conn, tenant.id) if tenant.shared else []
        return TenantFacts(
            first_name=first_name(tenant.name),
            language=tenant.language,
            channel=_channel(row),
            status=tenant.status,
            consented=bool(tenant.consented),
            held=held,
            # An open case no person holds that stays in the queue if the consent is withdrawn: an urgent outreach or
            # one an adviser opened (the case the tenant's own yes opened closes with it: bot/host/handlers).
            case_waiting=tenant.case_status == "waiting" and tenant.case_origin != "handoff",
            # Their yes put the case in the queue, whoever opened it: what they write is kept there for the adviser.
            queued=tenant.case_status == "waiting" and bool(tenant.consented),
            conversation=state,
            languages=self._languages,
            telegram_on=self._telegram_on,
            settings=self._flow_settings,
            consents=tuple(ConsentRef(kind, recipient) for kind, recipient in shared),
            # Read only for an opted-out tenant: whether a reply reaches them (the one rule, `sms_reaches`).
            reached=tenant.status != "stopped"
            or row.channel == "telegram"
            or sms_reaches(conn, tenant.id, self._languages),
        )

    def _apply_command(self, scene: Scene, turn: Turn, result: CommandResult) -> None:
        key = result.daily_key(turn.tenant_id, turn.today)
        if key is not None:
            # A line said at most once a day: the same sign sent again and again is answered once.
            if not self._told(scene, key, turn.today):
                for said in result.events:
                    if isinstance(said, MessageRequested):
                        _daily_word(scene, turn, said.template, key, values=said.values)
            return
        if result.resumed is not None and turn.conversation_id is not None:
            save_state(scene, turn, result.resumed)
        if result.started is not None:
            # The command's own short conversation (help, withdrawal, the Telegram offer); the open one waits on.
            started = turn.in_conversation(None)
            turn = started.in_conversation(save_state(scene, started, result.started))
        apply_events(scene, turn, result.events, self._settings)

    def _converse(
        self, scene: Scene, turn: Turn, tenant: Any, state: State | None, user_input: Input, pressed: Pressed | None
    ) -> None:
        if state is not None:
            self._resumed(scene, turn, *engine.resume(state, user_input, turn.now))
            return
        position = tenant if tenant.has_position else None
        deadline = running_deadline(position, turn.today, self._settings.demand_delivery_days)
        name, language = first_name(tenant.name), tenant.language
        stage = spoken_stage(position, turn.today, self._settings.demand_delivery_days)
        context = Context(name, language, _channel_of(turn), stage, self._flow_settings, deadline)
        if isinstance(user_input, TextReceived):
            # The same words right after they were answered (a resend, a double send): nothing, as a press again.
            repeated = _repeated(scene.conn, turn, user_input)
            if engine.said_again("payment_check", repeated, user_input.text, turn.now):
                return
            # Their first words may already say it ("jeg kan ikke betale"): heard at once, not asked again. A bare
            # "ja" answers what their last conversation left unanswered, if anything, and a bare "1" that
            # conversation's menu only when it was left unanswered there (`engine.start_with_text`).
            last = (
                _last_conversation(scene.conn, turn.tenant_id, seen=True)
                if engine.reads_last(user_input.text, language)
                else None
            )
            state, events = engine.start_with_text("payment_check", context, turn.now, user_input.text, last)
        elif pressed is not None:
            # A button of an earlier reminder's opening question means what it always meant.
            state, events = engine.start_with_button(
                "payment_check", context, turn.now, pressed.choice, pressed.question
            )
        else:
            state, events = engine.start("payment_check", context, turn.now)
        turn = turn.in_conversation(save_state(scene, turn, state))
        apply_events(scene, turn, events, self._settings)

    def _linking(self, row: InboundRow, now: datetime, language: str) -> Unlinked:
        """A Telegram message as the linking of chats reads it."""
        today = now.astimezone(self._tz).date()
        payload = row.payload or {}
        budget = self._settings.link_failure_budget
        return Unlinked(
            row.sender, row.text, payload, now, today, row.id, self._secret, language, budget, self._languages
        )

    def _other_tenancy(self, scene: Scene, row: InboundRow, tenant: Any, now: datetime) -> str | None:
        """A deep link or a code in a chat linked already: another tenant's is told this account belongs to
        another tenancy (bot/inbound/unlinked.py); None, or any other outcome, when the message is the tenant's."""
        if "callback" in (row.payload or {}):
            return None
        return other_tenancy(
            scene, self._linking(row, now, tenant.language), tenant.id, active=tenant.status == "active"
        )

    def app_language(self, row: InboundRow) -> str | None:
        """The language of the person's Telegram app (`language_code` in the update), when keephome speaks it: what
        a chat nobody knows yet is answered in, and a press whose handling failed in a chat not linked to one tenant
        (bot/inbound/presses.py, `set_aside_language`)."""
        code = (row.payload or {}).get("language_code") if row.channel == "telegram" else None
        return code if code in self._settings.language_list else None

    def _stranger(self, scene: Scene, row: InboundRow, now: datetime) -> str:
        stranger = partial(self._stranger_row, scene, row.channel, row)
        if stop_or_start(
            scene.conn, stranger, row.channel, row.text, self._languages, now.astimezone(self._tz).date(), now
        ):
            self._stop_kept(row)
            return STOP_KEPT
        # Nobody knows this person's language yet: their Telegram app's, when keephome speaks it.
        language = self.app_language(row)
        if row.text and sounds_in_crisis(row.text):
            # A tenant writing from a friend's phone, say: the crisis line as a tenant gets it, before the generic
            # answer and apart from its once a day; nothing offered that needs a tenancy.
            language = language or self._settings.fallback_language
            return self._answer_stranger(scene, row, now, "common.crisis", language, "crisis")
        if row.channel == "telegram":
            message = self._linking(row, now, language or self._settings.fallback_language)
            result = handle_unlinked(scene, message)
            if result == "ignored":  # a button from before the chat was unlinked: it no longer works
                self._quiet_press(row, OLD_BUTTON, message.language)
            if self._known is not None:
                # The chat may be linked now: its next message in this batch reads its tenant again.
                self._known.tenants.pop((row.channel, row.sender), None)
            return result
        # At most one polite generic answer a day; nothing about any tenant is revealed or learnt.
        return self._answer_stranger(scene, row, now, "unknown_number", self._settings.fallback_language, "unknown")

    def _stranger_row(self, scene: Scene, kind: str, row: InboundRow) -> Stranger:
        """What is kept of the sender as a stranger of `kind` (the channel, or the channel and what was answered)."""
        return Stranger(scene.conn, stranger_key(self._secret, kind, row.sender))

    def _answer_stranger(
        self, scene: Scene, row: InboundRow, now: datetime, template: str, language: str, what: str
    ) -> str:
        """Answer a number or chat no tenant has with `template`, at most once a day for each `what` ("unknown": the
        generic answer; "crisis": the crisis line, apart from it)."""
        kind = row.channel if what == "unknown" else f"{row.channel}:{what}"
        if not answer_once_today(scene.conn, self._stranger_row(scene, kind, row), now.astimezone(self._tz).date()):
            return "unknown_quiet"
        enqueue(
            scene,
            now=now,
            channel=row.channel,
            template=template,
            values={},
            language=language,
            idempotency_key=f"in:{row.id}:{what}",
            address=row.sender,
        )
        return "unknown_answered" if what == "unknown" else f"unknown_{what}"


# Whether a person wrote to the tenant after the conversation's last message to them (its question), built once. The
# word that a person took the case and reads along, or let go of it, asks nothing: a yes after it still answers the
# question.
_ASKED = (
    select(func.max(messages.c.id))
    .where(messages.c.conversation_id == bindparam("conversation_id"), messages.c.direction == "out")
    .scalar_subquery()
)
_PERSON_WROTE_SINCE = select(
    exists().where(
        messages.c.tenant_id == bindparam("tenant_id"),
        messages.c.author.like(literal_column("'staff:%'")),
        or_(messages.c.template.is_(None), messages.c.template.not_in((TAKEN, RELEASED))),
        messages.c.id > func.coalesce(_ASKED, 0),
    )
)


def _person_wrote_since(conn: Connection, turn: Turn) -> bool:
    """Whether a person wrote to the tenant after the question of the turn's conversation was asked."""
    found = conn.execute(_PERSON_WROTE_SINCE, {"tenant_id": turn.tenant_id, "conversation_id": turn.conversation_id})
    return bool(found.scalar())


def _read_tenants(conn: Connection, rows: Sequence[InboundRow]) -> dict[tuple[str, str], list[Row[Any]]]:
    """Every live tenant each row's sender may be: (channel, sender) -> tenants (none, one, or, wrongly, more)."""
    return tenants_by_address(conn, rows, _BY_ADDRESS)


def _channel_named(name: str) -> Channel:
    """The channel a message came on: Telegram, else SMS."""
    return "telegram" if name == "telegram" else "sms"


def _channel(row: InboundRow) -> Channel:
    return _channel_named(row.channel)


def _channel_of(turn: Turn) -> Channel:
    return _channel_named(turn.channel)
