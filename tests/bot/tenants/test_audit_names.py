"""The audit entries about a tenant are found through the names their details carry (`audit_names`, written with
every entry by bot/store/audit.py), with the same results as reading every detail, on SQLite and PostgreSQL; the
audit filter on a tenant reads no more of the log than their entries; an erasure takes the names of the details it
blanks."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import (
    Connection,
    Engine,
    String,
    create_engine,
    event,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.runtime import Runtime
from bot.store.audit import names_in, write_entry
from bot.store.schema import audit_log, audit_names, case_tasks, cases, court_cases, metadata
from bot.tenants.audit_scope import about, entries_about
from bot.tenants.erase import erase
from tests.support.console import add_case, add_person, add_tenant, login

NOW = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)
BOT = Path(__file__).resolve().parents[3] / "bot"


# --- one writer ------------------------------------------------------------------------------------------------


def _bypasses(path: Path) -> Iterator[str]:
    """Where a module writes an audit entry without the writer: an insert into audit_log, or a scene's row of it
    that carries a detail (a scene's rows get no names)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    log = {"audit_log"} | {
        alias.asname
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
        if alias.name == "audit_log" and alias.asname
    }
    for node in ast.walk(tree):
        where = f"{path.relative_to(BOT.parent)}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.Attribute) and node.attr == "insert" and ast.unparse(node.value) in log:
            yield where
        called = isinstance(node, ast.Call) and ast.unparse(node.func).endswith("insert")
        if called and any(ast.unparse(arg) in log for arg in node.args):
            yield where
        if isinstance(node, ast.Tuple) and len(node.elts) == 2 and ast.unparse(node.elts[0]) in log:
            row = node.elts[1]
            detail = (
                next(
                    (v for k, v in zip(row.keys, row.values, strict=True) if ast.unparse(k or row) == "'detail'"), None
                )
                if isinstance(row, ast.Dict)
                else None
            )
            if not (isinstance(detail, ast.Constant) and detail.value is None):
                yield where


def test_every_audit_entry_is_written_by_the_one_writer() -> None:
    found = [
        where
        for path in sorted(BOT.rglob("*.py"))
        if path.name != "audit.py" or path.parent.name != "store"
        for where in _bypasses(path)
    ]
    assert found == []


async def _names_as_written(conn: AsyncConnection) -> tuple[dict[int, set[str]], dict[int, set[str]]]:
    """Every entry's names in the table, and the names its detail carries."""
    stored: dict[int, set[str]] = {}
    for audit_id, name in await conn.execute(select(audit_names.c.audit_id, audit_names.c.name)):
        stored.setdefault(int(audit_id), set()).add(str(name))
    carried = {
        int(row.id): names_in(row.detail)
        for row in await conn.execute(select(audit_log.c.id, audit_log.c.detail))
        if names_in(row.detail)
    }
    return stored, carried


_SHOWN = re.compile(r'<code class="muted"[^>]*>([a-z_.]+)</code>')


async def test_the_pages_entries_carry_their_names_and_an_erasure_takes_those_of_the_details_it_blanks(
    served: tuple[Runtime, httpx.AsyncClient],
) -> None:
    rt, client = served
    tenant = await add_tenant(rt, "R-1")
    other = await add_tenant(rt, "R-12", name="Beta Tenant", phone="+4520000002")
    case_id, other_case = await add_case(rt, tenant), await add_case(rt, other)
    await add_person(rt, "admin@example.org", "admin")
    assert (await login(client, "admin@example.org")).status_code == 303
    assert (await client.get("/console/")).status_code == 200  # the inbox: `case:1,case:2`
    assert (await client.get(f"/console/cases/{case_id}")).status_code == 200  # `tenant:1`
    assert (await client.get(f"/console/cases/{other_case}")).status_code == 200
    async with rt.db.read() as conn:
        stored, carried = await _names_as_written(conn)
    assert stored == carried and {f"case:{case_id}", f"tenant:{other}"} <= set().union(*carried.values())
    page = f"/console/audit?target=tenant:{tenant}"
    assert {"inbox.view", "case.view"} <= set(_SHOWN.findall((await client.get(page)).text))

    await erase(rt.db, "R-1", rt.clock(), "cli", rt.settings.secret_key)
    async with rt.db.read() as conn:
        stored, carried = await _names_as_written(conn)
    # The inbox's entry named them: its detail is blanked, and no name of it is left to find it by.
    assert stored == carried and f"case:{case_id}" not in set().union(*stored.values())
    shown = set(_SHOWN.findall((await client.get(page)).text))
    assert "inbox.view" not in shown and {"case.view", "tenant.erase"} <= shown
    # The other tenant's own view of their case still names them.
    assert "case.view" in set(_SHOWN.findall((await client.get(f"/console/audit?target=tenant:{other}")).text))


