"""Understanding answers as tenants write them: option words, hardship, dates and amounts, per language.

What a message means is read from its words after folding case and accents (æ→ae, ø→o, å→aa), expanding
contractions ("can't" → "can not", "ik" → "ikke"), undoing stretched letters ("jaaa") and correcting one
typo in the words that carry the meaning ("betlat" → "betalt", "frdag" → "fredag"). A negation near a pay
word turns it into its opposite ("har ikke betalt" is no payment). When several readings are present the
most telling wins (`PRECEDENCE`): a part already paid, a part payment, then a dated promise, then hardship,
and so on down to a plain yes. A date or an amount is read only when it can be placed; two different ones, or a
vague one ("næste uge", "halvdelen"), are not guessed.
"""

from __future__ import annotations

import re
from calendar import monthrange
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache
from itertools import pairwise

from conversations.keywords import asks_something, is_greeting, negated_stops
from conversations.text import normalize, one_edit

__all__ = [
    "PRECEDENCE",
    "TAG_WORDS",
    "asks_after_but",
    "asks_for_person",
    "cannot_pay_that_day",
    "dates_named",
    "emoji_reading",
    "fears_losing_home",
    "find_amount",
    "find_date",
    "fixed_dates_named",
    "leading_option",
    "names_several_days",
    "names_unplaced_day",
    "offers_nothing",
    "option_numbers",
    "parse_amount",
    "parse_date",
    "parse_number",
    "pick_tag",
    "plans_with_someone_else",
    "promises_day",
    "rest_day",
    "says_cannot_pay",
    "says_never",
    "says_no_day",
    "says_only",
    "says_yes_it_did",
    "sounds_in_crisis",
    "sounds_upset",
    "tells_hardship",
    "waits_for_pay",
    "word_count",
]

# Words and phrases that signal a reading (tag), per language, written as people type them; matched as whole
# words after folding. Every language also understands the Danish and English words (tenants mix them).
# Losing the home, in Danish and English: hardship told ("jeg bliver smidt ud"), or a worried question
# ("bliver jeg smidt ud?", `fears_losing_home`).
_HOME_LOST_DA = (
    "smidt ud", "smides ud", "smider mig ud", "sat ud", "sættes ud", "sætter mig ud", "udsat", "udsættelse",
    "fogeden", "fogedretten", "opsagt", "ophævet", "miste min bolig", "miste min lejlighed", "miste mit hjem",
    "mister min bolig", "mister min lejlighed", "mister mit hjem", "på gaden", "hjemløs",
)  # fmt: skip
_HOME_LOST_EN = (
    "evicted", "eviction", "evict", "kicked out", "thrown out", "lose my home", "lose my flat",
    "lose my apartment", "losing my home", "homeless", "on the street", "bailiff",
)  # fmt: skip

# "I lost my job" in Arabic (unreviewed): what happened (the reason) and, at the opening question, hardship, as the
# Danish and English job words are both.
_AR_LOST_JOB = (
    "خسرت شغلي", "خسرت عملي", "خسرت وظيفتي", "فقدت عملي", "فقدت وظيفتي", "فقدت شغلي", "بدون عمل", "بدون شغل",
)  # fmt: skip

TAG_WORDS: dict[str, dict[str, tuple[str, ...]]] = {
    "da": {
        "yes": ("ja", "jo", "jep", "jeps", "jepper", "jah", "jaja", "ja tak", "ok", "okay", "oki", "okej", "j", "gerne",
                "ja gerne", "jamen", "klart", "selvfølgelig"),
        "no": ("nej", "nej tak", "nix", "ikke nu", "ikke lige nu", "ingen hjælp", "ellers tak", "alt er fint",
               "klarer det selv",
               "klarer mig selv", "det klarer jeg selv", "vil ikke", "behøves ikke", "behøver ikke",
               # "Det klarer jeg" is "klarer det selv" said short ("det klarer jeg ikke" is hard: hardship outranks).
               # "Alt er ok" and the like are read apart (`_ALL_WELL`): asked, they are no answer.
               "ikke interesseret", "helst ikke", "det klarer jeg", "jeg klarer det", "jeg klarer mig"),
        "help": ("hjælp", "hjelp", "hjælpe", "brug for hjælp"),
        "paid": ("betalt", "betalte", "indbetalt", "overført", "overførte", "har sendt pengene", "sendt pengene",
                 "pengene er sendt", "sendt huslejen", "huslejen er sendt"),
        "will_pay": ("betaler", "betale", "betal", "indbetaler", "overfører", "får betalt", "snart", "efter lønnen",
                     "efter løn", "når jeg får løn", "når jeg får penge", "når jeg får pengene", "når lønnen kommer",
                     "næste uge", "glemt det", "glemte det", "snarest", "hurtigst muligt",
                     "glemt huslejen", "glemte huslejen"),
        # Asked when they can pay: they do not know (heard, as "I cannot pay" is, and help is offered).
        "unsure": ("ved ikke", "ved det ikke", "det ved jeg ikke", "aner det ikke", "aner ikke", "ikke sikker",
                   "usikker", "ved ik"),
        # Words that only mean a part when a pay word stands in the same clause (see _PART_WITH_PAY).
        "part": ("delvist", "delvis", "noget af det", "en del af det", "lidt af det", "ikke det hele", "ikke hele",
                 "ikke alt", "resten", "en rate", "afdrag"),
        "hardship": (
            "ingen penge", "ingen peng", "ikke nogen penge", "ikke penge", "ikke flere penge", "ikke nok penge",
            "penge nok", "ingen indkomst", "ingen løn", "ikke fået løn", "ikke råd", "ikke rad", "slår ikke til",
            "rækker ikke", "raekker ikke", "rækker ik", "ikke nok",
            "mine penge er væk", "pengene er væk", "flad", "fattig", "gæld", "svært", "svaert", "hård", "hårdt",
            "problemer", "krise", "kan ikke klare", "klarer det ikke", "klarer jeg ikke",
            "klarer mig ikke", "mistet mit job", "mistet mit arbejde",
            "mistet jobbet", "mistet arbejdet", "mistede mit job", "mistede mit arbejde", "fyret", "afskediget",
            "arbejdsløs", "ledig", "uden arbejde", "uden job", "ikke kunnet arbejde", "syg", "syge", "sygdom",
            "sygemeldt", "indlagt", "hospital", "hospitalet", "sygehus", "sygehuset", "operation", "stress", "stresset",
            "depression", "psykisk", "ikke kommet",
            "ikke udbetalt", "forsinket", "skilsmisse", "begravelse",
            # Afraid of losing the home ("jeg bliver smidt ud"): what is hard, told, never a wrong answer.
            *_HOME_LOST_DA,
        ),
        "adviser": ("rådgiver", "radgiver", "rådgivning", "ring", "ringe", "ringer", "ring til mig", "ring mig op",
                    "ringes op", "tale med", "snakke med", "person", "menneske"),
        "info": ("info", "information", "hvilken hjælp", "hvilke muligheder", "muligheder", "hvad findes",
                 "hjælp findes"),
        # "Send koden (på sms)": the code that links the app asked for, a yes to the offer.
        "telegram": ("telegram", "send koden", "send mig koden"),
        # SMS named as the way to write ("helst sms", "sms tak"): offered Telegram instead, a no thanks (never the app).
        "sms": ("sms", "smser", "sms'er", "sms'e", "tekstbesked", "tekstbeskeder"),
        # Not "job" or "arbejde" alone: "jeg er syg og kan ikke arbejde", "nyt job, men lønnen kommer først d. 30".
        "lost_job": ("mistet", "mistede", "fyret", "afskediget", "arbejdsløs", "ledig", "mistet mit job",
                     "mistet mit arbejde", "uden arbejde", "uden job"),
        "illness": ("syg", "syge", "sygdom", "sygemeldt", "indlagt", "hospital", "hospitalet", "sygehus"),
        "benefits_delayed": ("ydelse", "ydelsen", "kontanthjælp", "kontanthjælpen", "dagpenge", "dagpengene",
                             "pension", "pensionen", "su", "boligstøtte", "boligstøtten", "a-kasse", "akasse"),
        "unexpected_expense": ("uventet", "uventede", "regning", "regninger", "udgift", "udgifter", "tandlæge",
                               "reparation"),
        "other_reason": ("andet", "noget andet", "andre ting"),
    },
    "en": {
        "yes": ("yes", "y", "yeah", "yep", "yup", "ok", "okay", "sure", "of course", "please do", "yes please", "ya",
                "yea", "yh", "agree", "i agree", "agreed", "go ahead", "absolutely"),
        "no": ("no", "n", "nope", "no thanks", "no thank you", "not now", "all good", "i am fine", "do not want",
               "not interested", "nah", "all fine", "everything is fine"),
        "help": ("help", "need help"),
        "paid": ("paid", "payed", "transferred", "already paid", "sent the money", "money sent", "money is sent",
                 "money has been sent", "sent the rent", "rent sent", "sent the payment", "payment sent"),
        "will_pay": ("pay", "paying", "will pay", "transfer", "soon", "next week", "payday", "i forgot", "forgot it",
                     "forgot the rent"),
        "unsure": ("dont know", "do not know", "not sure", "no idea", "unsure", "idk", "dunno", "no clue"),
        "part": ("partly", "partially", "partial", "some of it", "part of it", "not all", "not the full",
                 "not the whole", "the rest"),
        "hardship": (
            "no money", "not any money", "not have the money", "not have money", "not enough money", "no cash",
            "broke", "no income", "not afford", "lost my job", "lost job", "lost the job", "lost my work",
            "fired", "laid off", "redundant", "unemployed", "out of work", "jobless", "sick", "ill", "illness",
            "hospital", "stress", "depression", "struggling", "struggle", "hard time", "difficult", "debt",
            "not arrived", "delayed", "not enough",
            *_HOME_LOST_EN,
        ),
        "adviser": ("adviser", "advisor", "advice", "call", "call me", "phone me", "ring me", "talk", "speak",
                    "someone", "somebody", "person"),
        "info": ("info", "information", "what help", "options", "what can you do"),
        "telegram": ("telegram", "send the code", "send me the code"),
        "sms": ("sms", "text", "texts", "texting", "text message", "text messages"),
        "lost_job": ("lost my job", "lost job", "lost my work", "fired", "laid off", "unemployed", "redundant",
                     "out of work", "no job"),
        "illness": ("sick", "ill", "illness", "hospital"),
        "benefits_delayed": ("benefits", "benefit", "pension", "late", "delayed"),
        "unexpected_expense": ("unexpected", "bill", "bills", "expense", "expenses", "repair"),
        "other_reason": ("other", "something else", "else"),
    },
    "ar": {
        "yes": ("نعم", "ايوه", "أيوه", "اي"),
        "no": ("لا", "لا أريد", "لا أحتاج", "لا أوافق"),
        "help": ("مساعدة",),
        # The menu's own words typed back ("سأدفع", "اتصلوا بي"), as its numbers are; its "دفعت" only alone or with what
        # was paid or when (`_PAID_AR_TOLD`).
        "paid": ("لقد دفعت", "تم الدفع"),
        "will_pay": ("سأدفع", "سوف أدفع"),
        "adviser": ("اتصلوا بي", "اتصل بي", "مستشار"),
        # The menu's "4 أي مساعدة؟" (what help?) typed back, and the Telegram button's words.
        "info": ("أي مساعدة", "اي مساعدة", "ما المساعدة", "ما المساعدة المتاحة"),
        "hardship": ("لا أستطيع الدفع", "لا أستطيع أن أدفع", "لا أقدر أدفع", "لا يمكنني الدفع", "ليس لدي مال",
                     "ليس معي مال", "لا أملك المال", "ما عندي فلوس", "ما معي فلوس",
                     # Not paid ("ما دفعت"): never the "دفعت" of the menu.
                     "ما دفعت", "لم أدفع", *_AR_LOST_JOB),
        "lost_job": _AR_LOST_JOB,
    },
    "tr": {
        "yes": ("evet", "tamam", "olur"),
        "no": ("hayir", "yok", "gerek yok", "ihtiyacim yok", "istemiyorum"),
        "help": ("yardim",),
        "paid": ("odedim", "odendi"),
        # The menu's own words typed back ("Öderim", "Beni arayın"), as its numbers are.
        "will_pay": ("oderim", "odeyecegim"),
        "adviser": ("beni arayin", "beni arayın", "danisman", "danışman"),
        # The menu's "4 Hangi yardım?" (what help?) typed back, and the Telegram button's words.
        "info": ("hangi yardim", "hangi yardımlar", "ne yardim"),
        "hardship": ("param yok", "para yok", "odeyemiyorum", "odeyemem", "odeyemeyecegim", "odemedim"),
    },
}  # fmt: skip

# When a message carries several readings, the first of these the question offers wins. A promise with a
# date it can place comes before hardship ("har ikke betalt endnu, men betaler fredag"); without one it
# comes after paid.
PRECEDENCE = (
    "paid_part",
    "part_rest",
    "part",
    "will_pay",
    "hardship",
    "adviser",
    "paid",
    "info",
    "help",
    "no",
    "sms",
    "yes",
    "illness",
    "lost_job",
    "benefits_delayed",
    "unexpected_expense",
    "other_reason",
    "telegram",
    "unsure",
)
# Without a date a promise says less than "I have paid".
_UNDATED_PRECEDENCE = ("paid_part", "part", "hardship", "adviser", "paid", "will_pay", *PRECEDENCE[7:])

# Part words that need a pay word in their clause ("har betalt en del", not "jeg har en del regninger").
# In instalments ("kan jeg betale i rater?", "can I pay in installments"): a part at a time, help offered as for a part.
_PART_WITH_PAY = ("en del", "noget", "halvdelen", "halvt", "halv", "kun lidt", "betalt lidt", "betale lidt nu",
                  "half", "part", "a part", "pay some", "paid some", "i rater", "in installments", "in instalments",
                  "installments", "instalments")  # fmt: skip
_PAY_WORDS = frozenset({
    "betale", "betaler", "betalt", "betalte", "betal", "indbetale", "indbetaler", "indbetalt", "overfore",
    "overforer", "overfort", "overforte", "pay", "paid", "paying", "payed", "afford", "transfer",
    "transferred",
})  # fmt: skip
# The pay words that say a payment was made ("har betalt en del": a part paid, not a part offered).
_PAID_WORDS = frozenset({
    "betalt", "betalte", "indbetalt", "overfort", "overforte", "paid", "payed", "transferred",
})  # fmt: skip
_NEGATIONS = frozenset({"ikke", "aldrig", "not", "never", "unable"})
# "kan ikke betale FØR fredag" / "can't pay UNTIL friday": a promise for that day, not hardship.
_UNTIL = frozenset({"for", "foer", "inden", "til", "indtil", "before", "by", "until", "till"})
_AFTER = frozenset({"efter", "after"})
# A message that is only "I can't" answers "do you need help with the rent?" with hardship.
# A no said strongly, as the whole message ("slet ikke", "not at all"): within a longer one ("jeg kan slet ikke
# betale") these words say something else.
# Done, said as the whole answer about the rent ("det er ordnet", "done"): it is paid. Within a longer message ("jeg har
# ikke gjort noget forkert") these words say something else.
_PAID_WHOLE = frozenset({
    "det er ordnet", "ordnet", "er ordnet", "det er klaret", "klaret", "er klaret", "det er gjort", "det har jeg gjort",
    "har gjort det", "jeg har gjort det", "fikset", "fixet", "det er fikset", "det er fixet", "done", "all done",
    "it is done", "done it", "i have done it", "sorted", "all sorted", "it is sorted",
})  # fmt: skip
# The Arabic menu's "paid" ("دفعت") typed back, or said with what was paid or when ("دفعت الإيجار", "دفعت اليوم",
# "دفعت الإيجار أمس"), as "jeg har betalt i dag" is (unreviewed). With more it may say a part ("دفعت نصف الإيجار",
# "دفعت 3000 والباقي الشهر القادم") or ask ("هل دفعت؟"): no claim to have paid it all.
_PAID_AR = "دفعت"
_PAID_AR_TOLD = frozenset({"الايجار", "اليوم", "امس", "البارحة"})
_NO_WHOLE = frozenset({
    "slet ikke", "absolut ikke", "overhovedet ikke", "på ingen måde", "bestemt ikke", "not at all", "absolutely not",
    "definitely not", "certainly not", "no way", "of course not",
    # Never, as the whole answer: a no said strongly ("do you need help?", "may an adviser see your answers?").
    "aldrig", "nej aldrig", "aldrig nogensinde", "never", "no never", "never ever",
    # "I'm ok" is a no thanks only as (nearly) all that is said: "yes I'm ok with that" agrees.
    "i am ok", "i am okay", "i am good", "i am ok thanks", "i am okay thanks", "i am good thanks", "i am ok thank you",
    "i am okay thank you", "i am good thank you", "no i am ok", "no i am good", "nah i am ok", "nah i am good",
})  # fmt: skip
# "Fint", "det er fint med mig": a yes only as (nearly) all that is said. Beside a no ("nej, det er fint") it is a no
# thanks, and in a longer message ("jeg har det fint", "det går ikke så fint") it says how the tenant is.
_YES_WHOLE = frozenset({
    "fint", "det er fint", "helt fint", "det er helt fint", "fint med mig", "det er fint med mig", "fint for mig",
    "det er fint for mig",
})  # fmt: skip
# All is well, said: a no thanks, never "ok, call me". Asked ("alt i orden?", "er alt i orden"), it is no answer.
_ALL_WELL = ("alt er ok", "alt ok", "alt er godt", "alt i orden", "alt er i orden")
_ASKED_BEFORE = frozenset({"er", "is"})
_HARDSHIP_WHOLE = frozenset({
    "kan ikke", "jeg kan ikke", "kan ikke nu", "det kan jeg ikke", "kan jeg ikke", "can not", "i can not", "not able",
    # "Ikke endnu" answers "Betalt?" as "har ikke betalt endnu" does.
    "ikke endnu", "nej ikke endnu", "not yet", "no not yet", "ok ikke endnu", "ok not yet", "okay not yet",
    "nope not yet",
    # Not able to say, or to do it at all: asked when they can pay, or whether they need help.
    "det kan jeg ikke sige", "kan jeg ikke sige", "kan ikke sige", "kan ikke sige det", "jeg kan ikke sige det",
    "umuligt", "det er umuligt", "ikke muligt", "det er ikke muligt", "i can not say", "can not say", "not possible",
    "impossible", "it is impossible", "it is not possible",
})  # fmt: skip
# No idea, as the whole answer, or of when: not knowing. Followed by anything else ("ingen anelse hvad I mener", "ingen
# anelse hvem I er") it is the tenant's own question, not an answer.
_UNSURE_WHOLE = frozenset({"ingen anelse", "ingen anelse om hvornår", "ingen anelse hvornår"})
# Around those whole answers, a no before them and words of regret anywhere leave them what they are: "nej, det kan jeg
# ikke", "no I can't", "det kan jeg desværre ikke", "sorry, I can't".
_NO_BEFORE = frozenset({"nej", "nix", "no", "nope", "nah"})
_REGRET = frozenset({"desvaerre", "sorry", "unfortunately"})
# A no and nothing more, courtesy and regret aside ("nej", "aldrig", "nej desværre", "never", "no sorry"): asked when
# they can pay, they cannot say when (`says_no_day`).
_NEVER = frozenset({"aldrig", "nogensinde", "never", "ever"})
_PLAIN_NO = _NO_BEFORE | _NEVER | frozenset({"n"})
# "kan ikke betale DET HELE" / "can't pay ALL of it": a part payment, not none.
_ALL = ("det hele", "hele beløbet", "hele huslejen", "alt", "alting", "all", "all of it", "the full", "the whole",
        "everything", "in full")  # fmt: skip
