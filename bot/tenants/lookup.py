"""Finding a tenant by the reference a person typed: in either case, the exact spelling first.

A housing organisation's references are stored as its system writes them ("DEMO-03"); a person reads one off a letter
or hears it on the phone and types "demo-03". The console's "find a tenant", its data page and `keephome export`
find the tenant either way, so an admin answering a data request never concludes there is no data for a reference
typed in the other case. References that differ only in case are different tenants to the import and the API (the
unique index is exact), so two such tenants are never guessed between: the exact spelling finds its own, any other
spelling is refused, naming both. The API, the import and erasure match a reference exactly: they are a system's
keys, and an erasure is not undone.

A tenant who phones the office seldom knows their reference: the console's "find a tenant" also finds them by the
number they call from and by a part of their name (`tenants_matching`). Staff type without æ, ø and å (as ae, oe and
aa, or as plain a and o), without the marks of Turkish, Spanish or French names (ö, ş, ç, ı, é, ñ, ...), Arabic names
without their short vowels and with a plain alef, and without a reference's dash; some exports write a marked letter
as the letter and its mark apart ("Mu\u0308ller"). Names and references are compared folded (`folded`, and
`folded_sql` for the same rule in the database, SQLite and PostgreSQL alike), so "provesen" finds Prøvesen, "ozdemir"
Özdemir, "محمد" مُحَمَّد and "demo03" DEMO-03.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from sqlalchemy import ColumnElement, Connection, String, func, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from bot.i18n import N_, Explained
from bot.store.schema import tenants
from bot.tenants.phones import e164

__all__ = ["NAME_SHORTEST", "SeveralTenants", "folded", "folded_sql", "tenant_by_typed_ref", "tenants_matching"]

# A name is looked for from this many characters on: one letter would list a good part of the organisation.
NAME_SHORTEST = 2


# The folding, in order: the letters with a mark (Danish, Turkish, Spanish, French, German), in both cases (the rule
# does not rest on how a database lowers them: SQLite's own lower() folds A-Z only, and Python lowers "İ" to "i" and a
# dot), to their plain letters, then lower case, then the spellings without them to the same plain letters, and the
# marks a reference is written with (a dash, a space, a dot, a slash) away. Applied to both sides, so "Michael" (michal)
# still finds Michael: a spelling folds the same in the name as in what was typed; "Ozdemir" finds Özdemir, "Sahin"
# Şahin, "Cakir" Çakır and "Jose" José. The letters go in one translate(), PostgreSQL's own and on SQLite the same
# given by bot/store/db.py: one table, both databases (a replace() for each letter overflowed SQLite's parser).
# German ß is a spelling (ss): one letter for two.
_MARKED = {
    "a": "æåáàâäÆÅÁÀÂÄ",
    "o": "øöóôòØÖÓÔÒ",
    "u": "üúûùÜÚÛÙ",
    "c": "çÇ",
    "s": "şŞ",
    "g": "ğĞ",
    "i": "ıíîïìİÍÎÏÌ",
    "e": "éèêëÉÈÊË",
    "n": "ñÑ",
    # Arabic: the alef written with a hamza or a madda is typed as the plain alef, a final ى as ي.
    "ا": "أإآٱ",
    "ي": "ى",
}
# Arabic's short vowels and other marks above or below a letter (a name written out fully vowelled, "مُحَمَّد", is typed
# "محمد") and the tatweel that stretches a word: they go (translate() drops what `to` has no place for).
_DROPPED = "".join(chr(c) for c in range(0x064B, 0x0660)) + "\u0670\u0640"
_LETTERS_FROM = "".join(_MARKED.values())
_TO = "".join(plain * len(letters) for plain, letters in _MARKED.items())
_FROM = _LETTERS_FROM + _DROPPED
_LETTERS = str.maketrans(_LETTERS_FROM, _TO, _DROPPED)
_SPELLINGS = (("aa", "a"), ("ae", "a"), ("oe", "o"), ("ß", "ss"), ("-", ""), (" ", ""), (".", ""), ("/", ""))


class _Composed(FunctionElement[str]):
    """Its text in Unicode's composed form (NFC): PostgreSQL's normalize(), on SQLite the nfc() of bot/store/db.py."""

    type = String()
    name = "nfc"
    inherit_cache = True


@compiles(_Composed)
def _composed_sqlite(element: _Composed, compiler: SQLCompiler, **kw: Any) -> str:
    return f"nfc({compiler.process(element.clauses, **kw)})"


@compiles(_Composed, "postgresql")
def _composed_postgresql(element: _Composed, compiler: SQLCompiler, **kw: Any) -> str:
    return f"normalize({compiler.process(element.clauses, **kw)}, NFC)"


def folded(text: str) -> str:
    """`text` as the search compares it: "Prøvesen", "Proevesen" and "provesen" are all "provesen", "DEMO-03" is
    "demo03"; a letter and its mark written apart ("u" and U+0308) are one letter first (NFC), typed or stored."""
    text = unicodedata.normalize("NFC", text).translate(_LETTERS).lower()
    for spelling, plain in _SPELLINGS:
        text = text.replace(spelling, plain)
    return text


def folded_sql(column: ColumnElement[str]) -> ColumnElement[str]:
    """`folded` in SQL, on SQLite and PostgreSQL alike."""
    column = func.lower(func.translate(_Composed(column), _FROM, _TO))
    for spelling, plain in _SPELLINGS:
        column = func.replace(column, spelling, plain)
    return column


class SeveralTenants(Explained, LookupError):
    """Two or more tenants whose references differ from the typed one only in case; none is spelled as typed."""


def tenant_by_typed_ref(conn: Connection, typed: str) -> int | None:
    """The id of the tenant (not erased) whose reference is `typed` in any case; the one spelled exactly so when
    several are; None for none. Raises SeveralTenants when several match and none is spelled as typed."""
    rows = conn.execute(
        select(tenants.c.id, tenants.c.tenant_ref)
        .where(func.lower(tenants.c.tenant_ref) == func.lower(typed), tenants.c.status != "erased")
        .order_by(tenants.c.tenant_ref)
    ).all()
    exact = [row for row in rows if row.tenant_ref == typed]
    if exact:
        return int(exact[0].id)
    if len(rows) > 1:
        raise SeveralTenants(
            N_(
                "%(count)d tenants have this reference, each written with other capitals (%(refs)s): type it exactly "
                "as it is written."
            ),
            count=len(rows),
            refs=", ".join(str(row.tenant_ref) for row in rows),
        )
    return int(rows[0].id) if rows else None


def tenants_matching(conn: Connection, typed: str, limit: int) -> tuple[int, list[Any]]:
    """The tenants (not erased) whose phone number is `typed` (written as a person writes one: "20 12 34 56"), whose
    name holds it (from NAME_SHORTEST characters on) or whose reference is it, both `folded`: how many there are, and
    the first `limit` of them by name (id, name, tenant_ref, status)."""
    typed = " ".join(typed.split())
    live = tenants.c.status != "erased"
    number = e164(typed)
    by_number = tenants.c.phone == number if number is not None else None
    wanted = [by_number] if by_number is not None else []
    key = folded(typed)
    if len(key) >= NAME_SHORTEST:
        wanted.append(folded_sql(tenants.c.name).contains(key, autoescape=True))
    if key:
        wanted.append(folded_sql(tenants.c.tenant_ref) == key)
    if not wanted:
        return 0, []
    where = (live, or_(*wanted))
    count = int(conn.execute(select(func.count()).select_from(tenants).where(*where)).scalar_one())
    rows = conn.execute(
        select(tenants.c.id, tenants.c.name, tenants.c.tenant_ref, tenants.c.status)
        .where(*where)
        .order_by(tenants.c.name, tenants.c.tenant_ref)
        .limit(limit)
    ).all()
    return count, list(rows)
