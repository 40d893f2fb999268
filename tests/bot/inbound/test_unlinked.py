"""Linking a Telegram chat to a tenant: deep link, typed code, own contact; refusals and slowing down."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from functools import partial

import pytest
from sqlalchemy import select, text

from bot.inbound.strangers import stranger_key
from bot.inbound.unlinked import MAX_FAILED_CODES, typed_phone
from bot.store.schema import link_codes, messages, outbox, unknown_senders
from bot.tenants.linking import deep_link
from bot.tenants.phones import from_telegram_contact
from tests.support.telegram_harness import CHAT, Harness, callback_update, contact_update, harness, text_update

LINKED = "Du er nu forbundet"
BAD_CODE = "Den kode virker ikke"
MISMATCH = "Vi kunne ikke finde dig"
WELCOME = "Velkommen til"


@pytest.fixture
async def bot(sqlite_url: str) -> AsyncIterator[Harness]:
    async with harness(sqlite_url) as h:
        yield h


async def test_deep_link_links_the_chat(bot: Harness) -> None:
    tenant = await bot.tenant(language="en")
    async with bot.rt.db.write() as conn:
        url = await conn.run_sync(deep_link, tenant, bot.clock(), bot.rt.settings.link_token_minutes, "keephome_bot")
    prefix = "https://t.me/keephome_bot?start="
    assert url.startswith(prefix)
    token = url.removeprefix(prefix)
    assert await bot.send(text_update, f"/start {token}") == [
        "You are now connected. We will write to you on Telegram from now on. Send STOP to unsubscribe."
    ]
    assert await bot.chat_of(tenant) == CHAT


def wrong(code: str) -> str:
    """Another eight-digit code."""
    return f"{(int(code) + 1) % 10**8:08d}"


@pytest.mark.parametrize(
    "typed",
    # As people type eight digits: whole, in halves, in pairs, one by one, with spaces, dots or dashes.
    ["{}", "{0} {1}", " {0}-{1} ", "{0}  {1}", "{0}.{1}", "pairs", "singles"],
)
async def test_typed_code_links_the_chat(bot: Harness, typed: str) -> None:
    tenant = await bot.tenant()
    code = await bot.code(tenant)
    assert len(code) == 8 and code.isdigit()
    shown = {
        "{}": code,
        "pairs": " ".join(code[i : i + 2] for i in range(0, 8, 2)),
        "singles": " ".join(code),
    }.get(typed) or typed.format(code[:4], code[4:])
    replies = await bot.send(text_update, shown)
    assert len(replies) == 1 and replies[0].startswith(LINKED)
    assert await bot.chat_of(tenant) == CHAT


@pytest.mark.parametrize("zero", ["\u0660", "\u06f0"], ids=["arabic-indic", "eastern-arabic-indic"])
async def test_a_code_typed_in_arabic_digits_links_the_chat(bot: Harness, zero: str) -> None:
    # An Arabic keyboard types ١٢٣٤ for 1234: the same code.
    tenant = await bot.tenant()
    code = await bot.code(tenant)
    typed = "".join(chr(ord(zero) + int(d)) for d in code)
    replies = await bot.send(text_update, f"{typed[:4]} {typed[4:]}")
    assert len(replies) == 1 and replies[0].startswith(LINKED)
    assert await bot.chat_of(tenant) == CHAT


async def test_used_code_is_refused_kindly(bot: Harness) -> None:
    tenant = await bot.tenant()
    code = await bot.code(tenant)
    await bot.send(text_update, code)
    replies = await bot.send(text_update, code, chat=888002)
    assert len(replies) == 1 and replies[0].startswith(BAD_CODE)
    assert await bot.chat_of(tenant) == CHAT


async def test_expired_code_is_refused(bot: Harness) -> None:
    tenant = await bot.tenant()
    code = await bot.code(tenant)
    bot.clock.offset += timedelta(minutes=bot.rt.settings.link_code_minutes + 1)
    replies = await bot.send(text_update, code)
    assert len(replies) == 1 and replies[0].startswith(BAD_CODE)
    assert await bot.chat_of(tenant) is None


async def test_repeated_wrong_codes_are_slowed_down(bot: Harness) -> None:
    tenant = await bot.tenant()
    code = await bot.code(tenant)
    for _ in range(5):
        assert (await bot.send(text_update, wrong(code)))[0].startswith(BAD_CODE)
    # The sixth try is not even checked, so the right code does not help while blocked.
    assert (await bot.send(text_update, code))[0].startswith(BAD_CODE)
    assert await bot.chat_of(tenant) is None
    bot.clock.offset += timedelta(minutes=16)
    assert (await bot.send(text_update, code))[0].startswith(LINKED)
    assert await bot.chat_of(tenant) == CHAT
    async with bot.rt.db.read() as conn:
        row = (
            await conn.execute(
                select(unknown_senders).where(
                    unknown_senders.c.address_hash
                    == stranger_key(bot.rt.settings.secret_key or "", "telegram", str(CHAT))
                )
            )
        ).one()
    assert (row.failed_codes, row.blocked_until) == (0, None)


@pytest.mark.parametrize(
    "typed",
    ["1234567", "123456", "1234 567", "12-34-56-7", "123456789", "1234 5678 9", "kode 12345", "1234567."],
)
async def test_a_mistyped_code_is_told_the_code_does_not_work_each_time(bot: Harness, typed: str) -> None:
    """A digit missing or one too many is still someone trying to connect: they hear that the code does not work
    (and how to get a new one), not the once-a-day silence of other text."""
    tenant = await bot.tenant()
    await bot.code(tenant)
    assert (await bot.send(text_update, "hej"))[0].startswith(WELCOME)
    for _ in range(2):
        replies = await bot.send(text_update, typed)
        assert len(replies) == 1 and replies[0].startswith(BAD_CODE)
    # The way to a new code without a phone call: keephome answers SMS here.
    assert "skrive TELEGRAM i en sms til os" in replies[0]
    assert await bot.chat_of(tenant) is None


@pytest.mark.parametrize("sentence", ["min kode er {0} {1}", "My code is {0}{1}!", "kode: {0}-{1} tak"])
async def test_a_code_inside_a_sentence_is_tried(bot: Harness, sentence: str) -> None:
    tenant = await bot.tenant()
    code = await bot.code(tenant)
    replies = await bot.send(text_update, sentence.format(wrong(code)[:4], wrong(code)[4:]))
    assert len(replies) == 1 and replies[0].startswith(BAD_CODE)
    replies = await bot.send(text_update, sentence.format(code[:4], code[4:]))
    assert len(replies) == 1 and replies[0].startswith(LINKED)
    assert await bot.chat_of(tenant) == CHAT


@pytest.mark.parametrize("typed", ["hej 12", "3", "Jeg betalte 4500 i går", "my code is 1234567", "tak 😊"])
async def test_text_that_is_no_attempt_at_a_code_gets_the_welcome_once_a_day(bot: Harness, typed: str) -> None:
    assert (await bot.send(text_update, typed))[0].startswith(WELCOME)
    assert await bot.send(text_update, typed) == []


async def test_mistyped_codes_count_as_wrong_codes_in_every_limit(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The answer to a mistyped code must not be a faster probe than a wrong code: it counts for the chat's five,
    for the budget of all chats, and against every live code."""
    caplog.set_level(logging.WARNING, logger="bot.inbound.unlinked")
    async with harness(database_url, link_failure_budget=7) as bot:
        tenant = await bot.tenant()
        code = await bot.code(tenant)
        for typed in ("1234567", "123456", "1234 567", "12345", "1234 5678 9"):
            assert (await bot.send(text_update, typed))[0].startswith(BAD_CODE)
        # Five misses in a row: the chat waits, and even the right code is not checked.
        assert (await bot.send(text_update, code))[0].startswith(BAD_CODE)
        assert await bot.chat_of(tenant) is None
        assert counted(bot, "link_slowed") == 1
        async with bot.rt.db.read() as conn:
            misses = (await conn.execute(select(link_codes.c.misses).where(link_codes.c.tenant_id == tenant))).scalar()
        assert misses == 5
        # Two more chats mistype once each: the seventh miss of the hour spends the budget of all chats.
        assert (await bot.send(text_update, "9876543", chat=901))[0].startswith(BAD_CODE)
        assert counted(bot, "link_budget_exceeded") == 0
        assert (await bot.send(text_update, "kode 98765", chat=902))[0].startswith(BAD_CODE)
        assert counted(bot, "link_budget_exceeded") == 1
        assert "7 wrong codes across all chats" in caplog.text
        assert (await bot.send(text_update, "555 666", chat=903))[0].startswith(BAD_CODE)
        assert counted(bot, "link_budget_wait") == 1
        bot.clock.offset += timedelta(minutes=61)
        assert (await bot.send(text_update, code))[0].startswith(LINKED)


