"""Reading harness report folders for the workspace's Evaluation tab."""

from __future__ import annotations

import json
from pathlib import Path

from careguide.ui.workspace.auth import Session
from careguide.ui.workspace.evaluation import evaluation_page, find_run, load_run, newest_readable, run_names
from careguide.ui.workspace.pages import Chrome

ADMIN = Chrome(Session("s", 1, "root", "admin", "token", 0.0, 1e12), "nonce")


def run(folder: Path, name: str, metrics: dict[str, float], **extra: object) -> Path:
    path = folder / name
    path.mkdir(parents=True)
    results = {"created": name, "git_commit": "abc", "suites": ["safety"], "limit": 10, "metrics": metrics}
    (path / "results.json").write_text(json.dumps(results | extra), encoding="utf-8")
    (path / "report.html").write_text("<html></html>", encoding="utf-8")
    return path


def test_runs_are_report_folders_newest_first(tmp_path):
    assert run_names(tmp_path / "missing") == []
    run(tmp_path, "20260101-000000", {"a": 1.0})
    run(tmp_path, "20260301-000000", {"a": 1.0})
    (tmp_path / "20260401-000000").mkdir()  # no results.json: not a run (yet)
    (tmp_path / "notes.txt").write_text("x")
    run(tmp_path, ".hidden", {"a": 1.0})
    assert run_names(tmp_path) == ["20260301-000000", "20260101-000000"]
    assert find_run(tmp_path, "20260101-000000") is not None
    for name in ("../20260101-000000", "20260401-000000", ".hidden", "", "x" * 200):
        assert find_run(tmp_path, name) is None, name


def test_an_unreadable_run_is_named_not_raised(tmp_path):
    folder = tmp_path / "20260101-000000"
    folder.mkdir()
    (folder / "results.json").write_text("[1, 2", encoding="utf-8")
    loaded = load_run(tmp_path, "20260101-000000")
    assert loaded.results is None and loaded.metrics == {}
    assert "cannot be read" in loaded.problem and "make eval" in loaded.problem


def test_the_page_compares_with_the_previous_run_and_escapes(tmp_path):
    run(
        tmp_path,
        "20260101-000000",
        {"safety.emergency.recall": 1.0, "safety.xstest.safe_false_refusal": 0.05},
    )
    run(
        tmp_path,
        "20260102-000000",
        {"safety.emergency.recall": 0.9, "safety.xstest.safe_false_refusal": 0.04, "new.metric": 0.5},
        collection="<script>alert(1)</script>",
    )
    page = evaluation_page(ADMIN, tmp_path, run_names(tmp_path))
    assert "Latest run: 20260102-000000" in page
    assert "1 metric(s) fell beyond their tolerance" in page and "safety.emergency.recall." in page
    assert '<tr class="regression"><td><code>safety.emergency.recall</code>' in page
    assert "<td>-0.0100</td>" in page  # fewer false refusals: a change, not a regression
    assert "new" in page and "<script>alert(1)</script>" not in page


def test_a_single_run_has_no_comparison(tmp_path):
    run(tmp_path, "20260101-000000", {"safety.emergency.recall": 1.0})
    page = evaluation_page(ADMIN, tmp_path, run_names(tmp_path))
    assert "Previous run" not in page and "fell beyond" not in page and "No metric fell" not in page


def test_the_page_opens_only_the_newest_runs_it_shows(tmp_path):
    for day in range(1, 6):
        run(tmp_path, f"2026010{day}-000000", {"safety.emergency.recall": 1.0})
    (tmp_path / "20260105-000000" / "results.json").write_text("{", encoding="utf-8")  # newest: damaged
    (tmp_path / "20260101-000000" / "results.json").write_text("{", encoding="utf-8")  # oldest: damaged
    names = run_names(tmp_path)
    opened = newest_readable(tmp_path, names)
    assert [r.name for r in opened] == ["20260105-000000", "20260104-000000", "20260103-000000"]
    page = evaluation_page(ADMIN, tmp_path, names)
    assert "Latest run: 20260104-000000" in page and "20260105-000000 — unreadable" in page
    assert page.count("cannot be read") == 1  # the oldest damaged run is never opened
    assert "<li>20260101-000000 — <a" in page  # but it is still listed with its report
