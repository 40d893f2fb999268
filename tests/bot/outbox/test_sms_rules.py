"""The SMS rules: amounts however written, debt and eviction stems inside words, typographic marks made plain."""

from __future__ import annotations

import pytest

from bot.outbox.sms_rules import (
    amount_like,
    costly_marks,
    forbidden_words_in,
    plain_punctuation,
    sms_overflow,
    sms_segments,
)


@pytest.mark.parametrize(
    ("text", "encoding", "segments"),
    [
        ("a" * 160, "GSM-7", 1),
        ("a" * 161, "GSM-7", 2),
        ("æøå ÆØÅ é", "GSM-7", 1),
        ("€" * 80, "GSM-7", 1),
        ("€" * 81, "GSM-7", 2),
        ("It’s", "UCS-2", 1),
        ("ş" * 71, "UCS-2", 2),
        ("🙂" * 35, "UCS-2", 1),
    ],
)
def test_sms_segments(text: str, encoding: str, segments: int) -> None:
    assert sms_segments(text) == (encoding, segments)


@pytest.mark.parametrize(
    ("text", "segments", "over"),
    [
        ("a" * 160, 1, 0),
        ("a" * 161, 1, 1),
        ("a" * 306, 2, 0),  # two parts of 153: each carries the header that joins them
        ("a" * 310, 2, 4),
        ("€" * 81, 1, 2),  # a mark of GSM-7's extension takes two septets
        ("ş" * 134, 2, 0),  # one letter outside GSM-7 makes the whole text UCS-2: 67 a part
        ("ş" + "a" * 135, 2, 2),
    ],
)
def test_sms_overflow_counts_what_a_text_is_longer_than_its_parts_hold(text: str, segments: int, over: int) -> None:
    assert sms_overflow(text, segments) == over


@pytest.mark.parametrize(
    ("text", "amount", "bare"),
    [
        ("Du skylder 2.500 kr", True, True),
        ("kr. 300 i dag", True, True),
        ("1 200,50 kr", True, True),
        ("300,- tak", True, True),
        ("resten 7.100,50", True, True),
        ("jeg kan betale 4500", False, True),
        ("2.500 på fredag", False, True),
        ("Ring 70 00 00 00 eller +4570000000", False, False),
        ("Din kode er 482913", False, False),
        ("man-fre 9-15", False, False),
        # The year of a date is no amount: the adviser is told of the date, not of a sum.
        ("ring inden 3. dec. 2026", False, False),
        ("ring før 3.12.2026 eller 3/12 2026", False, False),
        ("ring senest 2026-12-14", False, False),
        ("betal 2026 nu", False, True),
        # Other currencies, symbols, shorthand and amounts in words.
        ("500 euro", True, True),
        ("€500", True, True),
        ("$ 120 to us", True, True),
        ("Pay 6k asap", True, True),
        ("You still need to pay six thousand crowns", True, True),
        ("du mangler seks tusind kroner", True, True),
        ("Vi har 2 k-kort og en 4k-skærm, 3 km herfra", False, False),
        # Arabic and Eastern Arabic-Indic digits, the Arabic thousands separator, kroner and lira in Arabic and Turkish.
        ("ادفعي ٤٥٠٠", False, True),
        ("ادفعي ۴۵۰۰", False, True),
        ("ادفعي ٤٬٥٠٠", False, True),
        ("٣٠٠ كرونة", True, True),
        ("300 kron ödeyin", True, True),
        ("500 TL", True, True),
        ("اتصلي بنا على ٧٠٠٠٠٠٠٠", False, False),
    ],
)
def test_amounts_are_found_however_written(text: str, amount: bool, bare: bool) -> None:
    assert amount_like(text) is amount
    assert amount_like(text, bare_numbers=True) is bare


@pytest.mark.parametrize(
    "text",
    ["Du har restancen", "huslejerestance", "fogedretten", "Lejemålet er ophævet", "gælden", "Du skylder",
     "en rykker", "inkasso", "du bliver sat ud", "Send dit CPR", "cpr-nummer", "Din GÆLD", "udsættelse",
     "you owe us", "eviction notice", "the court",
     # The everyday ways of saying it, with no debt word in them.
     "du er bagud med huslejen", "vi har ikke modtaget din husleje", "du mangler at betale to måneder",
     "du kan miste din bolig", "you are behind on rent", "your rent is overdue", "you could lose your home",
     # Two words that say it together, wherever they stand.
     "huslejen for december mangler", "vi mangler stadig din indbetaling", "your rent is still missing",
     "your rent is late", "din lejlighed er i fare", "your home is at risk", "vi venter stadig på din indbetaling",
     "we are still waiting for your payment", "vi ses inden retsmødet", "Udkastelse kan ske",
     "the landlord can end the lease",
     # Danish letters as a keyboard without them writes them, and the bailiff as it is said.
     "din huslejegaeld", "din gaeld er stor", "fogden kommer", "din restanse skal betales", "vi haever lejemaalet",
     "Udsaettelse kan ske", "du kan blive saette ud", "vi ses inden retsmoedet", "din lejekontrakt haeves"],
)  # fmt: skip
def test_debt_and_eviction_stems_are_caught_inside_compounds_and_inflections(text: str) -> None:
    assert forbidden_words_in(text) != []


