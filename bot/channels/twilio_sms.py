"""SMS through Twilio's REST API with the SDK's async client; every outcome becomes a SendResult.

A message is created through the SDK's API version object (`client.api.v2010.create_async`), the call its
`messages.create_async` ends in: the same request, authentication, base URL and error answers
(`TwilioRestException`, RFC 9457 problems), without the generated layer above it, which fills a 26-field
parameter set for every SMS and builds a `MessageInstance` (every field of the answer deserialised, its dates
parsed) of which only the sid is kept: about 30 µs a send of about 150 (bench/README.md, 2026-12-03).
"""

from __future__ import annotations

import base64
import logging
import re
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import replace
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode

import aiohttp
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.base.version import Version
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from bot.alarms import Alarm
from bot.channels.base import OutgoingMessage, SendResult
from bot.settings import Settings

__all__ = ["OPTED_OUT_CODE", "TwilioChannel", "classify_error", "form_body"]

log = logging.getLogger(__name__)

# The recipient replied STOP to this sender at the carrier: Twilio refuses every further message.
OPTED_OUT_CODE = 21610


# Refusals of keephome's own account, not of the message: wrong credentials (HTTP 401, 20003), a From number that is
# not valid, not SMS-capable or not the account's (21212, 21606, 21659), the destination's region not enabled
# (21408). Every message would fail the same way until the operator fixes the settings, so they wait and are retried
# (KEEPHOME_MAX_ATTEMPTS, about two hours) instead of failing for good at the first try, and an error says so.
ACCOUNT_CODES = frozenset({20003, 21212, 21408, 21606, 21659})
_ACCOUNT_ALARM = Alarm()


def classify_error(status: int | None, code: int | None) -> SendResult:
    """Turn Twilio's HTTP status and error code into an outcome the outbox understands."""
    error_code = str(code) if code is not None else (str(status) if status is not None else None)
    if code == OPTED_OUT_CODE:
        return SendResult("opted_out", error_code=error_code, detail="recipient opted out")
    if status == 401 or code in ACCOUNT_CODES:
        _account_refused(status, error_code)
        return SendResult("transient", error_code=error_code, detail=f"twilio refuses the account: http {status}")
    if status is None or status == 429 or status >= 500:
        return SendResult("transient", error_code=error_code, detail=f"twilio http {status}")
    return SendResult("permanent", error_code=error_code, detail=f"twilio http {status}")


def _account_refused(status: int | None, code: str | None) -> None:
    """Say, at most once a minute, that Twilio refuses the account's settings (every SMS waits meanwhile)."""
    if not _ACCOUNT_ALARM.due("account"):
        return
    log.error(
        "Twilio refuses keephome's account (http %s, code %s): check KEEPHOME_TWILIO_ACCOUNT_SID, "
        "KEEPHOME_TWILIO_AUTH_TOKEN and KEEPHOME_TWILIO_FROM (or _MESSAGING_SERVICE_SID); SMS wait and are tried again",
        status,
        code,
    )


# Twilio's Retry-After on the last answer this task received (seconds), read by TwilioChannel.send.
_RETRY_AFTER: ContextVar[float | None] = ContextVar("twilio_retry_after", default=None)


def _seconds(value: str | None) -> float | None:
    """Retry-After in seconds (Twilio sends a number of seconds); None when absent or not a number."""
    try:
        seconds = float(value) if value is not None else None
    except ValueError:
        return None
    return seconds if seconds is not None and 0 <= seconds <= 3600 else None


# quote_plus as it writes a form's value: unreserved characters as they are, a space as "+", every other byte of
# the UTF-8 as %XX. One regular-expression pass finds the few bytes to escape (an SMS's text is mostly letters).
_ESCAPED = re.compile(rb"[^A-Za-z0-9_.~ -]")
_PERCENT = tuple(b"%%%02X" % b for b in range(256))


def _escape(found: re.Match[bytes]) -> bytes:
    return _PERCENT[found[0][0]]


def _quote(text: str) -> str:
    return _ESCAPED.sub(_escape, text.encode()).replace(b" ", b"+").decode("ascii")


