"""Keywords: whole-message only, case/accent/punctuation/emoji-insensitive, per enabled language."""

from __future__ import annotations

import pytest

from conversations.keywords import (
    Keyword,
    asks_about_cost,
    asks_about_my_data,
    asks_if_scam,
    asks_in_words,
    asks_what_adviser_is,
    asks_what_is_owed,
    classify,
    is_greeting,
    looks_like_stop_wish,
    looks_like_thanks,
    looks_like_who_question,
    says_withdrawal,
    says_wrong_number,
)

LANGS = ["da", "en"]


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("STOP", "opt_out"),
        ("stop", "opt_out"),
        ("  Stop! ", "opt_out"),
        ("STOP 🛑", "opt_out"),
        ("Stóp", "opt_out"),
        ("AFMELD", "opt_out"),
        ("afmeld.", "opt_out"),
        ("STOPALL", "opt_out"),
        ("UNSUBSCRIBE", "opt_out"),
        ("end", "opt_out"),
        ("quit", "opt_out"),
        ("START", "opt_in"),
        ("start!", "opt_in"),
        ("FORKERT NUMMER", "wrong_number"),
        ("forkert  nummer", "wrong_number"),
        ("Wrong number", "wrong_number"),
        ("HJÆLP", "help"),
        ("hjælp?", "help"),
        ("HELP", "help"),
        ("info", "help"),
        ("TILBAGEKALD", "withdraw_consent"),
        ("withdraw", "withdraw_consent"),
        ("ENGLISH", "language"),
        ("dansk", "language"),
        ("TELEGRAM", "telegram"),
        ("telegram!", "telegram"),
        # A stop word with only politeness around it, or repeated.
        ("Stop tak", "opt_out"),
        ("please stop", "opt_out"),
        ("afmeld mig", "opt_out"),
        ("STOP STOP", "opt_out"),
        ("Stop venligst!", "opt_out"),
    ],
)
def test_whole_message_keywords(text: str, kind: str) -> None:
    keyword = classify(text, LANGS)
    assert keyword is not None and keyword.kind == kind


@pytest.mark.parametrize(
    "text",
    [
        "send",
        "weekend",
        "stoppested",
        "jeg vil ikke stoppe",
        "stop med at skrive til mig",
        "stop, jeg har betalt",
        "nej stop",
        "start på måneden",
        "ja",
        "1",
        "",
        "🙂",
        "hjælp mig med huslejen",
        "العربية",
        "dur",
        "jeg har ikke telegram",
    ],
)
def test_not_a_keyword(text: str) -> None:
    assert classify(text, LANGS) is None


def test_language_word_switches_only_to_an_enabled_language() -> None:
    arabic = classify("العربية", ["da", "en", "ar"])
    assert arabic is not None and arabic.kind == "language" and arabic.language == "ar"
    assert classify("العربية", LANGS) is None
    keyword = classify("English", LANGS)
    assert keyword is not None and keyword.language == "en"


def test_other_languages_opt_out_words_work_when_enabled() -> None:
    assert classify("DUR", ["da", "tr"]) is not None
    assert classify("DUR", ["da"]) is None
    keyword = classify("توقف", ["da", "ar"])
    assert keyword is not None and keyword.kind == "opt_out"


@pytest.mark.parametrize("enabled", [["da"], ["en"], ["ar"]])
@pytest.mark.parametrize("text", ["WRONG NUMBER", "Forkert nummer!"])
def test_wrong_number_and_forkert_nummer_work_whatever_languages_are_on(text: str, enabled: list[str]) -> None:
    keyword = classify(text, enabled)
    assert keyword is not None and keyword.kind == "wrong_number"


