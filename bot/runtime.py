"""The composition root: builds the parts of a running keephome from settings (bot.starter runs them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.channels.base import Channel
from bot.channels.sandbox import SandboxChannel
from bot.inbound.inbox import Inbox
from bot.inbound.presses import press_answerer
from bot.inbound.processor import Processor
from bot.metrics import Metrics
from bot.outbox.ratelimit import RateLimiter
from bot.outbox.render import Renderer
from bot.outbox.sender import Sender
from bot.outbox.status import record_delivery
from bot.paths import TEMPLATES_DIR
from bot.reminders.recheck import SendWindow
from bot.settings import Settings
from bot.store.db import Database, utcnow
from bot.store.flags import is_paused

__all__ = ["Clock", "Runtime", "build_runtime"]


class Clock:
    """The shell's clock; the demo may move it forward (never in `run`)."""

    def __init__(self, offset: timedelta = timedelta(0)) -> None:
        self.offset = offset

    def __call__(self) -> datetime:
        return utcnow() + self.offset


@dataclass
class Runtime:
    """The services a running keephome holds, built once; `bot.starter.running` starts and stops them."""

    settings: Settings
    db: Database
    clock: Clock
    metrics: Metrics
    renderer: Renderer
    channels: dict[str, Channel]
    inbox: Inbox
    processor: Processor
    sender: Sender
    demo: bool = False

    async def paused(self, conn: AsyncConnection | None = None) -> bool:
        """The global pause switch: `KEEPHOME_PAUSED`, or the console's switch as stored now (never a copy kept
        in this process: a switch flipped through another process holds here at once); read through `conn` when
        the caller has one of the database's connections open."""
        if self.settings.paused:
            return True
        if conn is None:
            async with self.db.read() as opened:
                return await self.paused(opened)
        return bool(await conn.run_sync(is_paused))


async def _delivered(db: Database, clock: Clock, sid: str) -> bool:
    """The demo's simulated carrier says an SMS was delivered, through the status callback's own path."""
    return await db.run(record_delivery, sid, "delivered", None, clock()) != "status_unknown_message"


def build_runtime(
    settings: Settings,
    *,
    demo: bool = False,
    channels: dict[str, Channel] | None = None,
    clock: Clock | None = None,
) -> Runtime:
    """Wire the parts; real channels where configured, the sandbox otherwise (demo and tests)."""
    db = Database(settings.database_url)
    clock = clock or Clock()
    metrics = Metrics()
    chosen: dict[str, Channel] = dict(channels or {})
    if "sms" not in chosen:
        if settings.sms_enabled and not demo:
            from bot.channels.twilio_sms import TwilioChannel

            chosen["sms"] = TwilioChannel(settings)
        elif demo:
            chosen["sms"] = SandboxChannel("sms", report=lambda sid: _delivered(db, clock, sid))
    if "telegram" not in chosen:
        if settings.telegram_enabled and not demo:
            from bot.channels.telegram import TelegramChannel

            chosen["telegram"] = TelegramChannel(settings)
        elif demo:
            chosen["telegram"] = SandboxChannel("telegram")
    renderer = Renderer(TEMPLATES_DIR, settings, telegram_on="telegram" in chosen, sms_on="sms" in chosen)
    rates = {
        "sms": RateLimiter(settings.twilio_rate),
        "telegram": RateLimiter(settings.telegram_rate, per_key_rate=settings.telegram_chat_rate),
    }
    sender = Sender(
        db,
        chosen,
        renderer,
        clock,
        metrics,
        rates=rates,
        lease=timedelta(seconds=settings.lease_seconds),
        batch=settings.outbox_batch,
        max_attempts=settings.max_attempts,
        paused=settings.paused,
        window=SendWindow(settings),
        status_callback=f"{settings.public_url}/webhooks/twilio/status",
        send_timeout=settings.send_timeout_seconds,
        forbidden_words=settings.forbidden_words,
    )
    processor = Processor(
        db,
        settings,
        clock,
        metrics,
        on_enqueued=sender.wake,
        should_yield=lambda: inbox.has_waiting(),
        telegram_on="telegram" in chosen,
        answer_presses=press_answerer(chosen, renderer),
    )
    inbox = Inbox(db, clock, on_commit=processor.wake, hold=processor.caught_up)
    rt = Runtime(
        settings=settings,
        db=db,
        clock=clock,
        metrics=metrics,
        renderer=renderer,
        channels=chosen,
        inbox=inbox,
        processor=processor,
        sender=sender,
        demo=demo,
    )
    return rt
