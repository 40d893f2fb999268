"""A tenant who chose their language (wrote ENGLISH) keeps it through every import of the organisation's file, which
still sets the language of a tenant who never chose; a kept choice is no change the import reports."""

from __future__ import annotations

import io
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.cli.import_csv import run_import
from bot.console.audit import AUDIT_WORDS
from bot.console.data_rights import EXPORT_WORDS
from bot.i18n import speaking
from bot.inbound.inbox import InboundMessage
from bot.runtime import Runtime
from bot.store.schema import audit_log, tenants
from bot.tenants.export import audit_words, export_tenant, render_html, staff_roles
from tests.conftest import make_settings, started_runtime
from tests.support.drive import drain, process_all, sandbox
from tests.support.helpers import add_tenant

CHOOSER, FOLLOWER = "+4520123501", "+4520123502"


async def say(rt: Runtime, text: str, sid: str, sender: str) -> list[str]:
    """One SMS through inbox, processor and sender; the texts that reached the phone."""
    before = len(sandbox(rt)["sms"].to(sender))
    await rt.inbox.submit(InboundMessage(channel="sms", provider_id=sid, sender=sender, text=text))
    await process_all(rt.processor)
    await drain(rt.sender)
    return [m.text for m in sandbox(rt)["sms"].to(sender)[before:]]


async def languages(rt: Runtime) -> dict[str, str]:
    async with rt.db.read() as conn:
        return {ref: language for ref, language in await conn.execute(select(tenants.c.tenant_ref, tenants.c.language))}


def csv_file(tmp_path: Path, language: str, name: str = "Amira Hansen") -> Path:
    path = tmp_path / f"tenants-{language}-{len(name)}.csv"
    path.write_text(
        f"tenant_ref,name,phone,language\nDK-1,{name},{CHOOSER},{language}\nDK-2,Ole Olsen,{FOLLOWER},{language}\n",
        "utf-8",
    )
    return path


async def imported(rt: Runtime, path: Path, *, dry_run: bool = False) -> str:
    out = io.StringIO()
    assert await run_import(rt.settings, path, dry_run, out, io.StringIO()) == 0, out.getvalue()
    return out.getvalue().strip().removeprefix(f"{path}: ")


async def test_the_tenants_own_language_outlasts_the_nightly_import(database_url: str, tmp_path: Path) -> None:
    async with started_runtime(make_settings(database_url)) as rt:
        danish = csv_file(tmp_path, "da")
        assert await imported(rt, danish) == "2 tenants: 2 new, 0 changed, 0 unchanged"
        [danish_hint] = await say(rt, "HJÆLP", "SM1", CHOOSER)
        [changed] = await say(rt, "ENGLISH", "SM2", CHOOSER)
        assert await languages(rt) == {"DK-1": "en", "DK-2": "da"}

        # The next import says "da" again: the tenant's choice stands, is no change, and the report says it was kept.
        kept = "; 1 tenant kept the language they chose themselves over the file's language column"
        said = (
            f"the file is valid; an import would give 2 tenants: 0 new, 0 changed, 2 unchanged{kept} (nothing written)"
        )
        assert await imported(rt, danish, dry_run=True) == said
        assert await imported(rt, danish) == "2 tenants: 0 new, 0 changed, 2 unchanged" + kept
        assert await languages(rt) == {"DK-1": "en", "DK-2": "da"}
        # The console's audit page says it in an admin's words, beside the stored detail.
        async with rt.db.read() as conn:
            detail = (await conn.scalars(select(audit_log.c.detail).order_by(audit_log.c.id.desc()).limit(1))).one()
        assert detail == "created=0 changed=0 unchanged=2 chosen_languages_kept=1"
        with speaking("da"):
            worded = str(audit_words("tenants.import", detail, AUDIT_WORDS))
        assert worded.count("Sprog lejerne selv valgte, beholdt frem for filens: 1") == 1, worded
        [english_hint] = await say(rt, "HJÆLP", "SM3", CHOOSER)
        assert english_hint != danish_hint
        assert [english_hint] == await say(rt, "HELP", "SM4", CHOOSER)

        # A file in English moves the tenant who never chose; a change of name is still a change.
        # The file's language is the one the tenant chose: nothing was kept over it.
        english = csv_file(tmp_path, "en", name="Amira Hansen-Berg")
        assert await imported(rt, english) == "2 tenants: 0 new, 2 changed, 0 unchanged"
        assert await languages(rt) == {"DK-1": "en", "DK-2": "en"}
        assert await say(rt, "HJÆLP", "SM5", FOLLOWER) == [english_hint]

        # Choosing Danish again is a choice too: the English file leaves it.
        await say(rt, "DANSK", "SM6", CHOOSER)
        assert await imported(rt, english) == "2 tenants: 0 new, 0 changed, 2 unchanged" + kept
        assert await languages(rt) == {"DK-1": "da", "DK-2": "en"}
        assert await say(rt, "HJÆLP", "SM7", CHOOSER) == [danish_hint]
        assert changed


async def test_the_tenants_export_says_when_they_chose_their_language(tmp_path: Path) -> None:
    async with started_runtime(make_settings(f"sqlite+aiosqlite:///{tmp_path / 'keephome.db'}")) as rt:
        await add_tenant(rt.db, "DK-1", phone=CHOOSER, now=rt.clock())
        await add_tenant(rt.db, "DK-2", phone=FOLLOWER, now=rt.clock())
        await say(rt, "ENGLISH", "SM1", CHOOSER)
        staff = await staff_roles(rt.db)
        pages = []
        for ref in ("DK-1", "DK-2"):
            data = await export_tenant(rt.db, ref, rt.clock(), "cli")
            with speaking("da"):
                pages.append(render_html(data, EXPORT_WORDS, zone=ZoneInfo("Europe/Copenhagen"), staff=staff))
    chosen, never = pages
    # The moment, as the page writes one ("7. dec. 2026 kl. 12.41"), where a tenant who never chose has none.
    assert chosen.count("<dt>Valgte selv sit sprog</dt><dd>") == 1 and " kl. " in chosen.split("sit sprog</dt>")[1][:40]
    assert "<dt>Valgte selv sit sprog</dt><dd>–</dd>" not in chosen
    assert never.count("<dt>Valgte selv sit sprog</dt><dd>–</dd>") == 1
    assert "language chosen" not in chosen + never
