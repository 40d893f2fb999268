"""The database tables (SQLAlchemy Core); Alembic migrations mirror this module."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    false,
    literal_column,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

__all__ = [
    "CRISIS_LINE",
    "FAILED_STATUSES",
    "INBOUND_FAILED",
    "OPEN_CASE",
    "STATUS_RANK",
    "UTCDateTime",
    "api_idempotency",
    "api_keys",
    "audit_log",
    "audit_names",
    "balance_events",
    "case_events",
    "case_tasks",
    "cases",
    "consents",
    "conversations",
    "court_cases",
    "early_statuses",
    "erased_refs",
    "inbound",
    "link_codes",
    "login_attempts",
    "messages",
    "metadata",
    "outbox",
    "planned_reminders",
    "referrals",
    "rent_events",
    "rent_positions",
    "report_baselines",
    "settings_flags",
    "staff",
    "staff_sessions",
    "tenants",
    "unknown_senders",
]

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UTCDateTime(TypeDecorator[datetime]):
    """Keeps datetimes aware and in UTC on SQLite, which stores them as naive text."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime written to the database")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value

    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any] | None:
        # A transaction writes the same few instants (its `now`, a send time) on many rows: the plan's 27,000
        # reminders wrote 276,000 datetimes, each converted to UTC and formatted again (the plan's largest
        # parameter cost). Each instant's bound value is made once and remembered, a few hundred at most.
        process = super().bind_processor(dialect)
        if process is None:
            return None
        made = process
        seen: dict[datetime, Any] = {}

        def remembered(value: datetime | None) -> Any:
            if value is None:
                return None
            try:
                return seen[value]
            except KeyError:
                pass
            bound = made(value)  # a naive datetime raises here, and is never remembered
            if len(seen) >= 512:
                seen.clear()
            seen[value] = bound
            return bound

        return remembered


# UTC everywhere; timezone=True keeps PostgreSQL honest, SQLite stores ISO text.
TS = UTCDateTime()
ID = BigInteger().with_variant(Integer, "sqlite")