# The form's names, the values every SMS of a deployment repeats (its sender, the callback URL) and the tenants'
# numbers are quoted once; only the text is quoted each time.
_quote_repeated = lru_cache(maxsize=8192)(_quote)
_REPEATED = frozenset({"To", "From", "MessagingServiceSid", "StatusCallback"})


def form_body(data: Mapping[str, Any]) -> bytes:
    """The form as `urlencode(data, doseq=True)` writes it, in a few µs instead of ~50 for an SMS's form
    (quote_plus handles each character in Python, and every SMS quoted the same names and numbers again)."""
    if not all(isinstance(value, str) for value in data.values()):
        return urlencode(data, doseq=True).encode()
    return "&".join(
        f"{_quote_repeated(key)}={_quote_repeated(value) if key in _REPEATED else _quote(value)}"
        for key, value in data.items()
    ).encode()


class _BasicCredentials:
    """The account's Basic credentials as a ready header, in the SDK's credential-provider shape.

    Given a (sid, token) tuple the SDK builds `aiohttp.BasicAuth`, which aiohttp 3.14 deprecates;
    a provider makes the SDK send our own Authorization header instead.
    """

    def __init__(self, account_sid: str, auth_token: str) -> None:
        raw = f"{account_sid}:{auth_token}".encode()
        self._header = "Basic " + base64.b64encode(raw).decode("ascii")

    def to_auth_strategy(self) -> _BasicCredentials:
        return self

    def get_auth_string(self) -> str:
        return self._header

    def requires_authentication(self) -> bool:
        return True