_QUESTION_WORDS = frozenset({"hvad", "hvilken", "hvilke", "hvordan", "what", "which", "how"})
_HELP_WORDS = frozenset({"hjaelp", "hjaelpe", "help", "muligheder", "options"})

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "´": "'", "`": "'"})
_EXPAND = {
    "can't": "can not", "cant": "can not", "cannot": "can not", "won't": "will not", "wont": "will not",
    "haven't": "have not", "havent": "have not", "hasn't": "has not", "hasnt": "has not", "didn't": "did not",
    "didnt": "did not", "don't": "do not", "dont": "do not", "doesn't": "does not", "doesnt": "does not",
    "couldn't": "could not", "couldnt": "could not", "isn't": "is not", "isnt": "is not", "aren't": "are not",
    "wasn't": "was not", "i'm": "i am", "im": "i am", "i've": "i have", "ive": "i have", "i'll": "i will",
    "it's": "it is", "its": "it is", "that's": "that is", "thats": "that is", "what's": "what is",
    "whats": "what is", "who's": "who is", "whos": "who is", "gonna": "going to", "wanna": "want to",
    "u": "you", "pls": "please", "plz": "please", "tmrw": "tomorrow", "tmr": "tomorrow", "2morrow": "tomorrow",
    "ik": "ikke", "ikk": "ikke", "ik'": "ikke", "ikk'": "ikke", "ikek": "ikke", "ka": "kan", "ka'": "kan",
    # Short words spelled as they sound (too short for the one-typo correction): "i hav payd it".
    "payd": "paid", "paied": "paid", "hav": "have", "cnt": "can not", "cnat": "can not", "transfered": "transferred",
    "transfred": "transferred",
    # "I morgen" and "tomorrow" as they are typed fast and said: "imorn", "i morn", "tommorow", "2moro".
    "imorn": "imorgen", "imoren": "imorgen", "imorrn": "imorgen", "morn": "morgen", "moren": "morgen",
    "tommorow": "tomorrow", "tommorrow": "tomorrow", "2moro": "tomorrow", "2morow": "tomorrow", "tmw": "tomorrow",
}  # fmt: skip
# "ill pay friday": I'll before a verb; "I'm ill" stays ill.
_VERBS = frozenset({"pay", "be", "do", "try", "call", "get", "have", "make", "send", "transfer", "ring", "phone"})

_DA_ORDINALS = {
    "forste": 1, "foerste": 1, "anden": 2, "andet": 2, "tredje": 3, "fjerde": 4, "femte": 5, "sjette": 6,
    "syvende": 7, "ottende": 8, "niende": 9, "tiende": 10, "ellevte": 11, "tolvte": 12, "trettende": 13,
    "fjortende": 14, "femtende": 15, "sekstende": 16, "syttende": 17, "attende": 18, "nittende": 19,
    "tyvende": 20, "enogtyvende": 21, "toogtyvende": 22, "treogtyvende": 23, "fireogtyvende": 24,
    "femogtyvende": 25, "seksogtyvende": 26, "syvogtyvende": 27, "otteogtyvende": 28, "niogtyvende": 29,
    "tredivte": 30, "tredevte": 30, "enogtredivte": 31, "enogtredevte": 31,
}  # fmt: skip
_EN_ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
    "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13, "fourteenth": 14, "fifteenth": 15,
    "sixteenth": 16, "seventeenth": 17, "eighteenth": 18, "nineteenth": 19, "twentieth": 20, "thirtieth": 30,
}  # fmt: skip
_ORDINALS = _DA_ORDINALS | _EN_ORDINALS
# "femten", "fifteen" answering "when?": a day of the month as a bare "15" is. Only 11 to 31: "to", "en" and "one" are
# too often other words.
_DAY_CARDINALS = {
    "elleve": 11, "tolv": 12, "tretten": 13, "fjorten": 14, "femten": 15, "seksten": 16, "sytten": 17, "atten": 18,
    "nitten": 19, "tyve": 20, "enogtyve": 21, "toogtyve": 22, "treogtyve": 23, "fireogtyve": 24, "femogtyve": 25,
    "seksogtyve": 26, "syvogtyve": 27, "otteogtyve": 28, "niogtyve": 29, "tredive": 30, "enogtredive": 31,
    "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17,
    "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30,
}  # fmt: skip
_WEEKDAYS = {
    "mandag": 0, "tirsdag": 1, "onsdag": 2, "torsdag": 3, "fredag": 4, "lordag": 5, "loerdag": 5, "sondag": 6,
    "soendag": 6, "tirs": 1, "ons": 2, "tors": 3, "fre": 4, "lor": 5, "loer": 5, "monday": 0, "mon": 0, "tuesday": 1,
    "tue": 1, "tues": 1, "wednesday": 2, "wed": 2, "weds": 2, "thursday": 3, "thu": 3, "thur": 3, "thurs": 3,
    "friday": 4, "fri": 4, "saturday": 5, "sunday": 6,
    # Turkish and Arabic (unreviewed), as they are folded: "salı" is "sali", "الأربعاء" is "الاربعاء".
    "pazartesi": 0, "sali": 1, "carsamba": 2, "persembe": 3, "cuma": 4, "cumartesi": 5, "pazar": 6,
    "الاثنين": 0, "الثلاثاء": 1, "الاربعاء": 2, "الخميس": 3, "الجمعة": 4, "السبت": 5, "الاحد": 6,
}  # fmt: skip
# "i fredags" is last Friday: a day in the past, never a promise.
_PAST_WEEKDAYS = frozenset(f"{name}s" for name in ("mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lordag",
                                                    "loerdag", "sondag", "soendag"))  # fmt: skip
_MONTHS = {
    "jan": 1, "januar": 1, "january": 1, "feb": 2, "februar": 2, "february": 2, "mar": 3, "marts": 3,
    "march": 3, "apr": 4, "april": 4, "maj": 5, "may": 5, "jun": 6, "juni": 6, "june": 6, "jul": 7,
    "juli": 7, "july": 7, "aug": 8, "august": 8, "sep": 9, "sept": 9, "september": 9, "okt": 10,
    "oct": 10, "oktober": 10, "october": 10, "nov": 11, "november": 11, "dec": 12, "december": 12,
}  # fmt: skip
_SMALL_NUMBERS = {
    "en": 1, "et": 1, "a": 1, "one": 1, "to": 2, "two": 2, "tre": 3, "three": 3, "fire": 4, "four": 4, "fem": 5,
    "five": 5, "seks": 6, "six": 6, "syv": 7, "seven": 7, "otte": 8, "eight": 8, "ni": 9, "nine": 9, "ti": 10,
    "ten": 10,
}  # fmt: skip
# Words a typo is corrected towards (one letter wrong, missing, extra or swapped), and words near them that
# are right as they are.
_CORRECTABLE = frozenset({
    "betale", "betaler", "betalt", "betalte", "indbetalt", "overfort", "overforer", "hjaelp", "raadgiver",
    "radgiver", "mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lordag", "sondag", "imorgen", "overmorgen",
    "arbejde", "arbejdslos", "sygemeldt", "penge", "ingenting", "tomorrow", "monday", "tuesday", "wednesday",
    "thursday", "friday", "saturday", "sunday", "already", "afford", "money", "januar", "februar", "marts",
    "april", "juni", "juli", "august", "september", "oktober", "november", "december", "january", "february",
    "march", "october", "telegram",
})  # fmt: skip
# "Free" is no "fre" (Friday) with a letter doubled: "is it free", "feel free to call" name no day.
_RIGHT_AS_WRITTEN = _PAST_WEEKDAYS | frozenset({"betales", "betaling", "betalinger", "pengene", "monday's", "free"})
_MAX_ORE = 100_000_000


# ---------------------------------------------------------------------------------------------------------
# Words


@lru_cache(maxsize=8192)
def _word(word: str) -> str:
    """A word as meant: stretched letters undone, one typo corrected towards the words that carry meaning."""
    if word in _KNOWN or word.isdigit():
        return word
    squeezed = re.sub(r"(\w)\1{2,}", r"\1", word)
    if squeezed in _KNOWN:
        return squeezed
    doubles = re.sub(r"(\w)\1", r"\1", squeezed)
    if len(squeezed) <= 5 and doubles in _KNOWN:
        return doubles  # "jaa", "okk", "neej"
    if len(word) < 5 or word in _RIGHT_AS_WRITTEN:
        return word
    near = [known for known in _CORRECTABLE if one_edit(word, known)]
    return near[0] if len(near) == 1 else word


def _split_words(plain: str) -> list[str]:
    raw = re.findall(r"[^\W_]+(?:'[^\W_]+)?'?|'", plain)
    words: list[str] = []
    for index, token in enumerate(raw):
        if token == "'":
            continue
        following = raw[index + 1] if index + 1 < len(raw) else ""
        if token == "ill" and following in _VERBS:
            words.extend(("i", "will"))
            continue
        expanded = _EXPAND.get(token)
        if words and words[-1] == "did" and token in _DID:
            words.append(_DID[token])  # "I did pay": said of a payment made, never a promise ("did I pay" asks)
            continue
        if expanded is None and words and words[-1] in _PERFECT:
            words.append(_participle(token))
            continue
        words.extend(expanded.split() if expanded is not None else [_word(token)])
    return words


# "I did pay", "I did transfer it": the pay word after "did" is one said of the past, as "paid" is.
_DID = {"pay": "paid", "transfer": "transferred"}
# After "har" a pay word is a participle: "har betalr" is "har betalt", though "betalr" is one letter from
# "betaler" too.
_PERFECT = frozenset({"har", "havde", "have", "has", "had"})
_PARTICIPLES = ("betalt", "indbetalt", "overfort", "paid", "transferred")


def _participle(word: str) -> str:
    """A word after "har" as meant: a typo one letter from a participle is that participle ("har betalr", "har
    btalt"); a word written right ("har betal" is no "har betalt") or near none is read as `_word` reads it."""
    if word in _KNOWN or word.isdigit() or len(word) < 5:
        return _word(word)
    near = [participle for participle in _PARTICIPLES if one_edit(word, participle)]
    return near[0] if len(near) == 1 else _word(word)


def _plain(text: str) -> str:
    return normalize(text.translate(_APOSTROPHES))


# Where a clause ends: punctuation, the Arabic comma "،" too (a point or a comma before a digit is inside a number or
# a date: "3.000", "15.12"), and "men"/"but" as `_clauses` reads them.
_CLAUSE_END = re.compile(r"(?:[;:!?\n]|[.,،](?!\d))+")
_CLAUSE_SPLIT = re.compile(rf"{_CLAUSE_END.pattern}|\s(?:men|but)\s")


@lru_cache(maxsize=4096)
def _clauses(text: str) -> tuple[tuple[str, ...], ...]:
    """The message's clauses (split at punctuation and at "men"/"but") as lists of words."""
    parts = _CLAUSE_SPLIT.split(_plain(text))
    return tuple(_claimed(words) for words in (tuple(_split_words(part)) for part in parts) if words)


# "Har jeg ikke allerede betalt?", "haven't I already paid?", "didn't I already pay": a payment claimed, asked only for
# effect (`keywords.asks_whether_paid` leaves them to be read here). Its "not" denies nothing, and its "pay" is "paid".
_ASKED_FOR_EFFECT = frozenset({("har", "jeg"), ("har", "vi"), ("havde", "jeg"), ("havde", "vi")}) | frozenset(
    (verb, who) for verb in ("have", "has", "had", "did") for who in ("i", "we")
)


def _claimed(words: tuple[str, ...]) -> tuple[str, ...]:
    """A clause's words, a payment claimed by asking it for effect said as the claim: "har jeg allerede betalt";
    "already" may come after the pay word too ("didn't I pay already", "har jeg ikke betalt huslejen allerede")."""
    for index in range(len(words) - 3):
        verb, first, second = words[index : index + 3]
        negation = {first, second} & {"ikke", "not"}
        told = [at for at in range(index + 3, index + 7) if words[at : at + 1] in (("allerede",), ("already",))]
        if not told or not negation:
            continue
        who = second if first in negation else first
        if (verb, who) not in _ASKED_FOR_EFFECT or first == "ikke":
            continue  # Danish asks it "har jeg ikke"; English "have I not" or "haven't I"
        already = told[0]
        moved = (words[already], *words[index + 3 : already], *words[already + 1 : already + 2])
        said = tuple("paid" if word == "pay" else word for word in moved)
        return (*words[:index], verb, who, *said, *words[already + 2 :])
    return words


def word_count(text: str) -> int:
    """How many words the message has (emoji and punctuation are not words)."""
    return sum(len(clause) for clause in _clauses(text))


def _fold(phrase: str) -> str:
    return " ".join(_split_words(_plain(phrase)))


@dataclass(frozen=True, slots=True)
class _Phrases:
    """Folded phrases to look for as whole words: one-word phrases as a set, longer ones padded with spaces."""

    words: frozenset[str]
    padded: tuple[str, ...]

    @classmethod
    def of(cls, folded: Iterable[str]) -> _Phrases:
        phrases = tuple(dict.fromkeys(phrase for phrase in folded if phrase))
        return cls(
            frozenset(phrase for phrase in phrases if " " not in phrase),
            tuple(f" {phrase} " for phrase in phrases if " " in phrase),
        )

    def in_words(self, words: frozenset[str], text: str) -> bool:
        """Whether one of the phrases is among `words`, or in `text` (the same words joined, padded with spaces)."""
        return not self.words.isdisjoint(words) or any(phrase in text for phrase in self.padded)


@dataclass(frozen=True, slots=True)
class _Readings:
    """A language's phrases of every reading by the word they begin with, so a clause is read in one pass over
    its words instead of once per reading and phrase."""

    by_word: dict[str, frozenset[str]]  # a one-word phrase -> the readings it signals
    by_first: dict[str, tuple[tuple[str, str], ...]]  # first word -> (the phrase padded with spaces, its reading)

    def found(self, words: frozenset[str], text: str) -> set[str]:
        """The readings whose phrases are among `words` or, for longer phrases, in `text` (the same words joined,
        padded with spaces): a longer phrase can be there only when its first word is."""
        found: set[str] = set()
        for word in words:
            tags = self.by_word.get(word)
            if tags is not None:
                found |= tags
            for phrase, tag in self.by_first.get(word, ()):
                if tag not in found and phrase in text:
                    found.add(tag)
        return found


