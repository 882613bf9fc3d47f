"""The contract of the vector store (``ingest.ChromaStore``): careguide's chunks with careguide's
vectors, idempotent upserts, cosine queries best first, the store as the record of what is indexed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from careguide.config import EmbeddingSettings, Settings
from careguide.ingest import ChromaStore, Chunk, StoreError

DIMENSION = 384


def chunk(doc: str, position: int, n_chunks: int, source: str) -> Chunk:
    return Chunk(
        chunk_id=f"{doc}-{position}", doc_id=doc, source_key=f"key-{doc}", position=position, n_chunks=n_chunks,
        text=f"Passage {position} of {doc}.", title=f"Title {doc}", heading_path="", source=source,
        organisation="Org", url=f"https://example.org/{doc}", license="CC BY 4.0", section="Symptoms",
    )  # fmt: skip


CHUNKS = [chunk("d1", i, 3, "GHR") for i in range(3)] + [chunk("d2", i, 3, "NIDDK") for i in range(3)]


def vectors(n: int, seed: int = 7) -> np.ndarray:
    raw = np.random.default_rng(seed).normal(size=(n, DIMENSION)).astype(np.float32)
    return raw / np.linalg.norm(raw, axis=1, keepdims=True)


class VectorStoreContract:
    """Subclass with ``store_settings``: settings for a fresh, empty collection in each test."""

    def store_settings(self, request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
        raise NotImplementedError

    @pytest.fixture
    def store(self, request: pytest.FixtureRequest, tmp_path: Path) -> ChromaStore:
        return ChromaStore.open(self.store_settings(request, tmp_path))

    def test_a_new_store_is_empty(self, store: ChromaStore) -> None:
        assert store.count() == 0 and store.documents() == {} and list(store.chunks()) == []
        assert store.query(vectors(2), 3) == [[], []]
        assert store.indexed_embedding() is None

    def test_chunks_come_back_as_they_went_in(self, store: ChromaStore) -> None:
        store.add(CHUNKS, vectors(len(CHUNKS)))
        assert store.count() == len(CHUNKS)
        assert sorted(store.chunks(), key=lambda c: c.chunk_id) == sorted(CHUNKS, key=lambda c: c.chunk_id)
        chunks, stored = store.chunks_with_vectors()
        expected = dict(zip([c.chunk_id for c in CHUNKS], vectors(len(CHUNKS)), strict=True))
        assert stored.shape == (len(CHUNKS), DIMENSION)
        for c, v in zip(chunks, stored, strict=True):
            assert np.allclose(v, expected[c.chunk_id], atol=1e-5)

    def test_adding_again_or_nothing_changes_nothing(self, store: ChromaStore) -> None:
        store.add([], vectors(0))
        assert store.count() == 0
        store.add(CHUNKS, vectors(len(CHUNKS)))
        store.add(CHUNKS, vectors(len(CHUNKS)))
        assert store.count() == len(CHUNKS)

    def test_queries_rank_by_cosine_best_first(self, store: ChromaStore) -> None:
        store.add(CHUNKS, vectors(len(CHUNKS)))
        found = store.query(vectors(len(CHUNKS))[:2], 4)
        assert len(found) == 2
        for i, hits in enumerate(found):
            assert len(hits) == 4 and len({h.chunk.chunk_id for h in hits}) == 4
            scores = [h.score for h in hits]
            assert scores == sorted(scores, reverse=True) and all(
                -1.0 - 1e-5 <= s <= 1.0 + 1e-5 for s in scores
            )
            assert hits[0].chunk == CHUNKS[i] and hits[0].score == pytest.approx(1.0, abs=1e-4)
        assert [len(h) for h in store.query(vectors(1, seed=3), 50)] == [len(CHUNKS)]

    def test_no_query_vectors_is_no_results(self, store: ChromaStore) -> None:
        store.add(CHUNKS, vectors(len(CHUNKS)))
        assert store.query(vectors(0), 3) == []

    def test_a_filtered_query_keeps_matching_chunks(self, store: ChromaStore) -> None:
        store.add(CHUNKS, vectors(len(CHUNKS)))
        hits = store.query(vectors(1, seed=3), 5, {"source": "NIDDK"})[0]
        assert len(hits) == 3 and {h.chunk.doc_id for h in hits} == {"d2"}

    def test_documents_report_completeness(self, store: ChromaStore) -> None:
        store.add(CHUNKS[:5], vectors(len(CHUNKS))[:5])
        documents = store.documents()
        assert set(documents) == {"d1", "d2"}
        assert documents["d1"].complete and not documents["d2"].complete
        assert (documents["d2"].expected_chunks, documents["d2"].present_chunks) == (3, 2)

    def test_deleting_a_document_removes_all_its_chunks(self, store: ChromaStore) -> None:
        store.add(CHUNKS, vectors(len(CHUNKS)))
        store.delete_documents(["d1"])
        assert store.count() == 3 and {c.doc_id for c in store.chunks()} == {"d2"}
        store.delete_documents([])
        assert store.count() == 3

    def test_vectors_of_another_embedding_are_refused(self, store: ChromaStore) -> None:
        store.add(CHUNKS, vectors(len(CHUNKS)))
        assert store.indexed_embedding() == store.embedding
        settings = store.settings
        other = "torch" if settings.embedding.backend == "onnx" else "onnx"
        changed = settings.model_copy(update={"embedding": EmbeddingSettings(backend=other)})
        with pytest.raises(StoreError, match="rebuild"):
            ChromaStore(store.client, store.name, changed)  # the same client, other settings

    def test_torch_and_fp32_onnx_share_an_index(self, request: pytest.FixtureRequest, tmp_path: Path) -> None:
        base = self.store_settings(request, tmp_path)
        torch = base.model_copy(update={"embedding": EmbeddingSettings(backend="torch")})
        store = ChromaStore.open(torch)
        store.add(CHUNKS, vectors(len(CHUNKS)))
        fp32 = base.model_copy(update={"embedding": EmbeddingSettings(backend="onnx-fp32")})
        assert ChromaStore(store.client, store.name, fp32).count() == len(CHUNKS)
