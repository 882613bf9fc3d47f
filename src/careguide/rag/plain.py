"""Plain language by deterministic steps, each rewrite verified against its source sentence.

Steps: a medical term is replaced by its everyday word, the term kept once in brackets
("high blood pressure (hypertension)"); an abbreviation defined in brackets ("chronic kidney
disease (CKD)") is dropped when the answer does not use it again; a long sentence is split at safe
joints and a long enumeration becomes a list (:mod:`careguide.rag.splitting`). The words come from
``data/plain_terms.json`` (careguide's substitutions, most from the CDC Plain Language Thesaurus)
and ``data/cdc_plain_language_thesaurus.json`` (the CDC thesaurus, a U.S. federal work in the
public domain), whose alternatives also count as the same word when a rewrite is verified.

:func:`rewrite` keeps a rewrite only if :func:`careguide.rag.rewrite_check.verify_rewrite` accepts
it (the same facts, no more and no less); a sentence whose rewrite fails is shown as it was written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from careguide.rag.rewrite_check import verify_rewrite
from careguide.rag.splitting import split_sentence
from careguide.rag.words import ABBREVIATION, PRONUNCIATION, Glossary, abbreviations, glossary

__all__ = [
    "Glossary",
    "Rewrite",
    "abbreviations",
    "glossary",
    "rewrite",
    "simplify",
    "used_abbreviations",
]


def _replace_terms(sentence: str, seen: set[str]) -> str:
    """Medical terms -> everyday words; a bracketed term is named once per answer (``seen``)."""
    words = glossary()

    def swap(match: re.Match[str]) -> str:
        term = match.group(0)
        if (
            sentence[match.start() - 1 : match.start()] == "-"
            or sentence[match.end() : match.end() + 1] == "-"
        ):
            return term  # part of a hyphenated name ("varicella-zoster", "pre-hypertension")
        if (
            match.start() > 0
            and term[:1].isupper()
            and not re.search(r"[.!?:]\s*$", sentence[: match.start()])
        ):
            return (
                term  # a capital inside a sentence: part of a name ("National Institute of Neurological ...")
            )
        plain, bracket = words.substitutions[term.lower()]
        before = sentence[: match.start()].rstrip().lower()
        if sentence[: match.start()].endswith("(") or before.endswith(plain.lower()):
            return term  # "high blood pressure (hypertension)": the source says both already
        if sentence[match.end() :].lstrip().startswith("("):
            return term  # "hypertension (high blood pressure)": explained in the source's own words
        if match.start() == 0 and term[:1].isupper():
            plain = plain[:1].upper() + plain[1:]
            term = term.lower() if term[1:].islower() else term  # "High blood pressure (hypertension)"
        if not bracket:
            return plain
        if term.lower() in seen:
            return plain
        seen.add(term.lower())
        return f"{plain} ({term})"

    return _articles(words.pattern().sub(swap, sentence))


def _articles(text: str) -> str:
    """ "a" or "an" as the next word sounds after a swap ("an edema" -> "a swelling", "a
    radiologist" -> "an x-ray doctor"); before "u" the article is left as it was."""

    def fix(match: re.Match[str]) -> str:
        article, word = match.group(1), match.group(2)
        first = word[:1].lower()
        if first == "u":
            return match.group(0)
        vowel = first in "aeio" or word.lower().startswith(("x-", "hour", "honest"))
        right = "an" if vowel else "a"
        right = right.capitalize() if article[:1].isupper() else right
        return f"{right} {word}"

    return re.sub(r"(?<![\w-])([Aa]n?) ([A-Za-z][\w-]*)", fix, text)


def _drop_abbreviations(sentence: str, keep: frozenset[str]) -> str:
    """ "chronic kidney disease (CKD) damages ..." -> "chronic kidney disease damages ..." unless
    the answer uses "CKD" elsewhere (``keep``) or later in this sentence."""
    defined = abbreviations(sentence)

    def drop(match: re.Match[str]) -> str:
        short = match.group(1)
        if (
            short not in defined
            or short in keep
            or re.match(r"[\w-]", sentence[match.end() : match.end() + 1])
        ):
            return match.group(0)  # kept, or glued to what follows ("(CBF)-AML", "(RR)0.76")
        if re.search(rf"\b{re.escape(short)}s?\b", sentence[match.end() :]):
            return match.group(0)
        return ""

    return ABBREVIATION.sub(drop, sentence)


def used_abbreviations(texts: list[str]) -> frozenset[str]:
    """Short forms the texts use outside their own defining brackets."""
    used: set[str] = set()
    for text in texts:
        bare = ABBREVIATION.sub(" ", text)
        used |= set(re.findall(r"\b[A-Z][A-Za-z0-9]*[A-Z0-9][A-Za-z0-9]*\b", bare))
    return frozenset(used)


def simplify(
    sentence: str, seen: set[str] | None = None, keep: frozenset[str] = frozenset()
) -> tuple[list[str], list[str]]:
    """Short sentences and list items for one source sentence: (sentences, items).

    ``seen`` collects the terms already named in brackets earlier in the same answer; ``keep``
    holds the abbreviations the answer uses elsewhere (their defining brackets stay)."""
    seen = set() if seen is None else seen
    return split_sentence(_replace_terms(_drop_abbreviations(PRONUNCIATION.sub("", sentence), keep), seen))


@dataclass(frozen=True)
class Rewrite:
    """One sentence as shown: its plain rewrite where verified, else the sentence as written."""

    source: str
    sentences: tuple[str, ...]
    items: tuple[str, ...] = ()
    rejected: str = ""
    """Why the verifier rejected the rewrite ("" when it was kept or nothing changed)."""

    @property
    def changed(self) -> bool:
        return self.sentences != (self.source,) or bool(self.items)


def rewrite(sentence: str, seen: set[str], keep: frozenset[str] = frozenset()) -> Rewrite:
    """The rewriting step: :func:`simplify`, kept only if :func:`verify_rewrite` accepts it.

    ``seen`` (the terms already bracketed in the text) is updated only by a kept rewrite."""
    trial = set(seen)
    sentences, items = simplify(sentence, trial, keep)
    if sentences == [sentence] and not items:
        return Rewrite(sentence, (sentence,))
    check = verify_rewrite(sentence, " ".join([*sentences, *items]))
    if not check.ok:
        return Rewrite(sentence, (sentence,), (), check.reason or "not verified")
    seen |= trial
    return Rewrite(sentence, tuple(sentences), tuple(items))
