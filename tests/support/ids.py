"""Ids a test makes up, numbered: the same in every run, so a failure names the same ids when it is run again."""

from __future__ import annotations

from itertools import count

__all__ = ["MessageSids", "message_sid"]


def message_sid(n: int) -> str:
    """The nth made-up provider message id, in Twilio's shape: "SM" and 32 hex digits."""
    return f"SM{n:032x}"


class MessageSids:
    """Hands out `message_sid(1)`, `message_sid(2)`, …; a module restarts it for each test (an autouse fixture), so
    a test's ids do not depend on which tests ran before it in the same worker."""

    def __init__(self) -> None:
        self.restart()

    def restart(self) -> None:
        self._numbers = count(1)

    def __call__(self) -> str:
        return message_sid(next(self._numbers))
