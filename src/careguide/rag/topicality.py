"""What a question is about, and whether a text is about it, on plain text: the question's topic
words (:func:`question_topic`) and the names it spells with a capital (:func:`asked_names`); how
surely a passage is about that topic (:func:`on_topic`, misspellings allowed); numbered kinds
("type 2", :func:`same_kind`); is a sentence about a narrower topic than the question's focus
("Gestational diabetes is ..." for a question about diabetes; a passage on "Diabetic Eye
Problems"), and do two sentences say nearly the same thing (MedQuAD's copy of a sentence in
another passage with a few words changed)?
"""

from __future__ import annotations

import re

from careguide.rag.words import content_words

__all__ = [
    "ASKING",
    "NARROWER_PENALTY",
    "NEAR_DUPLICATE",
    "SMALL_WORDS",
    "SUBJECT_END",
    "asked_names",
    "kinds",
    "narrower",
    "on_topic",
    "question_topic",
    "same_kind",
    "same_saying",
    "spelled",
]

SMALL_WORDS = frozenset("a an and as at by for from in of on or the to with".split())
"""Small words inside a title or a noun phrase ("Caused By A Virus", "people with diabetes")."""
SUBJECT_END = re.compile(
    r"\b(?:is|are|was|were|can|cannot|may|might|will|could|should|does|do|has|have|causes?|affects?|"
    r"occurs?|happens?|develops?|results?|means|refers|includes?|leads?|makes?|starts?)\b",
    re.I,
)
"""The first verb of a sentence: the words before it are its subject."""
_GENERIC = frozenset(content_words("type kind form people person patient adult case rare common new main"))
_BREAK_WORDS = SMALL_WORDS | {"who", "which", "that", "also", "called"}
_PHRASE_BREAK = re.compile(
    r"[,;:()\[\]\"]|\s(?:" + "|".join(sorted(_BREAK_WORDS)) + r")\s",
    re.I,
)
"""Where a noun phrase ends: "Chronic obstructive pulmonary disease, or COPD" names COPD twice,
"people with diabetes" is about diabetes; "gestational diabetes" is one phrase, a narrower focus."""

# Words of a question that say what is asked, not what it is about (topic words are the rest).
ASKING = frozenset(
    content_words(
        """symptom sign caus treat treatment cure therapy medicin medication prevent avoid contagious
    spread inherit inherited gene genetic test diagnos diagnosed diagnose outlook prognosis common
    risk complication research information info know tell explain help question please thank
    thanks dad mom mother father son daughter wife husband child children kid kids grandkid
    grandkids friend doctor get got just year old ago since still really anyone someone something
    anything food eat diet drink good bad best happen happens mean means work works need want use used
        uses hello available suffer suffers suffering plz pls parent parents pass passed possible way"""
    )
)
_ASKING_NAMES = frozenset("please thanks thank thx hello dear god doctor dr sir madam hi".split())
"""Capitalised words of a message that name nothing the sources could be about."""
_FOCUS_GENERIC = frozenset(content_words("syndrome disease disorder condition"))
"""Words of a passage's focus a question may leave out ("klinefelter's" names Klinefelter syndrome)."""
_KIND = re.compile(r"\b(type|stage|grade|phase|class)\s+(\d+|i{1,3}|iv|v)\b", re.I)
"""Numbered kinds ("type 2 diabetes", "stage 3"): a sentence about another kind answers nothing."""


def question_topic(text: str) -> frozenset[str]:
    """The content words of a question that name what it is about (not what it asks)."""
    text = re.sub(r"['\u2019]s\b", "", text)  # "klinefelter's" names Klinefelter syndrome
    return frozenset(w for w in content_words(text) if w not in ASKING and not w.isdigit())


def asked_names(capitalised: frozenset[str] | set[str]) -> frozenset[str]:
    """The capitalised words of a message that name something ("Tetracycline"), not the asking
    ("Information", "Please", "Dr")."""
    return frozenset(n for n in capitalised if n not in _ASKING_NAMES and not _asking(n))


def _asking(name: str) -> bool:
    """A capitalised word of the message that says what is asked ("Information"), not a name."""
    words = content_words(name)
    return bool(words) and words <= ASKING


