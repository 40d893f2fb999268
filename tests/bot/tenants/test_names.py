"""A tenant is greeted by first name: the first word, or the first after the comma of a name written surname first."""

from __future__ import annotations

import pytest

from bot.tenants.names import first_name


@pytest.mark.parametrize(
    ("name", "first"),
    [
        ("Erik Hansen", "Erik"),
        ("Hansen, Erik", "Erik"),
        ("Fiktiv, Testperson", "Testperson"),
        ("Hansen,Erik Bo", "Erik"),
        ("Erik. Hansen", "Erik"),
        ("Hansen,", "Hansen"),
        ("  Amira  ", "Amira"),
        ("", ""),
    ],
)
def test_the_first_name_a_text_greets_by(name: str, first: str) -> None:
    assert first_name(name) == first
