"""The consent to share with a named recipient (share_consent) and the withdrawal word with several consents
(withdraw_choice), as pure conversations: what the tenant is shown and which events a yes, a no or a number make."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from conversations.commands import ConsentRef, TenantFacts, command
from conversations.engine import answers_while_held, resume, start
from conversations.flows import FLOWS
from conversations.model import (
    ButtonPressed,
    ClaimWithdrawn,
    ConsentGiven,
    ConsentWithdrawn,
    Context,
    FlowSettings,
    MessageRequested,
    TextReceived,
)
from conversations.state import State
from tests.conversations.transcript_play import FLOW_DATA, RENDERER

NOW = datetime(2026, 12, 3, 10, 0, tzinfo=ZoneInfo("Europe/Copenhagen"))
REQUEST = FLOW_DATA["share_consent"]


def _asked(channel: str = "telegram") -> State:
    state, events = start("share_consent", Context("Ana", "da", "telegram"), NOW, REQUEST)
    assert [e.template for e in events if isinstance(e, MessageRequested)] == ["share_consent.ask"]
    question = events[0]
    assert isinstance(question, MessageRequested)
    # The texts are given the recipient, the source, the kinds and the purpose; the wording is kept, not shown twice.
    assert {k: question.values[k] for k in ("recipient", "source", "kinds", "purpose", "recipient_kind")} == {
        k: REQUEST[k] for k in ("recipient", "source", "kinds", "purpose", "recipient_kind")
    }
    assert [c.key for c in question.choices] == ["yes", "no"]
    return state


def test_a_yes_on_telegram_gives_the_consent_with_everything_it_names() -> None:
    for answer in (TextReceived("ja", "telegram"), ButtonPressed("yes", "telegram")):
        state, events = resume(_asked(), answer, NOW)
        given = [e for e in events if isinstance(e, ConsentGiven)]
        assert given == [
            ConsentGiven(
                "share",
                "share-v3",
                recipient_kind="kommune",
                recipient=str(REQUEST["recipient"]),
                source=str(REQUEST["source"]),
                data_kinds=("rent_position", "letters", "household", "contact"),
                purpose=str(REQUEST["purpose"]),
                wording=str(REQUEST["wording"]),
                case_id=7,
                method="telegram",
            )
        ]
        assert state.end_reason == "share_consented"


def test_a_no_gives_nothing() -> None:
    state, events = resume(_asked(), ButtonPressed("no", "telegram"), NOW)
    assert not [e for e in events if isinstance(e, ConsentGiven)]
    assert state.end_reason == "declined"


def test_an_sms_yes_never_gives_a_consent_to_share() -> None:
    """Over SMS the question has no answers: "ja", "1" or a yes word are not understood, twice, and it ends."""
    assert FLOWS["share_consent"].channels == ("telegram",)
    for words in (("ja", "ja"), ("1", "JA"), ("yes", "jo")):
        state = _asked()
        events = []
        for text in words:
            state, more = resume(state, TextReceived(text, "sms"), NOW)
            events += more
        assert not [e for e in events if isinstance(e, ConsentGiven)], words
        assert state.end_reason == "not_understood"


def test_no_flow_or_keyword_a_tenant_can_start_gives_a_consent_to_share() -> None:
    """Only the adviser starts share_consent; every other way to a ConsentGiven is the organisation's own."""
    for name, flow in FLOWS.items():
        if name == "share_consent":
            continue
        for step in flow.steps.values():
            for option in getattr(step, "options", ()):
                assert all(type(effect).__name__ != "GiveShareConsent" for effect in option.effects), name


def test_the_adviser_s_question_and_the_withdrawal_s_choice_are_answered_while_held() -> None:
    assert answers_while_held(_asked())
    assert not answers_while_held(_asked(), active=False)  # a stopped tenant is not asked to share
    payment, _ = start("payment_check", Context("Ana", "da", "sms", "missed"), NOW)
    assert not answers_while_held(payment)


def _facts(consented: bool, *consents: ConsentRef, held: bool = False, channel: str = "sms") -> TenantFacts:
    return TenantFacts(
        first_name="Ana",
        language="da",
        channel="sms" if channel == "sms" else "telegram",
        status="active",
        consented=consented,
        held=held,
        conversation=None,
        languages=("da", "en"),
        telegram_on=True,
        settings=FlowSettings(),
        consents=consents,
    )


