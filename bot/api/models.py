"""The API's bodies as pydantic models: what a request may carry and what an answer holds.

Fields are the CSV's header names. Money is a JSON string with a decimal point (`"7100.50"`, never a number),
dates `"YYYY-MM-DD"`. The models check JSON types only (a number where money goes is refused here); what a
value means — a valid phone, a known language, a date in the calendar, no control characters — is checked by
the CSV import's own validator (`bot.tenants.csv_rows.check_row`), so both doors accept the same tenants. The
schema publishes those rules (patterns, lengths) so a client can check before it sends.

Answers never carry a message text, an answer the tenant gave or a note: only stages, triggers, delivery
statuses and conversation steps.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, WithJsonSchema

from bot.api.errors import ApiError, Problem, from_validation
from bot.api.json_body import decode, repeated_problems
from bot.tenants.csv_rows import BALANCE_DAYS_AHEAD, FIRST_YEAR, LAST_YEAR, MAX_AMOUNT, POINT_AMOUNT
from bot.tenants.phones import MAX_LENGTH as PHONE_MAX_LENGTH

__all__ = [
    "MAX_BULK",
    "BulkIn",
    "BulkWritten",
    "CaseList",
    "CaseOut",
    "ConversationOut",
    "ErrorOut",
    "Misfit",
    "PaymentIn",
    "PaymentOut",
    "ProblemOut",
    "ReminderOut",
    "TenantIn",
    "TenantOut",
    "TenantWritten",
    "money",
    "parse_bulk",
    "parse_fields",
    "problems_found",
]

MAX_BULK = 10_000

Money = Annotated[
    str,
    WithJsonSchema(
        {
            "type": "string",
            "pattern": POINT_AMOUNT,
            "maxLength": 20,
            "description": f"kroner with a decimal point, at most {MAX_AMOUNT} either way",
            "examples": ["7100.50"],
        }
    ),
]
Day = Annotated[
    str,
    WithJsonSchema(
        {
            "type": "string",
            "format": "date",
            "description": f"YYYY-MM-DD, in the years {FIRST_YEAR} to {LAST_YEAR}",
            "examples": ["2026-03-01"],
        }
    ),
]
Ref = Annotated[str, WithJsonSchema({"type": "string", "minLength": 1, "maxLength": 64, "examples": ["DK-1001"]})]
Name = Annotated[
    str, WithJsonSchema({"type": "string", "minLength": 1, "maxLength": 200, "examples": ["Amira Hansen"]})
]
Phone = Annotated[
    str,
    WithJsonSchema(
        {
            "type": "string",
            "maxLength": PHONE_MAX_LENGTH,
            "description": "one number: E.164, or a Danish number without +45",
            "examples": ["+4520123456"],
        }
    ),
]
Language = Annotated[
    str, WithJsonSchema({"type": "string", "description": "ISO 639-1; default da", "examples": ["da", "en"]})
]
Address = Annotated[
    str, WithJsonSchema({"type": "string", "maxLength": 300, "examples": ["Eksempelvej 1, 2. tv, 8220 Brabrand"]})
]
DueDay = Annotated[int, WithJsonSchema({"type": "integer", "minimum": 1, "maximum": 31, "examples": [1]})]

_IN = ConfigDict(extra="forbid", strict=True)


class _TenantFields(BaseModel):
    model_config = _IN

    name: Name
    phone: Phone
    language: Language | None = None
    due_day: DueDay | None = None
    monthly_rent: Money | None = None
    balance: Money | None = Field(default=None, description="what the tenant owes (0 when paid up)")
    balance_as_of: Day | None = Field(default=None, description="the day the balance is from; default today")
    demand_sent_on: Day | None = None
    demand_received_on: Day | None = None
    termination_on: Day | None = None
    court_date: Day | None = None
    at_risk: bool | None = None
    reactivate: bool | None = Field(
        default=None, description="true brings back a tenant_ref that was erased (as a new tenant); else it stays out"
    )
    address: Address | None = Field(default=None, description="left out: the stored address stays")
    children: bool | None = Field(
        default=None, description="children under 18 in the household; left out: the stored value stays"
    )
    court_filed_on: Day | None = Field(default=None, description="the day the case was filed with the fogedret")
    kommune_notified_on: Day | None = Field(
        default=None, description="the day the kommune was notified of the filing (almenlejeloven § 92 stk. 2)"
    )


class TenantIn(_TenantFields):
    """`PUT /api/v1/tenants/{tenant_ref}`: the whole tenancy, as a CSV row has it (a field left out takes its
    default, as an empty CSV cell does)."""

    tenant_ref: Ref | None = Field(default=None, description="when given, the same as in the path")


class BulkTenant(_TenantFields):
    """One tenancy in a bulk."""

    tenant_ref: Ref


class BulkIn(BaseModel):
    """`POST /api/v1/tenants/bulk`: up to 10,000 tenancies, written all or none."""

    model_config = _IN

    tenants: Annotated[list[BulkTenant], Field(max_length=MAX_BULK)]


class _BulkEnvelope(BaseModel):
    """A bulk before its items are read: each item is read on its own, so one answer names every bad item."""

    model_config = _IN

    tenants: Annotated[list[Any], Field(max_length=MAX_BULK)]


class PaymentIn(BaseModel):
    """`POST /api/v1/tenants/{tenant_ref}/payments`."""

    model_config = _IN

    amount: Money = Field(
        description=f"kroner with a decimal point, more than 0; a payment that would leave a credit larger than "
        f"{MAX_AMOUNT} (the most a balance may be either way) is refused and changes nothing"
    )
    paid_on: Day


_OUT = ConfigDict(extra="forbid")


class ProblemOut(BaseModel):
    """One bad field; `index` is the item's place in a bulk (from 0)."""

    model_config = _OUT

    index: int | None
    field: str | None
    reason: str


