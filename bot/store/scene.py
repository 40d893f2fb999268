"""The rows one write transaction adds, written at its end with one insert per table.

Handlers add rows instead of executing an INSERT each (mailroom's scenes and hooks): a batch of a
thousand inbound messages, or the morning's reminders, then costs one statement per table. Rows that
depend on each other (a message and its outbox row) are added as one unit. When a batch insert fails,
the units are written again one at a time, each in a savepoint, so one bad row never fails its batch: the
bad unit is left out and logged by id.

Ids of the tables in `ALLOCATED` are known when a row is added (a consent can name its evidence
message, an outbox row its message): on SQLite the writer holds the lock for the whole transaction, so
the next ids follow the largest one; on PostgreSQL they come from the column's sequence, a few at a time.

`Scene.of(conn)` gives the one scene of the connection's current transaction; `Database.run` and
`Database.write` flush it before they commit, so no caller can forget to.

A scene also holds changes to rows written before (`Scene.change`, e.g. a conversation's next state): they are
written after its new rows, in the order they were made, one executemany per run of the same statement. Code
that writes those rows directly, or reads them back, flushes the scene first.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Executable, Insert, Table, func, select
from sqlalchemy.exc import DBAPIError, IntegrityError

from bot.store.rows import execute_rows
from bot.store.schema import conversations, messages, metadata, outbox

__all__ = ["ALLOCATED", "Scene", "flush_pending"]

log = logging.getLogger(__name__)

# Tables whose ids a handler needs before the row is written.
ALLOCATED: tuple[Table, ...] = (messages, outbox, conversations)
# Ids fetched from a PostgreSQL sequence per trip; unused ones leave harmless gaps.
_PG_ID_CHUNK = 64
_SQLITE_ID_CHUNK = 4096
# Tables in foreign-key order, so a unit's rows are written parents first.
_ORDER = {table.name: index for index, table in enumerate(metadata.sorted_tables)}
_INSERTS: dict[str, Insert] = {}
_KEY = "keephome.scene"


def _insert(table: Table) -> Insert:
    stmt = _INSERTS.get(table.name)
    if stmt is None:
        stmt = _INSERTS[table.name] = table.insert()
    return stmt


_RESERVE: dict[tuple[str, tuple[str, ...]], Any] = {}


def _reserve_statement(tables: Sequence[Table], dialect: str) -> Any:
    """The statement that reserves ids of these tables, one column per table, built once per tables and dialect:
    on PostgreSQL `_PG_ID_CHUNK` rows of each sequence's next values, on SQLite each table's largest id."""
    key = (dialect, tuple(table.name for table in tables))
    stmt = _RESERVE.get(key)
    if stmt is None:
        if dialect == "postgresql":
            sequences = [select(func.pg_get_serial_sequence(table.name, "id")).scalar_subquery() for table in tables]
            stmt = select(*map(func.nextval, sequences)).select_from(func.generate_series(1, _PG_ID_CHUNK))
        else:
            stmt = select(*(select(func.coalesce(func.max(table.c.id), 0)).scalar_subquery() for table in tables))
        _RESERVE[key] = stmt
    return stmt


@dataclass
class _Ids:
    """Ids of one table reserved for this scene and not handed out yet."""

    free: Iterator[int] = field(default_factory=lambda: iter(()))


@dataclass
class Scene:
    """Pending rows of one transaction, grouped in units that are written or left out together."""

    conn: Connection
    _units: list[list[tuple[Table, dict[str, Any]]]] = field(default_factory=list)
    _ids: dict[str, _Ids] = field(default_factory=dict)
    _pending: dict[tuple[str, int], dict[str, Any]] = field(default_factory=dict)
    _keys: set[tuple[str, str]] = field(default_factory=set)
    _changes: list[tuple[Executable, dict[str, Any]]] = field(default_factory=list)
    _ids_reserved: bool = False  # the first reservation (of every allocated table) is made

    @classmethod
    def of(cls, conn: Connection) -> Scene:
        """The scene of `conn`'s current transaction (made on first use)."""
        transaction = conn.get_transaction()
        if transaction is None:
            raise RuntimeError("a scene needs a transaction")
        found = conn.info.get(_KEY)
        if found is not None and found[0]() is transaction:
            scene: Scene = found[1]
            return scene
        scene = cls(conn)
        conn.info[_KEY] = (weakref.ref(transaction), scene)
        return scene

    def next_id(self, table: Table) -> int:
        """An id for a row of `table` that this scene will write."""
        ids = self._ids.get(table.name)
        if ids is None:
            ids = self._ids[table.name] = _Ids()
        found = next(ids.free, None)
        if found is None:
            ids.free = self._reserve(table)
            found = next(ids.free)
        return found

    def _reserve(self, table: Table) -> Iterator[int]:
        dialect = self.conn.dialect.name
        if not self._ids_reserved:
            # The scene's first reservation takes ids of every allocated table in one statement: a processor batch
            # needs messages and outbox ids, often conversations' too (on PostgreSQL unused ones are gaps).
            self._ids_reserved = True
            columns = list(zip(*self.conn.execute(_reserve_statement(ALLOCATED, dialect)).all(), strict=True))
            for other, values in zip(ALLOCATED, columns, strict=True):
                if other is not table:
                    self._ids.setdefault(other.name, _Ids()).free = self._ids_from(other, dialect, values)
            return self._ids_from(table, dialect, columns[ALLOCATED.index(table)])
        return self._ids_from(table, dialect, self.conn.execute(_reserve_statement((table,), dialect)).scalars().all())

    def _ids_from(self, table: Table, dialect: str, values: Sequence[Any]) -> Iterator[int]:
        """The ids a reservation's values give: PostgreSQL's sequence values, or after SQLite's largest id (this
        transaction holds the write lock, so nobody else takes ids meanwhile) and the scene's pending rows."""
        if dialect == "postgresql":
            return iter(sorted(int(value) for value in values))
        pending = [key[1] for key in self._pending if key[0] == table.name]
        start = max([int(values[0]), *pending]) + 1
        return iter(range(start, start + _SQLITE_ID_CHUNK))

    def add(self, *rows: tuple[Table, dict[str, Any]]) -> None:
        """Add one unit: rows written together or not at all (parents are ordered first)."""
        unit = sorted(rows, key=lambda pair: _ORDER[pair[0].name])
        self._units.append(unit)
        for table, row in unit:
            if "id" in row and table in ALLOCATED:
                self._pending[(table.name, int(row["id"]))] = row

    def first_use(self, table: Table, key: str) -> bool:
        """False when a pending row of `table` already took this unique key (a repeat within the transaction)."""
        if (table.name, key) in self._keys:
            return False
        self._keys.add((table.name, key))
        return True

    def change(self, stmt: Executable, params: dict[str, Any]) -> None:
        """An UPDATE of a row written before, executed with the scene's rows (`stmt` is built once).

        The changes of one statement run in the order they were made, all of them where the statement's first
        change stood: two statements' changes must not depend on each other (other rows, or other columns).
        Nothing in the transaction reads the changed columns before the scene is written.
        """
        self._changes.append((stmt, params))

    def pending_row(self, table: Table, row_id: int) -> dict[str, Any] | None:
        """The not yet written row of `table` with this id (to change it before it is written)."""
        return self._pending.get((table.name, row_id))

    def __len__(self) -> int:
        return len(self._units)

    @contextmanager
    def isolated(self) -> Iterator[None]:
        """A savepoint for one piece of work; if it raises, its pending rows go too."""
        # What came before is written first: a flush inside the savepoint must not take it along.
        self.flush()
        mark = len(self._units)
        try:
            with self.conn.begin_nested():
                yield
                # Its changes are written inside its savepoint: one that fails takes only this work along.
                self.write_changes()
        except Exception:
            self._drop_after(mark)
            self._changes.clear()
            raise

    def _drop_after(self, mark: int) -> None:
        for unit in self._units[mark:]:
            for table, row in unit:
                if "id" in row:
                    self._pending.pop((table.name, int(row["id"])), None)
        del self._units[mark:]

    def flush(self, *, guarded: bool = True) -> int:
        """Write every pending unit, then the changes; returns how many units were left out because they could
        not be written (a change that cannot be written raises).

        Unguarded, the units are written without the savepoint that lets a failed batch insert be written again
        unit by unit (two statements): a unit that cannot be written raises, and the transaction is lost. For a
        caller that then does its work again with a savepoint per piece (the inbound processor's batches).
        """
        units, self._units, self._pending, self._keys = self._units, [], {}, set()
        if not guarded:
            self._insert(units)
            left_out = 0
        else:
            left_out = self._write_units(units) if units else 0
        self.write_changes()
        return left_out

    def write_changes(self) -> None:
        """Execute the pending changes: each statement's as one executemany, in the order of first use."""
        changes, self._changes = self._changes, []
        grouped: dict[int, tuple[Executable, list[dict[str, Any]]]] = {}
        for stmt, one in changes:
            grouped.setdefault(id(stmt), (stmt, []))[1].append(one)
        for stmt, many in grouped.values():
            execute_rows(self.conn, stmt, many)

    def _insert(self, units: list[list[tuple[Table, dict[str, Any]]]]) -> None:
        for table, rows in _by_table(units):
            execute_rows(self.conn, _insert(table), rows)

    def _write_units(self, units: list[list[tuple[Table, dict[str, Any]]]]) -> int:
        try:
            with self.conn.begin_nested():
                self._insert(units)
            return 0
        except (IntegrityError, DBAPIError) as exc:
            log.warning("a batch of %d units failed (%s); writing them one by one", len(units), type(exc).__name__)
        return sum(0 if self._write_unit(unit) else 1 for unit in units)

    def _write_unit(self, unit: list[tuple[Table, dict[str, Any]]]) -> bool:
        try:
            with self.conn.begin_nested():
                for table, row in unit:
                    self.conn.execute(_insert(table), row)
        except (IntegrityError, DBAPIError) as exc:
            where = ", ".join(f"{table.name}:{row.get('id', row.get('idempotency_key', '?'))}" for table, row in unit)
            log.error("left out a unit that cannot be written (%s): %s", where, type(exc).__name__)
            return False
        return True


def _by_table(units: Iterable[list[tuple[Table, dict[str, Any]]]]) -> list[tuple[Table, list[dict[str, Any]]]]:
    grouped: dict[str, tuple[Table, list[dict[str, Any]]]] = {}
    for unit in units:
        for table, row in unit:
            grouped.setdefault(table.name, (table, []))[1].append(row)
    return sorted(grouped.values(), key=lambda pair: _ORDER[pair[0].name])


def flush_pending(conn: Connection) -> None:
    """Write the current transaction's scene, if it has one (the database calls this before commit)."""
    found = conn.info.get(_KEY)
    if found is None:
        return
    transaction = conn.get_transaction()
    if found[0]() is transaction and transaction is not None:
        found[1].flush()
    conn.info.pop(_KEY, None)