_NO_READINGS = _Readings({}, {})


def _folded_phrases(language: str, tag: str) -> tuple[str, ...]:
    """A reading's phrases in a language, folded: its own, and the Danish and English ones (tenants mix them)."""
    own = TAG_WORDS.get(language, {}).get(tag, ())
    shared = TAG_WORDS["da"].get(tag, ()) + TAG_WORDS["en"].get(tag, ())
    return tuple(_fold(phrase) for phrase in own + shared)


def _build_readings() -> dict[str, _Readings]:
    table: dict[str, _Readings] = {}
    for language in TAG_WORDS:
        by_word: dict[str, set[str]] = {}
        by_first: dict[str, list[tuple[str, str]]] = {}
        for tag in PRECEDENCE:
            phrases = _Phrases.of(_folded_phrases(language, tag))
            for word in phrases.words:
                by_word.setdefault(word, set()).add(tag)
            for padded in phrases.padded:
                by_first.setdefault(padded.split()[0], []).append((padded, tag))
        table[language] = _Readings(
            {word: frozenset(tags) for word, tags in by_word.items()},
            {word: tuple(phrases) for word, phrases in by_first.items()},
        )
    return table


_KNOWN = (
    frozenset(
        word
        for words in TAG_WORDS.values()
        for phrases in words.values()
        for phrase in phrases
        for word in re.findall(r"[^\W_]+", normalize(phrase))
    )
    | _CORRECTABLE
    | frozenset(_WEEKDAYS)
    | frozenset(_ORDINALS)
    | frozenset(_MONTHS)
    | _RIGHT_AS_WRITTEN
)
_READINGS = _build_readings()
_FOLDED_PART_WITH_PAY = tuple(_fold(p) for p in _PART_WITH_PAY)
_PART_WITH_PAY_PHRASES = _Phrases.of(_FOLDED_PART_WITH_PAY)
_FOLDED_HARDSHIP_WHOLE = frozenset(_fold(p) for p in _HARDSHIP_WHOLE)
_FOLDED_NO_WHOLE = frozenset(_fold(p) for p in _NO_WHOLE)
_FOLDED_YES_WHOLE = frozenset(_fold(p) for p in _YES_WHOLE)
_FOLDED_PAID_WHOLE = frozenset(_fold(p) for p in _PAID_WHOLE)
_FOLDED_UNSURE_WHOLE = frozenset(_fold(p) for p in _UNSURE_WHOLE)
_ALL_PHRASES = _Phrases.of(_fold(p) for p in _ALL)
_ALL_WELL_PHRASES = _Phrases.of(_fold(p) for p in _ALL_WELL)
# Hardship words that say the tenant cannot pay without a pay word negated ("har ikke råd", "rækker ikke", "param yok"),
# of every language: `says_cannot_pay`. Not a reason ("syg", "gæld"): why it is hard is no promised day failing.
_CANNOT_PAY_PHRASES = _Phrases.of(
    _fold(p)
    for p in (
        "ingen penge", "ikke nogen penge", "ikke penge", "ikke flere penge", "ikke nok penge", "penge nok", "ikke råd",
        "ikke rad", "slår ikke til", "rækker ikke", "raekker ikke", "rækker ik", "no money", "not any money",
        "not have the money", "not have money", "not enough money", "no cash", "not afford",
        *(p for p in TAG_WORDS["ar"]["hardship"] if p not in _AR_LOST_JOB), *TAG_WORDS["tr"]["hardship"],
    )
)  # fmt: skip


# ---------------------------------------------------------------------------------------------------------
# Readings


def _negated(words: tuple[str, ...], index: int) -> bool:
    """A negation in the five words before, or the two after, a pay word of the same clause."""
    near = words[max(0, index - 5) : index] + words[index + 1 : index + 3]
    return any(word in _NEGATIONS for word in near)


@dataclass(frozen=True, slots=True)
class _Clause:
    words: tuple[str, ...]
    plain: tuple[str, ...]  # the words with negated pay words blanked out
    negated_pay: bool
    pay: bool  # a pay word that is not negated
    # Both word lists as sets and joined once, padded with spaces, for `_Phrases.in_words`.
    word_set: frozenset[str]
    word_text: str
    plain_set: frozenset[str]
    plain_text: str
    elsewhere: bool  # a call or a talk with someone else ("jeg ringer til kommunen", "I'll talk to my husband")


_GETTING = frozenset({"get", "gets", "getting"})
_NO_FUSS_NO = frozenset({"no", "ingen", "intet"})
_ASKING_WORDS = frozenset({
    "hjaelp", "hjaelpe", "help", "radgiver", "raadgiver", "adviser", "advisor", "ring", "ringe", "call", "talk",
    "snakke", "tale", "person", "someone", "anyone", "danisman", "مستشار",
})  # fmt: skip
_CALL_WORDS = frozenset({"ring", "ringe", "call"})
_NOT_WANTED = frozenset(
    {"ikke", "ik", "not", "dont", "doesnt", "ingen", "no", "never", "aldrig", "behover", "behoeves"}
)
# Arabic "لا" is also a plain "no" ("لا، أريد مستشار" asks for one): it turns the word down only as "I don't want",
# "I don't need", "no need" ("لا أريد", "لا أحتاج", "لا داعي") before it (unreviewed).
_NOT_WANTED_AR = frozenset({"اريد", "احتاج", "داعي"})
# Turkish and Arabic say it after the word: "danışman istemiyorum", "danışman yok", "مستشار لا" (unreviewed). "Yok mu"
# asks ("danışman yok mu?": isn't there an adviser?).
_NOT_WANTED_AFTER = frozenset({"istemiyorum", "istemem", "yok", "gerekmiyor", "لا"})
_ASKING_AFTER = frozenset({"mu", "mi"})
_FUSS = frozenset({"problem", "problems", "problemer", "worries", "worry", "problemo"})
# "Kan I ikke ringe til mig?", "kunne du ikke hjælpe mig": a request asked politely, whose "ikke" turns nothing down.
_POLITE_MODALS = frozenset({"kan", "kunne", "vil", "ville"})
_POLITE_WHO = frozenset({"i", "du", "nogen", "en", "man", "de"})


def _asked_politely(words: Sequence[str], index: int) -> bool:
    """Whether the negation before `index` is that of a polite question: a modal, who is asked, "ikke"."""
    return any(
        words[i] in _POLITE_MODALS and words[i + 1] in _POLITE_WHO and words[i + 2] in ("ikke", "ik")
        for i in range(max(0, index - 4), index - 2)
    )


_PLAIN_YES = frozenset({
    "ok", "okay", "oki", "okej", "selvfolgelig", "klart", "sure", "course", "gerne", "fint", "agree", "absolutely",
})  # fmt: skip
# How one is, beside a negation: only the tenant's own state turns it ("I'm not good", "jeg har det ikke godt").
_WELL = frozenset({"godt", "good", "fine"})
_YES_OR_WELL = _PLAIN_YES | _WELL
# A call or a talk with someone else named ("jeg ringer til banken", "I'll talk to my husband", "call the bank") asks
# for nobody of ours: its word is no adviser wished for, with a day or without one.
_CALLS_AND_TALKS = frozenset({"ring", "ringe", "ringer", "ringes", "call", "phone", "tale", "snakke", "talk", "speak"})
_TO_WHOM = frozenset({"til", "med", "to", "with"})
_CALLED_DIRECTLY = frozenset({"call", "phone", "ring"})  # "call the bank", "phone my sister"
_OWN = frozenset({
    "min", "mit", "mine", "hans", "hendes", "deres", "vores", "sin", "sit", "sine", "my", "his", "her",
    "their", "our", "the",
})  # fmt: skip
# After "min"/"the": a number to call the tenant on, or a person of ours ("ring til mit nummer", "talk to the adviser").
_OURS_OR_MINE = frozenset({
    "nummer", "mobil", "mobilnummer", "telefon", "telefonnummer", "number", "phone", "mobile", "cell", "raadgiver",
    "radgiver", "raadgiveren", "radgiveren", "adviser", "advisor", "office", "kontoret", "boligselskabet", "landlord",
})  # fmt: skip
# Whom a call or a talk is with, named alone (with "min"/"my"/"the" before it any word does: "min kæreste", "the
# council", "my caseworker"): one list for each language, read in every language as the readings are.
_OTHERS_DA = frozenset({
    "ham", "hende", "dem", "banken", "kommunen", "kommune", "jobcentret", "jobcenteret", "jobcenter",
    "ydelseskontoret", "udbetaling", "skat", "borgerservice", "akassen", "sagsbehandleren", "sagsbehandler",
    "familien", "mor", "far", "mormor", "morfar", "farmor", "farfar",
})  # fmt: skip
_OTHERS_EN = frozenset({
    "him", "them", "council", "jobcentre", "jobcenter", "caseworker", "mum", "mom", "dad", "family",
})  # fmt: skip
_OTHERS = _OTHERS_DA | _OTHERS_EN


# Help had from someone else named ("jeg får hjælp af min bror", "help from my family", "min bror vil hjælpe mig") is no
# help asked of us either; help "til" something ("hjælp til huslejen") is.
_HELPING = frozenset({"hjaelp", "hjaelpe", "help"})
_FROM_WHOM = frozenset({"af", "fra", "from", "by"})
_WILL = frozenset({"vil", "kan", "skal", "gerne", "will", "can", "is", "going", "to", "would", "could", "wants"})
# Small words between a call and whom it is to ("jeg ringer lige til banken", "I'll just call my sister").
_IN_PASSING = frozenset({"lige", "forst", "foerst", "just", "first"})


def _names_other(words: Sequence[str]) -> bool:
    """Whether the words name someone other than us or the tenant: "min bror", "the bank", "banken", "ham"; a name of
    the lists written with a hyphen or a space is read as it is written whole ("a-kassen", "job-centre", "a kassen")."""
    if not words:
        return False
    if words[0] in _OWN:
        return len(words) > 1 and words[1] not in _OURS_OR_MINE
    return words[0] in _OTHERS or (len(words) > 1 and words[0] + words[1] in _OTHERS)


def _with_someone_else(words: Sequence[str], index: int) -> bool:
    """Whether the call, talk or help at `index` is with someone else named ("ringer til banken", "talk to my husband",
    "jeg får hjælp af min bror", "my sister will help me")."""
    if _asked_of_us(words, index):
        return False  # "kan I ringe til min datter?", "can you call my daughter", "please call my son": asked of us
    after = [word for word in words[index + 1 : index + 5] if word not in _IN_PASSING][:3]
    if words[index] in _HELPING:
        if after[:1] and after[0] in _FROM_WHOM:
            return _names_other(after[1:])
        return _helper_before(words, index)
    if after[:1] and after[0] in _TO_WHOM:
        return _names_other(after[1:])
    return words[index] in _CALLED_DIRECTLY and _names_other(after)


def _asked_of_us(words: Sequence[str], index: int) -> bool:
    """Whether the call, talk or help at `index` is asked of us: "kan I ringe", "can you call", "kan nogen hjælpe",
    "please call"."""
    before = words[max(0, index - 2) : index]
    if before[-1:] and before[-1] in ("please", "venligst"):
        return True
    return len(before) == 2 and before[0] in _ASKING_HOW and before[1] in _ASKED_WHO


def _helper_before(words: Sequence[str], index: int) -> bool:
    """Whether someone else is named as who helps, just before the help word ("min bror vil hjælpe", "my family can
    help", "kommunen vil hjælpe"); not "kan I hjælpe", "I need help"."""
    before = index - 1
    while before >= 0 and words[before] in _WILL:
        before -= 1
    if before < 0:
        return False
    return words[before] in _OTHERS or (before >= 1 and _names_other(words[before - 1 : before + 1]))


# Who is not ok, said before the negation: the tenant themselves ("I'm not ok", "jeg er ikke ok", "har det ikke godt").
_OWN_STATE = frozenset({("i", "am"), ("jeg", "er"), ("har", "det"), ("i", "feel")})


def _yes_turned(words: Sequence[str], index: int) -> str:
    """What a yes word beside a negation says instead: "not sure" is neither yes nor no (asked when, it is the unsure
    reading's own phrase); "I'm not ok" is how the tenant is, hard (read as "svært" is, never a "no thanks"); any other
    ("det er ikke ok", "of course not") is a no."""
    if words[index] == "sure":
        return "unsure"
    if tuple(words[max(0, index - 3) : index - 1]) in _OWN_STATE and words[index - 1] in _NEGATIONS:
        return "svaert"
    return "-" if words[index] in _WELL else "nej"


# Words besides the pay words that a negation turns, and what they say then: "I haven't sent the money" sent nothing,
# yet negates no pay word (in Danish "sent" is "late"); "jeg har ikke Telegram" is a no to Telegram, never a yes; "ikke
# sms", "ingen flere sms'er", "not by sms" wish the other way to write, Telegram.
_SMS_NAMED = TAG_WORDS["da"]["sms"]  # SMS by its Danish names, one word each
_NEGATED_AS = {"sent": "-", "telegram": "nej"} | dict.fromkeys(_SMS_NAMED, "telegram")
# Only not having or using the app, said just before it, turns it down: "kan I ikke bare skrive på telegram" and "can't
# you just use telegram" ask for it.
_WITHOUT_APP = frozenset({("har", "ikke"), ("har", "ingen"), ("bruger", "ikke"), ("not", "have"), ("not", "use")})


# "Sendt" is a pay word only with the money or the rent sent ("har ikke sendt pengene"); "jeg har sendt en del
# beskeder", "har ikke sendt ansøgningen" say nothing of a payment.
_MONEY_SENT = frozenset({"penge", "pengene", "husleje", "huslejen", "lejen", "belobet"})


def _pay_word(word: str, words: tuple[str, ...]) -> bool:
    return word in _PAY_WORDS or (word == "sendt" and not _MONEY_SENT.isdisjoint(words))


# Between a negation and SMS named: "ikke på sms", "ikke flere sms'er", "vil ikke have sms", "no more sms", "I don't
# want sms".
_TO_SMS = frozenset({
    "paa", "pa", "via", "over", "med", "mere", "flere", "have", "faa", "by", "more", "any", "want",
})  # fmt: skip
_NOT_SMS = frozenset({"ikke", "ingen", "aldrig", "not", "never"})


def _sms_negation(words: tuple[str, ...], index: int) -> int | None:
    """Where the negation of the SMS named at `index` stands: just before it, `_TO_SMS` aside; None when SMS is not
    negated (never by "nej sms": a no, then SMS, typed without a comma)."""
    before = index - 1
    while before >= 0 and words[before] in _TO_SMS and index - before <= 2:
        before -= 1
    if before >= 0 and (words[before] in _NOT_SMS or words[before : before + 2] == ("no", "more")):
        return before
    return None


def _turned(words: tuple[str, ...], index: int) -> bool:
    """Whether a pay word, or a word of `_NEGATED_AS`, is negated; "telegram" only by `_WITHOUT_APP` just before it,
    SMS only by a negation just before it (`_sms_negation`)."""
    if words[index] == "telegram":
        return tuple(words[max(0, index - 2) : index]) in _WITHOUT_APP
    if words[index] in _SMS_NAMED:
        return _sms_negation(words, index) is not None
    return _negated(words, index)


def _said_otherwise(words: tuple[str, ...], index: int) -> str | None:
    """What the word at `index` says beside the words around it, when that is not what it says alone; None when it
    says what it says."""
    word = words[index]
    after = words[index + 1] if index + 1 < len(words) else ""
    if word in _CALL_WORDS and after in _NEGATIONS:
        return "-"  # "ring ikke til mig": the call turned down, the negation after it
    if word == "please" and after == "do" and words[index + 2 : index + 3] == ("not",):
        return "-"  # "please don't …" is no "please do"
    if word in _NO_FUSS_NO and after in _FUSS:
        return "-"
    if word in _YES_OR_WELL and (after in _NEGATIONS or (index and words[index - 1] in _NEGATIONS)):
        return _yes_turned(words, index)
    if word == "jo" and index:
        # "Jo" answers yes only first: inside a sentence it is "as you know" ("jeg har jo ingen penge", "det ved jeg jo
        # ikke"), no yes to a consent or to a code.
        return "-"
    return None


