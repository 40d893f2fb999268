"""What a tenant is asked to share is what the recipient is given: the wording of each kind of data names the
address exactly where a referral's part of that kind holds it."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from bot.console.referrals import _part
from bot.outbox.render import Renderer
from bot.paths import TEMPLATES_DIR
from bot.store.db import Database
from bot.store.schema import tenants
from tests.conftest import make_settings
from tests.support.helpers import add_tenant
from tests.support.schema import migrated

# How each language's wording names the address (the languages whose texts are reviewed).
ADDRESS = {"da": "adresse", "en": "address"}


def _asked(renderer: Renderer, language: str, kind: str) -> str:
    values = {"recipient_kind": "kommune", "recipient": "Aarhus Kommune", "source": "Boligselskabet"}
    text = renderer.render("share_consent.ask", {**values, "kinds": kind, "purpose": "hjælp"}, language, "telegram")
    return next(line for line in text.text.splitlines() if line.startswith("- "))


@pytest.mark.parametrize("language", sorted(ADDRESS))
async def test_the_address_is_named_under_the_kind_that_gives_it(sqlite_url: str, language: str) -> None:
    db = Database(sqlite_url)
    await migrated(db)
    try:
        tenant_id = await add_tenant(db, "T-1")
        async with db.write() as conn:
            await conn.execute(update(tenants).where(tenants.c.id == tenant_id).values(address="Byvej 12, 1. th."))
        renderer = Renderer(TEMPLATES_DIR, make_settings(sqlite_url))
        for kind in ("household", "contact", "rent_position", "letters"):
            async with db.read() as conn:
                given = await conn.run_sync(_part, tenant_id, kind)
            gives_address = "Byvej 12, 1. th." in repr(given)
            assert (ADDRESS[language] in _asked(renderer, language, kind).lower()) == gives_address, kind
    finally:
        await db.dispose()
