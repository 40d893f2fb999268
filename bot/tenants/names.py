"""How messages and the console name a tenant: by first name only."""

from __future__ import annotations

__all__ = ["first_name"]

# What a name's first word may end with that is no part of the name ("Fiktiv, Testperson" read word by word).
_PUNCTUATION = ",.;:"


def first_name(name: str) -> str:
    """The first word of a tenant's name, as messages greet them. A name written surname first, as ledgers often
    export it ("Hansen, Erik"), gives the first word after its comma; never a comma or a full stop of the name's own
    ("Hi Hansen,, this is …")."""
    surname, comma, given = name.partition(",")
    words = (given if comma and given.split() else surname).split()
    if not words:
        return name.strip()
    return words[0].strip(_PUNCTUATION) or words[0]
