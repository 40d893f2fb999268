"""One cache of compiled SQL for every engine of a test worker.

SQLAlchemy keeps the compiled form of each statement per engine, keyed by the engine's dialect object. keephome's
engines live as long as its process, so a statement compiles once; every test builds engines of its own, so each
test compiled again every statement it ran: about a sixth of the CPU of the console's tests (30 % of their
statements were compiled, 76 of 457 profiled seconds). `share_compiled_sql` gives every engine this one cache, keyed
by what the SQL depends on instead of by the dialect object: the dialect's class (driver and database), the
server's version and the options that change the SQL. A test still has its own database, engines and connections;
only the SQL text and how its parameters are bound are shared, as between the connections of one engine.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Engine, event
from sqlalchemy.util import LRUCache

__all__ = ["share_compiled_sql"]


def _kind(dialect: Any) -> tuple[Any, ...]:
    """What a statement's compiled form depends on, of its dialect (the same for every test's engines of a kind)."""
    return (
        type(dialect),
        dialect.server_version_info,
        dialect.paramstyle,
        dialect.label_length,
        dialect.max_identifier_length,
        dialect.supports_native_boolean,
        dialect.use_insertmanyvalues,
        dialect.insertmanyvalues_page_size,
        dialect.isolation_level,
    )


class _CompiledSql:
    """The mapping SQLAlchemy reads (`get`) and fills (`[key] = compiled`); its key starts with the dialect."""

    def __init__(self, size: int) -> None:
        self._cache: LRUCache[Any, Any] = LRUCache(size)

    def get(self, key: tuple[Any, ...], default: Any = None) -> Any:
        return self._cache.get((_kind(key[0]), *key[1:]), default)

    def __setitem__(self, key: tuple[Any, ...], value: Any) -> None:
        self._cache[(_kind(key[0]), *key[1:])] = value

    def __len__(self) -> int:
        return len(self._cache)


_SHARED = _CompiledSql(5000)


def _use_shared(conn: Connection) -> None:
    conn.engine._compiled_cache = _SHARED


def share_compiled_sql() -> None:
    """From now on, every engine's connections compile into (and find their statements in) the worker's cache."""
    if not event.contains(Engine, "engine_connect", _use_shared):
        event.listen(Engine, "engine_connect", _use_shared)
