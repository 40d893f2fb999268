"""What each staff session has been shown, so that pages that refresh themselves are audited for what is new."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable

from starlette.requests import Request

__all__ = ["SeenMessages", "seen_by_sessions"]


class SeenMessages:
    """What each session has been shown, per scope (a case's messages by the case id; the inbox's cases and
    tenants by "inbox"), so that a page that refreshes itself (the transcript's poller, `messages.json`; the
    inbox every 20 seconds) is audited whenever it shows something new, and not at every refresh.

    Kept per process and bounded: a session this process does not remember is audited again, never less.
    """

    def __init__(self, size: int = 5000) -> None:
        self._size = size
        self._seen: OrderedDict[tuple[str, int | str], set[int | str]] = OrderedDict()

    def unseen(self, session_id: str, scope: int | str, ids: Iterable[int | str]) -> list[int | str]:
        """The ids among these that this session has not been shown yet."""
        known = self._seen.get((session_id, scope), set())
        return [i for i in ids if i not in known]

    def shown(self, session_id: str, scope: int | str, ids: Iterable[int | str]) -> None:
        """Remember that these were shown (after the audit entry is written)."""
        key = (session_id, scope)
        self._seen.setdefault(key, set()).update(ids)
        self._seen.move_to_end(key)
        while len(self._seen) > self._size:
            self._seen.popitem(last=False)


def seen_by_sessions(request: Request) -> SeenMessages:
    state = request.app.state
    if not hasattr(state, "seen_messages"):
        state.seen_messages = SeenMessages()
    seen: SeenMessages = state.seen_messages
    return seen
