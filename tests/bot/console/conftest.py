"""The console tests' accounts use a cheap argon2 hash (tests/support/console.py); the stand-in hash checked
for an e-mail without an account is made as cheap, so both kinds of sign-in still cost the same here."""

from __future__ import annotations

import pytest

from bot.console import accounts
from tests.support.console import PASSWORD_HASH


@pytest.fixture(autouse=True)
def cheap_stand_in_hash(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(accounts, "_DUMMY_HASH", PASSWORD_HASH)
