"""A stand-in for Twilio's REST API on 127.0.0.1: it records each posted message and answers like Twilio.

Besides scripted answers it can fail like a provider on a bad day: 5xx pages, 429 with a Retry-After
header, RFC 9457 problem documents, bodies that are not JSON, answers slower than the client waits (after
accepting the message), and connections dropped before or after accepting it. `Faults` picks such a failure
for a share of the requests, from a seeded random source.
"""

from __future__ import annotations

import asyncio
import base64
import random
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from twilio.request_validator import RequestValidator

__all__ = [
    "ACCOUNT_SID",
    "AUTH_TOKEN",
    "FROM_NUMBER",
    "Answer",
    "Faults",
    "Posted",
    "TwilioStandin",
    "credentials",
    "serve_standin",
    "sign",
    "twilio_standin",
]

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "f" * 32
FROM_NUMBER = "+4570102030"  # a valid number: the settings refuse any other sender


def credentials(standin: TwilioStandin) -> dict[str, str]:
    """The settings that point keephome's Twilio channel at this stand-in (`make_settings(url, **credentials(s))`)."""
    return {
        "twilio_account_sid": ACCOUNT_SID,
        "twilio_auth_token": AUTH_TOKEN,
        "twilio_from": FROM_NUMBER,
        "twilio_api_url": standin.url,
    }


def sign(url: str, params: Mapping[str, str], token: str = AUTH_TOKEN) -> str:
    """The X-Twilio-Signature Twilio would send for this URL and form."""
    return str(RequestValidator(token).compute_signature(url, dict(params)))


@dataclass(frozen=True)
class Posted:
    """One create request and what the stand-in did with it."""

    to: str
    from_: str | None
    messaging_service_sid: str | None
    body: str
    status_callback: str | None
    sid: str | None  # set when the message was accepted (whatever the client then heard)
    kind: str = "ok"  # the Answer's kind: ok, error, problem, raw, slow, reset
    at: float = 0.0  # time.monotonic() when the request arrived
    retry_after: int | None = None


@dataclass(frozen=True)
class Answer:
    """A scripted answer: an error status and Twilio error code, or a delay before answering, and more."""

    status: int = 201
    code: int | None = None
    message: str = ""
    delay: float = 0.0
    retry_after: int | None = None  # a Retry-After header, in seconds
    problem: bool = False  # an RFC 9457 problem document (application/problem+json) instead of Twilio's error
    raw: str | None = None  # a body that is not JSON (a proxy's page), sent with `status`
    reset: bool = False  # drop the connection instead of answering (after the delay)

    @property
    def accepts(self) -> bool:
        """Whether Twilio took the message (it goes to the phone whatever the client hears afterwards)."""
        return self.status < 400 and self.raw is None

    @property
    def kind(self) -> str:
        if self.reset:
            return "reset"
        if self.delay:
            return "slow"
        if self.raw is not None:
            return "raw"
        if self.problem:
            return "problem"
        return "ok" if self.status < 400 else "error"


@dataclass
class Faults:
    """Fail `rate` of the requests: each failure picks one of `kinds` evenly, then one answer of that kind.

    Seeded, so a run can be repeated; `per_number` caps the failures one recipient meets (a short retry tail).
    """

    rate: float
    kinds: tuple[tuple[Answer, ...], ...]
    per_number: int | None = None
    rng: random.Random = field(default_factory=lambda: random.Random(7))
    _met: Counter[str] = field(default_factory=Counter)

    def draw(self, to: str) -> Answer | None:
        if self.rng.random() >= self.rate:
            return None
        if self.per_number is not None and self._met[to] >= self.per_number:
            return None
        self._met[to] += 1
        return self.rng.choice(self.rng.choice(self.kinds))