def _clause(words: tuple[str, ...]) -> _Clause:
    blanked = list(words)
    negated = False
    for index, word in enumerate(words):
        if (_pay_word(word, words) or word in _NEGATED_AS) and _turned(words, index):
            blanked[index] = _NEGATED_AS.get(word, "-")
            negated = negated or word not in _NEGATED_AS
            negation = _sms_negation(words, index) if word in _SMS_NAMED else None
            if negation is not None:
                # "jeg vil ikke have sms", "no more sms", "I don't want sms": the negation is SMS's, no "vil ikke" or
                # "no" said to the offer besides.
                blanked[negation] = "-"
    # "jeg vil ikke stoppe med at få beskeder" wishes us to go on writing: its "vil ikke" is no "nej".
    kept_on = negated_stops(words)
    for index in kept_on:
        blanked[index] = "-"
    # "when I get paid", "once I'm paid": the tenant's own wages, a day to come, never a claim to have paid the rent.
    salary = [i for i, word in enumerate(words) if word == "paid" and i and words[i - 1] in _GETTING]
    for index in salary:
        blanked[index] = "payday"
    # "Yes, no problem" says no "no"; "det er ikke ok", "of course not" say no, not yes.
    turned = elsewhere = False
    for index, word in enumerate(words):
        after = words[index + 1 : index + 3]
        refused_after = after[:1] != () and after[0] in _NOT_WANTED_AFTER and _ASKING_AFTER.isdisjoint(after[1:])
        before = words[max(0, index - 4) : index]
        refused_before = any(w in _NOT_WANTED for w in before) or any(
            first == "لا" and second in _NOT_WANTED_AR for first, second in pairwise(before)
        )
        if word in _ASKING_WORDS and (refused_after or (refused_before and not _asked_politely(words, index))):
            # "jeg har ikke brug for hjælp", "please don't call me": no request for help or a call; "ingen hjælp",
            # "no help", "danışman yok" say no.
            said_no = refused_after or (index and words[index - 1] in ("ingen", "no"))
            blanked[index], turned = ("nej" if said_no else "-"), True
        elif (word in _CALLS_AND_TALKS or word in _HELPING) and _with_someone_else(words, index):
            blanked[index], turned = "-", True  # "jeg ringer til banken", "hjælp af min bror": nothing asked of us
            elsewhere = elsewhere or word in _CALLS_AND_TALKS
        elif (said := _said_otherwise(words, index)) is not None:
            blanked[index], turned = said, True
    changed = negated or bool(kept_on) or bool(salary) or turned or not _NEGATED_AS.keys().isdisjoint(words)
    plain = tuple(blanked) if changed else words
    pay = not _PAY_WORDS.isdisjoint(plain)
    word_text = f" {' '.join(words)} "
    plain_text = f" {' '.join(plain)} " if changed else word_text
    word_set = frozenset(words)
    return _Clause(
        words,
        plain,
        negated,
        pay,
        word_set,
        word_text,
        frozenset(plain) if changed else word_set,
        plain_text,
        elsewhere,
    )


def _signals(text: str, language: str, today: date) -> tuple[set[str], bool]:
    """The readings present in a message, and whether it names a date that can be placed."""
    clauses = [_clause(words) for words in _clauses(text)]
    found: set[str] = set()
    whole = " ".join(word for clause in clauses for word in clause.words)
    readings = _READINGS.get(language, _NO_READINGS)
    for clause in clauses:
        found |= readings.found(clause.plain_set, clause.plain_text)
    found -= _no_that_negates(found, clauses, readings)
    told = "hardship" in found  # said in its own words ("syg", "mistet mit job"), not only a pay word negated
    negated_pay = any(clause.negated_pay for clause in clauses)
    month_later = negated_pay and not told and _month_later(clauses, text)
    if (negated_pay and not month_later) or _cannot_whole(whole):
        found.add("hardship")
    if month_later:
        found.add("will_pay")  # "kan ikke betale før januar": a time without a day, which day is asked next
    found.update(("no",) if whole in _FOLDED_NO_WHOLE else ())
    found.update(("yes",) if whole in _FOLDED_YES_WHOLE else ())
    if not asks_something(text) and any(_says_all_well(clause) for clause in clauses):
        found.add("no")
    said = whole.split()
    paid_ar = said[:1] == [_PAID_AR] and _PAID_AR_TOLD.issuperset(said[1:])
    found.update(("paid",) if whole in _FOLDED_PAID_WHOLE or paid_ar else ())
    found.update(("unsure",) if whole in _FOLDED_UNSURE_WHOLE else ())
    if any(clause.pay and _PART_WITH_PAY_PHRASES.in_words(clause.plain_set, clause.plain_text) for clause in clauses):
        found.add("part")
    if any(clause.negated_pay and _ALL_PHRASES.in_words(clause.word_set, clause.word_text) for clause in clauses):
        found.add("part")  # "kan ikke betale det hele": some of it, then
    if whole in _FOLDED_PART_WITH_PAY or _paid_not_enough(found, clauses):
        found.add("part")
    if "part" in found and any(not _PAID_WORDS.isdisjoint(clause.plain_set) for clause in clauses):
        _part_paid(found, text, language, today)
    # "kan betale 2000": an amount that may not be all of it. So is one said beside why, with no pay word ("500 kr den
    # 21., jeg er syg"), as the same words in another order are ("jeg er syg, kan betale 500 den 21"); not beside a
    # pay word negated ("kan ikke betale 500 kr den 21."): that amount is what they cannot pay.
    # A payment made with its amount and no word of a part ("jeg har betalt 6300 kr i går", "I paid 6500 yesterday")
    # is a payment made: it may be all of it, and the ledger will tell.
    offered = any(clause.pay for clause in clauses) or (told and not any(clause.negated_pay for clause in clauses))
    paid_with_amount = "paid" in found and "part" not in found and "hardship" not in found
    if offered and not paid_with_amount and find_amount(text, strict=True) is not None:
        found.add("part")
    if any(clause.words[0] in _QUESTION_WORDS and _HELP_WORDS & set(clause.words) for clause in clauses):
        found.add("info")
    mentions, dated = _dated(text, today, found)
    if _nothing_offered(text, clauses, dated):
        # "Kan betale 0 kr", "0 kr den 15.": nothing is paid, so no part and no promise for the day; it is heard.
        found -= {"will_pay", "part", "part_rest"}
        found.add("hardship")
        return found, dated
    help_that_day = _help_that_day(clauses, readings, today)
    other_day = dated and _day_for_something_else(text, today)
    _when(found, clauses, mentions, dated, help_that_day=help_that_day, other_day=other_day)
    return found, dated


def _cannot_whole(whole: str) -> bool:
    """Whether the message's words are one of the whole answers that say the tenant cannot ("kan ikke", "not yet"),
    with a no before it or words of regret anywhere ("nej det kan jeg ikke", "jeg kan desværre ikke")."""
    words = [word for word in whole.split() if word not in _REGRET]
    while words and words[0] in _NO_BEFORE:
        words.pop(0)
    return " ".join(words) in _FOLDED_HARDSHIP_WHOLE


def says_no_day(text: str) -> bool:
    """Whether a message is a no and nothing more, courtesy and regret aside ("nej", "aldrig", "never", "nej tak", "no
    sorry", "desværre"): asked when they can pay, the tenant cannot say when (or cannot pay), as "ved ikke" says."""
    words = [word for clause in _clauses(text) for word in clause if word not in _COURTESY]
    return bool(words) and all(word in _PLAIN_NO or word in _REGRET for word in words)


def says_never(text: str) -> bool:
    """Whether a no and nothing more says never ("aldrig", "nej aldrig", "never"): asked when they can pay, they cannot
    pay, which takes back a promise or an "I have paid" given before (a bare "nej" only cannot say when)."""
    return says_no_day(text) and any(word in _NEVER for clause in _clauses(text) for word in clause)


def _paid_not_enough(found: set[str], clauses: list[_Clause]) -> bool:
    """Whether a payment made is said to fall short ("jeg har betalt men ikke nok", "I paid but not enough"): a part
    paid, not "I cannot pay" (which would take back a promise or an "I have paid" given before)."""
    return "paid" in found and any(_NOT_ENOUGH.search(clause.plain_text) for clause in clauses)


def _part_paid(found: set[str], text: str, language: str, today: date) -> None:
    """A part said with a payment made: "har betalt en del", "I paid some of it" is a part paid already (an amount
    alone, "har betalt 3000", is not read so: it may be all of it); "jeg har betalt resten", "I paid the rest" is what
    was left paid, so all of it is: no part, and no day to come."""
    if _paid_the_rest(text, language, today):
        found -= {"part", "will_pay"}
        found.add("paid")
    else:
        found.add("paid_part")


# "Not enough" said bare, beside a payment made: what was paid fell short (not "ikke nok penge", no money at all).
# "Ikke nok til huslejen", "not enough left for the rent" is what is left after another bill: hardship, not a part paid.
_NOT_ENOUGH = re.compile(r"\b(?:ikke nok|not enough)\b(?! (?:penge|money|til|for|tilbage|left))")
_REST = re.compile(r"\b(?:resten|the rest)\b")
# What the rest is of ("resten af huslejen", "the rest of my bills"): the word after "af"/"of", past "the"/"my".
_REST_OF = re.compile(r"\b(?:resten af|the rest of)(?: (?:the|my|min))? (\w+)")
_RENT = frozenset({"huslejen", "husleje", "lejen", "leje", "rent"})


def _paid_the_rest(text: str, language: str, today: date) -> bool:
    """Whether a message says the rest of the rent is paid and nothing of a part besides: without the rest's words it
    is a payment made ("har betalt resten", "resten er betalt", "I paid the rest last week"), not "har betalt noget af
    resten". Not the rest of something else ("resten af mine regninger"), nor beside money trouble or a "not", nor
    asked ("har jeg betalt resten?"), nor with a day to come ("har betalt resten i morgen" is a promise)."""
    plain = _plain(text)
    if not _REST.search(plain) or asks_something(text):
        return False
    if any(word not in _RENT for word in _REST_OF.findall(plain)):
        return False
    mentions, rest = _dates(plain, today, strict=True)
    if any(mention.value is not None and mention.value > today for mention in [*mentions, rest] if mention):
        return False
    found, _dated = _signals(_REST.sub(" ", plain), language, today)
    return "paid" in found and found.isdisjoint({"part", "hardship"})


def _says_all_well(clause: _Clause) -> bool:
    """Whether a clause says all is well ("alt er i orden"), not asks it ("er alt i orden")."""
    if not _ALL_WELL_PHRASES.in_words(clause.plain_set, clause.plain_text):
        return False
    return not any(word == "alt" and index and clause.plain[index - 1] in _ASKED_BEFORE
                   for index, word in enumerate(clause.plain))  # fmt: skip


_AND = frozenset({"og", "and"})


def _help_that_day(clauses: Sequence[_Clause], readings: _Readings, today: date) -> bool:
    """Whether help is wished for on the day named beside it ("jeg vil gerne have hjælp på mandag", "I need help on
    monday"): the day is when they want help, no promise. Said apart ("fredag, og jeg har brug for hjælp") it is."""
    for clause in clauses:
        parts: list[list[str]] = [[]]
        for word in clause.plain:
            if word in _AND:
                parts.append([])
            else:
                parts[-1].append(word)
        for part in parts:
            text = f" {' '.join(part)} "
            if "help" in readings.found(frozenset(part), text) and _dates(text, today, strict=True)[0]:
                return True
    return False


# Readings of how the tenant would write, not of paying ("helst sms").
_WAYS_TO_WRITE = frozenset({"sms"})
# Readings that agree or wish for a person, no more: beside a day they ask for nothing in place of the promise ("ja,
# fredag", "fredag og jeg vil gerne snakke med en rådgiver").
_PERSON_WISHED = frozenset({"adviser", "help", "yes"})


def _when(
    found: set[str],
    clauses: Sequence[_Clause],
    mentions: Sequence[_Mention],
    dated: bool,
    *,
    help_that_day: bool,
    other_day: bool,
) -> None:
    """What a message says of when it pays, added to its readings: a promise for the day it names, or no day known.
    `other_day`: the day is another thing's ("jeg flytter d. 1. januar", "my hearing is on monday"), no promise."""
    if other_day:
        return
    # "Kan ikke betale før fredag", "kan ikke betale nu, men den 20.": the day is when they can.
    later = bool(mentions) and (mentions[0].until or any(_not_now(c.words) for c in clauses))
    said = found - _WAYS_TO_WRITE  # "fredag, skriv en sms": how to write says nothing of paying
    if dated and ("will_pay" in found or (any(c.negated_pay for c in clauses) and later)):
        found.add("will_pay")
    elif dated and said <= _PERSON_WISHED and not help_that_day:
        # "På fredag" alone answers when; so does a day said beside a yes or a wish for a person ("fredag og ring til
        # mig"; a day said with a call is when to call, and no date here): the wish comes after the promise, not for it.
        found.add("will_pay")
    elif not said and mentions and all(mention.value is None for mention in mentions):
        found.add("will_pay")  # "næste fredag" alone answers when too, only not which day: that is asked next
    elif not said and any(_says_when_vaguely(clause.words) for clause in clauses):
        found.add("will_pay")  # so do "sidst på måneden", "til januar", "end of month": which day is asked next
    elif not dated and any(clause.elsewhere for clause in clauses):
        # "Jeg ringer til kommunen (i morgen)", "I'll talk to my husband": a plan to ask someone else first, no day to
        # pay said; asked when they can pay, they do not know yet (heard as "ved ikke" is, and help is offered).
        found.add("unsure")


# Things a day is said for that are no payment: a letter, a court or a hearing, a meeting, a move, a stay in hospital,
# a doctor ("jeg fik brevet d. 24", "I have court on the 21st", "jeg flytter d. 1. januar", "jeg er på hospitalet til
# d. 15"). Beside a pay word the day is the payment's all the same ("betaler når jeg er hjemme fra hospitalet d. 15").
_OTHER_DAYS = frozenset({
    "brev", "brevet", "brevene", "breve", "paakrav", "paakravet", "rykker", "rykkeren", "opsigelse", "opsigelsen",
    "retten", "retsmode", "retsmodet", "fogedretten", "fogeden", "foged", "boligretten", "domstol", "retssag",
    "horing", "horingen", "mode", "modet", "moder", "samtale", "samtalen", "jobsamtale", "flytter",
    "flyttet", "flytning", "flytningen", "fraflytning", "hospital", "hospitalet", "sygehus", "sygehuset", "indlagt",
    "indlaeggelse", "operation", "operationen", "laege", "laegen", "tandlaege", "tandlaegen", "eksamen", "ferie",
    "begravelse", "begravelsen", "bryllup", "fodselsdag",
    "letter", "letters", "notice", "court", "hearing", "trial", "judge", "bailiff", "eviction", "meeting",
    "appointment", "interview", "moving", "moved", "surgery", "doctor", "doctors",
    "dentist", "exam", "holiday", "vacation", "funeral", "wedding", "birthday",
})  # fmt: skip


# Money named beside a day: the day is the payment's ("jeg flytter pengene fredag"); not the rent, which a letter is
# about as often ("jeg fik brevet om huslejen d. 24").
_MONEY_MOVED = frozenset({"penge", "pengene", "belobet", "money"})
# A message cut where one thing said ends and the next begins; a full stop is not (it ends "d. 15" and "1. januar").
_SAID_APART = re.compile(r"[;:!?\n,]|\s(?:og|and|men|but)\s")


def _said_for_paying(plain: str, today: date, *, strict: bool) -> str:
    """`plain` without the parts of it (cut as `_day_for_something_else` cuts) that name a day for something else,
    when another part names a day too: "jeg fik brevet d. 24, jeg betaler d. 28" names the 28th as its day, the letter's
    day aside. A message whose only day is another thing's is left whole (`promises_day` reads it as no promise)."""
    pieces = re.split(f"({_SAID_APART.pattern})", plain)
    if len(pieces) < 3:
        return plain
    other = [index for index in range(0, len(pieces), 2) if _names_other_day(pieces[index], today)]
    if not other:
        return plain
    kept = "".join(" " if index in other else piece for index, piece in enumerate(pieces))
    return kept if _dates(kept, today, strict=strict)[0] else plain


def _names_other_day(part: str, today: date) -> bool:
    """Whether one part of a message names a day and another thing it is the day of, and no pay word or money."""
    words = _split_words(part)
    if _OTHER_DAYS.isdisjoint(words) or not _PAY_WORDS.isdisjoint(words) or not _MONEY_MOVED.isdisjoint(words):
        return False  # "jeg flytter pengene fredag": the money's day
    return bool(_dates(part, today, strict=True)[0])


def _day_for_something_else(text: str, today: date) -> bool:
    """Whether the part of a message that names a day (cut at commas and at "og", "and", "men", "but") names another
    thing it is the day of, and no pay word: "jeg er på hospitalet til d. 15 og kan ikke betale" is in hospital until
    the 15th, never "cannot pay until the 15th"."""
    return any(_names_other_day(part, today) for part in _SAID_APART.split(_plain(text)))


