"""The form an SMS is posted with is byte for byte what urlencode writes, whatever the text holds."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from hypothesis import given
from hypothesis import strategies as st

from bot.channels.twilio_sms import form_body

# Any text a tenant's message may hold: Danish and Arabic letters, emoji, spaces, the characters a form uses itself.
texts = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60) | st.sampled_from(
    ["", " ", "+&=%", "Hej Åse, 1.000 kr. på fredag? Svar JA/NEJ 🙂", "مرحبا", "a+b c&d=e%20f"]
)


@given(to=texts, body=texts, sender=texts, callback=texts)
def test_the_form_is_what_urlencode_writes(to: str, body: str, sender: str, callback: str) -> None:
    data = {"To": to, "Body": body, "From": sender, "StatusCallback": callback}
    encoded = form_body(data)
    assert encoded == urlencode(data, doseq=True).encode()
    assert form_body(data) == encoded  # quoted once, the same again
    assert parse_qsl(encoded.decode(), keep_blank_values=True) == list(data.items())


def test_a_value_that_is_not_text_is_written_as_urlencode_writes_it() -> None:
    data = {"To": "+4520123456", "MediaUrl": ["https://a.example/1.png", "https://a.example/2.png"], "Body": "Hej"}
    assert form_body(data) == urlencode(data, doseq=True).encode()
