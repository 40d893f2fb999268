"""Inputs, events, context and settings of a conversation: plain frozen data."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import ClassVar, Literal

from conversations.values import Value

__all__ = [
    "FACTS",
    "TRIGGERS",
    "AnswerRecorded",
    "ButtonPressed",
    "Channel",
    "Choice",
    "ClaimWithdrawn",
    "ConsentGiven",
    "ConsentWithdrawn",
    "Context",
    "ConversationEnded",
    "Event",
    "FactReported",
    "FlowSettings",
    "HandoffRequested",
    "Input",
    "LanguageChanged",
    "MessageRequested",
    "OptedIn",
    "OptedOut",
    "PaidClaimed",
    "PromiseRecorded",
    "TelegramLinkRequested",
    "TextReceived",
    "WaitExpired",
    "WrongNumberReported",
]

Channel = Literal["sms", "telegram"]

TRIGGERS = ("before_due", "missed", "demand", "court", "promise_check")
FACTS = ("payment_registered", "balance_cleared", "case_taken", "case_closed")


@dataclass(frozen=True)
class FlowSettings:
    """The settings a conversation needs; the host copies them from its configuration."""

    paid_pause_days: int = 5
    nudge_after_hours: int = 24
    give_up_after_hours: int = 48
    consent_wording_version: str = "consent-v3"
    timezone: str = "Europe/Copenhagen"


@dataclass(frozen=True)
class Context:
    """Who a new conversation is with and why it starts."""

    first_name: str
    language: str
    channel: Channel
    trigger: str | None = None
    settings: FlowSettings = field(default_factory=FlowSettings)
    # The computed påkrav deadline while one runs: a promise dated after it is flagged and the tenant is
    # asked to pay within "the deadline in the letter". Texts never show this date.
    deadline: date | None = None


# Inputs: what can happen to a waiting conversation.


@dataclass(frozen=True)
class TextReceived:
    """The tenant wrote a message. `attached`: the words are the caption of a photo, a file or a voice message,
    which cannot be seen here (the host knows from the message's kind). `queued`: their yes already put their case
    in the advisers' queue and no person holds it yet (the commands' `TenantFacts.queued`): the way to a person is
    that an adviser will contact them, not the adviser word."""

    text: str
    channel: Channel
    attached: bool = False
    queued: bool = False


@dataclass(frozen=True)
class ButtonPressed:
    """The tenant pressed a Telegram button carrying a choice key. `earlier`: the button came with a message of
    another conversation than the one open now (an older question's, a "yes" under another consent): it answers
    nothing asked now."""

    choice: str
    channel: Channel
    earlier: bool = False


@dataclass(frozen=True)
class WaitExpired:
    """The host's clock passed the state's `waiting_until`."""


@dataclass(frozen=True)
class FactReported:
    """Something outside the conversation happened (one of FACTS)."""

    fact: str


Input = TextReceived | ButtonPressed | WaitExpired | FactReported


@dataclass(frozen=True)
class Choice:
    """A button: the choice key sent back and the template key of its label."""

    key: str
    label: str


# Events: facts in the past tense, returned by the engine for the host to apply.


@dataclass(frozen=True)
class MessageRequested:
    """A message should be sent to the tenant."""

    name: ClassVar[str] = "message_requested"
    template: str
    values: dict[str, Value] = field(default_factory=dict)
    choices: tuple[Choice, ...] = ()


@dataclass(frozen=True)
class AnswerRecorded:
    """The tenant answered a question; `raw` is exactly what they wrote."""

    name: ClassVar[str] = "answer_recorded"
    question: str
    value: str | int
    raw: str


@dataclass(frozen=True)
class ConsentGiven:
    """The tenant agreed that an adviser may see their answers (scope "adviser"), or that named data may go to
    a named recipient for a purpose and a case (scope "share": a kommune unit or a volunteer organisation,
    given to the full `wording`). The recipient fields are None for the organisation's own advisers."""

    name: ClassVar[str] = "consent_given"
    scope: str
    wording_version: str
    recipient_kind: str | None = None  # kommune, volunteer_org; None: the organisation
    recipient: str | None = None
    source: str | None = None
    data_kinds: tuple[str, ...] = ()
    purpose: str | None = None
    wording: str | None = None
    case_id: int | None = None
    method: str | None = None  # telegram (the full wording); None: a yes in a conversation


@dataclass(frozen=True)
class ConsentWithdrawn:
    """The tenant withdrew a consent; effective at once. With a recipient, only the consents to that recipient
    end; without, every consent of the scope."""

    name: ClassVar[str] = "consent_withdrawn"
    scope: str
    recipient_kind: str | None = None
    recipient: str | None = None


@dataclass(frozen=True)
class HandoffRequested:
    """The tenant should be handed to an adviser."""

    name: ClassVar[str] = "handoff_requested"
    reason: str


@dataclass(frozen=True)
class PromiseRecorded:
    """The tenant said they will pay on a date; `after_deadline` when that is after the påkrav deadline."""

    name: ClassVar[str] = "promise_recorded"
    pay_on: date
    after_deadline: bool = False


@dataclass(frozen=True)
class PaidClaimed:
    """The tenant says they have paid; reminders pause until `pause_until`."""

    name: ClassVar[str] = "paid_claimed"
    pause_until: date


@dataclass(frozen=True)
class ClaimWithdrawn:
    """The tenant said they cannot pay, or have not paid after all ("kan ikke betale", "har ikke betalt endnu"): a
    promise or an "I have paid" they gave before no longer stands."""

    name: ClassVar[str] = "claim_withdrawn"


@dataclass(frozen=True)
class TelegramLinkRequested:
    """The tenant wants to continue on Telegram; the host sends a one-time code."""

    name: ClassVar[str] = "telegram_link_requested"


@dataclass(frozen=True)
class OptedOut:
    """The tenant opted out: nothing proactive goes to them any more."""

    name: ClassVar[str] = "opted_out"


@dataclass(frozen=True)
class OptedIn:
    """The tenant opted back in."""

    name: ClassVar[str] = "opted_in"


@dataclass(frozen=True)
class WrongNumberReported:
    """The person who wrote says the number is not the tenant's; the housing organisation is told."""

    name: ClassVar[str] = "wrong_number_reported"


@dataclass(frozen=True)
class LanguageChanged:
    """The tenant chose another language; messages after this event are written in it."""

    name: ClassVar[str] = "language_changed"
    language: str


@dataclass(frozen=True)
class ConversationEnded:
    """The conversation is over."""

    name: ClassVar[str] = "conversation_ended"
    reason: str


Event = (
    MessageRequested
    | AnswerRecorded
    | ConsentGiven
    | ConsentWithdrawn
    | HandoffRequested
    | PromiseRecorded
    | PaidClaimed
    | ClaimWithdrawn
    | TelegramLinkRequested
    | OptedOut
    | OptedIn
    | WrongNumberReported
    | LanguageChanged
    | ConversationEnded
)
