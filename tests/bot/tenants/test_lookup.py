"""Finding tenants as a person types them: by phone number and by a part of the name, on SQLite and PostgreSQL."""

from __future__ import annotations

import unicodedata

from sqlalchemy import func, literal, select

from bot.store.db import Database
from bot.tenants.lookup import folded, folded_sql, tenants_matching
from tests.support.helpers import add_tenant


async def test_a_number_as_written_and_a_part_of_a_name_find_tenants_number_first(database: Database) -> None:
    """The names in order, the first so many of them with the count of all; never an erased tenant; a wildcard of
    SQL ("%", "_") typed is a character, not every name; one letter finds nobody."""
    await add_tenant(database, "R-1", name="Amira Hansen", phone="+4520123401")
    await add_tenant(database, "R-2", name="Bo Hansen", phone="+4520123402")
    await add_tenant(database, "R-3", name="Zara Hansen", phone=None)
    await add_tenant(database, "R-4", name="Dorte Hansen", phone="+4520123404", status="erased")
    await add_tenant(database, "R-5", name="Eva Olsen", phone="+4520123405")
    await add_tenant(database, "R-6", name="Åse Ørsted", phone="+4520123406")
    async with database.read() as conn:
        count, rows = await conn.run_sync(tenants_matching, "  HANSEN ", 10)
        assert count == 3 and [row.name for row in rows] == ["Amira Hansen", "Bo Hansen", "Zara Hansen"]
        count, rows = await conn.run_sync(tenants_matching, "20 12 34 05", 10)
        assert count == 1 and [row.tenant_ref for row in rows] == ["R-5"]
        count, rows = await conn.run_sync(tenants_matching, "hansen", 2)
        assert count == 3 and len(rows) == 2
        # Danish letters in either case, on SQLite too (bot/store/db.py gives it Python's lower()).
        assert [row.tenant_ref for row in (await conn.run_sync(tenants_matching, "ørsted", 10))[1]] == ["R-6"]
        for wildcard in ("%", "_", "h%n"):
            assert (await conn.run_sync(tenants_matching, wildcard, 10))[0] == 0, wildcard
        assert (await conn.run_sync(tenants_matching, "a", 10))[0] == 0


async def test_staff_typing_without_danish_letters_or_the_dash_find_the_tenant(database: Database) -> None:
    """Staff type Prøvesen as "provesen" or "proevesen", Ærø as "aero", Åse as "aase", DEMO-03 as "demo03": each
    finds the tenant, on SQLite and PostgreSQL."""
    await add_tenant(database, "DEMO-03", name="Carl Prøvesen", phone="+4520123401")
    await add_tenant(database, "R-2", name="Åse Ærø", phone="+4520123402")
    await add_tenant(database, "R-3", name="Bo Hansen", phone="+4520123403")
    async with database.read() as conn:
        for typed, ref in (
            ("provesen", "DEMO-03"),
            ("PROEVESEN", "DEMO-03"),
            ("Prøvesen", "DEMO-03"),
            ("carl provesen", "DEMO-03"),
            ("demo03", "DEMO-03"),
            ("Demo 03", "DEMO-03"),
            ("aero", "R-2"),
            ("aase", "R-2"),
            ("ase aeroe", "R-2"),
        ):
            count, rows = await conn.run_sync(tenants_matching, typed, 10)
            assert (count, [row.tenant_ref for row in rows]) == (1, [ref]), typed
        assert (await conn.run_sync(tenants_matching, "demo04", 10))[0] == 0


