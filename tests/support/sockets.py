"""A listener that never lets a connection be made: how a send meets a host that does not answer in time."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator

__all__ = ["full_listener"]


@contextlib.contextmanager
def full_listener(port: int = 0) -> Iterator[int]:
    """A listener on `port` (any free one for 0) that accepts nothing, its backlog filled: Linux drops the next SYN,
    so a connection to it is never made and the client's connect timeout ends it. Yields the port."""
    listener = socket.socket()
    waiting: list[socket.socket] = []
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", port))
        listener.listen(0)
        port = listener.getsockname()[1]
        for _ in range(3):
            sock = socket.socket()
            waiting.append(sock)
            sock.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                sock.connect(("127.0.0.1", port))
        yield port
    finally:
        for sock in (listener, *waiting):
            sock.close()