@pytest.mark.parametrize(
    "text",
    ["Fristen i brevet gælder stadig", "de gældende regler", "Undskyld, det forstod vi ikke", "det skyldes",
     "courtesy", "power", "Du kan sætte dig i kontakt med en rådgiver", "Ring til os i dag",
     "Vi har ikke modtaget dit svar", "Tak, vi har modtaget din husleje", "bagagen",
     "Så venter vi lidt med at skrive om huslejen", "Vi venter på dit svar", "I am running late for the home visit",
     "Tak for din betaling", "Her er et udkast til aftalen", "Fristen i brevet gaelder stadig",
     "du kan haeve pengene i morgen", "Tak for sidst, vi ses paa fredag"],
)  # fmt: skip
def test_words_that_only_look_like_them_pass(text: str) -> None:
    assert forbidden_words_in(text) == []


def test_debt_and_eviction_words_in_turkish_and_arabic_are_caught_too() -> None:
    assert forbidden_words_in("Kira borcunuz var") == ["borc"]
    assert forbidden_words_in("Tahliye kararı ve icra dairesi") == ["icra", "tahliye"]
    assert forbidden_words_in("لديك ديون للإيجار وقرار من المحكمة") == ["ديون", "محكمة"]
    assert forbidden_words_in("Merhaba, yarın görüşürüz. نراك في المدينة غدا") == []
    # A debt as it stands ("دين", not inside "لدينا", we have), the indebted, arrears typed without the hamza or with
    # vowel marks, in debt and overdue in Turkish; a capital "İ" as the lowered text keeps it.
    assert forbidden_words_in("ليلى، عليك دين كبير") == ["دين"]
    assert forbidden_words_in("أنت مدين لنا، وأنت مديونة") == ["ديون", "مدين"]
    assert forbidden_words_in("لديك متاخرات") == ["متأخرات"]
    assert forbidden_words_in("عليك دَين") == ["دين"]
    assert forbidden_words_in("Borçlu olduğunuz için. Ödemeniz gecikmiş") == ["borç", "gecikmiş"]
    assert forbidden_words_in("İCRA dairesi") == ["icra"]
    assert forbidden_words_in("لدينا موعد في المدينة") == []


def test_a_debt_word_without_danish_letters_is_named_as_the_list_and_the_text_spell_it() -> None:
    assert forbidden_words_in("Din huslejegaeld og fogden") == ["fogd", "gæld"]
    assert forbidden_words_in("Vi haever lejemaalet") == ["lejemaalet … haever"]
    assert forbidden_words_in("Vi hæver lejemålet") == ["lejemålet … hæver"]


def test_the_organisations_own_words_count_as_stems_too() -> None:
    assert forbidden_words_in("Din huslejeforhøjelse", ["forhøjelse"]) == ["forhøjelse"]
    assert forbidden_words_in("Din GÆLD er stor, og du bliver udsat.", ["gæld", "udsat"]) == ["gæld", "udsat"]


def test_typographic_quotes_dashes_and_the_ellipsis_become_plain_gsm_characters() -> None:
    assert plain_punctuation("It’s ‘fine’ – “really” — „so“ …") == 'It\'s \'fine\' - "really" - "so" ...'
    assert sms_segments(plain_punctuation("Det er ok’et. " * 11))[0] == "GSM-7"


@pytest.mark.parametrize(
    ("text", "marks"),
    [
        ("Tryk »1« for betalt.", ["»", "«"]),
        ("Ring til os på 70\xa000\xa000\xa000.", ["\xa0"]),
        ("Tak for din besked 🙂", ["🙂"]),
        ("Svar STOP • afmeld", ["•"]),
        # GSM-7 as it stands, extension characters too.
        ("Hej Amira, æøå é € [1]", []),
        # A letter outside GSM-7 makes the text UCS-2 anyway: its marks cost nothing more.
        ("مرحبا، أرسل STOP.", []),
        ("Merhaba Ayşe – STOP yazın.", []),
    ],
)
def test_costly_marks_are_what_alone_makes_a_text_ucs2(text: str, marks: list[str]) -> None:
    assert costly_marks(text) == marks
