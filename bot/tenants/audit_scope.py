"""Which audit entries are about a tenant: one rule for the console's audit filter, the export and the erasure.

An entry is about tenant N when its target is `tenant:N` or one of their parts (`TENANT_PARTS`: their cases,
court cases, and the tasks and appointments on their cases), or when its detail names one of those (a list page
records the ids it showed: `task:5,task:7`), or the tenant_ref, as a whole word. The names a detail carries are
recorded with the entry (`audit_names`, bot/store/audit.py): both are found through an index, never by reading the
whole log.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import ColumnElement, Connection, Row, String, cast, literal, select, union, union_all

from bot.store.schema import audit_log, audit_names, case_tasks, cases, court_cases

__all__ = ["TENANT_PARTS", "about", "entries_about", "is_tenant_target"]

_TENANT = re.compile(r"^tenant:(\d{1,18})$")
TENANT_PARTS: tuple[tuple[str, Any, Any], ...] = (
    ("case", cases.c.id, cases.c.tenant_id),
    ("court_case", court_cases.c.id, court_cases.c.tenant_id),
    ("task", case_tasks.c.id, case_tasks.c.tenant_id),
)


def is_tenant_target(target: str) -> bool:
    """Whether `target` names a tenant (`tenant:N`), whose parts `about` finds too."""
    return _TENANT.match(target) is not None


def _parts(tenant_id: int) -> list[Any]:
    return [
        select((literal(f"{prefix}:", String) + cast(part_id, String)).label("name")).where(owner == tenant_id)
        for prefix, part_id, owner in TENANT_PARTS
    ]


def _owned(tenant_id: int) -> Any:
    return union_all(*_parts(tenant_id))


def about(target: str) -> ColumnElement[bool]:
    """The entries whose target is `target`, and for a tenant (`tenant:N`) also every target that belongs to them
    and every entry whose detail names the tenant or one of those (a list page's view: `case:5,task:7`), found in
    the database in one statement through the indexes by target and by name (`audit_names`: the detail's `kind:id`
    words, bot/store/audit.py) — on SQLite and PostgreSQL alike (the console's filter)."""
    a = audit_log.c
    found = _TENANT.match(target)
    if found is None:
        return a.target == target
    # The tenant and their parts, in one flat union (SQLite takes no union nested in another).
    names = union_all(select(literal(target, String).label("name")), *_parts(int(found.group(1)))).subquery()
    # One list of ids, from the two indexes: a page of the newest entries then reads those, not the log backwards.
    aimed = select(a.id).where(a.target.in_(select(names.c.name)))
    named = select(audit_names.c.audit_id).where(audit_names.c.name.in_(select(names.c.name)))
    return a.id.in_(union(aimed, named))


def entries_about(conn: Connection, tenant_id: int, tenant_ref: str | None = None) -> list[Row[Any]]:
    """Every audit entry about the tenant: aimed at them or a part of theirs, or naming one of those in its detail
    (found as `about` finds them), or naming `tenant_ref` as a whole word; in the order they were written.

    A tenant_ref is free text, no `kind:id` name: only the erasure asks for it, and that reads the details that
    contain it."""
    targets = [f"tenant:{tenant_id}", *(str(t) for t in conn.execute(_owned(tenant_id)).scalars())]
    a = audit_log.c
    aimed = select(a.id).where(a.target.in_(targets))
    named = select(audit_names.c.audit_id).where(audit_names.c.name.in_(targets))
    theirs = a.id.in_(union(aimed, named))
    found = list(conn.execute(select(audit_log).where(theirs).order_by(a.id)).all())
    if not tenant_ref:
        return found
    # `R-1` is inside `R-12`: a detail counts when it names the tenant_ref as a whole word.
    pattern = re.compile(rf"(?<![\w:-]){re.escape(tenant_ref)}(?![\w-])")
    mentioned = select(audit_log).where(~theirs, a.detail.contains(tenant_ref, autoescape=True))
    found += [r for r in conn.execute(mentioned) if pattern.search(r.detail)]
    return sorted(found, key=lambda r: int(r.id))
