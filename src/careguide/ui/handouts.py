"""Education material drafted from the knowledge base, and the checks a reviewer sees.

A draft is a few focused questions about the topic ("What is asthma?", "What are the symptoms of
asthma?", ...) answered by the Assistant at the chosen reading level. Only answered questions make
a section, and only sentences the Assistant verified against a cited passage are kept (advice
without a source, repeats and abstentions are left out). Each answer numbers its own passages from
[1]; the draft renumbers them across the document, one number per passage in order of first use,
and keeps the citation list (title, organisation, link, the quote that supports the sentence).

The same module checks an edited body: every sentence with a marker is checked again against the
passage it cites (``careguide.rag.supports``), so a reviewer sees which edited sentences no longer
match their source, and the Flesch-Kincaid grade is computed again.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

from careguide.guardrails import GuardDecision
from careguide.ingest import split_sentences
from careguide.rag import NON_FACTUAL, TITLE_ECHO, Answer, Citation, best_sentence, supports
from careguide.review import FORMATS, MaterialCitation, MaterialFormat

LEVELS: tuple[str, ...] = ("standard", "simpler")
LEVEL_LABELS = {"standard": "Standard (US grade 6 to 8)", "simpler": "Simpler (US grade 4 to 5)"}
GRADE_TARGETS = {"standard": 8.0, "simpler": 5.0}
"""The highest Flesch-Kincaid grade each reading level aims at."""
AUDIENCES: tuple[str, ...] = ("patients", "caregivers", "parents")
FORMAT_LABELS = {"handout": "Handout", "faq": "Questions and answers (FAQ)"}
MAX_TOPIC_CHARS = 120

_MARKER = re.compile(r"\s*\[(\d+)\]")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_EMPHASIS = re.compile(r"(\*\*|__|\*|_|`)")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_BULLET = re.compile(r"^(?:[-*+•]|\d+[.)])\s+|^#+\s+")


@dataclass(frozen=True)
class Section:
    """One question of the outline and the heading its answer goes under."""

    heading: str
    question: str


def outline(topic: str, format: MaterialFormat) -> list[Section]:
    """The questions asked for a topic: a handout has titled sections, an FAQ the questions."""
    if format not in FORMATS:
        raise ValueError(f"Unknown format {format!r}; use one of {', '.join(FORMATS)}.")
    if format == "handout":
        return [
            Section(f"About {topic}", f"What is {topic}?"),
            Section("Symptoms", f"What are the symptoms of {topic}?"),
            Section("Causes", f"What causes {topic}?"),
            Section("Treatment", f"How is {topic} treated?"),
        ]
    questions = [
        f"What is {topic}?",
        f"What are the symptoms of {topic}?",
        f"How is {topic} diagnosed?",
        f"How is {topic} treated?",
    ]
    return [Section(q, q) for q in questions]


def clean_topic(topic: str) -> str:
    """The topic as typed, on one line, without a trailing question mark or full stop."""
    text = " ".join(topic.split()).strip(" ?.!")
    if not text:
        raise ValueError("The topic is empty; name a condition or subject, e.g. asthma.")
    if len(text) > MAX_TOPIC_CHARS:
        raise ValueError(f"The topic is longer than {MAX_TOPIC_CHARS} characters; shorten it.")
    return text


def title(topic: str, format: MaterialFormat) -> str:
    name = topic[:1].upper() + topic[1:]
    return name if format == "handout" else f"{name}: questions and answers"


class AnswerSource(Protocol):
    """What drafting needs of :class:`careguide.rag.Assistant`."""

    def ask(
        self,
        question: str,
        on_token: Callable[[str], None] | None = None,
        history: Sequence[str] = (),
        reading_level: str | None = None,
    ) -> Answer: ...


class OutputCheck(Protocol):
    """What drafting needs of :class:`careguide.guardrails.Guardrails`."""

    def check_output(
        self, answer: str, passages: Sequence[str], conversation_id: str = ""
    ) -> GuardDecision: ...


@dataclass(frozen=True)
class SectionOutcome:
    """What became of one question: how many sentences it gave, or why it gave none."""

    section: Section
    kept: int
    note: str = ""


@dataclass(frozen=True)
class Draft:
    topic: str
    format: MaterialFormat
    reading_level: str
    body: str
    citations: tuple[MaterialCitation, ...]
    grade: float | None
    outcomes: tuple[SectionOutcome, ...]

    @property
    def answered(self) -> bool:
        return any(o.kept for o in self.outcomes)


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


def _key(sentence: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", strip_markers(sentence).lower()))


class _Numbering:
    """Document-wide citation numbers: one per passage (chunk), in order of first use."""

    def __init__(self) -> None:
        self.by_chunk: dict[str, MaterialCitation] = {}

    def number(self, answer_citation: Citation) -> int:
        chunk = answer_citation.passage.chunk
        known = self.by_chunk.get(chunk.chunk_id)
        if known is not None:
            return known.n
        citation = MaterialCitation(
            n=len(self.by_chunk) + 1,
            chunk_id=chunk.chunk_id,
            title=chunk.title,
            source=chunk.source,
            url=chunk.url,
            quote=answer_citation.quote,
            organisation=chunk.organisation or chunk.source,
        )
        self.by_chunk[chunk.chunk_id] = citation
        return citation.n

    def citations(self) -> tuple[MaterialCitation, ...]:
        return tuple(sorted(self.by_chunk.values(), key=lambda c: c.n))


def assemble(
    topic: str,
    format: MaterialFormat,
    reading_level: str,
    answers: Sequence[tuple[Section, Answer | None]],
) -> Draft:
    """The Markdown draft from each section's answer (None: not asked), citations renumbered."""
    numbering = _Numbering()
    seen: set[str] = set()
    parts = [f"# {title(topic, format)}"]
    outcomes: list[SectionOutcome] = []
    for section, answer in answers:
        if answer is None:
            outcomes.append(SectionOutcome(section, 0, "not asked"))
            continue
        if answer.abstained:
            outcomes.append(SectionOutcome(section, 0, "the knowledge base does not answer it"))
            continue
        local = {c.n: c for c in answer.citations}
        kept: list[str] = []
        for sentence in split_sentences(answer.answer):
            cited = [n for n in markers(sentence) if n in local]
            key = _key(sentence)
            if not cited or not key or key in seen:
                continue  # uncited advice, a stray marker, or said already
            seen.add(key)
            # One running paragraph per section: no bullets, no echo of a passage title ("What is X?:").
            text = TITLE_ECHO.sub("", _BULLET.sub("", " ".join(sentence.split())))
            if not re.search(r"[A-Za-z]", strip_markers(text)):
                continue
            kept.append(with_markers(text, [numbering.number(local[n]) for n in cited]))
        if kept:
            parts += ["", f"## {section.heading}", "", " ".join(kept)]
            outcomes.append(SectionOutcome(section, len(kept)))
        else:
            outcomes.append(SectionOutcome(section, 0, "no verified sentence"))
    body = "\n".join(parts) + "\n"
    answered = any(o.kept for o in outcomes)
    return Draft(
        topic=topic,
        format=format,
        reading_level=reading_level,
        body=body,
        citations=numbering.citations(),
        grade=reading_grade(body) if answered else None,
        outcomes=tuple(outcomes),
    )


