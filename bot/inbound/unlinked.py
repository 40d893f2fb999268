"""What an unlinked Telegram chat can do: redeem a deep link or a code, share its own contact, or ask how."""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from bot.channels.base import DROP_KEYBOARD, SHARE_PHONE
from bot.inbound.strangers import Stranger, answer_once_today, count_failure, failure_window, remember, stranger_key
from bot.outbox.enqueue import enqueue, queued_among
from bot.store.scene import Scene
from bot.store.schema import audit_log, staff, tenants
from bot.tenants import linking
from bot.tenants.phones import from_telegram_contact
from conversations.keywords import classify

__all__ = [
    "BLOCK_MINUTES",
    "BUDGET_WINDOW",
    "CODE_IN_TEXT",
    "HELP_PER_DAY",
    "MAX_FAILED_CODES",
    "NEAR_MISS_DIGITS",
    "STAFF_CODE",
    "Unlinked",
    "code_attempt",
    "handle_unlinked",
    "other_tenancy",
    "typed_phone",
]

log = logging.getLogger(__name__)

# What a staff member types to the bot to get notices here: "STAFF 1234 5678" (the code from their console
# page, with a space, a dash or nothing between its halves).
STAFF_CODE = re.compile(r"^\s*staff\s*(\d{4})[\s-]?(\d{4})\s*$", re.IGNORECASE)
# A run of digits as people type a code, grouped any way by spaces, dots or dashes ("1234 5678", "5053  6977",
# "3045.2479", "30 45 24 79"), inside a sentence too ("min kode er 1234 5678"): a code when it holds exactly eight
# digits, the whole run ("1234 5678 9" is no code).
CODE_IN_TEXT = re.compile(r"\d(?:[\s.\-]*\d)*")
# A message that is mostly 4 to 12 digits ("1234567", "123456", "1234 567", "kode 12345") is an attempt at a
# code, mistyped: it is answered as a wrong code, and counted as one.
NEAR_MISS_DIGITS = range(4, 13)
# In a chat linked already, digits are mostly an answer (a date "15.12.2026", an amount): only a message that is
# a code and nothing else, as the SMS shows it or run together ("1234 5678", "1234-5678", "12345678"), is one.
_CODE_ALONE = re.compile(r"(\d{4})[ \-]?(\d{4})")
# A phone number typed where the welcome asks to share it with the button: a country prefix ("+45 20 30 40 50",
# "0045...") or a word for a phone number with a number's eight digits ("mit nummer er 20 30 40 50", "tlf.
# 20304050"). It is no guess at a code, so it is not counted as one; bare eight digits stay a code (codes are eight).
_COUNTRY_PREFIX = re.compile(r"(?:\+|(?<!\d)00)\s*45[\s.\-]*\d")
_PHONE_WORD = re.compile(
    r"\b(?:tlf|telefon\w*|mobil\w*|nummer|nr|number|phone|numaram?\w*|telefonum\w*|رقم\w*|هاتف\w*)\b", re.IGNORECASE
)
_CODE_WORD = re.compile(r"\b(?:kode\w*|code\w*|kod\w*|رمز\w*)\b", re.IGNORECASE)
PHONE_DIGITS = 8
# One chat: after this many wrong codes or tokens in a row it waits BLOCK_MINUTES before the next is checked.
MAX_FAILED_CODES = 5
BLOCK_MINUTES = 15
# All chats together: KEEPHOME_LINK_FAILURE_BUDGET wrong codes (tenant or staff) per window; past it, every
# chat waits until the window is over. bot/tenants/linking.py shows why this makes guessing hopeless.
BUDGET_WINDOW = timedelta(hours=1)
# A chat not linked that asks for help (HJÆLP, /help) after the day's welcome hears it again, this many times a day
# at most: a person who lost the way gets an answer, a chatty stranger not dozens.
HELP_PER_DAY = 3
# Telegram's keyboard under an answer to a chat not linked (bot/channels/base.py): the button that shares the
# person's own number, while that may link them (the welcome promises it; someone else's card does not); taken
# away once the chat is linked, or when their own number shared is not one we know (sharing it again cannot help).
_SHARE = ((SHARE_PHONE, "choice.share_phone"),)
_DROP = ((DROP_KEYBOARD, ""),)
_KEYBOARD = {
    "telegram.welcome": _SHARE,
    "link.bad_code": _SHARE,
    "link.share_own_number": _SHARE,
    "link.contact_not_own": _SHARE,
    "link.forwarded_code": _SHARE,
    "link.contact_mismatch": _DROP,
    "link.linked": _DROP,
}