def promises_day(text: str, language: str, today: date) -> bool:
    """Whether the day a message names is said as a day to pay: with a word of paying ("kan betale fredag"), or alone
    as the answer to when ("fredag", "ja, den 15.", "nej, den 20."); never beside "kan ikke", "rækker ikke", a letter,
    a court, a hearing, a meeting, a move or a stay in hospital ("jeg flytter d. 1. januar"). True for a message that
    names no day it can place (its bare number is the day asked for)."""
    found, dated = _signals(text, language, today)
    if not dated or not found.isdisjoint(("will_pay", "part", "part_rest")):  # "halvdelen nu og resten den 20."
        return True
    return "hardship" not in found and not _day_for_something_else(text, today)  # "nej, den 20." answers when


def _dated(text: str, today: date, found: set[str]) -> tuple[list[_Mention], bool]:
    """The dates a message names, and whether it promises one. A day said for the rest ("kan betale 3000 nu og resten
    den 20.", "resten den 20." asked when the rest can come) is when all of it is paid: a promise for that day, and
    no part is read (a part paid already stays so: the rest is what it asks about next)."""
    mentions, rest = _dates(_plain(text), today, strict=True)
    if rest is not None and rest.value is not None:
        if "part" in found and _part_now(text, mentions, rest, today):
            found.add("part_rest")
        found.discard("part")
    return mentions, _the_date(mentions, rest) is not None


# The words a part paid now is said with ("halvdelen nu", "some now"); "i dag", "today" are days (`_part_now`).
_NOW_WORDS = frozenset({"nu", "straks", "now"})


def _part_now(text: str, mentions: Sequence[_Mention], rest: _Mention, today: date) -> bool:
    """Whether a part is said for now beside the day for the rest ("kan betale halvdelen nu og resten den 20.", "3000 i
    dag og resten den 20."): then the rest's day is the promise, never all of it that day. Not "resten den 20." alone
    (asked when, the rest's day is when all is paid), nor a part with a day of its own ("3000 på fredag og resten den
    20.")."""
    days = {m.value for m in mentions if m.value is not None} - {rest.value}
    if not days <= {today}:
        return False
    return bool(days) or not _NOW_WORDS.isdisjoint(_plain(text).split())


def _nothing_offered(text: str, clauses: Sequence[_Clause], dated: bool) -> bool:
    """An amount of nothing said as what will be paid, or for a day ("kan betale 0 kr", "0 kr den 15.", "I can pay
    nothing"). A payment already made is not ("har betalt, 0 kr tilbage": nothing is left to pay)."""
    if any(not _PAID_WORDS.isdisjoint(clause.plain_set) for clause in clauses):
        return False
    if not dated and not any(clause.pay for clause in clauses):
        return False  # "0" or "ingenting" alone: the question it answers says what it means
    return find_amount(text) == 0


def cannot_pay_that_day(text: str, language: str, today: date) -> bool:
    """Whether a message says the tenant cannot pay on the day it names ("kan ikke betale i dag", "I can't pay
    tomorrow"): a pay word negated, a day, and no later day promised ("kan ikke betale før fredag" promises Friday)."""
    if not any(_clause(words).negated_pay for words in _clauses(text)):
        return False
    found, dated = _signals(text, language, today)
    return dated and "will_pay" not in found


def offers_nothing(text: str, today: date) -> bool:
    """Whether the message offers an amount of nothing, as a payment or for a day ("0 kr den 15."): no promise."""
    clauses = [_clause(words) for words in _clauses(text)]
    dated = find_date(text, today, strict=True) is not None
    return _nothing_offered(text, clauses, dated)


def pick_tag(text: str, language: str, offered: Iterable[str], today: date) -> str | None:
    """The reading the message gives among the tags a question offers (`PRECEDENCE` decides), or None."""
    offered = set(offered)
    found, dated = _signals(text, language, today)
    if "sms" in found and not _prefers_sms(text):
        found.discard("sms")  # "ja send på sms", "hvad er det for en sms", "hellere telegram end sms": no SMS kept
    order = PRECEDENCE if dated else _UNDATED_PRECEDENCE
    for tag in order:
        if tag in found and tag in offered:
            return tag
    return None


# The words a wish to stay on SMS is said with, beside SMS's own (TAG_WORDS' "sms"): "helst sms", "sms tak", "keep sms",
# "text is fine", "i prefer sms". A message with any other word only mentions an SMS: a yes that the code come by SMS
# ("ja send en sms", "yes text me"), a question about one ("hvad er det for en sms"), or news ("i got your text");
# "hellere telegram end sms" and "send koden på sms" wish the app.
_SMS_PREFERRED = frozenset(
    word for words in TAG_WORDS.values() for phrase in words.get("sms", ()) for word in phrase.split()
) | frozenset({
    "helst", "hellere", "bare", "kun", "bliv", "blive", "beholde", "behold", "fortsaet", "fortsat", "paa", "med",
    "over", "tak", "gerne", "ok", "okay", "fint", "godt", "er", "jeg", "vil", "have", "skrive", "skriver", "bruge",
    "foretraekker", "nok", "please", "keep", "stay", "on", "with", "is", "fine", "good", "i", "prefer", "rather",
    "would", "id", "just", "only", "use", "thanks", "by", "via",
})  # fmt: skip
# "Text me", "just text me", "skriv til mig på sms", "send mig en sms": go on writing to me here; with a word that
# agrees ("ok text me")
# it is the code asked for by SMS, a yes.
_WRITE_TO_ME = frozenset({"me", "mig", "skriv", "til", "write", "to", "send", "en", "a"})
_AGREEING = frozenset({"ok", "okay", "fint", "godt", "gerne"})


def _prefers_sms(text: str) -> bool:
    """Whether SMS is named only as the way to go on writing ("helst sms", "sms please", "text me"): the offer's no."""
    words = set(_split_words(_plain(text)))
    if words.isdisjoint(_WRITE_TO_ME):
        return words <= _SMS_PREFERRED
    return words <= _SMS_PREFERRED | _WRITE_TO_ME and words.isdisjoint(_AGREEING)


# "Tak for hjælpen", "thanks for your help": a help word thanked for is no help asked for.
_THANKED_FOR = re.compile(r"\b(?:tak|thanks|thank you)\s+for\s+(?:(?:the|your|al|jeres|din)\s+)?(?:hjaelp\w*|help)\b")
_NOW = frozenset({"nu", "now"})


def _not_now(words: Sequence[str]) -> bool:
    """A clause that says the tenant cannot now ("jeg kan ikke lige nu", "I can't pay right now", "not now")."""
    return any(
        word in _NOW and not _NEGATIONS.isdisjoint(words[max(0, index - 4) : index]) for index, word in enumerate(words)
    )


def asks_for_person(text: str, language: str, today: date) -> bool:
    """Whether a message asks for a person or for help ("kan en rådgiver ringe til mig?", "Kan nogen hjælpe mig?",
    "please call me"), or says the tenant cannot pay now ("jeg kan ikke lige nu"), whatever else it says: a day
    promised with it is kept, and the way to a person must still come. A wish turned down ("ring ikke", "I don't need
    help") or help thanked for ("tak for hjælpen") asks for nothing."""
    plain = _THANKED_FOR.sub(" ", _plain(text))
    if _person_hints(language).isdisjoint(_split_words(plain)):
        return False  # no word of any such phrase, nor "nu"/"now": most promises, read no further
    found, _dated = _signals(plain, language, today)
    if "help" in found or any(_not_now(clause) for clause in _clauses(plain)):
        return True
    # "Talk", "ringer", "someone" are read as the adviser everywhere else; here they ask only when aimed at us.
    return "adviser" in found and any(_wants_person(_clause(words).plain) for words in _clauses(plain))


def plans_with_someone_else(text: str) -> bool:
    """Whether a message names a call or a talk with someone else ("jeg ringer til kommunen i morgen", "I'll talk to
    my husband"): a plan of the tenant's own."""
    return any(_clause(words).elsewhere for words in _clauses(text))


_HOME_LOST = re.compile(r"\b(?:" + "|".join(re.escape(_fold(p)) for p in _HOME_LOST_DA + _HOME_LOST_EN) + r")\b")
# A question asked by its word order, without a question mark ("bliver jeg smidt ud", "will I be evicted").
_ASKED_BY_ORDER = re.compile(
    r"^(?:bliver|mister|kommer|skal|kan|vil|ryger|will|am|do|could|can|are|is|might|may|would)"
    r" (?:jeg|i|vi|we|you|they|de|min|my)\b"
)


def fears_losing_home(text: str) -> bool:
    """Whether a message asks, worried, whether the tenant loses their home ("bliver jeg smidt ud??", "mister jeg min
    lejlighed", "will I be evicted"): a question to be taken seriously, never thanked for as something told."""
    folded = " ".join(_split_words(_plain(text)))
    unasked = re.sub(r"^(\w+) (?:jeg|i) ", r"\1 ", folded)  # "mister jeg min lejlighed": "mister min lejlighed"
    lost = _HOME_LOST.search(folded) or _HOME_LOST.search(unasked)
    return bool(lost) and (asks_something(text) or bool(_ASKED_BY_ORDER.match(folded)))


def says_cannot_pay(text: str, language: str, today: date) -> bool:
    """Whether a message says the tenant cannot pay ("kan ikke betale", "I can't pay", "har ikke råd", "ödeyemiyorum"):
    the hardship reading, above a part, a day or a payment ("kan ikke betale før fredag" promises Friday), said with a
    pay word negated or words that say so (`_CANNOT_PAY_PHRASES`); never a reason alone ("jeg er syg" at a consent
    question says why, not that a promised day fails), nor a short "cannot" that may answer another question ("nej det
    kan jeg ikke" asked for a yes)."""
    # The words first: most messages have none of them, and the whole reading is the dearer part (it is every
    # message's, the engine asks this after its answer is read).
    clauses = [_clause(words) for words in _clauses(text)]
    if not any(c.negated_pay or _CANNOT_PAY_PHRASES.in_words(c.plain_set, c.plain_text) for c in clauses):
        return False
    found, dated = _signals(text, language, today)
    order = PRECEDENCE if dated else _UNDATED_PRECEDENCE
    return next((tag for tag in order if tag in found), None) == "hardship"


def tells_hardship(text: str, language: str) -> bool:
    """Whether a message says in its own words why paying is hard ("jeg er syg", "mistet mit job", "ingen penge"), not
    only that the tenant cannot pay yet ("kan ikke betale før fredag")."""
    readings = _READINGS.get(language, _NO_READINGS)
    clauses = (_clause(words) for words in _clauses(text))
    return any("hardship" in readings.found(clause.plain_set, clause.plain_text) for clause in clauses)


@lru_cache(maxsize=16)
def _person_hints(language: str) -> frozenset[str]:
    """Every word of the phrases that read as help or the adviser in a language (and Danish and English), and
    "nu"/"now": a message with none of them cannot ask for a person (`asks_for_person`)."""
    phrases = _folded_phrases(language, "help") + _folded_phrases(language, "adviser")
    return frozenset(word for phrase in phrases for word in phrase.split()) | _NOW


# Words that name the person wished for: always a wish (a negated one is blanked before, "ikke brug for en rådgiver").
_PERSON_WORDS = frozenset({
    "raadgiver", "radgiver", "raadgivning", "radgivning", "adviser", "advisor", "advice", "person", "menneske",
    # The Turkish and Arabic adviser words ("DANIŞMAN", "مستشار"), which their texts name as RÅDGIVER's (unreviewed).
    "danisman", "مستشار",
})  # fmt: skip
_CALLING = frozenset({"ring", "ringe", "ringer", "ringes", "call", "phone"})
_CALL_NOW = frozenset({"ring", "call", "phone"})  # as a request ("ring efter kl 16", "call after 4")
_TALKING = frozenset({"tale", "snakke", "talk", "speak"})
_SOMEONE = frozenset({"someone", "somebody", "anyone", "nogen"})
_TO_ME = frozenset({"mig", "me", "op"})  # "ring til mig", "call me", "ring mig op", "ringes op"
_TO_US = frozenset({"en", "et", "a", "an", "nogen", "jer", "dig", "you", "your", "jeres", "din"}) | _SOMEONE
_ASKING_HOW = frozenset({"kan", "vil", "can", "could", "will", "would"})
_ASKED_WHO = frozenset({"du", "i", "you", "jer"}) | _SOMEONE
_LEADING = frozenset({"ja", "yes", "please", "venligst", "gerne", "saa", "so", "ok", "okay"})
_NEEDING = frozenset({"need", "want", "brug", "behov"})
# Leave to call given ("I må gerne ringe", "du kan bare ringe", "you can call", "feel free to call"): who may call (us),
# may, and a few words between ("gerne", "bare", "just", "also") before the call word.
# Danish "I" is "you" only before a Danish word: "I can call" is the tenant who calls.
_MAY = {"maa": frozenset({"du", "i"}), "ma": frozenset({"du", "i"}), "kan": frozenset({"du", "i"}),
        "may": frozenset({"you"}), "can": frozenset({"you"})}  # fmt: skip
_MAY_BETWEEN = frozenset({"gerne", "godt", "bare", "altid", "ogsaa", "just", "always", "also"})


def _leave_to_call(words: Sequence[str], index: int) -> bool:
    """Whether the call word at `index` is leave given to us to call: "I må gerne ringe", "du må godt ringe", "I kan
    bare ringe", "you can call", "feel free to call"; not "jeg kan ringe" (the tenant calls)."""
    if tuple(words[max(0, index - 2) : index]) == ("free", "to"):
        return True
    at = index - 1
    while at >= 0 and words[at] in _MAY_BETWEEN:
        at -= 1
    return at >= 1 and words[at - 1] in _MAY.get(words[at], ())


def _wants_person(words: Sequence[str]) -> bool:
    """Whether a clause asks for a person of ours: an adviser or a person named ("kan en rådgiver ringe?"), a call to
    the tenant ("ring til mig", "call me", "kan I ringe?", "ring efter kl 16"), a talk with us ("I want to talk to
    someone") or someone to call or help. Not a call or a talk with someone else ("jeg ringer til banken", "I'll talk to
    my husband")."""
    for index, word in enumerate(words):
        after = words[index + 1 : index + 4]
        before = words[max(0, index - 2) : index]
        if word in _PERSON_WORDS:
            return True
        if (
            word in _CALLING
            and (
                not _TO_ME.isdisjoint(after)
                # "ring efter kl 16", "ja, ring gerne", "fredag og ring": a request; "ring til banken" is a call to
                # someone else
                or (
                    word in _CALL_NOW
                    and (index == 0 or words[index - 1] in _LEADING or words[index - 1] in _AND)
                    and after[:1] not in (("til",), ("to",))
                )
                or (len(before) == 2 and before[0] in _ASKING_HOW and before[1] in _ASKED_WHO)  # "kan I ringe?"
                or _leave_to_call(words, index)  # "I må gerne ringe", "you can call"
            )
        ):
            return True
        if word in _TALKING and (
            not after or (after[0] in ("med", "to", "with") and after[1:2] and after[1] in _TO_US)
        ):
            return True  # "kan vi snakke?", "talk to someone", "tale med en"; not "talk to my husband"
        if word in _SOMEONE and (
            not (_CALLING | _TALKING | {"hjaelpe", "hjaelp", "help"}).isdisjoint(after)
            or (before and before[-1] in _NEEDING)
        ):
            return True  # "can someone call me", "someone to talk to", "I need someone"
    return False


def asks_after_but(text: str, language: str, tags: Iterable[str], today: date) -> bool:
    """Whether what follows a "men"/"but" gives one of these readings ("nej, men ring til mig": a call wished for
    after the no)."""
    _first, *after = re.split(r"\s(?:men|but)\s", _plain(text))
    return bool(after) and pick_tag(" ".join(after), language, tags, today) is not None


# Words of courtesy that add nothing to an answer beside them ("ja tak", "nej, mange tak", "yes please").
_COURTESY = frozenset({"tak", "mange", "tusind", "please", "thanks", "thank", "you", "thx"})
_THANKS_OR_PLEASE = frozenset({"tak", "please", "thanks", "thank", "thx"})  # not "to tusind", "2 you"

# Words for "no" that also negate the word beside them (Arabic "لا": "لا أستطيع الدفع" is "I cannot pay"; Turkish "yok":
# "param yok" is "I have no money"), and the thanks that may stand beside the no ("لا شكرا", "yok teşekkürler").
_NO_OR_NOT = frozenset({"لا", "yok"})
_THANKS_BESIDE_NO = _COURTESY | frozenset({"شكرا", "tesekkurler", "tesekkur", "ederim", "sagol", "sagolun"})


