"""Which audit entries are about a tenant: one rule for the console's audit filter, the export and the erasure.

An entry is about tenant N when its target is `tenant:N` or one of their parts (`TENANT_PARTS`: their cases,
court cases, and the tasks and appointments on their cases), or when its detail names one of those, or the
tenant_ref, as a whole word (a list page records the ids it showed: `task:5,task:7`).
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import ColumnElement, Connection, Row, String, cast, exists, func, literal, or_, select, union_all

from bot.store.schema import audit_log, case_tasks, cases, court_cases

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
    and every entry whose detail names the tenant or one of those as a whole word (a list page's view: `case:5,
    task:7`), found in the database in one statement — on SQLite and PostgreSQL alike (the console's filter)."""
    a = audit_log.c
    found = _TENANT.match(target)
    if found is None:
        return a.target == target
    # The tenant and their parts, in one flat union (SQLite takes no union nested in another).
    names = union_all(select(literal(target, String).label("name")), *_parts(int(found.group(1)))).subquery()
    # The detail's separators (`,`, `=`, spaces) made spaces, with one at each end: `case:1` is then found as
    # `% case:1 %`, never inside `case:12` or `court_case:1`.
    spaced = literal(" ") + func.replace(func.replace(func.coalesce(a.detail, ""), ",", " "), "=", " ") + literal(" ")
    named = exists(select(names.c.name).where(spaced.like(literal("% ") + names.c.name + literal(" %"))))
    return or_(a.target.in_(select(names.c.name)), named)


def entries_about(conn: Connection, tenant_id: int, tenant_ref: str | None = None) -> list[Row[Any]]:
    """Every audit entry about the tenant: aimed at them or a part of theirs, or naming one of those (or
    `tenant_ref`) in its detail as a whole word; in the order they were written."""
    targets = [f"tenant:{tenant_id}", *(str(t) for t in conn.execute(_owned(tenant_id)).scalars())]
    names = [*targets, *([tenant_ref] if tenant_ref else [])]
    a = audit_log.c
    mentioned = [a.detail.contains(name, autoescape=True) for name in names]
    found = conn.execute(select(audit_log).where(or_(a.target.in_(targets), *mentioned)).order_by(a.id)).all()
    # `tenant:1` is inside `tenant:12`: a detail counts when it names one of them as a whole word.
    pattern = re.compile("|".join(rf"(?<![\w:-]){re.escape(n)}(?![\w-])" for n in names))
    return [r for r in found if r.target in targets or pattern.search(r.detail or "")]