@pytest.mark.parametrize(
    ("text", "wish"),
    [
        ("stop med at skrive til mig", True),
        ("Skriv ikke til mig mere", True),
        ("please stop texting me", True),
        ("jeg vil afmelde", True),
        ("jeg vil ikke stoppe", False),
        # A negation before the stop word, in English too, with a few words between: keep writing.
        ("i dont want to stop getting these", False),
        ("I do not want to unsubscribe", False),
        ("jeg ønsker ikke at afmelde", False),
        # But a negation elsewhere leaves the wish to stop a wish.
        ("I don't want these, stop", True),
        ("stop, jeg vil ikke have flere", True),
        ("stoppested", False),
        ("send pengene", False),
        ("STOP", False),
        ("ja tak", False),
        # The word typed in a hurry, alone: the hint says it (no opt-out on a guess).
        ("stpo", True),
        ("Afmled", True),
        ("unsubscrbe", True),
        ("sotp!", True),
        ("send", False),
        ("nej", False),
    ],
)
def test_looks_like_stop_wish(text: str, wish: bool) -> None:
    assert looks_like_stop_wish(text) is wish


@pytest.mark.parametrize(
    ("text", "thanks"),
    [
        ("Tak for hjælpen!", True),
        ("Mange tak 🙏", True),
        ("Thank you so much", True),
        ("ja tak", False),  # a yes
        ("nej tak", False),  # a no
        ("tak, men jeg kan ikke betale", False),  # something to hear
    ],
)
def test_looks_like_thanks(text: str, thanks: bool) -> None:
    assert looks_like_thanks(text) is thanks


@pytest.mark.parametrize(
    ("text", "greeting"),
    [("hej", True), ("Hej med dig!", True), ("hi there", True), ("hej, jeg har betalt", False), ("ja", False)],
)
def test_is_greeting(text: str, greeting: bool) -> None:
    assert is_greeting(text) is greeting


@pytest.mark.parametrize(
    "text",
    [
        "træk mit ja tilbage",
        "I take back my yes",
        "jeg vil tilbagekalde mit samtykke",
        "take my yes back",
        "jeg trækker mit samtykke tilbage",
        "revoke consent",
        "cancel my consent",
        "annuller mit samtykke",
        "jeg fortryder mit ja",
        "I no longer consent",
        "jeg giver ikke længere samtykke",
        "I don't consent anymore",
    ],
)
def test_a_yes_taken_back_in_own_words(text: str) -> None:
    assert says_withdrawal(text)


@pytest.mark.parametrize(
    "text",
    [
        # Something else taken back, with a yes elsewhere in the message.
        "min søn tager tilbage i morgen, ja",
        "I'll take it, yes, call me back",
        "can you take the reminder back? yes I paid",
        # A consent given, not taken back.
        "Jeg tager imod tilbuddet og giver samtykke. Ring tilbage",
        "I take the offer and give my consent, call me back",
        # A negation, after the verb as Danish puts it, or one of English's contractions.
        "Jeg trækker ikke mit ja tilbage",
        "træk ikke mit ja tilbage",
        "Jeg tilbagekalder ikke mit samtykke",
        "jeg vil ikk trække mit ja tilbage",
        "I won't take back my yes",
        "I didn't withdraw my consent",
        # A question, or the right spoken of.
        "kan jeg trække mit ja tilbage senere?",
        "yes. I know I can withdraw my consent anytime",
        "I need to withdraw money first",
        "cancel it, yes",
        "cancel the appointment, yes please",
        "jeg har ikke længere brug for hjælp, ja",
        "I consent, I no longer need to think",
    ],
)
def test_no_yes_is_taken_back_by_these(text: str) -> None:
    assert not says_withdrawal(text)


@pytest.mark.parametrize(
    "text",
    [
        "jeg vil ikke have at I læser mine beskeder mere",
        "Jeg vil ikke have, at du ser mine svar længere",
        "I må ikke se mine svar",
        "I ma ikke laese mine beskeder mere",
        "jeg vil ikke dele mine oplysninger alligevel",
        "jeg vil ikke have at rådgiveren ser mine oplysninger",
        "lad være med at læse mine beskeder",
        "stop med at læse mine svar",
        "læs ikke mine beskeder mere",
        "please dont read my messages anymore",
        "Please don't read my messages any more",
        "I do not want you to see my answers",
        "I don't want anyone to read my messages",
        "I don't want to share my information anymore",
        "you may not see my answers",
        "stop reading my messages",
        "do not share my details",
    ],
)
def test_a_wish_that_no_one_reads_or_sees_is_a_withdrawal(text: str) -> None:
    """ "I må ikke se mine svar": what the tenant's yes allowed, forbidden in their own words, takes the yes back."""
    assert says_withdrawal(text)


