"""One command, one report: run the chosen suites, write results.json, a Markdown summary and an
HTML report with plots under reports/<timestamp>/, and compare runs or check against a baseline.
"""

from __future__ import annotations

import json
import random
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from careguide.config import Settings

Metrics = dict[str, float]


@dataclass(frozen=True)
class MetricSpec:
    """How to read a metric: which way is better and how much change is noise."""

    higher_is_better: bool
    tolerance: float


# A missed emergency is never noise.
TOLERANCES = {"safety.emergency.recall": 0.0}


def metric_spec(name: str) -> MetricSpec:
    lower_better = any(key in name for key in ("false_refusal", "false_alarm", "flagged", "ms_per"))
    tolerance = TOLERANCES.get(name, 5.0 if "ms_per" in name else 0.02)
    return MetricSpec(higher_is_better=not lower_better, tolerance=tolerance)


@dataclass(frozen=True)
class SuiteResult:
    report: dict[str, Any]
    metrics: Metrics
    seconds: float


def _retrieval(settings: Settings, limit: int | None) -> SuiteResult:
    from careguide.eval.retrieval import run_retrieval_eval
    from careguide.rag import open_retriever

    started = time.perf_counter()
    report = run_retrieval_eval(settings, open_retriever(settings), limit or 1000, 0)
    metrics = {
        f"retrieval.{row['variant']}.{row['mode']}.{name}": float(row[name])
        for row in report["rows"]
        for name in ("recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10")
    }
    return SuiteResult(report, metrics, time.perf_counter() - started)


def medquad_answers(settings: Settings) -> list[str]:
    """Every answer text of the knowledge base's MedQuAD subsets (PHI-free public text)."""
    from careguide.eval.devset import medquad_files
    from careguide.ingest import read_pairs

    files = medquad_files(settings.medquad_dir, settings.knowledge_base.medquad_subsets)
    return [p.answer for path in files for p in read_pairs(path) if p.answer]


def _phi(settings: Settings, limit: int | None) -> SuiteResult:
    from careguide.eval.phi import load_presidio_synth, medquad_sentences, run_phi_eval
    from careguide.guardrails import open_guardrails

    started = time.perf_counter()
    sentences = load_presidio_synth(settings.data_dir)
    if limit:
        sentences = random.Random(0).sample(sentences, min(limit, len(sentences)))
    clean = medquad_sentences(medquad_answers(settings), min(500, limit or 500), seed=0)
    guard = open_guardrails(settings, audit=False)
    assert guard.redactor is not None
    report = run_phi_eval({"careguide": guard.redactor.find}, sentences, clean)
    ours = report["detectors"]["careguide"]
    metrics = {f"phi.{k}": float(v) for k, v in ours["overall"].items() if k in ("precision", "recall", "f2")}
    metrics["phi.medquad_sentences_flagged"] = float(ours["medquad_false_positives"]["rate"])
    for entity, counts in ours["by_type"].items():
        metrics[f"phi.recall.{entity}"] = float(counts["recall"])
    return SuiteResult(report, metrics, time.perf_counter() - started)


def _safety(settings: Settings, limit: int | None) -> SuiteResult:
    from careguide.eval.safety import run_safety_eval
    from careguide.guardrails import open_guardrails

    started = time.perf_counter()
    answers = medquad_answers(settings)
    passages = random.Random(0).sample(answers, min(200, len(answers)))
    report = run_safety_eval(open_guardrails(settings, audit=False), settings.data_dir, passages, limit)
    xs, em, bp = report["xstest"], report["emergency"], report["bipia_planted_in_passages"]
    metrics = {
        "safety.medsafetybench.refusal": report["medsafetybench_train"]["refusal"]["rate"],
        "safety.xstest.safe_false_refusal": xs["safe_false_refusal"]["rate"],
        "safety.xstest.unsafe_refusal": xs["unsafe_refusal"]["rate"],
        "safety.emergency.recall": em["recall"]["rate"],
        "safety.emergency.false_alarm": em["false_alarm"]["rate"],
        "safety.bipia.detected": bp["detected"]["rate"],
        "safety.bipia.clean_flagged": bp["clean_passages_flagged"]["rate"],
    }
    return SuiteResult(report, {k: float(v) for k, v in metrics.items()}, time.perf_counter() - started)


