"""The vector store: Chroma, embedded (PersistentClient) or a server (HttpClient).

careguide always passes its own embeddings; Chroma's default embedding function (which downloads a
model) is never used. The store is also the source of truth for what is indexed: every chunk's
metadata carries its document id and how many chunks the document has, so a document is complete
exactly when all its chunks are present, whatever happened to an earlier ingest.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np

from careguide.config import Settings
from careguide.ingest.documents import Chunk
from careguide.ingest.embedding import Vectors, embedding_id
from careguide.ingest.errors import StoreError

PAGE_SIZE = 5000
EMBEDDING_KEY = "careguide_embedding"
LEGACY_EMBEDDING = "all-MiniLM-L6-v2:torch"
"""Indexes written before the embedding was recorded were all built with the torch default."""


@dataclass(frozen=True)
class IndexedDocument:
    """What the store holds of one document."""

    doc_id: str
    source_key: str
    expected_chunks: int
    present_chunks: int

    @property
    def complete(self) -> bool:
        return self.present_chunks == self.expected_chunks


@dataclass(frozen=True)
class StoredChunk:
    """A chunk as returned by the store, with its similarity (cosine) when from a query."""

    chunk: Chunk
    score: float


def lexical_dir_for(settings: Settings, collection: str | None = None) -> Path:
    """Where the BM25 index of a collection is kept: beside the vector index."""
    name = collection or settings.vector_store.collection
    if not settings.vector_store.url:
        return settings.index_dir / "bm25" / name
    key = hashlib.sha256(f"{settings.vector_store.url}#{name}".encode()).hexdigest()[:12]
    return settings.index_dir / "bm25" / f"{name}-{key}"


def chroma_client(settings: Settings) -> Any:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    url = settings.vector_store.url
    if not url:
        path = settings.index_dir / "chroma"
        path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path), settings=chroma_settings)
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise StoreError(f"vector_store.url '{url}' is not an http(s) URL; use http://host:port.")
    try:
        client = chromadb.HttpClient(
            host=parsed.hostname,
            port=parsed.port or (443 if parsed.scheme == "https" else 80),
            ssl=parsed.scheme == "https",
            settings=chroma_settings,
        )
        client.heartbeat()
    except Exception as exc:  # the client raises several transport errors
        raise StoreError(
            f"Cannot reach the Chroma server at {url} ({type(exc).__name__}); start it "
            f"(`chroma run --path DIR --host 127.0.0.1 --port PORT`) or unset vector_store.url."
        ) from None
    return client


class ChromaStore:
    """One Chroma collection of careguide chunks, on a Chroma client handed in (one per process:
    :func:`chroma_client` builds it from the settings)."""

    def __init__(self, client: Any, collection: str | None, settings: Settings, check: bool = True) -> None:
        self.settings = settings
        self.name = collection or settings.vector_store.collection
        if len(self.name) < 3:
            raise StoreError(f"Collection name '{self.name}' is too short; use 3 or more characters.")
        self.client = client
        self.embedding = embedding_id(settings.embedding)
        self.collection = self._open_collection()
        if check:
            self.check_embedding()

    @classmethod
    def open(
        cls, settings: Settings, collection: str | None = None, check: bool = True, client: Any = None
    ) -> ChromaStore:
        """The collection on ``client``, or on a client built from the settings."""
        return cls(client if client is not None else chroma_client(settings), collection, settings, check)

    def _open_collection(self) -> Any:
        return self.client.get_or_create_collection(
            name=self.name,
            embedding_function=None,
            configuration={"hnsw": {"space": "cosine"}},
        )

    def indexed_embedding(self) -> str | None:
        """The embedding the stored vectors came from (None for an empty collection)."""
        recorded = (self.collection.metadata or {}).get(EMBEDDING_KEY)
        if recorded:
            return str(recorded)
        return LEGACY_EMBEDDING if self.count() else None

    def check_embedding(self) -> None:
        """Refuse an index whose vectors came from another model or backend than the settings'."""
        indexed = self.indexed_embedding()
        if indexed is not None and indexed != self.embedding:
            backend = indexed.rsplit(":", 1)[-1].replace("onnx-int8", "onnx")
            raise StoreError(
                f"The index '{self.name}' was built with the {indexed} embeddings, but the settings "
                f"ask for {self.embedding}; vectors of different models cannot be mixed. Rebuild it "
                f"with `careguide ingest --rebuild` (re-add your own files after), or set "
                f"embedding.backend: {backend} to use it as it is."
            )

    def reset(self) -> None:
        """Drop every chunk (and the BM25 index) so the collection can be rebuilt from scratch."""
        import shutil

        self.client.delete_collection(self.name)
        shutil.rmtree(self.lexical_dir, ignore_errors=True)
        self.collection = self._open_collection()

    @property
    def lexical_dir(self) -> Path:
        """Where the BM25 index of this collection is kept: beside the vector index."""
        return lexical_dir_for(self.settings, self.name)

    def count(self) -> int:
        return int(self.collection.count())

    def add(self, chunks: Sequence[Chunk], vectors: Vectors) -> None:
        """Upsert chunks with their embeddings (ids are content hashes, so re-adding is harmless)."""
        if not chunks:
            return
        if not (self.collection.metadata or {}).get(EMBEDDING_KEY):
            self.check_embedding()  # another process may have filled it meanwhile
            self.collection.modify(metadata={EMBEDDING_KEY: self.embedding})
        self.collection.upsert(
            ids=[c.chunk_id for c in chunks],
            embeddings=np.asarray(vectors, dtype=np.float32),
            documents=[c.text for c in chunks],
            metadatas=[c.to_metadata() for c in chunks],
        )

    def delete_documents(self, doc_ids: Sequence[str]) -> None:
        for start in range(0, len(doc_ids), 500):
            self.collection.delete(where={"doc_id": {"$in": list(doc_ids[start : start + 500])}})

    def _pages(self, include: list[str]) -> Iterator[dict[str, Any]]:
        offset = 0
        while True:
            page = self.collection.get(include=include, limit=PAGE_SIZE, offset=offset)
            if not page["ids"]:
                return
            yield page
            offset += len(page["ids"])

    def documents(self) -> dict[str, IndexedDocument]:
        """Every document in the collection, with how complete it is."""
        found: dict[str, tuple[str, int, int]] = {}
        for page in self._pages(["metadatas"]):
            for meta in page["metadatas"]:
                doc_id = str(meta.get("doc_id", ""))
                source_key, expected, present = found.get(
                    doc_id, (str(meta.get("source_key", "")), int(meta.get("n_chunks", 1)), 0)
                )
                found[doc_id] = (source_key, expected, present + 1)
        return {
            doc_id: IndexedDocument(doc_id, key, expected, present)
            for doc_id, (key, expected, present) in found.items()
        }

    def chunks(self) -> Iterator[Chunk]:
        """Every stored chunk with its text and metadata, in pages."""
        for page in self._pages(["documents", "metadatas"]):
            for chunk_id, text, meta in zip(page["ids"], page["documents"], page["metadatas"], strict=True):
                yield Chunk.from_metadata(chunk_id, text or "", dict(meta))

    def chunks_with_vectors(self) -> tuple[list[Chunk], Vectors]:
        """Every stored chunk and its embedding (same order)."""
        chunks: list[Chunk] = []
        vectors: list[Any] = []
        for page in self._pages(["documents", "metadatas", "embeddings"]):
            for chunk_id, text, meta, vector in zip(
                page["ids"], page["documents"], page["metadatas"], page["embeddings"], strict=True
            ):
                chunks.append(Chunk.from_metadata(chunk_id, text or "", dict(meta)))
                vectors.append(vector)
        if not chunks:
            return [], np.zeros((0, 0), dtype=np.float32)
        return chunks, np.asarray(vectors, dtype=np.float32)

    def query(
        self,
        vectors: Vectors,
        n_results: int,
        where: dict[str, Any] | None = None,
    ) -> list[list[StoredChunk]]:
        """Nearest chunks for each query vector (cosine similarity as score)."""
        if len(vectors) == 0:
            return []  # Chroma refuses an empty batch
        if self.count() == 0:
            return [[] for _ in range(len(vectors))]
        result = self.collection.query(
            query_embeddings=np.asarray(vectors, dtype=np.float32),
            n_results=n_results,
            where=where,
            include=["documents", "metadatas", "distances"],
        )
        batches: list[list[StoredChunk]] = []
        for ids, texts, metas, distances in zip(
            result["ids"],
            result["documents"] or [],
            result["metadatas"] or [],
            result["distances"] or [],
            strict=True,
        ):
            batches.append(
                [
                    StoredChunk(Chunk.from_metadata(cid, text or "", dict(meta)), 1.0 - float(distance))
                    for cid, text, meta, distance in zip(ids, texts, metas, distances, strict=True)
                ]
            )
        return batches