async def test_own_contact_with_a_tenants_number_links(bot: Harness) -> None:
    tenant = await bot.tenant(phone="+4520304050")
    replies = await bot.send(contact_update, "4520304050", CHAT)
    assert len(replies) == 1 and replies[0].startswith(LINKED)
    assert await bot.chat_of(tenant) == CHAT


async def test_someone_elses_contact_is_refused_and_the_button_for_ones_own_number_stays(bot: Harness) -> None:
    """A daughter sends her mother's card: it links nobody, and she hears to share her own number with the button,
    which stays (before: "we could not find you from that number", and the one button that works was gone)."""
    tenant = await bot.tenant(phone="+4520304050")
    seen = len(bot.api.delivered)
    replies = await bot.send(contact_update, "+45 20 30 40 50", 999003)
    assert len(replies) == 1 and replies[0].startswith("Vi kan kun bruge dit eget nummer"), replies
    assert "Tryk på »Del mit telefonnummer« herunder" in replies[0]
    assert _keyboards(bot, seen) == [SHARE_BUTTON]
    assert await bot.chat_of(tenant) is None


async def test_own_contact_with_an_unknown_number_is_refused(bot: Harness) -> None:
    await bot.tenant(phone="+4520304050")
    replies = await bot.send(contact_update, "4560708090", CHAT)
    assert len(replies) == 1 and replies[0].startswith(MISMATCH)


