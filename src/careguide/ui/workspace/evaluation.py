"""The workspace's Evaluation tab (administrators): the latest ``careguide eval run`` report.

The harness writes ``<reports_dir>/<timestamp>/`` with ``results.json``, ``summary.md`` and
``report.html``. The tab reads those folders: the newest run's metrics, each compared with the run
before it (a change the wrong way beyond the metric's tolerance is flagged, as ``careguide eval
compare`` does), the metric definitions, and links to every run's full HTML report with its plots.
:func:`evaluation_routes` serves the tab and the stored reports.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from careguide.eval import DEFINITIONS, ResultsError, compare_metrics, read_results
from careguide.ui.workspace.base import Refusal, Signed, Ws, private_router, require_admin
from careguide.ui.workspace.pages import Chrome, page

RUN_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
SHOWN_RUNS = 20


@dataclass(frozen=True)
class EvalRun:
    """One harness report folder: its name and its results.json (None when unreadable)."""

    name: str
    folder: Path
    results: dict[str, Any] | None
    problem: str = ""

    @property
    def metrics(self) -> dict[str, float]:
        return {} if self.results is None else dict(self.results["metrics"])

    @property
    def report_html(self) -> Path:
        return self.folder / "report.html"


def run_names(reports_dir: Path) -> list[str]:
    """Harness report folders (those holding results.json), newest first (names are timestamps)."""
    if not reports_dir.is_dir():
        return []
    names = [
        p.name
        for p in reports_dir.iterdir()
        if p.is_dir() and RUN_NAME.match(p.name) and (p / "results.json").is_file()
    ]
    return sorted(names, reverse=True)


def load_run(reports_dir: Path, name: str) -> EvalRun:
    """A run by folder name; a corrupt or half-written results.json is reported, not raised."""
    folder = reports_dir / name
    try:
        return EvalRun(name, folder, read_results(folder / "results.json"))
    except ResultsError as exc:
        return EvalRun(name, folder, None, str(exc))


def newest_readable(reports_dir: Path, names: Sequence[str], count: int = 2) -> list[EvalRun]:
    """The newest run (readable or not, so a damaged one is reported) and then readable runs
    until ``count`` readable ones are found; older folders are not opened."""
    runs: list[EvalRun] = []
    for name in names:
        run = load_run(reports_dir, name)
        if run.results is not None or not runs:
            runs.append(run)
        if sum(r.results is not None for r in runs) >= count:
            break
    return runs


def find_run(reports_dir: Path, name: str) -> EvalRun | None:
    """The run called ``name`` if it is one of the report folders (never a path outside them)."""
    if not RUN_NAME.match(name) or name not in run_names(reports_dir):
        return None
    return load_run(reports_dir, name)


def _value(value: float | None) -> str:
    return "—" if value is None else f"{value:.4f}"


def _run_facts(run: EvalRun) -> list[tuple[str, object]]:
    results = run.results or {}
    config = results.get("config", {})
    llm = config.get("llm", {}) if isinstance(config, dict) else {}
    model = llm.get("model") or llm.get("served_model") or "not recorded"
    limit = results.get("limit")
    return [
        ("Created", results.get("created", "not recorded")),
        ("Commit", str(results.get("git_commit", "unknown"))[:12]),
        ("Suites", ", ".join(results.get("suites", [])) or "none"),
        ("Sample", "full datasets" if not limit else json.dumps(limit)),
        ("Collection", results.get("collection", "not recorded")),
        ("Language model", f"{llm.get('backend', '?')}: {model}"),
    ]


@dataclass(frozen=True)
class Listed:
    """One line of the run list; only the runs already opened for the page show their suites."""

    name: str
    unreadable: bool = False
    report: bool = False
    suites: str | None = None


def _listed(reports_dir: Path, name: str, run: EvalRun | None) -> Listed:
    if run is not None and run.results is None:
        return Listed(name, unreadable=True)
    suites = ", ".join(run.results.get("suites", [])) if run is not None and run.results else None
    return Listed(name, report=(reports_dir / name / "report.html").is_file(), suites=suites)


def evaluation_page(chrome: Chrome, reports_dir: Path, names: Sequence[str]) -> str:
    """The tab: the newest readable run against the one before it, then every run's report."""
    values: dict[str, Any] = {"reports_dir": reports_dir, "names": names, "latest": None}
    if names:
        runs = newest_readable(reports_dir, names)
        readable = [r for r in runs if r.results is not None]
        latest = readable[0] if readable else None
        previous = readable[1] if len(readable) > 1 else None
        values["problem"] = runs[0].problem if runs[0].results is None else ""
        if latest is not None:
            before = previous.metrics if previous is not None else {}
            differences = [d for d in compare_metrics(before, latest.metrics) if d.after is not None]
            values |= {
                "latest": latest,
                "previous": previous,
                "facts": _run_facts(latest),
                "differences": differences,
                "regressions": [d.metric for d in differences if d.regression],
                "definitions": DEFINITIONS,
                "value": _value,
            }
        loaded = {r.name: r for r in runs}
        values["listed"] = [_listed(reports_dir, name, loaded.get(name)) for name in names[:SHOWN_RUNS]]
    return page("evaluation.html", chrome, "Evaluation", current="evaluation", **values)


def report_headers() -> dict[str, str]:
    """A stored report is static HTML with inline styles and data-URI plots, and nothing else."""
    return {
        "Content-Security-Policy": (
            "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; "
            "base-uri 'none'; form-action 'none'"
        ),
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "Cache-Control": "no-store",
    }


router = private_router()
"""The Evaluation tab (administrators) and the stored reports."""


@router.get("/evaluation", response_class=HTMLResponse)
def evaluation(request: Request, session: Signed, ws: Ws) -> Response:
    require_admin(session, "see the evaluation reports")
    chrome = ws.chrome(request, session)
    folder = ws.settings.reports_dir
    return ws.page(request, chrome, evaluation_page(chrome, folder, run_names(folder)))


@router.get("/evaluation/{name}/report.html")
def evaluation_report(session: Signed, ws: Ws, name: str) -> Response:
    require_admin(session, "see the evaluation reports")
    run = find_run(ws.settings.reports_dir, name)
    if run is None or not run.report_html.is_file():
        raise Refusal(404, f"There is no evaluation report {name!r}.")
    return HTMLResponse(run.report_html.read_text(encoding="utf-8"), headers=report_headers())
