"""The webhook's own reading of a form and of what Twilio signs agrees with the SDK's and the standard library's,
for any form: repeated names, repeated pairs, characters that need escaping."""

from __future__ import annotations

import base64
import hmac
from hashlib import sha1
from urllib.parse import parse_qsl, urlencode

from hypothesis import given
from hypothesis import strategies as st
from starlette.datastructures import FormData
from twilio.request_validator import RequestValidator

from bot.webhooks.twilio import parse_form, signature_base

URL = "https://keephome.example/webhooks/twilio/sms"
TOKEN = "12345678901234567890123456789012"

_names = st.sampled_from(["Body", "From", "To", "MessageSid", "NumMedia", "a b", "æ&=%+"])
_values = st.text(max_size=12)
_pairs = st.lists(st.tuples(_names, _values), max_size=12).flatmap(
    lambda pairs: st.just(pairs + pairs[:1])  # a pair sent twice, when there is one
)


@given(_pairs)
def test_the_signed_text_is_the_sdks(pairs: list[tuple[str, str]]) -> None:
    ours = hmac.new(TOKEN.encode(), signature_base(URL, pairs).encode(), sha1).digest()
    sdk = RequestValidator(TOKEN).compute_signature(URL, FormData(pairs))
    assert base64.b64encode(ours).decode() == sdk


@given(_pairs)
def test_a_form_reads_as_parse_qsl_reads_it(pairs: list[tuple[str, str]]) -> None:
    body = urlencode(pairs)
    assert parse_form(body) == parse_qsl(body, keep_blank_values=True)