@dataclass(frozen=True)
class Unlinked:
    """One message from a chat no tenant has linked, and what answering it needs."""

    chat_id: str
    text: str | None
    payload: dict[str, Any]
    now: datetime
    today: date
    inbound_id: int
    secret: str
    language: str  # their Telegram app's language when keephome speaks it, else the fallback language
    failure_budget: int  # KEEPHOME_LINK_FAILURE_BUDGET
    languages: tuple[str, ...] = ()  # KEEPHOME_LANGUAGES: whose help words are read


def _reply(
    scene: Scene, m: Unlinked, template: str, *, tenant_id: int | None = None, key: str | None = None, **values: Any
) -> None:
    enqueue(
        scene,
        now=m.now,
        channel="telegram",
        template=template,
        values=values,
        language=_language(scene, tenant_id) if tenant_id is not None else m.language,
        idempotency_key=key or f"in:{m.inbound_id}:{template}",
        tenant_id=tenant_id,
        # Once linked, address by tenant: the sender then finds the chat (and SMS if it is blocked).
        address=None if tenant_id is not None else m.chat_id,
        choices=_KEYBOARD.get(template, ()),
    )


def _language(scene: Scene, tenant_id: int) -> str:
    return str(scene.conn.execute(select(tenants.c.language).where(tenants.c.id == tenant_id)).scalar_one())


def _redeem(scene: Scene, m: Unlinked, kind: str, secret: str) -> str:
    def attempt() -> tuple[bool, str]:
        result = linking.redeem(scene.conn, kind, secret, int(m.chat_id), m.now)
        if result.tenant_id is None:
            return False, f"link_{result.problem or 'unknown'}"
        _reply(scene, m, "link.linked", tenant_id=result.tenant_id)
        return True, f"linked_by_{kind}"

    # A deep-link token (32 random characters) cannot be guessed: only typed codes spend the shared budget.
    return _guarded(scene, m, attempt, budgeted=kind == "code")


def code_attempt(text: str, *, alone: bool = False) -> str | None:
    """What to try when a message is an attempt at a code: the code it holds, "" for a mistyped one, else None.

    A code anywhere in the message, its eight digits grouped any way, is tried ("my code is 1234 5678", "30 45 24
    79"; the first one only: one message, one guess). A message of mostly digits, 4 to 12 of them with any spaces
    or dashes, is a mistyped code. `alone` (a chat linked already): a message that is a code and nothing else, in
    halves or run together, or a sentence that names it a code ("min kode er 1234 5678"); no mistyped one."""
    if alone:
        found = _CODE_ALONE.fullmatch(text.strip())
        if found:
            return "".join(str(unicodedata.decimal(c)) for c in "".join(found.groups()))
        # Inside a sentence only a code named as one ("min kode er 1234 5678"): other digits there are an answer.
        return _code_in(text) if _CODE_WORD.search(text) else None
    code = _code_in(text)
    if code is not None:
        return code
    # `isdecimal` is what `\d` matches; spaces, dots and dashes are how people group digits, the rest other signs.
    digits = sum(c.isdecimal() for c in text)
    others = sum(not (c.isdecimal() or c.isspace() or c in "-.") for c in text)
    return "" if digits in NEAR_MISS_DIGITS and others < digits else None


def _code_in(text: str) -> str | None:
    """The first run of digits in the message that holds exactly a code's eight, as 0-9; None without one."""
    for run in CODE_IN_TEXT.finditer(text):
        # Any script's digits (an Arabic keyboard types ١٢٣٤): the code was issued in 0-9.
        code = "".join(str(unicodedata.decimal(c)) for c in run.group() if c.isdecimal())
        if len(code) == linking.CODE_LENGTH:
            return code  # the first one only: one message, one guess
    return None


def typed_phone(text: str) -> bool:
    """Whether a message is a phone number typed rather than shared with the button: a +45 or 0045 prefix, or a
    word for a phone number ("nummer", "tlf", "mobil", "phone") with eight digits or more and no word for a code."""
    digits = sum(c.isdecimal() for c in text)
    prefix = _COUNTRY_PREFIX.search(text)
    # A code may begin 0045 ("0045 1234"): without a plus, the prefix counts only with more digits than a code has.
    if prefix is not None and (prefix.group().startswith("+") or digits > linking.CODE_LENGTH):
        return True
    return digits >= PHONE_DIGITS and bool(_PHONE_WORD.search(text)) and not _CODE_WORD.search(text)


