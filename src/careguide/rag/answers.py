"""Answer-level retrieval: whole QA answers ranked by dense, BM25 and question-entailment signals.

A knowledge-base answer is split into several chunks; ranking chunks lets one long answer take
several of the top places and lets a short, exactly right answer fall below them. Here chunks are
aggregated to their answer (``answer_id``; a chunk without one is a unit of its own) at query
time, each signal ranks *answers*, and the passage shown is the answer's best chunk. The chunk
index stays as it is, so nothing has to be re-embedded.

The third signal is question entailment (Ben Abacha & Demner-Fushman 2019): how likely the
knowledge base's own question for an answer (MedQuAD's question) is to be entailed by the
consumer's question, from the similarity of the two questions (and of the FAQ-style rewrite) and
from focus and question-type agreement, combined by a logistic regression fitted on the retrieval
candidates of the consumer set's tuning part (:func:`careguide.rag.entailment.fit_entailment`;
``careguide eval retrieval`` refits and prints it each run). A fit on MEDIQA 2019's labelled RQE
pairs ranked worse, because the RQE negatives share the question's focus (docs/evaluation.md).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from careguide.ingest import Chunk, Embedder, LexicalIndex
from careguide.rag.understanding import FocusLexicon, QueryAnalysis, QuestionAnalyzer, normalise

ENTAILMENT_FEATURES = ("question_sim", "rewrite_sim", "focus", "type")
ENTAILMENT_COEF = (4.751, 2.823, 2.195, 1.209)
ENTAILMENT_BIAS = -10.742
"""Logistic weights of :data:`ENTAILMENT_FEATURES` (question similarity, rewrite similarity, focus
agreement, type agreement), fitted on the consumer set's tuning part; see the module docstring."""

QUESTIONS_FILE = "questions.npy"
QUESTIONS_STATE = "questions.json"
SIGNALS = ("dense", "bm25", "entailment")


@dataclass(frozen=True)
class Unit:
    """One answer (or a chunk of a document that has no QA structure)."""

    key: str
    question: str
    topic: str
    question_type: str
    chunks: tuple[int, ...]  # indices into the lexical index's chunks, in document order


@dataclass
class Candidate:
    unit: int
    features: dict[str, float] = field(default_factory=dict)
    best_chunk: int = -1
    best_chunk_score: float = -math.inf


def build_units(chunks: Sequence[Chunk]) -> tuple[list[Unit], dict[str, int]]:
    grouped: dict[str, list[int]] = {}
    for index, chunk in enumerate(chunks):
        grouped.setdefault(chunk.answer_id or chunk.chunk_id, []).append(index)
    units: list[Unit] = []
    for key, members in grouped.items():
        members.sort(key=lambda i: chunks[i].position)
        first = chunks[members[0]]
        # A MedQuAD answer's title is its question; a handout's section heading (or title) names
        # what that part answers (without one, a clinic's own material could never rank above a
        # MedQuAD answer that the entailment signal ranks).
        question = first.title if first.answer_id else (first.section or first.title)
        # A handout has no MedQuAD focus; its title ("Acromegaly") names what it is about.
        topic = first.topic or ("" if first.answer_id else first.title)
        units.append(Unit(key, question, topic, first.question_type, tuple(members)))
    return units, {unit.key: i for i, unit in enumerate(units)}


