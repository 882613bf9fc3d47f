"""Who does what: a claim's subject must play a subject's part in its source sentence, and a claim
may not put a new noun in the place of one its source sentence names.

A lexical check counts shared words, so "Y causes X" passes for "X causes Y", and "It causes
sugar to build up" passes for "It causes ammonia to build up" when four words of five are shared.
Both need the sentence's structure: the dependency parse of spaCy's small English model (the model
the PHI redactor uses, a dependency of the package; where it cannot load, both checks pass
everything, as the lexical checker did). The small model misreads some verbs as nouns ("damages",
"stores"): a moved subject is only called where the parse finds the source's own subject and places
the claim's subject in an object's slot.

- :func:`moved_subject`: a noun of a claim's subject (the subject of each main verb; pronouns
  carry nothing) that its source sentence places in an object's slot and nowhere a subject can be
  paraphrased from: a subject (a relative pronoun's noun: "a gland that makes"), the agent of a
  passive ("caused by X"), a copula's complement ("X is a gland": "The gland is X"), or, for a
  passive claim, an object. A glossary lay word counts for its term.
- :func:`substituted_noun`: a noun of the claim found nowhere in the passage (nor as a glossary
  lay word), in the same grammatical slot (the same relation to the same head word) as a noun of
  the source sentence that the claim drops.

Both run only where the claim's shared words are out of the source's order (a swap must break the
order), or where a claim word is missing from the passage (a substitution needs one), so a
sentence copied or split from its source costs no parse.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from itertools import pairwise
from typing import Any

from careguide.guardrails import SPACY_MODEL as PHI_SPACY_MODEL
from careguide.guardrails import loaded_pipeline
from careguide.rag.words import content_words, glossary

__all__ = ["SPACY_MODEL", "in_order", "moved_subject", "substituted_noun", "warm"]

SPACY_MODEL = PHI_SPACY_MODEL
"""The small English pipeline installed with the PHI redactor (tagger and parser used here)."""

_SUBJECTS = frozenset({"nsubj", "nsubjpass", "csubj"})
_NOUNS = frozenset({"NOUN", "PROPN"})
_RELATIVE = frozenset({"that", "which", "who", "whom", "whose"})
_CLAUSES = frozenset({"relcl", "acl", "advcl", "ccomp", "xcomp", "conj", "cc"})
"""Children whose subtree is another clause (or coordinated predicate), not part of the phrase."""


_UNUSED = ("ner", "lemmatizer")


@lru_cache(maxsize=1)
def _parser() -> Any:
    """The PHI redactor's pipeline when one is loaded in this process (it is on every chat
    question's path), else the same model loaded here (about 7 s once)."""
    shared = loaded_pipeline(SPACY_MODEL)
    if shared is not None:
        return shared
    try:
        import spacy

        return spacy.load(SPACY_MODEL, disable=list(_UNUSED))
    except (ImportError, OSError):  # the model is installed with the PHI extra
        return None


def warm() -> None:
    """Load the parser now (a server calls it at start-up, not on its first answer)."""
    _parser()


@lru_cache(maxsize=2048)
def _parse(text: str) -> Any:
    nlp = _parser()
    if nlp is None:
        return None
    return nlp(text, disable=[name for name in _UNUSED if name in nlp.pipe_names])


def _stem(text: str) -> str:
    found = content_words(text)
    return next(iter(found)) if len(found) == 1 else ""


def _head_word(token: Any) -> str:
    return _stem(token.head.text) or str(token.head.lower_)


def _lay(text: str) -> set[str]:
    return glossary().lay_words(text)


def _vocabulary(text: str) -> set[str]:
    """Content words, each part of a hyphenated name also on its own (a parser token is one part)."""
    return content_words(text) | content_words(text.replace("-", " "))


def in_order(claim: str, source: str) -> bool:
    """Do the content words the claim shares with the source come in the source's order?"""
    positions: dict[str, int] = {}
    for i, word in enumerate(_words_in_order(source)):
        positions.setdefault(word, i)
    seen = [positions[w] for w in dict.fromkeys(_words_in_order(claim)) if w in positions]
    return all(a < b for a, b in pairwise(seen))


def _words_in_order(text: str) -> list[str]:
    return [s for s in (_stem(w) for w in text.split()) if s]


def _phrase(token: Any, full: bool) -> list[Any]:
    """The noun phrase of ``token``: its left modifiers and itself, its coordinated nouns ("A and
    B") and appositions; with ``full`` also its prepositional phrases ("the parents of a child"),
    never a clause hanging on it."""
    tokens = list(token.doc[token.left_edge.i : token.i + 1])
    for child in token.rights:
        if child.dep_ in ("appos", "conj") and child.pos_ in _NOUNS:
            tokens += _phrase(child, full)
        elif full and child.dep_ not in _CLAUSES and child.dep_ != "punct":
            tokens += [t for t in child.subtree if not _in_clause(t, child)]
    return tokens


