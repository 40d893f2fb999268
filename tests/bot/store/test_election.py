"""bot.store.election: one process holds each role; when it goes, another takes over; SQLite simply holds them."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable

import asyncpg
import pytest
from sqlalchemy import select

from bot.metrics import Metrics
from bot.store.db import Database
from bot.store.election import VALID_FOR, Election, Tenure
from tests.conftest import PG_URL
from tests.support.schema import asyncpg_dsn


class Work:
    """A role's work that notes when it runs."""

    def __init__(self) -> None:
        self.running = False
        self.starts = 0
        self.tenure: Tenure | None = None

    async def start(self, tenure: Tenure) -> None:
        self.running = True
        self.starts += 1
        self.tenure = tenure

    async def stop(self) -> None:
        self.running = False


async def until(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    """Wait for `condition` (a takeover takes a few election rounds); fail after `seconds`."""
    for _ in range(int(seconds / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the condition never came true")


async def _kill_lock_session(url: str, tenure: Tenure) -> None:
    """End the database session that holds this tenure's lock, as a crash or a network cut would."""
    admin = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await admin.execute("SELECT pg_terminate_backend($1)", tenure._pid)
    finally:
        await admin.close()


def held(metrics: Metrics, role: str) -> float | None:
    return metrics.registry.get_sample_value("keephome_role_held", {"role": role})


@pytest.fixture
async def databases(pg_url: str) -> AsyncIterator[tuple[Database, Database]]:
    """Two processes' worth of connections to one PostgreSQL schema."""
    first, second = Database(pg_url), Database(pg_url)
    yield first, second
    await first.dispose()
    await second.dispose()


async def test_on_sqlite_every_role_is_simply_held(sqlite_url: str) -> None:
    db = Database(sqlite_url)
    work, metrics = Work(), Metrics()
    async with Election(db, metrics=metrics) as election, election.hold("sender", work.start, work.stop):
        assert work.running and election.held() == {"sender"}
        assert work.tenure is not None and work.tenure.holds() and work.tenure.fence() is None
        assert held(metrics, "sender") == 1
    assert not work.running and held(metrics, "sender") == 0
    await db.dispose()


@pytest.mark.postgres
async def test_one_process_holds_a_role_and_another_takes_over_when_it_leaves(
    databases: tuple[Database, Database],
) -> None:
    db_a, db_b = databases
    work_a, work_b = Work(), Work()
    metrics_a, metrics_b = Metrics(), Metrics()
    async with (
        Election(db_a, interval=0.1, metrics=metrics_a) as a,
        Election(db_b, interval=0.1, metrics=metrics_b) as b,
    ):
        a_holds = a.hold("sender", work_a.start, work_a.stop)
        await a_holds.__aenter__()
        async with b.hold("sender", work_b.start, work_b.stop):
            await asyncio.sleep(0.5)  # several rounds: b keeps asking, a keeps confirming
            assert (work_a.running, work_b.running) == (True, False)
            assert (held(metrics_a, "sender"), held(metrics_b, "sender")) == (1, 0)
            assert work_a.starts == 1  # a kept its role the whole time
            await a_holds.__aexit__(None, None, None)  # a leaves (shutting down): its role is freed at once
            await until(lambda: work_b.running)
            assert not work_a.running
            assert (held(metrics_a, "sender"), held(metrics_b, "sender")) == (0, 1)


@pytest.mark.postgres
async def test_each_role_has_its_own_holder(databases: tuple[Database, Database]) -> None:
    db_a, db_b = databases
    a_sender, a_scheduler, b_sender, b_poller = Work(), Work(), Work(), Work()
    async with (
        Election(db_a, interval=0.1) as a,
        Election(db_b, interval=0.1) as b,
        a.hold("sender", a_sender.start, a_sender.stop),
        b.hold("sender", b_sender.start, b_sender.stop),
        b.hold("poller", b_poller.start, b_poller.stop),
        a.hold("scheduler", a_scheduler.start, a_scheduler.stop),
    ):
        assert a.held() == {"sender", "scheduler"}
        assert b.held() == {"poller"}
        assert not b_sender.running


@pytest.mark.postgres
async def test_a_holder_whose_lock_connection_dies_stops_counting_at_once(
    databases: tuple[Database, Database], pg_url: str
) -> None:
    db_a, db_b = databases
    work_a, work_b = Work(), Work()
    # a's rounds are far apart: only the closed socket can tell it that it lost the role.
    async with Election(db_a, interval=60) as a, a.hold("sender", work_a.start, work_a.stop):
        tenure = work_a.tenure
        assert tenure is not None and tenure.holds()
        async with Election(db_b, interval=0.1) as b, b.hold("sender", work_b.start, work_b.stop):
            assert not work_b.running
            await _kill_lock_session(pg_url, tenure)
            await until(lambda: not tenure.holds(), seconds=5)
            await until(lambda: work_b.running)


@pytest.mark.postgres
async def test_the_fence_lets_a_claim_through_only_while_the_lock_is_held(
    databases: tuple[Database, Database], pg_url: str
) -> None:
    db_a, db_b = databases
    work = Work()
    async with Election(db_a, interval=60) as a, a.hold("sender", work.start, work.stop):
        assert work.tenure is not None
        fence = work.tenure.fence()
        assert fence is not None
        # Another connection (the sender's claim runs on the writer's pool, not on the lock connection).
        async with db_b.read() as conn:
            assert (await conn.execute(select(fence))).scalar_one() is True
        await _kill_lock_session(pg_url, work.tenure)
        await until(lambda: not work.tenure.holds(), seconds=5)  # type: ignore[union-attr]
        async with db_b.read() as conn:
            assert (await conn.execute(select(fence))).scalar_one() is False


@pytest.mark.postgres
async def test_a_hold_unconfirmed_for_too_long_no_longer_counts(pg_url: str) -> None:
    now = [0.0]
    db = Database(pg_url)
    work = Work()
    async with (
        Election(db, interval=60, clock=lambda: now[0]) as election,
        election.hold("sender", work.start, work.stop),
    ):
        assert work.tenure is not None and work.tenure.holds()
        now[0] += 60 * VALID_FOR - 1
        assert work.tenure.holds()
        now[0] += 2  # the network went quiet: no round has confirmed the lock for too long
        assert not work.tenure.holds()
    await db.dispose()


@pytest.mark.postgres
async def test_deployments_in_separate_schemas_are_elected_separately(pg_url: str) -> None:
    other_schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(asyncpg_dsn(PG_URL))
    await admin.execute(f'CREATE SCHEMA "{other_schema}"')
    db_a, db_b = Database(pg_url), Database(f"{PG_URL}?search_path={other_schema}")
    work_a, work_b = Work(), Work()
    try:
        async with (
            Election(db_a) as a,
            a.hold("sender", work_a.start, work_a.stop),
            Election(db_b) as b,
            b.hold("sender", work_b.start, work_b.stop),
        ):
            assert work_a.running and work_b.running
    finally:
        await db_a.dispose()
        await db_b.dispose()
        await admin.execute(f'DROP SCHEMA IF EXISTS "{other_schema}" CASCADE')
        await admin.close()


async def test_only_known_roles_can_be_asked_for(sqlite_url: str) -> None:
    db = Database(sqlite_url)
    work = Work()
    async with Election(db) as election:
        with pytest.raises(ValueError, match="printer"):
            async with election.hold("printer", work.start, work.stop):
                pass
    await db.dispose()
