import math

import pytest

from careguide.eval.metrics import dedupe, mrr_at, ndcg_at, recall_at, score_rankings


def test_metrics_for_rank_three():
    ranked = ["x", "y", "gold", "z"]
    assert recall_at(ranked, "gold", 1) == 0.0
    assert recall_at(ranked, "gold", 5) == 1.0
    assert mrr_at(ranked, "gold", 10) == pytest.approx(1 / 3)
    assert ndcg_at(ranked, "gold", 10) == pytest.approx(1 / math.log2(4))
    assert ndcg_at(ranked, "gold", 2) == 0.0


def test_score_rankings_means():
    scores = score_rankings([["g1"], ["x", "g2"]], ["g1", "g2"])
    assert scores["recall@1"] == 0.5 and scores["recall@5"] == 1.0
    assert scores["mrr@10"] == pytest.approx(0.75)


def test_dedupe_keeps_first_and_drops_empty():
    assert dedupe(["a", "", "b", "a", "c"]) == ["a", "b", "c"]


def test_any_of_several_good_answers_counts_once_at_its_first_rank():
    from careguide.eval.metrics import score_gold_sets

    scores = score_gold_sets([["x", "a", "b"], ["y", "z"]], [frozenset({"b", "a"}), frozenset({"q"})])
    assert scores["recall@1"] == 0.0 and scores["recall@5"] == 0.5
    assert scores["mrr@10"] == 0.25  # (1/2 + 0) / 2
