"""bot.starter: the runtime's services start in order, stop in reverse, and the database closes last."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.channels.sandbox import SandboxChannel
from bot.reminders.jobs import SchedulerRole
from bot.runtime import Runtime, build_runtime
from bot.settings import Settings
from bot.starter import running
from bot.store.election import ROLES
from bot.store.flags import PAUSED, write_flag
from tests.support.schema import migrated


class RecordingChannel(SandboxChannel):
    """A sandbox channel that writes down when it starts and stops, and can refuse to start."""

    def __init__(self, name: str, events: list[str], *, fails: bool = False) -> None:
        super().__init__(name)
        self.events = events
        self.fails = fails

    async def start(self) -> None:
        if self.fails:
            raise OSError(f"{self.name} is unreachable")
        self.events.append(f"start {self.name}")

    async def stop(self) -> None:
        self.events.append(f"stop {self.name}")


def _record(monkeypatch: pytest.MonkeyPatch, owner: Any, attr: str, event: str, events: list[str]) -> None:
    real: Callable[..., Any] = getattr(owner, attr)

    async def recorded(*args: Any, **kwargs: Any) -> Any:
        events.append(event)
        return await real(*args, **kwargs)

    monkeypatch.setattr(owner, attr, recorded)


async def _runtime(settings: Settings, events: list[str], monkeypatch: pytest.MonkeyPatch, **kw: bool) -> Runtime:
    channels = {"sms": RecordingChannel("sms", events, **kw), "telegram": RecordingChannel("telegram", events)}
    rt = build_runtime(settings.model_copy(update={"run_scheduler": True}), channels=channels)  # type: ignore[arg-type]
    await migrated(rt.db)
    for name in ("inbox", "processor", "sender"):
        _record(monkeypatch, getattr(rt, name), "start", f"start {name}", events)
        _record(monkeypatch, getattr(rt, name), "stop", f"stop {name}", events)
    _record(monkeypatch, rt.db, "dispose", "dispose db", events)
    _record(monkeypatch, SchedulerRole, "start", "start scheduler", events)
    _record(monkeypatch, SchedulerRole, "stop", "stop scheduler", events)
    return rt


async def test_services_start_in_order_and_stop_in_reverse(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    events: list[str] = []
    rt = await _runtime(settings, events, monkeypatch)
    async with running(rt):
        events.append("serving")
    started = ["start sms", "start telegram", "start inbox", "start processor", "start sender", "start scheduler"]
    stopped = ["stop scheduler", "stop sender", "stop processor", "stop inbox", "stop telegram", "stop sms"]
    assert events == [*started, "serving", *stopped, "dispose db"]


async def test_a_process_told_not_to_send_or_plan_never_takes_those_roles(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    events: list[str] = []
    rt = await _runtime(settings, events, monkeypatch)
    rt.settings = rt.settings.model_copy(update={"run_sender": False, "run_scheduler": False})
    async with running(rt):
        events.append("serving")
    assert events == [
        *["start sms", "start telegram", "start inbox", "start processor", "serving"],
        *["stop processor", "stop inbox", "stop telegram", "stop sms", "dispose db"],
    ]
    # It says so on /metrics: 0 for each role, not no line at all.
    held = {role: rt.metrics.registry.get_sample_value("keephome_role_held", {"role": role}) for role in ROLES}
    assert held == dict.fromkeys(ROLES, 0.0)


async def test_the_roles_this_process_holds_are_on_metrics(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    rt = await _runtime(settings, [], monkeypatch)
    async with running(rt):
        held = {role: rt.metrics.registry.get_sample_value("keephome_role_held", {"role": role}) for role in ROLES}
    assert held == {"sender": 1.0, "scheduler": 1.0, "poller": 0.0}  # SQLite: one process holds them all
    assert rt.metrics.registry.get_sample_value("keephome_role_held", {"role": "sender"}) == 0.0  # handed back


async def test_without_background_only_the_channels_run(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    events: list[str] = []
    rt = await _runtime(settings, events, monkeypatch)
    async with running(rt, background=False):
        events.append("serving")
    assert events == ["start sms", "start telegram", "serving", "stop telegram", "stop sms", "dispose db"]


async def test_a_channel_that_fails_to_start_unwinds(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    events: list[str] = []
    channels = {"telegram": RecordingChannel("telegram", events), "sms": RecordingChannel("sms", events, fails=True)}
    rt = build_runtime(settings, channels=channels)  # type: ignore[arg-type]
    await migrated(rt.db)
    _record(monkeypatch, rt.db, "dispose", "dispose db", events)
    with pytest.raises(OSError, match="sms is unreachable"):
        async with running(rt):
            events.append("serving")
    assert events == ["start telegram", "stop telegram", "dispose db"]


async def test_the_pause_switch_is_read_where_it_is_stored_each_time(settings: Settings) -> None:
    rt = build_runtime(settings)
    await migrated(rt.db)
    async with running(rt, background=False):
        assert await rt.paused() is False
        async with rt.db.write() as conn:  # flipped through another process: nothing here kept a copy
            await conn.run_sync(write_flag, PAUSED, "1", datetime(2026, 3, 3, tzinfo=UTC))
        assert await rt.paused() is True
        async with rt.db.write() as conn:
            await conn.run_sync(write_flag, PAUSED, "0", datetime(2026, 3, 3, tzinfo=UTC))
        assert await rt.paused() is False


async def test_the_setting_pauses_whatever_is_stored(settings: Settings) -> None:
    rt = build_runtime(settings.model_copy(update={"paused": True}))
    await migrated(rt.db)
    async with running(rt, background=False):
        assert await rt.paused() is True
