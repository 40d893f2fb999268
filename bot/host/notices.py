"""Telegram notices to staff who opted in: a new urgent case, words of crisis to a case, or (to admins) a number
reported wrong; a first name and a link, nothing more."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import cache

from sqlalchemy import Connection, Row, Select, bindparam, select

from bot.outbox.enqueue import enqueue, queued
from bot.store.scene import Scene
from bot.store.schema import cases, staff, tenants
from bot.tenants.names import first_name

__all__ = ["Recipients", "notify_crisis", "notify_urgent_case", "notify_wrong_number", "urgent_case_recipients"]

# Built once: a day's plan opens hundreds of urgent cases in one transaction, and a statement built for each (and its
# cache key found) cost more than the rows it reads (bench/README.md, fanout, 2026-12-05).
_CASE_NAME = (
    select(cases.c.id, tenants.c.name)
    .join(tenants, tenants.c.id == cases.c.tenant_id)
    .where(cases.c.id == bindparam("case_id"))
)
_TENANT_NAME = select(tenants.c.name).where(tenants.c.id == bindparam("tenant_id"))


@cache
def _people(roles: tuple[str, ...]) -> Select[tuple[int, int]]:
    """Active staff in `roles` who opted in on Telegram: one statement for each set of roles."""
    return select(staff.c.id, staff.c.telegram_chat_id).where(
        staff.c.active.is_(True),
        staff.c.notify_telegram.is_(True),
        staff.c.telegram_chat_id.is_not(None),
        staff.c.role.in_(roles),
    )


Recipients = Sequence[Row[tuple[int, int]]]
_URGENT = ("admin", "adviser")


def urgent_case_recipients(conn: Connection) -> Recipients:
    """The staff `notify_urgent_case` writes to, read once for all the urgent cases one transaction opens (an API
    bulk of ten thousand tenants with court dates read them ten thousand times)."""
    return conn.execute(_people(_URGENT)).all()


def notify_urgent_case(
    scene: Scene, case_id: int, now: datetime, public_url: str, recipients: Recipients | None = None
) -> int:
    """Queue a notice for every active admin or adviser who opted in (`recipients`, when the caller read them for
    many cases); returns how many were queued."""
    case = scene.conn.execute(_CASE_NAME, {"case_id": case_id}).first()
    if case is None:
        return 0
    link = f"{public_url.rstrip('/')}/console/cases/{case_id}"
    values = {"first_name": first_name(case.name), "case_id": case_id, "url": link}
    return _notify(scene, _URGENT, f"notice:case:{case_id}", "staff.urgent_case", values, now, recipients)


def notify_crisis(scene: Scene, case_id: int, now: datetime, public_url: str) -> int:
    """Words of crisis to a case a person holds or that waits with the tenant's yes, from a tenant who consented to an
    adviser reading their words: the bot gave them the crisis line, and a person may not open the console for hours.
    A notice for every active admin or adviser who opted in, at most once a case a day; the first name and a link,
    never the words (they stay on the case page). Returns how many were queued."""
    case = scene.conn.execute(_CASE_NAME, {"case_id": case_id}).first()
    if case is None:
        return 0
    link = f"{public_url.rstrip('/')}/console/cases/{case_id}"
    values = {"first_name": first_name(case.name), "case_id": case_id, "url": link}
    key = f"notice:crisis:{case_id}:{now.date().isoformat()}"
    return _notify(scene, ("admin", "adviser"), key, "staff.crisis", values, now)


def notify_wrong_number(scene: Scene, tenant_id: int, now: datetime, public_url: str) -> int:
    """A tenant's number was reported wrong (DESIGN: the housing organisation is told): a notice for every active
    admin who opted in, with the tenant's first name and a link to the list the admins' page keeps; returns how
    many were queued. Nothing more goes to that number; the organisation corrects it at its next import."""
    tenant = scene.conn.execute(_TENANT_NAME, {"tenant_id": tenant_id}).first()
    if tenant is None:
        return 0
    values = {"first_name": first_name(tenant.name), "url": f"{public_url.rstrip('/')}/console/admin"}
    return _notify(scene, ("admin",), f"notice:wrong_number:{tenant_id}", "staff.wrong_number", values, now)


def _notify(
    scene: Scene,
    roles: tuple[str, ...],
    key: str,
    template: str,
    values: Mapping[str, object],
    now: datetime,
    people: Recipients | None = None,
) -> int:
    """Queue one notice (`template`) for each active staff member in `roles` who opted in on Telegram (`people`, when
    read already), once each (`key` and the person); returns how many were queued."""
    conn = scene.conn
    if people is None:
        people = conn.execute(_people(roles)).all()
    count = 0
    for person in people:
        each = f"{key}:staff:{person.id}"
        if queued(conn, each):
            continue  # told already
        queued_now = enqueue(
            scene,
            now=now,
            channel="telegram",
            template=template,
            values=values,
            language="da",
            idempotency_key=each,
            address=str(person.telegram_chat_id),
            author="system",
        )
        count += queued_now is not None
    return count
