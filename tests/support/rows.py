"""Rows before and after: snapshot tables, diff the snapshots, print the changes, keep them in golden files.

mailroom pairs each event with the rows it must write (`core/runner/handlers/testdata/*.json`); these
helpers let a test do the same readably. A snapshot holds every row of the named tables; `diff` says
which rows were inserted, updated (only the columns that changed) and deleted; `print_changes` writes
them one column a line, tables and columns in schema order, in one form on SQLite and PostgreSQL:

    ### outbox
    + #1
        message_id: #2
        state: pending
    ### tenants
    ~ #1
        status: active → stopped

Ids are shown relative, `#n` being the n-th smallest id of its table among the rows of both snapshots
(PostgreSQL hands ids out of sequences a chunk at a time, so raw ids may differ from SQLite's);
foreign keys are shown the same way, so `message_id: #2` is the row printed as `+ #2` under `messages`.
Values that are random by design are replaced through `masks` before printing.

`check_golden` compares the printed text with the part of a golden file below its marker line and
returns a unified diff, rewriting that part (never the hand-written header above it) only when asked.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import JSON, Column, Connection, Table, select

__all__ = [
    "MARKER",
    "Change",
    "IdLabels",
    "Mask",
    "Snapshot",
    "check_golden",
    "diff",
    "plain_value",
    "print_changes",
    "snapshot",
]

# table name -> primary key -> the row's columns
Snapshot = dict[str, dict[tuple[Any, ...], dict[str, Any]]]
# (table name, column name) -> what to print instead of a value that is random by design
Mask = Mapping[tuple[str, str], Callable[[Any], Any]]

MARKER = "<!-- Written by `pytest tests/bot/host --update-transcripts` below this line; edit only above it. -->"
_BARE = re.compile(r"[^\s\"#{\[][^\n]*")
_LITERALS = frozenset({"null", "true", "false"})


def snapshot(conn: Connection, tables: Sequence[Table]) -> Snapshot:
    """Every row of `tables`, keyed by primary key (JSON columns decoded, whatever the driver gave)."""
    found: Snapshot = {}
    for table in tables:
        rows: dict[tuple[Any, ...], dict[str, Any]] = {}
        for row in conn.execute(select(table)).mappings():
            values = {column.name: _decoded(column, row[column.name]) for column in table.columns}
            rows[tuple(values[column.name] for column in table.primary_key.columns)] = values
        found[table.name] = rows
    return found


def _decoded(column: Column[Any], value: Any) -> Any:
    if isinstance(column.type, JSON) and isinstance(value, str):
        return json.loads(value)
    return value


@dataclass(frozen=True)
class Change:
    """One row inserted (+), updated (~) or deleted (-); an update keeps only the columns that changed."""

    table: Table
    kind: Literal["+", "~", "-"]
    key: tuple[Any, ...]
    columns: tuple[tuple[str, Any, Any], ...]  # (column, before, after); before is None for +, after for -


def diff(tables: Sequence[Table], before: Snapshot, after: Snapshot) -> list[Change]:
    """The changes from `before` to `after`, table by table in the given order, rows by primary key."""
    changes: list[Change] = []
    for table in tables:
        old, new = before.get(table.name, {}), after.get(table.name, {})
        names = [column.name for column in table.columns]
        for key in sorted(old.keys() | new.keys()):
            if key not in old:
                changes.append(Change(table, "+", key, tuple((n, None, new[key][n]) for n in names)))
            elif key not in new:
                changes.append(Change(table, "-", key, tuple((n, old[key][n], None) for n in names)))
            else:
                changed = tuple((n, old[key][n], new[key][n]) for n in names if old[key][n] != new[key][n])
                if changed:
                    changes.append(Change(table, "~", key, changed))
    return changes


class IdLabels:
    """Relative ids: `#n` for the n-th smallest id of a table among the rows of the snapshots."""

    def __init__(self, tables: Sequence[Table], *snapshots: Snapshot) -> None:
        self._ranks: dict[str, dict[Any, int]] = {}
        for table in tables:
            if [column.name for column in table.primary_key.columns] != ["id"]:
                continue
            ids = {key[0] for found in snapshots for key in found.get(table.name, {})}
            self._ranks[table.name] = {raw: rank for rank, raw in enumerate(sorted(ids), start=1)}

    def label(self, table: str, raw: Any) -> str:
        """`#n` for a known id of `table`; an id of a table or row not snapshotted stays raw, marked `#?`."""
        rank = self._ranks.get(table, {}).get(raw)
        return f"#{rank}" if rank is not None else f"#?{raw}"

    def refers_to(self, column: Column[Any]) -> str | None:
        """The table whose id this column holds (its own table for `id`), if ids of it are labelled."""
        if column.name == "id" and column.primary_key:
            target = column.table.name
        else:
            keys = [key for key in column.foreign_keys if key.column.name == "id"]
            if not keys:
                return None
            target = keys[0].column.table.name
        return target if target in self._ranks else None


def plain_value(value: Any, tz: tzinfo) -> str:
    """One value in one form whatever the database: JSON literals, ISO dates, strings bare when unambiguous."""
    match value:
        case None:
            return "null"
        case bool():
            return "true" if value else "false"
        case datetime():
            return value.astimezone(tz).isoformat()
        case date():
            return value.isoformat()
        case int() | float():
            return str(value)
        case str() if _BARE.fullmatch(value) and value == value.strip() and value not in _LITERALS:
            return value if not _looks_numeric(value) and " → " not in value else json.dumps(value)
        case _:
            return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def _looks_numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _flatten(prefix: str, value: Any) -> dict[str, Any]:
    if isinstance(value, dict) and value:
        flat: dict[str, Any] = {}
        for key, inner in value.items():
            flat.update(_flatten(f"{prefix}.{key}", inner))
        return flat
    return {prefix: value}


@dataclass(frozen=True)
class _Printer:
    labels: IdLabels
    masks: Mask
    tz: tzinfo

    def value(self, column: Column[Any], raw: Any) -> str:
        mask = self.masks.get((column.table.name, column.name))
        if mask is not None and raw is not None:
            raw = mask(raw)
        target = self.labels.refers_to(column)
        if target is not None and raw is not None:
            return self.labels.label(target, raw)
        return plain_value(raw, self.tz)

    def key(self, table: Table, key: tuple[Any, ...]) -> str:
        return ", ".join(self.value(column, raw) for column, raw in zip(table.primary_key.columns, key, strict=True))

    def updated(self, column: Column[Any], old: Any, new: Any) -> Iterable[str]:
        """`column: old → new`; a changed JSON object one changed key a line (`state.step: a → b`)."""
        if isinstance(old, dict) and isinstance(new, dict) and (column.table.name, column.name) not in self.masks:
            flat_old, flat_new = _flatten(column.name, old), _flatten(column.name, new)
            for path in sorted(flat_old.keys() | flat_new.keys()):
                before, after = flat_old.get(path, "(absent)"), flat_new.get(path, "(absent)")
                if before != after:
                    yield f"    {path}: {plain_value(before, self.tz)} → {plain_value(after, self.tz)}"
            return
        yield f"    {column.name}: {self.value(column, old)} → {self.value(column, new)}"


def print_changes(
    changes: Sequence[Change],
    labels: IdLabels,
    *,
    tz: tzinfo,
    masks: Mask | None = None,
) -> list[str]:
    """The changes as lines: a `### table` heading, then `+`/`~`/`-` and the row's key, one column a line
    (every column of an inserted or deleted row, the changed ones of an updated row)."""
    printer = _Printer(labels, masks or {}, tz)
    lines: list[str] = []
    table: str | None = None
    for change in changes:
        if change.table.name != table:
            table = change.table.name
            lines += ["", f"### {table}"]
        lines.append(f"{change.kind} {printer.key(change.table, change.key)}")
        for name, old, new in change.columns:
            column = change.table.c[name]
            if column.primary_key:
                continue  # shown as the row's key
            if change.kind == "~":
                lines += printer.updated(column, old, new)
            else:
                lines.append(f"    {name}: {printer.value(column, new if change.kind == '+' else old)}")
    return lines or ["", "(no rows changed)"]


def check_golden(path: Path, produced: str, update: bool, *, header: str = "") -> str | None:
    """The unified diff between the part of `path` below `MARKER` and `produced`, or None when equal.

    With `update` the part below the marker is rewritten instead; the hand-written header above it is
    kept as it is (a file without a marker keeps all its text as the header, a missing one gets `header`).
    """
    written = path.read_text(encoding="utf-8") if path.exists() else None
    head, marker, expected = (written or "").partition(MARKER + "\n")
    if not marker:  # a new file, or one written by hand so far: what is there becomes the header
        head, expected = (written or header).rstrip("\n") + "\n\n", ""
    if expected == produced and written is not None:
        return None
    if update:
        path.write_text(f"{head}{MARKER}\n{produced}", encoding="utf-8")
        return None
    if written is None:
        return f"{path.name} does not exist yet\n"
    lines = difflib.unified_diff(
        expected.splitlines(keepends=True),
        produced.splitlines(keepends=True),
        fromfile=f"{path.name} (as written)",
        tofile=f"{path.name} (as produced now)",
    )
    return "".join(lines) or f"{path.name} has no marker line {MARKER!r}\n"
