"""Retrieval eval: dense, BM25 and hybrid side by side on the MedQuAD dev set and its variants."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from careguide.config import Settings
from careguide.eval.consumer import Guard, consumer_markdown, consumer_set_available, run_consumer_eval
from careguide.eval.devset import answered_pairs, sample_dev_set, with_variants
from careguide.eval.metrics import dedupe, score_rankings
from careguide.eval.reports import write_report
from careguide.ingest import MEDQUAD_CITATION, MEDQUAD_LICENSE, IngestObserver
from careguide.rag import Retriever, SignalRankings

MODES = ("dense", "bm25", "hybrid", "rrf-chunks")
"""hybrid is the configured search (answer units when retrieval.answers is on); rrf-chunks is
the chunk-level RRF of dense and BM25 it replaced."""
POOL = 30  # chunks retrieved per question before collapsing to answer ids (10 are scored)
BATCH = 64


def indexed_answer_ids(retriever: Retriever) -> set[str]:
    lexical = getattr(retriever.lexical, "index", None)
    chunks = getattr(lexical, "chunks", [])
    return {chunk.answer_id for chunk in chunks if chunk.answer_id}


def run_retrieval_eval(
    settings: Settings,
    retriever: Retriever,
    size: int = 1000,
    seed: int = 0,
    observer: IngestObserver | None = None,
) -> dict[str, Any]:
    """Score every mode on every variant family; returns the report as a dict."""
    pairs = answered_pairs(settings.medquad_dir, settings.knowledge_base.medquad_subsets)
    indexed = indexed_answer_ids(retriever)
    eligible = [p for p in pairs if p.answer_id in indexed]
    if not eligible:
        raise FileNotFoundError(
            "No MedQuAD answers are indexed; run `careguide ingest` before `careguide eval retrieval`."
        )
    sample = sample_dev_set(eligible, size, seed)
    families = with_variants(sample, seed)
    rows: list[dict[str, Any]] = []
    pooled: dict[str, list[list[str]]] = {mode: [] for mode in MODES}
    pooled_golds: list[str] = []
    if observer is not None:
        observer.phase("Evaluating retrieval", len(families) * len(sample))
    ranker = retriever.answers if retriever.settings.answers else None
    guard = Guard()
    for variant, items in families.items():
        rankings: dict[str, list[list[str]]] = {mode: [] for mode in MODES}
        timings = dict.fromkeys(MODES, 0.0)
        signals: list[SignalRankings] = []
        for start in range(0, len(items), BATCH):
            batch = [item.question for item in items[start : start + BATCH]]
            for mode in MODES:
                started = time.perf_counter()
                if mode == "hybrid" and ranker is not None:
                    # The configured search's own path (Retriever.results), its signals kept so that
                    # the consumer weights are tuned against these questions too.
                    found_signals = ranker.signal_rankings(batch)
                    weights = retriever.answer_weights()
                    units = ranker.questions.units
                    for f in found_signals:
                        rankings[mode].append(
                            dedupe([units[u].key for u, _ in ranker.order(f, weights)])[:10]
                        )
                        signals.append(SignalRankings(f.analysis, f.rankings))
                    timings[mode] += time.perf_counter() - started
                    continue
                if mode == "rrf-chunks":
                    found = retriever.search_chunks(batch, POOL, "hybrid")
                else:
                    found = retriever.search_many(batch, POOL, mode=mode)  # type: ignore[arg-type]
                timings[mode] += time.perf_counter() - started
                rankings[mode].extend(dedupe([p.chunk.answer_id for p in hits])[:10] for hits in found)
            if observer is not None:
                observer.advance(len(batch))
        golds = [item.answer_id for item in items]
        if signals:
            guard.families[variant] = (signals, golds)
        pooled_golds.extend(golds)
        for mode in MODES:
            pooled[mode].extend(rankings[mode])
            scores = score_rankings(rankings[mode], golds)
            rows.append(
                {
                    "variant": variant,
                    "mode": mode,
                    **{name: round(value, 4) for name, value in scores.items()},
                    "ms_per_question": round(1000 * timings[mode] / max(1, len(items)), 2),
                }
            )
    for mode in MODES:
        scores = score_rankings(pooled[mode], pooled_golds)
        rows.append(
            {
                "variant": "all",
                "mode": mode,
                **{name: round(value, 4) for name, value in scores.items()},
                "ms_per_question": round(
                    sum(r["ms_per_question"] for r in rows if r["mode"] == mode) / len(families), 2
                ),
            }
        )
    consumer = (
        run_consumer_eval(settings, retriever, guard if guard.families else None)
        if consumer_set_available(settings)
        else None
    )
    return {
        "consumer": consumer,
        "suite": "retrieval",
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "dev_set": {
            "source": "MedQuAD answered subsets",
            "subsets": list(settings.knowledge_base.medquad_subsets),
            "answered_pairs": len(pairs),
            "indexed_pairs": len(eligible),
            "questions": len(sample),
            "seed": seed,
            "variants": list(families),
            "gold": "the question's own MedQuAD answer_id",
            "license": MEDQUAD_LICENSE,
            "citation": MEDQUAD_CITATION,
        },
        "config": {
            "embedding": settings.embedding.model_dump(mode="json"),
            "chunking": settings.chunking.model_dump(mode="json"),
            "retrieval": settings.retrieval.model_dump(mode="json"),
            "pool": POOL,
        },
        "rows": rows,
    }


def report_markdown(report: dict[str, Any]) -> str:
    dev = report["dev_set"]
    lines = [
        "# Retrieval evaluation",
        "",
        f"{dev['questions']} questions sampled (seed {dev['seed']}) from {dev['indexed_pairs']} indexed "
        f"MedQuAD answers; gold = {dev['gold']}. Variants: {', '.join(dev['variants'])}.",
        f"Data: MedQuAD ({dev['license']}), {dev['citation']}.",
        "",
        "| variant | mode | recall@1 | recall@5 | recall@10 | MRR@10 | nDCG@10 | ms/question |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in report["rows"]:
        lines.append(
            f"| {row['variant']} | {row['mode']} | {row['recall@1']:.3f} | {row['recall@5']:.3f} | "
            f"{row['recall@10']:.3f} | {row['mrr@10']:.3f} | {row['ndcg@10']:.3f} | "
            f"{row['ms_per_question']:.1f} |"
        )
    if report.get("consumer"):
        lines += ["", *consumer_markdown(report["consumer"])]
    lines += ["", f"Created {report['created']}.", ""]
    return "\n".join(lines)


def write_retrieval_report(report: dict[str, Any], folder: Path) -> tuple[Path, Path]:
    return write_report(report, report_markdown(report), folder, "retrieval")
