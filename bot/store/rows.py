"""One built statement executed for many rows, with its parameters made once per statement instead of per row.

`Connection.execute(stmt, rows)` looks the statement up in its compiled cache and then builds every row's
parameters in Python: a dictionary per row from every bind of the statement, then each value through its type's
bind processor (`construct_params` and the list around it). For a processor batch on SQLite that was about a
sixth of its CPU (bench/README.md, 2026-12-03): the same few statements, dozens of rows each, hundreds of times
a second.

A plan compiles the statement once for a dialect and a set of row keys, with the order in which the driver
takes the values; a row becomes the driver's tuple by that order, through the same bind processors, with the
statement's own values and the columns' scalar defaults filled in once. `exec_driver_sql` then hands the
tuples to the driver's executemany, as `Connection.execute` would. A statement a plan does not cover (RETURNING,
expanding IN lists, literal binds, a default computed per row, rows with different keys) goes through
`Connection.execute` unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Dialect, Executable
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement

__all__ = ["driver_call", "execute_rows", "execute_rows_async"]

Row = dict[str, Any]

# Plans by statement (its identity: statements built once, at import or once per dialect), dialect and keys; a
# statement built per call would only fill this, so past the limit such statements go through SQLAlchemy.
_PLANS: dict[tuple[int, str, tuple[str, ...]], tuple[Executable, _Plan | None]] = {}
_MAX_PLANS = 512


class _Plan:
    """The SQL, and a function that makes a row's parameters in the driver's order."""

    __slots__ = ("parameters", "sql")

    def __init__(self, sql: str, slots: Sequence[_Slot]) -> None:
        self.sql = sql
        self.parameters = _maker(slots)


# One position of the driver's parameters: the row's key and its bind processor, or the value itself (processed).
_Slot = tuple[str, Callable[[Any], Any] | None] | tuple[None, Any]


def _maker(slots: Sequence[_Slot]) -> Callable[[Row], tuple[Any, ...]]:
    """`lambda row: (row["a"], p1(row["b"]), c2, ...)` for these slots: one call a row, as dataclasses and
    SQLAlchemy write such functions. The source holds only generated names and `repr` of the rows' keys."""
    names: dict[str, Any] = {}
    parts = []
    for i, (key, extra) in enumerate(slots):
        if key is None:
            names[f"c{i}"] = extra
            parts.append(f"c{i}")
        elif extra is None:
            parts.append(f"row[{key!r}]")
        else:
            names[f"p{i}"] = extra
            parts.append(f"p{i}(row[{key!r}])")
    maker: Callable[[Row], tuple[Any, ...]] = eval(f"lambda row: ({', '.join(parts)},)", names)
    return maker


def _compiled(dialect: Dialect, stmt: Executable, keys: tuple[str, ...]) -> SQLCompiler | None:
    """The statement compiled for these keys, or None when a plan cannot stand for it."""
    if not isinstance(stmt, ClauseElement):
        return None
    # As for an executemany: a single INSERT would otherwise fetch its new id back (RETURNING on PostgreSQL).
    compiled = stmt.compile(dialect=dialect, column_keys=list(keys), for_executemany=True)
    if not isinstance(compiled, SQLCompiler) or compiled.positiontup is None:
        return None
    if compiled.effective_returning or compiled.post_compile_params or compiled.literal_execute_params:
        return None
    if compiled.escaped_bind_names or compiled.update_prefetch:
        return None
    return compiled


def _defaults(compiled: SQLCompiler) -> dict[str, Any] | None:
    """The scalar defaults of the columns the rows leave out; None when one is computed per row."""
    defaults: dict[str, Any] = {}
    for column in compiled.insert_prefetch:
        default = column.default
        if default is None or not getattr(default, "is_scalar", False):
            return None  # SQLAlchemy's execution context computes it for each row
        defaults[column.key] = getattr(default, "arg", None)
    return defaults


def _plan_for(dialect: Dialect, stmt: Executable, keys: tuple[str, ...]) -> _Plan | None:
    compiled = _compiled(dialect, stmt, keys)
    defaults = _defaults(compiled) if compiled is not None else None
    if compiled is None or defaults is None or compiled.positiontup is None:
        return None
    by_name = {name: bind for bind, name in compiled.bind_names.items()}
    processors: Mapping[str, Any] = compiled._bind_processors
    slots: list[_Slot] = []
    for name in compiled.positiontup:
        bind = by_name.get(name)
        process = processors.get(name)
        if bind is None or (process is not None and not callable(process)):  # a tuple type's processors
            return None
        key = bind.key if bind.key in keys else name if name in keys else None
        if key is not None:
            slots.append((key, process))
            continue
        if name in defaults:
            value = defaults[name]
        elif bind.required:
            return None  # Connection.execute says which value is missing
        else:
            value = bind.effective_value if bind.callable else bind.value
        slots.append((None, process(value) if process is not None else value))
    if all(key is None for key, _ in slots):
        return None
    return _Plan(str(compiled), slots)


def _plan(dialect: Dialect, stmt: Executable, rows: Sequence[Row]) -> _Plan | None:
    keys = tuple(rows[0])
    if any(len(row) != len(keys) or row.keys() != rows[0].keys() for row in rows):
        return None
    cache_key = (id(stmt), f"{dialect.name}+{dialect.driver}", keys)
    found = _PLANS.get(cache_key)
    if found is not None and found[0] is stmt:
        return found[1]
    if found is None and len(_PLANS) >= _MAX_PLANS:
        return None  # statements built per call: SQLAlchemy's own cache serves them better than a plan each time
    plan = _plan_for(dialect, stmt, keys)
    _PLANS[cache_key] = (stmt, plan)  # the statement itself is kept, so its id is not taken by another
    return plan


def driver_call(dialect: Dialect, stmt: Executable, rows: Sequence[Row]) -> tuple[str, Any] | None:
    """The SQL and the driver's parameters for these rows (a tuple for one row, a list for many), or None when the
    statement goes through `Connection.execute`."""
    plan = _plan(dialect, stmt, rows)
    if plan is None:
        return None
    return plan.sql, plan.parameters(rows[0]) if len(rows) == 1 else [plan.parameters(row) for row in rows]


def _as_core(rows: Sequence[Row]) -> Any:
    return list(rows) if len(rows) > 1 else rows[0]


def execute_rows(conn: Connection, stmt: Executable, rows: Sequence[Row]) -> None:
    """Execute `stmt` once for each row (one executemany; a single row, one execute); nothing is returned."""
    if rows:
        call = driver_call(conn.dialect, stmt, rows)
        if call is None:
            conn.execute(stmt, _as_core(rows))
        else:
            conn.exec_driver_sql(*call)


async def execute_rows_async(conn: AsyncConnection, stmt: Executable, rows: Sequence[Row]) -> None:
    """`execute_rows` on an asyncio connection."""
    if rows:
        call = driver_call(conn.dialect, stmt, rows)
        if call is None:
            await conn.execute(stmt, _as_core(rows))
        else:
            await conn.exec_driver_sql(*call)
