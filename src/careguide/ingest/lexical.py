"""The BM25 index (bm25s), persisted beside the vector index and rebuilt only when the corpus changes.

The corpus fingerprint is a hash of the sorted chunk ids; ids are content hashes, so the
fingerprint changes exactly when a chunk is added, changed or removed.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from careguide.ingest.documents import Chunk, MetadataValue


def metadata_matches(meta: dict[str, MetadataValue], where: dict[str, str]) -> bool:
    """True when every filter key equals the chunk's metadata value (the in-memory filter)."""
    return all(str(meta.get(key, "")) == value for key, value in where.items())


STATE_FILE = "state.json"
CHUNKS_FILE = "chunks.jsonl"
FORMAT_VERSION = 2
VECTORS_FILE = "vectors.npy"


def corpus_fingerprint(chunk_ids: Iterable[str]) -> str:
    digest = hashlib.sha256()
    for chunk_id in sorted(chunk_ids):
        digest.update(chunk_id.encode() + b"\n")
    return digest.hexdigest()


def _stemmer() -> Any:
    import Stemmer

    return Stemmer.Stemmer("english")


@dataclass(frozen=True)
class LexicalHit:
    chunk: Chunk
    score: float


class LexicalIndex:
    """BM25 over the chunks' indexed text, with the chunks kept for filtering and display."""

    def __init__(
        self,
        retriever: Any,
        chunks: Sequence[Chunk],
        fingerprint: str,
        vectors: np.ndarray | None = None,
    ) -> None:
        self.retriever = retriever
        self.chunks = list(chunks)
        self.fingerprint = fingerprint
        self.vectors = vectors
        self.stemmer = _stemmer()
        self._masks: dict[tuple[tuple[str, str], ...], np.ndarray] = {}

    @classmethod
    def build(cls, chunks: Sequence[Chunk], vectors: np.ndarray | None = None) -> LexicalIndex:
        """Index the chunks; ``vectors`` (one embedding per chunk, same order) enable exact
        filtered dense search (:meth:`search_vectors`)."""
        import bm25s

        order = sorted(range(len(chunks)), key=lambda i: chunks[i].chunk_id)
        chunks = [chunks[i] for i in order]
        if vectors is not None:
            vectors = np.ascontiguousarray(np.asarray(vectors, dtype=np.float32)[order])
        retriever = bm25s.BM25()
        if chunks:
            tokens = bm25s.tokenize(
                [c.indexed_text for c in chunks],
                stopwords="en",
                stemmer=_stemmer(),
                show_progress=False,
            )
            retriever.index(tokens, show_progress=False)
        return cls(retriever, chunks, corpus_fingerprint(c.chunk_id for c in chunks), vectors)

    def save(self, directory: Path) -> None:
        """Write the index atomically: a killed save leaves the previous index in place."""
        staging = directory.with_name(directory.name + ".tmp")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        if self.chunks:
            self.retriever.save(str(staging / "bm25"))
        if self.vectors is not None:
            np.save(staging / VECTORS_FILE, self.vectors)
        with (staging / CHUNKS_FILE).open("w", encoding="utf-8") as handle:
            for chunk in self.chunks:
                record = {"id": chunk.chunk_id, "text": chunk.text, "meta": chunk.to_metadata()}
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        state = {
            "version": FORMAT_VERSION,
            "fingerprint": self.fingerprint,
            "count": len(self.chunks),
        }
        (staging / STATE_FILE).write_text(json.dumps(state), encoding="utf-8")
        backup = directory.with_name(directory.name + ".old")
        shutil.rmtree(backup, ignore_errors=True)
        if directory.exists():
            directory.rename(backup)
        staging.rename(directory)
        shutil.rmtree(backup, ignore_errors=True)

    @staticmethod
    def read_state(directory: Path) -> dict[str, Any] | None:
        try:
            state = json.loads((directory / STATE_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return state if isinstance(state, dict) and state.get("version") == FORMAT_VERSION else None

    @classmethod
    def load(cls, directory: Path) -> LexicalIndex | None:
        """The saved index, or None when there is none (or it is from an older format)."""
        import bm25s

        state = cls.read_state(directory)
        if state is None:
            return None
        chunks = []
        with (directory / CHUNKS_FILE).open(encoding="utf-8") as handle:
            for line in handle:
                record = json.loads(line)
                chunks.append(Chunk.from_metadata(record["id"], record["text"], record["meta"]))
        retriever = bm25s.BM25.load(str(directory / "bm25")) if chunks else bm25s.BM25()
        vectors_path = directory / VECTORS_FILE
        # Loaded whole (34k chunks x 384 = 53 MB): a memory map made each filtered query copy pages.
        vectors = np.load(vectors_path) if vectors_path.is_file() else None
        return cls(retriever, chunks, str(state["fingerprint"]), vectors)

    def _mask(self, where: dict[str, str]) -> np.ndarray:
        key = tuple(sorted(where.items()))
        if key not in self._masks:
            self._masks[key] = np.fromiter(
                (metadata_matches(c.to_metadata(), where) for c in self.chunks),
                dtype=np.float32,
                count=len(self.chunks),
            )
        return self._masks[key]

    def search_many(
        self, queries: Sequence[str], k: int, where: dict[str, str] | None = None
    ) -> list[list[LexicalHit]]:
        """The top-k chunks by BM25 for each query; chunks failing the filter are never returned."""
        import bm25s

        if not self.chunks or not queries:
            return [[] for _ in queries]
        mask = self._mask(where) if where else None
        allowed = int(mask.sum()) if mask is not None else len(self.chunks)
        k = min(k, allowed)
        if k == 0:
            return [[] for _ in queries]
        tokens = bm25s.tokenize(
            list(queries),
            stopwords="en",
            stemmer=self.stemmer,
            return_ids=False,
            show_progress=False,
        )
        results: list[list[LexicalHit]] = []
        for query_tokens in tokens:
            known = [t for t in query_tokens if t in self.retriever.vocab_dict]
            if not known:
                results.append([])
                continue
            indices, scores = self.retriever.retrieve(
                [known], k=k, weight_mask=mask, show_progress=False, n_threads=1
            )
            results.append(
                [
                    LexicalHit(self.chunks[int(i)], float(s))
                    for i, s in zip(indices[0], scores[0], strict=True)
                    if s > 0
                ]
            )
        return results

    def search_vectors(
        self, queries: np.ndarray, k: int, where: dict[str, str]
    ) -> list[list[LexicalHit]] | None:
        """Exact filtered dense search over the stored embeddings (cosine; vectors are normalised).

        Only the chunks that pass the filter are scored, so a rare filter value costs less than an
        unfiltered search. None when this index was built without vectors.
        """
        if self.vectors is None:
            return None
        mask = self._mask(where)
        allowed = int(mask.sum())
        if allowed == 0:
            return [[] for _ in range(len(queries))]
        # One single-threaded matrix product over every chunk takes ~2 ms; BLAS threads woken right
        # after torch's own (query embedding) fought over the 2 cores and gave 100 ms tails.
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1, user_api="blas"):
            scores = self.vectors @ np.asarray(queries, dtype=np.float32).T
        scores[mask == 0] = -np.inf
        k = min(k, allowed)
        results: list[list[LexicalHit]] = []
        for column in scores.T:
            top = np.argpartition(-column, k - 1)[:k]
            top = top[np.argsort(-column[top], kind="stable")]
            results.append([LexicalHit(self.chunks[int(i)], float(column[i])) for i in top])
        return results
