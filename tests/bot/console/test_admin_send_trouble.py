"""A provider keephome cannot reach, as the admin page tells it: what failed and what to check first, in the admin's
language, and the error the channel recorded kept below, for whoever runs keephome."""

from __future__ import annotations

import html
import re

import httpx
import pytest

from bot.channels.base import SendResult
from bot.console.delivery import explained
from bot.runtime import Runtime
from tests.support.console import add_case, add_tenant, post_form, signed_in
from tests.support.drive import FailingSandbox, daytime, drain

_REFUSED = "network: ClientConnectorError: Cannot connect to host api.twilio.com:443 ssl:default [Connection refused]"


def _sending_card(page: str) -> tuple[str, str]:
    """The sending card's words as read, and its technical detail (inside <details>) apart."""
    [card] = re.findall(r'<div class="card" id="sending">.*?</div>', page, flags=re.S)
    details = re.findall(r"<details.*?</details>", card, flags=re.S)
    words = re.sub(r"<details.*?</details>", " ", card, flags=re.S)
    flat = [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", part)).split()) for part in (words, " ".join(details))]
    return flat[0], flat[1]


async def test_an_unreachable_provider_is_told_in_danish_first_with_its_error_kept_apart(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    daytime(runtime)
    case_id = await add_case(runtime, await add_tenant(runtime, "R-1", phone="+4520000001"))
    await signed_in(runtime, client, role="admin", danish=True)
    sms = runtime.channels["sms"]
    assert isinstance(sms, FailingSandbox)
    sms.fail_next.append(SendResult("transient", detail=_REFUSED, maybe_sent=False))
    page = f"/console/cases/{case_id}"
    assert (await post_form(client, page, f"{page}/take", {})).status_code == 303
    await drain(runtime.sender)
    words, detail = _sending_card((await client.get("/console/admin")).text)
    assert "seneste grund: udbyderen kunne ikke nås;" in words, words
    assert "Tjek, at serveren kan nå den over netværket" in words and "KEEPHOME_TWILIO_API_URL" in words, words
    assert "KEEPHOME_TWILIO_AUTH_TOKEN" in words, words
    # The error itself is kept, once, but not in the words an admin reads first.
    assert "ClientConnectorError" not in words, words
    assert detail.startswith("Teknisk detalje") and detail.count("Cannot connect to host api.twilio.com:443") == 1


@pytest.mark.parametrize(
    ("reason", "channel"),
    [
        (_REFUSED, "sms"),
        ("bad answer: JSONDecodeError", "sms"),
        ("NetworkError: httpx.ConnectError: All connection attempts failed", "telegram"),
        ("TimedOut: Timed out", "telegram"),
    ],
)
def test_a_provider_out_of_reach_is_plain_words_and_the_recorded_error(reason: str, channel: str) -> None:
    assert explained(None, reason, channel) == ("the provider could not be reached", reason)


@pytest.mark.parametrize(
    ("reason", "channel", "words"),
    [("twilio http 503", "sms", "Twilio answered HTTP 503"), ("403", "telegram", "the tenant blocked the bot")],
)
def test_a_provider_that_answered_needs_no_detail_apart(reason: str, channel: str, words: str) -> None:
    said, detail = explained(None, reason, channel)
    assert said.startswith(words) and detail == ""
