"""One built statement executed for many rows, with its parameters made once per statement instead of per row.

`Connection.execute(stmt, rows)` looks the statement up in its compiled cache and then builds every row's
parameters in Python: a dictionary per row from every bind of the statement, then each value through its type's
bind processor (`construct_params` and the list around it). For a processor batch on SQLite that was about a
sixth of its CPU (bench/README.md, 2026-12-03): the same few statements, dozens of rows each, hundreds of times
a second.

A plan compiles the statement once for a dialect and a set of row keys, with the order in which the driver
takes the values; a row becomes the driver's tuple by that order, through the same bind processors, with the
statement's own values and the columns' scalar defaults filled in once. `exec_driver_sql` then hands the
tuples to the driver's executemany, as `Connection.execute` would. A statement a plan does not cover (expanding IN
lists, literal binds, a default computed per row, rows with different keys) goes through `Connection.execute`
unchanged.

An INSERT … RETURNING is planned too, for `fetch_rows` and `fetch_call`: a driver's executemany returns no rows, so on
SQLite its rows' VALUES go in one statement (`INSERT … VALUES (…), (…) … RETURNING`, as SQLAlchemy's
"insertmanyvalues" writes it), and asyncpg takes the one row's SQL and every row's parameters through its fetchmany.
Through `execute_rows` and `driver_call` it goes through `Connection.execute`, whose result then holds the rows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from itertools import chain
from typing import Any

from sqlalchemy import Connection, Dialect, Executable
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.dml import UpdateBase
from sqlalchemy.sql.elements import ClauseElement

__all__ = ["driver_call", "execute_rows", "execute_rows_async", "fetch_call", "fetch_rows", "returns_rows"]

Row = dict[str, Any]

# Plans by statement (its identity: statements built once, at import or once per dialect), dialect and keys; a
# statement built per call would only fill this, so past the limit such statements go through SQLAlchemy.
_PLANS: dict[tuple[int, str, tuple[str, ...]], tuple[Executable, _Plan | None]] = {}
_MAX_PLANS = 512


class _Plan:
    """The SQL, and a function that makes a row's parameters in the driver's order.

    `values` is an INSERT … RETURNING's `VALUES (…)` as it stands once in the SQL, to be repeated for many rows in one
    statement; None for a statement that returns nothing.
    """

    __slots__ = ("parameters", "sql", "values", "width")

    def __init__(self, sql: str, slots: Sequence[_Slot], values: str | None) -> None:
        self.sql = sql
        self.parameters = _maker(slots)
        self.values = values
        self.width = len(slots)


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
    if compiled.post_compile_params or compiled.literal_execute_params:
        return None
    if compiled.escaped_bind_names or compiled.update_prefetch:
        return None
    if compiled.effective_returning and _values(compiled) is None:
        return None
    return compiled


def _values(compiled: SQLCompiler) -> str | None:
    """The `VALUES (…)` of an INSERT … RETURNING whose rows can share one statement; None for any other."""
    many = compiled._insertmanyvalues
    if many is None or many.is_default_expr or many.sentinel_columns or many.embed_values_counter:
        return None
    values = f"VALUES ({many.single_values_expr})"
    return values if compiled.string.count(values) == 1 else None


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
    return _Plan(str(compiled), slots, _values(compiled) if compiled.effective_returning else None)


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


def returns_rows(stmt: Executable) -> bool:
    """Whether the statement is an INSERT, UPDATE or DELETE with RETURNING."""
    return isinstance(stmt, UpdateBase) and len(stmt.exported_columns) > 0


def driver_call(dialect: Dialect, stmt: Executable, rows: Sequence[Row]) -> tuple[str, Any] | None:
    """The SQL and the driver's parameters for these rows (a tuple for one row, a list for many), or None when the
    statement goes through `Connection.execute` (one with RETURNING does: an executemany returns nothing)."""
    plan = _plan(dialect, stmt, rows)
    if plan is None or plan.values is not None:
        return None
    return plan.sql, plan.parameters(rows[0]) if len(rows) == 1 else [plan.parameters(row) for row in rows]


def fetch_call(dialect: Dialect, stmt: Executable, rows: Sequence[Row]) -> tuple[str, list[tuple[Any, ...]]] | None:
    """For an INSERT … RETURNING: the SQL of one row and every row's parameters, for a driver's fetchmany (asyncpg's
    returns the rows each row's INSERT returned); None when the statement goes through `Connection.execute`."""
    plan = _plan(dialect, stmt, rows) if rows else None
    if plan is None or plan.values is None:
        return None
    return plan.sql, [plan.parameters(row) for row in rows]


def fetch_rows(conn: Connection, stmt: Executable, rows: Sequence[Row]) -> list[tuple[Any, ...]]:
    """Execute an INSERT … RETURNING for every row and return the rows it returned, as the driver gives them (no
    result types applied: for columns such as strings and integers).

    With a plan and the driver's `?` parameters (SQLite), the rows' VALUES go in one statement, as many rows as the
    dialect's insertmanyvalues page holds (one statement for the inbox's groups); else through `Connection.execute`.
    """
    if not rows:
        return []
    dialect = conn.dialect
    plan = _plan(dialect, stmt, rows)
    if plan is None or plan.values is None or dialect.paramstyle != "qmark":
        return [tuple(row) for row in conn.execute(stmt, _as_core(rows)).all()]
    per = max(1, min(dialect.insertmanyvalues_page_size, dialect.insertmanyvalues_max_parameters // plan.width))
    one = plan.values.removeprefix("VALUES ")
    returned: list[tuple[Any, ...]] = []
    for start in range(0, len(rows), per):
        page = rows[start : start + per]
        sql = plan.sql.replace(plan.values, "VALUES " + ", ".join([one] * len(page)), 1)
        parameters = tuple(chain.from_iterable(plan.parameters(row) for row in page))
        returned.extend(tuple(row) for row in conn.exec_driver_sql(sql, parameters).all())
    return returned


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
