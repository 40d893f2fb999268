"""Migration 0027: a tenant stored before the import refused the controls of direction loses them from its
tenant_ref, name and address; its direction marks and every other value stay, and a tenant_ref whose cleaned form
another tenant has stays as it is. The downgrade changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from bot.store.db import Database
from bot.store.migrate import upgrade
from bot.store.schema import tenants
from tests.support.schema import migrate_to

NOW = datetime(2027, 3, 12, 10, 0, tzinfo=UTC)
# Every control of direction that reorders what follows it.
_ALL = "".join(chr(code) for code in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)])
# (tenant_ref, name, address) as stored before, and as 0027 leaves them.
_BEFORE_AFTER = [
    (
        ("DK-\u202e1001", "Amira \u202enesnaH", "Vestergade \u2066 12\u2069"),
        ("DK-1001", "Amira nesnaH", "Vestergade 12"),
    ),
    (("DK-1002", f"Ole{_ALL}sen", _ALL), ("DK-1002", "Olesen", None)),
    # Direction marks tell a neutral character its side: a name keeps them.
    (("DK-1003", "Noor \u200fAli\u200e", None), ("DK-1003", "Noor \u200fAli\u200e", None)),
    (("DK-1004", "Fiktiv Testperson", "Vej 1"), ("DK-1004", "Fiktiv Testperson", "Vej 1")),
    # Its cleaned tenant_ref is the tenant's above, and an empty one is none: both stay.
    (("DK-1004\u2068", "Fiktiv \u202bTestperson", None), ("DK-1004\u2068", "Fiktiv Testperson", None)),
    (("\u2067", "Prøve \u202d", "Torvet 2"), ("\u2067", "Prøve", "Torvet 2")),
]


# The columns a tenant had at revision 0026 (0028 added language_chosen_at).
_COLUMNS = [column for column in tenants.c if column.name != "language_chosen_at"]


async def _rows(db: Database) -> list[dict[str, Any]]:
    async with db.read() as conn:
        return [dict(row._mapping) for row in await conn.execute(select(*_COLUMNS).order_by(tenants.c.id))]


async def test_the_controls_of_direction_leave_the_stored_tenants(empty_database_url: str) -> None:
    db = Database(empty_database_url)
    try:
        await migrate_to(db, "0026")
        async with db.write() as conn:
            for n, ((ref, name, address), _) in enumerate(_BEFORE_AFTER, start=1):
                await conn.execute(
                    tenants.insert().values(
                        id=n, tenant_ref=ref, name=name, address=address, phone=f"+452012350{n}", language="en",
                        channel_preference="sms", telegram_blocked=n % 2 == 0, status="active", children=n % 3 == 0,
                        created_at=NOW, updated_at=NOW.replace(day=n),
                    )
                )  # fmt: skip
        before = await _rows(db)
        await upgrade(db)
        after = await _rows(db)
        expected = [
            {**row, "tenant_ref": ref, "name": name, "address": address}
            for row, (_, (ref, name, address)) in zip(before, _BEFORE_AFTER, strict=True)
        ]
        assert after == expected
        await migrate_to(db, "0026", down=True)
        assert await _rows(db) == expected
    finally:
        await db.dispose()
