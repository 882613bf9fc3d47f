"""Retrieval on real consumer questions (MEDIQA 2019, mapped to the knowledge base).

Every stage is scored alone and fused, beside the plain baselines over QA units (BM25, dense and
their RRF over chunks, collapsed to answers), on the tuning part and the report part of the
committed split. Fusion weights are chosen on the tuning part only (:func:`tune_weights`), and the
entailment signal's logistic weights are refitted there each run (:func:`refit_entailment`).

Only questions whose judged-good answer or document is in the index being evaluated are scored;
the others are counted as ``not_indexed`` per part, so an index of a few subsets does not count
questions it cannot answer as misses.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Sequence
from dataclasses import replace
from typing import Any

from careguide.config import Settings
from careguide.eval.devset import ConsumerQuestion, load_consumer_set, normalise_url
from careguide.eval.metrics import dedupe, score_gold_sets
from careguide.rag import (
    ENTAILMENT_BIAS,
    ENTAILMENT_COEF,
    ENTAILMENT_FEATURES,
    SIGNALS,
    AnswerWeights,
    Retriever,
    SignalRankings,
    candidate_features,
    fit_entailment,
)

POOL = 30
GRID_RRF_K = (5, 10, 20, 60)
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


def indexed_gold(retriever: Retriever) -> tuple[set[str], set[str]]:
    """The answer ids and normalised document URLs the retriever's index holds."""
    lexical = getattr(retriever.lexical, "index", None)
    chunks = getattr(lexical, "chunks", [])
    return {c.answer_id for c in chunks if c.answer_id}, {normalise_url(c.url) for c in chunks if c.url}


def reachable(
    items: Sequence[ConsumerQuestion], answer_ids: Collection[str], urls: Collection[str]
) -> tuple[list[ConsumerQuestion], int]:
    """The questions with a good answer or document in the index (their gold cut to what is
    indexed), and how many have none there (``not_indexed``: not scored)."""
    kept = [
        replace(q, gold_answers=q.gold_answers & set(answer_ids), gold_urls=q.gold_urls & set(urls))
        for q in items
    ]
    kept = [q for q in kept if q.gold_answers or q.gold_urls]
    return kept, len(items) - len(kept)


def refit_entailment(
    retriever: Retriever, found: Sequence[SignalRankings], items: Sequence[ConsumerQuestion]
) -> dict[str, Any] | None:
    """The entailment signal's logistic weights fitted on these (tuning) messages' candidates: a
    candidate is positive when its answer is judged good. None when there is nothing to fit."""
    ranker = retriever.answers
    if ranker is None or not any("entailment" in f.rankings for f in found):
        return None
    features, labels = candidate_features(ranker, found, [q.gold_answers for q in items])
    if labels.all() or not labels.any():
        return None
    coef, bias = fit_entailment(features, labels)
    return {
        "features": list(ENTAILMENT_FEATURES),
        "coef": coef,
        "bias": bias,
        "committed_coef": list(ENTAILMENT_COEF),
        "committed_bias": ENTAILMENT_BIAS,
        "questions": sum(1 for q in items if q.gold_answers),
        "candidates": len(labels),
        "positives": int(labels.sum()),
    }


def consumer_set_available(settings: Settings) -> bool:
    return (settings.data_dir / "mediqa2019" / "MEDIQA_Task3_QA").is_dir()


def run_consumer_eval(settings: Settings, retriever: Retriever) -> dict[str, Any]:
    items = load_consumer_set(
        settings.data_dir / "mediqa2019", settings.medquad_dir, settings.knowledge_base.medquad_subsets
    )
    answer_ids, urls = indexed_gold(retriever)
    parts: dict[str, list[ConsumerQuestion]] = {}
    not_indexed: dict[str, int] = {}
    for p in ("tune", "report"):
        parts[p], not_indexed[p] = reachable([q for q in items if q.part == p], answer_ids, urls)
    ranker = retriever.answers
    rows: list[dict[str, Any]] = []
    misses: list[dict[str, Any]] = []
    signal_found = (
        {p: ranker.signal_rankings([q.question for q in qs]) for p, qs in parts.items()} if ranker else {}
    )
    configured = retriever.answer_weights()
    tuned = tune_weights(retriever, signal_found["tune"], parts["tune"]) if ranker else configured
    refit = refit_entailment(retriever, signal_found["tune"], parts["tune"]) if ranker else None
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
            urls_found = [[normalise_url(p.chunk.url) for p in h] for h in hits]
            _score(rows, f"baseline {stage}", part, qs, ids, urls_found)
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
        if refit is not None:
            # The same candidates ranked with the weights refitted this run (committed ones above).
            refound = [ranker.rescore_entailment(f, refit["coef"], refit["bias"]) for f in found]
            only = AnswerWeights(60, 0.0, 0.0, 1.0)
            for stage, weights in (
                ("answers: entailment alone (refit)", only),
                ("answers: fused (configured, refit)", configured),
            ):
                fused = [ranker.fuse(f, weights) for f in refound]
                ids = [[c.answer_id or c.chunk_id for c, _ in h][:10] for h in fused]
                urls_found = [[normalise_url(c.url) for c, _ in h][:10] for h in fused]
                _score(rows, stage, part, qs, ids, urls_found)
        for stage, weights in stages:
            fused = [ranker.fuse(f, weights) for f in found]
            ids = [[c.answer_id or c.chunk_id for c, _ in h][:10] for h in fused]
            urls_found = [[normalise_url(c.url) for c, _ in h][:10] for h in fused]
            _score(rows, stage, part, qs, ids, urls_found)
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
            "not_indexed": not_indexed,
            "with_answer_gold": sum(1 for q in items if q.gold_answers),
            "with_url_gold": sum(1 for q in items if q.gold_urls),
        },
        "entailment_refit": refit,
        "tuned_weights": tuned.__dict__,
        "configured_weights": configured.__dict__,
        "rows": rows,
        "misses": misses,
    }


def consumer_refit_line(refit: dict[str, Any] | None) -> str:
    """The entailment refit in one line (printed by the command and the report)."""
    if not refit:
        return (
            "Entailment weights not refitted (no entailment signal, or no good answer among its candidates)."
        )
    weights = ", ".join(f"{n} {c:.3f}" for n, c in zip(refit["features"], refit["coef"], strict=True))
    committed = ", ".join(f"{c:g}" for c in refit["committed_coef"])
    return (
        f"Entailment weights refitted on the tuning part ({refit['questions']} questions, "
        f"{refit['candidates']} candidates, {refit['positives']} good): {weights}, bias "
        f"{refit['bias']:.3f} (committed: {committed}, bias {refit['committed_bias']:g})."
    )


def consumer_markdown(report: dict[str, Any]) -> list[str]:
    s = report["set"]
    skipped = s.get("not_indexed", {})
    lines = [
        "## Consumer questions",
        "",
        f"{s['questions']} MEDIQA 2019 questions with a judged-good answer in the knowledge base "
        f"({s['with_answer_gold']} by answer text, {s['with_url_gold']} by URL); scored: tuning part "
        f"{s['tune']}, report part {s['report']}; not in this index (not scored): tuning part "
        f"{skipped.get('tune', 0)}, report part {skipped.get('report', 0)}. Weights tuned on the "
        f"tuning part: {report['tuned_weights']}.",
        "",
        consumer_refit_line(report.get("entailment_refit")),
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
