"""Many rows through one statement: the rows written are those `Connection.execute` writes, on both databases,
through the driver's own executemany, and what a plan cannot stand for still goes through SQLAlchemy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, bindparam, event, insert, select, update
from sqlalchemy.exc import StatementError

from bot.store import rows as rows_module
from bot.store.db import Database
from bot.store.dialect import insert_for
from bot.store.rows import execute_rows, fetch_rows
from bot.store.schema import conversations, inbound
from tests.support.helpers import add_tenant

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)

_INBOUND = insert(inbound)
# The statement's own values (a literal, NULL) beside the rows' binds, as the outbox's record writes them.
_PROCESSED = (
    update(inbound)
    .where(inbound.c.id == bindparam("row_id"))
    .values(processed_at=bindparam("at"), lease_until=None, text=inbound.c.text + " (seen)")
)
# `active` and `version` left out: their scalar defaults (True, 1) are filled in.
_CONVERSATION = insert(conversations)


def _inbound_rows(prefix: str) -> list[dict[str, Any]]:
    return [
        {
            "channel": "sms",
            "provider_id": f"{prefix}{i}",
            "sender": f"+452000000{i}",
            "text": ["hej", "Jeg kan ikke betale – æøå", None][i],
            "payload": [None, {"button": "yes", "n": [1, 2]}, {}][i],
            "received_at": NOW + timedelta(seconds=i),
        }
        for i in range(3)
    ]


async def _read(database: Database, stmt: Any) -> list[tuple[Any, ...]]:
    async with database.read() as conn:
        return [tuple(row) for row in (await conn.execute(stmt)).all()]


def _driver_statements(conn: Connection) -> list[bool]:
    """For each INSERT or UPDATE executed on `conn` from now on: whether SQLAlchemy compiled its parameters."""
    seen: list[bool] = []

    def note(conn: Connection, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        if statement.lstrip().startswith(("INSERT", "UPDATE")):
            seen.append(context.compiled is not None)

    event.listen(conn, "before_cursor_execute", note)
    return seen


async def test_rows_are_written_as_connection_execute_writes_them(database: Database) -> None:
    def work(conn: Connection) -> list[bool]:
        compiled = _driver_statements(conn)
        execute_rows(conn, _INBOUND, _inbound_rows("fast"))
        conn.execute(_INBOUND, _inbound_rows("core"))
        return compiled

    compiled = await database.run(work)
    assert compiled == [False, True]  # the first went to the driver's executemany as it is
    columns = [c for c in inbound.c if c.name not in ("id", "provider_id")]
    fast = await _read(database, select(*columns).where(inbound.c.provider_id.like("fast%")).order_by(inbound.c.id))
    core = await _read(database, select(*columns).where(inbound.c.provider_id.like("core%")).order_by(inbound.c.id))
    assert len(fast) == 3
    assert fast == core
    assert fast[1][3] == {"button": "yes", "n": [1, 2]}  # the JSON column went through its type's processor


async def test_an_update_keeps_the_statements_own_values(database: Database) -> None:
    await database.run(lambda conn: conn.execute(_INBOUND, _inbound_rows("m")))
    ids = [row[0] for row in await _read(database, select(inbound.c.id).order_by(inbound.c.id))]
    await database.run(execute_rows, _PROCESSED, [{"row_id": ids[0], "at": NOW}, {"row_id": ids[1], "at": NOW}])
    got = await _read(database, select(inbound.c.text, inbound.c.processed_at).order_by(inbound.c.id))
    assert [text for text, _ in got] == ["hej (seen)", "Jeg kan ikke betale – æøå (seen)", None]
    assert [at is not None for _, at in got] == [True, True, False]
    assert got[0][1].replace(tzinfo=UTC) == NOW


async def test_one_row_and_scalar_defaults(database: Database) -> None:
    tenant_id = await add_tenant(database)
    row = {"tenant_id": tenant_id, "flow": "payment", "state": {"step": "ask"}, "started_at": NOW, "updated_at": NOW}
    await database.run(execute_rows, _CONVERSATION, [row])
    got = await _read(database, select(conversations.c.active, conversations.c.version, conversations.c.state))
    assert got == [(True, 1, {"step": "ask"})]


async def test_what_a_plan_cannot_stand_for_goes_through_sqlalchemy(database: Database) -> None:
    rows = _inbound_rows("x")
    rows[1].pop("payload")  # rows of different keys: Connection.execute decides, as before

    def work(conn: Connection) -> list[bool]:
        compiled = _driver_statements(conn)
        with pytest.raises(StatementError, match="payload"), conn.begin_nested():
            execute_rows(conn, _INBOUND, rows)
        execute_rows(conn, insert(inbound).returning(inbound.c.id), _inbound_rows("r")[:1])
        return compiled

    assert await database.run(work) == [True]  # the returning INSERT (the other failed before it reached the driver)
    assert [row[0] for row in await _read(database, select(inbound.c.provider_id))] == ["r0"]


async def test_past_the_limit_a_statement_built_per_call_goes_through_sqlalchemy(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rows_module, "_PLANS", {})
    monkeypatch.setattr(rows_module, "_MAX_PLANS", 1)
    kept, per_call = insert(inbound), insert(inbound)

    def work(conn: Connection) -> list[bool]:
        compiled = _driver_statements(conn)
        execute_rows(conn, kept, _inbound_rows("a"))
        execute_rows(conn, per_call, _inbound_rows("b"))  # no room for its plan
        execute_rows(conn, kept, _inbound_rows("c"))
        return compiled

    assert await database.run(work) == [False, True, False]
    assert len(await _read(database, select(inbound.c.id))) == 9


async def test_an_insert_returning_writes_many_rows_in_one_statement_and_returns_only_those_it_wrote(
    database: Database,
) -> None:
    stmt = (
        insert_for("sqlite" if database.is_sqlite else "postgresql", inbound)
        .on_conflict_do_nothing(index_elements=["channel", "provider_id"])
        .returning(inbound.c.channel, inbound.c.provider_id)
    )
    assert sorted(await database.run_statement(stmt, _inbound_rows("a"))) == [("sms", f"a{i}") for i in range(3)]
    again = [_inbound_rows("a")[1], _inbound_rows("b")[0], _inbound_rows("b")[0]]  # one there, one new twice
    assert await database.run_statement(stmt, again) == [("sms", "b0")]
    assert len(await _read(database, select(inbound.c.id))) == 4
    if database.is_sqlite:

        def work(conn: Connection) -> tuple[list[bool], list[tuple[Any, ...]]]:
            compiled = _driver_statements(conn)
            return compiled, fetch_rows(conn, stmt, _inbound_rows("c"))

        compiled, returned = await database.run(work)
        assert compiled == [False]  # the three rows in one statement, through the plan
        assert len(returned) == 3