# --- the same results as reading every detail ---------------------------------------------------------------------

# Two tenants whose ids and parts' ids are inside each other's (`case:1` is inside `case:12`).
_PARTS = {
    1: {"case": [1, 12], "court_case": [1], "task": [2]},
    12: {"case": [2, 21], "court_case": [12], "task": [1, 11]},
}
_WORDS = [
    *(f"{kind}:{n}" for kind in ("tenant", "case", "court_case", "task") for n in (1, 2, 11, 12, 21)),
    "staff:1",
    "tenant:01",
    "case:1x",
    "case:",
    ":1",
    "case",
    "1",
    "new",
    "R-1",
    "R-12",
    "tenant_ref",
]
# What separates the words keephome writes, and what does not.
_SEPARATORS = [",", "=", " ", ", "]
_OTHERS = [";", ".", "\t", ":", "-", "(", ")", "/", ""]


def _old_about(target: str) -> Any:
    """`about` as it was: the detail's separators made spaces, and a LIKE of every name over every entry."""
    a = audit_log.c
    tenant_id = int(target.split(":")[1])
    parts = [
        select((literal(f"{prefix}:", String) + func.cast(part_id, String)).label("name")).where(owner == tenant_id)
        for prefix, part_id, owner in (
            ("case", cases.c.id, cases.c.tenant_id),
            ("court_case", court_cases.c.id, court_cases.c.tenant_id),
            ("task", case_tasks.c.id, case_tasks.c.tenant_id),
        )
    ]
    names = union_all(select(literal(target, String).label("name")), *parts).subquery()
    spaced = literal(" ") + func.replace(func.replace(func.coalesce(a.detail, ""), ",", " "), "=", " ") + literal(" ")
    named = exists(select(names.c.name).where(spaced.like(literal("% ") + names.c.name + literal(" %"))))
    return or_(a.target.in_(select(names.c.name)), named)


def _old_entries_about(conn: Connection, tenant_id: int, tenant_ref: str | None) -> list[int]:
    """`entries_about` as it was: a whole-word search of every detail."""
    targets = [f"tenant:{tenant_id}", *(f"{kind}:{n}" for kind, ids in _PARTS[tenant_id].items() for n in ids)]
    names = [*targets, *([tenant_ref] if tenant_ref else [])]
    pattern = re.compile("|".join(rf"(?<![\w:-]){re.escape(n)}(?![\w-])" for n in names))
    rows = conn.execute(select(audit_log.c.id, audit_log.c.target, audit_log.c.detail).order_by(audit_log.c.id))
    return [int(r.id) for r in rows if r.target in targets or pattern.search(r.detail or "")]


@cache
def _world() -> Engine:
    engine = create_engine("sqlite://")
    metadata.create_all(engine)
    with engine.begin() as conn:
        for tenant_id, parts in _PARTS.items():
            for case_id in parts["case"]:
                conn.execute(
                    insert(cases).values(
                        id=case_id,
                        tenant_id=tenant_id,
                        status="open" if case_id == parts["case"][0] else "closed",
                        origin="manual",
                        reason="test",
                        priority=0,
                        consented=False,
                        opened_at=NOW,
                        updated_at=NOW,
                    )
                )
            for court_id in parts["court_case"]:
                conn.execute(
                    insert(court_cases).values(
                        id=court_id,
                        tenant_id=tenant_id,
                        filed_on=date(2026, 3, 1),
                        status="open",
                        opened_at=NOW,
                        updated_at=NOW,
                    )
                )
            for task_id in parts["task"]:
                conn.execute(
                    insert(case_tasks).values(
                        id=task_id,
                        case_id=parts["case"][0],
                        tenant_id=tenant_id,
                        kind=f"kind{task_id}",
                        status="open",
                        created_at=NOW,
                        updated_at=NOW,
                    )
                )
    return engine