def _in_clause(token: Any, top: Any) -> bool:
    while token.i != top.i:
        if token.dep_ in _CLAUSES:
            return True
        token = token.head
    return False


def _text(tokens: Iterable[Any]) -> str:
    return " ".join(t.text for t in tokens)


def _subject_slots(doc: Any, passive: bool) -> str:
    """The words of the source sentence a claim's subject may come from."""
    slots: list[Any] = []
    for token in doc:
        dep = token.dep_
        if dep in _SUBJECTS:
            if token.lower_ in _RELATIVE and token.head.dep_ in ("relcl", "acl"):
                slots += _phrase(token.head.head, full=False)
            else:
                slots += _phrase(token, full=True)
        elif dep == "pobj" and token.head.dep_ == "agent":
            slots += _phrase(token, full=True)
        elif dep == "attr" or (passive and dep == "dobj"):
            slots += _phrase(token, full=dep == "dobj")
    return _text(slots)


def _claim_subjects(doc: Any) -> list[Any]:
    """The subject of each main verb of each sentence of the claim (the root and the verbs
    coordinated with it), pronouns and determiners left out."""
    found = []
    for sentence in doc.sents:
        verbs = [sentence.root, *sentence.root.conjuncts]
        for verb in verbs:
            for child in verb.children:
                if child.dep_ in ("nsubj", "nsubjpass") and child.pos_ in _NOUNS:
                    found.append(child)
    return found


_OBJECTS = frozenset({"dobj", "pobj", "iobj", "dative", "oprd"})
_MODIFIERS = frozenset({"compound", "amod", "nmod", "poss", "conj", "appos"})


def _object_words(doc: Any) -> set[str]:
    """Words of the nouns the parse places in an object's slot (an object, or the noun of a
    preposition other than a passive's "by"), with their modifiers."""
    found: set[str] = set()
    for token in doc:
        if token.pos_ not in _NOUNS:
            continue
        top = token
        while top.dep_ in _MODIFIERS and top.head.i != top.i:
            top = top.head
        if top.dep_ in _OBJECTS and not (top.dep_ == "pobj" and top.head.dep_ == "agent"):
            found |= _vocabulary(token.text)
    return found


def _subject_nouns(doc: Any) -> set[str]:
    """Words of the source's own subjects (a relative pronoun read as its noun)."""
    found: set[str] = set()
    for token in doc:
        if token.dep_ not in _SUBJECTS:
            continue
        if token.lower_ in _RELATIVE and token.head.dep_ in ("relcl", "acl"):
            token = token.head.head
        found |= {w for t in _phrase(token, full=False) if t.pos_ in _NOUNS for w in _vocabulary(t.text)}
    return found


def moved_subject(claim: str, source: str) -> str:
    """A noun of the claim's subject that ``source`` places in an object's slot and nowhere a
    subject can come from, while the source's own subject is not the claim's ("" when there is
    none, or nothing to parse with). A parse that finds no noun subject in the source decides
    nothing: the small model reads some verbs as nouns ("stores", "damages")."""
    if in_order(claim, source):
        return ""
    claim_doc, source_doc = _parse(claim), _parse(source)
    if claim_doc is None or source_doc is None:
        return ""
    objects = _object_words(source_doc)
    own = _subject_nouns(source_doc)
    for subject in _claim_subjects(claim_doc):
        phrase = _phrase(subject, full=False)
        nouns = [t for t in phrase if t.pos_ in _NOUNS]
        said = {w for t in nouns for w in _vocabulary(t.text)} | _lay(_text(phrase))
        if not own - said:
            continue  # the claim's subject is the source's subject
        slots = _subject_slots(source_doc, passive=subject.dep_ == "nsubjpass")
        allowed = _vocabulary(slots) | _lay(slots)
        for noun in nouns:
            word = _stem(noun.text)
            if word and word in objects and word not in allowed:
                return str(noun.text)
    return ""


def substituted_noun(claim: str, source: str, passage: str) -> tuple[str, str] | None:
    """(the claim's new noun, the source's noun it stands in place of), or None: a claim noun
    that the passage does not name (nor a glossary lay word of it) in the slot of a source noun
    that the claim does not name."""
    known = _vocabulary(passage) | _lay(passage)
    claim_words = _vocabulary(claim)
    if claim_words <= known:
        return None
    claim_doc, source_doc = _parse(claim), _parse(source)
    if claim_doc is None or source_doc is None:
        return None
    said = claim_words | _lay(claim)
    for token in claim_doc:
        word = _stem(token.text)
        if token.pos_ not in _NOUNS or not word or word in known:
            continue
        head = _head_word(token)
        for other in source_doc:
            if other.pos_ not in _NOUNS or other.dep_ != token.dep_ or other.i == other.head.i:
                continue
            other_word = _stem(other.text)
            if (
                other_word
                and other_word not in said
                and (_stem(other.head.text) or other.head.lower_) == head
            ):
                return str(token.text), str(other.text)
    return None
