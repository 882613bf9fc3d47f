"""Ranking metrics for one relevant item per question (MedQuAD's gold answer)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence


def first_rank(ranked: Sequence[str], gold: str) -> int | None:
    """1-based rank of the gold id, or None when it is absent."""
    for rank, item in enumerate(ranked, start=1):
        if item == gold:
            return rank
    return None


def recall_at(ranked: Sequence[str], gold: str, k: int) -> float:
    rank = first_rank(ranked[:k], gold)
    return 1.0 if rank is not None else 0.0


def mrr_at(ranked: Sequence[str], gold: str, k: int) -> float:
    rank = first_rank(ranked[:k], gold)
    return 1.0 / rank if rank is not None else 0.0


def ndcg_at(ranked: Sequence[str], gold: str, k: int) -> float:
    """With a single relevant item the ideal DCG is 1, so nDCG = 1 / log2(rank + 1)."""
    rank = first_rank(ranked[:k], gold)
    return 1.0 / math.log2(rank + 1) if rank is not None else 0.0


def dedupe(items: Sequence[str]) -> list[str]:
    """Keep the first occurrence of each id (several chunks can come from one answer)."""
    seen: set[str] = set()
    kept = []
    for item in items:
        if item and item not in seen:
            seen.add(item)
            kept.append(item)
    return kept


METRICS: dict[str, Callable[[Sequence[str], str], float]] = {
    "recall@1": lambda r, g: recall_at(r, g, 1),
    "recall@5": lambda r, g: recall_at(r, g, 5),
    "recall@10": lambda r, g: recall_at(r, g, 10),
    "mrr@10": lambda r, g: mrr_at(r, g, 10),
    "ndcg@10": lambda r, g: ndcg_at(r, g, 10),
}


def score_rankings(rankings: Sequence[Sequence[str]], golds: Sequence[str]) -> dict[str, float]:
    """Mean of every metric over the questions."""
    if not golds:
        return dict.fromkeys(METRICS, 0.0)
    return {
        name: sum(metric(r, g) for r, g in zip(rankings, golds, strict=True)) / len(golds)
        for name, metric in METRICS.items()
    }


def score_gold_sets(
    rankings: Sequence[Sequence[str]], golds: Sequence[frozenset[str] | set[str]]
) -> dict[str, float]:
    """Like :func:`score_rankings` when any of several items counts (a question with several
    judged-good answers): recall@k is success@k, the rank is that of the first good item."""
    if not golds:
        return dict.fromkeys(METRICS, 0.0)
    firsts = [
        next((rank for rank, item in enumerate(r, start=1) if item in g), None)
        for r, g in zip(rankings, golds, strict=True)
    ]
    ranks = ["gold" if rank is not None else "" for rank in firsts]
    padded = [[""] * ((rank or 11) - 1) + [mark] for rank, mark in zip(firsts, ranks, strict=True)]
    return score_rankings(padded, ["gold"] * len(golds))
