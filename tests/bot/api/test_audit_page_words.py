"""What the API and its keys write in the audit log, as an admin reads it on the console's audit page "Revision":
the key by its name and what was done in the reader's words, not keephome's English; entries written before the
details were `key=value`s stay as they were stored."""

from __future__ import annotations

import html
import re
from collections import Counter

from sqlalchemy import update

from bot.console.audit import record
from bot.store.schema import staff
from tests.bot.api.conftest import Api, tenant
from tests.support.console import add_person, login


async def _audit_page(api: Api, language: str) -> str:
    """The audit page as an admin speaking `language` reads it: each entry's detail in words, without its code."""
    await add_person(api.rt, "admin@example.org", "admin")
    async with api.rt.db.write() as conn:
        await conn.execute(update(staff).where(staff.c.email == "admin@example.org").values(language=language))
    await login(api.client, "admin@example.org")
    page = (await api.client.get("/console/audit")).text
    cells = re.findall(r'<td class="detail">(.*?)(?:<br><code|</td>)', page)
    return "\n".join(html.unescape(cell) for cell in cells)


async def _api_calls(api: Api) -> None:
    assert (await api.put("T-1", tenant(balance="100.00", balance_as_of="2026-03-01"))).status_code == 201
    assert (await api.post("tenants/T-1/payments", {"amount": "40.00", "paid_on": "2026-03-02"})).status_code == 200
    assert (await api.post("tenants/T-1/payments", {"amount": "60.00", "paid_on": "2026-03-02"})).status_code == 200
    bulk = {"tenants": [tenant("A", "+4520123401"), tenant("B", "+4520123402")]}
    assert (await api.post("tenants/bulk", bulk)).status_code == 200


async def test_an_api_write_and_a_key_made_are_in_danish_on_a_danish_admins_audit_page(sqlite_api: Api) -> None:
    await _api_calls(sqlite_api)
    said = await _audit_page(sqlite_api, "da")
    lines = Counter(said.splitlines())
    assert lines["API-nøgle “ledger (write)”; Resultat: oprettet"] == 1, said
    assert lines["API-nøgle “ledger (write)”; Betalt den: 2. mar. 2026; Saldo: ikke udlignet endnu"] == 1, said
    assert lines["API-nøgle “ledger (write)”; Betalt den: 2. mar. 2026; Saldo: udlignet"] == 1, said
    assert lines["API-nøgle “ledger (write)”; Nye lejere: 2; Lejere ændret: 0; Lejere uændret: 0"] == 1, said
    assert lines["API-nøgle “ledger (read)”; Adgang: kun læse"] == 1, said
    for english in ("key ", "scope", "paid on", "balance", "created", "owing", "settled", ":;"):
        assert english not in said, (english, said)


async def test_an_api_write_is_in_english_on_an_english_admins_audit_page(sqlite_api: Api) -> None:
    await _api_calls(sqlite_api)
    said = Counter((await _audit_page(sqlite_api, "en")).splitlines())
    assert said["API key “ledger (write)”; Result: created"] == 1, said
    assert said["API key “ledger (write)”; Paid on: 2 Mar 2026; Balance: still owing"] == 1, said
    assert said["API key “ledger (erase)”; Scope: read, write and erase"] == 1, said


async def test_an_entry_written_before_its_detail_was_key_values_stays_as_stored(sqlite_api: Api) -> None:
    async with sqlite_api.rt.db.write() as conn:
        now = sqlite_api.rt.clock()
        await record(conn, now, "api:1", "api.payment", "tenant:1", 'key "Ledger": paid on 2026-12-07; balance settled')
        await record(conn, now, "cli", "apikey.add", "apikey:9", '"Reader", scope read')
    said = await _audit_page(sqlite_api, "da")
    assert 'key "Ledger": paid on 2026-12-07; balance settled' in said, said
    assert '"Reader", scope read' in said, said
