"""What a proactive SMS costs: the housing organisation pays per segment, and the daily plan sends its reminders to
thousands of tenants at once. Every text keephome sends without the tenant writing first is one GSM-7 segment
(160 characters) in Danish and English, rendered as the service renders it with long but realistic values; a text
that cannot fit is pinned at its count, so it cannot grow."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli.check import SAMPLE_VALUES, VARIANTS
from bot.console.labels import VOLUNTEER_TEMPLATES
from bot.host.appointments import TEXTS as APPOINTMENT_TEXTS
from bot.outbox.render import Renderer
from bot.outbox.sms_rules import sms_segments
from bot.settings import Settings
from conversations.flow import Ask
from conversations.flows import FLOWS
from conversations.model import TRIGGERS

ROOT = Path(__file__).resolve().parents[3]
LANGUAGES = ("da", "en")

# Long but realistic: a 26-character organisation name (the bulk reminder fits while first name and organisation name
# together stay within 41 characters), an eleven-letter first name, the adviser's number as the settings hold it
# (E.164, shown as written), and every offer a text can carry (Telegram and SMS both on).
ORG_NAME = "Boligforeningen Vestervang"
FIRST_NAME = "Christoffer"
ADVISER_PHONE = "+4533120000"


def _reminder_openers() -> set[str]:
    """The first question of each flow the daily plan starts (a reminder), as it goes by SMS."""
    keys = set()
    for flow in FLOWS.values():
        first = flow.steps.get(flow.start)
        if flow.reminder and "sms" in flow.channels and isinstance(first, Ask):
            keys.add(first.template)
    return keys


PROACTIVE = sorted(
    {
        *_reminder_openers(),
        "common.nudge",  # an unanswered reminder, a day later
        "consent.ask",  # after the nudge at a consent question, the question again whole
        "payment_check.paid_registered",  # a re-import shows the rent paid: the waiting reminder ends with thanks
        "case.taken",  # an adviser takes the case, releases it (or leaves), or closes it
        "case.released",
        "case.closed",
        *APPOINTMENT_TEXTS,
        *VOLUNTEER_TEMPLATES,
    }
)

# Texts that cannot be one segment, at their count: (key, trigger or "*" for any).
PINNED = {
    # The court stage adds the adviser's number, the day to call and "a solution may still be found" to the four
    # answers and STOP; it goes to few tenants, one by one, never in bulk.
    ("payment_check.question", "court"): 2,
    # A consent is given to its full wording (who sees what, TILBAGEKALD/WITHDRAW), which names the organisation
    # twice; the nudge sends it again whole.
    ("consent.ask", "*"): 2,
    # An appointment's texts carry the agreed day and time, the organisation's name and (but the volunteer's
    # reminder) the number to call, and all but the cancellation a place: free text of up to 300 characters.
    ("appointment.booked", "*"): 2,
    ("appointment.moved", "*"): 2,
    ("appointment.reminder", "*"): 2,
    ("appointment.cancelled", "*"): 2,
    ("volunteer.appointment_reminder", "*"): 2,
}


def _renderer() -> Renderer:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, org_name=ORG_NAME, adviser_phone=ADVISER_PHONE, telegram_bot="keephome_bot"
    )
    return Renderer(ROOT / "templates", settings, telegram_on=True, sms_on=True)


def _segments(renderer: Renderer, key: str, language: str, trigger: str) -> list[tuple[str, int, str]]:
    """(encoding, segments, text) of each rendering of a text at a trigger, with and without the tenant's name."""
    found = []
    for variant in VARIANTS:
        for name in (FIRST_NAME, ""):
            values = {**SAMPLE_VALUES, **variant, "first_name": name, "trigger": trigger}
            text = renderer.render(key, values, language, "sms").text
            found.append((*sms_segments(text), text))
    return found


def _allowed(key: str, trigger: str) -> int:
    return PINNED.get((key, trigger)) or PINNED.get((key, "*")) or 1


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("key", PROACTIVE)
def test_a_proactive_sms_is_one_segment_unless_pinned(key: str, language: str) -> None:
    renderer = _renderer()
    for trigger in ("", *TRIGGERS):
        allowed = _allowed(key, trigger)
        for encoding, segments, text in _segments(renderer, key, language, trigger):
            assert encoding == "GSM-7", f"{language}/{key} ({trigger or 'no trigger'}) is UCS-2: {text!r}"
            assert segments <= allowed, (
                f"{language}/{key} ({trigger or 'no trigger'}): {segments} segments, {len(text)} characters "
                f"(allowed {allowed}): {text!r}"
            )


@pytest.mark.parametrize(("key", "trigger"), sorted(PINNED))
def test_a_pinned_text_still_needs_its_pin(key: str, trigger: str) -> None:
    """A pinned text that fits one segment in every language loses its pin, so it is held to one from then on."""
    assert key in PROACTIVE
    renderer = _renderer()
    triggers = ("", *TRIGGERS) if trigger == "*" else (trigger,)
    most = max(
        segments
        for language in LANGUAGES
        for t in triggers
        for _encoding, segments, _text in _segments(renderer, key, language, t)
    )
    assert most == PINNED[(key, trigger)], f"{key} ({trigger}) takes {most} segments now: change its pin"


def test_the_bulk_reminder_is_one_segment_at_every_stage_but_court() -> None:
    """The question each daily plan sends in bulk: one segment before the due day, after it, during a påkrav's
    deadline and at a promise's check, in each language; no pin may cover these stages."""
    renderer = _renderer()
    for language in LANGUAGES:
        for trigger in (t for t in TRIGGERS if t != "court"):
            [(_encoding, segments, text), *_] = _segments(renderer, "payment_check.question", language, trigger)
            assert segments == 1, (language, trigger, len(text), text)
