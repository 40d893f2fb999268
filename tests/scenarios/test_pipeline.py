"""The inbound pipeline end to end on the sandbox channels: commit once, keywords first, answer via the outbox."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.inbound.inbox import InboundMessage
from bot.runtime import Runtime
from bot.store.schema import inbound, messages, outbox, tenants
from tests.support.drive import drain, process_all
from tests.support.helpers import add_tenant


async def _say(rt: Runtime, text: str, sid: str, sender: str = "+4520123456", channel: str = "sms") -> None:
    await rt.inbox.submit(InboundMessage(channel=channel, provider_id=sid, sender=sender, text=text))
    await process_all(rt.processor)
    await drain(rt.sender)


async def _status(rt: Runtime, tenant_id: int) -> str:
    async with rt.db.read() as conn:
        return str((await conn.execute(select(tenants.c.status).where(tenants.c.id == tenant_id))).scalar_one())


async def test_a_tenant_who_writes_gets_the_first_question_back(runtime: Runtime) -> None:
    await add_tenant(runtime.db)
    await _say(runtime, "hej", "SM1")
    sent = runtime.channels["sms"].to("+4520123456")  # type: ignore[attr-defined]
    assert len(sent) == 1
    assert "Amira" in sent[0].text


async def test_a_repeated_webhook_is_handled_once(runtime: Runtime) -> None:
    await add_tenant(runtime.db)
    await _say(runtime, "hej", "SM1")
    await _say(runtime, "hej", "SM1")
    async with runtime.db.read() as conn:
        assert (await conn.execute(select(func.count()).select_from(inbound))).scalar_one() == 1
        assert (await conn.execute(select(func.count()).select_from(outbox))).scalar_one() == 1


async def test_stop_opts_out_once_and_nothing_more_is_sent(runtime: Runtime) -> None:
    tenant_id = await add_tenant(runtime.db)
    await _say(runtime, "hej", "SM1")
    await _say(runtime, " Stop! ", "SM2")
    assert await _status(runtime, tenant_id) == "stopped"
    sent = runtime.channels["sms"].to("+4520123456")  # type: ignore[attr-defined]
    assert len(sent) == 2  # the question, then the confirmation
    await _say(runtime, "STOP", "SM3")
    await _say(runtime, "hvad så nu", "SM4")
    assert len(runtime.channels["sms"].to("+4520123456")) == 2  # type: ignore[attr-defined]
    await _say(runtime, "start", "SM5")
    assert await _status(runtime, tenant_id) == "active"
    assert len(runtime.channels["sms"].to("+4520123456")) == 3  # type: ignore[attr-defined]


async def test_words_that_only_contain_stop_opt_nobody_out(runtime: Runtime) -> None:
    tenant_id = await add_tenant(runtime.db)
    for i, text in enumerate(["send", "weekend", "stoppested", "jeg vil ikke stoppe"]):
        await _say(runtime, text, f"SM{i}")
        assert await _status(runtime, tenant_id) == "active"


async def test_wrong_number_ends_all_messages_to_it(runtime: Runtime) -> None:
    tenant_id = await add_tenant(runtime.db)
    await _say(runtime, "forkert nummer", "SM1")
    assert await _status(runtime, tenant_id) == "wrong_number"
    await _say(runtime, "hej", "SM2")
    await _say(runtime, "hej igen", "SM3")
    sent = runtime.channels["sms"].to("+4520123456")  # type: ignore[attr-defined]
    # Whoever holds the number hears once a day that nothing is written here and whom to call, nothing of the tenant.
    assert len(sent) == 2
    assert "forkert nummer" in sent[1].text and "Amira" not in sent[1].text


async def test_an_unknown_number_gets_one_generic_answer_a_day(runtime: Runtime) -> None:
    await add_tenant(runtime.db)
    for i in range(3):
        await _say(runtime, "hej hvem er det", f"SM{i}", sender="+4529999999")
    sent = runtime.channels["sms"].to("+4529999999")  # type: ignore[attr-defined]
    assert len(sent) == 1
    assert "Amira" not in sent[0].text
    async with runtime.db.read() as conn:
        stored = (await conn.execute(select(func.count()).select_from(messages))).scalar_one()
    assert stored == 1  # only our answer; nothing was learnt about the sender as a tenant


async def test_an_unknown_number_that_says_stop_is_sent_nothing(runtime: Runtime) -> None:
    """Opt-out always wins: "Vi kan ikke finde dit nummer hos os…" answered a STOP, and the words after it that day."""
    await add_tenant(runtime.db)
    for i, text in enumerate([" Stop! ", "hej hvem er det"]):
        await _say(runtime, text, f"SM{i}", sender="+4529999997")
    assert runtime.channels["sms"].to("+4529999997") == []  # type: ignore[attr-defined]


async def test_words_of_crisis_from_an_unknown_number_get_the_crisis_line_not_the_generic_answer(
    runtime: Runtime,
) -> None:
    """A tenant writing from a friend's phone, or someone keephome never knew: "jeg vil ikke leve mere" got the
    generic "this number is not known" answer (or nothing, after it). They get the crisis line, at most once a day
    (a number that writes it again is not answered again), apart from the one generic answer a day."""
    await add_tenant(runtime.db)
    stranger = "+4529999998"
    await _say(runtime, "hej hvem er det", "SM1", sender=stranger)  # the day's generic answer
    await _say(runtime, "jeg vil ikke leve mere", "SM2", sender=stranger)
    await _say(runtime, "jeg vil ikke leve mere", "SM3", sender=stranger)
    texts = [m.text for m in runtime.channels["sms"].to(stranger)]  # type: ignore[attr-defined]
    assert len(texts) == 2 and sum("Livslinien på 70 201 201" in text for text in texts) == 1, texts
    assert "Livslinien" not in texts[0] and "RÅDGIVER" not in texts[1]  # nothing offered that needs a tenancy


async def test_words_of_crisis_in_a_telegram_chat_not_linked_get_the_crisis_line_in_the_app_s_language(
    runtime: Runtime,
) -> None:
    await runtime.inbox.submit(
        InboundMessage("telegram", "9001:1", "9001", "I want to die", payload={"language_code": "en"})
    )
    await process_all(runtime.processor)
    await drain(runtime.sender)
    texts = [m.text for m in runtime.channels["telegram"].to("9001")]  # type: ignore[attr-defined]
    assert len(texts) == 1 and "You are not alone" in texts[0] and "Livslinien on 70 201 201" in texts[0], texts


async def test_without_telegram_the_word_telegram_is_an_ordinary_message(settings: object) -> None:
    from bot.channels.sandbox import SandboxChannel
    from bot.runtime import build_runtime
    from bot.starter import running
    from tests.support.schema import migrated

    sms = SandboxChannel("sms")
    rt = build_runtime(settings, channels={"sms": sms})  # type: ignore[arg-type]
    await migrated(rt.db)
    async with running(rt, background=False):
        await add_tenant(rt.db)
        await _say(rt, "TELEGRAM", "SM1")
        assert len(sms.sent) == 1
        assert "kode" not in sms.sent[0].text.lower()  # no link code: there is no bot to write to
        await add_tenant(rt.db, "T-2", name="Bo Berg", phone="+4520123457")
        await _say(rt, "hjælp", "SM2", sender="+4520123457")
        help_text = sms.to("+4520123457")[0].text
        assert "Ring" in help_text and "TELEGRAM" not in help_text
