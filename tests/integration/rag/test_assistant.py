"""The Assistant end to end: real index, real llama.cpp server, the real default (1.5B) model."""

from __future__ import annotations

import pytest

from careguide.guardrails import AuditLog, Guardrails, load_policy
from careguide.ingest import KnowledgeBase, ingest
from careguide.models import pull
from careguide.models.server import LlamaServer
from careguide.rag import ChatClient, Retriever
from careguide.rag.assistant import ABSTENTION, Assistant
from careguide.rag.guarded import answer_safely

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("settings", ["embedded"], indirect=True)
def test_cited_answer_and_abstention(settings, embedder, chunker, medquad_sample, tmp_path):
    knowledge = KnowledgeBase.open(settings)
    ingest([medquad_sample], knowledge, embedder, chunker)
    retriever = Retriever.open(settings.retrieval, knowledge, embedder)
    with LlamaServer(pull("qwen2.5-coder-1.5b-instruct-q4_k_m"), tmp_path / "llm.log") as server:
        assistant = Assistant(retriever, ChatClient(server.ensure_running))
        streamed: list[str] = []
        events: list[str] = []
        answer = assistant.ask(
            "What are the symptoms of acromegaly?",
            on_token=lambda t: (streamed.append(t), events.append("token")),
            on_extract=lambda a: events.append(f"extract:{a.answer}"),
        )
        assert streamed and not answer.abstained
        assert events[0].startswith("extract:") and "token" not in events[0]  # the extract comes first
        assert answer.mode in ("model", "extractive (model draft not verified)")
        assert answer.citations and all(
            c.passage.chunk.answer_id.startswith("NIDDK_0000001") for c in answer.citations
        )
        for citation in answer.citations:
            assert citation.quote in citation.passage.chunk.text
            assert f"[{citation.n}]" in answer.answer
        assert set(answer.to_json()) == {
            "question",
            "search_query",
            "reading_level",
            "answer",
            "citations",
            "abstained",
            "dropped_sentences",
            "mode",
            "timings",
        }
        # Without the model: the sentences that answer, cited, in plain words where verified.
        extract = assistant.ask("What are the symptoms of acromegaly?", mode="extractive")
        assert extract.mode == "extractive" and not extract.draft and extract.citations
        assert "?" not in extract.answer  # no echoed passage title
        assert all(c.quote in c.passage.chunk.text for c in extract.citations)
        two_parts = assistant.ask("What causes acromegaly and how is it treated?", mode="extractive")
        assert len(two_parts.answer.split("\n\n")) == 2  # one paragraph per part
        unknown = assistant.ask("How do I fix the brakes on my bicycle?")
        assert unknown.abstained and unknown.answer == ABSTENTION and not unknown.citations

        guard = Guardrails(load_policy(), audit=AuditLog(tmp_path / "audit.jsonl"))
        guarded = answer_safely(assistant, guard, "I'm Maria Lopez. What are the symptoms of acromegaly?")
        record = guarded.to_json()
        assert record["guard"]["input"]["action"] == "redact" and record["guard"]["output"] is not None
        assert "Maria" not in guarded.answer.question and "Maria" not in guarded.answer.answer
        assert "protect your privacy" in guarded.answer.answer and not guarded.answer.abstained


def test_emergencies_never_reach_the_model(settings, tmp_path):
    def no_model() -> str:
        raise AssertionError("the model was called")

    knowledge = KnowledgeBase.open(settings)
    assistant = Assistant(Retriever(settings.retrieval, None, None), ChatClient(no_model))
    guard = Guardrails(load_policy(), audit=AuditLog(tmp_path / "audit.jsonl"))
    guarded = answer_safely(assistant, guard, "my throat is closing after eating peanuts")
    assert guarded.input.action == "escalate" and "911" in guarded.answer.answer
    assert guarded.to_json()["guard"]["input"]["category"] == "emergency.anaphylaxis"
    assert knowledge.store.count() == 0
