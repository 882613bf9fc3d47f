"""Reports under the reports folder: one suite's JSON and Markdown, a harness run's folder, and
reading a run's (or a baseline's) results back."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from careguide.errors import UserError
from careguide.eval.comparison import Metrics


def write_report(report: dict[str, Any], markdown: str, folder: Path, name: str) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    json_path, md_path = folder / f"{name}.json", folder / f"{name}.md"
    json_path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    md_path.write_text(markdown, encoding="utf-8")
    return json_path, md_path


def write_run(results: dict[str, Any], parent: Path) -> Path:
    """A harness run's folder ``parent/<UTC timestamp>/``: results.json, summary.md, report.html.

    results.json is written last, through a temporary name, so a folder holding it is complete.
    """
    from careguide.eval.rendering import report_html, summary_markdown

    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    folder, n = parent / stamp, 1
    while folder.exists():
        n += 1
        folder = parent / f"{stamp}-{n}"
    folder.mkdir(parents=True)
    (folder / "summary.md").write_text(summary_markdown(results), encoding="utf-8")
    (folder / "report.html").write_text(report_html(results), encoding="utf-8")
    partial = folder / "results.json.partial"
    partial.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    partial.replace(folder / "results.json")
    return folder


class ResultsError(UserError, ValueError):
    """A results.json (or baseline) that is missing or cannot be read; the message names the fix."""


def read_results(path: Path) -> dict[str, Any]:
    """The results of a report folder (its results.json) or of a results/baseline JSON file.

    Raises :class:`ResultsError` with one sentence when the file is missing, damaged or has no
    metrics, so the command line and the workspace report it the same way.
    """
    file = path / "results.json" if path.is_dir() else path
    if not file.is_file():
        raise ResultsError(f"No results at {file}; pass a report folder or a results/baseline JSON file.")
    try:
        results: dict[str, Any] = json.loads(file.read_text(encoding="utf-8"))
        metrics = results["metrics"] if isinstance(results, dict) else None
        if not isinstance(metrics, dict):
            raise ValueError("no metrics")
        results["metrics"] = {str(k): float(v) for k, v in metrics.items()}
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise ResultsError(
            f"The results file {file} cannot be read ({type(exc).__name__}); run the evaluation again "
            "(`careguide eval run`, or `make eval`)."
        ) from None
    return results


def load_metrics(path: Path) -> Metrics:
    """Metrics of a report folder (its results.json) or of a baseline JSON file; a missing or
    damaged file raises :class:`ResultsError`."""
    metrics: Metrics = read_results(path)["metrics"]
    return metrics
