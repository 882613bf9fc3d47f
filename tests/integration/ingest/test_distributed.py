"""Ray ingest on a local Ray cluster, the real embedding model and real Chroma (embedded and server):
the same chunk ids and search results as the embedded path, and the same idempotence."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from careguide.ingest import Chunker, KnowledgeBase, RayIndexer, ingest, ingest_with
from careguide.rag import Retriever

ray = pytest.importorskip("ray")

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    """One local Ray cluster for the module (the indexer joins it instead of starting its own)."""
    import logging

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level=logging.ERROR)
    yield
    ray.shutdown()


def test_ray_ingest_matches_the_embedded_path(local_ray, settings, embedder, medquad_sample):
    knowledge = KnowledgeBase.open(settings)
    store = knowledge.store
    report = ingest_with([medquad_sample], knowledge, RayIndexer(settings, store, workers=2))
    assert report.ok and report.documents_indexed == report.documents > 10
    assert report.chunks_indexed == store.count()
    assert all(d.complete for d in store.documents().values())

    local = KnowledgeBase.open(settings, collection=store.name + "-local")
    chunker = Chunker(embedder.count_tokens, settings.chunking.max_tokens, settings.chunking.overlap_tokens)
    ingest([medquad_sample], local, embedder, chunker)
    assert {c.chunk_id for c in store.chunks()} == {c.chunk_id for c in local.store.chunks()}

    ray_search = Retriever.open(settings.retrieval, knowledge, embedder)
    local_search = Retriever.open(settings.retrieval, local, embedder)
    for question in ("What is acromegaly?", "How is taeniasis spread?", "symptoms of Holmes-Adie"):
        assert [p.chunk.chunk_id for p in ray_search.search(question, k=5).passages] == [
            p.chunk.chunk_id for p in local_search.search(question, k=5).passages
        ]

    again = ingest_with([medquad_sample], knowledge, RayIndexer(settings, store, workers=2))
    assert again.chunks_indexed == 0 and again.documents_unchanged == report.documents
    assert not again.lexical_rebuilt