def _no_that_negates(found: set[str], clauses: Sequence[_Clause], readings: _Readings) -> set[str]:
    """{"no"} when the message's only "no" (among the readings `found`) is such a word negating another beside it:
    it is a no only as all that is said, thanks aside ("لا", "yok"), as "nej jeg kan ikke betale" says why, not a no.
    Empty otherwise."""
    said = [word for clause in clauses for word in clause.plain]
    if "no" not in found or _NO_OR_NOT.isdisjoint(said):
        return set()
    if all(word in _NO_OR_NOT | _THANKS_BESIDE_NO for word in said):
        return set()
    for clause in clauses:
        if any("no" in readings.by_word.get(word, ()) for word in clause.plain_set - _NO_OR_NOT):
            return set()  # "hayır, param yok": the no said in its own word as well
        for word in clause.plain_set:
            if any(tag == "no" and phrase in clause.plain_text for phrase, tag in readings.by_first.get(word, ())):
                return set()  # a no in words of its own ("لا أريد", "gerek yok")
    return {"no"}


@lru_cache(maxsize=64)
def _phrases_of(language: str, tags: tuple[str, ...]) -> frozenset[str]:
    """The folded phrases of these readings in a language, as `pick_tag` reads them."""
    return frozenset(phrase for tag in tags for phrase in _folded_phrases(language, tag))


def says_only(text: str, language: str, tags: Iterable[str]) -> bool:
    """Whether the message says one of these readings and nothing more: courtesy aside, its words are one of their
    phrases, or one-word phrases of them only ("JA", "ja tak", "Nej tak!", "ok, ja", "yes please"). "Ja tak, men ring
    efter 16" says more, and so does "ja nej" when only the yes is asked about."""
    words = [word for clause in _clauses(text) for word in clause if word not in _COURTESY]
    phrases = _phrases_of(language, tuple(sorted(tags)))
    return bool(words) and (" ".join(words) in phrases or all(word in phrases for word in words))


# "Yes I did", "yeah we did": a yes that echoes a question about the past ("did you pay?"). No text of ours asks one:
# asked "do you need help with the rent?", it says yes to no help, and may well mean "I did pay".
_WHO_DID = frozenset({"i", "we"})


def says_yes_it_did(text: str, language: str) -> bool:
    """Whether a message is a yes and "(I) did" only, courtesy aside ("yes I did", "yeah i did", "yes we did")."""
    words = [word for clause in _clauses(text) for word in clause if word not in _COURTESY]
    if len(words) < 2 or words[-1] != "did" or not says_only(words[0], language, ("yes",)):
        return False
    return all(word in _WHO_DID for word in words[1:-1])


# Emoji a whole message may be made of, by what they say: "yes" a thumbs-up, an OK hand or a check (an "ok" without
# the word), "noted" a smile, "thanks" folded hands or a heart, "upset" tears or anger. Skin tones and the
# emoji-or-text selectors are left out before reading.
_EMOJI = {
    "yes": "\U0001f44d\U0001f44c\u2705\u2714\u2611\U0001f197",  # 👍 👌 ✅ ✔ ☑ 🆗
    "noted": "\U0001f642\U0001f60a\u263a\U0001f600\U0001f603\U0001f604",  # 🙂 😊 ☺ 😀 😃 😄
    "thanks": (
        "\U0001f64f\u2764\u2665\U0001f495\U0001f496\U0001f497\U0001f499\U0001f49a\U0001f49b\U0001f9e1\U0001f49c"
        "\U0001f90d\U0001f970\U0001f917\U0001f618\U0001f339\U0001f490"
    ),  # 🙏 ❤ ♥ 💕 💖 💗 💙 💚 💛 🧡 💜 🤍 🥰 🤗 😘 🌹 💐
    "upset": (
        "\U0001f622\U0001f62d\U0001f61e\U0001f614\U0001f61f\U0001f625\U0001f629\U0001f62b\U0001f630\U0001f494"
        "\U0001f97a\U0001f623\U0001f616\u2639\U0001f641\U0001f621\U0001f620\U0001f92c\U0001f624\U0001f63f"
    ),  # 😢 😭 😞 😔 😟 😥 😩 😫 😰 💔 🥺 😣 😖 ☹ 🙁 😡 😠 🤬 😤 😿
}
_EMOJI_READING = {char: reading for reading, chars in _EMOJI.items() for char in chars}
_EMOJI_PARTS = re.compile("[\\s\ufe0e\ufe0f\u200d\U0001f3fb-\U0001f3ff]")


def emoji_reading(text: str) -> str | None:
    """What a message of emoji only says ("👍", "🙏🙏", "❤️", "😢"): "yes", "noted", "thanks" or "upset"; None for
    a message with words or signs ("ok 👍", "?"), an emoji of none of these, or emoji of different ones ("👍😢")."""
    readings = {_EMOJI_READING.get(char) for char in _EMOJI_PARTS.sub("", text)}
    return next(iter(readings)) if len(readings) == 1 else None


# Anger or despair in a few words ("fuck jer", "mine børn sulter", "I can't take it anymore"): said as 😡 or 😢 is.
_UPSET_WORDS = frozenset({
    "fuck", "fucking", "fck", "lort", "lorte", "pis", "helvede", "fanden", "satan", "idiot", "idioter", "svin",
    "wtf", "shit", "crap", "damn", "sulter", "sult", "orker", "graeder", "bange", "desperat", "fortvivlet", "haabloes",
    "hungry", "starving", "crying", "scared", "afraid", "desperate", "hopeless",
})  # fmt: skip


def sounds_upset(text: str) -> bool:
    """Whether a message says anger or despair in its words ("fuck jer", "mine børn sulter", "jeg orker ikke mere")."""
    return any(not _UPSET_WORDS.isdisjoint(clause) for clause in _clauses(text))


# Words of crisis: wanting to die, suicide, self-harm, said clearly (Danish with or without æøå, typed "oe" for "ø",
# common misspellings; English). Read on a clause's words joined by spaces; a figure of speech ("jeg dør af grin", "the
# phone died", "dead tired", "I'd die for a coffee", "jeg kan ikke leve af min løn") matches none of them.
_CRISIS = re.compile(
    r"\b(?:"
    # Danish
    r"sel(?:v|f)? ?mor[dt]\w*"  # selvmord, selvmordstanker, selmord, selvmort
    # tage mit liv, tag mit eget liv, ta mit liv (not "tag mit liv i egen hånd")
    r"|ta(?:ge|g|ger|r)? (?:mit|mig|mit eget) (?:eget )?liv(?! i (?:egen|egne|mine|haand|haend))"
    r"|(?:ende|afslutte|slutte|afslut) (?:mit|mit eget) liv"
    r"|sl(?:aa|a|o)(?:r|g)? mig (?:selv )?i ?hjel"  # slå mig selv ihjel, slaar mig ihjel, sla mig ihjel
    r"|(?:vil|ville|orker|gider|kan) (?:ikke|ikk|ik) (?:at )?leve (?:mere|laengere|laenger|laengre)"
    r"|(?:vil|orker|gider) (?:ikke|ikk|ik) (?:at )?leve$"  # "jeg vil ikke leve" (not "leve af min løn")
    # jeg vil dø, jeg vil bare doe; "jeg orker ikke mere, vil bare dø" (the clause after the comma has no "jeg")
    r"|(?:^|jeg )(?:vil|ville) (?:bare |gerne |helst |hellere )?do$"
    r"|(?:lyst|onsker|onske) (?:til )?(?:at )?do$"  # lyst til at dø, ønsker at dø
    r"|(?:lyst|onsker|onske) (?:til )?(?:at )?do (?:nu|snart|bare)"
    r"|gor\w* en ende paa? (?:det|mit liv|livet|alt)"  # gøre en ende på det
    r"|(?:gore|gor|gjorde) mig selv (?:noget|skade|fortraed)"  # bange for at gøre mig selv noget
    r"|(?:skade|skader|skadet|skaere|skaerer|skare|skarer|snitte|snitter) (?:i )?mig selv"
    r"|ikke vaerd at leve|bedre (?:hvis|om) jeg var dod|ingen grund til at leve|(?:onsker|ville onske) jeg var dod"
    # English
    r"|suicid\w*|kill(?:ing)? my ?self|end(?:ing)? my (?:own )?life|end(?:ing)? it all|take my (?:own )?life"
    r"|i (?:just |really |only |honestly )?(?:want|wanna|am going|m going|going|am gonna|m gonna|gonna) (?:to )?die"
    r"|(?:do not|dont|don t) want to (?:live|be alive|be here) (?:anymore|any more)"
    r"|(?:hurt|hurting|cut|cutting|harm|harming) my ?self|self ?harm\w*|better off dead|no reason to live"
    r"|not worth living|feel like dying(?! (?:my|the|your|her|his|it)\b)|wish i (?:was|were) dead|want to be dead"
    r")\b"
)


def sounds_in_crisis(text: str) -> bool:
    """Whether a message says, in clear words, that the tenant wants to die or harm themselves ("jeg vil tage mit
    liv", "jeg orker ikke at leve mere", "selvmord", "I want to die", "end my life"); never a figure of speech ("jeg
    dør af grin", "dead tired", "I'd die for a coffee"). Read before anything else, in any state."""
    for words in _clauses(text):
        line = " ".join(words).replace("'", "")
        if _CRISIS.search(line) or _CRISIS.search(line.replace("oe", "o")):
            return True
    return False


_OPTION_NUMBER = re.compile(r"(?:nr\.? ?|no\.? ?|#)?(\d{1,2})\.?")
# An option's number written as a word ("tre", "three", "nr. to"), as the whole message, so "to" inside a sentence is
# never one. Not "en", "et" or "a": alone they are more often a word cut off than a choice (and 1 claims a payment).
_OPTION_WORDS = "|".join(word for word in _SMALL_NUMBERS if word not in ("en", "et", "a"))
_OPTION_WORD = re.compile(rf"(?:nr\.? ?|no\.? ?|nummer |number )?({_OPTION_WORDS})\.?")


def _option_number(plain: str) -> int | None:
    match = _OPTION_NUMBER.fullmatch(plain)
    if match:
        return int(match.group(1))
    match = _OPTION_WORD.fullmatch(plain)
    return _SMALL_NUMBERS[match.group(1)] if match else None


def parse_number(text: str, count: int) -> int | None:
    """An option number 1..count written alone ("2", "2.", "nr 2", "2️⃣", "tre", "three"), or after a greeting ("Hej
    2", "Hi, 1"); None otherwise."""
    plain = normalize(text)
    number = _option_number(plain)
    if number is None:
        greeting, _, last = plain.rpartition(" ")
        number = _option_number(last) if greeting and is_greeting(greeting) else None
    if number is None:
        # "3 tak", "2, thanks", "1 please": the number, and courtesy after it.
        words = [word for word in re.split(r"[\s,.!]+", plain) if word]
        courteous = all(word in _COURTESY for word in words[1:]) and not _THANKS_OR_PLEASE.isdisjoint(words[1:])
        number = _option_number(words[0]) if courteous else None
    if number is None:
        return None
    return number if 1 <= number <= count else None


# Words between option numbers that name several ("1 og 3", "1 eller 2", "2 & 4", "1 and 3").
_BETWEEN_OPTIONS = frozenset({"og", "eller", "samt", "and", "or", "&", "+", "-"})
# An option number that opens a message with more words after it ("2, fredag", "1 men ring til mig"): a point or a
# comma after it, or a space, never a day or an amount it begins ("2. januar", "2.500", "2/12", "2000").
_LEADING_OPTION = re.compile(r"(\d)(?:[.,:)]| )\s*(?!\d)(?=\S)")


def option_numbers(text: str, count: int) -> list[int]:
    """The different option numbers 1..count a message of numbers only names ("1 og 3", "1, 3", "2 or 4"); empty when
    it says anything else, or names one."""
    words = re.split(r"[\s,;/]+", normalize(text))
    numbers = [int(word.rstrip(".")) for word in words if re.fullmatch(r"\d\.?", word)]
    if any(not re.fullmatch(r"\d\.?", word) and word not in _BETWEEN_OPTIONS for word in words if word):
        return []
    if any(not 1 <= number <= count for number in numbers):
        return []
    distinct = list(dict.fromkeys(numbers))
    return distinct if len(distinct) > 1 else []


def leading_option(text: str, count: int) -> tuple[int, str] | None:
    """The option number 1..count a message opens with, and the words after it ("2, fredag, og ring til mig" is 2 and
    "fredag, og ring til mig"); None for a message that does not open so."""
    plain = normalize(text)
    match = _LEADING_OPTION.match(plain)
    if match is None or not 1 <= int(match.group(1)) <= count:
        return None
    return int(match.group(1)), plain[match.end() :]


# ---------------------------------------------------------------------------------------------------------
# Dates

# A number after "kl."/"klokken", or the Turkish "saat" with its ending ("saat 15'te", "saat 10da"), is a time of day.
_TIME = re.compile(
    r"(?:\b(?:kl|klokken|saat)\.? ?\d{1,2}(?:[.:]\d{2})?(?:'[a-z]+|[dt][ea])?\b)"
    r"|(?:\b\d{1,2}:\d{2}\b)|(?:\b\d{1,2} ?(?:am|pm)\b)"
)
_MONEY = re.compile(r"\d[\d.,]*\s*(?:kr\b\.?|kroner\b|dkk\b|,-)|\b(?:kr\.?|dkk)\s*\d[\d.,]*")
# "1.500", "2.000,50": a sum with a thousands point (a ",-" after it is cut off as the edge), never a day.
_THOUSANDS = re.compile(r"(?<![\d.,])\d{1,3}(?:\.\d{3})+(?:,\d{1,2})?(?![\d.,]?\d)")
_MONTH_NAMES = "|".join(sorted(_MONTHS, key=len, reverse=True))
_ORDINAL_NAMES = "|".join(sorted(_ORDINALS, key=len, reverse=True))
# Not inside a number ("1.5/2"), but right after "d." ("d.2/1").
_NOT_IN_NUMBER = r"(?<![\d,])(?<!\d\.)"
_FULL = re.compile(rf"{_NOT_IN_NUMBER}(\d{{1,2}})[./-](\d{{1,2}})[./-](\d{{4}}|\d{{2}})(?!\d)")
# A date as a calendar or a phone writes it ("2026-12-15"): that day, never an amount of 2026 kr.
_ISO = re.compile(r"(?<![\d.,/-])(\d{4})-(\d{1,2})-(\d{1,2})(?![\d/-]|[.,]\d)")
# "2. januar", "the 2nd of January", and as it is said: "2 i januar", "2 in January".
_DAY_MONTH = re.compile(
    rf"{_NOT_IN_NUMBER}(\d{{1,2}}|{_ORDINAL_NAMES})(?:\.|st|nd|rd|th)? ?(?:(?:of|i|in) )?({_MONTH_NAMES})\b"
    r"(?: (\d{4}))?"
)
_MONTH_DAY = re.compile(rf"\b({_MONTH_NAMES}) (\d{{1,2}})(?:st|nd|rd|th)?\b(?![.,/-]?\d)(?: (\d{{4}}))?")
# Day first, as Danes write it: "2/1" is the 2nd of January, never February 1st.
_SHORT = re.compile(rf"{_NOT_IN_NUMBER}(\d{{1,2}})[./-](\d{{1,2}})(?![.,]?\d)\.?")
# A year said as a time ("i 2027", "januar 2027", "starten af 2027", "in 2027"): no amount of kroner, and no day to pay
# on. Only the years near now, and never one written as money ("i 2027 kr"). A year alone is one only at "when?".
_YEAR_BEFORE = (
    "i|in|aar|year|fra|from|til|indtil|until|efter|after|for|foer|inden|before|by|primo|ultimo|start|starten|"
    "begyndelsen|beginning|slut|slutningen|end"
)
_BARE_YEAR = re.compile(r"20[2-3]\d")
_YEAR = re.compile(
    rf"\b(?:(?:{_YEAR_BEFORE})(?: (?:af|of))?|{_MONTH_NAMES}) (20[2-3]\d)(?![\d.,]?\d)(?! ?(?:kr|kroner|dkk|,-))"
)
# "15th", "1ste", "3dje", "20ende"; a Turkish day with its ending (unreviewed): "15'i", "15'inde", "20'sinde",
# "30'unda", "15'te", "20'ye", and typed without the apostrophe, "15inde".
_SUFFIXED = re.compile(
    r"^(\d{1,2})(?:st|nd|rd|th|te|ste|dje|de|ende|'(?:s?[iu](?:n[dt][ea])?|[dt][ea]|y?[ea])|s?[iu]n[dt][ea])$"
)
_RELATIVE: tuple[tuple[tuple[str, ...], int | None], ...] = (
    (("day", "after", "tomorrow"), 2),
    (("i", "overmorgen"), 2),
    (("overmorgen",), 2),
    (("iovermorgen",), 2),
    (("yarindan", "sonra"), 2),
    (("بعد", "غد"), 2),
    (("i", "morgen"), 1),
    (("i", "morgn"), 1),
    (("imorgen",), 1),
    (("imorgn",), 1),
    (("tomorrow",), 1),
    (("yarin",), 1),
    (("غدا",), 1),
    (("بكرة",), 1),
    (("بكره",), 1),
    (("i", "dag"), 0),
    (("i", "aften"), 0),
    (("iaften",), 0),
    (("tonight",), 0),
    (("idag",), 0),
    (("today",), 0),
    (("bugun",), 0),
    (("اليوم",), 0),
    (("i", "gaar"), None),
    (("igaar",), None),
    (("yesterday",), None),
    (("efter", "weekenden"), -1),
    (("after", "the", "weekend"), -1),
)
# The phrases above by their first word, in the same order: a word is compared only with the phrases it begins.
_RELATIVE_BY_FIRST: dict[str, tuple[tuple[tuple[str, ...], int | None], ...]] = {
    first: tuple(entry for entry in _RELATIVE if entry[0][0] == first)
    for first in dict.fromkeys(p[0] for p, _ in _RELATIVE)
}
_WEEKS = {"uge": 7, "uger": 7, "uges": 7, "week": 7, "weeks": 7, "dag": 1, "dage": 1, "day": 1, "days": 1}
_NEXT = frozenset({"naeste", "next"})
_ARTICLES = frozenset({"en", "et", "a"})
_LAST = frozenset({"sidste", "last", "forrige"})
_SKIP_BEFORE = frozenset({"paa", "on", "den", "d", "the", "om", "at"})


