"""A number as a person dials it from a printed postcard (`bot.phones.readable`)."""

from __future__ import annotations

import pytest

from bot.phones import readable


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("+4570102030", "70 10 20 30"),  # Danish: the national form, as Danes write it
        ("+45 33 12 00 00", "33 12 00 00"),
        ("+442079460000", "+44 20 7946 0000"),  # another country keeps its code
        ("kontoret", "kontoret"),  # what is no number stays as written
        ("+45123", "+45123"),
    ],
)
def test_a_printed_number_is_written_as_it_is_dialled(raw: str, shown: str) -> None:
    assert readable(raw) == shown