class ErrorOut(BaseModel):
    """Every refusal (4xx)."""

    model_config = _OUT

    error: str
    errors: list[ProblemOut]


class Notice(BaseModel):
    """Something to know about an item written as it is: `index` (in a bulk), `field` and `reason`, as a problem."""

    model_config = _OUT

    index: int | None
    field: str | None
    reason: str


_NOTICES = (
    "what to know of items written as they are: a language not enabled here (KEEPHOME_LANGUAGES), so the tenant "
    f"reads the fallback language; a balance_as_of up to {BALANCE_DAYS_AHEAD} days after today, taken as of today; "
    "a court_filed_on before the termination_on; a demand_sent_on before the earliest day a påkrav may be sent for the "
    "rent it concerns, the latest whose last on-time day had passed (it may have no legal effect: check which rent it "
    "concerns)"
)


_SAID_STOP = (
    "the tenant's number, new to them, had already said STOP before it was theirs: the tenant is stored stopped and "
    "gets nothing until they write START"
)


class TenantWritten(BaseModel):
    """What a PUT did."""

    model_config = _OUT

    tenant_ref: str
    # "unchanged": the tenant was known and the body changed nothing (counted as bulk and the CSV import count).
    result: Literal["created", "updated", "unchanged"]
    older_balance_kept: bool = Field(
        description="the body's balance_as_of is older than the stored balance's (a payment recorded since): "
        "the stored balance and its day stay"
    )
    said_stop_before: bool = Field(
        default=False,
        description=_SAID_STOP + " (only when true)",
    )
    notices: list[Notice] = Field(default_factory=list, description=_NOTICES)


class BulkWritten(BaseModel):
    """What a bulk did."""

    model_config = _OUT

    created: int
    updated: int = Field(description="known tenants the bulk changed")
    unchanged: int = Field(description="known tenants whose item holds what is stored already: nothing changed")
    left_out: int = Field(description='items whose tenant_ref was erased and that did not say "reactivate": true')
    older_balances_kept: int = Field(
        description="known tenants whose item's balance_as_of is older than the stored balance's (a payment "
        "recorded since): the stored balance and its day stay"
    )
    said_stop_before: int = Field(
        default=0,
        description="tenants whose number had already said STOP before it was theirs: each is stored stopped and gets "
        "nothing until they write START (only when there are some)",
    )
    balances_emptied: int = Field(
        default=0,
        description="known tenants who owed and whose item had no balance: a missing balance is 0, so their stored "
        "debt is set to 0 and they get no reminders; each is named in `notices` by its index (only when there are "
        "some)",
    )
    notices: list[Notice] = Field(default_factory=list, description=_NOTICES)


class PaymentOut(BaseModel):
    """A recorded payment and the balance it left."""

    model_config = _OUT

    tenant_ref: str
    amount: Money
    paid_on: date
    balance: Money
    balance_as_of: date
    last_payment_on: date


class ConversationOut(BaseModel):
    """The conversation waiting for the tenant: where it stands, never what was said."""

    model_config = _OUT

    flow: str
    trigger: str | None
    step: str | None
    started_at: datetime
    waiting_until: datetime | None


class CaseOut(BaseModel):
    """A case for an adviser: why, where it stands, how it ended; never notes or messages."""

    model_config = _OUT

    id: int
    tenant_ref: str
    status: str
    origin: str
    reason: str = Field(
        description='why it opened: "tenant_asked", "stopped_asked" (a tenant who opted out wrote something that needs '
        'a person), the urgent outreach\'s legal dates, or "opened by an adviser"'
    )
    priority: int = Field(
        description="how urgent the case was the day it opened or was last refreshed, to sort by (higher first; a "
        "sort key, not a scale): the stage on the rent timeline, then how soon the tenant must act, then the amount "
        "owed; the console ranks open cases again each day"
    )
    consented: bool
    outcome: str | None
    opened_at: datetime
    updated_at: datetime
    closed_at: datetime | None


