"""The declarative vocabulary flows are written in: steps, options and effects."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from conversations.model import Channel

__all__ = [
    "BOTH",
    "PAID_PART",
    "SMS_ONLY",
    "TELEGRAM_ONLY",
    "Ask",
    "AskAmount",
    "AskDate",
    "AskText",
    "ClaimPaid",
    "Effect",
    "End",
    "Flow",
    "GiveConsent",
    "GiveShareConsent",
    "Option",
    "RecordPromise",
    "RequestHandoff",
    "RequestTelegramLink",
    "Say",
    "Step",
    "WithdrawChosenConsent",
    "WithdrawClaim",
    "WithdrawConsent",
]

BOTH: tuple[Channel, ...] = ("sms", "telegram")
# The answer kept for the adviser when the tenant has paid a part already ("har betalt en del"), beside the answer
# recorded, `part` (what the question reads it as).
PAID_PART = "paid_part"
SMS_ONLY: tuple[Channel, ...] = ("sms",)
TELEGRAM_ONLY: tuple[Channel, ...] = ("telegram",)


# Effects: what choosing an option or reaching a step records.


@dataclass(frozen=True)
class ClaimPaid:
    """Record the tenant's claim to have paid and pause reminders."""


@dataclass(frozen=True)
class RecordPromise:
    """Record the date the tenant just gave as a payment promise."""


@dataclass(frozen=True)
class WithdrawClaim:
    """End a promise or a claim to have paid that the tenant gave before: they say now they cannot pay, or not yet."""


@dataclass(frozen=True)
class GiveConsent:
    """Record consent with the configured wording version."""

    scope: str


@dataclass(frozen=True)
class WithdrawConsent:
    """Record that the tenant withdrew a consent."""

    scope: str


@dataclass(frozen=True)
class GiveShareConsent:
    """Record consent to share with the recipient the conversation was started for (its data names the
    recipient, source, kinds of data, purpose, case and the full wording the tenant was shown)."""


@dataclass(frozen=True)
class WithdrawChosenConsent:
    """Record the withdrawal of the consent the tenant chose from the numbered list."""


@dataclass(frozen=True)
class RequestHandoff:
    """Ask the host to hand the tenant to an adviser."""

    reason: str


@dataclass(frozen=True)
class RequestTelegramLink:
    """Ask the host to send a one-time Telegram code."""


Effect = (
    ClaimPaid
    | RecordPromise
    | WithdrawClaim
    | GiveConsent
    | GiveShareConsent
    | WithdrawConsent
    | WithdrawChosenConsent
    | RequestHandoff
    | RequestTelegramLink
)


@dataclass(frozen=True)
class Option:
    """One answer to an Ask: picked by its number, its button, or a word of one of its tags; `needs` names a
    key of the conversation's data without which the option is not offered (a list as long as the data's).
    `button` is the template of its button's label when several options share one (it is rendered with the
    option's key as `option`); by default each option has its own, `choice.<key>`. `when` names the flow's date
    question: a day said in the words that picked the option ("kan betale 500 den 15.") answers it, as a day said
    ahead of it does (a promise for that day, or "which day?" for one it cannot place), instead of `goto`. `kept`:
    the answer kept in the conversation's data for the adviser, when it says more than the key ("har betalt en del"
    is the answer `part`, kept as `paid_part`: paid already, not offered)."""

    key: str
    goto: str
    tags: tuple[str, ...] = ()
    effects: tuple[Effect, ...] = ()
    channels: tuple[Channel, ...] = BOTH
    listed: bool = True
    needs: str | None = None
    button: str | None = None
    when: str | None = None
    kept: str | None = None

    @property
    def label(self) -> str:
        """Template key of the button label."""
        return self.button or f"choice.{self.key}"


@dataclass(frozen=True)
class Ask:
    """A question with options; `free_text` names the step that any other text of at least
    `free_text_words` words goes to (the words are kept as the answer). `numbered`: the channels on which its text
    numbers the options, so "2" picks the second listed; where its answers are buttons numbered nowhere (the opening
    question on Telegram), or it asks for JA or NEJ (a consent), a number picks nothing: which answer is meant is asked
    with the buttons again, or (a consent) it answers nothing, meant for another message's menu."""

    template: str
    options: tuple[Option, ...]
    free_text: str | None = None
    free_text_words: int = 1
    numbered: tuple[Channel, ...] = BOTH