@dataclass(frozen=True)
class _Mention:
    """A date a message names: None when it names one that cannot be placed ("næste uge", a past date)."""

    value: date | None
    until: bool = False  # "før fredag", "until friday"
    weekday: bool = False  # named by a weekday: "fredag den 11." is the 11th when that is a Friday


def _next_day_of_month(day: int, today: date) -> date | None:
    year, month = today.year, today.month
    for _ in range(13):
        if day <= monthrange(year, month)[1]:
            candidate = date(year, month, day)
            if candidate >= today:
                return candidate
        month = month % 12 + 1
        year += 1 if month == 1 else 0
    return None


def _next_day_month(day: int, month: int, today: date) -> date | None:
    """The next such day within half a year (further away it is more likely a day that has passed)."""
    if not 1 <= month <= 12:
        return None
    for year in (today.year, today.year + 1):
        if 1 <= day <= monthrange(year, month)[1]:
            candidate = date(year, month, day)
            if candidate >= today:
                return candidate if (candidate - today).days <= 183 else None
    return None


def _full_date(day: int, month: int, year: int, today: date) -> date | None:
    year = year + 2000 if year < 100 else year
    if not 1 <= month <= 12 or not 1 <= day <= monthrange(year, month)[1]:
        return None
    candidate = date(year, month, day)
    return candidate if candidate >= today else None


def _day_number(token: str) -> int | None:
    if token in _ORDINALS:
        return _ORDINALS[token]
    match = _SUFFIXED.match(token)
    return int(match.group(1)) if match else None


def _numeric_mentions(plain: str, today: date) -> tuple[str, list[tuple[int, date | None]]]:
    """Dates written with digits or month names, and the text with them masked (`@`)."""
    found: list[tuple[int, date | None]] = []

    def masked(match: re.Match[str], value: date | None) -> str:
        found.append((match.start(), value))
        return " @ " + " " * max(0, len(match.group(0)) - 3)

    def full(m: re.Match[str]) -> str:
        return masked(m, _full_date(int(m.group(1)), int(m.group(2)), int(m.group(3)), today))

    def iso(m: re.Match[str]) -> str:
        return masked(m, _full_date(int(m.group(3)), int(m.group(2)), int(m.group(1)), today))

    def day_month(m: re.Match[str]) -> str:
        day = _ORDINALS.get(m.group(1)) or int(m.group(1))
        month, year = _MONTHS[m.group(2)], m.group(3)
        value = _full_date(day, month, int(year), today) if year else _next_day_month(day, month, today)
        return masked(m, value)

    def month_day(m: re.Match[str]) -> str:
        month, day, year = _MONTHS[m.group(1)], int(m.group(2)), m.group(3)
        value = _full_date(day, month, int(year), today) if year else _next_day_month(day, month, today)
        return masked(m, value)

    def short(m: re.Match[str]) -> str:
        return masked(m, _next_day_month(int(m.group(1)), int(m.group(2)), today))

    for pattern, replaced in (
        (_ISO, iso),
        (_FULL, full),
        (_DAY_MONTH, day_month),
        (_MONTH_DAY, month_day),
        (_SHORT, short),
    ):
        plain = pattern.sub(replaced, plain)
    found.sort(key=lambda pair: pair[0])
    return plain, found


def _weekday(day: int, today: date, words: Sequence[str], index: int) -> tuple[date | None, int]:
    """The coming such weekday (and the words read); "fredag i næste uge" is the one in next week, and
    "næste fredag" is not placed: the coming one or the one after?"""
    following = words[index + 1 : index + 4]
    for tail in (("i", "naeste", "uge"), ("naeste", "uge"), ("next", "week")):
        if tuple(following[: len(tail)]) == tail:
            monday = today + timedelta(days=7 - today.weekday())
            return monday + timedelta(days=day), 1 + len(tail)
    if index > 0 and words[index - 1] in _NEXT:
        return None, 1
    return today + timedelta(days=(day - today.weekday()) % 7 or 7), 1


@dataclass(frozen=True)
class _Found:
    """A date read at one word: where it starts, how many words it took, and what it is."""

    start: int
    width: int
    value: date | None
    past: bool = False  # "i går", "i fredags": a day that has passed is no answer, nor an unplaced one
    weekday: bool = False
    called: bool = False  # said with a call or a talk, no pay word: when to call ("ringer til kommunen i morgen")


def _in_words(words: Sequence[str], index: int, today: date) -> _Found | None:
    """A date written in words: "i morgen", "om en uge", "fredag", "næste uge", "i fredags"."""
    word = words[index]
    for phrase, offset in _RELATIVE_BY_FIRST.get(word, ()):
        if tuple(words[index : index + len(phrase)]) == phrase:
            if offset is None:
                return _Found(index, len(phrase), None, past=True)
            monday = today + timedelta(days=7 - today.weekday())  # "efter weekenden"
            return _Found(index, len(phrase), monday if offset == -1 else today + timedelta(days=offset))
    if word in ("om", "in"):
        return _from_now(words, index, today)
    if index + 1 < len(words) and words[index + 1] in _WEEKS and word not in _ARTICLES:
        # "3 dage", "to uger": counted from today ("en dag" is some day, no count)
        number = _SMALL_NUMBERS.get(word) or (int(word) if word.isdigit() else None)
        if number is not None and 1 <= number <= 31:
            gone = index + 2 < len(words) and words[index + 2] in ("siden", "ago")  # "for 3 dage siden"
            if gone:
                return _Found(index, 3, None, past=True)
            return _Found(index, 2, today + timedelta(days=number * _WEEKS[words[index + 1]]))
    before = words[index - 1] if index > 0 else ""
    if word in _WEEKS and word.startswith(("uge", "week")) and before in _NEXT | _LAST:
        return _Found(index - 1, 2, None, past=before in _LAST)  # "næste uge" names no day
    if word in _PAST_WEEKDAYS or (word in _WEEKDAYS and before in _LAST):
        return _Found(index, 1, None, past=True)
    if word in _WEEKDAYS and (len(word) > 3 or len(words) <= 3):
        value, width = _weekday(_WEEKDAYS[word], today, words, index)
        return _Found(index, width, value, weekday=True)
    return None


def _from_now(words: Sequence[str], index: int, today: date) -> _Found | None:
    """A time counted from today after "om"/"in": "om en uge", "om fjorten dage", "in 2 weeks"; "om et par dage", "in a
    few days" say a time but no day to place."""
    if index + 2 < len(words) and words[index + 2] in _WEEKS:
        count = words[index + 1]
        number = _SMALL_NUMBERS.get(count) or _DAY_CARDINALS.get(count) or (int(count) if count.isdigit() else None)
        if number is not None and 1 <= number <= 31:
            return _Found(index, 3, today + timedelta(days=number * _WEEKS[words[index + 2]]))
    few = _few_at(words, index + 1)
    if few and index + 1 + few < len(words) and words[index + 1 + few] in _WEEKS:
        return _Found(index, 2 + few, None)
    return None


# "Et par", "nogle", "a few", "a couple of": a count that names no day ("om et par dage" is asked which day).
_FEW = (("et", "par"), ("par",), ("nogle",), ("faa",), ("a", "few"), ("few",), ("a", "couple", "of"), ("a", "couple"))


def _few_at(words: Sequence[str], index: int) -> int:
    """How many words at `index` say a few ("et par", "a couple of"); 0 for none."""
    return next((len(few) for few in _FEW if tuple(words[index : index + len(few)]) == few), 0)


def _day_of_month(number: int, today: date) -> date | None:
    return _next_day_of_month(number, today) if 1 <= number <= 31 else None


_D_NUMBER = re.compile(r"d\d{1,2}")
_UNITS_EN = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9}
_EN_UNITS = {word: day for word, day in _EN_ORDINALS.items() if day < 10} | _UNITS_EN
_AMOUNT_UNITS = frozenset({"hundrede", "hundred", "tusind", "tusinde", "thousand", "kr", "kroner", "dkk"})


def _as_day(words: Sequence[str], index: int, today: date, *, strict: bool) -> _Found | None:
    """A day of the month: "den 15.", "d. 15", "the 15", "15th", "den femtende"; a bare "15" unless `strict`."""
    word = words[index]
    if word in _DAY_CARDINALS:
        after = words[index + 1] if index + 1 < len(words) else ""
        if after in _AMOUNT_UNITS:
            return None  # "femten hundrede": an amount, no day
        unit = _EN_UNITS.get(after, 0)
        if unit and _DAY_CARDINALS[word] % 10 == 0 and (not strict or after in _EN_ORDINALS):
            return _Found(index, 2, _day_of_month(_DAY_CARDINALS[word] + unit, today))  # "twenty first", "twenty five"
        word = str(_DAY_CARDINALS[word])  # "femten" is read as "15" is
    before = words[index - 1] if index > 0 else ""
    if word.isdigit() and index + 1 < len(words) and _COUNTED.fullmatch(f"{word} {words[index + 1]}"):
        return None  # "3 gange i januar", "i 2 rater": a number of times, no day of the month
    number = _day_number(word)
    if number is not None and (_SUFFIXED.match(word) or before in ("den", "d", "the") or len(words) <= 2):
        return _Found(index, 1, _day_of_month(number, today))
    if word in ("d", "den", "the") and index + 1 < len(words) and words[index + 1].isdigit():
        return _Found(index, 2, _day_of_month(int(words[index + 1]), today))
    if word.isdigit() and not strict and len(word) <= 2 and 1 <= int(word) <= 31:
        return _Found(index, 1, _day_of_month(int(word), today))
    if _D_NUMBER.fullmatch(word):
        return _Found(index, 1, _day_of_month(int(word[1:]), today))
    return None


def _mentions(plain: str, today: date, *, strict: bool) -> list[_Mention]:
    """Every date the text names, in order, as the words before each change it ("efter", "ikke"); `strict`
    leaves out bare numbers ("15" alone may be an amount)."""
    return _dates(plain, today, strict=strict)[0]


def _dates(plain: str, today: date, *, strict: bool) -> tuple[list[_Mention], _Mention | None]:
    """Every date the text names (as `_mentions`), and the one said for the rest ("resten på fredag"), if any; a day
    said for something else beside one said otherwise is not among them (`_said_for_paying`)."""
    words, found = _found(_said_for_paying(plain, today, strict=strict), today, strict=strict)
    kept = [f for f in found if not f.past and not f.called]
    mentions = [_modified(words, f.start, f.value, f.weekday) for f in kept]
    rest = _rest_index(words, kept)
    return mentions, None if rest is None else mentions[rest]


# "Resten", "the rest": everything still left to pay. Its day is when all of it will have been paid.
_REST_WORDS = frozenset({"resten", "restbelobet", "restbeloebet", "resterende"})
_OF = frozenset({"af", "of"})


def _rest_at(words: Sequence[str], index: int) -> bool:
    """Whether the words at `index` say the rest ("resten", "the rest", "det resterende"), not a part of it
    ("halvdelen af resten", "some of the rest")."""
    word = words[index]
    if word in _REST_WORDS:
        start = index - 1 if word == "resterende" and index and words[index - 1] in ("det", "the") else index
    elif word == "rest" and index and words[index - 1] == "the":
        start = index - 1
    else:
        return False
    return not (start and words[start - 1] in _OF)


def _rest_index(words: Sequence[str], found: Sequence[_Found]) -> int | None:
    """Which of the dates found is said for the rest: the first with the rest named just before it ("og resten den
    20.", "the rest I'll pay on Friday"), or else just after it ("fredag kommer resten"), no other date between."""
    for position, f in enumerate(found):
        since = found[position - 1].start + found[position - 1].width if position else 0
        if any(_rest_at(words, i) for i in range(max(since, f.start - 5), f.start)):
            return position
    for position, f in enumerate(found):
        end = f.start + f.width
        until = found[position + 1].start if position + 1 < len(found) else len(words)
        if any(_rest_at(words, i) for i in range(end, min(until, end + 4))):
            return position
    return None


_AND = frozenset({"og", "and"})
# Words that say the money itself is spoken of: a day in their clause is a payment's, even beside a call.
_MONEY_WORDS = _PAY_WORDS | frozenset({"lon", "lonnen", "lonningsdag", "payday", "salary", "wages"})


def _calls(words: Sequence[str], ends: set[int]) -> list[bool]:
    """For each word, whether its clause (ended at `ends` and before a "men"/"but") speaks of a call or a talk and of no
    payment: a day said there is when to call ("ringer til kommunen i morgen", "ring til min mobil på fredag", "I'll
    call the council tomorrow"), never when to pay ("jeg ringer til banken og betaler fredag" pays on Friday). Words
    joined to the call by an "og"/"and" before it are a say of their own: "fredag og ring til mig" pays on Friday and
    wishes a call besides, as "fredag, og ring til mig" does."""
    called = [False] * len(words)
    start = 0
    for index in range(len(words) + 1):
        if index == len(words) or index in ends or (index > start and words[index] in ("men", "but")):
            clause = words[start:index]
            if not _CALLS_AND_TALKS.isdisjoint(clause) and _MONEY_WORDS.isdisjoint(clause):
                first_call = next(at for at, word in enumerate(clause) if word in _CALLS_AND_TALKS)
                joined = [at for at in range(first_call) if clause[at] in _AND]
                begin = start + (joined[-1] + 1 if joined else 0)
                called[begin:index] = [True] * (index - begin)
            start = index
    return called


def _found(plain: str, today: date, *, strict: bool) -> tuple[list[str], list[_Found]]:
    """The text's words and every date read in them, as written; one said with a call is marked (`called`)."""
    plain = _THOUSANDS.sub(" ", _MONEY.sub(" ", _WORD_NUMBER.sub(" ", _TIME.sub(" ", plain))))  # "1.5k": no 1 May
    plain, numeric = _numeric_mentions(plain, today)
    numeric_values = iter(value for _position, value in numeric)
    words: list[str] = []
    ends: set[int] = set()
    for part in _CLAUSE_END.split(plain.replace("@", " qqdateqq ")):
        words.extend(_split_words(part))
        ends.add(len(words))
    called = _calls(words, ends) if not _CALLS_AND_TALKS.isdisjoint(words) else None
    found: list[_Found] = []
    index = 0
    while index < len(words):
        if words[index] == "qqdateqq":
            read: _Found | None = _Found(index, 1, next(numeric_values, None))
        else:
            read = _in_words(words, index, today) or _as_day(words, index, today, strict=strict)
        if read is None:
            index += 1
            continue
        found.append(replace(read, called=True) if called is not None and called[read.start] else read)
        index = max(index + 1, read.start + read.width)
    return words, found


def _modified(words: Sequence[str], start: int, value: date | None, weekday: bool) -> _Mention:
    """Apply the words before a date: "efter" moves it a day on, a negation makes it no date at all."""
    before = start - 1
    while before >= 0 and words[before] in _SKIP_BEFORE:
        before -= 1
    word = words[before] if before >= 0 else ""
    if value is None:
        return _Mention(None)
    if word in _AFTER:
        return _Mention(value + timedelta(days=1), weekday=weekday)
    if word in _UNTIL:
        return _Mention(value, until=True, weekday=weekday)
    if word in _NEGATIONS:
        return _Mention(None)  # "ikke fredag"
    return _Mention(value, weekday=weekday)


def _one_date(mentions: Sequence[_Mention]) -> date | None:
    dated = [m.value for m in mentions if not m.weekday]
    # A weekday that agrees with a day of the month only confirms it ("fredag den 11.").
    weekdays = [m for m in mentions if m.weekday]
    if (
        dated
        and weekdays
        and all(
            m.value is not None and any(d is not None and d.weekday() == m.value.weekday() for d in dated)
            for m in weekdays
        )
    ):
        mentions = [m for m in mentions if not m.weekday]
    values = {mention.value for mention in mentions}
    if len(values) != 1:
        return None
    return next(iter(values))