def _redeem_staff(scene: Scene, m: Unlinked, code: str) -> str:
    """A staff member links this chat for notices of urgent cases with the code from their console page."""

    def attempt() -> tuple[bool, str]:
        conn = scene.conn
        person = conn.execute(
            select(staff.c.id).where(
                staff.c.telegram_code_hash == linking.hash_secret(f"staff:{code}"),
                staff.c.telegram_code_expires_at > m.now,
                staff.c.active.is_(True),
            )
        ).first()
        if person is None:
            return False, "staff_link_unknown"
        conn.execute(
            update(staff)
            .where(staff.c.id == person.id)
            .values(
                telegram_chat_id=int(m.chat_id),
                notify_telegram=True,
                telegram_code_hash=None,
                telegram_code_expires_at=None,
            )
        )
        entry = {"at": m.now, "actor": f"staff:{person.id}", "action": "staff.telegram_linked"}
        scene.add((audit_log, {**entry, "target": f"staff:{person.id}", "detail": None}))
        enqueue(
            scene,
            now=m.now,
            channel="telegram",
            template="staff.linked",
            values={},
            language="da",
            idempotency_key=f"in:{m.inbound_id}:staff.linked",
            address=m.chat_id,
            choices=_DROP,
        )
        return True, "staff_linked"

    return _guarded(scene, m, attempt, budgeted=True)