async def test_staff_typing_without_the_marks_of_turkish_spanish_or_french_names_find_the_tenant(
    database: Database,
) -> None:
    """Staff type Özdemir as "ozdemir", "Ozdemir" or "ÖZDEMIR", Şahin as "Sahin", Çakır as "Cakir", José as "Jose",
    İlhan as "ilhan", an Arabic name written out with its short vowels as most type it, without: each finds the tenant
    on SQLite as on PostgreSQL, and the name typed with its marks in either case finds it too."""
    names = {
        "R-1": "Mehmet Özdemir",
        "R-2": "Ayşe Şahin",
        "R-3": "Emre Çakır",
        "R-4": "José Núñez",
        "R-5": "İlhan Güler",
        "R-6": "Hélène Côté",
        "R-7": "Ángela Márquez",
        "R-8": "Björn Müller",
        "R-9": "Carl Prøvesen",
        "R-10": "Noël Strauß",
        "R-11": "مُحَمَّد أحمد",  # written out with its short vowels and the alef's hamza
        "R-12": "ليلى إبراهيم",
    }
    for ref, name in names.items():
        await add_tenant(database, ref, name=name, phone=None)
    async with database.read() as conn:
        for typed, ref in (
            ("ozdemir", "R-1"),
            ("Ozdemir", "R-1"),
            ("özdemir", "R-1"),
            ("ÖZDEMİR", "R-1"),
            ("Özdemir", "R-1"),
            ("Sahin", "R-2"),
            ("şahin", "R-2"),
            ("ŞAHİN", "R-2"),
            ("ayse", "R-2"),
            ("Cakir", "R-3"),
            ("çakır", "R-3"),
            ("ÇAKIR", "R-3"),
            ("Jose", "R-4"),
            ("josé", "R-4"),
            ("JOSÉ", "R-4"),
            ("nunez", "R-4"),
            ("Núñez", "R-4"),
            ("ilhan", "R-5"),
            ("İlhan", "R-5"),
            ("guler", "R-5"),
            ("GÜLER", "R-5"),
            ("helene", "R-6"),
            ("HÉLÈNE", "R-6"),
            ("cote", "R-6"),
            ("côté", "R-6"),
            ("angela", "R-7"),
            ("ÁNGELA", "R-7"),
            ("marquez", "R-7"),
            ("bjorn", "R-8"),
            ("müller", "R-8"),
            ("MULLER", "R-8"),
            ("provesen", "R-9"),
            ("proevesen", "R-9"),
            ("PRØVESEN", "R-9"),
            ("noel", "R-10"),
            ("strauss", "R-10"),
            ("STRAUSS", "R-10"),
            ("محمد", "R-11"),
            ("احمد", "R-11"),
            ("مُحَمَّد أحمد", "R-11"),
            ("ليلي", "R-12"),
            ("ابراهيم", "R-12"),
        ):
            count, rows = await conn.run_sync(tenants_matching, typed, 10)
            assert (count, [row.tenant_ref for row in rows]) == (1, [ref]), typed


async def test_the_database_folds_a_name_as_python_folds_what_was_typed(database: Database) -> None:
    """One rule: SQLite and PostgreSQL fold each name to the very text `folded` gives in Python, marks, Danish
    spellings, Turkish dotted and dotless i and a reference's dash alike."""
    names = [
        "Özdemir",
        "ŞAHİN",
        "Çakır",
        "José Núñez",
        "Ærø-Åse",
        "Prøvesen",
        "HÉLÈNE CÔTÉ",
        "Björn Müller",
        "DEMO-03",
        "NOËL STRAUß",
        "Mu\u0308ller Ba\u030ango\u0308",  # a letter and its mark apart, as some exports write them
        "مُحَمَّد إبراهيمـى",
    ]
    async with database.read() as conn:
        for name in names:
            in_sql = (await conn.execute(select(folded_sql(literal(name))))).scalar_one()
            assert in_sql == folded(name) == folded(unicodedata.normalize("NFC", name)), name
        # SQLite's translate() is PostgreSQL's: a character `to` has no place for goes, the first of a repeated one
        # counts.
        translated = select(func.translate(literal("12345"), literal("1434"), literal("ax")))
        assert (await conn.execute(translated)).scalar_one() == "a2x5"