async def test_plain_text_gets_the_welcome_once_a_day(bot: Harness) -> None:
    assert (await bot.send(text_update, "hej"))[0].startswith(WELCOME)
    assert await bot.send(text_update, "hallo?") == []
    bot.clock.offset += timedelta(days=1)
    assert (await bot.send(text_update, "hej igen"))[0].startswith(WELCOME)


async def test_start_without_payload_explains_how_to_connect(bot: Harness) -> None:
    assert (await bot.send(text_update, "/start"))[0].startswith(WELCOME)
    assert (await bot.send(text_update, "/start"))[0].startswith(WELCOME)


@pytest.mark.parametrize(
    ("app", "first_words"),
    [("en-GB", "Welcome to"), ("en", "Welcome to"), ("da", WELCOME), ("fr-FR", WELCOME), (None, WELCOME)],
)
async def test_the_welcome_speaks_the_language_of_the_persons_telegram_app_when_keephome_does(
    bot: Harness, app: str | None, first_words: str
) -> None:
    """Nobody knows who writes yet; their app's language is a better guess than Danish for everyone (English is
    among KEEPHOME_LANGUAGES here, French is not: it gets the fallback language)."""
    assert (await bot.send(partial(text_update, language=app), "/start"))[0].startswith(first_words)


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("4520304050", "+4520304050"),
        ("+45 20 30 40 50", "+4520304050"),
        ("20304050", "+4520304050"),
        ("12", None),
        ("4500000000", None),
    ],
)
def test_shared_numbers_are_normalised(raw: str, e164: str | None) -> None:
    assert from_telegram_contact(raw) == e164


