"""The hash an account without a password is checked against (outside tests/bot/console, whose fixture makes it
cheap for speed)."""

from __future__ import annotations

import asyncio

from bot.console import accounts


def test_an_account_without_a_password_is_checked_at_the_cost_of_a_real_one() -> None:
    """The hash an account without a password (or an unknown e-mail) is checked against is kept, not made at import:
    it must stay at the hasher's own parameters, or a check against it would take another time than a wrong
    password does and tell the two apart."""
    assert not accounts._hasher.check_needs_rehash(accounts._DUMMY_HASH)
    assert not asyncio.run(accounts.verify_password(None, "keephome-not-a-password"))
