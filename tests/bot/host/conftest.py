"""A runtime on SQLite and on PostgreSQL whose clock stands still at `START`, for the host's tests that drive it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from bot.runtime import Clock, Runtime
from tests.conftest import make_settings, started_runtime

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class FixedClock(Clock):
    def __call__(self) -> datetime:
        return START + self.offset


@pytest.fixture
async def rt(database_url: str) -> AsyncIterator[Runtime]:
    async with started_runtime(make_settings(database_url), FixedClock()) as runtime:
        yield runtime
