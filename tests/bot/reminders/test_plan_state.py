"""The daily plan as the admin page and /metrics say it: a plan that failed, one made late, one made on time, and the
tenants it left out because their balance data was too old."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from bot.reminders import jobs as jobs_module
from bot.reminders.jobs import SchedulerRole, catch_up, plan_today
from bot.runtime import Clock, Runtime
from bot.settings import Settings
from bot.starter import job_services
from bot.store.db import utcnow
from tests.conftest import started_runtime
from tests.support.console import staff_client
from tests.support.drive import drain
from tests.support.helpers import add_tenant

TZ = ZoneInfo("Europe/Copenhagen")
DAY = date(2026, 3, 3)


def clock_at(hour: int, minute: int = 0) -> Clock:
    return Clock(datetime(2026, 3, 3, hour, minute, tzinfo=TZ).astimezone(UTC) - utcnow())


def sample(rt: Runtime, name: str) -> float | None:
    return rt.metrics.registry.get_sample_value(name)


async def plan_card(client: httpx.AsyncClient) -> str:
    page = (await client.get("/console/admin")).text
    card = page.split('id="daily-plan"', 1)[1].split("</div>", 1)[0]
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", card)).split())


async def test_a_plan_that_failed_is_counted_and_the_admin_page_says_today_is_not_planned(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with started_runtime(settings, clock=clock_at(11)) as rt, staff_client(rt, "admin") as c:
        await add_tenant(rt.db, "T-1", balance_ore=500_000, balance_as_of=DAY)
        real: Callable[..., Any] = jobs_module.plan_reminders

        async def fails(*args: Any, **kwargs: Any) -> Any:
            raise OSError("database is locked")

        monkeypatch.setattr(jobs_module, "plan_reminders", fails)
        with pytest.raises(OSError):
            await plan_today(job_services(rt))
        assert sample(rt, "keephome_plan_failed_total") == 1.0
        assert sample(rt, "keephome_plan_planned_at_seconds") == 0.0
        card = await plan_card(c)
        assert "Today's reminders have not been planned: they are planned at 09:00 each day." in card
        assert "tell whoever runs keephome" in card

        # The catch-up plans the day two hours late: the page says so, and /metrics shows when.
        monkeypatch.setattr(jobs_module, "plan_reminders", real)
        assert await catch_up(job_services(rt)) is True
        assert sample(rt, "keephome_plan_failed_total") == 1.0
        assert sample(rt, "keephome_plan_planned_at_seconds") == pytest.approx(rt.clock().timestamp(), abs=5)
        card = await plan_card(c)
        assert "not been planned" not in card
        # Planned late but nothing sent yet: nothing went out late so far.
        assert "Today's reminders were planned at 11:00." in card and "late" not in card
        assert await drain(rt.sender) > 0
        card = await plan_card(c)
        assert "Today's reminders were planned late, at 11:00 (they are planned at 09:00)" in card
        assert "They went out later in the day than usual." in card


async def test_a_fresh_install_planning_its_first_empty_day_late_is_not_told_reminders_went_out_late(
    settings: Settings,
) -> None:
    async with started_runtime(settings, clock=clock_at(12, 13)) as rt, staff_client(rt, "admin") as c:
        assert await catch_up(job_services(rt)) is True
        await drain(rt.sender)
        card = await plan_card(c)
    assert card.count("Today's reminders were planned at 12:13.") == 1
    assert "late" not in card and "went out" not in card


async def test_a_plan_on_time_says_so_and_before_the_plan_hour_the_page_says_when(settings: Settings) -> None:
    async with started_runtime(settings, clock=clock_at(8, 30)) as rt, staff_client(rt, "admin") as c:
        assert "Today's reminders are planned at 09:00." in await plan_card(c)
        rt.clock.offset = clock_at(9, 5).offset
        await plan_today(job_services(rt))
        card = await plan_card(c)
    assert "Today's reminders were planned at 09:05." in card and "late" not in card


async def test_tenants_left_out_for_stale_balances_are_counted_and_the_admin_is_told_what_to_do(
    settings: Settings,
) -> None:
    old = DAY - timedelta(days=settings.balance_max_age_days + 1)
    async with started_runtime(settings, clock=clock_at(9)) as rt, staff_client(rt, "admin") as c:
        for n in range(2):
            await add_tenant(rt.db, f"T-OLD-{n}", phone=f"+452000000{n}", balance_ore=500_000, balance_as_of=old)
        await add_tenant(rt.db, "T-NEW", phone="+4520000009", balance_ore=500_000, balance_as_of=DAY)
        outcome = await plan_today(job_services(rt))
        assert outcome.summary.stale == 2
        assert sample(rt, "keephome_plan_stale_balance") == 2.0
        card = await plan_card(c)
        assert (
            "2 tenants got no reminder at the last plan because their balances are older than "
            f"{settings.balance_max_age_days} days" in card
        )
        assert "Load today's balances (a CSV import or the API)" in card

        # The process that takes the scheduler role over reports the stored plan at its first look; the one that
        # loses it reports nothing more.
        role = SchedulerRole(job_services(rt))
        rt.metrics.plan_stale.set(0)
        assert await catch_up(job_services(rt)) is False
        assert sample(rt, "keephome_plan_stale_balance") == 2.0
        await role.start()
        await role.stop()
        assert sample(rt, "keephome_plan_stale_balance") == 0.0
        assert sample(rt, "keephome_plan_planned_at_seconds") == 0.0


async def test_the_plan_card_reads_in_danish(settings: Settings) -> None:
    old = DAY - timedelta(days=settings.balance_max_age_days + 1)
    da = settings.model_copy(update={"console_language": "da"})
    async with started_runtime(da, clock=clock_at(9)) as rt, staff_client(rt, "admin") as c:
        await add_tenant(rt.db, "T-OLD", balance_ore=500_000, balance_as_of=old)
        await plan_today(job_services(rt))
        card = await plan_card(c)
    assert "Dagens påmindelser blev planlagt kl. 09.00." in card
    assert "1 lejer fik ingen påmindelse ved sidste planlægning" in card