def _guarded(
    scene: Scene, m: Unlinked, attempt: Callable[[], tuple[bool, str]], *, budgeted: bool, answer: bool = True
) -> str:
    """Try a code unless this chat, or all chats together, guessed wrong too often; count the misses. `answer`:
    a refused or wrong code is told that it does not work (not in a chat linked already: there the message is
    the tenant's own words then)."""
    stranger = Stranger(scene.conn, stranger_key(m.secret, "telegram", m.chat_id))
    row = stranger.row
    blocked_until = row.blocked_until if row is not None else None
    if blocked_until is not None and blocked_until > m.now:
        # Not even checked: guessing stays slow however many tries arrive.
        if answer:
            _reply(scene, m, "link.bad_code")
        return "link_slowed"
    window = failure_window(scene.conn, m.now) if budgeted else None
    if window is not None and window.ends is not None and window.failures >= m.failure_budget:
        # The budget is spent: nobody's code is checked until the window is over, so the guesses of many
        # chats together stay as few as one budget an hour.
        if answer:
            _reply(scene, m, "link.bad_code")
        return "link_budget_wait"
    ok, outcome = attempt()
    if ok:
        if row is not None:
            remember(scene.conn, stranger.key, failed_codes=0, blocked_until=None)
        return outcome
    # An expired block starts a fresh count.
    failed = (row.failed_codes if row is not None and blocked_until is None else 0) + 1
    block = m.now + timedelta(minutes=BLOCK_MINUTES) if failed >= MAX_FAILED_CODES else None
    remember(scene.conn, stranger.key, failed_codes=failed, blocked_until=block)
    if budgeted:
        window = count_failure(scene.conn, m.now, BUDGET_WINDOW)
        if window.failures == m.failure_budget:
            # The alarm, once per window: counted as the inbound result `link_budget_exceeded` after commit.
            log.warning(
                "link codes: %d wrong codes across all chats in %d minutes (budget %d); none is checked until %s",
                window.failures,
                int(BUDGET_WINDOW.total_seconds() // 60),
                m.failure_budget,
                window.ends.isoformat() if window.ends is not None else "?",
            )
            outcome = "link_budget_exceeded"
    if answer:
        _reply(scene, m, "link.bad_code")
    return outcome


def other_tenancy(scene: Scene, m: Unlinked, tenant_id: int, *, active: bool = True) -> str | None:
    """A chat linked to a tenant sends a deep link's token or a code: another tenant's live one is answered that
    this Telegram account belongs to another tenancy already (the code stays unused, nothing of either tenant is
    said), and "link_other_tenancy" returned. The tenant's own code, used or not (sent again after it linked the
    chat), is answered that the chat is connected already while they are `active`, and "link_code_again" returned:
    it is no answer to a question of theirs, and no guess at anyone's code. Otherwise the outcome of the check, or
    None when there was nothing to check: the message is then the tenant's own (their own deep link opened again
    is the Start button's). Misses count as they do in a chat not linked."""
    start = m.payload.get("start")
    if isinstance(start, str) and start:
        kind, secret = "token", start
    else:
        code = code_attempt(m.text or "", alone=True)
        if code is None:
            return None
        kind, secret = "code", code
    if kind == "code" and linking.owner(scene.conn, kind, secret) == tenant_id:
        # Their own code, no guess at anyone's. An opted-out tenant's is their words (they hear how to come back).
        if not active:
            return None
        _reply(scene, m, "link.already_linked")
        return "link_code_again"

    def attempt() -> tuple[bool, str]:
        found = linking.holder(scene.conn, kind, secret, m.now)
        if found.tenant_id is None:
            return False, f"link_{found.problem or 'unknown'}"
        if found.tenant_id == tenant_id:
            return True, "link_own"  # their deep link opened again: the Start button's answer (the handler)
        _reply(scene, m, "link.other_tenancy")
        return True, "link_other_tenancy"

    return _guarded(scene, m, attempt, budgeted=kind == "code", answer=False)


def _contact(scene: Scene, m: Unlinked) -> str:
    user_id, from_id = m.payload.get("contact_user_id"), m.payload.get("from_id")
    # Only one's own contact proves anything: a forwarded card of someone else links nothing.
    own = user_id is not None and user_id == from_id and str(from_id) == m.chat_id
    phone = from_telegram_contact(str(m.payload.get("contact_phone") or "")) if own else None
    tenant = None
    if phone is not None:
        found = scene.conn.execute(
            select(tenants.c.id).where(tenants.c.phone == phone, tenants.c.status != "erased").limit(2)
        ).all()
        if len(found) > 1:
            # uq_tenants_phone_live makes this impossible; should it happen, link nobody rather than either.
            log.error("tenants %s share one phone number: contact from a chat not linked", [t.id for t in found])
        tenant = found[0] if len(found) == 1 else None
    if not own:
        # Someone else's card (a mother's, sent by her daughter), or one typed in by hand: it proves nothing, but the
        # person's own number, shared with the button, may.
        _reply(scene, m, "link.contact_not_own")
        return "contact_not_own"
    if tenant is None:
        _reply(scene, m, "link.contact_mismatch")
        return "contact_mismatch"
    linking.link_chat(scene.conn, int(tenant.id), int(m.chat_id), m.now)
    remember(scene.conn, stranger_key(m.secret, "telegram", m.chat_id), failed_codes=0, blocked_until=None)
    _reply(scene, m, "link.linked", tenant_id=int(tenant.id))
    return "linked_by_contact"


def _forwarded_code(scene: Scene, m: Unlinked) -> str:
    """A code in a forwarded message is someone else's (a neighbour's, a relative's): trying it would link this chat
    to a tenancy whose owner never typed it, and count a wrong try when it is not live. It is neither tried nor
    counted; they are asked to type the code themselves (the answer is the same for any code: no probe)."""
    _reply(scene, m, "link.forwarded_code")
    return "link_forwarded"


def _welcome(scene: Scene, m: Unlinked, *, always: bool) -> str:
    stranger = Stranger(scene.conn, stranger_key(m.secret, "telegram", m.chat_id))
    if not answer_once_today(scene.conn, stranger, m.today) and not always:
        return "welcome_quiet"
    _reply(scene, m, "telegram.welcome")
    return "welcome"


def _help(scene: Scene, m: Unlinked) -> str:
    """HJÆLP or /help: the welcome (it says how to connect), also after the day's, HELP_PER_DAY times a day."""
    stranger = Stranger(scene.conn, stranger_key(m.secret, "telegram", m.chat_id))
    if answer_once_today(scene.conn, stranger, m.today):
        _reply(scene, m, "telegram.welcome")
        return "welcome"
    keys = [f"help:{stranger.key}:{m.today.isoformat()}:{n}" for n in range(HELP_PER_DAY)]
    taken = queued_among(scene.conn, keys)
    free = next((key for key in keys if key not in taken), None)
    if free is None:
        return "welcome_quiet"
    _reply(scene, m, "telegram.welcome", key=free)
    return "welcome_help"


def handle_unlinked(scene: Scene, m: Unlinked) -> str:
    """Link the chat if the message proves who it is; otherwise explain how, kindly and rarely."""
    if not m.chat_id.lstrip("-").isdigit():
        return "ignored"
    if "callback" in m.payload:
        return "ignored"  # a button from before the chat was unlinked
    if "contact_phone" in m.payload:
        return _contact(scene, m)
    start = m.payload.get("start")
    if isinstance(start, str):
        if start:
            return _redeem(scene, m, "token", start)
        # Pressing Start deserves an answer each time; it is a person asking how this works.
        return _welcome(scene, m, always=True)
    # Someone else's words (bot/inbound/telegram_updates.py marks them): a code in them is not one this person typed.
    forwarded = m.payload.get("forwarded") is True
    staff_code = STAFF_CODE.match(m.text or "")
    if staff_code:
        return _forwarded_code(scene, m) if forwarded else _redeem_staff(scene, m, "".join(staff_code.groups()))
    if typed_phone(m.text or ""):
        # The welcome asked them to share their number and they typed it: show them the button, whoever's number
        # it is (the answer tells nothing of who is a tenant), and count no guess at a code.
        _reply(scene, m, "link.share_own_number")
        return "phone_typed"
    code = code_attempt(m.text or "")
    if code is not None and forwarded:
        return _forwarded_code(scene, m)
    if code is not None:
        # A mistyped code goes the way of any wrong one: redeemed as typed it matches nothing (no code has that
        # form), and it counts as a miss wherever a wrong code does (this chat, all chats, every live code), so
        # its answer is no faster a probe than a wrong code's.
        return _redeem(scene, m, "code", code or str(m.text))
    found = classify(m.text or "", m.languages)
    if found is not None and found.kind == "help":
        return _help(scene, m)
    return _welcome(scene, m, always=False)