SUITES: dict[str, Callable[[Settings, int | None], SuiteResult]] = {
    "retrieval": _retrieval,
    "phi": _phi,
    "safety": _safety,
}
PLANNED_SUITES = ("answers", "readability")
"""Suites that need the answering Assistant; named here so --suite gives a clear message."""


def parse_suites(value: str) -> list[str]:
    names = [name.strip() for name in value.split(",") if name.strip()]
    for name in names:
        if name in PLANNED_SUITES:
            raise ValueError(
                f"Suite '{name}' needs the answering Assistant, which is not built yet; "
                f"choose from {', '.join(SUITES)}."
            )
        if name not in SUITES:
            raise ValueError(f"Unknown suite '{name}'; choose from {', '.join(SUITES)}.")
    return names


def git_commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True, timeout=10
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def run_suites(
    settings: Settings,
    suites: list[str],
    limit: int | None,
    collection: str | None = None,
    on_suite: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Run the suites and return results.json's content."""
    from careguide.eval.safety import SOURCES

    if collection:
        # Every suite, the guardrails' knowledge-base terms included, reads the same collection.
        store = settings.vector_store.model_copy(update={"collection": collection})
        settings = settings.model_copy(update={"vector_store": store})
    results: dict[str, Any] = {}
    metrics: Metrics = {}
    for name in suites:
        if on_suite is not None:
            on_suite(name)
        result = SUITES[name](settings, limit)
        results[name] = {"seconds": round(result.seconds, 1), "report": result.report}
        metrics.update(result.metrics)
    return {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "git_commit": git_commit(),
        "suites": suites,
        "limit": limit,
        "collection": collection or settings.vector_store.collection,
        "config": json.loads(settings.model_dump_json()),
        "datasets": {
            "data_dir": str(settings.data_dir),
            "medquad": "MedQuAD (Ben Abacha & Demner-Fushman, BMC Bioinformatics 2019), CC BY 4.0",
            "presidio_synth": "presidio-research synth_dataset_v2.json, MIT",
            **SOURCES,
        },
        "metrics": {k: round(v, 4) for k, v in sorted(metrics.items())},
        "results": results,
    }


@dataclass(frozen=True)
class Difference:
    metric: str
    before: float | None
    after: float | None
    regression: bool

    @property
    def delta(self) -> float | None:
        if self.before is None or self.after is None:
            return None
        return self.after - self.before


def compare_metrics(
    before: Metrics, after: Metrics, tolerances: dict[str, float] | None = None
) -> list[Difference]:
    """Metric-by-metric differences; a regression is a change the wrong way beyond the tolerance."""
    differences = []
    for metric in sorted(set(before) | set(after)):
        old, new = before.get(metric), after.get(metric)
        regression = False
        if old is not None and new is not None:
            spec = metric_spec(metric)
            tolerance = (tolerances or {}).get(metric, spec.tolerance)
            change = new - old if spec.higher_is_better else old - new
            regression = change < -tolerance
        differences.append(Difference(metric, old, new, regression))
    return differences


def load_metrics(path: Path) -> Metrics:
    """Metrics of a report folder (its results.json) or of a baseline JSON file."""
    file = path / "results.json" if path.is_dir() else path
    if not file.is_file():
        raise FileNotFoundError(
            f"No results at {file}; pass a report folder or a results/baseline JSON file."
        )
    data = json.loads(file.read_text(encoding="utf-8"))
    return {k: float(v) for k, v in data["metrics"].items()}