def _the_date(mentions: Sequence[_Mention], rest: _Mention | None) -> date | None:
    """The day a message promises: the one said for the rest when it names one ("betalt en del i dag, resten på
    fredag": by then all is paid), else its one date."""
    return rest.value if rest is not None else _one_date(mentions)


def find_date(text: str, today: date, *, strict: bool = False) -> date | None:
    """The one date on/after today the message names ("fredag", "i overmorgen", "den femtende", "15/12",
    "efter den 10." = the 11th), or the day it names for the rest ("3000 i dag og resten den 20."); None when it
    names none, several, or one that cannot be placed. `strict` ignores bare numbers, which in a longer message may
    be anything."""
    return _the_date(*_dates(_plain(text), today, strict=strict))


def rest_day(text: str, today: date) -> date | None:
    """The day a message names for the rest ("3000 nu og resten den 20.", "the rest on friday"), or None; bare numbers
    are not read as days, and a part of the rest ("noget af resten den 20") is no rest."""
    _mentions, rest = _dates(_plain(text), today, strict=True)
    return None if rest is None else rest.value


def dates_named(text: str, today: date) -> list[date]:
    """Every placed date on/after today a longer text names as written ("fristen den 9. december", "fredag
    13/12", "2026-12-14"; "efter den 9." names the 9th), in order and once each; bare numbers are not read as
    days."""
    _words, found = _found(_plain(text), today, strict=True)
    return list(dict.fromkeys(f.value for f in found if f.value is not None))


def fixed_dates_named(text: str, first: date, second: date) -> list[date]:
    """The dates a longer text names alike read on `first` and on `second` (`dates_named`): a day of the month or a
    whole date ("den 21.", "21/12"), not a day counted from when it is read ("om 20 dage", "mandag", "i morgen"),
    which names another day from each."""
    plain = _plain(text)
    _words, one = _found(plain, first, strict=True)
    _words, two = _found(plain, second, strict=True)
    other = {f.start: f.value for f in two}
    return list(dict.fromkeys(f.value for f in one if f.value is not None and other.get(f.start) == f.value))


# "Nu", "straks" as the whole answer to "when?": today. Never read inside a longer message ("kan ikke betale nu").
_NOW_WHOLE = frozenset({"nu", "lige nu", "straks", "med det samme", "now", "right now", "asap", "right away"})


def parse_date(text: str, today: date) -> date | None:
    """The date an answer to "when?" names (bare numbers count as a day of the month; "nu" alone is today)."""
    if " ".join(_split_words(_plain(text))) in _NOW_WHOLE:
        return today
    return find_date(text, today)


# Payday in Turkish and Arabic (unreviewed), as folded: "maaş", "maaştan sonra", "الراتب", "بعد الراتب".
_PAYDAY_AR_TR = frozenset({"maas", "maasim", "maastan", "maasimdan", "maasimi", "الراتب", "راتب", "راتبي"})
# Words that say when without a day ("når jeg får løn", "sidst på måneden", "i januar", "efter jul", "snart"): the day
# is asked. Of the months only the whole names and Danish "maj": a short name ("may" above all) is too often another
# word ("jul" here is Danish for Christmas).
_VAGUE_WHEN = frozenset({
    "snart", "soon", "ultimo", "primo", "lon", "lonnen", "lonningsdag", "lonningsdagen", "payday", "salary",
    "maaned", "maaneden", "month", "maj", "jul", "julen", "juleaften", "nytaar", "nytaarsaften", "christmas", "xmas",
    "paycheck", "weekend", "weekenden", "senere", "later",
    # As soon as may be ("snarest", "hurtigst muligt"): when, but no day. Not "hurtigt" alone: "det går ikke så
    # hurtigt", "så hurtigt jeg kan" say no time; only "så hurtigt som muligt" does (`_AS_SOON_AS_MAY_BE`).
    "snarest", "hurtigst",
}) | {month for month in _MONTHS if len(month) > 3} | _PAYDAY_AR_TR  # fmt: skip
_AS_SOON_AS_MAY_BE = re.compile(r"\bhurtigt som muligt\b")


# Before "when?" is asked, fewer words say when: "god weekend", "glædelig jul", "jeg skriver senere" are no promise.
# Only the turn of a month, a payday, or a month said as when ("til januar", "efter februar", "end of january").
_TURN_OF_MONTH = frozenset({"ultimo", "primo"})
_MONTH_WORDS = frozenset({"maaned", "maaneden", "month"})
_MONTH_END = frozenset({"sidst", "end"})
_PAYDAY_WORDS = (
    frozenset({"lon", "lonnen", "lonningsdag", "lonningsdagen", "payday", "salary", "paycheck"}) | _PAYDAY_AR_TR
)
_BY_MONTH = frozenset({"til", "efter", "i", "in", "sidst", "end", "by", "until", "after"})
_WHOLE_MONTHS = frozenset(month for month in _MONTHS if len(month) > 3) | {"maj"}


# A month after these says when a pay word negated can be paid ("kan ikke betale før januar", "can't pay until
# January"). "For" is "før" only as typed so: "huslejen for januar" is January's rent; so is "huslejen til januar".
_UNTIL_MONTH = frozenset({"foer", "inden", "indtil", "before", "until", "till"}) | _AFTER
_TYPED_BEFORE = re.compile(r"\bf(?:ø|oe)r\b", re.IGNORECASE)


def _month_later(clauses: Sequence[_Clause], text: str) -> bool:
    """Whether a month with no day is named as when the tenant can pay ("kan ikke betale før januar")."""
    typed_before = _TYPED_BEFORE.search(text) is not None
    return any(
        word in _WHOLE_MONTHS
        and index
        and (clause.words[index - 1] in _UNTIL_MONTH or (clause.words[index - 1] == "for" and typed_before))
        for clause in clauses
        for index, word in enumerate(clause.words)
    )


def _says_when_vaguely(words: Sequence[str]) -> bool:
    """Whether a clause says when without a day, as an answer to the opening question may ("sidst på måneden", "til
    januar", "end of month", "efter lønnen")."""
    if not _TURN_OF_MONTH.isdisjoint(words) or not _PAYDAY_WORDS.isdisjoint(words):
        return True
    if not _MONTH_WORDS.isdisjoint(words) and not _MONTH_END.isdisjoint(words):
        return True
    return any(
        word in _WHOLE_MONTHS
        and index
        and (words[index - 1] in _BY_MONTH or tuple(words[index - 2 : index]) == ("end", "of"))
        for index, word in enumerate(words)
    )


def names_unplaced_day(text: str, today: date, *, strict: bool = False) -> bool:
    """Whether an answer to "when?" names a time but no day it can place ("næste fredag": the coming one or the one
    after? "næste uge", "ikke fredag", a date gone by, "når jeg får løn", "i januar", "i 2027", "snart"): the tenant is
    asked which day they mean. `strict` reads no bare number as a day (the "2" of "2 efter løn" chose an option)."""
    plain = _plain(text)
    mentions, rest = _dates(plain, today, strict=strict)
    if _the_date(mentions, rest) is not None:
        return False
    if _YEAR.search(plain) or (not strict and _BARE_YEAR.fullmatch(plain)):
        return True  # "i 2027", "2027" asked when: a year, no day
    if _AS_SOON_AS_MAY_BE.search(plain):
        return True
    return any(m.value is None for m in mentions) or any(word in _VAGUE_WHEN for word in _split_words(plain))


def names_several_days(text: str, today: date) -> bool:
    """Whether an answer to "when?" names more than one day and no one of them as the day ("fredag eller lørdag", "den
    15 eller 16", "tirsdag d. 7" when the 7th is a Monday): a day was said, only not which."""
    mentions, rest = _dates(_plain(text), today, strict=False)
    return _the_date(mentions, rest) is None and len({m.value for m in mentions if m.value is not None}) > 1


# "Når jeg får løn", "når jeg får penge", "when I get paid", "på lønningsdagen": the day is the one the money comes,
# which the tenant knows and keephome does not; they are asked for that day, not told they were not understood.
_PAYDAY = frozenset({"lonningsdag", "lonningsdagen", "payday", "paycheck"}) | _PAYDAY_AR_TR
_WHEN_MONEY = frozenset({"naar", "nar", "when", "once", "efter", "after", "indtil", "until"})
_MONEY_COMING = frozenset({
    "lon", "lonnen", "penge", "pengene", "ydelse", "ydelsen", "ydelserne", "kontanthjaelp", "kontanthjaelpen",
    "dagpenge", "dagpengene", "pension", "pensionen", "boligstotte", "boligstotten", "su", "paid", "salary", "wages",
    "money", "benefits", "benefit",
})  # fmt: skip


# "When is the money due?", "når er pengene …": a question of their own, not when they pay.
_ASKED_AFTER_WHEN = frozenset({"is", "are", "do", "does", "will", "should", "er", "skal", "kan", "vil"})


def waits_for_pay(text: str) -> bool:
    """Whether a message says the tenant pays when money comes to them, with no day: "når jeg får løn", "når jeg får
    pengene", "efter lønnen", "when I get paid", "on payday"."""
    words = _split_words(_plain(text))
    if not _NEGATIONS.isdisjoint(words):
        return False  # "når jeg ikke har penge": no money, no day
    if not _PAYDAY.isdisjoint(words):
        return True
    return any(
        word in _WHEN_MONEY
        and index + 1 < len(words)
        and words[index + 1] not in _ASKED_AFTER_WHEN
        and not _MONEY_COMING.isdisjoint(words[index + 1 : index + 5])
        for index, word in enumerate(words)
    )


# ---------------------------------------------------------------------------------------------------------
# Amounts

_AMOUNT = re.compile(r"(?<![\d.,])(\d{1,3}(?:[.,]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?)(?!\d)")
# "3 tusind", "to hundrede", "2k", "1.5k", "1,5 k" (a thousand as people text it: never read as 2 kr, nor "1.5" as the
# 1st of May).
# A ten and a unit in one ("femogtyve", "twenty five", "twenty-five"): "twenty five hundred" is 2,500 kr, never "twenty"
# and 500.
_UNITS = {"en": 1, "to": 2, "tre": 3, "fire": 4, "fem": 5, "seks": 6, "syv": 7, "otte": 8, "ni": 9}
_UNIT_WORDS = _UNITS | _UNITS_EN
_TENS_DA = {"tyve": 20, "tredive": 30, "fyrre": 40, "halvtreds": 50, "tres": 60, "halvfjerds": 70, "firs": 80,
            "halvfems": 90}  # fmt: skip
_TENS_EN = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
            "ninety": 90}  # fmt: skip
_COMPOUNDS = {f"{unit}og{ten}": u + t for unit, u in _UNITS.items() for ten, t in _TENS_DA.items()} | {
    f"{ten}{sep}{unit}": t + u for ten, t in _TENS_EN.items() for unit, u in _UNITS_EN.items() for sep in (" ", "-", "")
}
# The words a hundred or a thousand is counted with: one to ten, the days' eleven to thirty-one, and the tens ("femten
# hundrede" is 1,500 kr, never "femten" and 100).
_COUNTING_WORDS = _SMALL_NUMBERS | _DAY_CARDINALS | _TENS_DA | _TENS_EN | _COMPOUNDS
_COUNT = rf"(?:(?<![\w.,])(\d{{1,3}}(?:[.,]\d{{1,2}})?)|\b({'|'.join(sorted(_COUNTING_WORDS, key=len, reverse=True))}))"
_WORD_NUMBER = re.compile(rf"{_COUNT} ?(tusind|tusinde|thousand|k|hundrede|hundred)\b")
# "To tusind fem hundrede", "two thousand and five hundred": one amount, never a thousand and a hundred apart.
_HUNDREDS = "|".join(sorted(_UNIT_WORDS, key=len, reverse=True))
_THOUSANDS_AND_HUNDREDS = re.compile(
    rf"{_COUNT} ?(?:tusind|tusinde|thousand) (?:og |and )?\b({_HUNDREDS}|[1-9]) ?(?:hundrede|hundred)\b"
)
# "Tusind kr", "hundrede kroner": one of them (never "tusind tak", whose "tusind" is no number); "tusind" alone is one
# only as the answer to "how much?".
_UNIT_ALONE = re.compile(r"\b(tusind|tusinde|thousand|hundrede|hundred)(?= ?(?:kr|kroner|dkk)\b|$)")
_ZERO = frozenset({"0", "ingenting", "intet", "nul", "ingen", "ingen penge", "ikke noget", "ikke en krone",
                   "nothing", "none", "zero", "no money", "not anything"})  # fmt: skip
_FILLER = frozenset({"jeg", "kan", "betale", "i", "can", "pay", "kr", "kroner", "desvaerre", "sorry", "lige",
                     "nu", "now", "har", "have", "just", "maaske", "maybe"})  # fmt: skip
_DAY_MARK = re.compile(r"\b(?:den|d|the)\.? ?\d{1,2}\b\.?|\b\d{1,2}(?:st|nd|rd|th|ste|dje|de)\b|\bd\d{1,2}\b")


def _to_ore(number: str) -> int | None:
    separators = [i for i, c in enumerate(number) if c in ".,"]
    if not separators:
        return int(number) * 100
    last = separators[-1]
    decimals = number[last + 1 :]
    mixed = len({number[i] for i in separators}) > 1
    if len(decimals) in (1, 2) or (mixed and len(decimals) != 3):
        whole = re.sub(r"[.,]", "", number[:last])
        return int(whole or "0") * 100 + int(decimals.ljust(2, "0"))
    if all(len(group) == 3 for group in re.split(r"[.,]", number)[1:]):
        return int(re.sub(r"[.,]", "", number)) * 100
    return None


def _thousands_and_hundreds(match: re.Match[str]) -> str:
    digits, word, hundreds = match.groups()
    thousands = Decimal(digits.replace(",", ".")) if digits else Decimal(_COUNTING_WORDS[word])
    return str(int(thousands * 1000) + 100 * (int(hundreds) if hundreds.isdigit() else _UNIT_WORDS[hundreds]))


def _words_to_digits(match: re.Match[str]) -> str:
    digits, word, unit = match.groups()
    # Tenths and hundredths of a thousand or a hundred are whole kroner ("1,5k" is 1500, "2.25 tusind" 2250).
    number = Decimal(digits.replace(",", ".")) if digits else Decimal(_COUNTING_WORDS[word])
    return str(int(number * (1000 if unit.startswith(("tusind", "thousand", "k")) else 100)))


_COUNTED = re.compile(
    r"\b\d+ (?:born|barn|boern|kids|kid|children|child|uger|uge|weeks?|maaneder|maaned|months?|dage|dag|days?|aar|"
    r"years?|timer|time|hours?|gange|times|omgange|rater|rate|afdrag|portioner|dele|installments?|instalments?|"
    r"personer|people|persons)\b"
)


def find_amount(text: str, *, strict: bool = False) -> int | None:
    """The one amount of kroner (in øre) a message names ("2000", "2.500,50 kr", "3 tusind"), 0 for
    "0"/"ingenting"; None when there is none, several, or one that is not clear. `strict` (a message that
    answers another question) needs at least 100 kr or a currency, and never reads "nothing" as 0."""
    plain = _plain(text)
    if strict and _BARE_YEAR.fullmatch(plain):
        return None  # "2027" alone, where no amount is asked: a year
    marked = bool(_MONEY.search(plain))
    plain = _THOUSANDS_AND_HUNDREDS.sub(_thousands_and_hundreds, _TIME.sub(" ", plain))
    plain = _WORD_NUMBER.sub(_words_to_digits, plain)  # "1.5k" before a date could read "1.5"
    if not strict or " " in plain.strip():
        plain = _UNIT_ALONE.sub(lambda m: "1000" if m.group(1).startswith(("tusind", "thousand")) else "100", plain)
    plain, _dates = _numeric_mentions(plain, date(2000, 1, 1))  # where dates are: their values do not matter
    plain = _YEAR.sub(" ", _DAY_MARK.sub(" ", plain.replace("@", " ")))
    plain = _COUNTED.sub(" ", plain)  # "3 børn", "2 uger": a number of things, no amount
    plain = re.sub(r"(?<=\d) (?=\d{3}(?!\d))", "", plain)
    numbers = [n for n in _AMOUNT.findall(plain) if len(re.sub(r"\D", "", n)) < 8]  # 8 digits: a phone number
    if not numbers:
        words = " ".join(w for w in _split_words(plain) if w not in _FILLER)
        return 0 if not strict and words in _ZERO else None
    if len(numbers) != 1:
        return None
    ore = _to_ore(numbers[0])
    if ore is None or ore > _MAX_ORE:
        return None
    if strict and (ore == 0 or (ore < 10_000 and not marked)):
        return None
    return ore


def parse_amount(text: str) -> int | None:
    """The amount an answer to "how much?" names, in øre (0 is an answer too)."""
    return find_amount(text)
