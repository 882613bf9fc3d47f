"""The knowledge base on real Chroma, the real embedding model and real MedQuAD files: one write
path (dirty marker before, BM25 and kept embeddings rebuilt after), followed by a live retriever,
and the terms the guardrails read."""

from __future__ import annotations

import gc

import pytest

from careguide.config import Settings
from careguide.ingest import Chunk, Embedder, KnowledgeBase, LexicalIndex, ingest
from careguide.rag import DenseRetriever, Retriever
from careguide.review import open_review_store, publish, unpublish

pytestmark = pytest.mark.integration

TOPIC = "Zygomycosis"
TEXT = "Zygomycosis is a rare fungal infection that a quokka-shaped spore carries in damp soil."


def note(n: int = 1) -> Chunk:
    return Chunk(
        f"note-{n}", f"note-doc-{n}", f"notes/{n}.md", 0, 1, TEXT, f"About {TOPIC} and Mucor", "",
        "clinic", "Example Clinic", "https://example.org", "clinic-approved", topic=TOPIC,
    )  # fmt: skip


def add(knowledge: KnowledgeBase, embedder: Embedder, chunk: Chunk) -> None:
    with knowledge.writing() as store:
        store.add([chunk], embedder.embed([chunk.indexed_text]))


@pytest.fixture
def indexed(settings: Settings, embedder, chunker, medquad_sample) -> KnowledgeBase:
    knowledge = KnowledgeBase.open(settings)
    ingest([medquad_sample], knowledge, embedder, chunker)
    return knowledge


def bm25_ids(retriever: Retriever, question: str) -> list[str]:
    return [p.chunk.chunk_id for p in retriever.search_many([question], 3, mode="bm25")[0]]


@pytest.mark.parametrize("settings", ["embedded"], indirect=True)
def test_refresh_after_an_add_makes_it_searchable_by_bm25_and_exact_dense(indexed, embedder):
    retriever = Retriever.open(indexed.settings.retrieval, indexed, embedder)
    assert retriever.knowledge is indexed
    add(indexed, embedder, note())
    assert indexed.dirty and "note-1" not in bm25_ids(retriever, "quokka spore")  # not yet refreshed

    assert indexed.refresh()
    assert not indexed.dirty
    assert bm25_ids(retriever, "quokka spore")[0] == "note-1"  # the live retriever followed
    # Exact filtered dense search runs over the kept embeddings, which now include the chunk.
    kept = indexed.index()
    assert isinstance(retriever.dense, DenseRetriever) and retriever.dense.exact_index is kept
    exact = retriever.search_many([note().indexed_text], 1, where={"source": "clinic"}, mode="dense")[0]
    assert [p.chunk.chunk_id for p in exact] == ["note-1"] and exact[0].score > 0.99
    assert kept.vectors is not None and len(kept.vectors) == len(kept.chunks) == indexed.store.count()
    # What was written beside the vectors is the same index (a new process reads it).
    saved = LexicalIndex.load(indexed.lexical_dir)
    assert saved is not None and saved.fingerprint == kept.fingerprint

    assert not indexed.refresh() and indexed.index() is kept  # nothing changed: nothing swapped


@pytest.mark.parametrize("settings", ["embedded"], indirect=True)
def test_a_retriever_that_is_gone_is_not_kept_alive(indexed, embedder):
    Retriever.open(indexed.settings.retrieval, indexed, embedder)
    gc.collect()
    add(indexed, embedder, note())
    assert indexed.refresh()  # no follower left to call


def test_an_interrupted_write_leaves_the_marker_and_the_next_refresh_rebuilds(indexed, embedder):
    before = indexed.index().fingerprint
    doomed = next(iter(indexed.store.chunks()))
    with pytest.raises(KeyboardInterrupt), indexed.writing() as store:
        # Same number of chunks, other content: only the marker tells the index is stale.
        store.delete_documents([doomed.doc_id])
        n = indexed.store.count()
        store.add([note()], embedder.embed([note().indexed_text]))
        raise KeyboardInterrupt
    assert indexed.dirty and indexed.saved_state()["fingerprint"] == before
    assert n + 1 == indexed.store.count()

    # The next process (a new knowledge base over the same store) rebuilds at its first use.
    again = KnowledgeBase.open(indexed.settings)
    assert again.index().fingerprint != before and not again.dirty
    assert "note-1" in {c.chunk_id for c in again.index().chunks}
    assert doomed.chunk_id not in {c.chunk_id for c in again.index().chunks}


@pytest.mark.parametrize("settings", ["embedded"], indirect=True)
def test_terms_follow_the_knowledge_base(indexed, embedder):
    terms = indexed.terms()
    assert "Acromegaly" in " ".join(terms.topics) and TOPIC not in terms.topics
    assert indexed.terms() is terms  # cached in memory
    fingerprint = indexed.index().fingerprint
    assert (
        indexed.lexical_dir.parent / f"{indexed.lexical_dir.name}.terms-{fingerprint[:16]}.json"
    ).is_file()

    add(indexed, embedder, note())
    indexed.refresh()
    changed = indexed.terms()
    assert TOPIC in changed.topics and "Mucor" in changed.title_names
    # Another process reads the terms from the file beside the index, not from the index.
    assert KnowledgeBase.open(indexed.settings).terms() == changed


@pytest.mark.parametrize("settings", ["embedded"], indirect=True)
def test_publish_then_search_finds_it_in_the_live_retriever(indexed, embedder, tmp_path):
    retriever = Retriever.open(indexed.settings.retrieval, indexed, embedder)
    with open_review_store(f"sqlite:///{tmp_path / 'review.db'}", bcrypt_rounds=4) as review:
        material_id = review.create_material(
            "Cleaning a spacer", "patients", "standard", "handout",
            "# Cleaning a spacer\n\nWash the spacer once a week in warm soapy water.\n", [], 6.0, "alice",
        )  # fmt: skip
        review.decide(material_id, "approve", "carol")
        published = publish(material_id, indexed.settings, review, knowledge=indexed)
    assert published.chunks_indexed >= 1 and not indexed.dirty
    for mode in ("bm25", "dense", "hybrid"):
        top = retriever.search_many(["how do I wash my spacer"], 1, mode=mode)[0][0].chunk
        assert top.source == "clinic", mode

    assert unpublish(material_id, indexed.settings, knowledge=indexed) == 1
    assert all(p.chunk.source != "clinic" for p in retriever.search_many(["spacer"], 5, mode="bm25")[0])
