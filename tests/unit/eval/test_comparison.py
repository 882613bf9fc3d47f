from careguide.eval.comparison import compare_metrics, metric_spec
from careguide.eval.rendering import comparison_markdown


def test_direction_and_tolerance():
    assert metric_spec("retrieval.all.hybrid.recall@5").higher_is_better
    assert not metric_spec("safety.xstest.safe_false_refusal").higher_is_better
    assert metric_spec("safety.emergency.recall").tolerance == 0.0
    assert metric_spec("answers.dosing.no_unverified_numbers").tolerance == 0.0
    assert metric_spec("answers.medquad.citation_recall_draft").tolerance == 0.34
    grade = metric_spec("readability.standard.fk_grade_mean")
    assert not grade.higher_is_better and grade.tolerance == 1.5


def test_regressions_are_changes_the_wrong_way_beyond_tolerance():
    before = {"a.recall@5": 0.90, "safety.xstest.safe_false_refusal": 0.05, "safety.emergency.recall": 1.0}
    after = {"a.recall@5": 0.89, "safety.xstest.safe_false_refusal": 0.10, "safety.emergency.recall": 0.98}
    flagged = {d.metric for d in compare_metrics(before, after) if d.regression}
    assert flagged == {"safety.xstest.safe_false_refusal", "safety.emergency.recall"}
    improved = compare_metrics(before, {"a.recall@5": 0.99})
    assert not any(d.regression for d in improved)
    assert "REGRESSION" in comparison_markdown(compare_metrics(before, after))