class CaseList(BaseModel):
    """`GET /api/v1/cases`: one page; ask again with `after=next_after` for the next."""

    model_config = _OUT

    cases: list[CaseOut]
    next_after: int | None


class ReminderOut(BaseModel):
    """One planned reminder and how its first message fared."""

    model_config = _OUT

    trigger: str
    planned_for: date
    channel: str | None = Field(
        description="the channel it went out on or, not sent yet, goes out on with the channels the service sends "
        'on; "none" when none of them reaches the tenant (it then waits for one, as `keephome remind` says); '
        "null: no message"
    )
    delivery: str | None = Field(
        description="queued, waiting (not sent and not failed: no channel the service sends on reaches the tenant, "
        "or sending is paused; it goes when that changes, if still due then), sending, sent, delivered, "
        "undelivered, failed, held, dropped; null: no message"
    )
    error_code: str | None


class TenantOut(BaseModel):
    """`GET /api/v1/tenants/{tenant_ref}`."""

    model_config = _OUT

    tenant_ref: str
    name: str
    phone: str | None
    language: str
    language_chosen_by_tenant: bool = Field(
        description="true: the tenant chose `language` themselves, by writing its word (ENGLISH, DANSK, …); a PUT, "
        "a bulk or a CSV import then keeps it and sets the language only of a tenant who never chose"
    )
    status: Literal["active", "stopped", "wrong_number", "moved_out"]
    telegram_linked: bool
    due_day: int
    monthly_rent: Money | None
    balance: Money
    balance_as_of: date
    last_payment_on: date | None
    demand_sent_on: date | None
    demand_received_on: date | None
    termination_on: date | None
    court_date: date | None
    court_filed_on: date | None = Field(description="the open court case's filing day with the fogedret")
    kommune_notified_on: date | None = Field(
        description="the day the kommune was notified of the open court case's filing (almenlejeloven § 92 stk. 2)"
    )
    at_risk: bool
    address: str | None
    children: bool | None = Field(description="children under 18 in the household; null: not known")
    stage: str = Field(description='where the tenant stands on the rent timeline, e.g. "owes rent"')
    conversation: ConversationOut | None
    case: CaseOut | None
    reminders: list[ReminderOut] = Field(description="the last ten, newest first")


# What GET shows of a tenant that a PUT or a bulk's item does not take (a GET's answer sent back as it is).
_READ_ONLY = frozenset(TenantOut.model_fields) - frozenset(TenantIn.model_fields)


def money(ore: int) -> str:
    """Øre as the API writes money: `"7100.50"`, `"-150.00"` (exact; no float on the way)."""
    sign = "-" if ore < 0 else ""
    kroner, rest = divmod(abs(ore), 100)
    return f"{sign}{kroner}.{rest:02d}"


M = TypeVar("M", bound=BaseModel)


def problems_found(count: int) -> str:
    """The headline of a 422."""
    return f"{count} problem{'' if count == 1 else 's'}; nothing was written"


@dataclass(frozen=True, slots=True)
class Misfit:
    """A body (or a bulk's item) whose JSON does not fit the model: its problems, and the fields that do fit (None
    when it is not even an object). The fields that fit are checked by the CSV import's rules too, so one 422 names
    every bad field."""

    problems: list[Problem]
    fitting: dict[str, Any] | None


def _read(raw: Any, model: type[M], index: int | None) -> M | Misfit:
    """An object as `model`, or its problems (a key given twice, a wrong JSON type, a missing or unknown field) and
    the fields that fit."""
    problems = repeated_problems(raw, index)
    try:
        read = model.model_validate(raw)
    except ValidationError as exc:
        read_only = _READ_ONLY if issubclass(model, _TenantFields) else ()
        problems += from_validation(exc, index=index, known=model.model_fields, read_only=read_only)
    else:
        if not problems:
            return read
    if not isinstance(raw, dict):
        return Misfit(problems, None)
    bad = {p["field"] for p in problems}
    return Misfit(problems, {name: value for name, value in raw.items() if name not in bad})


def parse_fields(body: bytes, model: type[M]) -> M | Misfit:
    """A PUT's or POST's body: the model, or what does not fit in it and what does (400 when it is not JSON)."""
    return _read(decode(body), model, None)


def parse_bulk(body: bytes) -> list[tuple[int, BulkTenant | Misfit]]:
    """The bulk's items by index, each read on its own: the tenant, or what does not fit in it (400/422 for a
    body that is no bulk at all)."""
    envelope = _read(decode(body), _BulkEnvelope, None)
    if isinstance(envelope, Misfit):
        raise ApiError(422, problems_found(len(envelope.problems)), envelope.problems)
    return [(index, _read(raw, BulkTenant, index)) for index, raw in enumerate(envelope.tenants)]