async def test_wrong_then_right_code_on_each_database(database_url: str) -> None:
    async with harness(database_url) as bot:
        tenant = await bot.tenant()
        code = await bot.code(tenant)
        assert (await bot.send(text_update, "hej"))[0].startswith(WELCOME)
        assert (await bot.send(text_update, wrong(code)))[0].startswith(BAD_CODE)
        assert (await bot.send(text_update, code))[0].startswith(LINKED)
        assert await bot.chat_of(tenant) == CHAT


def counted(bot: Harness, result: str) -> float:
    """How often the processor counted this result for a Telegram message (keephome_inbound_messages)."""
    for line in bot.rt.metrics.render().decode().splitlines():
        if line.startswith("keephome_inbound_messages_total{") and f'result="{result}"' in line:
            return float(line.rsplit(" ", 1)[1])
    return 0.0


async def test_all_chats_share_a_budget_of_wrong_codes_that_alerts_and_makes_everyone_wait(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="bot.inbound.unlinked")
    async with harness(database_url, link_failure_budget=3) as bot:
        tenant = await bot.tenant()
        code = await bot.code(tenant)
        # Three chats miss once each, far from their own limit of five; a staff code counts too.
        assert (await bot.send(text_update, wrong(code), chat=901))[0].startswith(BAD_CODE)
        assert (await bot.send(text_update, "STAFF 0000 0000", chat=902))[0].startswith(BAD_CODE)
        assert counted(bot, "link_budget_exceeded") == 0
        assert (await bot.send(text_update, wrong(wrong(code)), chat=903))[0].startswith(BAD_CODE)
        # The third miss spends the budget: one alarm, as a metric and a warning with counts and no code.
        assert counted(bot, "link_budget_exceeded") == 1
        [alarm] = [r.getMessage() for r in caplog.records if "across all chats" in r.getMessage()]
        assert "3 wrong codes across all chats in 60 minutes (budget 3)" in alarm
        for secret in (code, wrong(code), wrong(wrong(code)), "0000"):
            assert secret not in caplog.text
        # Now every chat waits: even the right code, from a chat that never missed, is not checked.
        assert (await bot.send(text_update, code))[0].startswith(BAD_CODE)
        assert (await bot.send(text_update, code, chat=904))[0].startswith(BAD_CODE)
        assert await bot.chat_of(tenant) is None
        assert counted(bot, "link_budget_wait") == 2
        assert counted(bot, "link_budget_exceeded") == 1
        # A deep link cannot be guessed, so it still links while codes wait.
        other = await bot.tenant("T-2", phone="+4520304051")
        async with bot.rt.db.write() as conn:
            url = await conn.run_sync(deep_link, other, bot.clock(), 60, "keephome_bot")
        token = url.rsplit("=", 1)[1]
        assert (await bot.send(text_update, f"/start {token}", chat=905))[0].startswith(LINKED)
        # When the hour is over the budget is whole again and the code, still live, links.
        bot.clock.offset += timedelta(minutes=61)
        assert (await bot.send(text_update, code))[0].startswith(LINKED)
        assert await bot.chat_of(tenant) == CHAT