def checked_answer(answer: Answer, guard: OutputCheck | None) -> Answer:
    """The answer after the output guardrails (PHI echoed, personal doses, unknown numbers)."""
    if guard is None or answer.abstained:
        return answer
    from dataclasses import replace

    decision = guard.check_output(answer.answer, [c.passage.chunk.text for c in answer.citations])
    if decision.action == "refuse":
        return replace(answer, answer="", citations=(), abstained=True)
    if decision.action in ("rewrite", "redact"):
        return replace(answer, answer=decision.redacted)
    return answer


class Cancelled(Exception):
    """Drafting was stopped by the person who started it."""


@dataclass
class Progress:
    """Callbacks a caller may pass to follow drafting (all optional)."""

    on_question: Callable[[int, Section], None] | None = None
    """Called before question ``index`` (from 0) is asked."""
    on_answer: Callable[[int, Section, Answer], None] | None = None
    on_token: Callable[[str], None] | None = None
    stopped: Callable[[], bool] = field(default=lambda: False)


def generate(
    assistant: AnswerSource,
    topic: str,
    format: MaterialFormat,
    reading_level: str = "standard",
    progress: Progress | None = None,
    guard: OutputCheck | None = None,
) -> Draft:
    """Ask the outline's questions one after another and assemble the draft.

    Raises :class:`Cancelled` when ``progress.stopped()`` turns true, and whatever the Assistant
    raises (``careguide.rag.LLMError`` when the model cannot be reached).
    """
    if reading_level not in LEVELS:
        raise ValueError(f"Unknown reading level {reading_level!r}; use one of {', '.join(LEVELS)}.")
    topic = clean_topic(topic)
    progress = progress or Progress()
    answers: list[tuple[Section, Answer | None]] = []

    def on_token(text: str) -> None:
        if progress.stopped():
            raise Cancelled
        if progress.on_token is not None:
            progress.on_token(text)

    for index, section in enumerate(outline(topic, format)):
        if progress.stopped():
            raise Cancelled
        if progress.on_question is not None:
            progress.on_question(index, section)
        answer = checked_answer(
            assistant.ask(section.question, on_token=on_token, reading_level=reading_level), guard
        )
        if progress.on_answer is not None:
            progress.on_answer(index, section, answer)
        answers.append((section, answer))
    return assemble(topic, format, reading_level, answers)


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
