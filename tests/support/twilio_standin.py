"""A stand-in for Twilio's REST API on 127.0.0.1: it records each posted message and answers like Twilio."""

from __future__ import annotations

import asyncio
import base64
import uuid
from collections.abc import AsyncIterator, Mapping
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
    "Posted",
    "TwilioStandin",
    "sign",
    "twilio_standin",
]

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "f" * 32
FROM_NUMBER = "+4512345678"


def sign(url: str, params: Mapping[str, str], token: str = AUTH_TOKEN) -> str:
    """The X-Twilio-Signature Twilio would send for this URL and form."""
    return str(RequestValidator(token).compute_signature(url, dict(params)))


@dataclass(frozen=True)
class Posted:
    """One message the stand-in accepted or refused."""

    to: str
    from_: str | None
    messaging_service_sid: str | None
    body: str
    status_callback: str | None
    sid: str | None


@dataclass(frozen=True)
class Answer:
    """A scripted answer: an error status and Twilio error code, or a delay before answering."""

    status: int = 201
    code: int | None = None
    message: str = ""
    delay: float = 0.0


@dataclass
class TwilioStandin:
    """The running server: `posted` holds every create request, `script` the next answers."""

    url: str = ""
    posted: list[Posted] = field(default_factory=list)
    script: list[Answer] = field(default_factory=list)
    unauthorised: int = 0

    @property
    def sent(self) -> list[Posted]:
        """Only the messages the stand-in accepted."""
        return [p for p in self.posted if p.sid is not None]

    def answer_next(self, *answers: Answer) -> None:
        """Queue answers for the next create requests; afterwards every request is accepted."""
        self.script.extend(answers)

    def _authorised(self, request: web.Request, account: str) -> bool:
        header = request.headers.get("Authorization", "")
        expected = "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
        return account == ACCOUNT_SID and header == expected

    async def create_message(self, request: web.Request) -> web.Response:
        """POST /2010-04-01/Accounts/{sid}/Messages.json"""
        account = request.match_info["account"]
        if not self._authorised(request, account):
            self.unauthorised += 1
            return _error(401, 20003, "Authenticate")
        form = await request.post()
        answer = self.script.pop(0) if self.script else Answer()
        if answer.delay:
            await asyncio.sleep(answer.delay)
        accepted = answer.status < 400
        sid = "SM" + uuid.uuid4().hex if accepted else None
        posted = Posted(
            to=str(form.get("To", "")),
            from_=_opt(form.get("From")),
            messaging_service_sid=_opt(form.get("MessagingServiceSid")),
            body=str(form.get("Body", "")),
            status_callback=_opt(form.get("StatusCallback")),
            sid=sid,
        )
        self.posted.append(posted)
        if not accepted:
            if answer.code is None:
                return web.Response(status=answer.status, text="<html>upstream error</html>")
            return _error(answer.status, answer.code, answer.message or "error")
        return web.json_response(_message_json(account, posted, sid or ""), status=answer.status)


def _opt(value: Any) -> str | None:
    return None if value is None else str(value)


def _error(status: int, code: int, message: str) -> web.Response:
    return web.json_response(
        {
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        },
        status=status,
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


@pytest.fixture
async def twilio_standin() -> AsyncIterator[TwilioStandin]:
    """A stand-in Twilio REST server on a free port of 127.0.0.1 for one test."""
    standin = TwilioStandin()
    app = web.Application()
    app.router.add_post("/2010-04-01/Accounts/{account}/Messages.json", standin.create_message)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    standin.url = f"http://127.0.0.1:{port}"
    yield standin
    await runner.cleanup()
