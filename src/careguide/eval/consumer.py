"""Retrieval on real consumer questions (MEDIQA 2019, mapped to the knowledge base).

Every stage is scored alone and fused, beside the plain baselines over QA units (BM25, dense and
their RRF over chunks, collapsed to answers), on the tuning part and the report part of the
committed split. Fusion weights are chosen on the tuning part only (:func:`tune_weights`).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

from careguide.config import Settings
from careguide.eval.devset import ConsumerQuestion, load_consumer_set, normalise_url
from careguide.eval.metrics import dedupe, score_gold_sets
from careguide.rag import SIGNALS, AnswerWeights, Retriever, SignalRankings

POOL = 30
GRID_RRF_K = (5, 20, 60)
GRID_DENSE = (0.0, 0.5, 1.0)
GRID_BM25 = (0.0, 0.25, 0.5, 1.0)
GRID_ENTAILMENT = (0.5, 1.0, 2.0)


def _score(
    rows: list[dict[str, Any]],
    stage: str,
    part: str,
    items: Sequence[ConsumerQuestion],
    ids: list[list[str]],
    urls: list[list[str]],
) -> None:
    answer_level = [(r, q.gold_answers) for r, q in zip(ids, items, strict=True) if q.gold_answers]
    scores = score_gold_sets([r for r, _ in answer_level], [g for _, g in answer_level])
    doc_hits = [
        any(a in q.gold_answers for a in r) or any(u in q.gold_urls for u in us)
        for r, us, q in zip(ids, urls, items, strict=True)
    ]
    rows.append(
        {
            "part": part,
            "stage": stage,
            "questions": len(answer_level),
            **{name: round(value, 4) for name, value in scores.items()},
            "document@10": round(sum(doc_hits) / max(1, len(items)), 4),
        }
    )


def tune_weights(
    retriever: Retriever, found: list[SignalRankings], items: Sequence[ConsumerQuestion]
) -> AnswerWeights:
    """The grid point with the best MRR@10 (then success@10) on the given (tuning) questions."""
    ranker = retriever.answers
    assert ranker is not None
    best: tuple[tuple[float, float], AnswerWeights] | None = None
    available = {name for f in found for name in f.rankings}
    grid = itertools.product(GRID_RRF_K, GRID_DENSE, GRID_BM25, GRID_ENTAILMENT)
    for rrf_k, dense, bm25, entail in grid:
        if "dense" not in available and dense > 0:
            continue
        weights = AnswerWeights(rrf_k, dense, bm25, entail)
        ids = [[c.answer_id for c, _ in ranker.fuse(f, weights)[:10]] for f in found]
        keep = [(r, q.gold_answers) for r, q in zip(ids, items, strict=True) if q.gold_answers]
        s = score_gold_sets([r for r, _ in keep], [g for _, g in keep])
        key = (s["mrr@10"], s["recall@10"])
        if best is None or key > best[0]:
            best = (key, weights)
    assert best is not None
    return best[1]


def consumer_set_available(settings: Settings) -> bool:
    return (settings.data_dir / "mediqa2019" / "MEDIQA_Task3_QA").is_dir()


def run_consumer_eval(settings: Settings, retriever: Retriever) -> dict[str, Any]:
    items = load_consumer_set(
        settings.data_dir / "mediqa2019", settings.medquad_dir, settings.knowledge_base.medquad_subsets
    )
    parts = {p: [q for q in items if q.part == p] for p in ("tune", "report")}
    ranker = retriever.answers
    rows: list[dict[str, Any]] = []
    misses: list[dict[str, Any]] = []
    signal_found = (
        {p: ranker.signal_rankings([q.question for q in qs]) for p, qs in parts.items()} if ranker else {}
    )
    configured = retriever.answer_weights()
    tuned = tune_weights(retriever, signal_found["tune"], parts["tune"]) if ranker else configured
    for part, qs in parts.items():
        texts = [q.question for q in qs]
        for mode in ("bm25", "dense", "hybrid"):
            stage = {"hybrid": "rrf (chunks)"}.get(mode, mode)
            if (mode != "bm25" and retriever.dense is None) or (
                mode != "dense" and retriever.lexical is None
            ):
                continue
            hits = retriever.search_chunks(texts, POOL, mode)
            ids = [dedupe([p.chunk.answer_id or p.chunk.chunk_id for p in h])[:10] for h in hits]
            urls = [[normalise_url(p.chunk.url) for p in h] for h in hits]
            _score(rows, f"baseline {stage}", part, qs, ids, urls)
        if ranker is None:
            continue
        found = signal_found[part]
        stages: list[tuple[str, AnswerWeights]] = []
        for signal in SIGNALS:
            if all(signal in f.rankings for f in found):
                alone = {s: (1.0 if s == signal else 0.0) for s in SIGNALS}
                stages.append(
                    (
                        f"answers: {signal} alone",
                        AnswerWeights(60, alone["dense"], alone["bm25"], alone["entailment"]),
                    )
                )
        stages += [("answers: fused (configured)", configured), ("answers: fused (tuned)", tuned)]
        for stage, weights in stages:
            fused = [ranker.fuse(f, weights) for f in found]
            ids = [[c.answer_id or c.chunk_id for c, _ in h][:10] for h in fused]
            urls = [[normalise_url(c.url) for c, _ in h][:10] for h in fused]
            _score(rows, stage, part, qs, ids, urls)
            if stage.endswith("(configured)") and part == "report":
                for q, r, f in zip(qs, ids, found, strict=True):
                    if q.gold_answers and not q.gold_answers & set(r):
                        misses.append(
                            {
                                "qid": q.qid,
                                "question": q.question[:160],
                                "gold": sorted(q.gold_answers)[:3],
                                "top": r[:3],
                                **f.analysis.to_json(),
                            }
                        )
    return {
        "set": {
            "source": "MEDIQA 2019 Task 3 (ReferenceScore >= 3) mapped to the knowledge base",
            "questions": len(items),
            "tune": len(parts["tune"]),
            "report": len(parts["report"]),
            "with_answer_gold": sum(1 for q in items if q.gold_answers),
            "with_url_gold": sum(1 for q in items if q.gold_urls),
        },
        "tuned_weights": tuned.__dict__,
        "configured_weights": configured.__dict__,
        "rows": rows,
        "misses": misses,
    }


def consumer_markdown(report: dict[str, Any]) -> list[str]:
    s = report["set"]
    lines = [
        "## Consumer questions",
        "",
        f"{s['questions']} MEDIQA 2019 questions with a judged-good answer in the knowledge base "
        f"({s['with_answer_gold']} by answer text, {s['with_url_gold']} by URL); tuning part "
        f"{s['tune']}, report part {s['report']}. Weights tuned on the tuning part: "
        f"{report['tuned_weights']}.",
        "",
        "| part | stage | n | recall@1 | recall@5 | recall@10 | MRR@10 | nDCG@10 | document@10 |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in report["rows"]:
        lines.append(
            f"| {r['part']} | {r['stage']} | {r['questions']} | {r['recall@1']:.3f} | {r['recall@5']:.3f} | "
            f"{r['recall@10']:.3f} | {r['mrr@10']:.3f} | {r['ndcg@10']:.3f} | {r['document@10']:.3f} |"
        )
    lines += [
        "",
        "Misses of the configured fusion on the report part:",
        "",
        "| qid | question | focus | types | gold | top 3 |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for m in report["misses"]:
        q = m["question"].replace("|", "/")
        lines.append(
            f"| {m['qid']} | {q} | {', '.join(m['focus'])} | {', '.join(m['types'])} | "
            f"{', '.join(m['gold'])} | {', '.join(m['top'])} |"
        )
    return lines
