"""Fuzzing the API against the schema it serves (schemathesis): no 5xx, every answer as the schema says, and
nothing stored from a refused request.

The service runs as `keephome run` would (the app's lifespan starts the runtime) inside schemathesis' own event
loop, on a SQLite file; each generated request carries a key of the widest scope, so refusals come from the
request itself. Examples are few and the same on every run (the suite's hypothesis profile), so the suite stays fast.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.generation.modes import GenerationMode
from schemathesis.python import asgi

from bot.api import openapi
from bot.api.keys import add_key
from bot.app import create_app
from bot.runtime import build_runtime
from bot.store.db import Database
from bot.store.schema import metadata
from tests.bot.api.conftest import NOW, FixedClock, tenant
from tests.conftest import make_settings
from tests.support.drive import FailingSandbox
from tests.support.schema import migrated

# Examples per operation and mode (data that fits the schema, data that does not).
EXAMPLES = 20
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


class Service:
    """The fuzzed service: its database file and the key every request carries."""

    def __init__(self, path: Path, key: str) -> None:
        self.path = path
        self.key = key

    def counts(self) -> dict[str, int]:
        """Rows per table (the key's own row is stamped by every request, and a refusal is kept under its
        Idempotency-Key to be answered again: both left out)."""
        with sqlite3.connect(self.path) as conn:
            return {
                t.name: conn.execute(f'SELECT COUNT(*) FROM "{t.name}"').fetchone()[0]
                for t in metadata.sorted_tables
                if t.name not in ("api_keys", "api_idempotency")
            }


async def _prepare(url: str) -> str:
    """Migrate (a copy of the file the session migrated once, `migrated`) and make a key, in a loop of its own;
    seed one tenant so reads and payments find someone."""
    db = Database(url)
    try:
        await migrated(db)
        async with db.write() as conn:
            _, key = await add_key(conn, "fuzzer", "erase", NOW, "cli")
    finally:
        await db.dispose()
    return key


@pytest.fixture
def service(tmp_path: Path) -> Iterator[tuple[Service, schemathesis.Schema]]:
    path = tmp_path / "keephome.db"
    cfg = make_settings(f"sqlite+aiosqlite:///{path}", api_rate_per_minute=1_000_000, run_sender=False)
    key = asyncio.run(_prepare(cfg.database_url))
    rt = build_runtime(cfg, channels={"sms": FailingSandbox("sms")}, clock=FixedClock(NOW))
    app = create_app(rt)
    try:
        loaded = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)  # starts the app's lifespan
        client = asgi.get_client(app)
        seeded = client.put(
            "/api/v1/tenants/DK-1001", json=tenant("DK-1001"), headers={"Authorization": f"Bearer {key}"}
        )
        assert seeded.status_code == 201, seeded.text
        yield Service(path, key), loaded
    finally:
        asgi.shutdown_lifespans()  # the runtime stops and closes its database before the file goes


OPERATIONS = [(op.method.upper(), op.path) for op in openapi.OPERATIONS]


@pytest.mark.slow
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_the_api_keeps_its_schema_and_refusals_store_nothing(
    service: tuple[Service, schemathesis.Schema], method: str, path: str, mode: GenerationMode
) -> None:
    fuzzed, loaded = service
    operation = loaded[path][method]
    strategy = operation.as_strategy(generation_mode=mode)
    if mode is GenerationMode.POSITIVE:
        strategy = st.one_of(strategy, *loaded.get_strategies_from_examples(operation))

    @given(case=strategy)
    # The suite's hypothesis profile (tests/conftest.py) makes the examples the same on every run.
    @settings(max_examples=EXAMPLES, phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    def one(case: schemathesis.Case) -> None:
        before = fuzzed.counts()
        response = case.call(headers={"Authorization": f"Bearer {fuzzed.key}"})
        case.validate_response(response, checks=CHECKS)
        if response.status_code >= 400:
            assert fuzzed.counts() == before, f"{case.method} {case.formatted_path} -> {response.status_code}"

    one()
