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

from careguide.eval.comparison import Difference, compare_metrics
from careguide.eval.rendering import DEFINITIONS
from careguide.eval.reports import ResultsError, read_results
from careguide.ui.workspace.base import Refusal, Signed, Ws, private_router, require_admin
from careguide.ui.workspace.pages import PREFIX, Chrome, esc, layout, notice

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


def _change(difference: Difference) -> str:
    delta = difference.delta
    if delta is None:
        return "new" if difference.before is None else "not measured"
    text = f"{delta:+.4f}"
    return f"<strong>{esc(text)} regression</strong>" if difference.regression else esc(text)


def _metrics_table(latest: EvalRun, previous: EvalRun | None) -> str:
    before = previous.metrics if previous is not None else {}
    differences = [d for d in compare_metrics(before, latest.metrics) if d.after is not None]
    heading = "<th scope='col'>Previous run</th><th scope='col'>Change</th>" if previous is not None else ""
    rows = []
    for d in differences:
        extra = f"<td>{_value(d.before)}</td><td>{_change(d)}</td>" if previous is not None else ""
        marker = ' class="regression"' if d.regression else ""
        rows.append(
            f"<tr{marker}><td><code>{esc(d.metric)}</code></td><td>{_value(d.after)}</td>{extra}</tr>"
        )
    regressions = [d.metric for d in differences if d.regression]
    verdict = ""
    if previous is not None:
        verdict = (
            notice(
                f"{len(regressions)} metric(s) fell beyond their tolerance since the previous run: "
                + ", ".join(regressions)
                + ".",
                "warn",
            )
            if regressions
            else notice(
                f"No metric fell beyond its tolerance since the previous run ({previous.name}).", "ok"
            )
        )
    return (
        f"{verdict}<table><caption class='visually-hidden'>Metrics of run {esc(latest.name)}</caption>"
        f"<thead><tr><th scope='col'>Metric</th><th scope='col'>Value</th>{heading}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _run_facts(run: EvalRun) -> str:
    results = run.results or {}
    config = results.get("config", {})
    llm = config.get("llm", {}) if isinstance(config, dict) else {}
    model = llm.get("model") or llm.get("served_model") or "not recorded"
    limit = results.get("limit")
    facts = [
        ("Created", results.get("created", "not recorded")),
        ("Commit", str(results.get("git_commit", "unknown"))[:12]),
        ("Suites", ", ".join(results.get("suites", [])) or "none"),
        ("Sample", "full datasets" if not limit else json.dumps(limit)),
        ("Collection", results.get("collection", "not recorded")),
        ("Language model", f"{llm.get('backend', '?')}: {model}"),
    ]
    items = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in facts)
    return f'<dl class="facts">{items}</dl>'


def evaluation_page(chrome: Chrome, reports_dir: Path, names: Sequence[str]) -> str:
    """The tab: the newest readable run against the one before it, then every run's report."""
    intro = (
        "<h1>Evaluation</h1><p>The latest offline evaluation of this deployment "
        f"(<code>careguide eval run</code>; reports under <code>{esc(reports_dir)}</code>).</p>"
    )
    if not names:
        body = intro + notice(
            f"There is no evaluation report under {reports_dir} yet; run `make eval` (or `careguide eval "
            "run --limit 50` for a quick look) on this server, then reload this page.",
            "info",
        )
        return layout("Evaluation", body, chrome, current="evaluation")
    runs = newest_readable(reports_dir, names)
    readable = [r for r in runs if r.results is not None]
    problems = "".join(notice(r.problem, "warn") for r in runs[:1] if r.results is None)
    latest = readable[0] if readable else None
    section = ""
    if latest is not None:
        previous = readable[1] if len(readable) > 1 else None
        full = (
            f'<p><a class="button" href="{PREFIX}/evaluation/{esc(latest.name)}/report.html">'
            "Open the full report (plots, definitions, dataset licenses)</a></p>"
            if latest.report_html.is_file()
            else notice(f"{latest.report_html} is missing; the metrics below come from results.json.", "warn")
        )
        definitions = "".join(f"<li><b>{esc(k)}</b>: {esc(v)}</li>" for k, v in DEFINITIONS.items())
        section = (
            f"<h2>Latest run: {esc(latest.name)}</h2>{_run_facts(latest)}{full}"
            f"<h2>Metrics</h2>{_metrics_table(latest, previous)}"
            f"<h2>What the metrics mean</h2><ul>{definitions}</ul>"
        )
    loaded = {r.name: r for r in runs}
    listing = "".join(_listed(reports_dir, name, loaded.get(name)) for name in names[:SHOWN_RUNS])
    body = f"{intro}{problems}{section}<h2>All runs</h2><ul>{listing}</ul>"
    return layout("Evaluation", body, chrome, current="evaluation")


def _listed(reports_dir: Path, name: str, run: EvalRun | None) -> str:
    """One line of the run list; only the runs already opened for the page show their suites."""
    if run is not None and run.results is None:
        return f"<li>{esc(name)} — unreadable</li>"
    link = (
        f' — <a href="{PREFIX}/evaluation/{esc(name)}/report.html">report</a>'
        if (reports_dir / name / "report.html").is_file()
        else ""
    )
    suites = f" ({esc(', '.join(run.results.get('suites', [])))})" if run is not None and run.results else ""
    return f"<li>{esc(name)}{link}{suites}</li>"


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
