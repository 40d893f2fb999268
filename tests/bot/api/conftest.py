"""The API tests' world: a runtime on a fixed clock (SQLite and PostgreSQL), one key per scope, an HTTP client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import func, select

from bot.api.keys import SCOPES, add_key
from bot.app import create_app
from bot.runtime import Clock, Runtime, build_runtime
from bot.starter import running
from bot.store.schema import metadata
from tests.conftest import make_settings, started_runtime
from tests.support.schema import migrated

TZ = ZoneInfo("Europe/Copenhagen")
# Tuesday 3 March 2026, 10:00: a working day, outside quiet hours.
NOW = datetime(2026, 3, 3, 10, 0, tzinfo=TZ)
TODAY = NOW.date()
PHONE = "+4520123456"


class FixedClock(Clock):
    """A clock that stands still until a test moves it (`offset`)."""

    def __init__(self, at: datetime) -> None:
        super().__init__()
        self.at = at.astimezone(UTC)

    def __call__(self) -> datetime:
        return self.at + self.offset


@dataclass
class Api:
    """The running service, its client and a key of each scope."""

    rt: Runtime
    client: httpx.AsyncClient
    keys: dict[str, str]

    def auth(self, scope: str = "write", **headers: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[scope]}", **headers}

    async def put(self, ref: str, body: dict[str, Any], scope: str = "write", **headers: str) -> httpx.Response:
        return await self.client.put(f"/api/v1/tenants/{ref}", json=body, headers=self.auth(scope, **headers))

    async def get(self, path: str, scope: str = "read", **params: str) -> httpx.Response:
        return await self.client.get(f"/api/v1/{path}", headers=self.auth(scope), params=params)

    async def post(self, path: str, body: Any, scope: str = "write", **headers: str) -> httpx.Response:
        return await self.client.post(f"/api/v1/{path}", json=body, headers=self.auth(scope, **headers))

    async def counts(self) -> dict[str, int]:
        """Rows per table, but the key table itself (each request stamps its key)."""
        out: dict[str, int] = {}
        async with self.rt.db.read() as conn:
            for table in metadata.sorted_tables:
                if table.name != "api_keys":
                    out[table.name] = int((await conn.execute(select(func.count()).select_from(table))).scalar_one())
        return out


def tenant(ref: str = "T-1", phone: str = PHONE, **fields: Any) -> dict[str, Any]:
    """A tenant as the API takes it."""
    return {"tenant_ref": ref, "name": "Amira Hansen", "phone": phone, "balance": "7100.00", **fields}


async def _serve(rt: Runtime) -> AsyncIterator[Api]:
    keys: dict[str, str] = {}
    async with rt.db.write() as conn:
        for scope in SCOPES:
            _, keys[scope] = await add_key(conn, f"ledger ({scope})", scope, rt.clock(), "cli")
    transport = httpx.ASGITransport(app=create_app(rt))
    async with httpx.AsyncClient(transport=transport, base_url="https://keephome.example.org") as client:
        yield Api(rt, client, keys)


async def open_api(database_url: str, **settings: Any) -> AsyncIterator[Api]:
    async with started_runtime(make_settings(database_url, **settings), FixedClock(NOW)) as rt:
        async for opened in _serve(rt):
            yield opened


@pytest.fixture
async def api(database_url: str) -> AsyncIterator[Api]:
    """On SQLite and on PostgreSQL."""
    async for opened in open_api(database_url):
        yield opened


@pytest.fixture
async def sqlite_api(sqlite_url: str) -> AsyncIterator[Api]:
    """SQLite only, for what does not depend on the database."""
    async for opened in open_api(sqlite_url):
        yield opened


@pytest.fixture
async def bare_api(sqlite_url: str) -> AsyncIterator[Api]:
    """SQLite, and the service as `keephome run` is with neither Twilio nor Telegram configured: no channel."""
    rt = build_runtime(make_settings(sqlite_url), channels={}, clock=FixedClock(NOW))
    await migrated(rt.db)
    async with running(rt, background=False):
        async for opened in _serve(rt):
            yield opened
