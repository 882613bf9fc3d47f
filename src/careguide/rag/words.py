"""Text primitives shared by the citation checker, the plain-language rewriter and its verifier:
content words (crudely stemmed, stop words dropped), numbers with their units, frequencies,
negations, names, defined abbreviations, pronunciation guides, and the plain-language glossary
(everyday words for medical terms). Imports nothing else from rag, so that citations, plain and
rewrite_check all build on it without importing each other.
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


ABBREVIATION = re.compile(r"\s*\(([A-Z][A-Za-z0-9]*[A-Z0-9][A-Za-z0-9]*?)(s?)\)")
"""A bracketed short form with two capitals or more: "(CKD)", "(HbA1c)", "(MRIs)"."""


def _long_form(short: str, before: str) -> str:
    """The spelled-out name of ``short`` at the end of ``before`` ("" when none): Schwartz &
    Hearst's rule (PSB 2003): each letter or digit of the short form, right to left, is found in
    order in the words before the brackets, its first letter at the start of a word, within
    min(len + 5, 2 * len) words."""
    words = before.split()
    span = " ".join(words[-min(len(short) + 5, 2 * len(short)) :])
    s, i = len(short) - 1, len(span) - 1
    while s >= 0:
        c = short[s].lower()
        if not c.isalnum():
            s -= 1
            continue
        while i >= 0 and (span[i].lower() != c or (s == 0 and i > 0 and span[i - 1].isalnum())):
            i -= 1
        if i < 0:
            return ""
        i -= 1
        s -= 1
    start = span.rfind(" ", 0, i + 1) + 1
    found = span[start:].strip(" ,;:")
    return found if len(found.split()) >= 2 or len(found) > len(short) + 2 else ""


def abbreviations(text: str) -> dict[str, str]:
    """Short forms defined in brackets after their spelled-out name: {"CKD": "chronic kidney disease"}."""
    found: dict[str, str] = {}
    for match in ABBREVIATION.finditer(text):
        short = match.group(1)
        long = _long_form(short, text[: match.start()])
        if long:
            found[short] = long
    return found


PRONUNCIATION = re.compile(
    r"\s*\((?=[^()]*\b[A-Z]{2,}\b)(?=[^()]*\b[a-z]+\b)"
    r"(?:[A-Za-z]+-){2,}[A-Za-z]+(?:\s+(?:[A-Za-z]+-)+[A-Za-z]+)*\)"
)
"""A pronunciation guide: "(uh-NEE-me-uh)", "(A-tre-al fi-bri-LA-shun)" (three syllables or more
joined by hyphens, some in capitals and some not; "(HIV-AIDS)" and "(non-ADD)" are no guides)."""


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