@dataclass(frozen=True)
class AskDate:
    """A question answered by a date on or after today; `late` is where a date after the conversation's
    deadline goes (while that deadline has not passed), `hardship` where "I cannot pay" goes, `paid` where "I have
    paid" goes (the payment claimed, as at the opening question), `paid_part` where "I have paid part of it" goes
    (never claimed as paid: some of the rent is still owed), `adviser` where a wish to talk to a person goes
    ("ring til mig"). `part`: the options (one a channel) that an amount offered as a part picks ("kan betale 500
    den 21.", "500 kr den 21., jeg er syg"), the opening question's own: the same words answer them as they answer
    it there (a day said with the part that part's promise), never a promise of the whole. `asked` (`asked_late` after
    the deadline): where a day goes whose words also ask for a person or for help, or say the tenant cannot pay now
    ("kan først betale den 20, kan en rådgiver ringe til mig?"): the promise is kept all the same, and the way to a
    person comes after it instead of the end. `told`: where a day goes whose words also say why paying is hard and ask
    for nothing ("jeg er syg og kan først betale den 20."): the promise kept and confirmed, then how to ask for help if
    they want it, and the end (no consent question; after the deadline `late` goes on, whose text offers help).
    `rest`: where a day goes that is said for the rest after a part now ("kan betale halvdelen nu og resten den 20."):
    the promise is the rest's day, and the confirmation says a part comes now, never that all of it comes that day
    (after the deadline `late` goes on, whose text is about the letter's deadline). `heard`: where an answer goes that
    gives no day and no reason it cannot pay ("ved ikke", "nej", "jeg ringer til kommunen", "my hearing is on monday"):
    heard as `hardship` is, but a promise or an "I have paid" given before is not taken back (None: `hardship`)."""

    template: str
    goto: str
    effects: tuple[Effect, ...] = ()
    late: str | None = None
    rest: str | None = None
    asked: str | None = None
    asked_late: str | None = None
    told: str | None = None
    hardship: str | None = None
    heard: str | None = None
    paid: str | None = None
    paid_part: str | None = None
    adviser: str | None = None
    part: tuple[Option, ...] = ()


@dataclass(frozen=True)
class AskAmount:
    """A question answered by an amount of kroner (0 is an amount); `hardship` (where "I cannot pay" goes) and
    `adviser` (where a wish to talk to a person goes: "ring til mig") as for AskDate. `when` names a date
    question: a day said with the amount ("500 kr den 15.") answers it, as its own answer would (the promise kept and
    confirmed with its day, where its goto or late step says so), and the flow goes on from there; without a day it
    goes on to `goto`. `rest` names the date question a day said for the rest answers instead ("3000 nu og resten den
    20."): the rest's day is the promise, kept and confirmed by that question as the rest's (its `rest` step), the
    amount kept as what is paid now. `heard`, as for AskDate: where a "nej" goes (no amount they can name), which takes
    back no promise or "I have paid" given before ("aldrig", "never" go to `hardship`)."""

    template: str
    goto: str
    hardship: str | None = None
    adviser: str | None = None
    when: str | None = None
    rest: str | None = None
    heard: str | None = None


@dataclass(frozen=True)
class AskText:
    """A question answered in the tenant's own words."""

    template: str
    goto: str


@dataclass(frozen=True)
class Say:
    """A message that needs no answer, then the next step. `thanks`: its text thanks the tenant, so the messages
    after it in the same turn are rendered with `thanked` and thank no more (one thank-you a turn)."""

    template: str
    goto: str
    effects: tuple[Effect, ...] = ()
    thanks: bool = False


@dataclass(frozen=True)
class End:
    """The last step: an optional message, effects, and the reason the conversation ended."""

    reason: str
    template: str | None = None
    effects: tuple[Effect, ...] = ()


Step = Ask | AskDate | AskAmount | AskText | Say | End


@dataclass(frozen=True)
class Flow:
    """A named, versioned set of steps; `reminder` flows end when the rent is seen paid.

    `shows`: keys of the conversation's data its texts show (given by whoever started it). `while_held`: the
    tenant's answers reach it while a person holds the case (a question the adviser asked); `always_on`: also
    while the tenant is not active (the answer to a keyword that works for everyone, like the withdrawal).
    """

    name: str
    version: int
    start: str
    steps: Mapping[str, Step]
    reminder: bool = False
    channels: tuple[Channel, ...] = BOTH
    shows: tuple[str, ...] = ()
    while_held: bool = False
    always_on: bool = False
    # The templates of the steps that thank the tenant (`Say.thanks`), found once: read for every message.
    thanking: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        thanking = frozenset(s.template for s in self.steps.values() if isinstance(s, Say) and s.thanks)
        object.__setattr__(self, "thanking", thanking)

    def step(self, name: str) -> Step:
        """The step called `name`; KeyError when the flow has none."""
        return self.steps[name]