class QuestionIndex:
    """The knowledge base's questions (one per answer) and their embeddings, cached on disk."""

    def __init__(
        self,
        chunks: Sequence[Chunk],
        embedder: Embedder,
        cache: Path | None = None,
        chunk_vectors: np.ndarray | None = None,
    ) -> None:
        self.chunks = list(chunks)
        self.units, self.unit_of_key = build_units(self.chunks)
        self.unit_of_chunk = np.empty(len(self.chunks), dtype=np.int64)
        for number, unit in enumerate(self.units):
            self.unit_of_chunk[list(unit.chunks)] = number
        self.vectors = self._vectors(embedder, cache, chunk_vectors)
        topics = {unit.topic for unit in self.units if unit.topic}
        known = {w for unit in self.units for w in normalise(unit.question).split()}
        self.lexicon = FocusLexicon(topics, known)
        self.by_topic: dict[str, list[int]] = {}
        for number, unit in enumerate(self.units):
            if unit.topic:
                self.by_topic.setdefault(unit.topic, []).append(number)

    def _vectors(
        self, embedder: Embedder, cache: Path | None, chunk_vectors: np.ndarray | None
    ) -> np.ndarray:
        """A QA answer is matched by its FAQ question; a passage with no such question (a handout,
        a PDF page) by its own text, whose embedding the index already keeps."""
        own = chunk_vectors is not None and len(chunk_vectors) == len(self.chunks)
        passages = {
            number: unit.chunks[0]
            for number, unit in enumerate(self.units)
            if own and not self.chunks[unit.chunks[0]].answer_id
        }
        questions = ["" if n in passages else u.question for n, u in enumerate(self.units)]
        vectors = question_vectors(questions, embedder, cache)
        if passages and chunk_vectors is not None:
            rows = list(passages)
            vectors[rows] = np.asarray(chunk_vectors, dtype=np.float32)[[passages[n] for n in rows]]
        return vectors


def question_vectors(questions: Sequence[str], embedder: Embedder, cache: Path | None) -> np.ndarray:
    """Embeddings of the questions (zeros for ""), reusing those cached for this embedder.

    The cache maps text to vector, so a changed knowledge base embeds only its new questions."""
    known: dict[str, np.ndarray] = {}
    if cache is not None:
        try:
            state = json.loads((cache / QUESTIONS_STATE).read_text(encoding="utf-8"))
            if state.get("embedder") == embedder.name:
                stored = np.load(cache / QUESTIONS_FILE)
                known = dict(zip(state["questions"], stored, strict=True))
        except (OSError, ValueError, KeyError, TypeError):
            known = {}
    missing = sorted({q for q in questions if q and q not in known})
    for start in range(0, len(missing), 256):
        part = missing[start : start + 256]
        for text, vector in zip(part, np.asarray(embedder.embed(part), dtype=np.float32), strict=True):
            known[text] = vector
    dim = len(next(iter(known.values()))) if known else embedder.dimension
    vectors = np.zeros((len(questions), dim), dtype=np.float32)
    for row, question in enumerate(questions):
        if question:
            vectors[row] = known[question]
    if cache is not None and missing:
        try:
            cache.mkdir(parents=True, exist_ok=True)
            texts = sorted(known)
            np.save(cache / QUESTIONS_FILE, np.stack([known[t] for t in texts]))
            state = {"embedder": embedder.name, "questions": texts}
            (cache / QUESTIONS_STATE).write_text(json.dumps(state), encoding="utf-8")
        except OSError:
            pass  # a read-only index still answers; the vectors are recomputed next time
    return vectors


def entailment_probability(
    features: dict[str, float],
    coef: Sequence[float] = ENTAILMENT_COEF,
    bias: float = ENTAILMENT_BIAS,
) -> float:
    """P(the knowledge-base question is entailed by the message) from :data:`ENTAILMENT_FEATURES`."""
    z = bias + sum(c * features.get(n, 0.0) for c, n in zip(coef, ENTAILMENT_FEATURES, strict=True))
    return 1.0 / (1.0 + math.exp(-z))


PARTS = ("understanding", "embedding", "dense", "bm25", "entailment")
"""The parts of an answer-level search whose cost ``signal_rankings(timings=...)`` reports."""


class _Clock:
    def __init__(self, timings: dict[str, float] | None) -> None:
        self.timings = timings
        self.last = time.perf_counter()

    def lap(self, part: str) -> None:
        if self.timings is not None:
            now = time.perf_counter()
            self.timings[part] = self.timings.get(part, 0.0) + now - self.last
            self.last = now


@dataclass
class SignalRankings:
    """One message's analysis, each signal's ranking of answers and the candidates' details."""

    analysis: QueryAnalysis
    rankings: dict[str, list[int]] = field(default_factory=dict)
    candidates: dict[int, Candidate] = field(default_factory=dict)
    closest: float | None = None
    """Cosine similarity of the nearest chunk the dense signal found (None without it)."""


