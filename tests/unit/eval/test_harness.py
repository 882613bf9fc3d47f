import json

import pytest

from careguide.eval.harness import parse_suites
from careguide.eval.rendering import report_html, summary_markdown
from careguide.eval.reports import ResultsError, load_metrics


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