def _details(separators: list[str]) -> st.SearchStrategy[str | None]:
    words = st.lists(st.tuples(st.sampled_from(_WORDS), st.sampled_from(separators)), max_size=5)
    return st.none() | words.map(lambda pairs: "".join(word + sep for word, sep in pairs))


def _entries(separators: list[str]) -> st.SearchStrategy[list[tuple[str | None, str | None]]]:
    targets = st.none() | st.sampled_from(["tenant:1", "tenant:12", "case:1", "case:12", "task:11", "staff:1"])
    return st.lists(st.tuples(targets, _details(separators)), max_size=12)


def _written(conn: Connection, entries: list[tuple[str | None, str | None]]) -> None:
    conn.execute(audit_names.delete())
    conn.execute(audit_log.delete())
    for target, detail in entries:
        write_entry(conn, NOW, "staff:1", "case.view", target, detail)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(entries=_entries([*_SEPARATORS, *_OTHERS]))
def test_the_filter_through_the_names_finds_what_reading_every_detail_found(
    entries: list[tuple[str | None, str | None]],
) -> None:
    with _world().begin() as conn:
        _written(conn, entries)
        for target in ("tenant:1", "tenant:12"):
            found = conn.execute(select(audit_log.c.id).where(about(target)).order_by(audit_log.c.id)).scalars()
            old = conn.execute(select(audit_log.c.id).where(_old_about(target)).order_by(audit_log.c.id)).scalars()
            assert list(found) == list(old), target


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(entries=_entries(_SEPARATORS), tenant_ref=st.sampled_from([None, "R-1", "R-12"]))
def test_the_export_and_the_erasure_find_through_the_names_what_they_found_before(
    entries: list[tuple[str | None, str | None]], tenant_ref: str | None
) -> None:
    with _world().begin() as conn:
        _written(conn, entries)
        for tenant_id in _PARTS:
            found = [int(row.id) for row in entries_about(conn, tenant_id, tenant_ref)]
            assert found == _old_entries_about(conn, tenant_id, tenant_ref), tenant_id


# --- through the index ---------------------------------------------------------------------------------------------

ENTRIES = 3000


async def test_the_audit_filter_on_a_tenant_reads_their_entries_through_the_indexes(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    tenant = await add_tenant(runtime, "R-1")
    case_id = await add_case(runtime, tenant)
    at = runtime.clock()
    async with runtime.db.write() as conn:
        for n in range(ENTRIES):
            # Years of list views of other cases; every hundredth shows theirs.
            shown = f"case:{case_id if n % 100 == 0 else case_id + 1 + n % 300},task:{n % 50 + 100}"
            await conn.run_sync(write_entry, at, "staff:9", "inbox.view", None, shown)
        await conn.execute(text("ANALYZE"))
    await add_person(runtime, "admin@example.org", "admin")
    assert (await login(client, "admin@example.org")).status_code == 303
    plans: list[list[str]] = []

    def explain(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        # The page's count and its page of entries, as they are sent, with their parameters.
        if "FROM audit_log" in statement and "audit_names" in statement and not statement.startswith("EXPLAIN"):
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
            plans.append([str(row[-1]) for row in rows])

    event.listen(runtime.db.reader.sync_engine, "before_cursor_execute", explain)
    try:
        page = (await client.get(f"/console/audit?target=tenant:{tenant}")).text
    finally:
        event.remove(runtime.db.reader.sync_engine, "before_cursor_execute", explain)

    assert page.split('id="audit"', 1)[1].count("inbox.view<") == ENTRIES // 100
    assert len(plans) == 2, plans
    for plan in plans:
        assert any("ix_audit_names_name" in step for step in plan), plan
        assert not any(step.startswith("SCAN audit_log") for step in plan), plan
