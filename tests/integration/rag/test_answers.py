"""Answer-level search on real Chroma and the real embedding model, for consumer-style messages."""

from __future__ import annotations

import pytest

from careguide.ingest import KnowledgeBase, ingest
from careguide.rag import Retriever

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("settings", ["embedded"], indirect=True)
def test_consumer_messages_find_the_answer_to_what_they_ask(settings, embedder, chunker, medquad_sample):
    knowledge = KnowledgeBase.open(settings)
    ingest([medquad_sample], knowledge, embedder, chunker)
    retriever = Retriever.open(settings.retrieval, knowledge, embedder)
    assert retriever.answers is not None
    cache = knowledge.store.lexical_dir.with_name(knowledge.store.lexical_dir.name + "-questions")
    assert (cache / "questions.npy").is_file()

    message = (
        "aarskog scot syndrom. My nephew was just diagnosed. Will his children get it too? "
        "We are worried, thank you"
    )
    found = retriever.search(message, k=5).passages
    answer_ids = [p.chunk.answer_id for p in found]
    assert len(answer_ids) == len(set(answer_ids))  # one passage per answer
    top = found[0].chunk
    assert top.topic.lower().startswith("aarskog") and top.question_type == "inheritance"
    assert set(found[0].to_json()) >= {"chunk_id", "doc_id", "title", "url", "score", "text", "answer_id"}

    treated = retriever.search("my dad has acromeagly, how do they treat it?", k=3).passages
    assert treated[0].chunk.topic == "Acromegaly" and treated[0].chunk.question_type == "treatment"

    # A filtered search keeps the chunk-level path and its filter.
    filtered = retriever.search("how is it treated", k=3, where={"source": "NIDDK"}).passages
    assert filtered and all(p.chunk.source == "NIDDK" for p in filtered)
    analysis = retriever.answers.analyse(message)
    assert [m.term for m in analysis.focus][:1] == ["aarskog scott syndrome"]
