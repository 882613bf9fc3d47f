"""One chat question costs one embedding of the question, one vector-store query and two Presidio
analyses (the message, then the model's answer): counted on the real parts of the chat's path
(embedding model, Chroma, Presidio, guardrails), with a fixed model that cites passage [1]."""

from __future__ import annotations

import contextvars
import re
from collections.abc import Iterator
from typing import Any

import pytest
from chromadb.api.models.Collection import Collection
from presidio_analyzer import AnalyzerEngine

from careguide.guardrails import Guardrails, open_guardrails
from careguide.ingest import KnowledgeBase, ingest
from careguide.ingest.embedding import OnnxEmbedder, TorchEmbedder
from careguide.models import ModelConnection
from careguide.rag import Retriever
from careguide.ui.patient.chat import ask_handler, new_conversation
from careguide.ui.patient.service import Services

pytestmark = pytest.mark.integration

QUESTION = "I'm Maria Lopez. What are the symptoms of acromegaly?"
REDACTED = "What are the symptoms of acromegaly?"
in_guardrails = contextvars.ContextVar("in_guardrails", default=False)


class CitingModel(ModelConnection):
    """Answers with the first sentence of passage [1], cited (so the answer is verified)."""

    def stream(
        self,
        messages: list[dict[str, str]],
        max_tokens: int,
        temperature: float = 0.0,
        *,
        deadline_s: float | None = None,
    ) -> Iterator[str]:
        first = re.search(r"^\[1\] [^:]*: (.+?[.!?])(?:\s|$)", messages[-1]["content"], re.MULTILINE)
        assert first is not None
        yield from re.findall(r"\S+\s*", f"{first.group(1)[:-1]} [1].")


class Counts:
    def __init__(self) -> None:
        self.embeddings = 0  # embeddings of the question by the search
        self.guard_embeddings = 0  # by the guardrails' semantic layers (their own, unchanged)
        self.queries = 0
        self.analyses = 0


def spy(monkeypatch: pytest.MonkeyPatch) -> Counts:
    """Spies on the real objects: they still do the work, and each call is counted."""
    found = Counts()
    query, analyze = Collection.query, AnalyzerEngine.analyze
    check_input = Guardrails.check_input
    embeds = {cls: cls.embed for cls in (TorchEmbedder, OnnxEmbedder)}

    def counting(cls: type) -> Any:
        def counted_embed(self: Any, texts: Any) -> Any:
            if any(REDACTED in text for text in texts):
                if in_guardrails.get():
                    found.guard_embeddings += 1
                else:
                    found.embeddings += 1
            return embeds[cls](self, texts)

        return counted_embed

    def counted_query(self: Collection, *args: Any, **kwargs: Any) -> Any:
        found.queries += 1
        return query(self, *args, **kwargs)

    def counted_analyze(self: AnalyzerEngine, *args: Any, **kwargs: Any) -> Any:
        found.analyses += 1
        return analyze(self, *args, **kwargs)

    def guarded_input(self: Guardrails, *args: Any, **kwargs: Any) -> Any:
        token = in_guardrails.set(True)
        try:
            return check_input(self, *args, **kwargs)
        finally:
            in_guardrails.reset(token)

    for cls in embeds:  # every embedding backend: the index's and the guardrails' fp32 one
        monkeypatch.setattr(cls, "embed", counting(cls))
    monkeypatch.setattr(Collection, "query", counted_query)
    monkeypatch.setattr(AnalyzerEngine, "analyze", counted_analyze)
    monkeypatch.setattr(Guardrails, "check_input", guarded_input)
    return found


@pytest.mark.parametrize("settings", ["embedded"], indirect=True)
def test_one_chat_question_is_searched_once_and_redacted_once(
    settings, embedder, chunker, medquad_sample, monkeypatch
):
    knowledge = KnowledgeBase.open(settings)
    ingest([medquad_sample], knowledge, embedder, chunker)
    retriever = Retriever.open(settings.retrieval, knowledge, embedder)
    guard = open_guardrails(settings, audit=False)
    services = Services(settings, retriever, guard, None, CitingModel(settings))  # type: ignore[arg-type]
    ask = ask_handler(lambda: services, services.assistant.max_question_chars)
    list(ask("What is acromegaly?", "standard", new_conversation()))  # models loaded, caches warm

    found = spy(monkeypatch)
    conv = new_conversation()
    list(ask(QUESTION, "standard", conv))

    user, answer = (m["content"] for m in conv.messages)
    assert REDACTED in user and "&lt;NAME&gt;" in user and "Maria" not in user + answer
    assert "[1]" in answer and conv.last_question.endswith(REDACTED)
    assert (found.embeddings, found.queries, found.analyses) == (1, 1, 2)
    # The guardrails embed the message twice at most: the harm head (the message and its sentences)
    # and the emergency piece layers (sentences, pairs, clauses), each in one batch.
    assert found.guard_embeddings <= 2
