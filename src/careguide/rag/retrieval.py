"""Hybrid retrieval: small typed components (dense, BM25, fusion) composed by configuration.

Each retriever proposes ranked candidates for a batch of questions; ``fuse_rankings`` joins
rankings by reciprocal rank fusion; :class:`Retriever` is the composition the rest of careguide
uses (``search`` for one question, ``search_many`` for evaluation batches).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from careguide.config import RetrievalSettings, Settings
from careguide.errors import UserError
from careguide.ingest import (
    ChromaStore,
    Chunk,
    Embedder,
    KnowledgeBase,
    LexicalIndex,
    Vectors,
    load_embedder,
    metadata_matches,
)
from careguide.rag.answers import AnswerRanker, AnswerWeights, QuestionIndex

FILTER_KEYS = ("source", "topic", "audience", "question_type", "doc_id", "answer_id", "license")
"""Metadata keys a search may filter on (``--where key=value``)."""

Mode = Literal["hybrid", "dense", "bm25"]


class FilterError(UserError, ValueError):
    """A ``--where`` filter names an unknown key or is malformed."""


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk with its score; the shape printed by ``careguide search --json``."""

    chunk: Chunk
    score: float

    def to_json(self) -> dict[str, object]:
        c = self.chunk
        record: dict[str, object] = {
            "chunk_id": c.chunk_id,
            "doc_id": c.doc_id,
            "title": c.title,
            "source": c.source,
            "organisation": c.organisation,
            "url": c.url,
            "section": c.section,
            "page": c.page,
            "license": c.license,
            "score": round(self.score, 6),
            "text": c.text,
        }
        if c.answer_id:
            record["answer_id"] = c.answer_id
        return record


@dataclass(frozen=True)
class SearchResult:
    """The passages one search found, and how close the nearest chunk of its dense stage was."""

    passages: list[Passage]
    closest: float | None = None
    """Cosine similarity of the nearest chunk the dense stage found (unfiltered searches: in the
    whole store); None when no dense stage ran or it found nothing. The Assistant abstains when it
    is below ``answer.min_similarity``."""


def _dense_result(hits: list[Passage], k: int) -> SearchResult:
    return SearchResult(hits[:k], hits[0].score if hits else None)


def parse_filter(pairs: Sequence[str]) -> dict[str, str]:
    """Turn ``["source=GHR", "topic=Acromegaly"]`` into a filter, rejecting unknown keys."""
    where: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not key or not value.strip():
            raise FilterError(f"Filter '{pair}' is not key=value; write e.g. --where source=GHR.")
        if key not in FILTER_KEYS:
            raise FilterError(f"Unknown filter key '{key}'; use one of: {', '.join(FILTER_KEYS)}.")
        where[key] = value.strip()
    return where


def chroma_where(where: dict[str, str]) -> dict[str, object] | None:
    if not where:
        return None
    clauses: list[dict[str, object]] = [{key: value} for key, value in sorted(where.items())]
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


class CandidateRetriever(Protocol):
    """One retrieval stage: ranked candidates for each question of a batch."""

    def run(self, questions: Sequence[str], k: int, where: dict[str, str]) -> list[list[Passage]]: ...