KOMMUNE = ConsentRef("kommune", "Aarhus Kommune, Ydelsescenter")
VOLUNTEERS = ConsentRef("volunteer_org", "Dansk Folkehjælp")


def test_the_withdrawal_word_with_two_consents_lists_both_and_withdraws_the_chosen_one_only() -> None:
    result = command("TILBAGEKALD", _facts(True, KOMMUNE, held=True), NOW)
    assert result is not None and result.started is not None
    (listed,) = [e for e in result.events if isinstance(e, MessageRequested)]
    assert listed.template == "consent.withdrawn_list"
    assert listed.values["recipients"] == "|Aarhus Kommune, Ydelsescenter"
    assert not [e for e in result.events if isinstance(e, ConsentWithdrawn)]  # nothing yet: the tenant chooses

    _, events = resume(result.started, TextReceived("2", "sms"), NOW)
    assert [e for e in events if isinstance(e, ConsentWithdrawn)] == [
        ConsentWithdrawn("share", "kommune", "Aarhus Kommune, Ydelsescenter")
    ]
    _, events = resume(result.started, TextReceived("1", "sms"), NOW)
    assert [e for e in events if isinstance(e, ConsentWithdrawn)] == [ConsentWithdrawn("adviser")]


def test_three_recipients_three_choices_and_a_fourth_number_is_not_one() -> None:
    result = command("TILBAGEKALD", _facts(True, KOMMUNE, VOLUNTEERS, channel="telegram"), NOW)
    assert result is not None and result.started is not None
    (listed,) = [e for e in result.events if isinstance(e, MessageRequested)]
    assert [c.key for c in listed.choices] == ["1", "2", "3"]
    state, events = resume(result.started, TextReceived("4", "telegram"), NOW)
    assert not [e for e in events if isinstance(e, ConsentWithdrawn)]
    state, events = resume(state, ButtonPressed("3", "telegram"), NOW)
    assert [e for e in events if isinstance(e, ConsentWithdrawn)] == [
        ConsentWithdrawn("share", "volunteer_org", "Dansk Folkehjælp")
    ]


def test_a_tenant_with_many_consents_sees_every_one_and_withdraws_any() -> None:
    units = [ConsentRef("kommune", f"Aarhus Kommune, enhed {n}") for n in range(1, 8)]
    result = command("TILBAGEKALD", _facts(True, *units, VOLUNTEERS, channel="telegram"), NOW)
    assert result is not None and result.started is not None
    (listed,) = [e for e in result.events if isinstance(e, MessageRequested)]
    assert [c.key for c in listed.choices] == [str(n) for n in range(1, 10)]  # ours, seven units, the volunteers
    shown = RENDERER.render(listed.template, listed.values, "da", "telegram", listed.choices)
    assert "9: Dansk Folkehjælp" in shown.text and "8: Aarhus Kommune, enhed 7" in shown.text
    assert shown.buttons[0] == ("Rådgiverne hos Boligselskabet", "1")
    assert shown.buttons[7:] == (("Aarhus Kommune, enhed 7", "8"), ("Dansk Folkehjælp", "9"))
    _, events = resume(result.started, TextReceived("8", "sms"), NOW)
    assert [e for e in events if isinstance(e, ConsentWithdrawn)] == [
        ConsentWithdrawn("share", "kommune", "Aarhus Kommune, enhed 7")
    ]
    _, events = resume(result.started, ButtonPressed("9", "telegram"), NOW)
    assert [e for e in events if isinstance(e, ConsentWithdrawn)] == [
        ConsentWithdrawn("share", "volunteer_org", "Dansk Folkehjælp")
    ]


def test_one_consent_is_withdrawn_at_once_as_today() -> None:
    only_ours = command("TILBAGEKALD", _facts(True), NOW)
    assert only_ours is not None and only_ours.started is not None
    assert only_ours.started.flow == "withdraw_consent"
    assert [e for e in only_ours.events if isinstance(e, ConsentWithdrawn)] == [ConsentWithdrawn("adviser")]

    only_kommune = command("TILBAGEKALD", _facts(False, KOMMUNE), NOW)
    assert only_kommune is not None and only_kommune.started is None
    assert [e for e in only_kommune.events if isinstance(e, ConsentWithdrawn)] == [
        ConsentWithdrawn("share", "kommune", "Aarhus Kommune, Ydelsescenter")
    ]

    nothing = command("TILBAGEKALD", _facts(False), NOW)
    assert nothing is not None
    assert [e.template for e in nothing.events if isinstance(e, MessageRequested)] == ["consent.nothing_to_withdraw"]


