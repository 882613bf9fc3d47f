"""A reviewer's checks of a material's Markdown body: its sentences with their citation markers
("Text [1][2]."), each checked again against the passage it cites (``careguide.rag.supports``), so
a reviewer sees which sentences (edited or drafted) do not match their source; the
Flesch-Kincaid grade of its running text; the citations an edited body still uses.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from careguide.ingest import split_sentences
from careguide.rag import NON_FACTUAL, best_sentence, supports
from careguide.review.types import MaterialCitation

_MARKER = re.compile(r"\s*\[(\d+)\]")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_EMPHASIS = re.compile(r"(\*\*|__|\*|_|`)")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")


def markers(sentence: str) -> list[int]:
    return [int(n) for n in _MARKER.findall(sentence)]


def strip_markers(text: str) -> str:
    return _MARKER.sub("", text).strip()


def with_markers(sentence: str, numbers: Sequence[int]) -> str:
    """The sentence with its markers before the final punctuation: "Text [1][2]."."""
    body = strip_markers(sentence).rstrip()
    marks = "".join(f"[{n}]" for n in dict.fromkeys(numbers))
    if not marks:
        return body
    if body[-1:] in ".!?":
        return f"{body[:-1]} {marks}{body[-1]}"
    return f"{body} {marks}"


def prose(body: str) -> str:
    """The running text of a Markdown body: no headings, markers, list bullets, emphasis or links."""
    lines = []
    for line in body.splitlines():
        if _HEADING.match(line):
            continue
        text = _LIST_ITEM.sub("", line)
        text = _LINK.sub(r"\1", text)
        text = _EMPHASIS.sub("", _MARKER.sub("", text))
        lines.append(text)
    return "\n".join(lines).strip()


def reading_grade(body: str) -> float | None:
    """Flesch-Kincaid grade of the body's running text (headings and markers left out)."""
    text = prose(body)
    if not re.search(r"[A-Za-z]", text):
        return None
    import textstat

    return round(float(textstat.flesch_kincaid_grade(text)), 1)


def body_sentences(body: str) -> list[str]:
    """The sentences of a Markdown body, as written (markers kept), headings left out."""
    sentences: list[str] = []
    paragraph: list[str] = []

    def flush() -> None:
        if paragraph:
            sentences.extend(split_sentences(" ".join(paragraph)))
            paragraph.clear()

    for line in body.splitlines():
        if _HEADING.match(line) or not line.strip():
            flush()
            continue
        if _LIST_ITEM.match(line):
            flush()
            line = _LIST_ITEM.sub("", line)
        paragraph.append(_LINK.sub(r"\1", line.strip()))
    flush()
    return [s for s in sentences if re.search(r"[A-Za-z]", strip_markers(s))]


CheckStatus = Literal["supported", "unsupported", "uncited", "advice", "unknown-citation"]
WARNINGS: tuple[CheckStatus, ...] = ("unsupported", "uncited", "unknown-citation")


@dataclass(frozen=True)
class SentenceCheck:
    """One sentence of a body checked against the passages it cites."""

    sentence: str
    """The sentence without its markers."""
    cited: tuple[int, ...]
    status: CheckStatus
    reason: str = ""
    quotes: tuple[tuple[int, str], ...] = ()
    """For each cited source: the passage sentence closest to this sentence."""

    @property
    def warning(self) -> bool:
        return self.status in WARNINGS


def check_body(
    body: str, citations: Sequence[MaterialCitation], passages: Mapping[int, str]
) -> list[SentenceCheck]:
    """Check every sentence of ``body``; ``passages`` maps citation numbers to the passage text.

    A citation whose passage is not available (an index rebuilt since) is checked against its
    stored quote, which is stricter than the whole passage.
    """
    by_n = {c.n: c for c in citations}
    checks: list[SentenceCheck] = []
    for raw in body_sentences(body):
        plain = strip_markers(raw)
        cited = tuple(dict.fromkeys(markers(raw)))
        if not cited:
            if NON_FACTUAL.search(plain):
                checks.append(SentenceCheck(plain, (), "advice", "advice to ask the care team"))
            else:
                checks.append(SentenceCheck(plain, (), "uncited", "no source is cited for it"))
            continue
        unknown = [n for n in cited if n not in by_n]
        if unknown:
            listed = ", ".join(f"[{n}]" for n in unknown)
            checks.append(SentenceCheck(plain, cited, "unknown-citation", f"{listed} is not in the sources"))
            continue
        quotes: list[tuple[int, str]] = []
        problems: list[str] = []
        for n in cited:
            passage = passages.get(n) or by_n[n].quote
            verdict = supports(plain, f"{by_n[n].title}\n{passage}")
            quotes.append((n, best_sentence(plain, passage)))
            if not verdict.supported:
                problems.append(f"[{n}]: {verdict.reason}")
        if problems:
            checks.append(SentenceCheck(plain, cited, "unsupported", "; ".join(problems), tuple(quotes)))
        else:
            checks.append(SentenceCheck(plain, cited, "supported", "", tuple(quotes)))
    return checks


def cited_numbers(body: str) -> set[int]:
    return {n for sentence in body_sentences(body) for n in markers(sentence)}


def citations_for(body: str, pool: Sequence[MaterialCitation]) -> list[MaterialCitation]:
    """The citations an edited body uses, numbers unchanged, from every citation the material had."""
    used = cited_numbers(body)
    latest: dict[int, MaterialCitation] = {}
    for citation in pool:  # oldest first: a later version's copy of a number wins
        latest[citation.n] = citation
    return [latest[n] for n in sorted(latest) if n in used]
