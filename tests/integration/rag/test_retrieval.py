"""Retrieval on real Chroma and the real model: filtered search strategies agree."""

from __future__ import annotations

import pytest

from careguide.ingest import KnowledgeBase, ingest
from careguide.rag import Retriever
from careguide.rag.retrieval import DenseRetriever

pytestmark = pytest.mark.integration


def test_filter_strategies_return_the_same_passages(settings, embedder, chunker, medquad_sample):
    knowledge = KnowledgeBase.open(settings)
    ingest([medquad_sample], knowledge, embedder, chunker)
    retriever = Retriever.open(settings.retrieval, knowledge, embedder)
    exact = retriever.dense
    assert isinstance(exact, DenseRetriever) and exact.exact_index is not None
    assert exact.exact_index.vectors is not None
    chroma = DenseRetriever(knowledge.store, embedder, strategy="chroma")
    overfetch = DenseRetriever(knowledge.store, embedder, overfetch=2, strategy="overfetch")
    questions = ["what are the symptoms", "is it inherited", "how is it treated"]
    for where in ({"source": "GHR"}, {"question_type": "treatment"}, {"source": "NINDS"}):
        # Some MedQuAD answers are identical, so equal scores may swap places: compare the scores.
        expected = [[p.score for p in hits] for hits in chroma.run(questions, 3, where)]
        for strategy in (exact, overfetch):
            found = strategy.run(questions, 3, where)
            assert [[p.score for p in hits] for hits in found] == [
                pytest.approx(scores, abs=1e-4) for scores in expected
            ]
            for hits in found:
                assert hits and all(
                    p.chunk.to_metadata()[key] == value for p in hits for key, value in where.items()
                )
    assert exact.run(["x"], 3, {"source": "nobody"}) == [[]]
