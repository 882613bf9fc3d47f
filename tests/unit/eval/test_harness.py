import json

import pytest

from careguide.eval.harness import compare_metrics, load_metrics, metric_spec, parse_suites
from careguide.eval.rendering import comparison_markdown, report_html, summary_markdown
from careguide.eval.reports import ResultsError


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


def test_parse_suites():
    assert parse_suites("retrieval, phi") == ["retrieval", "phi"]
    with pytest.raises(ValueError, match="Unknown suite 'bogus'"):
        parse_suites("bogus")
    assert parse_suites("answers,readability") == ["answers", "readability"]


def test_load_metrics_from_folder_or_file(tmp_path):
    (tmp_path / "results.json").write_text(json.dumps({"metrics": {"x": 1}}))
    assert load_metrics(tmp_path) == {"x": 1.0}
    assert load_metrics(tmp_path / "results.json") == {"x": 1.0}
    with pytest.raises(ResultsError, match="No results"):
        load_metrics(tmp_path / "missing")


@pytest.mark.parametrize("text", ["{not json", "[]", '{"suites": []}', '{"metrics": {"x": "high"}}'])
def test_damaged_results_are_one_clear_error(tmp_path, text):
    (tmp_path / "results.json").write_text(text)
    with pytest.raises(ResultsError, match=r"cannot be read .*run the evaluation again"):
        load_metrics(tmp_path)


def test_reports_render_with_plots():
    results = {
        "created": "2026-01-01T00:00:00+00:00",
        "git_commit": "abc",
        "suites": ["phi"],
        "limit": 10,
        "collection": "c",
        "datasets": {"presidio_synth": "MIT"},
        "metrics": {"phi.f2": 0.5},
        "results": {
            "phi": {
                "report": {"detectors": {"careguide": {"by_type": {"PERSON": {"recall": 0.5}}}}},
                "seconds": 1,
            }
        },
    }
    page = report_html(results)
    assert "data:image/png;base64," in page and "phi.f2" in page and "Definitions" in page
    assert "| phi.f2 | 0.5000 |" in summary_markdown(results)
