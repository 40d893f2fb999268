"""Security headers on every response: no MIME sniffing, a strict Content-Security-Policy on HTML, HSTS on https.

Every page's scripts and styles are files the app serves (`/console/static/…`, `/simulator/static/…`,
`/demo/static/…`), so the policy allows no inline script or style at all.
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["CONTENT_SECURITY_POLICY", "HSTS", "SecurityHeaders"]

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)
# A year; browsers keep to https for the host once they have seen it over https.
HSTS = "max-age=31536000"

Header = tuple[bytes, bytes]
_NOSNIFF: Header = (b"x-content-type-options", b"nosniff")
_HTML: tuple[Header, ...] = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
)
_HSTS: Header = (b"strict-transport-security", HSTS.encode())


class SecurityHeaders:
    """The ASGI middleware: adds the headers to each response that does not set them itself.

    Pure ASGI on raw header pairs, its headers encoded once: a response costs one look at its own headers and
    one new list, never a headers object.
    """

    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self.app = app
        self.hsts = hsts
        self._always: tuple[Header, ...] = (_NOSNIFF, _HSTS) if hsts else (_NOSNIFF,)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = self.secured(message.get("headers", ()))
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def secured(self, headers: Iterable[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
        """The response's headers and, after them, each of ours that it does not set itself."""
        out = list(headers)
        names = set()
        html = False
        for name, value in out:
            name = name.lower()
            names.add(name)
            if name == b"content-type" and value.startswith(b"text/html"):
                html = True
        for header in (*self._always, *_HTML) if html else self._always:
            if header[0] not in names:
                out.append(header)
        return out
