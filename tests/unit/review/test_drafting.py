"""Drafting material from answers: outline, renumbered citations, kept sentences, grade, checks."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

import pytest

from careguide.guardrails import GuardDecision
from careguide.ingest import Chunk
from careguide.rag import ABSTENTION, Answer, Citation, Passage
from careguide.review.drafting import Cancelled, Progress, assemble, clean_topic, generate, outline

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
    def __init__(self, action: str, redacted: str = "", notice: str = "", message: str = "") -> None:
        self.action = action
        self.redacted = redacted
        self.notice = notice
        self.message = message
        self.seen: list[Sequence[str]] = []
        self.phi: list[bool] = []

    def check_output(
        self, answer: str, passages: Sequence[str], conversation_id: str = "", phi: bool = True
    ) -> GuardDecision:
        self.seen.append(passages)
        self.phi.append(phi)
        return GuardDecision(
            action=self.action,  # type: ignore[arg-type]
            redacted=self.redacted or answer,
            notice=self.notice,
            message=self.message,
        )


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


def test_a_drafted_answer_gets_no_notice_and_a_refusal_leaves_no_text() -> None:
    reply = answer(
        "What is asthma?",
        "Asthma is a chronic disease that affects your airways [1].",
        [(1, WHAT, ASTHMA_WHAT)],
    )
    extract = replace(reply, mode="extractive (model unavailable)")
    for given in (reply, extract):
        seen: list[Answer] = []
        guard = Guard("rewrite", "Asthma is a chronic disease [1].", notice="ASK YOUR CARE TEAM")
        progress = Progress(on_answer=lambda i, s, a, seen=seen: seen.append(a))
        draft = generate(
            FakeAssistant({"What is asthma?": given}), "asthma", "handout", progress=progress, guard=guard
        )
        assert "ASK YOUR CARE TEAM" not in draft.body and seen[0].answer == "Asthma is a chronic disease [1]."
        assert guard.phi[0] is True  # Presidio reads extracts in drafts too
    refused: list[Answer] = []
    progress = Progress(on_answer=lambda i, s, a: refused.append(a))
    guard = Guard("refuse", message="FIXED REPLY")
    generate(FakeAssistant({"What is asthma?": reply}), "asthma", "handout", progress=progress, guard=guard)
    assert refused[0].answer == "" and refused[0].abstained and refused[0].citations == ()