class DenseRetriever:
    """Embeds the questions and queries Chroma by cosine similarity.

    A filtered Chroma query is several times slower than an unfiltered one, so with a filter it
    first over-fetches unfiltered and filters in memory; only when too few candidates survive
    (a rare filter value) does it fall back to Chroma's own filtered query.
    """

    def __init__(
        self,
        store: ChromaStore,
        embedder: Embedder,
        overfetch: int = 8,
        strategy: str = "exact",
        exact_index: LexicalIndex | None = None,
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.overfetch = overfetch
        self.strategy = strategy
        self.exact_index = exact_index
        self.fallbacks = 0

    def run(self, questions: Sequence[str], k: int, where: dict[str, str]) -> list[list[Passage]]:
        return self.run_vectors(self.embedder.embed(list(questions)), k, where)

    def run_vectors(self, vectors: Vectors, k: int, where: dict[str, str]) -> list[list[Passage]]:
        """:meth:`run` for questions already embedded (by this retriever's embedder)."""
        if not where:
            found = self.store.query(vectors, k)
            return [[Passage(hit.chunk, hit.score) for hit in hits] for hits in found]
        if self.strategy == "exact" and self.exact_index is not None:
            exact = self.exact_index.search_vectors(vectors, k, where)
            if exact is not None:
                return [[Passage(hit.chunk, hit.score) for hit in hits] for hits in exact]
        if self.strategy == "chroma":
            found = self.store.query(vectors, k, chroma_where(where))
            return [[Passage(hit.chunk, hit.score) for hit in hits] for hits in found]
        wide = self.store.query(vectors, k * self.overfetch)
        results: list[list[Passage]] = []
        for index, hits in enumerate(wide):
            kept = [
                Passage(hit.chunk, hit.score)
                for hit in hits
                if metadata_matches(hit.chunk.to_metadata(), where)
            ]
            if len(kept) < k:
                self.fallbacks += 1
                narrow = self.store.query(vectors[index : index + 1], k, chroma_where(where))[0]
                kept = [Passage(hit.chunk, hit.score) for hit in narrow]
            results.append(kept[:k])
        return results


class LexicalRetriever:
    """BM25 over the same chunks (bm25s), filtered by a precomputed mask."""

    def __init__(self, index: LexicalIndex) -> None:
        self.index = index

    def run(self, questions: Sequence[str], k: int, where: dict[str, str]) -> list[list[Passage]]:
        found = self.index.search_many(questions, k, where or None)
        return [[Passage(hit.chunk, hit.score) for hit in hits] for hits in found]


def fuse_rankings(
    rankings: Sequence[Sequence[Passage]], rrf_k: int = 60, weights: Sequence[float] | None = None
) -> list[Passage]:
    """Weighted reciprocal rank fusion: score = sum over rankings of weight / (rrf_k + rank)."""
    scores: dict[str, float] = {}
    chunks: dict[str, Chunk] = {}
    weights = weights or [1.0] * len(rankings)
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, passage in enumerate(ranking, start=1):
            chunk_id = passage.chunk.chunk_id
            scores[chunk_id] = scores.get(chunk_id, 0.0) + weight / (rrf_k + rank)
            chunks.setdefault(chunk_id, passage.chunk)
    ordered = sorted(scores, key=lambda cid: (-scores[cid], cid))
    return [Passage(chunks[cid], scores[cid]) for cid in ordered]


class Retriever:
    """Dense + BM25 fused by RRF (or either alone), as configured."""

    def __init__(
        self,
        settings: RetrievalSettings,
        dense: CandidateRetriever | None,
        lexical: CandidateRetriever | None,
        answers: AnswerRanker | None = None,
    ) -> None:
        self.settings = settings
        self.dense = dense
        self.lexical = lexical
        self.answers = answers
        self.knowledge: KnowledgeBase | None = None
        """The knowledge base this retriever follows (None when composed by hand)."""

    @classmethod
    def open(cls, settings: RetrievalSettings, knowledge: KnowledgeBase, embedder: Embedder) -> Retriever:
        """Compose the retriever over a knowledge base (its BM25 index brought up to date if need
        be); it takes each index the knowledge base refreshes to."""
        index = knowledge.index()
        dense = DenseRetriever(
            knowledge.store, embedder, settings.filter_overfetch, settings.filter_strategy, index
        )
        retriever = cls(settings, dense, LexicalRetriever(index))
        retriever.answers = retriever._answer_ranker(index)
        retriever.knowledge = knowledge
        now = knowledge.follow(retriever.use_index)
        if now is not index:  # refreshed meanwhile
            retriever.use_index(now)
        return retriever

    def _answer_ranker(self, index: LexicalIndex) -> AnswerRanker | None:
        dense = self.dense
        if not self.settings.answers or not isinstance(dense, DenseRetriever):
            return None
        cache = dense.store.lexical_dir.with_name(dense.store.lexical_dir.name + "-questions")
        questions = QuestionIndex(index.chunks, dense.embedder, cache, index.vectors)
        return AnswerRanker(questions, dense.embedder, index, dense, self.settings.answer_pool)

    def use_index(self, index: LexicalIndex) -> None:
        """Swap in a rebuilt BM25 index and the answer units over it (after an ingest or a
        publication); searches in flight finish on the old ones."""
        answers = self._answer_ranker(index)  # built first: the swap below is three assignments
        if isinstance(self.dense, DenseRetriever):
            self.dense.exact_index = index
        if isinstance(self.lexical, LexicalRetriever):
            self.lexical.index = index
        self.answers = answers

    def answer_weights(self) -> AnswerWeights:
        s = self.settings
        return AnswerWeights(
            s.answer_rrf_k, s.answer_dense_weight, s.answer_bm25_weight, s.answer_entailment_weight
        )

    def search_many(
        self,
        questions: Sequence[str],
        k: int | None = None,
        where: dict[str, str] | None = None,
        mode: Mode | None = None,
    ) -> list[list[Passage]]:
        """The top-k passages for each question."""
        return [found.passages for found in self.results(questions, k, where, mode)]

    def results(
        self,
        questions: Sequence[str],
        k: int | None = None,
        where: dict[str, str] | None = None,
        mode: Mode | None = None,
    ) -> list[SearchResult]:
        """The top-k passages for each question, with the similarity of its nearest chunk."""
        k = k or self.settings.k
        mode = mode or self.settings.mode
        where = where or {}
        if mode == "hybrid" and self.answers is not None and self.settings.answers and not where:
            # Filtered searches (a workspace scoping to one source) keep the chunk-level path.
            weights = self.answer_weights()
            return [
                SearchResult(
                    [Passage(chunk, score) for chunk, score in self.answers.fuse(found, weights)[:k]],
                    found.closest,
                )
                for found in self.answers.signal_rankings(questions)
            ]
        if mode == "dense" or (mode == "hybrid" and self.lexical is None):
            return [_dense_result(hits, k) for hits in self._require(self.dense).run(questions, k, where)]
        if mode == "bm25" or (mode == "hybrid" and self.dense is None):
            return [SearchResult(hits[:k]) for hits in self._require(self.lexical).run(questions, k, where)]
        return self._chunk_results(questions, k, "hybrid", where)

    def search_chunks(
        self, questions: Sequence[str], k: int, mode: Mode, where: dict[str, str] | None = None
    ) -> list[list[Passage]]:
        """Chunk-level search (no answer units): the plain dense / BM25 / RRF baselines."""
        return [found.passages for found in self._chunk_results(questions, k, mode, where)]

    def _chunk_results(
        self, questions: Sequence[str], k: int, mode: Mode, where: dict[str, str] | None = None
    ) -> list[SearchResult]:
        where = where or {}
        pool = max(k, self.settings.candidates)
        if mode == "dense":
            return [_dense_result(hits, k) for hits in self._require(self.dense).run(questions, k, where)]
        if mode == "bm25":
            return [SearchResult(hits[:k]) for hits in self._require(self.lexical).run(questions, k, where)]
        dense = self._require(self.dense).run(questions, pool, where)
        lexical = self._require(self.lexical).run(questions, pool, where)
        weights = (self.settings.dense_weight, self.settings.bm25_weight)
        return [
            SearchResult(fuse_rankings([d, b], self.settings.rrf_k, weights)[:k], d[0].score if d else None)
            for d, b in zip(dense, lexical, strict=True)
        ]

    def search(
        self, question: str, k: int | None = None, where: dict[str, str] | None = None
    ) -> SearchResult:
        """One question's passages and the similarity of its nearest chunk: one embedding of the
        question and one store query on the default (answer-level hybrid) path."""
        return self.results([question], k, where)[0]

    @staticmethod
    def _require(stage: CandidateRetriever | None) -> CandidateRetriever:
        if stage is None:
            raise ValueError("This retriever was built without the stage that mode needs.")
        return stage


def open_retriever(
    settings: Settings, collection: str | None = None, knowledge: KnowledgeBase | None = None
) -> Retriever:
    """The configured retriever over ``knowledge`` (default: the configured or named collection's),
    models loaded once."""
    knowledge = knowledge or KnowledgeBase.open(settings, collection)
    return Retriever.open(settings.retrieval, knowledge, load_embedder(settings.embedding))
