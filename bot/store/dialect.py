"""The INSERT with ON CONFLICT of the database in use (SQLite and PostgreSQL spell it alike, but apart)."""

from __future__ import annotations

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite

__all__ = ["insert_for"]


def insert_for(conn: Connection | str, table: Table) -> postgresql.Insert | sqlite.Insert:
    """`insert(table)` with `on_conflict_do_nothing/do_update` for the connection's (or named) dialect."""
    name = conn if isinstance(conn, str) else conn.dialect.name
    return postgresql.insert(table) if name == "postgresql" else sqlite.insert(table)
