"""Plain language by deterministic steps, each rewrite verified against its source sentence.

Steps: a medical term is replaced by its everyday word, the term kept once in brackets
("high blood pressure (hypertension)"); a sentence joined by semicolons becomes short sentences;
a long enumeration ("include A, B, C and D") becomes a list. The words come from
``data/plain_terms.json`` (careguide's substitutions, most from the CDC Plain Language Thesaurus)
and ``data/cdc_plain_language_thesaurus.json`` (the CDC thesaurus, a U.S. federal work in the
public domain), whose alternatives also count as the same word when a rewrite is verified.

:func:`verify_rewrite` accepts a rewrite only if it keeps the source's numbers and units,
frequencies, negations, hedges ("may", "some people"), names and content words (a glossary
alternative stands for its term) and adds no content word of its own. A sentence whose rewrite
fails is shown as it was written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from careguide.rag.words import NEGATION, Glossary, content_words, frequencies, glossary, names, quantities

__all__ = ["Glossary", "RewriteCheck", "glossary", "simplify", "verify_rewrite"]

HEDGES = frozenset(
    """may might can could some often usually sometimes rarely most many few possibly likely
    probably about almost nearly generally typically""".split()
)
_LIST = re.compile(
    r"^(?P<lead>.*?\b(?:include|includes|including|such as)):?\s+(?P<items>[^.;:]+?)\.?$", re.I
)
"""Only an explicit enumeration becomes a list: after "foods that are lower in" the items would
lose the words they share."""
_GLUE = frozenset(content_words("include includes including following these those such"))


def _replace_terms(sentence: str, seen: set[str]) -> str:
    """Medical terms -> everyday words; a bracketed term is named once per answer (``seen``)."""
    words = glossary()

    def swap(match: re.Match[str]) -> str:
        term = match.group(0)
        plain, bracket = words.substitutions[term.lower()]
        if match.start() == 0 and term[:1].isupper():
            plain = plain[:1].upper() + plain[1:]
        if not bracket:
            return plain
        if term.lower() in seen:
            return plain
        seen.add(term.lower())
        return f"{plain} ({term})"

    return words.pattern().sub(swap, sentence)


def _sentence(text: str) -> str:
    text = text.strip().strip(",;")
    if not text:
        return ""
    text = text[:1].upper() + text[1:]
    return text if text[-1:] in ".!?:" else f"{text}."


def _as_list(sentence: str) -> tuple[str, list[str]] | None:
    """ "Symptoms include A, B, C, and D." -> ("Symptoms include:", [A, B, C, D]) for 3+ items."""
    match = _LIST.match(sentence.strip())
    if not match:
        return None
    items = [
        i.strip() for i in re.split(r",\s*(?:and\s+|or\s+)?|\s+and\s+|\s+or\s+", match["items"]) if i.strip()
    ]
    if len(items) < 3 or any(len(i.split()) > 8 for i in items):
        return None
    return f"{match['lead'].strip()}:", items


_CLAUSE = re.compile(
    r",\s+(?:and\s+)?(?=(?:but\s+)?(?:it|they|this|these|most|many|some|people|you|your|there|he|she|we)\s)",
    re.I,
)


def _clauses(sentence: str) -> list[str]:
    """A long sentence split where a new clause with its own subject starts after a comma
    ("..., and it may take months" -> "... It may take months"); both halves keep 6+ words."""
    if len(sentence.split()) <= LONG_SENTENCE:
        return [sentence]
    for match in _CLAUSE.finditer(sentence):
        head, tail = sentence[: match.start()], sentence[match.end() :]
        if len(head.split()) >= 6 and len(tail.split()) >= 6:
            return [head, *_clauses(tail)]
    return [sentence]


LONG_SENTENCE = 20
"""Words above which a sentence is split where it can be (semicolons, enumerations)."""


def simplify(sentence: str, seen: set[str] | None = None) -> tuple[list[str], list[str]]:
    """Short sentences and list items for one source sentence: (sentences, items).

    ``seen`` collects the terms already named in brackets earlier in the same answer."""
    seen = set() if seen is None else seen
    text = _replace_terms(sentence, seen)
    pieces = [p for p in re.split(r";\s+", text) if p.strip()] if ";" in text else [text]
    pieces = [c for p in pieces for c in _clauses(p)]
    sentences: list[str] = []
    items: list[str] = []
    for piece in pieces:
        listed = _as_list(piece) if len(piece.split()) > 12 or piece.count(",") >= 2 else None
        if listed and not items and piece is pieces[-1]:
            sentences.append(_sentence(listed[0]))
            items = listed[1]
        else:
            sentences.append(_sentence(piece))
    return [s for s in sentences if s], items


@dataclass(frozen=True)
class RewriteCheck:
    ok: bool
    reason: str = ""


def _hedges(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z]+", text.lower()) if w in HEDGES}


def verify_rewrite(source: str, rewrite: str) -> RewriteCheck:
    """Does ``rewrite`` say what ``source`` says, no more and no less? (see the module docstring)"""
    words = glossary()
    source_plain = source.replace("\u2019", "'")
    rewrite_plain = rewrite.replace("\u2019", "'")
    if quantities(source_plain) != quantities(rewrite_plain):
        return RewriteCheck(False, "numbers or units differ")
    if frequencies(source_plain) != frequencies(rewrite_plain):
        return RewriteCheck(False, "frequency differs")
    lay = words.lay_words(source_plain)
    lay_negations = sum(
        len(NEGATION.findall(a))
        for t in words._terms_in(source_plain.lower())
        for a in words.alternatives.get(t, ())
        if a.lower() in rewrite_plain.lower()
    )
    if len(NEGATION.findall(rewrite_plain)) != len(NEGATION.findall(source_plain)) + lay_negations:
        return RewriteCheck(False, "negation differs")
    if (
        not _hedges(source_plain) <= _hedges(rewrite_plain) | {h for h in HEDGES if h in lay}
        or not _hedges(rewrite_plain) <= _hedges(source_plain) | lay
    ):
        return RewriteCheck(False, "hedge differs")
    lowered = rewrite_plain.lower()
    lost_names = {n for n in names(source_plain) if n not in lowered}
    if lost_names:
        return RewriteCheck(False, f"names dropped: {', '.join(sorted(lost_names))}")
    source_words = content_words(source_plain)
    rewrite_words = content_words(rewrite_plain)
    added = rewrite_words - source_words - lay - _GLUE
    if added:
        return RewriteCheck(False, f"words added: {', '.join(sorted(added))}")
    replaced = {
        w
        for t in words._terms_in(source_plain.lower())
        if any(a.lower() in lowered for a in words.alternatives.get(t, ()))
        for w in content_words(t)
    }
    dropped = source_words - rewrite_words - replaced - _GLUE
    if dropped:
        return RewriteCheck(False, f"words dropped: {', '.join(sorted(dropped))}")
    return RewriteCheck(True)