@dataclass
class TwilioStandin:
    """The running server: `posted` holds every create request, `script` the next answers."""

    url: str = ""
    posted: list[Posted] = field(default_factory=list)
    script: list[Answer] = field(default_factory=list)
    faults: Faults | None = None
    unauthorised: int = 0
    # Run for each accepted message before the client hears the answer: what Twilio does meanwhile (a status
    # callback that comes before the sender has the sid).
    on_accept: Callable[[Posted], Awaitable[None]] | None = None

    @property
    def sent(self) -> list[Posted]:
        """Only the messages the stand-in accepted."""
        return [p for p in self.posted if p.sid is not None]

    def answer_next(self, *answers: Answer) -> None:
        """Queue answers for the next create requests; afterwards every request is accepted (or faulted)."""
        self.script.extend(answers)

    def _authorised(self, request: web.Request, account: str) -> bool:
        header = request.headers.get("Authorization", "")
        expected = "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
        return account == ACCOUNT_SID and header == expected

    def _next(self, to: str) -> Answer:
        if self.script:
            return self.script.pop(0)
        drawn = self.faults.draw(to) if self.faults is not None else None
        return drawn or Answer()

    async def create_message(self, request: web.Request) -> web.StreamResponse:
        """POST /2010-04-01/Accounts/{sid}/Messages.json"""
        arrived = time.monotonic()
        account = request.match_info["account"]
        if not self._authorised(request, account):
            self.unauthorised += 1
            return _error(401, 20003, "Authenticate")
        form = await request.post()
        answer = self._next(str(form.get("To", "")))
        sid = "SM" + uuid.uuid4().hex if answer.accepts else None
        posted = Posted(
            to=str(form.get("To", "")),
            from_=_opt(form.get("From")),
            messaging_service_sid=_opt(form.get("MessagingServiceSid")),
            body=str(form.get("Body", "")),
            status_callback=_opt(form.get("StatusCallback")),
            sid=sid,
            kind=answer.kind,
            at=arrived,
            retry_after=answer.retry_after,
        )
        self.posted.append(posted)  # recorded before any delay: an accepted message is out, however slow the answer
        if self.on_accept is not None and sid is not None:
            await self.on_accept(posted)
        if answer.delay:
            await asyncio.sleep(answer.delay)
        if answer.reset:
            assert request.transport is not None
            request.transport.abort()
            raise asyncio.CancelledError  # aiohttp stops handling a request whose connection is gone
        return _answer(answer, account, posted)


def _answer(answer: Answer, account: str, posted: Posted) -> web.Response:
    headers = {"Retry-After": str(answer.retry_after)} if answer.retry_after is not None else None
    if answer.raw is not None:
        return web.Response(status=answer.status, text=answer.raw, content_type="text/html", headers=headers)
    if answer.accepts:
        return web.json_response(_message_json(account, posted, posted.sid or ""), status=answer.status)
    if answer.problem:
        body = {
            "type": f"https://www.twilio.com/docs/errors/{answer.code}",
            "title": answer.message or "error",
            "status": answer.status,
            "code": answer.code,
            "detail": answer.message or "error",
        }
        return web.json_response(body, status=answer.status, content_type="application/problem+json", headers=headers)
    if answer.code is None:
        return web.Response(status=answer.status, text="<html>upstream error</html>", headers=headers)
    return _error(answer.status, answer.code, answer.message or "error", headers)


def _opt(value: Any) -> str | None:
    return None if value is None else str(value)


def _error(status: int, code: int, message: str, headers: Mapping[str, str] | None = None) -> web.Response:
    return web.json_response(
        {
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        },
        status=status,
        headers=headers,
    )


def _message_json(account: str, posted: Posted, sid: str) -> dict[str, Any]:
    return {
        "account_sid": account,
        "api_version": "2010-04-01",
        "body": posted.body,
        "date_created": "Thu, 01 Jan 2026 10:00:00 +0000",
        "date_sent": None,
        "date_updated": "Thu, 01 Jan 2026 10:00:00 +0000",
        "direction": "outbound-api",
        "error_code": None,
        "error_message": None,
        "from": posted.from_,
        "messaging_service_sid": posted.messaging_service_sid,
        "num_media": "0",
        "num_segments": "1",
        "price": None,
        "price_unit": "USD",
        "sid": sid,
        "status": "queued",
        "subresource_uris": {"media": f"/2010-04-01/Accounts/{account}/Messages/{sid}/Media.json"},
        "to": posted.to,
        "uri": f"/2010-04-01/Accounts/{account}/Messages/{sid}.json",
    }


@asynccontextmanager
async def serve_standin(standin: TwilioStandin | None = None) -> AsyncIterator[TwilioStandin]:
    """Serve a stand-in Twilio REST server on a free port of 127.0.0.1 for the block."""
    standin = standin or TwilioStandin()
    app = web.Application()
    app.router.add_post("/2010-04-01/Accounts/{account}/Messages.json", standin.create_message)
    runner = web.AppRunner(app, access_log=None, handler_cancellation=True)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    standin.url = f"http://127.0.0.1:{port}"
    try:
        yield standin
    finally:
        await runner.cleanup()


@pytest.fixture
async def twilio_standin() -> AsyncIterator[TwilioStandin]:
    """A stand-in Twilio REST server on a free port of 127.0.0.1 for one test."""
    async with serve_standin() as standin:
        yield standin
