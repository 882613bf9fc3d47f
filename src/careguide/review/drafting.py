"""Education material drafted from the knowledge base.

A draft is a few focused questions about the topic ("What is asthma?", "What are the symptoms of
asthma?", ...) answered by the Assistant at the chosen reading level. Only answered questions make
a section, and only sentences the Assistant verified against a cited passage are kept (advice
without a source, repeats and abstentions are left out). Each answer numbers its own passages from
[1]; the draft renumbers them across the document, one number per passage in order of first use,
and keeps the citation list (title, organisation, link, the quote that supports the sentence).

Each answer passes the output guardrails first (:func:`checked_answer`). The checks a reviewer
sees of a body, drafted or edited, are in ``careguide.review.checks``. Drafting runs in the
workspace's background jobs (``careguide.ui.workspace.material_jobs``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

from careguide.ingest import split_sentences
from careguide.rag import TITLE_ECHO, Answer, AnswerGuard, Citation, check_answer
from careguide.review.checks import markers, reading_grade, strip_markers, with_markers
from careguide.review.types import FORMATS, MaterialCitation, MaterialFormat

LEVELS: tuple[str, ...] = ("standard", "simpler")
GRADE_TARGETS = {"standard": 8.0, "simpler": 5.0}
"""The highest Flesch-Kincaid grade each reading level aims at."""
AUDIENCES: tuple[str, ...] = ("patients", "caregivers", "parents")
MAX_TOPIC_CHARS = 120

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


OutputCheck = AnswerGuard
"""What drafting needs of :class:`careguide.guardrails.Guardrails` (``check_output``)."""


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
    """The answer after the output guardrails (PHI echoed, personal doses, unknown numbers).

    The output half of ``careguide.rag.answer_safely`` (``careguide.rag.check_answer``), without its
    input half: a clinician's outline question is not a patient's message (it is neither triaged nor
    written to the patients' audit log as one). No notice is appended and a refused answer is simply
    not used, as a draft keeps cited sentences only. Presidio reads every answer, extracts too."""
    if guard is None:
        return answer
    checked, decision = check_answer(answer, guard, phi=True)
    if decision is not None and decision.action == "refuse":
        return replace(checked, answer="")
    return checked


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
