"""Telegram notices to staff who opted in: a new urgent case, a first name and a link, nothing more."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from bot.outbox.enqueue import enqueue, queued
from bot.store.scene import Scene
from bot.store.schema import cases, staff, tenants
from bot.tenants.names import first_name

__all__ = ["notify_urgent_case"]


def notify_urgent_case(scene: Scene, case_id: int, now: datetime, public_url: str) -> int:
    """Queue a notice for every active admin or adviser who opted in; returns how many were queued."""
    conn = scene.conn
    case = (
        conn.execute(
            select(cases.c.id, tenants.c.name)
            .join(tenants, tenants.c.id == cases.c.tenant_id)
            .where(cases.c.id == case_id)
        )
    ).first()
    if case is None:
        return 0
    people = (
        conn.execute(
            select(staff.c.id, staff.c.telegram_chat_id).where(
                staff.c.active.is_(True),
                staff.c.notify_telegram.is_(True),
                staff.c.telegram_chat_id.is_not(None),
                staff.c.role.in_(("admin", "adviser")),
            )
        )
    ).all()
    link = f"{public_url.rstrip('/')}/console/cases/{case_id}"
    count = 0
    for person in people:
        key = f"notice:case:{case_id}:staff:{person.id}"
        if queued(conn, key):
            continue  # told already
        queued_now = enqueue(
            scene,
            now=now,
            channel="telegram",
            template="staff.urgent_case",
            values={"first_name": first_name(case.name), "case_id": case_id, "url": link},
            language="da",
            idempotency_key=key,
            address=str(person.telegram_chat_id),
            author="system",
        )
        count += queued_now is not None
    return count
