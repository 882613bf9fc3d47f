"""Ingest on real Chroma (embedded and server), the real embedding model and real MedQuAD files."""

from __future__ import annotations

import pytest

from careguide.ingest import KnowledgeBase, LexicalIndex, SourceInfo, ingest
from careguide.ingest import pipeline as pipeline_module
from careguide.rag import Retriever
from tests.conftest import make_pdf
from tests.integration.conftest import CountingEmbedder

pytestmark = pytest.mark.integration


@pytest.fixture
def corpus(medquad_sample):
    """Real MedQuAD files plus one good file of each other kind and one bad file of each kind."""
    (medquad_sample / "asthma.md").write_text(
        "# Asthma action plan\nUse your reliever inhaler when you wheeze.\n"
        "## When to get help\nCall your care team if the reliever does not help.",
        encoding="utf-8",
    )
    (medquad_sample / "flu.html").write_text(
        "<html><body><nav>Menu</nav><main><h1>Flu</h1><p>Flu spreads by droplets.</p></main></body></html>",
        encoding="utf-8",
    )
    (medquad_sample / "hand-washing.txt").write_text("Wash your hands for 20 seconds.", encoding="utf-8")
    make_pdf(
        medquad_sample / "leaflet.pdf",
        ["Ankle sprain: rest and ice.", "See a doctor if it swells."],
    )
    make_pdf(medquad_sample / "locked.pdf", ["Secret."], password="pw")
    (medquad_sample / "broken.pdf").write_bytes(b"%PDF-1.7 garbage")
    (medquad_sample / "empty.txt").write_text("")
    (medquad_sample / "latin1.txt").write_bytes("fi\xe8vre".encode("latin-1"))
    (medquad_sample / "blob.md").write_bytes(b"\x00\x00\x01binary")
    (medquad_sample / "slides.pptx").write_bytes(b"PK\x03\x04")
    return medquad_sample


def test_ingest_indexes_good_files_and_reports_bad_ones(settings, embedder, chunker, corpus):
    knowledge = KnowledgeBase.open(settings)
    store = knowledge.store
    report = ingest([corpus], knowledge, embedder, chunker, SourceInfo(source="clinic"))
    failed = sorted(f.path.name for f in report.failures)
    assert failed == ["blob.md", "broken.pdf", "empty.txt", "latin1.txt", "locked.pdf"]
    assert [p.name for p in report.files_skipped] == ["slides.pptx"]
    # 4 MedQuAD files with 5+7+... answered pairs, plus md, html, txt and pdf
    assert report.documents > 20 and report.chunks_indexed >= report.documents
    documents = store.documents()
    assert len(documents) == report.documents and all(d.complete for d in documents.values())
    keys = {d.source_key for d in documents.values()}
    assert "GHR_0000001_Sec1" in keys and "CDC_0000397_Sec1" in keys and "NINDS_0000007_Sec1" in keys
    pdf_chunks = [c for c in store.chunks() if c.url.endswith("leaflet.pdf")]
    assert sorted(c.page for c in pdf_chunks) == [1, 2]
    assert LexicalIndex.load(store.lexical_dir).fingerprint  # BM25 written beside the vectors


def test_rerun_does_no_embedding_and_changes_replace_old_chunks(settings, embedder, chunker, corpus):
    knowledge = KnowledgeBase.open(settings)
    store = knowledge.store
    first = ingest([corpus], knowledge, embedder, chunker)
    count = store.count()

    counting = CountingEmbedder(embedder)
    again = ingest([corpus], knowledge, counting, chunker)
    assert counting.texts == 0 and again.chunks_indexed == 0 and not again.lexical_rebuilt
    assert again.documents_unchanged == first.documents and store.count() == count

    (corpus / "asthma.md").write_text(
        "# Asthma action plan\nUse a spacer with your inhaler.", encoding="utf-8"
    )
    changed = ingest([corpus], knowledge, counting, chunker)
    assert changed.documents_indexed == 1 and changed.documents_removed == 1
    assert changed.lexical_rebuilt
    texts = [c.text for c in store.chunks() if c.title == "Asthma action plan"]
    assert texts == ["Use a spacer with your inhaler."]
    retriever = Retriever.open(settings.retrieval, knowledge, embedder)
    hits = retriever.search("spacer inhaler", k=3).passages
    assert hits[0].chunk.text == "Use a spacer with your inhaler."

    (corpus / "asthma.md").unlink()
    kept = ingest([corpus], knowledge, counting, chunker)
    assert kept.documents_removed == 0  # without --prune nothing is deleted
    pruned = ingest([corpus], knowledge, counting, chunker, prune=True)
    assert pruned.documents_removed == 1
    assert not [c for c in store.chunks() if c.title == "Asthma action plan"]


def test_a_file_that_fails_is_not_taken_as_deleted(settings, embedder, chunker, corpus):
    knowledge = KnowledgeBase.open(settings)
    store = knowledge.store
    ingest([corpus], knowledge, embedder, chunker)
    (corpus / "hand-washing.txt").write_bytes(b"\x00broken now")
    report = ingest([corpus], knowledge, embedder, chunker, prune=True)
    assert any(f.path.name == "hand-washing.txt" for f in report.failures)
    assert any(c.text.startswith("Wash your hands") for c in store.chunks())


def test_interrupted_ingest_leaves_a_consistent_index_and_resumes(
    settings, embedder, chunker, corpus, monkeypatch
):
    monkeypatch.setattr(pipeline_module, "EMBED_BATCH", 5)
    knowledge = KnowledgeBase.open(settings)
    store = knowledge.store
    with pytest.raises(KeyboardInterrupt):
        ingest([corpus], knowledge, CountingEmbedder(embedder, fail_after_calls=3), chunker)
    partial = store.documents()
    assert 0 < store.count() <= 15
    assert any(not d.complete for d in partial.values()) or len(partial) < 20

    # Searching an interrupted index works: the BM25 index is rebuilt from what is stored.
    retriever = Retriever.open(settings.retrieval, knowledge, embedder)
    assert retriever.search("syndrome", k=2).passages

    resumed = CountingEmbedder(embedder)
    report = ingest([corpus], knowledge, resumed, chunker)
    documents = store.documents()
    assert all(d.complete for d in documents.values()) and len(documents) == report.documents
    clean = KnowledgeBase.open(settings, collection=store.name + "-clean")
    ingest([corpus], clean, embedder, chunker)
    assert {c.chunk_id for c in store.chunks()} == {c.chunk_id for c in clean.store.chunks()}
    assert resumed.texts < clean.store.count()  # complete documents were not embedded again


def test_an_empty_collection_has_an_empty_bm25_index(settings, embedder):
    knowledge = KnowledgeBase.open(settings)
    assert knowledge.refresh()
    retriever = Retriever.open(settings.retrieval, knowledge, embedder)
    assert retriever.search("anything").passages == []
    assert retriever.search("anything", where={"source": "GHR"}).passages == []
