"""Writing reports under the reports folder: one suite's JSON and Markdown, or a harness run's folder."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


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