def test_an_sms_names_no_recipient_of_a_withdrawal_only_its_kind_and_telegram_names_them() -> None:
    """A debt-advice charity's or a kommune office's name in an SMS tells whoever holds the phone what the tenant is
    going through: over SMS the list and the confirmation say "kommunen" and "en frivillig forening"."""
    listed_sms = command("TILBAGEKALD", _facts(True, KOMMUNE, VOLUNTEERS), NOW)
    assert listed_sms is not None and listed_sms.started is not None
    (listed,) = [e for e in listed_sms.events if isinstance(e, MessageRequested)]
    sms = RENDERER.render(listed.template, listed.values, "da", "sms").text
    assert "1: rådgiverne hos" in sms and "2: kommunen\n3: en frivillig forening" in sms
    assert "Aarhus" not in sms and "Folkehjælp" not in sms
    _, events = resume(listed_sms.started, TextReceived("3", "sms"), NOW)
    (told,) = [e for e in events if isinstance(e, MessageRequested)]
    confirmed = RENDERER.render(told.template, told.values, "da", "sms").text
    assert "Vi giver ikke flere oplysninger om dig til foreningen." in confirmed and "Folkehjælp" not in confirmed
    telegram = RENDERER.render(listed.template, listed.values, "da", "telegram").text
    assert "Aarhus Kommune, Ydelsescenter" in telegram and "Dansk Folkehjælp" in telegram

    only_kommune = command("TILBAGEKALD", _facts(False, KOMMUNE), NOW)
    assert only_kommune is not None
    (told,) = [e for e in only_kommune.events if isinstance(e, MessageRequested)]
    confirmed = RENDERER.render(told.template, told.values, "en", "sms").text
    assert "We will not give your local council any more information" in confirmed and "Aarhus" not in confirmed


@pytest.mark.parametrize(
    ("choice", "standing", "said"),
    [
        # The kommune's yes taken back since the list was sent (on Telegram, say): its number chosen from the list.
        ("2", (True, VOLUNTEERS), "Du har allerede trukket det ja tilbage. Vi deler ikke mere om dig med kommunen."),
        # The advisers' yes ended since (a NEJ to the consent question): "1" chosen.
        ("1", (False, KOMMUNE, VOLUNTEERS), "Du har allerede trukket dit ja til os tilbage."),
    ],
)
def test_a_consent_chosen_from_the_list_after_it_was_taken_back_is_told_so(
    choice: str, standing: tuple[bool | ConsentRef, ...], said: str
) -> None:
    """ "Du har trukket dit ja tilbage" again, for a yes that no longer stood, told the tenant something just happened
    that had not: they hear it was taken back already, the list ends, and nothing is taken back twice."""
    listed = command("TILBAGEKALD", _facts(True, KOMMUNE, VOLUNTEERS), NOW)
    assert listed is not None and listed.started is not None
    consented, *refs = standing
    now_facts = replace(
        _facts(bool(consented), *(r for r in refs if isinstance(r, ConsentRef))), conversation=listed.started
    )
    result = command(choice, now_facts, NOW)
    assert result is not None and result.resumed is not None and result.resumed.ended
    assert not [e for e in result.events if isinstance(e, ConsentWithdrawn)]
    (told,) = [e for e in result.events if isinstance(e, MessageRequested)]
    assert told.template == "consent.withdrawn_already"
    assert said in RENDERER.render(told.template, told.values, "da", "sms").text
    # A yes that still stands is withdrawn as always: the list's own answer, no command.
    assert command("3", now_facts, NOW) is None


@pytest.mark.parametrize(("language", "text"), [("da", "kan ikke betale"), ("en", "I can't pay")])
def test_cannot_pay_at_the_share_question_takes_back_a_standing_promise(language: str, text: str) -> None:
    """Said while a consent to share is asked, "kan ikke betale" ends a promise made before, as at "when?"; no consent
    is read into it."""
    asked = replace(_asked(), language=language)
    state, events = resume(asked, TextReceived(text, "telegram"), NOW)
    assert [e for e in events if isinstance(e, ClaimWithdrawn)] == [ClaimWithdrawn()]
    assert not any(isinstance(e, ConsentGiven) for e in events)
    assert state.step == "share" and not state.ended
