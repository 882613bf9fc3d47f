"""Two sentence rules of the extractive answer, on plain text: is a sentence about a narrower topic
than the question's focus ("Gestational diabetes is ..." for a question about diabetes; a passage
on "Diabetic Eye Problems"), and do two sentences say nearly the same thing (MedQuAD's copy of a
sentence in another passage with a few words changed)?
"""

from __future__ import annotations

import re

from careguide.rag.words import content_words

__all__ = ["NARROWER_PENALTY", "NEAR_DUPLICATE", "SMALL_WORDS", "SUBJECT_END", "narrower", "same_saying"]

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