def on_topic(
    topic: frozenset[str],
    passage_text: str,
    focus: str,
    question: frozenset[str],
    names: frozenset[str] = frozenset(),
) -> float:
    """How surely a passage (``passage_text``: its title, topic and text; ``focus``: its topic or
    title) is about what the question asks about: the share of the question's topic words the
    passage contains, or 1 when the question names the passage's whole focus ("Klinefelter
    syndrome", "klinefelter's": its words but "syndrome", "disease"; a handout's title). A long
    message full of personal context names its condition; a question about something else names
    neither. Most of the names the question spells with a capital (a drug, a condition) must appear
    in the passage. The focus and the names may be misspelt after their first letters
    ("Mediterean fever", :func:`spelled`)."""
    lowered = passage_text.lower()
    if names and sum(_mentions(lowered, n) for n in names) < len(names) / 2:
        return 0.0  # "Tetracycline", "Vismodegib": a name the passage never mentions
    if not topic:
        return 1.0
    words = content_words(passage_text)
    own = question_topic(focus) - _FOCUS_GENERIC
    named = 1.0 if own and all(spelled(w, question) for w in own) else 0.0
    return max(len(topic & words) / len(topic), named)


def _prefix(word: str) -> str:
    """The start of a word that a misspelling or another ending keeps ("mediterean",
    "lymphocytice"): all but its last three letters, at least five."""
    return word[: max(5, len(word) - 3)]


def spelled(word: str, words: frozenset[str] | set[str]) -> bool:
    """Is ``word`` in ``words``, or a word of six letters or more starting like one of them?"""
    if word in words:
        return True
    if len(word) < 6:
        return False
    start = _prefix(word)
    return any(w.startswith(start) for w in words if len(w) >= len(start))


def _mentions(text: str, name: str) -> bool:
    """Does the (lower-cased) text name ``name``, or a word starting like it (see :func:`spelled`)?"""
    if name in text:
        return True
    return len(name) >= 6 and re.search(r"\b" + re.escape(_prefix(name)), text) is not None


def kinds(text: str) -> dict[str, set[str]]:
    """The numbered kinds a text names: {"type": {"2"}} for "type 2 diabetes"."""
    found: dict[str, set[str]] = {}
    for kind, number in _KIND.findall(text):
        found.setdefault(kind.lower(), set()).add(number.lower())
    return found


def same_kind(asked: dict[str, set[str]], text: str) -> bool:
    """False when the text names only other numbered kinds than the question ("type 1" for "type 2")."""
    said = kinds(text)
    return all(not said.get(kind) or said[kind] & numbers for kind, numbers in asked.items())


NARROWER_PENALTY = 2.0
"""Score taken from a unit about a narrower topic than the question: as much as an answer cue,
so that such a unit is said only when no general one answers as well."""
NEAR_DUPLICATE = 0.7
"""Share of the shorter unit's content words the longer one holds for the two to say the same."""


def _stems(words: frozenset[str] | set[str]) -> set[str]:
    """Five-letter stems: "diabetic" and "diabetes" name the same focus."""
    return {w[:5] for w in words}


def _narrower_words(
    text: str, focus: frozenset[str], question: frozenset[str], ignore: frozenset[str]
) -> set[str]:
    """Words that narrow the focus in ``text`` (a sentence's subject, a passage topic): ``text``
    names the focus and adds words the question does not ("Gestational diabetes", "Diabetic Eye
    Problems" for a question about diabetes); ``ignore``: words that say what is asked."""
    stems = _stems(focus)
    asked = _stems(question)
    narrowing: set[str] = set()
    for phrase in _PHRASE_BREAK.split(text):
        words = content_words(phrase)
        if stems and _stems(words) & stems:
            narrowing |= {w for w in words - ignore - _GENERIC if w[:5] not in asked and not w.isdigit()}
    return narrowing


def narrower(
    sentence: str,
    passage_topic: str,
    focus: frozenset[str],
    question: frozenset[str],
    ignore: frozenset[str] = frozenset(),
) -> bool:
    """Is the sentence about a narrower topic than the question's focus (its topic words)? Its
    passage's topic or the subject of the sentence (the words before its first verb, within 8
    words) names the focus with words the question (``question``: its content words) does not
    ask about."""
    if _narrower_words(passage_topic, focus, question, ignore):
        return True
    head = " ".join(sentence.split()[:8])
    verb = SUBJECT_END.search(head)
    return verb is not None and bool(_narrower_words(head[: verb.start()], focus, question, ignore))


def same_saying(a: str, b: str) -> bool:
    """Do the two texts say nearly the same thing (the same sentence, or MedQuAD's copy of it in
    another passage with a few words changed)?"""
    if a == b:
        return True
    wa, wb = content_words(a), content_words(b)
    if not wa or not wb:
        return False
    shared = len(wa & wb)
    return shared / min(len(wa), len(wb)) >= NEAR_DUPLICATE and shared / max(len(wa), len(wb)) >= 0.5
