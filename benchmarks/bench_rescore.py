"""A stronger embedding model as a second-stage rescorer: nomic-embed-text-v1.5 beside MiniLM.

The configured answer-level search (MiniLM dense, BM25, MiniLM question entailment, fused) ranks
answers as usual; its top ``--top`` answers are then re-ranked by how close the message is to each
answer's own knowledge-base question (MedQuAD's question: the entailment signal's unit), with
nomic-embed-text-v1.5 (``search_query: `` on both sides, cached per question) and, for a like-for-
like comparison, with MiniLM (the same design, the vectors the entailment signal already keeps):

- ``rrf``: fused rank and similarity rank combined, ``1/(10 + fused) + w/(10 + similarity)``;
- ``linear``: the fused RRF score plus ``w`` times the cosine similarity.

Each weight is chosen on the consumer set's tuning part (best MRR@10, then success@10), guarded
by the MedQuAD template questions and their variants (``--size`` per family; recall@1 and
recall@10 of no family more than 0.01 below the configured search), and reported on the report
part. Cost: each real consumer message embedded alone with nomic and with MiniLM (ms, p50/p95,
wall and CPU), and the one-time embedding of the knowledge base's questions (measured on the
questions the evaluated messages need, per question).

``python -m benchmarks.bench_rescore --size 100`` (needs the default index and the nomic model:
``python -m benchmarks.bench_rescore --pull`` assembles it into ~/.cache/careguide/models/).
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from benchmarks.common import median, percentile, print_table
from benchmarks.nomic import MODEL, NomicEmbedder, assemble, cached_vectors
from careguide.config import load_settings
from careguide.eval.consumer import GUARD_TOLERANCE, indexed_gold, reachable
from careguide.eval.devset import answered_pairs, load_consumer_set, sample_dev_set, with_variants
from careguide.eval.metrics import dedupe, score_gold_sets, score_rankings
from careguide.ingest import KnowledgeBase, load_embedder
from careguide.rag import Retriever, SignalRankings
from careguide.rag.answers import AnswerRanker

CACHE_NAME = "questions-query"
BATCH = 64
RRF_WEIGHTS = (0.25, 0.5, 1.0, 2.0, 4.0)
LINEAR_WEIGHTS = (0.05, 0.1, 0.2, 0.4, 0.8)


@dataclass
class QuestionSet:
    name: str
    texts: list[str]
    golds: list[frozenset[str]]
    fused: list[list[tuple[int, float]]]  # configured fusion: (unit, score), best first
    query: dict[str, np.ndarray]  # model -> (questions, dim) normalised message vectors


Order = Callable[[QuestionSet, int], list[str]]


class Rescorer:
    def __init__(
        self, ranker: AnswerRanker, unit_vectors: dict[str, dict[int, np.ndarray]], top: int
    ) -> None:
        self.keys = [u.key for u in ranker.questions.units]
        self.unit_vectors = unit_vectors
        self.top = top

    def keys_of(self, order: Sequence[int]) -> list[str]:
        kept: list[str] = dedupe([self.keys[u] for u in order[:40]])
        return kept[:10]

    def configured(self, qs: QuestionSet, i: int) -> list[str]:
        return self.keys_of([u for u, _ in qs.fused[i]])

    def similarities(self, model: str, qs: QuestionSet, i: int) -> dict[int, float]:
        vectors = self.unit_vectors[model]
        q = qs.query[model][i]
        return {u: float(vectors[u] @ q) for u, _ in qs.fused[i][: self.top]}

    def rrf(self, model: str, weight: float, k: int = 10) -> Order:
        def order(qs: QuestionSet, i: int) -> list[str]:
            head = [u for u, _ in qs.fused[i][: self.top]]
            tail = [u for u, _ in qs.fused[i][self.top :]]
            sims = self.similarities(model, qs, i)
            by_sim = {u: r for r, u in enumerate(sorted(head, key=lambda u: (-sims[u], self.keys[u])), 1)}
            score = {u: 1.0 / (k + r) + weight / (k + by_sim[u]) for r, u in enumerate(head, 1)}
            return self.keys_of(sorted(head, key=lambda u: (-score[u], self.keys[u])) + tail)

        return order

    def linear(self, model: str, weight: float) -> Order:
        def order(qs: QuestionSet, i: int) -> list[str]:
            head = qs.fused[i][: self.top]
            tail = [u for u, _ in qs.fused[i][self.top :]]
            sims = self.similarities(model, qs, i)
            score = {u: s + weight * sims[u] for u, s in head}
            return self.keys_of(sorted(score, key=lambda u: (-score[u], self.keys[u])) + tail)

        return order


def score(qs: QuestionSet, order: Order, gold_sets: bool) -> dict[str, float]:
    ranked = [order(qs, i) for i in range(len(qs.texts))]
    if gold_sets:
        keep = [(r, g) for r, g in zip(ranked, qs.golds, strict=True) if g]
        scores: dict[str, float] = score_gold_sets([r for r, _ in keep], [g for _, g in keep])
    else:
        scores = score_rankings(ranked, [next(iter(g)) for g in qs.golds])
    return scores


def choose(
    candidates: list[tuple[str, Order]],
    tune: QuestionSet,
    guard: list[QuestionSet],
    floor: dict[str, dict[str, float]],
) -> tuple[str, Order | None, int]:
    """The grid point with the best tuning MRR@10 (then success@10) that keeps every guard family
    within the tolerance, and how many better points the guard left out (None when every point
    fails the guard). The point is chosen among the rescorings, so it may score below the
    configured search on the tuning part: compare it with the first row."""
    scored = sorted(
        ((score(tune, order, True), label, order) for label, order in candidates),
        key=lambda t: (-t[0]["mrr@10"], -t[0]["recall@10"]),
    )
    left_out = 0
    for _, label, order in scored:
        scores = {g.name: score(g, order, False) for g in guard}
        if all(
            scores[f][m] >= floor[f][m] - GUARD_TOLERANCE for f in scores for m in ("recall@1", "recall@10")
        ):
            return label, order, left_out
        left_out += 1
    return "none passed the guard", None, left_out


def fused_rankings(
    ranker: AnswerRanker, retriever: Retriever, texts: list[str]
) -> list[list[tuple[int, float]]]:
    weights = retriever.answer_weights()
    out: list[list[tuple[int, float]]] = []
    for start in range(0, len(texts), BATCH):
        found: list[SignalRankings] = ranker.signal_rankings(texts[start : start + BATCH])
        out.extend(ranker.order(f, weights) for f in found)
    return out


def one_by_one(
    call: Callable[[str], np.ndarray], texts: Sequence[str]
) -> tuple[np.ndarray, list[float], list[float]]:
    """Each text embedded alone: the vectors and the wall and CPU milliseconds of each call."""
    call(texts[0])  # warm-up
    vectors, wall, cpu = [], [], []
    for text in texts:
        w, c = time.perf_counter(), time.process_time()
        vectors.append(np.asarray(call(text), dtype=np.float32).reshape(-1))
        wall.append(1000 * (time.perf_counter() - w))
        cpu.append(1000 * (time.process_time() - c))
    return np.stack(vectors), wall, cpu


def _ms(values: list[float]) -> dict[str, float]:
    return {"p50": round(median(values), 1), "p95": round(percentile(values, 95), 1)}


def run(size: int, top: int, seed: int = 0, output: str | None = None) -> dict[str, Any]:
    settings = load_settings()
    knowledge = KnowledgeBase.open(settings)
    if knowledge.store.count() == 0:
        raise SystemExit("The default collection is empty; run `careguide ingest` first.")
    if not MODEL.is_file():
        raise SystemExit(f"{MODEL} is missing; run `python -m benchmarks.bench_rescore --pull` first.")
    embedder = load_embedder(settings.embedding)
    retriever = Retriever.open(settings.retrieval, knowledge, embedder)
    ranker = retriever.answers
    if ranker is None:
        raise SystemExit("retrieval.answers is off; the rescoring needs the answer-level search.")
    nomic = NomicEmbedder()
    units = ranker.questions.units
    began = time.perf_counter()

    items = load_consumer_set(
        settings.data_dir / "mediqa2019", settings.medquad_dir, settings.knowledge_base.medquad_subsets
    )
    answer_ids, urls = indexed_gold(retriever)
    sets: list[QuestionSet] = []
    for part in ("tune", "report"):
        qs, _ = reachable([q for q in items if q.part == part], answer_ids, urls)
        texts = [q.question for q in qs]
        sets.append(
            QuestionSet(
                part, texts, [q.gold_answers for q in qs], fused_rankings(ranker, retriever, texts), {}
            )
        )
    pairs = answered_pairs(settings.medquad_dir, settings.knowledge_base.medquad_subsets)
    pairs = [p for p in pairs if p.answer_id in answer_ids]
    for family, dev in with_variants(sample_dev_set(pairs, size, seed), seed).items():
        texts = [d.question for d in dev]
        golds = [frozenset({d.answer_id}) for d in dev]
        sets.append(QuestionSet(family, texts, golds, fused_rankings(ranker, retriever, texts), {}))
    print(
        f"fused rankings of {sum(len(s.texts) for s in sets)} messages in {time.perf_counter() - began:.0f} s"
    )

    # The knowledge-base questions the rescoring needs: those of every evaluated message's top answers.
    needed = sorted({u for s in sets for ranking in s.fused for u, _ in ranking[:top]})
    cpu = time.process_time()
    vectors, unit_seconds, unit_count = cached_vectors([units[u].question for u in needed], nomic, CACHE_NAME)
    unit_cpu = time.process_time() - cpu
    print(
        f"{len(needed)} knowledge-base questions ({unit_count} embedded now, {unit_seconds:.0f} s)",
        flush=True,
    )
    unit_vectors = {
        "nomic": dict(zip(needed, vectors, strict=True)),
        "minilm": {u: ranker.questions.vectors[u] for u in needed},
    }

    # Messages: consumer ones one at a time (timed); MedQuAD ones in batches (cached by text).
    cost: dict[str, Any] = {}
    for s in sets:
        if s.name in ("tune", "report"):
            s.query["nomic"], n_wall, n_cpu = one_by_one(lambda t: nomic.embed([t])[0], s.texts)
            s.query["minilm"], m_wall, m_cpu = one_by_one(lambda t: embedder.embed([t])[0], s.texts)
            for name, values in (("nomic", (n_wall, n_cpu)), ("minilm", (m_wall, m_cpu))):
                cost.setdefault(name, {"wall": [], "cpu": []})
                cost[name]["wall"] += values[0]
                cost[name]["cpu"] += values[1]
        else:
            s.query["nomic"], _, _ = cached_vectors(s.texts, nomic, CACHE_NAME)
            s.query["minilm"] = np.asarray(embedder.embed(s.texts), dtype=np.float32)
    tune, report = sets[0], sets[1]
    guard = sets[2:]

    rescorer = Rescorer(ranker, unit_vectors, top)
    floor = {g.name: score(g, rescorer.configured, False) for g in guard}
    rows: list[dict[str, Any]] = []

    def add(stage: str, order: Order, note: str = "") -> None:
        row: dict[str, Any] = {"stage": stage, "choice": note}
        for s in (tune, report):
            row[s.name] = {k: round(v, 4) for k, v in score(s, order, True).items()}
        row["guard"] = {g.name: {k: round(v, 4) for k, v in score(g, order, False).items()} for g in guard}
        rows.append(row)

    add("configured search (no rescoring)", rescorer.configured)
    for model in ("minilm", "nomic"):
        for kind, grid in (("rrf", RRF_WEIGHTS), ("linear", LINEAR_WEIGHTS)):
            make = rescorer.rrf if kind == "rrf" else rescorer.linear
            candidates = [(f"w {w}", make(model, w)) for w in grid]
            label, order, left_out = choose(candidates, tune, guard, floor)
            if order is not None:
                add(
                    f"rescore top {top}, {model} {kind}",
                    order,
                    f"{label}; {left_out} better weights failed the guard",
                )
        add(f"top {top} by {model} similarity alone", rescorer.rrf(model, 1e6), "no fused rank")

    per_question = unit_cpu / unit_count if unit_count else None
    summary = {
        "messages_timed": len(cost["nomic"]["wall"]),
        "nomic_ms": {"wall": _ms(cost["nomic"]["wall"]), "cpu": _ms(cost["nomic"]["cpu"])},
        "minilm_ms": {"wall": _ms(cost["minilm"]["wall"]), "cpu": _ms(cost["minilm"]["cpu"])},
        "unit_questions_needed": len(needed),
        "unit_questions_embedded_now": unit_count,
        "unit_wall_s": round(unit_seconds, 1),
        "unit_cpu_ms_per_question": round(1000 * per_question, 1) if per_question else None,
        "knowledge_base_questions": len({u.question for u in units if u.question}),
    }
    result = {"size": size, "top": top, "seed": seed, "rows": rows, "cost": summary}
    table = []
    for r in rows:
        for part in ("tune", "report"):
            v = r[part]
            table.append(
                [
                    r["stage"],
                    part,
                    *(f"{v[m]:.3f}" for m in ("recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10")),
                    r["choice"],
                ]
            )
    print_table(
        "Consumer questions (answer-level gold)",
        ["stage", "part", "r@1", "r@5", "r@10", "MRR@10", "nDCG@10", "choice"],
        table,
    )
    gtable = [
        [r["stage"], g, *(f"{v[m]:.3f}" for m in ("recall@1", "recall@10", "mrr@10"))]
        for r in rows
        for g, v in r["guard"].items()
    ]
    print_table(
        "Guard: MedQuAD template questions and variants", ["stage", "family", "r@1", "r@10", "MRR@10"], gtable
    )
    print(json.dumps(summary, indent=1))
    if output:
        with open(output, "w", encoding="utf-8") as handle:
            json.dump(result, handle, indent=1)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_rescore", description=__doc__)
    parser.add_argument("--size", type=int, default=100, help="MedQuAD guard questions per family.")
    parser.add_argument("--top", type=int, default=30, help="Answers re-ranked per message.")
    parser.add_argument("--output", default=None, help="Write the report as JSON here.")
    parser.add_argument("--pull", action="store_true", help="Assemble the nomic model and exit.")
    args = parser.parse_args()
    if args.pull:
        print(assemble())
        return
    run(args.size, args.top, output=args.output)


if __name__ == "__main__":
    main()
