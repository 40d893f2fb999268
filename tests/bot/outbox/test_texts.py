"""Texts a tenant reads, word for word where the wording was chosen for a stressed reader on a basic phone: short
sentences, one "så" to a sentence, the same kind words for the same moment in every text."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.outbox.render import Renderer
from bot.settings import Settings
from conversations.model import Channel

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer(ROOT / "templates", Settings(_env_file=None))  # type: ignore[call-arg]


@pytest.mark.parametrize("channel", ["sms", "telegram"])
@pytest.mark.parametrize(
    ("key", "language", "text"),
    [
        # The adviser who had the case has let it go: said plainly (it read "no longer follows along in your case"), and
        # short enough that a long organisation name and the stop line still fit one SMS (the tenant knows who writes).
        (
            "case.released",
            "da",
            "Din rådgiver har ikke længere din sag. En anden økonomisk rådgiver tager over. "
            "Indtil da svarer vi dig her. {stop}",
        ),
        (
            "case.released",
            "en",
            "Your adviser no longer has your case. Another adviser will take over. "
            "Until then, we will answer you here. {stop}",
        ),
        # A number keephome does not know: one "så" to a sentence (it read "..., så ring til os på ..., så hjælper").
        (
            "unknown_number",
            "da",
            "Vi kan ikke finde dit nummer hos os. Er du lejer hos Boligselskabet, så ring til os på 70 00 00 00. "
            "Vi hjælper dig gerne.",
        ),
        # A part paid is thanked as the other texts thank ("Tak, fordi du ..."), with the comma before "at"/"fordi".
        (
            "payment_check.rest_when",
            "da",
            "Tak, fordi du har betalt en del. Hvornår kan du betale resten? Skriv fx fredag, i morgen eller den 15. "
            "Vil du hellere tale med en rådgiver, så skriv RÅDGIVER.",
        ),
    ],
)
def test_the_text_reads_as_chosen(renderer: Renderer, key: str, language: str, text: str, channel: Channel) -> None:
    stop = _STOP[(language, channel)]
    assert renderer.render(key, {}, language, channel).text == text.format(stop=stop)


# How a text sent unprompted says how to stop, on each channel (SMS answers, Telegram writes).
_STOP = {
    ("da", "sms"): "Svar STOP for at afmelde.",
    ("da", "telegram"): "Skriv STOP for at afmelde.",
    ("en", "sms"): "Reply STOP to unsubscribe.",
    ("en", "telegram"): "Send STOP to unsubscribe.",
}


def test_a_no_to_sharing_is_met_with_the_words_a_no_to_the_adviser_gets(renderer: Renderer) -> None:
    for language in ("da", "en"):
        declined = renderer.render("consent.declined", {}, language, "telegram").text
        shared = renderer.render("share_consent.declined", {}, language, "telegram").text
        assert shared.split(".")[0] == declined.split(".")[0], language


@pytest.mark.parametrize("language", ["da", "en", "ar", "tr"])
@pytest.mark.parametrize("channel", ["sms", "telegram"])
@pytest.mark.parametrize(
    "key",
    ["appointment.booked", "appointment.moved", "appointment.reminder", "volunteer.appointment_reminder"],
)
def test_a_place_that_ends_with_a_full_stop_gets_no_second_one(
    renderer: Renderer, key: str, language: str, channel: Channel
) -> None:
    """An address as people write it ("Skolevej 12, 2. th.") read "Sted: Skolevej 12, 2. th.. Ring til os"."""
    values = {"first_name": "Beta", "day": date(2027, 2, 24), "time": "14:30", "place": "Skolevej 12, 2. th."}
    values |= {"old_day": date(2027, 2, 22), "old_time": "10:00"}
    text = renderer.render(key, values, language, channel).text
    assert "Skolevej 12, 2. th." in text and "th.." not in text


@pytest.mark.parametrize("channel", ["sms", "telegram"])
@pytest.mark.parametrize(
    ("key", "values", "sentence"),
    [
        # English as English speakers write it, not Danish word for word ("reads along", "læser med").
        ("help_info.about", {}, "An adviser reads your answers only if you say yes."),
        ("consent.withdrawn", {"held": 1}, "But the adviser still reads what you write here now."),
        ("consent.withdrawn_one", {"held": 1, "recipients": "", "choose": "1"}, "But the adviser still reads what"),
        # The Danish says "you can also answer", not a bare order.
        ("common.question_asked", {"trigger": ""}, "You can also answer our question when you are ready."),
    ],
)
def test_the_english_reads_as_english(
    renderer: Renderer, key: str, values: dict[str, object], sentence: str, channel: Channel
) -> None:
    assert sentence in renderer.render(key, values, "en", channel).text  # type: ignore[arg-type]


@pytest.mark.parametrize("channel", ["sms", "telegram"])
def test_the_day_to_call_comes_before_the_number_as_in_every_other_danish_text(
    renderer: Renderer, channel: Channel
) -> None:
    """ "Ring til Boligselskabet i morgen på ..." as the reminder says it; it read "på 70 00 00 00 i morgen"."""
    values = {"trigger": "court", "call_on": "tomorrow", "first_name": "Amira"}
    text = renderer.render("common.question_asked", values, "da", channel).text  # type: ignore[arg-type]
    assert "Ring til Boligselskabet i morgen på 70 00 00 00, så taler vi om det." in text
    asked = renderer.render("payment_check.question", values, "da", channel).text  # type: ignore[arg-type]
    assert "i morgen på 70 00 00 00" in asked