@pytest.mark.parametrize(
    "text",
    [
        # Someone asked TO read, or the tenant who cannot see or read their own messages.
        "læs mine beskeder",
        "I må gerne læse mine beskeder",
        "kan du læse mine beskeder?",
        "jeg kan ikke se mine beskeder",
        "jeg kan ikke læse mine beskeder",
        "jeg har ikke læst mine beskeder",
        "please read my messages",
        "I don't see my messages",
        "I can't read my messages",
        "I do not see my answers here",
        "you don't read my messages, do you",
        # A question, or a wish to stop messages (the stop hint's), not the reading of them.
        "må I ikke se mine svar?",
        "jeg vil ikke have flere beskeder",
        "I don't want your messages",
    ],
)
def test_reading_spoken_of_otherwise_is_no_withdrawal(text: str) -> None:
    assert not says_withdrawal(text)


@pytest.mark.parametrize("text", ["cancel it", "cancel it please", "end it", "quit it", "yes cancel it", "cancel tak"])
def test_the_carriers_other_words_opt_out_only_alone(text: str) -> None:
    """ "Cancel it" answers an appointment or a question; CANCEL, END and QUIT alone are the carrier's opt-out."""
    assert classify(text, LANGS) is None
    for word in ("CANCEL", "end", "Quit!"):
        keyword = classify(word, LANGS)
        assert keyword is not None and keyword.kind == "opt_out"


@pytest.mark.parametrize(
    ("text", "english"),
    [
        ("I don't speak Danish", True),
        ("sorry i cant understand danish", True),
        ("I can't really speak danish", True),
        ("I don't speak any Danish", True),
        ("No, I speak Danish", False),
        ("I speak Danish, no problem", False),
        ("I don't understand, please write in Danish", False),
        ("I can't read English, only Danish", False),
        ("I understand Danish, just not this letter", False),
        # Asked for English in English, on a basic phone.
        ("do you speak english", True),
        ("Do u speak English?", True),
        ("sorry no danish", True),
        ("translate please", True),
        ("I don't speak English", False),
        ("no, danish please", False),  # a no, then Danish wished for
        ("do you speak danish", False),
    ],
)
def test_not_reading_danish_said_in_english_switches_to_english(text: str, english: bool) -> None:
    keyword = classify(text, LANGS)
    assert (keyword is not None and keyword.kind == "language" and keyword.language == "en") is english


@pytest.mark.parametrize(
    ("text", "report"),
    [
        ("Forkert nummer, jeg hedder Peter", True),
        ("Du har fat i den forkerte person", True),
        ("Hej, du har fat i den forkerte", True),
        ("you sent this to the wrong number", True),
        ("jeg tror I har skrevet til det forkerte nummer", True),
        # The tenant's own mistake, an idiom, another clause, a question or a negation: no report (a wrong-number
        # report ends every message to the number for good).
        ("jeg har overført til forkert nummer", False),
        ("I paid to the wrong number", False),
        ("pengene gik til den forkerte person", False),
        ("I called the wrong number yesterday", False),
        ("do I have the wrong number for the adviser?", False),
        ("I har fat i den forkerte ende", False),
        ("Wrong, no I paid", False),
        ("forkert, nr 1", False),
        ("det er ikke et forkert nummer", False),
        ("it's not the wrong number, it's me", False),
        ("forkert nummer, jeg mente 1", False),
        ("wrong number, I meant 2", False),
    ],
)
def test_a_wrong_number_said_in_a_sentence(text: str, report: bool) -> None:
    assert says_wrong_number(text, LANGS) is report


@pytest.mark.parametrize(
    "text",
    [
        "Hvem skriver jeg med?",
        "er det en robot?",
        "Er du en robot",
        "er der et menneske der læser det her?",
        "er der et menneske der laeser det her",
        "er det en rigtig person?",
        "taler jeg med en robot?",
        "is this a real person?",
        "am I talking to a robot?",
        "are you a bot?",
        "is anyone reading this?",
        "who am I talking to?",
    ],
)
def test_asking_whether_a_person_or_a_robot_writes_is_a_who_question(text: str) -> None:
    assert looks_like_who_question(text)


