"""The composition root: builds the parts of a running keephome from settings and starts/stops them."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.channels.base import Channel
from bot.channels.sandbox import SandboxChannel
from bot.inbound.inbox import Inbox
from bot.inbound.processor import Processor
from bot.metrics import Metrics
from bot.outbox.ratelimit import RateLimiter
from bot.outbox.render import Renderer
from bot.outbox.sender import Sender
from bot.paths import TEMPLATES_DIR
from bot.settings import Settings
from bot.store.db import Database, utcnow

__all__ = ["Clock", "Runtime", "build_runtime"]

log = logging.getLogger(__name__)


class Clock:
    """The shell's clock; the demo may move it forward (never in `run`)."""

    def __init__(self, offset: timedelta = timedelta(0)) -> None:
        self.offset = offset

    def __call__(self) -> datetime:
        return utcnow() + self.offset


@dataclass
class Runtime:
    """Everything a running service holds; built once, started in the ASGI lifespan."""

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
    telegram: object | None = None  # bot.channels.telegram.TelegramChannel when Telegram is on
    background: bool = True
    extra_stop: list[Callable[[], object]] = field(default_factory=list)
    pause_flag: bool = False  # the console's switch, stored in settings_flags and read at start

    @property
    def sandbox(self) -> dict[str, SandboxChannel]:
        """The sandbox channels (demo and tests)."""
        return {k: v for k, v in self.channels.items() if isinstance(v, SandboxChannel)}

    def paused(self) -> bool:
        """The global pause switch (a setting; the console can flip it too)."""
        return self.settings.paused or self.pause_flag

    async def start(self) -> None:
        """Open channels and start the background tasks in the running loop."""
        from bot.console.admin import load_pause_flag

        try:
            self.pause_flag = await load_pause_flag(self)
        except Exception:  # an unmigrated database: the switch is off until the schema exists
            log.warning("could not read the pause switch; it stays off")
        for channel in self.channels.values():
            await channel.start()
        if self.background:
            await self.inbox.start()
            await self.processor.start()
            # With several processes, one sender per deployment keeps the provider rates exact.
            if self.settings.run_sender:
                await self.sender.start()
            if self.settings.telegram_mode == "polling":
                from bot.inbound.poller import start_polling

                poller = await start_polling(self)
                if poller is not None:
                    self.extra_stop.append(poller.stop)
            if self.settings.run_scheduler:
                from bot.reminders.jobs import start_scheduler

                start_scheduler(self)  # registers its own shutdown in extra_stop

    async def stop(self) -> None:
        """Stop tasks, close channels and the database."""
        for stop_extra in self.extra_stop:
            result = stop_extra()
            if inspect.isawaitable(result):
                await result
        await self.inbox.stop()
        await self.processor.stop()
        await self.sender.stop()
        for channel in self.channels.values():
            try:
                await channel.stop()
            except Exception:
                log.exception("closing channel %s failed", channel.name)
        await self.db.dispose()


def build_runtime(
    settings: Settings,
    *,
    demo: bool = False,
    channels: dict[str, Channel] | None = None,
    clock: Clock | None = None,
    background: bool = True,
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
            chosen["sms"] = SandboxChannel("sms")
    if "telegram" not in chosen:
        if settings.telegram_enabled and not demo:
            from bot.channels.telegram import TelegramChannel

            chosen["telegram"] = TelegramChannel(settings)
        elif demo:
            chosen["telegram"] = SandboxChannel("telegram")
    renderer = Renderer(TEMPLATES_DIR, settings, telegram_on="telegram" in chosen)
    rates = {
        "sms": RateLimiter(settings.twilio_rate),
        "telegram": RateLimiter(settings.telegram_rate, per_key_rate=settings.telegram_chat_rate),
    }
    holder: dict[str, Runtime] = {}
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
        paused=lambda: holder["rt"].paused(),
        status_callback=f"{settings.public_url}/webhooks/twilio/status",
        send_timeout=settings.send_timeout_seconds,
    )
    processor = Processor(
        db,
        settings,
        clock,
        metrics,
        on_enqueued=sender.wake,
        should_yield=lambda: inbox.has_waiting(),
        telegram_on="telegram" in chosen,
    )
    inbox = Inbox(db, clock, on_commit=processor.wake)
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
        telegram=chosen.get("telegram"),
        background=background,
    )
    holder["rt"] = rt
    return rt