@dataclass(frozen=True)
class AnswerWeights:
    rrf_k: int = 20
    dense: float = 0.5
    bm25: float = 0.25
    entailment: float = 1.0


class AnswerRanker:
    """Ranks answers for consumer messages; any of the dense/BM25 stages may be absent."""

    def __init__(
        self,
        questions: QuestionIndex,
        embedder: Embedder,
        lexical: LexicalIndex | None,
        dense_search: object | None = None,
        pool: int = 50,
    ) -> None:
        self.questions = questions
        self.embedder = embedder
        self.lexical = lexical
        self.dense_search = dense_search  # a CandidateRetriever over the same chunks, or None
        self.analyzer = QuestionAnalyzer(questions.lexicon)
        self.pool = pool

    def analyse(self, text: str) -> QueryAnalysis:
        return self.analyzer.analyse(text)

    def rank(
        self,
        texts: Sequence[str],
        weights: AnswerWeights,
        signals: Sequence[str] = SIGNALS,
    ) -> list[list[tuple[Chunk, float]]]:
        """For each message, (best chunk of each answer, fused score), best first."""
        return [self.fuse(found, weights) for found in self.signal_rankings(texts, signals)]

    def fuse(self, found: SignalRankings, weights: AnswerWeights) -> list[tuple[Chunk, float]]:
        """Weighted reciprocal rank fusion of the signals' answer rankings."""
        fused: dict[int, float] = {}
        for name, ranking in found.rankings.items():
            weight = getattr(weights, name)
            if weight <= 0:
                continue
            for rank, unit in enumerate(ranking, start=1):
                fused[unit] = fused.get(unit, 0.0) + weight / (weights.rrf_k + rank)
        ordered = sorted(fused, key=lambda u: (-fused[u], self.questions.units[u].key))
        return [(self._shown(found.candidates[u]), fused[u]) for u in ordered]

    def signal_rankings(
        self,
        texts: Sequence[str],
        signals: Sequence[str] = SIGNALS,
        timings: dict[str, float] | None = None,
    ) -> list[SignalRankings]:
        """Each signal's ranking of answers (unit numbers) for each message.

        With ``timings``, the seconds spent in each part (see :data:`PARTS`) are added to it."""
        clock = _Clock(timings)
        analyses = [self.analyse(text) for text in texts]
        clock.lap("understanding")
        rewrites = [list(a.rewrites) for a in analyses]
        flat = list(texts) + [r for rs in rewrites for r in rs]
        vectors = np.asarray(self.embedder.embed(flat), dtype=np.float32)  # each message once
        offsets = np.cumsum([len(texts)] + [len(rs) for rs in rewrites])
        clock.lap("embedding")
        dense = self._dense(vectors[: len(texts)]) if "dense" in signals else None
        if dense is not None:
            clock.lap("dense")
        results: list[SignalRankings] = []
        for i, analysis in enumerate(analyses):
            found = SignalRankings(analysis)
            if dense is not None:
                hits, found.closest = dense[i]
                found.rankings["dense"] = self._collect(hits, found.candidates, "dense")
                clock.lap("dense")
            if "bm25" in signals and self.lexical is not None:
                hits_per_query = self.lexical.search_many([texts[i], *analysis.rewrites], self.pool)
                hits = [(self._chunk_index(h.chunk), h.score) for hs in hits_per_query for h in hs]
                found.rankings["bm25"] = self._collect(hits, found.candidates, "bm25")
                clock.lap("bm25")
            if "entailment" in signals:
                rvecs = vectors[offsets[i] : offsets[i + 1]]
                found.rankings["entailment"] = self._entailment(analysis, vectors[i], rvecs, found.candidates)
                clock.lap("entailment")
            results.append(found)
        return results

    def rescore_entailment(self, found: SignalRankings, coef: Sequence[float], bias: float) -> SignalRankings:
        """``found`` with its entailment ranking recomputed under other logistic weights (from the
        features its candidates kept), e.g. to score a refit without searching again."""
        if "entailment" not in found.rankings:
            return found
        scored = {
            unit: entailment_probability(c.features, coef, bias)
            for unit, c in found.candidates.items()
            if c.features
        }
        ranked = sorted(scored, key=lambda u: (-scored[u], u))[: self._entailment_cut(found.analysis)]
        return replace(found, rankings={**found.rankings, "entailment": ranked})

    def _chunk_index(self, chunk: Chunk) -> int:
        return self._chunk_ids()[chunk.chunk_id]

    def _chunk_ids(self) -> dict[str, int]:
        if not hasattr(self, "_ids"):
            self._ids = {c.chunk_id: i for i, c in enumerate(self.questions.chunks)}
        return self._ids

    def _dense(self, vectors: np.ndarray) -> list[tuple[list[tuple[int, float]], float | None]] | None:
        """For each message's vector: the dense hits (chunk index, similarity) and the similarity
        of the nearest chunk in the store (which the lexical index may not hold yet)."""
        if self.dense_search is None:
            return None
        found = self.dense_search.run_vectors(vectors, self.pool, {})  # type: ignore[attr-defined]
        ids = self._chunk_ids()
        return [
            (
                [(ids[p.chunk.chunk_id], p.score) for p in hits if p.chunk.chunk_id in ids],
                hits[0].score if hits else None,
            )
            for hits in found
        ]

    def _collect(
        self, hits: Sequence[tuple[int, float]], candidates: dict[int, Candidate], name: str
    ) -> list[int]:
        """Units in order of their best chunk; each unit remembers its best chunk to show."""
        best: dict[int, float] = {}
        for chunk, score in hits:
            unit = int(self.questions.unit_of_chunk[chunk])
            candidate = candidates.setdefault(unit, Candidate(unit))
            if score > best.get(unit, -math.inf):
                best[unit] = score
            if name == "dense" and score > candidate.best_chunk_score:
                candidate.best_chunk, candidate.best_chunk_score = chunk, score
            elif candidate.best_chunk < 0:
                candidate.best_chunk = chunk
        return sorted(best, key=lambda u: -best[u])

    def _entailment(
        self,
        analysis: QueryAnalysis,
        qvec: np.ndarray,
        rvecs: np.ndarray,
        candidates: dict[int, Candidate],
    ) -> list[int]:
        index = self.questions
        sims = index.vectors @ qvec
        rsims = (index.vectors @ rvecs.T).max(axis=1) if len(rvecs) else np.zeros_like(sims)
        pool = set(np.argpartition(-sims, min(self.pool, len(sims) - 1))[: self.pool].tolist())
        pool |= set(np.argpartition(-rsims, min(self.pool, len(sims) - 1))[: self.pool].tolist())
        focus_score = {t: m.score for m in analysis.focus for t in m.topics}
        for topic in focus_score:
            pool.update(index.by_topic.get(topic, ()))
        pool |= set(candidates)
        scored: dict[int, float] = {}
        for unit_number in pool:
            unit = index.units[unit_number]
            if not unit.question and not index.vectors[unit_number].any():
                continue
            features = {
                "question_sim": float(sims[unit_number]),
                "rewrite_sim": float(rsims[unit_number]),
                "focus": focus_score.get(unit.topic, 0.0),
                "type": 1.0 if unit.question_type in analysis.types else 0.0,
            }
            candidate = candidates.setdefault(unit_number, Candidate(unit_number))
            candidate.features.update(features)
            scored[unit_number] = entailment_probability(features)
        # Ties (the same question in two sources) go by unit number, whatever the pool's order.
        ranked = sorted(scored, key=lambda u: (-scored[u], u))
        return ranked[: self._entailment_cut(analysis)]

    def _entailment_cut(self, analysis: QueryAnalysis) -> int:
        return max(self.pool, 2 * len(analysis.focus) * 10)

    def _shown(self, candidate: Candidate) -> Chunk:
        unit = self.questions.units[candidate.unit]
        chunk = candidate.best_chunk if candidate.best_chunk >= 0 else unit.chunks[0]
        return self.questions.chunks[chunk]
