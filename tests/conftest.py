"""Shared fixtures: settings on a temporary SQLite file, PostgreSQL when reachable, a runtime, an ASGI client."""

from __future__ import annotations

import asyncio
import itertools
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

os.environ.setdefault("PTB_TIMEDELTA", "1")

from bot.i18n import speaking
from bot.runtime import Clock, Runtime, build_runtime
from bot.settings import Settings, load_settings
from bot.starter import running
from bot.store.db import Database
from tests.support.compiled import share_compiled_sql
from tests.support.drive import FailingSandbox
from tests.support.schema import SchemaPool, asyncpg_dsn, migrated

# Property tests (hypothesis) run the same examples on every run (derandomized), a bounded number of them, with
# no per-example deadline (a slow machine must not fail a test) and no example database written into the tree.
# A test that drives the whole app shares one runtime between its examples (and says so with a health check
# suppressed where it is used). `pytest --hypothesis-profile=deep` searches ten times as long, at random.
hypothesis_settings.register_profile(
    "ci",
    derandomize=True,
    max_examples=100,
    deadline=None,
    database=None,
    print_blob=False,
    suppress_health_check=[HealthCheck.too_slow],
)
hypothesis_settings.register_profile(
    "deep", parent=hypothesis_settings.get_profile("ci"), derandomize=False, max_examples=1000, print_blob=True
)
hypothesis_settings.load_profile("ci")

# Each statement compiles once per worker, not once per test (tests/support/compiled.py).
share_compiled_sql()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-transcripts",
        action="store_true",
        default=False,
        help="rewrite what the golden transcripts (conversations, event handlers) expect, keeping their inputs",
    )


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under pytest-xdist, every worker starts with its share of the tests marked `slow`.

    `--dist worksteal` hands each worker one contiguous part of the collection and lets an idle worker take the
    end of another's part. In collection order the browser, process and take-over tests sit together at the end,
    so the run ended with a few workers on minute-long tests while the others had nothing left. Dealt out first,
    they run while the quick tests fill the cores around them, and the stealing at the end moves quick tests.
    The order is the same in every worker (xdist requires it), and nothing changes without xdist."""
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "0"))
    slow = [item for item in items if item.get_closest_marker("slow") is not None]
    if workers < 2 or not slow:
        return
    quick = iter([item for item in items if item.get_closest_marker("slow") is None])
    ordered: list[pytest.Item] = []
    remaining = len(items)
    for k in range(workers):
        part = remaining // (workers - k)  # the part worksteal's first schedule gives worker k
        remaining -= part
        ordered.extend(slow[k::workers])
        ordered.extend(itertools.islice(quick, max(0, part - len(slow[k::workers]))))
    ordered.extend(quick)
    items[:] = ordered


@pytest.fixture
def update_transcripts(request: pytest.FixtureRequest) -> bool:
    """True when the run was asked to rewrite the golden transcripts instead of comparing them."""
    return bool(request.config.getoption("--update-transcripts"))


# KEEPHOME_TEST_DATABASE_URL, from the environment or a .env file, as every setting is read.
PG_URL = Settings().test_database_url


def make_settings(database_url: str, **overrides: Any) -> Settings:
    """Settings for a test, ignoring any .env file and environment of the machine.

    The staff pages are in English here (`console_language="en"`), so tests read the source texts; the
    deployment's default is Danish, and tests/bot/console/test_danish.py renders every page that way.

    Telegram's one message a second a chat is lifted (`telegram_chat_rate`): the tests are about what is said, not
    when, and a conversation on Telegram waited a real second for each answer (over five for some tests). The
    limiter at the deployment's rates has a test of its own (tests/bot/outbox/test_sender.py)."""
    values: dict[str, Any] = {
        "database_url": database_url,
        "secret_key": "test-secret-key-test-secret-key-0123",
        "public_url": "https://keephome.example.org",
        "run_scheduler": False,
        "console_language": "en",
        "telegram_chat_rate": 1000.0,
    }
    values.update(overrides)
    return load_settings(_env_file=None, **values)


async def _pg_reachable(url: str) -> str | None:
    import asyncpg

    try:
        conn = await asyncio.wait_for(asyncpg.connect(asyncpg_dsn(url)), 5)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    await conn.close()
    return None


# Set once PostgreSQL answered: each test then only makes its schema (a refused connection still fails it).
_PG_SEEN: list[str] = []