async def test_a_shared_contact_whose_number_two_tenants_hold_links_neither(
    bot: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    async with bot.rt.db.write() as conn:
        await conn.execute(text("DROP INDEX uq_tenants_phone_live"))
    first = await bot.tenant("T-1")
    second = await bot.tenant("T-2")
    replies = await bot.send(contact_update, "4520304050", CHAT)
    assert len(replies) == 1 and replies[0].startswith(MISMATCH)
    assert (await bot.chat_of(first), await bot.chat_of(second)) == (None, None)
    assert "share one phone number" in caplog.text and "20304050" not in caplog.text


def _keyboards(bot: Harness, seen: int) -> list[object]:
    """The keyboard under each message the chat got since `seen` (None: none)."""
    return [m.get("reply_markup") for m in bot.api.delivered[seen:] if m["chat"]["id"] == CHAT]


SHARE_BUTTON = {
    "keyboard": [[{"text": "Del mit telefonnummer", "request_contact": True}]],
    "resize_keyboard": True,
    "one_time_keyboard": True,
}


async def test_the_welcome_and_a_bad_code_offer_the_button_that_shares_ones_own_number(bot: Harness) -> None:
    """The welcome says a tenant may share their number: Telegram's own button does it (a contact card typed in
    by hand proves nothing); once the chat is linked, the button goes away."""
    tenant = await bot.tenant(phone="+4520304050")
    seen = len(bot.api.delivered)
    assert (await bot.send(text_update, "/start"))[0].startswith(WELCOME)
    assert (await bot.send(text_update, "1234 5678"))[0].startswith(BAD_CODE)
    assert _keyboards(bot, seen) == [SHARE_BUTTON, SHARE_BUTTON]
    seen = len(bot.api.delivered)
    assert (await bot.send(contact_update, "4520304050", CHAT))[0].startswith(LINKED)
    assert _keyboards(bot, seen) == [{"remove_keyboard": True}]
    assert await bot.chat_of(tenant) == CHAT


async def test_a_number_we_do_not_know_takes_the_button_away(bot: Harness) -> None:
    seen = len(bot.api.delivered)
    assert (await bot.send(contact_update, "4560708090", CHAT))[0].startswith(MISMATCH)
    assert _keyboards(bot, seen) == [{"remove_keyboard": True}]


async def test_the_keyboard_is_no_button_to_press(bot: Harness) -> None:
    """A forged press of the keyboard's place in a message (it sends no callback) answers nothing."""
    tenant = await bot.tenant(phone="+4520304050")
    await bot.send(contact_update, "4520304050", CHAT)
    async with bot.rt.db.read() as conn:
        linked = (
            await conn.execute(
                select(outbox.c.id).where(outbox.c.template == "link.linked", outbox.c.tenant_id == tenant)
            )
        ).scalar_one()
    assert await bot.send(callback_update, f"q{linked}", f"{linked}.0") == []


SHARE_OWN = "Tak. Du behøver ikke skrive dit nummer"


@pytest.mark.parametrize(
    "typed",
    ["mit nummer er 20 30 40 50", "+45 20 30 40 50", "004520304050", "Tlf. 2030 4050", "my phone number is 20304050"],
)
async def test_a_phone_number_typed_is_shown_the_button_and_is_no_wrong_code(bot: Harness, typed: str) -> None:
    """The welcome asks to share one's number, and many type it: they are shown the button (whoever's number it
    is), not told that a code they never typed does not work, and no guess at a code is counted."""
    tenant = await bot.tenant(phone="+4520304050")
    code = await bot.code(tenant)
    seen = len(bot.api.delivered)
    replies = await bot.send(text_update, typed)
    assert len(replies) == 1 and replies[0].startswith(SHARE_OWN), replies
    assert _keyboards(bot, seen) == [SHARE_BUTTON]
    assert await bot.chat_of(tenant) is None
    async with bot.rt.db.read() as conn:
        misses = (await conn.execute(select(link_codes.c.misses).where(link_codes.c.tenant_id == tenant))).scalar()
    assert misses == 0
    # Bare eight digits are still a code.
    assert (await bot.send(text_update, wrong(code)))[0].startswith(BAD_CODE)


async def test_many_people_typing_their_number_do_not_spend_the_budget_of_wrong_codes(bot: Harness) -> None:
    tenant = await bot.tenant(phone="+4520304050")
    code = await bot.code(tenant)
    for n in range(35):  # one morning after a reminder round: 35 people, once each
        replies = await bot.send(text_update, f"+45 20 30 41 {n:02d}", chat=900_000 + n)
        assert not any(BAD_CODE in reply for reply in replies), replies
    assert (await bot.send(text_update, f"{code[:4]} {code[4:]}"))[0].startswith(LINKED)
    assert await bot.chat_of(tenant) == CHAT


@pytest.mark.parametrize(
    ("typed", "phone"),
    [
        ("+4520304050", True),
        ("0045 20 30 40 50", True),
        ("mobil: 20304050", True),
        ("mit telefonnummer er 20 30 40 50", True),
        ("20304050", False),  # a code
        ("0045 1234", False),  # a code that begins 0045
        ("min kode er 1234 5678", False),
        ("kode nr 1234 5678", False),
        ("nr 12", False),
    ],
)
def test_what_is_a_phone_number_typed(typed: str, phone: bool) -> None:
    assert typed_phone(typed) is phone


OTHER_TENANCY = "Denne Telegram-konto er allerede forbundet med et andet lejemål"


async def test_another_tenants_deep_link_in_a_linked_chat_says_the_account_is_taken_and_links_nobody(
    bot: Harness,
) -> None:
    first = await bot.tenant("T-1", phone="+4520304050", chat_id=CHAT)
    second = await bot.tenant("T-2", phone="+4520304051")
    async with bot.rt.db.write() as conn:
        url = await conn.run_sync(deep_link, second, bot.clock(), 60, "keephome_bot")
    replies = await bot.send(text_update, f"/start {url.rsplit('=', 1)[1]}")
    assert len(replies) == 1 and replies[0].startswith(OTHER_TENANCY), replies
    assert "Testlejer" not in replies[0] and "Boligselskabet" in replies[0]
    assert (await bot.chat_of(first), await bot.chat_of(second)) == (CHAT, None)
    async with bot.rt.db.read() as conn:
        unused = (await conn.execute(select(link_codes.c.used_at).where(link_codes.c.tenant_id == second))).scalar()
    assert unused is None


async def test_another_tenants_code_in_a_linked_chat_says_the_account_is_taken_and_counts_misses(
    sqlite_url: str,
) -> None:
    async with harness(sqlite_url, link_failure_budget=2) as bot:
        first = await bot.tenant("T-1", phone="+4520304050", chat_id=CHAT)
        second = await bot.tenant("T-2", phone="+4520304051")
        await bot.send(text_update, "hej")  # the first tenant's question is open
        code = await bot.code(second)
        replies = await bot.send(text_update, f"{code[:4]} {code[4:]}")
        assert replies == [replies[0]] and replies[0].startswith(OTHER_TENANCY), replies
        assert (await bot.chat_of(first), await bot.chat_of(second)) == (CHAT, None)
        # A wrong code from the linked chat is the tenant's own words, and counts as a miss like any other.
        assert not any(OTHER_TENANCY in reply for reply in await bot.send(text_update, wrong(code)))
        assert not any(OTHER_TENANCY in reply for reply in await bot.send(text_update, wrong(wrong(code))))
        # The budget is spent: the live code is not checked now, and still links its own tenant later.
        assert not any(OTHER_TENANCY in reply for reply in await bot.send(text_update, code))
        bot.clock.offset += timedelta(minutes=61)
        assert (await bot.send(text_update, code, chat=904))[0].startswith(LINKED)
        assert await bot.chat_of(second) == 904


@pytest.mark.parametrize("ask", ["/help", "hjælp", "HELP"])
async def test_asking_for_help_after_the_days_welcome_is_answered_a_few_times_a_day(bot: Harness, ask: str) -> None:
    """Before, only the first message of the day and /start were answered: "hjælp" after the welcome got silence."""
    assert (await bot.send(text_update, "hej"))[0].startswith(WELCOME)
    for _ in range(3):
        replies = await bot.send(text_update, ask)
        assert len(replies) == 1 and replies[0].startswith(WELCOME), replies
    # A chatty stranger does not get dozens: quiet for the rest of the day, then answered again.
    assert await bot.send(text_update, ask) == []
    assert await bot.send(text_update, "hej") == []
    bot.clock.offset += timedelta(days=1)
    assert (await bot.send(text_update, ask))[0].startswith(WELCOME)


# Someone else's message forwarded into the chat: as the Bot API marks it since 7.0, and as an older (self-hosted)
# Bot API server does, with the legacy fields only.
_ORIGIN = {"type": "user", "date": 1767261000, "sender_user": {"id": 42, "is_bot": False, "first_name": "Nabo"}}
forwarded_update = partial(text_update, forward_origin=_ORIGIN)
legacy_forwarded_update = partial(
    text_update, forward_from={"id": 42, "is_bot": False, "first_name": "Nabo"}, forward_date=1767261000
)
FORWARDED = (
    "Den besked er videresendt, så vi har ikke prøvet koden i den. Skriv selv koden her i chatten. "
    "Du kan også trykke på »Del mit telefonnummer« herunder."
)


async def _tries_counted(bot: Harness, tenant: int) -> tuple[int, int]:
    """The wrong tries counted against the tenant's live code, and against this chat."""
    async with bot.rt.db.read() as conn:
        misses = (await conn.execute(select(link_codes.c.misses).where(link_codes.c.tenant_id == tenant))).scalar()
        failed = (
            await conn.execute(
                select(unknown_senders.c.failed_codes).where(
                    unknown_senders.c.address_hash
                    == stranger_key(bot.rt.settings.secret_key or "", "telegram", str(CHAT))
                )
            )
        ).scalar()
    return int(misses or 0), int(failed or 0)


@pytest.mark.parametrize("make", [forwarded_update, legacy_forwarded_update], ids=["forward_origin", "legacy"])
@pytest.mark.parametrize("shown", ["{0}{1}", "{0} {1}", "Her er min kode {0}-{1}", "1234567", "STAFF {0} {1}"])
async def test_a_code_in_a_forwarded_message_is_not_tried_and_they_are_asked_to_type_it(
    sqlite_url: str, make: object, shown: str
) -> None:
    """A forwarded code is someone else's (a neighbour's, a relative's): trying it linked the chat to a tenancy
    whose owner never typed it, and counted a wrong try when it did not work. Now the person is asked to type the
    code themselves, with the button still there, and nothing is tried or counted, however often they forward."""
    async with harness(sqlite_url, link_failure_budget=2) as bot:
        tenant = await bot.tenant()
        code = await bot.code(tenant)
        seen = len(bot.api.delivered)
        for _ in range(MAX_FAILED_CODES + 1):  # more than a chat may miss in a row, and than all chats may (2)
            assert await bot.send(make, shown.format(code[:4], code[4:])) == [FORWARDED]
        assert _keyboards(bot, seen) == [SHARE_BUTTON] * (MAX_FAILED_CODES + 1)
        assert await bot.chat_of(tenant) is None
        assert await _tries_counted(bot, tenant) == (0, 0)
        assert counted(bot, "link_forwarded") == MAX_FAILED_CODES + 1
        # No limit was touched: the code typed by the person links at once.
        assert (await bot.send(text_update, f"{code[:4]} {code[4:]}"))[0].startswith(LINKED)
        assert await bot.chat_of(tenant) == CHAT


async def test_a_forwarded_message_without_a_code_is_any_text(bot: Harness) -> None:
    assert (await bot.send(forwarded_update, "Husk mødet i aften"))[0].startswith(WELCOME)
    assert await bot.send(forwarded_update, "Husk mødet i aften") == []


@pytest.mark.parametrize("sentence", ["min kode er {0} {1}", "My code is {0}{1}!", "kode: {0}-{1} tak"])
async def test_another_tenants_code_inside_a_sentence_in_a_linked_chat_says_the_account_is_taken(
    bot: Harness, sentence: str
) -> None:
    """Only a code alone was checked in a linked chat: in a sentence it was answered as words about the rent ("Tak,
    fordi du skriver ... Må rådgivere ... se dit navn"), and the other tenancy's live code was kept among this
    tenant's messages."""
    first = await bot.tenant("T-1", phone="+4520304050", chat_id=CHAT)
    second = await bot.tenant("T-2", phone="+4520304051")
    code = await bot.code(second)
    replies = await bot.send(text_update, sentence.format(code[:4], code[4:]))
    assert replies == [
        "Denne Telegram-konto er allerede forbundet med et andet lejemål. Derfor har vi ikke brugt koden eller "
        "linket. Ring til Boligselskabet på 70 00 00 00, så hjælper vi dig."
    ]
    assert (await bot.chat_of(first), await bot.chat_of(second)) == (CHAT, None)
    async with bot.rt.db.read() as conn:
        unused = (await conn.execute(select(link_codes.c.used_at).where(link_codes.c.tenant_id == second))).scalar()
        kept = (await conn.execute(select(messages.c.text).where(messages.c.direction == "in"))).scalars().all()
    assert unused is None and not any(code[4:] in (text or "") for text in kept), kept


async def test_digits_in_a_sentence_in_a_linked_chat_are_an_answer_and_no_try(bot: Harness) -> None:
    """A date or an amount in a linked chat is the tenant's answer: it is not tried as a code, and counts no miss."""
    await bot.tenant("T-1", phone="+4520304050", chat_id=CHAT)
    second = await bot.tenant("T-2", phone="+4520304051")
    await bot.code(second)
    replies = await bot.send(text_update, "Jeg betaler den 15.12.2026")
    assert replies and not any(OTHER_TENANCY in reply for reply in replies), replies
    assert await _tries_counted(bot, second) == (0, 0)


ALREADY = "Du er allerede forbundet. Du skal ikke skrive koden igen. Vi skriver til dig her på Telegram."


@pytest.mark.parametrize("shown", ["{0}{1}", "min kode er {0} {1}", "{0} {1}"])
async def test_the_own_code_sent_again_in_the_linked_chat_says_it_is_connected_and_leaves_the_question(
    bot: Harness, shown: str
) -> None:
    """A tenant who linked with their code and sent it again (a resend, or unsure it worked) had it read as an answer
    to their open question ("Tak, fordi du skriver …" and the consent question), and it counted a wrong try against
    every live code. Now they are told the chat is connected already; nothing is tried, kept or answered else."""
    tenant = await bot.tenant()
    code = await bot.code(tenant)
    assert (await bot.send(text_update, f"{code[:4]} {code[4:]}"))[0].startswith(LINKED)
    other = await bot.tenant("T-2", phone="+4520304051")
    await bot.code(other)  # a live code of someone else's, which a wrong try would count against
    opened = await bot.send(text_update, "hej")  # the tenant's question is open
    assert opened and not opened[0].startswith(ALREADY), opened
    for _ in range(2):
        assert await bot.send(text_update, shown.format(code[:4], code[4:])) == [ALREADY]
    assert await _tries_counted(bot, other) == (0, 0)
    assert counted(bot, "link_code_again") == 2
    async with bot.rt.db.read() as conn:
        kept = (await conn.execute(select(messages.c.text).where(messages.c.direction == "in"))).scalars().all()
    assert kept == ["hej"], kept
    # The question waits still: the tenant's answer to it is heard as before the code.
    assert await bot.send(text_update, "hej") != [ALREADY]


async def test_the_own_code_from_an_opted_out_tenant_is_their_words(bot: Harness) -> None:
    """An opted-out tenant is not told "we write to you here": their code sent again is their words, answered as an
    opted-out tenant's are (how to come back), and it counts no wrong try."""
    tenant = await bot.tenant()
    code = await bot.code(tenant)
    assert (await bot.send(text_update, code))[0].startswith(LINKED)
    other = await bot.tenant("T-2", phone="+4520304051")
    await bot.code(other)
    await bot.send(text_update, "STOP")
    assert (await bot.tenant_row(tenant)).status == "stopped"
    replies = await bot.send(text_update, code)
    assert replies and ALREADY not in replies and "START" in replies[0], replies
    assert await _tries_counted(bot, other) == (0, 0)