def test_asking_who_writes_in_arabic_is_a_who_question_as_in_danish() -> None:
    """ "من انتم؟" ("who are you?") was not understood, while "hvem er I?" gets who writes and why."""
    for text in ("من انتم؟", "من أنتم", "مين انت؟", "hvem er I?"):
        assert looks_like_who_question(text), text


@pytest.mark.parametrize(
    "text", ["jeg vil gerne tale med et menneske", "er det en robot der har sendt mig påkravet", "I want a real person"]
)
def test_a_wish_for_a_person_is_no_who_question(text: str) -> None:
    assert not looks_like_who_question(text)


@pytest.mark.parametrize(
    "text", ["Hej hvad er det her for noget", "hvad handler det om", "Hvad går det ud på?", "what is it about"]
)
def test_asking_what_the_message_is_about_is_a_who_question(text: str) -> None:
    """ "Hvad er det her for noget" (no question mark, as a basic phone sends it) gets who writes and why, never "thank
    you for writing" and the consent question as if it told us something."""
    assert looks_like_who_question(text)


@pytest.mark.parametrize(
    "text",
    ["hvad er en rådgiver?", "Hvem er rådgiveren", "what is an adviser?", "What's an advisor", "who is the adviser"],
)
def test_asking_who_the_adviser_is_is_told_apart(text: str) -> None:
    assert asks_what_adviser_is(text)


@pytest.mark.parametrize(
    "text", ["ring til mig, rådgiver", "hvornår ringer rådgiveren?", "I want an adviser", "hvad er det"]
)
def test_a_wish_for_an_adviser_is_no_question_of_who_they_are(text: str) -> None:
    assert not asks_what_adviser_is(text)


@pytest.mark.parametrize(
    "text",
    [
        "hvad skylder jeg", "Hvor meget skylder jeg?", "how much do I owe", "How much do I owe?",
        "hej hvad skylder jeg",
        # Typed fast, with words said in passing, or in other words.
        "hva skylder jeg", "Hva skylder jeg?", "hvor meget skyldr jeg", "hvor meget skylder jeg i alt",
        "hvor meget skylder jeg egentlig nu", "how much do I owe in total", "how much do I still owe",
        "hvor meget er det jeg skylder", "hvor meget har jeg i restance", "skylder jeg noget?", "what is the amount",
        "how much is left to pay", "do I owe anything",
        # Turkish and Arabic, as typed with or without their letters.
        "Borcum ne kadar?", "ne kadar borçluyum", "ne kadar borcum var", "كم علي؟", "كم يجب أن أدفع؟",
    ],
)  # fmt: skip
def test_asking_how_much_is_owed_is_told_apart(text: str) -> None:
    assert asks_what_is_owed(text)


@pytest.mark.parametrize(
    "text",
    [
        "jeg ved hvad jeg skylder", "hvad skylder jeg? jeg betaler fredag", "I owe nothing", "jeg skylder 2000",
        "hvad skyldes det", "hva så", "hvor meget kan jeg betale", "skylder jeg noget til kommunen", "what is it",
    ],
)  # fmt: skip
def test_a_longer_message_about_what_is_owed_is_no_such_question(text: str) -> None:
    assert not asks_what_is_owed(text)


@pytest.mark.parametrize(
    "text",
    [
        "hvornår skal jeg betale",
        "Hej, hvad betyder det",
        "hvad sker der nu 🤔",
        "when do I pay",
        "what if I can't",
        # As typed fast: "hva" for "hvad", "wat" for "what".
        "hva så",
        "hva betyder det",
        "wat now",
    ],
)
def test_a_sentence_that_opens_with_a_question_word_asks_in_words(text: str) -> None:
    assert asks_in_words(text)


@pytest.mark.parametrize(
    "text",
    ["hvem er du, forkert nummer", "hvorfor skriver I? jeg har betalt", "hvad med fredag", "how about the 15th",
     "when I get paid", "hvad", "jeg ved ikke hvad jeg skal gøre", "hva med fredag"],
)  # fmt: skip
def test_a_question_word_beside_another_sentence_or_offering_a_day_is_no_question_in_words(text: str) -> None:
    assert not asks_in_words(text)