async def _pg_available() -> None:
    """Nothing when PostgreSQL answers; a skip off CI when it does not, a failure in CI."""
    problem = None if _PG_SEEN else await _pg_reachable(PG_URL)
    if problem is not None:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL at {PG_URL} is unreachable in CI: {problem}")
        pytest.skip(f"PostgreSQL at {PG_URL} is unreachable ({problem}); set KEEPHOME_TEST_DATABASE_URL")
    _PG_SEEN.append(PG_URL)  # reached once: the next tests need not ask again


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    """An empty PostgreSQL schema for one test; skipped off CI when unreachable, a failure in CI."""
    import asyncpg

    await _pg_available()
    # A schema of its own per test: as isolated as a new database, and a hundred times faster to make.
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(asyncpg_dsn(PG_URL))
    try:
        await admin.execute(f'CREATE SCHEMA "{name}"')
    finally:
        await admin.close()
    yield f"{PG_URL}?search_path={name}"
    admin = await asyncpg.connect(asyncpg_dsn(PG_URL))
    try:
        await admin.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
    finally:
        await admin.close()


@pytest.fixture(scope="session")
def _schema_pool() -> Iterator[SchemaPool]:
    pool = SchemaPool(asyncpg_dsn(PG_URL))
    yield pool
    asyncio.run(pool.close())


@pytest.fixture
async def pg_migrated_url(_schema_pool: SchemaPool) -> AsyncIterator[str]:
    """A PostgreSQL schema of its own for one test, at the newest revision and empty (`SchemaPool`)."""
    await _pg_available()
    name = await _schema_pool.take()
    yield f"{PG_URL}?search_path={name}"
    await _schema_pool.give_back(name)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'keephome.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Runs a test once on SQLite and once on PostgreSQL: a new SQLite file, a PostgreSQL schema at the newest
    revision (`migrated` leaves both as it finds them when they are new)."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'keephome.db'}"
    # A sync fixture: pytest-asyncio sets the async fixture up in its own runner.
    return str(request.getfixturevalue("pg_migrated_url"))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Runs a test once on an empty SQLite file and once on an empty PostgreSQL schema (for the migrations)."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'keephome.db'}"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def settings(sqlite_url: str) -> Settings:
    return make_settings(sqlite_url)


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    """A migrated database, once on SQLite and once on PostgreSQL (`database_url`)."""
    db = Database(database_url)
    await migrated(db)
    yield db
    await db.dispose()


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[Database]:
    database = Database(settings.database_url)
    await migrated(database)
    yield database
    await database.dispose()


@asynccontextmanager
async def started_runtime(
    settings: Settings, clock: Clock | None = None, *, background: bool = False, **channels: Any
) -> AsyncIterator[Runtime]:
    """A migrated runtime, running for the block: sandbox channels (whose sends a test can make fail) unless
    others are given, and no background tasks unless asked (tests drain the inbox, processor and sender by hand)."""
    chosen = {"sms": FailingSandbox("sms"), "telegram": FailingSandbox("telegram")}
    chosen.update(channels)
    rt = build_runtime(settings, channels=chosen, clock=clock)  # type: ignore[arg-type]
    await migrated(rt.db)
    async with running(rt, background=background):
        yield rt


@pytest.fixture
async def runtime(settings: Settings) -> AsyncIterator[Runtime]:
    async with started_runtime(settings) as rt:
        yield rt


@pytest.fixture
async def client(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    from bot.app import create_app

    app = create_app(runtime)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://keephome.example.org") as c:
        yield c


@pytest.fixture
async def served(database_url: str) -> AsyncIterator[tuple[Runtime, httpx.AsyncClient]]:
    """A runtime and a client of its app, once on SQLite and once on PostgreSQL (`database_url`)."""
    from bot.app import create_app

    async with started_runtime(make_settings(database_url)) as rt:
        transport = httpx.ASGITransport(app=create_app(rt))
        async with httpx.AsyncClient(transport=transport, base_url="https://keephome.example.org") as c:
            yield rt, c


@pytest.fixture(autouse=True)
def english_staff_pages() -> Iterator[None]:
    """Code that translates outside a request (a unit test of the delivery words, say) speaks English, like the
    pages the tests' settings serve (`make_settings`)."""
    with speaking("en"):
        yield


@pytest.fixture
def anyio_backend() -> Iterator[str]:
    yield "asyncio"
