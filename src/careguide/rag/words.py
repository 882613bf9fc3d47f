"""Text primitives shared by the citation checker and the plain-language rewriter: content words
(crudely stemmed, stop words dropped), numbers with their units, frequencies, negations, names, and
the plain-language glossary (everyday words for medical terms). Imports nothing else from rag, so
that citations and plain both build on it without importing each other.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

_WORD = re.compile(r"[a-z][a-z'-]+")
_NUMBER = re.compile(
    r"(?<![\w.])(\d+(?:[.,]\d+)*(?:/\d+)?)\s*(%|mg|mcg|g|kg|ml|l|units?|iu|mmhg|mg/dl)?", re.I
)
NEGATION = re.compile(
    r"\b(?:not|no|never|none|cannot|can't|don't|doesn't|isn't|aren't|won't|without)\b", re.I
)
_FREQUENCY = re.compile(
    r"\b(?:once|twice|three times|daily|weekly|monthly|hourly|every \w+ hours?|a day|per day)\b", re.I
)
_STOP = frozenset(
    """a an the and or but of to in on for with at by from as is are was were be been being it its this
    that these those they them their there here he she his her you your we our i my me can could may might
    will would should must do does did have has had not no so if than then also very more most some any
    such other which who whom what when where why how about into over under up down out all each both
    many much often usually people person include includes included including like among well several
    certain""".split()
)


def _stem(word: str) -> str:
    """A crude suffix stripper: "includes", "included", "including" and "include" all give "includ"."""
    for suffix in ("ing", "ed", "es", "s", "ly"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            word = word[: -len(suffix)]
            break
    return word[:-1] if word.endswith("e") and len(word) >= 5 else word


def content_words(text: str) -> set[str]:
    return {_stem(w.strip("'-")) for w in _WORD.findall(text.lower()) if w not in _STOP and len(w) > 2}


def quantities(text: str) -> set[str]:
    """Numbers with their unit if any ("500 mg", "2", "20%"), thousands separators removed."""
    found = set()
    for number, unit in _NUMBER.findall(text):
        found.add(f"{number.replace(',', '')} {unit.lower()}".strip())
    return found


_NAME = re.compile(r"(?<!^)(?<![.!?]\s)\b[A-Z][\w'-]*[a-z][\w'-]*\b|\b\w+-\w+(?:-\w+)*\b")


def names(text: str) -> set[str]:
    """Names of conditions, drugs and people (capitalised mid-sentence, or hyphenated), lower-cased:
    an answer about "Holmes-Adie syndrome" must not cite a passage about another syndrome."""
    return {n.lower().removesuffix("'s") for n in _NAME.findall(text.strip())}


def frequencies(text: str) -> set[str]:
    return {f.lower() for f in _FREQUENCY.findall(text)}


@dataclass(frozen=True)
class Glossary:
    """Substitutions (term -> plain word, bracketed or not) and every lay alternative of a term."""

    substitutions: dict[str, tuple[str, bool]]
    alternatives: dict[str, tuple[str, ...]]

    def pattern(self) -> re.Pattern[str]:
        terms = sorted(self.substitutions, key=len, reverse=True)
        return re.compile(r"\b(" + "|".join(re.escape(t) for t in terms) + r")\b", re.I)

    def lay_words(self, text: str) -> set[str]:
        """Content words of the alternatives of every glossary term in ``text``."""
        lowered = text.lower()
        found: set[str] = set()
        for term in self._terms_in(lowered):
            for alternative in self.alternatives.get(term, ()):
                found |= content_words(alternative)
        return found

    def _terms_in(self, lowered: str) -> list[str]:
        return [t for t in self.alternatives if t in lowered and re.search(rf"\b{re.escape(t)}\b", lowered)]


@lru_cache(maxsize=1)
def glossary() -> Glossary:
    data = resources.files("careguide.rag").joinpath("data")
    rows = json.loads(data.joinpath("plain_terms.json").read_text(encoding="utf-8"))
    cdc = json.loads(data.joinpath("cdc_plain_language_thesaurus.json").read_text(encoding="utf-8"))
    alternatives: dict[str, list[str]] = {}
    for entry in cdc:
        term = entry["term"].strip().lower().replace("\u2019", "'")
        alts = [a.strip() for a in re.split(r"[,;]", entry["plain_alternative"].replace("\u2019", "'"))]
        alternatives.setdefault(term, []).extend(a for a in alts if a)
    substitutions: dict[str, tuple[str, bool]] = {}
    for row in rows:
        term = row["term"].lower()
        substitutions[term] = (row["plain"], bool(row["bracket"]))
        alternatives.setdefault(term, []).append(row["plain"])
    return Glossary(substitutions, {t: tuple(a) for t, a in alternatives.items()})