tenants = Table(
    "tenants",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("tenant_ref", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("phone", String(20), nullable=True, index=True),
    Column("language", String(8), nullable=False, default="da"),
    # When the tenant last chose their language themselves (wrote ENGLISH, DANSK, …); None: the organisation's file
    # sets it. An import keeps a tenant's own choice (bot/tenants/upsert.py).
    Column("language_chosen_at", TS, nullable=True),
    Column("channel_preference", String(16), nullable=False, default="auto"),
    Column("telegram_chat_id", BigInteger, nullable=True, unique=True),
    Column("telegram_blocked", Boolean, nullable=False, default=False),
    # active, stopped (opted out), wrong_number, erased
    Column("status", String(16), nullable=False, default="active"),
    # The court path: the address the § 92 notice and a door knock need; children under 18 in the household
    # (None: not known) raise a case's urgency.
    Column("address", String(300), nullable=True),
    Column("children", Boolean, nullable=True),
    Column("created_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
)
# One number, one tenant: an SMS from a number leads to exactly one tenant who is not erased.
Index(
    "uq_tenants_phone_live",
    tenants.c.phone,
    unique=True,
    sqlite_where=tenants.c.status != "erased",
    postgresql_where=tenants.c.status != "erased",
)

rent_positions = Table(
    "rent_positions",
    metadata,
    Column("tenant_id", ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True),
    Column("due_day", Integer, nullable=False, default=1),
    Column("monthly_rent_ore", BigInteger, nullable=True),
    Column("balance_ore", BigInteger, nullable=False, default=0),
    Column("balance_as_of", Date, nullable=False),
    Column("last_payment_on", Date, nullable=True),
    Column("demand_sent_on", Date, nullable=True),
    # the day the påkrav reached the tenant, when known; else demand_sent_on + KEEPHOME_DEMAND_DELIVERY_DAYS
    Column("demand_received_on", Date, nullable=True),
    Column("termination_on", Date, nullable=True),
    Column("court_date", Date, nullable=True),
    # The open court case's filing day (court_cases holds every filing); court_date is its meeting day.
    Column("court_filed_on", Date, nullable=True),
    Column("at_risk", Boolean, nullable=False, default=False),
    Column("arrears_last_12m", Boolean, nullable=False, default=False),
    # the latest balance date on which an import showed arrears; drives arrears_last_12m
    Column("last_arrears_on", Date, nullable=True),
    Column("promise_on", Date, nullable=True),
    Column("paid_claim_until", Date, nullable=True),
    Column("updated_at", TS, nullable=False),
)

conversations = Table(
    "conversations",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("tenant_id", ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("flow", String(40), nullable=False),
    Column("trigger", String(20), nullable=True),
    Column("state", JSON, nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("waiting_until", TS, nullable=True, index=True),
    Column("ended_reason", String(40), nullable=True),
    Column("version", Integer, nullable=False, default=1),
    Column("started_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
)
# A tenant's active conversation, looked up for every message they send (bot/inbound/handler.py): a partial index
# holds only the active ones, so the look reads one entry, not every conversation the tenant ever had.
_ACTIVE_CONVERSATION = conversations.c.active.is_(True)
Index(
    "ix_conversations_active",
    conversations.c.tenant_id,
    conversations.c.id,
    sqlite_where=_ACTIVE_CONVERSATION,
    postgresql_where=_ACTIVE_CONVERSATION,
)

inbound = Table(
    "inbound",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("channel", String(16), nullable=False),
    # Twilio MessageSid; Telegram "chat:message" or "cb:<callback id>"
    Column("provider_id", String(80), nullable=False),
    Column("sender", String(40), nullable=False),
    Column("text", Text, nullable=True),
    Column("payload", JSON, nullable=True),
    Column("received_at", TS, nullable=False),
    Column("processed_at", TS, nullable=True),
    Column("lease_until", TS, nullable=True),
    # When the handler failed on it (the processor set it aside unanswered), and when an admin marked that dealt with.
    Column("failed_at", TS, nullable=True),
    Column("dealt_with_at", TS, nullable=True),
    UniqueConstraint("channel", "provider_id", name="uq_inbound_channel_provider"),
    Index("ix_inbound_pending", "processed_at", "id"),
)
# The messages still waiting, by sender: on PostgreSQL the processor takes a message only when no earlier one of
# the same sender waits (order per tenant across processes); with this partial index that check is one probe,
# not a walk over every waiting row, however long the backlog.
_WAITING = inbound.c.processed_at.is_(None)
Index(
    "ix_inbound_waiting_sender",
    inbound.c.channel,
    inbound.c.sender,
    inbound.c.id,
    sqlite_where=_WAITING,
    postgresql_where=_WAITING,
)

# The messages keephome could not handle and no admin has dealt with yet: the admin page's list and the gauge
# `keephome_inbound_failed` read these few entries, never the table of every message kept until retention.
INBOUND_FAILED = inbound.c.failed_at.is_not(None) & inbound.c.dealt_with_at.is_(None)
Index("ix_inbound_failed", inbound.c.id, sqlite_where=INBOUND_FAILED, postgresql_where=INBOUND_FAILED)

# A message's delivery status only moves up this ladder: a late "sent" never overwrites "delivered".
STATUS_RANK = {
    "queued": 0,
    "waiting": 0,  # a proactive message that cannot go now (no channel, the pause): back to queued when it can
    "received": 0,
    "sending": 1,
    "sent": 2,
    "undelivered": 3,
    "failed": 3,
    "held": 3,
    "dropped": 3,  # a proactive message that was no longer due when it could go (outbox.last_error says why)
    "delivered": 4,
    "read": 5,
}

messages = Table(
    "messages",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("tenant_id", ForeignKey("tenants.id", ondelete="CASCADE"), nullable=True, index=True),
    Column("conversation_id", ForeignKey("conversations.id", ondelete="SET NULL"), nullable=True),
    Column("case_id", ForeignKey("cases.id", ondelete="SET NULL"), nullable=True, index=True),
    Column("direction", String(3), nullable=False),  # in / out
    Column("channel", String(16), nullable=True),
    Column("provider_id", String(80), nullable=True),
    Column("text", Text, nullable=True),
    Column("template", String(80), nullable=True),
    # who wrote it: tenant, bot, staff:<id>
    Column("author", String(40), nullable=False),
    # queued, sending, sent, delivered, undelivered, failed, received
    Column("status", String(16), nullable=False),
    Column("status_rank", Integer, nullable=False, default=0),
    Column("error_code", String(16), nullable=True),
    Column("proactive", Boolean, nullable=False, default=False),
    Column("created_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
    # when the sender first recorded it sent (a receipt moves updated_at, never this); None: not sent, or sent before
    # revision 0017
    Column("sent_at", TS, nullable=True),
    UniqueConstraint("channel", "provider_id", name="uq_messages_channel_provider"),
)
# A Twilio status callback that came before the sender recorded its message's sid (a failure to an unreachable number
# can come within a fraction of a second): kept here, the highest-ranked status seen, and applied through
# `record_delivery` in the transaction in which the sender records that sid (bot/outbox/record.py). One never matched
# is deleted by the retention purge a day after it came (`EARLY_STATUS_KEPT`).
early_statuses = Table(
    "early_statuses",
    metadata,
    Column("sid", String(80), primary_key=True),
    Column("status", String(16), nullable=False),
    Column("status_rank", Integer, nullable=False),
    Column("error_code", String(16), nullable=True),
    Column("received_at", TS, nullable=False, index=True),
)
# The outcome page counts delivery failures of a period: a partial index holds only failed messages, so the
# busy paths that write and update every other message never touch it.
FAILED_STATUSES = ("failed", "undelivered")
_FAILED = messages.c.status.in_([literal_column(f"'{status}'") for status in FAILED_STATUSES])
Index("ix_messages_failed_at", messages.c.created_at, sqlite_where=_FAILED, postgresql_where=_FAILED)
# The same page asks, for each reminded tenant, whether they wrote back and when staff first wrote to them: two
# partial indexes hold only tenants' messages and only staff messages, with every column it reads (covering).
_REPLIES = messages.c.direction == literal_column("'in'")
Index(
    "ix_messages_replies",
    messages.c.tenant_id,
    messages.c.created_at,
    messages.c.direction,
    sqlite_where=_REPLIES,
    postgresql_where=_REPLIES,
)
# The bot's answer to words of crisis (conversations/commands.py `_crisis`): its time is when the tenant wrote them.
# The reminder plan and the advisers' queue ask, for every tenant, when that last was (bot/host/crisis.py): a partial
# index holds only those messages, with the columns it reads.
CRISIS_LINE = "common.crisis"
_CRISIS = messages.c.template == literal_column(f"'{CRISIS_LINE}'")
Index(
    "ix_messages_crisis",
    messages.c.tenant_id,
    messages.c.created_at,
    sqlite_where=_CRISIS,
    postgresql_where=_CRISIS,
)
_BY_STAFF = messages.c.author.like(literal_column("'staff:%'"))
Index(
    "ix_messages_by_staff",
    messages.c.tenant_id,
    messages.c.created_at,
    messages.c.author,
    messages.c.template,
    sqlite_where=_BY_STAFF,
    postgresql_where=_BY_STAFF,
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("message_id", ForeignKey("messages.id", ondelete="CASCADE"), nullable=False),
    Column("tenant_id", ForeignKey("tenants.id", ondelete="CASCADE"), nullable=True, index=True),
    # the address when there is no tenant (an unknown sender): phone or chat id
    Column("address", String(40), nullable=True),
    Column("channel", String(16), nullable=False),
    Column("template", String(80), nullable=False),
    Column("values", JSON, nullable=False),
    # Telegram buttons as [choice key, label template key]; SMS texts list their options themselves
    Column("choices", JSON, nullable=True),
    Column("language", String(8), nullable=False),
    Column("proactive", Boolean, nullable=False, default=False),
    Column("not_before", TS, nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", TS, nullable=False),
    Column("lease_until", TS, nullable=True),
    Column("idempotency_key", String(120), nullable=False, unique=True),
    # pending, waiting (proactive, cannot go now), sent, failed, held (cancelled by a rule), dropped (no longer due);
    # docs/CONTRACTS.md lists the reasons last_error holds for each
    Column("state", String(12), nullable=False, default="pending"),
    Column("last_error", String(200), nullable=True),
    Column("created_at", TS, nullable=False),
    # set when a proactive row waited (for a channel, or the pause): the reminder policy checks it again first
    Column("recheck", Boolean, nullable=False, default=False),
    # set once a try's outcome was unknown (it may have reached the tenant), never cleared (bot/outbox/record.py)
    Column("maybe_sent", Boolean, nullable=False, default=False, server_default=false()),
    # the claim: answers before proactive rows, per channel, due first (bot/outbox/claim.py)
    Index("ix_outbox_claim", "state", "proactive", "channel", "next_attempt_at"),
)
# The admin page lists the messages of the last days that may have reached a tenant twice: a partial index holds
# only those rows (few), so the busy paths that write every other row never touch it.
MAYBE_TWICE = outbox.c.maybe_sent.is_(True)
Index("ix_outbox_maybe_sent", outbox.c.created_at, sqlite_where=MAYBE_TWICE, postgresql_where=MAYBE_TWICE)

consents = Table(
    "consents",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("tenant_id", ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("scope", String(40), nullable=False),
    Column("wording_version", String(40), nullable=False),
    Column("given_at", TS, nullable=False),
    Column("withdrawn_at", TS, nullable=True),
    Column("evidence_message_id", ForeignKey("messages.id", ondelete="SET NULL"), nullable=True),
    # Who may receive what, why and for which case (retssikkerhedsloven § 11 a: a general consent is not enough).
    # recipient_kind: organisation (the organisation's own advisers), kommune, volunteer_org; recipient names the
    # kommune unit or the organisation. method: conversation (a yes in a flow), telegram (the full wording on
    # Telegram), signed_form (recorded by the adviser), oral (the adviser's own advice only).
    Column("recipient_kind", String(16), nullable=False, server_default="organisation"),
    Column("recipient", String(200), nullable=True),
    Column("source", String(200), nullable=True),
    Column("data_kinds", JSON, nullable=True),
    Column("purpose", Text, nullable=True),
    Column("wording", Text, nullable=True),
    Column("method", String(16), nullable=False, server_default="conversation"),
    Column("case_id", ForeignKey("cases.id", ondelete="SET NULL"), nullable=True, index=True),
    Column("recorded_by", ForeignKey("staff.id", ondelete="SET NULL"), nullable=True),
    # withdrawn (by the tenant) or case_closed (a kommune consent lapses with its case)
    Column("ended_reason", String(16), nullable=True),
)

cases = Table(
    "cases",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("tenant_id", ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False, index=True),
    # waiting, taken, waiting_tenant, volunteer, closed
    Column("status", String(16), nullable=False),
    Column("origin", String(16), nullable=False),  # handoff, outreach, manual
    Column("reason", String(200), nullable=False),
    Column("priority", Integer, nullable=False, default=0),
    Column("assignee_id", ForeignKey("staff.id", ondelete="SET NULL"), nullable=True),
    Column("volunteer_id", ForeignKey("staff.id", ondelete="SET NULL"), nullable=True),
    Column("volunteer_task", String(300), nullable=True),
    Column("volunteer_due", Date, nullable=True),
    Column("outcome", String(32), nullable=True),
    Column("outcome_note", Text, nullable=True),
    Column("consented", Boolean, nullable=False, default=False),
    Column("opened_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
    Column("closed_at", TS, nullable=True),
)
# A tenant has at most one open case: a handoff, an outreach and a manual opening in concurrent transactions each
# read that there is none; the second insert then finds this index's entry and refreshes the first case instead.
# The word is written into the statement: an ON CONFLICT naming this index must say its condition, and PostgreSQL
# cannot match a parameter to it once the insert runs on a generic plan (the sixth time on one connection).
OPEN_CASE = cases.c.status != literal_column("'closed'")
Index("ux_cases_open_tenant", cases.c.tenant_id, unique=True, sqlite_where=OPEN_CASE, postgresql_where=OPEN_CASE)
# The report reads the cases opened in a period (bot/console/outcome_queries.py, `case_contact_query`).
Index("ix_cases_opened_at", cases.c.opened_at)

case_events = Table(
    "case_events",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("case_id", ForeignKey("cases.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("staff_id", ForeignKey("staff.id", ondelete="SET NULL"), nullable=True),
    Column("kind", String(24), nullable=False),  # note, taken, released, status, task, closed
    Column("text", Text, nullable=True),
    Column("at", TS, nullable=False),
    # The one-time value of the console form that recorded the event (a note, "contact made", a consent recorded):
    # the same form sent again records nothing. Unique with the kind, since one page's forms share their value.
    Column("form_nonce", String(64), nullable=True),
    UniqueConstraint("kind", "form_nonce", name="uq_case_events_form"),
)
# A volunteer's list reads their own events of a kind lately (the tasks a closing ended, bot/console/volunteer.py).
Index("ix_case_events_staff_kind", case_events.c.staff_id, case_events.c.kind, case_events.c.at)

staff = Table(
    "staff",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("email", String(200), nullable=False, unique=True),
    Column("name", String(200), nullable=True),
    Column("role", String(16), nullable=False),  # admin, adviser, volunteer, caretaker
    Column("password_hash", String(200), nullable=True),
    Column("active", Boolean, nullable=False, default=True),
    Column("telegram_chat_id", BigInteger, nullable=True),
    Column("notify_telegram", Boolean, nullable=False, default=False),
    # a one-time code the staff member types to the bot ("STAFF 123456") to link their chat for notices
    Column("telegram_code_hash", String(128), nullable=True),
    Column("telegram_code_expires_at", TS, nullable=True),
    Column("setup_token_hash", String(128), nullable=True),
    Column("setup_expires_at", TS, nullable=True),
    Column("failed_logins", Integer, nullable=False, default=0),
    Column("locked_until", TS, nullable=True),
    # The console's language for this person (da, en); None: KEEPHOME_CONSOLE_LANGUAGE.
    Column("language", String(8), nullable=True),
    Column("created_at", TS, nullable=False),
    # A volunteer's organisation: the recipient a consent to share must name before a case goes to them.
    Column("organisation", String(200), nullable=True),
)

staff_sessions = Table(
    "staff_sessions",
    metadata,
    Column("id", String(64), primary_key=True),  # sha256 of the cookie value
    Column("staff_id", ForeignKey("staff.id", ondelete="CASCADE"), nullable=False, index=True),
    # Indexed: a form posted after its session ended finds who typed it by its token (bot/console/kept_text.py).
    Column("csrf_token", String(64), nullable=False, index=True),
    Column("created_at", TS, nullable=False),
    Column("expires_at", TS, nullable=False),
    Column("revoked", Boolean, nullable=False, default=False),
)

# Sign-in attempts, counted before a password is checked: one row per e-mail typed (an account or not) and
# one per client address. The key is a keyed hash, so neither the e-mail nor the address is kept; retention
# forgets rows nobody has used for a day.
login_attempts = Table(
    "login_attempts",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("kind", String(8), nullable=False),  # account, address
    Column("failures", Integer, nullable=False, default=0),
    Column("in_flight", Integer, nullable=False, default=0),
    Column("in_flight_until", TS, nullable=True),
    Column("blocked_until", TS, nullable=True),
    Column("last_at", TS, nullable=False, index=True),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("at", TS, nullable=False, index=True),
    Column("actor", String(60), nullable=False),  # staff:<id>, api:<key id>, cli, system
    Column("action", String(40), nullable=False),
    # Indexed: the audit page filters and counts by target on every view (migration 0025).
    Column("target", String(80), nullable=True, index=True),
    Column("detail", Text, nullable=True),
)

# The names an entry's detail carries (`case:5,task:7` → `case:5`, `task:7`; bot/store/audit.py), written with the
# entry: the audit filter and a tenant's export find the entries that name a tenant's parts by `name`, not by reading
# every detail (migration 0026).
audit_names = Table(
    "audit_names",
    metadata,
    Column("audit_id", ForeignKey("audit_log.id", ondelete="CASCADE"), primary_key=True),
    Column("name", String(80), primary_key=True),
    Index("ix_audit_names_name", "name"),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False),
    Column("key_hash", String(128), nullable=False, unique=True),
    Column("created_at", TS, nullable=False),
    Column("revoked_at", TS, nullable=True),
    # read < write < erase (bot/api/keys.py)
    Column("scope", String(8), nullable=False, default="read"),
    Column("last_used_at", TS, nullable=True),
    # The key's requests in the current minute, counted here so the limit holds across processes.
    Column("window_started_at", TS, nullable=True),
    Column("window_count", Integer, nullable=False, default=0),
    # The one-time value of the console form that made the key: the same form sent again makes no second key.
    Column("form_nonce", String(64), nullable=True, unique=True),
    # The admin who made the key (staff.id; staff rows are never deleted); None: made with `keephome apikey add`.
    Column("made_by", ID, nullable=True),
)

# What an API write answered, by its Idempotency-Key: a repeat within a day gets the same answer and changes
# nothing. The nightly purge deletes rows older than that.
api_idempotency = Table(
    "api_idempotency",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("key_id", ForeignKey("api_keys.id", ondelete="CASCADE"), nullable=False),
    Column("idempotency_key", String(200), nullable=False),
    # sha256 of the method, the path and the body: the same key with another request is refused
    Column("fingerprint", String(64), nullable=False),
    Column("status", Integer, nullable=True),
    Column("body", Text, nullable=True),
    Column("created_at", TS, nullable=False, index=True),
    UniqueConstraint("key_id", "idempotency_key", name="uq_api_idempotency_key"),
)

link_codes = Table(
    "link_codes",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("tenant_id", ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("kind", String(8), nullable=False),  # token (deep link) or code (typed)
    Column("secret_hash", String(128), nullable=False, unique=True),
    Column("expires_at", TS, nullable=False),
    Column("used_at", TS, nullable=True),
    Column("created_at", TS, nullable=False),
    # wrong codes typed anywhere while this code was live: a typed code stops working after
    # bot.tenants.linking.MAX_MISSES_PER_CODE of them (a wrong guess cannot be tied to one code)
    Column("misses", Integer, nullable=False, default=0),
)

unknown_senders = Table(
    "unknown_senders",
    metadata,
    # a keyed hash of the address, so no phone number is kept for people we do not know
    Column("address_hash", String(64), primary_key=True),
    Column("last_answered_on", Date, nullable=True),
    Column("failed_codes", Integer, nullable=False, default=0),
    Column("blocked_until", TS, nullable=True),
    # When the number said STOP (or AFMELD, …) and has not said START since: an import or the API that gives the
    # number to a tenant stores that tenant stopped (bot/tenants/said_stop.py).
    Column("stopped_at", TS, nullable=True),
)

# A reminder's first message, by its key `rem:<planned id>:0`, with its channel: only reminders' rows are in it.
_REMINDER_ROWS = outbox.c.idempotency_key.like(literal_column("'rem:%'"))
Index(
    "ix_outbox_reminders",
    outbox.c.idempotency_key,
    outbox.c.channel,
    outbox.c.message_id,
    sqlite_where=_REMINDER_ROWS,
    postgresql_where=_REMINDER_ROWS,
)

planned_reminders = Table(
    "planned_reminders",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("tenant_id", ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
    Column("trigger", String(20), nullable=False),
    Column("period", String(7), nullable=False),
    Column("offset_days", Integer, nullable=False, default=-1),
    Column("planned_for", Date, nullable=False, index=True),
    Column("reason", String(300), nullable=False),
    # What the planner computed it from (`PlannedReminder.computed_from`): the reason in any language. None before
    # migration 0012, and once erased or past retention, as the reason is blanked.
    Column("computed_from", JSON, nullable=True),
    Column("created_at", TS, nullable=False),
    UniqueConstraint("tenant_id", "trigger", "period", "offset_days", name="uq_planned_reminders_key"),
)
# The outcome page's cohort (the tenants first reminded in a period) read from one index, without the rows.
Index(
    "ix_planned_reminders_cohort",
    planned_reminders.c.planned_for,
    planned_reminders.c.tenant_id,
    planned_reminders.c.trigger,
    planned_reminders.c.created_at,
)

# The balance as the ledger showed it, one row each time an import or a payment changed it (`as_of` is the
# ledger's date): the outcome page asks whether a reminded tenant's balance reached 0 within days. Erasure
# keeps `settled` and forgets the amount.
balance_events = Table(
    "balance_events",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("tenant_id", ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
    Column("as_of", Date, nullable=False),
    Column("balance_ore", BigInteger, nullable=True),
    Column("settled", Boolean, nullable=False),
    Column("source", String(16), nullable=False),  # import, api, payment
    Column("recorded_at", TS, nullable=False),
    Index("ix_balance_events_settled", "tenant_id", "settled", "as_of"),
)

# Tombstones of erased tenants: a keyed hash (KEEPHOME_SECRET_KEY) of the tenant_ref, nothing else, so a later
# import of the same tenant_ref is skipped unless its row says reactivate=1 (bot/tenants/erase.py).
erased_refs = Table(
    "erased_refs",
    metadata,
    Column("ref_hash", String(64), primary_key=True),
    Column("erased_at", TS, nullable=False),
)

# Filings with the fogedret, one row each (a tenant can have several over time). The open one's dates are the rent
# position's court_filed_on/court_date. kommune_notified_on is the almenlejeloven § 92 stk. 2 notice, due no later
# than filed_on. outcome: called_off (payment or agreement), carried_out, moved_out; a postponement moves
# court_date and is a rent_events row.
court_cases = Table(
    "court_cases",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("tenant_id", ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("filed_on", Date, nullable=True),
    Column("court_date", Date, nullable=True),
    Column("kommune_notified_on", Date, nullable=True),
    Column("retskreds", String(80), nullable=True),
    Column("meeting_kind", String(16), nullable=True),  # court, address
    Column("reached_by_phone", Boolean, nullable=True),
    Column("status", String(8), nullable=False, default="open"),  # open, closed
    Column("outcome", String(16), nullable=True),
    Column("outcome_on", Date, nullable=True),
    Column("opened_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
    Column("closed_at", TS, nullable=True),
)

# The steps of the rent path as dated events, kept when first seen (an import, the API or the console): demand,
# termination, filing, court_date, postponed, called_off, carried_out, moved_out, kommune_notified. The
# organisation's report counts them; a repeat of the same kind and day for a tenant is not a new event.
rent_events = Table(
    "rent_events",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("tenant_id", ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(24), nullable=False),
    Column("on", Date, nullable=False),
    Column("court_case_id", ForeignKey("court_cases.id", ondelete="SET NULL"), nullable=True),
    Column("source", String(16), nullable=False),  # import, api, console
    Column("seen_at", TS, nullable=False),
    UniqueConstraint("tenant_id", "kind", "on", name="uq_rent_events_key"),
    Index("ix_rent_events_kind_on", "kind", "on"),
)

# A referral to the kommune, made by an adviser with a matching kommune consent. contents is what the adviser
# prints or downloads (rent position, letters received, household, help sought, contact) as it stood.
# decision: granted, refused, granted_with_conditions.
referrals = Table(
    "referrals",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("tenant_id", ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("case_id", ForeignKey("cases.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("consent_id", ForeignKey("consents.id", ondelete="SET NULL"), nullable=True),
    Column("created_by", ForeignKey("staff.id", ondelete="SET NULL"), nullable=True),
    Column("help_sought", JSON, nullable=False),
    Column("contents", JSON, nullable=True),
    Column("decision", String(32), nullable=True),
    Column("decided_on", Date, nullable=True),
    Column("created_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
)

# Work on a case beyond the conversation: reaching an unreachable tenant (call by the adviser; knock or postcard
# by the caretaker), a volunteer's appointment (at, place, advice_kind), and steps tracked beside a referral
# (boligstoette, debt_counselling). status: open, then reached/not_reached, held/missed/moved, applied/granted/
# refused or done.
case_tasks = Table(
    "case_tasks",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("case_id", ForeignKey("cases.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("tenant_id", ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("kind", String(24), nullable=False),
    Column("status", String(16), nullable=False, default="open"),
    Column("assignee_id", ForeignKey("staff.id", ondelete="SET NULL"), nullable=True, index=True),
    Column("due_on", Date, nullable=True),
    Column("at", TS, nullable=True),
    Column("place", String(300), nullable=True),
    Column("advice_kind", String(32), nullable=True),
    Column("note", Text, nullable=True),
    Column("created_by", ForeignKey("staff.id", ondelete="SET NULL"), nullable=True),
    Column("created_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
    Column("done_at", TS, nullable=True),
)
# Never two open outreach steps or appointments of one kind on a case (the outreach job and a click may offer the
# same step at once; bot/host/outreach.py, appointments.py). The referral's tracked steps are not covered.
_OPEN_TASK = and_(
    case_tasks.c.status == literal_column("'open'"),
    case_tasks.c.kind.in_([literal_column(f"'{kind}'") for kind in ("call", "knock", "postcard", "appointment")]),
)
Index(
    "uq_case_tasks_open",
    case_tasks.c.case_id,
    case_tasks.c.kind,
    unique=True,
    sqlite_where=_OPEN_TASK,
    postgresql_where=_OPEN_TASK,
)

# The organisation's yearly figures from before go-live, entered by an admin: the report's "before".
report_baselines = Table(
    "report_baselines",
    metadata,
    Column("year", Integer, primary_key=True, autoincrement=False),
    Column("tenancies", Integer, nullable=True),
    Column("demands", Integer, nullable=True),
    Column("terminations", Integer, nullable=True),
    Column("filings", Integer, nullable=False),
    Column("evictions", Integer, nullable=False),
    Column("evictions_with_moves", Integer, nullable=True),
    Column("updated_by", ForeignKey("staff.id", ondelete="SET NULL"), nullable=True),
    Column("updated_at", TS, nullable=False),
)

settings_flags = Table(
    "settings_flags",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("value", String(200), nullable=False),
    Column("updated_at", TS, nullable=False),
)