@pytest.mark.parametrize(
    "text",
    [
        "koster det noget", "koster det noget?", "Koster det penge", "hvad koster det", "er det gratis",
        "Er det gratis?", "er rådgivningen gratis", "koster det noget at tale med en rådgiver",
        "skal jeg betale for det",
        "hej, koster det egentlig noget?", "is it free", "Is this free?", "does it cost anything",
        "does it cost me anything?", "how much does it cost", "do I have to pay for the adviser", "is it free to call",
    ],
)  # fmt: skip
def test_asking_whether_the_help_costs_anything_is_told_apart(text: str) -> None:
    assert asks_about_cost(text)


@pytest.mark.parametrize(
    "text",
    [
        "det koster for meget", "det er ikke gratis at bo her", "gratis", "huslejen koster for meget",
        "skal jeg betale for huslejen", "I am free on friday", "koster det noget? jeg betaler fredag",
        "it costs too much",
    ],
)  # fmt: skip
def test_words_about_cost_that_ask_nothing_of_it_are_no_such_question(text: str) -> None:
    assert not asks_about_cost(text)


@pytest.mark.parametrize(
    "text",
    [
        "who is this? is this a scam?",
        "er det her svindel?",
        "er det snyd",
        "Er det her fup???",
        "det er spam",
        "er det falsk?",
        "er det rigtigt?",
        "er det ægte",
        "is this legit",
        "is this real?",
        "is it fraud?",
        "fake?",
        "hvem er I? er det svindel",
        "Bu dolandırıcılık mı?",
        "bu sahte mi",
        "gerçek mi",
        "هل هذا احتيال؟",
        "هل هذا حقيقي",
    ],
)
def test_a_tenant_who_fears_a_scam_asks_it(text: str) -> None:
    """ "Who is this? is this a scam?" got "we have your message", "er det her svindel?" "call us": both ask who
    writes, and are told so (`commands._who`)."""
    assert asks_if_scam(text)


@pytest.mark.parametrize(
    "text",
    [
        "jeg har betalt, er det her fup?",  # a payment told: the open question reads it
        "I paid, is this a scam?",
        "er det rigtigt at jeg skal betale 500",
        "rigtigt",  # a word of being real, not asked
        "real",
        "ja tak",
        "falsk alarm",
    ],
)
def test_a_message_that_tells_something_beside_a_scam_word_asks_no_scam_question(text: str) -> None:
    assert not asks_if_scam(text)


@pytest.mark.parametrize(
    ("text", "asked"),
    [
        ("what will you do with my info?", True),
        ("hvad gør I med mine oplysninger?", True),
        ("hvad bruger I mine svar til", True),
        ("what happens to my data", True),
        ("mine oplysninger er forkerte", False),  # told, not asked
        ("hvad gør I med det?", False),  # nothing of theirs named
    ],
)
def test_a_question_about_what_becomes_of_the_tenants_data(text: str, asked: bool) -> None:
    assert asks_about_my_data(text) is asked


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Danca bilmiyorum, Türkçe lütfen", "tr"),
        ("Türkçe yazar mısınız?", "tr"),
        ("Türkçe konuşun lütfen", "tr"),
        ("لا أتكلم الدنماركية، العربية من فضلك", "ar"),
        ("بالعربي من فضلك", "ar"),
        ("عربي لو سمحت", "ar"),
    ],
)
def test_a_language_asked_for_in_words_is_that_language_where_it_is_on(text: str, language: str) -> None:
    """ "Danca bilmiyorum, Türkçe lütfen" got a Danish reply: only the word TÜRKÇE alone switched."""
    assert classify(text, ["da", "en", "ar", "tr"]) == Keyword("language", language)
    assert classify(text, LANGS) is None  # off: an ordinary message


@pytest.mark.parametrize(
    "text", ["jeg taler ikke engelsk", "I dont speak English, only Danish", "Türkçe anlamiyorum", "Türkçe ve Arabic"]
)
def test_not_knowing_the_language_named_or_two_languages_named_ask_for_none(text: str) -> None:
    assert classify(text, ["da", "en", "ar", "tr"]) is None
