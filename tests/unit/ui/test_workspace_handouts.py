"""Drafting material from answers: outline, renumbered citations, kept sentences, grade, checks."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest

from careguide.guardrails import GuardDecision
from careguide.ingest import Chunk
from careguide.rag import ABSTENTION, Answer, Citation, Passage
from careguide.review import MaterialCitation
from careguide.ui.handouts import (
    Cancelled,
    Progress,
    assemble,
    body_sentences,
    check_body,
    citations_for,
    clean_topic,
    generate,
    outline,
    prose,
    reading_grade,
    with_markers,
)

ASTHMA_WHAT = (
    "Asthma is a chronic disease that affects your airways. The airways are tubes that carry air in "
    "and out of your lungs."
)
ASTHMA_SYMPTOMS = (
    "Common asthma symptoms include coughing, wheezing, chest tightness and shortness of breath."
)
ASTHMA_TREATMENT = (
    "Asthma is treated with two kinds of medicines: quick-relief medicines and long-term control medicines."
)


def chunk(chunk_id: str, text: str, title: str = "Asthma", organisation: str = "NHLBI") -> Chunk:
    return Chunk(
        chunk_id=chunk_id,
        doc_id=chunk_id.split("-")[0],
        source_key=f"/kb/{chunk_id}.xml",
        position=0,
        n_chunks=1,
        text=text,
        title=title,
        heading_path="",
        source="NHLBI",
        organisation=organisation,
        url=f"https://www.nhlbi.nih.gov/{chunk_id}",
        license="public domain",
    )


WHAT = chunk("what-0", ASTHMA_WHAT, "What is asthma?")
SYMPTOMS = chunk("sym-0", ASTHMA_SYMPTOMS, "What are the symptoms of asthma?")
TREATMENT = chunk("treat-0", ASTHMA_TREATMENT, "How is asthma treated?")


def answer(question: str, text: str, cited: Sequence[tuple[int, Chunk, str]]) -> Answer:
    citations = tuple(Citation(n, Passage(c, 1.0), quote) for n, c, quote in cited)
    return Answer(question, text, citations, False)


def abstained(question: str) -> Answer:
    return Answer(question, ABSTENTION, (), True)


def test_outline_asks_focused_questions_per_format() -> None:
    handout = outline("asthma", "handout")
    assert [s.question for s in handout] == [
        "What is asthma?",
        "What are the symptoms of asthma?",
        "What causes asthma?",
        "How is asthma treated?",
    ]
    assert handout[1].heading == "Symptoms"
    faq = outline("asthma", "faq")
    assert all(s.heading == s.question for s in faq) and len(faq) == 4
    with pytest.raises(ValueError):
        outline("asthma", "poster")  # type: ignore[arg-type]


def test_topic_is_cleaned_and_bounded() -> None:
    assert clean_topic("  asthma in\n children? ") == "asthma in children"
    with pytest.raises(ValueError, match="empty"):
        clean_topic(" ? ")
    with pytest.raises(ValueError, match="longer"):
        clean_topic("a" * 200)


def test_citations_are_renumbered_across_the_document() -> None:
    sections = outline("asthma", "handout")
    first = answer(
        "What is asthma?",
        "Asthma is a chronic disease that affects your airways [2]. The airways carry air in and out of your lungs [2].",
        # The answer's own numbering: its passage [1] was not cited, [2] was.
        [(2, WHAT, ASTHMA_WHAT.split(". ")[0] + ".")],
    )
    second = answer(
        "What are the symptoms of asthma?",
        "Symptoms include coughing and wheezing [1]. Asthma affects your airways [2].",
        [(1, SYMPTOMS, ASTHMA_SYMPTOMS), (2, WHAT, "Asthma is a chronic disease that affects your airways.")],
    )
    treatment = answer(
        "How is asthma treated?",
        "Asthma is treated with quick-relief and long-term control medicines [1].",
        [(1, TREATMENT, ASTHMA_TREATMENT)],
    )
    draft = assemble(
        "asthma",
        "handout",
        "standard",
        [
            (sections[0], first),
            (sections[1], second),
            (sections[2], abstained("What causes asthma?")),
            (sections[3], treatment),
        ],
    )
    # One number per passage, in order of first use: WHAT=1, SYMPTOMS=2, TREATMENT=3.
    assert [(c.n, c.chunk_id) for c in draft.citations] == [(1, "what-0"), (2, "sym-0"), (3, "treat-0")]
    assert draft.citations[0].organisation == "NHLBI" and draft.citations[0].url.endswith("what-0")
    assert draft.citations[0].title == "What is asthma?" and draft.citations[0].quote.startswith("Asthma is")
    body = draft.body
    assert body.startswith("# Asthma\n")
    assert "## About asthma" in body and "## Symptoms" in body and "## Treatment" in body
    assert "## Causes" not in body  # abstained: no section
    assert "Asthma is a chronic disease that affects your airways [1]." in body
    assert "Symptoms include coughing and wheezing [2]." in body
    assert "Asthma affects your airways [1]." in body  # the shared passage keeps its number
    assert "long-term control medicines [3]." in body
    assert "[4]" not in body
    assert [o.kept for o in draft.outcomes] == [2, 2, 0, 1]
    assert draft.outcomes[2].note == "the knowledge base does not answer it"
    assert draft.grade is not None and draft.answered


def test_uncited_repeated_and_unknown_marker_sentences_are_left_out() -> None:
    section = outline("asthma", "faq")[0]
    reply = answer(
        "What is asthma?",
        "Asthma is a chronic disease that affects your airways [1]. Talk to your doctor about your asthma.\n"
        "- It makes the airways   swollen [1].\n"
        "What is asthma ?: Asthma narrows the airways [1]. "
        "Asthma is a chronic disease that affects your airways [1]. It is caused by aliens [7].",
        [(1, WHAT, ASTHMA_WHAT)],
    )
    draft = assemble("asthma", "faq", "simpler", [(section, reply)])
    assert draft.body.count("affects your airways") == 1
    assert "doctor" not in draft.body and "aliens" not in draft.body
    assert (
        "affects your airways [1]. It makes the airways swollen [1]. Asthma narrows the airways [1]."
        in draft.body
    )
    assert draft.body.startswith("# Asthma: questions and answers\n\n## What is asthma?\n")


def test_nothing_answered_gives_an_empty_draft() -> None:
    sections = outline("zebra fever", "handout")
    draft = assemble("zebra fever", "handout", "standard", [(s, abstained(s.question)) for s in sections])
    assert not draft.answered and draft.grade is None and draft.citations == ()


def test_markers_go_before_the_final_punctuation() -> None:
    assert with_markers("It helps [1].", [3, 3, 4]) == "It helps [3][4]."
    assert with_markers("It helps", [2]) == "It helps [2]"
    assert with_markers("Plain.", []) == "Plain."


def test_grade_reads_prose_only() -> None:
    body = "# Title\n\n## Heading\n\n- The cat sat on the mat [1].\n- The dog ran [2].\n"
    assert prose(body) == "The cat sat on the mat.\nThe dog ran."
    simple = reading_grade("# Asthma\n\nThe cat sat. The dog ran. We like it [1].")
    hard = reading_grade(
        "# Asthma\n\nAsthma is a chronic inflammatory respiratory condition characterised by intermittent "
        "bronchoconstriction, airway hyperresponsiveness and variable expiratory airflow limitation [1]."
    )
    assert simple is not None and hard is not None and simple < 4 < 12 < hard
    assert reading_grade("# Only a title\n") is None


class FakeAssistant:
    """Answers from a table, streaming the answer text as tokens; records the reading level."""

    def __init__(self, replies: dict[str, Answer]) -> None:
        self.replies = replies
        self.levels: list[str | None] = []

    def ask(
        self,
        question: str,
        on_token: Callable[[str], None] | None = None,
        history: Sequence[str] = (),
        reading_level: str | None = None,
    ) -> Answer:
        self.levels.append(reading_level)
        reply = self.replies.get(question) or abstained(question)
        if on_token is not None:
            for word in reply.answer.split(" "):
                on_token(word + " ")
        return reply


def test_generate_asks_every_question_at_the_level_and_reports_progress() -> None:
    assistant = FakeAssistant(
        {
            "What is asthma?": answer(
                "What is asthma?",
                "Asthma is a chronic disease that affects your airways [1].",
                [(1, WHAT, ASTHMA_WHAT)],
            ),
            "How is asthma treated?": answer(
                "How is asthma treated?",
                "Asthma is treated with quick-relief medicines [1].",
                [(1, TREATMENT, ASTHMA_TREATMENT)],
            ),
        }
    )
    asked: list[int] = []
    answered: list[tuple[int, bool]] = []
    tokens: list[str] = []
    progress = Progress(
        on_question=lambda i, s: asked.append(i),
        on_answer=lambda i, s, a: answered.append((i, a.abstained)),
        on_token=tokens.append,
    )
    draft = generate(assistant, " asthma? ", "handout", "simpler", progress)
    assert asked == [0, 1, 2, 3] and answered == [(0, False), (1, True), (2, True), (3, False)]
    assert assistant.levels == ["simpler"] * 4
    assert tokens and draft.topic == "asthma" and draft.reading_level == "simpler"
    assert [c.chunk_id for c in draft.citations] == ["what-0", "treat-0"]
    with pytest.raises(ValueError, match="reading level"):
        generate(assistant, "asthma", "handout", "expert")


def test_generate_stops_when_cancelled() -> None:
    assistant = FakeAssistant(
        {
            "What is asthma?": answer(
                "What is asthma?", "Asthma affects your airways [1].", [(1, WHAT, ASTHMA_WHAT)]
            )
        }
    )
    stop = {"now": False}

    def on_token(_text: str) -> None:
        stop["now"] = True  # the clinician presses Stop while the first answer streams

    with pytest.raises(Cancelled):
        generate(
            assistant, "asthma", "handout", progress=Progress(on_token=on_token, stopped=lambda: stop["now"])
        )
    assert len(assistant.levels) == 1


class Guard:
    def __init__(self, action: str, redacted: str = "") -> None:
        self.action = action
        self.redacted = redacted
        self.seen: list[Sequence[str]] = []

    def check_output(self, answer: str, passages: Sequence[str], conversation_id: str = "") -> GuardDecision:
        self.seen.append(passages)
        return GuardDecision(action=self.action, redacted=self.redacted or answer)  # type: ignore[arg-type]


def test_output_guardrails_can_rewrite_or_refuse_a_section() -> None:
    reply = answer(
        "What is asthma?",
        "Asthma is a chronic disease that affects your airways [1].",
        [(1, WHAT, ASTHMA_WHAT)],
    )
    assistant = FakeAssistant({"What is asthma?": reply})
    refused = generate(assistant, "asthma", "handout", guard=Guard("refuse"))
    assert not refused.answered
    rewriting = Guard("rewrite", "Asthma is a chronic disease [1].")
    rewritten = generate(assistant, "asthma", "handout", guard=rewriting)
    assert "Asthma is a chronic disease [1]." in rewritten.body and "airways" not in rewritten.body
    assert rewriting.seen[0] == [ASTHMA_WHAT]


CITATIONS = (
    MaterialCitation(
        1,
        "what-0",
        "What is asthma?",
        "NHLBI",
        "https://x/1",
        "Asthma is a chronic disease that affects your airways.",
        "NHLBI",
    ),
    MaterialCitation(2, "sym-0", "Symptoms", "NHLBI", "https://x/2", ASTHMA_SYMPTOMS, "NHLBI"),
)


def test_check_body_flags_what_a_reviewer_must_look_at() -> None:
    body = (
        "# Asthma\n\n## About\n\nAsthma is a chronic disease that affects your airways [1]. "
        "Asthma is caused by eating 40 mg of sugar [1]. Asthma is contagious. "
        "Ask your doctor about your asthma. Symptoms include wheezing [2]. It spreads by water [9].\n\n"
        "- Coughing is a symptom of asthma [2].\n"
    )
    checks = check_body(body, CITATIONS, {1: ASTHMA_WHAT, 2: ASTHMA_SYMPTOMS})
    statuses = [(c.sentence, c.status) for c in checks]
    assert statuses == [
        ("Asthma is a chronic disease that affects your airways.", "supported"),
        ("Asthma is caused by eating 40 mg of sugar.", "unsupported"),
        ("Asthma is contagious.", "uncited"),
        ("Ask your doctor about your asthma.", "advice"),
        ("Symptoms include wheezing.", "supported"),
        ("It spreads by water.", "unknown-citation"),
        ("Coughing is a symptom of asthma.", "supported"),
    ]
    assert "40 mg" in checks[1].reason and checks[1].warning and not checks[0].warning
    assert checks[0].quotes == ((1, "Asthma is a chronic disease that affects your airways."),)
    # Without the passages the stored quote is used.
    fallback = check_body("Symptoms include wheezing [2].", CITATIONS, {})
    assert fallback[0].status == "supported"


def test_body_sentences_skip_headings_and_blank_lines() -> None:
    assert body_sentences("# T\n\nOne [1]. Two.\n\n## H\n1. Three\n* [Four](https://x) five\n") == [
        "One [1].",
        "Two.",
        "Three",
        "Four five",
    ]


def test_an_edit_keeps_numbers_and_only_the_sources_it_uses() -> None:
    third = MaterialCitation(3, "treat-0", "Treatment", "NHLBI", "https://x/3", ASTHMA_TREATMENT, "NHLBI")
    pool = [*CITATIONS, third, CITATIONS[0]]
    kept = citations_for("Asthma affects airways [1]. It is treated with medicines [3].", pool)
    assert [c.n for c in kept] == [1, 3]
    assert citations_for("No sources at all.", pool) == []