class _QuietHttpClient(AsyncTwilioHttpClient):  # type: ignore[misc]
    """The SDK's async HTTP client (its one pooled aiohttp session) with our timeouts and without its eager logging.

    Its own `request` formats every header and URL for its INFO log whatever the level (at hundreds of sends a
    second that costs more than the HTTP call itself), keeps a copy of each request and answer for its tests, and
    gives aiohttp one number as the timeout: a connection that was never made and an answer that came too late
    were then the same `TimeoutError`, both "maybe sent". Here the connection (the pool's wait included) has its
    own limit, below the whole send's: aiohttp's `ConnectionTimeoutError` says nothing left, and the channel says
    the message was not sent.
    """

    def __init__(self, timeout: float) -> None:
        super().__init__(timeout=timeout)
        self._limits = _limits(timeout)

    async def request(
        self,
        method: str,
        url: str,
        params: Any = None,
        data: Mapping[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 (the SDK's signature: it passes one)
        allow_redirects: bool = False,
    ) -> Response:
        session: aiohttp.ClientSession = self.session
        if auth is not None:  # the channel's credential provider writes the header; a caller's own pair likewise
            headers = {**(headers or {}), "Authorization": aiohttp.BasicAuth(*auth).encode()}
        # The form as bytes: given a dict, aiohttp builds a multipart writer (and a uuid) per request only to send
        # it url-encoded, which costs more than the encoding itself.
        body = form_body(data) if isinstance(data, Mapping) else data
        if self.logger.isEnabledFor(logging.INFO):
            self.log_request({"method": method.upper(), "url": url, "params": params, "headers": headers})
        answer = await session.request(
            method.upper(),
            url,
            params=params,
            data=body,
            headers=headers,
            timeout=self._limits if timeout is None else _limits(timeout),
            allow_redirects=allow_redirects,
        )
        response = Response(answer.status, await answer.text(), answer.headers)
        if self.logger.isEnabledFor(logging.INFO):
            self.log_response(answer.status, response)
        # The SDK turns a 429 into an exception without its headers: keep Twilio's Retry-After for this send
        # (a context variable is per task, and each send runs in its own).
        _RETRY_AFTER.set(_seconds(answer.headers.get("Retry-After")) if answer.status == 429 else None)
        return response


def _limits(seconds: float) -> aiohttp.ClientTimeout:
    """The whole send within `seconds`; the connection made within half of it (at most 5 s, as for Telegram)."""
    return aiohttp.ClientTimeout(total=seconds, connect=min(5.0, seconds / 2))


# The Messages resource of API version 2010, as the SDK's MessageList names it, and the headers it sends.
_MESSAGES_URI = "/Accounts/{account_sid}/Messages.json"
_HEADERS = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}


class TwilioChannel:
    """The `sms` channel: one shared async HTTP client, opened in the running loop, no SDK retries."""

    name = "sms"

    def __init__(self, settings: Settings) -> None:
        if not settings.sms_enabled:
            raise ValueError("TwilioChannel needs KEEPHOME_TWILIO_ACCOUNT_SID and KEEPHOME_TWILIO_AUTH_TOKEN")
        self._settings = settings
        # A little below the outbox's own limit, so a slow send is reported here as transient.
        self._timeout = max(settings.send_timeout_seconds * 0.9, 0.1)
        self._client: Version | None = None
        self._uri = ""
        self._http: AsyncTwilioHttpClient | None = None

    async def start(self) -> None:
        """Create the client inside the running loop (aiohttp binds its session to it)."""
        if self._client is not None:
            return
        # max_retries stays unset: the outbox owns retries, with backoff and a durable record.
        sid, token = self._settings.twilio_account_sid or "", self._settings.twilio_auth_token or ""
        self._http = _QuietHttpClient(self._timeout)
        client = Client(sid, token, http_client=self._http, credential_provider=_BasicCredentials(sid, token))
        client.api.base_url = self._settings.twilio_api_url
        self._client = client.api.v2010
        self._uri = _MESSAGES_URI.format(account_sid=sid)

    async def stop(self) -> None:
        """Close the HTTP session."""
        http, self._http, self._client = self._http, None, None
        if http is not None:
            await http.close()

    def _form(self, message: OutgoingMessage) -> dict[str, str]:
        """The Messages resource's form, with the names and in the order the SDK's `messages.create` writes it."""
        form = {"To": message.address}
        if message.status_callback:
            form["StatusCallback"] = message.status_callback
        if self._settings.twilio_from:
            form["From"] = self._settings.twilio_from
        else:
            form["MessagingServiceSid"] = self._settings.twilio_messaging_service_sid or ""
        form["Body"] = message.text
        return form

    async def send(self, message: OutgoingMessage) -> SendResult:
        """Send one SMS; provider errors, timeouts and network trouble are returned, never raised."""
        if self._client is None:
            await self.start()
        assert self._client is not None
        try:
            created = await self._client.create_async(
                method="POST", uri=self._uri, data=self._form(message), headers=dict(_HEADERS)
            )
        except TwilioRestException as exc:
            result = classify_error(exc.status, exc.code)
            if exc.status == 429:
                result = replace(result, retry_after=_RETRY_AFTER.get())
        except TwilioException as exc:  # an RFC 9457 problem answer carries the same two facts
            result = classify_error(getattr(exc, "status", None), getattr(exc, "code", None))
        except aiohttp.ConnectionTimeoutError:  # no connection within its limit: nothing of the message left
            result = SendResult("transient", detail="timeout", maybe_sent=False)
        except TimeoutError:
            result = SendResult("transient", detail="timeout", maybe_sent=True)
        except (aiohttp.ClientError, OSError) as exc:
            # The exception's own words name what failed ("Cannot connect to host …"): the operator's first clue.
            said = f": {exc}" if str(exc) else ""
            # Only a connection never made is sure not to have carried the message.
            maybe = not isinstance(exc, aiohttp.ClientConnectorError)
            result = SendResult("transient", detail=f"network: {type(exc).__name__}{said}"[:200], maybe_sent=maybe)
        except ValueError as exc:  # a body that is not JSON, e.g. a proxy's error page with status 200
            result = SendResult("transient", detail=f"bad answer: {type(exc).__name__}", maybe_sent=True)
        else:
            sid = created.get("sid") if isinstance(created, dict) else None
            if not isinstance(sid, str) or not sid:
                result = SendResult("transient", detail="answer without a message sid", maybe_sent=True)
            else:
                result = SendResult("sent", provider_id=sid)
        # A send that went is in the message's row and in /metrics: its line only at DEBUG (a write to the log for
        # every message costs CPU under load: bench/README.md, 2026-12-03); every other outcome at INFO.
        log.log(
            logging.DEBUG if result.outcome == "sent" else logging.INFO,
            "sms outbox=%s outcome=%s code=%s sid=%s detail=%s",
            message.outbox_id,
            result.outcome,
            result.error_code,
            result.provider_id,
            result.detail,
        )
        return result
