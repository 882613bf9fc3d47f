"""The verifier of a plain-language rewrite against its source sentence.

:func:`verify_rewrite` accepts a rewrite only if it keeps the source's numbers and units,
frequencies, negations, hedges ("may", "some people"), names and content words (a glossary
alternative stands for its term; a dropped abbreviation is its own spelled-out name), adds no
content word of its own, and keeps each subject a subject (:func:`careguide.rag.roles.moved_subject`:
"Y causes X" is not "X causes Y"). A sentence whose rewrite fails is shown as it was written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from careguide.rag.roles import moved_subject
from careguide.rag.words import (
    NEGATION,
    PRONUNCIATION,
    abbreviations,
    content_words,
    frequencies,
    glossary,
    names,
    quantities,
)

__all__ = ["HEDGES", "RewriteCheck", "verify_rewrite"]

HEDGES = frozenset(
    """may might can could some often usually sometimes rarely most many few possibly likely
    probably about almost nearly generally typically""".split()
)
_GLUE = frozenset(content_words("include includes including following these those such"))
_CONCESSIVE = frozenset(content_words("although though"))
_CONTRASTIVE = frozenset(content_words("while whereas"))


@dataclass(frozen=True)
class RewriteCheck:
    ok: bool
    reason: str = ""


def _content_words(text: str) -> set[str]:
    """Content words, a possessive as its noun ("a person's" says "person")."""
    return content_words(re.sub(r"'s\b", "", text))


def _hedges(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z]+", text.lower()) if w in HEDGES}


def verify_rewrite(source: str, rewrite: str) -> RewriteCheck:
    """Does ``rewrite`` say what ``source`` says, no more and no less? (see the module docstring)"""
    words = glossary()
    source_plain = PRONUNCIATION.sub("", source.replace("\u2019", "'"))  # a guide says no fact
    rewrite_plain = rewrite.replace("\u2019", "'")
    if quantities(source_plain) != quantities(rewrite_plain):
        return RewriteCheck(False, "numbers or units differ")
    if frequencies(source_plain) != frequencies(rewrite_plain):
        return RewriteCheck(False, "frequency differs")
    lay = words.lay_words(source_plain)
    lowered = rewrite_plain.lower()
    terms = words._terms_in(source_plain.lower())
    lay_negations = sum(  # "in the absence of" -> "without", once for each time the source says it
        len(re.findall(rf"\b{re.escape(t)}\b", source_plain.lower()))
        * max(
            (len(NEGATION.findall(a)) for a in words.alternatives.get(t, ()) if a.lower() in lowered),
            default=0,
        )
        for t in terms
    )
    if len(NEGATION.findall(rewrite_plain)) != len(NEGATION.findall(source_plain)) + lay_negations:
        return RewriteCheck(False, "negation differs")
    lay_hedges = {h for t in terms for a in words.alternatives.get(t, ()) for h in _hedges(a)}
    # "approximately" -> "about", "frequently" -> "often": the glossary's word, not a new hedge;
    # "typically" -> "usually": a hedge said by the glossary's hedge for it
    said = _hedges(rewrite_plain)
    swapped = {t for t in terms if t in HEDGES and any(a.lower() in said for a in words.alternatives[t])}
    if (
        not _hedges(source_plain) <= _hedges(rewrite_plain) | {h for h in HEDGES if h in lay} | swapped
        or not _hedges(rewrite_plain) <= _hedges(source_plain) | lay | lay_hedges
    ):
        return RewriteCheck(False, "hedge differs")
    source_words = _content_words(source_plain)
    rewrite_words = _content_words(rewrite_plain)
    replaced = {
        w
        for t in terms
        if any(a.lower() in lowered for a in words.alternatives.get(t, ()))
        for w in content_words(t)
    }
    short = {  # an abbreviation dropped where its spelled-out name (or the plain words for it) stays
        form
        for a, long in abbreviations(source_plain).items()
        if content_words(long) <= rewrite_words | replaced
        and not re.search(rf"\b{re.escape(a)}", rewrite_plain)
        for form in (a.lower(), f"{a.lower()}s")
    }
    lost_names = {n for n in names(source_plain) if n not in lowered and n not in short}
    if lost_names:
        return RewriteCheck(False, f"names dropped: {', '.join(sorted(lost_names))}")
    added = rewrite_words - source_words - lay - _GLUE
    if added:
        return RewriteCheck(False, f"words added: {', '.join(sorted(added))}")
    short_words = {w for a in short for w in content_words(a)}
    # "Although A, B" -> "A. But B": the concession is said by "but"
    conceded = _CONCESSIVE if re.search(r"\bbut\b", lowered) else set()
    if re.search(r"(?:^|[.!?]\s+)But\b", rewrite_plain):  # "A, while B" -> "A. But B"
        conceded = conceded | _CONTRASTIVE
    dropped = source_words - rewrite_words - replaced - short_words - _GLUE - conceded
    if dropped:
        return RewriteCheck(False, f"words dropped: {', '.join(sorted(dropped))}")
    moved = moved_subject(rewrite_plain, source_plain)
    if moved:
        return RewriteCheck(False, f"subject moved: {moved}")
    return RewriteCheck(True)
